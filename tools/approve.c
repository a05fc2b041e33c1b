/* SPDX-License-Identifier: MIT */
/*
 * `proctor approve [--answer ANSWER] SOCKET`: answers a run's questions
 * from another terminal, over the run's approval socket (the protocol is
 * in tracer/approve.c and the README).  Each question is shown as the
 * run's own terminal shows it, one at a time, with the same keys; input
 * typed before it is discarded.  With --answer, every question gets that
 * answer (for scripts and CI).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "tools/tools.h"
#include "tracer/tracer.h"

#define QUEUE_MAX 256

struct client {
	int sock, tty;
	const char *fixed; /* --answer */
	struct tracer_ask_facts *q[QUEUE_MAX];
	int n;
	bool shown; /* q[0] is on the screen */
	char in[65536];
	size_t len;
	struct termios saved;
	bool raw;
};

static const char *const answer_names[] = {
	"allow-once", "allow-run", "allow-always", "deny-once", "deny-always",
};

static int dial(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, (void *)&sun, sizeof(sun)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void send_answer(struct client *c, uint64_t id, const char *answer)
{
	char line[128];
	int n = snprintf(line, sizeof(line),
			 "{\"id\":%llu,\"answer\":\"%s\"}\n",
			 (unsigned long long)id, answer);

	if (write(c->sock, line, n) != n)
		fprintf(stderr, "proctor approve: cannot send: %s\n",
			strerror(errno));
}

/* One line about a question, for --answer and for the record. */
static void summary(const struct tracer_ask_facts *f, const char *answer)
{
	char prog[80], obj[1200];

	tracer_printable_ex(prog, sizeof(prog), f->comm, TRACER_PRINT_ESCAPE);
	tracer_printable_ex(obj, sizeof(obj),
			    f->command[0] ? f->command : f->object,
			    TRACER_PRINT_ESCAPE);
	printf("#%llu %s (pid %d) %s %s: %s\n", (unsigned long long)f->id, prog,
	       f->pid, f->what, obj, answer);
	fflush(stdout);
}

static void raw_mode(struct client *c, bool on)
{
	struct termios t;

	if (on == c->raw || tcgetattr(c->tty, on ? &c->saved : &t) < 0)
		return;
	if (on) {
		t = c->saved;
		t.c_lflag &= ~(ICANON | ECHO | ISIG | IEXTEN);
		t.c_cc[VMIN] = 1;
		t.c_cc[VTIME] = 0;
		tcsetattr(c->tty, TCSANOW, &t);
	} else {
		tcsetattr(c->tty, TCSANOW, &c->saved);
	}
	c->raw = on;
}

/* Shows the first question waiting, once; flushes type-ahead first. */
static void show_next(struct client *c)
{
	if (c->n == 0 || c->shown || c->tty < 0)
		return;
	raw_mode(c, true);
	tcflush(c->tty, TCIFLUSH);
	tracer_prompt_render(c->tty, c->q[0], 1, c->n, false);
	c->shown = true;
}

static void forget(struct client *c, uint64_t id, const char *how)
{
	char line[200];
	int i, n;

	for (i = 0; i < c->n; i++) {
		if (c->q[i]->id != id)
			continue;
		if (i == 0 && c->shown && c->tty >= 0) {
			n = snprintf(line, sizeof(line), "%s\r\n", how);
			if (write(c->tty, line, n) < 0) {
				/* the terminal is gone */
			}
			c->shown = false;
		}
		free(c->q[i]);
		memmove(c->q + i, c->q + i + 1, (c->n - i - 1) * sizeof(*c->q));
		c->n--;
		return;
	}
}

static void on_request(struct client *c, const char *line)
{
	struct tracer_ask_facts *f = malloc(sizeof(*f));

	if (!f || tracer_approve_request_parse(line, f) < 0) {
		free(f);
		return;
	}
	if (c->fixed) {
		summary(f, c->fixed);
		send_answer(c, f->id, c->fixed);
		free(f);
		return;
	}
	if (c->n == QUEUE_MAX) {
		free(f);
		return;
	}
	c->q[c->n++] = f;
}

static void on_message(struct client *c, const char *line)
{
	cJSON *o = cJSON_Parse(line);
	const cJSON *type = cJSON_GetObjectItemCaseSensitive(o, "type");
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(o, "id");
	const cJSON *ans = cJSON_GetObjectItemCaseSensitive(o, "answer");
	const cJSON *by = cJSON_GetObjectItemCaseSensitive(o, "by");
	const cJSON *err = cJSON_GetObjectItemCaseSensitive(o, "error");
	char how[160], safe[300];

	if (!cJSON_IsString(type)) {
		cJSON_Delete(o);
		return;
	}
	if (!strcmp(type->valuestring, "request")) {
		on_request(c, line);
	} else if (!strcmp(type->valuestring, "answered") &&
		   cJSON_IsNumber(id)) {
		snprintf(how, sizeof(how), "%s (%s)",
			 cJSON_IsString(ans) ? ans->valuestring : "?",
			 cJSON_IsString(by) ? by->valuestring : "?");
		/* "allow once", as the run's terminal says it */
		for (char *d = how;
		     (d = strchr(d, '-')) && d < strchr(how, '(');)
			*d = ' ';
		tracer_printable(safe, sizeof(safe), how);
		forget(c, (uint64_t)id->valuedouble, safe);
	} else if (!strcmp(type->valuestring, "error")) {
		tracer_printable(safe, sizeof(safe),
				 cJSON_IsString(err) ? err->valuestring : "?");
		fprintf(stderr, "proctor approve: the run says: %s\n", safe);
	} else if (!strcmp(type->valuestring, "hello")) {
		fprintf(stderr, "proctor approve: connected; waiting for "
				"questions\n");
	}
	cJSON_Delete(o);
}

/* Reads from the socket; 0 at its end. */
static int on_socket(struct client *c)
{
	ssize_t n = read(c->sock, c->in + c->len, sizeof(c->in) - 1 - c->len);
	char *nl;

	if (n <= 0)
		return n < 0 && errno == EINTR ? 1 : 0;
	c->len += n;
	while ((nl = memchr(c->in, '\n', c->len))) {
		*nl = '\0';
		on_message(c, c->in);
		c->len -= nl + 1 - c->in;
		memmove(c->in, nl + 1, c->len);
	}
	if (c->len == sizeof(c->in) - 1)
		c->len = 0; /* a line longer than any proctor sends */
	return 1;
}

static void on_keys(struct client *c)
{
	char keys[32];
	ssize_t n = read(c->tty, keys, sizeof(keys)), i;
	const char *a;

	for (i = 0; i < n && c->n; i++) {
		/* no details over the socket: '?' shows the question again */
		if (keys[i] == '?') {
			c->shown = false;
			show_next(c);
			continue;
		}
		a = tracer_prompt_key_answer(keys[i]);
		if (!a)
			continue;
		send_answer(c, c->q[0]->id, a);
		return; /* the run's notice moves us on */
	}
}

static bool known_answer(const char *a)
{
	size_t i;

	for (i = 0; i < sizeof(answer_names) / sizeof(*answer_names); i++)
		if (!strcmp(a, answer_names[i]))
			return true;
	return false;
}

static int usage(void)
{
	fprintf(stderr, "usage: proctor approve [--answer ANSWER] SOCKET\n"
			"ANSWER: allow-once, allow-run, allow-always, "
			"deny-once or deny-always\n");
	return 2;
}

static int serve(struct client *c)
{
	struct pollfd pfd[2] = { { .fd = c->sock, .events = POLLIN },
				 { .fd = c->tty, .events = POLLIN } };

	for (;;) {
		show_next(c);
		pfd[1].fd = c->n && c->tty >= 0 ? c->tty : -1;
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return 1;
		}
		if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR) &&
		    !on_socket(c))
			break;
		if (pfd[1].fd >= 0 && pfd[1].revents & POLLIN)
			on_keys(c);
	}
	fprintf(stderr, "proctor approve: the run ended\n");
	return 0;
}

int proctor_approve_main(int argc, char **argv)
{
	static struct client c = { .sock = -1, .tty = -1 };
	int i = 0, rc;

	if (argc >= 2 && !strcmp(argv[0], "--answer")) {
		if (!known_answer(argv[1])) {
			char safe[200];

			tracer_printable(safe, sizeof(safe), argv[1]);
			fprintf(stderr,
				"proctor approve: --answer %s: not an answer\n",
				safe);
			return usage();
		}
		c.fixed = argv[1];
		i = 2;
	}
	if (argc - i != 1 || argv[i][0] == '-')
		return usage();
	c.sock = dial(argv[i]);
	if (c.sock < 0) {
		fprintf(stderr, "proctor approve: %s: %s\n", argv[i],
			strerror(errno));
		return 1;
	}
	if (!c.fixed) {
		c.tty = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
		if (c.tty < 0) {
			fprintf(stderr, "proctor approve: no terminal to ask "
					"on; use --answer ANSWER\n");
			return 1;
		}
	}
	rc = serve(&c);
	raw_mode(&c, false);
	return rc;
}
