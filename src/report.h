/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * report: how the desk kept its promises over a period (doc/sla.md): per
 * plan and in total, tickets opened, first responses in time and late,
 * tickets still open past their deadline, and the median and 90th
 * percentile of the reaction time in working hours; then the late
 * tickets. Computed from tickets and the calendar alone (pure), written
 * as text, CSV, JSON or one self-contained HTML page.
 */
#pragma once

#include <glib.h>

#include "calendar.h"
#include "reply.h"
#include "store.h"

typedef struct {
	char *plan;            /* "-" for tickets without a plan */
	int opened;
	int in_time;           /* first response by the deadline */
	int late;              /* first response after it */
	int open_past_due;     /* no first response, deadline passed */
	int not_yet_due;       /* no first response, deadline to come */
	int no_deadline;       /* paid support: nothing promised */
	gint64 median;         /* reaction, working minutes; -1: none */
	gint64 p90;
} TgReportRow;

typedef struct {
	GPtrArray *rows;       /* TgReportRow, in the order of work */
	TgReportRow total;
	GPtrArray *late;       /* TgTicket (borrowed): late or open past due,
				  by deadline */
} TgReport;

/*
 * tg_report_compute: (transfer full): the report on @tickets (TgTicket,
 * borrowed by the result's late list: keep them alive) as of @now.
 * Reaction times are working minutes from arrival to first response on
 * @calendar; the median and 90th percentile are nearest-rank.
 */
TgReport *tg_report_compute (const GPtrArray *tickets,
			     const TgCalendar *calendar,
			     GDateTime *now);

void tg_report_free (TgReport *report);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TgReport, tg_report_free)

/* What a report is about, for its heading. All borrowed. */
typedef struct {
	const char *from;      /* "2026-11-01" */
	const char *to;
	const char *customer;  /* NULL: every customer */
	const TgCalendar *calendar;
	GDateTime *now;
	const TgReplies *replies; /* the words (phrases.txt) of the text
				     and HTML forms */
} TgReportScope;

/* tg_report_percentile: nearest-rank @p-th percentile of @sorted (gint64,
 * ascending), -1 when empty. */
gint64 tg_report_percentile (const GArray *sorted, int p);

/* (transfer full): the report as text (tables), CSV (the plan rows and
 * the total), JSON, or a self-contained HTML page (tables and an inline
 * SVG bar chart per plan; no scripts, nothing fetched). */
char *tg_report_text (const TgReport *report, const TgReportScope *scope);
char *tg_report_csv (const TgReport *report, const TgReportScope *scope);
char *tg_report_json (const TgReport *report, const TgReportScope *scope);
char *tg_report_html (const TgReport *report, const TgReportScope *scope);
