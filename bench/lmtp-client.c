/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tg-lmtp-client: sends the corpus over LMTP to a unix socket with J
 * concurrent sessions, as Postfix's lmtp(8) does with connection
 * caching: each session connects once, says LHLO, then sends mail after
 * mail, MAIL FROM, RCPT TO and DATA pipelined (RFC 2920) and the
 * content after the 354, and waits for the recipient's reply before
 * the next mail. Mails are taken in corpus order from one counter by
 * whichever session is free. In C, like tg-runner, so that the client's
 * own cost stays small next to the server's.
 *
 *   tg-lmtp-client -s SOCKET -l LIST [-j J] [-n MAILS] [-t TAG]
 *                  [-o OUT]
 *
 * LIST is the corpus's list.tsv (PATH<TAB>SENDER<TAB>RECIPIENT). MAILS
 * (default: one pass) may exceed the corpus, which is then sent again
 * and again; every "BENCHRUN" in a mail is replaced by an 8-byte tag
 * made of TAG's first letter and TAG's number plus the pass (TAG
 * "l0000100": passes l0000100, l0000101, ...), so that no pass is taken
 * for a retry of another.
 *
 * OUT gets per mail: index, session, end (ms since the run began),
 * latency (ms, from MAIL FROM written to the last reply read), the
 * final reply code (-1: the session broke) and bytes sent; the last
 * line is "# wall_ms=...". Exit 0 when every mail got 250, 1 when some
 * did not, 2 on a usage or set-up error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define PLACEHOLDER "BENCHRUN"
#define TAG_LEN 8
#define MAX_SESSIONS 256
#define MAX_TAGS 16

typedef struct {
	char *envelope;	/* MAIL, RCPT, DATA */
	size_t envelope_len;
	char *content;	/* CRLF, dot-stuffed, with the final dot */
	size_t len;
	size_t tags[MAX_TAGS];
	int n_tags;
} Mail;

typedef struct {
	double end_ms, latency_ms;
	int session, code;
	size_t bytes;
} Record;

typedef struct {
	int id, fd;
	char in[8192];
	size_t start, end;
	char *buf;
	size_t cap;
} Session;

static Mail *mails;
static size_t n_mails;
static long total;
static atomic_long next_mail;
static Record *records;
static const char *socket_path;
static char tag_letter = 'l';
static long tag_base;
static struct timespec t0;

static double
since (const struct timespec *a)
{
	struct timespec b;

	clock_gettime (CLOCK_MONOTONIC, &b);
	return (b.tv_sec - a->tv_sec) * 1e3 + (b.tv_nsec - a->tv_nsec) / 1e6;
}

static void *
xmalloc (size_t n)
{
	void *p = malloc (n);

	if (p == NULL) {
		perror ("tg-lmtp-client");
		exit (2);
	}
	return p;
}

/* The file as LMTP content: LF to CRLF, leading dots doubled, ".". */
static void
load (Mail *m, const char *path)
{
	FILE *f = fopen (path, "rb");
	char *raw, *out, *hit;
	long size;
	size_t o = 0;

	if (f == NULL || fseek (f, 0, SEEK_END) < 0 || (size = ftell (f)) < 0) {
		perror (path);
		exit (2);
	}
	rewind (f);
	raw = xmalloc ((size_t) size + 1);
	if (fread (raw, 1, (size_t) size, f) != (size_t) size) {
		perror (path);
		exit (2);
	}
	fclose (f);
	out = xmalloc ((size_t) size * 2 + 8);
	for (long i = 0; i < size; i++) {
		int at_start = i == 0 || raw[i - 1] == '\n';

		if (at_start && raw[i] == '.')
			out[o++] = '.';
		if (raw[i] == '\n' && (i == 0 || raw[i - 1] != '\r'))
			out[o++] = '\r';
		out[o++] = raw[i];
	}
	if (o > 0 && out[o - 1] != '\n') {
		out[o++] = '\r';
		out[o++] = '\n';
	}
	memcpy (out + o, ".\r\n", 3);
	o += 3;
	m->content = out;
	m->len = o;
	m->n_tags = 0;
	for (hit = memmem (out, o, PLACEHOLDER, TAG_LEN);
	     hit != NULL && m->n_tags < MAX_TAGS;
	     hit = memmem (hit + TAG_LEN, o - (size_t) (hit + TAG_LEN - out),
			   PLACEHOLDER, TAG_LEN))
		m->tags[m->n_tags++] = (size_t) (hit - out);
	free (raw);
}

static void
load_list (const char *list)
{
	FILE *f = fopen (list, "r");
	char *line = NULL;
	size_t cap = 0, alloc = 0;

	if (f == NULL) {
		perror (list);
		exit (2);
	}
	while (getline (&line, &cap, f) > 0) {
		char *path = strtok (line, "\t\n");
		char *sender = strtok (NULL, "\t\n");
		char *rcpt = strtok (NULL, "\t\n");
		Mail *m;

		if (path == NULL)
			continue;
		if (rcpt == NULL) { /* the null sender: an empty field */
			rcpt = sender;
			sender = "";
		}
		if (n_mails == alloc) {
			alloc = alloc ? alloc * 2 : 256;
			mails = realloc (mails, alloc * sizeof *mails);
			if (mails == NULL)
				exit (2);
		}
		m = &mails[n_mails++];
		load (m, path);
		if (asprintf (&m->envelope, "MAIL FROM:<%s>\r\nRCPT TO:<%s>\r\n"
					    "DATA\r\n",
			      sender, rcpt ? rcpt : "support@desk.example") < 0)
			exit (2);
		m->envelope_len = strlen (m->envelope);
	}
	free (line);
	fclose (f);
}

static int
send_all (int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write (fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t) n;
	}
	return 0;
}

/* One reply, multi-line or not: its code, or -1. */
static int
reply (Session *s)
{
	for (;;) {
		char *p = s->in + s->start;
		char *lf = memchr (p, '\n', s->end - s->start);

		if (lf != NULL) {
			int code = atoi (p);
			int more = lf - p > 3 && p[3] == '-';

			s->start += (size_t) (lf - p) + 1;
			if (!more)
				return code;
			continue;
		}
		memmove (s->in, p, s->end - s->start);
		s->end -= s->start;
		s->start = 0;
		if (s->end == sizeof s->in)
			return -1;
		ssize_t n = read (s->fd, s->in + s->end, sizeof s->in - s->end);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		s->end += (size_t) n;
	}
}

static int
open_session (Session *s)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	strncpy (sa.sun_path, socket_path, sizeof sa.sun_path - 1);
	s->start = s->end = 0;
	s->fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s->fd < 0 || connect (s->fd, (struct sockaddr *) &sa, sizeof sa) < 0)
		return -1;
	if (reply (s) != 220 || send_all (s->fd, "LHLO bench\r\n", 12) < 0 ||
	    reply (s) != 250)
		return -1;
	return 0;
}

static void
close_session (Session *s)
{
	if (s->fd >= 0) {
		if (send_all (s->fd, "QUIT\r\n", 6) == 0)
			reply (s);
		close (s->fd);
	}
	s->fd = -1;
}

/* One mail: its final reply code, or -1 when the session broke. */
static int
one (Session *s, long k)
{
	const Mail *m = &mails[k % (long) n_mails];
	char tag[TAG_LEN + 8];
	int code;

	if (m->len > s->cap) {
		free (s->buf);
		s->cap = m->len;
		s->buf = xmalloc (s->cap);
	}
	memcpy (s->buf, m->content, m->len);
	snprintf (tag, sizeof tag, "%c%07ld", tag_letter,
		  tag_base + k / (long) n_mails);
	for (int i = 0; i < m->n_tags; i++)
		memcpy (s->buf + m->tags[i], tag, TAG_LEN);
	if (send_all (s->fd, m->envelope, m->envelope_len) < 0)
		return -1;
	if ((code = reply (s)) != 250 || (code = reply (s)) != 250 ||
	    (code = reply (s)) != 354)
		return code;
	if (send_all (s->fd, s->buf, m->len) < 0)
		return -1;
	return reply (s);
}

static void *
session (void *arg)
{
	Session *s = arg;

	s->fd = -1;
	for (;;) {
		long k = atomic_fetch_add (&next_mail, 1);
		struct timespec a;
		Record *r;

		if (k >= total)
			break;
		r = &records[k];
		clock_gettime (CLOCK_MONOTONIC, &a);
		if (s->fd < 0 && open_session (s) < 0) {
			close (s->fd);
			s->fd = -1;
			r->code = -1;
		} else {
			r->code = one (s, k);
		}
		r->latency_ms = since (&a);
		r->end_ms = since (&t0);
		r->session = s->id;
		r->bytes = mails[k % (long) n_mails].len;
		if (r->code != 250) {
			/* The server may have ended the session (421). */
			close (s->fd);
			s->fd = -1;
		}
	}
	close_session (s);
	return NULL;
}

int
main (int argc, char **argv)
{
	static Session sessions[MAX_SESSIONS];
	pthread_t threads[MAX_SESSIONS];
	const char *list = NULL, *out = NULL, *tag = NULL;
	int jobs = 1, opt, bad = 0;
	FILE *o;

	while ((opt = getopt (argc, argv, "s:l:j:n:t:o:")) != -1) {
		if (opt == 's')
			socket_path = optarg;
		else if (opt == 'l')
			list = optarg;
		else if (opt == 'j')
			jobs = atoi (optarg);
		else if (opt == 'n')
			total = atol (optarg);
		else if (opt == 't')
			tag = optarg;
		else if (opt == 'o')
			out = optarg;
		else
			return 2;
	}
	if (socket_path == NULL || list == NULL || jobs < 1 ||
	    jobs > MAX_SESSIONS || total < 0 ||
	    (tag != NULL && strlen (tag) != TAG_LEN)) {
		fprintf (stderr, "usage: tg-lmtp-client -s SOCKET -l LIST [-j J] "
				 "[-n MAILS] [-t TAG] [-o OUT]\n");
		return 2;
	}
	if (tag != NULL) {
		tag_letter = tag[0];
		tag_base = atol (tag + 1);
	}
	load_list (list);
	if (n_mails == 0)
		return 2;
	if (total == 0)
		total = (long) n_mails;
	records = calloc ((size_t) total, sizeof *records);
	if (records == NULL)
		return 2;
	clock_gettime (CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < jobs; i++) {
		sessions[i].id = i;
		pthread_create (&threads[i], NULL, session, &sessions[i]);
	}
	for (int i = 0; i < jobs; i++)
		pthread_join (threads[i], NULL);
	double wall = since (&t0);

	o = out != NULL ? fopen (out, "w") : stdout;
	if (o == NULL) {
		perror (out);
		return 2;
	}
	fprintf (o, "# index\tsession\tend_ms\tlatency_ms\tcode\tbytes\n");
	for (long k = 0; k < total; k++) {
		const Record *r = &records[k];

		fprintf (o, "%ld\t%d\t%.3f\t%.3f\t%d\t%zu\n", k, r->session,
			 r->end_ms, r->latency_ms, r->code, r->bytes);
		if (r->code != 250) {
			if (bad++ < 5)
				fprintf (stderr, "tg-lmtp-client: mail %ld "
						 "(%zu of the list): reply "
						 "%d\n",
					 k, (size_t) (k % (long) n_mails),
					 r->code);
		}
	}
	fprintf (o, "# wall_ms=%.3f\n", wall);
	if (fclose (o) != 0) {
		perror (out);
		return 2;
	}
	if (bad > 0)
		fprintf (stderr, "tg-lmtp-client: %d of %ld mails not taken\n",
			 bad, total);
	return bad > 0 ? 1 : 0;
}
