/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * sweep: sends what deliver could not: outbox rows that are due, with
 * exponential backoff, giving up after [mail] retry_for. Run every minute
 * by a systemd timer or cron.
 */
#pragma once

#include <glib.h>

#include "sender.h"
#include "settings.h"
#include "store.h"

/* Backoff of the first retry, doubled at every attempt, and its cap. */
#define TG_SWEEP_FIRST_RETRY 60
#define TG_SWEEP_MAX_RETRY 3600

/*
 * tg_sweep_backoff: seconds before the next attempt after @attempts
 * failed ones: 60, 120, 240, ... at most TG_SWEEP_MAX_RETRY.
 */
int tg_sweep_backoff (int attempts);

/*
 * tg_sweep_in_claim: whether a send of at most @sendmail_timeout seconds,
 * begun @elapsed microseconds after its batch was claimed, is sent and
 * recorded (TG_OUTBOX_SENT_PATIENCE) inside the claim of @claim seconds
 * ([limits] outbox_claim). A later one could be recorded after another
 * sweep claimed the row again, and both would send it.
 */
gboolean tg_sweep_in_claim (gint64 elapsed, int sendmail_timeout, int claim);

/*
 * tg_sweep_send_due: claims the due outbox rows @limit at a time and
 * sends them with @sender (after folding in its journal), until none is
 * left; logs one line of counts if it sent anything. FALSE when the
 * database went away (what could not be recorded is in the journal).
 */
gboolean tg_sweep_send_due (const TgSettings *c, TgStore *store,
			    TgSender *sender, int limit);

/*
 * tg_sweep_main: "ticketgate sweep [--limit N]".
 * Returns: 0, or 75 when the database is unreachable, 78 for a bad
 * configuration.
 */
int tg_sweep_main (const char *config_path, int argc, char **argv);
