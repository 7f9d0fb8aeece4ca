/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * smtp: a small SMTP client that hands one finished mail at a time to
 * the local mail server (RFC 5321), over TCP or a unix socket, within a
 * deadline, keeping the connection for the next mail. GLib and POSIX
 * sockets only: it knows nothing of MIME, tickets or the database.
 */
#pragma once

#include <glib.h>

#define TG_SMTP_ERROR (tg_smtp_error_quark ())
GQuark tg_smtp_error_quark (void);

typedef enum {
	TG_SMTP_ERROR_INVALID,   /* the server's address is malformed */
	TG_SMTP_ERROR_TEMPORARY, /* no connection, a timeout, a 4xx reply,
				    a broken reply */
	TG_SMTP_ERROR_REFUSED,   /* a 5xx reply */
} TgSmtpError;

typedef struct _TgSmtp TgSmtp;

/*
 * tg_smtp_check_address: whether @text names a server this module can
 * reach: "inet:IPV4:PORT", "inet:[IPV6]:PORT" (numeric addresses only,
 * since a name lookup could not be held to the deadline) or
 * "unix:/absolute/path". On FALSE, *@why_out (transfer full) says what
 * is wrong, in the words of a configuration error.
 */
gboolean tg_smtp_check_address (const char *text, char **why_out);

/*
 * tg_smtp_new: (transfer full): a client of the server at @address (see
 * tg_smtp_check_address), not connected yet; NULL with
 * TG_SMTP_ERROR_INVALID when @address is malformed. @helo_name is the
 * name given in EHLO (NULL: the host's name).
 */
TgSmtp *tg_smtp_new (const char *address, const char *helo_name,
		     GError **error) G_GNUC_WARN_UNUSED_RESULT;

/*
 * tg_smtp_send: hands @content (LF or CRLF line ends) from
 * @envelope_from ("" is the null sender) to every one of @recipients
 * (borrowed, NULL-terminated, at least one). The whole exchange, any
 * connecting included, ends by @deadline (monotonic microseconds).
 * Succeeds only when the server answered 2xx to the end of the data.
 * A recipient refused refuses the whole mail. A connection kept from an
 * earlier mail is reset first and, when it turns out to be gone before
 * the server took MAIL FROM, replaced once; nothing is sent again after
 * the final dot. After a failure the connection is closed. Errors:
 * TG_SMTP_ERROR_TEMPORARY or TG_SMTP_ERROR_REFUSED, whose message names
 * the step and carries the server's first reply line.
 */
gboolean tg_smtp_send (TgSmtp *smtp,
		       const char *envelope_from,
		       const char *const *recipients,
		       GBytes *content,
		       gint64 deadline,
		       GError **error);

/* tg_smtp_is_connected: whether a connection is kept for the next mail. */
gboolean tg_smtp_is_connected (const TgSmtp *smtp);

/* tg_smtp_free: says QUIT (without waiting long) and closes; NULL is
 * allowed. */
void tg_smtp_free (TgSmtp *smtp);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TgSmtp, tg_smtp_free)
