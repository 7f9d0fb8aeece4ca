/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * smtp: the client side of RFC 5321 for one local server: the greeting,
 * EHLO (HELO if refused), MAIL, RCPT, DATA with dot-stuffing and CRLF,
 * RSET before a kept connection is used again. Every read and write
 * waits in poll() for the caller's deadline at most. It must not know
 * of MIME, tickets or the database, and it never resolves names.
 */
#include "smtp.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "endpoint.h"

G_DEFINE_QUARK (tg-smtp-error-quark, tg_smtp_error)

/* RFC 5321 4.5.3.1.5 allows 512 bytes for a reply line; servers write
 * longer ones, so more is read, and a line beyond this is an error. */
#define LINE_MAX_BYTES 4096
#define REPLY_MAX_LINES 64
/* How much of a reply's first line an error carries. */
#define REPLY_KEEP 200
/* The size of each write of the data. */
#define CHUNK (64 * 1024)
/* How long QUIT may take when the client is freed. */
#define QUIT_USEC (G_USEC_PER_SEC / 2)

struct _TgSmtp {
	char *address; /* as configured, for errors */
	char *helo;
	TgEndpoint server;
	int fd;               /* -1 when not connected */
	gboolean lost;        /* the connection broke (EOF, error, 421) */
	gboolean has_size;    /* EHLO announced SIZE (RFC 1870) */
	gboolean has_8bitmime; /* ... and 8BITMIME (RFC 6152) */
	char in[LINE_MAX_BYTES];
	gsize in_len;
	int code;             /* of the last reply */
	GString *reply;       /* its first line, bounded and printable */
};

/* "inet:1.2.3.4:25", "inet:[::1]:25" or "unix:/path" (endpoint.h
 * reads the notation). */
static gboolean
parse_address (const char *text, TgEndpoint *out, char **why)
{
	if (!g_str_has_prefix (text, "inet:") &&
	    !g_str_has_prefix (text, "unix:")) {
		*why = g_strdup ("must be sendmail, inet:ADDRESS:PORT or "
				 "unix:/PATH");
		return FALSE;
	}
	return tg_endpoint_parse (text, out, why);
}

static void
disconnect (TgSmtp *s)
{
	if (s->fd >= 0)
		close (s->fd);
	s->fd = -1;
	s->in_len = 0;
	s->has_size = s->has_8bitmime = FALSE;
}

/* Waits until @fd is ready for @events, or fails at @deadline. */
static gboolean
wait_fd (TgSmtp *s, short events, gint64 deadline, const char *step,
	 GError **error)
{
	for (;;) {
		struct pollfd p = { s->fd, events, 0 };
		gint64 left = deadline - g_get_monotonic_time ();
		int n;

		if (left <= 0) {
			g_set_error (error, TG_SMTP_ERROR,
				     TG_SMTP_ERROR_TEMPORARY,
				     "%s: timed out %s", s->address, step);
			return FALSE;
		}
		n = poll (&p, 1, (int) MIN (left / 1000 + 1, 1000));
		if (n < 0 && errno != EINTR) {
			g_set_error (error, TG_SMTP_ERROR,
				     TG_SMTP_ERROR_TEMPORARY, "%s: poll: %s",
				     s->address, g_strerror (errno));
			return FALSE;
		}
		if (n > 0)
			return TRUE;
	}
}

static gboolean
lost (TgSmtp *s, const char *step, const char *why, GError **error)
{
	s->lost = TRUE;
	g_set_error (error, TG_SMTP_ERROR, TG_SMTP_ERROR_TEMPORARY,
		     "%s: connection lost %s: %s", s->address, step, why);
	return FALSE;
}

static gboolean
write_all (TgSmtp *s, const char *data, gsize len, gint64 deadline,
	   const char *step, GError **error)
{
	gsize done = 0;

	while (done < len) {
		ssize_t w = send (s->fd, data + done, len - done,
				  MSG_NOSIGNAL);

		if (w > 0) {
			done += (gsize) w;
			continue;
		}
		if (w < 0 && errno != EAGAIN && errno != EINTR)
			return lost (s, step, g_strerror (errno), error);
		if (!wait_fd (s, POLLOUT, deadline, step, error))
			return FALSE;
	}
	return TRUE;
}

/* One line of a reply into @line, without its line end. */
static gboolean
read_line (TgSmtp *s, GString *line, gint64 deadline, const char *step,
	   GError **error)
{
	for (;;) {
		char *nl = memchr (s->in, '\n', s->in_len);
		ssize_t r;

		if (nl != NULL) {
			gsize n = (gsize) (nl - s->in);

			g_string_truncate (line, 0);
			g_string_append_len (line, s->in,
					     n > 0 && s->in[n - 1] == '\r'
						     ? n - 1
						     : n);
			memmove (s->in, nl + 1, s->in_len - n - 1);
			s->in_len -= n + 1;
			return TRUE;
		}
		if (s->in_len == sizeof s->in) {
			s->lost = TRUE;
			g_set_error (error, TG_SMTP_ERROR,
				     TG_SMTP_ERROR_TEMPORARY,
				     "%s: a reply line over %d bytes %s",
				     s->address, LINE_MAX_BYTES, step);
			return FALSE;
		}
		r = recv (s->fd, s->in + s->in_len, sizeof s->in - s->in_len,
			  0);
		if (r > 0) {
			s->in_len += (gsize) r;
			continue;
		}
		if (r == 0)
			return lost (s, step, "closed by the server", error);
		if (errno != EAGAIN && errno != EINTR)
			return lost (s, step, g_strerror (errno), error);
		if (!wait_fd (s, POLLIN, deadline, step, error))
			return FALSE;
	}
}

/* The first line's text, printable ASCII only and bounded, for errors
 * and logs: a server's reply may carry anything. */
static void
keep_first_line (TgSmtp *s, const GString *line)
{
	g_string_truncate (s->reply, 0);
	for (gsize i = 0; i < line->len && s->reply->len < REPLY_KEEP; i++)
		g_string_append_c (s->reply, g_ascii_isprint (line->str[i])
						     ? line->str[i]
						     : '?');
}

/* An EHLO keyword we use (RFC 5321 4.1.1.1: one per line after the
 * first). */
static void
note_extension (TgSmtp *s, const char *text)
{
	if (g_ascii_strncasecmp (text, "SIZE", 4) == 0 &&
	    (text[4] == '\0' || text[4] == ' '))
		s->has_size = TRUE;
	else if (g_ascii_strcasecmp (text, "8BITMIME") == 0)
		s->has_8bitmime = TRUE;
}

/*
 * Reads a whole reply (RFC 5321 4.2.1: "NNN-text" lines, then one
 * "NNN text" or a bare "NNN"), keeps its code and first line. With
 * @ehlo, the lines after the first are the server's extensions.
 */
static gboolean
read_reply (TgSmtp *s, gboolean ehlo, gint64 deadline, const char *step,
	    GError **error)
{
	g_autoptr (GString) line = g_string_new (NULL);

	for (int n = 0; n < REPLY_MAX_LINES; n++) {
		const char *p;

		if (!read_line (s, line, deadline, step, error))
			return FALSE;
		p = line->str;
		if (line->len < 3 || !g_ascii_isdigit (p[0]) ||
		    !g_ascii_isdigit (p[1]) || !g_ascii_isdigit (p[2]) ||
		    (p[3] != '\0' && p[3] != ' ' && p[3] != '-')) {
			keep_first_line (s, line);
			s->lost = TRUE;
			g_set_error (error, TG_SMTP_ERROR,
				     TG_SMTP_ERROR_TEMPORARY,
				     "%s: not an SMTP reply %s: %s",
				     s->address, step, s->reply->str);
			return FALSE;
		}
		if (n == 0) {
			keep_first_line (s, line);
		} else if (ehlo && line->len > 4) {
			note_extension (s, p + 4);
		}
		if (p[3] != '-') {
			s->code = (p[0] - '0') * 100 + (p[1] - '0') * 10 +
				  (p[2] - '0');
			/* RFC 5321 3.8: the server is closing. */
			if (s->code == 421)
				s->lost = TRUE;
			return TRUE;
		}
	}
	s->lost = TRUE;
	g_set_error (error, TG_SMTP_ERROR, TG_SMTP_ERROR_TEMPORARY,
		     "%s: a reply of over %d lines %s", s->address,
		     REPLY_MAX_LINES, step);
	return FALSE;
}

/* Whether the last reply has the @want class (2 or 3); else the error. */
static gboolean
expect (TgSmtp *s, int want, const char *step, GError **error)
{
	if (s->code / 100 == want)
		return TRUE;
	g_set_error (error, TG_SMTP_ERROR,
		     s->code / 100 == 5 ? TG_SMTP_ERROR_REFUSED
					: TG_SMTP_ERROR_TEMPORARY,
		     "%s: %s refused: %s", s->address, step, s->reply->str);
	return FALSE;
}

/* Sends @line (CRLF added) and reads the reply, which must be of the
 * @want class. */
static gboolean
command (TgSmtp *s, const char *line, int want, const char *step,
	 gint64 deadline, GError **error)
{
	g_autofree char *wire = g_strconcat (line, "\r\n", NULL);
	g_autofree char *waiting = g_strconcat ("after ", step, NULL);

	return write_all (s, wire, strlen (wire), deadline, waiting, error) &&
	       read_reply (s, FALSE, deadline, waiting, error) &&
	       expect (s, want, step, error);
}

/* Connecting is endpoint.h's; the exchange after it waits in poll(). */
static gboolean
connect_socket (TgSmtp *s, gint64 deadline, GError **error)
{
	g_autoptr (GError) local = NULL;
	gint64 left_ms = (deadline - g_get_monotonic_time ()) / 1000;

	s->fd = left_ms > 0 ? tg_endpoint_connect (&s->server,
						   (int) MIN (left_ms, G_MAXINT),
						   &local)
			    : -1;
	if (s->fd < 0) {
		g_set_error (error, TG_SMTP_ERROR, TG_SMTP_ERROR_TEMPORARY,
			     "%s: connecting: %s", s->address,
			     local != NULL ? local->message : "timed out");
		return FALSE;
	}
	fcntl (s->fd, F_SETFL, fcntl (s->fd, F_GETFL) | O_NONBLOCK);
	return TRUE;
}

/* Connects, reads the greeting, says EHLO, or HELO to a server that
 * does not know EHLO (RFC 5321 4.1.4). */
static gboolean
open_session (TgSmtp *s, gint64 deadline, GError **error)
{
	g_autofree char *ehlo = g_strconcat ("EHLO ", s->helo, "\r\n", NULL);
	g_autofree char *helo = g_strconcat ("HELO ", s->helo, NULL);
	gboolean ok;

	s->lost = FALSE;
	ok = connect_socket (s, deadline, error) &&
	     read_reply (s, FALSE, deadline, "waiting for the greeting",
			 error) &&
	     expect (s, 2, "the connection", error) &&
	     write_all (s, ehlo, strlen (ehlo), deadline, "after EHLO",
			error) &&
	     read_reply (s, TRUE, deadline, "after EHLO", error);
	if (ok && s->code / 100 != 2)
		ok = s->lost ? expect (s, 2, "EHLO", error)
			     : command (s, helo, 2, "HELO", deadline, error);
	if (!ok)
		disconnect (s);
	return ok;
}

/* A mailbox that can go between < and > as it is: no controls, no
 * brackets, no spaces (they would change the command). */
static gboolean
is_sendable (const char *addr)
{
	for (const char *p = addr; *p != '\0'; p++)
		if ((guchar) *p <= ' ' || *p == '<' || *p == '>' ||
		    *p == 0x7f)
			return FALSE;
	return TRUE;
}

/* The size of @content as sent (RFC 1870: CRLF line ends, before
 * dot-stuffing), and whether it has 8-bit bytes. */
static gsize
wire_size (const guint8 *data, gsize len, gboolean *eight_out)
{
	gsize size = len;
	gboolean eight = FALSE;

	for (gsize i = 0; i < len; i++) {
		if (data[i] == '\n' && (i == 0 || data[i - 1] != '\r'))
			size++;
		eight |= data[i] >= 0x80;
	}
	if (len > 0 && data[len - 1] != '\n')
		size += 2;
	*eight_out = eight;
	return size;
}

/* "MAIL FROM:<@from>", with SIZE= (RFC 1870) and BODY=8BITMIME (RFC
 * 6152) when the connection's EHLO announced them. */
static char *
mail_command (const TgSmtp *s, const char *from, gsize size, gboolean eight)
{
	GString *cmd = g_string_new (NULL);

	g_string_append_printf (cmd, "MAIL FROM:<%s>", from);
	if (s->has_size)
		g_string_append_printf (cmd, " SIZE=%" G_GSIZE_FORMAT, size);
	if (eight && s->has_8bitmime)
		g_string_append (cmd, " BODY=8BITMIME");
	return g_string_free (cmd, FALSE);
}

/* MAIL FROM, after RSET on a kept connection. When the kept connection
 * turns out to be gone (closed while idle) before MAIL FROM is taken,
 * nothing has been sent: one new connection is tried. */
static gboolean
begin_mail (TgSmtp *s, const char *from, gsize size, gboolean eight,
	    gint64 deadline, GError **error)
{
	gboolean reused = s->fd >= 0;

	for (;;) {
		g_autoptr (GError) local = NULL;
		g_autofree char *cmd = NULL;

		if (s->fd < 0 && !open_session (s, deadline, error))
			return FALSE;
		cmd = mail_command (s, from, size, eight);
		if ((!reused ||
		     command (s, "RSET", 2, "RSET", deadline, &local)) &&
		    command (s, cmd, 2, "MAIL FROM", deadline, &local))
			return TRUE;
		disconnect (s);
		if (!reused || !s->lost) {
			g_propagate_error (error, g_steal_pointer (&local));
			return FALSE;
		}
		reused = FALSE;
	}
}

/*
 * The data: CRLF line ends (a bare LF becomes CRLF), a '.' doubled at
 * the start of a line (RFC 5321 4.5.2), a line end added when the mail
 * has none, then the final ".".
 */
static gboolean
send_data (TgSmtp *s, const guint8 *data, gsize len, gint64 deadline,
	   GError **error)
{
	g_autoptr (GString) out = g_string_sized_new (CHUNK + 8);
	const char *step = "sending the data";
	gboolean bol = TRUE;
	guint8 prev = '\n';

	for (gsize i = 0; i < len; i++) {
		guint8 c = data[i];

		if (bol && c == '.')
			g_string_append_c (out, '.');
		if (c == '\n' && prev != '\r')
			g_string_append_c (out, '\r');
		g_string_append_c (out, (char) c);
		bol = c == '\n';
		prev = c;
		if (out->len >= CHUNK) {
			if (!write_all (s, out->str, out->len, deadline, step,
					error))
				return FALSE;
			g_string_truncate (out, 0);
		}
	}
	if (prev != '\n')
		g_string_append (out, prev == '\r' ? "\n" : "\r\n");
	g_string_append (out, ".\r\n");
	return write_all (s, out->str, out->len, deadline, step, error);
}

gboolean
tg_smtp_check_address (const char *text, char **why_out)
{
	TgEndpoint e;
	char *why = NULL;

	g_return_val_if_fail (text != NULL && why_out != NULL, FALSE);
	if (parse_address (text, &e, &why)) {
		tg_endpoint_clear (&e);
		return TRUE;
	}
	*why_out = why;
	return FALSE;
}

TgSmtp *
tg_smtp_new (const char *address, const char *helo_name, GError **error)
{
	g_autofree char *why = NULL;
	TgSmtp *s;

	g_return_val_if_fail (address != NULL, NULL);
	s = g_new0 (TgSmtp, 1);
	s->fd = -1;
	if (!parse_address (address, &s->server, &why)) {
		g_set_error (error, TG_SMTP_ERROR, TG_SMTP_ERROR_INVALID,
			     "%s: %s", address, why);
		g_free (s);
		return NULL;
	}
	s->address = g_strdup (address);
	s->helo = g_strdup (helo_name != NULL ? helo_name
					      : g_get_host_name ());
	/* EHLO takes one word (RFC 5321 4.1.1.1). */
	g_strdelimit (s->helo, " \t\r\n", '-');
	s->reply = g_string_new (NULL);
	return s;
}

gboolean
tg_smtp_send (TgSmtp *s,
	      const char *envelope_from,
	      const char *const *recipients,
	      GBytes *content,
	      gint64 deadline,
	      GError **error)
{
	const guint8 *data;
	gsize len = 0, size;
	gboolean eight = FALSE;

	g_return_val_if_fail (s != NULL && envelope_from != NULL, FALSE);
	g_return_val_if_fail (recipients != NULL && recipients[0] != NULL,
			      FALSE);
	g_return_val_if_fail (content != NULL, FALSE);
	for (int i = -1; i < 0 || recipients[i] != NULL; i++) {
		const char *a = i < 0 ? envelope_from : recipients[i];

		if (!is_sendable (a) || (i >= 0 && *a == '\0')) {
			g_set_error (error, TG_SMTP_ERROR,
				     TG_SMTP_ERROR_REFUSED,
				     "%s: not an address SMTP can carry: %s",
				     s->address, a);
			return FALSE;
		}
	}
	data = g_bytes_get_data (content, &len);
	size = wire_size (data, len, &eight);
	if (!begin_mail (s, envelope_from, size, eight, deadline, error))
		return FALSE;
	for (int i = 0; recipients[i] != NULL; i++) {
		g_autofree char *rcpt =
			g_strdup_printf ("RCPT TO:<%s>", recipients[i]);

		if (!command (s, rcpt, 2, "RCPT TO", deadline, error))
			goto fail;
	}
	if (!command (s, "DATA", 3, "DATA", deadline, error) ||
	    !send_data (s, data, len, deadline, error) ||
	    !read_reply (s, FALSE, deadline, "after the end of the data",
			 error) ||
	    !expect (s, 2, "the end of the data", error))
		goto fail;
	return TRUE;
fail:
	disconnect (s);
	return FALSE;
}

gboolean
tg_smtp_is_connected (const TgSmtp *s)
{
	g_return_val_if_fail (s != NULL, FALSE);
	return s->fd >= 0;
}

void
tg_smtp_free (TgSmtp *s)
{
	if (s == NULL)
		return;
	if (s->fd >= 0) {
		gint64 until = g_get_monotonic_time () + QUIT_USEC;

		/* Without QUIT the server logs a lost connection; its
		 * answer is awaited briefly and not judged. */
		if (write_all (s, "QUIT\r\n", 6, until, "after QUIT", NULL))
			read_reply (s, FALSE, until, "after QUIT", NULL);
	}
	disconnect (s);
	g_string_free (s->reply, TRUE);
	tg_endpoint_clear (&s->server);
	g_free (s->address);
	g_free (s->helo);
	g_free (s);
}
