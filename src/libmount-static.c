/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The libmount entry points that a static GIO names, for a ticketgate
 * linked with GMime, GLib and GIO statically (configure
 * --enable-static-deps; never in the default, shared build).
 *
 * GIO reads the mount table through libmount for its unix-mount
 * functions (g_unix_mounts_get, mount monitors, the file system of a
 * GFile). ticketgate never calls them, but GMime needs GIO, and Debian
 * ships no libmount.a: linked dynamically, libmount and the libblkid it
 * loads cost about a third of a millisecond at every start, and every
 * delivery starts a process. So these functions stand in for it and
 * behave as libmount does when the mount table cannot be read: a table
 * is made, parsing it fails, it lists nothing. GIO then reports no
 * mounts; nothing else changes. The prototypes are libmount's own
 * (libmount-dev, which GLib's headers need anyway).
 */

#include <errno.h>
#include <stddef.h>

#include <libmount.h>

/* Tables and iterators are opaque to GIO: one object serves for all. */
static char the_table, the_iter;

struct libmnt_table *
mnt_new_table (void)
{
	return (struct libmnt_table *) &the_table;
}

void
mnt_free_table (struct libmnt_table *table)
{
}

struct libmnt_iter *
mnt_new_iter (int direction)
{
	return (struct libmnt_iter *) &the_iter;
}

void
mnt_free_iter (struct libmnt_iter *iter)
{
}

int
mnt_table_parse_mtab (struct libmnt_table *table, const char *filename)
{
	return -ENOENT;
}

int
mnt_table_parse_fstab (struct libmnt_table *table, const char *filename)
{
	return -ENOENT;
}

/* 1: the end of the table. */
int
mnt_table_next_fs (struct libmnt_table *table, struct libmnt_iter *iter,
		   struct libmnt_fs **fs)
{
	if (fs != NULL)
		*fs = NULL;
	return 1;
}

const char *
mnt_fs_get_fstype (struct libmnt_fs *fs)
{
	return NULL;
}

const char *
mnt_fs_get_options (struct libmnt_fs *fs)
{
	return NULL;
}

const char *
mnt_fs_get_root (struct libmnt_fs *fs)
{
	return NULL;
}

const char *
mnt_fs_get_source (struct libmnt_fs *fs)
{
	return NULL;
}

const char *
mnt_fs_get_target (struct libmnt_fs *fs)
{
	return NULL;
}

char *
mnt_fs_strdup_options (struct libmnt_fs *fs)
{
	return NULL;
}

const struct libmnt_optmap *
mnt_get_builtin_optmap (int id)
{
	return NULL;
}

const char *
mnt_get_fstab_path (void)
{
	return "/etc/fstab";
}

/* The kernel's table, never a regular /etc/mtab. */
int
mnt_has_regular_mtab (const char **mtab, int *writable)
{
	if (mtab != NULL)
		*mtab = "/proc/self/mounts";
	if (writable != NULL)
		*writable = 0;
	return 0;
}

int
mnt_optstr_get_flags (const char *optstr, unsigned long *flags,
		      const struct libmnt_optmap *map)
{
	return -EINVAL;
}
