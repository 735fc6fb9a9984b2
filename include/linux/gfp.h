/* <linux/gfp.h>: allocation flags with Linux's names and values
 * (include/kelp/gfp.h). */
#pragma once
#include <kelp/gfp.h>
