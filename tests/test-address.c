/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test-address: which addresses can be answered, the form sendmail gets,
 * the canonical form caps compare, and domain alignment. Pure functions,
 * so every row is exact.
 */
#include "address.h"

#include <string.h>

#include <glib.h>

#include "tgtest.h"

typedef struct {
	const char *label;
	const char *addr;
	const char *sending;   /* NULL: not deliverable */
	const char *canonical; /* with the delimiter "+" */
} FormRow;

static const FormRow form_rows[] = {
	{ "plain", "jane@acme.example", "jane@acme.example",
	  "jane@acme.example" },
	{ "upper-domain", "Jane@ACME.Example", "Jane@acme.example",
	  "jane@acme.example" },
	{ "quoted-atom", "\"victim\"@example.org", "victim@example.org",
	  "victim@example.org" },
	{ "quoted-space", "\"victim \"@Example.ORG", "\"victim \"@example.org",
	  "victim@example.org" },
	{ "extension", "victim+1@example.org", "victim+1@example.org",
	  "victim@example.org" },
	{ "extension-first-char", "+x@example.org", "+x@example.org",
	  "+x@example.org" },
	{ "quoted-escape", "\"a\\\"b\"@x.example", "\"a\\\"b\"@x.example",
	  "a\"b@x.example" },
	{ "idn", "jane@b\xc3\xbc" "cher.example",
	  "jane@xn--bcher-kva.example", "jane@xn--bcher-kva.example" },
	{ "trailing-dot", "jane@acme.example.", "jane@acme.example",
	  "jane@acme.example" },
	{ "no-domain", "undisclosed", NULL, NULL },
	{ "bare-host", "root@localhost", NULL, NULL },
	{ "empty-local", "@acme.example", NULL, NULL },
	{ "empty-quoted", "\"\"@acme.example", NULL, NULL },
	{ "literal", "x@[192.0.2.1]", NULL, NULL },
	{ "numeric-tld", "x@192.0.2.1", NULL, NULL },
	{ "bad-punycode", "x@xn--zz.acme.example", NULL, NULL },
	{ "space-in-domain", "x@exa mple.com", NULL, NULL },
	{ "double-dot", "x@a..example", NULL, NULL },
	{ "hyphen-label", "x@-a.example", NULL, NULL },
	{ "control-char", "ja\x01ne@acme.example", NULL, NULL },
	{ "long-local",
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "@x.example",
	  NULL, NULL },
	{ "null", NULL, NULL, NULL },
};

static void
test_forms (void)
{
	for (gsize i = 0; i < G_N_ELEMENTS (form_rows); i++) {
		const FormRow *row = &form_rows[i];
		g_autofree char *sending = tg_address_for_sending (row->addr);
		g_autofree char *canonical =
			tg_address_canonical (row->addr, "+");
		gboolean ok = tg_address_is_deliverable (row->addr);

		if (g_strcmp0 (sending, row->sending) != 0)
			tg_test_fail_row ("%s: sending got \"%s\", want \"%s\"",
					  row->label, sending, row->sending);
		if (g_strcmp0 (canonical, row->canonical) != 0)
			tg_test_fail_row ("%s: canonical got \"%s\", want "
					  "\"%s\"",
					  row->label, canonical, row->canonical);
		if (ok != (row->sending != NULL))
			tg_test_fail_row ("%s: deliverable got %d", row->label,
					  ok);
	}
}

typedef struct {
	const char *label;
	const char *from_domain;
	const char *signer;
	gboolean want;
} AlignRow;

static const AlignRow align_rows[] = {
	{ "same", "desk.example", "desk.example", TRUE },
	{ "case", "desk.example", "DESK.example", TRUE },
	{ "parent-signs", "mail.desk.example", "desk.example", TRUE },
	{ "child-signs", "desk.example", "mail.desk.example", FALSE },
	{ "sibling", "a.desk.example", "b.desk.example", FALSE },
	{ "suffix-not-label", "evildesk.example", "desk.example", FALSE },
	{ "tld", "desk.example", "example", FALSE },
	{ "other", "desk.example", "evil.example", FALSE },
	{ "none", "desk.example", NULL, FALSE },
	{ "no-from", NULL, "desk.example", FALSE },
};

static void
test_aligned (void)
{
	for (gsize i = 0; i < G_N_ELEMENTS (align_rows); i++) {
		const AlignRow *row = &align_rows[i];
		gboolean got = tg_address_domain_aligned (row->from_domain,
							  row->signer);

		if (got != row->want)
			tg_test_fail_row ("%s: got %d, want %d", row->label, got,
					  row->want);
	}
}

typedef struct {
	const char *label;
	const char *local;
	const char *base;
	const char *delimiters;
	const char *want;
} ExtensionRow;

static const ExtensionRow extension_rows[] = {
	{ "plus", "support+abc", "support", "+", "abc" },
	{ "case", "Support+ABC", "support", "+", "ABC" },
	{ "one-of-several", "support-abc", "support", "+-", "abc" },
	{ "no-extension", "support", "support", "+", NULL },
	{ "empty-extension", "support+", "support", "+", NULL },
	{ "other-base", "sales+abc", "support", "+", NULL },
	{ "longer-base", "support-comment+x", "support", "+", NULL },
	{ "no-delimiters", "support+abc", "support", "", NULL },
};

static void
test_extension (void)
{
	for (gsize i = 0; i < G_N_ELEMENTS (extension_rows); i++) {
		const ExtensionRow *row = &extension_rows[i];
		const char *got = tg_address_split_extension (
			row->local, row->base, row->delimiters);

		if (g_strcmp0 (got, row->want) != 0)
			tg_test_fail_row ("%s: got \"%s\", want \"%s\"",
					  row->label, got, row->want);
	}
}

static void
test_same_person (void)
{
	g_assert_true (tg_address_same_person ("\"Jane\"@ACME.example",
					       "jane+x@acme.example", "+"));
	g_assert_false (tg_address_same_person ("jane@acme.example",
						"jane@acme.example.org", "+"));
	g_assert_false (tg_address_same_person ("jane", "jane", "+"));
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

	g_test_add_func ("/address/forms", test_forms);
	g_test_add_func ("/address/domain/aligned", test_aligned);
	g_test_add_func ("/address/extension/split", test_extension);
	g_test_add_func ("/address/same-person", test_same_person);
	return g_test_run ();
}
