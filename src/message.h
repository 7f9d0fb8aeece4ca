/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * message: parses one incoming mail with GMime into a plain TgMessage that
 * owns copies of everything, so that no other module sees GMime.
 * It reads and decodes; it decides nothing (see classify, thread, priority).
 */
#pragma once

#include <glib.h>

#include "spool.h"

#define TG_MESSAGE_ERROR (tg_message_error_quark ())
GQuark tg_message_error_quark (void);

typedef enum {
	TG_MESSAGE_ERROR_TEMPORARY, /* reading the spool failed */
} TgMessageError;

/* Limits on untrusted input; what is cut is counted in parse_warnings. */
#define TG_MESSAGE_MAX_HEADERS 1000
#define TG_MESSAGE_MAX_HEADER_VALUE (64 * 1024)
#define TG_MESSAGE_MAX_ADDRESSES 1000
#define TG_MESSAGE_MAX_REFERENCES 200
#define TG_MESSAGE_MAX_TEXT (1024 * 1024)
#define TG_MESSAGE_MAX_ATTACHMENTS 500
#define TG_MESSAGE_MAX_DEPTH 32
/* Of a header value, the bytes decoded (RFC 2047) and the text kept. */
#define TG_MESSAGE_MAX_DECODE (16 * 1024)
#define TG_MESSAGE_MAX_DECODED (4 * 1024)

typedef struct {
	char *addr; /* addr-spec, lower case, NUL-free, never NULL */
	char *name; /* display name, decoded UTF-8, NULL if none */
} TgAddress;

/*
 * A header as written: RFC 2047 words are not decoded, but 8-bit bytes
 * that are not UTF-8 are read in the fallback charsets (windows-1252,
 * then ISO-8859-1), so name and value are always valid UTF-8.
 */
typedef struct {
	char *name;  /* raw header name as written */
	char *value; /* raw (undecoded, unfolded) value, truncated */
} TgHeader;

/*
 * An attachment: a leaf part with a file name or an "attachment"
 * disposition, or any leaf that is not text (images, message/rfc822).
 */
typedef struct {
	char *filename;	    /* decoded UTF-8, NULL if none */
	char *content_type; /* "type/subtype", lower case */
	guint64 size;	    /* decoded size in bytes */
	char *part_path;    /* MIME part number: "2", "1.3"; root is "0" */
} TgAttachment;

/*
 * What a delivery status notification (RFC 3464) says, when it is one.
 * action and status come from the first recipient whose Action is
 * "failed", else from the first recipient with an Action at all; any
 * field may be NULL when the report does not say.
 */
typedef struct {
	char *action;		     /* "failed", "delayed", ...; lower case */
	char *status;		     /* "5.1.1" */
	GPtrArray *final_recipients; /* char *: failed addresses, lower case;
					never NULL */
	char *original_message_id;   /* from the returned headers, no <> */
} TgDsn;

/* Every GPtrArray below is non-NULL, possibly empty. */
typedef struct {
	GPtrArray *headers; /* TgHeader, top-level, in order */

	TgAddress *from;     /* NULL when missing or unparseable */
	TgAddress *reply_to; /* NULL when absent */
	GPtrArray *to;	     /* TgAddress */
	GPtrArray *cc;	     /* TgAddress */

	char *subject;	       /* decoded UTF-8, one line, never NULL;
				  at most TG_MESSAGE_MAX_DECODED bytes */
	GDateTime *date;       /* Date:, NULL if absent or unparseable */
	char *message_id;      /* without <>, NULL if absent */
	char *in_reply_to;     /* first id of In-Reply-To, without <> */
	GPtrArray *references; /* char *: References ids, oldest first */

	GDateTime *received_at; /* date of the topmost Received header */
	char *received_id;	/* "id" of the topmost Received (queue id) */

	char *body_text;	 /* best text body, UTF-8, LF line ends,
				    trimmed, never NULL */
	gboolean body_from_html; /* body_text was converted from HTML */
	GPtrArray *attachments;	 /* TgAttachment */

	TgDsn *dsn; /* non-NULL for multipart/report;
		       report-type=delivery-status */

	char *body_digest;    /* SHA-256 hex of the raw bytes after the
				 blank line that ends the header block;
				 of all bytes when there is no header,
				 of none when the block never ends */
	gsize size;	      /* bytes of the whole mail */
	guint parse_warnings; /* GMime warnings and truncations */
	gboolean is_mdn;      /* multipart/report;
				 report-type=disposition-notification
				 (a read receipt, RFC 8098) */
} TgMessage;

/*
 * tg_message_parse: parses the mail held in @spool. Anything that is not
 * MIME is still a message: a mail without headers has an empty subject
 * and its bytes as body text; broken encodings are decoded as well as
 * possible and counted in parse_warnings. It fails only when the spool
 * cannot be read. The body is the first inline text/plain (or the first
 * inline text/html as text when the plain one is missing or blank);
 * message/rfc822 parts are attachments and are not looked into.
 * tg_message_init() must have been called.
 * Returns: (transfer full): the message, or NULL with TG_MESSAGE_ERROR.
 */
TgMessage *tg_message_parse (const TgSpool *spool,
			     GError **error) G_GNUC_WARN_UNUSED_RESULT;

/* tg_message_free: releases @msg and everything in it; NULL is allowed. */
void tg_message_free (TgMessage *msg);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TgMessage, tg_message_free)

/*
 * tg_message_get_header: (transfer none) (nullable): the raw value of the
 * first top-level header called @name (case-insensitive).
 */
const char *tg_message_get_header (const TgMessage *msg, const char *name);

/*
 * tg_message_decode_header: (transfer full): @value with RFC 2047 words
 * decoded to UTF-8 and control characters replaced by spaces; of a long
 * value, the first TG_MESSAGE_MAX_DECODE bytes (cut at a blank), and at
 * most TG_MESSAGE_MAX_DECODED bytes of text.
 */
char *tg_message_decode_header (const char *value);

/*
 * tg_message_parse_address: (transfer full) (nullable): the first mailbox in
 * an address-list header value, or NULL if it holds none.
 */
TgAddress *tg_message_parse_address (const char *value);

/* tg_address_free: releases @addr; NULL is allowed. */
void tg_address_free (TgAddress *addr);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TgAddress, tg_address_free)

/* tg_message_init: g_mime_init() with ticketgate's settings; call once. */
void tg_message_init (void);

/* tg_message_shutdown: g_mime_shutdown(), for clean leak checks. */
void tg_message_shutdown (void);

/*
 * tg_message_library_version: (transfer full): the GMime and GLib the
 * program runs with and how they are linked, for --version.
 */
char *tg_message_library_version (void);
