/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test-decide: deliver's decisions on plain facts, one table each: who
 * wrote and where answers go, which candidate ticket a mail joins, the
 * action, and the answers the action causes. No database and no MIME
 * tree: the tickets and the writer are rows of the tables below.
 */
#include "decide.h"

#include <string.h>

#include "tgtest.h"

#define SUPPORT "support@desk.example"

static char *cc_open[] = {"bob@example.net", NULL};

/* Ticket 1: Jane's, customer 2, Bob on CC. Ticket 2: customer 1's.
 * Ticket 3: closed on 2026-01-05. */
static TgTicket tickets[] = {
	{.id = 11,
	 .number = 1,
	 .requester = "jane@example.net",
	 .reply_address = "jane@example.net",
	 .customer_id = 2,
	 .cc = cc_open,
	 .status = TG_STATUS_OPEN},
	{.id = 12,
	 .number = 2,
	 .requester = "ops@acme.example",
	 .reply_address = "noc@acme.example",
	 .customer_id = 1,
	 .status = TG_STATUS_PENDING},
	{.id = 13,
	 .number = 3,
	 .requester = "jane@example.net",
	 .reply_address = "jane@example.net",
	 .customer_id = 2,
	 .status = TG_STATUS_CLOSED},
};

static TgSettings *
test_config (void)
{
	TgSettings *c = tg_settings_new_default ("test.conf");
	const char *staff[] = {"alice@desk.example", NULL};

	g_free (c->support_address);
	c->support_address = g_strdup (SUPPORT);
	g_free (c->comment_address);
	c->comment_address = g_strdup ("support-comment@desk.example");
	g_free (c->bounce_address);
	c->bounce_address = g_strdup ("bounces@desk.example");
	g_strfreev (c->staff_addresses);
	c->staff_addresses = g_strdupv ((char **)staff);
	return c;
}

/* ---- who wrote, and where answers go --------------------------------- */

typedef struct {
	const char *label;
	const char *mail;
	const char *envelope;
	TgReplyToPolicy policy;
	const char *want_sender; /* NULL: nobody */
	const char *want_reply;
	const char *want_ignored; /* a Reply-To not taken */
} AddressRow;

static const AddressRow address_rows[] = {
	{"from", "From: Jane <jane@example.net>\n\nx\n", "bounce@x.example",
	 TG_REPLY_TO_SAME_DOMAIN, "jane@example.net", "jane@example.net", NULL},
	{"no from, envelope", "Subject: x\n\nx\n", "Ops@Acme.Example",
	 TG_REPLY_TO_SAME_DOMAIN, "ops@acme.example", "ops@acme.example", NULL},
	{"undeliverable from", "From: root\n\nx\n", "ops@acme.example",
	 TG_REPLY_TO_SAME_DOMAIN, "ops@acme.example", "ops@acme.example", NULL},
	{"nobody", "Subject: x\n\nx\n", NULL, TG_REPLY_TO_ALWAYS, NULL, NULL,
	 NULL},
	{"reply-to same domain",
	 "From: jane@example.net\nReply-To: desk@example.net\n\nx\n", NULL,
	 TG_REPLY_TO_SAME_DOMAIN, "jane@example.net", "desk@example.net", NULL},
	{"reply-to elsewhere refused",
	 "From: jane@example.net\nReply-To: eve@evil.example\n\nx\n", NULL,
	 TG_REPLY_TO_SAME_DOMAIN, "jane@example.net", "jane@example.net",
	 "eve@evil.example"},
	{"reply-to always",
	 "From: jane@example.net\nReply-To: eve@evil.example\n\nx\n", NULL,
	 TG_REPLY_TO_ALWAYS, "jane@example.net", "eve@evil.example", NULL},
};

static void
test_addresses (void)
{
	for (gsize i = 0; i < G_N_ELEMENTS (address_rows); i++) {
		const AddressRow *row = &address_rows[i];
		g_autoptr (GBytes) bytes =
			g_bytes_new_static (row->mail, strlen (row->mail));
		g_autoptr (TgMessage) msg = tg_test_parse_mail (bytes);
		g_autofree char *sender = NULL;
		g_autofree char *reply = NULL;
		const char *ignored = NULL;

		tg_decide_addresses (msg, row->envelope, row->policy, &sender,
				     &reply, &ignored);
		if (g_strcmp0 (sender, row->want_sender) != 0 ||
		    g_strcmp0 (reply, row->want_reply) != 0 ||
		    g_strcmp0 (ignored, row->want_ignored) != 0)
			tg_test_fail_row ("%s: got %s, %s, %s; want %s, %s, %s",
					  row->label, sender, reply, ignored,
					  row->want_sender, row->want_reply,
					  row->want_ignored);
	}
}

static void
test_own_addresses (void)
{
	static const struct {
		const char *addr;
		gboolean want;
	} rows[] = {
		{SUPPORT, TRUE},
		{"support+1.abc@desk.example", TRUE},
		{"support-comment@desk.example", TRUE},
		{"bounces@desk.example", TRUE},
		{"alice@desk.example", TRUE},
		{"jane@example.net", FALSE},
		{"supporter@desk.example", FALSE},
		{NULL, FALSE},
	};
	g_autoptr (TgSettings) c = test_config ();

	for (gsize i = 0; i < G_N_ELEMENTS (rows); i++)
		if (tg_decide_is_own_address (c, rows[i].addr) != rows[i].want)
			tg_test_fail_row ("%s: got %d, want %d", rows[i].addr,
					  !rows[i].want, rows[i].want);
}

/* ---- which ticket ---------------------------------------------------- */

typedef struct {
	const char *label;
	TgWriter writer;
	int candidates[4]; /* indexes into tickets[], -1 ends */
	guint n_token, n_ids;
	int want; /* index into the candidates, or -1 */
	TgThreadedBy want_how;
} ThreadRow;

#define PERSON(addr, customer)                                                 \
	{                                                                      \
		.sender = addr, .customer_id = customer, .delimiters = "+"     \
	}

static const ThreadRow thread_rows[] = {
	{"requester by id",
	 PERSON ("jane@example.net", 0),
	 {0, -1},
	 0,
	 1,
	 0,
	 TG_THREAD_MESSAGE_ID},
	{"a CC by tag",
	 PERSON ("bob+x@example.net", 0),
	 {0, -1},
	 0,
	 0,
	 0,
	 TG_THREAD_TAG},
	{"colleague of the customer",
	 PERSON ("boss@acme.example", 1),
	 {1, -1},
	 0,
	 0,
	 0,
	 TG_THREAD_TAG},
	{"stranger refused",
	 PERSON ("eve@evil.example", 0),
	 {0, 1, -1},
	 0,
	 2,
	 -1,
	 TG_THREAD_REFUSED},
	{"nothing found",
	 PERSON ("jane@example.net", 2),
	 {-1},
	 0,
	 0,
	 -1,
	 TG_THREAD_NONE},
	{"first it may join wins",
	 PERSON ("ops@acme.example", 0),
	 {0, 1, -1},
	 0,
	 2,
	 1,
	 TG_THREAD_MESSAGE_ID},
	{"token for the ticket",
	 {.sender = "eve@evil.example",
	  .delimiters = "+",
	  .token_ticket = 2,
	  .token_match = TG_TOKEN_MATCH_TICKET},
	 {1, 0, -1},
	 1,
	 1,
	 0,
	 TG_THREAD_TOKEN},
	{"token for another ticket",
	 {.sender = "eve@evil.example",
	  .delimiters = "+",
	  .token_ticket = 1,
	  .token_match = TG_TOKEN_MATCH_TICKET},
	 {1, -1},
	 1,
	 0,
	 -1,
	 TG_THREAD_REFUSED},
	{"proven staff",
	 {.sender = "alice@desk.example",
	  .delimiters = "+",
	  .staff_claimed = TRUE,
	  .staff_proof = TG_STAFF_BY_AUTH},
	 {1, -1},
	 0,
	 0,
	 0,
	 TG_THREAD_TAG},
	{"unproven staff joins nothing",
	 {.sender = "alice@desk.example",
	  .delimiters = "+",
	  .staff_claimed = TRUE,
	  .staff_proof = TG_STAFF_UNPROVEN},
	 {0, -1},
	 0,
	 1,
	 -1,
	 TG_THREAD_REFUSED},
	{"machine mail by id",
	 {.sender = "mailer-daemon@x.example",
	  .delimiters = "+",
	  .machine = TG_MACHINE_DSN},
	 {1, -1},
	 0,
	 1,
	 0,
	 TG_THREAD_MESSAGE_ID},
	{"machine mail not by tag alone",
	 {.sender = "mailer-daemon@x.example",
	  .delimiters = "+",
	  .machine = TG_MACHINE_DSN},
	 {1, -1},
	 0,
	 0,
	 -1,
	 TG_THREAD_REFUSED},
};

static void
test_thread (void)
{
	for (gsize i = 0; i < G_N_ELEMENTS (thread_rows); i++) {
		const ThreadRow *row = &thread_rows[i];
		const TgTicket *list[4];
		guint n = 0;
		TgThreadedBy how = TG_THREAD_TAG;
		int got;

		while (n < 4 && row->candidates[n] >= 0) {
			list[n] = &tickets[row->candidates[n]];
			n++;
		}
		got = tg_decide_thread (&row->writer, list, n, row->n_token,
					row->n_ids, &how);
		if (got != row->want || how != row->want_how)
			tg_test_fail_row ("%s: got %d (%s), want %d (%s)",
					  row->label, got,
					  tg_threaded_by_name (how), row->want,
					  tg_threaded_by_name (row->want_how));
	}
}

static void
test_thread_ids (void)
{
	static const char text[] =
		"From: jane@example.net\nIn-Reply-To: <b@x>\n"
		"References: <a@x> <b@x>\n\nx\n";
	g_autoptr (GBytes) bytes = g_bytes_new_static (text, sizeof text - 1);
	g_autoptr (TgMessage) msg = tg_test_parse_mail (bytes);
	g_autoptr (GPtrArray) ids = tg_decide_thread_ids (msg);

	g_assert_cmpuint (ids->len, ==, 2);
	g_assert_cmpstr (ids->pdata[0], ==, "a@x");
	g_assert_cmpstr (ids->pdata[1], ==, "b@x");
}

/* ---- the action ------------------------------------------------------ */

typedef struct {
	const char *label;
	TgWriter writer;
	int ticket; /* index into tickets[], -1: none */
	gboolean is_duplicate, refused, internal, reject_unknown;
	TgAction want;
	gboolean want_follows;
} ActionRow;

#define STAFF(proof)                                                           \
	{                                                                      \
		.sender = "alice@desk.example", .staff_claimed = TRUE,         \
		.staff_proof = proof                                           \
	}

static const ActionRow action_rows[] = {
	{"new ticket", PERSON ("jane@example.net", 2), -1, FALSE, FALSE, FALSE,
	 FALSE, TG_ACTION_NEW_TICKET, FALSE},
	{"follow-up", PERSON ("jane@example.net", 2), 0, FALSE, FALSE, FALSE,
	 FALSE, TG_ACTION_FOLLOW_UP, FALSE},
	{"follow-up reopens recently closed", PERSON ("jane@example.net", 2), 2,
	 FALSE, FALSE, FALSE, FALSE, TG_ACTION_FOLLOW_UP, FALSE},
	{"duplicate first", PERSON ("jane@example.net", 2), 0, TRUE, FALSE,
	 FALSE, FALSE, TG_ACTION_DUPLICATE, FALSE},
	{"machine",
	 {.sender = "x@y.example", .machine = TG_MACHINE_LIST},
	 0,
	 FALSE,
	 FALSE,
	 FALSE,
	 FALSE,
	 TG_ACTION_MACHINE,
	 FALSE},
	{"nobody to answer", PERSON (NULL, 0), -1, FALSE, FALSE, FALSE, FALSE,
	 TG_ACTION_REJECTED, FALSE},
	{"unknown sender under reject", PERSON ("eve@evil.example", 0), -1,
	 FALSE, FALSE, FALSE, TRUE, TG_ACTION_REJECTED, FALSE},
	{"known sender under reject", PERSON ("jane@example.net", 2), -1, FALSE,
	 FALSE, FALSE, TRUE, TG_ACTION_NEW_TICKET, FALSE},
	{"staff reply", STAFF (TG_STAFF_BY_AUTH), 0, FALSE, FALSE, FALSE, FALSE,
	 TG_ACTION_STAFF_REPLY, FALSE},
	{"staff comment", STAFF (TG_STAFF_BY_TOKEN), 0, FALSE, FALSE, TRUE,
	 FALSE, TG_ACTION_COMMENT, FALSE},
	{"staff refused", STAFF (TG_STAFF_BY_AUTH), 0, FALSE, TRUE, TRUE, FALSE,
	 TG_ACTION_STAFF_REFUSED, FALSE},
	{"staff alone", STAFF (TG_STAFF_BY_AUTH), -1, FALSE, TRUE, FALSE, FALSE,
	 TG_ACTION_STAFF_ALONE, FALSE},
	{"staff held", STAFF (TG_STAFF_UNPROVEN), 0, FALSE, FALSE, FALSE, FALSE,
	 TG_ACTION_STAFF_HELD, FALSE},
};

static void
test_action (void)
{
	g_autoptr (GDateTime) closed =
		g_date_time_new_from_iso8601 ("2026-01-05T10:00:00Z", NULL);
	g_autoptr (GDateTime) soon =
		g_date_time_new_from_iso8601 ("2026-01-10T10:00:00Z", NULL);
	g_autoptr (GDateTime) late =
		g_date_time_new_from_iso8601 ("2026-03-10T10:00:00Z", NULL);

	tickets[2].closed_at = closed;
	for (gsize i = 0; i < G_N_ELEMENTS (action_rows); i++) {
		const ActionRow *row = &action_rows[i];
		TgActionFacts f = {
			.is_duplicate = row->is_duplicate,
			.ticket =
				row->ticket >= 0 ? &tickets[row->ticket] : NULL,
			.refused = row->refused,
			.internal = row->internal,
			.received_at = soon,
			.reopen_days = 30,
			.reject_unknown = row->reject_unknown,
		};
		TgDecision got = tg_decide_action (&row->writer, &f);

		if (got.action != row->want || got.follows != row->want_follows)
			tg_test_fail_row ("%s: got %s%s, want %s%s", row->label,
					  tg_action_name (got.action),
					  got.follows ? " (follows)" : "",
					  tg_action_name (row->want),
					  row->want_follows ? " (follows)"
							    : "");
	}
	/* Closed longer than reopen_days: a new ticket that names it. */
	{
		TgWriter w = PERSON ("jane@example.net", 2);
		TgActionFacts f = {.ticket = &tickets[2],
				   .received_at = late,
				   .reopen_days = 30};
		TgDecision got = tg_decide_action (&w, &f);

		g_assert_cmpstr (tg_action_name (got.action), ==, "new-ticket");
		g_assert_true (got.follows);
	}
	tickets[2].closed_at = NULL;
}

/* ---- the answers ----------------------------------------------------- */

typedef struct {
	const char *label;
	TgAction action;
	TgAnswerFacts facts;
	guint want;
} AnswerRow;

static const AnswerRow answer_rows[] = {
	{"new ticket",
	 TG_ACTION_NEW_TICKET,
	 {.may_answer = TRUE},
	 TG_ANSWER_ACK | TG_ANSWER_NOTIFY},
	{"new ticket, nobody to answer",
	 TG_ACTION_NEW_TICKET,
	 {0},
	 TG_ANSWER_NOTIFY},
	{"follow-up",
	 TG_ACTION_FOLLOW_UP,
	 {.may_answer = TRUE},
	 TG_ANSWER_NOTIFY},
	{"follow-up, ack_followups",
	 TG_ACTION_FOLLOW_UP,
	 {.may_answer = TRUE, .ack_followups = TRUE},
	 TG_ANSWER_ACK | TG_ANSWER_NOTIFY},
	{"staff reply", TG_ACTION_STAFF_REPLY, {0}, TG_ANSWER_RELAY},
	{"comment", TG_ACTION_COMMENT, {0}, TG_ANSWER_NOTIFY},
	{"refused", TG_ACTION_STAFF_REFUSED, {0}, TG_ANSWER_NOTICE_WRITER},
	{"alone", TG_ACTION_STAFF_ALONE, {0}, TG_ANSWER_NOTICE_WRITER},
	{"held", TG_ACTION_STAFF_HELD, {0}, TG_ANSWER_NOTICE_STAFF},
	{"machine on a ticket",
	 TG_ACTION_MACHINE,
	 {.has_ticket = TRUE},
	 TG_ANSWER_NOTIFY},
	{"machine, noticed lately",
	 TG_ACTION_MACHINE,
	 {.has_ticket = TRUE, .machine_noticed = TRUE},
	 0},
	{"machine, our own",
	 TG_ACTION_MACHINE,
	 {.has_ticket = TRUE, .machine_own = TRUE},
	 0},
	{"machine alone", TG_ACTION_MACHINE, {.may_answer = TRUE}, 0},
	{"rejected",
	 TG_ACTION_REJECTED,
	 {.may_answer = TRUE, .has_sender = TRUE},
	 TG_ANSWER_REJECT},
	{"rejected, to ourselves", TG_ACTION_REJECTED, {.has_sender = TRUE}, 0},
	{"duplicate",
	 TG_ACTION_DUPLICATE,
	 {.may_answer = TRUE, .has_sender = TRUE},
	 0},
};

static void
test_answers (void)
{
	for (gsize i = 0; i < G_N_ELEMENTS (answer_rows); i++) {
		const AnswerRow *row = &answer_rows[i];
		guint got = tg_decide_answers (row->action, &row->facts);

		if (got != row->want)
			tg_test_fail_row ("%s: got 0x%x, want 0x%x", row->label,
					  got, row->want);
	}
}

int
main (int argc, char **argv)
{
	int status;

	g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
	tg_message_init ();
	g_test_add_func ("/decide/addresses/who-and-where", test_addresses);
	g_test_add_func ("/decide/addresses/own", test_own_addresses);
	g_test_add_func ("/decide/thread/candidates", test_thread);
	g_test_add_func ("/decide/thread/ids", test_thread_ids);
	g_test_add_func ("/decide/action/table", test_action);
	g_test_add_func ("/decide/answers/table", test_answers);
	status = g_test_run ();
	tg_message_shutdown ();
	return status;
}
