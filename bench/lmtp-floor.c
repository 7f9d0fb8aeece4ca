/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tg-lmtp-floor: the cost of taking mail over LMTP as physics allows,
 * for the benchmark's LMTP part: the resident counterpart of tg-floor.
 * A master listens on a unix socket and forks N workers, as `ticketgate
 * lmtpd` does; each accepts one session at a time and keeps one
 * database connection from its first mail on. For each mail: BEGIN, one
 * INSERT of the raw bytes as a binary parameter, COMMIT, then one short
 * answer handed to SENDMAIL (a vfork and exec with the answer on a pipe,
 * as src/mailer.c does), then 250 for each recipient. No parsing, no
 * lookups, no policy: it is the physics, not a product.
 *
 *   tg-lmtp-floor -l PATH [-n N] [-s SENDMAIL] CONNINFO
 *
 * SIGTERM or SIGINT stops the master and its workers (a session in
 * flight is cut). The table: CREATE TABLE bench_floor (id bigserial
 * PRIMARY KEY, raw bytea NOT NULL).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <unistd.h>

#include <libpq-fe.h>

#define IN_SIZE 65536
#define MAX_WORKERS 64
#define MAX_RECIPIENTS 50

extern char **environ;

static const char *conninfo;
static const char *sendmail;
static const char *smtp_host;
static int smtp_port;
static int smtp_fd = -1;
static char smtp_in[4096];	/* replies read and not yet taken */
static size_t smtp_have;
static PGconn *conn;

static const char answer[] =
	"From: Example Support <support@desk.example>\n"
	"To: customer@example.com\n"
	"Subject: [Support #1] We have your mail\n"
	"Auto-Submitted: auto-replied\n"
	"Message-ID: <ack.1@desk.example>\n"
	"MIME-Version: 1.0\n"
	"Content-Type: text/plain; charset=utf-8\n"
	"\n"
	"Thank you, we have your mail and will answer within a day.\n";

typedef struct {
	int fd;
	char in[IN_SIZE];
	size_t start, end;
	char *data;
	size_t len, cap;
} Session;

/* All of @len bytes to @fd: 0, or -1 when the peer is gone. */
static int
write_all (int fd, const char *text, size_t len)
{
	while (len > 0) {
		ssize_t n = write (fd, text, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		text += n;
		len -= (size_t) n;
	}
	return 0;
}

static void
say (Session *s, const char *text)
{
	write_all (s->fd, text, strlen (text));
}

/* The next line without its CRLF, or a piece of a longer one (*whole
 * 0); -1 at the end of the input. */
static int
next_line (Session *s, char **line, size_t *len, int *whole)
{
	for (;;) {
		char *p = s->in + s->start;
		size_t avail = s->end - s->start;
		char *lf = memchr (p, '\n', avail);
		ssize_t n;

		if (lf != NULL || avail == IN_SIZE) {
			size_t k = lf != NULL ? (size_t) (lf - p) : avail;

			s->start += k + (lf != NULL);
			*whole = lf != NULL;
			if (lf != NULL && k > 0 && p[k - 1] == '\r')
				k--;
			*line = p;
			*len = k;
			return 0;
		}
		memmove (s->in, p, avail);
		s->start = 0;
		s->end = avail;
		n = read (s->fd, s->in + s->end, IN_SIZE - s->end);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		s->end += (size_t) n;
	}
}

static int
append (Session *s, const char *p, size_t n)
{
	if (s->len + n > s->cap) {
		size_t cap = s->cap ? s->cap : 65536;
		char *bigger;

		while (cap < s->len + n)
			cap *= 2;
		bigger = realloc (s->data, cap);
		if (bigger == NULL)
			return -1;
		s->data = bigger;
		s->cap = cap;
	}
	memcpy (s->data + s->len, p, n);
	s->len += n;
	return 0;
}

/* The mail up to the final dot, unstuffed, with LF line ends. */
static int
read_data (Session *s)
{
	int at_start = 1;

	s->len = 0;
	for (;;) {
		char *line;
		size_t len;
		int whole;

		if (next_line (s, &line, &len, &whole) < 0)
			return -1;
		if (at_start && whole && len == 1 && line[0] == '.')
			return 0;
		if (at_start && len > 0 && line[0] == '.') {
			line++;
			len--;
		}
		at_start = whole;
		if (append (s, line, len) < 0 ||
		    (whole && append (s, "\n", 1) < 0))
			return -1;
	}
}

static int
command (const char *sql)
{
	PGresult *res = PQexecParams (conn, sql, 0, NULL, NULL, NULL, NULL, 0);
	int ok = PQresultStatus (res) == PGRES_COMMAND_OK;

	PQclear (res);
	return ok;
}

static int
store (const Session *s)
{
	/* The same keywords as tg_store_connect (src/store-exec.c). */
	const char *keys[] = { "dbname", "connect_timeout", "application_name",
			       "client_encoding", NULL };
	const char *values[] = { conninfo, "10", "tg-lmtp-floor", "UTF8",
				 NULL };
	const char *param[1] = { s->data };
	int length[1] = { (int) s->len }, format[1] = { 1 };
	PGresult *res;
	int ok;

	if (conn != NULL && PQstatus (conn) != CONNECTION_OK) {
		PQfinish (conn);
		conn = NULL;
	}
	if (conn == NULL) {
		conn = PQconnectdbParams (keys, values, 1);
		if (PQstatus (conn) != CONNECTION_OK) {
			fprintf (stderr, "tg-lmtp-floor: connect: %s",
				 PQerrorMessage (conn));
			PQfinish (conn);
			conn = NULL;
			return -1;
		}
	}
	if (!command ("BEGIN"))
		return -1;
	res = PQexecParams (conn, "INSERT INTO bench_floor (raw) VALUES ($1)",
			    1, NULL, param, length, format, 0);
	ok = PQresultStatus (res) == PGRES_COMMAND_OK;
	PQclear (res);
	if (!ok) {
		command ("ROLLBACK");
		return -1;
	}
	return command ("COMMIT") ? 0 : -1;
}

/* One answer to sendmail: vfork and exec, the answer on a pipe. */
static int
hand_over (void)
{
	char *argv[] = { (char *) sendmail, "-i", "-f", "support@desk.example",
			 "--", "customer@example.com", NULL };
	posix_spawn_file_actions_t fa;
	int p[2], status = 0;
	size_t done = 0;
	pid_t pid;

	if (sendmail == NULL)
		return 0;
	if (pipe2 (p, O_CLOEXEC) < 0)
		return -1;
	posix_spawn_file_actions_init (&fa);
	posix_spawn_file_actions_adddup2 (&fa, p[0], 0);
	posix_spawn_file_actions_addopen (&fa, 1, "/dev/null", O_WRONLY, 0);
	if (posix_spawn (&pid, sendmail, &fa, NULL, argv, environ) != 0)
		pid = -1;
	posix_spawn_file_actions_destroy (&fa);
	close (p[0]);
	while (pid > 0 && done < sizeof answer - 1) {
		ssize_t n = write (p[1], answer + done,
				   sizeof answer - 1 - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		done += (size_t) n;
	}
	close (p[1]);
	if (pid < 0)
		return -1;
	while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED (status) && WEXITSTATUS (status) == 0 ? 0 : -1;
}

/* SMTP: the reply to the last command sent, its code; -1 when the
 * connection failed. Continuation lines ("250-") are skipped. */
static int
smtp_reply (void)
{
	for (;;) {
		char *lf = memchr (smtp_in, '\n', smtp_have);
		ssize_t n;

		if (lf != NULL) {
			size_t k = (size_t) (lf - smtp_in) + 1;
			int code = atoi (smtp_in);
			int more = k > 4 && smtp_in[3] == '-';

			memmove (smtp_in, smtp_in + k, smtp_have - k);
			smtp_have -= k;
			if (!more)
				return code;
			continue;
		}
		if (smtp_have == sizeof smtp_in)
			return -1;
		n = read (smtp_fd, smtp_in + smtp_have,
			  sizeof smtp_in - smtp_have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		smtp_have += (size_t) n;
	}
}

static void
smtp_close (void)
{
	if (smtp_fd >= 0)
		close (smtp_fd);
	smtp_fd = -1;
	smtp_have = 0;
}

/* The kept connection, made (greeting and EHLO) when there is none. */
static int
smtp_connect (void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons ((uint16_t) smtp_port) };
	static const char ehlo[] = "EHLO tg-lmtp-floor\r\n";

	if (smtp_fd >= 0)
		return 0;
	if (inet_pton (AF_INET, smtp_host, &sa.sin_addr) != 1)
		return -1;
	smtp_fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (smtp_fd < 0 ||
	    connect (smtp_fd, (struct sockaddr *) &sa, sizeof sa) < 0 ||
	    smtp_reply () != 220 ||
	    write_all (smtp_fd, ehlo, sizeof ehlo - 1) < 0 ||
	    smtp_reply () != 250) {
		smtp_close ();
		return -1;
	}
	return 0;
}

/* The answer with CRLF line ends; it has no line starting with a dot. */
static const char *
answer_crlf (size_t *len)
{
	static char out[2 * sizeof answer + 8];
	static size_t n;

	if (n == 0) {
		for (const char *p = answer; *p != '\0'; p++) {
			if (*p == '\n')
				out[n++] = '\r';
			out[n++] = *p;
		}
		memcpy (out + n, ".\r\n", 3);
		n += 3;
	}
	*len = n;
	return out;
}

/* One answer over the kept connection: MAIL, RCPT and DATA in one
 * write, then the text; one new connection if the kept one failed. */
static int
submit (void)
{
	static const char head[] = "MAIL FROM:<support@desk.example>\r\n"
				   "RCPT TO:<customer@example.com>\r\n"
				   "DATA\r\n";
	size_t len;
	const char *text = answer_crlf (&len);

	for (int attempt = 0; attempt < 2; attempt++) {
		if (smtp_connect () < 0)
			continue;
		if (write_all (smtp_fd, head, sizeof head - 1) == 0 &&
		    smtp_reply () == 250 && smtp_reply () == 250 &&
		    smtp_reply () == 354 && write_all (smtp_fd, text, len) == 0 &&
		    smtp_reply () == 250)
			return 0;
		smtp_close ();
	}
	return -1;
}

static int
is (const char *line, const char *verb)
{
	return strncasecmp (line, verb, strlen (verb)) == 0;
}

static void
serve (Session *s)
{
	int recipients = 0, mail = 0;

	say (s, "220 tg-lmtp-floor\r\n");
	for (;;) {
		char *line, text[2048];
		size_t len;
		int whole;

		if (next_line (s, &line, &len, &whole) < 0 || !whole)
			return;
		len = len < sizeof text - 1 ? len : sizeof text - 1;
		memcpy (text, line, len);
		text[len] = '\0';
		if (is (text, "LHLO")) {
			say (s, "250-tg-lmtp-floor\r\n250-PIPELINING\r\n"
				"250-ENHANCEDSTATUSCODES\r\n250 8BITMIME\r\n");
		} else if (is (text, "MAIL FROM:")) {
			mail = 1;
			recipients = 0;
			say (s, "250 2.1.0 Ok\r\n");
		} else if (is (text, "RCPT TO:")) {
			if (!mail || recipients == MAX_RECIPIENTS) {
				say (s, "503 5.5.1 no\r\n");
				continue;
			}
			recipients++;
			say (s, "250 2.1.5 Ok\r\n");
		} else if (is (text, "DATA")) {
			int ok;

			if (recipients == 0) {
				say (s, "503 5.5.1 no recipients\r\n");
				continue;
			}
			say (s, "354 go ahead\r\n");
			if (read_data (s) < 0)
				return;
			ok = store (s) == 0;
			/* After the commit, as ticketgate sends its answers. */
			if (ok && (smtp_host ? submit () : hand_over ()) < 0)
				fprintf (stderr, "tg-lmtp-floor: %s failed\n",
					 smtp_host ? "SMTP" : "sendmail");
			for (; recipients > 0; recipients--)
				say (s, ok ? "250 2.0.0 stored\r\n"
					   : "451 4.3.0 not stored\r\n");
			mail = 0;
		} else if (is (text, "RSET") || is (text, "NOOP")) {
			mail = recipients = 0;
			say (s, "250 2.0.0 Ok\r\n");
		} else if (is (text, "QUIT")) {
			say (s, "221 2.0.0 Bye\r\n");
			return;
		} else {
			say (s, "500 5.5.2 what\r\n");
		}
	}
}

static void
worker (int listener)
{
	static Session s;

	signal (SIGTERM, SIG_DFL);
	signal (SIGINT, SIG_DFL);
	/* A peer gone shows as a failed write. */
	signal (SIGPIPE, SIG_IGN);
	for (;;) {
		int fd = accept4 (listener, NULL, NULL, SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			_exit (EX_OSERR);
		}
		s.fd = fd;
		s.start = s.end = 0;
		serve (&s);
		close (fd);
	}
}

static volatile sig_atomic_t stop;

static void
on_stop (int sig)
{
	(void) sig;
	stop = 1;
}

int
main (int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct sigaction act = { .sa_handler = on_stop };
	const char *path = NULL;
	pid_t pids[MAX_WORKERS];
	int n = 1, opt, listener;

	while ((opt = getopt (argc, argv, "l:n:s:S:")) != -1) {
		if (opt == 'l') {
			path = optarg;
		} else if (opt == 'n') {
			n = atoi (optarg);
		} else if (opt == 's') {
			sendmail = optarg;
		} else if (opt == 'S') {
			char *colon = strrchr (optarg, ':');

			if (colon == NULL)
				return EX_USAGE;
			smtp_port = atoi (colon + 1);
			smtp_host = strndup (optarg, (size_t) (colon - optarg));
		} else {
			return EX_USAGE;
		}
	}
	if (path == NULL || optind != argc - 1 || n < 1 || n > MAX_WORKERS ||
	    strlen (path) >= sizeof sa.sun_path ||
	    (smtp_host != NULL && (smtp_port <= 0 || sendmail != NULL))) {
		fprintf (stderr, "usage: tg-lmtp-floor -l PATH [-n N] "
				 "[-s SENDMAIL | -S HOST:PORT] CONNINFO\n");
		return EX_USAGE;
	}
	conninfo = argv[optind];
	strcpy (sa.sun_path, path);
	unlink (path);
	listener = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (listener < 0 ||
	    bind (listener, (struct sockaddr *) &sa, sizeof sa) < 0 ||
	    listen (listener, 128) < 0) {
		perror ("tg-lmtp-floor: listen");
		return EX_OSERR;
	}
	sigaction (SIGTERM, &act, NULL);
	sigaction (SIGINT, &act, NULL);
	for (int i = 0; i < n; i++) {
		pids[i] = fork ();
		if (pids[i] == 0)
			worker (listener);
	}
	while (!stop)
		pause ();
	for (int i = 0; i < n; i++)
		if (pids[i] > 0)
			kill (pids[i], SIGTERM);
	for (int i = 0; i < n; i++)
		if (pids[i] > 0)
			waitpid (pids[i], NULL, 0);
	unlink (path);
	return 0;
}
