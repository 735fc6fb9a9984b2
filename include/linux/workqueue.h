/* <linux/workqueue.h>: Kelp's one shared workqueue (kernel/sched/workqueue.c)
 * with Linux's work_struct/delayed_work API: DECLARE_[DELAYED_]WORK,
 * INIT_[DELAYED_]WORK, schedule_[delayed_]work, flush_work,
 * cancel_delayed_work_sync. */
#pragma once
#include <kelp/workqueue.h>
#include <linux/jiffies.h>
