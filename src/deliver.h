/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * deliver: the pipe filter Postfix runs for every mail to the support
 * address. Reads one mail on stdin and takes it in (intake.h): stored on
 * a ticket (new or old) in one transaction with the answers it causes,
 * those sent after the commit; exits 0, 75 (try again later) or, for a
 * deliberate refusal, 65.
 */
#pragma once

#include <glib.h>

/*
 * tg_deliver_main: "ticketgate deliver [OPTIONS]".
 * @config_path: (nullable): from --config; NULL for the default
 * Returns: the exit code for Postfix (sysexits.h).
 */
int tg_deliver_main (const char *config_path, int argc, char **argv);
