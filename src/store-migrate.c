/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * store-migrate: the numbered files of the schema folder, applied in
 * order ("db migrate"), each in its own transaction under one
 * transaction-level lock and recorded in schema_migrations, or listed
 * when not applied yet (check-config). The one user of PQexec: a schema
 * file is a script of many statements, which the extended protocol
 * cannot run.
 */
#include "store-private.h"

#include <string.h>

static const char SQL_MIGRATIONS_TABLE[] =
	"CREATE TABLE IF NOT EXISTS schema_migrations ("
	" name text PRIMARY KEY,"
	" applied_at timestamptz NOT NULL DEFAULT now())";
/* One key for every ticketgate migration: concurrent runs take turns. */
static const char SQL_MIGRATION_LOCK[] =
	"SELECT pg_advisory_xact_lock(7413250862011)";
static const char SQL_MIGRATION_APPLIED[] =
	"SELECT name FROM schema_migrations ORDER BY name";
static const char SQL_MIGRATION_RECORD[] =
	"INSERT INTO schema_migrations (name) VALUES ($1)";
static const char SQL_MIGRATIONS_EXIST[] =
	"SELECT to_regclass('schema_migrations') IS NOT NULL";

static int
compare_names (gconstpointer a, gconstpointer b)
{
	return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* The NNN-name.sql files of @dir, sorted. */
static GPtrArray *
list_schema_files (const char *dir, GError **error)
{
	g_autoptr (GDir) d = g_dir_open (dir, 0, error);
	GPtrArray *files;
	const char *name;

	if (d == NULL) {
		g_prefix_error (error, "schema: ");
		return NULL;
	}
	files = g_ptr_array_new_with_free_func (g_free);
	while ((name = g_dir_read_name (d)) != NULL)
		if (g_ascii_isdigit (name[0]) && g_str_has_suffix (name, ".sql"))
			g_ptr_array_add (files, g_strdup (name));
	g_ptr_array_sort (files, compare_names);
	return files;
}

static GHashTable *
applied_migrations (TgStore *store, GError **error)
{
	g_autoptr (PGresult) exists = NULL;
	g_autoptr (PGresult) res = NULL;
	GHashTable *set = g_hash_table_new_full (g_str_hash, g_str_equal,
						 g_free, NULL);

	exists = store_run_query (store, SQL_MIGRATIONS_EXIST, NULL, error);
	if (exists == NULL) {
		g_hash_table_unref (set);
		return NULL;
	}
	if (!store_get_bool (exists, 0, 0))
		return set;
	res = store_run_query (store, SQL_MIGRATION_APPLIED, NULL, error);
	if (res == NULL) {
		g_hash_table_unref (set);
		return NULL;
	}
	for (int i = 0; i < PQntuples (res); i++)
		g_hash_table_add (set, store_get_str (res, i, 0));
	return set;
}

/*
 * A schema file is a script of many statements, which the extended
 * protocol cannot run: this is the one place that uses PQexec. The text
 * comes from our own schema folder, never from input.
 */
static gboolean
run_script (TgStore *store, const char *path, GError **error)
{
	g_autofree char *sql = NULL;
	g_autoptr (PGresult) res = NULL;

	if (!g_file_get_contents (path, &sql, NULL, error))
		return FALSE;
	res = PQexec (store->conn, sql);
	if (PQresultStatus (res) != PGRES_COMMAND_OK &&
	    PQresultStatus (res) != PGRES_TUPLES_OK) {
		store_set_result_error (store, res, error);
		return FALSE;
	}
	return TRUE;
}

static gboolean
apply_one (TgStore *store, const char *dir, const char *name,
	   gboolean *applied_out, GError **error)
{
	g_autoptr (GHashTable) done = NULL;
	g_autofree char *path = g_build_filename (dir, name, NULL);
	g_auto (Params) p = { 0 };

	*applied_out = FALSE;
	if (!store_run_command (store, SQL_BEGIN, NULL, error))
		return FALSE;
	/* The lock first: two CREATE TABLE IF NOT EXISTS at once collide. */
	{
		g_autoptr (PGresult) lock = store_run_query (
			store, SQL_MIGRATION_LOCK, NULL, error);
		if (lock == NULL)
			goto fail;
	}
	if (!store_run_command (store, SQL_MIGRATIONS_TABLE, NULL, error))
		goto fail;
	done = applied_migrations (store, error);
	if (done == NULL)
		goto fail;
	if (g_hash_table_contains (done, name))
		return store_run_command (store, SQL_COMMIT, NULL, error);
	store_params_init (&p);
	store_params_add (&p, name);
	if (!run_script (store, path, error) ||
	    !store_run_command (store, SQL_MIGRATION_RECORD, &p, error) ||
	    !store_run_command (store, SQL_COMMIT, NULL, error)) {
		g_prefix_error (error, "%s: ", name);
		goto fail;
	}
	*applied_out = TRUE;
	return TRUE;
fail:
	tg_store_rollback (store);
	return FALSE;
}

gboolean
tg_store_migrate (TgStore *store,
		  const char *schema_dir,
		  GPtrArray **applied_out,
		  GError **error)
{
	g_autoptr (GPtrArray) files = NULL;
	g_autoptr (GPtrArray) applied =
		g_ptr_array_new_with_free_func (g_free);

	g_return_val_if_fail (store != NULL && schema_dir != NULL, FALSE);
	files = list_schema_files (schema_dir, error);
	if (files == NULL)
		return FALSE;
	for (guint i = 0; i < files->len; i++) {
		gboolean now = FALSE;

		if (!apply_one (store, schema_dir, files->pdata[i], &now,
				error))
			return FALSE;
		if (now)
			g_ptr_array_add (applied, g_strdup (files->pdata[i]));
	}
	if (applied_out != NULL)
		*applied_out = g_steal_pointer (&applied);
	return TRUE;
}

GPtrArray *
tg_store_pending_migrations (TgStore *store,
			     const char *schema_dir,
			     GError **error)
{
	g_autoptr (GPtrArray) files = NULL;
	g_autoptr (GHashTable) done = NULL;
	GPtrArray *pending;

	g_return_val_if_fail (store != NULL && schema_dir != NULL, NULL);
	files = list_schema_files (schema_dir, error);
	if (files == NULL)
		return NULL;
	done = applied_migrations (store, error);
	if (done == NULL)
		return NULL;
	pending = g_ptr_array_new_with_free_func (g_free);
	for (guint i = 0; i < files->len; i++)
		if (!g_hash_table_contains (done, files->pdata[i]))
			g_ptr_array_add (pending, g_strdup (files->pdata[i]));
	return pending;
}
