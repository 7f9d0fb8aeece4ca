/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * template: parses template files, and the phrases file, into literal
 * text and placeholder pieces once, at load time, checking every
 * placeholder against the names the caller offers; rendering only
 * concatenates. GLib only.
 */
#include "template.h"

#include <stdarg.h>
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

/* (transfer full): the content of @path, or NULL with
 * TG_TEMPLATE_ERROR_UNREADABLE. */
static char *
read_text (const char *path, GError **error)
{
	char *text = NULL;
	g_autoptr (GError) local = NULL;

	if (!g_file_get_contents (path, &text, NULL, &local)) {
		g_set_error (error, TG_TEMPLATE_ERROR,
			     TG_TEMPLATE_ERROR_UNREADABLE, "%s", local->message);
		return NULL;
	}
	return text;
}

TgTemplate *
tg_template_load (const char *path, const char *const *allowed,
		  GError **error)
{
	g_autofree char *text = NULL;

	g_return_val_if_fail (path != NULL, NULL);
	text = read_text (path, error);
	return text ? tg_template_new (path, text, allowed, error) : NULL;
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

/* ---- phrases --------------------------------------------------------- */

typedef struct {
	TgTemplate *text;  /* a text: body lines only */
	GPtrArray *items;  /* a list: char *, as written */
	int lineno;	   /* of its [name] line; 0: not seen */
} Phrase;

struct _TgPhrases {
	char *name;
	const TgPhraseSpec *specs;
	guint n_specs;
	Phrase *phrases; /* n_specs of them */
};

void
tg_phrases_free (TgPhrases *p)
{
	if (p == NULL)
		return;
	for (guint i = 0; i < p->n_specs; i++) {
		g_clear_pointer (&p->phrases[i].text, tg_template_free);
		g_clear_pointer (&p->phrases[i].items, g_ptr_array_unref);
	}
	g_free (p->phrases);
	g_free (p->name);
	g_free (p);
}

/* "[name] comment": the name, or NULL when @line is text. */
static char *
entry_name (const char *line)
{
	const char *end;

	if (line[0] != '[' ||
	    !(g_ascii_islower (line[1]) || g_ascii_isdigit (line[1])))
		return NULL;
	end = line + 1 + strspn (line + 1, "abcdefghijklmnopqrstuvwxyz"
					   "0123456789-");
	return *end == ']' ? g_strndup (line + 1, end - line - 1) : NULL;
}

static gboolean
fail_at (GError **error, const char *name, int lineno, const char *format,
	 ...) G_GNUC_PRINTF (4, 5);

static gboolean
fail_at (GError **error, const char *name, int lineno, const char *format,
	 ...)
{
	g_autofree char *why = NULL;
	va_list ap;

	va_start (ap, format);
	why = g_strdup_vprintf (format, ap);
	va_end (ap);
	g_set_error (error, TG_TEMPLATE_ERROR, TG_TEMPLATE_ERROR_INVALID,
		     "%s:%d: %s", name, lineno, why);
	return FALSE;
}

/* A list: its non-blank lines, stripped, exactly spec->items of them. */
static gboolean
take_items (TgPhrases *p, guint id, char **lines, int first, int end,
	    GError **error)
{
	Phrase *ph = &p->phrases[id];

	ph->items = g_ptr_array_new_with_free_func (g_free);
	for (int i = first; i < end; i++)
		if (*lines[i] != '\0')
			g_ptr_array_add (ph->items,
					 g_strstrip (g_strdup (lines[i])));
	if (ph->items->len != p->specs[id].items)
		return fail_at (error, p->name, ph->lineno,
				"[%s] wants %u lines, one item each, not %u",
				p->specs[id].name, p->specs[id].items,
				ph->items->len);
	return TRUE;
}

/* A text: paragraphs joined into one line each, indented and blank lines
 * kept; each output line parsed at the line it starts on. */
static gboolean
take_text (TgPhrases *p, guint id, char **lines, int first, int end,
	   GError **error)
{
	static const char *const none[] = { NULL };
	const TgPhraseSpec *spec = &p->specs[id];
	const char *const *allowed = spec->placeholders ? spec->placeholders
							: none;
	Phrase *ph = &p->phrases[id];
	TgTemplate *t = g_new0 (TgTemplate, 1);

	t->name = g_strdup (p->name);
	t->header_lines = g_array_new (FALSE, TRUE, sizeof (Line));
	t->body_lines = g_array_new (FALSE, TRUE, sizeof (Line));
	g_array_set_clear_func (t->header_lines, (GDestroyNotify) line_clear);
	g_array_set_clear_func (t->body_lines, (GDestroyNotify) line_clear);
	ph->text = t;
	for (int i = first; i < end;) {
		g_autoptr (GString) text = g_string_new (lines[i]);
		int start = i++;
		Line line = { NULL };

		if (*lines[start] != '\0' && !g_ascii_isspace (*lines[start]))
			while (i < end && *lines[i] != '\0' &&
			       !g_ascii_isspace (*lines[i]))
				g_string_append_printf (text, " %s",
							lines[i++]);
		if (!parse_line (p->name, start + 1, text->str, allowed, &line,
				 error))
			return FALSE;
		g_array_append_val (t->body_lines, line);
	}
	return TRUE;
}

/* Takes lines @first..@end (exclusive) as the text of phrase @id. */
static gboolean
take (TgPhrases *p, guint id, char **lines, int first, int end,
      GError **error)
{
	while (end > first && *lines[end - 1] == '\0')
		end--;
	if (p->specs[id].items > 0)
		return take_items (p, id, lines, first, end, error);
	return take_text (p, id, lines, first, end, error);
}

/* The spec named @name, or -1. */
static int
spec_index (const TgPhrases *p, const char *name)
{
	for (guint i = 0; i < p->n_specs; i++)
		if (strcmp (p->specs[i].name, name) == 0)
			return (int) i;
	return -1;
}

static gboolean
parse_phrases (TgPhrases *p, char **lines, GError **error)
{
	int current = -1;
	int first = 0;
	int i;

	for (i = 0; lines[i] != NULL; i++) {
		g_autofree char *name = NULL;
		int id;

		g_strchomp (lines[i]); /* trailing blanks, a CR from CRLF */
		name = entry_name (lines[i]);
		if (name == NULL)
			continue;
		if (current >= 0 && !take (p, current, lines, first, i, error))
			return FALSE;
		id = spec_index (p, name);
		if (id < 0)
			return fail_at (error, p->name, i + 1,
					"unknown phrase [%s]", name);
		if (p->phrases[id].lineno != 0)
			return fail_at (error, p->name, i + 1,
					"[%s] again (first on line %d)", name,
					p->phrases[id].lineno);
		p->phrases[id].lineno = i + 1;
		current = id;
		first = i + 1;
	}
	return current < 0 || take (p, current, lines, first, i, error);
}

TgPhrases *
tg_phrases_new (const char *name, const char *text, const TgPhraseSpec *specs,
		guint n_specs, GError **error)
{
	g_autoptr (TgPhrases) p = NULL;
	g_auto (GStrv) lines = NULL;

	g_return_val_if_fail (name != NULL && text != NULL, NULL);
	g_return_val_if_fail (specs != NULL || n_specs == 0, NULL);
	if (!g_utf8_validate (text, -1, NULL)) {
		g_set_error (error, TG_TEMPLATE_ERROR, TG_TEMPLATE_ERROR_INVALID,
			     "%s: not UTF-8 text", name);
		return NULL;
	}
	p = g_new0 (TgPhrases, 1);
	p->name = g_strdup (name);
	p->specs = specs;
	p->n_specs = n_specs;
	p->phrases = g_new0 (Phrase, n_specs);
	lines = g_strsplit (text, "\n", -1);
	if (!parse_phrases (p, lines, error))
		return NULL;
	for (guint i = 0; i < n_specs; i++)
		if (p->phrases[i].lineno == 0) {
			g_set_error (error, TG_TEMPLATE_ERROR,
				     TG_TEMPLATE_ERROR_INVALID, "%s: no [%s]",
				     name, specs[i].name);
			return NULL;
		}
	return g_steal_pointer (&p);
}

TgPhrases *
tg_phrases_load (const char *path, const TgPhraseSpec *specs, guint n_specs,
		 GError **error)
{
	g_autofree char *text = NULL;

	g_return_val_if_fail (path != NULL, NULL);
	text = read_text (path, error);
	return text ? tg_phrases_new (path, text, specs, n_specs, error) : NULL;
}

char *
tg_phrases_render (const TgPhrases *p, guint id, GHashTable *values)
{
	g_autoptr (TgRendered) r = NULL;
	gsize len;

	g_return_val_if_fail (p != NULL && id < p->n_specs, NULL);
	g_return_val_if_fail (p->phrases[id].text != NULL, NULL);
	r = tg_template_render (p->phrases[id].text, values);
	len = strlen (r->body);
	if (len > 0 && r->body[len - 1] == '\n')
		r->body[len - 1] = '\0';
	return g_steal_pointer (&r->body);
}

char *
tg_phrases_vformat (const TgPhrases *p, guint id, va_list pairs)
{
	g_autoptr (GHashTable) values =
		g_hash_table_new (g_str_hash, g_str_equal);
	static const char *const none[] = { NULL };
	const char *const *offered;
	const char *key;

	g_return_val_if_fail (p != NULL && id < p->n_specs, NULL);
	offered = p->specs[id].placeholders ? p->specs[id].placeholders : none;
	while ((key = va_arg (pairs, const char *)) != NULL) {
		const char *value = va_arg (pairs, const char *);

		if (!g_strv_contains (offered, key))
			g_critical ("phrase [%s] offers no {{%s}}",
				    p->specs[id].name, key);
		g_hash_table_insert (values, (gpointer) key,
				     (gpointer) (value ? value : ""));
	}
	return tg_phrases_render (p, id, values);
}

char *
tg_phrases_format (const TgPhrases *p, guint id, ...)
{
	va_list ap;
	char *text;

	va_start (ap, id);
	text = tg_phrases_vformat (p, id, ap);
	va_end (ap);
	return text;
}

const char *
tg_phrases_get_item (const TgPhrases *p, guint id, guint n)
{
	g_return_val_if_fail (p != NULL && id < p->n_specs, NULL);
	g_return_val_if_fail (p->phrases[id].items != NULL, NULL);
	g_return_val_if_fail (n < p->phrases[id].items->len, NULL);
	return p->phrases[id].items->pdata[n];
}

const TgTemplate *
tg_phrases_get_template (const TgPhrases *p, guint id)
{
	g_return_val_if_fail (p != NULL && id < p->n_specs, NULL);
	return p->phrases[id].text;
}
