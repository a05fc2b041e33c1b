/* SPDX-License-Identifier: MIT */
/*
 * The approval socket (#6): `proctor run --approve-socket PATH` offers
 * every question to the programs connected there (an editor, an agent
 * harness, `proctor approve PATH`), one JSON object per line:
 *
 *   proctor -> client  {"type":"hello","protocol":1,"run":"...","pid":N}
 *   proctor -> client  {"type":"request","id":3,"pid":..,"tid":..,
 *                       "program":"cat","cmdline":"cat /x","class":"read",
 *                       "object":"/x","command":"...","rule":"...",
 *                       "grant":"...","timeout":30}
 *   client -> proctor  {"id":3,"answer":"allow-once"}
 *   proctor -> client  {"type":"answered","id":3,"answer":"allow-once",
 *                       "by":"socket"}        (to every client)
 *   proctor -> client  {"type":"error","error":"...","line":"..."}
 *
 * The socket is only for the same user, and never for the sandbox: the
 * file is made 0600 outside anything the sandbox may write (the caller
 * checks), a connection whose peer is proctor itself (a connect the
 * supervisor carries out for the sandbox) or a process of the traced
 * tree is refused, and the supervisor refuses any connect of the sandbox
 * to this socket's inode whatever name reaches it (net.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "tracer/tracer.h"

#define APPROVE_CLIENTS	 16
#define APPROVE_LINE	 8192 /* longer requests are refused */
#define APPROVE_PROTOCOL 1
#define APPROVE_OUT_MAX	 (4 << 20) /* unread lines kept for a client */

struct client {
	int fd;
	char in[APPROVE_LINE];
	size_t len;
	bool skipping; /* in a line that was too long */
	char *out;     /* lines the client has not taken yet */
	size_t out_len;
};

/* Notices for the clients, filled by other threads. */
struct notice {
	char *line;
	struct notice *next;
};

static struct {
	pthread_mutex_t lock;
	pthread_cond_t drained; /* idle became true */
	bool idle;		/* every notice went out, whole */
	struct notice *head, **tail;
	bool new_question;
	int wake[2];
	int listener;
	const struct tracer_opts *o;
	struct client clients[APPROVE_CLIENTS];
	uint64_t sent; /* the highest question id sent to everyone */
} ap = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.drained = PTHREAD_COND_INITIALIZER,
	.idle = true,
	.tail = &ap.head,
	.wake = { -1, -1 },
	.listener = -1,
};

/* ---- the protocol's lines ------------------------------------------------- */

/*
 * Bytes that are not UTF-8 become '?': a path may hold any byte, and
 * the clients' JSON parsers want text.  Controls stay: cJSON escapes
 * them, and clients show them escaped.
 */
static void utf8_clean(char *s)
{
	unsigned char *u = (unsigned char *)s;
	size_t n, i;

	while (*u) {
		if (*u < 0x80) {
			u++;
			continue;
		}
		n = (*u & 0xe0) == 0xc0 && *u >= 0xc2	? 2
		    : (*u & 0xf0) == 0xe0		? 3
		    : (*u & 0xf8) == 0xf0 && *u <= 0xf4 ? 4
							: 0;
		for (i = 1; i < n; i++)
			if ((u[i] & 0xc0) != 0x80)
				n = 0;
		if (n == 0) {
			*u++ = '?';
			continue;
		}
		u += n;
	}
}

static void add_text(cJSON *o, const char *key, const char *s)
{
	char *copy = strdup(s);

	if (!copy)
		return;
	utf8_clean(copy);
	cJSON_AddStringToObject(o, key, copy);
	free(copy);
}

char *tracer_approve_request_json(const struct tracer_ask_facts *f)
{
	cJSON *o = cJSON_CreateObject();
	char *s;

	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "type", "request");
	cJSON_AddNumberToObject(o, "id", (double)f->id);
	cJSON_AddNumberToObject(o, "pid", f->pid);
	cJSON_AddNumberToObject(o, "tid", f->tid);
	add_text(o, "program", f->comm);
	add_text(o, "cmdline", f->cmdline);
	add_text(o, "class", f->what);
	add_text(o, "object", f->object);
	if (f->command[0])
		add_text(o, "command", f->command);
	add_text(o, "rule", f->rule);
	if (f->grant[0])
		add_text(o, "grant", f->grant);
	cJSON_AddNumberToObject(o, "timeout", f->timeout);
	s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return s;
}

static void get_text(const cJSON *o, const char *key, char *out, size_t size)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, key);

	snprintf(out, size, "%s", cJSON_IsString(j) ? j->valuestring : "");
}

static long get_num(const cJSON *o, const char *key)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsNumber(j) ? (long)j->valuedouble : 0;
}

int tracer_approve_request_parse(const char *line, struct tracer_ask_facts *f)
{
	cJSON *o = cJSON_Parse(line);
	const cJSON *type = cJSON_GetObjectItemCaseSensitive(o, "type");

	memset(f, 0, sizeof(*f));
	if (!cJSON_IsString(type) || strcmp(type->valuestring, "request")) {
		cJSON_Delete(o);
		return -EINVAL;
	}
	f->id = (uint64_t)get_num(o, "id");
	f->pid = (pid_t)get_num(o, "pid");
	f->tid = (pid_t)get_num(o, "tid");
	get_text(o, "program", f->comm, sizeof(f->comm));
	get_text(o, "cmdline", f->cmdline, sizeof(f->cmdline));
	get_text(o, "class", f->what, sizeof(f->what));
	get_text(o, "object", f->object, sizeof(f->object));
	get_text(o, "command", f->command, sizeof(f->command));
	get_text(o, "rule", f->rule, sizeof(f->rule));
	get_text(o, "grant", f->grant, sizeof(f->grant));
	f->timeout = (int)get_num(o, "timeout");
	cJSON_Delete(o);
	return 0;
}

/* ---- sending
 * ------------------------------------------------------------------ */

static void drop(struct client *c)
{
	close(c->fd);
	c->fd = -1;
	c->len = 0;
	c->skipping = false;
	free(c->out);
	c->out = NULL;
	c->out_len = 0;
}

/* Sends what the client's socket (non-blocking) takes now. */
static void flush_client(struct client *c)
{
	ssize_t n;

	while (c->fd >= 0 && c->out_len) {
		n = send(c->fd, c->out, c->out_len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return; /* the rest when it is writable (POLLOUT) */
		if (n <= 0) {
			drop(c);
			return;
		}
		c->out_len -= (size_t)n;
		memmove(c->out, c->out + n, c->out_len);
	}
}

/*
 * One line to one client.  Lines the client has not read yet are kept
 * (a client may take its time with a hundred questions); one that lets
 * more than APPROVE_OUT_MAX pile up is dropped rather than allowed to
 * hold the others up.
 */
static void send_line(struct client *c, const char *line)
{
	size_t len = strlen(line);
	char *out;

	if (c->fd < 0)
		return;
	if (c->out_len + len + 1 > APPROVE_OUT_MAX ||
	    !(out = realloc(c->out, c->out_len + len + 1))) {
		drop(c);
		return;
	}
	c->out = out;
	memcpy(out + c->out_len, line, len);
	out[c->out_len + len] = '\n';
	c->out_len += len + 1;
	flush_client(c);
}

static void send_all(const char *line)
{
	int i;

	for (i = 0; i < APPROVE_CLIENTS; i++)
		if (ap.clients[i].fd >= 0)
			send_line(&ap.clients[i], line);
}

static void send_error(struct client *c, const char *what, const char *line)
{
	cJSON *o = cJSON_CreateObject();
	char *s, *copy = strdup(line ? line : "");

	if (!o || !copy) {
		cJSON_Delete(o);
		free(copy);
		return;
	}
	if (strlen(copy) > 200)
		copy[200] = '\0';
	utf8_clean(copy);
	cJSON_AddStringToObject(o, "type", "error");
	cJSON_AddStringToObject(o, "error", what);
	cJSON_AddStringToObject(o, "line", copy);
	s = cJSON_PrintUnformatted(o);
	if (s)
		send_line(c, s);
	free(s);
	free(copy);
	cJSON_Delete(o);
}

struct offer {
	struct client *to; /* NULL: every client */
	uint64_t after;	   /* only questions after this id */
	uint64_t upto;	   /* and up to this one, unless 0 */
	uint64_t last;
};

static void offer_one(const struct tracer_ask_facts *f, void *arg)
{
	struct offer *of = arg;
	char *s;

	if (f->id <= of->after || (of->upto && f->id > of->upto))
		return;
	s = tracer_approve_request_json(f);
	if (s) {
		if (of->to)
			send_line(of->to, s);
		else
			send_all(s);
	}
	free(s);
	if (f->id > of->last)
		of->last = f->id;
}

/* ---- receiving
 * ------------------------------------------------------------------ */

static const char *const answer_names[] = {
	"allow-once", "allow-run", "allow-always", "deny-once", "deny-always",
};

static bool answer_known(const char *s)
{
	size_t i;

	for (i = 0; i < sizeof(answer_names) / sizeof(*answer_names); i++)
		if (!strcmp(s, answer_names[i]))
			return true;
	return false;
}

/* One line from a client: an answer, or an error back. */
static void on_line(struct client *c, const char *line)
{
	cJSON *o = cJSON_Parse(line);
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(o, "id");
	const cJSON *ans = cJSON_GetObjectItemCaseSensitive(o, "answer");
	int rc;

	if (!o || !cJSON_IsObject(o))
		send_error(c,
			   "malformed JSON: expected an object "
			   "{\"id\": N, \"answer\": \"...\"}",
			   line);
	else if (!cJSON_IsNumber(id) || id->valuedouble < 1 ||
		 id->valuedouble != (double)(uint64_t)id->valuedouble)
		send_error(c, "id: expected the number of a request", line);
	else if (!cJSON_IsString(ans) || !answer_known(ans->valuestring))
		send_error(c,
			   "answer: expected \"allow-once\", \"allow-run\", "
			   "\"allow-always\", \"deny-once\" or \"deny-always\"",
			   line);
	else if ((rc = tracer_prompt_answer((uint64_t)id->valuedouble,
					    ans->valuestring, "socket")) < 0)
		send_error(c, "id: no such question waits for an answer", line);
	cJSON_Delete(o);
}

/* Reads what a client sent and handles each whole line. */
static void on_readable(struct client *c)
{
	ssize_t n = recv(c->fd, c->in + c->len, sizeof(c->in) - c->len, 0);
	char *nl;

	if (n <= 0) {
		if (n == 0 || (errno != EINTR && errno != EAGAIN))
			drop(c);
		return;
	}
	c->len += n;
	while (c->fd >= 0 && (nl = memchr(c->in, '\n', c->len))) {
		*nl = '\0';
		if (!c->skipping && nl > c->in)
			on_line(c, c->in);
		c->skipping = false;
		c->len -= nl + 1 - c->in;
		memmove(c->in, nl + 1, c->len);
	}
	if (c->fd >= 0 && c->len == sizeof(c->in)) {
		send_error(c, "line too long: at most 8191 bytes", NULL);
		c->len = 0;
		c->skipping = true;
	}
}

/*
 * The peer must be this user, and neither proctor itself (which makes
 * the sandbox's connects) nor a process of the traced tree.
 */
static bool peer_allowed(int fd)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0)
		return false;
	return cr.uid == geteuid() && cr.pid != getpid() &&
	       !tracer_proc_in_tree(cr.pid);
}

static void hello(struct client *c)
{
	char line[256];
	/* the ones not yet sent to everyone follow with the others */
	struct offer of = { .to = c, .upto = ap.sent };

	snprintf(line, sizeof(line),
		 "{\"type\":\"hello\",\"protocol\":%d,\"run\":\"%s\","
		 "\"pid\":%d}",
		 APPROVE_PROTOCOL, ap.o->run_id ? ap.o->run_id : "", getpid());
	send_line(c, line);
	if (ap.sent)
		tracer_prompt_each(offer_one, &of);
}

static void on_accept(void)
{
	struct client *c = NULL;
	int fd, i;

	fd = accept4(ap.listener, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0)
		return;
	for (i = 0; i < APPROVE_CLIENTS && !c; i++)
		if (ap.clients[i].fd < 0)
			c = &ap.clients[i];
	if (!c || !peer_allowed(fd)) {
		static const char refused[] =
			"{\"type\":\"error\",\"error\":\"refused\"}\n";

		if (send(fd, refused, sizeof(refused) - 1,
			 MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
			/* gone already */
		}
		close(fd);
		return;
	}
	c->fd = fd;
	c->len = 0;
	hello(c);
}

/* Tells tracer_approve_drain whether everything went out. */
static void note_idle(void)
{
	bool idle;
	int i;

	pthread_mutex_lock(&ap.lock);
	idle = !ap.head;
	for (i = 0; i < APPROVE_CLIENTS; i++)
		if (ap.clients[i].fd >= 0 && ap.clients[i].out_len)
			idle = false;
	ap.idle = idle;
	if (idle)
		pthread_cond_broadcast(&ap.drained);
	pthread_mutex_unlock(&ap.lock);
}

/* New questions to every client; then the notices of answers. */
static void flush_out(void)
{
	struct offer of = { .after = ap.sent };
	struct notice *n, *next;

	tracer_prompt_each(offer_one, &of);
	if (of.last > ap.sent)
		ap.sent = of.last;
	pthread_mutex_lock(&ap.lock);
	n = ap.head;
	ap.head = NULL;
	ap.tail = &ap.head;
	pthread_mutex_unlock(&ap.lock);
	for (; n; n = next) {
		next = n->next;
		send_all(n->line);
		free(n->line);
		free(n);
	}
	note_idle();
}

static void *approve_thread(void *arg)
{
	struct pollfd pfd[2 + APPROVE_CLIENTS];
	char drain[64];
	sigset_t all;
	int i;

	(void)arg;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	for (;;) {
		pfd[0] = (struct pollfd){ .fd = ap.listener, .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = ap.wake[0], .events = POLLIN };
		for (i = 0; i < APPROVE_CLIENTS; i++)
			pfd[2 + i] = (struct pollfd){
				.fd = ap.clients[i].fd,
				.events = POLLIN |
					  (ap.clients[i].out_len ? POLLOUT : 0),
			};
		if (poll(pfd, 2 + APPROVE_CLIENTS, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[1].revents & POLLIN &&
		    read(ap.wake[0], drain, sizeof(drain)) < 0) {
			/* drained already */
		}
		if (pfd[0].revents & POLLIN)
			on_accept();
		for (i = 0; i < APPROVE_CLIENTS; i++)
			if (ap.clients[i].fd >= 0 &&
			    pfd[2 + i].fd == ap.clients[i].fd &&
			    pfd[2 + i].revents & (POLLIN | POLLHUP | POLLERR))
				on_readable(&ap.clients[i]);
		for (i = 0; i < APPROVE_CLIENTS; i++)
			if (ap.clients[i].fd >= 0 &&
			    pfd[2 + i].fd == ap.clients[i].fd &&
			    pfd[2 + i].revents & POLLOUT)
				flush_client(&ap.clients[i]);
		flush_out();
	}
	return NULL;
}

void tracer_approve_kick(void)
{
	char c = 1;

	if (ap.wake[1] >= 0 && write(ap.wake[1], &c, 1) < 0) {
		/* full: the thread is awake already */
	}
}

void tracer_approve_answered(uint64_t id, const char *answer, const char *by)
{
	struct notice *n;
	char line[200];

	if (ap.listener < 0)
		return;
	snprintf(line, sizeof(line),
		 "{\"type\":\"answered\",\"id\":%llu,\"answer\":\"%s\","
		 "\"by\":\"%s\"}",
		 (unsigned long long)id, answer, by);
	n = calloc(1, sizeof(*n));
	if (!n || !(n->line = strdup(line))) {
		free(n);
		return;
	}
	pthread_mutex_lock(&ap.lock);
	*ap.tail = n;
	ap.tail = &n->next;
	ap.idle = false;
	pthread_mutex_unlock(&ap.lock);
	tracer_approve_kick();
}

void tracer_approve_drain(int ms)
{
	struct timespec until;

	if (ap.listener < 0)
		return;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	tracer_approve_kick();
	pthread_mutex_lock(&ap.lock);
	while (!ap.idle &&
	       pthread_cond_timedwait(&ap.drained, &ap.lock, &until) == 0)
		;
	pthread_mutex_unlock(&ap.lock);
}

int tracer_approve_start(struct tracer_sup *s)
{
	pthread_attr_t attr;
	pthread_t t;
	int i, rc;

	for (i = 0; i < APPROVE_CLIENTS; i++)
		ap.clients[i].fd = -1;
	ap.o = s->o;
	if (pipe2(ap.wake, O_CLOEXEC | O_NONBLOCK) < 0)
		return -errno;
	ap.listener = s->o->approve_fd;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	rc = pthread_create(&t, &attr, approve_thread, NULL);
	pthread_attr_destroy(&attr);
	return -rc;
}

bool tracer_approve_refuses(struct tracer_req *r, const struct rules_addr *ra,
			    const struct tracer_path *p)
{
	const struct tracer_opts *o = r->sup->o;
	char text[300];
	struct stat st;
	int rc;

	if (o->approve_fd < 0 || ra->kind != RULES_ADDR_UNIX_PATH || !p ||
	    (p->parent < 0 && p->magic < 0))
		return false;
	if (p->magic >= 0)
		rc = fstat(p->magic, &st);
	else
		rc = fstatat(p->parent, p->name, &st, AT_SYMLINK_NOFOLLOW);
	if (rc < 0 || st.st_dev != o->approve_dev ||
	    st.st_ino != o->approve_ino)
		return false;
	r->verdict = (struct rules_verdict){
		.action = RULES_DENY,
		.origin = "proctor",
		.where = "approve",
		.pattern = "proctor's approval socket",
	};
	rules_addr_format(ra, text, sizeof(text));
	tracer_req_decide(r, RULES_CONNECT, "addr", text, false);
	return true;
}

/*
 * Binds the listening socket, 0600 from the start (umask), non-blocking
 * for accept.  A socket left at path by a run that ended is replaced;
 * anything else there is an error (-EEXIST).
 */
int tracer_approve_listen(const char *path, dev_t *dev, ino_t *ino)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct stat st;
	mode_t old;
	int fd, rc;

	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	strcpy(sun.sun_path, path);
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode) || st.st_uid != geteuid())
			return -EEXIST;
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		rc = fd >= 0 && connect(fd, (void *)&sun, sizeof(sun)) == 0;
		if (fd >= 0)
			close(fd);
		if (rc)
			return -EADDRINUSE; /* another run listens there */
		unlink(path);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	old = umask(077);
	rc = bind(fd, (void *)&sun, sizeof(sun));
	umask(old);
	if (rc == 0 && (listen(fd, 8) < 0 || stat(path, &st) < 0))
		rc = -1;
	if (rc < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	*dev = st.st_dev;
	*ino = st.st_ino;
	return fd;
}
