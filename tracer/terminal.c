/* SPDX-License-Identifier: MIT */
/*
 * Questions on proctor's terminal (#6).  The terminal is the user's,
 * shared with the program, so while a question is on it:
 * - the program's tree is held still (SIGSTOP to every thread, SIGCONT
 *   after): nothing can draw over the question or read the keys, even a
 *   program that blocks SIGTTOU;
 * - proctor's process group has the terminal's foreground, with TOSTOP
 *   set: a process that touches the terminal anyway stops (SIGTTIN,
 *   SIGTTOU) until the question is answered;
 * - input typed before the question is discarded (tcflush), so neither
 *   type-ahead nor bytes pushed with TIOCSTI (refused by the filter
 *   anyway) can answer it;
 * - every string shown is stripped of control, escape and bidi bytes.
 * (THREATS.md 19 and 20.)  The questions themselves live in prompt.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "tracer/prompt_int.h"
#include "tracer/tracer.h"

struct text {
	char s[16384];
	size_t len;
};

static void add(struct text *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void add(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->len >= sizeof(t->s))
		return;
	va_start(ap, fmt);
	n = vsnprintf(t->s + t->len, sizeof(t->s) - t->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		t->len += (size_t)n < sizeof(t->s) - t->len
				  ? (size_t)n
				  : sizeof(t->s) - t->len - 1;
}

static void write_text(int fd, const struct text *t)
{
	size_t o = 0;
	ssize_t n;

	while (o < t->len) {
		n = write(fd, t->s + o, t->len - o);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		o += n;
	}
}

static const char *verb(const char *what)
{
	if (!strcmp(what, "read"))
		return "READ";
	if (!strcmp(what, "write"))
		return "WRITE";
	if (!strcmp(what, "exec"))
		return "RUN";
	if (!strcmp(what, "connect"))
		return "CONNECT TO";
	if (!strcmp(what, "resolve"))
		return "RESOLVE";
	return "DO";
}

/*
 * The question.  Every string from the program goes through
 * tracer_printable_ex: an escape sequence in a file name is shown as
 * "\x1b[2J", not obeyed.  A line of its own starts it, so a half-written
 * line of the program's cannot run into it, and the drawing state the
 * program left is reset first (the ASCII character set, plain visible
 * attributes, a visible cursor): concealed or black-on-black text, or the
 * line-drawing set, would hide the question behind a fake one.
 */
void tracer_prompt_render(int fd, const struct tracer_ask_facts *f, int index,
			  int count, bool details)
{
	char a[4200], b[1100], c[720], comm[80];
	struct text t;

	t.len = 0;
	tracer_printable_ex(comm, sizeof(comm), f->comm[0] ? f->comm : "?",
			    TRACER_PRINT_ESCAPE);
	tracer_printable_ex(b, sizeof(b), f->cmdline, TRACER_PRINT_ESCAPE);
	add(&t,
	    "\x0f\x1b(B\x1b[0m\x1b[?25h\r\n"
	    "=== proctor asks (question %d of %d, #%llu) ===\r\n",
	    index, count, (unsigned long long)f->id);
	add(&t, "  program:  %s (pid %d): %s\r\n", comm, f->pid, b);
	if (f->command[0]) {
		tracer_printable_ex(b, sizeof(b), f->command,
				    TRACER_PRINT_ESCAPE);
		tracer_printable_ex(a, sizeof(a), f->object,
				    TRACER_PRINT_ESCAPE);
		add(&t, "  wants to: RUN %s\r\n            (%s)\r\n", b, a);
	} else {
		tracer_printable_ex(a, sizeof(a), f->object,
				    TRACER_PRINT_ESCAPE);
		add(&t, "  wants to: %s %s\r\n", verb(f->what), a);
	}
	tracer_printable_ex(c, sizeof(c), f->rule, TRACER_PRINT_ESCAPE);
	add(&t, "  rule:     %s\r\n", c);
	if (f->grant[0]) {
		tracer_printable_ex(c, sizeof(c), f->grant,
				    TRACER_PRINT_ESCAPE);
		add(&t, "  grant:    %s, for it and what it starts\r\n", c);
	}
	if (f->timeout)
		add(&t, "  (no answer in %d s: deny)\r\n", f->timeout);
	add(&t,
	    "  [y] allow once  [r] allow for this run  [A] allow always\r\n"
	    "  [n] deny once   [D] deny always%s\r\n"
	    "proctor> ",
	    details ? "         [i] details" : "");
	write_text(fd, &t);
}

/* The stack of the thread that asks, unwound while it waits (stack.c). */
static void add_stack(struct text *t, const struct tracer_ask_facts *f)
{
	struct tracer_stack s;
	char sym[160], obj[300];
	size_t i;

	if (tracer_stack_capture(f->pid, f->tid, f->nr, &s) < 0 || !s.n) {
		add(t, "  no stack of thread %d\r\n", f->tid);
		return;
	}
	add(t, "  stack of thread %d:\r\n", f->tid);
	for (i = 0; i < s.n; i++) {
		tracer_printable_ex(sym, sizeof(sym), s.f[i].sym,
				    TRACER_PRINT_ESCAPE);
		tracer_printable_ex(obj, sizeof(obj), s.f[i].obj,
				    TRACER_PRINT_ESCAPE);
		add(t, "    #%zu 0x%llx %s%s%s%s\r\n", i,
		    (unsigned long long)s.f[i].pc, sym, obj[0] ? " (" : "", obj,
		    obj[0] ? ")" : "");
	}
	if (s.cut)
		add(t, "    (%s)\r\n", s.cut);
}

/* The parent chain, and the asking thread's stack. */
static void render_details(int fd, const struct tracer_ask_facts *f)
{
	struct text t;
	struct tracer_who w;
	char line[600];
	pid_t pid = f->pid;
	int i;

	t.len = 0;
	add(&t, "\r\n  process chain (the asking one first):\r\n");
	for (i = 0; i < 16 && pid > 0 && tracer_proc_in_tree(pid); i++) {
		tracer_proc_who(pid, &w);
		tracer_printable_ex(line, sizeof(line), w.cmdline,
				    TRACER_PRINT_ESCAPE);
		add(&t, "    %d  %s\r\n", pid, line);
		pid = w.ppid;
	}
	add(&t, "    %d  proctor\r\n", getpid());
	add_stack(&t, f);
	add(&t, "proctor> ");
	write_text(fd, &t);
}

struct pidset {
	pid_t *v;
	size_t n, cap;
};

/*
 * The processes the prompt stopped (held, to continue them after) and
 * the stops it still expects to hear of from the ptrace thread.
 */
static struct {
	pthread_mutex_t lock;
	struct pidset held, expect;
	bool frozen;		/* the tree is held still */
	struct timespec thawed; /* when it was let go */
	bool holding;		/* a question holds the terminal */
	struct termios saved;	/* the terminal's settings before it */
	pid_t saved_pgrp;	/* and its foreground group */
} hold = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void pid_add(struct pidset *s, pid_t pid)
{
	pid_t *p;
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->v[i] == pid)
			return;
	if (s->n == s->cap) {
		p = realloc(s->v, (s->cap * 2 + 16) * sizeof(*p));
		if (!p)
			return;
		s->v = p;
		s->cap = s->cap * 2 + 16;
	}
	s->v[s->n++] = pid;
}

/* Every task goes in expect, each process's leader in held. */
static void collect(struct tracer_proc *p, void *arg)
{
	(void)arg;
	pid_add(&hold.expect, p->tid);
	if (p->tid == p->tgid)
		pid_add(&hold.held, p->tid);
}

static double since(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t->tv_sec) + (now.tv_nsec - t->tv_nsec) / 1e9;
}

/* 'T' or 't' in /proc/TID/stat: stopped, or in a ptrace stop. */
static bool stopped(pid_t tid)
{
	char path[64], buf[512], *p;
	int fd = -1;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return true; /* gone */
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	p = strrchr(buf, ')');
	return !p || p[1] == '\0' || p[2] == 'T' || p[2] == 't' ||
	       p[2] == 'Z' || p[2] == 'X';
}

/*
 * Stops every thread of the tree, and waits a little for them to stop: a
 * write to the terminal under way when the signal came ends before the
 * question is drawn.  The signal goes to each thread (tgkill), not to
 * the process: the kernel wakes one thread for a process's signal, and
 * one that sleeps in a read of the terminal meanwhile would wake for the
 * first key typed and take it.  The asking thread waits for us and does
 * not stop.
 */
static void freeze(pid_t asker)
{
	pid_t tgid;
	size_t i;
	int tries;

	pthread_mutex_lock(&hold.lock);
	hold.frozen = true;
	hold.held.n = 0;
	hold.expect.n = 0; /* a stop still expected was cancelled */
	tracer_proc_lock();
	tracer_proc_each(collect, NULL);
	tracer_proc_unlock();
	for (i = 0; i < hold.expect.n; i++) {
		tgid = tracer_proc_tgid(hold.expect.v[i]);
		syscall(SYS_tgkill, tgid, hold.expect.v[i], SIGSTOP);
	}
	pthread_mutex_unlock(&hold.lock);

	for (tries = 0; tries < 20; tries++) {
		bool all = true;

		pthread_mutex_lock(&hold.lock);
		for (i = 0; i < hold.expect.n && all; i++)
			all = hold.expect.v[i] == asker ||
			      stopped(hold.expect.v[i]);
		pthread_mutex_unlock(&hold.lock);
		if (all)
			break;
		usleep(5000);
	}
}

/* How many of pid's ancestors the tree holds; with the table locked. */
static int depth(pid_t pid)
{
	struct tracer_proc *p = tracer_proc_find(pid);
	int d = 0;

	while (p && d < 256 && (p = tracer_proc_find(p->ppid)))
		d++;
	return d;
}

static int deeper_first(const void *a, const void *b)
{
	const pid_t *x = a, *y = b;

	return depth(*y) - depth(*x);
}

/*
 * Continues what the prompt stopped, children before their parents: a
 * shell waiting for its job must not find it still stopped when it wakes
 * and report "Stopped" (the stop is gone for waitpid once continued).
 */
static void thaw(void)
{
	size_t i;

	pthread_mutex_lock(&hold.lock);
	hold.frozen = false;
	clock_gettime(CLOCK_MONOTONIC, &hold.thawed);
	tracer_proc_lock();
	qsort(hold.held.v, hold.held.n, sizeof(*hold.held.v), deeper_first);
	tracer_proc_unlock();
	for (i = 0; i < hold.held.n; i++)
		kill(hold.held.v[i], SIGCONT);
	hold.held.n = 0;
	pthread_mutex_unlock(&hold.lock);
}

/*
 * A process born while a question holds the tree would run free: the
 * ptrace thread calls this at its first stop, and it stops with the rest
 * and is continued with them.  True when it was held.
 */
bool tracer_prompt_hold_new(pid_t tid)
{
	bool held = false;

	pthread_mutex_lock(&hold.lock);
	if (hold.frozen) {
		pid_add(&hold.expect, tid);
		pid_add(&hold.held, tid);
		syscall(SYS_tgkill, tracer_proc_tgid(tid), tid, SIGSTOP);
		held = true;
	}
	pthread_mutex_unlock(&hold.lock);
	return held;
}

/*
 * Called by the ptrace thread for each group-stop.  Our own SIGSTOP, or
 * a SIGTTIN/SIGTTOU while the terminal is ours, is the prompt's doing:
 * such a process is continued when the question is answered, or at once
 * when the stop is reported just after the answer (a SIGCONT that came
 * before the stop does not undo it; a thread may report more than one
 * stop, one per SIGSTOP it took).
 */
bool tracer_prompt_own_stop(pid_t pid, int sig)
{
	bool ours = false;
	size_t i;

	pthread_mutex_lock(&hold.lock);
	if (hold.holding && (sig == SIGTTIN || sig == SIGTTOU)) {
		pid_add(&hold.held, pid);
		ours = true;
	}
	for (i = 0; !ours && sig == SIGSTOP && i < hold.expect.n; i++)
		ours = hold.expect.v[i] == pid &&
		       (hold.frozen || since(&hold.thawed) < 2);
	if (ours && sig == SIGSTOP && !hold.frozen)
		kill(pid, SIGCONT);
	pthread_mutex_unlock(&hold.lock);
	return ours;
}

/*
 * Takes the terminal for a question: the tree stops, proctor's group
 * gets the foreground, keys come one by one and unechoed, a program
 * that touches the terminal stops (TOSTOP), and what was typed before
 * is thrown away.
 */
static void take_terminal(int tty, pid_t asker)
{
	struct termios raw;

	freeze(asker);
	pthread_mutex_lock(&hold.lock);
	hold.saved_pgrp = tcgetpgrp(tty);
	if (tcgetattr(tty, &hold.saved) == 0) {
		raw = hold.saved;
		raw.c_lflag &= ~(ICANON | ECHO | ISIG | IEXTEN);
		raw.c_lflag |= TOSTOP;
		raw.c_iflag &= ~(IXON | ICRNL);
		raw.c_cc[VMIN] = 1;
		raw.c_cc[VTIME] = 0;
		tracer_job_give_terminal(getpgrp());
		tcsetattr(tty, TCSANOW, &raw);
	}
	tcflush(tty, TCIFLUSH);
	hold.holding = true;
	pthread_mutex_unlock(&hold.lock);
}

static void give_back_terminal(int tty)
{
	pthread_mutex_lock(&hold.lock);
	if (hold.holding) {
		tcsetattr(tty, TCSANOW, &hold.saved);
		if (hold.saved_pgrp > 0)
			tracer_job_give_terminal(hold.saved_pgrp);
		hold.holding = false;
	}
	pthread_mutex_unlock(&hold.lock);
	thaw();
}

void tracer_prompt_stop(void)
{
	int tty = tracer_job_tty();

	if (tty >= 0)
		give_back_terminal(tty);
}

static void say(int tty, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void say(int tty, const char *fmt, ...)
{
	struct text t = { .len = 0 };
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(t.s, sizeof(t.s), fmt, ap);
	va_end(ap);
	t.len = n > 0 ? (size_t)n : 0;
	write_text(tty, &t);
}

/*
 * Escape sequences arrive as input too: keys (arrows send ESC [ A),
 * mouse reports, and the terminal's replies to queries the program sent
 * (a colour query is answered "ESC ] 11 ; rgb:..."), which the program
 * can time to land during a question.  None of their bytes is a key:
 * each sequence is read whole and dropped.
 */
enum scan_state {
	SCAN_TEXT,
	SCAN_ESC,     /* after ESC */
	SCAN_CSI,     /* ESC [ ... up to a final byte */
	SCAN_STRING,  /* OSC, DCS, SOS, PM, APC: up to BEL or ESC \ */
	SCAN_STR_ESC, /* ESC inside a string */
	SCAN_SKIP,    /* n more bytes: SS3, X10 mouse reports */
};

struct scan {
	enum scan_state state;
	int skip;
	bool csi_params; /* a CSI with parameters is no X10 mouse report */
};

/* True when c is a key, not part of an escape sequence. */
static bool scan_key(struct scan *sc, unsigned char c)
{
	switch (sc->state) {
	case SCAN_TEXT:
		if (c != 0x1b)
			return true;
		sc->state = SCAN_ESC;
		return false;
	case SCAN_ESC:
		sc->state = c == '['		      ? SCAN_CSI
			    : strchr("]PX^_", c) && c ? SCAN_STRING
			    : c == 'O'		      ? SCAN_SKIP
						      : SCAN_TEXT;
		sc->skip = 1;
		sc->csi_params = false;
		return false;
	case SCAN_CSI:
		if (c >= 0x40 && c <= 0x7e) {
			sc->state = c == 'M' && !sc->csi_params ? SCAN_SKIP
								: SCAN_TEXT;
			sc->skip = 3;
		} else {
			sc->csi_params = true;
		}
		return false;
	case SCAN_STRING:
		if (c == 0x07)
			sc->state = SCAN_TEXT;
		else if (c == 0x1b)
			sc->state = SCAN_STR_ESC;
		return false;
	case SCAN_STR_ESC:
		sc->state = c == '\\' ? SCAN_TEXT : SCAN_STRING;
		return false;
	case SCAN_SKIP:
		if (--sc->skip <= 0)
			sc->state = SCAN_TEXT;
		return false;
	}
	return false;
}

/* Handles typed bytes; -1 when the terminal is gone. */
/*
 * A key answers only after the terminal was quiet for PROMPT_QUIET_MS:
 * since the question appeared and since the key before.  Keys typed for
 * the program (a user typing on, a program that had them typed) arrive
 * in a stream, and a stream never answers; a person stops, reads, and
 * presses one key.
 */
#define PROMPT_QUIET_MS 500

static long ms_since(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t->tv_sec) * 1000 +
	       (now.tv_nsec - t->tv_nsec) / 1000000;
}

struct keys_state {
	struct scan sc;
	struct timespec last; /* the question's drawing, or the last key */
	bool told;	      /* the user was told that keys were ignored */
};

static int on_keys(int tty, const struct tracer_ask_facts *f,
		   struct keys_state *ks)
{
	char keys[32];
	ssize_t n = read(tty, keys, sizeof(keys));
	bool quiet = ms_since(&ks->last) >= PROMPT_QUIET_MS;
	const char *a;
	ssize_t i;

	if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
		return -1;
	if (n > 0)
		clock_gettime(CLOCK_MONOTONIC, &ks->last);
	for (i = 0; i < n; i++) {
		if (!scan_key(&ks->sc, (unsigned char)keys[i]))
			continue;
		/* one key, alone in its read: a paste or a burst is not */
		if (!quiet || i > 0 || n > 1) {
			if (!ks->told)
				say(tty, "(keys typed without a pause are "
					 "not answers: read, then press one "
					 "key)\r\n");
			ks->told = true;
			continue;
		}
		if (keys[i] == 'i' || keys[i] == '?') {
			render_details(tty, f);
			continue;
		}
		a = tracer_prompt_key_answer(keys[i]);
		if (a) {
			tracer_prompt_answer(f->id, a, "terminal");
			break; /* what follows was typed for no question */
		}
	}
	return 0;
}

/* How the question ended, on the line after it. */
static void say_outcome(int tty, const char *answer, const char *by)
{
	if (!strcmp(by, "timeout"))
		say(tty, "no answer in %d s: deny once\r\n",
		    tracer_prompt_timeout());
	else if (!strcmp(by, "terminal"))
		say(tty, "%s\r\n", tracer_prompt_label(answer));
	else if (!strcmp(by, "gone"))
		say(tty, "the program is gone\r\n");
	else if (!strcmp(by, "signal"))
		say(tty, "proctor was told to end: deny once\r\n");
	else
		say(tty, "%s (%s)\r\n", tracer_prompt_label(answer), by);
}

/*
 * Shows f until it is answered here, elsewhere, or in no time.  Returns
 * -1 when the terminal is gone.
 */
static int ask_on_terminal(int tty, const struct tracer_ask_facts *f, int count)
{
	struct pollfd pfd[2] = { { .fd = tty, .events = POLLIN },
				 { .fd = tracer_prompt_wake_fd(),
				   .events = POLLIN } };
	/* ST ends a string the program left open, so the terminal answers
	 * a query it holds now; mouse and focus reports stop */
	static const char quiet[] = "\x1b\\\x1b[?1000l\x1b[?1002l\x1b[?1003l"
				    "\x1b[?1004l\x1b[?1005l\x1b[?1006l"
				    "\x1b[?1015l";
	struct keys_state ks = { .sc = { SCAN_TEXT, 0, false } };
	const char *answer, *by;
	char drain[64];

	if (write(tty, quiet, sizeof(quiet) - 1) < 0)
		return -1;
	/* replies to queries sent before the question arrive meanwhile */
	usleep(150 * 1000);
	tcflush(tty, TCIFLUSH);
	tracer_prompt_render(tty, f, 1, count, true);
	clock_gettime(CLOCK_MONOTONIC, &ks.last);
	tracer_prompt_start_deadline(f->id);
	for (;;) {
		if (poll(pfd, 2, 1000) < 0 && errno != EINTR)
			return -1;
		if (pfd[1].revents & POLLIN &&
		    read(pfd[1].fd, drain, sizeof(drain)) < 0) {
			/* nothing to drain */
		}
		if (pfd[0].revents & POLLIN && on_keys(tty, f, &ks) < 0)
			return -1;
		if (pfd[0].revents & (POLLHUP | POLLERR | POLLNVAL))
			return -1;
		if (tracer_prompt_ended(f->id, &answer, &by)) {
			say_outcome(tty, answer, by);
			return 0;
		}
	}
}

/*
 * The terminal is the run's to take when its foreground group is proctor's
 * or one of the tree's; when the user moved the job to the background
 * (Ctrl-Z, bg), the shell has it, and the question waits for `fg` (or
 * the approval socket).
 */
static bool terminal_ours(int tty)
{
	pid_t fg = tcgetpgrp(tty);

	return fg > 0 && (fg == getpgrp() || tracer_proc_in_tree(fg));
}

/*
 * The thread that owns the terminal: it takes it for the first question
 * and keeps it while more wait, one at a time; gives it back when none
 * is left.
 */
void *tracer_prompt_terminal(void *arg)
{
	struct tracer_ask_facts f;
	int tty = tracer_job_tty(), count;
	sigset_t all;
	bool held = false;

	(void)arg;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	for (;;) {
		if (!tracer_prompt_next(&f, &count, !held)) {
			give_back_terminal(tty);
			held = false;
			continue;
		}
		if (!held && !terminal_ours(tty)) {
			usleep(500000);
			continue;
		}
		if (!held)
			take_terminal(tty, f.tid);
		held = true;
		if (ask_on_terminal(tty, &f, count) < 0)
			break;
	}
	give_back_terminal(tty);
	tracer_prompt_terminal_lost();
	return NULL;
}
