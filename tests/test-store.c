/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test-store: the store against a real PostgreSQL (a private cluster for
 * this binary, a fresh database per test case): identification, plans in
 * force, threading lookups, the delivery writes, the outbox, error
 * classes and the admin functions.
 */
#include "tgtest.h"

#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "message.h"
#include "spool.h"
#include "store.h"

#include "owner.h"

typedef struct {
	char *conninfo;
	TgStore *store;
	PGconn *raw; /* for assertions and setup */
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
	g_autoptr (GError) error = NULL;

	f->conninfo = tg_test_db_fresh ();
	f->store = tg_store_connect (f->conninfo, "test-store", 5, 30, &error);
	g_assert_no_error (error);
	f->raw = PQconnectdb (f->conninfo);
	g_assert_cmpint (PQstatus (f->raw), ==, CONNECTION_OK);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
	tg_store_free (f->store);
	PQfinish (f->raw);
	g_free (f->conninfo);
}

/* Runs SQL for setup; fails the test on error. */
static void
exec_sql (Fixture *f, const char *sql)
{
	PGresult *res = PQexec (f->raw, sql);
	ExecStatusType st = PQresultStatus (res);

	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
		g_error ("%s: %s", sql, PQerrorMessage (f->raw));
	PQclear (res);
}

/* The first value of a query, as text ("" for NULL). */
static char *
query (Fixture *f, const char *sql)
{
	PGresult *res = PQexec (f->raw, sql);
	char *value;

	if (PQresultStatus (res) != PGRES_TUPLES_OK)
		g_error ("%s: %s", sql, PQerrorMessage (f->raw));
	value = g_strdup (PQntuples (res) ? PQgetvalue (res, 0, 0) : "");
	PQclear (res);
	return value;
}

static void
set_date (GDate *d, int y, int m, int day)
{
	g_date_clear (d, 1);
	g_date_set_dmy (d, day, m, y);
}

static void
seed (Fixture *f)
{
	exec_sql (f,
		  "INSERT INTO customers (id, name) VALUES (1, 'ACME'), (2, 'Sub'),"
		  " (3, 'Unpaid');"
		  "INSERT INTO contacts VALUES ('jane@acme.example', 1, 'Jane'),"
		  " ('boss@sub.example', 1, 'Boss');"
		  "INSERT INTO customer_domains VALUES ('acme.example', 1),"
		  " ('sub.example', 2), ('lab.sub.example', 1), ('unpaid.example', 3);"
		  "INSERT INTO subscriptions (customer_id, plan, valid_from, valid_until)"
		  " VALUES (1, 'GOLD', '2026-01-01', '2026-06-30'),"
		  "        (1, 'BRONZE', '2026-01-01', NULL),"
		  "        (2, 'SILVER', '2026-03-01', '2026-03-31'),"
		  "        (3, 'NONE', '2026-01-01', NULL),"
		  "        (3, 'FREE', '2026-02-01', NULL);"
		  "INSERT INTO staff VALUES ('alice@desk.example', 'Alice', true),"
		  " ('gone@desk.example', 'Gone', false);");
}

/* ---- connecting ---------------------------------------------------- */

static void
test_connect_errors (void)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (TgStore) store = NULL;

	store = tg_store_connect ("host=/nonexistent dbname=x", "t", 2, 0,
				  &error);
	g_assert_null (store);
	g_assert_error (error, TG_STORE_ERROR, TG_STORE_ERROR_TEMPORARY);
	g_clear_error (&error);
	store = tg_store_connect ("nonsense_option=1", "t", 2, 0, &error);
	g_assert_null (store);
	g_assert_error (error, TG_STORE_ERROR, TG_STORE_ERROR_FAILED);
}

/* ---- identification ------------------------------------------------ */

typedef struct {
	const char *label;
	const char *address;
	int y, m, d;
	gboolean staff;
	gint64 customer;
	TgCustomerMatch how;
	const char *plan; /* NULL: none */
} IdentifyRow;

static const IdentifyRow identify_rows[] = {
	{ "contact, GOLD in force", "jane@acme.example", 2026, 3, 1, FALSE, 1,
	  TG_MATCH_ADDRESS, "GOLD" },
	{ "GOLD last day inclusive", "jane@acme.example", 2026, 6, 30, FALSE,
	  1, TG_MATCH_ADDRESS, "GOLD" },
	{ "after GOLD: BRONZE", "jane@acme.example", 2026, 7, 1, FALSE, 1,
	  TG_MATCH_ADDRESS, "BRONZE" },
	{ "before any plan", "jane@acme.example", 2025, 12, 31, FALSE, 1,
	  TG_MATCH_ADDRESS, NULL },
	{ "domain", "bob@acme.example", 2026, 3, 1, FALSE, 1, TG_MATCH_DOMAIN,
	  "GOLD" },
	{ "parent domain", "x@mail.eu.acme.example", 2026, 3, 1, FALSE, 1,
	  TG_MATCH_DOMAIN, "GOLD" },
	{ "the most specific domain wins", "a@x.lab.sub.example", 2026, 3, 31,
	  FALSE, 1, TG_MATCH_DOMAIN, "GOLD" },
	{ "its parent belongs to another", "a@y.sub.example", 2026, 3, 31,
	  FALSE, 2, TG_MATCH_DOMAIN, "SILVER" },
	{ "an address wins over a domain", "boss@sub.example", 2026, 3, 31,
	  FALSE, 1, TG_MATCH_ADDRESS, "GOLD" },
	{ "other customer's plan ended", "a@sub.example", 2026, 4, 1, FALSE,
	  2, TG_MATCH_DOMAIN, NULL },
	{ "other customer in force", "a@sub.example", 2026, 3, 31, FALSE, 2,
	  TG_MATCH_DOMAIN, "SILVER" },
	{ "equal ranks: the one in force", "a@unpaid.example", 2026, 1, 15,
	  FALSE, 3, TG_MATCH_DOMAIN, "NONE" },
	{ "equal ranks: the latest", "a@unpaid.example", 2026, 3, 1, FALSE, 3,
	  TG_MATCH_DOMAIN, "FREE" },
	{ "staff", "alice@desk.example", 2026, 3, 1, TRUE, 0, TG_MATCH_NONE,
	  NULL },
	{ "inactive staff", "gone@desk.example", 2026, 3, 1, FALSE, 0,
	  TG_MATCH_NONE, NULL },
	{ "stranger", "who@example.org", 2026, 3, 1, FALSE, 0, TG_MATCH_NONE,
	  NULL },
	{ "top-level domain only", "x@example", 2026, 3, 1, FALSE, 0,
	  TG_MATCH_NONE, NULL },
};

static void
test_identify (Fixture *f, gconstpointer data)
{
	seed (f);
	for (gsize i = 0; i < G_N_ELEMENTS (identify_rows); i++) {
		const IdentifyRow *row = &identify_rows[i];
		g_autoptr (GError) error = NULL;
		TgIdentity who = { 0 };
		GDate day;

		set_date (&day, row->y, row->m, row->d);
		g_test_message ("row %s", row->label);
		g_assert_true (tg_store_identify (f->store, row->address, &day,
						  "nokey", &who, NULL, &error));
		g_assert_no_error (error);
		g_assert_cmpint (who.is_staff, ==, row->staff);
		g_assert_cmpint (who.customer_id, ==, row->customer);
		g_assert_cmpint (who.matched_by, ==, row->how);
		g_assert_cmpstr (who.plan ? who.plan->name : NULL, ==,
				 row->plan);
		g_assert_cmpstr (who.customer_name, ==,
				 row->customer == 1   ? "ACME"
				 : row->customer == 2 ? "Sub"
				 : row->customer == 3 ? "Unpaid"
						      : NULL);
		g_assert_cmpstr (who.staff_name, ==,
				 row->staff ? "Alice" : NULL);
		g_assert_false (who.is_duplicate);
		tg_identity_clear (&who);
	}
}

static void
test_plans (Fixture *f, gconstpointer data)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (TgPlan) gold = tg_store_get_plan (f->store, "GOLD", &error);
	g_autoptr (TgPlan) none = tg_store_get_plan (f->store, "NONE", &error);
	g_autoptr (TgPlan) missing = NULL;
	g_autoptr (GPtrArray) all = NULL;

	g_assert_no_error (error);
	g_assert_cmpint (gold->reaction_minutes, ==, 180);
	g_assert_true (gold->email_support);
	g_assert_null (gold->hourly_rate);
	g_assert_cmpint (none->reaction_minutes, ==, 0);
	g_assert_false (none->email_support);
	g_assert_cmpstr (none->hourly_rate, ==, "50.00");
	g_assert_cmpstr (none->currency, ==, "EUR");
	missing = tg_store_get_plan (f->store, "DIAMOND", &error);
	g_assert_null (missing);
	g_assert_error (error, TG_STORE_ERROR, TG_STORE_ERROR_NOT_FOUND);
	g_clear_error (&error);
	all = tg_store_list_plans (f->store, &error);
	g_assert_cmpuint (all->len, ==, 6);
	g_assert_cmpstr (((TgPlan *) all->pdata[0])->name, ==, "PLATINUM");
}

/* ---- the desk snapshot --------------------------------------------- */

/* The desk as tg_store_identify() reads it. */
static TgDesk *
read_desk (Fixture *f)
{
	g_autoptr (GError) error = NULL;
	TgIdentity who = { 0 };
	TgDesk *desk = NULL;
	GDate day;

	set_date (&day, 2026, 3, 1);
	g_assert_true (tg_store_identify (f->store, "alice@desk.example", &day,
					  "nokey", &who, &desk, &error));
	g_assert_no_error (error);
	g_assert_nonnull (desk);
	tg_identity_clear (&who);
	return desk;
}

static void
assert_holiday (const TgDesk *desk, guint i, int y, int m, int d,
		const char *name)
{
	const TgHoliday *h;

	g_assert_cmpuint (i, <, desk->holidays->len);
	h = &g_array_index (desk->holidays, TgHoliday, i);
	g_assert_cmpint (g_date_get_year (&h->date), ==, y);
	g_assert_cmpint (g_date_get_month (&h->date), ==, m);
	g_assert_cmpint (g_date_get_day (&h->date), ==, d);
	g_assert_cmpstr (h->name, ==, name);
}

/* Every plan of the copy equals the plans table's, field by field. */
static void
assert_plans_copied (Fixture *f, const TgDesk *desk)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (GPtrArray) table = tg_store_list_plans (f->store, &error);

	g_assert_no_error (error);
	g_assert_cmpuint (desk->plans->len, ==, table->len);
	for (guint i = 0; i < table->len; i++) {
		const TgPlan *want = table->pdata[i];
		const TgPlan *got = desk->plans->pdata[i];

		g_assert_cmpstr (got->name, ==, want->name);
		g_assert_cmpint (got->rank, ==, want->rank);
		g_assert_cmpint (got->reaction_minutes, ==,
				 want->reaction_minutes);
		g_assert_cmpint (got->email_support, ==, want->email_support);
		g_assert_cmpint (got->full_service, ==, want->full_service);
		g_assert_cmpstr (got->hourly_rate, ==, want->hourly_rate);
		g_assert_cmpstr (got->currency, ==, want->currency);
		g_assert_cmpstr (got->description, ==, want->description);
	}
}

static void
assert_rule (const TgDesk *desk, guint i, const char *topic,
	     const char *pattern, const char *plans, const char *rule)
{
	const TgScopeRuleRow *r;
	g_autofree char *joined = NULL;

	g_assert_cmpuint (i, <, desk->rules->len);
	r = desk->rules->pdata[i];
	g_assert_cmpstr (r->topic, ==, topic);
	g_assert_cmpstr (r->pattern, ==, pattern);
	g_assert_cmpstr (r->rule, ==, rule);
	joined = r->plans ? g_strjoinv (",", r->plans) : NULL;
	g_assert_cmpstr (joined, ==, plans);
}

static void
test_desk (Fixture *f, gconstpointer data)
{
	g_autoptr (TgDesk) desk = NULL;
	g_autoptr (TgDesk) later = NULL;
	g_autoptr (TgPlan) gold = NULL;

	seed (f);
	exec_sql (f, "TRUNCATE scope_rules;"
		     "INSERT INTO holidays VALUES ('2026-12-25', 'Christmas'),"
		     " ('2026-01-01', 'New Year');"
		     "INSERT INTO scope_rules (topic, pattern, plans, rule) VALUES"
		     " ('SAP', 'sap\\s+r/3', NULL, 'never'),"
		     " ('Lync', 'lync', '{GOLD,SILVER}', 'not on GOLD'),"
		     " ('none', 'x', '{}', 'no plan');");
	desk = read_desk (f);
	assert_plans_copied (f, desk);
	g_assert_cmpstr (((TgPlan *) desk->plans->pdata[0])->name, ==,
			 "PLATINUM");
	g_assert_cmpuint (desk->holidays->len, ==, 2);
	assert_holiday (desk, 0, 2026, 1, 1, "New Year");
	assert_holiday (desk, 1, 2026, 12, 25, "Christmas");
	g_assert_cmpuint (desk->rules->len, ==, 3);
	assert_rule (desk, 0, "SAP", "sap\\s+r/3", NULL, "never");
	assert_rule (desk, 1, "Lync", "lync", "GOLD,SILVER", "not on GOLD");
	assert_rule (desk, 2, "none", "x", "", "no plan");
	g_assert_cmpuint (g_hash_table_size (desk->staff), ==, 1);
	g_assert_cmpstr (g_hash_table_lookup (desk->staff, "alice@desk.example"),
			 ==, "Alice");
	gold = tg_desk_find_plan (desk, "GOLD");
	g_assert_cmpint (gold->reaction_minutes, ==, 180);
	g_assert_null (tg_desk_find_plan (desk, "DIAMOND"));

	/* Every change to the four tables reaches the copy. */
	exec_sql (f, "UPDATE staff SET active = NOT active;"
		     "DELETE FROM holidays WHERE name = 'New Year';"
		     "UPDATE plans SET reaction_minutes = 120, hourly_rate = 75.5"
		     " WHERE name = 'GOLD';"
		     "DELETE FROM scope_rules WHERE topic <> 'Lync';");
	later = read_desk (f);
	assert_plans_copied (f, later);
	g_clear_pointer (&gold, tg_plan_free);
	gold = tg_desk_find_plan (later, "GOLD");
	g_assert_cmpint (gold->reaction_minutes, ==, 120);
	g_assert_cmpstr (gold->hourly_rate, ==, "75.50");
	g_assert_cmpuint (later->holidays->len, ==, 1);
	assert_holiday (later, 0, 2026, 12, 25, "Christmas");
	g_assert_cmpuint (later->rules->len, ==, 1);
	assert_rule (later, 0, "Lync", "lync", "GOLD,SILVER", "not on GOLD");
	g_assert_false (g_hash_table_contains (later->staff,
					       "alice@desk.example"));
	g_assert_true (g_hash_table_contains (later->staff,
					      "gone@desk.example"));
}

/* A change that bypassed the triggers is seen, and a refresh mends it. */
static void
test_desk_in_step (Fixture *f, gconstpointer data)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (TgDesk) desk = NULL;
	gboolean in_step = FALSE;

	seed (f);
	g_assert_true (tg_store_desk_in_step (f->store, &in_step, &error));
	g_assert_no_error (error);
	g_assert_true (in_step);
	exec_sql (f, "ALTER TABLE plans DISABLE TRIGGER desk_snapshot;"
		     "UPDATE plans SET description = 'changed' WHERE name = 'GOLD';"
		     "ALTER TABLE plans ENABLE TRIGGER desk_snapshot;");
	g_assert_true (tg_store_desk_in_step (f->store, &in_step, &error));
	g_assert_false (in_step);
	g_assert_true (tg_store_refresh_desk (f->store, &error));
	g_assert_no_error (error);
	g_assert_true (tg_store_desk_in_step (f->store, &in_step, &error));
	g_assert_true (in_step);
	desk = read_desk (f);
	assert_plans_copied (f, desk);
}

/* Two transactions changing the desk at once: the second waits for the
 * first and its copy holds both changes, once each. */
static void
test_desk_concurrent (Fixture *f, gconstpointer data)
{
	PGconn *a = PQconnectdb (f->conninfo);
	PGconn *b = PQconnectdb (f->conninfo);
	g_autofree char *pid = g_strdup_printf ("%d", PQbackendPID (b));
	g_autofree char *count = NULL;
	g_autofree char *wait = NULL;
	PGresult *res;

	PQclear (PQexec (a, "BEGIN"));
	PQclear (PQexec (a, "INSERT INTO holidays VALUES ('2026-05-01', 'May')"));
	g_assert_true (PQsendQuery (
		b, "INSERT INTO holidays VALUES ('2026-10-03', 'Unity')"));
	for (int i = 0; i < 500; i++) {
		g_autofree char *sql = g_strdup_printf (
			"SELECT wait_event_type FROM pg_stat_activity"
			" WHERE pid = %s",
			pid);

		g_free (wait);
		wait = query (f, sql);
		if (strcmp (wait, "Lock") == 0)
			break;
		g_usleep (10000);
	}
	g_assert_cmpstr (wait, ==, "Lock");
	PQclear (PQexec (a, "COMMIT"));
	while ((res = PQgetResult (b)) != NULL) {
		g_assert_cmpint (PQresultStatus (res), ==, PGRES_COMMAND_OK);
		PQclear (res);
	}
	count = query (f, "SELECT string_agg(c1, ',' ORDER BY c1)"
			  " FROM desk_snapshot WHERE kind = 'holiday'");
	g_assert_cmpstr (count, ==, "2026-05-01,2026-10-03");
	PQfinish (a);
	PQfinish (b);
}

/* ---- delivering ---------------------------------------------------- */

static const char mail_text[] =
	"From: Jane <jane@acme.example>\n"
	"To: support@desk.example, carl@acme.example\n"
	"Subject: Server down\n"
	"Message-ID: <m1@acme.example>\n"
	"MIME-Version: 1.0\n"
	"Content-Type: multipart/mixed; boundary=b\n"
	"\n"
	"--b\n"
	"Content-Type: text/plain\n"
	"\n"
	"Help.\n"
	"--b\n"
	"Content-Type: application/pdf; name=a.pdf\n"
	"Content-Disposition: attachment; filename=a.pdf\n"
	"\n"
	"PDFDATA\n"
	"--b--\n";

static gint64
new_ticket (Fixture *f, const char *subject, const TgPlan *plan, int priority,
	    GDateTime *received, GDateTime *due, gint64 *number_out)
{
	g_autoptr (GError) error = NULL;
	const char *flags[] = { "VPN configuration", NULL };
	TgNewTicket t = {
		.requester = "jane@acme.example",
		.requester_name = "Jane",
		.reply_address = "jane@acme.example",
		.customer_id = 1,
		.subject = subject,
		.priority = priority,
		.plan = plan,
		.billable = plan == NULL || !plan->email_support,
		.scope_flags = flags,
		.received_at = received,
		.response_due_at = due,
	};
	gint64 id = 0, number = 0;

	g_assert_true (tg_store_create_ticket (f->store, &t, &id, &number,
					       &error));
	g_assert_no_error (error);
	if (number_out != NULL)
		*number_out = number;
	return id;
}

/* Stores @spool as a customer's mail received at @at (NULL: now). */
static gboolean
add_mail_at (Fixture *f, gint64 ticket_id, const TgSpool *spool,
	     const char *key, GDateTime *at, GError **error)
{
	g_autoptr (TgMessage) msg = tg_message_parse (spool, NULL);
	g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
	gint64 row = 0;
	TgIncoming in = {
		.ticket_id = ticket_id,
		.kind = TG_KIND_CUSTOMER,
		.msg = msg,
		.raw = spool,
		.dedup_key = key,
		.envelope_sender = "jane@acme.example",
		.envelope_recipient = "support@desk.example",
		.priority = 2,
		.received_at = at != NULL ? at : now,
	};

	return tg_store_add_incoming (f->store, &in, &row, error);
}

static gboolean
add_mail (Fixture *f, gint64 ticket_id, const TgSpool *spool,
	  const char *key, GError **error)
{
	return add_mail_at (f, ticket_id, spool, key, NULL, error);
}

static void
test_delivery (Fixture *f, gconstpointer data)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (TgSpool) spool =
		tg_spool_new_from_data (mail_text, sizeof mail_text - 1);
	g_autoptr (TgPlan) gold = tg_store_get_plan (f->store, "GOLD", NULL);
	g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
	g_autoptr (GDateTime) due = g_date_time_add_hours (now, 3);
	g_autoptr (TgTicket) t = NULL;
	g_autoptr (GPtrArray) msgs = NULL;
	g_autofree char *md5 = g_compute_checksum_for_data (
		G_CHECKSUM_MD5, (const guchar *) mail_text, sizeof mail_text - 1);
	g_autofree char *stored_md5 = NULL;
	const char *cc[] = { "carl@acme.example", "carl@acme.example", NULL };
	gint64 number = 0, id;

	seed (f);
	id = new_ticket (f, "Server down", gold, 1, now, due, &number);
	g_assert_cmpint (number, ==, 1000);
	g_assert_true (tg_store_begin (f->store, &error));
	g_assert_true (add_mail (f, id, spool, "key1", &error));
	g_assert_true (tg_store_add_cc (f->store, id, cc, &error));
	g_assert_true (tg_store_commit (f->store, &error));
	g_assert_no_error (error);

	stored_md5 = query (f, "SELECT md5(raw) FROM messages");
	g_assert_cmpstr (stored_md5, ==, md5);
	t = tg_store_get_ticket (f->store, 1000, &error);
	g_assert_no_error (error);
	g_assert_cmpstr (t->plan_name, ==, "GOLD");
	g_assert_cmpint (t->reaction_minutes, ==, 180);
	g_assert_false (t->billable);
	g_assert_cmpstr (t->customer_name, ==, "ACME");
	g_assert_cmpstr (t->scope_flags[0], ==, "VPN configuration");
	g_assert_cmpstr (t->cc[0], ==, "carl@acme.example");
	g_assert_null (t->cc[1]);
	g_assert_cmpint (g_date_time_difference (t->response_due_at, due), ==, 0);
	g_assert_cmpstr (t->last_message_id, ==, "m1@acme.example");

	msgs = tg_store_list_messages (f->store, id, &error);
	g_assert_cmpuint (msgs->len, ==, 1);
	{
		TgStoredMessage *m = msgs->pdata[0];
		TgAttachment *a = m->attachments->pdata[0];

		g_assert_cmpstr (m->kind, ==, "customer");
		g_assert_cmpuint (m->attachments->len, ==, 1);
		g_assert_cmpstr (a->filename, ==, "a.pdf");
		g_assert_cmpstr (a->content_type, ==, "application/pdf");
	}
}

static void
test_duplicate (Fixture *f, gconstpointer data)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (TgSpool) spool =
		tg_spool_new_from_data (mail_text, sizeof mail_text - 1);
	TgIdentity who = { 0 };
	GDate day;

	seed (f);
	g_assert_true (add_mail (f, 0, spool, "same", &error));
	g_assert_false (add_mail (f, 0, spool, "same", &error));
	g_assert_error (error, TG_STORE_ERROR, TG_STORE_ERROR_DUPLICATE);
	set_date (&day, 2026, 3, 1);
	g_clear_error (&error);
	g_assert_true (tg_store_identify (f->store, "jane@acme.example", &day,
					  "same", &who, NULL, &error));
	g_assert_true (who.is_duplicate);
	tg_identity_clear (&who);
}

/* A mail whose columns could trip an encoder: backslashes and a Latin-1
 * byte in the subject (whose tab the parser makes a space), a tab,
 * backslashes and blank lines in the body, two recipients. */
static const char escaped_mail_text[] =
	"From: Jane <jane@acme.example>\n"
	"To: support@desk.example, \"Carl \\\"C\\\"\" <carl@acme.example>\n"
	"Subject: C:\\temp\\new\tfolder, caf\xe9\n"
	"Message-ID: <m2@acme.example>\n"
	"MIME-Version: 1.0\n"
	"Content-Type: multipart/mixed; boundary=b\n"
	"\n"
	"--b\n"
	"Content-Type: text/plain\n"
	"\n"
	"col1\tcol2\\n\n"
	"\n"
	"\\N\n"
	"--b\n"
	"Content-Type: application/pdf; name=a.pdf\n"
	"Content-Disposition: attachment; filename=a.pdf\n"
	"\n"
	"PDFDATA\n"
	"--b--\n";

/* Spools @data through a pipe with a 4 KiB memory bound, so that it goes
 * to a file. */
static TgSpool *
spool_to_file (const GByteArray *data)
{
	g_autoptr (GError) error = NULL;
	TgSpool *spool;
	int fds[2];

	g_assert_cmpint (pipe (fds), ==, 0);
	if (fork () == 0) {
		close (fds[0]);
		g_assert_cmpint (write (fds[1], data->data, data->len), ==,
				 (gssize) data->len);
		_exit (0);
	}
	close (fds[1]);
	spool = tg_spool_read_fd (fds[0], 0, 4096, NULL, &error);
	close (fds[0]);
	g_assert_no_error (error);
	g_assert_cmpint (tg_spool_get_fd (spool), >=, 0);
	return spool;
}

/* The escaped mail followed by 300 KB of every byte value, NULs too. */
static GByteArray *
big_mail (void)
{
	GByteArray *big = g_byte_array_new ();

	g_byte_array_append (big, (const guint8 *) escaped_mail_text,
			     sizeof escaped_mail_text - 1);
	for (int i = 0; i < 300 * 1024; i++) {
		guint8 b = (guint8) (i * 7);

		g_byte_array_append (big, &b, 1);
	}
	return big;
}

/* Mail spooled to a file is streamed into its row with COPY: the bytes
 * (NULs, 8-bit, 300 KB) arrive unchanged, every other column as the
 * in-memory INSERT stores it (the time to the microsecond), the
 * attachments follow, and a second copy of the same mail is a
 * duplicate. */
static void
test_copy_raw (Fixture *f, gconstpointer data)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (GByteArray) big = big_mail ();
	g_autoptr (TgSpool) spool = NULL;
	g_autoptr (TgSpool) small = tg_spool_new_from_data (
		escaped_mail_text, sizeof escaped_mail_text - 1);
	g_autofree char *md5 = NULL;
	g_autofree char *stored = NULL;
	g_autofree char *len = NULL;
	g_autofree char *want = NULL;
	g_autofree char *same = NULL;
	g_autofree char *want_same = NULL;
	g_autofree char *subject = NULL;
	g_autofree char *files = NULL;
	g_autoptr (GDateTime) at =
		g_date_time_new_from_iso8601 ("2026-03-04T05:06:07.123456Z", NULL);
	gint64 ticket;

	seed (f);
	ticket = new_ticket (f, "Copy", NULL, 1, at, NULL, NULL);
	md5 = g_compute_checksum_for_data (G_CHECKSUM_MD5, big->data, big->len);
	spool = spool_to_file (big);
	g_assert_true (tg_store_begin (f->store, &error));
	g_assert_true (add_mail_at (f, ticket, spool, "big", at, &error));
	g_assert_true (add_mail_at (f, ticket, small, "small", at, &error));
	g_assert_true (tg_store_commit (f->store, &error));
	g_assert_no_error (error);
	stored = query (f, "SELECT md5(raw) FROM messages WHERE dedup_key = 'big'");
	len = query (f, "SELECT length(raw) || '/' || size FROM messages"
			" WHERE dedup_key = 'big'");
	g_assert_cmpstr (stored, ==, md5);
	want = g_strdup_printf ("%u/%u", big->len, big->len);
	g_assert_cmpstr (len, ==, want);
	same = query (f, "SELECT count(DISTINCT (ticket_id, direction, kind,"
			 " message_id, envelope_sender, envelope_recipient,"
			 " sender, recipients, subject, body_text, priority,"
			 " received_at, note))"
			 " || '/' || count(*) || '/' || min(ticket_id)"
			 " || '/' || min(priority) || '/'"
			 " || to_char(min(received_at) AT TIME ZONE 'UTC',"
			 "  'YYYY-MM-DD HH24:MI:SS.US') FROM messages");
	want_same = g_strdup_printf ("1/2/%" G_GINT64_FORMAT
				     "/2/2026-03-04 05:06:07.123456", ticket);
	g_assert_cmpstr (same, ==, want_same);
	subject = query (f, "SELECT subject || '|' || body_text || '|'"
			    " || array_to_string(recipients, ',')"
			    " FROM messages WHERE dedup_key = 'big'");
	g_assert_cmpstr (subject, ==,
			 "C:\\temp\\new folder, caf\xc3\xa9|col1\tcol2\\n\n\n\\N|"
			 "support@desk.example,carl@acme.example");
	files = query (f, "SELECT string_agg(m.dedup_key || ':' || a.filename,"
			  " ',' ORDER BY m.dedup_key) FROM attachments a"
			  " JOIN messages m ON m.id = a.message_id");
	g_assert_cmpstr (files, ==, "big:a.pdf,small:a.pdf");
	g_assert_true (tg_store_begin (f->store, &error));
	g_assert_false (add_mail (f, 0, spool, "big", &error));
	g_assert_error (error, TG_STORE_ERROR, TG_STORE_ERROR_DUPLICATE);
	tg_store_rollback (f->store);
}

/* A spool file that comes up short in the middle of the COPY (a disk
 * error, say): the COPY is aborted with a temporary error, so that
 * deliver rolls back and Postfix retries; nothing of the mail stays, and
 * the retry, whole, is stored and not taken for a duplicate. */
static void
test_copy_short_spool (Fixture *f, gconstpointer data)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (GByteArray) big = big_mail ();
	g_autoptr (TgSpool) cut = spool_to_file (big);
	g_autoptr (TgSpool) whole = spool_to_file (big);
	g_autofree char *left = NULL;
	g_autofree char *stored = NULL;
	g_autofree char *want = g_strdup_printf ("1/%u", big->len);

	seed (f);
	g_assert_cmpint (ftruncate (tg_spool_get_fd (cut), big->len / 2), ==,
			 0);
	g_assert_true (tg_store_begin (f->store, &error));
	g_assert_false (add_mail (f, 0, cut, "cut", &error));
	g_assert_error (error, TG_STORE_ERROR, TG_STORE_ERROR_TEMPORARY);
	g_assert_nonnull (strstr (error->message, "spool ended early"));
	tg_store_rollback (f->store);
	g_clear_error (&error);
	left = query (f, "SELECT count(*) FROM messages");
	g_assert_cmpstr (left, ==, "0");
	g_assert_true (tg_store_begin (f->store, &error));
	g_assert_true (add_mail (f, 0, whole, "cut", &error));
	g_assert_true (tg_store_commit (f->store, &error));
	g_assert_no_error (error);
	stored = query (f, "SELECT count(*) || '/' || length(raw) FROM messages"
			   " WHERE dedup_key = 'cut' GROUP BY raw");
	g_assert_cmpstr (stored, ==, want);
}

/* Asserts that @ids lead a mail from @sender to tickets @want (numbers,
 * in order, 0-terminated). */
static void
assert_lookup (Fixture *f, const char *const *ids, guint n, const char *sender,
	       const gint64 *want)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (GPtrArray) found = tg_store_find_tickets_by_message_ids (
		f->store, ids, n, sender, 5, &error);
	guint k = 0;

	g_assert_no_error (error);
	for (; want[k] != 0; k++) {
		g_assert_cmpuint (k, <, found->len);
		g_assert_cmpint (((TgTicket *) found->pdata[k])->number, ==,
				 want[k]);
	}
	g_assert_cmpuint (found->len, ==, k);
}

/* A held mail with @key and @spool's Message-ID on @ticket_id. */
static void
add_held (Fixture *f, gint64 ticket_id, const TgSpool *spool, const char *key)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (TgMessage) msg = tg_message_parse (spool, NULL);
	g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
	gint64 row = 0;
	TgIncoming in = { .ticket_id = ticket_id, .kind = TG_KIND_HELD,
			  .msg = msg, .raw = spool, .dedup_key = key,
			  .priority = 2, .received_at = now };

	g_assert_true (tg_store_add_incoming (f->store, &in, &row, &error));
	g_assert_no_error (error);
}

/* The bytes of a spool, for comparing. */
static GByteArray *
spool_bytes (const TgSpool *spool)
{
	GByteArray *out = g_byte_array_sized_new (tg_spool_get_size (spool));
	guint8 buf[65536];
	gssize n;

	for (goffset off = 0;
	     (n = tg_spool_read_at (spool, off, buf, sizeof buf, NULL)) > 0;
	     off += n)
		g_byte_array_append (out, buf, (guint) n);
	g_assert_cmpint (n, ==, 0);
	return out;
}

/* A stored mail read back, a slice (4 MiB) at a time, into a spool that
 * goes to a file beyond its memory bound: the same bytes whatever the
 * size, on either side of a slice's end; a row that is not there is
 * NOT_FOUND. */
static void
test_read_raw (Fixture *f, gconstpointer data)
{
	static const struct {
		const char *label;
		gsize size;
	} rows[] = {
		{ "small", 0 },
		{ "one slice", 4 * 1024 * 1024 },
		{ "one slice and a byte", 4 * 1024 * 1024 + 1 },
		{ "two slices and more", 9 * 1024 * 1024 + 17 },
	};
	g_autoptr (GError) error = NULL;
	g_autoptr (TgSpool) none = NULL;

	seed (f);
	for (gsize i = 0; i < G_N_ELEMENTS (rows); i++) {
		g_autoptr (GByteArray) mail = g_byte_array_new ();
		g_autoptr (TgSpool) spool = NULL;
		g_autoptr (TgSpool) back = NULL;
		g_autoptr (GByteArray) got = NULL;
		g_autofree char *key = g_strdup_printf ("raw-%zu", i);
		g_autofree char *sql = g_strdup_printf (
			"SELECT id FROM messages WHERE dedup_key = '%s'", key);
		g_autofree char *id = NULL;

		g_byte_array_append (mail, (const guint8 *) mail_text,
				     sizeof mail_text - 1);
		while (mail->len < rows[i].size) {
			guint8 b = (guint8) (mail->len * 31 + i);

			g_byte_array_append (mail, &b, 1);
		}
		spool = tg_spool_new_from_data (mail->data, mail->len);
		g_assert_true (add_mail (f, 0, spool, key, &error));
		g_assert_no_error (error);
		id = query (f, sql);
		back = tg_store_read_raw (f->store,
					  g_ascii_strtoll (id, NULL, 10),
					  64 * 1024, NULL, &error);
		g_assert_no_error (error);
		got = spool_bytes (back);
		if (got->len != mail->len ||
		    memcmp (got->data, mail->data, mail->len) != 0) {
			g_test_message ("%s: got %u bytes, want %u, or others",
					rows[i].label, got->len, mail->len);
			g_test_fail ();
		}
		g_assert_true ((tg_spool_get_fd (back) >= 0) ==
			       (mail->len > 64 * 1024));
	}
	none = tg_store_read_raw (f->store, 999999, 4096, NULL, &error);
	g_assert_null (none);
	g_assert_error (error, TG_STORE_ERROR, TG_STORE_ERROR_NOT_FOUND);
}

static void
test_thread_lookup (Fixture *f, gconstpointer data)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
	g_autoptr (TgTicket) t = NULL;
	const char *ids[] = { "m1@acme.example", "ours-1@desk.example",
			      "unknown@x" };
	const char *rcpts[] = { "jane@acme.example", NULL };
	g_autoptr (GBytes) content = g_bytes_new_static ("x\n", 2);
	gint64 n1 = 0, n2 = 0, n3 = 0, n4 = 0, t1, t2, t3, t4, outbox = 0;
	TgOutgoing out = { 0 };
	g_autoptr (TgSpool) spool =
		tg_spool_new_from_data (mail_text, sizeof mail_text - 1);
	static const char planted_text[] =
		"From: eve@evil.example\nMessage-ID: <m1@acme.example>\n\nx\n";
	g_autoptr (TgSpool) planted =
		tg_spool_new_from_data (planted_text, sizeof planted_text - 1);

	seed (f);
	t1 = new_ticket (f, "one", NULL, 2, now, NULL, &n1);
	t2 = new_ticket (f, "two", NULL, 2, now, NULL, &n2);
	g_assert_true (add_mail (f, t1, spool, "k1", &error));
	out = (TgOutgoing){ .ticket_id = t2, .kind = TG_KIND_ACK,
			    .message_id = "ours-1@desk.example",
			    .envelope_from = "support@desk.example",
			    .recipients = rcpts, .subject = "s",
			    .body_text = "b", .content = content };
	g_assert_true (tg_store_add_outgoing (f->store, &out, 600, &outbox, NULL,
					      &error));
	g_assert_no_error (error);
	/* Later ids win: the outgoing mail of ticket two, then one. */
	assert_lookup (f, ids, 3, "someone@else.example",
		       (gint64[]){ n2, n1, 0 });
	assert_lookup (f, ids + 2, 1, "jane@acme.example", (gint64[]){ 0 });
	/* A held mail never leads anywhere, whatever id it carried. */
	t3 = new_ticket (f, "three", NULL, 2, now, NULL, &n3);
	add_held (f, t3, planted, "k3");
	assert_lookup (f, ids, 1, "jane@acme.example", (gint64[]){ n1, 0 });
	/* The same id planted on a newer ticket by another writer: the
	 * ticket where the sender wrote it comes first, for the sender; for
	 * another writer the newer ticket does. */
	t4 = new_ticket (f, "four", NULL, 2, now, NULL, &n4);
	g_assert_true (add_mail (f, t4, planted, "k4", &error));
	assert_lookup (f, ids, 1, "jane@acme.example",
		       (gint64[]){ n1, n4, 0 });
	assert_lookup (f, ids, 1, "eve@evil.example",
		       (gint64[]){ n4, n1, 0 });
	(void) t3;
	t = tg_store_get_ticket (f->store, 999999, &error);
	g_assert_null (t);
	g_assert_error (error, TG_STORE_ERROR, TG_STORE_ERROR_NOT_FOUND);
}

/* While another connection holds the sender lock, an answer that may be
 * handed over is left unclaimed and wakes that connection at the commit;
 * one that may not, or one written while no sender runs, stays claimed
 * by its writer. */
static void
test_outbox_hand_over (Fixture *f, gconstpointer data)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (GBytes) content = g_bytes_new_static ("Subject: a\n\nb\n", 14);
	const char *rcpts[] = { "jane@acme.example", NULL };
	TgOutgoing out = { .kind = TG_KIND_ACK, .message_id = "h1@desk.example",
			   .envelope_from = "support@desk.example",
			   .recipients = rcpts, .subject = "a", .body_text = "b",
			   .content = content, .may_hand_over = TRUE };
	g_autoptr (TgStore) sender =
		tg_store_connect (f->conninfo, "test-sender", 5, 30, &error);
	g_autoptr (TgStore) second =
		tg_store_connect (f->conninfo, "test-sender-2", 5, 30, &error);
	gboolean got = FALSE, handed = TRUE, woken = TRUE;
	gint64 id = 0, until;
	g_autofree char *state = NULL;

	g_assert_no_error (error);
	/* No sender: claimed by the writer, nobody woken. */
	g_assert_true (tg_store_add_outgoing (f->store, &out, 600, &id, &handed,
					      &error));
	g_assert_false (handed);
	state = query (f, "SELECT claimed_by IS NOT NULL FROM outbox");
	g_assert_cmpstr (state, ==, "t");
	g_clear_pointer (&state, g_free);
	/* A sender: the lock is its, a second one does not get it. */
	g_assert_true (tg_store_sender_lock (sender, &got, &error));
	g_assert_true (got);
	g_assert_true (tg_store_sender_lock (second, &got, &error));
	g_assert_false (got);
	g_assert_true (tg_store_wait_for_answers (sender, 0, &woken, &error));
	g_assert_false (woken);
	out.message_id = "h2@desk.example";
	g_assert_true (tg_store_add_outgoing (f->store, &out, 600, &id, &handed,
					      &error));
	g_assert_true (handed);
	state = query (f, "SELECT coalesce(claimed_by, '-') ||"
			  " coalesce(claimed_until::text, '-') FROM outbox"
			  " WHERE message_id = (SELECT id FROM messages"
			  " WHERE message_id = 'h2@desk.example')");
	g_assert_cmpstr (state, ==, "--");
	g_assert_true (tg_store_wait_for_answers (sender, 5000, &woken, &error));
	g_assert_true (woken);
	/* One that may not be handed over (the deadline watch's notices)
	 * stays its writer's even now. */
	out.message_id = "h3@desk.example";
	out.may_hand_over = FALSE;
	g_assert_true (tg_store_add_outgoing (f->store, &out, 600, &id, &handed,
					      &error));
	g_assert_false (handed);
	/* The sender gone, the lock is free for the next: once its backend
	 * has ended the session, a moment after the client closed it. */
	g_clear_pointer (&sender, tg_store_free);
	until = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
	do {
		g_assert_true (tg_store_sender_lock (second, &got, &error));
		if (!got)
			g_usleep (G_USEC_PER_SEC / 100);
	} while (!got && g_get_monotonic_time () < until);
	g_assert_true (got);
	g_assert_no_error (error);
	(void) data;
}

static void
test_outbox (Fixture *f, gconstpointer data)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (GBytes) content = g_bytes_new_static ("Subject: a\n\nb\n", 14);
	g_autoptr (GPtrArray) due = NULL;
	const char *rcpts[] = { "jane@acme.example", "carl@acme.example", NULL };
	TgOutgoing out = { .kind = TG_KIND_ACK, .message_id = "o1@desk.example",
			   .envelope_from = "support@desk.example",
			   .recipients = rcpts, .subject = "a", .body_text = "b",
			   .content = content };
	g_autofree char *state = NULL;
	gint64 id = 0;

	g_assert_true (tg_store_add_outgoing (f->store, &out, 600, &id, NULL, &error));
	due = tg_store_claim_due (f->store, 10, 60, &error);
	g_assert_cmpuint (due->len, ==, 0); /* claimed by its writer */
	g_clear_pointer (&due, g_ptr_array_unref);

	exec_sql (f, "UPDATE outbox SET claimed_until = now() - interval '1s'");
	due = tg_store_claim_due (f->store, 10, 60, &error);
	g_assert_cmpuint (due->len, ==, 1);
	{
		TgOutboxItem *item = due->pdata[0];

		g_assert_cmpint (item->id, ==, id);
		g_assert_true (g_bytes_equal (item->content, content));
		g_assert_cmpstr (item->recipients[1], ==, "carl@acme.example");
		g_assert_cmpstr (item->envelope_from, ==, "support@desk.example");
	}
	g_clear_pointer (&due, g_ptr_array_unref);
	/* Claimed now: a second sweep gets nothing. */
	due = tg_store_claim_due (f->store, 10, 60, &error);
	g_assert_cmpuint (due->len, ==, 0);
	g_clear_pointer (&due, g_ptr_array_unref);

	g_assert_true (tg_store_outbox_failed (f->store, id, "full", 60, FALSE,
					       &error));
	due = tg_store_claim_due (f->store, 10, 60, &error);
	g_assert_cmpuint (due->len, ==, 0); /* not due for a minute */
	g_clear_pointer (&due, g_ptr_array_unref);
	exec_sql (f, "UPDATE outbox SET next_attempt_at = now()");
	due = tg_store_claim_due (f->store, 10, 60, &error);
	g_assert_cmpuint (due->len, ==, 1);
	g_assert_cmpint (((TgOutboxItem *) due->pdata[0])->attempts, ==, 1);
	g_assert_true (tg_store_outbox_sent (f->store, id, &error));
	state = query (f, "SELECT attempts || '|' || (sent_at IS NOT NULL) ||"
			  " '|' || coalesce(last_error, '-') FROM outbox");
	g_assert_cmpstr (state, ==, "2|true|-");
	g_clear_pointer (&state, g_free);

	exec_sql (f, "UPDATE outbox SET sent_at = NULL");
	g_assert_true (tg_store_outbox_failed (f->store, id, "gone", 60, TRUE,
					       &error));
	exec_sql (f, "UPDATE outbox SET next_attempt_at = now()");
	g_clear_pointer (&due, g_ptr_array_unref);
	due = tg_store_claim_due (f->store, 10, 60, &error);
	g_assert_cmpuint (due->len, ==, 0); /* given up */
	state = query (f, "SELECT (gave_up_at IS NOT NULL) || '|' || last_error"
			  " FROM outbox");
	g_assert_cmpstr (state, ==, "true|gone");
}

/* Stores a mail (@key) and its answer in one transaction, as deliver
 * does; returns the outbox row. */
static gint64
mail_and_answer (Fixture *f, const char *key, const char *answer_id)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (GBytes) content = g_bytes_new_static ("Subject: a\n\nb\n", 14);
	g_autoptr (TgSpool) spool =
		tg_spool_new_from_data (mail_text, sizeof mail_text - 1);
	const char *rcpts[] = { "jane@acme.example", NULL };
	TgOutgoing out = { .kind = TG_KIND_ACK, .message_id = answer_id,
			   .envelope_from = "support@desk.example",
			   .recipients = rcpts, .subject = "a", .body_text = "b",
			   .content = content, .cause_key = key };
	gint64 id = 0;

	g_assert_true (tg_store_begin (f->store, &error));
	g_assert_true (add_mail (f, 0, spool, key, &error));
	g_assert_true (tg_store_add_outgoing (f->store, &out, 600, &id, NULL, &error));
	g_assert_true (tg_store_commit (f->store, &error));
	g_assert_no_error (error);
	return id;
}

/* A redelivery finds the answers of its mail and who holds them, and
 * claims them only as it saw them. */
static void
test_take_over (Fixture *f, gconstpointer data)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (GPtrArray) held = NULL;
	g_autoptr (GPtrArray) taken = NULL;
	gint64 id = mail_and_answer (f, "k-take", "t1@desk.example");
	TgOutboxHolder *h;
	g_autofree char *state = NULL;
	g_autofree char *want = g_strconcat (tg_owner_self (), "|true", NULL);

	mail_and_answer (f, "k-other", "t2@desk.example");
	held = tg_store_answers_of (f->store, "k-take", &error);
	g_assert_no_error (error);
	g_assert_cmpuint (held->len, ==, 1);
	h = held->pdata[0];
	g_assert_cmpint (h->id, ==, id);
	g_assert_cmpstr (h->claimed_by, ==, tg_owner_self ());
	g_assert_true (h->is_held && h->is_due);

	/* Someone else claimed it since: nothing is taken. */
	exec_sql (f, "UPDATE outbox SET claimed_by = 'mx2:b:1:2:3'"
		     " WHERE message_id IN (SELECT id FROM messages"
		     " WHERE message_id = 't1@desk.example')");
	taken = tg_store_take_over (f->store, held, 60, &error);
	g_assert_no_error (error);
	g_assert_cmpuint (taken->len, ==, 0);
	g_clear_pointer (&taken, g_ptr_array_unref);
	g_clear_pointer (&held, g_ptr_array_unref);

	/* As it was read: taken, in the caller's name, with its mail. */
	held = tg_store_answers_of (f->store, "k-take", &error);
	taken = tg_store_take_over (f->store, held, 60, &error);
	g_assert_no_error (error);
	g_assert_cmpuint (taken->len, ==, 1);
	g_assert_cmpstr (((TgOutboxItem *) taken->pdata[0])->message_id, ==,
			 "t1@desk.example");
	state = query (f, "SELECT claimed_by || '|' ||"
			  " (claimed_until > now() + interval '50 s')"
			  " FROM outbox o JOIN messages m ON m.id = o.message_id"
			  " WHERE m.message_id = 't1@desk.example'");
	g_assert_cmpstr (state, ==, want);
	g_clear_pointer (&taken, g_ptr_array_unref);
	g_clear_pointer (&held, g_ptr_array_unref);

	/* Seen free, then tried and failed: no longer due, not taken. */
	held = tg_store_answers_of (f->store, "k-take", &error);
	g_assert_true (tg_store_outbox_failed (f->store, id, "busy", 60, FALSE,
					       &error));
	((TgOutboxHolder *) held->pdata[0])->is_held = FALSE;
	g_clear_pointer (&((TgOutboxHolder *) held->pdata[0])->claimed_by,
			 g_free);
	taken = tg_store_take_over (f->store, held, 60, &error);
	g_assert_cmpuint (taken->len, ==, 0);
}

/* The journal's lines: only the row with that Message-ID, only once. */
static void
test_mark_sent (Fixture *f, gconstpointer data)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (GPtrArray) held = NULL;
	gint64 id = mail_and_answer (f, "k-sent", "s1@desk.example");
	gint64 ids[] = { id, id };
	const char *wrong[] = { "s2@desk.example", "other@desk.example" };
	const char *right[] = { "s1@desk.example", "s1@desk.example" };
	gint64 at[] = { G_GINT64_CONSTANT (1795000000123456),
			G_GINT64_CONSTANT (1795000000123456) };
	g_autofree char *state = NULL;
	guint marked = 99;
	const char *dbid = tg_store_database_id (f->store, &error);
	g_autofree char *want_id = query (f, "SELECT id FROM desk_identity");

	g_assert_no_error (error);
	g_assert_cmpstr (dbid, ==, want_id);
	g_assert_cmpuint (strlen (dbid), ==, 36);
	g_assert_true (tg_store_outbox_mark_sent (f->store, ids, wrong, at, 2,
						  &marked, &error));
	g_assert_cmpuint (marked, ==, 0);
	g_assert_true (tg_store_outbox_mark_sent (f->store, ids, right, at, 2,
						  &marked, &error));
	g_assert_cmpuint (marked, ==, 1);
	g_assert_true (tg_store_outbox_mark_sent (f->store, ids, right, at, 1,
						  &marked, &error));
	g_assert_cmpuint (marked, ==, 0);
	g_assert_no_error (error);
	state = query (f, "SELECT attempts || '|' ||"
			  " (extract(epoch from sent_at) * 1000000)::bigint"
			  " || '|' || (claimed_by IS NULL) FROM outbox"
			  " WHERE id IN (SELECT o.id FROM outbox o JOIN messages m"
			  " ON m.id = o.message_id"
			  " WHERE m.message_id = 's1@desk.example')");
	g_assert_cmpstr (state, ==, "1|1795000000123456|true");
	/* Sent: a redelivery finds nothing left to send. */
	held = tg_store_answers_of (f->store, "k-sent", &error);
	g_assert_cmpuint (held->len, ==, 0);
	/* ... and deliver's own record afterwards changes nothing. */
	g_assert_true (tg_store_outbox_sent (f->store, id, &error));
	g_clear_pointer (&state, g_free);
	state = query (f, "SELECT sum(attempts) FROM outbox");
	g_assert_cmpstr (state, ==, "1");
}

static void
test_queue_order (Fixture *f, gconstpointer data)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (GPtrArray) queue = NULL;
	g_autoptr (TgPlan) plat = tg_store_get_plan (f->store, "PLATINUM", NULL);
	g_autoptr (TgPlan) gold = tg_store_get_plan (f->store, "GOLD", NULL);
	g_autoptr (TgPlan) none = tg_store_get_plan (f->store, "NONE", NULL);
	g_autoptr (GDateTime) t0 = g_date_time_new_utc (2026, 11, 25, 8, 0, 0);
	g_autoptr (GDateTime) t1 = g_date_time_add_hours (t0, 1);
	g_autoptr (GDateTime) t2 = g_date_time_add_hours (t0, 2);
	g_autoptr (GString) order = g_string_new (NULL);

	seed (f);
	new_ticket (f, "none-early", none, 1, t0, NULL, NULL);
	new_ticket (f, "gold-low", gold, 3, t0, t1, NULL);
	new_ticket (f, "gold-high-late", gold, 1, t0, t2, NULL);
	new_ticket (f, "gold-high-early", gold, 1, t1, t1, NULL);
	new_ticket (f, "plat-medium", plat, 2, t2, t2, NULL);
	new_ticket (f, "closed", plat, 1, t0, t0, NULL);
	exec_sql (f, "UPDATE tickets SET status = 'closed' WHERE subject = 'closed'");
	queue = tg_store_list_queue (f->store, &error);
	g_assert_no_error (error);
	for (guint i = 0; i < queue->len; i++)
		g_string_append_printf (order, "%s ",
					((TgTicket *) queue->pdata[i])->subject);
	g_assert_cmpstr (order->str, ==,
			 "plat-medium gold-high-early gold-high-late gold-low "
			 "none-early ");
}

/* ---- error classes ------------------------------------------------- */

typedef struct {
	const char *label;
	const char *errcode;
	TgStoreError want;
} ErrorRow;

static const ErrorRow error_rows[] = {
	{ "serialization failure", "40001", TG_STORE_ERROR_RETRY },
	{ "deadlock", "40P01", TG_STORE_ERROR_RETRY },
	{ "unique violation", "23505", TG_STORE_ERROR_DUPLICATE },
	{ "check violation", "23514", TG_STORE_ERROR_INVALID },
	{ "admin shutdown", "57P01", TG_STORE_ERROR_TEMPORARY },
	{ "query canceled", "57014", TG_STORE_ERROR_TEMPORARY },
	{ "disk full", "53100", TG_STORE_ERROR_TEMPORARY },
	{ "internal error", "XX000", TG_STORE_ERROR_FAILED },
};

static void
test_error_classes (Fixture *f, gconstpointer data)
{
	for (gsize i = 0; i < G_N_ELEMENTS (error_rows); i++) {
		const ErrorRow *row = &error_rows[i];
		g_autoptr (GError) error = NULL;
		g_autofree char *sql = g_strdup_printf (
			"CREATE OR REPLACE FUNCTION boom() RETURNS trigger"
			" LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'boom'"
			" USING ERRCODE = '%s'; END $$;"
			"DROP TRIGGER IF EXISTS boom ON holidays;"
			"CREATE TRIGGER boom BEFORE INSERT ON holidays FOR EACH"
			" ROW EXECUTE FUNCTION boom();",
			row->errcode);
		GDate day;

		g_test_message ("row %s", row->label);
		exec_sql (f, sql);
		set_date (&day, 2026, 12, 24);
		g_assert_false (tg_store_add_holiday (f->store, &day, "x", &error));
		g_assert_error (error, TG_STORE_ERROR, (int) row->want);
	}
}

static void
test_statement_timeout (Fixture *f, gconstpointer data)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (TgStore) quick =
		tg_store_connect (f->conninfo, "test", 5, 1, &error);
	GDate day;

	exec_sql (f, "CREATE FUNCTION slow() RETURNS trigger LANGUAGE plpgsql"
		     " AS $$ BEGIN PERFORM pg_sleep(5); RETURN NEW; END $$;"
		     "CREATE TRIGGER slow BEFORE INSERT ON holidays FOR EACH ROW"
		     " EXECUTE FUNCTION slow();");
	set_date (&day, 2026, 12, 24);
	g_assert_true (tg_store_begin (quick, &error));
	g_assert_false (tg_store_add_holiday (quick, &day, "x", &error));
	g_assert_error (error, TG_STORE_ERROR, TG_STORE_ERROR_TEMPORARY);
	tg_store_rollback (quick);
}

/* ---- caps ---------------------------------------------------------- */

static TgSendVerdict
reserve (Fixture *f, const char *address, gboolean enforce, int per_hour,
	 int per_day)
{
	g_autoptr (GError) error = NULL;
	TgSendVerdict verdict = TG_SEND_CAPPED;

	g_assert_true (tg_store_reserve_send (f->store, address, "ack",
					      enforce, per_hour, per_day,
					      &verdict, &error));
	g_assert_no_error (error);
	return verdict;
}

static gint64
sent_rows (Fixture *f, const char *address)
{
	g_autofree char *sql = g_strdup_printf (
		"SELECT count(*) FROM sent_log WHERE address = '%s'", address);
	PGresult *res = PQexec (f->raw, sql);
	gint64 n = g_ascii_strtoll (PQgetvalue (res, 0, 0), NULL, 10);

	PQclear (res);
	return n;
}

/* The rolling caps count what was sent in the last hour and day; a
 * refused mail is not counted; mail that is not enforced always goes
 * and is counted, and says when it would have been held; a bouncing
 * address gets nothing enforced. */
static void
test_caps (Fixture *f, gconstpointer data)
{
	exec_sql (f, "INSERT INTO sent_log (address, at, kind) VALUES"
		     " ('old@x.example', now() - interval '2 hours', 'ack'),"
		     " ('old@x.example', now() - interval '25 hours', 'ack');"
		     "INSERT INTO bouncing_addresses (address, status)"
		     " VALUES ('gone@x.example', '5.1.1')");
	/* A day's cap of 3. */
	for (int i = 0; i < 3; i++)
		g_assert_cmpint (reserve (f, "day@x.example", TRUE, 100, 3), ==,
				 TG_SEND_OK);
	g_assert_cmpint (reserve (f, "day@x.example", TRUE, 100, 3), ==,
			 TG_SEND_CAPPED);
	g_assert_cmpint (sent_rows (f, "day@x.example"), ==, 3);
	g_assert_cmpint (reserve (f, "day@x.example", FALSE, 100, 3), ==,
			 TG_SEND_OVER);
	g_assert_cmpint (sent_rows (f, "day@x.example"), ==, 4);
	/* An hour's cap of 1: the mail two hours ago counts for the day
	 * only, the one 25 hours ago not at all. */
	g_assert_cmpint (reserve (f, "old@x.example", TRUE, 1, 2), ==,
			 TG_SEND_OK);
	g_assert_cmpint (reserve (f, "old@x.example", TRUE, 1, 100), ==,
			 TG_SEND_CAPPED);
	g_assert_cmpint (reserve (f, "old@x.example", TRUE, 100, 2), ==,
			 TG_SEND_CAPPED);
	g_assert_cmpint (reserve (f, "gone@x.example", TRUE, 100, 100), ==,
			 TG_SEND_BOUNCING);
	g_assert_cmpint (sent_rows (f, "gone@x.example"), ==, 0);
	g_assert_cmpint (reserve (f, "gone@x.example", FALSE, 100, 100), ==,
			 TG_SEND_OVER);
	g_assert_cmpint (reserve (f, "free@x.example", FALSE, 100, 100), ==,
			 TG_SEND_OK);
	g_assert_cmpint (sent_rows (f, "gone@x.example"), ==, 1);
}

/* ---- administration ------------------------------------------------ */

static void
test_admin_errors (Fixture *f, gconstpointer data)
{
	g_autoptr (GError) error = NULL;
	gint64 id = 0;
	GDate from;

	set_date (&from, 2026, 1, 1);
	g_assert_true (tg_store_add_customer (f->store, "ACME", &id, &error));
	g_assert_false (tg_store_add_customer (f->store, "ACME", &id, &error));
	g_assert_error (error, TG_STORE_ERROR, TG_STORE_ERROR_DUPLICATE);
	g_clear_error (&error);
	g_assert_false (tg_store_add_subscription (f->store, id, "DIAMOND",
						   &from, NULL, &error));
	g_assert_error (error, TG_STORE_ERROR, TG_STORE_ERROR_INVALID);
	g_clear_error (&error);
	g_assert_false (tg_store_add_contact (f->store, id, "not-an-address",
					      NULL, &error));
	g_assert_error (error, TG_STORE_ERROR, TG_STORE_ERROR_INVALID);
	g_clear_error (&error);
	g_assert_false (tg_store_set_staff_active (f->store, "nobody@x.example",
						   FALSE, &error));
	g_assert_error (error, TG_STORE_ERROR, TG_STORE_ERROR_NOT_FOUND);
	g_clear_error (&error);
	g_assert_false (tg_store_remove_holiday (f->store, &from, &error));
	g_assert_error (error, TG_STORE_ERROR, TG_STORE_ERROR_NOT_FOUND);
	g_clear_error (&error);
	g_assert_false (tg_store_find_customer (f->store, "Nobody", &id, &error));
	g_assert_error (error, TG_STORE_ERROR, TG_STORE_ERROR_NOT_FOUND);
}

#define ADD(path, func)                                                      \
	g_test_add ("/store/" path, Fixture, NULL, fixture_setup, func,      \
		    fixture_teardown)

int
main (int argc, char **argv)
{
	int code;

	g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
	tg_message_init ();
	tg_test_db_start ();
	g_test_add_func ("/store/connect/errors", test_connect_errors);
	ADD ("identify/table", test_identify);
	ADD ("plans/get-and-list", test_plans);
	ADD ("desk/follows-its-tables", test_desk);
	ADD ("desk/concurrent-changes", test_desk_concurrent);
	ADD ("desk/in-step-and-refresh", test_desk_in_step);
	ADD ("deliver/roundtrip", test_delivery);
	ADD ("deliver/duplicate", test_duplicate);
	ADD ("deliver/copy-raw", test_copy_raw);
	ADD ("deliver/copy-short-spool", test_copy_short_spool);
	ADD ("deliver/read-raw", test_read_raw);
	ADD ("thread/message-ids", test_thread_lookup);
	ADD ("outbox/claims-and-retries", test_outbox);
	ADD ("outbox/hand-over", test_outbox_hand_over);
	ADD ("outbox/take-over", test_take_over);
	ADD ("outbox/mark-sent-from-journal", test_mark_sent);
	ADD ("queue/order-of-work", test_queue_order);
	ADD ("errors/sqlstate-classes", test_error_classes);
	ADD ("errors/statement-timeout", test_statement_timeout);
	ADD ("caps/hour-day-bouncing", test_caps);
	ADD ("admin/errors", test_admin_errors);
	code = g_test_run ();
	tg_test_db_stop ();
	tg_message_shutdown ();
	return code;
}
