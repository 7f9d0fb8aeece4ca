/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * lmtp: one LMTP session. Input is read through one buffer with poll()
 * and a deadline, so that pipelined commands (RFC 2920) are served from
 * it and a silent client ends the session; replies are collected and
 * written when the next read would wait, as a pipelining server should.
 * The mail is streamed into a spool line by line; beyond the size limit
 * it is read and dropped, so that the client hears the refusal after
 * the final dot, as RFC 1870 wants.
 */
#include "lmtp.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

/* RFC 5321 4.5.3.1: 512 octets for a command line; extensions lengthen
 * MAIL and RCPT, so a little more is taken. */
#define MAX_LINE 2048
#define MAX_ERRORS 10
#define IN_SIZE 65536

typedef enum {
	STATE_START,	/* before LHLO */
	STATE_READY,	/* no transaction */
	STATE_MAIL,	/* MAIL given */
	STATE_RCPT,	/* at least one recipient */
} State;

typedef struct {
	const TgLmtpServer *srv;
	int in_fd, out_fd;
	char in[IN_SIZE];
	gsize in_start, in_end;
	GString *out;
	State state;
	char *sender;
	GPtrArray *recipients; /* char *, NULL-terminated when handed over */
	char *queue_id;
	guint errors;
	TgLmtpEnd end;	/* set once the session is to end */
	gboolean ending;
} Session;

/* ---- input and output ---------------------------------------------- */

static gboolean
wait_fd (Session *s, int fd, short events)
{
	gint64 deadline = g_get_monotonic_time () +
			  (gint64) s->srv->timeout * G_USEC_PER_SEC;

	for (;;) {
		struct pollfd p = { .fd = fd, .events = events };
		gint64 left = (deadline - g_get_monotonic_time ()) / 1000;
		int n;

		if (left <= 0) {
			s->end = TG_LMTP_END_TIMEOUT;
			return FALSE;
		}
		n = poll (&p, 1, (int) MIN (left, 1000));
		if (n > 0)
			return TRUE;
		if (n < 0 && errno != EINTR) {
			s->end = TG_LMTP_END_IO;
			return FALSE;
		}
		/* An idle session ends when the server stops. */
		if (s->state <= STATE_READY && s->srv->stopping != NULL &&
		    s->srv->stopping (s->srv->data) && events == POLLIN) {
			s->end = TG_LMTP_END_STOPPING;
			return FALSE;
		}
	}
}

void
tg_lmtp_write_now (int fd, const char *line_crlf, gsize len)
{
	while (len > 0) {
		ssize_t n = write (fd, line_crlf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		line_crlf += n;
		len -= (gsize) n;
	}
}

static gboolean
flush (Session *s)
{
	gsize done = 0;

	while (done < s->out->len) {
		ssize_t n;

		if (!wait_fd (s, s->out_fd, POLLOUT))
			return FALSE;
		n = write (s->out_fd, s->out->str + done, s->out->len - done);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0) {
			s->end = TG_LMTP_END_IO;
			return FALSE;
		}
		done += (gsize) n;
	}
	g_string_truncate (s->out, 0);
	return TRUE;
}

static void G_GNUC_PRINTF (3, 4)
reply (Session *s, int code, const char *format, ...)
{
	va_list ap;

	g_string_append_printf (s->out, "%d ", code);
	va_start (ap, format);
	g_string_append_vprintf (s->out, format, ap);
	va_end (ap);
	g_string_append (s->out, "\r\n");
}

/* More input; replies wait no longer than the input. FALSE at the end. */
static gboolean
fill (Session *s)
{
	ssize_t n;

	if (s->out->len > 0 && !flush (s))
		return FALSE;
	if (s->in_start > 0) {
		memmove (s->in, s->in + s->in_start, s->in_end - s->in_start);
		s->in_end -= s->in_start;
		s->in_start = 0;
	}
	for (;;) {
		if (!wait_fd (s, s->in_fd, POLLIN))
			return FALSE;
		n = read (s->in_fd, s->in + s->in_end, IN_SIZE - s->in_end);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0) {
			s->end = TG_LMTP_END_IO;
			return FALSE;
		}
		if (n == 0) {
			s->end = TG_LMTP_END_CLOSED;
			return FALSE;
		}
		s->in_end += (gsize) n;
		return TRUE;
	}
}

/*
 * The next line, up to and without its LF (and CR before it), in @line
 * (valid until the next read), or as much of a longer line as the
 * buffer holds with *@whole FALSE. FALSE at the end of the session.
 */
static gboolean
next_line (Session *s, gsize max, const char **line, gsize *len,
	   gboolean *whole)
{
	for (;;) {
		char *start = s->in + s->in_start;
		gsize avail = s->in_end - s->in_start;
		char *lf = memchr (start, '\n', MIN (avail, max));

		if (lf != NULL || avail >= max) {
			gsize n = lf != NULL ? (gsize) (lf - start) : max;

			*line = start;
			*whole = lf != NULL;
			s->in_start += n + (lf != NULL);
			if (lf != NULL && n > 0 && start[n - 1] == '\r')
				n--;
			*len = n;
			return TRUE;
		}
		if (!fill (s))
			return FALSE;
	}
}

/* ---- commands ------------------------------------------------------ */

static void
reset (Session *s)
{
	g_clear_pointer (&s->sender, g_free);
	g_ptr_array_set_size (s->recipients, 0);
	g_clear_pointer (&s->queue_id, g_free);
	if (s->state > STATE_READY)
		s->state = STATE_READY;
}

/* Whether @line starts with @verb (any case) followed by the end or a
 * space or, for "MAIL FROM:"-like verbs that end in ':', anything. */
static const char *
verb (const char *line, const char *name)
{
	gsize n = strlen (name);

	if (g_ascii_strncasecmp (line, name, n) != 0)
		return NULL;
	if (name[n - 1] == ':')
		return line + n;
	if (line[n] == '\0')
		return line + n;
	if (line[n] == ' ')
		return line + n + 1;
	return NULL;
}

/* "<addr> PARAMS": the address (without brackets) and the parameters. */
static char *
path_of (const char *arg, const char **params)
{
	const char *end;

	while (*arg == ' ')
		arg++;
	if (*arg != '<')
		return NULL;
	end = strchr (arg, '>');
	if (end == NULL)
		return NULL;
	*params = end + 1;
	return g_strndup (arg + 1, end - arg - 1);
}

static void
do_lhlo (Session *s, const char *arg)
{
	if (*arg == '\0') {
		reply (s, 501, "5.5.4 LHLO needs a domain");
		return;
	}
	reset (s);
	g_string_append_printf (s->out, "250-%s\r\n", s->srv->hostname);
	/* english: the protocol's keywords */
	g_string_append (s->out, "250-PIPELINING\r\n"
				 "250-ENHANCEDSTATUSCODES\r\n"
				 "250-8BITMIME\r\n"
				 "250-SMTPUTF8\r\n"
				 "250-XFORWARD NAME ADDR PROTO HELO IDENT "
				 "SOURCE PORT\r\n");
	if (s->srv->max_size > 0)
		g_string_append_printf (s->out, "250 SIZE %zu\r\n",
					s->srv->max_size);
	else
		g_string_append (s->out, "250 SIZE\r\n");
	s->state = STATE_READY;
}

/* MAIL's parameters: SIZE is checked; BODY and SMTPUTF8 are what was
 * announced; RET and ENVID are a DSN client's habit and harmless. */
static gboolean
mail_params (Session *s, const char *params)
{
	g_auto (GStrv) words = g_strsplit (params, " ", -1);

	for (guint i = 0; words[i] != NULL; i++) {
		const char *w = words[i];
		guint64 size;

		if (*w == '\0' || g_ascii_strncasecmp (w, "BODY=", 5) == 0 ||
		    g_ascii_strcasecmp (w, "SMTPUTF8") == 0 ||
		    g_ascii_strncasecmp (w, "RET=", 4) == 0 ||
		    g_ascii_strncasecmp (w, "ENVID=", 6) == 0)
			continue;
		if (g_ascii_strncasecmp (w, "SIZE=", 5) != 0) {
			reply (s, 555, "5.5.4 unsupported parameter %.40s", w);
			return FALSE;
		}
		if (!g_ascii_string_to_unsigned (w + 5, 10, 0, G_MAXUINT64,
						 &size, NULL)) {
			reply (s, 501, "5.5.4 bad SIZE");
			return FALSE;
		}
		if (s->srv->max_size > 0 && size > s->srv->max_size) {
			reply (s, 552, "5.3.4 message larger than %zu bytes",
			       s->srv->max_size);
			return FALSE;
		}
	}
	return TRUE;
}

static void
do_mail (Session *s, const char *arg)
{
	const char *params = NULL;
	g_autofree char *path = NULL;

	if (s->state == STATE_START) {
		reply (s, 503, "5.5.1 send LHLO first");
		return;
	}
	if (s->state != STATE_READY) {
		reply (s, 503, "5.5.1 nested MAIL command");
		return;
	}
	path = path_of (arg, &params);
	if (path == NULL) {
		reply (s, 501, "5.5.4 syntax: MAIL FROM:<address>");
		return;
	}
	if (!mail_params (s, params))
		return;
	s->sender = g_steal_pointer (&path);
	s->state = STATE_MAIL;
	reply (s, 250, "2.1.0 Ok");
}

static void
do_rcpt (Session *s, const char *arg)
{
	const char *params = NULL;
	g_autofree char *path = NULL;

	if (s->state < STATE_MAIL) {
		reply (s, 503, "5.5.1 need MAIL command");
		return;
	}
	path = path_of (arg, &params);
	if (path == NULL || *path == '\0') {
		reply (s, 501, "5.5.4 syntax: RCPT TO:<address>");
		return;
	}
	if (s->recipients->len >= s->srv->max_recipients) {
		reply (s, 452, "4.5.3 too many recipients");
		return;
	}
	g_ptr_array_add (s->recipients, g_steal_pointer (&path));
	s->state = STATE_RCPT;
	reply (s, 250, "2.1.5 Ok");
}

/* XFORWARD (Postfix's XFORWARD_README): only IDENT, the queue id, is
 * kept, for the log line. */
static void
do_xforward (Session *s, const char *arg)
{
	g_auto (GStrv) words = g_strsplit (arg, " ", -1);

	for (guint i = 0; words[i] != NULL; i++)
		if (g_ascii_strncasecmp (words[i], "IDENT=", 6) == 0 &&
		    words[i][6] != '\0' && strlen (words[i]) < 64 &&
		    g_ascii_strcasecmp (words[i] + 6, "[UNAVAILABLE]") != 0) {
			g_free (s->queue_id);
			s->queue_id = g_strdup (words[i] + 6);
		}
	reply (s, 250, "2.0.0 Ok");
}

/* ---- the mail ------------------------------------------------------ */

/*
 * Reads the data up to the final dot into @spool, without the dots of
 * dot-stuffing and with LF line ends; past max_size nothing more is
 * kept and *@too_big is set. FALSE when the session ended; a spool
 * that cannot be written sets *@spool_error and reading goes on.
 */
static gboolean
read_data (Session *s, TgSpool *spool, gboolean *too_big,
	   GError **spool_error)
{
	gsize size = 0;
	gboolean at_start = TRUE;

	for (;;) {
		const char *line;
		gsize len;
		gboolean whole;

		if (!next_line (s, IN_SIZE, &line, &len, &whole))
			return FALSE;
		if (at_start && whole && len == 1 && line[0] == '.')
			return TRUE;
		if (at_start && len > 0 && line[0] == '.') {
			line++;
			len--;
		}
		at_start = whole;
		size += len + whole;
		if (s->srv->max_size > 0 && size > s->srv->max_size)
			*too_big = TRUE;
		if (*too_big || *spool_error != NULL)
			continue;
		if (!tg_spool_append (spool, line, len, spool_error) ||
		    (whole && !tg_spool_append (spool, "\n", 1, spool_error)))
			continue;
	}
}

/* One reply per recipient, each on the wire as soon as it is known. */
static void
answer_each (Session *s, const TgLmtpMail *mail, gboolean too_big,
	     const GError *spool_error)
{
	for (guint i = 0; i < s->recipients->len - 1; i++) {
		TgLmtpReply r = { 0 };

		if (too_big) {
			reply (s, 552, "5.3.4 <%s> message larger than %zu "
					"bytes",
			       (const char *) s->recipients->pdata[i],
			       s->srv->max_size);
		} else if (spool_error != NULL) {
			reply (s, 451, "4.3.0 <%s> the mail could not be "
					"spooled, will retry",
			       (const char *) s->recipients->pdata[i]);
		} else {
			if (!s->srv->deliver (s->srv->data, mail, i, &r)) {
				s->end = TG_LMTP_END_DELIVER;
				s->ending = TRUE;
			}
			reply (s, r.code, "%s", r.text);
			g_free (r.text);
		}
		if (!flush (s))
			return;
	}
}

static void
do_data (Session *s, const char *arg)
{
	g_autoptr (TgSpool) spool = NULL;
	g_autoptr (GError) spool_error = NULL;
	gboolean too_big = FALSE;
	TgLmtpMail mail;

	if (*arg != '\0') {
		reply (s, 501, "5.5.4 DATA takes no argument");
		return;
	}
	if (s->state != STATE_RCPT) {
		reply (s, 503, s->state == STATE_MAIL
				       ? "5.5.1 no valid recipients"
				       : "5.5.1 need MAIL command");
		return;
	}
	reply (s, 354, "End data with <CR><LF>.<CR><LF>");
	spool = tg_spool_new (s->srv->spool_memory, s->srv->spool_directory);
	if (!read_data (s, spool, &too_big, &spool_error))
		return;
	tg_spool_finish (spool);
	g_ptr_array_add (s->recipients, NULL);
	mail = (TgLmtpMail) {
		.sender = s->sender,
		.recipients = (const char *const *) s->recipients->pdata,
		.queue_id = s->queue_id,
		.spool = spool,
	};
	answer_each (s, &mail, too_big, spool_error);
	reset (s);
	if (s->ending)
		reply (s, 421, "4.3.0 %s closing connection",
		       s->srv->hostname);
}

static void
command (Session *s, const char *line)
{
	const char *arg;

	if ((arg = verb (line, "LHLO")) != NULL)
		do_lhlo (s, arg);
	else if ((arg = verb (line, "MAIL FROM:")) != NULL) /* english: verb */
		do_mail (s, arg);
	else if ((arg = verb (line, "RCPT TO:")) != NULL) /* english: verb */
		do_rcpt (s, arg);
	else if ((arg = verb (line, "DATA")) != NULL)
		do_data (s, arg);
	else if ((arg = verb (line, "XFORWARD")) != NULL)
		do_xforward (s, arg);
	else if (verb (line, "RSET") != NULL) {
		reset (s);
		reply (s, 250, "2.0.0 Ok");
	} else if (verb (line, "NOOP") != NULL)
		reply (s, 250, "2.0.0 Ok");
	else if (verb (line, "QUIT") != NULL) {
		reply (s, 221, "2.0.0 Bye");
		s->end = TG_LMTP_END_QUIT;
		s->ending = TRUE;
	} else if (verb (line, "VRFY") != NULL)
		reply (s, 252, "2.5.2 send some mail, I'll try my best");
	else if (verb (line, "HELO") != NULL || verb (line, "EHLO") != NULL) {
		reply (s, 500, "5.5.1 this is LMTP: use LHLO");
		s->errors++;
	} else {
		reply (s, 500, "5.5.2 command not recognized");
		s->errors++;
	}
}

/* ---- the session --------------------------------------------------- */

static void
serve (Session *s)
{
	reply (s, 220, "%s LMTP ticketgate", s->srv->hostname);
	while (!s->ending) {
		if (s->state <= STATE_READY && s->srv->stopping != NULL &&
		    s->srv->stopping (s->srv->data)) {
			s->end = TG_LMTP_END_STOPPING;
			break;
		}
		const char *line;
		gsize len;
		gboolean whole;
		g_autofree char *text = NULL;

		if (!next_line (s, MAX_LINE, &line, &len, &whole))
			break;
		if (!whole) {
			/* Drop the rest of an overlong line. */
			do {
				if (!next_line (s, MAX_LINE, &line, &len,
						&whole))
					return;
			} while (!whole);
			reply (s, 500, "5.5.2 line too long");
			s->errors++;
		} else if (memchr (line, '\0', len) != NULL) {
			reply (s, 500, "5.5.2 NUL in command");
			s->errors++;
		} else {
			text = g_strndup (line, len);
			command (s, text);
		}
		if (s->errors >= MAX_ERRORS) {
			reply (s, 421, "4.7.0 %s too many errors",
			       s->srv->hostname);
			s->end = TG_LMTP_END_ERRORS;
			break;
		}
	}
}

TgLmtpEnd
tg_lmtp_serve (const TgLmtpServer *server, int in_fd, int out_fd)
{
	Session s = {
		.srv = server,
		.in_fd = in_fd,
		.out_fd = out_fd,
		.out = g_string_new (NULL),
		.recipients = g_ptr_array_new_with_free_func (g_free),
		.end = TG_LMTP_END_CLOSED,
	};

	serve (&s);
	if (s.end == TG_LMTP_END_TIMEOUT)
		reply (&s, 421, "4.4.2 %s timeout exceeded, closing",
		       server->hostname);
	else if (s.end == TG_LMTP_END_STOPPING)
		reply (&s, 421, "4.3.2 %s shutting down",
		       server->hostname);
	if (s.out->len > 0 && s.end != TG_LMTP_END_IO &&
	    s.end != TG_LMTP_END_CLOSED)
		tg_lmtp_write_now (out_fd, s.out->str, s.out->len);
	reset (&s);
	g_ptr_array_unref (s.recipients);
	g_string_free (s.out, TRUE);
	return s.end;
}

const char *
tg_lmtp_end_name (TgLmtpEnd end)
{
	static const char *const names[] = {
		[TG_LMTP_END_QUIT] = "quit",
		[TG_LMTP_END_CLOSED] = "closed",
		[TG_LMTP_END_TIMEOUT] = "timeout",
		[TG_LMTP_END_ERRORS] = "errors",
		[TG_LMTP_END_STOPPING] = "stopping",
		[TG_LMTP_END_DELIVER] = "delivery",
		[TG_LMTP_END_IO] = "i/o error",
	};

	return end < G_N_ELEMENTS (names) ? names[end] : "?";
}
