/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * template: parses template files into literal text and placeholder
 * pieces once, at load time, checking every placeholder against the names
 * the caller offers; rendering only concatenates. GLib only.
 */
#include "template.h"

#include <string.h>

G_DEFINE_QUARK (tg-template-error-quark, tg_template_error)

/* One line of a template: pieces alternate literal text and names. */
typedef struct {
	GPtrArray *pieces; /* char *: even index literal, odd placeholder */
} Line;

struct _TgTemplate {
	char *name;
	GArray *header_lines; /* Line; first piece starts "Name: " */
	GArray *body_lines;   /* Line */
};

static void
line_clear (Line *line)
{
	g_clear_pointer (&line->pieces, g_ptr_array_unref);
}

static gboolean
is_name_char (char c)
{
	return g_ascii_islower (c) || g_ascii_isdigit (c) || c == '_';
}

/* Splits one line into pieces, checking each {{name}} against @allowed. */
static gboolean
parse_line (const char *tname, int lineno, const char *text,
	    const char *const *allowed, Line *out, GError **error)
{
	GPtrArray *pieces = g_ptr_array_new_with_free_func (g_free);
	const char *p = text;

	for (;;) {
		const char *open = strstr (p, "{{");
		const char *close;
		g_autofree char *name = NULL;

		g_ptr_array_add (pieces, g_strndup (p, open ? open - p
							    : (gssize) strlen (p)));
		if (open == NULL)
			break;
		close = strstr (open + 2, "}}");
		if (close == NULL) {
			g_set_error (error, TG_TEMPLATE_ERROR,
				     TG_TEMPLATE_ERROR_INVALID,
				     "%s:%d: \"{{\" without \"}}\"", tname,
				     lineno);
			goto fail;
		}
		name = g_strstrip (g_strndup (open + 2, close - open - 2));
		for (const char *c = name; *c != '\0'; c++)
			if (!is_name_char (*c))
				goto unknown;
		if (*name == '\0' || !g_strv_contains (allowed, name))
			goto unknown;
		g_ptr_array_add (pieces, g_steal_pointer (&name));
		p = close + 2;
		continue;
unknown:
		g_set_error (error, TG_TEMPLATE_ERROR,
			     TG_TEMPLATE_ERROR_INVALID,
			     "%s:%d: unknown placeholder {{%s}}", tname, lineno,
			     name);
		goto fail;
	}
	out->pieces = pieces;
	return TRUE;
fail:
	g_ptr_array_unref (pieces);
	return FALSE;
}

static gboolean
is_header_line (const char *line)
{
	const char *colon = strchr (line, ':');

	if (colon == NULL || colon == line)
		return FALSE;
	for (const char *c = line; c < colon; c++)
		if (!g_ascii_isalnum (*c) && *c != '-')
			return FALSE;
	return TRUE;
}

TgTemplate *
tg_template_new (const char *name, const char *text,
		 const char *const *allowed, GError **error)
{
	g_auto (GStrv) lines = NULL;
	TgTemplate *tmpl;
	gboolean in_body = FALSE;

	g_return_val_if_fail (name != NULL && text != NULL, NULL);
	g_return_val_if_fail (allowed != NULL, NULL);
	if (!g_utf8_validate (text, -1, NULL)) {
		g_set_error (error, TG_TEMPLATE_ERROR, TG_TEMPLATE_ERROR_INVALID,
			     "%s: not UTF-8 text", name);
		return NULL;
	}
	tmpl = g_new0 (TgTemplate, 1);
	tmpl->name = g_strdup (name);
	tmpl->header_lines = g_array_new (FALSE, TRUE, sizeof (Line));
	tmpl->body_lines = g_array_new (FALSE, TRUE, sizeof (Line));
	g_array_set_clear_func (tmpl->header_lines, (GDestroyNotify) line_clear);
	g_array_set_clear_func (tmpl->body_lines, (GDestroyNotify) line_clear);
	lines = g_strsplit (text, "\n", -1);
	for (int i = 0; lines[i] != NULL; i++) {
		Line line = { NULL };
		char *l = lines[i];

		g_strchomp (l); /* trailing blanks and a CR from CRLF files */
		if (!in_body && *l == '\0') {
			in_body = TRUE;
			continue;
		}
		if (!in_body && !is_header_line (l)) {
			g_set_error (error, TG_TEMPLATE_ERROR,
				     TG_TEMPLATE_ERROR_INVALID,
				     "%s:%d: not a header line (\"Name: "
				     "value\"); a blank line starts the body",
				     name, i + 1);
			tg_template_free (tmpl);
			return NULL;
		}
		if (!parse_line (name, i + 1, l, allowed, &line, error)) {
			tg_template_free (tmpl);
			return NULL;
		}
		g_array_append_val (in_body ? tmpl->body_lines
					    : tmpl->header_lines,
				    line);
	}
	return tmpl;
}

TgTemplate *
tg_template_load (const char *path, const char *const *allowed,
		  GError **error)
{
	g_autofree char *text = NULL;
	g_autoptr (GError) local = NULL;

	g_return_val_if_fail (path != NULL, NULL);
	if (!g_file_get_contents (path, &text, NULL, &local)) {
		g_set_error (error, TG_TEMPLATE_ERROR,
			     TG_TEMPLATE_ERROR_UNREADABLE, "%s", local->message);
		return NULL;
	}
	return tg_template_new (path, text, allowed, error);
}

void
tg_template_free (TgTemplate *tmpl)
{
	if (tmpl == NULL)
		return;
	g_free (tmpl->name);
	g_clear_pointer (&tmpl->header_lines, g_array_unref);
	g_clear_pointer (&tmpl->body_lines, g_array_unref);
	g_free (tmpl);
}

const char *
tg_template_get_name (const TgTemplate *tmpl)
{
	g_return_val_if_fail (tmpl != NULL, NULL);
	return tmpl->name;
}

/* Appends @line rendered to @out; returns whether the line is made only
 * of placeholders that all came out empty. */
static gboolean
render_line (const Line *line, GHashTable *values, gboolean one_line,
	     GString *out)
{
	gboolean only_empty = line->pieces->len > 1;

	for (guint i = 0; i < line->pieces->len; i++) {
		const char *piece = line->pieces->pdata[i];
		const char *value;
		gsize start = out->len;

		if (i % 2 == 0) {
			if (*piece != '\0' && strspn (piece, " \t") !=
							 strlen (piece))
				only_empty = FALSE;
			g_string_append (out, piece);
			continue;
		}
		value = values ? g_hash_table_lookup (values, piece) : NULL;
		if (value != NULL && *value != '\0')
			only_empty = FALSE;
		g_string_append (out, value != NULL ? value : "");
		if (one_line)
			for (gsize k = start; k < out->len; k++)
				if (out->str[k] == '\r' || out->str[k] == '\n')
					out->str[k] = ' ';
	}
	return only_empty;
}

static void
render_header (const Line *line, GHashTable *values, TgRendered *r)
{
	g_autoptr (GString) text = g_string_new (NULL);
	const char *colon;

	render_line (line, values, TRUE, text);
	colon = strchr (text->str, ':');
	g_ptr_array_add (r->header_names,
			 g_strndup (text->str, colon - text->str));
	g_ptr_array_add (r->header_values, g_strstrip (g_strdup (colon + 1)));
}

TgRendered *
tg_template_render (const TgTemplate *tmpl, GHashTable *values)
{
	TgRendered *r = NULL;
	GString *body = NULL;
	gboolean last_blank = TRUE; /* no blank lines at the very top */

	g_return_val_if_fail (tmpl != NULL, NULL);
	r = g_new0 (TgRendered, 1);
	body = g_string_new (NULL);
	r->header_names = g_ptr_array_new_with_free_func (g_free);
	r->header_values = g_ptr_array_new_with_free_func (g_free);
	for (guint i = 0; i < tmpl->header_lines->len; i++)
		render_header (&g_array_index (tmpl->header_lines, Line, i),
			       values, r);
	for (guint i = 0; i < tmpl->body_lines->len; i++) {
		const Line *line = &g_array_index (tmpl->body_lines, Line, i);
		gsize start = body->len;
		gboolean blank;

		if (render_line (line, values, FALSE, body)) {
			g_string_truncate (body, start);
			continue;
		}
		blank = body->len == start;
		if (blank && last_blank) {
			continue;
		}
		last_blank = blank;
		g_string_append_c (body, '\n');
	}
	/* one final newline, no trailing blank lines */
	while (body->len >= 2 && body->str[body->len - 1] == '\n' &&
	       body->str[body->len - 2] == '\n')
		g_string_truncate (body, body->len - 1);
	r->body = g_string_free (body, FALSE);
	return r;
}

const char *
tg_rendered_get_header (const TgRendered *r, const char *name)
{
	g_return_val_if_fail (r != NULL && name != NULL, NULL);
	for (guint i = 0; i < r->header_names->len; i++)
		if (g_ascii_strcasecmp (r->header_names->pdata[i], name) == 0)
			return r->header_values->pdata[i];
	return NULL;
}

void
tg_rendered_free (TgRendered *r)
{
	if (r == NULL)
		return;
	g_clear_pointer (&r->header_names, g_ptr_array_unref);
	g_clear_pointer (&r->header_values, g_ptr_array_unref);
	g_free (r->body);
	g_free (r);
}
