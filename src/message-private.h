/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * message-private: what the files of the message module share: the
 * parse of one incoming mail (message*.c) and the view of a spool that
 * GMime is given (mime-source.c). Private to them: compose.c has
 * mime-source.h, and no other module sees GMime.
 */
#pragma once

#include <gmime/gmime.h>

#include "message.h"
#include "spool.h"

/*
 * How many transfer-decoded bytes of a text part we look at. Plain text
 * needs little more than the final cap (a charset may shrink it); HTML
 * carries a lot of markup per visible character.
 */
#define MESSAGE_PLAIN_RAW_MAX (2 * TG_MESSAGE_MAX_TEXT)
#define MESSAGE_HTML_RAW_MAX (4 * TG_MESSAGE_MAX_TEXT)
#define MESSAGE_REPORT_RAW_MAX (256 * 1024)
/* Display names, file names, ids: longer ones are cut (and counted). */
#define MESSAGE_MAX_SHORT 1024
#define MESSAGE_IO_CHUNK (64 * 1024)

/* One walk over the MIME tree, and what it found. */
typedef struct {
	TgMessage *msg;
	GMimeParserOptions *options;
	GMimePart *plain;	/* borrowed: the first inline text/plain */
	GMimePart *html;	/* borrowed: the first inline text/html */
	GMimePart *named_plain; /* borrowed: the first text/plain with a
				   file name, but not "attachment" */
	const char *prologue;	/* borrowed: the first text before the
				   first part of a multipart */
	GMimeObject *recovered; /* a broken multipart parsed again */
	gboolean depth_warned;
	gboolean attachments_warned;
} Walk;

/* Text (message-text.c). */

/* message_truncate_utf8: cuts valid UTF-8 @s to at most @max bytes on a
 * character boundary; TRUE if it cut anything. */
gboolean message_truncate_utf8 (char *s, gsize max);
/* message_to_valid_utf8: (transfer full): @s as UTF-8, 8-bit text that
 * is not UTF-8 read in the fallback charsets. */
char *message_to_valid_utf8 (const char *s);
/* message_replace_controls: control and line-separator characters become
 * ' '; message_collapse_spaces: runs of ' ' become one, the ends go. */
void message_replace_controls (char *s);
void message_collapse_spaces (char *s);
/* message_clean_short: (transfer full) (nullable): @s on one line, valid
 * UTF-8, trimmed, cut at @max bytes (counted in @warnings, nullable);
 * NULL for NULL or blank. message_clean_id: the same for a Message-ID,
 * without <>. */
char *message_clean_short (const char *s, gsize max, guint *warnings);
char *message_clean_id (TgMessage *msg, const char *id);
gboolean message_is_blank_text (const char *s);

/* message_set_body: takes @text as @msg's body, trimmed and cut at
 * TG_MESSAGE_MAX_TEXT. */
void message_set_body (TgMessage *msg, char *text, gboolean from_html);

/* Charsets (message-charset.c). */

/* message_bytes_to_text: (transfer full): decoded content in @charset
 * (nullable: unknown) as normalized UTF-8; @bytes is overwritten. */
char *message_bytes_to_text (GByteArray *bytes, const char *charset);

/* message_part_text: (transfer full): the content of @part, at most @cap
 * bytes of it, as normalized UTF-8. */
char *message_part_text (TgMessage *msg, GMimePart *part, gsize cap);

/* The tree (message-walk.c). */

/* message_walk: visits the tree below @obj (at @depth, part number
 * @part_path) in document order. */
void message_walk (Walk *w, GMimeObject *obj, guint depth,
		   const char *part_path);

/* message_fill_body: sets w->msg's body from the parts the walk found. */
void message_fill_body (Walk *w);

/* message_is_type: whether @obj's content type is @type/@subtype ("*":
 * any). */
gboolean message_is_type (GMimeObject *obj, const char *type,
			  const char *subtype);

/* The header (message-header.c). */

/* message_copy_headers: @obj's header fields into @msg->headers,
 * unfolded and bounded. */
void message_copy_headers (TgMessage *msg, GMimeObject *obj);
/* message_fill_envelope: subject, date, ids and the Received facts, from
 * @msg->headers. */
void message_fill_envelope (TgMessage *msg, GMimeParserOptions *options);
/* message_fill_addresses: From, Reply-To, To and Cc. */
void message_fill_addresses (TgMessage *msg, GMimeMessage *gmsg);

/* Reports (message-dsn.c). */

/* message_note_report: sets w->msg's is_mdn or dsn if @obj is a
 * multipart/report, whose parts are read from @parts. */
void message_note_report (Walk *w, GMimeObject *obj, GMimeMultipart *parts);

/* The spool as GMime sees it (mime-source.c). */

/*
 * What GMime is given of the mail: from @start (after a byte-order mark)
 * to @end (-1: the end; else where the structure budget ran out), less
 * the excess of overlong headers (@cuts). See mimescan.h.
 */
typedef struct {
	goffset start;	  /* after a UTF-8 byte-order mark, else 0 */
	gboolean bare_cr; /* lines end in CR alone (old Mac mail) */
	goffset end;	  /* where GMime's view of the mail stops, or -1 */
	GArray *cuts;	  /* TgMimeScanCut, in order, before end */
} Sniff;

void message_sniff_clear (Sniff *sniffed);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Sniff, message_sniff_clear)

/*
 * message_read_fully: reads up to @len bytes of @spool from @offset into
 * @buf, fewer only at its end (*@got_out); FALSE with
 * TG_MESSAGE_ERROR_TEMPORARY when the spool cannot be read.
 */
gboolean message_read_fully (const TgSpool *spool, goffset offset,
			     guint8 *buf, gsize len, gsize *got_out,
			     GError **error);

/* message_sniff: fills @out for @spool (clear it with
 * message_sniff_clear()); FALSE when the spool cannot be read. */
gboolean message_sniff (const TgSpool *spool, Sniff *out, GError **error);

/*
 * message_open_source: (transfer full): the stream GMime parses, as
 * @sniffed says; a memory spool's bytes are borrowed through
 * *@borrowed_out, which the caller frees with g_byte_array_free (array,
 * FALSE) after every GMime object made from the stream.
 */
GMimeStream *message_open_source (const TgSpool *spool, const Sniff *sniffed,
				  GByteArray **borrowed_out, GError **error);

/* message_view_to_source: the offset in the mail of @offset in the
 * stream of message_open_source(); -1 stays -1. */
goffset message_view_to_source (const Sniff *sniffed, goffset offset);

/* The parse (message.c). */

/* message_new: (transfer full): an empty TgMessage, every list made. */
TgMessage *message_new (void);

/* message_parser_options_new: (transfer full): ticketgate's tolerant
 * parser options, counting GMime's warnings in @msg->parse_warnings. */
GMimeParserOptions *message_parser_options_new (TgMessage *msg);

/* message_pin_charset: the mimescan callback that holds the converter of
 * charset @name open for the life of the process. */
void message_pin_charset (const char *name, gpointer data);
