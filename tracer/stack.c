/* SPDX-License-Identifier: MIT */
/*
 * The user-space call stack of a thread that waits for a decision.
 *
 * The thread sleeps inside the kernel, in the user notification, not in
 * a ptrace stop, so ptrace cannot read its registers; stopping it would
 * abort the call.  What can be read without stopping it (DESIGN.md,
 * "Stacks of a thread that waits for a decision") is its stack pointer
 * and program counter, the last two fields of /proc/PID/task/TID/syscall,
 * and its memory, with process_vm_readv(2).  libunwind's remote interface
 * unwinds from those through caller-supplied accessors, reading the
 * DWARF call frame information (.eh_frame) of the mapped objects, which
 * Debian builds into every binary.  A frame whose CFI computes its frame
 * from the frame pointer (code built with -O0 or -fno-omit-frame-pointer,
 * functions that use alloca) needs that register's value at the call
 * when no inner frame saved it: it is looked for on the stack, as the
 * nearest slot above the frame that holds a frame-pointer record (the
 * caller's frame pointer, then a return address just after a call), and
 * the record says from which frame on the stack rests on that search
 * (stack_scanned_from).  TODO(#4): for such code, stop the thread at the
 * end of its call (ptrace, after the answer) and unwind from all its
 * registers, in a record of its own.
 *
 * Symbols come from the objects' own .symtab, or .dynsym when stripped,
 * read here with bounds checks: the program's files are the program's
 * to craft, and this runs in the supervisor.
 *
 * Everything is paid per recorded stack; nothing is kept between stacks,
 * since the next one may come from another process with other mappings.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libunwind.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "arch/arch.h"
#include "tracer/tracer.h"

#define STACK_MAX_MAPS	1024
#define STACK_SYM_CHUNK 1024 /* symbols read per pread */
#define STACK_PAGE	4096UL
#define STACK_PAGES	32 /* pages of the program's memory kept per stack */
#define STACK_MAX_PH	256
#define STACK_MAX_SH	4096
/*
 * Bounds on the work a program can make its own stack cost: unwind
 * tables and symbol tables are the program's to craft.
 */
#define STACK_MAX_READS	 200000	    /* words read from its memory */
#define STACK_MAX_SYMTAB (64 << 20) /* bytes of one symbol table */
#define STACK_SCAN_BYTES (64 << 10) /* how far to look for the frame pointer */
#define STACK_FRAME_MAX	 (8 << 20)  /* no frame is larger than a stack */

/* An executable mapping of a file, from /proc/PID/maps. */
struct stack_map {
	uint64_t start, end, offset;
	ino_t ino;
	char *path;
	int fd;	  /* opened on first use; -1 not yet, -2 unusable */
	bool elf; /* fd holds a 64-bit ELF file of the native kind */
	Elf64_Ehdr eh;
	Elf64_Phdr *ph; /* eh.e_phnum of them, read with the header */
	Elf64_Shdr *sh; /* eh.e_shnum of them, or NULL */
	off_t size;
};

/* A page of the program's memory, read once per stack. */
struct stack_page {
	uint64_t addr; /* 0: free */
	bool ok;       /* false: unreadable */
	uint8_t data[STACK_PAGE];
};

struct stack_ctx {
	pid_t tid;
	uint64_t sp, pc;
	struct stack_map *maps;
	size_t n_maps;
	struct stack_page *pages; /* STACK_PAGES of them */
	unsigned next_page;	  /* the one to reuse next */
	unsigned long reads;
	/* the frame being stepped: its index and stack pointer */
	size_t frame;
	uint64_t frame_sp;
	/* the frame pointer at the call: 0 not looked for, 1 found, -1 not */
	int fp_state;
	uint64_t fp;
	size_t fp_frame; /* the frame it was looked for from */
};

/*
 * The stack being unwound by this worker (one at a time), for the
 * accessors: libunwind hands them an argument, but not to every call
 * the same one.
 */
static __thread struct stack_ctx *cur;

/* ---- where the thread waits -------------------------------------------- */

/*
 * "NR ARG1 .. ARG6 SP PC" while the thread is in a call; the number must
 * be the call it waits in (anything else: it is no longer waiting).
 */
static int read_regs(pid_t tgid, pid_t tid, int nr, uint64_t *sp, uint64_t *pc)
{
	char path[64], buf[256];
	unsigned long long a[8];
	int got_nr;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/syscall", tgid, tid);
	n = tracer_proc_read(path, buf, sizeof(buf));
	if (n <= 0)
		return n < 0 ? (int)n : -ESRCH;
	if (sscanf(buf, "%d %llx %llx %llx %llx %llx %llx %llx %llx", &got_nr,
		   &a[0], &a[1], &a[2], &a[3], &a[4], &a[5], &a[6],
		   &a[7]) != 9 ||
	    got_nr != nr)
		return -ESRCH;
	*sp = a[6];
	*pc = a[7];
	return 0;
}

static int add_map(struct stack_ctx *c, const char *line)
{
	unsigned long long start, end, off, ino;
	char perms[8];
	int pos = 0;
	struct stack_map *m;

	if (sscanf(line, "%llx-%llx %7s %llx %*x:%*x %llu %n", &start, &end,
		   perms, &off, &ino, &pos) < 5 ||
	    perms[2] != 'x' || line[pos] != '/')
		return 0;
	if (c->n_maps % 64 == 0) {
		m = realloc(c->maps, (c->n_maps + 64) * sizeof(*m));
		if (!m)
			return -ENOMEM;
		c->maps = m;
	}
	m = &c->maps[c->n_maps];
	*m = (struct stack_map){
		.start = start, .end = end, .offset = off, .ino = ino, .fd = -1
	};
	m->path = strndup(line + pos, strcspn(line + pos, "\n"));
	if (!m->path)
		return -ENOMEM;
	c->n_maps++;
	return 0;
}

/* The executable mappings of files: where code can come from. */
static int read_maps(struct stack_ctx *c, pid_t tgid)
{
	char path[64], *line = NULL;
	size_t cap = 0;
	FILE *f;
	int err = 0;

	snprintf(path, sizeof(path), "/proc/%d/maps", tgid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (!err && c->n_maps < STACK_MAX_MAPS &&
	       getline(&line, &cap, f) > 0)
		err = add_map(c, line);
	free(line);
	fclose(f);
	return err;
}

static struct stack_map *map_of(struct stack_ctx *c, uint64_t pc)
{
	size_t i;

	for (i = 0; i < c->n_maps; i++)
		if (pc >= c->maps[i].start && pc < c->maps[i].end)
			return &c->maps[i];
	return NULL;
}

static bool in_file(const struct stack_map *m, uint64_t off, uint64_t len)
{
	return off <= (uint64_t)m->size && len <= (uint64_t)m->size - off;
}

/* Reads n entries of size each at off, whole and inside the file. */
static void *read_table(const struct stack_map *m, uint64_t off, size_t n,
			size_t size)
{
	void *t;

	if (n == 0 || !in_file(m, off, (uint64_t)n * size))
		return NULL;
	t = malloc(n * size);
	if (t && pread(m->fd, t, n * size, off) != (ssize_t)(n * size)) {
		free(t);
		t = NULL;
	}
	return t;
}

/* A 64-bit ELF file of the native kind, with its headers; or false. */
static bool read_elf(struct stack_map *m)
{
	if (pread(m->fd, &m->eh, sizeof(m->eh), 0) != sizeof(m->eh) ||
	    memcmp(m->eh.e_ident, ELFMAG, SELFMAG) ||
	    m->eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    m->eh.e_phentsize != sizeof(Elf64_Phdr) ||
	    m->eh.e_phnum > STACK_MAX_PH)
		return false;
	m->ph = read_table(m, m->eh.e_phoff, m->eh.e_phnum, sizeof(*m->ph));
	if (!m->ph)
		return false;
	/* no section headers: no symbols, but unwind tables still */
	if (m->eh.e_shentsize == sizeof(Elf64_Shdr) &&
	    m->eh.e_shnum <= STACK_MAX_SH)
		m->sh = read_table(m, m->eh.e_shoff, m->eh.e_shnum,
				   sizeof(*m->sh));
	return true;
}

/*
 * Opens the mapped file, if it still is what was mapped.  The name in
 * /proc/PID/maps is the program's to choose, and not exact (a newline
 * shows as the text "\012", which another name may hold), so it is only
 * looked up: O_PATH, no symlinks, which opens no device or FIFO; the
 * object is read only once it is a regular file with the mapping's
 * inode.  A wrong file costs a stack its names, never the supervisor:
 * what is read from it is bounds-checked.
 */
static bool map_open(struct stack_map *m)
{
	struct open_how how = {
		.flags = O_PATH | O_CLOEXEC,
		.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	char self[64];
	struct stat st;
	int fd;

	if (m->fd != -1)
		return m->fd >= 0;
	m->fd = -2;
	if (strstr(m->path, " (deleted)"))
		return false;
	fd = syscall(SYS_openat2, AT_FDCWD, m->path, &how, sizeof(how));
	if (fd < 0)
		return false;
	/* not the device: maps names overlayfs' and btrfs' files by their
	 * lower file system's, stat by their own */
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_ino != m->ino) {
		close(fd);
		return false;
	}
	snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
	/* a write lease on it must not hold the caller (open.c, leases) */
	m->fd = open(self, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	close(fd);
	if (m->fd < 0) {
		m->fd = -2;
		return false;
	}
	m->size = st.st_size;
	m->elf = read_elf(m);
	return true;
}

static void ctx_free(struct stack_ctx *c)
{
	size_t i;

	for (i = 0; i < c->n_maps; i++) {
		if (c->maps[i].fd >= 0)
			close(c->maps[i].fd);
		free(c->maps[i].ph);
		free(c->maps[i].sh);
		free(c->maps[i].path);
	}
	free(c->maps);
	free(c->pages);
}

/* ---- the program's memory ------------------------------------------------ */

/*
 * Unwinding reads a word at a time, the stack and the unwind tables: a
 * page read whole serves the words around it without another
 * process_vm_readv(2), whose cost is mostly its own.
 */
static struct stack_page *page_of(struct stack_ctx *c, uint64_t addr)
{
	uint64_t base = addr & ~(STACK_PAGE - 1);
	struct stack_page *p;
	unsigned i;

	for (i = 0; i < STACK_PAGES; i++)
		if (c->pages[i].addr == base)
			return &c->pages[i];
	p = &c->pages[c->next_page++ % STACK_PAGES];
	p->addr = base;
	p->ok = tracer_mem_read(c->tid, base, p->data, STACK_PAGE) == 0;
	return p;
}

/* Copies len bytes at addr; 0 or -EFAULT. */
static int mem_read(struct stack_ctx *c, uint64_t addr, void *buf, size_t len)
{
	uint8_t *out = buf;

	if (++c->reads > STACK_MAX_READS)
		return -EFAULT;
	while (len > 0) {
		struct stack_page *p = page_of(c, addr);
		size_t at = addr & (STACK_PAGE - 1);
		size_t n = STACK_PAGE - at < len ? STACK_PAGE - at : len;

		if (!p->ok || addr == 0)
			return -EFAULT;
		memcpy(out, p->data + at, n);
		out += n;
		addr += n;
		len -= n;
	}
	return 0;
}

/* ---- ELF: what libunwind assumes, and symbols --------------------------- */

/*
 * The binary search table of .eh_frame_hdr, which libunwind searches for
 * the frame description of a pc.  Checked here in the file: a table
 * libunwind does not know makes it abort(), so a crafted object costs
 * its stack, never the supervisor.
 */
struct stack_cfi {
	uint64_t hdr_vaddr; /* .eh_frame_hdr's ELF address */
	uint64_t fde_count; /* entries of 8 bytes, after a 12-byte header */
};

static bool cfi_read(const struct stack_map *m, struct stack_cfi *cfi)
{
	const Elf64_Phdr *ph;
	unsigned char hdr[12];
	uint32_t count;
	unsigned i;

	for (i = 0; i < m->eh.e_phnum; i++) {
		ph = &m->ph[i];
		if (ph->p_type != PT_GNU_EH_FRAME)
			continue;
		if (!in_file(m, ph->p_offset, ph->p_filesz) ||
		    ph->p_filesz < sizeof(hdr) ||
		    pread(m->fd, hdr, sizeof(hdr), ph->p_offset) != sizeof(hdr))
			return false;
		/* version 1; a 4-byte .eh_frame pointer; a udata4 count;
		 * entries datarel | sdata4 */
		if (hdr[0] != 1 || (hdr[1] & 0x0f) != 0x0b || hdr[2] != 0x03 ||
		    hdr[3] != 0x3b)
			return false;
		memcpy(&count, hdr + 8, sizeof(count));
		if (count == 0 ||
		    (uint64_t)count * 8 > ph->p_filesz - sizeof(hdr))
			return false;
		cfi->hdr_vaddr = ph->p_vaddr;
		cfi->fde_count = count;
		return true;
	}
	return false;
}

/* Where the object's ELF address 0 lies in the program's memory. */
static bool load_bias(const struct stack_map *m, uint64_t *bias)
{
	const Elf64_Phdr *ph;
	unsigned i;

	for (i = 0; i < m->eh.e_phnum; i++) {
		ph = &m->ph[i];
		if (ph->p_type == PT_LOAD && m->offset >= ph->p_offset &&
		    m->offset - ph->p_offset < ph->p_filesz) {
			*bias = m->start - m->offset + ph->p_offset -
				ph->p_vaddr;
			return true;
		}
	}
	return false;
}

/* The ELF address of pc: what addr2line and objdump use; 0 if none. */
static uint64_t elf_addr(const struct stack_map *m, uint64_t pc)
{
	uint64_t off = pc - m->start + m->offset;
	const Elf64_Phdr *ph;
	unsigned i;

	for (i = 0; i < m->eh.e_phnum; i++) {
		ph = &m->ph[i];
		if (ph->p_type == PT_LOAD && off >= ph->p_offset &&
		    off - ph->p_offset < ph->p_filesz)
			return off - ph->p_offset + ph->p_vaddr;
	}
	return 0;
}

/* A frame to name: the ELF address to look up, and what holds it. */
struct stack_want {
	struct tracer_frame *f;
	uint64_t addr;
	Elf64_Sym sym;
	bool found;
};

static bool holds(const Elf64_Sym *s, uint64_t addr)
{
	int type = ELF64_ST_TYPE(s->st_info);

	return (type == STT_FUNC || type == STT_GNU_IFUNC) &&
	       s->st_shndx != SHN_UNDEF && addr >= s->st_value &&
	       addr - s->st_value < s->st_size;
}

/* One pass over the symbol table sh for every frame in the object. */
static void find_syms(const struct stack_map *m, const Elf64_Shdr *sh,
		      struct stack_want *w, size_t n_want)
{
	uint64_t n = sh->sh_size / sizeof(Elf64_Sym), i, k, got;
	Elf64_Sym *syms;
	size_t j;

	if (!in_file(m, sh->sh_offset, sh->sh_size) ||
	    sh->sh_size > STACK_MAX_SYMTAB)
		return;
	syms = malloc(STACK_SYM_CHUNK * sizeof(*syms));
	if (!syms)
		return;
	for (i = 0; i < n; i += got) {
		got = n - i < STACK_SYM_CHUNK ? n - i : STACK_SYM_CHUNK;
		if (pread(m->fd, syms, got * sizeof(*syms),
			  sh->sh_offset + i * sizeof(*syms)) !=
		    (ssize_t)(got * sizeof(*syms)))
			break;
		for (k = 0; k < got; k++)
			for (j = 0; j < n_want; j++)
				if (!w[j].found && holds(&syms[k], w[j].addr)) {
					w[j].sym = syms[k];
					w[j].found = true;
				}
	}
	free(syms);
}

/* Writes "name+0xN" for a symbol found in table sh. */
static void sym_text(const struct stack_map *m, const Elf64_Shdr *sh,
		     struct stack_want *w)
{
	const Elf64_Shdr *strtab;
	char name[128];
	ssize_t n;

	if (sh->sh_link >= m->eh.e_shnum)
		return;
	strtab = &m->sh[sh->sh_link];
	if (!in_file(m, strtab->sh_offset, strtab->sh_size) ||
	    w->sym.st_name >= strtab->sh_size)
		return;
	n = pread(m->fd, name, sizeof(name) - 1,
		  strtab->sh_offset + w->sym.st_name);
	if (n <= 0)
		return;
	name[n] = '\0';
	snprintf(w->f->sym, sizeof(w->f->sym), "%s+0x%" PRIx64, name,
		 w->addr - w->sym.st_value);
}

/*
 * Names the frames in one object: from .symtab, and from .dynsym what
 * .symtab lacks (a stripped object has only the latter).
 */
static void symbolize(const struct stack_map *m, struct stack_want *w, size_t n)
{
	static const unsigned types[] = { SHT_SYMTAB, SHT_DYNSYM };
	unsigned t, i;
	size_t j;

	for (t = 0; t < 2 && m->sh; t++) {
		for (i = 0; i < m->eh.e_shnum; i++)
			if (m->sh[i].sh_type == types[t])
				break;
		if (i == m->eh.e_shnum)
			continue;
		find_syms(m, &m->sh[i], w, n);
		for (j = 0; j < n; j++)
			if (w[j].found && !w[j].f->sym[0])
				sym_text(m, &m->sh[i], &w[j]);
	}
}

/* ---- the frame pointer, found on the stack ------------------------------ */

/*
 * A frame-pointer record at slot at: the caller's frame pointer (0 in the
 * outermost frame, else further up the stack), then a return address
 * into mapped code, just after a call instruction.
 */
static bool fp_record(struct stack_ctx *c, uint64_t at, uint64_t saved,
		      uint64_t ret)
{
	uint8_t code[8];

	if (saved != 0 && (saved <= at || saved - at > STACK_FRAME_MAX))
		return false;
	return map_of(c, ret) && ret > 8 &&
	       mem_read(c, ret - 8, code, sizeof(code)) == 0 &&
	       arch_follows_call(code);
}

/*
 * The frame pointer of the frame being stepped: the first record above
 * its stack pointer.  Its locals lie between the two, and hold such a
 * pair only by a rare accident, which the record flags as a search.
 */
static int scan_fp(struct stack_ctx *c, uint64_t *fp)
{
	uint64_t at, w[2];

	for (at = c->frame_sp; at - c->frame_sp < STACK_SCAN_BYTES; at += 8) {
		if (mem_read(c, at, w, sizeof(w)) < 0)
			return -ENOENT; /* the end of the stack */
		if (fp_record(c, at, w[0], w[1])) {
			*fp = at;
			return 0;
		}
	}
	return -ENOENT;
}

static int frame_pointer(struct stack_ctx *c, uint64_t *val)
{
	if (c->fp_state == 0) {
		c->fp_state = scan_fp(c, &c->fp) == 0 ? 1 : -1;
		c->fp_frame = c->frame;
	}
	*val = c->fp;
	return c->fp_state > 0 ? 0 : -UNW_EBADREG;
}

/* ---- libunwind's accessors ---------------------------------------------- */

/* Exported by libunwind but not declared in its headers (perf, too,
 * declares it itself): the search of one object's table, through the
 * accessors. */
extern int UNW_OBJ(dwarf_search_unwind_table)(unw_addr_space_t as,
					      unw_word_t ip, unw_dyn_info_t *di,
					      unw_proc_info_t *pi,
					      int need_unwind_info, void *arg);

/*
 * The table is read from the program's memory, where the object is
 * mapped, through acc_access_mem: libunwind's own finder (_UPT) opens
 * the object again by its name in /proc/PID/maps, which a program can
 * point at a FIFO whose open never returns.
 */
static int acc_find_proc_info(unw_addr_space_t as, unw_word_t ip,
			      unw_proc_info_t *pi, int need_unwind_info,
			      void *arg)
{
	struct stack_map *m = map_of(cur, ip);
	struct stack_cfi cfi;
	unw_dyn_info_t di;
	uint64_t bias;

	if (!m || !map_open(m) || !m->elf || !cfi_read(m, &cfi) ||
	    !load_bias(m, &bias))
		return -UNW_ENOINFO;

	memset(&di, 0, sizeof(di));
	di.format = UNW_INFO_FORMAT_REMOTE_TABLE;
	di.start_ip = m->start;
	di.end_ip = m->end;
	di.u.rti.segbase = bias + cfi.hdr_vaddr;
	di.u.rti.table_data = di.u.rti.segbase + 12;
	di.u.rti.table_len = cfi.fde_count * 8 / sizeof(unw_word_t);
	return UNW_OBJ(dwarf_search_unwind_table)(as, ip, &di, pi,
						  need_unwind_info, arg);
}

/* What the search gave is libunwind's malloc(). */
static void acc_put_unwind_info(unw_addr_space_t as, unw_proc_info_t *pi,
				void *arg)
{
	free(pi->unwind_info);
	pi->unwind_info = NULL;
}

/*
 * The list where JIT compilers register code with libunwind lives in the
 * program's memory: proctor does not follow it.
 */
static int acc_get_dyn_info_list_addr(unw_addr_space_t as, unw_word_t *dilap,
				      void *arg)
{
	return -UNW_ENOINFO;
}

static int acc_access_mem(unw_addr_space_t as, unw_word_t addr, unw_word_t *val,
			  int write, void *arg)
{
	if (write)
		return -UNW_EINVAL;
	return mem_read(cur, addr, val, sizeof(*val)) ? -UNW_EINVAL : 0;
}

static int acc_access_reg(unw_addr_space_t as, unw_regnum_t reg,
			  unw_word_t *val, int write, void *arg)
{
	const struct arch_desc *a = arch_native();

	if (write)
		return -UNW_EREADONLYREG;
	if (reg == a->unw_sp)
		*val = cur->sp;
	else if (reg == a->unw_pc)
		*val = cur->pc;
	else if (reg == a->unw_fp)
		return frame_pointer(cur, val);
	else
		return -UNW_EBADREG; /* not readable while the call waits */
	return 0;
}

static int acc_access_fpreg(unw_addr_space_t as, unw_regnum_t reg,
			    unw_fpreg_t *val, int write, void *arg)
{
	return -UNW_EBADREG;
}

static int acc_resume(unw_addr_space_t as, unw_cursor_t *c, void *arg)
{
	return -UNW_EINVAL;
}

/* Names come from symbolize(), after the walk. */
static int acc_get_proc_name(unw_addr_space_t as, unw_word_t addr, char *buf,
			     size_t len, unw_word_t *off, void *arg)
{
	return -UNW_ENOINFO;
}

static unw_accessors_t accessors = {
	.find_proc_info = acc_find_proc_info,
	.put_unwind_info = acc_put_unwind_info,
	.get_dyn_info_list_addr = acc_get_dyn_info_list_addr,
	.access_mem = acc_access_mem,
	.access_reg = acc_access_reg,
	.access_fpreg = acc_access_fpreg,
	.resume = acc_resume,
	.get_proc_name = acc_get_proc_name,
};

/* ---- the walk ------------------------------------------------------------ */

static const char *why_cut(int err)
{
	switch (-err) {
	case UNW_EBADREG:
		return "a frame needs a register that cannot be read while "
		       "the call waits, and it was not found on the stack";
	case UNW_ENOINFO:
		return "no unwind information";
	case UNW_EINVALIDIP:
	case UNW_EBADFRAME:
	case UNW_EINVAL:
		return "a frame could not be read";
	default:
		return "unwinding failed";
	}
}

/* Fills the program counters of s, innermost first. */
static void walk(struct stack_ctx *c, struct tracer_stack *s)
{
	unw_addr_space_t as = unw_create_addr_space(&accessors, 0);
	unw_cursor_t cursor;
	unw_word_t ip, sp;
	int r = 0;

	if (!as || unw_init_remote(&cursor, as, c) < 0) {
		s->cut = "unwinding could not start";
		goto out;
	}
	do {
		if (unw_get_reg(&cursor, UNW_REG_IP, &ip) < 0 || ip == 0 ||
		    unw_get_reg(&cursor, UNW_REG_SP, &sp) < 0)
			break;
		c->frame = s->n;
		c->frame_sp = sp;
		s->f[s->n++].pc = ip;
		r = unw_step(&cursor);
	} while (r > 0 && s->n < TRACER_STACK_MAX);
	if (r < 0)
		s->cut = why_cut(r);
	else if (r > 0)
		s->cut = "more frames than are kept";
	/* the frames above the one that needed the search rest on it */
	if (c->fp_state > 0 && c->fp_frame + 1 < s->n)
		s->scanned_from = c->fp_frame + 1;
out:
	if (as)
		unw_destroy_addr_space(as);
}

/*
 * Names each frame, an object at a time.  A caller's pc is a return
 * address, which may lie past the end of its function (a call to a
 * function that does not return): it is looked up one byte before.
 */
static void name_frames(struct stack_ctx *c, struct tracer_stack *s)
{
	struct stack_want w[TRACER_STACK_MAX];
	struct stack_map *m;
	size_t i, k, n;

	for (i = 0; i < s->n; i++) {
		m = map_of(c, i ? s->f[i].pc - 1 : s->f[i].pc);
		if (m)
			snprintf(s->f[i].obj, sizeof(s->f[i].obj), "%s",
				 m->path);
	}
	for (k = 0; k < c->n_maps; k++) {
		m = &c->maps[k];
		for (i = 0, n = 0; i < s->n; i++) {
			uint64_t look = i ? s->f[i].pc - 1 : s->f[i].pc;

			if (look < m->start || look >= m->end || !map_open(m) ||
			    !m->elf)
				continue;
			s->f[i].off = elf_addr(m, s->f[i].pc);
			w[n] = (struct stack_want){ .f = &s->f[i],
						    .addr = elf_addr(m, look) };
			n += w[n].addr != 0;
		}
		if (n)
			symbolize(m, w, n);
	}
}

int tracer_stack_capture(pid_t tgid, pid_t tid, int nr, struct tracer_stack *s)
{
	struct stack_ctx c = { .tid = tid };
	int err;

	memset(s, 0, sizeof(*s));
	err = read_regs(tgid, tid, nr, &c.sp, &c.pc);
	if (err)
		return err;
	err = read_maps(&c, tgid);
	if (err) {
		ctx_free(&c);
		return err;
	}
	c.pages = calloc(STACK_PAGES, sizeof(*c.pages));
	if (!c.pages) {
		ctx_free(&c);
		return -ENOMEM;
	}
	cur = &c;
	walk(&c, s);
	name_frames(&c, s);
	cur = NULL;
	ctx_free(&c);
	return 0;
}
