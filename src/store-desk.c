/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * store-desk: what every mail needs to know about the desk, read from
 * the desk snapshot (design.md, "The desk snapshot") with the sender's
 * identity in one round trip: who wrote and the plan in force, the
 * plans, holidays, scope rules, active staff and signing secrets. Also
 * the snapshot's upkeep and the plans and holidays the admin commands
 * list.
 */
#include "store-private.h"

#include <string.h>

/* ---- the desk snapshot ------------------------------------------------ */

static const char SQL_DESK_IN_STEP[] =
	"SELECT NOT EXISTS ((TABLE desk_snapshot"
	"  EXCEPT ALL SELECT * FROM desk_snapshot_rows ())"
	" UNION ALL (SELECT * FROM desk_snapshot_rows ()"
	"  EXCEPT ALL TABLE desk_snapshot))";
static const char SQL_REFRESH_DESK[] = "SELECT desk_snapshot_refresh ()";
/* A new secret from the server's strong random source (see
 * schema/007-trust.sql), and how many there are now. */
static const char SQL_ROTATE_SECRET[] =
	"WITH k AS (INSERT INTO signing_keys (secret)"
	" SELECT sha256(convert_to(gen_random_uuid()::text"
	"  || gen_random_uuid()::text || gen_random_uuid()::text, 'UTF8'))"
	" RETURNING 1)"
	" SELECT count(*) + (SELECT count(*) FROM k) FROM signing_keys";

gboolean
tg_store_desk_in_step (TgStore *store, gboolean *in_step_out, GError **error)
{
	g_autoptr (PGresult) res = NULL;

	g_return_val_if_fail (store != NULL && in_step_out != NULL, FALSE);
	res = store_run_query (store, SQL_DESK_IN_STEP, NULL, error);
	if (res == NULL)
		return FALSE;
	*in_step_out = store_get_bool (res, 0, 0);
	return TRUE;
}

gboolean
tg_store_rotate_secret (TgStore *store, int *count_out, GError **error)
{
	g_autoptr (PGresult) res = NULL;

	g_return_val_if_fail (store != NULL && count_out != NULL, FALSE);
	res = store_run_query (store, SQL_ROTATE_SECRET, NULL, error);
	if (res == NULL)
		return FALSE;
	*count_out = (int) store_get_int (res, 0, 0);
	return TRUE;
}

static const char SQL_COUNT_SECRETS[] = "SELECT count(*) FROM signing_keys";

gboolean
tg_store_count_secrets (TgStore *store, int *count_out, GError **error)
{
	g_autoptr (PGresult) res = NULL;

	g_return_val_if_fail (store != NULL && count_out != NULL, FALSE);
	res = store_run_query (store, SQL_COUNT_SECRETS, NULL, error);
	if (res == NULL)
		return FALSE;
	*count_out = (int) store_get_int (res, 0, 0);
	return TRUE;
}

gboolean
tg_store_refresh_desk (TgStore *store, GError **error)
{
	g_autoptr (PGresult) res = NULL;

	g_return_val_if_fail (store != NULL, FALSE);
	res = store_run_query (store, SQL_REFRESH_DESK, NULL, error);
	return res != NULL;
}

/* ---- delivering: who wrote, which plan ----------------------------- */

/* Who wrote, in single-table lookups: a fresh backend pays for every
 * relation and operator a statement names while it is analysed and
 * planned, and one statement joining them all costs more to plan than
 * the lookups it is made of. A contact's exact address wins over a
 * domain; among domains, the most specific ($2 lists them from the full
 * domain up). Staff and plans come from the desk snapshot. */
static const char SQL_IDENTIFY[] =
	"SELECT (SELECT customer_id FROM contacts WHERE address = $1),"
	" (SELECT customer_id FROM customer_domains"
	"   WHERE domain = ANY ($2::text[])"
	"   ORDER BY array_position ($2::text[], domain) LIMIT 1),"
	" EXISTS (SELECT 1 FROM messages WHERE dedup_key = $3)";
/* Plans, holidays, scope rules and active staff in one table without
 * indexes that triggers keep in step (schema/005-desk-snapshot.sql). */
static const char SQL_DESK[] =
	"SELECT kind, c1, c2, c3, c4, c5, c6, c7, c8 FROM desk_snapshot"
	" ORDER BY kind, ord";

#define PLAN_COLUMNS                                                     \
	"name, rank, reaction_minutes, email_support, full_service,      \
	 hourly_rate::text, currency, description"

static const char SQL_GET_PLAN[] =
	"SELECT " PLAN_COLUMNS " FROM plans WHERE name = $1";
static const char SQL_LIST_PLANS[] =
	"SELECT " PLAN_COLUMNS " FROM plans ORDER BY rank, name";
/* The customer's name and the plans of its subscriptions in force on
 * $2, without a join, for the reason given at SQL_IDENTIFY. */
static const char SQL_CUSTOMER_NAME[] =
	"SELECT name FROM customers WHERE id = $1";
static const char SQL_SUBSCRIBED_PLANS[] =
	"SELECT plan FROM subscriptions"
	" WHERE customer_id = $1 AND valid_from <= $2::date"
	" AND (valid_until IS NULL OR valid_until >= $2::date)"
	" ORDER BY valid_from DESC, plan";

/* A plan from 8 columns starting at @col. */
static TgPlan *
plan_from_row (const PGresult *res, int row, int col)
{
	TgPlan *plan;

	if (PQgetisnull (res, row, col))
		return NULL;
	plan = g_new0 (TgPlan, 1);
	plan->name = store_get_str (res, row, col);
	plan->rank = (int) store_get_int (res, row, col + 1);
	plan->reaction_minutes = (int) store_get_int (res, row, col + 2);
	plan->email_support = store_get_bool (res, row, col + 3);
	plan->full_service = store_get_bool (res, row, col + 4);
	plan->hourly_rate = store_get_str (res, row, col + 5);
	plan->currency = store_get_str (res, row, col + 6);
	plan->description = store_get_str (res, row, col + 7);
	return plan;
}

static TgPlan *
plan_copy (const TgPlan *plan)
{
	TgPlan *copy = g_new0 (TgPlan, 1);

	*copy = *plan;
	copy->name = g_strdup (plan->name);
	copy->hourly_rate = g_strdup (plan->hourly_rate);
	copy->currency = g_strdup (plan->currency);
	copy->description = g_strdup (plan->description);
	return copy;
}

/* A holiday from 2 columns (day, name) starting at @col. */
static void
holiday_from_row (const PGresult *res, int row, int col, TgHoliday *out)
{
	store_get_date (res, row, col, &out->date);
	out->name = store_get_str (res, row, col + 1);
}

/* A scope rule from 5 columns starting at @col: topic, pattern, plans
 * joined, whether plans is NULL, rule. */
static TgScopeRuleRow *
rule_from_row (const PGresult *res, int row, int col)
{
	TgScopeRuleRow *rule = g_new0 (TgScopeRuleRow, 1);

	rule->topic = store_get_str (res, row, col);
	rule->pattern = store_get_str (res, row, col + 1);
	rule->plans = store_get_bool (res, row, col + 3) ? NULL
						    : store_get_list (res, row, col + 2);
	rule->rule = store_get_str (res, row, col + 4);
	return rule;
}

static void
signing_key_free (TgSigningKey *key)
{
	if (key == NULL)
		return;
	g_bytes_unref (key->secret);
	g_free (key);
}

static TgDesk *
desk_new (void)
{
	TgDesk *desk = g_new0 (TgDesk, 1);

	desk->plans = g_ptr_array_new_with_free_func (
		(GDestroyNotify) tg_plan_free);
	desk->holidays = g_array_new (FALSE, TRUE, sizeof (TgHoliday));
	g_array_set_clear_func (desk->holidays,
				(GDestroyNotify) tg_holiday_clear);
	desk->rules = g_ptr_array_new_with_free_func (
		(GDestroyNotify) tg_scope_rule_row_free);
	desk->staff = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
					     g_free);
	desk->keys = g_ptr_array_new_with_free_func (
		(GDestroyNotify) signing_key_free);
	return desk;
}

/* A signing key from 2 columns (the secret in hex, when it was replaced)
 * starting at @col; NULL when the hex is damaged. */
static TgSigningKey *
key_from_row (const PGresult *res, int row, int col)
{
	const char *hex = PQgetvalue (res, row, col);
	gsize n = strlen (hex) / 2;
	g_autofree guint8 *bytes = g_malloc (n + 1);
	TgSigningKey *key;

	for (gsize i = 0; i < n; i++) {
		int hi = g_ascii_xdigit_value (hex[2 * i]);
		int lo = g_ascii_xdigit_value (hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return NULL;
		bytes[i] = (guint8) (hi << 4 | lo);
	}
	key = g_new0 (TgSigningKey, 1);
	key->secret = g_bytes_new_take (g_steal_pointer (&bytes), n);
	key->replaced_at = store_get_int (res, row, col + 1);
	return key;
}

/* The desk from the rows of SQL_DESK; a kind it does not know is left
 * out, so that a later schema may add one. */
static TgDesk *
desk_from (const PGresult *res)
{
	TgDesk *desk = desk_new ();

	for (int i = 0; i < PQntuples (res); i++) {
		const char *kind = PQgetvalue (res, i, 0);
		TgHoliday h = { 0 };

		if (strcmp (kind, "plan") == 0) {
			g_ptr_array_add (desk->plans, plan_from_row (res, i, 1));
		} else if (strcmp (kind, "holiday") == 0) {
			holiday_from_row (res, i, 1, &h);
			g_array_append_val (desk->holidays, h);
		} else if (strcmp (kind, "scope") == 0) {
			g_ptr_array_add (desk->rules, rule_from_row (res, i, 1));
		} else if (strcmp (kind, "staff") == 0) {
			g_hash_table_insert (desk->staff,
					     store_get_str (res, i, 1),
					     store_get_str (res, i, 2));
		} else if (strcmp (kind, "key") == 0) {
			TgSigningKey *key = key_from_row (res, i, 1);

			if (key != NULL)
				g_ptr_array_add (desk->keys, key);
		}
	}
	return desk;
}

static const TgPlan *
find_plan (const TgDesk *desk, const char *name)
{
	for (guint i = 0; i < desk->plans->len; i++) {
		const TgPlan *plan = desk->plans->pdata[i];

		if (strcmp (plan->name, name) == 0)
			return plan;
	}
	return NULL;
}

TgPlan *
tg_desk_find_plan (const TgDesk *desk, const char *name)
{
	const TgPlan *plan;

	g_return_val_if_fail (desk != NULL && name != NULL, NULL);
	plan = find_plan (desk, name);
	return plan != NULL ? plan_copy (plan) : NULL;
}

/* "a.b.example.com" -> a.b.example.com, b.example.com, example.com:
 * a customer's domain covers its subdomains; bare top-level domains never
 * match. */
static char **
candidate_domains (const char *address)
{
	const char *at = strrchr (address, '@');
	const char *d = at != NULL ? at + 1 : "";
	GPtrArray *list = g_ptr_array_new ();

	while (strchr (d, '.') != NULL) {
		g_ptr_array_add (list, g_strdup (d));
		d = strchr (d, '.') + 1;
	}
	g_ptr_array_add (list, NULL);
	return (char **) g_ptr_array_free (list, FALSE);
}

/* Of the subscriptions in force (latest first), the best-ranked plan;
 * of equal ranks, the latest subscription. NULL when none. */
static TgPlan *
choose_plan (const PGresult *subscribed, const TgDesk *desk)
{
	const TgPlan *best = NULL;

	for (int i = 0; i < PQntuples (subscribed); i++) {
		const TgPlan *plan =
			find_plan (desk, PQgetvalue (subscribed, i, 0));

		if (plan != NULL && (best == NULL || plan->rank < best->rank))
			best = plan;
	}
	return best != NULL ? plan_copy (best) : NULL;
}

/* Completes @identity with the customer's name and plan on @day. A
 * customer deleted since the lookup leaves the sender unknown. */
static gboolean
customer_plan (TgStore *store, const GDate *day, const TgDesk *desk,
	       TgIdentity *identity, GError **error)
{
	g_auto (Params) id = { 0 };
	g_auto (Params) p = { 0 };
	g_autoptr (PGresult) name = NULL;
	g_autoptr (PGresult) subscribed = NULL;
	Step steps[] = {
		{ SQL_CUSTOMER_NAME, &id, PGRES_TUPLES_OK, &name },
		{ SQL_SUBSCRIBED_PLANS, &p, PGRES_TUPLES_OK, &subscribed },
	};

	store_params_init (&id);
	store_params_add_id (&id, identity->customer_id);
	store_params_init (&p);
	store_params_add_id (&p, identity->customer_id);
	store_params_add_date (&p, day);
	if (!store_run_pipeline (store, steps, G_N_ELEMENTS (steps), error))
		return FALSE;
	if (PQntuples (name) == 0) {
		identity->customer_id = 0;
		identity->matched_by = TG_MATCH_NONE;
		return TRUE;
	}
	identity->customer_name = store_get_str (name, 0, 0);
	identity->plan = choose_plan (subscribed, desk);
	return TRUE;
}

/* Fills @identity from the row of SQL_IDENTIFY and the desk's staff. */
static void
identity_from (const PGresult *res, const TgDesk *desk, const char *address,
	       TgIdentity *identity)
{
	gpointer name = NULL;

	memset (identity, 0, sizeof *identity);
	identity->is_staff = g_hash_table_lookup_extended (
		desk->staff, address, NULL, &name);
	identity->staff_name = g_strdup (name);
	identity->is_duplicate = store_get_bool (res, 0, 2);
	if (!PQgetisnull (res, 0, 0)) {
		identity->customer_id = store_get_int (res, 0, 0);
		identity->matched_by = TG_MATCH_ADDRESS;
	} else if (!PQgetisnull (res, 0, 1)) {
		identity->customer_id = store_get_int (res, 0, 1);
		identity->matched_by = TG_MATCH_DOMAIN;
	}
}

gboolean
tg_store_identify (TgStore *store,
		   const char *address,
		   const GDate *day,
		   const char *dedup_key,
		   TgIdentity *identity_out,
		   TgDesk **desk_out,
		   GError **error)
{
	g_auto (GStrv) domains = NULL;
	g_auto (Params) p = { 0 };
	g_autoptr (PGresult) who = NULL;
	g_autoptr (PGresult) rows = NULL;
	g_autoptr (TgDesk) desk = NULL;
	Step steps[] = {
		{ SQL_IDENTIFY, &p, PGRES_TUPLES_OK, &who },
		{ SQL_DESK, NULL, PGRES_TUPLES_OK, &rows },
	};

	g_return_val_if_fail (store != NULL && address != NULL, FALSE);
	g_return_val_if_fail (day != NULL && identity_out != NULL, FALSE);
	domains = candidate_domains (address);
	store_params_init (&p);
	store_params_add (&p, address);
	store_params_add_array (&p, (const char *const *) domains, -1);
	store_params_add (&p, dedup_key);
	if (!store_run_pipeline (store, steps, G_N_ELEMENTS (steps), error))
		return FALSE;
	desk = desk_from (rows);
	identity_from (who, desk, address, identity_out);
	if (identity_out->customer_id != 0 &&
	    !customer_plan (store, day, desk, identity_out, error)) {
		tg_identity_clear (identity_out);
		return FALSE;
	}
	if (desk_out != NULL)
		*desk_out = g_steal_pointer (&desk);
	return TRUE;
}

void
tg_identity_clear (TgIdentity *identity)
{
	if (identity == NULL)
		return;
	g_free (identity->staff_name);
	g_free (identity->customer_name);
	tg_plan_free (identity->plan);
	memset (identity, 0, sizeof *identity);
}

TgPlan *
tg_store_get_plan (TgStore *store, const char *name, GError **error)
{
	g_auto (Params) p = { 0 };
	g_autoptr (PGresult) res = NULL;

	g_return_val_if_fail (store != NULL && name != NULL, NULL);
	store_params_init (&p);
	store_params_add (&p, name);
	res = store_run_query (store, SQL_GET_PLAN, &p, error);
	if (res == NULL)
		return NULL;
	if (PQntuples (res) == 0) {
		g_set_error (error, TG_STORE_ERROR, TG_STORE_ERROR_NOT_FOUND,
			     "no plan called %s", name);
		return NULL;
	}
	return plan_from_row (res, 0, 0);
}

static gpointer
plan_row (const PGresult *res, int row)
{
	return plan_from_row (res, row, 0);
}

GPtrArray *
tg_store_list_plans (TgStore *store, GError **error)
{
	g_return_val_if_fail (store != NULL, NULL);
	return store_query_list (store, SQL_LIST_PLANS, NULL, plan_row,
				 (GDestroyNotify) tg_plan_free, error);
}

static const char SQL_LIST_HOLIDAYS[] =
	"SELECT to_char(day, 'YYYY-MM-DD'), name FROM holidays"
	" WHERE $1::date IS NULL OR day >= $1::date ORDER BY day";

static GArray *
holidays_from (const PGresult *res)
{
	GArray *days = g_array_sized_new (FALSE, TRUE, sizeof (TgHoliday),
					  PQntuples (res));

	g_array_set_clear_func (days, (GDestroyNotify) tg_holiday_clear);
	for (int i = 0; i < PQntuples (res); i++) {
		TgHoliday h = { 0 };

		holiday_from_row (res, i, 0, &h);
		g_array_append_val (days, h);
	}
	return days;
}

GArray *
tg_store_list_holidays (TgStore *store, const GDate *from, GError **error)
{
	g_auto (Params) p = { 0 };
	g_autoptr (PGresult) res = NULL;

	g_return_val_if_fail (store != NULL, NULL);
	store_params_init (&p);
	store_params_add_date (&p, from);
	res = store_run_query (store, SQL_LIST_HOLIDAYS, &p, error);
	return res != NULL ? holidays_from (res) : NULL;
}

TgDesk *
tg_store_read_desk (TgStore *store, GError **error)
{
	g_autoptr (PGresult) res = NULL;

	g_return_val_if_fail (store != NULL, NULL);
	res = store_run_query (store, SQL_DESK, NULL, error);
	return res != NULL ? desk_from (res) : NULL;
}

/* ---- releasing results --------------------------------------------- */


void
tg_desk_free (TgDesk *desk)
{
	if (desk == NULL)
		return;
	g_ptr_array_unref (desk->plans);
	g_array_unref (desk->holidays);
	g_ptr_array_unref (desk->rules);
	g_hash_table_unref (desk->staff);
	g_ptr_array_unref (desk->keys);
	g_free (desk);
}

void
tg_scope_rule_row_free (TgScopeRuleRow *row)
{
	if (row == NULL)
		return;
	g_free (row->topic);
	g_free (row->pattern);
	g_strfreev (row->plans);
	g_free (row->rule);
	g_free (row);
}

void
tg_holiday_clear (TgHoliday *h)
{
	if (h != NULL)
		g_clear_pointer (&h->name, g_free);
}
