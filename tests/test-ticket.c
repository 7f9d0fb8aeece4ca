/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test-ticket: the ticket's rules. Every status has one name and back;
 * staff can set all but "new"; a customer's mail reopens pending,
 * resolved and closed tickets and leaves new and open ones; the first
 * staff answer opens a new ticket and only the first counts as its
 * first response; a closed ticket reopens up to reopen_days after it
 * closed, not a second later; plans without e-mail support are paid and
 * promise no deadline; the others' deadlines are in working hours
 * (POLICY.md's Friday 17:30 example).
 */
#include "ticket.h"

#include "tgtest.h"

static void
test_names (void)
{
	for (TgStatus s = 0; s < TG_STATUS_COUNT; s++) {
		TgStatus back = TG_STATUS_COUNT;

		g_assert_true (tg_status_parse (tg_status_name (s), &back));
		g_assert_cmpint (back, ==, s);
	}
	g_assert_cmpstr (tg_status_name (TG_STATUS_RESOLVED), ==, "resolved");
	for (guint i = 0; i < 4; i++) {
		const char *bad[] = { "Open", "", "reopened", NULL };
		TgStatus s = TG_STATUS_OPEN;

		g_assert_false (tg_status_parse (bad[i], &s));
		g_assert_cmpint (s, ==, TG_STATUS_OPEN);
	}
	g_assert_false (tg_status_settable (TG_STATUS_NEW));
	for (TgStatus s = TG_STATUS_OPEN; s < TG_STATUS_COUNT; s++)
		g_assert_true (tg_status_settable (s));
}

static void
test_moves (void)
{
	static const struct {
		TgStatus from, customer, staff;
	} rows[] = {
		{ TG_STATUS_NEW, TG_STATUS_NEW, TG_STATUS_OPEN },
		{ TG_STATUS_OPEN, TG_STATUS_OPEN, TG_STATUS_OPEN },
		{ TG_STATUS_PENDING, TG_STATUS_OPEN, TG_STATUS_PENDING },
		{ TG_STATUS_RESOLVED, TG_STATUS_OPEN, TG_STATUS_RESOLVED },
		{ TG_STATUS_CLOSED, TG_STATUS_OPEN, TG_STATUS_CLOSED },
	};

	for (guint i = 0; i < G_N_ELEMENTS (rows); i++) {
		g_test_message ("from %s", tg_status_name (rows[i].from));
		g_assert_cmpint (tg_ticket_after_customer_mail (rows[i].from),
				 ==, rows[i].customer);
		g_assert_cmpint (tg_ticket_after_staff_answer (rows[i].from),
				 ==, rows[i].staff);
	}
}

static GDateTime *
at (const char *iso)
{
	GDateTime *t = g_date_time_new_from_iso8601 (iso, NULL);

	g_assert_nonnull (t);
	return t;
}

static void
test_first_response (void)
{
	g_autoptr (GDateTime) first = at ("2026-12-01T10:00:00+02:00");
	g_autoptr (GDateTime) later = at ("2026-12-02T10:00:00+02:00");
	g_autoptr (GDateTime) kept = tg_ticket_first_response (first, later);
	g_autoptr (GDateTime) set = tg_ticket_first_response (NULL, later);

	g_assert_true (g_date_time_equal (kept, first));
	g_assert_true (g_date_time_equal (set, later));
}

static void
test_long_closed (void)
{
	g_autoptr (GDateTime) closed = at ("2026-11-01T12:00:00Z");
	g_autoptr (GDateTime) edge = at ("2026-11-15T12:00:00Z");
	g_autoptr (GDateTime) after = at ("2026-11-15T12:00:01Z");

	g_assert_false (tg_ticket_is_long_closed (TG_STATUS_CLOSED, closed,
						  edge, 14));
	g_assert_true (tg_ticket_is_long_closed (TG_STATUS_CLOSED, closed,
						 after, 14));
	/* Only a closed ticket ages; one without its closing time never. */
	g_assert_false (tg_ticket_is_long_closed (TG_STATUS_RESOLVED, closed,
						  after, 14));
	g_assert_false (tg_ticket_is_long_closed (TG_STATUS_CLOSED, NULL,
						  after, 14));
	g_assert_true (tg_ticket_is_long_closed (TG_STATUS_CLOSED, closed,
						 after, 0));
}

static void
test_plan (void)
{
	g_autoptr (GTimeZone) tz = g_time_zone_new_offset (2 * 3600);
	g_autoptr (GError) error = NULL;
	g_autoptr (TgCalendar) cal = tg_calendar_new (
		tz, TG_CALENDAR_MON_FRI, 9 * 60, 18 * 60, &error);
	g_autoptr (GDateTime) friday = at ("2026-11-27T17:30:00+02:00");
	g_autoptr (GDateTime) monday = at ("2026-11-30T09:30:00+02:00");
	g_autoptr (GDateTime) due = NULL;

	g_assert_no_error (error);
	due = tg_ticket_deadline (cal, friday, TRUE, 60);
	g_assert_nonnull (due);
	g_assert_true (g_date_time_equal (due, monday));
	g_assert_null (tg_ticket_deadline (cal, friday, FALSE, 60));
	g_assert_null (tg_ticket_deadline (cal, friday, TRUE, 0));
	g_assert_true (tg_ticket_is_billable (FALSE));
	g_assert_false (tg_ticket_is_billable (TRUE));
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);
	g_test_add_func ("/ticket/status/names", test_names);
	g_test_add_func ("/ticket/status/moves", test_moves);
	g_test_add_func ("/ticket/first-response", test_first_response);
	g_test_add_func ("/ticket/long-closed", test_long_closed);
	g_test_add_func ("/ticket/plan", test_plan);
	return g_test_run ();
}
