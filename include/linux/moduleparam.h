/* <linux/moduleparam.h>: module_param() and friends, in <linux/module.h>. */
#pragma once
#include <linux/module.h>
