/* <linux/errno.h>: Kelp's error numbers (the same values as Linux's). */
#pragma once
#include <kelp/errno.h>
