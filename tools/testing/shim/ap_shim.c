// SPDX-License-Identifier: GPL-2.0
/*
 * ap_shim.c - the runtime behind ap_shim.h: counted printk, malloc-backed
 * kmalloc/vmalloc with failure injection, a deferred-work queue, and the
 * debugfs/seq_file calls the core makes.
 */
#include "ap_shim.h"

unsigned long ap_shim_nr_err;
unsigned long ap_shim_nr_warn;
unsigned long ap_shim_nr_WARN;
int ap_shim_quiet = 1;
__thread int ap_shim_spin_depth;
__thread int ap_shim_nest_held;
__thread int ap_shim_raw_depth;
__thread int ap_shim_hardirq;
__thread unsigned int ap_shim_task_flags;
__thread gfp_t ap_shim_last_gfp;
__thread unsigned long ap_shim_lock_ops;
long ap_shim_vmalloc_inflight, ap_shim_vmalloc_inflight_max;
__thread unsigned int ap_shim_cpu;
bool (*ap_shim_fail_hook)(size_t size);
long ap_shim_live_allocs;

void ap_shim_printk(int level, const char *fmt, ...)
{
	va_list ap;

	if (level <= 3)
		__atomic_add_fetch(&ap_shim_nr_err, 1, __ATOMIC_RELAXED);
	else if (level == 4)
		__atomic_add_fetch(&ap_shim_nr_warn, 1, __ATOMIC_RELAXED);
	if (ap_shim_quiet && level > 3)
		return;
	if (ap_shim_quiet > 1)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

void ap_shim_lock_violation(const char *what)
{
	fprintf(stderr, "BUG: %s (spinlocks held %d, raw %d, hard IRQ %d)\n",
		what, ap_shim_spin_depth, ap_shim_raw_depth, ap_shim_hardirq);
	abort();
}

void ap_shim_hardirq_enter(void)
{
	ap_shim_hardirq++;
}

void ap_shim_hardirq_exit(void)
{
	assert(ap_shim_hardirq > 0);
	ap_shim_hardirq--;
}

void might_sleep(void)
{
	if (ap_shim_spin_depth)
		ap_shim_lock_violation("sleeping function called with a spinlock held");
	if (ap_shim_hardirq)
		ap_shim_lock_violation("sleeping function called from hard IRQ");
}

/* The slab allocator takes sleeping locks on PREEMPT_RT. */
static void slab_context_check(void)
{
	if (ap_shim_hardirq)
		ap_shim_lock_violation("slab allocator called from hard IRQ (PREEMPT_RT)");
	if (ap_shim_raw_depth)
		ap_shim_lock_violation("slab allocator called under a raw_spinlock_t (PREEMPT_RT)");
}

void *ap_shim_kmalloc(size_t size, gfp_t gfp)
{
	void *p;

	if (gfpflags_allow_blocking(gfp))
		might_sleep();
	slab_context_check();
	ap_shim_last_gfp = current_gfp_context(gfp);
	if (size > AP_SHIM_KMALLOC_MAX) {
		if (!(gfp & __GFP_NOWARN))
			ap_shim_lock_violation("kmalloc() beyond KMALLOC_MAX_SIZE without __GFP_NOWARN (a kernel WARNING)");
		return NULL;
	}
	if (ap_shim_fail_hook && ap_shim_fail_hook(size))
		return NULL;
	p = (gfp & __GFP_ZERO) ? calloc(1, size ? size : 1) : malloc(size ? size : 1);
	if (p)
		__atomic_add_fetch(&ap_shim_live_allocs, 1, __ATOMIC_RELAXED);
	return p;
}

static void *shim_vmalloc(size_t size, bool zero, gfp_t gfp);

/* kvmalloc() falls back to vmalloc(): any size up to INT_MAX may succeed. */
void *ap_shim_kvmalloc(size_t size, gfp_t gfp)
{
	if (size > INT_MAX) {
		if (!(gfp & __GFP_NOWARN))
			ap_shim_lock_violation("kvmalloc() beyond INT_MAX without __GFP_NOWARN (a kernel WARNING)");
		return NULL;
	}
	if (size > AP_SHIM_KMALLOC_MAX)	/* kmalloc() cannot: vmalloc() */
		return shim_vmalloc(size, gfp & __GFP_ZERO, gfp);
	return ap_shim_kmalloc(size, gfp);
}

static void *shim_vmalloc(size_t size, bool zero, gfp_t gfp)
{
	long n, max;
	void *p;

	might_sleep();
	ap_shim_last_gfp = current_gfp_context(gfp);
	if (size > AP_SHIM_TOTALRAM && !(gfp & __GFP_NOWARN))
		ap_shim_lock_violation("vmalloc() beyond the machine's RAM without __GFP_NOWARN (warn_alloc() Call Trace)");
	if (!size || size > AP_SHIM_TOTALRAM)
		return NULL;
	n = __atomic_add_fetch(&ap_shim_vmalloc_inflight, 1, __ATOMIC_SEQ_CST);
	max = __atomic_load_n(&ap_shim_vmalloc_inflight_max, __ATOMIC_RELAXED);
	while (n > max && !__atomic_compare_exchange_n(&ap_shim_vmalloc_inflight_max,
						       &max, n, false,
						       __ATOMIC_SEQ_CST,
						       __ATOMIC_RELAXED))
		;
	/* The hook may sleep to widen the window in which growers overlap. */
	if (ap_shim_fail_hook && ap_shim_fail_hook(size))
		p = NULL;
	else
		/* vmalloc() memory is page aligned; allocators rely on it. */
		p = aligned_alloc(PAGE_SIZE, PAGE_ALIGN(size));
	__atomic_sub_fetch(&ap_shim_vmalloc_inflight, 1, __ATOMIC_SEQ_CST);
	if (!p)
		return NULL;
	if (zero)
		memset(p, 0, size);
	__atomic_add_fetch(&ap_shim_live_allocs, 1, __ATOMIC_RELAXED);
	return p;
}

void *ap_shim_vmalloc(size_t size, bool zero)
{
	return shim_vmalloc(size, zero, GFP_KERNEL);
}

void *ap_shim_vmalloc_gfp(size_t size, gfp_t gfp)
{
	if (!gfpflags_allow_blocking(gfp))
		ap_shim_lock_violation("__vmalloc() without a blocking gfp");
	return shim_vmalloc(size, gfp & __GFP_ZERO, gfp);
}

void ap_shim_vfree(const void *p)
{
	might_sleep();
	ap_shim_free(p);
}

void ap_shim_kfree(const void *p)
{
	slab_context_check();
	ap_shim_free(p);
}

void ap_shim_free(const void *p)
{
	if (!p)
		return;
	__atomic_sub_fetch(&ap_shim_live_allocs, 1, __ATOMIC_RELAXED);
	free((void *)p);
}

/* The pools' poison checks read memory poisoned for ASan (ap_kasan_shim.h). */
__attribute__((no_sanitize_address))
void *memchr_inv(const void *s, int c, size_t n)
{
	const unsigned char *p = s;
	size_t i;

	ap_shim_locked_work(n);
	for (i = 0; i < n; i++)
		if (p[i] != (unsigned char)c)
			return (void *)(p + i);
	return NULL;
}

ssize_t strscpy(char *dst, const char *src, size_t count)
{
	size_t len;

	if (!count)
		return -E2BIG;
	len = strnlen(src, count);
	if (len == count) {
		memcpy(dst, src, count - 1);
		dst[count - 1] = '\0';
		return -E2BIG;
	}
	memcpy(dst, src, len + 1);
	return len;
}

unsigned long find_next_bit(const unsigned long *addr, unsigned long size,
			    unsigned long offset)
{
	for (; offset < size; offset++)
		if (test_bit(offset, addr))
			return offset;
	return size;
}

unsigned long find_next_zero_bit(const unsigned long *addr, unsigned long size,
				 unsigned long offset)
{
	for (; offset < size; offset++)
		if (!test_bit(offset, addr))
			return offset;
	return size;
}

void bitmap_set(unsigned long *map, unsigned int start, unsigned int len)
{
	while (len--)
		__set_bit(start++, map);
}

void bitmap_clear(unsigned long *map, unsigned int start, unsigned int len)
{
	while (len--)
		__clear_bit(start++, map);
}

unsigned int bitmap_weight(const unsigned long *map, unsigned int nbits)
{
	unsigned int i, w = 0;

	for (i = 0; i < nbits; i++)
		w += test_bit(i, map);
	return w;
}

/* Deferred work runs when a test asks, never from inside the caller. */
static pthread_mutex_t work_lock = PTHREAD_MUTEX_INITIALIZER;
static struct work_struct *work_head;

bool schedule_work(struct work_struct *w)
{
	bool queued = false;

	pthread_mutex_lock(&work_lock);
	if (!w->pending) {
		w->pending = true;
		w->next = work_head;
		work_head = w;
		queued = true;
	}
	pthread_mutex_unlock(&work_lock);
	return queued;
}

static bool take_work(struct work_struct *w)
{
	struct work_struct **pp;

	for (pp = &work_head; *pp; pp = &(*pp)->next) {
		if (*pp == w) {
			*pp = w->next;
			w->pending = false;
			return true;
		}
	}
	return false;
}

bool flush_work(struct work_struct *w)
{
	bool found;

	might_sleep();
	pthread_mutex_lock(&work_lock);
	found = take_work(w);
	pthread_mutex_unlock(&work_lock);
	if (found)
		w->func(w);
	return found;
}

bool cancel_work_sync(struct work_struct *w)
{
	bool found;

	pthread_mutex_lock(&work_lock);
	found = take_work(w);
	pthread_mutex_unlock(&work_lock);
	return found;
}

void ap_shim_run_work(void)
{
	struct work_struct *w;

	might_sleep();
	for (;;) {
		pthread_mutex_lock(&work_lock);
		w = work_head;
		if (w)
			take_work(w);
		pthread_mutex_unlock(&work_lock);
		if (!w)
			return;
		w->func(w);
	}
}

int seq_printf(struct seq_file *m, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(m->buf + m->count, m->size - m->count, fmt, ap);
		va_end(ap);
		if (n >= 0 && (size_t)n < m->size - m->count)
			break;
		m->size = m->size ? 2 * m->size : 4096;
		m->buf = realloc(m->buf, m->size);
		assert(m->buf);
	}
	m->count += n;
	return 0;
}

int seq_puts(struct seq_file *m, const char *s)
{
	return seq_printf(m, "%s", s);
}

int single_open(struct file *file, int (*show)(struct seq_file *, void *),
		void *data)
{
	struct seq_file m = { .private = data };
	int ret = show(&m, NULL);

	file->private_data = m.buf;
	return ret;
}

static struct dentry ap_shim_dentry;

struct dentry *debugfs_create_dir(const char *name, struct dentry *parent)
{
	(void)name;
	(void)parent;
	return &ap_shim_dentry;
}

struct dentry *debugfs_create_file(const char *name, umode_t mode,
				   struct dentry *parent, void *data,
				   const struct file_operations *fops)
{
	(void)name;
	(void)mode;
	(void)parent;
	(void)data;
	(void)fops;
	return &ap_shim_dentry;
}

void debugfs_remove_recursive(struct dentry *d)
{
	(void)d;
}
