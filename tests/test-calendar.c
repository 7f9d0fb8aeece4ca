/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test-calendar: working-hours arithmetic. Table rows pin the support
 * policy (POLICY.md, "Working hours") and the edges: summer time, seconds,
 * holidays, parsing. A property test compares tg_calendar_deadline() with
 * a minute-stepping oracle on random desks, holidays and start instants.
 */
#include "calendar.h"

#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "tgtest.h"

/* A desk's zone, working days and hours (minutes after local midnight). */
typedef struct {
	const char *zone;
	guint mask;
	int start;
	int end;
} Desk;

/* POLICY.md: Monday to Friday, 09:00 to 18:00, at GMT+2. */
static const Desk policy_desk = { "+02:00", TG_CALENDAR_MON_FRI, 540, 1080 };
static const Desk weekdays_all_day = { "+02:00", TG_CALENDAR_MON_FRI, 0, 1440 };
/* Vilnius: summer time starts on the last Sunday of March at 03:00 (to
 * 04:00) and ends on the last Sunday of October at 04:00 (back to 03:00). */
static const Desk vilnius_all_day = { "Europe/Vilnius", TG_TEST_ALL_DAYS, 0, 1440 };
static const Desk vilnius_office = { "Europe/Vilnius", TG_TEST_ALL_DAYS, 540, 1080 };
/* 02:30-03:30: half of it is skipped in March and repeated in October. */
static const Desk vilnius_night = { "Europe/Vilnius", TG_TEST_ALL_DAYS, 150, 210 };

/* ---------------------------------------------------------------------- */
/* Helpers                                                                 */

static TgCalendar *
open_desk (const Desk *desk, const char *holiday)
{
	g_autoptr (GTimeZone) tz = g_time_zone_new_identifier (desk->zone);
	g_autoptr (GError) error = NULL;
	g_autoptr (TgCalendar) cal = NULL;
	int year = 0;
	int month = 0;
	int day = 0;

	g_assert_nonnull (tz);
	cal = tg_calendar_new (tz, desk->mask, desk->start, desk->end, &error);
	g_assert_no_error (error);
	if (holiday != NULL) {
		g_assert_cmpint (
			sscanf (holiday, "%d-%d-%d", &year, &month, &day), ==,
			3);
		tg_calendar_add_holiday (cal, year, month, day, "holiday");
	}
	return g_steal_pointer (&cal);
}

static GDateTime *
parse_instant (const char *iso)
{
	GDateTime *t = g_date_time_new_from_iso8601 (iso, NULL);

	if (t == NULL)
		g_error ("test table: bad instant %s", iso);
	return t;
}

/* (transfer full): "Mon 2024-03-11T09:30:00+02" style, for messages. */
static char *
show_instant (GDateTime *t)
{
	g_autofree char *day = NULL;
	g_autofree char *iso = NULL;

	if (t == NULL)
		return g_strdup ("(null)");
	day = g_date_time_format (t, "%a");
	iso = g_date_time_format_iso8601 (t);
	return g_strdup_printf ("%s %s", day, iso);
}

/* The same instant, written with the same UTC offset. */
static gboolean
is_same_instant (GDateTime *got, GDateTime *want)
{
	if (got == NULL || want == NULL)
		return got == want;
	return g_date_time_equal (got, want) &&
	       g_date_time_get_utc_offset (got) ==
		       g_date_time_get_utc_offset (want);
}

static void
expect_instant (const char *label,
		const char *what,
		GDateTime *got,
		const char *want_iso)
{
	g_autoptr (GDateTime) want =
		want_iso != NULL ? parse_instant (want_iso) : NULL;
	g_autofree char *got_text = show_instant (got);
	g_autofree char *want_text = show_instant (want);

	if (!is_same_instant (got, want))
		g_test_fail_printf ("%s: %s: got %s, want %s", label, what,
				    got_text, want_text);
}

static gint64
floor_div (gint64 a, gint64 b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

static gint64
floor_mod (gint64 a, gint64 b)
{
	return a - floor_div (a, b) * b;
}

/* ---------------------------------------------------------------------- */
/* Deadline rows: each row is its own test case, named by its label.       */

typedef struct {
	const char *label;
	const Desk *desk;
	const char *holiday; /* "YYYY-MM-DD" or NULL */
	const char *start;
	int minutes;
	const char *want;
} DeadlineRow;

/* Week used below: Mon 2024-03-04 .. Fri 03-08, Sat 09, Sun 10, Mon 11. */
static const DeadlineRow policy_rows[] = {
	/* POLICY.md: "arrives on Friday at 17:30 under a 1 h plan is due on
	 * Monday at 09:30". */
	{ "friday-1730-plus-60", &policy_desk, NULL,
	  "2024-03-08T17:30:00+02:00", 60, "2024-03-11T09:30:00+02:00" },
	/* POLICY.md: "one that arrives on Saturday is due on Monday at
	 * 10:00", whatever the time on Saturday or Sunday. */
	{ "saturday-0000-plus-60", &policy_desk, NULL,
	  "2024-03-09T00:00:00+02:00", 60, "2024-03-11T10:00:00+02:00" },
	{ "saturday-1200-plus-60", &policy_desk, NULL,
	  "2024-03-09T12:00:00+02:00", 60, "2024-03-11T10:00:00+02:00" },
	{ "saturday-235959-plus-60", &policy_desk, NULL,
	  "2024-03-09T23:59:59+02:00", 60, "2024-03-11T10:00:00+02:00" },
	{ "sunday-1000-plus-60", &policy_desk, NULL,
	  "2024-03-10T10:00:00+02:00", 60, "2024-03-11T10:00:00+02:00" },
	/* Public holidays are not working days. */
	{ "holiday-monday-saturday-plus-60", &policy_desk, "2024-03-11",
	  "2024-03-09T12:00:00+02:00", 60, "2024-03-12T10:00:00+02:00" },
	{ "holiday-monday-friday-1730-plus-60", &policy_desk, "2024-03-11",
	  "2024-03-08T17:30:00+02:00", 60, "2024-03-12T09:30:00+02:00" },
	{ "holiday-wednesday-tuesday-1730-plus-60", &policy_desk, "2024-03-06",
	  "2024-03-05T17:30:00+02:00", 60, "2024-03-07T09:30:00+02:00" },
	/* A mail at 08:00 starts the clock at 09:00. */
	{ "mail-at-0800-clock-starts-0900", &policy_desk, NULL,
	  "2024-03-06T08:00:00+02:00", 0, "2024-03-06T09:00:00+02:00" },
	{ "mail-at-0800-plus-60", &policy_desk, NULL,
	  "2024-03-06T08:00:00+02:00", 60, "2024-03-06T10:00:00+02:00" },
	/* 18:00 sharp is closed. */
	{ "mail-at-1800-clock-starts-next-day", &policy_desk, NULL,
	  "2024-03-06T18:00:00+02:00", 0, "2024-03-07T09:00:00+02:00" },
	{ "mail-at-1800-plus-60", &policy_desk, NULL,
	  "2024-03-06T18:00:00+02:00", 60, "2024-03-07T10:00:00+02:00" },
	/* The deadline is the first instant at which the time has elapsed,
	 * so work that ends at closing time is due at 18:00, not at 09:00. */
	{ "mail-at-1759-plus-1-due-1800", &policy_desk, NULL,
	  "2024-03-06T17:59:00+02:00", 1, "2024-03-06T18:00:00+02:00" },
	{ "mail-at-1759-plus-2", &policy_desk, NULL,
	  "2024-03-06T17:59:00+02:00", 2, "2024-03-07T09:01:00+02:00" },
	{ "friday-1730-plus-30-due-friday-1800", &policy_desk, NULL,
	  "2024-03-08T17:30:00+02:00", 30, "2024-03-08T18:00:00+02:00" },
	/* Mail stamped in another zone; the deadline is in the desk's. */
	{ "utc-mail-friday-1530z-plus-60", &policy_desk, NULL,
	  "2024-03-08T15:30:00Z", 60, "2024-03-11T09:30:00+02:00" },
	{ "utc-mail-friday-1630z-after-closing", &policy_desk, NULL,
	  "2024-03-08T16:30:00Z", 60, "2024-03-11T10:00:00+02:00" },
	{ "utc-mail-wednesday-0630z-before-opening", &policy_desk, NULL,
	  "2024-03-06T06:30:00Z", 60, "2024-03-06T10:00:00+02:00" },
	{ "new-york-mail-friday-1030-plus-60", &policy_desk, NULL,
	  "2024-03-08T10:30:00-05:00", 60, "2024-03-11T09:30:00+02:00" },
	{ "tokyo-mail-saturday-0100-is-friday-1800", &policy_desk, NULL,
	  "2024-03-09T01:00:00+09:00", 60, "2024-03-11T10:00:00+02:00" },
	/* Reaction times: PLATINUM 60, GOLD 180, SILVER 360, BRONZE 720. */
	{ "platinum-wednesday-1000", &policy_desk, NULL,
	  "2024-03-06T10:00:00+02:00", 60, "2024-03-06T11:00:00+02:00" },
	{ "gold-wednesday-1000", &policy_desk, NULL,
	  "2024-03-06T10:00:00+02:00", 180, "2024-03-06T13:00:00+02:00" },
	{ "silver-wednesday-1000", &policy_desk, NULL,
	  "2024-03-06T10:00:00+02:00", 360, "2024-03-06T16:00:00+02:00" },
	/* 480 minutes on Wednesday, the other 240 on Thursday. */
	{ "bronze-wednesday-1000", &policy_desk, NULL,
	  "2024-03-06T10:00:00+02:00", 720, "2024-03-07T13:00:00+02:00" },
	{ "platinum-thursday-1600", &policy_desk, NULL,
	  "2024-03-07T16:00:00+02:00", 60, "2024-03-07T17:00:00+02:00" },
	{ "gold-thursday-1600", &policy_desk, NULL, "2024-03-07T16:00:00+02:00",
	  180, "2024-03-08T10:00:00+02:00" },
	{ "silver-thursday-1600", &policy_desk, NULL,
	  "2024-03-07T16:00:00+02:00", 360, "2024-03-08T13:00:00+02:00" },
	/* 120 on Thursday, 540 on Friday, 60 on Monday. */
	{ "bronze-thursday-1600", &policy_desk, NULL,
	  "2024-03-07T16:00:00+02:00", 720, "2024-03-11T10:00:00+02:00" },
	{ "gold-friday-1730", &policy_desk, NULL, "2024-03-08T17:30:00+02:00",
	  180, "2024-03-11T11:30:00+02:00" },
	{ "silver-friday-1730", &policy_desk, NULL, "2024-03-08T17:30:00+02:00",
	  360, "2024-03-11T14:30:00+02:00" },
	/* 30 on Friday, 540 on Monday, 150 on Tuesday. */
	{ "bronze-friday-1730", &policy_desk, NULL, "2024-03-08T17:30:00+02:00",
	  720, "2024-03-12T11:30:00+02:00" },
	{ "bronze-friday-1730-holiday-monday", &policy_desk, "2024-03-11",
	  "2024-03-08T17:30:00+02:00", 720, "2024-03-13T11:30:00+02:00" },
	{ "gold-saturday-1200", &policy_desk, NULL, "2024-03-09T12:00:00+02:00",
	  180, "2024-03-11T12:00:00+02:00" },
	{ "silver-saturday-1200", &policy_desk, NULL,
	  "2024-03-09T12:00:00+02:00", 360, "2024-03-11T15:00:00+02:00" },
	{ "bronze-saturday-1200", &policy_desk, NULL,
	  "2024-03-09T12:00:00+02:00", 720, "2024-03-12T12:00:00+02:00" },
	{ "bronze-monday-0800", &policy_desk, NULL, "2024-03-04T08:00:00+02:00",
	  720, "2024-03-05T12:00:00+02:00" },
};

/* Summer time in Vilnius, 2024-03-31 and 2024-10-27 (both Sundays).
 * Working time is counted by the clock: the spring day has 23 hours and
 * the autumn day 25; 02:30-03:30 lasts 30 minutes in spring and 90 in
 * autumn (02:30-03:30 EEST, then 03:00-03:30 EET again). */
static const DeadlineRow dst_rows[] = {
	{ "spring-day-has-23-hours", &vilnius_all_day, NULL,
	  "2024-03-31T00:00:00+02:00", 1380, "2024-04-01T00:00:00+03:00" },
	{ "spring-three-hours-after-midnight", &vilnius_all_day, NULL,
	  "2024-03-31T00:00:00+02:00", 180, "2024-03-31T04:00:00+03:00" },
	{ "autumn-day-has-25-hours", &vilnius_all_day, NULL,
	  "2024-10-27T00:00:00+03:00", 1500, "2024-10-28T00:00:00+02:00" },
	{ "autumn-four-hours-after-midnight", &vilnius_all_day, NULL,
	  "2024-10-27T00:00:00+03:00", 240, "2024-10-27T03:00:00+02:00" },
	{ "spring-night-window-has-30-minutes", &vilnius_night, NULL,
	  "2024-03-31T02:30:00+02:00", 30, "2024-03-31T04:00:00+03:00" },
	{ "spring-night-window-overflows", &vilnius_night, NULL,
	  "2024-03-31T02:30:00+02:00", 31, "2024-04-01T02:31:00+03:00" },
	{ "spring-night-clock-starts-next-day", &vilnius_night, NULL,
	  "2024-03-31T04:00:00+03:00", 0, "2024-04-01T02:30:00+03:00" },
	{ "autumn-night-window-first-pass", &vilnius_night, NULL,
	  "2024-10-27T02:30:00+03:00", 60, "2024-10-27T03:30:00+03:00" },
	{ "autumn-night-window-second-pass", &vilnius_night, NULL,
	  "2024-10-27T02:30:00+03:00", 61, "2024-10-27T03:01:00+02:00" },
	{ "autumn-night-window-has-90-minutes", &vilnius_night, NULL,
	  "2024-10-27T02:30:00+03:00", 90, "2024-10-27T03:30:00+02:00" },
	{ "autumn-night-window-overflows", &vilnius_night, NULL,
	  "2024-10-27T02:30:00+03:00", 91, "2024-10-28T02:31:00+02:00" },
	{ "autumn-night-between-passes", &vilnius_night, NULL,
	  "2024-10-27T03:30:00+03:00", 0, "2024-10-27T03:00:00+02:00" },
	{ "spring-saturday-evening-to-sunday", &vilnius_office, NULL,
	  "2024-03-30T17:00:00+02:00", 120, "2024-03-31T10:00:00+03:00" },
	{ "autumn-saturday-evening-to-sunday", &vilnius_office, NULL,
	  "2024-10-26T17:00:00+03:00", 120, "2024-10-27T10:00:00+02:00" },
	{ "spring-utc-input", &vilnius_office, NULL, "2024-03-31T05:00:00Z", 60,
	  "2024-03-31T10:00:00+03:00" },
};

/* Starts that are not on a whole minute, and long waits. */
static const DeadlineRow edge_rows[] = {
	{ "start-with-seconds", &policy_desk, NULL, "2024-03-06T17:59:30+02:00",
	  1, "2024-03-07T09:00:30+02:00" },
	{ "start-with-microseconds", &policy_desk, NULL,
	  "2024-03-06T17:59:59.250000+02:00", 1,
	  "2024-03-07T09:00:59.250000+02:00" },
	{ "clock-start-keeps-seconds", &policy_desk, NULL,
	  "2024-03-06T09:00:30+02:00", 0, "2024-03-06T09:00:30+02:00" },
	{ "clock-start-rounds-up-to-opening", &policy_desk, NULL,
	  "2024-03-06T08:59:30+02:00", 0, "2024-03-06T09:00:00+02:00" },
	{ "all-day-across-midnight", &weekdays_all_day, NULL,
	  "2024-03-06T23:30:00+02:00", 60, "2024-03-07T00:30:00+02:00" },
	{ "all-day-across-weekend", &weekdays_all_day, NULL,
	  "2024-03-08T23:30:00+02:00", 60, "2024-03-11T00:30:00+02:00" },
	{ "four-weeks-of-work", &policy_desk, NULL, "2024-03-04T09:00:00+02:00",
	  4 * 2700, "2024-03-29T18:00:00+02:00" },
};

/* Clock start: the first working instant at or after the mail. */
static const DeadlineRow clock_start_rows[] = {
	{ "before-opening", &policy_desk, NULL, "2024-03-06T08:00:00+02:00", 0,
	  "2024-03-06T09:00:00+02:00" },
	{ "at-opening", &policy_desk, NULL, "2024-03-06T09:00:00+02:00", 0,
	  "2024-03-06T09:00:00+02:00" },
	{ "during-hours", &policy_desk, NULL, "2024-03-06T12:34:56+02:00", 0,
	  "2024-03-06T12:34:56+02:00" },
	{ "last-second", &policy_desk, NULL, "2024-03-06T17:59:59+02:00", 0,
	  "2024-03-06T17:59:59+02:00" },
	{ "at-closing", &policy_desk, NULL, "2024-03-06T18:00:00+02:00", 0,
	  "2024-03-07T09:00:00+02:00" },
	{ "friday-evening", &policy_desk, NULL, "2024-03-08T18:00:00+02:00", 0,
	  "2024-03-11T09:00:00+02:00" },
	{ "saturday", &policy_desk, NULL, "2024-03-09T12:00:00+02:00", 0,
	  "2024-03-11T09:00:00+02:00" },
	{ "sunday-before-holiday", &policy_desk, "2024-03-11",
	  "2024-03-10T10:00:00+02:00", 0, "2024-03-12T09:00:00+02:00" },
	{ "utc-input-desk-output", &policy_desk, NULL, "2024-03-09T12:00:00Z",
	  0, "2024-03-11T09:00:00+02:00" },
	{ "spring-gap", &vilnius_night, NULL, "2024-03-31T01:00:00Z", 0,
	  "2024-04-01T02:30:00+03:00" },
};

static void
test_deadline_row (gconstpointer data)
{
	const DeadlineRow *row = data;
	g_autoptr (TgCalendar) cal = open_desk (row->desk, row->holiday);
	g_autoptr (GDateTime) start = parse_instant (row->start);
	g_autoptr (GDateTime) got =
		tg_calendar_deadline (cal, start, row->minutes);
	gint64 worked = 0;

	expect_instant (row->label, "deadline", got, row->want);
	if (got == NULL)
		return;
	worked = tg_calendar_working_minutes (cal, start, got);
	if (worked != row->minutes)
		g_test_fail_printf ("%s: working minutes: got %" G_GINT64_FORMAT
				    ", want %d",
				    row->label, worked, row->minutes);
}

static void
test_clock_start_row (gconstpointer data)
{
	const DeadlineRow *row = data;
	g_autoptr (TgCalendar) cal = open_desk (row->desk, row->holiday);
	g_autoptr (GDateTime) start = parse_instant (row->start);
	g_autoptr (GDateTime) got = tg_calendar_clock_start (cal, start);

	expect_instant (row->label, "clock start", got, row->want);
	if (got != NULL && !tg_calendar_is_working_time (cal, got))
		g_test_fail_printf ("%s: working time at clock start: got 0, "
				    "want 1",
				    row->label);
}

static void
add_deadline_rows (const char *area,
		   const DeadlineRow *rows,
		   gsize n_rows,
		   GTestDataFunc func)
{
	for (gsize i = 0; i < n_rows; i++) {
		g_autofree char *path = g_strdup_printf ("/calendar/%s/%s",
							 area, rows[i].label);

		g_test_add_data_func (path, &rows[i], func);
	}
}

/* Ten years of holidays on the only working weekday: no deadline. */
static void
test_deadline_no_working_day (void)
{
	static const Desk monday_desk = { "+02:00", TG_CALENDAR_DAY (1), 540,
					  1080 };
	g_autoptr (TgCalendar) nine = open_desk (&monday_desk, NULL);
	g_autoptr (TgCalendar) eleven = open_desk (&monday_desk, NULL);
	g_autoptr (GDateTime) start =
		parse_instant ("2024-01-01T00:00:00+02:00");
	g_autoptr (GDateTime) later =
		parse_instant ("2035-01-01T00:00:00+02:00");
	g_autoptr (GDateTime) none_start = NULL;
	g_autoptr (GDateTime) none_deadline = NULL;
	g_autoptr (GDateTime) after_nine = NULL;
	GDate date;

	/* Every Monday of 2024..2032 in one, of 2024..2034 in the other. */
	g_date_clear (&date, 1);
	g_date_set_dmy (&date, 1, G_DATE_JANUARY, 2024);
	for (; g_date_get_year (&date) < 2035; g_date_add_days (&date, 7)) {
		if (g_date_get_year (&date) < 2033)
			tg_calendar_add_holiday (nine, g_date_get_year (&date),
						 g_date_get_month (&date),
						 g_date_get_day (&date), NULL);
		tg_calendar_add_holiday (eleven, g_date_get_year (&date),
					 g_date_get_month (&date),
					 g_date_get_day (&date), NULL);
	}
	after_nine = tg_calendar_clock_start (nine, start);
	expect_instant ("nine-years", "clock start", after_nine,
			"2033-01-03T09:00:00+02:00");
	none_start = tg_calendar_clock_start (eleven, start);
	expect_instant ("eleven-years", "clock start", none_start, NULL);
	none_deadline = tg_calendar_deadline (eleven, start, 60);
	expect_instant ("eleven-years", "deadline", none_deadline, NULL);
	g_assert_cmpint (tg_calendar_working_minutes (eleven, start, later), ==,
			 0);
}

/* ---------------------------------------------------------------------- */
/* Construction                                                            */

typedef struct {
	const char *label;
	guint mask;
	int start;
	int end;
} HoursRow;

static void
test_new_errors (void)
{
	static const HoursRow rows[] = {
		{ "no-days", 0, 540, 1080 },
		{ "unknown-day-bit", TG_CALENDAR_MON_FRI | 1u, 540, 1080 },
		{ "bit-past-sunday", TG_CALENDAR_DAY (8), 540, 1080 },
		{ "end-equals-start", TG_CALENDAR_MON_FRI, 540, 540 },
		{ "end-before-start", TG_CALENDAR_MON_FRI, 1080, 540 },
		{ "start-negative", TG_CALENDAR_MON_FRI, -1, 540 },
		{ "start-at-2400", TG_CALENDAR_MON_FRI, 1440, 1440 },
		{ "end-after-2400", TG_CALENDAR_MON_FRI, 540, 1441 },
		{ "end-zero", TG_CALENDAR_MON_FRI, 0, 0 },
	};
	g_autoptr (GTimeZone) tz = g_time_zone_new_identifier ("+02:00");

	for (gsize i = 0; i < G_N_ELEMENTS (rows); i++) {
		g_autoptr (GError) error = NULL;
		g_autoptr (TgCalendar) cal = tg_calendar_new (
			tz, rows[i].mask, rows[i].start, rows[i].end, &error);

		g_test_message ("%s: %s", rows[i].label,
				error != NULL ? error->message : "(no error)");
		g_assert_null (cal);
		g_assert_error (error, TG_CALENDAR_ERROR,
				TG_CALENDAR_ERROR_INVALID);
	}
}

static void
test_new_valid (void)
{
	static const HoursRow rows[] = {
		{ "policy", TG_CALENDAR_MON_FRI, 540, 1080 },
		{ "all-day-every-day", TG_TEST_ALL_DAYS, 0, 1440 },
		{ "last-minute-of-wednesday", TG_CALENDAR_DAY (3), 1439, 1440 },
		{ "first-minute-of-sunday", TG_CALENDAR_DAY (7), 0, 1 },
	};

	for (gsize i = 0; i < G_N_ELEMENTS (rows); i++) {
		g_autoptr (GTimeZone) tz =
			g_time_zone_new_identifier ("Europe/Vilnius");
		GTimeZone *borrowed = tz;
		g_autoptr (GError) error = NULL;
		g_autoptr (TgCalendar) cal = tg_calendar_new (
			tz, rows[i].mask, rows[i].start, rows[i].end, &error);

		g_assert_no_error (error);
		g_assert_nonnull (cal);
		/* The calendar holds its own reference. */
		g_clear_pointer (&tz, g_time_zone_unref);
		if (tg_calendar_get_timezone (cal) != borrowed)
			g_test_fail_printf (
				"%s: get_timezone: got %p, want %p",
				rows[i].label,
				(void *) tg_calendar_get_timezone (cal),
				(void *) borrowed);
		g_assert_cmpstr (g_time_zone_get_identifier (
					 tg_calendar_get_timezone (cal)),
				 ==, "Europe/Vilnius");
	}
	tg_calendar_free (NULL);
}

/* ---------------------------------------------------------------------- */
/* Holidays and working days                                               */

typedef struct {
	const char *label;
	int year;
	int month;
	int day;
	const char *want_name;
	gboolean want_working;
} HolidayRow;

static void
test_holiday_names (void)
{
	static const HolidayRow rows[] = {
		{ "named", 2024, 12, 25, "Christmas Day", FALSE },
		{ "unnamed", 2024, 12, 26, "", FALSE },
		{ "plain-friday", 2024, 12, 27, NULL, TRUE },
		{ "saturday-holiday", 2024, 12, 28, "Saturday feast", FALSE },
		{ "plain-sunday", 2024, 12, 29, NULL, FALSE },
		{ "dates-do-not-recur", 2025, 12, 25, NULL, TRUE },
		{ "leap-day", 2024, 2, 29, NULL, TRUE },
	};
	g_autoptr (TgCalendar) cal = open_desk (&policy_desk, NULL);

	tg_calendar_add_holiday (cal, 2024, 12, 25, "Christmas Day");
	/* The first name stays. */
	tg_calendar_add_holiday (cal, 2024, 12, 25, "Other");
	tg_calendar_add_holiday (cal, 2024, 12, 26, NULL);
	tg_calendar_add_holiday (cal, 2024, 12, 28, "Saturday feast");
	for (gsize i = 0; i < G_N_ELEMENTS (rows); i++) {
		const HolidayRow *row = &rows[i];
		const char *name = tg_calendar_holiday_name (
			cal, row->year, row->month, row->day);
		gboolean working = tg_calendar_is_working_day (
			cal, row->year, row->month, row->day);

		if (g_strcmp0 (name, row->want_name) != 0)
			g_test_fail_printf ("%s: name: got %s, want %s",
					    row->label, name ? name : "(null)",
					    row->want_name ? row->want_name
							   : "(null)");
		if (working != row->want_working)
			g_test_fail_printf ("%s: working day: got %d, want %d",
					    row->label, working,
					    row->want_working);
	}
}

typedef struct {
	const char *label;
	const Desk *desk;
	const char *holiday;
	const char *at;
	gboolean want;
} WorkingTimeRow;

static void
test_working_time_boundaries (void)
{
	static const WorkingTimeRow rows[] = {
		{ "wednesday-085959", &policy_desk, NULL,
		  "2024-03-06T08:59:59+02:00", FALSE },
		{ "wednesday-0900", &policy_desk, NULL,
		  "2024-03-06T09:00:00+02:00", TRUE },
		{ "wednesday-175959", &policy_desk, NULL,
		  "2024-03-06T17:59:59+02:00", TRUE },
		{ "wednesday-175959.999999", &policy_desk, NULL,
		  "2024-03-06T17:59:59.999999+02:00", TRUE },
		{ "wednesday-1800", &policy_desk, NULL,
		  "2024-03-06T18:00:00+02:00", FALSE },
		{ "saturday-1200", &policy_desk, NULL,
		  "2024-03-09T12:00:00+02:00", FALSE },
		{ "holiday-wednesday-1200", &policy_desk, "2024-03-06",
		  "2024-03-06T12:00:00+02:00", FALSE },
		{ "utc-0659z", &policy_desk, NULL, "2024-03-06T06:59:59Z",
		  FALSE },
		{ "utc-0700z", &policy_desk, NULL, "2024-03-06T07:00:00Z",
		  TRUE },
		{ "utc-1559z", &policy_desk, NULL, "2024-03-06T15:59:59Z",
		  TRUE },
		{ "utc-1600z", &policy_desk, NULL, "2024-03-06T16:00:00Z",
		  FALSE },
		{ "utc-friday-2159z-is-friday", &weekdays_all_day, NULL,
		  "2024-03-08T21:59:59Z", TRUE },
		{ "utc-friday-2200z-is-saturday", &weekdays_all_day, NULL,
		  "2024-03-08T22:00:00Z", FALSE },
		{ "utc-sunday-2200z-is-monday", &weekdays_all_day, NULL,
		  "2024-03-10T22:00:00Z", TRUE },
		{ "spring-0230-eet", &vilnius_night, NULL,
		  "2024-03-31T00:30:00Z", TRUE },
		{ "spring-025959-eet", &vilnius_night, NULL,
		  "2024-03-31T00:59:59Z", TRUE },
		{ "spring-0400-eest", &vilnius_night, NULL,
		  "2024-03-31T01:00:00Z", FALSE },
		{ "autumn-0230-eest", &vilnius_night, NULL,
		  "2024-10-26T23:30:00Z", TRUE },
		{ "autumn-032959-eest", &vilnius_night, NULL,
		  "2024-10-27T00:29:59Z", TRUE },
		{ "autumn-0330-eest", &vilnius_night, NULL,
		  "2024-10-27T00:30:00Z", FALSE },
		{ "autumn-0300-eet", &vilnius_night, NULL,
		  "2024-10-27T01:00:00Z", TRUE },
		{ "autumn-0330-eet", &vilnius_night, NULL,
		  "2024-10-27T01:30:00Z", FALSE },
	};

	for (gsize i = 0; i < G_N_ELEMENTS (rows); i++) {
		const WorkingTimeRow *row = &rows[i];
		g_autoptr (TgCalendar) cal =
			open_desk (row->desk, row->holiday);
		g_autoptr (GDateTime) at = parse_instant (row->at);
		gboolean got = tg_calendar_is_working_time (cal, at);

		if (got != row->want)
			g_test_fail_printf ("%s: got %d, want %d", row->label,
					    got, row->want);
	}
}

typedef struct {
	const char *label;
	const Desk *desk;
	const char *holiday;
	const char *from;
	const char *to;
	gint64 want;
} WorkingMinutesRow;

static void
test_working_minutes (void)
{
	static const WorkingMinutesRow rows[] = {
		{ "friday-1730-to-monday-0930", &policy_desk, NULL,
		  "2024-03-08T17:30:00+02:00", "2024-03-11T09:30:00+02:00",
		  60 },
		{ "empty", &policy_desk, NULL, "2024-03-06T10:00:00+02:00",
		  "2024-03-06T10:00:00+02:00", 0 },
		{ "reversed", &policy_desk, NULL, "2024-03-06T12:00:00+02:00",
		  "2024-03-06T10:00:00+02:00", 0 },
		{ "half-minute-is-zero", &policy_desk, NULL,
		  "2024-03-08T17:59:30+02:00", "2024-03-11T09:00:00+02:00", 0 },
		{ "two-halves-make-one", &policy_desk, NULL,
		  "2024-03-08T17:59:30+02:00", "2024-03-11T09:00:30+02:00", 1 },
		{ "whole-week", &policy_desk, NULL, "2024-03-04T00:00:00+02:00",
		  "2024-03-11T00:00:00+02:00", 2700 },
		{ "week-with-holiday", &policy_desk, "2024-03-06",
		  "2024-03-04T00:00:00+02:00", "2024-03-11T00:00:00+02:00",
		  2160 },
		{ "utc-bounds", &policy_desk, NULL, "2024-03-06T07:00:00Z",
		  "2024-03-06T16:00:00Z", 540 },
		/* 2024 has 262 weekdays. */
		{ "year-2024", &policy_desk, NULL, "2024-01-01T00:00:00+02:00",
		  "2025-01-01T00:00:00+02:00", 262 * 540 },
		{ "spring-day", &vilnius_all_day, NULL,
		  "2024-03-31T00:00:00+02:00", "2024-04-01T00:00:00+03:00",
		  1380 },
		{ "autumn-day", &vilnius_all_day, NULL,
		  "2024-10-27T00:00:00+03:00", "2024-10-28T00:00:00+02:00",
		  1500 },
		{ "spring-night-window", &vilnius_night, NULL,
		  "2024-03-31T00:00:00+02:00", "2024-04-01T00:00:00+03:00",
		  30 },
		{ "autumn-night-window", &vilnius_night, NULL,
		  "2024-10-27T00:00:00+03:00", "2024-10-28T00:00:00+02:00",
		  90 },
	};

	for (gsize i = 0; i < G_N_ELEMENTS (rows); i++) {
		const WorkingMinutesRow *row = &rows[i];
		g_autoptr (TgCalendar) cal =
			open_desk (row->desk, row->holiday);
		g_autoptr (GDateTime) from = parse_instant (row->from);
		g_autoptr (GDateTime) to = parse_instant (row->to);
		gint64 got = tg_calendar_working_minutes (cal, from, to);

		if (got != row->want)
			g_test_fail_printf ("%s: got %" G_GINT64_FORMAT
					    ", want %" G_GINT64_FORMAT,
					    row->label, got, row->want);
	}
}

/* ---------------------------------------------------------------------- */
/* Words                                                                   */

typedef struct {
	const char *label;
	const char *zone;
	guint mask;
	int start;
	int end;
	const char *want_zone;
} DescribeRow;

/* The facts the working hours are written from, as given; the zone as
 * people read it. The words are reply's (test-reply, /reply/words/). */
static void
test_describe (void)
{
	static const DescribeRow rows[] = {
		{ "offset", "+02:00", TG_CALENDAR_MON_FRI, 540, 1080,
		  "UTC+02:00" },
		{ "iana-zone", "Europe/Vilnius", TG_TEST_SUN_THU, 480, 1200,
		  "Europe/Vilnius" },
		{ "utc", "UTC", TG_TEST_ALL_DAYS, 0, 1440, "UTC+00:00" },
		{ "negative-offset", "-03:30", TG_TEST_MON_WED_FRI, 570, 990,
		  "UTC-03:30" },
		/* A rule string has no single offset; show it as given. */
		{ "posix-rule", "EET-2EEST,M3.5.0/3,M10.5.0/4",
		  TG_CALENDAR_MON_FRI, 540, 1080,
		  "EET-2EEST,M3.5.0/3,M10.5.0/4" },
	};

	for (gsize i = 0; i < G_N_ELEMENTS (rows); i++) {
		const DescribeRow *row = &rows[i];
		Desk desk = { row->zone, row->mask, row->start, row->end };
		g_autoptr (TgCalendar) cal = open_desk (&desk, NULL);
		g_autofree char *zone = tg_calendar_describe_zone (cal);
		int start = -1;
		int end = -1;

		tg_calendar_get_opening (cal, &start, &end);
		if (g_strcmp0 (zone, row->want_zone) != 0)
			g_test_fail_printf ("%s: zone: got \"%s\", want \"%s\"",
					    row->label, zone, row->want_zone);
		if (tg_calendar_get_days (cal) != row->mask || start != row->start ||
		    end != row->end)
			g_test_fail_printf ("%s: got days 0x%x %d-%d, want "
					    "0x%x %d-%d",
					    row->label, tg_calendar_get_days (cal),
					    start, end, row->mask, row->start,
					    row->end);
	}
}

typedef struct {
	const char *label;
	const char *text;
	guint want;
} DaysRow;

static void
test_parse_days_good (void)
{
	static const DaysRow rows[] = {
		{ "range", "Mon-Fri", TG_CALENDAR_MON_FRI },
		{ "lower-case", "mon-fri", TG_CALENDAR_MON_FRI },
		{ "full-names", "Monday-Friday", TG_CALENDAR_MON_FRI },
		{ "blanks-around-dash", "MONDAY - friday",
		  TG_CALENDAR_MON_FRI },
		{ "comma-list", "Mon,Wed,Fri", TG_TEST_MON_WED_FRI },
		{ "semicolon-list", "Mon;Wed;Fri", TG_TEST_MON_WED_FRI },
		{ "space-list", "Mon Wed  Fri", TG_TEST_MON_WED_FRI },
		{ "mixed-separators", " Mon, Wednesday ;fri ", TG_TEST_MON_WED_FRI },
		{ "wrapping-range", "Sun-Thu", TG_TEST_SUN_THU },
		{ "wrapping-weekend", "Fri-Mon",
		  TG_CALENDAR_DAY (5) | TG_CALENDAR_DAY (6) |
			  TG_CALENDAR_DAY (7) | TG_CALENDAR_DAY (1) },
		{ "single-day", "sat", TG_CALENDAR_DAY (6) },
		{ "one-day-range", "Tue-Tue", TG_CALENDAR_DAY (2) },
		{ "whole-week", "Mon-Sun", TG_TEST_ALL_DAYS },
		{ "range-and-day", "Mon-Wed, Fri",
		  TG_CALENDAR_MON_FRI & ~TG_CALENDAR_DAY (4) },
		{ "duplicates", "Mon,mon,Monday", TG_CALENDAR_DAY (1) },
	};

	for (gsize i = 0; i < G_N_ELEMENTS (rows); i++) {
		g_autoptr (GError) error = NULL;
		guint got = 0;

		if (!tg_calendar_parse_days (rows[i].text, &got, &error))
			g_test_fail_printf ("%s: got error %s, want 0x%x",
					    rows[i].label, error->message,
					    rows[i].want);
		else if (got != rows[i].want)
			g_test_fail_printf ("%s: got 0x%x, want 0x%x",
					    rows[i].label, got, rows[i].want);
	}
}

typedef struct {
	const char *label;
	const char *text;
	const char *want_word; /* the error message names it */
} BadRow;

static void
expect_bad (const BadRow *row, gboolean ok, GError *error)
{
	g_assert_false (ok);
	g_assert_error (error, TG_CALENDAR_ERROR, TG_CALENDAR_ERROR_INVALID);
	if (strstr (error->message, row->want_word) == NULL)
		g_test_fail_printf ("%s: got message '%s', want it to name %s",
				    row->label, error->message, row->want_word);
}

static void
test_parse_days_bad (void)
{
	static const BadRow rows[] = {
		{ "empty", "", "no day" },
		{ "only-separators", " ,; ", "no day" },
		{ "unknown-word", "Mon,Fir", "\"Fir\"" },
		{ "unknown-range-end", "Mon-Fryday", "\"Fryday\"" },
		{ "two-letters", "Mo-Fr", "\"Mo\"" },
		{ "partial-name", "Mond", "\"Mond\"" },
		{ "open-range", "Mon-", "\"Mon-\"" },
		{ "leading-dash", "-Fri", "\"-Fri\"" },
		{ "lone-dash", "Mon - - Fri", "\"Mon--Fri\"" },
		{ "double-range", "Mon-Wed-Fri", "\"Mon-Wed-Fri\"" },
		{ "numbers", "1-5", "\"1\"" },
	};

	for (gsize i = 0; i < G_N_ELEMENTS (rows); i++) {
		g_autoptr (GError) error = NULL;
		guint mask = 0xdead;
		gboolean ok =
			tg_calendar_parse_days (rows[i].text, &mask, &error);

		expect_bad (&rows[i], ok, error);
		g_assert_cmphex (mask, ==, 0xdead);
	}
}

typedef struct {
	const char *label;
	const char *text;
	int want;
} TimeRow;

static void
test_parse_time_good (void)
{
	static const TimeRow rows[] = {
		{ "midnight", "00:00", 0 },
		{ "opening", "09:00", 540 },
		{ "one-digit-hour", "9:30", 570 },
		{ "closing", "18:00", 1080 },
		{ "last-minute", "23:59", 1439 },
		{ "end-of-day", "24:00", 1440 },
	};

	for (gsize i = 0; i < G_N_ELEMENTS (rows); i++) {
		g_autoptr (GError) error = NULL;
		int got = -1;

		if (!tg_calendar_parse_time (rows[i].text, &got, &error))
			g_test_fail_printf ("%s: got error %s, want %d",
					    rows[i].label, error->message,
					    rows[i].want);
		else if (got != rows[i].want)
			g_test_fail_printf ("%s: got %d, want %d",
					    rows[i].label, got, rows[i].want);
	}
}

static void
test_parse_time_bad (void)
{
	static const BadRow rows[] = {
		{ "empty", "", "\"\"" },
		{ "past-end-of-day", "24:01", "\"24:01\"" },
		{ "hour-25", "25:00", "\"25:00\"" },
		{ "minute-60", "12:60", "\"12:60\"" },
		{ "no-minutes", "12", "\"12\"" },
		{ "one-digit-minute", "12:5", "\"12:5\"" },
		{ "three-digit-minute", "12:345", "\"12:345\"" },
		{ "three-digit-hour", "123:00", "\"123:00\"" },
		{ "letters", "ab:cd", "\"ab:cd\"" },
		{ "leading-blank", " 09:00", "\" 09:00\"" },
		{ "trailing-blank", "09:00 ", "\"09:00 \"" },
		{ "negative", "-1:00", "\"-1:00\"" },
		{ "plus-sign", "+9:00", "\"+9:00\"" },
		{ "dot", "09.00", "\"09.00\"" },
		{ "no-hour", ":30", "\":30\"" },
		{ "seconds", "09:00:00", "\"09:00:00\"" },
	};

	for (gsize i = 0; i < G_N_ELEMENTS (rows); i++) {
		g_autoptr (GError) error = NULL;
		int minutes = -7;
		gboolean ok =
			tg_calendar_parse_time (rows[i].text, &minutes, &error);

		expect_bad (&rows[i], ok, error);
		g_assert_cmpint (minutes, ==, -7);
	}
}

/* ---------------------------------------------------------------------- */
/* Property test: the calendar against a minute-stepping oracle            */

#define PROPERTY_CASES 10000
#define PROPERTY_FIRST_YEAR 2021
#define PROPERTY_LAST_YEAR 2027
#define PROPERTY_MAX_HOLIDAYS 6
#define PROPERTY_MAX_REPORTS 5
#define ORACLE_LIMIT_DAYS 400

/* Desks the property test draws from. */
static const Desk property_desks[] = {
	{ "+02:00", TG_CALENDAR_MON_FRI, 540, 1080 }, /* the policy */
	{ "+02:00", TG_TEST_SUN_THU, 540, 1080 },             /* wrapping days */
	{ "Europe/Vilnius", TG_CALENDAR_MON_FRI, 540, 1080 },
	{ "Europe/Vilnius", TG_CALENDAR_MON_FRI, 480, 1200 },
	{ "Europe/Vilnius", TG_TEST_ALL_DAYS, 0, 1440 },  /* 23 and 25 h days */
	{ "Europe/Vilnius", TG_TEST_ALL_DAYS, 150, 210 }, /* 02:30-03:30 */
	{ "Europe/Vilnius", TG_TEST_SUN_THU, 180, 240 },  /* 03:00-04:00 */
	{ "Europe/Vilnius", TG_TEST_SUN_THU, 0, 200 },    /* ends at 03:20 */
	{ "Europe/Vilnius", TG_CALENDAR_DAY (7), 200, 1440 }, /* from 03:20 */
	{ "Europe/Vilnius", TG_CALENDAR_DAY (7), 0, 1440 },   /* Sundays */
	{ "Europe/Vilnius", TG_CALENDAR_DAY (3), 480, 1200 },
};

static const int property_minutes[] = { 0, 1, 59, 60, 180, 360, 720 };

/* Day numbers since 1970-01-01 in the proleptic Gregorian calendar
 * (H. Hinnant's days_from_civil): the oracle's own date arithmetic. */
static gint64
days_from_civil (gint64 year, gint64 month, gint64 day)
{
	gint64 era = 0;
	gint64 year_of_era = 0;
	gint64 day_of_year = 0;
	gint64 day_of_era = 0;

	year -= month <= 2;
	era = floor_div (year, 400);
	year_of_era = year - era * 400;
	day_of_year = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
	day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 +
		     day_of_year;
	return era * 146097 + day_of_era - 719468;
}

static void
civil_from_days (gint64 days, int *year_out, int *month_out, int *day_out)
{
	gint64 z = days + 719468;
	gint64 era = floor_div (z, 146097);
	gint64 day_of_era = z - era * 146097;
	gint64 year_of_era = (day_of_era - day_of_era / 1460 +
			      day_of_era / 36524 - day_of_era / 146096) /
			     365;
	gint64 day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 -
					   year_of_era / 100);
	gint64 mp = (5 * day_of_year + 2) / 153;
	gint64 month = mp < 10 ? mp + 3 : mp - 9;

	*day_out = (int) (day_of_year - (153 * mp + 2) / 5 + 1);
	*month_out = (int) month;
	*year_out = (int) (year_of_era + era * 400 + (month <= 2));
}

/* 1 (Monday) .. 7 (Sunday); 1970-01-01 was a Thursday. */
static int
weekday_of (gint64 days)
{
	return (int) floor_mod (days + 3, 7) + 1;
}

/* EU rule: the last Sunday of March or October at 01:00 UTC. */
static gint64
summer_time_change (int year, int month)
{
	gint64 last = days_from_civil (year, month, 31);

	return (last - weekday_of (last) % 7) * 86400 + 3600;
}

typedef struct {
	const Desk *desk;
	GTimeZone *tz;                          /* borrowed */
	gint64 holidays[PROPERTY_MAX_HOLIDAYS]; /* local day numbers */
	guint n_holidays;
	gint64 start; /* unix seconds */
	gboolean start_in_desk_zone;
	int minutes;
} PropertyCase;

/*
 * The oracle decides each minute on its own from the local broken-down
 * time of that instant, as GDateTime gives it. The offset is looked up
 * once per UTC hour when both ends of the hour agree (no zone changes
 * twice within an hour), else once per minute.
 */
typedef struct {
	const PropertyCase *c;
	gint64 hour_start; /* unix time of the cached UTC hour */
	gboolean hour_is_uniform;
	gint64 hour_offset;
	gint64 day_start; /* local seconds of the cached local day */
	gboolean day_is_working;
} Oracle;

static gint64
offset_by_datetime (GTimeZone *tz, gint64 unix_time)
{
	g_autoptr (GDateTime) utc = g_date_time_new_from_unix_utc (unix_time);
	g_autoptr (GDateTime) local = g_date_time_to_timezone (utc, tz);
	gint64 offset = g_date_time_get_utc_offset (local) / G_USEC_PER_SEC;

	/* Minutes are then uniform: the oracle relies on it. */
	g_assert_cmpint (offset % 60, ==, 0);
	return offset;
}

static void
oracle_init (Oracle *o, const PropertyCase *c)
{
	o->c = c;
	/* Empty caches: no instant is in them. */
	o->hour_start = G_MAXINT64 / 2;
	o->day_start = G_MAXINT64 / 2;
}

static gint64
oracle_offset (Oracle *o, gint64 minute)
{
	if (minute < o->hour_start || minute >= o->hour_start + 3600) {
		gint64 hour_start = minute - floor_mod (minute, 3600);
		gint64 first = offset_by_datetime (o->c->tz, hour_start);
		gint64 last = offset_by_datetime (o->c->tz, hour_start + 3540);

		o->hour_start = hour_start;
		o->hour_is_uniform = first == last;
		o->hour_offset = first;
	}
	if (o->hour_is_uniform)
		return o->hour_offset;
	return offset_by_datetime (o->c->tz, minute);
}

static gboolean
oracle_is_working_day (const PropertyCase *c, gint64 day)
{
	if ((c->desk->mask & TG_CALENDAR_DAY (weekday_of (day))) == 0)
		return FALSE;
	for (guint i = 0; i < c->n_holidays; i++)
		if (c->holidays[i] == day)
			return FALSE;
	return TRUE;
}

/* Whether the whole minute starting at @minute (a multiple of 60) works. */
static gboolean
oracle_is_working (Oracle *o, gint64 minute)
{
	gint64 local = minute + oracle_offset (o, minute);
	int minute_of_day = 0;

	if (local < o->day_start || local >= o->day_start + 86400) {
		gint64 day = floor_div (local, 86400);

		o->day_start = day * 86400;
		o->day_is_working = oracle_is_working_day (o->c, day);
	}
	if (!o->day_is_working)
		return FALSE;
	minute_of_day = (int) (local - o->day_start) / 60;
	return minute_of_day >= o->c->desk->start &&
	       minute_of_day < o->c->desk->end;
}

/*
 * Steps one UTC minute at a time from the start, counting the seconds of
 * each working minute until @minutes * 60 are counted; a start with
 * seconds counts only the rest of its first minute. Returns the first
 * instant at which they are all counted (the first working instant for 0),
 * or G_MININT64 past ORACLE_LIMIT_DAYS.
 */
static gint64
oracle_deadline (Oracle *o, gint64 start, int minutes)
{
	gint64 need = (gint64) minutes * 60;
	gint64 limit = start + ORACLE_LIMIT_DAYS * 86400;
	gint64 counted_from = start;

	for (gint64 minute = start - floor_mod (start, 60); minute < limit;
	     minute += 60) {
		if (oracle_is_working (o, minute)) {
			gint64 left = minute + 60 - counted_from;

			if (left >= need)
				return counted_from + need;
			need -= left;
		}
		counted_from = minute + 60;
	}
	return G_MININT64;
}

static gint64
draw_start (GRand *rand)
{
	gint64 first = days_from_civil (PROPERTY_FIRST_YEAR, 1, 1) * 86400;
	gint64 last = days_from_civil (PROPERTY_LAST_YEAR + 1, 1, 1) * 86400;
	gint64 start = 0;

	if (g_rand_boolean (rand)) {
		/* Half of the starts: Thursday to Monday around a change. */
		int year = g_rand_int_range (rand, PROPERTY_FIRST_YEAR,
					     PROPERTY_LAST_YEAR + 1);
		int month = g_rand_boolean (rand) ? 3 : 10;

		start = summer_time_change (year, month) +
			g_rand_int_range (rand, -3 * 86400, 2 * 86400);
	} else {
		start = first +
			g_rand_int_range (rand, 0, (gint32) (last - first));
	}
	/* Three starts in four are on a whole minute, the rest have seconds. */
	if (g_rand_int_range (rand, 0, 4) != 0)
		start -= floor_mod (start, 60);
	return start;
}

/* Holidays near the start, and densely around the year's changes. */
static void
draw_holidays (GRand *rand, PropertyCase *c)
{
	gint64 start_day = floor_div (c->start, 86400);
	int year = 0;
	int month = 0;
	int day = 0;

	civil_from_days (start_day, &year, &month, &day);
	c->n_holidays = g_rand_int_range (rand, 0, PROPERTY_MAX_HOLIDAYS + 1);
	for (guint i = 0; i < c->n_holidays; i++) {
		if (g_rand_boolean (rand)) {
			gint64 change = summer_time_change (
				year, g_rand_boolean (rand) ? 3 : 10);

			c->holidays[i] = floor_div (change, 86400) +
					 g_rand_int_range (rand, -2, 3);
		} else {
			c->holidays[i] =
				start_day + g_rand_int_range (rand, 0, 40);
		}
	}
}

static void
draw_case (GRand *rand, GPtrArray *zones, PropertyCase *c)
{
	guint desk = g_rand_int_range (rand, 0, G_N_ELEMENTS (property_desks));
	guint pick =
		g_rand_int_range (rand, 0, G_N_ELEMENTS (property_minutes) + 1);

	memset (c, 0, sizeof *c);
	c->desk = &property_desks[desk];
	c->tz = g_ptr_array_index (zones, desk);
	c->start = draw_start (rand);
	c->start_in_desk_zone = g_rand_boolean (rand);
	draw_holidays (rand, c);
	c->minutes = pick < G_N_ELEMENTS (property_minutes)
			     ? property_minutes[pick]
			     : g_rand_int_range (rand, 0, 3001);
}

static TgCalendar *
case_calendar (const PropertyCase *c)
{
	g_autoptr (GError) error = NULL;
	TgCalendar *cal = tg_calendar_new (c->tz, c->desk->mask, c->desk->start,
					   c->desk->end, &error);

	g_assert_no_error (error);
	for (guint i = 0; i < c->n_holidays; i++) {
		int year = 0;
		int month = 0;
		int day = 0;

		civil_from_days (c->holidays[i], &year, &month, &day);
		tg_calendar_add_holiday (cal, year, month, day, NULL);
	}
	return cal;
}

static GDateTime *
case_instant (const PropertyCase *c, gint64 unix_time)
{
	g_autoptr (GDateTime) utc = g_date_time_new_from_unix_utc (unix_time);

	return g_date_time_to_timezone (utc, c->tz);
}

static void
describe_case (const PropertyCase *c, GString *out)
{
	g_autoptr (GDateTime) start = case_instant (c, c->start);
	g_autofree char *start_text = show_instant (start);

	g_string_append_printf (out, "%s days 0x%x %02d:%02d-%02d:%02d",
				c->desk->zone, c->desk->mask,
				c->desk->start / 60, c->desk->start % 60,
				c->desk->end / 60, c->desk->end % 60);
	g_string_append (out, ", holidays [");
	for (guint i = 0; i < c->n_holidays; i++) {
		int year = 0;
		int month = 0;
		int day = 0;

		civil_from_days (c->holidays[i], &year, &month, &day);
		g_string_append_printf (out, "%s%04d-%02d-%02d",
					i > 0 ? " " : "", year, month, day);
	}
	g_string_append_printf (out, "], start %s + %d min", start_text,
				c->minutes);
}

/* The deadline itself: the instant, and the desk's offset on it. */
static gboolean
check_deadline (const PropertyCase *c,
		GDateTime *got,
		gint64 want,
		GString *why)
{
	g_autoptr (GDateTime) want_dt = NULL;
	g_autofree char *got_text = show_instant (got);
	g_autofree char *want_text = NULL;

	if (want == G_MININT64) {
		g_string_append (why, ": the oracle found no deadline");
		return FALSE;
	}
	want_dt = case_instant (c, want);
	want_text = show_instant (want_dt);
	if (is_same_instant (got, want_dt))
		return TRUE;
	g_string_append_printf (why, ": deadline: got %s, want %s", got_text,
				want_text);
	return FALSE;
}

/* working_minutes() inverts deadline(), and the deadline is the first
 * instant with that many minutes: a second earlier, one is missing, and
 * that second was working time. */
static gboolean
check_inverse (const TgCalendar *cal,
	       const PropertyCase *c,
	       GDateTime *start,
	       GDateTime *deadline,
	       GString *why)
{
	g_autoptr (GDateTime) before = g_date_time_add_seconds (deadline, -1);
	gint64 got = tg_calendar_working_minutes (cal, start, deadline);
	gint64 got_before = tg_calendar_working_minutes (cal, start, before);
	GDateTime *last_working = c->minutes > 0 ? before : deadline;

	if (got != c->minutes) {
		g_string_append_printf (
			why,
			": working minutes: got %" G_GINT64_FORMAT ", want %d",
			got, c->minutes);
		return FALSE;
	}
	if (c->minutes > 0 && got_before != c->minutes - 1) {
		g_string_append_printf (
			why,
			": working minutes to 1 s before: got %" G_GINT64_FORMAT
			", want %d",
			got_before, c->minutes - 1);
		return FALSE;
	}
	if (!tg_calendar_is_working_time (cal, last_working)) {
		g_string_append (
			why,
			c->minutes > 0
				? ": working time 1 s before: got 0, want 1"
				: ": working time at clock start: got 0, want "
				  "1");
		return FALSE;
	}
	return TRUE;
}

static gboolean
run_case (guint32 seed, GPtrArray *zones, GString *why)
{
	g_autoptr (GRand) rand = g_rand_new_with_seed (seed);
	g_autoptr (TgCalendar) cal = NULL;
	g_autoptr (GDateTime) start = NULL;
	g_autoptr (GDateTime) got = NULL;
	PropertyCase c;
	Oracle oracle;
	gint64 want = 0;
	gboolean want_working = FALSE;

	draw_case (rand, zones, &c);
	cal = case_calendar (&c);
	start = c.start_in_desk_zone ? case_instant (&c, c.start)
				     : g_date_time_new_from_unix_utc (c.start);
	oracle_init (&oracle, &c);
	want = oracle_deadline (&oracle, c.start, c.minutes);
	want_working =
		oracle_is_working (&oracle, c.start - floor_mod (c.start, 60));
	got = tg_calendar_deadline (cal, start, c.minutes);
	describe_case (&c, why);
	if (!check_deadline (&c, got, want, why))
		return FALSE;
	if (!check_inverse (cal, &c, start, got, why))
		return FALSE;
	if (tg_calendar_is_working_time (cal, start) != want_working) {
		g_string_append_printf (
			why, ": working time at start: got %d, want %d",
			!want_working, want_working);
		return FALSE;
	}
	return TRUE;
}

/*
 * Each case draws its own seed from g_test_rand_int(), so the run repeats
 * with --seed (GLib prints it as "# random seed" at the top of the log),
 * and one failing case repeats alone with TG_CALENDAR_CASE_SEED=<seed>.
 *
 * Starts are whole seconds, three in four on a whole minute. The oracle
 * counts exactly in seconds: the zones used here change offset on whole
 * minutes and the hours are whole minutes, so every UTC minute is either
 * all working or not at all, and a start at 17:59:30 has 30 s left in its
 * first minute.
 */
static void
test_property_deadline (void)
{
	g_autoptr (GPtrArray) zones = g_ptr_array_new_with_free_func (
		(GDestroyNotify) g_time_zone_unref);
	const char *replay = g_getenv ("TG_CALENDAR_CASE_SEED");
	guint n_cases = replay != NULL ? 1 : PROPERTY_CASES;
	guint failures = 0;

	for (gsize i = 0; i < G_N_ELEMENTS (property_desks); i++) {
		GTimeZone *tz =
			g_time_zone_new_identifier (property_desks[i].zone);

		g_assert_nonnull (tz);
		g_ptr_array_add (zones, tz);
	}
	for (guint i = 0; i < n_cases; i++) {
		guint32 seed =
			replay != NULL
				? (guint32) g_ascii_strtoull (replay, NULL, 10)
				: (guint32) g_test_rand_int ();
		g_autoptr (GString) why = g_string_new (NULL);

		if (run_case (seed, zones, why))
			continue;
		if (++failures <= PROPERTY_MAX_REPORTS)
			g_test_message ("case %u, seed %u "
					"(TG_CALENDAR_CASE_SEED=%u): %s",
					i, seed, seed, why->str);
	}
	if (failures > 0)
		g_test_fail_printf ("%u of %u cases disagree with the oracle",
				    failures, n_cases);
}

/* The oracle agrees with the hand-computed rows, so it can be trusted. */
static void
test_property_oracle (void)
{
	const DeadlineRow *tables[] = { policy_rows, dst_rows, edge_rows };
	const gsize sizes[] = { G_N_ELEMENTS (policy_rows),
				G_N_ELEMENTS (dst_rows),
				G_N_ELEMENTS (edge_rows) };

	for (gsize t = 0; t < G_N_ELEMENTS (tables); t++) {
		for (gsize i = 0; i < sizes[t]; i++) {
			const DeadlineRow *row = &tables[t][i];
			g_autoptr (GTimeZone) tz =
				g_time_zone_new_identifier (row->desk->zone);
			g_autoptr (GDateTime) start =
				parse_instant (row->start);
			g_autoptr (GDateTime) want = parse_instant (row->want);
			PropertyCase c = {
				row->desk, tz, { 0 }, 0, 0, FALSE, 0
			};
			Oracle oracle;
			gint64 got = 0;

			/* The oracle works in whole seconds. */
			if (g_date_time_get_microsecond (start) != 0)
				continue;
			if (row->holiday != NULL) {
				int year = 0;
				int month = 0;
				int day = 0;

				g_assert_cmpint (sscanf (row->holiday,
							 "%d-%d-%d", &year,
							 &month, &day),
						 ==, 3);
				c.holidays[c.n_holidays++] =
					days_from_civil (year, month, day);
			}
			oracle_init (&oracle, &c);
			got = oracle_deadline (&oracle,
					       g_date_time_to_unix (start),
					       row->minutes);
			if (got != g_date_time_to_unix (want))
				g_test_fail_printf (
					"%s: oracle: got %" G_GINT64_FORMAT
					", want %" G_GINT64_FORMAT,
					row->label, got,
					g_date_time_to_unix (want));
		}
	}
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

	g_test_add_func ("/calendar/new/errors", test_new_errors);
	g_test_add_func ("/calendar/new/valid", test_new_valid);
	g_test_add_func ("/calendar/holiday/names", test_holiday_names);
	g_test_add_func ("/calendar/working-time/boundaries",
			 test_working_time_boundaries);
	add_deadline_rows ("policy", policy_rows, G_N_ELEMENTS (policy_rows),
			   test_deadline_row);
	add_deadline_rows ("dst", dst_rows, G_N_ELEMENTS (dst_rows),
			   test_deadline_row);
	add_deadline_rows ("deadline", edge_rows, G_N_ELEMENTS (edge_rows),
			   test_deadline_row);
	add_deadline_rows ("clock-start", clock_start_rows,
			   G_N_ELEMENTS (clock_start_rows),
			   test_clock_start_row);
	g_test_add_func ("/calendar/deadline/no-working-day-in-ten-years",
			 test_deadline_no_working_day);
	g_test_add_func ("/calendar/working-minutes/rows",
			 test_working_minutes);
	g_test_add_func ("/calendar/describe/zone", test_describe);
	g_test_add_func ("/calendar/parse/days-good", test_parse_days_good);
	g_test_add_func ("/calendar/parse/days-bad", test_parse_days_bad);
	g_test_add_func ("/calendar/parse/time-good", test_parse_time_good);
	g_test_add_func ("/calendar/parse/time-bad", test_parse_time_bad);
	g_test_add_func ("/calendar/property/oracle-agrees-with-rows",
			 test_property_oracle);
	g_test_add_func ("/calendar/property/deadline", test_property_deadline);
	return g_test_run ();
}
