/* <linux/kthread.h>: Kelp's kernel threads with Linux's names:
 * kthread_create, kthread_run, kthread_stop, kthread_should_stop
 * (<kelp/sched.h>). */
#pragma once
#include <kelp/sched.h>
