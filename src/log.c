/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * log: routes GLib logging to syslog (LOG_MAIL) or stderr. GLib 2.74 has
 * no syslog writer, and the one of 2.80 cannot use the mail facility.
 * Nothing here may write to stdout, and under deliver nothing but the one
 * status line may reach stderr: Postfix copies stderr into bounces.
 */
#include "log.h"

#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

static TgLogTarget log_target = TG_LOG_STDERR;
static gboolean log_verbose = FALSE;

static int
syslog_priority (GLogLevelFlags level)
{
	if (level & G_LOG_LEVEL_ERROR)
		return LOG_CRIT;
	if (level & G_LOG_LEVEL_CRITICAL)
		return LOG_ERR;
	if (level & G_LOG_LEVEL_WARNING)
		return LOG_WARNING;
	if (level & G_LOG_LEVEL_MESSAGE)
		return LOG_NOTICE;
	if (level & G_LOG_LEVEL_INFO)
		return LOG_INFO;
	return LOG_DEBUG;
}

static const char *
level_word (GLogLevelFlags level)
{
	if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL))
		return "error: ";
	if (level & G_LOG_LEVEL_WARNING)
		return "warning: ";
	if (level & G_LOG_LEVEL_DEBUG)
		return "debug: ";
	return "";
}

static const char *
field_message (const GLogField *fields, gsize n_fields)
{
	for (gsize i = 0; i < n_fields; i++)
		if (strcmp (fields[i].key, "MESSAGE") == 0)
			return fields[i].value;
	return "";
}

static GLogWriterOutput
writer (GLogLevelFlags level,
	const GLogField *fields,
	gsize n_fields,
	gpointer user_data)
{
	const char *message = field_message (fields, n_fields);

	if ((level & G_LOG_LEVEL_DEBUG) && !log_verbose)
		return G_LOG_WRITER_HANDLED;
	if (log_target == TG_LOG_SYSLOG) {
		syslog (syslog_priority (level), "%s%s", level_word (level),
			message);
		return G_LOG_WRITER_HANDLED;
	}
	fprintf (stderr, "ticketgate: %s%s\n", level_word (level), message);
	fflush (stderr);
	return G_LOG_WRITER_HANDLED;
}

void
tg_log_init (const char *ident, TgLogTarget target, gboolean verbose)
{
	const char *env = g_getenv ("TICKETGATE_LOG");

	g_return_if_fail (ident != NULL);
	log_target = target;
	if (g_strcmp0 (env, "stderr") == 0)
		log_target = TG_LOG_STDERR;
	else if (g_strcmp0 (env, "syslog") == 0)
		log_target = TG_LOG_SYSLOG;
	log_verbose = verbose;
	if (log_target == TG_LOG_SYSLOG)
		openlog (ident, LOG_PID | LOG_NDELAY, LOG_MAIL);
	g_log_set_writer_func (writer, NULL, NULL);
}

gboolean
tg_log_is_stderr (void)
{
	return log_target == TG_LOG_STDERR;
}

char *
tg_log_safe (const char *text, gsize max)
{
	GString *out;
	const char *p = text;
	gsize count = 0;

	if (text == NULL)
		return g_strdup ("-");
	out = g_string_new (NULL);
	while (*p != '\0') {
		gunichar c = g_utf8_get_char_validated (p, -1);

		if (count++ >= max) {
			g_string_append (out, "...");
			break;
		}
		if (c == (gunichar) -1 || c == (gunichar) -2) {
			/* one invalid byte at a time: never skip past the NUL */
			g_string_append_c (out, '?');
			p++;
			continue;
		}
		p = g_utf8_next_char (p);
		if (c == '"' || c == '\\')
			g_string_append_printf (out, "\\%c", (char) c);
		else if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0))
			g_string_append_printf (out, "\\x%02x", c);
		else
			g_string_append_unichar (out, c);
	}
	return g_string_free (out, FALSE);
}

void
tg_log_kv (GString *line, const char *key, const char *value)
{
	g_autofree char *safe = tg_log_safe (value, 200);
	gboolean quote = value != NULL &&
			 (*value == '\0' || strpbrk (safe, " =") != NULL);

	g_return_if_fail (line != NULL && key != NULL);
	g_string_append_printf (line, "%s%s=%s%s%s", line->len ? " " : "",
				key, quote ? "\"" : "", safe,
				quote ? "\"" : "");
}
