/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test-libmount-static: what src/libmount-static.c promises to a static
 * GIO. Built only with --enable-static-deps. GIO's
 * unix-mount functions, the only users of libmount, answer "no mounts"
 * instead of failing, and the message parser, which is why GIO is
 * linked at all, is untouched (every other test shows that).
 */
#include <glib.h>
#include <gio/gio.h>

/* From <gio/gunixmounts.h> (gio-unix-2.0), declared here so that the
 * test needs no more include paths than the program. */
typedef struct _GUnixMountEntry GUnixMountEntry;
GList *g_unix_mounts_get (guint64 *time_read);
GList *g_unix_mount_points_get (guint64 *time_read);
GUnixMountEntry *g_unix_mount_at (const char *mount_path,
				  guint64 *time_read);

/* A real libmount would list at least the root file system. */
static void
test_no_mounts (void)
{
	g_assert_null (g_unix_mounts_get (NULL));
	g_assert_null (g_unix_mount_points_get (NULL));
	g_assert_null (g_unix_mount_at ("/", NULL));
}

/* What a GFile asks of the mount table: an error, not a crash. */
static void
test_file_without_mounts (void)
{
	g_autoptr (GFile) root = g_file_new_for_path ("/");
	g_autoptr (GError) error = NULL;
	g_autoptr (GMount) mount = g_file_find_enclosing_mount (root, NULL,
							       &error);

	g_assert_null (mount);
	g_assert_nonnull (error);
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);
	g_test_add_func ("/libmount-static/no-mounts", test_no_mounts);
	g_test_add_func ("/libmount-static/file", test_file_without_mounts);
	return g_test_run ();
}
