/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test-watch: when the deadline watch speaks: the warning's threshold in
 * working minutes across nights, weekends and holidays, only inside
 * working hours, the morning queue on working days, and how the time
 * left is written.
 */
#include "watch.h"

#include <glib.h>

#include "tgtest.h"

static TgCalendar *
desk (void)
{
	g_autoptr (GTimeZone) tz = g_time_zone_new_identifier ("+02:00");
	g_autoptr (GError) error = NULL;
	TgCalendar *cal = tg_calendar_new (tz, TG_CALENDAR_MON_FRI, 9 * 60,
					   18 * 60, &error);

	g_assert_no_error (error);
	tg_calendar_add_holiday (cal, 2026, 12, 7, "Away day");
	return cal;
}

static GDateTime *
at (const char *text)
{
	GDateTime *t = g_date_time_new_from_iso8601 (text, NULL);

	g_assert_nonnull (t);
	return t;
}

typedef struct {
	const char *label;
	const char *received;
	int minutes;
	int percent;
	const char *want_warn; /* the warning's threshold */
} ThresholdRow;

static const ThresholdRow threshold_rows[] = {
	{ "friday-evening", "2026-11-27T17:30:00+02:00", 60, 75,
	  "2026-11-30T09:15:00+02:00" },
	{ "saturday", "2026-11-28T11:00:00+02:00", 60, 75,
	  "2026-11-30T09:45:00+02:00" },
	{ "holiday-monday", "2026-12-04T17:30:00+02:00", 60, 75,
	  "2026-12-08T09:15:00+02:00" },
	{ "gold-half", "2026-11-30T10:00:00+02:00", 180, 50,
	  "2026-11-30T11:30:00+02:00" },
	{ "rounded-up", "2026-11-30T10:00:00+02:00", 60, 99,
	  "2026-11-30T11:00:00+02:00" },
	{ "all-of-it", "2026-11-30T10:00:00+02:00", 60, 100,
	  "2026-11-30T11:00:00+02:00" },
};

static void
test_threshold (void)
{
	g_autoptr (TgCalendar) cal = desk ();

	for (gsize i = 0; i < G_N_ELEMENTS (threshold_rows); i++) {
		const ThresholdRow *row = &threshold_rows[i];
		g_autoptr (GDateTime) received = at (row->received);
		g_autoptr (GDateTime) due =
			tg_calendar_deadline (cal, received, row->minutes);
		g_autoptr (GDateTime) warn = tg_watch_threshold (
			cal, TG_WATCH_WARN, received, row->minutes, due,
			row->percent);
		g_autoptr (GDateTime) breach = tg_watch_threshold (
			cal, TG_WATCH_BREACH, received, row->minutes, due,
			row->percent);
		g_autoptr (GDateTime) want = at (row->want_warn);
		g_autofree char *got = g_date_time_format_iso8601 (warn);

		if (!g_date_time_equal (warn, want))
			tg_test_fail_row ("%s: warning got %s, want %s",
					  row->label, got, row->want_warn);
		if (!g_date_time_equal (breach, due))
			tg_test_fail_row ("%s: breach is not the deadline",
					  row->label);
	}
}

/* A holiday added after the ticket opened never puts the warning after
 * the deadline the customer was promised. */
static void
test_threshold_clamped (void)
{
	g_autoptr (TgCalendar) cal = desk ();
	g_autoptr (GDateTime) received = at ("2026-12-04T17:30:00+02:00");
	g_autoptr (GDateTime) due = at ("2026-12-07T09:30:00+02:00");
	g_autoptr (GDateTime) warn = tg_watch_threshold (
		cal, TG_WATCH_WARN, received, 60, due, 75);

	g_assert_true (g_date_time_equal (warn, due));
}

typedef struct {
	const char *label;
	const char *threshold;
	const char *now;
	gboolean due;
} DueRow;

static const DueRow due_rows[] = {
	{ "before", "2026-11-30T09:15:00+02:00", "2026-11-30T09:14:59+02:00",
	  FALSE },
	{ "at", "2026-11-30T09:15:00+02:00", "2026-11-30T09:15:00+02:00", TRUE },
	{ "after-hours", "2026-11-30T17:59:00+02:00", "2026-11-30T18:00:30+02:00",
	  FALSE },
	{ "next-opening", "2026-11-30T17:59:00+02:00",
	  "2026-12-01T09:00:00+02:00", TRUE },
	{ "weekend", "2026-11-27T17:59:00+02:00", "2026-11-28T10:00:00+02:00",
	  FALSE },
	{ "holiday", "2026-12-04T17:59:00+02:00", "2026-12-07T10:00:00+02:00",
	  FALSE },
};

static void
test_is_due (void)
{
	g_autoptr (TgCalendar) cal = desk ();

	for (gsize i = 0; i < G_N_ELEMENTS (due_rows); i++) {
		const DueRow *row = &due_rows[i];
		g_autoptr (GDateTime) threshold = at (row->threshold);
		g_autoptr (GDateTime) now = at (row->now);
		gboolean got = tg_watch_is_due (cal, threshold, now);

		if (got != row->due)
			tg_test_fail_row ("%s: got %d, want %d", row->label, got,
					  row->due);
	}
}

static void
test_daily (void)
{
	g_autoptr (TgCalendar) cal = desk ();
	g_autoptr (GDateTime) monday = at ("2026-11-30T09:00:00+02:00");
	g_autoptr (GDateTime) late_utc = at ("2026-11-30T23:30:00Z");
	g_autoptr (GDateTime) holiday = at ("2026-12-07T10:00:00+02:00");
	GDate day;

	g_assert_true (tg_watch_daily_due (cal, monday, &day));
	g_assert_cmpint (g_date_get_day (&day), ==, 30);
	/* 01:30 on Tuesday at the desk: its date, and no working time. */
	g_assert_false (tg_watch_daily_due (cal, late_utc, &day));
	g_assert_cmpint (g_date_get_day (&day), ==, 1);
	g_assert_false (tg_watch_daily_due (cal, holiday, &day));
}

static void
test_format_left (void)
{
	g_autoptr (TgCalendar) cal = desk ();
	g_autoptr (GDateTime) due = at ("2026-11-30T09:30:00+02:00");
	g_autoptr (GDateTime) friday = at ("2026-11-27T17:00:00+02:00");
	g_autoptr (GDateTime) late = at ("2026-11-30T11:05:00+02:00");
	g_autoptr (GDateTime) evening = at ("2026-11-30T20:00:00+02:00");
	g_autofree char *left = tg_watch_format_left (cal, friday, due);
	g_autofree char *past = tg_watch_format_left (cal, late, due);
	g_autofree char *night = tg_watch_format_left (cal, evening, due);
	gboolean overdue = FALSE;

	g_assert_cmpstr (left, ==, "1h 30m");
	g_assert_cmpstr (past, ==, "-1h 35m");
	g_assert_cmpstr (night, ==, "-8h 30m");
	g_assert_cmpint (tg_watch_minutes_left (cal, late, due, &overdue), ==, 0);
	g_assert_true (overdue);
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

	g_test_add_func ("/watch/threshold/rows", test_threshold);
	g_test_add_func ("/watch/threshold/clamped", test_threshold_clamped);
	g_test_add_func ("/watch/due/rows", test_is_due);
	g_test_add_func ("/watch/daily", test_daily);
	g_test_add_func ("/watch/format-left", test_format_left);
	return g_test_run ();
}
