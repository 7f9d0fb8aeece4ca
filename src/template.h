/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * template: the files that outgoing mail is written from: header lines,
 * a blank line, then the body, with {{placeholders}}; and the phrases
 * file, the named sentences code fills in. A placeholder the caller does
 * not offer is an error when the file is loaded, never a blank in a
 * customer's mail. GLib only: rendering yields text, not MIME.
 */
#pragma once

#include <stdarg.h>

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

/*
 * Phrases: the sentences and words that code puts into outgoing mail and
 * documents (a reason, a date, a notice to staff), kept in one file
 * beside the templates so that a desk can translate them. The file:
 *
 *   Lines before the first entry are a comment.
 *   [name] anything after the bracket is a comment
 *   the text, with {{placeholders}}, up to the next [name] line
 *
 * Trailing blank lines of a text are dropped. The lines of a paragraph
 * are joined with single blanks (wrap them as you like); a line that
 * starts with a blank is kept as it is, and blank lines separate
 * paragraphs. A list (a spec with @items) is that many lines, one item
 * each, taken as written.
 */
typedef struct _TgPhrases TgPhrases;

/* What the code expects of one phrase. */
typedef struct {
	const char *name;		 /* as written in brackets */
	const char *const *placeholders; /* NULL-terminated; NULL: none */
	guint items;			 /* 0: a text; N: a list of N */
} TgPhraseSpec;

/*
 * tg_phrases_new: parses @text against @specs (@n_specs of them, borrowed
 * for the life of the result; a phrase's id is its index there). Every
 * spec must have its entry, once; an entry no spec names, a placeholder
 * its spec does not offer, or a list of the wrong length is an error,
 * TG_TEMPLATE_ERROR_INVALID, reading "NAME:LINE: ..." (or "NAME: no
 * [entry]").
 * Returns: (transfer full): the phrases, or NULL.
 */
TgPhrases *tg_phrases_new (const char *name,
			   const char *text,
			   const TgPhraseSpec *specs,
			   guint n_specs,
			   GError **error) G_GNUC_WARN_UNUSED_RESULT;

/* tg_phrases_load: reads the file @path, as tg_phrases_new(); a missing or
 * unreadable file is TG_TEMPLATE_ERROR_UNREADABLE. */
TgPhrases *tg_phrases_load (const char *path,
			    const TgPhraseSpec *specs,
			    guint n_specs,
			    GError **error) G_GNUC_WARN_UNUSED_RESULT;

/* tg_phrases_free: NULL is allowed. */
void tg_phrases_free (TgPhrases *phrases);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TgPhrases, tg_phrases_free)

/*
 * tg_phrases_render: (transfer full): text @id with its placeholders
 * filled from @values (nullable), as tg_template_render() fills a body,
 * without a final line break.
 */
char *tg_phrases_render (const TgPhrases *phrases,
			 guint id,
			 GHashTable *values);

/*
 * tg_phrases_format: (transfer full): text @id filled from the
 * placeholder name, value pairs that follow (NULL-terminated). A name the
 * phrase's spec does not offer is a programming error (critical).
 */
char *tg_phrases_format (const TgPhrases *phrases,
			 guint id,
			 ...) G_GNUC_NULL_TERMINATED;

/* tg_phrases_vformat: tg_phrases_format() with the pairs in @pairs. */
char *tg_phrases_vformat (const TgPhrases *phrases, guint id, va_list pairs);

/* tg_phrases_get_item: (transfer none): item @n (from 0) of list @id. */
const char *tg_phrases_get_item (const TgPhrases *phrases, guint id, guint n);

/* tg_phrases_get_template: (transfer none): text @id as a template whose
 * body is the text (no headers), for a caller that renders it itself. */
const TgTemplate *tg_phrases_get_template (const TgPhrases *phrases,
					   guint id);
