/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * html: turns an HTML mail body into readable plain text in one linear
 * pass. It is not a browser and builds no tree: a small tag scanner
 * drives an output buffer that tracks pending blank space and line breaks.
 * It must survive any input (unterminated tags, stray '<', binary junk)
 * and never fails. Pure GLib.
 */
#include "html.h"

#include <string.h>

/* Longest tag or entity name we look at; longer ones are not ours. */
#define HTML_NAME_MAX 32
/* Deepest blockquote that still gets its own "> " prefix. */
#define HTML_QUOTE_MAX 8

typedef struct {
	const char *name;
	gunichar ch;
} HtmlEntity;

/*
 * The HTML 4 character entities most mail uses (all of ISO 8859-1, the
 * "special" set and common symbols). Names are case-sensitive.
 */
static const HtmlEntity entities[] = {
	{"quot", 34},	  {"amp", 38},	    {"apos", 39},     {"lt", 60},
	{"gt", 62},	  {"nbsp", 160},    {"iexcl", 161},   {"cent", 162},
	{"pound", 163},	  {"curren", 164},  {"yen", 165},     {"brvbar", 166},
	{"sect", 167},	  {"uml", 168},	    {"copy", 169},    {"ordf", 170},
	{"laquo", 171},	  {"not", 172},	    {"shy", 173},     {"reg", 174},
	{"macr", 175},	  {"deg", 176},	    {"plusmn", 177},  {"sup2", 178},
	{"sup3", 179},	  {"acute", 180},   {"micro", 181},   {"para", 182},
	{"middot", 183},  {"cedil", 184},   {"sup1", 185},    {"ordm", 186},
	{"raquo", 187},	  {"frac14", 188},  {"frac12", 189},  {"frac34", 190},
	{"iquest", 191},  {"Agrave", 192},  {"Aacute", 193},  {"Acirc", 194},
	{"Atilde", 195},  {"Auml", 196},    {"Aring", 197},   {"AElig", 198},
	{"Ccedil", 199},  {"Egrave", 200},  {"Eacute", 201},  {"Ecirc", 202},
	{"Euml", 203},	  {"Igrave", 204},  {"Iacute", 205},  {"Icirc", 206},
	{"Iuml", 207},	  {"ETH", 208},	    {"Ntilde", 209},  {"Ograve", 210},
	{"Oacute", 211},  {"Ocirc", 212},   {"Otilde", 213},  {"Ouml", 214},
	{"times", 215},	  {"Oslash", 216},  {"Ugrave", 217},  {"Uacute", 218},
	{"Ucirc", 219},	  {"Uuml", 220},    {"Yacute", 221},  {"THORN", 222},
	{"szlig", 223},	  {"agrave", 224},  {"aacute", 225},  {"acirc", 226},
	{"atilde", 227},  {"auml", 228},    {"aring", 229},   {"aelig", 230},
	{"ccedil", 231},  {"egrave", 232},  {"eacute", 233},  {"ecirc", 234},
	{"euml", 235},	  {"igrave", 236},  {"iacute", 237},  {"icirc", 238},
	{"iuml", 239},	  {"eth", 240},	    {"ntilde", 241},  {"ograve", 242},
	{"oacute", 243},  {"ocirc", 244},   {"otilde", 245},  {"ouml", 246},
	{"divide", 247},  {"oslash", 248},  {"ugrave", 249},  {"uacute", 250},
	{"ucirc", 251},	  {"uuml", 252},    {"yacute", 253},  {"thorn", 254},
	{"yuml", 255},	  {"OElig", 338},   {"oelig", 339},   {"Scaron", 352},
	{"scaron", 353},  {"Yuml", 376},    {"fnof", 402},    {"circ", 710},
	{"tilde", 732},	  {"ensp", 8194},   {"emsp", 8195},   {"thinsp", 8201},
	{"zwnj", 8204},	  {"zwj", 8205},    {"lrm", 8206},    {"rlm", 8207},
	{"ndash", 8211},  {"mdash", 8212},  {"lsquo", 8216},  {"rsquo", 8217},
	{"sbquo", 8218},  {"ldquo", 8220},  {"rdquo", 8221},  {"bdquo", 8222},
	{"dagger", 8224}, {"Dagger", 8225}, {"bull", 8226},   {"hellip", 8230},
	{"permil", 8240}, {"prime", 8242},  {"Prime", 8243},  {"lsaquo", 8249},
	{"rsaquo", 8250}, {"euro", 8364},   {"trade", 8482},  {"larr", 8592},
	{"uarr", 8593},	  {"rarr", 8594},   {"darr", 8595},   {"harr", 8596},
	{"lArr", 8656},	  {"rArr", 8658},   {"hArr", 8660},   {"minus", 8722},
	{"infin", 8734},  {"ne", 8800},	    {"le", 8804},     {"ge", 8805},
	{"loz", 9674},	  {"hearts", 9829}, {"check", 10003},
};

/*
 * HTML5 maps numeric references in 128..159 to windows-1252, because
 * that is what the authors of such pages meant; 0 marks the holes.
 */
static const gunichar cp1252_c1[32] = {
	0x20AC, 0,	0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
	0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0,	0x017D, 0,
	0,	0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
	0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,	0x017E, 0x0178,
};

/* Elements that break a paragraph (a blank line) or just a line. */
static const char *const paragraph_tags[] = {
	"p",  "h1", "h2",  "h3",    "h4",      "h5",	 "h6",
	"hr", "dl", "pre", "table", "address", "figure", "blockquote",
};

static const char *const line_tags[] = {
	"div",	   "li",	 "tr",	   "dt",      "dd",	"section",
	"article", "header",	 "footer", "nav",     "aside",	"main",
	"form",	   "fieldset",	 "center", "caption", "legend", "details",
	"summary", "figcaption", "option", "body",
};

/* Elements whose content is never shown (raw text up to the end tag). */
static const char *const hidden_tags[] = {
	"script", "style", "title", "template", "textarea",
};

typedef struct {
	const char *p;	 /* the next input byte */
	const char *end; /* one past the last input byte */
	GString *out;
	gboolean pending_space;
	guint pending_breaks; /* line breaks owed before the next text */
	guint pre_depth;      /* inside <pre>: keep blank space */
	guint list_depth;
	guint quote_depth;
	char *href;		/* target of the open <a>, or NULL */
	gsize link_start;	/* out->len when the open <a> began */
	gboolean no_head_close; /* searched once for </head>: not there */
	gboolean no_body;	/* searched once for <body>: not there */
} Html;

static gboolean
in_list (const char *name, const char *const *list, gsize n)
{
	for (gsize i = 0; i < n; i++)
		if (strcmp (name, list[i]) == 0)
			return TRUE;
	return FALSE;
}

/* find_ci: the first case-insensitive @needle in [@from, @end), or NULL. */
static const char *
find_ci (const char *from, const char *end, const char *needle)
{
	gsize n = strlen (needle);

	for (const char *p = from; p + n <= end; p++)
		if (g_ascii_strncasecmp (p, needle, n) == 0)
			return p;
	return NULL;
}

static gboolean
is_blank (char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

/* trailing_newlines: how many '\n' end the output (spaces ignored). */
static guint
trailing_newlines (const GString *out)
{
	guint n = 0;

	for (gsize i = out->len; i > 0; i--) {
		char c = out->str[i - 1];

		if (c == '\n')
			n++;
		else if (c != ' ' && c != '\t')
			break;
	}
	return n;
}

static void
strip_trailing_blanks (GString *out)
{
	gsize len = out->len;

	while (len > 0 &&
	       (out->str[len - 1] == ' ' || out->str[len - 1] == '\t'))
		len--;
	g_string_truncate (out, len);
}

/*
 * flush_pending: writes the line breaks or the single space owed
 * before the next visible character, then the quote prefix if a new
 * line starts. Nothing is written at the very beginning of the text.
 */
static void
flush_pending (Html *h)
{
	gboolean line_start = FALSE;

	if (h->out->len == 0) {
		h->pending_breaks = 0;
		h->pending_space = FALSE;
		line_start = TRUE;
	} else if (h->pending_breaks > 0) {
		guint have = trailing_newlines (h->out);

		strip_trailing_blanks (h->out);
		while (have < h->pending_breaks) {
			g_string_append_c (h->out, '\n');
			have++;
		}
		line_start = TRUE;
	} else if (h->out->str[h->out->len - 1] == '\n') {
		line_start = TRUE;
	} else if (h->pending_space && h->out->str[h->out->len - 1] != ' ') {
		g_string_append_c (h->out, ' ');
	}
	h->pending_breaks = 0;
	h->pending_space = FALSE;
	if (line_start)
		for (guint i = 0; i < MIN (h->quote_depth, HTML_QUOTE_MAX); i++)
			g_string_append (h->out, "> ");
}

static void
request_break (Html *h, guint breaks)
{
	/* Nested lists read better without blank lines between levels. */
	if (breaks > 1 && h->list_depth > 0)
		breaks = 1;
	h->pending_breaks = MAX (h->pending_breaks, breaks);
	h->pending_space = FALSE;
}

/* emit_char: one decoded character of visible text. */
static void
emit_char (Html *h, gunichar ch)
{
	char buf[8];
	gint n = 0;

	/* A no-break space is only spacing in a text rendering. */
	if (ch == 0xA0)
		ch = ' ';
	if (ch == '\n' && h->pre_depth > 0) {
		/* A break already owed (as right after <pre>) covers it. */
		if (h->pending_breaks == 0 && h->out->len > 0) {
			strip_trailing_blanks (h->out);
			g_string_append_c (h->out, '\n');
		}
		h->pending_space = FALSE;
		return;
	}
	if (ch < 0x80 && is_blank ((char)ch)) {
		if (h->pre_depth > 0 && ch != '\r') {
			flush_pending (h);
			g_string_append_c (h->out, (char)ch);
		} else {
			h->pending_space = TRUE;
		}
		return;
	}
	/* Soft hyphens and other controls have no visible form. */
	if (ch == 0xAD || g_unichar_iscntrl (ch))
		return;
	flush_pending (h);
	n = g_unichar_to_utf8 (ch, buf);
	g_string_append_len (h->out, buf, n);
}

static void
emit_string (Html *h, const char *s)
{
	for (const char *p = s; *p != '\0'; p = g_utf8_next_char (p))
		emit_char (h, g_utf8_get_char (p));
}

static gunichar
numeric_value (guint64 value)
{
	if (value >= 0x80 && value <= 0x9F)
		return cp1252_c1[value - 0x80] != 0 ? cp1252_c1[value - 0x80]
						    : 0xFFFD;
	if (value == 0 || value > 0x10FFFF ||
	    (value >= 0xD800 && value <= 0xDFFF))
		return 0xFFFD;
	return (gunichar)value;
}

/*
 * decode_entity: decodes the character reference at @p ('&'), within
 * @end. On success stores the character, returns the position after it.
 * Returns NULL when @p does not start a reference we know: the '&' is
 * then plain text, as browsers show it.
 */
static const char *
decode_entity (const char *p, const char *end, gunichar *ch_out)
{
	const char *q = p + 1;

	if (q < end && *q == '#') {
		gboolean hex = FALSE;
		guint64 value = 0;
		const char *digits = NULL;

		q++;
		if (q < end && (*q == 'x' || *q == 'X')) {
			hex = TRUE;
			q++;
		}
		digits = q;
		while (q < end &&
		       (hex ? g_ascii_isxdigit (*q) : g_ascii_isdigit (*q))) {
			/* Saturate: anything this big is invalid anyway. */
			if (value <= 0x10FFFF)
				value = value * (hex ? 16 : 10) +
					(guint64)(hex ? g_ascii_xdigit_value (
								*q)
						      : g_ascii_digit_value (
								*q));
			q++;
		}
		if (q == digits)
			return NULL;
		if (q < end && *q == ';')
			q++;
		*ch_out = numeric_value (value);
		return q;
	}

	const char *name = q;

	while (q < end && g_ascii_isalnum (*q) && q - name < HTML_NAME_MAX)
		q++;
	if (q == name)
		return NULL;
	for (gsize i = 0; i < G_N_ELEMENTS (entities); i++) {
		gsize len = 0;

		if (entities[i].name[0] != *name)
			continue;
		len = strlen (entities[i].name);
		if (len != (gsize)(q - name) ||
		    strncmp (name, entities[i].name, len) != 0)
			continue;
		/* Without ';' only when no letter follows ("&copy 2024"). */
		if (q < end && *q == ';')
			q++;
		else if (q < end && (g_ascii_isalnum (*q) || *q == '='))
			return NULL;
		*ch_out = entities[i].ch;
		return q;
	}
	return NULL;
}

/* decode_text: [@p, @end) with character references decoded. */
static char *
decode_text (const char *p, const char *end)
{
	GString *s = g_string_sized_new ((gsize)(end - p));

	while (p < end) {
		gunichar ch = 0;
		const char *next = NULL;

		if (*p == '&' && (next = decode_entity (p, end, &ch)) != NULL) {
			g_string_append_unichar (s, ch);
			p = next;
		} else {
			g_string_append_c (s, *p++);
		}
	}
	return g_string_free (s, FALSE);
}

/* emit_text: a run of character data from [@p, @end). */
static void
emit_text (Html *h, const char *p, const char *end)
{
	while (p < end) {
		gunichar ch = 0;
		const char *next = NULL;

		if (*p == '&' && (next = decode_entity (p, end, &ch)) != NULL) {
			emit_char (h, ch);
			p = next;
		} else {
			emit_char (h, g_utf8_get_char (p));
			p = g_utf8_next_char (p);
		}
	}
}

typedef struct {
	char name[HTML_NAME_MAX + 1]; /* lower case, may be truncated */
	gboolean is_end;
	char *href; /* decoded attribute values we use, or NULL */
	char *alt;
} HtmlTag;

static void
tag_clear (HtmlTag *tag)
{
	g_clear_pointer (&tag->href, g_free);
	g_clear_pointer (&tag->alt, g_free);
}

/* scan_name: copies the lower-cased name at @p into @buf, returns after. */
static const char *
scan_name (const char *p, const char *end, char *buf, gsize size)
{
	gsize n = 0;

	while (p < end && !is_blank (*p) && *p != '>' && *p != '/' &&
	       *p != '=') {
		if (n + 1 < size)
			buf[n++] = g_ascii_tolower (*p);
		p++;
	}
	buf[n] = '\0';
	return p;
}

/*
 * scan_attributes: reads attributes up to the closing '>', keeping href
 * and alt. Returns the position after '>', or NULL if the input ends
 * first (an unterminated tag, which browsers drop with the rest).
 */
static const char *
scan_attributes (const char *p, const char *end, HtmlTag *tag)
{
	while (p < end) {
		char attr[HTML_NAME_MAX + 1];
		const char *vstart = NULL;
		const char *vend = NULL;

		while (p < end && (is_blank (*p) || *p == '/'))
			p++;
		if (p >= end)
			return NULL;
		if (*p == '>')
			return p + 1;
		p = scan_name (p, end, attr, sizeof attr);
		if (attr[0] == '\0')
			p++; /* a stray '=': skip it */
		while (p < end && is_blank (*p))
			p++;
		if (p >= end || *p != '=')
			continue;
		p++;
		while (p < end && is_blank (*p))
			p++;
		if (p < end && (*p == '"' || *p == '\'')) {
			const char *close =
				memchr (p + 1, *p, (gsize)(end - p - 1));

			if (close == NULL)
				return NULL;
			vstart = p + 1;
			vend = close;
			p = close + 1;
		} else {
			vstart = p;
			while (p < end && !is_blank (*p) && *p != '>')
				p++;
			vend = p;
		}
		if (strcmp (attr, "href") == 0 && tag->href == NULL)
			tag->href = decode_text (vstart, vend);
		else if (strcmp (attr, "alt") == 0 && tag->alt == NULL)
			tag->alt = decode_text (vstart, vend);
	}
	return NULL;
}

/*
 * same_target: whether the link text already says where the link goes
 * ("www.example.org" for "https://www.example.org/", an address for its
 * mailto: link), so that the target need not be repeated.
 */
static gboolean
same_target (const char *href, const char *text)
{
	static const char *const prefixes[] = {
		"",	    "mailto:",	   "http://",
		"https://", "http://www.", "https://www.",
	};
	gsize tlen = strlen (text);
	gsize hlen = strlen (href);

	while (tlen > 0 && text[tlen - 1] == '/')
		tlen--;
	while (hlen > 0 && href[hlen - 1] == '/')
		hlen--;
	for (gsize i = 0; i < G_N_ELEMENTS (prefixes); i++) {
		gsize plen = strlen (prefixes[i]);

		if (hlen == plen + tlen &&
		    g_ascii_strncasecmp (href, prefixes[i], plen) == 0 &&
		    g_ascii_strncasecmp (href + plen, text, tlen) == 0)
			return TRUE;
	}
	return FALSE;
}

/* close_link: at </a>, shows the target when the text does not. */
static void
close_link (Html *h)
{
	g_autofree char *href = g_steal_pointer (&h->href);
	g_autofree char *text = NULL;

	if (href == NULL)
		return;
	g_strstrip (href);
	if (h->link_start > h->out->len)
		return;
	text = g_strstrip (g_strdup (h->out->str + h->link_start));
	if (*href == '\0' || *href == '#' || *text == '\0' ||
	    g_ascii_strncasecmp (href, "javascript:", 11) == 0 ||
	    same_target (href, text))
		return;
	emit_char (h, ' ');
	emit_char (h, '<');
	emit_string (h, href);
	emit_char (h, '>');
}

static void
open_link (Html *h, HtmlTag *tag)
{
	close_link (h);
	if (tag->href == NULL)
		return;
	/* Text starts after any pending space or break: flush it now. */
	if (h->out->len > 0)
		flush_pending (h);
	h->href = g_steal_pointer (&tag->href);
	h->link_start = h->out->len;
}

/*
 * skip_hidden: jumps past the content of script, style and the like,
 * which is raw text up to the matching end tag (or the end of input).
 */
static void
skip_hidden (Html *h, const char *name)
{
	g_autofree char *needle = g_strconcat ("</", name, NULL);
	const char *close = find_ci (h->p, h->end, needle);
	const char *gt = NULL;

	if (close == NULL) {
		h->p = h->end;
		return;
	}
	gt = memchr (close, '>', (gsize)(h->end - close));
	h->p = gt != NULL ? gt + 1 : h->end;
}

/*
 * skip_head: drops everything between <head> and </head> (or <body>
 * when </head> is missing or comes later). If neither follows, the <head>
 * tag alone is ignored rather than losing the whole text.
 */
static void
skip_head (Html *h)
{
	const char *close = NULL;
	const char *body = NULL;

	/* Each search that fails is remembered: hostile input may repeat
	 * <head> many times, and must not cost a scan of the rest each. */
	if (!h->no_head_close) {
		close = find_ci (h->p, h->end, "</head");
		h->no_head_close = close == NULL;
	}
	if (!h->no_body) {
		body = find_ci (h->p, close != NULL ? close : h->end, "<body");
		h->no_body = body == NULL && close == NULL;
	}
	if (body != NULL)
		h->p = body;
	else if (close != NULL)
		h->p = close;
}

/* nest: counts an element that can nest in and out, ignoring strays. */
static void
nest (guint *depth, const HtmlTag *tag)
{
	if (!tag->is_end)
		(*depth)++;
	else if (*depth > 0)
		(*depth)--;
}

static void
handle_tag (Html *h, HtmlTag *tag)
{
	const char *name = tag->name;

	if (strcmp (name, "br") == 0) {
		h->pending_breaks = MIN (h->pending_breaks + 1, 2);
		h->pending_space = FALSE;
		/* "<br>" at the very start owes nothing. */
		if (h->out->len == 0)
			h->pending_breaks = 0;
		return;
	}
	if (strcmp (name, "a") == 0) {
		if (tag->is_end)
			close_link (h);
		else
			open_link (h, tag);
		return;
	}
	if (strcmp (name, "img") == 0 && !tag->is_end && tag->alt != NULL &&
	    *g_strstrip (tag->alt) != '\0') {
		emit_char (h, '[');
		emit_string (h, tag->alt);
		emit_char (h, ']');
		return;
	}
	if (strcmp (name, "td") == 0 || strcmp (name, "th") == 0) {
		h->pending_space = TRUE;
		return;
	}
	if (strcmp (name, "ul") == 0 || strcmp (name, "ol") == 0) {
		request_break (h, 2);
		nest (&h->list_depth, tag);
		return;
	}
	/* Both also break a paragraph, below. */
	if (strcmp (name, "pre") == 0)
		nest (&h->pre_depth, tag);
	else if (strcmp (name, "blockquote") == 0)
		nest (&h->quote_depth, tag);
	if (in_list (name, paragraph_tags, G_N_ELEMENTS (paragraph_tags))) {
		request_break (h, 2);
		return;
	}
	if (in_list (name, line_tags, G_N_ELEMENTS (line_tags))) {
		request_break (h, 1);
		if (strcmp (name, "li") == 0 && !tag->is_end) {
			flush_pending (h);
			for (guint i = 1; i < MIN (h->list_depth, 8); i++)
				g_string_append (h->out, "  ");
			g_string_append (h->out, "- ");
		}
		return;
	}
	if (tag->is_end)
		return;
	if (in_list (name, hidden_tags, G_N_ELEMENTS (hidden_tags)))
		skip_hidden (h, name);
	else if (strcmp (name, "head") == 0)
		skip_head (h);
}

/*
 * scan_markup: handles the markup at h->p ('<'). Returns FALSE when the
 * '<' starts no markup and is plain text.
 */
static gboolean
scan_markup (Html *h)
{
	const char *p = h->p + 1;
	const char *q = NULL;
	HtmlTag tag = {0};

	if (p < h->end && *p == '!') {
		if (h->end - p >= 3 && strncmp (p, "!--", 3) == 0) {
			q = find_ci (p + 3, h->end, "-->");
			h->p = q != NULL ? q + 3 : h->end;
		} else {
			q = memchr (p, '>', (gsize)(h->end - p));
			h->p = q != NULL ? q + 1 : h->end;
		}
		return TRUE;
	}
	if (p < h->end && *p == '?') {
		q = memchr (p, '>', (gsize)(h->end - p));
		h->p = q != NULL ? q + 1 : h->end;
		return TRUE;
	}
	if (p < h->end && *p == '/') {
		tag.is_end = TRUE;
		p++;
		/* "</>" and "</ x>" are dropped as browsers drop them. */
		if (p < h->end && !g_ascii_isalpha (*p)) {
			q = memchr (p, '>', (gsize)(h->end - p));
			h->p = q != NULL ? q + 1 : h->end;
			return TRUE;
		}
	}
	if (p >= h->end || !g_ascii_isalpha (*p))
		return FALSE;
	p = scan_name (p, h->end, tag.name, sizeof tag.name);
	q = scan_attributes (p, h->end, &tag);
	h->p = q != NULL ? q : h->end;
	if (q != NULL)
		handle_tag (h, &tag);
	tag_clear (&tag);
	return TRUE;
}

char *
tg_html_to_text (const char *html, gssize len)
{
	g_autofree char *valid = NULL;
	Html h = {0};

	g_return_val_if_fail (html != NULL || len == 0, NULL);

	if (html == NULL)
		return g_strdup ("");
	if (len < 0)
		len = (gssize)strlen (html);
	valid = g_utf8_make_valid (html, len);
	h.p = valid;
	h.end = valid + strlen (valid);
	h.out = g_string_sized_new ((gsize)len / 2 + 16);
	while (h.p < h.end) {
		const char *lt = memchr (h.p, '<', (gsize)(h.end - h.p));
		const char *stop = lt != NULL ? lt : h.end;

		emit_text (&h, h.p, stop);
		h.p = stop;
		if (h.p < h.end && !scan_markup (&h)) {
			emit_char (&h, '<');
			h.p++;
		}
	}
	close_link (&h);
	g_free (h.href);
	strip_trailing_blanks (h.out);
	while (h.out->len > 0 && h.out->str[h.out->len - 1] == '\n') {
		g_string_truncate (h.out, h.out->len - 1);
		strip_trailing_blanks (h.out);
	}
	return g_string_free (h.out, FALSE);
}
