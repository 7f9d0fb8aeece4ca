/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * reply: turns the facts of a new ticket into the acknowledgment the
 * customer reads: template values, dates written the same way in every
 * locale, the deadline explained, then the MIME mail through compose.
 * No database and no GMime here.
 */
#include "reply.h"

#include <stdarg.h>
#include <string.h>

#include "compose.h"
#include "scope.h"
#include "staffblock.h"
#include "template.h"
#include "thread.h"

G_DEFINE_QUARK (tg-reply-error-quark, tg_reply_error)

const char *const tg_reply_placeholders[] = {
	"ticket_number", "tag", "subject", "customer", "requester", "plan",
	"priority",
	"reaction_time", "deadline", "deadline_iso", "deadline_note",
	"received", "received_iso", "hourly_rate", "support_hours",
	"support_address", "from_name", "scope_note", "event",
	"requester_address", "status", "assignee", "cc", "scope_topics",
	"follows", "notice", "warnings", "time_left", "day", "queue",
	"queue_count", "late", "paid_reason", NULL,
};

static const char *const template_files[TG_REPLY_N_KINDS] = {
	[TG_REPLY_ACK] = "ack.txt",
	[TG_REPLY_ACK_PAID] = "ack-paid.txt",
	[TG_REPLY_REJECT_UNKNOWN] = "reject-unknown.txt",
	[TG_REPLY_NOTIFY] = "notify.txt",
	[TG_REPLY_STAFF_NOTICE] = "staff-notice.txt",
	[TG_REPLY_WARN] = "warn.txt",
	[TG_REPLY_BREACH] = "breach.txt",
	[TG_REPLY_DAILY] = "daily.txt",
};

/* The placeholders each phrase offers, and the table of phrases. */
#define PH(...) ((const char *const[]){ __VA_ARGS__, NULL })

static const TgPhraseSpec phrase_specs[TG_PHRASE_N] = {
	[TG_PHRASE_WEEKDAYS] = { "weekdays", NULL, 7 },
	[TG_PHRASE_WEEKDAYS_SHORT] = { "weekdays-short", NULL, 7 },
	[TG_PHRASE_MONTHS] = { "months", NULL, 12 },
	[TG_PHRASE_MONTHS_SHORT] = { "months-short", NULL, 12 },
	[TG_PHRASE_DATE] = { "date", PH ("weekday", "day", "month", "year"),
			     0 },
	[TG_PHRASE_DATE_TIME] = { "date-time",
				  PH ("weekday", "day", "month", "year",
				      "time", "zone"),
				  0 },
	[TG_PHRASE_DATE_SHORT] = { "date-short",
				   PH ("weekday", "day", "month", "time"), 0 },
	[TG_PHRASE_HOURS] = { "hours", PH ("days", "start", "end", "zone"), 0 },
	[TG_PHRASE_DAYS_EVERY] = { "days-every", NULL, 0 },
	[TG_PHRASE_DAYS_RANGE] = { "days-range", PH ("first", "last"), 0 },
	[TG_PHRASE_DAYS_LIST] = { "days-list", PH ("list", "day"), 0 },
	[TG_PHRASE_DAYS_LIST_LAST] = { "days-list-last", PH ("list", "day"),
				       0 },
	[TG_PHRASE_OUTSIDE_HOURS] = { "outside-hours", PH ("start"), 0 },
	[TG_PHRASE_CARRIES_OVER] = { "carries-over", PH ("weekday"), 0 },
	[TG_PHRASE_HOLIDAY] = { "holiday",
				PH ("weekday", "day", "month", "holiday"), 0 },
	[TG_PHRASE_HOLIDAY_UNNAMED] = { "holiday-unnamed",
					PH ("weekday", "day", "month"), 0 },
	[TG_PHRASE_REACTION_HOUR] = { "reaction-hour", PH ("hours"), 0 },
	[TG_PHRASE_REACTION_HOURS] = { "reaction-hours", PH ("hours"), 0 },
	[TG_PHRASE_REACTION_MINUTES] = { "reaction-minutes", PH ("minutes"),
					 0 },
	[TG_PHRASE_REACTION_NONE] = { "reaction-none", NULL, 0 },
	[TG_PHRASE_DEADLINE_NONE] = { "deadline-none", NULL, 0 },
	[TG_PHRASE_PLAN_NONE] = { "plan-none", NULL, 0 },
	[TG_PHRASE_PRIORITIES] = { "priorities", NULL, 3 },
	[TG_PHRASE_SCOPE_NOTE] = { "scope-note", PH ("topics"), 0 },
	[TG_PHRASE_SCOPE_TOPIC] = { "scope-topic", PH ("topic", "rule"), 0 },
	[TG_PHRASE_SCOPE_TOPICS_MORE] = { "scope-topics-more",
					  PH ("list", "topic"), 0 },
	[TG_PHRASE_PAID_REASON] = { "paid-reason",
				    PH ("plan", "hourly_rate"), 0 },
	[TG_PHRASE_PAID_REASON_UNKNOWN] = { "paid-reason-unknown",
					    PH ("hourly_rate"), 0 },
	[TG_PHRASE_WARNING] = { "warning", PH ("warning"), 0 },
	[TG_PHRASE_ATTACHMENT_TOO_LARGE] = { "attachment-too-large",
					     PH ("filename", "content_type",
						 "size", "limit"),
					     0 },
	[TG_PHRASE_ATTACHMENT_UNNAMED] = { "attachment-unnamed", NULL, 0 },
	[TG_PHRASE_NO_SUBJECT] = { "no-subject", NULL, 0 },
	[TG_PHRASE_WARN_BAD_SIGNATURE] = { "warn-bad-signature", PH ("number"),
					   0 },
	[TG_PHRASE_WARN_REPLY_TO_IGNORED] = { "warn-reply-to-ignored",
					      PH ("asked", "reply_address"),
					      0 },
	[TG_PHRASE_WARN_SENDER_UNVERIFIED] = { "warn-sender-unverified",
					       PH ("verdict", "domain"), 0 },
	[TG_PHRASE_WARN_CC_DROPPED_ONE] = { "warn-cc-dropped-one",
					    PH ("count", "max", "addresses"),
					    0 },
	[TG_PHRASE_WARN_CC_DROPPED] = { "warn-cc-dropped",
					PH ("count", "max", "addresses"), 0 },
	[TG_PHRASE_CC_DROPPED_MORE] = { "cc-dropped-more",
					PH ("list", "count"), 0 },
	[TG_PHRASE_WARN_REFERS] = { "warn-refers", PH ("number"), 0 },
	[TG_PHRASE_EVENT_NEW] = { "event-new", NULL, 0 },
	[TG_PHRASE_EVENT_NEW_FOLLOWS] = { "event-new-follows", NULL, 0 },
	[TG_PHRASE_EVENT_FOLLOW_UP] = { "event-follow-up", NULL, 0 },
	[TG_PHRASE_EVENT_FOLLOW_UP_REOPENED] = { "event-follow-up-reopened",
						 NULL, 0 },
	[TG_PHRASE_EVENT_COMMENT] = { "event-comment", PH ("sender"), 0 },
	[TG_PHRASE_EVENT_DSN] = { "event-dsn", NULL, 0 },
	[TG_PHRASE_EVENT_MACHINE] = { "event-machine", NULL, 0 },
	[TG_PHRASE_FROM_VIA] = { "from-via", PH ("writer", "from_name"), 0 },
	[TG_PHRASE_WRITER_UNKNOWN] = { "writer-unknown", NULL, 0 },
	[TG_PHRASE_RELAY_LIMITS_SUBJECT] = { "relay-limits-subject",
					     PH ("subject"), 0 },
	[TG_PHRASE_RELAY_LIMITS] = { "relay-limits", PH ("held"), 0 },
	[TG_PHRASE_NOT_SENT_SUBJECT] = { "not-sent-subject", PH ("subject"),
					 0 },
	[TG_PHRASE_REFUSED] = { "refused", PH ("ticket", "problem"), 0 },
	[TG_PHRASE_TICKET_NONE] = { "ticket-none", NULL, 0 },
	[TG_PHRASE_COMMAND_UNKNOWN] = { "command-unknown", PH ("line"), 0 },
	[TG_PHRASE_COMMAND_BAD_STATUS] = { "command-bad-status", PH ("line"),
					   0 },
	[TG_PHRASE_COMMAND_BAD_PRIORITY] = { "command-bad-priority",
					     PH ("line"), 0 },
	[TG_PHRASE_COMMAND_BAD_ASSIGN] = { "command-bad-assign", PH ("line"),
					   0 },
	[TG_PHRASE_COMMAND_NOT_STAFF] = { "command-not-staff", PH ("address"),
					  0 },
	[TG_PHRASE_NO_TICKET] = { "no-ticket", NULL, 0 },
	[TG_PHRASE_NOTE_NO_TICKET] = { "note-no-ticket", NULL, 0 },
	[TG_PHRASE_HELD_SUBJECT] = { "held-subject", PH ("subject"), 0 },
	[TG_PHRASE_HELD_WHY] = { "held-why", PH ("sender", "evidence"), 0 },
	[TG_PHRASE_HELD] = { "held",
			     PH ("ticket", "subject", "envelope_sender",
				 "why"),
			     0 },
	[TG_PHRASE_SENDER_UNKNOWN] = { "sender-unknown", NULL, 0 },
	[TG_PHRASE_QUEUE_PAID] = { "queue-paid", NULL, 0 },
	[TG_PHRASE_LATE_LINE] = { "late-line",
				  PH ("number", "plan", "due", "answered",
				      "customer", "subject"),
				  0 },
	[TG_PHRASE_REPORT_LANGUAGE] = { "report-language", NULL, 0 },
	[TG_PHRASE_REPORT_HEADING] = { "report-heading",
				       PH ("from", "to", "customer"), 0 },
	[TG_PHRASE_REPORT_ALL_CUSTOMERS] = { "report-all-customers", NULL,
					     0 },
	[TG_PHRASE_REPORT_HOURS] = { "report-hours", PH ("hours"), 0 },
	[TG_PHRASE_REPORT_NOTE] = { "report-note", NULL, 0 },
	[TG_PHRASE_REPORT_COLUMNS] = { "report-columns", NULL, 9 },
	[TG_PHRASE_REPORT_TOTAL] = { "report-total", NULL, 0 },
	[TG_PHRASE_REPORT_LATE_COUNT] = { "report-late-count", PH ("count"),
					  0 },
	[TG_PHRASE_REPORT_LATE_COLUMNS] = { "report-late-columns", NULL, 7 },
	[TG_PHRASE_REPORT_LATE_BY] = { "report-late-by", PH ("time"), 0 },
	[TG_PHRASE_REPORT_PAST_DUE_BY] = { "report-past-due-by", PH ("time"),
					   0 },
	[TG_PHRASE_REPORT_SEGMENTS] = { "report-segments", NULL, 4 },
	[TG_PHRASE_REPORT_CHART] = { "report-chart", NULL, 0 },
	[TG_PHRASE_REPORT_HTML_COLUMNS] = { "report-html-columns", NULL, 9 },
	[TG_PHRASE_REPORT_HTML_LATE_COLUMNS] = { "report-html-late-columns",
						 NULL, 7 },
};

#define PHRASES_FILE "phrases.txt"

struct _TgReplies {
	TgTemplate *templates[TG_REPLY_N_KINDS];
	TgPhrases *phrases;
	char *unnamed; /* TG_PHRASE_ATTACHMENT_UNNAMED, for compose */
};

/* A template's headers are checked against the reserved list once, at
 * load time, with an empty rendering. */
static gboolean
check_headers (const TgTemplate *tmpl, GError **error)
{
	g_autoptr (TgRendered) r = tg_template_render (tmpl, NULL);

	if (tg_rendered_get_header (r, "Subject") == NULL) {
		g_set_error (error, TG_REPLY_ERROR, TG_REPLY_ERROR_INVALID,
			     "%s: no Subject: header",
			     tg_template_get_name (tmpl));
		return FALSE;
	}
	for (guint i = 0; i < r->header_names->len; i++) {
		const char *name = r->header_names->pdata[i];

		if (g_ascii_strcasecmp (name, "Subject") == 0)
			continue;
		for (int k = 0; tg_compose_reserved_headers[k] != NULL; k++)
			if (g_ascii_strcasecmp (name,
						tg_compose_reserved_headers[k]) ==
			    0) {
				g_set_error (error, TG_REPLY_ERROR,
					     TG_REPLY_ERROR_INVALID,
					     "%s: header %s is set by "
					     "ticketgate, not by templates",
					     tg_template_get_name (tmpl), name);
				return FALSE;
			}
	}
	return TRUE;
}

TgReplies *
tg_replies_load (const char *directory, GError **error)
{
	g_autoptr (TgReplies) replies = g_new0 (TgReplies, 1);
	g_autofree char *phrases =
		g_build_filename (directory, PHRASES_FILE, NULL);

	g_return_val_if_fail (directory != NULL, NULL);
	for (int k = 0; k < TG_REPLY_N_KINDS; k++) {
		g_autofree char *path =
			g_build_filename (directory, template_files[k], NULL);

		replies->templates[k] =
			tg_template_load (path, tg_reply_placeholders, error);
		if (replies->templates[k] == NULL ||
		    !check_headers (replies->templates[k], error))
			return NULL;
	}
	replies->phrases =
		tg_phrases_load (phrases, phrase_specs, TG_PHRASE_N, error);
	if (replies->phrases == NULL)
		return NULL;
	replies->unnamed = tg_phrases_render (replies->phrases,
					      TG_PHRASE_ATTACHMENT_UNNAMED, NULL);
	return g_steal_pointer (&replies);
}

void
tg_replies_free (TgReplies *replies)
{
	if (replies == NULL)
		return;
	for (int k = 0; k < TG_REPLY_N_KINDS; k++)
		g_clear_pointer (&replies->templates[k], tg_template_free);
	g_clear_pointer (&replies->phrases, tg_phrases_free);
	g_free (replies->unnamed);
	g_free (replies);
}

const TgPhrases *
tg_replies_get_phrases (const TgReplies *replies)
{
	g_return_val_if_fail (replies != NULL, NULL);
	return replies->phrases;
}

char *
tg_replies_phrase (const TgReplies *replies, TgPhrase id, ...)
{
	va_list ap;
	char *text;

	g_return_val_if_fail (replies != NULL, NULL);
	va_start (ap, id);
	text = tg_phrases_vformat (replies->phrases, id, ap);
	va_end (ap);
	return text;
}

const char *
tg_replies_item (const TgReplies *replies, TgPhrase id, guint n)
{
	g_return_val_if_fail (replies != NULL, NULL);
	return tg_phrases_get_item (replies->phrases, id, n);
}

TgComposeWords
tg_replies_compose_words (const TgReplies *replies)
{
	TgComposeWords words = { NULL, NULL };

	g_return_val_if_fail (replies != NULL, words);
	words.too_large = tg_phrases_get_template (
		replies->phrases, TG_PHRASE_ATTACHMENT_TOO_LARGE);
	words.unnamed = replies->unnamed;
	return words;
}

char *
tg_reply_pad (const char *text, guint width, gboolean right, gboolean cut)
{
	glong len = g_utf8_strlen (text, -1);
	GString *out = NULL;

	if (len >= (glong) width)
		return cut ? g_utf8_substring (text, 0, width) : g_strdup (text);
	out = g_string_new (NULL);
	if (!right)
		g_string_append (out, text);
	for (glong i = len; i < (glong) width; i++)
		g_string_append_c (out, ' ');
	if (right)
		g_string_append (out, text);
	return g_string_free (out, FALSE);
}

/* ---- dates and hours in words -------------------------------------- */

static GDateTime *
to_local (const TgCalendar *calendar, GDateTime *t)
{
	return g_date_time_to_timezone (t, tg_calendar_get_timezone (calendar));
}

/* Weekdays run 1 (Monday) to 7, months 1 to 12, as GLib numbers them. */
static const char *
weekday (const TgReplies *r, int day)
{
	return tg_replies_item (r, TG_PHRASE_WEEKDAYS, day - 1);
}

static const char *
month (const TgReplies *r, int m)
{
	return tg_replies_item (r, TG_PHRASE_MONTHS, m - 1);
}

char *
tg_reply_format_time (const TgReplies *replies, const TgCalendar *calendar,
		      GDateTime *t)
{
	g_autoptr (GDateTime) local = NULL;
	g_autofree char *zone = NULL;
	g_autofree char *day = NULL;
	g_autofree char *year = NULL;
	g_autofree char *time = NULL;

	g_return_val_if_fail (replies != NULL, NULL);
	g_return_val_if_fail (calendar != NULL && t != NULL, NULL);
	local = to_local (calendar, t);
	zone = g_date_time_format (local, "UTC%:z");
	day = g_strdup_printf ("%d", g_date_time_get_day_of_month (local));
	year = g_strdup_printf ("%d", g_date_time_get_year (local));
	time = g_date_time_format (local, "%H:%M");
	return tg_replies_phrase (
		replies, TG_PHRASE_DATE_TIME, "weekday",
		weekday (replies, g_date_time_get_day_of_week (local)), "day",
		day, "month", month (replies, g_date_time_get_month (local)),
		"year", year, "time", time, "zone", zone, NULL);
}

char *
tg_reply_format_day (const TgReplies *replies, const GDate *day)
{
	g_autofree char *d = NULL;
	g_autofree char *year = NULL;

	g_return_val_if_fail (replies != NULL, NULL);
	g_return_val_if_fail (day != NULL && g_date_valid (day), NULL);
	d = g_strdup_printf ("%d", g_date_get_day (day));
	year = g_strdup_printf ("%d", g_date_get_year (day));
	return tg_replies_phrase (
		replies, TG_PHRASE_DATE, "weekday",
		weekday (replies, g_date_get_weekday (day)), "day", d, "month",
		month (replies, g_date_get_month (day)), "year", year, NULL);
}

char *
tg_reply_format_short (const TgReplies *replies, const TgCalendar *calendar,
		       GDateTime *t)
{
	g_autoptr (GDateTime) local = NULL;
	g_autofree char *day = NULL;
	g_autofree char *time = NULL;

	g_return_val_if_fail (replies != NULL && calendar != NULL, NULL);
	if (t == NULL)
		return g_strdup ("-");
	local = to_local (calendar, t);
	day = g_strdup_printf ("%d", g_date_time_get_day_of_month (local));
	time = g_date_time_format (local, "%H:%M");
	return tg_replies_phrase (
		replies, TG_PHRASE_DATE_SHORT, "weekday",
		tg_replies_item (replies, TG_PHRASE_WEEKDAYS_SHORT,
				 g_date_time_get_day_of_week (local) - 1),
		"day", day, "month",
		tg_replies_item (replies, TG_PHRASE_MONTHS_SHORT,
				 g_date_time_get_month (local) - 1),
		"time", time, NULL);
}

static int
next_day (int day)
{
	return day == 7 ? 1 : day + 1;
}

static int
previous_day (int day)
{
	return day == 1 ? 7 : day - 1;
}

/* The first day of the one cyclic run of days in @mask ("Sun-Thu" gives
 * Sunday), or 0 if there are several runs or all seven days. */
static int
single_run_start (guint mask)
{
	int first = 0;
	int runs = 0;

	for (int day = 1; day <= 7; day++) {
		if ((mask & TG_CALENDAR_DAY (day)) != 0 &&
		    (mask & TG_CALENDAR_DAY (previous_day (day))) == 0) {
			first = day;
			runs++;
		}
	}
	return runs == 1 ? first : 0;
}

/* The working days in words: every day, a run, or a list. */
static char *
describe_days (const TgReplies *r, guint mask)
{
	g_autofree char *list = NULL;
	guint count = 0;
	guint listed = 0;
	int first = single_run_start (mask);

	for (int day = 1; day <= 7; day++)
		count += (mask & TG_CALENDAR_DAY (day)) != 0;
	if (count == 7)
		return tg_replies_phrase (r, TG_PHRASE_DAYS_EVERY, NULL);
	if (first != 0 && count >= 3) {
		int last = first;

		for (guint i = 1; i < count; i++)
			last = next_day (last);
		return tg_replies_phrase (r, TG_PHRASE_DAYS_RANGE, "first",
					  weekday (r, first), "last",
					  weekday (r, last), NULL);
	}
	/* A list starts on Monday, unless it is one run ("Sunday and
	 * Monday"). */
	if (first == 0)
		first = 1;
	for (int i = 0, day = first; i < 7; i++, day = next_day (day)) {
		char *longer;

		if ((mask & TG_CALENDAR_DAY (day)) == 0)
			continue;
		listed++;
		if (listed == 1) {
			list = g_strdup (weekday (r, day));
			continue;
		}
		longer = tg_replies_phrase (r, listed == count
						       ? TG_PHRASE_DAYS_LIST_LAST
						       : TG_PHRASE_DAYS_LIST,
					    "list", list, "day",
					    weekday (r, day), NULL);
		g_free (list);
		list = longer;
	}
	return g_steal_pointer (&list);
}

char *
tg_reply_describe_hours (const TgReplies *replies, const TgCalendar *calendar)
{
	g_autofree char *days = NULL;
	g_autofree char *zone = NULL;
	g_autofree char *start = NULL;
	g_autofree char *end = NULL;
	int open = 0;
	int close = 0;

	g_return_val_if_fail (replies != NULL && calendar != NULL, NULL);
	days = describe_days (replies, tg_calendar_get_days (calendar));
	zone = tg_calendar_describe_zone (calendar);
	tg_calendar_get_opening (calendar, &open, &close);
	start = g_strdup_printf ("%02d:%02d", open / 60, open % 60);
	end = g_strdup_printf ("%02d:%02d", close / 60, close % 60);
	return tg_replies_phrase (replies, TG_PHRASE_HOURS, "days", days,
				  "start", start, "end", end, "zone", zone,
				  NULL);
}

/* ---- the deadline explained ------------------------------------------ */

static gboolean
same_day (GDateTime *a, GDateTime *b)
{
	return g_date_time_get_year (a) == g_date_time_get_year (b) &&
	       g_date_time_get_day_of_year (a) ==
		       g_date_time_get_day_of_year (b);
}

/* Appends @sentence (taken) to @out, a blank between sentences. */
static void
add_sentence (GString *out, char *sentence)
{
	g_string_append_printf (out, "%s%s", out->len ? " " : "", sentence);
	g_free (sentence);
}

/* "Friday 25 December is a public holiday (Christmas) and is not
 * counted." for each holiday from @from to @to, local dates. */
static void
note_holidays (const TgReplies *r, const TgCalendar *cal, GDateTime *from,
	       GDateTime *to, GString *out)
{
	g_autoptr (GDateTime) day = g_date_time_ref (from);

	for (int i = 0; i < 366 && g_date_time_compare (day, to) <= 0; i++) {
		int y, m, d;
		const char *name;
		GDateTime *next;

		g_date_time_get_ymd (day, &y, &m, &d);
		name = tg_calendar_holiday_name (cal, y, m, d);
		if (name != NULL) {
			g_autofree char *dd = g_strdup_printf ("%d", d);
			const char *wd =
				weekday (r, g_date_time_get_day_of_week (day));

			add_sentence (out, *name
				? tg_replies_phrase (r, TG_PHRASE_HOLIDAY,
						     "weekday", wd, "day", dd,
						     "month", month (r, m),
						     "holiday", name, NULL)
				: tg_replies_phrase (r, TG_PHRASE_HOLIDAY_UNNAMED,
						     "weekday", wd, "day", dd,
						     "month", month (r, m),
						     NULL));
		}
		next = g_date_time_add_days (day, 1);
		g_date_time_unref (day);
		day = next;
	}
}

char *
tg_reply_deadline_note (const TgReplies *replies, const TgCalendar *calendar,
			GDateTime *received_at, GDateTime *deadline)
{
	g_autoptr (GDateTime) start = NULL;
	g_autoptr (GDateTime) local_start = NULL;
	g_autoptr (GDateTime) local_received = NULL;
	g_autoptr (GDateTime) local_due = NULL;
	GString *out = g_string_new (NULL);

	g_return_val_if_fail (replies != NULL, NULL);
	g_return_val_if_fail (calendar != NULL && received_at != NULL, NULL);
	if (deadline == NULL)
		return g_string_free (out, FALSE);
	start = tg_calendar_clock_start (calendar, received_at);
	if (start == NULL)
		return g_string_free (out, FALSE);
	local_start = to_local (calendar, start);
	local_received = to_local (calendar, received_at);
	local_due = to_local (calendar, deadline);
	if (g_date_time_compare (start, received_at) > 0) {
		g_autofree char *when =
			tg_reply_format_time (replies, calendar, start);

		add_sentence (out, tg_replies_phrase (
					   replies, TG_PHRASE_OUTSIDE_HOURS,
					   "start", when, NULL));
	}
	if (!same_day (local_start, local_due))
		add_sentence (out, tg_replies_phrase (
			replies, TG_PHRASE_CARRIES_OVER, "weekday",
			weekday (replies,
				 g_date_time_get_day_of_week (local_due)),
			NULL));
	note_holidays (replies, calendar, local_received, local_due, out);
	return g_string_free (out, FALSE);
}

/* ---- placeholder values -------------------------------------------- */

/* "3 working hours", "90 working minutes". */
static char *
format_minutes (const TgReplies *r, int minutes)
{
	g_autofree char *n = NULL;

	if (minutes % 60 != 0) {
		n = g_strdup_printf ("%d", minutes);
		return tg_replies_phrase (r, TG_PHRASE_REACTION_MINUTES,
					  "minutes", n, NULL);
	}
	n = g_strdup_printf ("%d", minutes / 60);
	return tg_replies_phrase (r, minutes == 60 ? TG_PHRASE_REACTION_HOUR
						   : TG_PHRASE_REACTION_HOURS,
				  "hours", n, NULL);
}

/* "50.00" "EUR" -> "50 EUR"; "49.50" stays. */
static char *
format_rate (const TgPlan *plan)
{
	g_autofree char *amount = NULL;

	if (plan == NULL || plan->hourly_rate == NULL)
		return g_strdup ("");
	amount = g_strdup (plan->hourly_rate);
	if (g_str_has_suffix (amount, ".00"))
		amount[strlen (amount) - 3] = '\0';
	return g_strdup_printf ("%s %s", amount,
				plan->currency ? plan->currency : "");
}

/* The topics a request may concern, each with its rule, as one
 * sentence; "" when none. */
static char *
scope_note (const TgReplies *r, const GArray *scope)
{
	g_autofree char *topics = NULL;

	if (scope == NULL || scope->len == 0)
		return g_strdup ("");
	for (guint i = 0; i < scope->len; i++) {
		const TgScopeMatch *m = &g_array_index (scope, TgScopeMatch, i);
		g_autofree char *one = tg_replies_phrase (
			r, TG_PHRASE_SCOPE_TOPIC, "topic", m->topic, "rule",
			m->rule, NULL);
		char *longer = topics == NULL
			? g_steal_pointer (&one)
			: tg_replies_phrase (r, TG_PHRASE_SCOPE_TOPICS_MORE,
					     "list", topics, "topic", one,
					     NULL);

		g_free (topics);
		topics = longer;
	}
	return tg_replies_phrase (r, TG_PHRASE_SCOPE_NOTE, "topics", topics,
				  NULL);
}

/*
 * Why a request is paid support. Someone we do not know may not be a
 * customer at all (asking whether licences are for sale): telling them
 * their licence lacks a plan would be wrong, and billing a question
 * about buying would be absurd.
 */
static char *
paid_reason (const TgReplies *r, const TgReplyFacts *f, const char *rate)
{
	g_autofree char *none = NULL;

	if (f->unknown_sender)
		return tg_replies_phrase (r, TG_PHRASE_PAID_REASON_UNKNOWN,
					  "hourly_rate", rate, NULL);
	if (f->plan == NULL)
		none = tg_replies_phrase (r, TG_PHRASE_PLAN_NONE, NULL);
	return tg_replies_phrase (r, TG_PHRASE_PAID_REASON, "plan",
				  f->plan ? f->plan->name : none,
				  "hourly_rate", rate, NULL);
}

/* Fills a paragraph to WRAP_COLUMNS, breaking at spaces; takes @text. */
#define WRAP_COLUMNS 72

static char *
wrap (char *text)
{
	g_auto (GStrv) words = g_strsplit (text, " ", -1);
	GString *out = g_string_new (NULL);
	glong column = 0;

	for (char **w = words; *w != NULL; w++) {
		glong len = g_utf8_strlen (*w, -1);

		if (**w == '\0')
			continue;
		if (column > 0 && column + 1 + len > WRAP_COLUMNS) {
			g_string_append_c (out, '\n');
			column = 0;
		} else if (column > 0) {
			g_string_append_c (out, ' ');
			column++;
		}
		g_string_append (out, *w);
		column += len;
	}
	g_free (text);
	return g_string_free (out, FALSE);
}

static void
put (GHashTable *values, const char *key, char *value)
{
	g_hash_table_insert (values, (gpointer) key, value ? value : g_strdup (""));
}

#define ISO_FORMAT "%Y-%m-%dT%H:%M:%S%:z"

static void
put_times (GHashTable *values, const TgReplies *r, const TgReplyFacts *f)
{
	const TgCalendar *cal = f->calendar;
	g_autoptr (GDateTime) local_received = to_local (cal, f->received_at);

	/* Both _iso values in the desk's zone and with a full offset, as
	 * RFC 3339 has it (g_date_time_format_iso8601() writes "+02"). */
	put (values, "received",
	     tg_reply_format_time (r, cal, f->received_at));
	put (values, "received_iso",
	     g_date_time_format (local_received, ISO_FORMAT));
	if (f->deadline != NULL) {
		g_autoptr (GDateTime) local = to_local (cal, f->deadline);

		put (values, "deadline",
		     tg_reply_format_time (r, cal, f->deadline));
		put (values, "deadline_iso", g_date_time_format (local, ISO_FORMAT));
		put (values, "deadline_note",
		     wrap (tg_reply_deadline_note (r, cal, f->received_at,
						   f->deadline)));
	} else {
		put (values, "deadline",
		     tg_replies_phrase (r, TG_PHRASE_DEADLINE_NONE, NULL));
		put (values, "deadline_iso", NULL);
		put (values, "deadline_note", NULL);
	}
}

static char *
scope_topics (const GArray *scope)
{
	GString *out = g_string_new (NULL);

	for (guint i = 0; scope != NULL && i < scope->len; i++)
		g_string_append_printf (out, "%s%s", i ? ", " : "",
					g_array_index (scope, TgScopeMatch, i)
						.topic);
	return g_string_free (out, FALSE);
}

/* Each warning as a paragraph of its own ("Warning: ..."), wrapped. */
static char *
warnings_text (const TgReplies *r, const TgReplyFacts *f)
{
	GString *out = g_string_new (NULL);

	for (guint i = 0; f->warnings != NULL && i < f->n_warnings; i++) {
		g_autofree char *para = wrap (tg_replies_phrase (
			r, TG_PHRASE_WARNING, "warning", f->warnings[i], NULL));

		g_string_append_printf (out, "%s%s", out->len ? "\n\n" : "",
					para);
	}
	return g_string_free (out, FALSE);
}

/* What only staff see; "-" where a field has nothing, so the header
 * block keeps its shape. */
static void
put_staff_values (GHashTable *values, const TgReplies *r,
		  const TgReplyFacts *f)
{
	g_autofree char *topics = scope_topics (f->scope);
	g_autofree char *cc = f->cc != NULL && f->cc[0] != NULL
		? g_strjoinv (", ", (char **) f->cc)
		: NULL;

	put (values, "event", g_strdup (f->event ? f->event : ""));
	put (values, "requester_address", g_strdup (f->requester_address));
	put (values, "status", g_strdup (f->status ? f->status : "new"));
	put (values, "assignee", g_strdup (f->assignee ? f->assignee : "-"));
	put (values, "cc", g_strdup (cc ? cc : "-"));
	put (values, "scope_topics", g_strdup (*topics ? topics : "-"));
	put (values, "follows",
	     f->follows_number ? g_strdup_printf ("#%" G_GINT64_FORMAT,
						  f->follows_number)
			       : g_strdup ("-"));
	put (values, "notice", g_strdup (f->notice ? f->notice : ""));
	put (values, "warnings", warnings_text (r, f));
	put (values, "time_left", g_strdup (f->time_left));
	put (values, "day", g_strdup (f->day));
	put (values, "queue", g_strdup (f->queue));
	put (values, "queue_count", g_strdup_printf ("%u", f->queue_count));
	put (values, "late", g_strdup (f->late));
}

/* The list runs from high to low, as TgPriority does. */
char *
tg_reply_format_priority (const TgReplies *r, TgPriority priority)
{
	if (priority < TG_PRIORITY_HIGH || priority > TG_PRIORITY_LOW)
		return g_strdup ("-");
	return g_strdup (tg_replies_item (r, TG_PHRASE_PRIORITIES,
					  priority - TG_PRIORITY_HIGH));
}

static GHashTable *
placeholder_values (const TgReplies *r, const TgReplyFacts *f)
{
	GHashTable *values =
		g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
	const TgPlan *plan = f->plan;

	put (values, "ticket_number",
	     f->ticket_number ? g_strdup_printf ("%" G_GINT64_FORMAT,
						 f->ticket_number)
			      : NULL);
	put (values, "tag",
	     f->ticket_number ? tg_thread_format_tag (f->config->subject_tag,
						      f->ticket_number)
			      : NULL);
	put (values, "subject", g_strdup (f->subject));
	put (values, "customer", g_strdup (f->customer));
	put (values, "requester", g_strdup (f->requester));
	put (values, "plan", plan ? g_strdup (plan->name)
				  : tg_replies_phrase (r, TG_PHRASE_PLAN_NONE,
						       NULL));
	put (values, "priority", tg_reply_format_priority (r, f->priority));
	put (values, "reaction_time",
	     plan && plan->email_support && plan->reaction_minutes > 0
		     ? format_minutes (r, plan->reaction_minutes)
		     : tg_replies_phrase (r, TG_PHRASE_REACTION_NONE, NULL));
	put_times (values, r, f);
	put (values, "hourly_rate", format_rate (plan));
	put (values, "paid_reason",
	     wrap (paid_reason (r, f, g_hash_table_lookup (values,
							   "hourly_rate"))));
	put (values, "support_hours",
	     tg_reply_describe_hours (r, f->calendar));
	put (values, "support_address", g_strdup (f->config->support_address));
	put (values, "from_name", g_strdup (f->config->from_name));
	put (values, "scope_note", wrap (scope_note (r, f->scope)));
	put_staff_values (values, r, f);
	return values;
}

static TgMailSpec
mail_spec (const TgReplyFacts *f, const char *subject, const char *message_id,
	   GDateTime *now)
{
	TgMailSpec spec = {
		.from_name = f->from_name ? f->from_name : f->config->from_name,
		.from_address = f->config->support_address,
		.to_name = f->to_name,
		.to_address = f->to_address,
		.to_more = f->to_more,
		.subject = subject,
		.message_id = message_id,
		.in_reply_to = f->in_reply_to,
		.references = f->references,
		.reply_to = f->reply_to,
		.loop_value = f->config->support_address,
		.ticket_number = f->ticket_number,
		.date = now,
	};

	return spec;
}

static GBytes *
compose (const TgReplyFacts *f, const TgRendered *r, const char *subject,
	 const char *message_id, GError **error)
{
	g_autoptr (GDateTime) now =
		g_date_time_new_now (tg_calendar_get_timezone (f->calendar));
	TgMailSpec spec = mail_spec (f, subject, message_id, now);

	spec.body = r->body;
	spec.header_names = r->header_names;
	spec.header_values = r->header_values;
	if (f->kind == TG_REPLY_WARN || f->kind == TG_REPLY_BREACH ||
	    f->kind == TG_REPLY_DAILY) {
		/* Not an answer to anyone's mail: RFC 3834 auto-generated. */
		spec.auto_generated = TRUE;
		return tg_compose_text_mail (&spec, error);
	}
	if (f->kind != TG_REPLY_NOTIFY) {
		spec.auto_replied = TRUE;
		return tg_compose_text_mail (&spec, error);
	}
	/* Staff answer notifications with a plain Reply: it must come back
	 * to the desk (to the address signed for the ticket), not to the
	 * customer. */
	if (spec.reply_to == NULL)
		spec.reply_to = f->config->support_address;
	spec.auto_generated = TRUE;
	return tg_compose_notification (&spec, error);
}

TgReplyFacts
tg_reply_facts_for (const TgSettings *config, TgReplyKind kind,
		    const char *subject, const TgReplyMail *mail)
{
	const TgMessage *msg = mail->msg;
	TgReplyFacts f = {
		.kind = kind,
		.config = config,
		.subject = subject,
		.customer = mail->customer,
		.unknown_sender = mail->unknown_sender,
		.priority = mail->priority,
		.received_at = mail->received_at,
		.to_address = mail->reply_address,
		.in_reply_to = msg->message_id,
		.references = msg->references,
		.requester_address = mail->sender,
		.attachment_limit = config->attachment_limit,
	};

	if (msg->from != NULL &&
	    g_strcmp0 (mail->reply_address, mail->sender) == 0)
		f.to_name = msg->from->name;
	f.requester = msg->from != NULL && msg->from->name != NULL
			      ? msg->from->name
			      : mail->sender;
	if (f.customer == NULL)
		f.customer = f.requester;
	return f;
}

void
tg_reply_set_ticket (TgReplyFacts *f, const TgTicket *t, TgPlan *plan,
		     GArray *scope)
{
	g_return_if_fail (f != NULL && t != NULL && plan != NULL);
	*plan = (TgPlan){ .name = t->plan_name,
			  .reaction_minutes = t->reaction_minutes,
			  .email_support = !t->billable,
			  .hourly_rate = t->hourly_rate,
			  .currency = t->currency };
	for (char **s = t->scope_flags; scope != NULL && s && *s; s++) {
		TgScopeMatch m = { *s, "" };

		g_array_append_val (scope, m);
	}
	f->subject = t->subject;
	f->ticket_number = t->number;
	f->plan = t->plan_name ? plan : NULL;
	f->deadline = t->response_due_at;
	f->priority = t->priority;
	f->customer = t->customer_name ? t->customer_name
		    : t->requester_name ? t->requester_name
					: t->requester;
	f->requester_address = t->requester;
	f->status = tg_status_name (t->status);
	f->assignee = t->assignee;
	f->cc = (const char *const *) t->cc;
	f->scope = scope;
	f->follows_number = t->follows_number;
}

/* Mail to staff, whose text a relay must never pass on: a staff reply
 * that quotes it loses it (staffblock.h). */
static gboolean
is_for_staff (TgReplyKind kind)
{
	return kind == TG_REPLY_NOTIFY || kind == TG_REPLY_STAFF_NOTICE ||
	       kind == TG_REPLY_WARN || kind == TG_REPLY_BREACH ||
	       kind == TG_REPLY_DAILY;
}

TgReply *
tg_replies_build (const TgReplies *replies, const TgReplyFacts *f,
		  GError **error)
{
	g_autoptr (GHashTable) values = NULL;
	g_autoptr (TgRendered) r = NULL;
	g_autoptr (TgReply) reply = NULL;
	const char *subject;

	g_return_val_if_fail (replies != NULL && f != NULL, NULL);
	g_return_val_if_fail ((guint) f->kind < TG_REPLY_N_KINDS, NULL);
	values = placeholder_values (replies, f);
	r = tg_template_render (replies->templates[f->kind], values);
	if (is_for_staff (f->kind)) {
		char *wrapped = tg_staff_block_wrap (r->body);

		g_free (r->body);
		r->body = wrapped;
	}
	subject = tg_rendered_get_header (r, "Subject");
	reply = g_new0 (TgReply, 1);
	reply->message_id =
		tg_compose_new_message_id (f->config->support_address);
	reply->subject = f->ticket_number
		? tg_thread_add_tag (subject, f->config->subject_tag,
				     f->ticket_number)
		: g_strdup (subject);
	reply->body = g_strdup (r->body);
	reply->content = compose (f, r, reply->subject, reply->message_id,
				  error);
	if (reply->content == NULL)
		return NULL;
	reply->encloses = f->kind == TG_REPLY_NOTIFY;
	return g_steal_pointer (&reply);
}

TgReply *
tg_replies_build_relay (const TgReplies *replies, const TgReplyFacts *f,
			const TgSpool *staff_mail,
			const char *const *strip_lines, const char *subject,
			GError **error)
{
	g_autoptr (GDateTime) now = NULL;
	g_autoptr (TgReply) reply = NULL;
	TgComposeWords words;
	TgMailSpec spec;

	g_return_val_if_fail (replies != NULL, NULL);
	g_return_val_if_fail (f != NULL && staff_mail != NULL, NULL);
	words = tg_replies_compose_words (replies);
	now = g_date_time_new_now (tg_calendar_get_timezone (f->calendar));
	reply = g_new0 (TgReply, 1);
	reply->message_id =
		tg_compose_new_message_id (f->config->support_address);
	reply->subject = tg_thread_add_tag (subject, f->config->subject_tag,
					    f->ticket_number);
	spec = mail_spec (f, reply->subject, reply->message_id, now);
	reply->content = tg_compose_relay (&spec, staff_mail, strip_lines,
					   f->attachment_limit, &words,
					   &reply->body, error);
	if (reply->content == NULL)
		return NULL;
	return g_steal_pointer (&reply);
}

void
tg_reply_free (TgReply *reply)
{
	if (reply == NULL)
		return;
	g_free (reply->message_id);
	g_free (reply->subject);
	g_free (reply->body);
	g_clear_pointer (&reply->content, g_bytes_unref);
	g_free (reply);
}
