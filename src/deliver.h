/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * deliver: the pipe filter Postfix runs for every mail to the support
 * address. Reads one mail on stdin, stores it on a ticket (new or old) in
 * one transaction with the answers it causes, sends them after the
 * commit, and exits 0, 75 (try again later) or, for a deliberate refusal,
 * 65.
 */
#pragma once

#include <glib.h>

/*
 * tg_deliver_main: "ticketgate deliver [OPTIONS]".
 * @config_path: (nullable): from --config; NULL for the default
 * Returns: the exit code for Postfix (sysexits.h).
 */
int tg_deliver_main (const char *config_path, int argc, char **argv);

/*
 * tg_deliver_dedup_key: (transfer full): the identity of an incoming mail
 * across redeliveries: SHA-256 over its Message-ID and the digest of its
 * body, plus From, Date and Subject when it has no Message-ID. Postfix's
 * Delivered-To and Received lines differ between two deliveries of one
 * mail; the body and these headers do not.
 */
char *tg_deliver_dedup_key (const char *message_id,
			    const char *from,
			    const char *date,
			    const char *subject,
			    const char *body_digest);
