/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test-json: the --json writer. Rows compare whole documents exactly,
 * compact and pretty; a few documents are also fed to Python's json
 * module (an independent parser) to prove they are valid JSON and carry
 * the strings we put in.
 */
#include "json.h"

#include <stdarg.h>
#include <string.h>

#include <glib.h>

#include "tgtest.h"

/* Reports a failed row and goes on with the next one: every failure is
 * logged, not only the last (g_test_fail_printf() keeps one message). */

/* ---------------------------------------------------------------------- */
/* Documents                                                               */

typedef void (*BuildFunc) (TgJson *json);

static void
build_empty_object (TgJson *json)
{
	tg_json_begin_object (json, NULL);
	tg_json_end_object (json);
}

static void
build_empty_array (TgJson *json)
{
	tg_json_begin_array (json, NULL);
	tg_json_end_array (json);
}

static void
build_scalars (TgJson *json)
{
	tg_json_begin_object (json, NULL);
	tg_json_string (json, "s", "text");
	tg_json_int (json, "i", -42);
	tg_json_int (json, "big", G_MAXINT64);
	tg_json_int (json, "small", G_MININT64);
	tg_json_bool (json, "t", TRUE);
	tg_json_bool (json, "f", FALSE);
	tg_json_null (json, "n");
	tg_json_string (json, "ns", NULL);
	tg_json_end_object (json);
}

static void
build_nested (TgJson *json)
{
	tg_json_begin_object (json, NULL);
	tg_json_int (json, "a", 1);
	tg_json_begin_array (json, "list");
	tg_json_int (json, NULL, 1);
	tg_json_begin_object (json, NULL);
	tg_json_begin_array (json, "empty");
	tg_json_end_array (json);
	tg_json_begin_object (json, "none");
	tg_json_end_object (json);
	tg_json_end_object (json);
	tg_json_begin_array (json, NULL);
	tg_json_end_array (json);
	tg_json_end_array (json);
	tg_json_string (json, "z", "last");
	tg_json_end_object (json);
}

static void
build_strv (TgJson *json)
{
	static const char *const values[] = {"a", "b\"", NULL};

	tg_json_begin_object (json, NULL);
	tg_json_strv (json, "v", values);
	tg_json_strv (json, "empty", NULL);
	tg_json_end_object (json);
}

static void
build_time (TgJson *json)
{
	g_autoptr (GDateTime) t = g_date_time_new_from_iso8601 (
		"2024-03-08T17:30:00+02:00", NULL);
	g_autoptr (GDateTime) utc =
		g_date_time_new_from_iso8601 ("2024-03-08T15:30:00Z", NULL);
	g_autoptr (GDateTime) usec = g_date_time_new_from_iso8601 (
		"2024-03-08T15:30:00.25-05:00", NULL);

	tg_json_begin_array (json, NULL);
	tg_json_time (json, NULL, t);
	tg_json_time (json, NULL, utc);
	tg_json_time (json, NULL, usec);
	tg_json_time (json, NULL, NULL);
	tg_json_end_array (json);
}

static void
build_escapes (TgJson *json)
{
	tg_json_begin_object (json, NULL);
	tg_json_string (json, "quote", "say \"hi\"");
	tg_json_string (json, "backslash", "C:\\dir\\");
	tg_json_string (json, "slash", "a/b");
	tg_json_string (json, "newline", "a\nb");
	tg_json_string (json, "cr-tab", "a\r\tb");
	tg_json_string (json, "controls", "\x01\x08\x0c\x1f\x7f");
	tg_json_string (json, "utf8", "Žydrūnas €");
	tg_json_string (json, "line-separator",
			"a\xe2\x80\xa8"
			"b");
	tg_json_string (json, "invalid",
			"a\xff"
			"b\xc5");
	tg_json_string (json, "key \"q\"\n", "v");
	tg_json_string (json, "", "");
	tg_json_end_object (json);
}

typedef struct {
	const char *label;
	BuildFunc build;
	const char *want_compact;
	const char *want_pretty;
} DocRow;

static const DocRow doc_rows[] = {
	{"empty-object", build_empty_object, "{}\n", "{}\n"},
	{"empty-array", build_empty_array, "[]\n", "[]\n"},
	{"scalars", build_scalars,
	 "{\"s\":\"text\",\"i\":-42,\"big\":9223372036854775807,"
	 "\"small\":-9223372036854775808,\"t\":true,\"f\":false,\"n\":null,"
	 "\"ns\":null}\n",
	 "{\n"
	 "  \"s\": \"text\",\n"
	 "  \"i\": -42,\n"
	 "  \"big\": 9223372036854775807,\n"
	 "  \"small\": -9223372036854775808,\n"
	 "  \"t\": true,\n"
	 "  \"f\": false,\n"
	 "  \"n\": null,\n"
	 "  \"ns\": null\n"
	 "}\n"},
	{"nested", build_nested,
	 "{\"a\":1,\"list\":[1,{\"empty\":[],\"none\":{}},[]],\"z\":\"last\"}"
	 "\n",
	 "{\n"
	 "  \"a\": 1,\n"
	 "  \"list\": [\n"
	 "    1,\n"
	 "    {\n"
	 "      \"empty\": [],\n"
	 "      \"none\": {}\n"
	 "    },\n"
	 "    []\n"
	 "  ],\n"
	 "  \"z\": \"last\"\n"
	 "}\n"},
	{"strv", build_strv, "{\"v\":[\"a\",\"b\\\"\"],\"empty\":[]}\n",
	 "{\n"
	 "  \"v\": [\n"
	 "    \"a\",\n"
	 "    \"b\\\"\"\n"
	 "  ],\n"
	 "  \"empty\": []\n"
	 "}\n"},
	{"time", build_time,
	 "[\"2024-03-08T17:30:00+02:00\",\"2024-03-08T15:30:00Z\","
	 "\"2024-03-08T15:30:00.250000-05:00\",null]\n",
	 "[\n"
	 "  \"2024-03-08T17:30:00+02:00\",\n"
	 "  \"2024-03-08T15:30:00Z\",\n"
	 "  \"2024-03-08T15:30:00.250000-05:00\",\n"
	 "  null\n"
	 "]\n"},
	{"escapes", build_escapes,
	 "{\"quote\":\"say \\\"hi\\\"\",\"backslash\":\"C:\\\\dir\\\\\","
	 "\"slash\":\"a/b\",\"newline\":\"a\\nb\",\"cr-tab\":\"a\\r\\tb\","
	 "\"controls\":\"\\u0001\\u0008\\u000c\\u001f\\u007f\","
	 "\"utf8\":\"Žydrūnas €\",\"line-separator\":\"a\xe2\x80\xa8"
	 "b\","
	 "\"invalid\":\"a\xef\xbf\xbd"
	 "b\xef\xbf\xbd\","
	 "\"key \\\"q\\\"\\n\":\"v\",\"\":\"\"}\n",
	 NULL},
};

/* (transfer full): the document @build writes. */
static char *
write_doc (BuildFunc build, gboolean pretty)
{
	g_autoptr (TgJson) json = tg_json_new (pretty);

	build (json);
	return tg_json_finish (json);
}

static void
test_doc_row (gconstpointer data)
{
	const DocRow *row = data;
	g_autofree char *compact = write_doc (row->build, FALSE);
	g_autofree char *pretty = write_doc (row->build, TRUE);

	if (strcmp (compact, row->want_compact) != 0)
		tg_test_fail_row ("%s: compact: got %s, want %s", row->label, compact,
			  row->want_compact);
	if (row->want_pretty != NULL && strcmp (pretty, row->want_pretty) != 0)
		tg_test_fail_row ("%s: pretty: got %s, want %s", row->label, pretty,
			  row->want_pretty);
	if (!g_utf8_validate (compact, -1, NULL))
		tg_test_fail_row ("%s: got invalid UTF-8", row->label);
}

/* Finishing twice gives the same text: finish does not consume. */
static void
test_finish_twice (void)
{
	g_autoptr (TgJson) json = tg_json_new (FALSE);
	g_autofree char *a = NULL;
	g_autofree char *b = NULL;

	build_nested (json);
	a = tg_json_finish (json);
	b = tg_json_finish (json);
	g_assert_cmpstr (a, ==, b);
}

/* ---------------------------------------------------------------------- */
/* An independent parser                                                   */

/* Python reads each document and prints it back on one line in a
 * canonical form (ensure_ascii: every non-ASCII character as \uXXXX), or
 * "REJECTED" and why. One run for many documents: Python starts slowly. */
static const char python_program[] =
	"import json, sys\n"
	"for path in sys.argv[1:]:\n"
	"    try:\n"
	"        with open(path, encoding='utf-8') as f:\n"
	"            doc = json.load(f)\n"
	"        print(json.dumps(doc, sort_keys=True, ensure_ascii=True))\n"
	"    except ValueError as e:\n"
	"        print('REJECTED ' + str(e).replace('\\n', ' '))\n";

/* (transfer full): what Python makes of each of @docs, in order. */
static GPtrArray *
python_reads (const GPtrArray *docs)
{
	g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
	g_autofree char *out = NULL;
	g_autofree char *err = NULL;
	g_autoptr (GError) error = NULL;
	g_auto (GStrv) lines = NULL;
	GPtrArray *results = g_ptr_array_new_with_free_func (g_free);
	int status = 0;

	g_assert_cmpint (g_mkdir_with_parents (g_get_user_cache_dir (), 0700),
			 ==, 0);
	g_ptr_array_add (argv, g_strdup ("python3"));
	g_ptr_array_add (argv, g_strdup ("-c"));
	g_ptr_array_add (argv, g_strdup (python_program));
	for (guint i = 0; i < docs->len; i++) {
		g_autofree char *name = g_strdup_printf ("doc%u.json", i);
		char *path =
			g_build_filename (g_get_user_cache_dir (), name, NULL);

		g_assert_true (
			g_file_set_contents (path, docs->pdata[i], -1, NULL));
		g_ptr_array_add (argv, path);
	}
	g_ptr_array_add (argv, NULL);
	if (!g_spawn_sync (NULL, (char **)argv->pdata, NULL,
			   G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err, &status,
			   &error))
		g_error ("running python3: %s", error->message);
	if (!g_spawn_check_wait_status (status, &error))
		g_error ("python3 failed: %s", err);
	lines = g_strsplit (out, "\n", -1);
	for (guint i = 0; i < docs->len; i++)
		g_ptr_array_add (results, g_strdup (lines[i] ? lines[i] : ""));
	return results;
}

typedef struct {
	const char *label;
	BuildFunc build;
	const char *want; /* Python's canonical form */
} PythonRow;

static const PythonRow python_rows[] = {
	{"empty-object", build_empty_object, "{}"},
	{"scalars", build_scalars,
	 "{\"big\": 9223372036854775807, \"f\": false, \"i\": -42, \"n\": "
	 "null, \"ns\": null, \"s\": \"text\", \"small\": "
	 "-9223372036854775808, \"t\": true}"},
	{"nested", build_nested,
	 "{\"a\": 1, \"list\": [1, {\"empty\": [], \"none\": {}}, []], \"z\": "
	 "\"last\"}"},
	{"escapes", build_escapes,
	 "{\"\": \"\", \"backslash\": \"C:\\\\dir\\\\\", \"controls\": "
	 "\"\\u0001\\b\\f\\u001f\\u007f\", \"cr-tab\": \"a\\r\\tb\", "
	 "\"invalid\": \"a\\ufffdb\\ufffd\", \"key \\\"q\\\"\\n\": \"v\", "
	 "\"line-separator\": \"a\\u2028b\", \"newline\": \"a\\nb\", "
	 "\"quote\": \"say \\\"hi\\\"\", \"slash\": \"a/b\", \"utf8\": "
	 "\"\\u017dydr\\u016bnas \\u20ac\"}"},
	{"time", build_time,
	 "[\"2024-03-08T17:30:00+02:00\", \"2024-03-08T15:30:00Z\", "
	 "\"2024-03-08T15:30:00.250000-05:00\", null]"},
};

static void
test_python (void)
{
	g_autofree char *python = g_find_program_in_path ("python3");
	g_autoptr (GPtrArray) docs = g_ptr_array_new_with_free_func (g_free);
	g_autoptr (GPtrArray) got = NULL;
	g_autoptr (TgJson) json = tg_json_new (FALSE);
	char bytes[256];

	if (python == NULL) {
		/* The desk's machines have it; a build box without it must
		 * not pass silently either. */
		g_test_fail_printf ("python3 is not installed");
		return;
	}
	for (gsize i = 0; i < G_N_ELEMENTS (python_rows); i++) {
		g_ptr_array_add (docs, write_doc (python_rows[i].build, FALSE));
		g_ptr_array_add (docs, write_doc (python_rows[i].build, TRUE));
	}
	/* Every byte value inside a string. */
	for (int i = 1; i < 256; i++)
		bytes[i - 1] = (char)i;
	bytes[255] = '\0';
	tg_json_begin_array (json, NULL);
	tg_json_string (json, NULL, bytes);
	tg_json_end_array (json);
	g_ptr_array_add (docs, tg_json_finish (json));
	/* And the check itself can fail. */
	g_ptr_array_add (docs, g_strdup ("{\"a\":1,}\n"));

	got = python_reads (docs);
	for (gsize i = 0; i < G_N_ELEMENTS (python_rows); i++) {
		const PythonRow *row = &python_rows[i];

		for (int pretty = 0; pretty <= 1; pretty++) {
			const char *text = got->pdata[2 * i + pretty];

			if (strcmp (text, row->want) != 0)
				tg_test_fail_row ("%s (%s): got %s, want %s",
					  row->label,
					  pretty ? "pretty" : "compact", text,
					  row->want);
		}
	}
	g_assert_true (g_str_has_prefix (got->pdata[got->len - 2],
					 "[\"\\u0001\\u0002\\u0003"));
	g_assert_nonnull (strstr (got->pdata[got->len - 2], "\\u007f\\ufffd"));
	g_assert_true (
		g_str_has_suffix (got->pdata[got->len - 2], "\\ufffd\"]"));
	g_assert_true (g_str_has_prefix (got->pdata[got->len - 1], "REJECTED"));
}

/* Every byte value inside a string: valid UTF-8, no raw control. */
static void
test_all_bytes (void)
{
	g_autoptr (TgJson) json = tg_json_new (FALSE);
	g_autofree char *doc = NULL;
	char text[256];

	for (int i = 1; i < 256; i++)
		text[i - 1] = (char)i;
	text[255] = '\0';
	tg_json_begin_array (json, NULL);
	tg_json_string (json, NULL, text);
	tg_json_end_array (json);
	doc = tg_json_finish (json);
	g_assert_true (g_utf8_validate (doc, -1, NULL));
	for (const char *p = doc; *p != '\0'; p++)
		if ((guchar)*p < 0x20 && *p != '\n')
			tg_test_fail_row ("raw control 0x%02x in the document", *p);
	g_assert_nonnull (strstr (doc, "\\u007f\xef\xbf\xbd"));
	g_assert_true (g_str_has_suffix (doc, "\xef\xbf\xbd\"]\n"));
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

	for (gsize i = 0; i < G_N_ELEMENTS (doc_rows); i++) {
		g_autofree char *path = g_strdup_printf ("/json/document/%s",
							 doc_rows[i].label);

		g_test_add_data_func (path, &doc_rows[i], test_doc_row);
	}
	g_test_add_func ("/json/document/finish-twice", test_finish_twice);
	g_test_add_func ("/json/python/rows", test_python);
	g_test_add_func ("/json/escape/all-bytes", test_all_bytes);
	return g_test_run ();
}
