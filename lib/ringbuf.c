/* The byte ring used by the serial receive path (include/kelp/ringbuf.h). */
#include <kelp/ringbuf.h>
#include <kelp/errno.h>

int ringbuf_init(struct ringbuf *rb, u8 *buf, u32 size)
{
	if (!size || (size & (size - 1)))
		return -EINVAL;
	rb->buf = buf;
	rb->size = size;
	ringbuf_reset(rb);
	return 0;
}

void ringbuf_reset(struct ringbuf *rb)
{
	rb->head = rb->tail = 0;
	rb->overruns = 0;
}

bool ringbuf_push(struct ringbuf *rb, u8 c)
{
	if (ringbuf_full(rb)) {
		rb->overruns++;
		return false;
	}
	rb->buf[rb->head & (rb->size - 1)] = c;
	rb->head++;
	return true;
}

int ringbuf_pop(struct ringbuf *rb)
{
	if (ringbuf_empty(rb))
		return -1;
	u8 c = rb->buf[rb->tail & (rb->size - 1)];
	rb->tail++;
	return c;
}
