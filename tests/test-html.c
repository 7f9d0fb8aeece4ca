/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test-html: HTML mail bodies to readable text. A table of small cases
 * (structure, entities, links, hidden content, broken markup), then
 * hostile input: random bytes and patterns that would be slow to scan
 * again and again, which must give valid UTF-8 and never stall.
 */
#include "html.h"

#include <string.h>

#include "tgtest.h"

typedef struct {
	const char *label;
	const char *html;
	const char *want;
} HtmlRow;

static const HtmlRow rows[] = {
	/* Structure. */
	{"plain-text", "just words", "just words"},
	{"empty", "", ""},
	{"blank-runs", "  a \n\t b  \r\n c ", "a b c"},
	{"paragraphs", "<p>one</p><p>two</p>", "one\n\ntwo"},
	{"br", "a<br>b<BR/>c<br />d", "a\nb\nc\nd"},
	{"double-br", "a<br><br>b", "a\n\nb"},
	{"leading-br", "<br><br>a", "a"},
	{"div-lines", "<div>a</div><div>b</div>", "a\nb"},
	{"headings", "<h1>Title</h1>text", "Title\n\ntext"},
	{"list", "<ul><li>one</li><li>two</li></ul>", "- one\n- two"},
	{"nested-list", "<ul><li>a<ul><li>b</li></ul></li></ul>", "- a\n  - b"},
	{"table",
	 "<table><tr><td>a</td><td>b</td></tr>"
	 "<tr><th>c</th><td>d</td></tr></table>",
	 "a b\nc d"},
	{"blockquote", "<p>reply</p><blockquote>quoted<br>two</blockquote>",
	 "reply\n\n> quoted\n> two"},
	{"pre", "<pre>  a\n    b</pre>after", "  a\n    b\n\nafter"},
	{"pre-leading-newline", "<pre>\nx</pre>", "x"},
	{"inline-tags", "<b>bold</b> and <i>it</i><span>alic</span>",
	 "bold and italic"},
	{"uppercase-tags", "<P>A</P><DIV>B</DIV>", "A\n\nB"},
	{"office-tags", "<p class=MsoNormal>Hi<o:p></o:p></p>", "Hi"},
	/* Entities. */
	{"basic-entities", "&amp; &lt; &gt; &quot; &apos;", "& < > \" '"},
	{"nbsp", "a&nbsp;&nbsp;b", "a b"},
	{"symbols",
	 "&copy; &reg; &hellip; &mdash; &ndash; &laquo;x&raquo; &euro;",
	 "© ® … — – «x» €"},
	{"latin1-letters", "&auml;&ouml;&uuml;&Auml;&szlig;&eacute;&ccedil;",
	 "äöüÄßéç"},
	{"numeric", "&#65;&#x42;&#X43;&#8364;", "ABC€"},
	{"numeric-cp1252", "&#150;&#147;x&#148;", "–“x”"},
	{"numeric-invalid", "a&#0;b&#xD800;c&#1114112;d",
	 "a\xef\xbf\xbd"
	 "b\xef\xbf\xbd"
	 "c\xef\xbf\xbd"
	 "d"},
	{"no-semicolon", "&copy 2024 AT&T", "© 2024 AT&T"},
	{"unknown-entity", "&bogus; & &#; &#xZZ;", "&bogus; & &#; &#xZZ;"},
	{"case-matters", "&AMP;&Auml;", "&AMP;Ä"},
	{"soft-hyphen", "hy&shy;phen", "hyphen"},
	/* Links and images. */
	{"link-shown", "<a href=\"https://example.org/x\">the site</a>",
	 "the site <https://example.org/x>"},
	{"link-same", "<a href=\"https://example.org/\">example.org</a>",
	 "example.org"},
	{"link-same-url", "<a href='http://example.org'>http://example.org</a>",
	 "http://example.org"},
	{"mailto-same", "<a href=\"mailto:a@example.org\">a@example.org</a>",
	 "a@example.org"},
	{"link-entity", "<a href=\"/x?a=1&amp;b=2\">go</a>", "go </x?a=1&b=2>"},
	{"link-anchor", "<a href=\"#top\">top</a>", "top"},
	{"link-javascript", "<a href=\"javascript:void(0)\">click</a>",
	 "click"},
	{"link-no-text", "<a href=\"https://t.example/p\"><img src=x></a>", ""},
	{"link-unquoted", "<a href=https://e.example/a>e</a>",
	 "e <https://e.example/a>"},
	{"link-unclosed", "<a href=\"https://e.example/\">open",
	 "open <https://e.example/>"},
	{"img-alt", "x <img src=\"logo.png\" alt=\"Logo\"> y", "x [Logo] y"},
	{"img-empty-alt", "x<img alt=\"\">y", "xy"},
	/* Hidden content. */
	{"head",
	 "<html><head><title>T</title><meta x></head><body>B</body></html>",
	 "B"},
	{"head-no-close", "<head><title>T</title><body>B", "B"},
	{"head-never-ends", "<head>text", "text"},
	{"script-style",
	 "a<script>if (a < b) x();</script>b"
	 "<style>p { x: 1 }</style>c",
	 "abc"},
	{"script-upper", "a<SCRIPT>x</SCRIPT >b", "ab"},
	{"comment", "a<!-- <p>hidden</p> -->b", "ab"},
	{"mso-comment", "a<!--[if gte mso 9]><xml>x</xml><![endif]-->b", "ab"},
	{"doctype", "<!DOCTYPE html><p>x</p>", "x"},
	{"processing", "<?xml version=\"1.0\"?>x", "x"},
	/* Broken markup. */
	{"lone-lt", "a < b and c<3", "a < b and c<3"},
	{"gt-in-attribute", "<p title=\"a>b\">text</p>", "text"},
	{"unterminated-tag", "before<p class=\"x", "before"},
	{"unterminated-comment", "before<!-- never closed", "before"},
	{"unterminated-script", "before<script>var x;", "before"},
	{"end-tag-junk", "a</>b</ p>c", "abc"},
	{"stray-end-tags", "</blockquote></pre></ul>x", "x"},
	{"invalid-utf8",
	 "a\xff\xfe"
	 "b",
	 "a\xef\xbf\xbd\xef\xbf\xbd"
	 "b"},
	{"controls",
	 "a\x01"
	 "b\x7f"
	 "c",
	 "abc"},
};

static void
test_table (void)
{
	for (gsize i = 0; i < G_N_ELEMENTS (rows); i++) {
		g_autofree char *got = tg_html_to_text (rows[i].html, -1);

		if (g_strcmp0 (got, rows[i].want) != 0) {
			g_autofree char *g = g_strescape (got, NULL);
			g_autofree char *w = g_strescape (rows[i].want, NULL);

			g_test_message ("%s: got \"%s\", want \"%s\"",
					rows[i].label, g, w);
			g_test_fail ();
		}
	}
}

/* An explicit length: bytes after it are not read, NUL bytes are data. */
static void
test_length (void)
{
	static const char html[] = "<p>a\0b</p>IGNORED";
	g_autofree char *got = tg_html_to_text (html, 10);
	g_autofree char *none = tg_html_to_text (html, 0);

	g_assert_cmpstr (got, ==,
			 "a\xef\xbf\xbd"
			 "b");
	g_assert_cmpstr (none, ==, "");
}

static void
assert_sane (const char *label, const char *text)
{
	if (text == NULL || !g_utf8_validate (text, -1, NULL)) {
		g_test_message ("%s: output is not valid UTF-8", label);
		g_test_fail ();
	}
}

/*
 * Random bytes from an alphabet rich in markup characters, with a fixed
 * seed so that a failure can be repeated.
 */
static void
test_random (void)
{
	static const char alphabet[] =
		"<>&;#x/!-\"'= abpheadscriptlit\n\xc3\xa4\xff";
	g_autoptr (GRand) rand = g_rand_new_with_seed (20240514);

	for (int round = 0; round < 3000; round++) {
		gsize len = (gsize)g_rand_int_range (rand, 0, 400);
		g_autofree char *html = g_malloc (len + 1);
		g_autofree char *text = NULL;
		g_autofree char *label = g_strdup_printf ("round %d", round);

		for (gsize i = 0; i < len; i++)
			html[i] = alphabet[g_rand_int_range (
				rand, 0, (gint32)sizeof alphabet - 1)];
		html[len] = '\0';
		text = tg_html_to_text (html, (gssize)len);
		assert_sane (label, text);
	}
}

/*
 * Patterns that a careless scanner would search to the end again for
 * every occurrence (quadratic time). A megabyte of each must go fast;
 * the test harness's own timeout catches a stall.
 */
static void
test_hostile_patterns (void)
{
	static const char *const units[] = {
		"<head>", "<a",	 "<a href=\"",	"<script>",	"<!--",	   "&",
		"&#",	  "&#x", "<p><li><td>", "<blockquote>", "<pre>\n", "<",
	};

	for (gsize i = 0; i < G_N_ELEMENTS (units); i++) {
		g_autoptr (GString) html = g_string_new ("start ");
		g_autofree char *text = NULL;
		gint64 began = g_get_monotonic_time ();
		gint64 took = 0;

		while (html->len < 1024 * 1024)
			g_string_append (html, units[i]);
		text = tg_html_to_text (html->str, (gssize)html->len);
		took = g_get_monotonic_time () - began;
		assert_sane (units[i], text);
		/* Linear work is well under a second even under valgrind. */
		if (took > 20 * G_USEC_PER_SEC) {
			g_test_message ("\"%s\": took %" G_GINT64_FORMAT " ms",
					units[i], took / 1000);
			g_test_fail ();
		}
	}
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

	g_test_add_func ("/html/convert/table", test_table);
	g_test_add_func ("/html/convert/length", test_length);
	g_test_add_func ("/html/robust/random", test_random);
	g_test_add_func ("/html/robust/hostile-patterns",
			 test_hostile_patterns);
	return g_test_run ();
}
