/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test-reply: the answers deliver sends in its own name, built from the
 * real templates of the source tree. Rows pin the load errors (each names
 * its file), dates in words in a fixed offset and in a zone with summer
 * time, the deadline explained (POLICY.md "Working hours"), and whole
 * acknowledgments: tag, deadline, paid support, robot headers, nothing of
 * the template syntax left.
 */
#include "reply.h"

#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "compose.h"
#include "message.h"
#include "scope.h"
#include "spool.h"
#include "template.h"
#include "tgtest.h"

/* Reports a failed row and goes on with the next one: every failure is
 * logged, not only the last (g_test_fail_printf() keeps one message). */

#define SUPPORT "support@example.com"

/* ---------------------------------------------------------------------- */
/* Helpers                                                                 */

/* (transfer full): the templates folder of the source tree. */
static char *
source_templates (void)
{
	const char *top = g_getenv ("TG_TOP_SRCDIR");

	if (top == NULL)
		g_error ("TG_TOP_SRCDIR is not set (run through make check)");
	return g_build_filename (top, "templates", NULL);
}

/* (transfer full): a fresh copy of the real templates (every file of the
 * folder) in the test's own folder, for rows to spoil one file. */
static char *
copy_templates (void)
{
	g_autofree char *from = source_templates ();
	g_autoptr (GDir) dir = g_dir_open (from, 0, NULL);
	char *to =
		g_build_filename (g_get_user_cache_dir (), "templates", NULL);
	const char *name = NULL;

	g_assert_nonnull (dir);
	g_assert_cmpint (g_mkdir_with_parents (to, 0700), ==, 0);
	while ((name = g_dir_read_name (dir)) != NULL) {
		g_autofree char *src = g_build_filename (from, name, NULL);
		g_autofree char *dst = g_build_filename (to, name, NULL);
		g_autofree char *text = NULL;

		g_assert_true (g_file_get_contents (src, &text, NULL, NULL));
		g_assert_true (g_file_set_contents (dst, text, -1, NULL));
	}
	return to;
}

static GDateTime *
instant (const char *iso)
{
	GDateTime *t = g_date_time_new_from_iso8601 (iso, NULL);

	if (t == NULL)
		g_error ("test table: bad instant %s", iso);
	return t;
}

/* POLICY.md: Monday to Friday, 09:00 to 18:00; @holiday "YYYY-MM-DD". */
static TgCalendar *
desk (const char *zone, const char *holiday, const char *name)
{
	g_autoptr (GTimeZone) tz = g_time_zone_new_identifier (zone);
	g_autoptr (GError) error = NULL;
	TgCalendar *cal = NULL;
	int y = 0, m = 0, d = 0;

	g_assert_nonnull (tz);
	cal = tg_calendar_new (tz, TG_CALENDAR_MON_FRI, 9 * 60, 18 * 60,
			       &error);
	g_assert_no_error (error);
	if (holiday != NULL) {
		g_assert_cmpint (sscanf (holiday, "%d-%d-%d", &y, &m, &d), ==,
				 3);
		tg_calendar_add_holiday (cal, y, m, d, name);
	}
	return cal;
}

/* @text with line breaks as blanks: wrapped paragraphs read as one. */
static char *
unwrap (const char *text)
{
	return g_strdelimit (g_strdup (text), "\n", ' ');
}

/* ---------------------------------------------------------------------- */
/* Loading                                                                 */

static void
test_load_real (void)
{
	g_autofree char *dir = source_templates ();
	g_autoptr (GError) error = NULL;
	g_autoptr (TgReplies) replies = tg_replies_load (dir, &error);

	g_assert_no_error (error);
	g_assert_nonnull (replies);
}

typedef enum {
	SPOIL_REMOVE,  /* delete the file */
	SPOIL_PREPEND, /* put a header line in front */
	SPOIL_REPLACE, /* replace the whole file */
} Spoil;

typedef struct {
	const char *label;
	const char *file;
	Spoil how;
	const char *text;
	GQuark (*domain) (void);
	int code;
	const char *want; /* after "DIR/FILE" */
} LoadErrorRow;

static const LoadErrorRow load_error_rows[] = {
	{"missing-ack", "ack.txt", SPOIL_REMOVE, NULL, tg_template_error_quark,
	 TG_TEMPLATE_ERROR_UNREADABLE, NULL},
	{"missing-ack-paid", "ack-paid.txt", SPOIL_REMOVE, NULL,
	 tg_template_error_quark, TG_TEMPLATE_ERROR_UNREADABLE, NULL},
	{"missing-reject", "reject-unknown.txt", SPOIL_REMOVE, NULL,
	 tg_template_error_quark, TG_TEMPLATE_ERROR_UNREADABLE, NULL},
	{"unknown-placeholder", "ack.txt", SPOIL_REPLACE,
	 "Subject: Re: {{subject}}\n\nDue {{deadlin}}.\n",
	 tg_template_error_quark, TG_TEMPLATE_ERROR_INVALID,
	 ":3: unknown placeholder {{deadlin}}"},
	{"unknown-placeholder-in-header", "reject-unknown.txt", SPOIL_REPLACE,
	 "Subject: Re: {{subjet}}\n\nHello.\n", tg_template_error_quark,
	 TG_TEMPLATE_ERROR_INVALID, ":1: unknown placeholder {{subjet}}"},
	{"reserved-from", "reject-unknown.txt", SPOIL_PREPEND,
	 "From: boss@example.com\n", tg_reply_error_quark,
	 TG_REPLY_ERROR_INVALID,
	 ": header From is set by ticketgate, not by templates"},
	{"reserved-from-lower-case", "ack.txt", SPOIL_PREPEND,
	 "from: boss@example.com\n", tg_reply_error_quark,
	 TG_REPLY_ERROR_INVALID,
	 ": header from is set by ticketgate, not by templates"},
	{"reserved-bcc", "ack-paid.txt", SPOIL_PREPEND,
	 "Bcc: {{support_address}}\n", tg_reply_error_quark,
	 TG_REPLY_ERROR_INVALID,
	 ": header Bcc is set by ticketgate, not by templates"},
	{"reserved-loop", "ack.txt", SPOIL_PREPEND, "X-Ticketgate-Loop: x\n",
	 tg_reply_error_quark, TG_REPLY_ERROR_INVALID,
	 ": header X-Ticketgate-Loop is set by ticketgate, not by templates"},
	{"reserved-auto-submitted", "ack.txt", SPOIL_PREPEND,
	 "Auto-Submitted: no\n", tg_reply_error_quark, TG_REPLY_ERROR_INVALID,
	 ": header Auto-Submitted is set by ticketgate, not by templates"},
	{"no-subject", "ack.txt", SPOIL_REPLACE, "X-Mailer: tg\n\nHello.\n",
	 tg_reply_error_quark, TG_REPLY_ERROR_INVALID, ": no Subject: header"},
	{"not-a-header", "ack.txt", SPOIL_PREPEND, "Hello there\n",
	 tg_template_error_quark, TG_TEMPLATE_ERROR_INVALID,
	 ":1: not a header line (\"Name: value\"); a blank line starts the "
	 "body"},
	{"missing-phrases", "phrases.txt", SPOIL_REMOVE, NULL,
	 tg_template_error_quark, TG_TEMPLATE_ERROR_UNREADABLE, NULL},
	{"phrase-unknown-placeholder", "phrases.txt", SPOIL_PREPEND,
	 "[warning]\nBeware: {{warnin}}\n", tg_template_error_quark,
	 TG_TEMPLATE_ERROR_INVALID, ":2: unknown placeholder {{warnin}}"},
	{"phrase-missing", "phrases.txt", SPOIL_REPLACE,
	 "[weekdays]\nMo\nTu\nWe\nTh\nFr\nSa\nSu\n",
	 tg_template_error_quark, TG_TEMPLATE_ERROR_INVALID,
	 ": no [weekdays-short]"},
	{"phrase-list-short", "phrases.txt", SPOIL_PREPEND,
	 "[months]\nJanuary\n[plan-none]\nnone\n", tg_template_error_quark,
	 TG_TEMPLATE_ERROR_INVALID,
	 ":1: [months] wants 12 lines, one item each, not 1"},
	{"phrase-unknown", "phrases.txt", SPOIL_PREPEND, "[paid-raeson]\nx\n",
	 tg_template_error_quark, TG_TEMPLATE_ERROR_INVALID,
	 ":1: unknown phrase [paid-raeson]"},
};

static void
test_load_error_row (gconstpointer data)
{
	const LoadErrorRow *row = data;
	g_autofree char *dir = copy_templates ();
	g_autofree char *path = g_build_filename (dir, row->file, NULL);
	g_autoptr (GError) error = NULL;
	g_autoptr (TgReplies) replies = NULL;

	if (row->how == SPOIL_REMOVE) {
		g_assert_cmpint (g_unlink (path), ==, 0);
	} else if (row->how == SPOIL_REPLACE) {
		g_assert_true (g_file_set_contents (path, row->text, -1, NULL));
	} else {
		g_autofree char *old = NULL;
		g_autofree char *text = NULL;

		g_assert_true (g_file_get_contents (path, &old, NULL, NULL));
		text = g_strconcat (row->text, old, NULL);
		g_assert_true (g_file_set_contents (path, text, -1, NULL));
	}
	replies = tg_replies_load (dir, &error);
	if (replies != NULL) {
		tg_test_fail_row ("%s: got templates, want an error", row->label);
		return;
	}
	g_assert_error (error, row->domain (), row->code);
	if (strstr (error->message, path) == NULL)
		tg_test_fail_row ("%s: got \"%s\", want it to name %s", row->label,
			  error->message, path);
	if (row->want != NULL) {
		g_autofree char *want = g_strconcat (path, row->want, NULL);

		if (strcmp (error->message, want) != 0)
			tg_test_fail_row ("%s: got \"%s\", want \"%s\"", row->label,
				  error->message, want);
	}
}

/* Headers of their own are allowed in templates. */
static void
test_load_extra_header (void)
{
	g_autofree char *dir = copy_templates ();
	g_autofree char *path = g_build_filename (dir, "ack.txt", NULL);
	g_autoptr (GError) error = NULL;
	g_autoptr (TgReplies) replies = NULL;
	g_autofree char *old = NULL;
	g_autofree char *text = NULL;

	g_assert_true (g_file_get_contents (path, &old, NULL, NULL));
	text = g_strconcat ("X-Desk: {{from_name}}\nOrganization: Ex\n", old,
			    NULL);
	g_assert_true (g_file_set_contents (path, text, -1, NULL));
	replies = tg_replies_load (dir, &error);
	g_assert_no_error (error);
}

/* ---------------------------------------------------------------------- */
/* Dates in words                                                          */

typedef struct {
	const char *label;
	const char *zone;
	const char *t;
	const char *want;
} TimeRow;

static const TimeRow time_rows[] = {
	{"offset", "+02:00", "2026-11-30T07:30:00Z",
	 "Monday, 30 November 2026, 09:30 (UTC+02:00)"},
	{"offset-same-zone", "+02:00", "2024-03-08T17:30:00+02:00",
	 "Friday, 8 March 2024, 17:30 (UTC+02:00)"},
	{"offset-day-change", "+02:00", "2024-12-31T23:30:00Z",
	 "Wednesday, 1 January 2025, 01:30 (UTC+02:00)"},
	{"negative-offset", "-05:00", "2024-03-08T03:00:00Z",
	 "Thursday, 7 March 2024, 22:00 (UTC-05:00)"},
	{"half-hour-offset", "+05:30", "2024-03-08T03:00:00Z",
	 "Friday, 8 March 2024, 08:30 (UTC+05:30)"},
	{"seconds-dropped", "+02:00", "2024-03-08T07:59:59Z",
	 "Friday, 8 March 2024, 09:59 (UTC+02:00)"},
	{"vilnius-winter", "Europe/Vilnius", "2024-01-15T07:00:00Z",
	 "Monday, 15 January 2024, 09:00 (UTC+02:00)"},
	{"vilnius-summer", "Europe/Vilnius", "2024-07-01T06:00:00Z",
	 "Monday, 1 July 2024, 09:00 (UTC+03:00)"},
	{"vilnius-before-spring-change", "Europe/Vilnius",
	 "2024-03-31T00:59:00Z", "Sunday, 31 March 2024, 02:59 (UTC+02:00)"},
	{"vilnius-after-spring-change", "Europe/Vilnius",
	 "2024-03-31T01:00:00Z", "Sunday, 31 March 2024, 04:00 (UTC+03:00)"},
	{"vilnius-autumn-first-0330", "Europe/Vilnius", "2024-10-27T00:30:00Z",
	 "Sunday, 27 October 2024, 03:30 (UTC+03:00)"},
	{"vilnius-autumn-second-0330", "Europe/Vilnius", "2024-10-27T01:30:00Z",
	 "Sunday, 27 October 2024, 03:30 (UTC+02:00)"},
	{"leap-day", "+02:00", "2024-02-29T10:00:00Z",
	 "Thursday, 29 February 2024, 12:00 (UTC+02:00)"},
};

static void
check_time_rows (const TgReplies *replies, const char *locale)
{
	for (gsize i = 0; i < G_N_ELEMENTS (time_rows); i++) {
		const TimeRow *row = &time_rows[i];
		g_autoptr (TgCalendar) cal = desk (row->zone, NULL, NULL);
		g_autoptr (GDateTime) t = instant (row->t);
		g_autofree char *got = tg_reply_format_time (replies, cal, t);

		if (strcmp (got, row->want) != 0)
			tg_test_fail_row ("%s (%s): got \"%s\", want \"%s\"",
				  row->label, locale, got, row->want);
	}
}

static void
test_format_time (void)
{
	static const char *const locales[] = {
		"de_DE.UTF-8",
		"fr_FR.UTF-8",
		"lt_LT.UTF-8",
		"C.UTF-8",
	};
	g_autofree char *saved = g_strdup (setlocale (LC_ALL, NULL));
	g_autoptr (TgReplies) replies = tg_test_load_replies ();

	check_time_rows (replies, "environment");
	/* Whatever locale the machine has: the words are phrases.txt's. */
	for (gsize i = 0; i < G_N_ELEMENTS (locales); i++) {
		if (setlocale (LC_ALL, locales[i]) == NULL) {
			g_test_message ("locale %s is not installed",
					locales[i]);
			continue;
		}
		check_time_rows (replies, locales[i]);
	}
	setlocale (LC_ALL, saved);
}

/* ---------------------------------------------------------------------- */
/* The deadline explained                                                  */

typedef struct {
	const char *label;
	const char *holiday; /* "YYYY-MM-DD" or NULL */
	const char *holiday_name;
	const char *received;
	int minutes;
	const char *want_deadline;
	const char *want_note;
} NoteRow;

/* Week: Mon 2024-03-04 .. Fri 03-08, Sat 09, Sun 10, Mon 11, Tue 12. */
static const NoteRow note_rows[] = {
	{"in-hours-same-day", NULL, NULL, "2024-03-06T10:00:00+02:00", 60,
	 "2024-03-06T11:00:00+02:00", ""},
	{"in-hours-ends-at-closing", NULL, NULL, "2024-03-06T15:00:00+02:00",
	 180, "2024-03-06T18:00:00+02:00", ""},
	{"friday-1730-carries-over", NULL, NULL, "2024-03-08T17:30:00+02:00",
	 60, "2024-03-11T09:30:00+02:00",
	 "The working day ends before the reaction time is used up, so the "
	 "rest carries over to Monday."},
	{"wednesday-carries-to-thursday", NULL, NULL,
	 "2024-03-06T16:00:00+02:00", 180, "2024-03-07T10:00:00+02:00",
	 "The working day ends before the reaction time is used up, so the "
	 "rest carries over to Thursday."},
	{"saturday", NULL, NULL, "2024-03-09T12:00:00+02:00", 60,
	 "2024-03-11T10:00:00+02:00",
	 "Your mail arrived outside our working hours, so the reaction time "
	 "counts from Monday, 11 March 2024, 09:00 (UTC+02:00)."},
	{"early-morning", NULL, NULL, "2024-03-06T07:15:00+02:00", 60,
	 "2024-03-06T10:00:00+02:00",
	 "Your mail arrived outside our working hours, so the reaction time "
	 "counts from Wednesday, 6 March 2024, 09:00 (UTC+02:00)."},
	{"saturday-long-plan", NULL, NULL, "2024-03-09T12:00:00+02:00", 720,
	 "2024-03-12T12:00:00+02:00",
	 "Your mail arrived outside our working hours, so the reaction time "
	 "counts from Monday, 11 March 2024, 09:00 (UTC+02:00). The working "
	 "day ends before the reaction time is used up, so the rest carries "
	 "over to Tuesday."},
	{"utc-mail-after-closing", NULL, NULL, "2024-03-08T16:30:00Z", 60,
	 "2024-03-11T10:00:00+02:00",
	 "Your mail arrived outside our working hours, so the reaction time "
	 "counts from Monday, 11 March 2024, 09:00 (UTC+02:00)."},
	{"holiday-monday-friday-1730", "2024-03-11", "Independence Day",
	 "2024-03-08T17:30:00+02:00", 60, "2024-03-12T09:30:00+02:00",
	 "The working day ends before the reaction time is used up, so the "
	 "rest carries over to Tuesday. Monday 11 March is a public holiday "
	 "(Independence Day) and is not counted."},
	{"holiday-unnamed", "2024-03-11", "", "2024-03-08T17:30:00+02:00", 60,
	 "2024-03-12T09:30:00+02:00",
	 "The working day ends before the reaction time is used up, so the "
	 "rest carries over to Tuesday. Monday 11 March is a public holiday "
	 "and is not counted."},
	{"arrived-on-holiday", "2024-03-06", "Spring Day",
	 "2024-03-06T10:00:00+02:00", 60, "2024-03-07T10:00:00+02:00",
	 "Your mail arrived outside our working hours, so the reaction time "
	 "counts from Thursday, 7 March 2024, 09:00 (UTC+02:00). Wednesday 6 "
	 "March is a public holiday (Spring Day) and is not counted."},
	{"holiday-after-deadline-not-named", "2024-03-12", "Later Day",
	 "2024-03-08T17:30:00+02:00", 60, "2024-03-11T09:30:00+02:00",
	 "The working day ends before the reaction time is used up, so the "
	 "rest carries over to Monday."},
};

static void
test_note_row (gconstpointer data)
{
	const NoteRow *row = data;
	g_autoptr (TgCalendar) cal =
		desk ("+02:00", row->holiday, row->holiday_name);
	g_autoptr (GDateTime) received = instant (row->received);
	g_autoptr (GDateTime) want_deadline = instant (row->want_deadline);
	g_autoptr (GDateTime) deadline =
		tg_calendar_deadline (cal, received, row->minutes);
	g_autofree char *note = NULL;
	g_autoptr (TgReplies) replies = tg_test_load_replies ();

	g_assert_nonnull (deadline);
	if (!g_date_time_equal (deadline, want_deadline)) {
		g_autofree char *got = g_date_time_format_iso8601 (deadline);

		tg_test_fail_row ("%s: deadline: got %s, want %s", row->label, got,
			  row->want_deadline);
		return;
	}
	note = tg_reply_deadline_note (replies, cal, received, deadline);
	if (strcmp (note, row->want_note) != 0)
		tg_test_fail_row ("%s: got \"%s\", want \"%s\"", row->label, note,
			  row->want_note);
}

static void
test_note_no_deadline (void)
{
	g_autoptr (TgCalendar) cal = desk ("+02:00", NULL, NULL);
	g_autoptr (GDateTime) received = instant ("2024-03-09T12:00:00+02:00");
	g_autoptr (TgReplies) replies = tg_test_load_replies ();
	g_autofree char *note =
		tg_reply_deadline_note (replies, cal, received, NULL);

	g_assert_cmpstr (note, ==, "");
}

/* ---------------------------------------------------------------------- */
/* Whole answers                                                           */

/* The acknowledgment's world: a desk, its config, two plans. */
typedef struct {
	TgSettings *config;
	TgCalendar *calendar;
	TgReplies *replies;
	TgPlan gold;
	TgPlan none;
	GDateTime *received;
	GPtrArray *references;
} World;

static void
world_init (World *w)
{
	g_autofree char *dir = source_templates ();
	g_autoptr (GError) error = NULL;

	w->config = tg_settings_new_default ("/etc/ticketgate/ticketgate.conf");
	g_free (w->config->support_address);
	w->config->support_address = g_strdup (SUPPORT);
	g_free (w->config->from_name);
	w->config->from_name = g_strdup ("Example Support");
	w->calendar = desk ("+02:00", NULL, NULL);
	w->replies = tg_replies_load (dir, &error);
	g_assert_no_error (error);
	w->gold = (TgPlan){
		.name = (char *)"GOLD",
		.rank = 2,
		.reaction_minutes = 180,
		.email_support = TRUE,
		.currency = (char *)"EUR",
	};
	w->none = (TgPlan){
		.name = (char *)"NONE",
		.rank = 100,
		.hourly_rate = (char *)"50.00",
		.currency = (char *)"EUR",
	};
	w->received = instant ("2024-03-08T17:30:00+02:00");
	w->references = g_ptr_array_new ();
	g_ptr_array_add (w->references, (gpointer) "root@customer.example");
}

static void
world_clear (World *w)
{
	g_clear_pointer (&w->config, tg_settings_free);
	g_clear_pointer (&w->calendar, tg_calendar_free);
	g_clear_pointer (&w->replies, tg_replies_free);
	g_clear_pointer (&w->received, g_date_time_unref);
	g_clear_pointer (&w->references, g_ptr_array_unref);
}

static TgReplyFacts
world_facts (const World *w, TgReplyKind kind)
{
	return (TgReplyFacts){
		.kind = kind,
		.config = w->config,
		.calendar = w->calendar,
		.ticket_number = 1234,
		.subject = "Printer broken",
		.customer = "ACME Corp",
		.requester = "Ann Smith",
		.plan = &w->gold,
		.priority = TG_PRIORITY_HIGH,
		.received_at = w->received,
		.to_name = "Ann Smith",
		.to_address = "ann@acme.example",
		.in_reply_to = "CAF1@mail.acme.example",
		.references = w->references,
	};
}

/* What every answer shares: our headers, no template syntax left. */
static void
check_common (const char *label, const World *w, const TgReply *reply,
	      const char *want_subject, const TgMessage *msg)
{
	gsize len = 0;
	const char *data = g_bytes_get_data (reply->content, &len);
	g_autofree char *content = g_strndup (data, len);

	if (strcmp (reply->subject, want_subject) != 0)
		tg_test_fail_row ("%s: subject: got \"%s\", want \"%s\"", label,
			  reply->subject, want_subject);
	if (g_strcmp0 (msg->subject, want_subject) != 0)
		tg_test_fail_row ("%s: mail subject: got \"%s\", want \"%s\"", label,
			  msg->subject, want_subject);
	if (strstr (reply->body, "{{") != NULL ||
	    strstr (reply->body, "}}") != NULL ||
	    strstr (reply->subject, "{{") != NULL ||
	    strstr (content, "{{") != NULL)
		tg_test_fail_row ("%s: template syntax left in:\n%s", label, content);
	if (!tg_compose_is_own_message_id (reply->message_id, SUPPORT))
		tg_test_fail_row ("%s: Message-ID %s is not ours", label,
			  reply->message_id);
	g_assert_cmpstr (msg->message_id, ==, reply->message_id);
	g_assert_cmpstr (tg_message_get_header (msg, "Auto-Submitted"), ==,
			 "auto-replied");
	g_assert_cmpstr (tg_message_get_header (msg, "X-Ticketgate-Loop"), ==,
			 SUPPORT);
	g_assert_cmpstr (msg->in_reply_to, ==, "CAF1@mail.acme.example");
	g_assert_cmpuint (msg->references->len, ==, 2);
	g_assert_cmpstr (msg->references->pdata[0], ==,
			 "root@customer.example");
	g_assert_nonnull (msg->from);
	g_assert_cmpstr (msg->from->addr, ==, SUPPORT);
	g_assert_cmpstr (msg->from->name, ==, w->config->from_name);
	g_assert_cmpuint (msg->to->len, ==, 1);
	g_assert_cmpstr (((TgAddress *)msg->to->pdata[0])->addr, ==,
			 "ann@acme.example");
	if (strchr (content, '\r') != NULL)
		tg_test_fail_row ("%s: CR in the mail", label);
	/* The body in the mail is the body reported. */
	if (!g_str_has_prefix (reply->body, msg->body_text))
		tg_test_fail_row ("%s: mail body: got \"%s\", want \"%s\"", label,
			  msg->body_text, reply->body);
}

static void
check_contains (const char *label, const char *body, const char *const *want,
		const char *const *unwanted)
{
	g_autofree char *flat = unwrap (body);

	for (int i = 0; want != NULL && want[i] != NULL; i++)
		if (strstr (flat, want[i]) == NULL)
			tg_test_fail_row ("%s: body does not contain \"%s\":\n%s",
				  label, want[i], body);
	for (int i = 0; unwanted != NULL && unwanted[i] != NULL; i++)
		if (strstr (flat, unwanted[i]) != NULL)
			tg_test_fail_row ("%s: body contains \"%s\":\n%s", label,
				  unwanted[i], body);
}

static void
test_build_ack (void)
{
	World w = {0};
	TgReplyFacts f;
	g_autoptr (GDateTime) deadline = NULL;
	g_autoptr (TgReply) reply = NULL;
	g_autoptr (TgMessage) msg = NULL;
	g_autoptr (TgScope) scope = tg_scope_new ();
	g_autoptr (GArray) matches = NULL;
	static const char *const want[] = {
		"Hello Ann Smith,",
		"We have opened ticket 1234 for it.",
		"Customer: ACME Corp",
		"Plan: GOLD",
		"Priority: High",
		"Received: Friday, 8 March 2024, 17:30 (UTC+02:00)",
		"Reaction time: 3 working hours",
		"Answer due by: Monday, 11 March 2024, 11:30 (UTC+02:00)",
		"The working day ends before the reaction time is used up, so "
		"the rest carries over to Monday.",
		"Monday to Friday, 09:00-18:00 (UTC+02:00)",
		"Please note: your request may concern VPN configuration, "
		"which "
		"is never done by us, under any plan.",
		"keep [Support #1234] in the subject",
		"Example Support <" SUPPORT ">",
		NULL,
	};
	static const char *const unwanted[] = {"per hour", "{{", NULL};
	g_autofree char *flat = NULL;

	world_init (&w);
	g_assert_true (tg_scope_add_rule (
		scope, "VPN configuration", "\\bvpn\\b", NULL,
		"is never done by us, under any plan", NULL));
	matches = tg_scope_match (scope, "GOLD", "Printer broken",
				  "and the VPN too");
	deadline = tg_calendar_deadline (w.calendar, w.received, 180);
	f = world_facts (&w, TG_REPLY_ACK);
	f.deadline = deadline;
	f.scope = matches;
	reply = tg_replies_build (w.replies, &f, NULL);
	g_assert_nonnull (reply);
	msg = tg_test_parse_mail (reply->content);
	g_test_message ("ack:\n%s", reply->body);
	check_common ("ack", &w, reply, "[Support #1234] Re: Printer broken",
		      msg);
	/* Columns of blanks in the table: compare word by word. */
	flat = unwrap (reply->body);
	while (strstr (flat, "  ") != NULL) {
		char *two = strstr (flat, "  ");

		memmove (two, two + 1, strlen (two));
	}
	for (int i = 0; want[i] != NULL; i++)
		if (strstr (flat, want[i]) == NULL)
			tg_test_fail_row ("ack: body does not contain \"%s\":\n%s",
				  want[i], reply->body);
	check_contains ("ack", flat, NULL, unwanted);
	g_assert_cmpstr (tg_message_get_header (msg, "X-Ticketgate-Ticket"), ==,
			 "1234");
	world_clear (&w);
}

/* Without a scope match or a note, the optional paragraphs vanish. */
static void
test_build_ack_plain (void)
{
	World w = {0};
	TgReplyFacts f;
	g_autoptr (GDateTime) received = instant ("2024-03-06T10:00:00+02:00");
	g_autoptr (GDateTime) deadline = NULL;
	g_autoptr (TgReply) reply = NULL;
	g_autoptr (TgMessage) msg = NULL;
	static const char *const unwanted[] = {
		"Please note",
		"carries over",
		"outside our working hours",
		NULL,
	};

	world_init (&w);
	deadline = tg_calendar_deadline (w.calendar, received, 180);
	f = world_facts (&w, TG_REPLY_ACK);
	f.received_at = received;
	f.deadline = deadline;
	reply = tg_replies_build (w.replies, &f, NULL);
	g_assert_nonnull (reply);
	msg = tg_test_parse_mail (reply->content);
	check_common ("ack-plain", &w, reply,
		      "[Support #1234] Re: Printer broken", msg);
	check_contains ("ack-plain", reply->body, NULL, unwanted);
	if (strstr (reply->body, "\n\n\n") != NULL)
		tg_test_fail_row ("ack-plain: doubled blank line:\n%s", reply->body);
	world_clear (&w);
}

static void
test_build_ack_paid (void)
{
	World w = {0};
	TgReplyFacts f;
	g_autoptr (TgReply) reply = NULL;
	g_autoptr (TgMessage) msg = NULL;
	static const char *const want[] = {
		"We have opened ticket 1234 for it.",
		"(NONE)",
		"billed at 50 EUR per hour of work.",
		"We cannot promise a reaction time.",
		"caused by a bug in our product, we fix it free of charge",
		"keep [Support #1234] in the subject",
		NULL,
	};
	static const char *const unwanted[] = {
		"Answer due",	"due by",	 "50.00",
		"carries over", "none promised", NULL,
	};

	world_init (&w);
	f = world_facts (&w, TG_REPLY_ACK_PAID);
	f.plan = &w.none;
	f.deadline = NULL;
	reply = tg_replies_build (w.replies, &f, NULL);
	g_assert_nonnull (reply);
	msg = tg_test_parse_mail (reply->content);
	check_common ("ack-paid", &w, reply,
		      "[Support #1234] Re: Printer broken", msg);
	check_contains ("ack-paid", reply->body, want, unwanted);
	world_clear (&w);
}

static void
test_build_reject (void)
{
	World w = {0};
	TgReplyFacts f;
	g_autoptr (TgReply) reply = NULL;
	g_autoptr (TgMessage) msg = NULL;
	static const char *const want[] = {
		"we have not opened a support ticket",
		"paid support is billed at 50 EUR per hour",
		"Example Support <" SUPPORT ">",
		NULL,
	};
	static const char *const unwanted[] = {"[Support #", "ticket 0", NULL};

	world_init (&w);
	f = world_facts (&w, TG_REPLY_REJECT_UNKNOWN);
	f.ticket_number = 0;
	/* deliver's reject() must pass the fallback plan for the rate. */
	f.plan = &w.none;
	reply = tg_replies_build (w.replies, &f, NULL);
	g_assert_nonnull (reply);
	msg = tg_test_parse_mail (reply->content);
	check_common ("reject", &w, reply, "Re: Printer broken", msg);
	check_contains ("reject", reply->body, want, unwanted);
	g_assert_null (tg_message_get_header (msg, "X-Ticketgate-Ticket"));
	world_clear (&w);
}

/* The _iso placeholders: the desk's zone, RFC 3339 offsets. */
static void
test_build_iso_values (void)
{
	World w = {0};
	TgReplyFacts f;
	g_autofree char *dir = copy_templates ();
	g_autofree char *path = g_build_filename (dir, "ack.txt", NULL);
	g_autoptr (GError) error = NULL;
	g_autoptr (TgReplies) replies = NULL;
	g_autoptr (GDateTime) received = instant ("2024-03-08T15:30:00Z");
	g_autoptr (GDateTime) deadline = NULL;
	g_autoptr (TgReply) reply = NULL;

	g_assert_true (g_file_set_contents (
		path,
		"Subject: {{subject}}\n\nr={{received_iso}}\n"
		"d={{deadline_iso}}\nt={{tag}} n={{ticket_number}}\n",
		-1, NULL));
	replies = tg_replies_load (dir, &error);
	g_assert_no_error (error);
	world_init (&w);
	deadline = tg_calendar_deadline (w.calendar, received, 60);
	f = world_facts (&w, TG_REPLY_ACK);
	f.received_at = received;
	f.deadline = deadline;
	reply = tg_replies_build (replies, &f, NULL);
	g_assert_nonnull (reply);
	g_assert_cmpstr (reply->body, ==,
			 "r=2024-03-08T17:30:00+02:00\n"
			 "d=2024-03-11T09:30:00+02:00\n"
			 "t=[Support #1234] n=1234\n");
	world_clear (&w);
}

/* ---------------------------------------------------------------------- */
/* Working hours, short dates and days in words                           */

typedef struct {
	const char *label;
	const char *zone;
	guint mask;
	int start;
	int end;
	const char *want;
} HoursRow;

static const HoursRow hours_rows[] = {
	{ "policy", "+02:00", TG_CALENDAR_MON_FRI, 540, 1080,
	  "Monday to Friday, 09:00-18:00 (UTC+02:00)" },
	{ "iana-zone-wrapping-range", "Europe/Vilnius", TG_TEST_SUN_THU, 480, 1200,
	  "Sunday to Thursday, 08:00-20:00 (Europe/Vilnius)" },
	{ "list", "+02:00", TG_TEST_MON_WED_FRI, 540, 1080,
	  "Monday, Wednesday and Friday, 09:00-18:00 (UTC+02:00)" },
	{ "two-runs", "+02:00", TG_CALENDAR_MON_FRI & ~TG_CALENDAR_DAY (3),
	  540, 1080,
	  "Monday, Tuesday, Thursday and Friday, 09:00-18:00 (UTC+02:00)" },
	{ "single-day", "+02:00", TG_CALENDAR_DAY (2), 570, 990,
	  "Tuesday, 09:30-16:30 (UTC+02:00)" },
	{ "weekend", "+02:00", TG_CALENDAR_DAY (6) | TG_CALENDAR_DAY (7), 600,
	  840, "Saturday and Sunday, 10:00-14:00 (UTC+02:00)" },
	{ "pair-across-week-end", "+02:00",
	  TG_CALENDAR_DAY (7) | TG_CALENDAR_DAY (1), 600, 840,
	  "Sunday and Monday, 10:00-14:00 (UTC+02:00)" },
	{ "range-across-week-end", "+02:00",
	  TG_CALENDAR_DAY (5) | TG_CALENDAR_DAY (6) | TG_CALENDAR_DAY (7) |
		  TG_CALENDAR_DAY (1),
	  600, 840, "Friday to Monday, 10:00-14:00 (UTC+02:00)" },
	{ "every-day-all-day", "UTC", TG_TEST_ALL_DAYS, 0, 1440,
	  "Monday to Sunday, 00:00-24:00 (UTC+00:00)" },
	{ "negative-offset", "-03:30", TG_CALENDAR_MON_FRI, 540, 1080,
	  "Monday to Friday, 09:00-18:00 (UTC-03:30)" },
	/* A rule string has no single offset; show it as given. */
	{ "posix-rule", "EET-2EEST,M3.5.0/3,M10.5.0/4", TG_CALENDAR_MON_FRI,
	  540, 1080,
	  "Monday to Friday, 09:00-18:00 (EET-2EEST,M3.5.0/3,M10.5.0/4)" },
};

static void
test_hours_row (gconstpointer data)
{
	const HoursRow *row = data;
	g_autoptr (GTimeZone) tz = g_time_zone_new_identifier (row->zone);
	g_autoptr (GError) error = NULL;
	g_autoptr (TgCalendar) cal =
		tg_calendar_new (tz, row->mask, row->start, row->end, &error);
	g_autoptr (TgReplies) replies = tg_test_load_replies ();
	g_autofree char *got = NULL;

	g_assert_no_error (error);
	got = tg_reply_describe_hours (replies, cal);
	if (g_strcmp0 (got, row->want) != 0)
		tg_test_fail_row ("%s: got \"%s\", want \"%s\"", row->label, got,
				  row->want);
}

static void
test_short_and_day (void)
{
	g_autoptr (TgReplies) replies = tg_test_load_replies ();
	g_autoptr (TgCalendar) cal = desk ("+02:00", NULL, NULL);
	g_autoptr (GDateTime) t = instant ("2026-11-30T07:30:00Z");
	g_autoptr (GDate) day = g_date_new_dmy (30, G_DATE_NOVEMBER, 2026);
	g_autofree char *brief = tg_reply_format_short (replies, cal, t);
	g_autofree char *none = tg_reply_format_short (replies, cal, NULL);
	g_autofree char *words = tg_reply_format_day (replies, day);

	g_assert_cmpstr (brief, ==, "Mon 30 Nov 09:30");
	g_assert_cmpstr (none, ==, "-");
	g_assert_cmpstr (words, ==, "Monday, 30 November 2026");
}

/* Replaces the text of phrase [@name] in the phrases file of @dir. */
static void
set_phrase (const char *dir, const char *name, const char *text)
{
	g_autofree char *path = g_build_filename (dir, "phrases.txt", NULL);
	g_autofree char *old = NULL;
	g_autofree char *head = g_strdup_printf ("\n[%s]", name);
	g_autoptr (GString) out = NULL;
	const char *at = NULL;
	const char *next = NULL;

	g_assert_true (g_file_get_contents (path, &old, NULL, NULL));
	at = strstr (old, head);
	g_assert_nonnull (at);
	at = strchr (at + 1, '\n') + 1;
	next = strstr (at, "\n[");
	out = g_string_new_len (old, at - old);
	g_string_append_printf (out, "%s\n%s", text, next ? next : "");
	g_assert_true (g_file_set_contents (path, out->str, -1, NULL));
}

/* A desk that translates phrases.txt gets its own words in every date,
 * deadline note and paid reason: nothing of them stays in the code. */
static void
test_translated (void)
{
	g_autofree char *dir = copy_templates ();
	g_autoptr (GError) error = NULL;
	g_autoptr (TgReplies) replies = NULL;
	g_autoptr (TgCalendar) cal = desk ("+02:00", NULL, NULL);
	g_autoptr (GDateTime) t = instant ("2026-11-30T07:30:00Z");
	g_autoptr (GDateTime) friday = instant ("2024-03-08T17:30:00+02:00");
	g_autoptr (GDateTime) due = tg_calendar_deadline (cal, friday, 60);
	g_autofree char *when = NULL;
	g_autofree char *note = NULL;
	g_autofree char *hours = NULL;

	set_phrase (dir, "weekdays",
		    "Montag\nDienstag\nMittwoch\nDonnerstag\nFreitag\n"
		    "Samstag\nSonntag");
	set_phrase (dir, "months",
		    "Januar\nFebruar\nMärz\nApril\nMai\nJuni\nJuli\n"
		    "August\nSeptember\nOktober\nNovember\nDezember");
	set_phrase (dir, "date-time",
		    "{{weekday}}, {{day}}. {{month}} {{year}}, {{time}} Uhr");
	set_phrase (dir, "carries-over",
		    "Der Rest der Reaktionszeit zählt ab {{weekday}}.");
	set_phrase (dir, "days-range", "{{first}} bis {{last}}");
	set_phrase (dir, "hours", "{{days}}, {{start}} bis {{end}} Uhr");
	replies = tg_replies_load (dir, &error);
	g_assert_no_error (error);
	when = tg_reply_format_time (replies, cal, t);
	g_assert_cmpstr (when, ==, "Montag, 30. November 2026, 09:30 Uhr");
	note = tg_reply_deadline_note (replies, cal, friday, due);
	g_assert_cmpstr (note, ==, "Der Rest der Reaktionszeit zählt ab Montag.");
	hours = tg_reply_describe_hours (replies, cal);
	g_assert_cmpstr (hours, ==, "Montag bis Freitag, 09:00 bis 18:00 Uhr");
}

int
main (int argc, char **argv)
{
	int status;

	g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
	tg_message_init ();

	g_test_add_func ("/reply/load/real-templates", test_load_real);
	for (gsize i = 0; i < G_N_ELEMENTS (load_error_rows); i++) {
		g_autofree char *path = g_strdup_printf (
			"/reply/load-error/%s", load_error_rows[i].label);

		g_test_add_data_func (path, &load_error_rows[i],
				      test_load_error_row);
	}
	g_test_add_func ("/reply/load/extra-header", test_load_extra_header);
	g_test_add_func ("/reply/format-time/rows", test_format_time);
	for (gsize i = 0; i < G_N_ELEMENTS (hours_rows); i++) {
		g_autofree char *path = g_strdup_printf ("/reply/words/hours/%s",
							 hours_rows[i].label);

		g_test_add_data_func (path, &hours_rows[i], test_hours_row);
	}
	g_test_add_func ("/reply/words/short-and-day", test_short_and_day);
	g_test_add_func ("/reply/words/translated", test_translated);
	for (gsize i = 0; i < G_N_ELEMENTS (note_rows); i++) {
		g_autofree char *path = g_strdup_printf (
			"/reply/deadline-note/%s", note_rows[i].label);

		g_test_add_data_func (path, &note_rows[i], test_note_row);
	}
	g_test_add_func ("/reply/deadline-note/no-deadline",
			 test_note_no_deadline);
	g_test_add_func ("/reply/build/ack", test_build_ack);
	g_test_add_func ("/reply/build/ack-without-notes",
			 test_build_ack_plain);
	g_test_add_func ("/reply/build/ack-paid", test_build_ack_paid);
	g_test_add_func ("/reply/build/reject-unknown", test_build_reject);
	g_test_add_func ("/reply/build/iso-values", test_build_iso_values);
	status = g_test_run ();
	tg_message_shutdown ();
	return status;
}
