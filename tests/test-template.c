/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test-template: the template files of outgoing mail. Parse errors name
 * the file and line; rendering rows pin header and body output exactly,
 * with the optional-paragraph rule (a body line of empty placeholders
 * vanishes without doubling a blank line) and CRLF files. The phrases
 * file: its entries against the specs the code gives, paragraphs joined,
 * lists, and the errors that name its line.
 */
#include "template.h"

#include <stdarg.h>
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "tgtest.h"

/* Reports a failed row and goes on with the next one: every failure is
 * logged, not only the last (g_test_fail_printf() keeps one message). */

static const char *const allowed[] = {
	"name", "subject", "opt", "opt2", "ticket_number", "x", NULL,
};

/* ---------------------------------------------------------------------- */
/* Parse errors                                                            */

typedef struct {
	const char *label;
	const char *text;
	const char *want; /* the whole message */
} ParseErrorRow;

static const ParseErrorRow parse_error_rows[] = {
	{"unknown-in-body", "Subject: x\n\nHello {{nmae}},\n",
	 "t.txt:3: unknown placeholder {{nmae}}"},
	{"unknown-in-header", "Subject: {{subjcet}}\n\nbody\n",
	 "t.txt:1: unknown placeholder {{subjcet}}"},
	{"unknown-after-known", "Subject: x\n\n\n\n{{name}} {{nope}}\n",
	 "t.txt:5: unknown placeholder {{nope}}"},
	{"upper-case-name", "Subject: x\n\n{{Name}}\n",
	 "t.txt:3: unknown placeholder {{Name}}"},
	{"empty-name", "Subject: x\n\n{{}}\n",
	 "t.txt:3: unknown placeholder {{}}"},
	{"blank-name", "Subject: x\n\n{{  }}\n",
	 "t.txt:3: unknown placeholder {{}}"},
	{"name-with-dash", "Subject: x\n\n{{ticket-number}}\n",
	 "t.txt:3: unknown placeholder {{ticket-number}}"},
	{"name-with-inner-blank", "Subject: x\n\n{{ticket number}}\n",
	 "t.txt:3: unknown placeholder {{ticket number}}"},
	{"unclosed", "Subject: x\n\nHello {{name\n",
	 "t.txt:3: \"{{\" without \"}}\""},
	{"unclosed-closed-next-line", "Subject: x\n\nHello {{name\n}}\n",
	 "t.txt:3: \"{{\" without \"}}\""},
	{"unclosed-after-good", "Subject: {{subject}} {{x\n\nbody\n",
	 "t.txt:1: \"{{\" without \"}}\""},
	{"single-brace-close", "Subject: x\n\n{{name}\n",
	 "t.txt:3: \"{{\" without \"}}\""},
	{"header-without-colon", "Subject: x\nX-Mailer ticketgate\n\nbody\n",
	 "t.txt:2: not a header line (\"Name: value\"); a blank line starts "
	 "the body"},
	{"body-without-blank-line", "Hello,\nthank you.\n",
	 "t.txt:1: not a header line (\"Name: value\"); a blank line starts "
	 "the body"},
	{"header-name-with-blank", "X Foo: y\n\nbody\n",
	 "t.txt:1: not a header line (\"Name: value\"); a blank line starts "
	 "the body"},
	{"header-empty-name", ": y\n\nbody\n",
	 "t.txt:1: not a header line (\"Name: value\"); a blank line starts "
	 "the body"},
	{"header-folded", "Subject: a\n long\n\nbody\n",
	 "t.txt:2: not a header line (\"Name: value\"); a blank line starts "
	 "the body"},
	{"header-placeholder-name", "{{x}}: y\n\nbody\n",
	 "t.txt:1: not a header line (\"Name: value\"); a blank line starts "
	 "the body"},
	{"not-utf8", "Subject: caf\xe9\n\nbody\n", "t.txt: not UTF-8 text"},
};

static void
test_parse_errors (void)
{
	for (gsize i = 0; i < G_N_ELEMENTS (parse_error_rows); i++) {
		const ParseErrorRow *row = &parse_error_rows[i];
		g_autoptr (GError) error = NULL;
		g_autoptr (TgTemplate) t =
			tg_template_new ("t.txt", row->text, allowed, &error);

		if (t != NULL) {
			tg_test_fail_row ("%s: got a template, want \"%s\"", row->label,
				  row->want);
			continue;
		}
		g_assert_error (error, TG_TEMPLATE_ERROR,
				TG_TEMPLATE_ERROR_INVALID);
		if (strcmp (error->message, row->want) != 0)
			tg_test_fail_row ("%s: got \"%s\", want \"%s\"", row->label,
				  error->message, row->want);
	}
}

static const char *const good_templates[] = {
	"Subject: {{ subject }}\n\n{{name}}\n",
	"Subject: {{subject}}{{x}}\n\n{{name}}{{opt}}{{opt2}}\n",
	"Subject: a:b:c\nX-Multi-Part-Name-2: v\n\n",
	"\nbody only, no headers\n",
	"",
	"Subject: braces } and { alone\n\n} { }}\n",
};

static void
test_parse_good (void)
{
	for (gsize i = 0; i < G_N_ELEMENTS (good_templates); i++) {
		g_autoptr (GError) error = NULL;
		g_autoptr (TgTemplate) t = tg_template_new (
			"good.txt", good_templates[i], allowed, &error);

		if (t == NULL)
			tg_test_fail_row ("row %zu: got \"%s\", want success", i,
				  error->message);
		else
			g_assert_cmpstr (tg_template_get_name (t), ==,
					 "good.txt");
	}
}

static void
test_load_errors (void)
{
	g_autofree char *dir =
		g_build_filename (g_get_user_cache_dir (), "tpl", NULL);
	g_autofree char *missing = g_build_filename (dir, "missing.txt", NULL);
	g_autofree char *bad = g_build_filename (dir, "bad.txt", NULL);
	g_autofree char *good = g_build_filename (dir, "good.txt", NULL);
	g_autofree char *want_bad =
		g_strdup_printf ("%s:3: unknown placeholder {{nope}}", bad);
	g_autoptr (GError) error = NULL;
	g_autoptr (TgTemplate) t = NULL;

	g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
	g_assert_true (g_file_set_contents (bad, "Subject: x\n\n{{nope}}\n", -1,
					    NULL));
	g_assert_true (g_file_set_contents (
		good, "Subject: {{subject}}\n\nok\n", -1, NULL));

	t = tg_template_load (missing, allowed, &error);
	g_assert_null (t);
	g_assert_error (error, TG_TEMPLATE_ERROR, TG_TEMPLATE_ERROR_UNREADABLE);
	if (strstr (error->message, missing) == NULL)
		tg_test_fail_row ("missing: got \"%s\", want it to name %s",
			  error->message, missing);
	g_clear_error (&error);

	t = tg_template_load (bad, allowed, &error);
	g_assert_null (t);
	g_assert_error (error, TG_TEMPLATE_ERROR, TG_TEMPLATE_ERROR_INVALID);
	g_assert_cmpstr (error->message, ==, want_bad);
	g_clear_error (&error);

	t = tg_template_load (good, allowed, &error);
	g_assert_no_error (error);
	g_assert_cmpstr (tg_template_get_name (t), ==, good);
}

/* ---------------------------------------------------------------------- */
/* Rendering                                                               */

typedef struct {
	const char *label;
	const char *text;
	const char *values[9];	  /* name, value, name, value, ..., NULL */
	const char *want_headers; /* "Name=value\n" for each header */
	const char *want_body;
} RenderRow;

static const RenderRow render_rows[] = {
	{"values",
	 "Subject: Re: {{subject}}\nX-Ticket: {{ticket_number}}\n\n"
	 "Hello {{name}},\nticket {{ticket_number}} is open.\n",
	 {"subject", "Printer", "ticket_number", "42", "name", "Ann", NULL},
	 "Subject=Re: Printer\nX-Ticket=42\n",
	 "Hello Ann,\nticket 42 is open.\n"},
	{"missing-values-render-empty",
	 "Subject: [{{subject}}]\n\n"
	 "Hello {{name}}!\n",
	 {NULL},
	 "Subject=[]\n",
	 "Hello !\n"},
	{"header-value-newlines",
	 "Subject: Re: {{subject}}\n\nx\n",
	 {"subject", "one\ntwo\r\nBcc: evil@example.com", NULL},
	 "Subject=Re: one two  Bcc: evil@example.com\n",
	 "x\n"},
	{"header-value-blanks-trimmed",
	 "X-A:   {{x}}   \n\nx\n",
	 {"x", " v ", NULL},
	 "X-A=v\n",
	 "x\n"},
	{"header-colons-in-value",
	 "Subject: a: {{x}}\n\n",
	 {"x", "b: c", NULL},
	 "Subject=a: b: c\n",
	 ""},
	{"body-value-newlines-kept",
	 "Subject: s\n\n> {{x}}\nend\n",
	 {"x", "a\nb", NULL},
	 "Subject=s\n",
	 "> a\nb\nend\n"},
	{"value-not-expanded-again",
	 "Subject: {{subject}}\n\n{{name}}\n",
	 {"subject", "{{name}}", "name", "{{subject}}", NULL},
	 "Subject={{name}}\n",
	 "{{subject}}\n"},
	{"utf8-values",
	 "Subject: {{subject}}\n\nSveiki, {{name}}!\n",
	 {"subject", "Ärger mit dem Zähler", "name", "Žydrūnas", NULL},
	 "Subject=Ärger mit dem Zähler\n",
	 "Sveiki, Žydrūnas!\n"},
	{"optional-paragraph-empty",
	 "Subject: s\n\nA\n\n{{opt}}\n\nB\n",
	 {NULL},
	 "Subject=s\n",
	 "A\n\nB\n"},
	{"optional-paragraph-empty-string",
	 "Subject: s\n\nA\n\n{{opt}}\n\nB\n",
	 {"opt", "", NULL},
	 "Subject=s\n",
	 "A\n\nB\n"},
	{"optional-paragraph-set",
	 "Subject: s\n\nA\n\n{{opt}}\n\nB\n",
	 {"opt", "Note.", NULL},
	 "Subject=s\n",
	 "A\n\nNote.\n\nB\n"},
	{"two-optional-paragraphs",
	 "Subject: s\n\nA\n\n{{opt}}\n\n{{opt2}}\n"
	 "\nB\n",
	 {NULL},
	 "Subject=s\n",
	 "A\n\nB\n"},
	{"second-optional-set",
	 "Subject: s\n\nA\n\n{{opt}}\n\n{{opt2}}\n\nB\n",
	 {"opt2", "Two.", NULL},
	 "Subject=s\n",
	 "A\n\nTwo.\n\nB\n"},
	{"optional-line-inside-paragraph",
	 "Subject: s\n\nA\n{{opt}}\nB\n",
	 {NULL},
	 "Subject=s\n",
	 "A\nB\n"},
	{"placeholders-and-blanks-only",
	 "Subject: s\n\nA\n  {{opt}} \t{{opt2}}\nB\n",
	 {NULL},
	 "Subject=s\n",
	 "A\nB\n"},
	{"literal-text-keeps-line",
	 "Subject: s\n\nA\nNote: {{opt}}\nB\n",
	 {NULL},
	 "Subject=s\n",
	 "A\nNote: \nB\n"},
	{"optional-first-line",
	 "Subject: s\n\n{{opt}}\n\nB\n",
	 {NULL},
	 "Subject=s\n",
	 "B\n"},
	{"optional-last-line",
	 "Subject: s\n\nA\n\n{{opt}}\n",
	 {NULL},
	 "Subject=s\n",
	 "A\n"},
	{"no-final-newline", "Subject: s\n\nA", {NULL}, "Subject=s\n", "A\n"},
	{"trailing-blank-lines",
	 "Subject: s\n\nA\n\n\n\n",
	 {NULL},
	 "Subject=s\n",
	 "A\n"},
	{"leading-blank-lines",
	 "Subject: s\n\n\n\nA\n",
	 {NULL},
	 "Subject=s\n",
	 "A\n"},
	{"trailing-blanks-on-lines",
	 "Subject: s  \n\nA  \nB\t\n",
	 {NULL},
	 "Subject=s\n",
	 "A\nB\n"},
	{"headers-only",
	 "Subject: s\nX-A: b\n",
	 {NULL},
	 "Subject=s\nX-A=b\n",
	 ""},
	{"no-headers", "\nbody\n", {NULL}, "", "body\n"},
	{"crlf",
	 "Subject: {{subject}}\r\nX-A: b\r\n\r\nLine one\r\n\r\n"
	 "{{opt}}\r\n\r\nLine two\r\n",
	 {"subject", "CRLF", NULL},
	 "Subject=CRLF\nX-A=b\n",
	 "Line one\n\nLine two\n"},
	{"crlf-optional-set",
	 "Subject: s\r\n\r\nA\r\n\r\n{{opt}}\r\n\r\nB\r\n",
	 {"opt", "O", NULL},
	 "Subject=s\n",
	 "A\n\nO\n\nB\n"},
	{"signature",
	 "Subject: s\n\nThanks.\n\n--\n{{name}} <{{x}}>\n",
	 {"name", "Support", "x", "s@example.com", NULL},
	 "Subject=s\n",
	 "Thanks.\n\n--\nSupport <s@example.com>\n"},
	{"blank-name-spacing",
	 "Subject: {{ subject }}\n\n{{  name}}\n",
	 {"subject", "S", "name", "N", NULL},
	 "Subject=S\n",
	 "N\n"},
};

static GHashTable *
row_values (const char *const *kv)
{
	GHashTable *values = g_hash_table_new (g_str_hash, g_str_equal);

	for (int i = 0; kv[i] != NULL; i += 2)
		g_hash_table_insert (values, (gpointer)kv[i],
				     (gpointer)kv[i + 1]);
	return values;
}

static char *
show_headers (const TgRendered *r)
{
	GString *out = g_string_new (NULL);

	for (guint i = 0; i < r->header_names->len; i++)
		g_string_append_printf (out, "%s=%s\n",
					(char *)r->header_names->pdata[i],
					(char *)r->header_values->pdata[i]);
	return g_string_free (out, FALSE);
}

static void
test_render_row (gconstpointer data)
{
	const RenderRow *row = data;
	g_autoptr (GError) error = NULL;
	g_autoptr (TgTemplate) t =
		tg_template_new ("r.txt", row->text, allowed, &error);
	g_autoptr (GHashTable) values = row_values (row->values);
	g_autoptr (TgRendered) r = NULL;
	g_autofree char *headers = NULL;

	g_assert_no_error (error);
	r = tg_template_render (t, values);
	headers = show_headers (r);
	if (strcmp (headers, row->want_headers) != 0)
		tg_test_fail_row ("%s: headers: got \"%s\", want \"%s\"", row->label,
			  headers, row->want_headers);
	if (strcmp (r->body, row->want_body) != 0)
		tg_test_fail_row ("%s: body: got \"%s\", want \"%s\"", row->label,
			  r->body, row->want_body);
	if (strchr (r->body, '\r') != NULL || strchr (headers, '\r') != NULL)
		tg_test_fail_row ("%s: got a CR in the output", row->label);
}

/* A NULL table renders as if every value were missing. */
static void
test_render_null_values (void)
{
	g_autoptr (TgTemplate) t = tg_template_new (
		"n.txt", "Subject: Re: {{subject}}\n\nHi {{name}}\n\n{{opt}}\n",
		allowed, NULL);
	g_autoptr (TgRendered) r = tg_template_render (t, NULL);

	g_assert_cmpstr (tg_rendered_get_header (r, "Subject"), ==, "Re:");
	g_assert_cmpstr (r->body, ==, "Hi \n");
}

/* One template, rendered many times: rendering does not change it. */
static void
test_render_repeat (void)
{
	g_autoptr (TgTemplate) t = tg_template_new (
		"rep.txt", "Subject: {{subject}}\n\n{{opt}}\nx\n", allowed,
		NULL);
	g_autoptr (GHashTable) with = row_values (
		(const char *const[]){"opt", "O", "subject", "S", NULL});

	for (int i = 0; i < 3; i++) {
		g_autoptr (TgRendered) a = tg_template_render (t, with);
		g_autoptr (TgRendered) b = tg_template_render (t, NULL);

		g_assert_cmpstr (a->body, ==, "O\nx\n");
		g_assert_cmpstr (b->body, ==, "x\n");
		g_assert_cmpstr (tg_rendered_get_header (a, "subject"), ==,
				 "S");
	}
}

typedef struct {
	const char *label;
	const char *name;
	const char *want; /* NULL: absent */
} HeaderRow;

static const HeaderRow header_rows[] = {
	{"exact", "Subject", "first"},
	{"lower", "subject", "first"},
	{"upper", "SUBJECT", "first"},
	{"other-header", "x-mailer", "tg"},
	{"absent", "From", NULL},
	{"prefix-is-not-a-match", "Subj", NULL},
	{"longer-is-not-a-match", "Subjects", NULL},
	{"empty", "", NULL},
};

static void
test_get_header (void)
{
	g_autoptr (TgTemplate) t = tg_template_new (
		"h.txt", "Subject: first\nX-Mailer: tg\nsubject: second\n\nb\n",
		allowed, NULL);
	g_autoptr (TgRendered) r = tg_template_render (t, NULL);

	g_assert_nonnull (t);
	for (gsize i = 0; i < G_N_ELEMENTS (header_rows); i++) {
		const HeaderRow *row = &header_rows[i];
		const char *got = tg_rendered_get_header (r, row->name);

		if (g_strcmp0 (got, row->want) != 0)
			tg_test_fail_row ("%s: got \"%s\", want \"%s\"", row->label,
				  got ? got : "(null)",
				  row->want ? row->want : "(null)");
	}
	/* Names keep the template's spelling. */
	g_assert_cmpuint (r->header_names->len, ==, 3);
	g_assert_cmpstr (r->header_names->pdata[2], ==, "subject");
}

/* ---------------------------------------------------------------------- */
/* Phrases                                                                 */

static const char *const name_only[] = { "name", NULL };
static const char *const list_names[] = { "list", "item", NULL };

enum { P_GREETING, P_DAYS, P_NOTICE, P_JOIN, P_EMPTY, P_N };

static const TgPhraseSpec phrase_specs[P_N] = {
	[P_GREETING] = { "greeting", name_only, 0 },
	[P_DAYS] = { "days", NULL, 3 },
	[P_NOTICE] = { "notice", name_only, 0 },
	[P_JOIN] = { "join", list_names, 0 },
	[P_EMPTY] = { "empty", NULL, 0 },
};

#define GOOD_PHRASES                                                          \
	"Lines before the first entry are a comment: [greeting] here too.\n" \
	"\n"                                                                  \
	"[greeting] a comment after the name\n"                              \
	"Hello {{name}},\n"                                                   \
	"how are you?\n"                                                      \
	"\n"                                                                  \
	"[days]\n"                                                            \
	"Mon\n"                                                               \
	"  Tue  \n"                                                           \
	"\n"                                                                  \
	"Wed\n"                                                               \
	"[notice]\n"                                                          \
	"Dear {{name}}, this paragraph\r\n"                                   \
	"is joined.\n"                                                        \
	"\n"                                                                  \
	"  an indented line stays\n"                                          \
	"  and so does this one\n"                                            \
	"\n"                                                                  \
	"Last.\n"                                                             \
	"\n"                                                                  \
	"\n"                                                                  \
	"[join]\n"                                                            \
	"{{list}} and {{item}}\n"                                             \
	"[empty]\n"

static void
test_phrases_good (void)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (TgPhrases) p = tg_phrases_new ("phrases.txt", GOOD_PHRASES,
						  phrase_specs, P_N, &error);
	g_autofree char *greeting = NULL;
	g_autofree char *notice = NULL;
	g_autofree char *join = NULL;
	g_autofree char *empty = NULL;
	g_autofree char *unfilled = NULL;
	g_autoptr (TgRendered) r = NULL;

	g_assert_no_error (error);
	greeting = tg_phrases_format (p, P_GREETING, "name", "Ann", NULL);
	g_assert_cmpstr (greeting, ==, "Hello Ann, how are you?");
	g_assert_cmpstr (tg_phrases_get_item (p, P_DAYS, 0), ==, "Mon");
	g_assert_cmpstr (tg_phrases_get_item (p, P_DAYS, 1), ==, "Tue");
	g_assert_cmpstr (tg_phrases_get_item (p, P_DAYS, 2), ==, "Wed");
	notice = tg_phrases_format (p, P_NOTICE, "name", "Bo", NULL);
	g_assert_cmpstr (notice, ==,
			 "Dear Bo, this paragraph is joined.\n\n"
			 "  an indented line stays\n"
			 "  and so does this one\n\nLast.");
	join = tg_phrases_format (p, P_JOIN, "list", "a, b", "item", "c",
				  NULL);
	g_assert_cmpstr (join, ==, "a, b and c");
	empty = tg_phrases_render (p, P_EMPTY, NULL);
	g_assert_cmpstr (empty, ==, "");
	/* A value not given renders empty, as in a template. */
	unfilled = tg_phrases_render (p, P_GREETING, NULL);
	g_assert_cmpstr (unfilled, ==, "Hello , how are you?");
	/* As a template: the body, with its final line break. */
	r = tg_template_render (tg_phrases_get_template (p, P_GREETING), NULL);
	g_assert_cmpstr (r->body, ==, "Hello , how are you?\n");
	g_assert_cmpuint (r->header_names->len, ==, 0);
}

typedef struct {
	const char *label;
	const char *text;
	const char *want; /* the error message */
} PhraseErrorRow;

#define GREETING_DAYS "[greeting]\nHi.\n[days]\nMon\nTue\nWed\n"
#define REST "[notice]\nN.\n[join]\nJ.\n[empty]\n"

static const PhraseErrorRow phrase_error_rows[] = {
	{ "unknown-entry", GREETING_DAYS REST "[greting]\nHi.\n",
	  "p.txt:12: unknown phrase [greting]" },
	{ "twice", GREETING_DAYS REST "[days]\nA\nB\nC\n",
	  "p.txt:12: [days] again (first on line 3)" },
	{ "missing", GREETING_DAYS "[notice]\nN.\n[empty]\n",
	  "p.txt: no [join]" },
	{ "unknown-placeholder",
	  "[greeting]\nHello.\n\n{{nme}}.\n[days]\nMon\nTue\nWed\n" REST,
	  "p.txt:4: unknown placeholder {{nme}}" },
	{ "placeholder-in-joined-line",
	  "[greeting]\nHello\n{{name}} and {{item}}\n[days]\nMon\nTue\nWed\n"
	  REST, "p.txt:2: unknown placeholder {{item}}" },
	{ "list-too-short", "[greeting]\nHi.\n[days]\nMon\n\nTue\n" REST,
	  "p.txt:3: [days] wants 3 lines, one item each, not 2" },
	{ "list-too-long", "[greeting]\nHi.\n[days]\nA\nB\nC\nD\n" REST,
	  "p.txt:3: [days] wants 3 lines, one item each, not 4" },
	{ "no-entries", "just a comment\n", "p.txt: no [greeting]" },
	{ "not-utf8", "[greeting]\n\xff\n", "p.txt: not UTF-8 text" },
};

static void
test_phrases_error_row (gconstpointer data)
{
	const PhraseErrorRow *row = data;
	g_autoptr (GError) error = NULL;
	g_autoptr (TgPhrases) p =
		tg_phrases_new ("p.txt", row->text, phrase_specs, P_N, &error);

	g_assert_null (p);
	g_assert_error (error, TG_TEMPLATE_ERROR, TG_TEMPLATE_ERROR_INVALID);
	if (strcmp (error->message, row->want) != 0)
		tg_test_fail_row ("%s: got \"%s\", want \"%s\"", row->label,
				  error->message, row->want);
}

static void
test_phrases_load (void)
{
	g_autofree char *missing =
		g_build_filename (g_get_user_cache_dir (), "none.txt", NULL);
	g_autoptr (GError) error = NULL;
	g_autoptr (TgPhrases) p =
		tg_phrases_load (missing, phrase_specs, P_N, &error);

	g_assert_null (p);
	g_assert_error (error, TG_TEMPLATE_ERROR, TG_TEMPLATE_ERROR_UNREADABLE);
}

/* A name the spec does not offer is the code's mistake, said loudly. */
static void
test_phrases_unoffered (void)
{
	g_autoptr (TgPhrases) p = tg_phrases_new ("p.txt", GOOD_PHRASES,
						  phrase_specs, P_N, NULL);
	g_autofree char *got = NULL;

	g_assert_nonnull (p);
	g_test_expect_message (G_LOG_DOMAIN, G_LOG_LEVEL_CRITICAL,
			       "phrase [greeting] offers no {{nmae}}");
	got = tg_phrases_format (p, P_GREETING, "nmae", "Ann", NULL);
	g_test_assert_expected_messages ();
	g_assert_cmpstr (got, ==, "Hello , how are you?");
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

	g_test_add_func ("/template/parse/errors", test_parse_errors);
	g_test_add_func ("/template/parse/good", test_parse_good);
	g_test_add_func ("/template/load/errors", test_load_errors);
	for (gsize i = 0; i < G_N_ELEMENTS (render_rows); i++) {
		g_autofree char *path = g_strdup_printf ("/template/render/%s",
							 render_rows[i].label);

		g_test_add_data_func (path, &render_rows[i], test_render_row);
	}
	g_test_add_func ("/template/render/null-values",
			 test_render_null_values);
	g_test_add_func ("/template/render/repeat", test_render_repeat);
	g_test_add_func ("/template/header/get", test_get_header);
	g_test_add_func ("/template/phrases/good", test_phrases_good);
	for (gsize i = 0; i < G_N_ELEMENTS (phrase_error_rows); i++) {
		g_autofree char *path = g_strdup_printf (
			"/template/phrases/error/%s", phrase_error_rows[i].label);

		g_test_add_data_func (path, &phrase_error_rows[i],
				      test_phrases_error_row);
	}
	g_test_add_func ("/template/phrases/load-missing", test_phrases_load);
	g_test_add_func ("/template/phrases/unoffered",
			 test_phrases_unoffered);
	return g_test_run ();
}
