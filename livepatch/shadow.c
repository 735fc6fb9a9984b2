/* Shadow variables: extra data attached to an existing object, keyed by
 * (object pointer, id), for patches that need new fields in structures they
 * cannot change. A hash on the object pointer; writers serialise on one
 * spinlock, and constructors/destructors run under it (atomic context), as
 * in Linux. Without RCU, lookups take the lock too. */
#define pr_fmt(fmt) "livepatch: " fmt
#include <kelp/livepatch.h>
#include <kelp/spinlock.h>
#include <kelp/printk.h>
#include <kelp/string.h>
#include <kelp/panic.h>
#include <kelp/mm.h>

#define SHADOW_HASH_BITS 10
#define SHADOW_HASH_SIZE (1U << SHADOW_HASH_BITS)

struct klp_shadow {
	struct list_head node;
	void *obj;
	unsigned long id;
	char data[] __aligned(16);
};

static struct list_head klp_shadow_hash[SHADOW_HASH_SIZE];
static bool klp_shadow_ready;
static spinlock_t klp_shadow_lock = SPINLOCK_INIT;

static struct list_head *shadow_bucket(void *obj)
{
	unsigned long k = (unsigned long)obj;
	k ^= k >> 17;
	k *= 0x9e3779b97f4a7c15UL;
	if (!klp_shadow_ready) {
		for (unsigned int i = 0; i < SHADOW_HASH_SIZE; i++)
			INIT_LIST_HEAD(&klp_shadow_hash[i]);
		klp_shadow_ready = true;
	}
	return &klp_shadow_hash[k >> (64 - SHADOW_HASH_BITS)];
}

static struct klp_shadow *shadow_find(void *obj, unsigned long id)
{
	struct klp_shadow *s;
	list_for_each_entry(s, shadow_bucket(obj), node)
		if (s->obj == obj && s->id == id)
			return s;
	return NULL;
}

void *klp_shadow_get(void *obj, unsigned long id)
{
	unsigned long flags = spin_lock_irqsave(&klp_shadow_lock);
	struct klp_shadow *s = shadow_find(obj, id);
	spin_unlock_irqrestore(&klp_shadow_lock, flags);
	return s ? s->data : NULL;
}

static void *__klp_shadow_get_or_alloc(void *obj, unsigned long id, size_t size,
				       klp_shadow_ctor_t ctor, void *ctor_data, bool warn_on_exist)
{
	struct klp_shadow *new, *s;
	unsigned long flags;

	s = NULL;
	{
		void *existing = klp_shadow_get(obj, id);
		if (existing)
			goto exists;
	}
	/* Allocate outside the lock, then look again under it. */
	new = kzalloc(sizeof(*new) + size);
	if (!new)
		return NULL;
	flags = spin_lock_irqsave(&klp_shadow_lock);
	s = shadow_find(obj, id);
	if (s) {
		spin_unlock_irqrestore(&klp_shadow_lock, flags);
		kfree(new);
		goto exists;
	}
	new->obj = obj;
	new->id = id;
	if (ctor) {
		int err = ctor(obj, new->data, ctor_data);
		if (err) {
			spin_unlock_irqrestore(&klp_shadow_lock, flags);
			kfree(new);
			pr_err("Failed to construct shadow variable <%p, %lx> (%d)\n", obj, id, err);
			return NULL;
		}
	}
	list_add(&new->node, shadow_bucket(obj));
	spin_unlock_irqrestore(&klp_shadow_lock, flags);
	return new->data;
exists:
	if (warn_on_exist) {
		printk(KERN_WARNING "Duplicate shadow variable <%p, %lx>\n", obj, id);
		WARN_ON(1);
		return NULL;
	}
	return klp_shadow_get(obj, id);
}

void *klp_shadow_alloc(void *obj, unsigned long id, size_t size, gfp_t gfp_flags,
		       klp_shadow_ctor_t ctor, void *ctor_data)
{
	(void)gfp_flags;
	return __klp_shadow_get_or_alloc(obj, id, size, ctor, ctor_data, true);
}

void *klp_shadow_get_or_alloc(void *obj, unsigned long id, size_t size, gfp_t gfp_flags,
			      klp_shadow_ctor_t ctor, void *ctor_data)
{
	(void)gfp_flags;
	return __klp_shadow_get_or_alloc(obj, id, size, ctor, ctor_data, false);
}

static void shadow_free_locked(struct klp_shadow *s, klp_shadow_dtor_t dtor)
{
	list_del_init(&s->node);
	if (dtor)
		dtor(s->obj, s->data);
	kfree(s);
}

void klp_shadow_free(void *obj, unsigned long id, klp_shadow_dtor_t dtor)
{
	unsigned long flags = spin_lock_irqsave(&klp_shadow_lock);
	struct klp_shadow *s = shadow_find(obj, id);
	if (s)
		shadow_free_locked(s, dtor);
	spin_unlock_irqrestore(&klp_shadow_lock, flags);
}

void klp_shadow_free_all(unsigned long id, klp_shadow_dtor_t dtor)
{
	unsigned long flags = spin_lock_irqsave(&klp_shadow_lock);
	shadow_bucket(NULL); /* makes sure the table is initialised */
	for (unsigned int i = 0; i < SHADOW_HASH_SIZE; i++) {
		struct klp_shadow *s, *tmp;
		list_for_each_entry_safe(s, tmp, &klp_shadow_hash[i], node)
			if (s->id == id)
				shadow_free_locked(s, dtor);
	}
	spin_unlock_irqrestore(&klp_shadow_lock, flags);
}
