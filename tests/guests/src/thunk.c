/* thunk.c: the freestanding thunk test program (own _start, raw system
 * calls, no libc). Its guest heap sits on memory from brk, carved by the
 * tiny allocator below, and is registered with minemu as the guest's heap;
 * the checks are in thunkcheck.h. Needs minemu (the stubs are 0F 3F).
 */
#include "rt.h"
#include <stddef.h>
#include <stdint.h>

#ifdef __x86_64__
#define NR_brk 12
#else
#define NR_brk 45
#endif

static void say(const char *s) { puts_(s); }
static void say_dec(long v) { putdec(v); }

/* The raw allocator: 16-byte size classes up to 1 KiB, each with a free
 * list; a chunk has a 16-byte prefix holding its class. Memory comes from
 * brk in 64 KiB steps. Larger requests fail. */
#define RAW_CLASSES 64
#define RAW_STEP 65536

static uintptr_t raw_cur, raw_end;
static void *raw_freelist[RAW_CLASSES + 1];

static void *raw_alloc(size_t n)
{
	size_t cls = (n + 15) / 16;
	uintptr_t *c;
	if (cls == 0)
		cls = 1;
	if (cls > RAW_CLASSES)
		return 0;
	if (raw_freelist[cls]) {
		c = raw_freelist[cls];
		raw_freelist[cls] = (void *)c[1];
		return (char *)c + 16;
	}
	if (raw_end - raw_cur < 16 + cls * 16) {
		uintptr_t base = raw_end;
		if (!base)
			base = (uintptr_t)sys3(NR_brk, 0, 0, 0);
		base = (base + 15) & ~(uintptr_t)15;
		if ((uintptr_t)sys3(NR_brk, (long)(base + RAW_STEP), 0, 0) != base + RAW_STEP)
			return 0;
		raw_cur = base;
		raw_end = base + RAW_STEP;
	}
	c = (uintptr_t *)raw_cur;
	raw_cur += 16 + cls * 16;
	c[0] = cls;
	return (char *)c + 16;
}

static void raw_free(void *p)
{
	uintptr_t *c = (uintptr_t *)((char *)p - 16);
	c[1] = (uintptr_t)raw_freelist[c[0]];
	raw_freelist[c[0]] = c;
}

#include "thunkcheck.h"

int main(int argc, char **argv, char **envp)
{
	say("thunk freestanding " ARCH "\n");
	return thunk_main();
}
