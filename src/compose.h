/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * compose: builds the mail ticketgate sends, with GMime, from plain text
 * and a few facts: our Message-ID, threading headers, RFC 2047 encoded
 * subject and names, the loop and robot-stopping headers. GMime stays
 * inside; callers get the finished bytes.
 */
#pragma once

#include <glib.h>

#include "spool.h"
#include "template.h"

#define TG_COMPOSE_ERROR (tg_compose_error_quark ())
GQuark tg_compose_error_quark (void);

typedef enum {
	TG_COMPOSE_ERROR_TEMPORARY, /* reading the mail an answer carries, or
				       writing the answer, failed: ours, to
				       be tried again later */
} TgComposeError;

typedef struct {
	const char *from_name;          /* display name, UTF-8 */
	const char *from_address;
	const char *to_name;            /* nullable */
	const char *to_address;
	const char *const *to_more;     /* nullable: further To addresses */
	const char *const *cc;          /* nullable, NULL-terminated */
	const char *reply_to;           /* nullable */
	const char *subject;            /* UTF-8, complete with tag */
	const char *message_id;         /* ours, without <> */
	const char *in_reply_to;        /* nullable, without <> */
	const GPtrArray *references;    /* nullable: char *, without <> */
	const char *body;               /* UTF-8 text/plain */
	const GPtrArray *header_names;  /* nullable: extra headers ... */
	const GPtrArray *header_values; /* ... and their values, UTF-8 */
	gboolean auto_replied;          /* an acknowledgment (RFC 3834) */
	gboolean auto_generated;        /* a notification (RFC 3834) */
	const char *loop_value;         /* X-Ticketgate-Loop: our address */
	gint64 ticket_number;           /* 0: none */
	GDateTime *date;                /* nullable: now */
} TgMailSpec;

/* The words compose writes itself, from phrases.txt (reply.h), borrowed. */
typedef struct {
	/* stands in for an attachment too large to forward:
	 * {{filename}}, {{content_type}}, {{size}}, {{limit}} (bytes) */
	const TgTemplate *too_large;
	const char *unnamed; /* {{filename}} of one without a name */
} TgComposeWords;

/* Headers compose writes itself; a template may not set them. */
extern const char *const tg_compose_reserved_headers[];

/* Most Message-IDs kept in References: the first and the latest ones. */
#define TG_COMPOSE_MAX_REFERENCES 20

/*
 * Every function below that returns a mail returns all of it or nothing:
 * NULL with TG_COMPOSE_ERROR_TEMPORARY when a write of the result or a
 * read of a mail it carries failed (a spool file that cannot be read),
 * never a mail cut short.
 */

/*
 * tg_compose_text_mail: (transfer full): the complete mail, LF line ends,
 * ready for sendmail -i. Headers of @spec that are not plain printable
 * (a Message-ID with spaces, say) are left out rather than sent broken.
 */
GBytes *tg_compose_text_mail (const TgMailSpec *spec,
			      GError **error) G_GNUC_WARN_UNUSED_RESULT;

/*
 * tg_compose_notification: (transfer full): a mail for staff without the
 * mail it is about: @spec's body as the first part of a multipart/mixed.
 * It is what the desk stores; tg_compose_enclose() makes it whole when
 * it is sent, so that the customer's mail is stored once.
 */
GBytes *tg_compose_notification (const TgMailSpec *spec,
				 GError **error) G_GNUC_WARN_UNUSED_RESULT;

/*
 * tg_compose_enclose: (transfer full): @skeleton (from
 * tg_compose_notification()) with the content of @original (text, HTML
 * and attachments as the customer sent them) after its own text.
 * Attachments larger than @attachment_limit bytes (0: no limit) are
 * replaced by a text part in @words that names them. @original's parts are read from
 * the spool while the result is written, not held beside it. The same
 * @skeleton and @original give the same mail every time: the headers and
 * the boundary are the skeleton's. A @skeleton that is not a multipart
 * comes back as it is. A @original that cannot be read is an error,
 * not a notification without the mail.
 */
GBytes *tg_compose_enclose (GBytes *skeleton,
			    const TgSpool *original,
			    guint64 attachment_limit,
			    const TgComposeWords *words,
			    GError **error) G_GNUC_WARN_UNUSED_RESULT;

/*
 * tg_compose_relay: (transfer full): a staff member's reply as it goes to
 * the customer: the content of @staff_mail (text, HTML, attachments) under
 * @spec's headers, with the lines of @strip_lines removed from the top of
 * every text part. When an HTML part would still show one of them, the
 * HTML is dropped and the plain text sent alone. Attachments over
 * @attachment_limit are replaced as by tg_compose_enclose(). @text_out: (out)
 * (transfer full): the text the customer reads, set on success only.
 */
GBytes *tg_compose_relay (const TgMailSpec *spec,
			  const TgSpool *staff_mail,
			  const char *const *strip_lines,
			  guint64 attachment_limit,
			  const TgComposeWords *words,
			  char **text_out,
			  GError **error) G_GNUC_WARN_UNUSED_RESULT;

/*
 * tg_compose_new_message_id: (transfer full): a new Message-ID of ours,
 * without <>: "ticketgate.<32 hex digits>@<domain of @address>".
 */
char *tg_compose_new_message_id (const char *address);

/*
 * tg_compose_is_own_message_id: whether @id (without <>) has the form of
 * tg_compose_new_message_id() for @address.
 */
gboolean tg_compose_is_own_message_id (const char *id, const char *address);
