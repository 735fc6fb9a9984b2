/* <linux/wait.h>: Kelp's wait queues (wait_event, wake_up, ...). */
#pragma once
#include <kelp/wait.h>

typedef struct wait_queue_head wait_queue_head_t;
