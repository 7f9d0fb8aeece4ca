/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test-report: the SLA report's figures from tickets: the counts per plan
 * and in total, nearest-rank percentiles, the late list, and the forms
 * that scripts read.
 */
#include "report.h"

#include <string.h>

#include <glib.h>

#include "tgtest.h"

static void
test_percentile (void)
{
	g_autoptr (GArray) v = g_array_new (FALSE, FALSE, sizeof (gint64));
	const gint64 values[] = { 10, 20, 30, 40, 50, 60, 70, 80, 90, 100 };

	g_assert_cmpint (tg_report_percentile (v, 50), ==, -1);
	g_array_append_vals (v, values, 1);
	g_assert_cmpint (tg_report_percentile (v, 50), ==, 10);
	g_assert_cmpint (tg_report_percentile (v, 90), ==, 10);
	g_array_append_vals (v, values + 1, 9);
	g_assert_cmpint (tg_report_percentile (v, 50), ==, 50);
	g_assert_cmpint (tg_report_percentile (v, 90), ==, 90);
	g_assert_cmpint (tg_report_percentile (v, 91), ==, 100);
}

static TgCalendar *
desk (void)
{
	g_autoptr (GTimeZone) tz = g_time_zone_new_identifier ("+02:00");

	return tg_calendar_new (tz, TG_CALENDAR_MON_FRI, 9 * 60, 18 * 60, NULL);
}

static TgTicket *
ticket (gint64 number, const char *plan, int rank, const char *received,
	const char *due, const char *answered)
{
	TgTicket *t = g_new0 (TgTicket, 1);

	t->number = number;
	t->plan_name = g_strdup (plan);
	t->plan_rank = rank;
	t->requester = g_strdup ("jane@acme.example");
	t->subject = g_strdup ("s");
	t->received_at = g_date_time_new_from_iso8601 (received, NULL);
	t->response_due_at = due ? g_date_time_new_from_iso8601 (due, NULL)
				 : NULL;
	t->first_response_at =
		answered ? g_date_time_new_from_iso8601 (answered, NULL) : NULL;
	return t;
}

static void
test_compute (void)
{
	g_autoptr (TgCalendar) cal = desk ();
	g_autoptr (GDateTime) now =
		g_date_time_new_from_iso8601 ("2026-12-02T10:00:00+02:00", NULL);
	g_autoptr (GPtrArray) tickets =
		g_ptr_array_new_with_free_func ((GDestroyNotify) tg_ticket_free);
	g_autoptr (TgReport) r = NULL;
	g_autofree char *csv = NULL;
	const TgReportRow *gold, *platinum;

	g_ptr_array_add (tickets, ticket (1, "GOLD", 2, "2026-11-30T10:00:00+02:00",
					  "2026-11-30T13:00:00+02:00",
					  "2026-11-30T11:00:00+02:00"));
	g_ptr_array_add (tickets, ticket (2, "PLATINUM", 1,
					  "2026-11-30T09:00:00+02:00",
					  "2026-11-30T10:00:00+02:00",
					  "2026-11-30T09:30:00+02:00"));
	g_ptr_array_add (tickets, ticket (3, "PLATINUM", 1,
					  "2026-11-30T10:00:00+02:00",
					  "2026-11-30T11:00:00+02:00",
					  "2026-11-30T12:30:00+02:00"));
	g_ptr_array_add (tickets, ticket (4, "PLATINUM", 1,
					  "2026-12-01T10:00:00+02:00",
					  "2026-12-01T11:00:00+02:00", NULL));
	g_ptr_array_add (tickets, ticket (5, "PLATINUM", 1,
					  "2026-12-02T09:30:00+02:00",
					  "2026-12-02T10:30:00+02:00", NULL));
	g_ptr_array_add (tickets, ticket (6, NULL, 0, "2026-11-30T10:00:00+02:00",
					  NULL, NULL));
	r = tg_report_compute (tickets, cal, now);
	g_assert_cmpuint (r->rows->len, ==, 3);
	platinum = r->rows->pdata[0];
	gold = r->rows->pdata[1];
	g_assert_cmpstr (platinum->plan, ==, "PLATINUM");
	g_assert_cmpstr (gold->plan, ==, "GOLD");
	g_assert_cmpstr (((TgReportRow *) r->rows->pdata[2])->plan, ==, "-");
	g_assert_cmpint (platinum->opened, ==, 4);
	g_assert_cmpint (platinum->in_time, ==, 1);
	g_assert_cmpint (platinum->late, ==, 1);
	g_assert_cmpint (platinum->open_past_due, ==, 1);
	g_assert_cmpint (platinum->not_yet_due, ==, 1);
	g_assert_cmpint (platinum->median, ==, 30);
	g_assert_cmpint (platinum->p90, ==, 150);
	g_assert_cmpint (r->total.opened, ==, 6);
	g_assert_cmpint (r->total.no_deadline, ==, 1);
	g_assert_cmpint (r->total.median, ==, 60);
	/* Late first, by deadline: 3 (answered late), then 4 (open). */
	g_assert_cmpuint (r->late->len, ==, 2);
	g_assert_cmpint (((TgTicket *) r->late->pdata[0])->number, ==, 3);
	g_assert_cmpint (((TgTicket *) r->late->pdata[1])->number, ==, 4);
	csv = tg_report_csv (r, NULL);
	g_assert_true (g_str_has_suffix (csv, "\nTOTAL,6,2,1,1,1,1,60,150\n"));
	g_assert_nonnull (strstr (csv, "\n-,1,0,0,0,0,1,,\n"));
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

	g_test_add_func ("/report/percentile", test_percentile);
	g_test_add_func ("/report/compute", test_compute);
	return g_test_run ();
}
