/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * report: the SLA report's figures and its four forms. The time left and
 * the lateness use the same working-hours functions as queue and ticket
 * show (watch.h), so the figures agree with them to the minute.
 */
#include "report.h"

#include <string.h>

#include "json.h"
#include "reply.h"
#include "watch.h"

/* Rank of tickets without a plan: after every plan. */
#define NO_PLAN_RANK G_MAXINT

typedef struct {
	TgReportRow row;
	int rank;
	GArray *reactions; /* gint64, working minutes */
} Acc;

static void
acc_free (Acc *a)
{
	g_array_unref (a->reactions);
	g_free (a->row.plan);
	g_free (a);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Acc, acc_free)

static Acc *
acc_new (const char *plan, int rank)
{
	Acc *a = g_new0 (Acc, 1);

	a->row.plan = g_strdup (plan);
	a->rank = rank;
	a->reactions = g_array_new (FALSE, FALSE, sizeof (gint64));
	return a;
}

static Acc *
acc_for (GPtrArray *accs, const TgTicket *t)
{
	const char *plan = t->plan_name ? t->plan_name : "-";

	for (guint i = 0; i < accs->len; i++) {
		Acc *a = accs->pdata[i];

		if (strcmp (a->row.plan, plan) == 0)
			return a;
	}
	g_ptr_array_add (accs, acc_new (plan, t->plan_name ? t->plan_rank
							   : NO_PLAN_RANK));
	return accs->pdata[accs->len - 1];
}

/* Counts @t in @a; says whether it was late or is past its deadline. */
static gboolean
count (Acc *a, const TgTicket *t, const TgCalendar *cal, GDateTime *now)
{
	gboolean late = FALSE;

	a->row.opened++;
	if (t->first_response_at != NULL) {
		gint64 m = tg_calendar_working_minutes (cal, t->received_at,
							t->first_response_at);

		g_array_append_val (a->reactions, m);
	}
	if (t->response_due_at == NULL)
		a->row.no_deadline++;
	else if (t->first_response_at != NULL &&
		 g_date_time_compare (t->first_response_at,
				      t->response_due_at) <= 0)
		a->row.in_time++;
	else if (t->first_response_at != NULL) {
		a->row.late++;
		late = TRUE;
	} else if (g_date_time_compare (now, t->response_due_at) > 0) {
		a->row.open_past_due++;
		late = TRUE;
	} else {
		a->row.not_yet_due++;
	}
	return late;
}

static gint
compare_minutes (gconstpointer a, gconstpointer b)
{
	gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

	return x < y ? -1 : x > y;
}

gint64
tg_report_percentile (const GArray *sorted, int p)
{
	guint rank;

	if (sorted == NULL || sorted->len == 0)
		return -1;
	rank = (sorted->len * (guint) p + 99) / 100;
	return g_array_index (sorted, gint64, MAX (rank, 1) - 1);
}

static void
finish (Acc *a)
{
	g_array_sort (a->reactions, compare_minutes);
	a->row.median = tg_report_percentile (a->reactions, 50);
	a->row.p90 = tg_report_percentile (a->reactions, 90);
}

static gint
by_rank (gconstpointer a, gconstpointer b)
{
	const Acc *x = *(Acc *const *) a, *y = *(Acc *const *) b;

	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	return strcmp (x->row.plan, y->row.plan);
}

static gint
by_deadline (gconstpointer a, gconstpointer b)
{
	const TgTicket *x = *(TgTicket *const *) a, *y = *(TgTicket *const *) b;

	return g_date_time_compare (x->response_due_at, y->response_due_at);
}

static void
add_to_total (TgReportRow *total, const TgReportRow *row)
{
	total->opened += row->opened;
	total->in_time += row->in_time;
	total->late += row->late;
	total->open_past_due += row->open_past_due;
	total->not_yet_due += row->not_yet_due;
	total->no_deadline += row->no_deadline;
}

TgReport *
tg_report_compute (const GPtrArray *tickets, const TgCalendar *cal,
		   GDateTime *now)
{
	g_autoptr (GPtrArray) accs =
		g_ptr_array_new_with_free_func ((GDestroyNotify) acc_free);
	g_autoptr (Acc) all = acc_new ("TOTAL", 0);
	TgReport *r = g_new0 (TgReport, 1);

	g_return_val_if_fail (tickets != NULL && cal != NULL && now != NULL,
			      NULL);
	r->rows = g_ptr_array_new_with_free_func (g_free);
	r->late = g_ptr_array_new ();
	for (guint i = 0; i < tickets->len; i++) {
		const TgTicket *t = tickets->pdata[i];
		Acc *a = acc_for (accs, t);

		if (count (a, t, cal, now))
			g_ptr_array_add (r->late, (gpointer) t);
	}
	g_ptr_array_sort (accs, by_rank);
	for (guint i = 0; i < accs->len; i++) {
		Acc *a = accs->pdata[i];

		finish (a);
		add_to_total (&all->row, &a->row);
		g_array_append_vals (all->reactions, a->reactions->data,
				     a->reactions->len);
		g_ptr_array_add (r->rows, g_memdup2 (&a->row, sizeof a->row));
		a->row.plan = NULL; /* now the report's */
	}
	finish (all);
	r->total = all->row;
	r->total.plan = g_strdup ("TOTAL");
	g_ptr_array_sort (r->late, by_deadline);
	return r;
}

static void
row_free (TgReportRow *row)
{
	g_free (row->plan);
	g_free (row);
}

void
tg_report_free (TgReport *r)
{
	if (r == NULL)
		return;
	g_ptr_array_set_free_func (r->rows, (GDestroyNotify) row_free);
	g_ptr_array_unref (r->rows);
	g_ptr_array_unref (r->late);
	g_free (r->total.plan);
	g_free (r);
}

/* ---- the forms ----------------------------------------------------- */

/* A column of the text form: at least @width characters (wider for a
 * longer heading; 0: the last, as it is), after @gap. */
typedef struct {
	guint width;
	gboolean right;
	const char *gap;
} Column;

static const Column plan_columns[] = {
	{ 10, FALSE, "" }, { 6, TRUE, " " },  { 8, TRUE, " " },
	{ 5, TRUE, " " },  { 14, TRUE, " " }, { 12, TRUE, " " },
	{ 12, TRUE, " " }, { 8, FALSE, "  " }, { 0, FALSE, " " },
};
static const Column late_columns[] = {
	{ 8, FALSE, "" },   { 9, FALSE, " " },  { 20, FALSE, " " },
	{ 16, FALSE, " " }, { 16, FALSE, " " }, { 18, FALSE, " " },
	{ 0, FALSE, " " },
};

#define N_PLAN_COLUMNS G_N_ELEMENTS (plan_columns)
#define N_LATE_COLUMNS G_N_ELEMENTS (late_columns)

/* A table of the text form: its columns, headings and widths. */
typedef struct {
	const Column *columns;
	guint n;
	const char *headings[N_PLAN_COLUMNS];
	guint widths[N_PLAN_COLUMNS];
} Table;

static void
table_init (Table *t, const TgReportScope *s, const Column *columns, guint n,
	    TgPhrase headings)
{
	t->columns = columns;
	t->n = n;
	for (guint i = 0; i < n; i++) {
		t->headings[i] = tg_replies_item (s->replies, headings, i);
		t->widths[i] = columns[i].width == 0
			? 0
			: MAX (columns[i].width,
			       (guint) g_utf8_strlen (t->headings[i], -1));
	}
}

static void
table_line (GString *out, const Table *t, const char *const *cells)
{
	for (guint i = 0; i < t->n; i++) {
		g_autofree char *cell = tg_reply_pad (
			cells[i], t->widths[i], t->columns[i].right, FALSE);

		g_string_append_printf (out, "%s%s", t->columns[i].gap, cell);
	}
	g_string_append_c (out, '\n');
}

static char *
minutes_or_dash (gint64 m)
{
	return m < 0 ? g_strdup ("-") : tg_watch_format_minutes (m);
}

/* Two lines: whose tickets and when, and the working hours. */
static char *
heading (const TgReportScope *s)
{
	g_autofree char *hours =
		tg_reply_describe_hours (s->replies, s->calendar);
	g_autofree char *all = tg_replies_phrase (
		s->replies, TG_PHRASE_REPORT_ALL_CUSTOMERS, NULL);
	g_autofree char *who = tg_replies_phrase (
		s->replies, TG_PHRASE_REPORT_HEADING, "from", s->from, "to",
		s->to, "customer", s->customer ? s->customer : all, NULL);
	g_autofree char *when = tg_replies_phrase (
		s->replies, TG_PHRASE_REPORT_HOURS, "hours", hours, NULL);

	return g_strdup_printf ("%s\n%s", who, when);
}

static void
text_row (GString *out, const Table *t, const TgReportRow *r,
	  const char *label)
{
	g_autofree char *median = minutes_or_dash (r->median);
	g_autofree char *p90 = minutes_or_dash (r->p90);
	g_autofree char *opened = g_strdup_printf ("%d", r->opened);
	g_autofree char *in_time = g_strdup_printf ("%d", r->in_time);
	g_autofree char *late = g_strdup_printf ("%d", r->late);
	g_autofree char *past = g_strdup_printf ("%d", r->open_past_due);
	g_autofree char *yet = g_strdup_printf ("%d", r->not_yet_due);
	g_autofree char *none = g_strdup_printf ("%d", r->no_deadline);
	const char *cells[N_PLAN_COLUMNS] = {
		label, opened, in_time, late, past, yet, none, median, p90,
	};

	table_line (out, t, cells);
}

/* How late @t was, or how long it has been past its deadline. */
static char *
lateness (const TgTicket *t, const TgReportScope *s)
{
	GDateTime *end = t->first_response_at ? t->first_response_at : s->now;
	g_autofree char *by = tg_watch_format_minutes (tg_calendar_working_minutes (
		s->calendar, t->response_due_at, end));

	return tg_replies_phrase (s->replies,
				  t->first_response_at
					  ? TG_PHRASE_REPORT_LATE_BY
					  : TG_PHRASE_REPORT_PAST_DUE_BY,
				  "time", by, NULL);
}

static void
text_late (GString *out, const Table *table, const TgTicket *t,
	   const TgReportScope *s)
{
	g_autofree char *due = tg_reply_format_short (s->replies, s->calendar,
						      t->response_due_at);
	g_autofree char *answered = tg_reply_format_short (
		s->replies, s->calendar, t->first_response_at);
	g_autofree char *by = lateness (t, s);
	g_autofree char *number =
		g_strdup_printf ("#%" G_GINT64_FORMAT, t->number);
	g_autofree char *who = tg_reply_pad (
		t->customer_name ? t->customer_name : t->requester,
		table->widths[2], FALSE, TRUE);
	const char *cells[N_LATE_COLUMNS] = {
		number, t->plan_name ? t->plan_name : "-", who, due, answered,
		by, t->subject,
	};

	table_line (out, table, cells);
}

char *
tg_report_text (const TgReport *r, const TgReportScope *s)
{
	GString *out = g_string_new (NULL);
	g_autofree char *head = heading (s);
	g_autofree char *note =
		tg_replies_phrase (s->replies, TG_PHRASE_REPORT_NOTE, NULL);
	g_autofree char *total =
		tg_replies_phrase (s->replies, TG_PHRASE_REPORT_TOTAL, NULL);
	g_autofree char *count = g_strdup_printf ("%u", r->late->len);
	g_autofree char *late = tg_replies_phrase (
		s->replies, TG_PHRASE_REPORT_LATE_COUNT, "count", count, NULL);
	Table plans;
	Table lates;

	table_init (&plans, s, plan_columns, N_PLAN_COLUMNS,
		    TG_PHRASE_REPORT_COLUMNS);
	table_init (&lates, s, late_columns, N_LATE_COLUMNS,
		    TG_PHRASE_REPORT_LATE_COLUMNS);
	g_string_append_printf (out, "%s\n%s\n\n", head, note);
	table_line (out, &plans, plans.headings);
	for (guint i = 0; i < r->rows->len; i++) {
		const TgReportRow *row = r->rows->pdata[i];

		text_row (out, &plans, row, row->plan);
	}
	text_row (out, &plans, &r->total, total);
	g_string_append_printf (out, "\n%s\n", late);
	if (r->late->len > 0)
		table_line (out, &lates, lates.headings);
	for (guint i = 0; i < r->late->len; i++)
		text_late (out, &lates, r->late->pdata[i], s);
	return g_string_free (out, FALSE);
}

/* A number of minutes, empty when there is none. */
static char *
csv_minutes (gint64 m)
{
	return m < 0 ? g_strdup ("") : g_strdup_printf ("%" G_GINT64_FORMAT, m);
}

static void
csv_row (GString *out, const TgReportRow *r)
{
	g_autofree char *median = csv_minutes (r->median);
	g_autofree char *p90 = csv_minutes (r->p90);

	g_string_append_printf (out, "%s,%d,%d,%d,%d,%d,%d,%s,%s\n", r->plan,
				r->opened, r->in_time, r->late,
				r->open_past_due, r->not_yet_due, r->no_deadline,
				median, p90);
}

char *
tg_report_csv (const TgReport *r, const TgReportScope *s)
{
	GString *out = g_string_new (
		"plan,opened,in_time,late,open_past_due,not_yet_due,"
		"no_deadline,median_minutes,p90_minutes\n");

	(void) s;
	for (guint i = 0; i < r->rows->len; i++)
		csv_row (out, r->rows->pdata[i]);
	csv_row (out, &r->total);
	return g_string_free (out, FALSE);
}

static void
json_row (TgJson *j, const char *key, const TgReportRow *r)
{
	tg_json_begin_object (j, key);
	tg_json_string (j, "plan", r->plan);
	tg_json_int (j, "opened", r->opened);
	tg_json_int (j, "in_time", r->in_time);
	tg_json_int (j, "late", r->late);
	tg_json_int (j, "open_past_due", r->open_past_due);
	tg_json_int (j, "not_yet_due", r->not_yet_due);
	tg_json_int (j, "no_deadline", r->no_deadline);
	if (r->median < 0) {
		tg_json_null (j, "median_minutes");
		tg_json_null (j, "p90_minutes");
	} else {
		tg_json_int (j, "median_minutes", r->median);
		tg_json_int (j, "p90_minutes", r->p90);
	}
	tg_json_end_object (j);
}

static void
json_late (TgJson *j, const TgTicket *t, const TgReportScope *s)
{
	GDateTime *end = t->first_response_at ? t->first_response_at : s->now;

	tg_json_begin_object (j, NULL);
	tg_json_int (j, "number", t->number);
	tg_json_string (j, "plan", t->plan_name);
	tg_json_string (j, "customer", t->customer_name);
	tg_json_string (j, "subject", t->subject);
	tg_json_time (j, "response_due_at", t->response_due_at);
	tg_json_time (j, "first_response_at", t->first_response_at);
	tg_json_int (j, "late_minutes",
		     tg_calendar_working_minutes (s->calendar,
						  t->response_due_at, end));
	tg_json_end_object (j);
}

char *
tg_report_json (const TgReport *r, const TgReportScope *s)
{
	g_autoptr (TgJson) j = tg_json_new (TRUE);

	tg_json_begin_object (j, NULL);
	tg_json_string (j, "from", s->from);
	tg_json_string (j, "to", s->to);
	tg_json_string (j, "customer", s->customer);
	tg_json_begin_array (j, "plans");
	for (guint i = 0; i < r->rows->len; i++)
		json_row (j, NULL, r->rows->pdata[i]);
	tg_json_end_array (j);
	json_row (j, "total", &r->total);
	tg_json_begin_array (j, "late");
	for (guint i = 0; i < r->late->len; i++)
		json_late (j, r->late->pdata[i], s);
	tg_json_end_array (j);
	tg_json_end_object (j);
	return tg_json_finish (j);
}

/* ---- HTML ------------------------------------------------------------ */

/* The chart's bars: their colours and CSS classes (keywords, not shown),
 * in the order of the phrase report-segments that names them. */
static const struct {
	const char *colour;
	const char *class;
} segments[] = {
	{ "#2e7d32", "in-time" },
	{ "#c62828", "late" },
	{ "#ef6c00", "open-past-due" },
	{ "#9e9e9e", "not-yet-due" },
};

#define BAR_WIDTH 480
#define BAR_HEIGHT 24
#define LABEL_WIDTH 110

/* (transfer full): item @n of list @id, escaped for HTML. */
static char *
html_item (const TgReportScope *s, TgPhrase id, guint n)
{
	return g_markup_escape_text (tg_replies_item (s->replies, id, n), -1);
}

static void
svg_bar (GString *out, const TgReportScope *s, const TgReportRow *r, int y,
	 int max)
{
	const int counts[] = { r->in_time, r->late, r->open_past_due,
			       r->not_yet_due };
	g_autofree char *plan = g_markup_escape_text (r->plan, -1);
	int x = LABEL_WIDTH;

	g_string_append_printf (out,
				"<text x=\"0\" y=\"%d\" font-size=\"14\">%s</text>\n",
				y + 17, plan);
	for (gsize k = 0; k < G_N_ELEMENTS (segments); k++) {
		int w = max > 0 ? counts[k] * BAR_WIDTH / max : 0;
		g_autofree char *label =
			html_item (s, TG_PHRASE_REPORT_SEGMENTS, k);

		if (w == 0)
			continue;
		g_string_append_printf (
			out,
			"<rect class=\"%s\" x=\"%d\" y=\"%d\" width=\"%d\" "
			"height=\"%d\" fill=\"%s\"><title>%s: %d %s</title>"
			"</rect>\n",
			segments[k].class, x, y, w, BAR_HEIGHT,
			segments[k].colour, plan, counts[k], label);
		x += w;
	}
}

static void
html_chart (GString *out, const TgReport *r, const TgReportScope *s)
{
	int max = 0;
	int height = (int) r->rows->len * (BAR_HEIGHT + 8) + 30;
	g_autofree char *chart =
		tg_replies_phrase (s->replies, TG_PHRASE_REPORT_CHART, NULL);
	g_autofree char *aria = g_markup_escape_text (chart, -1);

	for (guint i = 0; i < r->rows->len; i++)
		max = MAX (max, ((TgReportRow *) r->rows->pdata[i])->opened -
					((TgReportRow *) r->rows->pdata[i])
						->no_deadline);
	g_string_append_printf (out,
				"<svg xmlns=\"http://www.w3.org/2000/svg\" "
				"width=\"%d\" height=\"%d\" role=\"img\" "
				"aria-label=\"%s\">\n",
				LABEL_WIDTH + BAR_WIDTH + 10, height, aria);
	for (guint i = 0; i < r->rows->len; i++)
		svg_bar (out, s, r->rows->pdata[i], (int) i * (BAR_HEIGHT + 8),
			 max);
	for (gsize k = 0; k < G_N_ELEMENTS (segments); k++) {
		g_autofree char *label =
			html_item (s, TG_PHRASE_REPORT_SEGMENTS, k);

		g_string_append_printf (
			out,
			"<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" "
			"fill=\"%s\"/><text x=\"%d\" y=\"%d\" "
			"font-size=\"12\">%s</text>\n",
			LABEL_WIDTH + (int) k * 120, height - 16,
			segments[k].colour, LABEL_WIDTH + (int) k * 120 + 16,
			height - 6, label);
	}
	g_string_append (out, "</svg>\n");
}

static void
html_cell_row (GString *out, const TgReportRow *r, const char *label,
	       const char *class)
{
	g_autofree char *plan = g_markup_escape_text (label, -1);
	g_autofree char *median = minutes_or_dash (r->median);
	g_autofree char *p90 = minutes_or_dash (r->p90);

	g_string_append_printf (out,
				"<tr class=\"%s\"><td>%s</td><td>%d</td><td>%d</td>"
				"<td>%d</td><td>%d</td><td>%d</td><td>%d</td>"
				"<td>%s</td><td>%s</td></tr>\n",
				class, plan, r->opened, r->in_time, r->late,
				r->open_past_due, r->not_yet_due, r->no_deadline,
				median, p90);
}

static void
html_late (GString *out, const TgTicket *t, const TgReportScope *s)
{
	g_autofree char *due = tg_reply_format_short (s->replies, s->calendar,
						      t->response_due_at);
	g_autofree char *answered = tg_reply_format_short (
		s->replies, s->calendar, t->first_response_at);
	g_autofree char *by = lateness (t, s);
	g_autofree char *who = g_markup_escape_text (
		t->customer_name ? t->customer_name : t->requester, -1);
	g_autofree char *subject = g_markup_escape_text (t->subject, -1);
	g_autofree char *e_due = g_markup_escape_text (due, -1);
	g_autofree char *e_answered = g_markup_escape_text (answered, -1);
	g_autofree char *e_by = g_markup_escape_text (by, -1);

	g_string_append_printf (out,
				"<tr><td>#%" G_GINT64_FORMAT "</td><td>%s</td>"
				"<td>%s</td><td>%s</td><td>%s</td><td>%s</td>"
				"<td>%s</td></tr>\n",
				t->number, t->plan_name ? t->plan_name : "-", who,
				e_due, e_answered, e_by, subject);
}

/* A row of headings: the items of list @id. */
static void
html_headings (GString *out, const TgReportScope *s, TgPhrase id, guint n)
{
	g_string_append (out, "<tr>");
	for (guint i = 0; i < n; i++) {
		g_autofree char *cell = html_item (s, id, i);

		g_string_append_printf (out, "<th>%s</th>", cell);
	}
	g_string_append (out, "</tr>\n");
}

static const char html_style[] =
	"body{font-family:sans-serif;margin:2em;color:#222}"
	"table{border-collapse:collapse;margin:1em 0}"
	"th,td{border:1px solid #bbb;padding:4px 8px;text-align:right;"
	"white-space:nowrap}"
	"th:first-child,td:first-child{text-align:left}"
	"#late td,#late th{text-align:left}"
	"tr.total{font-weight:bold}";

char *
tg_report_html (const TgReport *r, const TgReportScope *s)
{
	GString *out = g_string_new (NULL);
	g_autofree char *head = heading (s);
	g_autofree char *escaped = g_markup_escape_text (head, -1);
	g_auto (GStrv) lines = g_strsplit (escaped, "\n", 2);
	g_autofree char *lang =
		tg_replies_phrase (s->replies, TG_PHRASE_REPORT_LANGUAGE, NULL);
	g_autofree char *e_lang = g_markup_escape_text (lang, -1);
	g_autofree char *note =
		tg_replies_phrase (s->replies, TG_PHRASE_REPORT_NOTE, NULL);
	g_autofree char *e_note = g_markup_escape_text (note, -1);
	g_autofree char *total =
		tg_replies_phrase (s->replies, TG_PHRASE_REPORT_TOTAL, NULL);
	g_autofree char *count = g_strdup_printf ("%u", r->late->len);
	g_autofree char *late = tg_replies_phrase (
		s->replies, TG_PHRASE_REPORT_LATE_COUNT, "count", count, NULL);
	g_autofree char *e_late = g_markup_escape_text (late, -1);

	g_string_append_printf (out,
				"<!DOCTYPE html>\n<html lang=\"%s\"><head>"
				"<meta charset=\"utf-8\"><title>%s</title>"
				"<style>%s</style></head><body>\n<h1>%s</h1>\n"
				"<p>%s</p>\n<p>%s</p>\n",
				e_lang, lines[0], html_style, lines[0],
				lines[1] ? lines[1] : "", e_note);
	html_chart (out, r, s);
	g_string_append (out, "<table id=\"plans\">");
	html_headings (out, s, TG_PHRASE_REPORT_HTML_COLUMNS, N_PLAN_COLUMNS);
	for (guint i = 0; i < r->rows->len; i++) {
		const TgReportRow *row = r->rows->pdata[i];

		html_cell_row (out, row, row->plan, "plan");
	}
	html_cell_row (out, &r->total, total, "total");
	g_string_append_printf (out, "</table>\n<h2>%s</h2>\n"
				     "<table id=\"late\">",
				e_late);
	html_headings (out, s, TG_PHRASE_REPORT_HTML_LATE_COLUMNS,
		       N_LATE_COLUMNS);
	for (guint i = 0; i < r->late->len; i++)
		html_late (out, r->late->pdata[i], s);
	g_string_append (out, "</table>\n</body></html>\n");
	return g_string_free (out, FALSE);
}
