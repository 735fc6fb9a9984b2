/* The kernel heap. Objects up to LARGE_MIN come from arenas (runs of frames
 * reached through the direct map) carved first-fit with boundary tags and
 * merged on free; bigger ones get their own vmalloc'd pages. Every object
 * has a header with a magic, so bad and double frees are caught and
 * reported instead of corrupting the heap. Freed small blocks wait in
 * per-size caches (a few each) for the next allocation of their size,
 * skipping the first-fit search and the merge; the caches are drained back
 * into the arenas before the heap grows and whenever its statistics are
 * read, so those (and the heap's page count) are as without them. */
#define pr_fmt(fmt) "kmalloc: " fmt
#include <kelp/mm.h>
#include <kelp/spinlock.h>
#include <kelp/panic.h>
#include <kelp/printk.h>
#include <kelp/string.h>
#include "internal.h"

#define KM_ALIGN 16
#define ARENA_PAGES 16
#define LARGE_MIN (16 * 1024)
#define MAGIC_USED 0x6b75e5e0u
#define MAGIC_FREE 0xf4eeb10cu
#define MAGIC_ARENA 0xa4e4a000u
#define MAGIC_LARGE 0x1a46e000u
#define MAGIC_CACHED 0xcac4ed00u /* freed, waiting in a size cache */
#define BLK_LAST 1u
#define POISON 0x6b

struct kblock {
	u32 magic;
	u32 flags;
	u64 size;      /* the whole block, header included, a multiple of 16 */
	u64 prev_size; /* of the block just before in the arena; 0 for the first */
	u64 req;       /* bytes asked for, while in use */
};

/* Free blocks keep their list links in the payload. */
struct kfree_links {
	struct kblock *next, *prev;
};

struct arena {
	u32 magic;
	u32 pages;
	struct arena *next;
	u64 pad[2];
};

struct klarge {
	u32 magic;
	u32 pad;
	void *base;
	size_t pages;
	size_t req;
	struct klarge *next, *prev;
};

#define HDR sizeof(struct kblock)
#define MIN_BLOCK (HDR + sizeof(struct kfree_links))
BUILD_BUG_ON(HDR % KM_ALIGN || sizeof(struct arena) % KM_ALIGN || sizeof(struct klarge) % KM_ALIGN);

static spinlock_t heap_lock = SPINLOCK_INIT;
static struct arena *arenas;
static struct arena *first_arena; /* kept even when empty, to avoid churn */
static struct arena *last_arena;  /* arena_of's last answer */
static struct kblock *free_list;
static struct klarge *large_list;
static struct kmalloc_stats stats;
static size_t default_limit;
#ifdef CONFIG_FAILSLAB
/* tests/stress/failslab.c: the Nth allocation from now fails. */
static int fail_countdown;
#endif

/* Per-size caches of freed blocks, indexed by payload size / 16, for
 * payloads up to CACHE_MAX. Linked through the payload's first word. */
#define CACHE_MAX 512
#define CACHE_DEPTH 16
struct size_cache {
	void *head;
	unsigned int n;
};
static struct size_cache caches[CACHE_MAX / KM_ALIGN + 1];
static size_t nr_cached;

static inline struct kfree_links *links(struct kblock *b)
{
	return (struct kfree_links *)(b + 1);
}

static inline struct kblock *next_block(struct kblock *b)
{
	return (b->flags & BLK_LAST) ? NULL : (struct kblock *)((char *)b + b->size);
}

static inline struct kblock *prev_block(struct kblock *b)
{
	return b->prev_size ? (struct kblock *)((char *)b - b->prev_size) : NULL;
}

static void list_add(struct kblock *b)
{
	links(b)->prev = NULL;
	links(b)->next = free_list;
	if (free_list)
		links(free_list)->prev = b;
	free_list = b;
}

static void list_del(struct kblock *b)
{
	struct kfree_links *l = links(b);
	if (l->prev)
		links(l->prev)->next = l->next;
	else
		free_list = l->next;
	if (l->next)
		links(l->next)->prev = l->prev;
}

/* Make b a free block of `size` bytes (list links not touched). */
static void set_block(struct kblock *b, u32 magic, u64 size, u64 prev_size, u32 flags)
{
	b->magic = magic;
	b->flags = flags;
	b->size = size;
	b->prev_size = prev_size;
	b->req = 0;
	struct kblock *n = next_block(b);
	if (n)
		n->prev_size = size;
}

static bool heap_may_grow(size_t pages)
{
	return stats.heap_pages + pages <= stats.limit_pages;
}

static bool arena_grow(size_t need)
{
	size_t pages = ARENA_PAGES;
	size_t min_pages = ALIGN_UP(sizeof(struct arena) + need, PAGE_SIZE) / PAGE_SIZE;
	phys_addr_t pa = 0;
	if (heap_may_grow(pages))
		pa = pmm_alloc_pages(pages);
	if (!pa && min_pages < pages && heap_may_grow(min_pages)) {
		pages = min_pages;
		pa = pmm_alloc_pages(pages);
	}
	if (!pa)
		return false;
	struct arena *a = phys_to_virt(pa);
	a->magic = MAGIC_ARENA;
	a->pages = pages;
	a->next = arenas;
	arenas = a;
	if (!first_arena)
		first_arena = a;
	struct kblock *b = (struct kblock *)(a + 1);
	set_block(b, MAGIC_FREE, pages * PAGE_SIZE - sizeof(*a), 0, BLK_LAST);
	list_add(b);
	stats.heap_pages += pages;
	return true;
}

static void arena_release(struct arena *a)
{
	struct arena **pp = &arenas;
	if (last_arena == a)
		last_arena = NULL;
	while (*pp != a)
		pp = &(*pp)->next;
	*pp = a->next;
	list_del((struct kblock *)(a + 1));
	a->magic = 0;
	stats.heap_pages -= a->pages;
	pmm_free_pages(virt_to_phys(a), a->pages);
}

/* Carve an object of `need` bytes (a multiple of 16) at `align` from the
 * free list, or return NULL. */
static void *arena_alloc(size_t need, size_t align)
{
	for (struct kblock *b = free_list; b; b = links(b)->next) {
		unsigned long payload = (unsigned long)(b + 1);
		unsigned long p = ALIGN_UP(payload, align);
		/* A gap in front must be able to stand as a free block itself. */
		while (p != payload && p - payload < MIN_BLOCK)
			p += align;
		size_t lead = p - payload;
		if (lead + HDR + need > b->size)
			continue;

		list_del(b);
		if (lead) {
			u64 rest = b->size - lead;
			u32 last = b->flags & BLK_LAST;
			set_block(b, MAGIC_FREE, lead, b->prev_size, 0);
			list_add(b);
			struct kblock *nb = (struct kblock *)((char *)b + lead);
			set_block(nb, MAGIC_FREE, rest, lead, last);
			b = nb;
		}
		if (b->size - (HDR + need) >= MIN_BLOCK) {
			u64 rest = b->size - (HDR + need);
			u32 last = b->flags & BLK_LAST;
			set_block(b, MAGIC_FREE, HDR + need, b->prev_size, 0);
			struct kblock *tail = (struct kblock *)((char *)b + HDR + need);
			set_block(tail, MAGIC_FREE, rest, HDR + need, last);
			list_add(tail);
		}
		b->magic = MAGIC_USED;
		return b + 1;
	}
	return NULL;
}

/* Freed memory reads as POISON bytes, so a use after free shows. Blocks
 * are multiples of 16 bytes: word stores. */
static inline void poison(struct kblock *b)
{
	u64 *q = (u64 *)(b + 1), *end = (u64 *)((char *)b + b->size);
	while (q < end)
		*q++ = 0x0101010101010101ULL * POISON;
}

static void arena_free(struct arena *a, struct kblock *b)
{
	b->magic = MAGIC_FREE;
	poison(b);
	struct kblock *n = next_block(b);
	if (n && n->magic == MAGIC_FREE) {
		list_del(n);
		set_block(b, MAGIC_FREE, b->size + n->size, b->prev_size, n->flags & BLK_LAST);
	}
	struct kblock *p = prev_block(b);
	if (p && p->magic == MAGIC_FREE) {
		list_del(p);
		/* b's header stays MAGIC_FREE so a second kfree is still named a double free. */
		set_block(p, MAGIC_FREE, p->size + b->size, p->prev_size, b->flags & BLK_LAST);
		b = p;
	}
	list_add(b);
	if (!b->prev_size && (b->flags & BLK_LAST) && a != first_arena)
		arena_release(a);
}

static struct arena *arena_of(const void *p);

/* Give every cached block back to its arena (merging, maybe releasing
 * the arena). heap_lock held. */
static void caches_drain(void)
{
	if (!nr_cached)
		return;
	for (size_t c = 0; c < ARRAY_SIZE(caches); c++) {
		while (caches[c].head) {
			struct kblock *b = (struct kblock *)caches[c].head - 1;
			caches[c].head = *(void **)caches[c].head;
			caches[c].n--;
			arena_free(arena_of(b + 1), b);
		}
	}
	nr_cached = 0;
}

static inline bool arena_has(const struct arena *a, const void *p)
{
	return (const char *)p > (const char *)(a + 1) &&
	       (const char *)p < (const char *)a + a->pages * PAGE_SIZE;
}

static struct arena *arena_of(const void *p)
{
	/* Frees tend to come in runs from one arena: try the last one found. */
	if (last_arena && arena_has(last_arena, p))
		return last_arena;
	for (struct arena *a = arenas; a; a = a->next)
		if (arena_has(a, p))
			return last_arena = a;
	return NULL;
}

static struct klarge *large_of(const void *p)
{
	for (struct klarge *l = large_list; l; l = l->next)
		if ((const void *)(l + 1) == p)
			return l;
	return NULL;
}

static void *large_alloc(size_t size, size_t align)
{
	size_t off = align <= PAGE_SIZE ? ALIGN_UP(sizeof(struct klarge), align)
					: sizeof(struct klarge) + align;
	size_t pages = ALIGN_UP(off + size, PAGE_SIZE) / PAGE_SIZE;
	if (!heap_may_grow(pages))
		return NULL;
	char *base = vmalloc_pages(pages, VM_READ | VM_WRITE);
	if (!base)
		return NULL;
	char *p = (char *)ALIGN_UP((unsigned long)base + sizeof(struct klarge), align);
	struct klarge *l = (struct klarge *)p - 1;
	l->magic = MAGIC_LARGE;
	l->base = base;
	l->pages = pages;
	l->req = size;
	l->prev = NULL;
	l->next = large_list;
	if (large_list)
		large_list->prev = l;
	large_list = l;
	stats.heap_pages += pages;
	return p;
}

static void large_free(struct klarge *l)
{
	if (l->prev)
		l->prev->next = l->next;
	else
		large_list = l->next;
	if (l->next)
		l->next->prev = l->prev;
	l->magic = 0;
	stats.heap_pages -= l->pages;
	/* vfree_pages takes other locks but never the heap's. */
	vfree_pages(l->base, l->pages);
}

static void *__kmalloc(size_t size, size_t align, bool injectable)
{
	if (align < KM_ALIGN)
		align = KM_ALIGN;
	if (align & (align - 1)) {
		pr_err("alignment %zu is not a power of two\n", align);
		WARN_ON(1);
		return NULL;
	}
	unsigned long flags = spin_lock_irqsave(&heap_lock);
	void *p = NULL;
	(void)injectable;
#ifdef CONFIG_FAILSLAB
	if (injectable && fail_countdown > 0 && --fail_countdown == 0) {
		stats.injected_failures++;
		goto out;
	}
#endif
	/* Refuse sizes whose rounding would overflow. */
	if (size > (1UL << 40))
		goto out;
	size_t need = ALIGN_UP(MAX(size, (size_t)1), KM_ALIGN);
	if (need < sizeof(struct kfree_links))
		need = sizeof(struct kfree_links);
	if (align == KM_ALIGN && need <= CACHE_MAX && caches[need / KM_ALIGN].head) {
		struct size_cache *c = &caches[need / KM_ALIGN];
		p = c->head;
		c->head = *(void **)p;
		c->n--;
		nr_cached--;
		struct kblock *b = (struct kblock *)p - 1;
		b->magic = MAGIC_USED;
		b->req = size;
	} else if (need + align > LARGE_MIN) {
		p = large_alloc(size, align);
	} else {
		p = arena_alloc(need, align);
		if (!p) {
			/* Cached blocks before new pages. */
			caches_drain();
			p = arena_alloc(need, align);
		}
		if (!p && arena_grow(need + align + MIN_BLOCK))
			p = arena_alloc(need, align);
		if (p)
			((struct kblock *)p - 1)->req = size;
	}
out:
	if (p) {
		stats.total_allocs++;
		stats.objects_in_use++;
		stats.bytes_in_use += size;
	} else {
		stats.failed_allocs++;
	}
	spin_unlock_irqrestore(&heap_lock, flags);
	return p;
}

void *kmalloc_aligned(size_t size, size_t align)
{
	return __kmalloc(size, align, true);
}

void *kmalloc(size_t size)
{
	/* The fast path: a block of this size waiting in its cache. */
	if (size <= CACHE_MAX) {
		size_t need = size <= KM_ALIGN ? KM_ALIGN : ALIGN_UP(size, KM_ALIGN);
		struct size_cache *c = &caches[need / KM_ALIGN];
		unsigned long flags = spin_lock_irqsave(&heap_lock);
		void *p = c->head;
#ifdef CONFIG_FAILSLAB
		if (fail_countdown > 0)
			p = NULL; /* the slow path counts it down */
#endif
		if (p) {
			struct kblock *b = (struct kblock *)p - 1;
			c->head = *(void **)p;
			c->n--;
			nr_cached--;
			b->magic = MAGIC_USED;
			b->req = size;
			stats.total_allocs++;
			stats.objects_in_use++;
			stats.bytes_in_use += size;
			spin_unlock_irqrestore(&heap_lock, flags);
			return p;
		}
		spin_unlock_irqrestore(&heap_lock, flags);
	}
	return __kmalloc(size, KM_ALIGN, true);
}

void *kmalloc_optional(size_t size)
{
	return __kmalloc(size, KM_ALIGN, false);
}

void *kzalloc(size_t size)
{
	void *p = kmalloc(size);
	if (p)
		memset(p, 0, size);
	return p;
}

char *kstrdup(const char *s)
{
	if (!s)
		return NULL;
	size_t n = strlen(s) + 1;
	char *p = kmalloc(n);
	if (p)
		memcpy(p, s, n);
	return p;
}

enum lookup { LK_ARENA, LK_LARGE, LK_BAD };

/* p is the start of an object in use in arena a. */
static __always_inline bool arena_block_ok(const struct arena *a, const void *p)
{
	const struct kblock *b = (const struct kblock *)p - 1;
	const char *end = (const char *)a + a->pages * PAGE_SIZE;
	const struct kblock *n;
	return IS_ALIGNED((unsigned long)p, KM_ALIGN) && (const char *)b >= (const char *)(a + 1) &&
	       b->magic == MAGIC_USED && b->size >= MIN_BLOCK && (const char *)b + b->size <= end &&
	       ((b->flags & BLK_LAST) || ((n = (const struct kblock *)((const char *)b + b->size)),
					  n->prev_size == b->size));
}

/* Classify p under heap_lock; reports and counts bad pointers. */
static enum lookup lookup(const void *p, const char *who, struct arena **ap, struct kblock **bp,
			  struct klarge **lp)
{
	struct arena *a = arena_of(p);
	if (a) {
		struct kblock *b = (struct kblock *)p - 1;
		if (arena_block_ok(a, p)) {
			*ap = a;
			*bp = b;
			return LK_ARENA;
		}
		stats.bad_frees++;
		if (IS_ALIGNED((unsigned long)p, KM_ALIGN) &&
		    (b->magic == MAGIC_FREE || b->magic == MAGIC_CACHED))
			pr_err("%s: double free of %p\n", who, p);
		else
			pr_err("%s: %p is not the start of a heap object\n", who, p);
		WARN_ON(1);
		return LK_BAD;
	}
	struct klarge *l = large_of(p);
	if (l) {
		*lp = l;
		return LK_LARGE;
	}
	stats.bad_frees++;
	pr_err("%s: %p was not allocated by kmalloc (or was already freed)\n", who, p);
	WARN_ON(1);
	return LK_BAD;
}

void kfree(void *p)
{
	struct arena *a;
	struct kblock *b;
	struct klarge *l;
	if (!p)
		return;
	unsigned long flags = spin_lock_irqsave(&heap_lock);
	/* The fast path: a small object of the arena last looked at goes to
	 * its size cache. */
	a = last_arena;
	b = (struct kblock *)p - 1;
	if (a && arena_has(a, p) && arena_block_ok(a, p)) {
		size_t room = b->size - HDR;
		if (room <= CACHE_MAX && caches[room / KM_ALIGN].n < CACHE_DEPTH) {
			struct size_cache *c = &caches[room / KM_ALIGN];
			stats.bytes_in_use -= b->req;
			b->magic = MAGIC_CACHED;
			*(void **)p = c->head;
			c->head = p;
			c->n++;
			nr_cached++;
			stats.objects_in_use--;
			stats.total_frees++;
			spin_unlock_irqrestore(&heap_lock, flags);
			return;
		}
	}
	switch (lookup(p, "kfree", &a, &b, &l)) {
	case LK_ARENA: {
		stats.bytes_in_use -= b->req;
		size_t room = b->size - HDR;
		if (room <= CACHE_MAX && caches[room / KM_ALIGN].n < CACHE_DEPTH) {
			struct size_cache *c = &caches[room / KM_ALIGN];
			b->magic = MAGIC_CACHED;
			*(void **)p = c->head;
			c->head = p;
			c->n++;
			nr_cached++;
		} else {
			arena_free(a, b);
		}
		break;
	}
	case LK_LARGE:
		stats.bytes_in_use -= l->req;
		large_free(l);
		break;
	case LK_BAD:
		goto out;
	}
	stats.objects_in_use--;
	stats.total_frees++;
out:
	spin_unlock_irqrestore(&heap_lock, flags);
}

void *krealloc(void *p, size_t size)
{
	struct arena *a;
	struct kblock *b;
	struct klarge *l;
	size_t old, room;
	if (!p)
		return kmalloc(size);
	if (!size) {
		kfree(p);
		return NULL;
	}
	unsigned long flags = spin_lock_irqsave(&heap_lock);
	switch (lookup(p, "krealloc", &a, &b, &l)) {
	case LK_ARENA:
		old = b->req;
		room = b->size - HDR;
		if (size <= room) {
			b->req = size;
			goto in_place;
		}
		break;
	case LK_LARGE:
		old = l->req;
		room = (char *)l->base + l->pages * PAGE_SIZE - (char *)p;
		if (size <= room) {
			l->req = size;
			goto in_place;
		}
		break;
	default:
		spin_unlock_irqrestore(&heap_lock, flags);
		return NULL;
	}
	spin_unlock_irqrestore(&heap_lock, flags);

	void *n = kmalloc(size);
	if (!n)
		return NULL;
	memcpy(n, p, MIN(old, size));
	kfree(p);
	return n;

in_place:
	stats.bytes_in_use = stats.bytes_in_use - old + size;
	spin_unlock_irqrestore(&heap_lock, flags);
	return p;
}

void kmalloc_get_stats(struct kmalloc_stats *st)
{
	unsigned long flags = spin_lock_irqsave(&heap_lock);
	/* What the heap holds without the caches: an empty arena is
	 * released, as a free without them would have done. */
	caches_drain();
	*st = stats;
	spin_unlock_irqrestore(&heap_lock, flags);
}

size_t kmalloc_set_limit(size_t pages)
{
	unsigned long flags = spin_lock_irqsave(&heap_lock);
	size_t old = stats.limit_pages;
	stats.limit_pages = pages ? pages : default_limit;
	spin_unlock_irqrestore(&heap_lock, flags);
	return old;
}

#ifdef CONFIG_FAILSLAB
void kmalloc_fail_nth(int n)
{
	unsigned long flags = spin_lock_irqsave(&heap_lock);
	fail_countdown = n > 0 ? n : 0;
	spin_unlock_irqrestore(&heap_lock, flags);
}
#endif

void kmalloc_init(void)
{
	default_limit = pmm_free_count() / 4 * 3;
	stats.limit_pages = default_limit;
	/* The permanent first arena exists from the start, so heap_pages only
	 * moves with real demand. */
	if (!arena_grow(0))
		panic("kmalloc: no memory for the first heap arena");
}
