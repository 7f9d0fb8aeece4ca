/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * message-header: the header of a mail as TgMessage keeps it: every
 * field unfolded and bounded, the addresses (groups flattened, base64
 * words GMime would cut short joined first), the subject decoded within
 * a budget, the Message-ID, In-Reply-To and References as threading
 * reads them, the date, and the topmost Received header's date and
 * queue id.
 */
#include "message-private.h"

#include <string.h>

#include "gmime-autocleanups.h"
#include "mimescan.h"

/* ---- addresses ---- */

/* address_new: (nullable): @mailbox as a TgAddress; NULL if it has none. */
static TgAddress *
address_new (InternetAddressMailbox *mailbox, guint *warnings)
{
	const char *name =
		internet_address_get_name (INTERNET_ADDRESS (mailbox));
	g_autofree char *addr = message_clean_short (
		internet_address_mailbox_get_addr (mailbox), MESSAGE_MAX_SHORT,
		warnings);
	TgAddress *out = NULL;

	if (addr == NULL)
		return NULL;
	out = g_new0 (TgAddress, 1);
	out->addr = g_utf8_strdown (addr, -1);
	out->name = message_clean_short (name, MESSAGE_MAX_SHORT, warnings);
	return out;
}

/*
 * collect_addresses: appends the mailboxes of @list (group members
 * included) to @out, up to @max; returns FALSE when some did not fit.
 */
static gboolean
collect_addresses (InternetAddressList *list, GPtrArray *out, guint max,
		   guint depth, guint *warnings)
{
	int n = list != NULL ? internet_address_list_length (list) : 0;

	for (int i = 0; i < n; i++) {
		InternetAddress *ia =
			internet_address_list_get_address (list, i);
		TgAddress *addr = NULL;

		if (INTERNET_ADDRESS_IS_GROUP (ia)) {
			/* Groups do not nest (RFC 5322 3.4); one level. */
			if (depth == 0 &&
			    !collect_addresses (
				    internet_address_group_get_members (
					    INTERNET_ADDRESS_GROUP (ia)),
				    out, max, depth + 1, warnings))
				return FALSE;
			continue;
		}
		if (!INTERNET_ADDRESS_IS_MAILBOX (ia))
			continue;
		if (out->len >= max)
			return FALSE;
		addr = address_new (INTERNET_ADDRESS_MAILBOX (ia), warnings);
		if (addr != NULL)
			g_ptr_array_add (out, addr);
	}
	return TRUE;
}

/* first_address: (transfer full) (nullable): the first mailbox of @list. */
static TgAddress *
first_address (InternetAddressList *list, guint *warnings)
{
	g_autoptr (GPtrArray) one = g_ptr_array_new_with_free_func (
		(GDestroyNotify)tg_address_free);

	(void)collect_addresses (list, one, 1, 0, warnings);
	return one->len > 0 ? g_steal_pointer (&one->pdata[0]) : NULL;
}

/* Appends one base64 encoded-word for the bytes of a run. */
static void
flush_run (GString *out, const char *charset, GByteArray *run, int words)
{
	g_autofree char *b64 = NULL;

	if (words == 0)
		return;
	b64 = g_base64_encode (run->data, run->len);
	g_string_append_printf (out, "=?%s?B?%s?=", charset, b64);
}

/*
 * GMime 3.2 drops everything after a base64 encoded-word that ends in
 * "=" padding when another encoded-word follows it (GMime issue #133),
 * and clients split long non-ASCII subjects and names exactly like that.
 * This joins each run of adjacent base64 words of one charset into a
 * single word (their bytes concatenated, which also mends a character
 * split across two words) before GMime decodes the value. Returns NULL
 * when there is nothing to join.
 */
static char *
join_base64_words (const char *value)
{
	static GRegex *word = NULL;
	g_autoptr (GMatchInfo) m = NULL;
	g_autoptr (GString) out = g_string_new (NULL);
	g_autoptr (GByteArray) run = g_byte_array_new ();
	g_autofree char *charset = NULL;
	const char *copied = value; /* the end of what is in out */
	const char *run_start = NULL;
	int words = 0;
	gboolean joined = FALSE;

	if (word == NULL)
		word = g_regex_new ("=\\?([^?\\s]+)\\?[bB]\\?([A-Za-z0-9+/=]*)\\?=",
				    0, 0, NULL);
	g_regex_match (word, value, 0, &m);
	for (; g_match_info_matches (m); g_match_info_next (m, NULL)) {
		int s0, e0;
		g_autofree char *cs = g_match_info_fetch (m, 1);
		g_autofree char *b64 = g_match_info_fetch (m, 2);
		g_autofree guchar *bytes = NULL;
		gsize len = 0;
		gboolean adjacent;

		g_match_info_fetch_pos (m, 0, &s0, &e0);
		adjacent = run_start != NULL &&
			   g_ascii_strcasecmp (cs, charset) == 0 &&
			   strspn (copied, " \t\r\n") == (gsize) (value + s0 - copied);
		if (!adjacent) {
			flush_run (out, charset, run, words);
			g_string_append_len (out, copied, value + s0 - copied);
			g_byte_array_set_size (run, 0);
			g_free (charset);
			charset = g_strdup (cs);
			run_start = value + s0;
			words = 0;
		}
		joined |= adjacent;
		bytes = g_base64_decode (b64, &len);
		g_byte_array_append (run, bytes, len);
		words++;
		copied = value + e0;
	}
	if (!joined)
		return NULL;
	flush_run (out, charset, run, words);
	g_string_append (out, copied);
	return g_strdup (out->str);
}

/*
 * parse_address_list: (transfer full) (nullable): @value as GMime reads
 * an address list, cut before its (TG_MIMESCAN_MAX_GROUPS + 1)th colon:
 * GMime's parser recurses into each "name:" group, and a value of
 * "x:x:x:..." would overflow the stack (mimescan.h).
 */
static InternetAddressList *
parse_address_list (const char *value)
{
	g_autofree char *bounded = NULL;
	guint colons = 0;

	for (const char *p = value; (p = strchr (p, ':')) != NULL; p++)
		if (++colons > TG_MIMESCAN_MAX_GROUPS) {
			bounded = g_strndup (value, (gsize)(p - value));
			break;
		}
	return internet_address_list_parse (
		g_mime_parser_options_get_default (),
		bounded != NULL ? bounded : value);
}

/*
 * The addresses of header @name: GMime's list, unless a display name has
 * base64 words GMime would cut short; then the header's value again, with
 * those words joined. (transfer full)
 */
static InternetAddressList *
address_list (TgMessage *msg, GMimeMessage *gmsg, const char *name,
	      GMimeAddressType type)
{
	const char *raw = tg_message_get_header (msg, name);
	g_autofree char *joined = raw ? join_base64_words (raw) : NULL;

	if (joined != NULL)
		return parse_address_list (joined);
	return g_object_ref (g_mime_message_get_addresses (gmsg, type));
}

void
message_fill_addresses (TgMessage *msg, GMimeMessage *gmsg)
{
	guint *warnings = &msg->parse_warnings;
	g_autoptr (InternetAddressList) from = NULL;
	g_autoptr (InternetAddressList) reply_to = NULL;
	g_autoptr (InternetAddressList) to = NULL;
	g_autoptr (InternetAddressList) cc = NULL;

	from = address_list (msg, gmsg, "From", GMIME_ADDRESS_TYPE_FROM);
	reply_to = address_list (msg, gmsg, "Reply-To",
				 GMIME_ADDRESS_TYPE_REPLY_TO);
	to = address_list (msg, gmsg, "To", GMIME_ADDRESS_TYPE_TO);
	cc = address_list (msg, gmsg, "Cc", GMIME_ADDRESS_TYPE_CC);
	msg->from = first_address (from, warnings);
	msg->reply_to = first_address (reply_to, warnings);
	if (!collect_addresses (to, msg->to, TG_MESSAGE_MAX_ADDRESSES, 0,
				warnings))
		(*warnings)++;
	if (!collect_addresses (cc, msg->cc, TG_MESSAGE_MAX_ADDRESSES, 0,
				warnings))
		(*warnings)++;
}

/* ---- headers ---- */

void
message_copy_headers (TgMessage *msg, GMimeObject *obj)
{
	GMimeHeaderList *list = g_mime_object_get_header_list (obj);
	int n = g_mime_header_list_get_count (list);

	for (int i = 0; i < n; i++) {
		GMimeHeader *hdr = g_mime_header_list_get_header_at (list, i);
		const char *raw = g_mime_header_get_raw_value (hdr);
		g_autofree char *unfolded = NULL;
		g_autofree char *name = NULL;
		TgHeader *header = NULL;

		if (msg->headers->len >= TG_MESSAGE_MAX_HEADERS) {
			msg->parse_warnings++;
			return;
		}
		name = message_clean_short (g_mime_header_get_raw_name (hdr),
					    MESSAGE_MAX_SHORT,
					    &msg->parse_warnings);
		if (name == NULL)
			continue;
		unfolded = g_mime_utils_header_unfold (raw != NULL ? raw : "");
		header = g_new0 (TgHeader, 1);
		header->name = g_steal_pointer (&name);
		header->value = message_to_valid_utf8 (unfolded);
		if (message_truncate_utf8 (header->value,
					   TG_MESSAGE_MAX_HEADER_VALUE))
			msg->parse_warnings++;
		g_strstrip (header->value);
		g_ptr_array_add (msg->headers, header);
	}
}

/*
 * split_commas: (transfer full): @value without its comments (where a
 * "<john@example.org>" is no message id), split at commas.
 */
static GStrv
split_commas (const char *value)
{
	g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
	g_autoptr (GString) piece = g_string_new (NULL);
	int depth = 0;

	for (const char *p = value; *p != '\0'; p++) {
		if (*p == '(') {
			depth++;
		} else if (*p == ')' && depth > 0) {
			depth--;
		} else if (depth > 0) {
			if (*p == '\\' && p[1] != '\0')
				p++;
		} else if (*p == ',') {
			g_strv_builder_add (builder, piece->str);
			g_string_truncate (piece, 0);
		} else {
			g_string_append_c (piece, *p);
		}
	}
	g_strv_builder_add (builder, piece->str);
	return g_strv_builder_end (builder);
}

/*
 * parse_ids: (transfer full): the message ids in @value, in order, as
 * g_mime_references_parse() reads them from each comma-separated piece
 * (some clients separate ids with commas, where GMime stops); when that
 * finds none, the words with an '@' (some clients drop the <>).
 */
static GPtrArray *
parse_ids (TgMessage *msg, GMimeParserOptions *options, const char *value)
{
	GPtrArray *ids = g_ptr_array_new_with_free_func (g_free);
	g_auto (GStrv) pieces = split_commas (value);
	g_auto (GStrv) words = NULL;

	for (gsize i = 0; pieces[i] != NULL; i++) {
		g_autoptr (GMimeReferences) refs =
			g_mime_references_parse (options, pieces[i]);
		int n = refs != NULL ? g_mime_references_length (refs) : 0;

		for (int j = 0; j < n; j++) {
			char *id = message_clean_id (
				msg,
				g_mime_references_get_message_id (refs, j));

			if (id != NULL)
				g_ptr_array_add (ids, id);
		}
	}
	if (ids->len > 0 || strchr (value, '<') != NULL)
		return ids;
	words = g_strsplit_set (value, " \t,", -1);
	for (gsize i = 0; words[i] != NULL; i++) {
		char *id = strchr (words[i], '@') != NULL
				   ? message_clean_id (msg, words[i])
				   : NULL;

		if (id != NULL)
			g_ptr_array_add (ids, id);
	}
	return ids;
}

/*
 * fill_threading: In-Reply-To and References. Of too many references
 * the root (the first) and the newest are kept: the ids threading can
 * match.
 */
static void
fill_threading (TgMessage *msg, GMimeParserOptions *options)
{
	const char *value = NULL;
	g_autoptr (GPtrArray) ids = NULL;

	if ((value = tg_message_get_header (msg, "In-Reply-To")) != NULL) {
		ids = parse_ids (msg, options, value);
		if (ids->len > 0)
			msg->in_reply_to =
				g_strdup (g_ptr_array_index (ids, 0));
		g_clear_pointer (&ids, g_ptr_array_unref);
	}
	if ((value = tg_message_get_header (msg, "References")) == NULL)
		return;
	ids = parse_ids (msg, options, value);
	for (guint i = 0; i < ids->len; i++) {
		if (ids->len > TG_MESSAGE_MAX_REFERENCES && i > 0 &&
		    i < ids->len - (TG_MESSAGE_MAX_REFERENCES - 1))
			continue;
		g_ptr_array_add (msg->references,
				 g_steal_pointer (&ids->pdata[i]));
	}
	if (ids->len > TG_MESSAGE_MAX_REFERENCES)
		msg->parse_warnings++;
}

/*
 * received_id: the value of the "id" clause in a Received header
 * (RFC 5321 4.4), outside comments: "... with ESMTPS id 4ABC123 for
 * <x@example.org>".
 */
static char *
received_id (const char *p, const char *end)
{
	int depth = 0;
	gboolean after_id = FALSE;

	while (p < end) {
		const char *start = NULL;

		if (*p == '(') {
			depth++;
			p++;
		} else if (*p == ')') {
			depth = MAX (depth - 1, 0);
			p++;
		} else if (depth > 0 && *p == '\\' && p + 1 < end) {
			p += 2;
		} else if (depth > 0 || g_ascii_isspace (*p) || *p == ';') {
			p++;
		} else {
			start = p;
			while (p < end && !g_ascii_isspace (*p) && *p != '(' &&
			       *p != ';')
				p++;
			if (after_id)
				return g_strndup (start, (gsize)(p - start));
			after_id = p - start == 2 &&
				   g_ascii_strncasecmp (start, "id", 2) == 0;
		}
	}
	return NULL;
}

static void
fill_received (TgMessage *msg)
{
	const char *value = tg_message_get_header (msg, "Received");
	const char *semi = NULL;
	g_autofree char *id = NULL;

	if (value == NULL)
		return;
	semi = strrchr (value, ';');
	if (semi != NULL)
		msg->received_at = g_mime_utils_header_decode_date (semi + 1);
	id = received_id (value, semi != NULL ? semi : value + strlen (value));
	msg->received_id = message_clean_id (msg, id);
}

/*
 * decode_bounded: (transfer full): @value with RFC 2047 words decoded,
 * within a budget: of a longer value only the first
 * TG_MESSAGE_MAX_DECODE bytes are decoded, cut at a blank so that no
 * word is split, and the text is cut at TG_MESSAGE_MAX_DECODED bytes.
 * *@cut_out (nullable) says whether either cut anything.
 */
static char *
decode_bounded (const char *value, gboolean *cut_out)
{
	gsize len = strlen (value);
	g_autofree char *head = NULL;
	g_autofree char *joined = NULL;
	g_autofree char *decoded = NULL;
	char *out = NULL;
	gboolean cut = FALSE;

	if (len > TG_MESSAGE_MAX_DECODE) {
		gsize keep = TG_MESSAGE_MAX_DECODE;

		while (keep > 0 && !g_ascii_isspace (value[keep]))
			keep--;
		head = g_strndup (value,
				  keep > 0 ? keep : TG_MESSAGE_MAX_DECODE);
		value = head;
		cut = TRUE;
	}
	joined = join_base64_words (value);
	decoded = g_mime_utils_header_decode_text (
		g_mime_parser_options_get_default (), joined ? joined : value);
	out = message_to_valid_utf8 (decoded != NULL ? decoded : "");
	message_replace_controls (out);
	cut |= message_truncate_utf8 (out, TG_MESSAGE_MAX_DECODED);
	if (cut_out != NULL)
		*cut_out = cut;
	return out;
}

/* message_fill_envelope: the fields taken from the top-level header copies. */
void
message_fill_envelope (TgMessage *msg, GMimeParserOptions *options)
{
	const char *value = NULL;

	if ((value = tg_message_get_header (msg, "Subject")) != NULL) {
		gboolean cut = FALSE;

		g_free (msg->subject);
		msg->subject = decode_bounded (value, &cut);
		message_collapse_spaces (msg->subject);
		if (cut)
			msg->parse_warnings++;
	}
	if ((value = tg_message_get_header (msg, "Date")) != NULL)
		msg->date = g_mime_utils_header_decode_date (value);
	if ((value = tg_message_get_header (msg, "Message-ID")) != NULL) {
		g_autofree char *id = g_mime_utils_decode_message_id (value);

		msg->message_id = message_clean_id (msg, id);
	}
	fill_threading (msg, options);
	fill_received (msg);
}

/* ---- public API ---- */

const char *
tg_message_get_header (const TgMessage *msg, const char *name)
{
	g_return_val_if_fail (msg != NULL, NULL);
	g_return_val_if_fail (name != NULL, NULL);

	for (guint i = 0; i < msg->headers->len; i++) {
		const TgHeader *h = g_ptr_array_index (msg->headers, i);

		if (g_ascii_strcasecmp (h->name, name) == 0)
			return h->value;
	}
	return NULL;
}

char *
tg_message_decode_header (const char *value)
{
	g_return_val_if_fail (value != NULL, NULL);

	return decode_bounded (value, NULL);
}

TgAddress *
tg_message_parse_address (const char *value)
{
	g_autoptr (InternetAddressList) list = NULL;

	g_return_val_if_fail (value != NULL, NULL);

	list = parse_address_list (value);
	return list != NULL ? first_address (list, NULL) : NULL;
}

void
tg_address_free (TgAddress *addr)
{
	if (addr == NULL)
		return;
	g_free (addr->addr);
	g_free (addr->name);
	g_free (addr);
}
