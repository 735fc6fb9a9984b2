/* <linux/mutex.h>: Kelp's sleeping mutexes (DEFINE_MUTEX, mutex_lock,
 * mutex_trylock, mutex_unlock, mutex_is_locked) and mutex_init. */
#pragma once
#include <kelp/mutex.h>

static inline void mutex_init(struct mutex *m)
{
	*m = (struct mutex)MUTEX_INIT(*m);
}
