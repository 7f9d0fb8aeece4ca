/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * calendar: working-hours arithmetic for reaction-time deadlines. A desk
 * has a time zone, working weekdays, daily opening hours and holidays;
 * this module turns "start + N working minutes" into an instant and back.
 * Pure GLib: it must not read the clock, the configuration or the database.
 */
#include "calendar.h"

#include <stdlib.h>
#include <string.h>

#include <glib.h>

#define TG_CALENDAR_ALL_DAYS                                                   \
	(TG_CALENDAR_MON_FRI | TG_CALENDAR_DAY (6) | TG_CALENDAR_DAY (7))
/* The search for working time gives up after this many days without any. */
#define TG_CALENDAR_HORIZON_DAYS (10 * 366)
#define TG_CALENDAR_DAY_SECONDS G_GINT64_CONSTANT (86400)
#define TG_CALENDAR_MINUTE_USEC G_GINT64_CONSTANT (60000000)
/* g_date_get_julian() of 1970-01-01: turns unix day numbers into GDates. */
#define TG_CALENDAR_EPOCH_JULIAN 719163

struct _TgCalendar {
	GTimeZone *tz;
	guint days_mask;
	int start_minute;
	int end_minute;
	GHashTable *holidays; /* packed local date -> name, "" if unnamed */
};

/* A stretch of working time, [begin, end) in unix microseconds. */
typedef struct {
	gint64 begin;
	gint64 end;
} Span;

static const char *const day_names[8] = {
	NULL,       "Monday", "Tuesday",  "Wednesday",
	"Thursday", "Friday", "Saturday", "Sunday",
};

static gint64
floor_div (gint64 a, gint64 b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

static int
next_day (int day)
{
	return day == 7 ? 1 : day + 1;
}

static gboolean
is_valid_date (int year, int month, int day)
{
	return year >= 1 && year <= 9999 && month >= 1 && month <= 12 &&
	       day >= 1 &&
	       day <= g_date_get_days_in_month ((GDateMonth) month,
						(GDateYear) year);
}

static gpointer
pack_date (int year, int month, int day)
{
	return GINT_TO_POINTER (year * 10000 + month * 100 + day);
}

static gboolean
is_working_date (const TgCalendar *cal, const GDate *date)
{
	GDateWeekday weekday = g_date_get_weekday (date);

	if ((cal->days_mask & TG_CALENDAR_DAY (weekday)) == 0)
		return FALSE;
	return !g_hash_table_contains (cal->holidays,
				       pack_date (g_date_get_year (date),
						  g_date_get_month (date),
						  g_date_get_day (date)));
}

/* @day counts local days since 1970-01-01. */
static gboolean
is_working_day_number (const TgCalendar *cal, gint64 day)
{
	gint64 julian = day + TG_CALENDAR_EPOCH_JULIAN;
	GDate date;

	if (julian < 1 || julian > G_MAXUINT32 ||
	    !g_date_valid_julian ((guint32) julian))
		return FALSE;
	g_date_clear (&date, 1);
	g_date_set_julian (&date, (guint32) julian);
	return is_working_date (cal, &date);
}

static gint64
to_usec (GDateTime *t)
{
	return g_date_time_to_unix (t) * G_USEC_PER_SEC +
	       g_date_time_get_microsecond (t);
}

static GDateTime *
from_usec (const TgCalendar *cal, gint64 usec)
{
	g_autoptr (GDateTime) epoch = g_date_time_new_from_unix_utc (0);
	g_autoptr (GDateTime) utc = g_date_time_add (epoch, usec);

	if (utc == NULL)
		return NULL;
	return g_date_time_to_timezone (utc, cal->tz);
}

/* The zone's offset from UTC at unix time @sec, in seconds. */
static gint64
offset_at (GTimeZone *tz, gint64 sec)
{
	return g_time_zone_get_offset (
		tz, g_time_zone_find_interval (tz, G_TIME_TYPE_UNIVERSAL, sec));
}

/*
 * The first second after @sec at which the zone leaves @interval, or @until
 * when it stays in it up to there. Interval numbers grow with time, so a
 * bisection finds the change.
 */
static gint64
interval_end (GTimeZone *tz, gint64 sec, int interval, gint64 until)
{
	gint64 lo = sec;
	gint64 hi = until - 1;

	if (g_time_zone_find_interval (tz, G_TIME_TYPE_UNIVERSAL, hi) ==
	    interval)
		return until;
	while (hi - lo > 1) {
		gint64 mid = lo + (hi - lo) / 2;

		if (g_time_zone_find_interval (tz, G_TIME_TYPE_UNIVERSAL,
					       mid) == interval)
			lo = mid;
		else
			hi = mid;
	}
	return hi;
}

/*
 * Looks at the stretch from @cur to the next local midnight or offset
 * change, whichever is first, and stores its end in @stop_out. Inside it
 * the offset is fixed, so the instants whose local time is within the
 * working hours form one span. Returns whether that span is non-empty.
 */
static gboolean
span_in_stretch (const TgCalendar *cal,
		 gint64 cur,
		 Span *span_out,
		 gint64 *stop_out)
{
	gint64 sec = floor_div (cur, G_USEC_PER_SEC);
	int interval =
		g_time_zone_find_interval (cal->tz, G_TIME_TYPE_UNIVERSAL, sec);
	gint64 offset = g_time_zone_get_offset (cal->tz, interval);
	gint64 day = floor_div (sec + offset, TG_CALENDAR_DAY_SECONDS);
	gint64 midnight = day * TG_CALENDAR_DAY_SECONDS - offset;
	gint64 stop = interval_end (cal->tz, sec, interval,
				    midnight + TG_CALENDAR_DAY_SECONDS);
	gint64 begin = (midnight + cal->start_minute * 60) * G_USEC_PER_SEC;
	gint64 end = (midnight + cal->end_minute * 60) * G_USEC_PER_SEC;

	*stop_out = stop * G_USEC_PER_SEC;
	begin = MAX (begin, cur);
	end = MIN (end, *stop_out);
	if (begin >= end || !is_working_day_number (cal, day))
		return FALSE;
	span_out->begin = begin;
	span_out->end = end;
	return TRUE;
}

/*
 * The first span of working time at or after @from and before @limit,
 * clipped to both. Spans may touch (at midnight or an offset change).
 */
static gboolean
next_span (const TgCalendar *cal, gint64 from, gint64 limit, Span *span_out)
{
	gint64 cur = from;

	while (cur < limit) {
		gint64 stop = 0;

		if (span_in_stretch (cal, cur, span_out, &stop)) {
			if (span_out->begin >= limit)
				return FALSE;
			span_out->end = MIN (span_out->end, limit);
			return TRUE;
		}
		cur = stop;
	}
	return FALSE;
}

static gint64
horizon (gint64 from)
{
	return from + TG_CALENDAR_HORIZON_DAYS * TG_CALENDAR_DAY_SECONDS *
			      G_USEC_PER_SEC;
}

static gboolean
check_hours (guint days_mask, int start_minute, int end_minute, GError **error)
{
	if ((days_mask & ~TG_CALENDAR_ALL_DAYS) != 0) {
		g_set_error (
			error, TG_CALENDAR_ERROR, TG_CALENDAR_ERROR_INVALID,
			"working days mask 0x%x has unknown bits", days_mask);
		return FALSE;
	}
	if (days_mask == 0) {
		g_set_error_literal (error, TG_CALENDAR_ERROR,
				     TG_CALENDAR_ERROR_INVALID,
				     "working days: no working day");
		return FALSE;
	}
	if (start_minute < 0 || start_minute > 1439) {
		g_set_error (
			error, TG_CALENDAR_ERROR, TG_CALENDAR_ERROR_INVALID,
			"opening minute %d is outside 0..1439", start_minute);
		return FALSE;
	}
	if (end_minute < 1 || end_minute > 1440) {
		g_set_error (
			error, TG_CALENDAR_ERROR, TG_CALENDAR_ERROR_INVALID,
			"closing minute %d is outside 1..1440", end_minute);
		return FALSE;
	}
	if (end_minute <= start_minute) {
		g_set_error (error, TG_CALENDAR_ERROR,
			     TG_CALENDAR_ERROR_INVALID,
			     "closing time %02d:%02d is not after opening time "
			     "%02d:%02d",
			     end_minute / 60, end_minute % 60,
			     start_minute / 60, start_minute % 60);
		return FALSE;
	}
	return TRUE;
}

/* Whether @id reads like an IANA name ("Europe/Vilnius"), not a TZ rule. */
static gboolean
looks_like_zone_name (const char *id)
{
	if (id == NULL || !g_ascii_isalpha (id[0]) || strchr (id, '/') == NULL)
		return FALSE;
	for (const char *p = id; *p != '\0'; p++)
		if (!g_ascii_isalnum (*p) && strchr ("/_-+", *p) == NULL)
			return FALSE;
	return TRUE;
}

static char *
describe_zone (GTimeZone *tz)
{
	const char *id = g_time_zone_get_identifier (tz);
	gboolean is_fixed =
		g_time_zone_find_interval (tz, G_TIME_TYPE_UNIVERSAL,
					   G_MAXINT64 / 2) == 0;
	int offset = 0;

	/* A zone with summer time has no single offset to show. */
	if (looks_like_zone_name (id) || !is_fixed)
		return g_strdup (id);
	offset = g_time_zone_get_offset (tz, 0);
	return g_strdup_printf ("UTC%c%02d:%02d", offset < 0 ? '-' : '+',
				abs (offset) / 3600, abs (offset) / 60 % 60);
}

static int
day_from_name (const char *name)
{
	for (int day = 1; day <= 7; day++) {
		if (g_ascii_strcasecmp (name, day_names[day]) == 0)
			return day;
		if (strlen (name) == 3 &&
		    g_ascii_strncasecmp (name, day_names[day], 3) == 0)
			return day;
	}
	return 0;
}

static int
day_or_error (const char *name, const char *text, GError **error)
{
	int day = day_from_name (name);

	if (day == 0)
		g_set_error (error, TG_CALENDAR_ERROR,
			     TG_CALENDAR_ERROR_INVALID,
			     "unknown day \"%s\" in working days \"%s\"", name,
			     text);
	return day;
}

/* Adds one word of a days setting, "Mon" or "Fri-Mon", to @mask. */
static gboolean
add_day_word (const char *word, const char *text, guint *mask, GError **error)
{
	g_auto (GStrv) ends = g_strsplit (word, "-", -1);
	guint n = g_strv_length (ends);
	int first = 0;
	int last = 0;

	if (n > 2 || (n == 2 && (*ends[0] == '\0' || *ends[1] == '\0'))) {
		g_set_error (error, TG_CALENDAR_ERROR,
			     TG_CALENDAR_ERROR_INVALID,
			     "bad day range \"%s\" in working days \"%s\"",
			     word, text);
		return FALSE;
	}
	first = day_or_error (ends[0], text, error);
	if (first == 0)
		return FALSE;
	last = n == 2 ? day_or_error (ends[1], text, error) : first;
	if (last == 0)
		return FALSE;
	for (int day = first;; day = next_day (day)) {
		*mask |= TG_CALENDAR_DAY (day);
		if (day == last)
			break;
	}
	return TRUE;
}

static gboolean
is_blank (char c)
{
	return c == ' ' || c == '\t';
}

/* Drops blanks next to a dash, so that "Mon - Fri" is one word. */
static char *
join_dashes (const char *text)
{
	g_autoptr (GString) out = g_string_new (NULL);

	for (const char *p = text; *p != '\0'; p++) {
		if (is_blank (*p)) {
			const char *q = p + strspn (p, " \t");

			if (*q == '-' ||
			    (out->len > 0 && out->str[out->len - 1] == '-')) {
				p = q - 1;
				continue;
			}
		}
		g_string_append_c (out, *p);
	}
	return g_string_free (g_steal_pointer (&out), FALSE);
}

/* "H:MM" or "HH:MM", 00:00..24:00. */
static gboolean
parse_clock (const char *text, int *minutes_out)
{
	const char *p = text;
	int hours = 0;
	int minutes = 0;

	while (g_ascii_isdigit (*p) && p - text < 3)
		hours = hours * 10 + (*p++ - '0');
	if (p == text || p - text > 2 || p[0] != ':' ||
	    !g_ascii_isdigit (p[1]) || !g_ascii_isdigit (p[2]) || p[3] != '\0')
		return FALSE;
	minutes = (p[1] - '0') * 10 + (p[2] - '0');
	if (minutes > 59 || hours * 60 + minutes > 1440)
		return FALSE;
	*minutes_out = hours * 60 + minutes;
	return TRUE;
}

G_DEFINE_QUARK (tg-calendar-error-quark, tg_calendar_error)

TgCalendar *
tg_calendar_new (GTimeZone *tz,
		 guint days_mask,
		 int start_minute,
		 int end_minute,
		 GError **error)
{
	TgCalendar *cal = NULL;

	g_return_val_if_fail (tz != NULL, NULL);
	g_return_val_if_fail (error == NULL || *error == NULL, NULL);

	if (!check_hours (days_mask, start_minute, end_minute, error))
		return NULL;
	cal = g_new0 (TgCalendar, 1);
	cal->tz = g_time_zone_ref (tz);
	cal->days_mask = days_mask;
	cal->start_minute = start_minute;
	cal->end_minute = end_minute;
	cal->holidays = g_hash_table_new_full (g_direct_hash, g_direct_equal,
					       NULL, g_free);
	return cal;
}

void
tg_calendar_free (TgCalendar *cal)
{
	if (cal == NULL)
		return;
	g_clear_pointer (&cal->tz, g_time_zone_unref);
	g_clear_pointer (&cal->holidays, g_hash_table_unref);
	g_free (cal);
}

void
tg_calendar_add_holiday (
	TgCalendar *cal, int year, int month, int day, const char *name)
{
	gpointer key = NULL;

	g_return_if_fail (cal != NULL);
	g_return_if_fail (is_valid_date (year, month, day));

	key = pack_date (year, month, day);
	if (!g_hash_table_contains (cal->holidays, key))
		g_hash_table_insert (cal->holidays, key,
				     g_strdup (name != NULL ? name : ""));
}

GTimeZone *
tg_calendar_get_timezone (const TgCalendar *cal)
{
	g_return_val_if_fail (cal != NULL, NULL);

	return cal->tz;
}

gboolean
tg_calendar_is_working_day (const TgCalendar *cal, int year, int month, int day)
{
	GDate date;

	g_return_val_if_fail (cal != NULL, FALSE);
	g_return_val_if_fail (is_valid_date (year, month, day), FALSE);

	g_date_clear (&date, 1);
	g_date_set_dmy (&date, (GDateDay) day, (GDateMonth) month,
			(GDateYear) year);
	return is_working_date (cal, &date);
}

const char *
tg_calendar_holiday_name (const TgCalendar *cal, int year, int month, int day)
{
	g_return_val_if_fail (cal != NULL, NULL);
	g_return_val_if_fail (is_valid_date (year, month, day), NULL);

	return g_hash_table_lookup (cal->holidays,
				    pack_date (year, month, day));
}

gboolean
tg_calendar_is_working_time (const TgCalendar *cal, GDateTime *t)
{
	gint64 sec = 0;
	gint64 local = 0;
	gint64 day = 0;
	gint64 second_of_day = 0;

	g_return_val_if_fail (cal != NULL, FALSE);
	g_return_val_if_fail (t != NULL, FALSE);

	/* The same arithmetic as span_in_stretch(), so the two agree. */
	sec = g_date_time_to_unix (t);
	local = sec + offset_at (cal->tz, sec);
	day = floor_div (local, TG_CALENDAR_DAY_SECONDS);
	second_of_day = local - day * TG_CALENDAR_DAY_SECONDS;
	return second_of_day >= cal->start_minute * 60 &&
	       second_of_day < cal->end_minute * 60 &&
	       is_working_day_number (cal, day);
}

GDateTime *
tg_calendar_clock_start (const TgCalendar *cal, GDateTime *t)
{
	g_return_val_if_fail (cal != NULL, NULL);
	g_return_val_if_fail (t != NULL, NULL);

	return tg_calendar_deadline (cal, t, 0);
}

GDateTime *
tg_calendar_deadline (const TgCalendar *cal, GDateTime *start, int minutes)
{
	gint64 need = 0;
	gint64 cur = 0;
	Span span = { 0, 0 };

	g_return_val_if_fail (cal != NULL, NULL);
	g_return_val_if_fail (start != NULL, NULL);
	g_return_val_if_fail (minutes >= 0, NULL);

	need = minutes * TG_CALENDAR_MINUTE_USEC;
	cur = to_usec (start);
	/* need == 0 stops at the first span: the clock start. */
	for (;;) {
		if (!next_span (cal, cur, horizon (cur), &span))
			return NULL;
		if (span.end - span.begin >= need)
			return from_usec (cal, span.begin + need);
		need -= span.end - span.begin;
		cur = span.end;
	}
}

gint64
tg_calendar_working_minutes (const TgCalendar *cal,
			     GDateTime *from,
			     GDateTime *to)
{
	gint64 cur = 0;
	gint64 limit = 0;
	gint64 total = 0;
	Span span = { 0, 0 };

	g_return_val_if_fail (cal != NULL, 0);
	g_return_val_if_fail (from != NULL, 0);
	g_return_val_if_fail (to != NULL, 0);

	cur = to_usec (from);
	limit = to_usec (to);
	while (next_span (cal, cur, limit, &span)) {
		total += span.end - span.begin;
		cur = span.end;
	}
	return total / TG_CALENDAR_MINUTE_USEC;
}

guint
tg_calendar_get_days (const TgCalendar *cal)
{
	g_return_val_if_fail (cal != NULL, 0);
	return cal->days_mask;
}

void
tg_calendar_get_opening (const TgCalendar *cal, int *start_minute_out,
			 int *end_minute_out)
{
	g_return_if_fail (cal != NULL);
	*start_minute_out = cal->start_minute;
	*end_minute_out = cal->end_minute;
}

char *
tg_calendar_describe_zone (const TgCalendar *cal)
{
	g_return_val_if_fail (cal != NULL, NULL);
	return describe_zone (cal->tz);
}

gboolean
tg_calendar_parse_days (const char *text, guint *mask_out, GError **error)
{
	g_autofree char *joined = NULL;
	g_auto (GStrv) words = NULL;
	guint mask = 0;

	g_return_val_if_fail (text != NULL, FALSE);
	g_return_val_if_fail (mask_out != NULL, FALSE);
	g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

	joined = join_dashes (text);
	words = g_strsplit_set (joined, ",; \t", -1);
	for (char **word = words; *word != NULL; word++)
		if (**word != '\0' && !add_day_word (*word, text, &mask, error))
			return FALSE;
	if (mask == 0) {
		g_set_error (error, TG_CALENDAR_ERROR,
			     TG_CALENDAR_ERROR_INVALID,
			     "working days \"%s\": no day given", text);
		return FALSE;
	}
	*mask_out = mask;
	return TRUE;
}

gboolean
tg_calendar_parse_time (const char *text, int *minutes_out, GError **error)
{
	int minutes = 0;

	g_return_val_if_fail (text != NULL, FALSE);
	g_return_val_if_fail (minutes_out != NULL, FALSE);
	g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

	if (!parse_clock (text, &minutes)) {
		g_set_error (error, TG_CALENDAR_ERROR,
			     TG_CALENDAR_ERROR_INVALID,
			     "time \"%s\" is not HH:MM between 00:00 and 24:00",
			     text);
		return FALSE;
	}
	*minutes_out = minutes;
	return TRUE;
}

GDateTime *
tg_calendar_parse_instant (const char *text, GTimeZone *tz, GError **error)
{
	g_autoptr (GString) s = NULL;
	const char *clock;
	GDateTime *t;

	g_return_val_if_fail (text != NULL, NULL);
	g_return_val_if_fail (tz != NULL, NULL);
	g_return_val_if_fail (error == NULL || *error == NULL, NULL);

	/* GLib wants the seconds; ISO 8601 lets them go (HH:MM). */
	s = g_string_new (text);
	if (s->len >= 16 && (s->str[10] == 'T' || s->str[10] == ' ')) {
		s->str[10] = 'T';
		clock = s->str + 11;
		if (g_ascii_isdigit (clock[0]) && g_ascii_isdigit (clock[1]) &&
		    clock[2] == ':' && g_ascii_isdigit (clock[3]) &&
		    g_ascii_isdigit (clock[4]) && clock[5] != ':')
			g_string_insert (s, 16, ":00");
	}
	t = strlen (text) >= 16 ? g_date_time_new_from_iso8601 (s->str, tz)
				: NULL;
	if (t == NULL)
		g_set_error (error, TG_CALENDAR_ERROR,
			     TG_CALENDAR_ERROR_INVALID,
			     "\"%s\" is not a time of the form %s", text,
			     TG_CALENDAR_INSTANT_FORM);
	return t;
}

char *
tg_calendar_format_instant (GDateTime *t, GTimeZone *tz)
{
	g_autoptr (GDateTime) local = NULL;

	g_return_val_if_fail (t != NULL && tz != NULL, NULL);
	local = g_date_time_to_timezone (t, tz);
	return g_date_time_format (local, "%Y-%m-%dT%H:%M:%S%:z");
}
