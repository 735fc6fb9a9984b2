/* A byte ring of power-of-two size with free-running indices. Full rings
 * drop the new byte and count it. Callers serialise access themselves
 * (the serial driver holds a per-port lock). */
#pragma once
#include <kelp/types.h>

struct ringbuf {
	u8 *buf;
	u32 size; /* power of two */
	u32 head; /* next write, free running */
	u32 tail; /* next read, free running */
	u64 overruns;
};

/* -EINVAL unless size is a non-zero power of two. */
int ringbuf_init(struct ringbuf *rb, u8 *buf, u32 size);
/* Append c; false (and overruns + 1) when full. */
bool ringbuf_push(struct ringbuf *rb, u8 c);
/* Oldest byte, or -1 when empty. */
int ringbuf_pop(struct ringbuf *rb);
static inline u32 ringbuf_count(const struct ringbuf *rb) { return rb->head - rb->tail; }
static inline bool ringbuf_empty(const struct ringbuf *rb) { return rb->head == rb->tail; }
static inline bool ringbuf_full(const struct ringbuf *rb) { return ringbuf_count(rb) == rb->size; }
void ringbuf_reset(struct ringbuf *rb);
