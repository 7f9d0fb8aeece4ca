/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test-classify: machine mail. Each row is a small mail, parsed with
 * tg_message_parse() as deliver does, plus an envelope sender, and the
 * TgMachineReason it must get. Rows cover every reason, the values that
 * must NOT count (Auto-Submitted: no, Precedence: first-class, someone
 * else's loop header, another domain's Message-ID), and which reason wins
 * when a mail has several.
 */
#include "classify.h"

#include <stdarg.h>
#include <string.h>

#include <glib.h>

#include "compose.h"
#include "message.h"
#include "spool.h"
#include "tgtest.h"

/* Reports a failed row and goes on with the next one: every failure is
 * logged, not only the last (g_test_fail_printf() keeps one message). */

#define SUPPORT "support@example.com"
#define CUSTOMER "ann@customer.example"
#define OWN_ID "ticketgate.0123456789abcdef0123456789abcdef@example.com"

/* Envelope senders: UNKNOWN stands for NULL (Postfix gave none). */
#define UNKNOWN NULL
#define NULL_SENDER ""

/* A plain mail from a person; rows add their own headers on top. */
#define HUMAN_FROM "From: Ann Smith <" CUSTOMER ">\n"
#define HUMAN_REST                                                             \
	"To: " SUPPORT "\n"                                                    \
	"Subject: Printer does not print\n"                                    \
	"Date: Fri, 08 Mar 2024 17:30:00 +0200\n"                              \
	"Message-ID: <CAF1234@mail.customer.example>\n"                        \
	"\n"                                                                   \
	"Hello, our printer does not print.\n"
#define HUMAN HUMAN_FROM HUMAN_REST

typedef struct {
	const char *label;
	const char *mail;
	const char *envelope;
	TgMachineReason want;
} ClassifyRow;

static const ClassifyRow rows[] = {
	/* People. */
	{"human", HUMAN, CUSTOMER, TG_MACHINE_NONE},
	{"human-unknown-envelope", HUMAN, UNKNOWN, TG_MACHINE_NONE},
	{"human-no-from", HUMAN_REST, CUSTOMER, TG_MACHINE_NONE},
	/* Envelope. */
	{"null-sender", HUMAN, NULL_SENDER, TG_MACHINE_NULL_SENDER},
	{"envelope-mailer-daemon", HUMAN, "MAILER-DAEMON", TG_MACHINE_DAEMON},
	{"envelope-mailer-daemon-domain", HUMAN, "MAILER-DAEMON@mx.example",
	 TG_MACHINE_DAEMON},
	{"envelope-postmaster", HUMAN, "postmaster@customer.example",
	 TG_MACHINE_DAEMON},
	{"envelope-postmaster-upper", HUMAN, "PostMaster@customer.example",
	 TG_MACHINE_DAEMON},
	{"envelope-verp-bounces", HUMAN,
	 "bounces+1234-ann=customer.example@lists.example", TG_MACHINE_DAEMON},
	{"envelope-noreply", HUMAN, "noreply@shop.example", TG_MACHINE_DAEMON},
	{"envelope-postmaster-lookalike", HUMAN,
	 "postmaster-jones@customer.example", TG_MACHINE_NONE},
	{"envelope-daemon-lookalike", HUMAN, "daemon@customer.example",
	 TG_MACHINE_NONE},
	/* From. */
	{"from-mailer-daemon",
	 "From: Mail Delivery System "
	 "<MAILER-DAEMON@mx.customer.example>\n" HUMAN_REST,
	 CUSTOMER, TG_MACHINE_DAEMON},
	{"from-postmaster", "From: postmaster@customer.example\n" HUMAN_REST,
	 UNKNOWN, TG_MACHINE_DAEMON},
	{"from-no-reply", "From: Shop <no-reply@shop.example>\n" HUMAN_REST,
	 "ann@shop.example", TG_MACHINE_DAEMON},
	/* RFC 3834. */
	{"auto-replied", "Auto-Submitted: auto-replied\n" HUMAN, CUSTOMER,
	 TG_MACHINE_AUTO_SUBMITTED},
	{"auto-generated", "Auto-Submitted: auto-generated\n" HUMAN, CUSTOMER,
	 TG_MACHINE_AUTO_SUBMITTED},
	{"auto-notified-comment",
	 "Auto-Submitted: auto-notified; owner-email=\"x@y\"\n" HUMAN, CUSTOMER,
	 TG_MACHINE_AUTO_SUBMITTED},
	{"auto-submitted-upper", "Auto-Submitted:   AUTO-REPLIED\n" HUMAN,
	 CUSTOMER, TG_MACHINE_AUTO_SUBMITTED},
	{"auto-submitted-no", "Auto-Submitted: no\n" HUMAN, CUSTOMER,
	 TG_MACHINE_NONE},
	{"auto-submitted-no-comment", "Auto-Submitted: No (a person)\n" HUMAN,
	 CUSTOMER, TG_MACHINE_NONE},
	{"auto-submitted-empty", "Auto-Submitted:\n" HUMAN, CUSTOMER,
	 TG_MACHINE_NONE},
	/* Precedence. */
	{"precedence-bulk", "Precedence: bulk\n" HUMAN, CUSTOMER,
	 TG_MACHINE_PRECEDENCE},
	{"precedence-junk", "Precedence: junk\n" HUMAN, CUSTOMER,
	 TG_MACHINE_PRECEDENCE},
	{"precedence-list", "Precedence: list\n" HUMAN, CUSTOMER,
	 TG_MACHINE_PRECEDENCE},
	{"precedence-bulk-upper", "Precedence: BULK\n" HUMAN, CUSTOMER,
	 TG_MACHINE_PRECEDENCE},
	{"precedence-first-class", "Precedence: first-class\n" HUMAN, CUSTOMER,
	 TG_MACHINE_NONE},
	{"precedence-special-delivery", "Precedence: special-delivery\n" HUMAN,
	 CUSTOMER, TG_MACHINE_NONE},
	{"precedence-bulky", "Precedence: bulky\n" HUMAN, CUSTOMER,
	 TG_MACHINE_NONE},
	/* Lists. */
	{"list-id", "List-Id: Users <users.lists.example>\n" HUMAN, CUSTOMER,
	 TG_MACHINE_LIST},
	{"list-unsubscribe",
	 "List-Unsubscribe: <mailto:leave@lists.example>\n" HUMAN, CUSTOMER,
	 TG_MACHINE_LIST},
	{"list-id-lower-name", "list-id: <users.lists.example>\n" HUMAN,
	 CUSTOMER, TG_MACHINE_LIST},
	{"list-post-alone", "List-Post: <mailto:users@lists.example>\n" HUMAN,
	 CUSTOMER, TG_MACHINE_NONE},
	/* Vendor headers. */
	{"x-autoreply", "X-Autoreply: yes\n" HUMAN, CUSTOMER,
	 TG_MACHINE_VENDOR},
	{"x-autorespond", "X-Autorespond: Out of office\n" HUMAN, CUSTOMER,
	 TG_MACHINE_VENDOR},
	{"x-autoreply-no", "X-Autoreply: no\n" HUMAN, CUSTOMER,
	 TG_MACHINE_NONE},
	{"x-auto-response-suppress-all",
	 "X-Auto-Response-Suppress: All\n" HUMAN, CUSTOMER, TG_MACHINE_VENDOR},
	{"x-auto-response-suppress-all-lower",
	 "X-Auto-Response-Suppress: all\n" HUMAN, CUSTOMER, TG_MACHINE_VENDOR},
	{"x-auto-response-suppress-oof-list",
	 "X-Auto-Response-Suppress: DR, OOF, AutoReply\n" HUMAN, CUSTOMER,
	 TG_MACHINE_VENDOR},
	{"x-auto-response-suppress-dr-rn",
	 "X-Auto-Response-Suppress: DR, RN, NRN\n" HUMAN, CUSTOMER,
	 TG_MACHINE_NONE},
	/* "All" as a part of another word is not the value All. */
	{"x-auto-response-suppress-word-with-all",
	 "X-Auto-Response-Suppress: NotAllowed\n" HUMAN, CUSTOMER,
	 TG_MACHINE_NONE},
	/* Our own mail. */
	{"loop-ours", "X-Ticketgate-Loop: " SUPPORT "\n" HUMAN, CUSTOMER,
	 TG_MACHINE_OWN},
	{"loop-ours-other-case",
	 "X-Ticketgate-Loop:  Support@Example.COM \n" HUMAN, CUSTOMER,
	 TG_MACHINE_OWN},
	{"loop-someone-else", "X-Ticketgate-Loop: help@other.example\n" HUMAN,
	 CUSTOMER, TG_MACHINE_NONE},
	{"loop-someone-else-then-ours",
	 "X-Ticketgate-Loop: help@other.example\n"
	 "X-Ticketgate-Loop: " SUPPORT "\n" HUMAN,
	 CUSTOMER, TG_MACHINE_OWN},
	{"loop-ours-as-prefix", "X-Ticketgate-Loop: " SUPPORT ".evil\n" HUMAN,
	 CUSTOMER, TG_MACHINE_NONE},
	{"own-message-id",
	 HUMAN_FROM "Message-ID: <" OWN_ID ">\nSubject: x\n\nbody\n", CUSTOMER,
	 TG_MACHINE_OWN},
	{"own-message-id-other-domain",
	 HUMAN_FROM "Message-ID: <ticketgate.0123456789abcdef0123456789abcdef"
		    "@other.example>\nSubject: x\n\nbody\n",
	 CUSTOMER, TG_MACHINE_NONE},
	{"own-message-id-short",
	 HUMAN_FROM "Message-ID: <ticketgate.0123456789abcdef0123456789abcde"
		    "@example.com>\nSubject: x\n\nbody\n",
	 CUSTOMER, TG_MACHINE_NONE},
	{"own-message-id-upper-hex",
	 HUMAN_FROM "Message-ID: <ticketgate.0123456789ABCDEF0123456789ABCDEF"
		    "@example.com>\nSubject: x\n\nbody\n",
	 CUSTOMER, TG_MACHINE_NONE},
	/* Reports. */
	{"dsn",
	 "From: Mail Delivery System <MAILER-DAEMON@mx.example>\n"
	 "To: " SUPPORT "\n"
	 "Subject: Undelivered Mail Returned to Sender\n"
	 "MIME-Version: 1.0\n"
	 "Content-Type: multipart/report; report-type=delivery-status;\n"
	 "\tboundary=\"B\"\n"
	 "\n"
	 "--B\n"
	 "Content-Type: text/plain\n"
	 "\n"
	 "I'm sorry to have to inform you that your message could not\n"
	 "be delivered.\n"
	 "--B\n"
	 "Content-Type: message/delivery-status\n"
	 "\n"
	 "Reporting-MTA: dns; mx.example\n"
	 "\n"
	 "Final-Recipient: rfc822; gone@customer.example\n"
	 "Action: failed\n"
	 "Status: 5.1.1\n"
	 "--B\n"
	 "Content-Type: text/rfc822-headers\n"
	 "\n"
	 "Message-ID: <" OWN_ID ">\n"
	 "--B--\n",
	 NULL_SENDER, TG_MACHINE_DSN},
	{"mdn",
	 HUMAN_FROM "To: " SUPPORT "\n"
		    "Subject: Read: Printer\n"
		    "MIME-Version: 1.0\n"
		    "Content-Type: multipart/report; "
		    "report-type=disposition-notification; boundary=\"M\"\n"
		    "\n"
		    "--M\n"
		    "Content-Type: text/plain\n"
		    "\n"
		    "Your message was displayed.\n"
		    "--M\n"
		    "Content-Type: message/disposition-notification\n"
		    "\n"
		    "Final-Recipient: rfc822; " CUSTOMER "\n"
		    "Disposition: manual-action/MDN-sent-manually; displayed\n"
		    "--M--\n",
	 CUSTOMER, TG_MACHINE_MDN},
	/* Several reasons: the order of the checks decides. */
	{"loop-beats-dsn-and-null-sender",
	 "X-Ticketgate-Loop: " SUPPORT "\nAuto-Submitted: auto-replied\n" HUMAN,
	 NULL_SENDER, TG_MACHINE_OWN},
	{"null-sender-beats-daemon",
	 "From: MAILER-DAEMON@mx.example\n" HUMAN_REST, NULL_SENDER,
	 TG_MACHINE_NULL_SENDER},
	{"auto-submitted-beats-list",
	 "Auto-Submitted: auto-generated\nList-Id: <l.example>\n"
	 "Precedence: bulk\n" HUMAN,
	 CUSTOMER, TG_MACHINE_AUTO_SUBMITTED},
	{"precedence-beats-list",
	 "Precedence: list\nList-Id: <l.example>\n" HUMAN, CUSTOMER,
	 TG_MACHINE_PRECEDENCE},
};

static gboolean
is_own_id (const char *id, gpointer data)
{
	return tg_compose_is_own_message_id (id, data);
}

static TgMessage *
parse_mail (const char *text)
{
	g_autoptr (TgSpool) spool =
		tg_spool_new_from_data (text, strlen (text));
	g_autoptr (GError) error = NULL;
	TgMessage *msg = tg_message_parse (spool, &error);

	g_assert_no_error (error);
	g_assert_nonnull (msg);
	return msg;
}

static void
test_row (gconstpointer data)
{
	const ClassifyRow *row = data;
	g_autoptr (TgMessage) msg = parse_mail (row->mail);
	TgMachineReason got = tg_classify_machine (
		msg, row->envelope, SUPPORT, is_own_id, (gpointer)SUPPORT);

	if (got != row->want)
		tg_test_fail_row ("%s: got %s, want %s", row->label,
			  tg_classify_reason_to_string (got),
			  tg_classify_reason_to_string (row->want));
}

/* Mail with an id of ours is only ours when the caller can tell. */
static void
test_own_id_without_predicate (void)
{
	g_autoptr (TgMessage) msg = parse_mail (
		HUMAN_FROM "Message-ID: <" OWN_ID ">\nSubject: x\n\nbody\n");

	g_assert_cmpint (
		tg_classify_machine (msg, CUSTOMER, SUPPORT, NULL, NULL), ==,
		TG_MACHINE_NONE);
	g_assert_cmpint (tg_classify_machine (msg, CUSTOMER, SUPPORT, is_own_id,
					      (gpointer) "help@other.example"),
			 ==, TG_MACHINE_NONE);
	g_assert_cmpint (tg_classify_machine (msg, CUSTOMER, SUPPORT, is_own_id,
					      (gpointer)SUPPORT),
			 ==, TG_MACHINE_OWN);
}

/* Without a support address the loop header cannot be ours. */
static void
test_loop_without_support_address (void)
{
	g_autoptr (TgMessage) msg =
		parse_mail ("X-Ticketgate-Loop: " SUPPORT "\n" HUMAN);

	g_assert_cmpint (tg_classify_machine (msg, CUSTOMER, NULL, NULL, NULL),
			 ==, TG_MACHINE_NONE);
}

typedef struct {
	TgMachineReason reason;
	const char *want;
} NameRow;

static const NameRow name_rows[] = {
	{TG_MACHINE_NONE, "none"},
	{TG_MACHINE_OWN, "own-mail"},
	{TG_MACHINE_DSN, "dsn"},
	{TG_MACHINE_MDN, "mdn"},
	{TG_MACHINE_NULL_SENDER, "null-sender"},
	{TG_MACHINE_DAEMON, "daemon-sender"},
	{TG_MACHINE_AUTO_SUBMITTED, "auto-submitted"},
	{TG_MACHINE_PRECEDENCE, "precedence"},
	{TG_MACHINE_LIST, "list"},
	{TG_MACHINE_VENDOR, "auto-reply-header"},
};

static void
test_reason_names (void)
{
	for (gsize i = 0; i < G_N_ELEMENTS (name_rows); i++) {
		const char *got =
			tg_classify_reason_to_string (name_rows[i].reason);

		if (g_strcmp0 (got, name_rows[i].want) != 0)
			tg_test_fail_row ("%d: got \"%s\", want \"%s\"",
				  name_rows[i].reason, got, name_rows[i].want);
	}
}

int
main (int argc, char **argv)
{
	int status;

	g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
	tg_message_init ();

	for (gsize i = 0; i < G_N_ELEMENTS (rows); i++) {
		g_autofree char *path =
			g_strdup_printf ("/classify/machine/%s", rows[i].label);

		g_test_add_data_func (path, &rows[i], test_row);
	}
	g_test_add_func ("/classify/own/id-needs-predicate",
			 test_own_id_without_predicate);
	g_test_add_func ("/classify/own/loop-without-support-address",
			 test_loop_without_support_address);
	g_test_add_func ("/classify/reason/names", test_reason_names);
	status = g_test_run ();
	tg_message_shutdown ();
	return status;
}
