/* SPDX-License-Identifier: MIT */
/*
 * Reading the tracee's memory with process_vm_readv(2).  Every copy made
 * here is the supervisor's own: decisions and emulated calls use the copy,
 * never the tracee's memory again (THREATS.md class 1).
 */
#include <errno.h>
#include <linux/capability.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "tracer/tracer.h"

#define PAGE 4096UL

/* Reads up to len bytes, stopping at the first unreadable page. */
static ssize_t mem_read_some(pid_t tid, uint64_t addr, void *buf, size_t len)
{
	struct iovec local = { buf, len };
	struct iovec remote = { (void *)(uintptr_t)addr, len };
	ssize_t n = process_vm_readv(tid, &local, 1, &remote, 1, 0);
	uint64_t lent;

	/* with a task's credentials, not dumpable: see cred.c */
	if (n < 0 && errno == EPERM &&
	    (lent = tracer_cred_lend(1ull << CAP_SYS_PTRACE))) {
		n = process_vm_readv(tid, &local, 1, &remote, 1, 0);
		n = n < 0 ? -errno : n;
		tracer_cred_lend_end(lent);
		return n;
	}
	return n < 0 ? -errno : n;
}

int tracer_mem_read(pid_t tid, uint64_t addr, void *buf, size_t len)
{
	ssize_t n;

	if (len == 0)
		return 0;
	n = mem_read_some(tid, addr, buf, len);
	if (n < 0)
		return n == -ESRCH ? -ESRCH : -EFAULT;
	return (size_t)n == len ? 0 : -EFAULT;
}

/*
 * Strings are read a page at a time so that a string ending just before
 * an unmapped page is still read whole.  The first read takes at most
 * MEM_FIRST bytes: most paths end within them, and the rest of the page
 * (2 KiB on average, the kernel's copy of it about a microsecond) would
 * be copied for nothing.
 */
#define MEM_FIRST 256UL

int tracer_mem_string(pid_t tid, uint64_t addr, char *buf, size_t size)
{
	size_t got = 0;

	if (addr == 0)
		return -EFAULT;
	while (got < size) {
		size_t chunk = PAGE - ((addr + got) & (PAGE - 1));
		ssize_t n;
		char *nul;

		if (got == 0 && chunk > MEM_FIRST)
			chunk = MEM_FIRST;
		if (chunk > size - got)
			chunk = size - got;
		n = mem_read_some(tid, addr + got, buf + got, chunk);
		if (n <= 0)
			return n == -ESRCH ? -ESRCH : -EFAULT;
		nul = memchr(buf + got, '\0', n);
		if (nul)
			return 0;
		got += n;
	}
	buf[size - 1] = '\0';
	return -ENAMETOOLONG;
}

/*
 * What was last read of the tracee, to serve several small reads (argv
 * pointers, the strings they point to) with one process_vm_readv.  A
 * window never goes past the end of the page its first byte is on: the
 * reads touch no page that a byte-by-byte reader would not.
 */
struct mem_window {
	uint64_t base;
	size_t len;
	char buf[PAGE];
};

/* Points *at to len bytes of the tracee at addr; 0, or -errno. */
static int window_get(pid_t tid, struct mem_window *w, uint64_t addr,
		      size_t len, const char **at)
{
	ssize_t n;

	if (addr < w->base || addr - w->base + len > w->len) {
		w->base = addr;
		w->len = 0;
		n = mem_read_some(tid, addr, w->buf,
				  PAGE - (addr & (PAGE - 1)));
		if (n < 0)
			return n == -ESRCH ? -ESRCH : -EFAULT;
		w->len = n;
		if (len > w->len)
			return -EFAULT;
	}
	*at = w->buf + (addr - w->base);
	return 0;
}

/* One argv pointer; one that straddles a page is read on its own. */
static int argv_pointer(pid_t tid, struct mem_window *w, uint64_t addr,
			uint64_t *p)
{
	const char *at;
	int err;

	if (PAGE - (addr & (PAGE - 1)) < sizeof(*p))
		return tracer_mem_read(tid, addr, p, sizeof(*p));
	err = window_get(tid, w, addr, sizeof(*p), &at);
	if (!err)
		memcpy(p, at, sizeof(*p));
	return err;
}

/*
 * One argv word into buf: from the window when the whole word is on the
 * page read last (after exec, the strings lie end to end), otherwise as
 * tracer_mem_string() reads it.
 */
static int argv_word(pid_t tid, struct mem_window *w, uint64_t p, char *buf,
		     size_t size)
{
	const char *at, *nul;
	size_t room;

	if (window_get(tid, w, p, 1, &at) == 0) {
		room = w->len - (p - w->base);
		nul = memchr(at, '\0', room < size ? room : size);
		if (nul) {
			memcpy(buf, at, nul - at + 1);
			return 0;
		}
	}
	return tracer_mem_string(tid, p, buf, size);
}

/*
 * The words start from what was read at seen_addr, if anything: an exec
 * reads its path first, and argv[0] is often the same string (execv(p,
 * argv) with argv[0] == p).
 */
static void window_seed(struct mem_window *w, uint64_t seen_addr,
			const char *seen)
{
	size_t n = seen ? strlen(seen) + 1 : 0;

	if (n == 0 || n > sizeof(w->buf))
		return;
	w->base = seen_addr;
	w->len = n;
	memcpy(w->buf, seen, n);
}

int tracer_mem_argv(pid_t tid, uint64_t addr, char *buf, size_t size,
		    size_t *len, uint64_t seen_addr, const char *seen)
{
	struct mem_window ptrs = { 0 }, strs = { 0 };
	size_t used = 0;
	unsigned i;
	int cut = 0;

	*len = 0;
	if (addr == 0)
		return 0;
	window_seed(&strs, seen_addr, seen);
	for (i = 0; i < 65536; i++) {
		uint64_t p;
		int err = argv_pointer(tid, &ptrs, addr + 8 * i, &p);

		if (err)
			return err;
		if (p == 0)
			break;
		if (used + 1 >= size) {
			cut = 1; /* kept argv is a prefix; enough to judge */
			break;
		}
		err = argv_word(tid, &strs, p, buf + used, size - used);
		if (err == -ENAMETOOLONG) {
			used = size;
			cut = 1;
			break;
		}
		if (err)
			return err;
		used += strlen(buf + used) + 1;
	}
	*len = used > size ? size : used;
	return cut;
}

/* Writes back what the kernel would have written (sendmmsg's msg_len). */
int tracer_mem_write(pid_t tid, uint64_t addr, const void *buf, size_t len)
{
	struct iovec local = { (void *)buf, len };
	struct iovec remote = { (void *)(uintptr_t)addr, len };
	ssize_t n = process_vm_writev(tid, &local, 1, &remote, 1, 0);

	return n == (ssize_t)len ? 0 : -EFAULT;
}
