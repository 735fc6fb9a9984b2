/* User-mode benchmark: the getpid round trip user -> kernel -> user, from
 * a real user program (getpid_loop "nN": N calls). The figure is the
 * difference of two runs of different N divided by the difference, so
 * exec, exit and printing cancel out; under icount it is instructions. */
#include <kelp/bench.h>
#include <kelp/user.h>
#include <kelp/sched.h>

static u64 run_getpid_loop(const char *arg)
{
	int err = 0;
	u64 t0 = bench_now();
	struct task *t = user_spawn("getpid_loop", arg, &err);
	if (!t)
		return 0;
	task_wait_exit(t);
	put_task_struct(t);
	return bench_now() - t0;
}

KBENCH_DESC(syscall_getpid, "getpid() from a user program, and a spawn to reap")
{
	run_getpid_loop("n1000"); /* warm up */
	u64 small = run_getpid_loop("n10000");
	u64 big = run_getpid_loop("n110000");
	if (!small || big <= small)
		return;
	bench_report("syscall_getpid", (big - small) / 100000, "insns/call");
	bench_report("user_spawn_to_reap", small - 10000 * ((big - small) / 100000), "insns");
}
