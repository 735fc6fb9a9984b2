/* Benchmarks of the foundation: boot cost and the heap's fast path. */
#include <kelp/bench.h>
#include <kelp/mm.h>

extern u64 boot_tsc_kmain, boot_tsc_ready;

KBENCH_DESC(boot, "the boot, from reset to kmain and from kmain to the shell")
{
	bench_report("boot_before_kmain", boot_tsc_kmain, "insns");
	bench_report("boot_kmain_to_ready", boot_tsc_ready - boot_tsc_kmain, "insns");
}

KBENCH_DESC(kmalloc, "one kmalloc(64) and its kfree")
{
	enum { N = 1000 };
	void *p = kmalloc(64); /* warm the size class */
	kfree(p);
	u64 t0 = bench_now();
	for (int i = 0; i < N; i++) {
		p = kmalloc(64);
		kfree(p);
	}
	u64 t1 = bench_now();
	bench_report("kmalloc_kfree_64", (t1 - t0) / N, "insns/pair");
}
