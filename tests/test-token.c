/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test-token: signed reply addresses: the token's form, what it binds
 * (ticket, audience, recipient, secret), how it survives Postfix folding
 * the case, and finding it in an envelope recipient.
 */
#include "token.h"

#include <string.h>

#include <glib.h>

#include "tgtest.h"

static GBytes *
secret (const char *text)
{
	return g_bytes_new (text, strlen (text));
}

static GPtrArray *
secrets (GBytes *a, GBytes *b)
{
	GPtrArray *list = g_ptr_array_new ();

	g_ptr_array_add (list, a);
	if (b != NULL)
		g_ptr_array_add (list, b);
	return list;
}

static void
test_form (void)
{
	g_autoptr (GBytes) k = secret ("0123456789abcdef0123456789abcdef");
	g_autofree char *t = tg_token_make (k, 1000, TG_TOKEN_STAFF, NULL);
	g_autoptr (GRegex) re = g_regex_new ("^1000\\.s[a-z2-7]{16}$", 0, 0,
					     NULL);
	TgToken parsed;

	g_assert_true (g_regex_match (re, t, 0, NULL));
	g_assert_true (tg_token_parse (t, &parsed));
	g_assert_cmpint (parsed.ticket, ==, 1000);
	g_assert_cmpint (parsed.audience, ==, TG_TOKEN_STAFF);
}

typedef struct {
	const char *label;
	const char *text;
} BadRow;

static const BadRow bad_rows[] = {
	{ "empty", "" },
	{ "no-dot", "1000saaaaaaaaaaaaaaaa" },
	{ "zero", "0.saaaaaaaaaaaaaaaa" },
	{ "negative", "-1.saaaaaaaaaaaaaaaa" },
	{ "short-mac", "1000.saaaaaaaaaaaaaaa" },
	{ "long-mac", "1000.saaaaaaaaaaaaaaaaa" },
	{ "bad-audience", "1000.xaaaaaaaaaaaaaaaa" },
	{ "bad-char", "1000.saaaaaaaaaaaaaaa1" },
	{ "huge-number", "1234567890123456789.saaaaaaaaaaaaaaaa" },
	{ "letters", "abc.saaaaaaaaaaaaaaaa" },
};

static void
test_parse_bad (void)
{
	for (gsize i = 0; i < G_N_ELEMENTS (bad_rows); i++) {
		TgToken t;

		if (tg_token_parse (bad_rows[i].text, &t))
			tg_test_fail_row ("%s: \"%s\" parsed", bad_rows[i].label,
					  bad_rows[i].text);
	}
}

/* What a token binds: each change of ticket, audience, recipient or
 * secret makes it fail; case does not matter. */
static void
test_binds (void)
{
	g_autoptr (GBytes) k1 = secret ("first secret, 32 bytes or more..");
	g_autoptr (GBytes) k2 = secret ("second secret, also long enough..");
	g_autoptr (GPtrArray) only1 = secrets (k1, NULL);
	g_autoptr (GPtrArray) only2 = secrets (k2, NULL);
	g_autoptr (GPtrArray) both = secrets (k2, k1);
	g_autofree char *person =
		tg_token_make (k1, 1000, TG_TOKEN_PERSON, "jane@acme.example");
	g_autofree char *upper = g_ascii_strup (person, -1);
	g_autofree char *other = g_strdup (person);
	TgToken t, u, o;

	g_assert_true (tg_token_parse (person, &t));
	g_assert_true (tg_token_check (&t, only1, "jane@acme.example"));
	g_assert_false (tg_token_check (&t, only1, "eve@evil.example"));
	g_assert_false (tg_token_check (&t, only1, NULL));
	g_assert_false (tg_token_check (&t, only2, "jane@acme.example"));
	g_assert_true (tg_token_check (&t, both, "jane@acme.example"));
	g_assert_true (tg_token_parse (upper, &u));
	g_assert_true (tg_token_check (&u, only1, "jane@acme.example"));
	/* Another ticket or audience with the same MAC. */
	other[0] = '2';
	g_assert_true (tg_token_parse (other, &o));
	g_assert_false (tg_token_check (&o, only1, "jane@acme.example"));
	t.audience = TG_TOKEN_STAFF;
	g_assert_false (tg_token_check (&t, only1, NULL));
}

typedef struct {
	const char *label;
	const char *rcpt;
	gboolean found;
} RcptRow;

static const RcptRow rcpt_rows[] = {
	{ "support", "support+1000.saaaaaaaaaaaaaaaa@desk.example", TRUE },
	{ "folded-case", "SUPPORT+1000.SAAAAAAAAAAAAAAAA@DESK.EXAMPLE", TRUE },
	{ "comment", "support-comment+1000.saaaaaaaaaaaaaaaa@desk.example",
	  TRUE },
	{ "plain", "support@desk.example", FALSE },
	{ "other-domain", "support+1000.saaaaaaaaaaaaaaaa@evil.example",
	  FALSE },
	{ "other-local", "sales+1000.saaaaaaaaaaaaaaaa@desk.example", FALSE },
	{ "not-a-token", "support+hello@desk.example", FALSE },
	{ "no-at", "support+1000.saaaaaaaaaaaaaaaa", FALSE },
};

static void
test_from_recipient (void)
{
	const char *bases[] = { "support@desk.example",
				"support-comment@desk.example", NULL };

	for (gsize i = 0; i < G_N_ELEMENTS (rcpt_rows); i++) {
		const RcptRow *row = &rcpt_rows[i];
		TgToken t = { 0 };
		gboolean got =
			tg_token_from_recipient (row->rcpt, bases, "+", &t);

		if (got != row->found)
			tg_test_fail_row ("%s: got %d, want %d", row->label, got,
					  row->found);
		else if (got && t.ticket != 1000)
			tg_test_fail_row ("%s: ticket %" G_GINT64_FORMAT,
					  row->label, t.ticket);
	}
}

static void
test_address (void)
{
	g_autofree char *a =
		tg_token_address ("support@desk.example", '+', "1000.sabc");

	g_assert_cmpstr (a, ==, "support+1000.sabc@desk.example");
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

	g_test_add_func ("/token/form", test_form);
	g_test_add_func ("/token/parse/bad", test_parse_bad);
	g_test_add_func ("/token/binds", test_binds);
	g_test_add_func ("/token/recipient", test_from_recipient);
	g_test_add_func ("/token/address", test_address);
	return g_test_run ();
}
