/* SPDX-License-Identifier: MIT */
/*
 * With TLS interception on (#8), the stat of a CApath lookup.  OpenSSL's
 * by_dir looks a CA up as DIR/HASH.N: it stats the name and opens it
 * only when the stat succeeds.  proctor's CA has no such file, so for
 * the name it serves (intercept.c) the stat is answered here, as a
 * read-only file of the CA's size, and the open that follows is served
 * the CA (open.c).  Every other stat goes on in the kernel at once.
 *
 * The filter sends these calls only while interception is on
 * (tracer_filter_compile): a run without it pays nothing.  The content
 * is proctor's own, not a file, so there is nothing to swap between the
 * stat and the open; a name that exists is never emulated.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "tracer/intercept.h"
#include "tracer/tracer.h"

/*
 * glibc's stat() is newfstatat(dirfd, path, buf, 0) on x86_64 (2.33+),
 * stat(2) before; the filter takes newfstatat only with flags 0.
 */
static const char *const stat_calls[] = { "newfstatat", "stat" };

const char *tracer_ca_stat_call(size_t i)
{
	if (i >= sizeof(stat_calls) / sizeof(*stat_calls))
		return NULL;
	return stat_calls[i];
}

void tracer_on_ca_stat(struct tracer_req *r)
{
	const struct tracer_ca *ca = r->sup->o->ca;
	bool at = !strcmp(r->name, "newfstatat");
	int dirfd = at ? (int)r->args[0] : AT_FDCWD;
	uint64_t buf = r->args[at ? 2 : 1];
	const char *last;
	struct tracer_path p;
	char path[4096];
	struct stat st;
	int err;

	r->cont = true;
	/* the kernel reads flags as an int, as the filter does */
	if (!ca || (at && (int)r->args[3] != 0) ||
	    tracer_mem_string(r->tid, r->args[at ? 1 : 0], path, sizeof(path)) <
		    0)
		return;
	last = strrchr(path, '/');
	if (!tracer_ca_hashed_name(ca, last ? last + 1 : path))
		return;
	if (tracer_path_resolve(r->tid, r->tgid, dirfd, path,
				TRACER_PATH_FOLLOW, &p) < 0)
		return;
	if (!p.exists && p.magic < 0 &&
	    tracer_ca_hashed_serves(ca, p.parent, p.path, p.name) &&
	    tracer_ca_hashed_stat(ca, &st) == 0 && tracer_req_valid(r)) {
		err = tracer_mem_write(r->tid, buf, &st, sizeof(st));
		r->cont = false;
		r->err = err ? EFAULT : 0;
		r->val = 0;
	}
	tracer_path_release(&p);
}
