/* TEMPORARY stand-ins so the shell and pseudo-fs branch builds before the real
 * mm and console land: a size-class heap over a static arena (kmalloc, kzalloc,
 * kfree, kstrdup, kmalloc_get_stats), page counters from the boot memory map,
 * and a polled console_getc. DELETE THIS FILE when mm/kmalloc.c, mm/pmm.c and
 * the console driver are merged; the prototypes are exactly those of
 * include/mm.h and include/console.h, so nothing else changes. */
#include <mm.h>
#include <console.h>
#include <serial.h>
#include <bootinfo.h>
#include <spinlock.h>
#include <string.h>
#include <arch/cpu.h>

#define STUB_ARENA_SIZE (8UL << 20)
#define STUB_MIN_SHIFT 4
#define STUB_CLASSES 20 /* 16 B .. 8 MiB */
#define STUB_MAGIC 0x6b6d6c63u

struct stub_hdr {
	u32 magic;
	u32 cls;
	u64 size; /* requested bytes */
};

static u8 stub_arena[STUB_ARENA_SIZE] __aligned(16);
static size_t stub_brk;
static struct stub_hdr *stub_free[STUB_CLASSES];
static struct kmalloc_stats stub_stats;
static spinlock_t stub_lock = SPINLOCK_INIT;

void *kmalloc(size_t size)
{
	unsigned cls = 0;
	if (size > STUB_ARENA_SIZE)
		size = STUB_ARENA_SIZE; /* fails below; avoids wrapping size + header */
	while (cls < STUB_CLASSES && (1UL << (cls + STUB_MIN_SHIFT)) < size + sizeof(struct stub_hdr))
		cls++;
	unsigned long flags = spin_lock_irqsave(&stub_lock);
	struct stub_hdr *h = NULL;
	if (cls < STUB_CLASSES) {
		if (stub_free[cls]) {
			h = stub_free[cls];
			stub_free[cls] = *(struct stub_hdr **)(h + 1);
		} else if (stub_brk + (1UL << (cls + STUB_MIN_SHIFT)) <= STUB_ARENA_SIZE) {
			h = (struct stub_hdr *)&stub_arena[stub_brk];
			stub_brk += 1UL << (cls + STUB_MIN_SHIFT);
		}
	}
	if (h) {
		h->magic = STUB_MAGIC;
		h->cls = cls;
		h->size = size;
		stub_stats.bytes_in_use += size;
		stub_stats.objects_in_use++;
		stub_stats.total_allocs++;
	} else {
		stub_stats.failed_allocs++;
	}
	spin_unlock_irqrestore(&stub_lock, flags);
	return h ? h + 1 : NULL;
}

void *kzalloc(size_t size)
{
	void *p = kmalloc(size);
	if (p)
		memset(p, 0, size);
	return p;
}

void kfree(void *p)
{
	if (!p)
		return;
	struct stub_hdr *h = (struct stub_hdr *)p - 1;
	if (h->magic != STUB_MAGIC)
		return;
	unsigned long flags = spin_lock_irqsave(&stub_lock);
	h->magic = 0;
	stub_stats.bytes_in_use -= h->size;
	stub_stats.objects_in_use--;
	stub_stats.total_frees++;
	*(struct stub_hdr **)(h + 1) = stub_free[h->cls];
	stub_free[h->cls] = h;
	spin_unlock_irqrestore(&stub_lock, flags);
}

char *kstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = kmalloc(n);
	if (p)
		memcpy(p, s, n);
	return p;
}

void kmalloc_get_stats(struct kmalloc_stats *st)
{
	unsigned long flags = spin_lock_irqsave(&stub_lock);
	*st = stub_stats;
	st->heap_pages = ALIGN_UP(stub_brk, PAGE_SIZE) / PAGE_SIZE;
	spin_unlock_irqrestore(&stub_lock, flags);
}

size_t pmm_total_count(void)
{
	size_t pages = 0;
	for (int i = 0; i < boot_info.mmap_count; i++)
		if (boot_info.mmap[i].type == MEM_USABLE)
			pages += boot_info.mmap[i].len / PAGE_SIZE;
	return pages;
}

size_t pmm_free_count(void)
{
	extern char __kernel_start[], __kernel_end[];
	size_t used = ((unsigned long)__kernel_end - (unsigned long)__kernel_start) / PAGE_SIZE;
	size_t total = pmm_total_count();
	return total > used ? total - used : 0;
}

int console_getc(void)
{
	int c;
	while ((c = serial_read_byte(SERIAL_CONSOLE)) < 0)
		arch_cpu_relax();
	return c;
}
