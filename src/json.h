/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * json: a small writer for the --json output of the admin commands.
 * It only writes, always valid JSON: strings are escaped, invalid UTF-8
 * is replaced, and the caller's nesting is checked. GLib only.
 */
#pragma once

#include <glib.h>

typedef struct _TgJson TgJson;

/* tg_json_new: (transfer full): an empty writer; @pretty indents. */
TgJson *tg_json_new (gboolean pretty);

/* tg_json_free: NULL is allowed. */
void tg_json_free (TgJson *json);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TgJson, tg_json_free)

/* Inside an object, every value but the last call's needs a key first. */
void tg_json_begin_object (TgJson *json, const char *key);
void tg_json_end_object (TgJson *json);
void tg_json_begin_array (TgJson *json, const char *key);
void tg_json_end_array (TgJson *json);

/* @key is NULL inside arrays. A NULL string is written as null. */
void tg_json_string (TgJson *json, const char *key, const char *value);
void tg_json_int (TgJson *json, const char *key, gint64 value);
void tg_json_bool (TgJson *json, const char *key, gboolean value);
void tg_json_null (TgJson *json, const char *key);
/* A GDateTime as ISO 8601 with its offset, or null. */
void tg_json_time (TgJson *json, const char *key, GDateTime *value);
/* A NULL-terminated string list as an array. */
void tg_json_strv (TgJson *json, const char *key, const char *const *values);

/* tg_json_finish: (transfer full): the document with a final newline. */
char *tg_json_finish (TgJson *json);
