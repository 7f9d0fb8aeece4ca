/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * pipeline: the in-memory path of one mail through deliver, without the
 * database: parse, classify, deliver's own decisions (decide.h: the
 * ticket, the action, the answers), and the answers composed from the
 * real templates. What the database would say
 * (customers, plans, tickets) comes from fixed fixtures; the code that
 * parses, classifies, threads and composes is the code that ships. Used
 * by the fuzzer (fuzz-mail.c) and by its replay test (test-pipeline.c).
 */
#pragma once

#include <glib.h>

typedef struct _TgPipeline TgPipeline;

/* What one mail came to, for the replay test to look at. */
typedef struct {
	const char *action;   /* tg_action_name(): "new-ticket", ... */
	gint64 ticket_number; /* 0: none */
	guint answers;	      /* mails composed */
	gsize answer_bytes;   /* their size in all */
} TgPipelineResult;

/*
 * tg_pipeline_new: (transfer full): the fixtures: a configuration with a
 * support, a staff and a comment address, the calendar of [hours], two
 * scope rules, the plans and a few customers and tickets, and the
 * templates of @templates_dir. Fails only when the templates do not load.
 */
TgPipeline *tg_pipeline_new (const char *templates_dir, GError **error);

/* tg_pipeline_free: NULL is allowed. */
void tg_pipeline_free (TgPipeline *p);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TgPipeline, tg_pipeline_free)

/*
 * tg_pipeline_run: runs the mail @data of @len bytes through the path and
 * checks what must hold for any input (an answer parses again, comes
 * from the support address and carries the ticket's tag); a violation
 * aborts with g_error(), which the fuzzer reports as a crash.
 */
void tg_pipeline_run (TgPipeline *p, const guint8 *data, gsize len,
		      TgPipelineResult *result_out);

/*
 * tg_pipeline_fatal_logs: makes every GLib warning and critical abort,
 * so that the fuzzer and the replay test count one as a failure.
 */
void tg_pipeline_fatal_logs (void);
