/* The physical frame allocator: one bit per 4 KiB frame (set = in use or
 * reserved), built from the multiboot2 memory map. The bitmap itself lives
 * in the first free RAM above the kernel. */
#define pr_fmt(fmt) "pmm: " fmt
#include <kelp/mm.h>
#include <kelp/bootinfo.h>
#include <arch/paging.h>
#include <kelp/spinlock.h>
#include <kelp/panic.h>
#include <kelp/printk.h>
#include <kelp/string.h>
#include "internal.h"

extern char __boot_start[], __kernel_end[];

#define MAX_RESERVED 8

struct phys_range {
	phys_addr_t start, end;
};

static u64 *bitmap;
static phys_addr_t bitmap_pa;
static size_t bitmap_words;
static size_t nr_frames;   /* frames the bitmap covers */
static size_t total_frames; /* frames the allocator manages */
static size_t free_frames;
static size_t next_hint;    /* word to start single-frame searches at */
static size_t bad_frees;
static struct phys_range reserved[MAX_RESERVED];
static int nr_reserved;
static spinlock_t pmm_lock = SPINLOCK_INIT;

static inline bool bit_test(size_t pfn) { return bitmap[pfn / 64] & (1UL << (pfn % 64)); }
static inline void bit_set(size_t pfn) { bitmap[pfn / 64] |= 1UL << (pfn % 64); }
static inline void bit_clear(size_t pfn) { bitmap[pfn / 64] &= ~(1UL << (pfn % 64)); }

/* No libgcc: count bits by hand (only at boot). */
static unsigned int popcount64(u64 x)
{
	x = x - ((x >> 1) & 0x5555555555555555UL);
	x = (x & 0x3333333333333333UL) + ((x >> 2) & 0x3333333333333333UL);
	x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0fUL;
	return (x * 0x0101010101010101UL) >> 56;
}

static void reserve(phys_addr_t start, phys_addr_t end)
{
	BUG_ON(nr_reserved == MAX_RESERVED);
	reserved[nr_reserved].start = ALIGN_DOWN(start, PAGE_SIZE);
	reserved[nr_reserved].end = ALIGN_UP(end, PAGE_SIZE);
	nr_reserved++;
}

/* A frame is RAM when a usable region holds all of it and no other region
 * claims any of it (firmware maps may overlap). */
static bool frame_is_ram(phys_addr_t pa)
{
	bool usable = false;
	for (int i = 0; i < boot_info.mmap_count; i++) {
		const struct boot_mem_region *r = &boot_info.mmap[i];
		if (pa + PAGE_SIZE <= r->base || pa >= r->base + r->len)
			continue;
		if (r->type != MEM_USABLE)
			return false;
		if (pa >= r->base && pa + PAGE_SIZE <= r->base + r->len)
			usable = true;
	}
	return usable;
}

bool pmm_is_reserved(phys_addr_t pa)
{
	pa = ALIGN_DOWN(pa, PAGE_SIZE);
	for (int i = 0; i < nr_reserved; i++)
		if (pa >= reserved[i].start && pa < reserved[i].end)
			return true;
	return !frame_is_ram(pa);
}

/* The first page-aligned spot of `bytes` in usable RAM that overlaps no
 * reservation and that the boot tables can reach. */
static phys_addr_t find_bitmap_home(size_t bytes)
{
	for (int i = 0; i < boot_info.mmap_count; i++) {
		const struct boot_mem_region *r = &boot_info.mmap[i];
		if (r->type != MEM_USABLE)
			continue;
		phys_addr_t at = ALIGN_UP(r->base, PAGE_SIZE), end = r->base + r->len;
		bool moved = true;
		while (moved) {
			moved = false;
			for (int j = 0; j < nr_reserved; j++) {
				if (at < reserved[j].end && at + bytes > reserved[j].start) {
					at = reserved[j].end;
					moved = true;
				}
			}
		}
		if (at + bytes <= end && at + bytes <= BOOT_MAPPED_LIMIT)
			return at;
	}
	return 0;
}

phys_addr_t pmm_init(void)
{
	phys_addr_t ram_end = 0;

	for (int i = 0; i < boot_info.mmap_count; i++) {
		const struct boot_mem_region *r = &boot_info.mmap[i];
		if (r->type == MEM_USABLE && r->base + r->len > ram_end)
			ram_end = ALIGN_DOWN(r->base + r->len, PAGE_SIZE);
	}
	if (!ram_end)
		panic("pmm: the boot loader reported no usable memory");

	/* Real-mode leftovers (BIOS data, EBDA) live below 1 MiB. */
	reserve(0, 1UL << 20);
	reserve((phys_addr_t)__boot_start, (phys_addr_t)__kernel_end - KERNEL_VMA);
	if (boot_info.mbi_size)
		reserve(boot_info.mbi_phys, boot_info.mbi_phys + boot_info.mbi_size);

	nr_frames = ram_end / PAGE_SIZE;
	bitmap_words = ALIGN_UP(nr_frames, 64) / 64;
	size_t bytes = ALIGN_UP(bitmap_words * 8, PAGE_SIZE);
	bitmap_pa = find_bitmap_home(bytes);
	if (!bitmap_pa)
		panic("pmm: no room for a %zu byte frame bitmap", bytes);
	reserve(bitmap_pa, bitmap_pa + bytes);
	bitmap = phys_to_virt(bitmap_pa);

	/* Everything starts in use; then usable frames are freed a word at a
	 * time where possible so a large machine still comes up quickly. */
	memset(bitmap, 0xff, bitmap_words * 8);
	for (int i = 0; i < boot_info.mmap_count; i++) {
		const struct boot_mem_region *r = &boot_info.mmap[i];
		if (r->type != MEM_USABLE)
			continue;
		size_t pfn = ALIGN_UP(r->base, PAGE_SIZE) / PAGE_SIZE;
		size_t end = MIN((r->base + r->len) / PAGE_SIZE, nr_frames);
		while (pfn < end) {
			if (pfn % 64 == 0 && pfn + 64 <= end) {
				bitmap[pfn / 64] = 0;
				pfn += 64;
			} else {
				bit_clear(pfn++);
			}
		}
	}
	/* Overlapping non-RAM regions and our reservations win over RAM. */
	for (int i = 0; i < boot_info.mmap_count; i++) {
		const struct boot_mem_region *r = &boot_info.mmap[i];
		if (r->type == MEM_USABLE)
			continue;
		size_t end = MIN(ALIGN_UP(r->base + r->len, PAGE_SIZE) / PAGE_SIZE, nr_frames);
		for (size_t pfn = r->base / PAGE_SIZE; pfn < end; pfn++)
			bit_set(pfn);
	}
	for (int i = 0; i < nr_reserved; i++) {
		size_t end = MIN(reserved[i].end / PAGE_SIZE, nr_frames);
		for (size_t pfn = reserved[i].start / PAGE_SIZE; pfn < end; pfn++)
			bit_set(pfn);
	}
	for (size_t w = 0; w < bitmap_words; w++)
		free_frames += 64 - popcount64(bitmap[w]);
	total_frames = free_frames;
	return ram_end;
}

/* The bitmap moves from the boot alias to the direct map. */
void pmm_relocate(void)
{
	bitmap = phys_to_virt(bitmap_pa);
}

static long find_free_from(size_t word)
{
	for (size_t w = word; w < bitmap_words; w++)
		if (bitmap[w] != ~0UL)
			return w * 64 + __builtin_ctzl(~bitmap[w]);
	return -1;
}

phys_addr_t pmm_alloc_page(void)
{
	unsigned long flags = spin_lock_irqsave(&pmm_lock);
	long pfn = find_free_from(next_hint);
	if (pfn < 0)
		pfn = find_free_from(0);
	phys_addr_t pa = 0;
	if (pfn >= 0 && (size_t)pfn < nr_frames) {
		bit_set(pfn);
		free_frames--;
		next_hint = pfn / 64;
		pa = (phys_addr_t)pfn * PAGE_SIZE;
	}
	spin_unlock_irqrestore(&pmm_lock, flags);
	return pa;
}

phys_addr_t pmm_alloc_pages(size_t count)
{
	if (count == 0)
		return 0;
	if (count == 1)
		return pmm_alloc_page();

	unsigned long flags = spin_lock_irqsave(&pmm_lock);
	size_t run = 0, start = 0;
	phys_addr_t pa = 0;
	for (size_t pfn = 0; pfn < nr_frames; pfn++) {
		if (pfn % 64 == 0 && bitmap[pfn / 64] == ~0UL) {
			run = 0;
			pfn += 63;
			continue;
		}
		if (bit_test(pfn)) {
			run = 0;
			continue;
		}
		if (run++ == 0)
			start = pfn;
		if (run == count) {
			for (size_t i = start; i < start + count; i++)
				bit_set(i);
			free_frames -= count;
			pa = (phys_addr_t)start * PAGE_SIZE;
			break;
		}
	}
	spin_unlock_irqrestore(&pmm_lock, flags);
	return pa;
}

/* Called with pmm_lock held; refuses (and reports) frees that would corrupt
 * the bitmap. */
static void free_one(phys_addr_t pa)
{
	size_t pfn = pa / PAGE_SIZE;
	if (!IS_ALIGNED(pa, PAGE_SIZE) || pfn >= nr_frames || pmm_is_reserved(pa)) {
		bad_frees++;
		pr_err("freeing frame %#lx, which the allocator does not own\n", pa);
		WARN_ON(1);
		return;
	}
	if (!bit_test(pfn)) {
		bad_frees++;
		pr_err("double free of frame %#lx\n", pa);
		WARN_ON(1);
		return;
	}
	bit_clear(pfn);
	free_frames++;
	if (pfn / 64 < next_hint)
		next_hint = pfn / 64;
}

void pmm_free_page(phys_addr_t pa)
{
	unsigned long flags = spin_lock_irqsave(&pmm_lock);
	free_one(pa);
	spin_unlock_irqrestore(&pmm_lock, flags);
}

void pmm_free_pages(phys_addr_t pa, size_t count)
{
	unsigned long flags = spin_lock_irqsave(&pmm_lock);
	for (size_t i = 0; i < count; i++)
		free_one(pa + i * PAGE_SIZE);
	spin_unlock_irqrestore(&pmm_lock, flags);
}

size_t pmm_free_count(void)
{
	return READ_ONCE(free_frames);
}

size_t pmm_total_count(void)
{
	return total_frames;
}

size_t pmm_bad_free_count(void)
{
	return READ_ONCE(bad_frees);
}
