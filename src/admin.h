/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * admin: the commands that run a desk without SQL: customers, contacts,
 * domains, subscriptions, staff, holidays, plans, tickets, the queue,
 * schema migration and a configuration check. Output goes to stdout
 * (text, or JSON with --json); errors are one line on stderr and a
 * sysexits.h code.
 */
#pragma once

#include <glib.h>

/*
 * tg_admin_main: runs admin command @command ("customer", "queue", ...)
 * with its own arguments (@argv[0] is the command name).
 * Returns: the exit code; 64 for an unknown command or bad usage.
 */
int tg_admin_main (const char *config_path,
		   const char *command,
		   int argc,
		   char **argv);

/* tg_admin_is_command: whether @command is one of tg_admin_main's. */
gboolean tg_admin_is_command (const char *command);

/* tg_admin_usage: (transfer none): the command list for --help. */
const char *tg_admin_usage (void);
