/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * escalate: the deadline watch that sweep runs every minute (doc/sla.md):
 * a warning when [escalation] warn_at of a ticket's reaction time has
 * passed unanswered, a breach notice when its deadline has, and the
 * morning queue, each only inside working hours. Each is recorded in the
 * database and queued in the outbox in one transaction, so that several
 * mail hosts running sweep send it once; sweep's pass over the outbox
 * sends it.
 */
#pragma once

#include <glib.h>

#include "reply.h"
#include "settings.h"
#include "store.h"

typedef struct {
	int warned;      /* warnings queued */
	int breached;    /* breach notices queued */
	int daily;       /* morning queues queued (0 or 1) */
	GPtrArray *lines; /* char *: with dry_run, what would be sent */
} TgEscalateTally;

/*
 * tg_escalate_run: the watch at @now, its notices written with @replies.
 * With @dry_run nothing is recorded or queued; @tally's lines say what
 * would be. Fills @tally (its lines are the caller's to free with
 * tg_escalate_tally_clear()).
 * Returns: FALSE with a TG_STORE_ERROR, a TG_SETTINGS_ERROR (working
 * hours) or TG_COMPOSE_ERROR_TEMPORARY (a notice not written out).
 */
gboolean tg_escalate_run (const TgSettings *config,
			  const TgReplies *replies,
			  TgStore *store,
			  GDateTime *now,
			  gboolean dry_run,
			  TgEscalateTally *tally,
			  GError **error);

/* tg_escalate_tally_clear: releases what @tally holds. */
void tg_escalate_tally_clear (TgEscalateTally *tally);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (TgEscalateTally, tg_escalate_tally_clear)
