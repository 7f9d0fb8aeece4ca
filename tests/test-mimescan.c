/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test-mimescan: the scan that bounds what GMime is given. Each row is a
 * mail built in memory and what the scan must make of it: where the
 * structure budget cuts it, which excess of which header is left out,
 * which charsets are named. Every row is also fed one byte at a time and
 * in odd chunks, which must change nothing. Headers are read the way
 * GMime reads them: blanks before the colon, any case, folded values,
 * blank-only lines that continue a header, lines that are no header.
 */
#include "mimescan.h"

#include <string.h>

#include "tgtest.h"

typedef struct {
	goffset end;
	GArray *cuts;	     /* TgMimeScanCut */
	GPtrArray *charsets; /* distinct, in order */
} Outcome;

static void
outcome_clear (Outcome *o)
{
	g_clear_pointer (&o->cuts, g_array_unref);
	g_clear_pointer (&o->charsets, g_ptr_array_unref);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Outcome, outcome_clear)

static void
note_charset (const char *name, gpointer data)
{
	GPtrArray *seen = data;

	for (guint i = 0; i < seen->len; i++)
		if (strcmp (seen->pdata[i], name) == 0)
			return;
	g_ptr_array_add (seen, g_strdup (name));
}

/* scan: @text fed in pieces of @chunk bytes (0: whole). */
static void
scan (const char *text, gsize len, gsize chunk, guint8 eol, Outcome *out)
{
	GPtrArray *seen = g_ptr_array_new_with_free_func (g_free);
	g_autoptr (TgMimeScan) s = tg_mimescan_new (eol, 0, note_charset, seen);

	if (chunk == 0)
		chunk = MAX (len, 1);
	for (gsize at = 0; at < len; at += chunk)
		if (!tg_mimescan_feed (s, (const guint8 *)text + at,
				       MIN (chunk, len - at)))
			break;
	tg_mimescan_finish (s);
	out->end = tg_mimescan_get_end (s);
	out->cuts = g_array_copy ((GArray *)tg_mimescan_get_cuts (s));
	out->charsets = seen;
}

/* ---- the mails ---- */

typedef struct {
	const char *label;
	char *(*build) (void);
	guint8 eol;
	/* what GMime is given, checked by check() */
	void (*check) (const char *label, const char *text, const Outcome *o);
} Row;

static void
want_end (const char *label, const Outcome *o, goffset want)
{
	if (o->end != want)
		tg_test_fail_row ("%s: end: got %" G_GINT64_FORMAT
				  ", want %" G_GINT64_FORMAT,
				  label, (gint64)o->end, (gint64)want);
}

static void
want_cuts (const char *label, const Outcome *o, guint want)
{
	if (o->cuts->len != want)
		tg_test_fail_row ("%s: cuts: got %u, want %u", label,
				  o->cuts->len, want);
}

/* The text with the cuts left out, as GMime sees it. */
static char *
seen_text (const char *text, const Outcome *o)
{
	GString *out = g_string_new (NULL);
	gsize len = o->end >= 0 ? (gsize)o->end : strlen (text);
	gsize from = 0;

	for (guint i = 0; i < o->cuts->len; i++) {
		const TgMimeScanCut *c =
			&g_array_index (o->cuts, TgMimeScanCut, i);

		g_string_append_len (out, text + from,
				     (gssize)((gsize)c->start - from));
		from = (gsize)c->end;
	}
	g_string_append_len (out, text + from, (gssize)(len - from));
	return g_string_free (out, FALSE);
}

static char *
build_plain (void)
{
	return g_strdup ("From: a@example.com\nSubject: hi\n\nbody\n--\nsig\n");
}

static void
check_untouched (const char *label, const char *text, const Outcome *o)
{
	want_end (label, o, -1);
	want_cuts (label, o, 0);
}

/* A 150 KB header between two short ones. */
static char *
build_long_line (void)
{
	g_autofree char *long_value = g_strnfill (150000, 'a');

	return g_strdup_printf ("From: a@example.com\nX-Long: %s\n"
				"Subject: after\n\nbody\n",
				long_value);
}

static void
check_long (const char *label, const char *text, const Outcome *o)
{
	g_autofree char *seen = seen_text (text, o);
	const char *x = strstr (seen, "X-Long:");
	const char *eol = x != NULL ? strchr (x, '\n') : NULL;

	want_end (label, o, -1);
	want_cuts (label, o, 1);
	if (x == NULL || eol == NULL || eol - x != TG_MIMESCAN_MAX_HEADER)
		tg_test_fail_row ("%s: the header is not cut to %d bytes",
				  label, TG_MIMESCAN_MAX_HEADER);
	if (strstr (seen, "\nSubject: after\n\nbody\n") == NULL)
		tg_test_fail_row ("%s: what follows the header is lost", label);
}

/* The same as folded lines, CRLF: the cut takes whole lines' ends. */
static char *
build_long_folded_crlf (void)
{
	GString *s = g_string_new ("From: a@example.com\r\nSubject:");

	for (int i = 0; i < 5000; i++)
		g_string_append (s, " =?iso-8859-2?Q?word=E4?=\r\n");
	g_string_append (s, "To: b@example.com\r\n\r\nbody\r\n");
	return g_string_free (s, FALSE);
}

static void
check_long_folded (const char *label, const char *text, const Outcome *o)
{
	g_autofree char *seen = seen_text (text, o);

	want_end (label, o, -1);
	want_cuts (label, o, 1);
	/* No empty line appears where the cut is. */
	if (strstr (seen, "\r\n\r\nbody") == NULL ||
	    strstr (seen, "\r\n\r\n") != strstr (seen, "\r\n\r\nbody"))
		tg_test_fail_row ("%s: the cut made an empty line", label);
	if (strstr (seen, "\r\nTo: b@example.com\r\n") == NULL)
		tg_test_fail_row ("%s: the next header is lost", label);
	if (o->charsets->len != 1 ||
	    strcmp (o->charsets->pdata[0], "iso-8859-2") != 0)
		tg_test_fail_row ("%s: charsets: want iso-8859-2", label);
}

/* message/rfc822 parts nested far deeper than the budget, spelled
 * "Content-Type :" (a blank before the colon), as GMime accepts it. */
static char *
build_nested_spaced (void)
{
	GString *s = g_string_new ("From: a@example.com\n");

	for (int i = 0; i < 30000; i++)
		g_string_append (s, "Content-Type : message/rfc822\n\n");
	g_string_append (s, "\nbody\n");
	return g_string_free (s, FALSE);
}

/* The same in other spellings: any case, a folded value, a comment. */
static char *
build_nested_spellings (void)
{
	static const char *const spellings[] = {
		"content-TYPE:\tMESSAGE/rfc822\n",
		"Content-Type:\n message/global\n",
		"Content-Type: (forwarded) message / rfc822\n",
	};
	GString *s = g_string_new ("From: a@example.com\n");

	for (int i = 0; i < 30000; i++)
		g_string_append_printf (s, "Subject: %d\n%s\n", i,
					spellings[i % 3]);
	g_string_append (s, "\nbody\n");
	return g_string_free (s, FALSE);
}

/* The budget runs out before the end, at the start of a line. */
static void
check_budget (const char *label, const char *text, const Outcome *o)
{
	if (o->end <= 0 || o->end >= (goffset)strlen (text) ||
	    (text[o->end - 1] != '\n' && text[o->end - 1] != '\r'))
		tg_test_fail_row ("%s: end: got %" G_GINT64_FORMAT
				  ", want a line start before the end",
				  label, (gint64)o->end);
}

/* A blank-only line goes on with a header (GMime ends a block only at
 * an empty line), and lines that are no header do not end it. */
static char *
build_blank_line_headers (void)
{
	GString *s = g_string_new ("From: a@example.com\nSubject: x\n \t\n"
				   "this is no header\n");

	for (int i = 0; i < 30000; i++)
		g_string_append_printf (s, "X-%d: %d\n", i, i);
	g_string_append (s, "\nbody\n");
	return g_string_free (s, FALSE);
}

/* Parts of a multipart/digest without a Content-Type are messages. */
static char *
build_digest (void)
{
	GString *s = g_string_new ("From: a@example.com\n"
				   "Content-Type: multipart/digest; "
				   "boundary=d\n\n");

	for (int i = 0; i < 12000; i++)
		g_string_append_printf (s, "--d\n\nSubject: %d\nX: y\n\nz\n",
					i);
	g_string_append (s, "--d--\n");
	return g_string_free (s, FALSE);
}

/* A part named "message.json" is no message: its long line stays. */
static char *
build_not_nested (void)
{
	g_autofree char *json = g_strnfill (200000, 'j');

	return g_strdup_printf (
		"From: a@example.com\nContent-Type: multipart/mixed; "
		"boundary=b\n\n--b\nContent-Type: application/json; "
		"name=message.json\n\n%s\n--b--\n",
		json);
}

static char *
build_charsets (void)
{
	return g_strdup (
		"From: =?iso-8859-2?Q?J=E4?= <a@example.com>\n"
		"Subject: =?koi8-r*ru?B?9NXU?= =?UTF-8?Q?x?=\n"
		"Content-Type: text/plain; charset=\"big5\"\n"
		"Content-Disposition: attachment; filename*=windows-1251''x\n"
		"Content-Type: text/plain; charset=gb2312\n"
		"X-Junk: =?"
		"?= =?not a charset?Q?x?=\n\n"
		"=?shift_jis?Q?in the body: not a header?=\n");
}

static void
check_charsets (const char *label, const char *text, const Outcome *o)
{
	static const char *const want[] = {
		"iso-8859-2", "koi8-r",	      "UTF-8",
		"big5",	      "windows-1251", "gb2312",
	};
	g_autofree char *got = NULL;

	g_ptr_array_add (o->charsets, NULL);
	got = g_strjoinv (",", (char **)o->charsets->pdata);
	g_ptr_array_set_size (o->charsets, o->charsets->len - 1);
	if (o->charsets->len != G_N_ELEMENTS (want))
		tg_test_fail_row ("%s: got %s", label, got);
	for (guint i = 0; i < MIN (o->charsets->len, G_N_ELEMENTS (want)); i++)
		if (strcmp (o->charsets->pdata[i], want[i]) != 0)
			tg_test_fail_row ("%s: got %s, want %s at %u", label,
					  got, want[i], i);
	check_untouched (label, text, o);
}

/* Address headers: a group per "x:" makes GMime recurse. */
static char *
build_groups (void)
{
	g_autofree char *groups = NULL;
	GString *s = g_string_new ("From: ");

	for (int i = 0; i < 1000; i++)
		g_string_append (s, "x:");
	groups = g_string_free (s, FALSE);
	return g_strdup_printf ("%s\nSubject: after\n\nbody\n", groups);
}

static void
check_groups (const char *label, const char *text, const Outcome *o)
{
	g_autofree char *seen = seen_text (text, o);
	guint colons = 0;
	const char *eol = strchr (seen, '\n');

	for (const char *p = seen + strlen ("From:"); p < eol; p++)
		colons += *p == ':';
	want_cuts (label, o, 1);
	if (colons != TG_MIMESCAN_MAX_GROUPS)
		tg_test_fail_row ("%s: got %u groups, want %d", label, colons,
				  TG_MIMESCAN_MAX_GROUPS);
	if (strstr (seen, "\nSubject: after\n") == NULL)
		tg_test_fail_row ("%s: the next header is lost", label);
}

/* Address tokens in all: past the budget, address headers are empty. */
static char *
build_addresses (void)
{
	GString *s = g_string_new ("Subject: many\n");

	for (int h = 0; h < 30; h++) {
		g_string_append (s, h % 2 ? "To:" : "Cc:");
		for (int i = 0; i < 500; i++)
			g_string_append (s, " a@b,");
		g_string_append_c (s, '\n');
	}
	g_string_append (s, "From: late@example.com\n\nbody\n");
	return g_string_free (s, FALSE);
}

static void
check_addresses (const char *label, const char *text, const Outcome *o)
{
	g_autofree char *seen = seen_text (text, o);
	guint tokens = 0;

	for (const char *p = seen; *p != '\0'; p++)
		tokens += *p == '@' || *p == ',';
	/* 30 headers, 500 addresses, 2 tokens each: the last headers go. */
	if (tokens > TG_MIMESCAN_MAX_ADDRESS_TOKENS + 1)
		tg_test_fail_row ("%s: got %u tokens, want at most %d", label,
				  tokens, TG_MIMESCAN_MAX_ADDRESS_TOKENS);
	if (strstr (seen, "\nCc:\n") == NULL ||
	    strstr (seen, "\nFrom:\n") == NULL)
		tg_test_fail_row ("%s: late address headers keep a value",
				  label);
	want_end (label, o, -1);
}

/* Header text in all: 30 headers of 100 KB pass 2 MiB. */
static char *
build_header_text (void)
{
	g_autofree char *value = g_strnfill (100000, 'v');
	GString *s = g_string_new (NULL);

	for (int i = 0; i < 30; i++)
		g_string_append_printf (s, "X-%d: %s\n", i, value);
	g_string_append (s, "\nbody\n");
	return g_string_free (s, FALSE);
}

static void
check_header_text (const char *label, const char *text, const Outcome *o)
{
	/* The 21st header passes the budget: the view ends before it. */
	const char *x21 = strstr (text, "\nX-20:");

	want_end (label, o, x21 != NULL ? x21 - text + 1 : -2);
}

/* Bare CR line ends: CR is the line end. */
static char *
build_bare_cr (void)
{
	GString *s = g_string_new ("From: a@example.com\r");

	for (int i = 0; i < 30000; i++)
		g_string_append_printf (s, "X-%d: %d\r", i, i);
	g_string_append (s, "\rbody\r");
	return g_string_free (s, FALSE);
}

static const Row rows[] = {
	{"plain", build_plain, '\n', check_untouched},
	{"long-line", build_long_line, '\n', check_long},
	{"long-folded-crlf", build_long_folded_crlf, '\n', check_long_folded},
	{"nested-spaced", build_nested_spaced, '\n', check_budget},
	{"nested-spellings", build_nested_spellings, '\n', check_budget},
	{"blank-line-headers", build_blank_line_headers, '\n', check_budget},
	{"digest", build_digest, '\n', check_budget},
	{"not-nested", build_not_nested, '\n', check_untouched},
	{"charsets", build_charsets, '\n', check_charsets},
	{"groups", build_groups, '\n', check_groups},
	{"addresses", build_addresses, '\n', check_addresses},
	{"header-text", build_header_text, '\n', check_header_text},
	{"bare-cr", build_bare_cr, '\r', check_budget},
};

static gboolean
same_outcome (const Outcome *a, const Outcome *b)
{
	if (a->end != b->end || a->cuts->len != b->cuts->len ||
	    a->charsets->len != b->charsets->len)
		return FALSE;
	for (guint i = 0; i < a->charsets->len; i++)
		if (strcmp (a->charsets->pdata[i], b->charsets->pdata[i]) != 0)
			return FALSE;
	/* An empty GArray may have no data at all: memcmp (NULL) is UB. */
	return a->cuts->len == 0 ||
	       memcmp (a->cuts->data, b->cuts->data,
		       a->cuts->len * sizeof (TgMimeScanCut)) == 0;
}

static void
test_row (gconstpointer data)
{
	const Row *row = data;
	g_autofree char *text = row->build ();
	gsize len = strlen (text);
	g_auto (Outcome) whole = {0};
	const gsize chunks[] = {1, 7, 4096};

	scan (text, len, 0, row->eol, &whole);
	row->check (row->label, text, &whole);
	for (gsize i = 0; i < G_N_ELEMENTS (chunks); i++) {
		g_auto (Outcome) pieces = {0};

		scan (text, len, chunks[i], row->eol, &pieces);
		if (!same_outcome (&whole, &pieces))
			tg_test_fail_row (
				"%s: fed in pieces of %" G_GSIZE_FORMAT
				", the outcome differs",
				row->label, chunks[i]);
	}
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
	for (gsize i = 0; i < G_N_ELEMENTS (rows); i++) {
		g_autofree char *path =
			g_strconcat ("/mimescan/", rows[i].label, NULL);

		g_test_add_data_func (path, &rows[i], test_row);
	}
	return g_test_run ();
}
