/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * calendar: working-hours arithmetic for reaction-time deadlines.
 * Pure GLib: no database, no configuration file, no clock of its own.
 */
#pragma once

#include <glib.h>

#define TG_CALENDAR_ERROR (tg_calendar_error_quark ())
GQuark tg_calendar_error_quark (void);

typedef enum {
	/* a bad argument: no working day, unknown day bits, hours out of
	 * range, end <= start; a setting that does not parse */
	TG_CALENDAR_ERROR_INVALID,
} TgCalendarError;

/* Bit for a weekday in a days mask; day is 1 (Monday) .. 7 (Sunday), as
 * g_date_time_get_day_of_week() returns it. */
#define TG_CALENDAR_DAY(day) (1u << (day))
#define TG_CALENDAR_MON_FRI                                                  \
	(TG_CALENDAR_DAY (1) | TG_CALENDAR_DAY (2) | TG_CALENDAR_DAY (3) |   \
	 TG_CALENDAR_DAY (4) | TG_CALENDAR_DAY (5))

typedef struct _TgCalendar TgCalendar;

/*
 * tg_calendar_new:
 * @tz: (transfer none): the desk's time zone; the calendar takes a ref
 * @days_mask: working weekdays, TG_CALENDAR_DAY() bits
 * @start_minute: opening time, minutes after local midnight (0..1439)
 * @end_minute: closing time, minutes after local midnight, > start (..1440)
 *
 * Returns: (transfer full): a calendar without holidays, or NULL with
 * TG_CALENDAR_ERROR_INVALID (also for bits outside 1..7 in @days_mask and
 * minutes out of range, since both may come from a configuration file).
 */
TgCalendar *tg_calendar_new (GTimeZone *tz,
			     guint days_mask,
			     int start_minute,
			     int end_minute,
			     GError **error) G_GNUC_WARN_UNUSED_RESULT;

/* tg_calendar_free: releases @cal; NULL is allowed. */
void tg_calendar_free (TgCalendar *cal);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TgCalendar, tg_calendar_free)

/*
 * tg_calendar_add_holiday: marks a local date as not a working day.
 * @year, @month, @day: a valid date, year 1..9999 (a precondition: check
 * dates read from a file with g_date_valid_dmy() first).
 * @name: (nullable) (transfer none): shown in explanations; copied.
 * Adding the same date twice keeps the first name.
 */
void tg_calendar_add_holiday (TgCalendar *cal,
			      int year,
			      int month,
			      int day,
			      const char *name);

/* tg_calendar_get_timezone: (transfer none): the desk's time zone. */
GTimeZone *tg_calendar_get_timezone (const TgCalendar *cal);

/*
 * tg_calendar_is_working_day: whether the local date is a working weekday
 * and not a holiday.
 */
gboolean tg_calendar_is_working_day (const TgCalendar *cal,
				     int year,
				     int month,
				     int day);

/*
 * tg_calendar_holiday_name: (transfer none) (nullable): the name of the
 * holiday on that local date, "" for an unnamed one, NULL for no holiday.
 */
const char *tg_calendar_holiday_name (const TgCalendar *cal,
				      int year,
				      int month,
				      int day);

/*
 * tg_calendar_is_working_time: whether the instant @t falls inside working
 * hours: a working day, local time in [start, end). On a summer-time
 * change day a window that covers the skipped hour is shorter, and one
 * that covers the repeated hour holds it twice (02:30-03:30 in
 * Europe/Vilnius lasts 30 minutes in March and 90 in October).
 */
gboolean tg_calendar_is_working_time (const TgCalendar *cal, GDateTime *t);

/*
 * tg_calendar_clock_start: (transfer full): the first working instant at or
 * after @t (the moment from which reaction time is counted), in the desk's
 * time zone. NULL only if no working day exists within ten years.
 */
GDateTime *tg_calendar_clock_start (const TgCalendar *cal, GDateTime *t)
	G_GNUC_WARN_UNUSED_RESULT;

/*
 * tg_calendar_deadline: (transfer full): the instant at which @minutes of
 * working time have elapsed after @start, in the desk's time zone.
 * Working time is real elapsed time inside working hours, so a day that
 * changes to or from summer time is counted by the clock, not the wall.
 * It is the first such instant: work that ends at closing time is due at
 * closing time, not at the next opening. @minutes must be >= 0; seconds
 * and microseconds of @start are kept. With @minutes == 0 it is
 * tg_calendar_clock_start(). NULL only if ten years pass without working
 * time.
 */
GDateTime *tg_calendar_deadline (const TgCalendar *cal,
				 GDateTime *start,
				 int minutes) G_GNUC_WARN_UNUSED_RESULT;

/*
 * tg_calendar_working_minutes: whole minutes of working time between @from
 * and @to (0 when @to <= @from), rounded down. The inverse of
 * tg_calendar_deadline(): working_minutes (s, deadline (s, m)) == m.
 */
gint64 tg_calendar_working_minutes (const TgCalendar *cal,
				    GDateTime *from,
				    GDateTime *to);

/* tg_calendar_get_days: the working weekdays, TG_CALENDAR_DAY() bits. */
guint tg_calendar_get_days (const TgCalendar *cal);

/* tg_calendar_get_opening: the opening and closing time of a working
 * day, in minutes after local midnight. */
void tg_calendar_get_opening (const TgCalendar *cal,
			      int *start_minute_out,
			      int *end_minute_out);

/*
 * tg_calendar_describe_zone: (transfer full): the desk's zone as people
 * read it: its identifier when it is an IANA name ("Europe/Vilnius"), as
 * a UTC offset when it has a single one ("UTC+02:00"), else by its
 * identifier (a POSIX TZ rule). The hours in words are reply's
 * (tg_reply_describe_hours), in the desk's language.
 */
char *tg_calendar_describe_zone (const TgCalendar *cal);

/*
 * tg_calendar_parse_days: parses a working-days setting into a mask.
 * Accepts ranges and lists of English day names or three-letter
 * abbreviations, case-insensitive, separated by commas, semicolons or
 * spaces: "Mon-Fri", "Mon,Wed,Fri", "Sun-Thu", "monday-friday".
 * Returns FALSE with TG_CALENDAR_ERROR_INVALID naming the bad word.
 */
gboolean tg_calendar_parse_days (const char *text,
				 guint *mask_out,
				 GError **error);

/*
 * tg_calendar_parse_time: parses "HH:MM" (00:00..24:00) into minutes after
 * midnight. Returns FALSE with TG_CALENDAR_ERROR_INVALID.
 */
gboolean tg_calendar_parse_time (const char *text,
				 int *minutes_out,
				 GError **error);

/* The form tg_calendar_parse_instant() takes, for error messages. */
#define TG_CALENDAR_INSTANT_FORM "YYYY-MM-DDTHH:MM[:SS][+HH:MM|Z]"

/*
 * tg_calendar_parse_instant: parses an ISO 8601 date and time:
 * YYYY-MM-DDTHH:MM, with optional seconds (and fraction), and an optional
 * offset ("Z", "+HH", "+HHMM", "+HH:MM"); a blank may stand for the T.
 * Without an offset, the time is in @tz (the desk's zone).
 * Returns: (transfer full): the time, or NULL with
 * TG_CALENDAR_ERROR_INVALID naming the text and the form wanted.
 */
GDateTime *tg_calendar_parse_instant (const char *text,
				      GTimeZone *tz,
				      GError **error)
	G_GNUC_WARN_UNUSED_RESULT;

/*
 * tg_calendar_format_instant: (transfer full): @t in @tz as
 * "YYYY-MM-DDTHH:MM:SS+HH:MM", whole seconds: the one way the logs and
 * the command line write a time.
 */
char *tg_calendar_format_instant (GDateTime *t, GTimeZone *tz);
