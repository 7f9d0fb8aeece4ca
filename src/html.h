/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * html: readable plain text from an HTML-only mail body.
 * Pure GLib. Not a browser: it keeps the words and the paragraph
 * structure, drops markup, scripts and styles, and never fails.
 */
#pragma once

#include <glib.h>

/*
 * tg_html_to_text: (transfer full): converts UTF-8 @html (@len bytes, or -1
 * for NUL-terminated) to UTF-8 text. Block elements (p, div, br, li, tr,
 * h1-h6, blockquote) become line breaks, list items get "- ", links keep
 * their text and show the target in angle brackets when it differs,
 * character references are decoded, runs of blank space collapse, and the
 * content of head, script and style is dropped. Invalid UTF-8 is replaced.
 */
char *tg_html_to_text (const char *html, gssize len);
