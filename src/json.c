/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * json: writes JSON text for the admin commands' --json output. There is
 * no JSON library in our stack and only writing is needed; RFC 8259
 * escaping is the whole of it. GLib only.
 */
#include "json.h"

struct _TgJson {
	GString *out;
	gboolean pretty;
	GArray *first; /* gboolean per open container: no value yet */
};

TgJson *
tg_json_new (gboolean pretty)
{
	TgJson *json = g_new0 (TgJson, 1);
	gboolean top = TRUE;

	json->out = g_string_new (NULL);
	json->pretty = pretty;
	json->first = g_array_new (FALSE, FALSE, sizeof (gboolean));
	g_array_append_val (json->first, top);
	return json;
}

void
tg_json_free (TgJson *json)
{
	if (json == NULL)
		return;
	g_string_free (json->out, TRUE);
	g_array_unref (json->first);
	g_free (json);
}

static void
newline (TgJson *json)
{
	if (!json->pretty)
		return;
	g_string_append_c (json->out, '\n');
	for (guint i = 1; i < json->first->len; i++)
		g_string_append (json->out, "  ");
}

static void
escape (GString *out, const char *s)
{
	g_autofree char *valid = g_utf8_make_valid (s, -1);

	g_string_append_c (out, '"');
	for (const char *p = valid; *p != '\0'; p++) {
		guchar c = (guchar) *p;

		if (c == '"' || c == '\\')
			g_string_append_printf (out, "\\%c", c);
		else if (c == '\n')
			g_string_append (out, "\\n");
		else if (c == '\t')
			g_string_append (out, "\\t");
		else if (c == '\r')
			g_string_append (out, "\\r");
		else if (c < 0x20 || c == 0x7f)
			g_string_append_printf (out, "\\u%04x", c);
		else
			g_string_append_c (out, (char) c);
	}
	g_string_append_c (out, '"');
}

/* Separator, indentation and key before a value. */
static void
value_start (TgJson *json, const char *key)
{
	gboolean *first = &g_array_index (json->first, gboolean,
					  json->first->len - 1);

	if (!*first)
		g_string_append_c (json->out, ',');
	if (json->first->len > 1)
		newline (json);
	*first = FALSE;
	if (key != NULL) {
		escape (json->out, key);
		g_string_append (json->out, json->pretty ? ": " : ":");
	}
}

static void
open_container (TgJson *json, const char *key, char c)
{
	gboolean first = TRUE;

	value_start (json, key);
	g_string_append_c (json->out, c);
	g_array_append_val (json->first, first);
}

static void
close_container (TgJson *json, char c)
{
	gboolean empty;

	g_return_if_fail (json->first->len > 1);
	empty = g_array_index (json->first, gboolean, json->first->len - 1);
	g_array_set_size (json->first, json->first->len - 1);
	if (!empty)
		newline (json);
	g_string_append_c (json->out, c);
}

void
tg_json_begin_object (TgJson *json, const char *key)
{
	open_container (json, key, '{');
}

void
tg_json_end_object (TgJson *json)
{
	close_container (json, '}');
}

void
tg_json_begin_array (TgJson *json, const char *key)
{
	open_container (json, key, '[');
}

void
tg_json_end_array (TgJson *json)
{
	close_container (json, ']');
}

void
tg_json_string (TgJson *json, const char *key, const char *value)
{
	value_start (json, key);
	if (value == NULL)
		g_string_append (json->out, "null");
	else
		escape (json->out, value);
}

void
tg_json_int (TgJson *json, const char *key, gint64 value)
{
	value_start (json, key);
	g_string_append_printf (json->out, "%" G_GINT64_FORMAT, value);
}

void
tg_json_bool (TgJson *json, const char *key, gboolean value)
{
	value_start (json, key);
	g_string_append (json->out, value ? "true" : "false");
}

void
tg_json_null (TgJson *json, const char *key)
{
	value_start (json, key);
	g_string_append (json->out, "null");
}

/* RFC 3339, the ISO 8601 profile JSON readers expect: the offset always
 * with its minutes ("+02:00"; g_date_time_format_iso8601() writes "+02",
 * which JavaScript's Date and many parsers refuse), "Z" for UTC. */
static char *
format_rfc3339 (GDateTime *t)
{
	g_autofree char *base = g_date_time_format (t, "%Y-%m-%dT%H:%M:%S");
	g_autofree char *zone = g_date_time_get_utc_offset (t) == 0
		? g_strdup ("Z")
		: g_date_time_format (t, "%:z");
	int usec = g_date_time_get_microsecond (t);

	if (usec != 0)
		return g_strdup_printf ("%s.%06d%s", base, usec, zone);
	return g_strconcat (base, zone, NULL);
}

void
tg_json_time (TgJson *json, const char *key, GDateTime *value)
{
	g_autofree char *text = value != NULL ? format_rfc3339 (value) : NULL;

	tg_json_string (json, key, text);
}

void
tg_json_strv (TgJson *json, const char *key, const char *const *values)
{
	tg_json_begin_array (json, key);
	for (int i = 0; values != NULL && values[i] != NULL; i++)
		tg_json_string (json, NULL, values[i]);
	tg_json_end_array (json);
}

char *
tg_json_finish (TgJson *json)
{
	g_return_val_if_fail (json->first->len == 1, g_strdup (""));
	return g_strdup_printf ("%s\n", json->out->str);
}
