/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * command: parses the command block of a staff reply. The block must be
 * at the very top so that a "#" further down (a quoted shell prompt, a
 * hashtag) is never mistaken for a command; and any malformed line in the
 * block rejects the whole block, so a typo never half-applies.
 */
#include "command.h"

#include <string.h>

#include "ticket.h"

G_DEFINE_QUARK (tg-command-error-quark, tg_command_error)

/* Looks like a command: "#" then a letter. "# heading" and "#1" do not. */
static gboolean
is_command_line (const char *line)
{
	return line[0] == '#' && g_ascii_isalpha (line[1]);
}

static gboolean
is_address (const char *s)
{
	const char *at = strrchr (s, '@');

	return at != NULL && at != s && strchr (at, '.') != NULL &&
	       strpbrk (s, " \t<>,;\"") == NULL;
}

static gboolean
invalid (GError **error, TgCommandError code, const char *line,
	 const char *why)
{
	g_set_error (error, TG_COMMAND_ERROR, code, "\"%s\": %s", line, why);
	return FALSE;
}

/* Applies one command line ("#word args") to @c. */
static gboolean
apply (TgCommands *c, const char *line, GError **error)
{
	g_auto (GStrv) words = g_strsplit_set (line + 1, " \t", -1);
	g_autoptr (GPtrArray) args = g_ptr_array_new ();
	g_autofree char *name = NULL;

	for (char **w = words; *w != NULL; w++)
		if (**w != '\0')
			g_ptr_array_add (args, *w);
	name = g_ascii_strdown (args->pdata[0], -1);
	if (strcmp (name, "internal") == 0 && args->len == 1) {
		c->internal = TRUE;
		return TRUE;
	}
	if (strcmp (name, "status") == 0 && args->len == 2) {
		g_autofree char *v = g_ascii_strdown (args->pdata[1], -1);
		TgStatus status;

		if (!tg_status_parse (v, &status) || !tg_status_settable (status))
			return invalid (error, TG_COMMAND_ERROR_STATUS, line,
					"the status is one of open, pending, "
					"resolved, closed");
		c->has_status = TRUE;
		c->status = status;
		return TRUE;
	}
	if (strcmp (name, "priority") == 0 && args->len == 2) {
		if (!tg_priority_parse (args->pdata[1], &c->priority))
			return invalid (error, TG_COMMAND_ERROR_PRIORITY, line,
					"the priority is high, medium or low");
		c->has_priority = TRUE;
		return TRUE;
	}
	if (strcmp (name, "assign") == 0 && args->len == 2) {
		if (!is_address (args->pdata[1]))
			return invalid (error, TG_COMMAND_ERROR_ADDRESS, line,
					"#assign takes a staff address");
		g_free (c->assign);
		c->assign = g_ascii_strdown (args->pdata[1], -1);
		return TRUE;
	}
	return invalid (error, TG_COMMAND_ERROR_INVALID, line,
			"commands are #status open|pending|resolved|closed, "
			"#priority high|medium|low, #assign ADDR and #internal");
}

/*
 * Applies the command block at the top of @text to @c, line by line;
 * returns where the text after it starts, or NULL with the line that
 * failed in *@bad_out and @error set.
 */
static const char *
read_block (TgCommands *c, const char *text, char **bad_out, GError **error)
{
	const char *p = text;
	const char *rest = p;

	while (*p != '\0') {
		const char *eol = strchr (p, '\n');
		gsize len = eol != NULL ? (gsize) (eol - p) : strlen (p);
		g_autofree char *line = g_strstrip (g_strndup (p, len));

		if (*line != '\0' && !is_command_line (line))
			break;
		p += len + (eol != NULL);
		if (*line == '\0')
			continue;
		if (!apply (c, line, error)) {
			*bad_out = g_steal_pointer (&line);
			return NULL;
		}
		g_ptr_array_add (c->lines, g_steal_pointer (&line));
		rest = p;
	}
	return rest;
}

static TgCommands *
commands_new (void)
{
	TgCommands *c = g_new0 (TgCommands, 1);

	c->lines = g_ptr_array_new_null_terminated (4, g_free, TRUE);
	return c;
}

char *
tg_commands_bad_line (const char *text)
{
	g_autoptr (TgCommands) c = commands_new ();
	char *bad = NULL;

	read_block (c, text != NULL ? text : "", &bad, NULL);
	return bad;
}

TgCommands *
tg_commands_parse (const char *text, GError **error)
{
	g_autoptr (TgCommands) c = commands_new ();
	g_autofree char *bad = NULL;
	const char *rest = read_block (c, text != NULL ? text : "", &bad, error);

	if (rest == NULL)
		return NULL;
	/* Keep the text from the first line after the last command. */
	while (c->lines->len > 0 && (*rest == '\n' || *rest == '\r'))
		rest++;
	c->text = g_strdup (c->lines->len > 0 ? rest : (text ? text : ""));
	return g_steal_pointer (&c);
}

gboolean
tg_commands_is_empty (const TgCommands *c)
{
	return c == NULL || c->lines->len == 0;
}

void
tg_commands_free (TgCommands *c)
{
	if (c == NULL)
		return;
	g_free (c->assign);
	g_clear_pointer (&c->lines, g_ptr_array_unref);
	g_free (c->text);
	g_free (c);
}
