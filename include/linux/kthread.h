/* <linux/kthread.h>: kernel threads (kthread_create, kthread_run,
 * <kelp/sched.h>); stopping a thread from outside (kthread_stop) is not
 * provided. */
#pragma once
#include <kelp/sched.h>
