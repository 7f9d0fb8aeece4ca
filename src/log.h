/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * log: where GLib's log messages go (syslog's mail facility, or stderr
 * for interactive use and tests), and helpers to make untrusted text safe
 * for a log line. GLib only.
 */
#pragma once

#include <glib.h>

typedef enum {
	TG_LOG_SYSLOG, /* LOG_MAIL, the default for deliver and sweep */
	TG_LOG_STDERR, /* interactive commands and tests */
} TgLogTarget;

/*
 * tg_log_init: installs ticketgate's GLogWriterFunc.
 * @ident: (transfer none): the syslog identifier, "ticketgate"; kept
 * @target: the default target; TICKETGATE_LOG=syslog|stderr overrides it
 * @verbose: whether debug messages are written
 */
void tg_log_init (const char *ident, TgLogTarget target, gboolean verbose);

/* tg_log_is_stderr: whether log messages go to stderr (so that a command
 * that must also tell its caller need not say it twice). */
gboolean tg_log_is_stderr (void);

/*
 * tg_log_safe: (transfer full): @text cut to @max characters (an ellipsis
 * marks the cut) with control characters, quotes and backslashes escaped,
 * so that it fits in one key=value log line. NULL gives "-".
 */
char *tg_log_safe (const char *text, gsize max);

/*
 * tg_log_kv: appends " key=value" to @line, quoting @value with double
 * quotes when it is empty or holds spaces; @value is made safe with
 * tg_log_safe (.., 200). NULL values are written as "-".
 */
void tg_log_kv (GString *line, const char *key, const char *value);
