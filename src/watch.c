/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * watch: the working-hours rules of the deadline watch. The thresholds
 * use the calendar that computed the deadline, so a warning at 75% of a
 * one-hour PLATINUM reaction time lands 45 working minutes after the
 * clock started, across nights, weekends and holidays alike.
 */
#include "watch.h"

const char *
tg_watch_kind_to_string (TgWatchKind kind)
{
	return kind == TG_WATCH_WARN ? "warn" : "breach";
}

GDateTime *
tg_watch_threshold (const TgCalendar *cal, TgWatchKind kind,
		    GDateTime *received_at, int reaction_minutes,
		    GDateTime *deadline, int warn_percent)
{
	GDateTime *warn;
	int minutes;

	g_return_val_if_fail (cal != NULL && deadline != NULL, NULL);
	if (kind == TG_WATCH_BREACH || received_at == NULL ||
	    reaction_minutes <= 0)
		return g_date_time_ref (deadline);
	minutes = (reaction_minutes * warn_percent + 99) / 100;
	warn = tg_calendar_deadline (cal, received_at, minutes);
	/* A holiday added after the ticket was opened moves the warning,
	 * not the deadline the customer was promised. */
	if (warn == NULL || g_date_time_compare (warn, deadline) > 0) {
		g_clear_pointer (&warn, g_date_time_unref);
		return g_date_time_ref (deadline);
	}
	return warn;
}

gboolean
tg_watch_is_due (const TgCalendar *cal, GDateTime *threshold, GDateTime *now)
{
	g_return_val_if_fail (cal != NULL && threshold != NULL && now != NULL,
			      FALSE);
	return g_date_time_compare (threshold, now) <= 0 &&
	       tg_calendar_is_working_time (cal, now);
}

gboolean
tg_watch_daily_due (const TgCalendar *cal, GDateTime *now, GDate *day_out)
{
	g_autoptr (GDateTime) local = NULL;

	g_return_val_if_fail (cal != NULL && now != NULL && day_out != NULL,
			      FALSE);
	local = g_date_time_to_timezone (now, tg_calendar_get_timezone (cal));
	g_date_clear (day_out, 1);
	g_date_set_dmy (day_out, g_date_time_get_day_of_month (local),
			g_date_time_get_month (local),
			g_date_time_get_year (local));
	return tg_calendar_is_working_time (cal, now);
}

gint64
tg_watch_minutes_left (const TgCalendar *cal, GDateTime *now,
		       GDateTime *deadline, gboolean *overdue_out)
{
	gboolean overdue;

	g_return_val_if_fail (cal != NULL && now != NULL && deadline != NULL, 0);
	overdue = g_date_time_compare (now, deadline) > 0;
	if (overdue_out != NULL)
		*overdue_out = overdue;
	return overdue ? 0 : tg_calendar_working_minutes (cal, now, deadline);
}

char *
tg_watch_format_minutes (gint64 minutes)
{
	return g_strdup_printf ("%" G_GINT64_FORMAT "h %02" G_GINT64_FORMAT "m",
				minutes / 60, minutes % 60);
}

char *
tg_watch_format_left (const TgCalendar *cal, GDateTime *now,
		      GDateTime *deadline)
{
	gboolean overdue = FALSE;
	gint64 left = tg_watch_minutes_left (cal, now, deadline, &overdue);
	g_autofree char *text = NULL;

	if (!overdue)
		return tg_watch_format_minutes (left);
	text = tg_watch_format_minutes (
		tg_calendar_working_minutes (cal, deadline, now));
	return g_strconcat ("-", text, NULL);
}
