/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * message: parses one incoming mail with GMime into a plain TgMessage that
 * owns bounded, valid UTF-8 copies of everything, so that no other module
 * sees GMime. It reads and decodes; it decides nothing (see classify,
 * thread, priority). Every mail is hostile: anything GMime cannot read
 * still yields a message, and only a spool read error fails. This file
 * holds the parse itself, GMime's tolerant options and the charset
 * converters held open; the header, the tree, reports, charsets and text
 * are in message-*.c, what GMime is given in mime-source.c.
 */
#include "message.h"

#include <gmime/gmime.h>

#include "gmime-autocleanups.h"
#include "message-private.h"

/* clang-format would put spaces into the quark name. */
/* clang-format off */
G_DEFINE_QUARK (tg-message-error-quark, tg_message_error)
/* clang-format on */

/*
 * 8-bit text that is not UTF-8 is nearly always windows-1252 in our mail;
 * iso-8859-1 last, because it accepts every byte.
 */
static const char *fallback_charsets[] = {
	"UTF-8",
	"windows-1252",
	"iso-8859-1",
	NULL,
};

/* ---- releasing ---- */

static void
header_free (TgHeader *header)
{
	if (header == NULL)
		return;
	g_free (header->name);
	g_free (header->value);
	g_free (header);
}

static void
attachment_free (TgAttachment *att)
{
	if (att == NULL)
		return;
	g_free (att->filename);
	g_free (att->content_type);
	g_free (att->part_path);
	g_free (att);
}

static void
dsn_free (TgDsn *dsn)
{
	if (dsn == NULL)
		return;
	g_free (dsn->action);
	g_free (dsn->status);
	g_clear_pointer (&dsn->final_recipients, g_ptr_array_unref);
	g_free (dsn->original_message_id);
	g_free (dsn);
}

/* ---- the raw source ---- */

static void
count_warning (gint64 offset, GMimeParserWarning code, const char *item,
	       gpointer user_data)
{
	TgMessage *msg = user_data;

	/* The item is customer data: it stays out of the log. */
	g_debug ("message: parser warning %d at offset %" G_GINT64_FORMAT,
		 (int)code, offset);
	msg->parse_warnings++;
}

static void
set_tolerant_options (GMimeParserOptions *options)
{
	g_mime_parser_options_set_address_compliance_mode (
		options, GMIME_RFC_COMPLIANCE_LOOSE);
	g_mime_parser_options_set_parameter_compliance_mode (
		options, GMIME_RFC_COMPLIANCE_LOOSE);
	g_mime_parser_options_set_rfc2047_compliance_mode (
		options, GMIME_RFC_COMPLIANCE_LOOSE);
	/* "From: MAILER-DAEMON" must still give an address to classify. */
	g_mime_parser_options_set_allow_addresses_without_domain (options,
								  TRUE);
	g_mime_parser_options_set_fallback_charsets (options,
						     fallback_charsets);
}

GMimeParserOptions *
message_parser_options_new (TgMessage *msg)
{
	GMimeParserOptions *options = g_mime_parser_options_new ();

	set_tolerant_options (options);
	g_mime_parser_options_set_warning_callback (options, count_warning,
						    msg);
	return options;
}

/* ---- charset converters -------------------------------------------- */

/*
 * GMime opens and closes an iconv converter for each run of encoded
 * words in one charset, and glibc unloads a converter module once three
 * other conversions have been closed since its own: a subject whose
 * words cycle through a few dozen charsets loaded and unloaded a shared
 * library for every word (48 s for 1 MB). So every charset a mail names
 * is opened once, here, and held open for the life of the process,
 * which keeps its module loaded; GMime's own opens then find it. Names
 * iconv does not know are remembered too, up to a bound.
 */
#define MESSAGE_MAX_UNKNOWN_CHARSETS 4096

static GHashTable *pinned; /* lower-case name -> iconv_t, or NULL */
static guint unknown_charsets;
static gboolean fallbacks_pinned;

static void
unpin (gpointer cd)
{
	if (cd != NULL)
		(void)g_mime_iconv_close ((iconv_t)cd);
}

static void
pin_one (const char *name)
{
	iconv_t cd = g_mime_iconv_open ("UTF-8", name);

	if (cd != (iconv_t)-1) {
		g_hash_table_insert (pinned, g_ascii_strdown (name, -1), cd);
	} else if (unknown_charsets < MESSAGE_MAX_UNKNOWN_CHARSETS) {
		g_hash_table_insert (pinned, g_ascii_strdown (name, -1), NULL);
		unknown_charsets++;
	}
}

/*
 * glibc converts these without a module: they are never unloaded, and
 * closing them unloads nothing else.
 */
static gboolean
is_builtin_charset (const char *name)
{
	static const char *const names[] = {
		"utf-8", "utf8", "us-ascii", "ascii", "iso-8859-1", "latin1",
	};

	for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
		if (g_ascii_strcasecmp (name, names[i]) == 0)
			return TRUE;
	return FALSE;
}

/*
 * message_pin_charset: a mimescan callback. Once a mail names a charset
 * that needs a module, the fallback charsets are held too: GMime reads
 * raw 8-bit text and words in unknown charsets with them, and between
 * such words the other modules' conversions would unload theirs.
 */
void
message_pin_charset (const char *name, gpointer data)
{
	g_autofree char *key = g_ascii_strdown (name, -1);

	if (pinned == NULL)
		pinned = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
						unpin);
	if (g_hash_table_contains (pinned, key))
		return;
	pin_one (name);
	if (fallbacks_pinned || is_builtin_charset (name) ||
	    g_hash_table_lookup (pinned, key) == NULL)
		return;
	fallbacks_pinned = TRUE;
	for (gsize i = 0; fallback_charsets[i] != NULL; i++)
		message_pin_charset (fallback_charsets[i], NULL);
}

/* ---- the parse ---- */

/*
 * body_offset: where the body starts: after the blank line that ends the
 * header block (@headers_end is where the parser found it), after
 * @start for a mail without headers, or -1 when the header block never
 * ends (the body is then empty).
 */
static gboolean
body_offset (const TgSpool *spool, gboolean have_headers, gint64 headers_end,
	     goffset start, goffset *offset_out, GError **error)
{
	guint8 sep[2] = {0, 0};
	gsize got = 0;

	if (!have_headers) {
		*offset_out = start;
		return TRUE;
	}
	if (headers_end < 0) {
		*offset_out = -1;
		return TRUE;
	}
	if (!message_read_fully (spool, headers_end, sep, sizeof sep, &got,
				 error))
		return FALSE;
	if (got >= 1 && sep[0] == '\n')
		*offset_out = headers_end + 1;
	else if (got == 2 && sep[0] == '\r' && sep[1] == '\n')
		*offset_out = headers_end + 2;
	else if (got >= 1 && sep[0] == '\r')
		*offset_out = headers_end + 1;
	else
		*offset_out = headers_end;
	return TRUE;
}

/* fill_digest: SHA-256 of the raw bytes from @offset (-1: none). */
static gboolean
fill_digest (TgMessage *msg, const TgSpool *spool, goffset offset,
	     GError **error)
{
	g_autoptr (GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
	g_autofree guint8 *buf = g_malloc (MESSAGE_IO_CHUNK);

	while (offset >= 0) {
		gsize got = 0;

		if (!message_read_fully (spool, offset, buf, MESSAGE_IO_CHUNK,
					 &got, error))
			return FALSE;
		if (got == 0)
			break;
		g_checksum_update (sum, buf, (gssize)got);
		offset += (goffset)got;
	}
	msg->body_digest = g_strdup (g_checksum_get_string (sum));
	return TRUE;
}

/*
 * fill_headerless: what GMime could not read as a mail (no header at
 * all, an Outlook .msg file, binary junk) is kept as body text.
 */
static gboolean
fill_headerless (TgMessage *msg, const TgSpool *spool, goffset start,
		 GError **error)
{
	gsize size = tg_spool_get_size (spool);
	gsize want = MIN (size - MIN ((gsize)start, size),
			  (gsize)MESSAGE_PLAIN_RAW_MAX);
	g_autoptr (GByteArray) bytes = g_byte_array_sized_new ((guint)want);
	gsize got = 0;

	g_byte_array_set_size (bytes, (guint)want);
	if (!message_read_fully (spool, start, bytes->data, want, &got, error))
		return FALSE;
	g_byte_array_set_size (bytes, (guint)got);
	if (size - (gsize)start > want)
		msg->parse_warnings++;
	message_set_body (msg, message_bytes_to_text (bytes, NULL), FALSE);
	return TRUE;
}

/*
 * parse_stream: runs GMime over @stream and copies what we need. Every
 * GMime object lives and dies here; @stream outlives them.
 */
static gboolean
parse_stream (TgMessage *msg, const TgSpool *spool, GMimeStream *stream,
	      const Sniff *sniffed, GError **error)
{
	g_autoptr (GMimeParserOptions) options =
		message_parser_options_new (msg);
	g_autoptr (GMimeParser) parser = g_mime_parser_new_with_stream (stream);
	g_autoptr (GMimeMessage) gmsg = NULL;
	GMimeObject *body = NULL;
	Walk w = {.msg = msg};
	goffset offset = 0;
	goffset headers_end = -1;

	g_mime_parser_set_format (parser, GMIME_FORMAT_MESSAGE);
	g_mime_parser_set_persist_stream (parser, TRUE);
	gmsg = g_mime_parser_construct_message (parser, options);
	headers_end = message_view_to_source (
		sniffed, g_mime_parser_get_headers_end (parser));
	if (!body_offset (spool, gmsg != NULL, headers_end, sniffed->start,
			  &offset, error) ||
	    !fill_digest (msg, spool, offset, error))
		return FALSE;
	if (gmsg == NULL) {
		msg->parse_warnings++;
		return fill_headerless (msg, spool, sniffed->start, error);
	}
	message_copy_headers (msg, GMIME_OBJECT (gmsg));
	message_fill_envelope (msg, options);
	message_fill_addresses (msg, gmsg);
	body = g_mime_message_get_mime_part (gmsg);
	if (body != NULL) {
		w.options = options;
		message_walk (&w, body, 0, "0");
		message_fill_body (&w);
	}
	g_clear_object (&w.recovered);
	return TRUE;
}

TgMessage *
message_new (void)
{
	TgMessage *msg = g_new0 (TgMessage, 1);

	msg->headers =
		g_ptr_array_new_with_free_func ((GDestroyNotify)header_free);
	msg->to = g_ptr_array_new_with_free_func (
		(GDestroyNotify)tg_address_free);
	msg->cc = g_ptr_array_new_with_free_func (
		(GDestroyNotify)tg_address_free);
	msg->references = g_ptr_array_new_with_free_func (g_free);
	msg->attachments = g_ptr_array_new_with_free_func (
		(GDestroyNotify)attachment_free);
	msg->subject = g_strdup ("");
	msg->body_text = g_strdup ("");
	return msg;
}

/* ---- public API ---- */

TgMessage *
tg_message_parse (const TgSpool *spool, GError **error)
{
	g_autoptr (TgMessage) msg = NULL;
	GByteArray *borrowed = NULL;
	GMimeStream *stream = NULL;
	g_auto (Sniff) sniffed = {0};
	gboolean ok = FALSE;

	g_return_val_if_fail (spool != NULL, NULL);
	g_return_val_if_fail (error == NULL || *error == NULL, NULL);

	msg = message_new ();
	msg->size = tg_spool_get_size (spool);
	if (!message_sniff (spool, &sniffed, error))
		return NULL;
	if (sniffed.end >= 0) {
		g_debug ("message: structure budget spent at offset "
			 "%" G_GINT64_FORMAT,
			 (gint64)sniffed.end);
		msg->parse_warnings++;
	}
	/* Each overlong header cut short is a warning. */
	msg->parse_warnings += sniffed.cuts->len;
	stream = message_open_source (spool, &sniffed, &borrowed, error);
	if (stream == NULL)
		return NULL;
	ok = parse_stream (msg, spool, stream, &sniffed, error);
	g_object_unref (stream);
	/* FALSE: the bytes belong to the spool; only the wrapper goes. */
	if (borrowed != NULL)
		(void)g_byte_array_free (borrowed, FALSE);
	if (!ok)
		return NULL;
	return g_steal_pointer (&msg);
}

void
tg_message_free (TgMessage *msg)
{
	if (msg == NULL)
		return;
	g_clear_pointer (&msg->headers, g_ptr_array_unref);
	g_clear_pointer (&msg->from, tg_address_free);
	g_clear_pointer (&msg->reply_to, tg_address_free);
	g_clear_pointer (&msg->to, g_ptr_array_unref);
	g_clear_pointer (&msg->cc, g_ptr_array_unref);
	g_clear_pointer (&msg->subject, g_free);
	g_clear_pointer (&msg->date, g_date_time_unref);
	g_clear_pointer (&msg->message_id, g_free);
	g_clear_pointer (&msg->in_reply_to, g_free);
	g_clear_pointer (&msg->references, g_ptr_array_unref);
	g_clear_pointer (&msg->received_at, g_date_time_unref);
	g_clear_pointer (&msg->received_id, g_free);
	g_clear_pointer (&msg->body_text, g_free);
	g_clear_pointer (&msg->attachments, g_ptr_array_unref);
	g_clear_pointer (&msg->dsn, dsn_free);
	g_clear_pointer (&msg->body_digest, g_free);
	g_free (msg);
}

void
tg_message_init (void)
{
	g_mime_init ();
	/* The default options serve tg_message_decode_header() and
	 * tg_message_parse_address(); parses use their own copy. */
	set_tolerant_options (g_mime_parser_options_get_default ());
}

void
tg_message_shutdown (void)
{
	g_clear_pointer (&pinned, g_hash_table_unref);
	unknown_charsets = 0;
	fallbacks_pinned = FALSE;
	g_mime_shutdown ();
}

char *
tg_message_library_version (void)
{
	return g_strdup_printf ("GMime %u.%u.%u, GLib %u.%u.%u, %s",
				gmime_major_version, gmime_minor_version,
				gmime_micro_version, glib_major_version,
				glib_minor_version, glib_micro_version,
#ifdef TG_STATIC_DEPS
				"static: no mount table"
#else
				"shared"
#endif
	);
}
