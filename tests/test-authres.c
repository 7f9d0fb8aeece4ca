/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test-authres: the verdict on a From domain from the Authentication-
 * Results headers of our MTA (RFC 8601): which headers are trusted
 * (ours, above the first Received), and what dmarc, dkim and spf results
 * make a pass or a fail. Each row is a header block, top first.
 */
#include "authres.h"

#include <string.h>

#include <glib.h>

#include "tgtest.h"

typedef struct {
	const char *label;
	const char *headers; /* "Name: value" lines, top first */
	const char *from_domain;
	TgAuthVerdict want;
} Row;

#define OURS "Authentication-Results: mx.desk.example; "
#define RECEIVED "Received: from client by mx.desk.example\n"

static const Row rows[] = {
	{ "none", RECEIVED "From: a@desk.example", "desk.example",
	  TG_AUTH_UNTRUSTED },
	{ "dmarc-pass", OURS "dmarc=pass header.from=desk.example\n" RECEIVED,
	  "desk.example", TG_AUTH_PASS },
	{ "dmarc-pass-other-from",
	  OURS "dmarc=pass header.from=evil.example\n" RECEIVED, "desk.example",
	  TG_AUTH_UNKNOWN },
	{ "dmarc-fail", OURS "dmarc=fail (p=reject) header.from=desk.example\n"
		RECEIVED,
	  "desk.example", TG_AUTH_FAIL },
	{ "dkim-aligned",
	  OURS "dkim=pass (2048-bit key) header.d=desk.example "
	       "header.i=@desk.example header.s=mail\n" RECEIVED,
	  "desk.example", TG_AUTH_PASS },
	{ "dkim-parent-signs",
	  OURS "dkim=pass header.d=desk.example\n" RECEIVED,
	  "mail.desk.example", TG_AUTH_PASS },
	{ "dkim-i-only", OURS "dkim=pass header.i=alice@desk.example\n" RECEIVED,
	  "desk.example", TG_AUTH_PASS },
	{ "dkim-unaligned", OURS "dkim=pass header.d=evil.example\n" RECEIVED,
	  "desk.example", TG_AUTH_UNKNOWN },
	{ "dkim-fail", OURS "dkim=fail reason=\"bad sig\" header.d=desk.example\n"
		RECEIVED,
	  "desk.example", TG_AUTH_UNKNOWN },
	{ "dkim-and-spf-fail",
	  OURS "dkim=fail header.d=desk.example; spf=fail "
	       "smtp.mailfrom=desk.example\n" RECEIVED,
	  "desk.example", TG_AUTH_FAIL },
	{ "spf-fail-dkim-pass",
	  OURS "dkim=pass header.d=other.example; spf=fail\n" RECEIVED,
	  "desk.example", TG_AUTH_UNKNOWN },
	{ "spf-fail-dmarc-none",
	  OURS "spf=fail; dmarc=none header.from=desk.example\n" RECEIVED,
	  "desk.example", TG_AUTH_UNKNOWN },
	{ "below-received", RECEIVED OURS "dmarc=pass header.from=desk.example",
	  "desk.example", TG_AUTH_UNTRUSTED },
	{ "other-authserv",
	  "Authentication-Results: other.example; dmarc=pass "
	  "header.from=desk.example\n" RECEIVED,
	  "desk.example", TG_AUTH_UNTRUSTED },
	{ "authserv-case", "Authentication-Results: MX.Desk.Example; dmarc=pass "
			   "header.from=desk.example\n" RECEIVED,
	  "desk.example", TG_AUTH_PASS },
	{ "version-and-comments",
	  "Authentication-Results: mx.desk.example 1 (our mx); (comment; with "
	  "semicolon) dkim (the method) = pass header.d=desk.example\n" RECEIVED,
	  "desk.example", TG_AUTH_PASS },
	{ "comment-in-value",
	  OURS "dmarc=pass (p=none (nested)) header.from=desk.example\n"
		RECEIVED,
	  "desk.example", TG_AUTH_PASS },
	{ "quoted-semicolon",
	  OURS "dkim=fail reason=\"a; dmarc=pass header.from=desk.example\"\n"
		RECEIVED,
	  "desk.example", TG_AUTH_UNKNOWN },
	{ "method-version", OURS "dkim/1=pass header.d=desk.example\n" RECEIVED,
	  "desk.example", TG_AUTH_PASS },
	{ "none-result", OURS "none\n" RECEIVED, "desk.example",
	  TG_AUTH_UNKNOWN },
	{ "two-headers-fail-wins-not",
	  OURS "dmarc=fail header.from=desk.example\n"
	  OURS "dkim=pass header.d=desk.example\n" RECEIVED,
	  "desk.example", TG_AUTH_PASS },
	{ "delivery-headers-first",
	  "Return-Path: <a@desk.example>\nDelivered-To: support@desk.example\n"
	  OURS "dmarc=pass header.from=desk.example\n" RECEIVED,
	  "desk.example", TG_AUTH_PASS },
	{ "no-from-domain", OURS "dmarc=pass header.from=desk.example\n"
		RECEIVED,
	  NULL, TG_AUTH_UNKNOWN },
	{ "unterminated", OURS "dkim=pass (open comment header.d=desk.example",
	  "desk.example", TG_AUTH_UNKNOWN },
};

/* TgHeader rows from "Name: value" lines. */
static GPtrArray *
headers_of (const char *text)
{
	g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
	GPtrArray *out = g_ptr_array_new ();

	for (char **l = lines; *l != NULL; l++) {
		const char *colon = strchr (*l, ':');
		TgHeader *h;

		if (colon == NULL)
			continue;
		h = g_new0 (TgHeader, 1);
		h->name = g_strndup (*l, colon - *l);
		h->value = g_strdup (colon + 1 + strspn (colon + 1, " "));
		g_ptr_array_add (out, h);
	}
	return out;
}

static void
header_free (gpointer p)
{
	TgHeader *h = p;

	g_free (h->name);
	g_free (h->value);
	g_free (h);
}

static void
test_verdicts (void)
{
	for (gsize i = 0; i < G_N_ELEMENTS (rows); i++) {
		const Row *row = &rows[i];
		g_autoptr (GPtrArray) headers = headers_of (row->headers);
		TgAuthResult r;

		g_ptr_array_set_free_func (headers, header_free);
		tg_authres_judge (headers, "mx.desk.example", row->from_domain,
				  &r);
		if (r.verdict != row->want)
			tg_test_fail_row ("%s: got %s, want %s (%s)", row->label,
					  tg_authres_verdict_to_string (r.verdict),
					  tg_authres_verdict_to_string (row->want),
					  r.evidence ? r.evidence : "-");
		tg_authres_clear (&r);
	}
}

/* No authserv-id configured: nothing is trusted, whatever is written. */
static void
test_unconfigured (void)
{
	g_autoptr (GPtrArray) headers =
		headers_of (OURS "dmarc=pass header.from=desk.example");
	TgAuthResult r;

	g_ptr_array_set_free_func (headers, header_free);
	tg_authres_judge (headers, "", "desk.example", &r);
	g_assert_cmpint (r.verdict, ==, TG_AUTH_UNTRUSTED);
	g_assert_null (r.evidence);
	tg_authres_judge (headers, NULL, "desk.example", &r);
	g_assert_cmpint (r.verdict, ==, TG_AUTH_UNTRUSTED);
}

static void
test_evidence (void)
{
	g_autoptr (GPtrArray) headers = headers_of (
		OURS "dkim=none; spf=fail smtp.mailfrom=acme.example; "
		     "dmarc=fail (p=reject) header.from=acme.example");
	TgAuthResult r;

	g_ptr_array_set_free_func (headers, header_free);
	tg_authres_judge (headers, "mx.desk.example", "acme.example", &r);
	g_assert_cmpint (r.verdict, ==, TG_AUTH_FAIL);
	g_assert_cmpstr (r.evidence, ==, "spf=fail dmarc=fail (acme.example)");
	tg_authres_clear (&r);
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

	g_test_add_func ("/authres/verdicts", test_verdicts);
	g_test_add_func ("/authres/unconfigured", test_unconfigured);
	g_test_add_func ("/authres/evidence", test_evidence);
	return g_test_run ();
}
