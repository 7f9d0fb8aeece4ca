/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * watch: when the desk tells staff about a deadline (doc/sla.md): the
 * warning once a share of the reaction time has passed, the breach notice
 * at the deadline, the morning queue, each only inside working hours, and
 * the time left in working hours as every command writes it. Pure: the
 * calendar and the ticket's times in, decisions out.
 */
#pragma once

#include <glib.h>

#include "calendar.h"

typedef enum {
	TG_WATCH_WARN,   /* [escalation] warn_at of the reaction time passed */
	TG_WATCH_BREACH, /* the deadline passed */
} TgWatchKind;

/* tg_watch_kind_to_string: (transfer none): "warn" or "breach", as the
 * escalations table has them. */
const char *tg_watch_kind_to_string (TgWatchKind kind);

/*
 * tg_watch_threshold: (transfer full): when the @kind notice of a ticket
 * is due: for a warning, @warn_percent of its @reaction_minutes (rounded
 * up) counted in working minutes from @received_at, never after the
 * @deadline; for a breach, the @deadline.
 */
GDateTime *tg_watch_threshold (const TgCalendar *cal,
			       TgWatchKind kind,
			       GDateTime *received_at,
			       int reaction_minutes,
			       GDateTime *deadline,
			       int warn_percent);

/*
 * tg_watch_is_due: whether a notice whose threshold is @threshold goes
 * out at @now: the threshold has passed and @now is working time. A
 * threshold reached at night is sent at the next opening.
 */
gboolean tg_watch_is_due (const TgCalendar *cal,
			  GDateTime *threshold,
			  GDateTime *now);

/*
 * tg_watch_daily_due: whether the morning queue of @now's day goes out:
 * @now is working time (so never on a day off). @day_out: the desk's
 * local date of @now.
 */
gboolean tg_watch_daily_due (const TgCalendar *cal, GDateTime *now,
			     GDate *day_out);

/*
 * tg_watch_minutes_left: working minutes from @now to @deadline, 0 once
 * it has passed; *@overdue_out says whether it has (nullable).
 */
gint64 tg_watch_minutes_left (const TgCalendar *cal,
			      GDateTime *now,
			      GDateTime *deadline,
			      gboolean *overdue_out);

/*
 * tg_watch_format_left: (transfer full): the working time from @now to
 * @deadline as "1h 05m", or since it as "-0h 20m": what queue, ticket
 * show, the notices and the report all print.
 */
char *tg_watch_format_left (const TgCalendar *cal,
			    GDateTime *now,
			    GDateTime *deadline);

/* tg_watch_format_minutes: (transfer full): "1h 05m". */
char *tg_watch_format_minutes (gint64 minutes);
