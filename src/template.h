/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * template: the files that outgoing mail is written from: header lines,
 * a blank line, then the body, with {{placeholders}}. A placeholder the
 * caller does not offer is an error when the file is loaded, never a blank
 * in a customer's mail. GLib only: rendering yields text, not MIME.
 */
#pragma once

#include <glib.h>

#define TG_TEMPLATE_ERROR (tg_template_error_quark ())
GQuark tg_template_error_quark (void);

typedef enum {
	TG_TEMPLATE_ERROR_UNREADABLE, /* missing or unreadable file */
	TG_TEMPLATE_ERROR_INVALID,    /* syntax or unknown placeholder */
} TgTemplateError;

typedef struct _TgTemplate TgTemplate;

/* A rendered template: header fields and the body, all UTF-8. */
typedef struct {
	GPtrArray *header_names;  /* char *, as written in the template */
	GPtrArray *header_values; /* char *, one line each */
	char *body;
} TgRendered;

/*
 * tg_template_new: parses @text.
 * @name: (transfer none): shown in errors, usually the file's path
 * @allowed: (array zero-terminated=1): the placeholder names offered
 * Errors read "NAME:LINE: ..." and are TG_TEMPLATE_ERROR_INVALID.
 * Returns: (transfer full): the template, or NULL.
 */
TgTemplate *tg_template_new (const char *name,
			     const char *text,
			     const char *const *allowed,
			     GError **error) G_GNUC_WARN_UNUSED_RESULT;

/*
 * tg_template_load: reads and parses the file @path, as tg_template_new.
 * A missing or unreadable file is TG_TEMPLATE_ERROR_UNREADABLE.
 */
TgTemplate *tg_template_load (const char *path,
			      const char *const *allowed,
			      GError **error) G_GNUC_WARN_UNUSED_RESULT;

/* tg_template_free: NULL is allowed. */
void tg_template_free (TgTemplate *tmpl);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TgTemplate, tg_template_free)

/* tg_template_get_name: (transfer none): the name it was loaded under. */
const char *tg_template_get_name (const TgTemplate *tmpl);

/*
 * tg_template_render: fills the placeholders from @values (name -> UTF-8
 * text). Values put into header lines have their line breaks replaced by
 * spaces. A body line that holds nothing but placeholders that are all
 * empty is left out, and so are blank lines that would double up because
 * of it, so that optional paragraphs vanish cleanly. A placeholder missing
 * from @values renders empty.
 * Returns: (transfer full): the rendered text; free with
 * tg_rendered_free().
 */
TgRendered *tg_template_render (const TgTemplate *tmpl, GHashTable *values);

/* tg_rendered_get_header: (transfer none) (nullable): first header @name
 * (case-insensitive). */
const char *tg_rendered_get_header (const TgRendered *r, const char *name);

/* tg_rendered_free: NULL is allowed. */
void tg_rendered_free (TgRendered *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TgRendered, tg_rendered_free)
