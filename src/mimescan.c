/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * mimescan: one pass over a mail's bytes, before GMime, that finds what
 * GMime would make of them: header blocks (at the top, after each part
 * delimiter, and in the body of a message/rfc822 part), header fields,
 * part delimiters. From that it sets the structure budget's cut, the
 * excess of overlong headers, and reports charset names. It follows
 * GMime 3.2's parser: a header name may have blanks before its colon, a
 * header block ends only at an empty line, and lines that are no header
 * do not end it. Where it cannot know (is "--x" a delimiter?), it counts
 * more, never less. GLib only.
 */
#include "mimescan.h"

#include <string.h>

typedef enum {
	IN_HEADERS, /* a header block */
	IN_BODY,
} Where;

typedef enum {
	NAME_CHARS,   /* in the field name */
	NAME_BLANKS,  /* blanks between the name and the colon */
	NAME_COLON,   /* past the colon: the value */
	NAME_INVALID, /* not a header GMime keeps */
} NameState;

typedef enum {
	CS_OFF,
	CS_WORD,    /* after "=?": the name ends at '?' or '*' */
	CS_RFC2231, /* after "*=": the name ends at '\'' */
	CS_PARAM,   /* after "charset=": the name ends at ';' or a blank */
} CharsetState;

/* The first bytes of a Content-Type value that matter (CFWS left out). */
#define TYPE_MAX 16

struct _TgMimeScan {
	guint8 eol;
	TgMimeScanCharsetFunc charset_cb;
	gpointer data;

	Where where;
	gboolean nests;	 /* this block's Content-Type is message/... */
	gboolean typed;	 /* this block has a Content-Type with a '/' */
	gboolean digest; /* a multipart/digest was seen: its parts without
			    a Content-Type are messages */
	guint lines;
	gsize header_text;
	guint address_tokens;
	goffset end;
	GArray *cuts;
	gboolean done;

	/* the current line */
	goffset offset; /* of the next byte */
	goffset line_start;
	gsize col;
	guint8 head[2];
	guint8 prev; /* the byte before the next one */

	/* the current header field */
	goffset field_start; /* -1: none */
	goffset field_end;   /* where its last line end starts */
	goffset cut_start;   /* where the rest is left out; -1: nowhere */
	NameState name;
	gsize name_len;
	char name_buf[12];
	gboolean is_content_type;
	gboolean is_address;
	guint groups;
	char type_buf[TYPE_MAX];
	gsize type_len;
	int comment_depth;
	gboolean escaped;
	guint64 window; /* the last 8 value bytes, lower case */
	CharsetState cs;
	gsize cs_len;
	char cs_buf[TG_MIMESCAN_MAX_CHARSET + 1];
};

/* The last bytes of the window as a number, for a cheap compare. */
#define PACK2(a, b) (((guint64)(a) << 8) | (guint64)(b))
#define PACK8(s)                                                               \
	(((guint64)(s)[0] << 56) | ((guint64)(s)[1] << 48) |                   \
	 ((guint64)(s)[2] << 40) | ((guint64)(s)[3] << 32) |                   \
	 ((guint64)(s)[4] << 24) | ((guint64)(s)[5] << 16) |                   \
	 ((guint64)(s)[6] << 8) | (guint64)(s)[7])

static gboolean
is_blank (guint8 c)
{
	return c == ' ' || c == '\t';
}

static gboolean
is_ctrl (guint8 c)
{
	return c < 0x20 || c == 0x7f;
}

static gboolean
is_charset_char (guint8 c)
{
	return g_ascii_isalnum (c) || c == '-' || c == '_' || c == '.' ||
	       c == ':' || c == '+';
}

/* ---- budget and cuts ----------------------------------------------- */

/* stop: GMime sees the mail up to @at; cuts past it go. */
static void
stop (TgMimeScan *s, goffset at)
{
	s->end = at;
	s->done = TRUE;
	while (s->cuts->len > 0 &&
	       g_array_index (s->cuts, TgMimeScanCut, s->cuts->len - 1).start >=
		       at)
		g_array_set_size (s->cuts, s->cuts->len - 1);
}

static void
count_line (TgMimeScan *s, goffset at)
{
	if (++s->lines > TG_MIMESCAN_MAX_LINES)
		stop (s, at);
}

/* finish_field: the current field has ended; cut its excess. */
static void
finish_field (TgMimeScan *s)
{
	goffset len = 0;

	if (s->field_start < 0)
		return;
	len = s->field_end - s->field_start;
	if (s->cut_start >= 0 && s->field_end > s->cut_start) {
		TgMimeScanCut cut = {s->cut_start, s->field_end};

		g_array_append_val (s->cuts, cut);
	}
	s->header_text += (gsize)MIN (len, TG_MIMESCAN_MAX_HEADER);
	if (s->header_text > TG_MIMESCAN_MAX_HEADER_TEXT)
		stop (s, s->field_start);
	s->field_start = -1;
}

static void
start_field (TgMimeScan *s)
{
	finish_field (s);
	if (s->done)
		return;
	s->field_start = s->line_start;
	s->field_end = s->line_start;
	s->cut_start = -1;
	s->name = NAME_CHARS;
	s->name_len = 0;
	s->is_content_type = FALSE;
	s->is_address = FALSE;
	s->groups = 0;
	s->type_len = 0;
	s->comment_depth = 0;
	s->escaped = FALSE;
	s->window = 0;
	s->cs = CS_OFF;
	count_line (s, s->line_start);
}

/* ---- inside a header field ----------------------------------------- */

static gboolean
name_is (const TgMimeScan *s, const char *name)
{
	gsize len = strlen (name);

	return s->name_len == len &&
	       g_ascii_strncasecmp (s->name_buf, name, len) == 0;
}

/* The headers GMime parses into addresses (gmime-message.c). */
static gboolean
name_is_address (const TgMimeScan *s)
{
	static const char *const names[] = {
		"sender", "from", "reply-to", "to", "cc", "bcc",
	};

	for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
		if (name_is (s, names[i]))
			return TRUE;
	return FALSE;
}

static void
name_byte (TgMimeScan *s, guint8 c)
{
	if (c == ':') {
		s->name = s->name_len > 0 ? NAME_COLON : NAME_INVALID;
		s->is_content_type = name_is (s, "content-type");
		s->is_address = name_is_address (s);
		/* Past the budget, an address header keeps no value. */
		if (s->is_address &&
		    s->address_tokens >= TG_MIMESCAN_MAX_ADDRESS_TOKENS)
			s->cut_start = s->offset + 1;
	} else if (is_blank (c)) {
		s->name = NAME_BLANKS;
	} else if (s->name == NAME_BLANKS || is_ctrl (c)) {
		s->name = NAME_INVALID;
	} else {
		if (s->name_len < sizeof s->name_buf)
			s->name_buf[s->name_len] = (char)c;
		s->name_len++;
	}
}

/*
 * type_byte: the type/subtype of a Content-Type value as GMime reads it
 * (comments and blanks skipped), enough to tell message/... and
 * multipart/digest.
 */
static void
type_byte (TgMimeScan *s, guint8 c)
{
	if (s->type_len >= TYPE_MAX)
		return;
	if (s->escaped) {
		s->escaped = FALSE;
	} else if (s->comment_depth > 0) {
		if (c == '\\')
			s->escaped = TRUE;
		else if (c == '(')
			s->comment_depth++;
		else if (c == ')')
			s->comment_depth--;
	} else if (c == '(') {
		s->comment_depth++;
	} else if (!is_blank (c) && c != '\r') {
		s->type_buf[s->type_len++] = g_ascii_tolower (c);
		s->typed |= c == '/';
		if (s->type_len == 8 &&
		    memcmp (s->type_buf, "message/", 8) == 0)
			s->nests = TRUE;
		if (s->type_len == TYPE_MAX &&
		    memcmp (s->type_buf, "multipart/digest", TYPE_MAX) == 0)
			s->digest = TRUE;
	}
}

static void
emit_charset (TgMimeScan *s)
{
	if (s->cs_len > 0 && s->charset_cb != NULL) {
		s->cs_buf[s->cs_len] = '\0';
		s->charset_cb (s->cs_buf, s->data);
	}
	s->cs = CS_OFF;
}

/* charset_byte: collects a charset name; FALSE when not collecting. */
static gboolean
charset_byte (TgMimeScan *s, guint8 c)
{
	gboolean ends = FALSE;

	switch (s->cs) {
	case CS_OFF:
		return FALSE;
	case CS_WORD:
		ends = c == '?' || c == '*';
		break;
	case CS_RFC2231:
		if (c == '"' && s->cs_len == 0)
			return TRUE;
		ends = c == '\'';
		break;
	case CS_PARAM:
		if ((c == '"' || is_blank (c)) && s->cs_len == 0)
			return TRUE;
		ends = c == ';' || c == '"' || c == '(' || c == '\r' ||
		       is_blank (c);
		break;
	}
	if (ends)
		emit_charset (s);
	else if (is_charset_char (c) && s->cs_len < TG_MIMESCAN_MAX_CHARSET)
		s->cs_buf[s->cs_len++] = (char)c;
	else
		s->cs = CS_OFF;
	return TRUE;
}

/* address_byte: FALSE when the address limits cut the field here. */
static gboolean
address_byte (TgMimeScan *s, guint8 c)
{
	if (strchr (",;:<@", c) == NULL || c == '\0')
		return TRUE;
	if (c == ':' && ++s->groups > TG_MIMESCAN_MAX_GROUPS)
		return FALSE;
	return ++s->address_tokens <= TG_MIMESCAN_MAX_ADDRESS_TOKENS;
}

static void
value_byte (TgMimeScan *s, guint8 c)
{
	if (s->is_address && !address_byte (s, c)) {
		s->cut_start = s->offset;
		return;
	}
	if (s->is_content_type)
		type_byte (s, c);
	if (charset_byte (s, c))
		return;
	s->window = (s->window << 8) | g_ascii_tolower (c);
	if ((s->window & 0xffff) == PACK2 ('=', '?'))
		s->cs = CS_WORD;
	else if ((s->window & 0xffff) == PACK2 ('*', '='))
		s->cs = CS_RFC2231;
	else if (s->window == PACK8 ("charset="))
		s->cs = CS_PARAM;
	s->cs_len = 0;
}

/*
 * field_byte: a byte of the current field that is not a line end. Past
 * TG_MIMESCAN_MAX_HEADER the rest of the field is cut, from here (or
 * from the line end before, so that no empty line appears) to its last
 * line end.
 */
static void
field_byte (TgMimeScan *s, guint8 c)
{
	if (s->cut_start < 0 &&
	    s->offset - s->field_start >= TG_MIMESCAN_MAX_HEADER) {
		s->cut_start = s->offset;
		if (s->col == 0)
			s->cut_start = s->field_end;
		return;
	}
	if (s->cut_start >= 0)
		return;
	if (s->name == NAME_CHARS || s->name == NAME_BLANKS)
		name_byte (s, c);
	else if (s->name == NAME_COLON)
		value_byte (s, c);
}

/* ---- lines --------------------------------------------------------- */

static gboolean
is_delimiter (const TgMimeScan *s)
{
	return s->col >= 2 && s->head[0] == '-' && s->head[1] == '-';
}

/*
 * header_byte: a byte of a line in a header block. A line that starts
 * with a blank goes on with the field before; any other starts a field
 * (GMime drops the invalid ones, but they are held until then). A CR
 * alone at the start may be an empty line's CR LF: decided by the next
 * byte.
 */
static void
header_byte (TgMimeScan *s, guint8 c)
{
	gboolean pending_cr = s->eol == '\n' && s->head[0] == '\r';

	if (s->col == 0 && c == '\r' && s->eol == '\n') {
		/* wait */
	} else if (s->col == 0 && is_blank (c) && s->field_start >= 0) {
		/* a folded line */
	} else if (s->col == 0 || (s->col == 1 && pending_cr)) {
		start_field (s);
		if (pending_cr)
			s->name = NAME_INVALID;
	}
	if (s->field_start >= 0 && !s->done)
		field_byte (s, c);
}

static void
end_line (TgMimeScan *s)
{
	goffset eol_start = s->offset;
	gboolean empty = s->col == 0 ||
			 (s->col == 1 && s->eol == '\n' && s->head[0] == '\r');

	if (s->col > 0 && s->prev == '\r' && s->eol == '\n')
		eol_start--;
	if (s->where == IN_BODY) {
		if (is_delimiter (s)) {
			count_line (s, s->line_start);
			s->where = IN_HEADERS;
			s->nests = s->typed = FALSE;
		}
	} else if (empty) {
		/* The block ends; a message part's body is a block too. */
		finish_field (s);
		s->where = s->nests || (s->digest && !s->typed) ? IN_HEADERS
								: IN_BODY;
		s->nests = s->typed = FALSE;
	} else {
		if (s->field_start >= 0)
			s->field_end = eol_start;
		if (s->cs == CS_PARAM)
			emit_charset (s);
		s->cs = CS_OFF;
		if (is_delimiter (s)) {
			finish_field (s);
			s->nests = s->typed = FALSE;
		}
	}
	s->line_start = s->offset + 1;
	s->col = 0;
	s->head[0] = s->head[1] = 0;
}

/* body_skip: past the second byte of a body line, only its end counts. */
static gsize
body_skip (TgMimeScan *s, const guint8 *buf, gsize i, gsize len)
{
	const guint8 *next = memchr (buf + i, s->eol, len - i);
	gsize to = next != NULL ? (gsize)(next - buf) : len;

	if (to > i) {
		s->offset += (goffset)(to - i);
		s->col += to - i;
		s->prev = buf[to - 1];
	}
	return to;
}

gboolean
tg_mimescan_feed (TgMimeScan *s, const guint8 *buf, gsize len)
{
	g_return_val_if_fail (s != NULL, FALSE);

	for (gsize i = 0; i < len && !s->done;) {
		guint8 c = buf[i];

		if (s->where == IN_BODY && s->col >= 2 && c != s->eol) {
			i = body_skip (s, buf, i, len);
			continue;
		}
		if (c == s->eol) {
			end_line (s);
		} else {
			if (s->where == IN_HEADERS)
				header_byte (s, c);
			if (s->col < 2)
				s->head[s->col] = c;
			s->col++;
		}
		s->prev = c;
		s->offset++;
		i++;
	}
	return !s->done;
}

void
tg_mimescan_finish (TgMimeScan *s)
{
	g_return_if_fail (s != NULL);

	if (s->done)
		return;
	if (s->where == IN_BODY && is_delimiter (s)) {
		count_line (s, s->line_start);
		return;
	}
	if (s->field_start >= 0 && s->col > 0)
		s->field_end = s->offset;
	finish_field (s);
}

TgMimeScan *
tg_mimescan_new (guint8 eol, goffset start, TgMimeScanCharsetFunc charset_cb,
		 gpointer data)
{
	TgMimeScan *s = g_new0 (TgMimeScan, 1);

	s->eol = eol;
	s->charset_cb = charset_cb;
	s->data = data;
	s->where = IN_HEADERS;
	s->end = -1;
	s->cuts = g_array_new (FALSE, FALSE, sizeof (TgMimeScanCut));
	s->offset = start;
	s->line_start = start;
	s->field_start = -1;
	return s;
}

void
tg_mimescan_free (TgMimeScan *s)
{
	if (s == NULL)
		return;
	g_array_unref (s->cuts);
	g_free (s);
}

goffset
tg_mimescan_get_end (const TgMimeScan *s)
{
	g_return_val_if_fail (s != NULL, -1);
	return s->end;
}

const GArray *
tg_mimescan_get_cuts (const TgMimeScan *s)
{
	g_return_val_if_fail (s != NULL, NULL);
	return s->cuts;
}
