/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * store-admin: what the admin commands change and list and deliver
 * never touches: customers with their contacts, domains and
 * subscriptions, staff, holidays, and a ticket's messages as "ticket
 * show" prints them.
 */
#include "store-private.h"

static const char SQL_ADD_CUSTOMER[] =
	"INSERT INTO customers (name) VALUES ($1) RETURNING id";
static const char SQL_FIND_CUSTOMER[] =
	"SELECT id FROM customers WHERE name = $1";
static const char SQL_ADD_CONTACT[] =
	"INSERT INTO contacts (address, customer_id, name)"
	" VALUES (lower($1), $2, $3)";
static const char SQL_ADD_DOMAIN[] =
	"INSERT INTO customer_domains (domain, customer_id)"
	" VALUES (lower($1), $2)";
static const char SQL_ADD_SUBSCRIPTION[] =
	"INSERT INTO subscriptions (customer_id, plan, valid_from, valid_until)"
	" VALUES ($1, $2, $3, $4)";
static const char SQL_LIST_CUSTOMERS[] =
	"SELECT c.id, c.name,"
	" " JOINED ("(SELECT array_agg(address ORDER BY address) FROM contacts"
		    " WHERE customer_id = c.id)") ","
	" " JOINED ("(SELECT array_agg(domain ORDER BY domain)"
		    " FROM customer_domains WHERE customer_id = c.id)") ","
	" (SELECT s.plan FROM subscriptions s JOIN plans p ON p.name = s.plan"
	"  WHERE s.customer_id = c.id AND s.valid_from <= $1::date"
	"  AND (s.valid_until IS NULL OR s.valid_until >= $1::date)"
	"  ORDER BY p.rank, s.valid_from DESC, s.plan LIMIT 1),"
	" " JOINED ("(SELECT array_agg(plan || ' ' || valid_from || '..'"
		    " || coalesce(valid_until::text, '') ORDER BY valid_from)"
		    " FROM subscriptions WHERE customer_id = c.id)")
	" FROM customers c ORDER BY c.name";
static const char SQL_ADD_STAFF[] =
	"INSERT INTO staff (address, name) VALUES (lower($1), $2)"
	" ON CONFLICT (address) DO UPDATE"
	" SET name = coalesce(EXCLUDED.name, staff.name), active = true";
static const char SQL_SET_STAFF_ACTIVE[] =
	"UPDATE staff SET active = $2 WHERE address = lower($1)";
static const char SQL_LIST_STAFF[] =
	"SELECT address, name, active FROM staff ORDER BY address";
static const char SQL_ADD_HOLIDAY[] =
	"INSERT INTO holidays (day, name) VALUES ($1, coalesce($2, ''))";
static const char SQL_REMOVE_HOLIDAY[] = "DELETE FROM holidays WHERE day = $1";
/* Attachments come back as one string: fields split by \x1e, rows by
 * \x1f; neither can occur in a part number, a name or a type we store. */
static const char SQL_LIST_MESSAGES[] =
	"SELECT m.id, m.direction, m.kind, m.message_id, m.sender,"
	" " JOINED ("m.recipients") ", m.subject, m.body_text, m.size,"
	" " US ("m.received_at") ","
	" (SELECT string_agg(part_path || E'\\x1e' || coalesce(filename, '')"
	"  || E'\\x1e' || content_type || E'\\x1e' || size, E'\\x1f'"
	"  ORDER BY part_path) FROM attachments WHERE message_id = m.id),"
	" CASE WHEN o.id IS NULL THEN NULL"
	"  WHEN o.sent_at IS NOT NULL THEN 'sent'"
	"  WHEN o.gave_up_at IS NOT NULL THEN 'gave up: ' || coalesce(o.last_error, '')"
	"  WHEN o.last_error IS NOT NULL THEN 'retrying: ' || o.last_error"
	"  ELSE 'queued' END, m.note"
	" FROM messages m LEFT JOIN outbox o ON o.message_id = m.id"
	" WHERE m.ticket_id = $1 ORDER BY m.id";

gboolean
tg_store_add_customer (TgStore *store, const char *name, gint64 *id_out,
		       GError **error)
{
	g_auto (Params) p = { 0 };
	g_autoptr (PGresult) res = NULL;

	g_return_val_if_fail (store != NULL && name != NULL, FALSE);
	store_params_init (&p);
	store_params_add (&p, name);
	res = store_run_query (store, SQL_ADD_CUSTOMER, &p, error);
	if (res == NULL) {
		g_prefix_error (error, "customer %s: ", name);
		return FALSE;
	}
	*id_out = store_get_int (res, 0, 0);
	return TRUE;
}

gboolean
tg_store_find_customer (TgStore *store, const char *name, gint64 *id_out,
			GError **error)
{
	g_auto (Params) p = { 0 };
	g_autoptr (PGresult) res = NULL;

	g_return_val_if_fail (store != NULL && name != NULL, FALSE);
	store_params_init (&p);
	store_params_add (&p, name);
	res = store_run_query (store, SQL_FIND_CUSTOMER, &p, error);
	if (res == NULL)
		return FALSE;
	if (PQntuples (res) == 0) {
		g_set_error (error, TG_STORE_ERROR, TG_STORE_ERROR_NOT_FOUND,
			     "no customer called \"%s\"", name);
		return FALSE;
	}
	*id_out = store_get_int (res, 0, 0);
	return TRUE;
}

gboolean
tg_store_add_contact (TgStore *store, gint64 customer_id, const char *address,
		      const char *name, GError **error)
{
	g_auto (Params) p = { 0 };

	g_return_val_if_fail (store != NULL && address != NULL, FALSE);
	store_params_init (&p);
	store_params_add (&p, address);
	store_params_add_int (&p, customer_id);
	store_params_add (&p, name);
	if (!store_run_command (store, SQL_ADD_CONTACT, &p, error)) {
		g_prefix_error (error, "contact %s: ", address);
		return FALSE;
	}
	return TRUE;
}

gboolean
tg_store_add_domain (TgStore *store, gint64 customer_id, const char *domain,
		     GError **error)
{
	g_auto (Params) p = { 0 };

	g_return_val_if_fail (store != NULL && domain != NULL, FALSE);
	store_params_init (&p);
	store_params_add (&p, domain);
	store_params_add_int (&p, customer_id);
	if (!store_run_command (store, SQL_ADD_DOMAIN, &p, error)) {
		g_prefix_error (error, "domain %s: ", domain);
		return FALSE;
	}
	return TRUE;
}

gboolean
tg_store_add_subscription (TgStore *store, gint64 customer_id,
			   const char *plan, const GDate *from,
			   const GDate *until, GError **error)
{
	g_auto (Params) p = { 0 };

	g_return_val_if_fail (store != NULL && plan != NULL, FALSE);
	store_params_init (&p);
	store_params_add_int (&p, customer_id);
	store_params_add (&p, plan);
	store_params_add_date (&p, from);
	store_params_add_date (&p, until);
	if (!store_run_command (store, SQL_ADD_SUBSCRIPTION, &p, error)) {
		g_prefix_error (error, "subscription %s: ", plan);
		return FALSE;
	}
	return TRUE;
}

static gpointer
customer_row (const PGresult *res, int i)
{
	TgCustomer *c = g_new0 (TgCustomer, 1);
	g_auto (GStrv) subs = store_get_list (res, i, 5);

	c->id = store_get_int (res, i, 0);
	c->name = store_get_str (res, i, 1);
	c->contacts = store_get_list (res, i, 2);
	c->domains = store_get_list (res, i, 3);
	c->plan_today = store_get_str (res, i, 4);
	c->subscriptions = g_ptr_array_new_with_free_func (g_free);
	for (char **sub = subs; *sub != NULL; sub++)
		g_ptr_array_add (c->subscriptions, g_strdup (*sub));
	return c;
}

GPtrArray *
tg_store_list_customers (TgStore *store, const GDate *today, GError **error)
{
	g_auto (Params) p = { 0 };

	g_return_val_if_fail (store != NULL && today != NULL, NULL);
	store_params_init (&p);
	store_params_add_date (&p, today);
	return store_query_list (store, SQL_LIST_CUSTOMERS, &p, customer_row,
				 (GDestroyNotify) tg_customer_free, error);
}

gboolean
tg_store_add_staff (TgStore *store, const char *address, const char *name,
		    GError **error)
{
	g_auto (Params) p = { 0 };

	g_return_val_if_fail (store != NULL && address != NULL, FALSE);
	store_params_init (&p);
	store_params_add (&p, address);
	store_params_add (&p, name);
	if (!store_run_command (store, SQL_ADD_STAFF, &p, error)) {
		g_prefix_error (error, "staff %s: ", address);
		return FALSE;
	}
	return TRUE;
}

gboolean
tg_store_set_staff_active (TgStore *store, const char *address,
			   gboolean active, GError **error)
{
	g_auto (Params) p = { 0 };
	g_autofree char *what = g_strdup_printf ("staff member %s", address);

	g_return_val_if_fail (store != NULL && address != NULL, FALSE);
	store_params_init (&p);
	store_params_add (&p, address);
	store_params_add_bool (&p, active);
	return store_run_change (store, SQL_SET_STAFF_ACTIVE, &p, what, error);
}

static gpointer
staff_row (const PGresult *res, int i)
{
	TgStaff *s = g_new0 (TgStaff, 1);

	s->address = store_get_str (res, i, 0);
	s->name = store_get_str (res, i, 1);
	s->active = store_get_bool (res, i, 2);
	return s;
}

GPtrArray *
tg_store_list_staff (TgStore *store, GError **error)
{
	g_return_val_if_fail (store != NULL, NULL);
	return store_query_list (store, SQL_LIST_STAFF, NULL, staff_row,
				 (GDestroyNotify) tg_staff_free, error);
}

gboolean
tg_store_add_holiday (TgStore *store, const GDate *day, const char *name,
		      GError **error)
{
	g_auto (Params) p = { 0 };

	g_return_val_if_fail (store != NULL && day != NULL, FALSE);
	store_params_init (&p);
	store_params_add_date (&p, day);
	store_params_add (&p, name);
	if (!store_run_command (store, SQL_ADD_HOLIDAY, &p, error)) {
		g_prefix_error (error, "holiday: ");
		return FALSE;
	}
	return TRUE;
}

gboolean
tg_store_remove_holiday (TgStore *store, const GDate *day, GError **error)
{
	g_auto (Params) p = { 0 };

	g_return_val_if_fail (store != NULL && day != NULL, FALSE);
	store_params_init (&p);
	store_params_add_date (&p, day);
	return store_run_change (store, SQL_REMOVE_HOLIDAY, &p,
				 "holiday on that day", error);
}

static void
attachment_free (TgAttachment *a)
{
	g_free (a->filename);
	g_free (a->content_type);
	g_free (a->part_path);
	g_free (a);
}

static GPtrArray *
get_attachments (const PGresult *res, int row, int col)
{
	g_auto (GStrv) rows = store_get_list (res, row, col);
	GPtrArray *list = g_ptr_array_new_with_free_func (
		(GDestroyNotify) attachment_free);

	for (char **r = rows; *r != NULL; r++) {
		g_auto (GStrv) f = g_strsplit (*r, "\x1e", 4);
		TgAttachment *a;

		if (g_strv_length (f) != 4)
			continue;
		a = g_new0 (TgAttachment, 1);
		a->part_path = g_strdup (f[0]);
		a->filename = *f[1] != '\0' ? g_strdup (f[1]) : NULL;
		a->content_type = g_strdup (f[2]);
		a->size = g_ascii_strtoull (f[3], NULL, 10);
		g_ptr_array_add (list, a);
	}
	return list;
}

static gpointer
message_row (const PGresult *res, int i)
{
	TgStoredMessage *m = g_new0 (TgStoredMessage, 1);

	m->id = store_get_int (res, i, 0);
	m->direction = store_get_str (res, i, 1);
	m->kind = store_get_str (res, i, 2);
	m->message_id = store_get_str (res, i, 3);
	m->sender = store_get_str (res, i, 4);
	m->recipients = store_get_list (res, i, 5);
	m->subject = store_get_str (res, i, 6);
	m->body_text = store_get_str (res, i, 7);
	m->size = store_get_int (res, i, 8);
	m->received_at = store_get_time (res, i, 9);
	m->attachments = get_attachments (res, i, 10);
	m->delivery = store_get_str (res, i, 11);
	m->note = store_get_str (res, i, 12);
	return m;
}

GPtrArray *
tg_store_list_messages (TgStore *store, gint64 ticket_id, GError **error)
{
	g_auto (Params) p = { 0 };

	g_return_val_if_fail (store != NULL, NULL);
	store_params_init (&p);
	store_params_add_int (&p, ticket_id);
	return store_query_list (store, SQL_LIST_MESSAGES, &p, message_row,
				 (GDestroyNotify) tg_stored_message_free,
				 error);
}

/* ---- releasing results --------------------------------------------- */

void
tg_stored_message_free (TgStoredMessage *m)
{
	if (m == NULL)
		return;
	g_free (m->direction);
	g_free (m->kind);
	g_free (m->message_id);
	g_free (m->sender);
	g_strfreev (m->recipients);
	g_free (m->subject);
	g_free (m->body_text);
	g_clear_pointer (&m->received_at, g_date_time_unref);
	g_clear_pointer (&m->attachments, g_ptr_array_unref);
	g_free (m->delivery);
	g_free (m->note);
	g_free (m);
}

void
tg_customer_free (TgCustomer *c)
{
	if (c == NULL)
		return;
	g_free (c->name);
	g_strfreev (c->contacts);
	g_strfreev (c->domains);
	g_free (c->plan_today);
	g_clear_pointer (&c->subscriptions, g_ptr_array_unref);
	g_free (c);
}

void
tg_staff_free (TgStaff *s)
{
	if (s == NULL)
		return;
	g_free (s->address);
	g_free (s->name);
	g_free (s);
}
