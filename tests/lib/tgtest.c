/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tgtest: helpers shared by the unit tests. Test code only.
 */
#include "tgtest.h"

#include <string.h>

GBytes *
tg_test_read_fixture (const char *area, const char *name)
{
	g_autofree char *path =
		g_test_build_filename (G_TEST_DIST, "data", area, name, NULL);
	g_autoptr (GError) error = NULL;
	char *data = NULL;
	gsize len = 0;

	if (!g_file_get_contents (path, &data, &len, &error))
		g_error ("fixture %s: %s", path, error->message);
	return g_bytes_new_take (data, len);
}

static int
compare_names (gconstpointer a, gconstpointer b)
{
	return strcmp (*(const char *const *) a, *(const char *const *) b);
}

GPtrArray *
tg_test_list_fixtures (const char *area, const char *suffix)
{
	g_autofree char *path =
		g_test_build_filename (G_TEST_DIST, "data", area, NULL);
	g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
	GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
	const char *name;

	if (dir == NULL)
		return names;
	while ((name = g_dir_read_name (dir)) != NULL)
		if (g_str_has_suffix (name, suffix))
			g_ptr_array_add (names, g_strdup (name));
	g_ptr_array_sort (names, compare_names);
	return names;
}

char *
tg_test_corpus_dir (void)
{
	const char *env = g_getenv ("TG_CORPUS_DIR");
	g_autofree char *guess = NULL;

	if (env != NULL && *env != '\0')
		return g_file_test (env, G_FILE_TEST_IS_DIR) ? g_strdup (env)
							     : NULL;
	guess = g_build_filename (g_getenv ("TG_TOP_SRCDIR") ?: ".", "..",
				  "shared", "corpus", NULL);
	if (g_file_test (guess, G_FILE_TEST_IS_DIR))
		return g_steal_pointer (&guess);
	return NULL;
}
