/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test-trust: the rules of proof: which secrets still verify, what a
 * token proves about a ticket and a sender, when staff are proven, who
 * a ticket's people are, and where answers may go.
 */
#include "trust.h"

#include <string.h>

#include <glib.h>

#include "address.h"
#include "tgtest.h"

static TgSigningKey *
key (const char *text, gint64 replaced_at)
{
	TgSigningKey *k = g_new0 (TgSigningKey, 1);

	k->secret = g_bytes_new (text, strlen (text));
	k->replaced_at = replaced_at;
	return k;
}

static void
key_free (gpointer p)
{
	TgSigningKey *k = p;

	g_bytes_unref (k->secret);
	g_free (k);
}

static void
test_usable_secrets (void)
{
	g_autoptr (GPtrArray) keys = g_ptr_array_new_with_free_func (key_free);
	g_autoptr (GPtrArray) now = NULL;
	g_autoptr (GPtrArray) later = NULL;

	g_ptr_array_add (keys, key ("newest", 0));
	g_ptr_array_add (keys, key ("previous", 1000));
	g_ptr_array_add (keys, key ("ancient", 10));
	now = tg_trust_usable_secrets (keys, 1500, 600);
	g_assert_cmpuint (now->len, ==, 2);
	later = tg_trust_usable_secrets (keys, 1600, 600);
	g_assert_cmpuint (later->len, ==, 1);
	g_assert_true (later->pdata[0] == ((TgSigningKey *) keys->pdata[0])->secret);
}

static TgTicket
ticket_1000 (char **cc)
{
	return (TgTicket){ .number = 1000, .customer_id = 7,
			   .requester = "jane@acme.example",
			   .reply_address = "jane@acme.example", .cc = cc };
}

static TgToken
token_for (GBytes *secret, gint64 number, TgTokenAudience a, const char *who)
{
	g_autofree char *text = tg_token_make (secret, number, a, who);
	TgToken t;

	g_assert_true (tg_token_parse (text, &t));
	return t;
}

static void
test_check_token (void)
{
	g_autoptr (GBytes) k = g_bytes_new_static ("a secret of thirty-two bytes.....", 33);
	g_autoptr (GPtrArray) secrets = g_ptr_array_new ();
	char *cc[] = { "carl@acme.example", NULL };
	TgTicket t = ticket_1000 (cc);
	TgToken staff = token_for (k, 1000, TG_TOKEN_STAFF, NULL);
	TgToken jane = token_for (k, 1000, TG_TOKEN_PERSON, "jane@acme.example");
	TgToken carl = token_for (k, 1000, TG_TOKEN_PERSON, "carl@acme.example");
	TgToken other = token_for (k, 1001, TG_TOKEN_STAFF, NULL);
	TgToken eve = token_for (k, 1000, TG_TOKEN_PERSON, "eve@evil.example");
	const char *d = "+";

	g_ptr_array_add (secrets, k);
	g_assert_cmpint (tg_trust_check_token (&staff, &t, secrets, "alice@desk.example", d), ==, TG_TOKEN_MATCH_STAFF);
	g_assert_cmpint (tg_trust_check_token (&jane, &t, secrets, "jane+x@ACME.example", d), ==, TG_TOKEN_MATCH_SENDER);
	g_assert_cmpint (tg_trust_check_token (&jane, &t, secrets, "dave@other.example", d), ==, TG_TOKEN_MATCH_TICKET);
	g_assert_cmpint (tg_trust_check_token (&carl, &t, secrets, "jane@acme.example", d), ==, TG_TOKEN_MATCH_TICKET);
	g_assert_cmpint (tg_trust_check_token (&other, &t, secrets, "alice@desk.example", d), ==, TG_TOKEN_MATCH_NONE);
	/* Issued to someone who is none of the ticket's people, used by
	 * someone else: nobody it could have been meant for. */
	g_assert_cmpint (tg_trust_check_token (&eve, &t, secrets, "mallory@evil.example", d), ==, TG_TOKEN_MATCH_NONE);
	g_assert_cmpint (tg_trust_check_token (NULL, &t, secrets, "jane@acme.example", d), ==, TG_TOKEN_MATCH_NONE);
}

static void
test_staff_proof (void)
{
	TgAuthResult pass = { .verdict = TG_AUTH_PASS };
	TgAuthResult fail = { .verdict = TG_AUTH_FAIL };
	TgAuthResult none = { .verdict = TG_AUTH_UNTRUSTED };

	g_assert_cmpint (tg_trust_staff_proof (TG_TOKEN_MATCH_STAFF, &none), ==, TG_STAFF_BY_TOKEN);
	g_assert_cmpint (tg_trust_staff_proof (TG_TOKEN_MATCH_SENDER, &fail), ==, TG_STAFF_BY_TOKEN);
	g_assert_cmpint (tg_trust_staff_proof (TG_TOKEN_MATCH_TICKET, &none), ==, TG_STAFF_UNPROVEN);
	g_assert_cmpint (tg_trust_staff_proof (TG_TOKEN_MATCH_TICKET, &pass), ==, TG_STAFF_BY_AUTH);
	g_assert_cmpint (tg_trust_staff_proof (TG_TOKEN_MATCH_NONE, &fail), ==, TG_STAFF_UNPROVEN);
	g_assert_cmpint (tg_trust_staff_proof (TG_TOKEN_MATCH_NONE, NULL), ==, TG_STAFF_UNPROVEN);
}

typedef struct {
	const char *label;
	const char *sender;
	gint64 customer_id;
	gboolean want;
} PersonRow;

static const PersonRow person_rows[] = {
	{ "requester", "jane@acme.example", 0, TRUE },
	{ "requester-spelling", "\"Jane\"@ACME.example", 0, TRUE },
	{ "requester-extension", "jane+phone@acme.example", 0, TRUE },
	{ "cc", "carl@acme.example", 0, TRUE },
	{ "same-customer", "boss@acme.example", 7, TRUE },
	{ "other-customer", "boss@acme.example", 8, FALSE },
	{ "stranger", "eve@evil.example", 0, FALSE },
	{ "lookalike-domain", "jane@acme.example.evil", 0, FALSE },
	{ "no-sender", NULL, 0, FALSE },
};

static void
test_ticket_person (void)
{
	char *cc[] = { "carl@acme.example", NULL };
	TgTicket t = ticket_1000 (cc);

	for (gsize i = 0; i < G_N_ELEMENTS (person_rows); i++) {
		const PersonRow *row = &person_rows[i];
		gboolean got = tg_trust_is_ticket_person (&t, row->sender,
							  row->customer_id, "+");

		if (got != row->want)
			tg_test_fail_row ("%s: got %d, want %d", row->label, got,
					  row->want);
	}
}

typedef struct {
	const char *label;
	TgReplyToPolicy policy;
	const char *from;
	const char *reply_to;
	const char *want;
	gboolean ignored;
} ReplyRow;

static const ReplyRow reply_rows[] = {
	{ "none", TG_REPLY_TO_SAME_DOMAIN, "jane@acme.example", NULL,
	  "jane@acme.example", FALSE },
	{ "same-domain", TG_REPLY_TO_SAME_DOMAIN, "jane@acme.example",
	  "carl@acme.example", "carl@acme.example", FALSE },
	{ "same-domain-case", TG_REPLY_TO_SAME_DOMAIN, "jane@acme.example",
	  "carl@ACME.Example", "carl@ACME.Example", FALSE },
	{ "other-domain", TG_REPLY_TO_SAME_DOMAIN, "jane@acme.example",
	  "eve@evil.example", "jane@acme.example", TRUE },
	{ "subdomain", TG_REPLY_TO_SAME_DOMAIN, "jane@acme.example",
	  "eve@evil.acme.example", "jane@acme.example", TRUE },
	{ "never", TG_REPLY_TO_NEVER, "jane@acme.example",
	  "carl@acme.example", "jane@acme.example", TRUE },
	{ "always", TG_REPLY_TO_ALWAYS, "jane@acme.example",
	  "eve@evil.example", "eve@evil.example", FALSE },
	{ "always-undeliverable", TG_REPLY_TO_ALWAYS, "jane@acme.example",
	  "eve@localhost", "jane@acme.example", TRUE },
	{ "bad-idn", TG_REPLY_TO_SAME_DOMAIN, "jane@acme.example",
	  "x@xn--zz.acme.example", "jane@acme.example", TRUE },
	{ "no-from", TG_REPLY_TO_SAME_DOMAIN, NULL, "eve@evil.example", NULL,
	  TRUE },
	{ "same-as-from", TG_REPLY_TO_NEVER, "jane@acme.example",
	  "jane@acme.example", "jane@acme.example", FALSE },
};

static void
test_reply_address (void)
{
	for (gsize i = 0; i < G_N_ELEMENTS (reply_rows); i++) {
		const ReplyRow *row = &reply_rows[i];
		const char *ignored = NULL;
		const char *got = tg_trust_reply_address (
			row->policy, row->from, row->reply_to, &ignored);

		if (g_strcmp0 (got, row->want) != 0 ||
		    (ignored != NULL) != row->ignored)
			tg_test_fail_row ("%s: got \"%s\" (ignored \"%s\"), "
					  "want \"%s\"",
					  row->label, got, ignored, row->want);
	}
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

	g_test_add_func ("/trust/secrets/usable", test_usable_secrets);
	g_test_add_func ("/trust/token/check", test_check_token);
	g_test_add_func ("/trust/staff/proof", test_staff_proof);
	g_test_add_func ("/trust/ticket/person", test_ticket_person);
	g_test_add_func ("/trust/reply-address", test_reply_address);
	return g_test_run ();
}
