/* <linux/sched.h>: tasks (current, struct task as task_struct, comm, pid),
 * schedule, cond_resched, signal_pending, the TASK_* states. */
#pragma once
#include <kelp/sched.h>
#include <linux/jiffies.h>

#define task_struct task
