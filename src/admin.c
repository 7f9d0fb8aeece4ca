/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * admin: the administration and staff command line. Each command parses
 * its arguments with GOptionContext, calls the store and prints; none of
 * them holds any SQL. Exit codes follow sysexits.h (doc/exit-codes.md).
 */
#include "admin.h"

#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "address.h"
#include "calendar.h"
#include "exitcode.h"
#include "settings.h"
#include "json.h"
#include "priority.h"
#include "reply.h"
#include "report.h"
#include "store.h"
#include "watch.h"

typedef struct {
	TgSettings *config;
	TgStore *store;
	gboolean json;
} Admin;

typedef int (*CommandFunc) (Admin *admin, int argc, char **argv);

typedef struct {
	const char *group;  /* "customer" */
	const char *name;   /* "add", or NULL for a one-word command */
	const char *args;   /* usage after the name */
	const char *summary;
	CommandFunc func;
	gboolean needs_db;
} Command;

static void
admin_clear (Admin *a)
{
	g_clear_pointer (&a->store, tg_store_free);
	g_clear_pointer (&a->config, tg_settings_free);
}

/* The command being run ("customer add"), for every line it prints on
 * stderr; NULL before one is chosen. */
static const char *command_words;

/* A parse_args() result: --help was asked for and printed; exit 0. */
#define HELP_SHOWN (-1)

/* The one line a mistake gets: "ticketgate customer add: ...". */
static int G_GNUC_PRINTF (2, 3)
complain (int code, const char *format, ...)
{
	g_autofree char *text = NULL;
	va_list ap;

	va_start (ap, format);
	text = g_strdup_vprintf (format, ap);
	va_end (ap);
	if (command_words != NULL)
		g_printerr ("ticketgate %s: %s\n", command_words, text);
	else
		g_printerr ("ticketgate: %s\n", text);
	return code;
}

/*
 * A store error as one line for a person. The store names the object
 * first ("customer Globex: ..."); what follows may be the server's own
 * words, with constraint names and a SQLSTATE, which are for the log
 * (-v), not for the person who typed the command.
 */
static int
store_failure (const GError *error)
{
	g_autofree char *object = NULL;
	const char *colon = strstr (error->message, ": ");
	int code = tg_exit_for_error (error, TG_CALLER_ADMIN);

	if (strstr (error->message, "SQLSTATE") == NULL)
		return complain (code, "%s", error->message);
	g_debug ("%s", error->message);
	object = colon != NULL ? g_strndup (error->message,
					    colon - error->message)
			       : g_strdup ("the change");
	if (g_error_matches (error, TG_STORE_ERROR, TG_STORE_ERROR_DUPLICATE))
		return complain (code, "%s: exists already", object);
	if (code == EX_DATAERR)
		return complain (code, "%s: refused by the database "
				 "(-v says why)", object);
	return complain (code, "%s: database error (-v says which)", object);
}

/* Any error as one line, with its code from the table in exitcode.c. */
static int
failure (const GError *error)
{
	if (error->domain == TG_STORE_ERROR)
		return store_failure (error);
	return complain (tg_exit_for_error (error, TG_CALLER_ADMIN),
			 "%s", error->message);
}

static gboolean
parse_date (const char *text, GDate *out)
{
	int y = 0, m = 0, d = 0;
	char end = 0;

	g_date_clear (out, 1);
	if (text == NULL ||
	    sscanf (text, "%4d-%2d-%2d%c", &y, &m, &d, &end) != 3 ||
	    strlen (text) != 10 || !g_date_valid_dmy (d, m, y))
		return FALSE;
	g_date_set_dmy (out, d, m, y);
	return TRUE;
}

/*
 * Checks of what a person types. Each answers a mistake with one line
 * that names the argument and the form it wants: 64 (EX_USAGE) for the
 * command line's own forms (dates, numbers), 65 (EX_DATAERR) for values
 * the desk would store (names, addresses, domains).
 */

/* The longest name of a customer, staff member or holiday. */
#define NAME_MAX_CHARS 200

static int
check_date (const char *what, const char *value, GDate *out)
{
	g_autofree char *shown = g_strescape (value, NULL);

	if (parse_date (value, out))
		return EX_OK;
	return complain (EX_USAGE, "%s \"%s\": want a date, YYYY-MM-DD",
			 what, shown);
}

static int
check_name (const char *what, const char *value)
{
	g_autofree char *shown = g_strescape (value, NULL);
	g_autofree char *stripped = g_strstrip (g_strdup (value));
	gboolean ok = g_utf8_validate (value, -1, NULL) && *stripped != '\0' &&
		      g_utf8_strlen (value, -1) <= NAME_MAX_CHARS;

	for (const char *p = value; ok && *p != '\0'; p++)
		ok = (guchar) *p >= 0x20 && *p != 0x7f;
	if (ok)
		return EX_OK;
	return complain (EX_DATAERR, "%s \"%s\": want a name of 1 to %d "
			 "characters, not blank, without control characters",
			 what, shown, NAME_MAX_CHARS);
}

static int
check_address (const char *what, const char *value)
{
	g_autofree char *shown = g_strescape (value, NULL);

	if (tg_address_is_deliverable (value))
		return EX_OK;
	return complain (EX_DATAERR, "%s \"%s\": want a mail address, like "
			 "jane@example.com", what, shown);
}

static int
check_domain (const char *what, const char *value)
{
	g_autofree char *shown = g_strescape (value, NULL);
	g_autofree char *as_address = g_strconcat ("postmaster@", value, NULL);
	g_autofree char *domain = strchr (value, '@') == NULL
		? tg_address_domain (as_address)
		: NULL;

	if (domain != NULL)
		return EX_OK;
	return complain (EX_DATAERR, "%s \"%s\": want a mail domain, like "
			 "example.com", what, shown);
}

/* Each of @values (NULL-terminated, may be NULL) passes @check. */
static int
check_each (int (*check) (const char *, const char *), const char *what,
	    char **values)
{
	int code = EX_OK;

	for (char **v = values; code == EX_OK && v != NULL && *v != NULL; v++)
		code = check (what, *v);
	return code;
}

static void
today (const Admin *a, GDate *out)
{
	g_autoptr (GTimeZone) tz = g_time_zone_new_identifier (a->config->timezone);
	g_autoptr (GDateTime) now = g_date_time_new_now (tz);

	g_date_clear (out, 1);
	g_date_set_dmy (out, g_date_time_get_day_of_month (now),
			g_date_time_get_month (now), g_date_time_get_year (now));
}

static char *
format_local (const Admin *a, GDateTime *t)
{
	g_autoptr (GTimeZone) tz = NULL;
	g_autoptr (GDateTime) local = NULL;

	if (t == NULL)
		return g_strdup ("-");
	tz = g_time_zone_new_identifier (a->config->timezone);
	local = g_date_time_to_timezone (t, tz);
	return g_date_time_format (local, "%Y-%m-%d %H:%M %:z");
}

static void
print_json (TgJson *json)
{
	g_autofree char *text = tg_json_finish (json);

	fputs (text, stdout);
}

/* Whether @argv asks for help before any "--". */
static gboolean
wants_help (int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp (argv[i], "--") != 0; i++)
		if (strcmp (argv[i], "--help") == 0 ||
		    strcmp (argv[i], "-h") == 0 || strcmp (argv[i], "-?") == 0)
			return TRUE;
	return FALSE;
}

/* "Usage: ticketgate customer add NAME ...", the summary, and the
 * options GOption describes (its own usage line, which knows only the
 * program's name, left out). */
static void
print_help (GOptionContext *ctx, const char *args, const char *summary)
{
	g_autofree char *help = g_option_context_get_help (ctx, TRUE, NULL);
	const char *options = strstr (help, "\n\n");

	printf ("Usage: ticketgate %s%s%s\n\n%c%s.\n", command_words,
		*args ? " " : "", args, g_ascii_toupper (summary[0]),
		summary + 1);
	while (options != NULL && *options == '\n')
		options++;
	if (options != NULL && strstr (options, "--") != NULL)
		printf ("\n%s", options);
}

/* The command being run: its words, its usage and its summary. */
static const char *command_args = "";
static const char *command_summary = "";

/*
 * Parses @argv (argv[0] is "group name") with @entries and checks that
 * between @min and @max positional arguments remain; they are left in
 * argv[1..]. Adds --json when @json is not NULL. Returns EX_OK,
 * HELP_SHOWN, or EX_USAGE after one line naming the mistake.
 */
static int
parse_args (int *argc, char ***argv, GOptionEntry *entries, gboolean *json,
	    int min, int max)
{
	g_autoptr (GOptionContext) ctx = g_option_context_new (NULL);
	g_autoptr (GError) error = NULL;
	GOptionEntry json_entry[] = {
		{ "json", 0, 0, G_OPTION_ARG_NONE, json,
		  "Print JSON instead of text", NULL },
		G_OPTION_ENTRY_NULL
	};

	/* GOption's own --help exits and names only the program. */
	g_option_context_set_help_enabled (ctx, FALSE);
	if (entries != NULL)
		g_option_context_add_main_entries (ctx, entries, NULL);
	if (json != NULL)
		g_option_context_add_main_entries (ctx, json_entry, NULL);
	if (wants_help (*argc, *argv)) {
		print_help (ctx, command_args, command_summary);
		return HELP_SHOWN;
	}
	if (!g_option_context_parse (ctx, argc, argv, &error))
		return complain (EX_USAGE, "%s (usage: ticketgate %s %s)",
				 error->message, command_words, command_args);
	if (*argc - 1 < min || *argc - 1 > max)
		return complain (EX_USAGE, "%s (usage: ticketgate %s %s)",
				 *argc - 1 < min ? "missing argument"
						 : "too many arguments",
				 command_words, command_args);
	return EX_OK;
}

/* Plan names are upper case; "gold" means GOLD. Checks that it exists,
 * so that a typo reads "no plan called GOLDD", not a constraint name. */
static int
check_plan (Admin *a, char **plan)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (TgPlan) found = NULL;
	char *upper = g_ascii_strup (*plan, -1);

	g_free (*plan);
	*plan = upper;
	found = tg_store_get_plan (a->store, upper, &error);
	return found != NULL ? EX_OK : store_failure (error);
}

/* ---- customers ----------------------------------------------------- */

typedef struct {
	char *plan, *from, *until;
	char **contacts, **domains;
} CustomerOptions;

static void
customer_options_clear (CustomerOptions *o)
{
	g_free (o->plan);
	g_free (o->from);
	g_free (o->until);
	g_strfreev (o->contacts);
	g_strfreev (o->domains);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (CustomerOptions, customer_options_clear)

static int
check_dates (const char *from, const char *until, gboolean need_from,
	     GDate *f, GDate *u)
{
	int code = EX_OK;

	g_date_clear (f, 1);
	g_date_clear (u, 1);
	if (need_from && from == NULL)
		return complain (EX_USAGE, "--from YYYY-MM-DD is required "
				 "(the subscription's first day)");
	if (from != NULL)
		code = check_date ("--from", from, f);
	if (code == EX_OK && until != NULL)
		code = check_date ("--until", until, u);
	if (code == EX_OK && until != NULL && g_date_compare (u, f) < 0)
		return complain (EX_USAGE, "--until %s is before --from %s",
				 until, from);
	return code;
}

/* A customer of that name must not exist yet. */
static int
check_new_customer (Admin *a, const char *name)
{
	g_autoptr (GError) error = NULL;
	gint64 id = 0;

	if (tg_store_find_customer (a->store, name, &id, &error))
		return complain (EX_DATAERR, "NAME \"%s\": a customer of that "
				 "name exists already", name);
	if (g_error_matches (error, TG_STORE_ERROR, TG_STORE_ERROR_NOT_FOUND))
		return EX_OK;
	return store_failure (error);
}

static gboolean
add_customer_rows (Admin *a, const char *name, const CustomerOptions *o,
		   const GDate *from, const GDate *until, GError **error)
{
	gint64 id = 0;

	if (!tg_store_add_customer (a->store, name, &id, error))
		return FALSE;
	for (char **c = o->contacts; c != NULL && *c != NULL; c++)
		if (!tg_store_add_contact (a->store, id, *c, NULL, error))
			return FALSE;
	for (char **d = o->domains; d != NULL && *d != NULL; d++)
		if (!tg_store_add_domain (a->store, id, *d, error))
			return FALSE;
	if (o->plan != NULL &&
	    !tg_store_add_subscription (a->store, id, o->plan, from,
					o->until ? until : NULL, error))
		return FALSE;
	return TRUE;
}

/* Runs @rows in one transaction. */
static int
in_transaction (Admin *a, gboolean (*rows) (Admin *, gpointer, GError **),
		gpointer data)
{
	g_autoptr (GError) error = NULL;

	if (!tg_store_begin (a->store, &error) || !rows (a, data, &error) ||
	    !tg_store_commit (a->store, &error)) {
		tg_store_rollback (a->store);
		return store_failure (error);
	}
	return EX_OK;
}

typedef struct {
	const char *name;
	const CustomerOptions *o;
	GDate from, until;
} CustomerAdd;

static gboolean
customer_add_rows (Admin *a, gpointer data, GError **error)
{
	CustomerAdd *c = data;

	return add_customer_rows (a, c->name, c->o, &c->from, &c->until,
				  error);
}

static int
cmd_customer_add (Admin *a, int argc, char **argv)
{
	g_auto (CustomerOptions) o = { 0 };
	GOptionEntry entries[] = {
		{ "plan", 0, 0, G_OPTION_ARG_STRING, &o.plan,
		  "Subscribe to PLAN (with --from)", "PLAN" },
		{ "from", 0, 0, G_OPTION_ARG_STRING, &o.from,
		  "First day of the subscription", "YYYY-MM-DD" },
		{ "until", 0, 0, G_OPTION_ARG_STRING, &o.until,
		  "Last day of the subscription (default: open)", "YYYY-MM-DD" },
		{ "contact", 0, 0, G_OPTION_ARG_STRING_ARRAY, &o.contacts,
		  "A contact address (repeatable)", "ADDR" },
		{ "domain", 0, 0, G_OPTION_ARG_STRING_ARRAY, &o.domains,
		  "A mail domain of the customer (repeatable)", "DOMAIN" },
		G_OPTION_ENTRY_NULL
	};
	CustomerAdd c = { .o = &o };
	int code = parse_args (&argc, &argv, entries, NULL,
			       1, 1);

	if (code != EX_OK)
		return code;
	if (o.plan == NULL && (o.from != NULL || o.until != NULL))
		return complain (EX_USAGE, "--from and --until go with --plan");
	code = check_dates (o.from, o.until, o.plan != NULL, &c.from, &c.until);
	if (code == EX_OK)
		code = check_name ("NAME", argv[1]);
	if (code == EX_OK)
		code = check_each (check_address, "--contact", o.contacts);
	if (code == EX_OK)
		code = check_each (check_domain, "--domain", o.domains);
	if (code == EX_OK)
		code = check_new_customer (a, argv[1]);
	if (code == EX_OK && o.plan != NULL)
		code = check_plan (a, &o.plan);
	if (code != EX_OK)
		return code;
	c.name = argv[1];
	code = in_transaction (a, customer_add_rows, &c);
	if (code == EX_OK)
		printf ("customer \"%s\" added\n", argv[1]);
	return code;
}

static void
customer_json (TgJson *j, const TgCustomer *c)
{
	tg_json_begin_object (j, NULL);
	tg_json_string (j, "name", c->name);
	tg_json_strv (j, "contacts", (const char *const *) c->contacts);
	tg_json_strv (j, "domains", (const char *const *) c->domains);
	tg_json_string (j, "plan_today", c->plan_today);
	tg_json_begin_array (j, "subscriptions");
	for (guint k = 0; k < c->subscriptions->len; k++)
		tg_json_string (j, NULL, c->subscriptions->pdata[k]);
	tg_json_end_array (j);
	tg_json_end_object (j);
}

static void
customer_text (const TgCustomer *c)
{
	g_autofree char *contacts = g_strjoinv (", ", c->contacts);
	g_autofree char *domains = g_strjoinv (", ", c->domains);

	printf ("%s\n  plan today:    %s\n", c->name,
		c->plan_today ? c->plan_today : "none");
	printf ("  contacts:      %s\n", *contacts ? contacts : "-");
	printf ("  domains:       %s\n", *domains ? domains : "-");
	for (guint k = 0; k < c->subscriptions->len; k++)
		printf ("  subscription:  %s\n",
			(char *) c->subscriptions->pdata[k]);
}

static int
cmd_customer_list (Admin *a, int argc, char **argv)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (GPtrArray) list = NULL;
	g_autoptr (TgJson) j = NULL;
	GDate day;
	int code = parse_args (&argc, &argv, NULL, &a->json, 0, 0);

	if (code != EX_OK)
		return code;
	today (a, &day);
	list = tg_store_list_customers (a->store, &day, &error);
	if (list == NULL)
		return store_failure (error);
	j = tg_json_new (TRUE);
	tg_json_begin_array (j, NULL);
	for (guint i = 0; i < list->len; i++) {
		if (a->json)
			customer_json (j, list->pdata[i]);
		else
			customer_text (list->pdata[i]);
	}
	tg_json_end_array (j);
	if (a->json)
		print_json (j);
	return EX_OK;
}

/* "contact add CUSTOMER ADDR [NAME]", "domain add CUSTOMER DOMAIN" */
static int
cmd_contact_add (Admin *a, int argc, char **argv)
{
	g_autoptr (GError) error = NULL;
	gint64 id = 0;
	int code = parse_args (&argc, &argv, NULL,
			       NULL, 2, 3);

	if (code == EX_OK)
		code = check_address ("ADDR", argv[2]);
	if (code == EX_OK && argc > 3)
		code = check_name ("NAME", argv[3]);
	if (code != EX_OK)
		return code;
	if (!tg_store_find_customer (a->store, argv[1], &id, &error))
		return store_failure (error);
	if (!tg_store_add_contact (a->store, id, argv[2],
				   argc > 3 ? argv[3] : NULL, &error))
		return g_error_matches (error, TG_STORE_ERROR,
					TG_STORE_ERROR_DUPLICATE)
			       ? complain (EX_DATAERR, "ADDR \"%s\": a contact "
					   "already, of this or another "
					   "customer", argv[2])
			       : store_failure (error);
	printf ("contact %s added to \"%s\"\n", argv[2], argv[1]);
	return EX_OK;
}

static int
cmd_domain_add (Admin *a, int argc, char **argv)
{
	g_autoptr (GError) error = NULL;
	gint64 id = 0;
	int code = parse_args (&argc, &argv, NULL, NULL, 2,
			       2);

	if (code == EX_OK)
		code = check_domain ("DOMAIN", argv[2]);
	if (code != EX_OK)
		return code;
	if (!tg_store_find_customer (a->store, argv[1], &id, &error))
		return store_failure (error);
	if (!tg_store_add_domain (a->store, id, argv[2], &error))
		return g_error_matches (error, TG_STORE_ERROR,
					TG_STORE_ERROR_DUPLICATE)
			       ? complain (EX_DATAERR, "DOMAIN \"%s\": a domain "
					   "of this or another customer "
					   "already", argv[2])
			       : store_failure (error);
	printf ("domain %s added to \"%s\"\n", argv[2], argv[1]);
	return EX_OK;
}

static int
cmd_subscription_add (Admin *a, int argc, char **argv)
{
	g_autofree char *from = NULL;
	g_autofree char *until = NULL;
	GOptionEntry entries[] = {
		{ "from", 0, 0, G_OPTION_ARG_STRING, &from,
		  "First day (required)", "YYYY-MM-DD" },
		{ "until", 0, 0, G_OPTION_ARG_STRING, &until,
		  "Last day (default: open)", "YYYY-MM-DD" },
		G_OPTION_ENTRY_NULL
	};
	g_autoptr (GError) error = NULL;
	g_autofree char *plan = NULL;
	GDate f, u;
	gint64 id = 0;
	int code = parse_args (&argc, &argv,
			       entries, NULL, 2, 2);

	if (code != EX_OK)
		return code;
	code = check_dates (from, until, TRUE, &f, &u);
	plan = g_strdup (argv[2]);
	if (code == EX_OK)
		code = check_plan (a, &plan);
	if (code != EX_OK)
		return code;
	if (!tg_store_find_customer (a->store, argv[1], &id, &error) ||
	    !tg_store_add_subscription (a->store, id, plan, &f,
					until ? &u : NULL, &error))
		return store_failure (error);
	printf ("\"%s\" subscribed to %s from %s%s%s\n", argv[1], plan,
		from, until ? " until " : "", until ? until : "");
	return EX_OK;
}

/* ---- staff and holidays -------------------------------------------- */

static int
cmd_staff_add (Admin *a, int argc, char **argv)
{
	g_autoptr (GError) error = NULL;
	int code = parse_args (&argc, &argv, NULL, NULL, 1, 2);

	if (code == EX_OK)
		code = check_address ("ADDR", argv[1]);
	if (code == EX_OK && argc > 2)
		code = check_name ("NAME", argv[2]);
	if (code != EX_OK)
		return code;
	if (!tg_store_add_staff (a->store, argv[1], argc > 2 ? argv[2] : NULL,
				 &error))
		return store_failure (error);
	printf ("staff %s added\n", argv[1]);
	return EX_OK;
}

static int
cmd_staff_remove (Admin *a, int argc, char **argv)
{
	g_autoptr (GError) error = NULL;
	int code = parse_args (&argc, &argv, NULL, NULL, 1, 1);

	if (code == EX_OK)
		code = check_address ("ADDR", argv[1]);
	if (code != EX_OK)
		return code;
	if (!tg_store_set_staff_active (a->store, argv[1], FALSE, &error))
		return store_failure (error);
	printf ("staff %s deactivated\n", argv[1]);
	return EX_OK;
}

static int
cmd_staff_list (Admin *a, int argc, char **argv)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (GPtrArray) list = NULL;
	g_autoptr (TgJson) j = tg_json_new (TRUE);
	int code = parse_args (&argc, &argv, NULL, &a->json, 0, 0);

	if (code != EX_OK)
		return code;
	list = tg_store_list_staff (a->store, &error);
	if (list == NULL)
		return store_failure (error);
	tg_json_begin_array (j, NULL);
	for (guint i = 0; i < list->len; i++) {
		const TgStaff *s = list->pdata[i];

		tg_json_begin_object (j, NULL);
		tg_json_string (j, "address", s->address);
		tg_json_string (j, "name", s->name);
		tg_json_bool (j, "active", s->active);
		tg_json_end_object (j);
		if (!a->json)
			printf ("%-32s %-24s %s\n", s->address,
				s->name ? s->name : "-",
				s->active ? "active" : "inactive");
	}
	tg_json_end_array (j);
	if (a->json)
		print_json (j);
	return EX_OK;
}

/* A day that is a holiday already is not renamed by "add". */
static int
check_new_holiday (Admin *a, const char *text, const GDate *day)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (GArray) list = tg_store_list_holidays (a->store, NULL,
							  &error);

	if (list == NULL)
		return store_failure (error);
	for (guint i = 0; i < list->len; i++) {
		const TgHoliday *h = &g_array_index (list, TgHoliday, i);

		if (g_date_compare (&h->date, day) == 0)
			return complain (EX_DATAERR, "DATE %s: a holiday "
					 "already (\"%s\"); holiday remove it "
					 "first to rename it", text, h->name);
	}
	return EX_OK;
}

static int
cmd_holiday_add (Admin *a, int argc, char **argv)
{
	g_autoptr (GError) error = NULL;
	GDate day;
	int code = parse_args (&argc, &argv, NULL, NULL,
			       1, 2);

	if (code == EX_OK)
		code = check_date ("DATE", argv[1], &day);
	if (code == EX_OK && argc > 2)
		code = check_name ("NAME", argv[2]);
	if (code == EX_OK)
		code = check_new_holiday (a, argv[1], &day);
	if (code != EX_OK)
		return code;
	if (!tg_store_add_holiday (a->store, &day, argc > 2 ? argv[2] : NULL,
				   &error))
		return g_error_matches (error, TG_STORE_ERROR,
					TG_STORE_ERROR_DUPLICATE)
			       ? complain (EX_DATAERR, "DATE %s: a holiday "
					   "already", argv[1])
			       : store_failure (error);
	printf ("holiday %s added\n", argv[1]);
	return EX_OK;
}

static int
cmd_holiday_remove (Admin *a, int argc, char **argv)
{
	g_autoptr (GError) error = NULL;
	GDate day;
	int code = parse_args (&argc, &argv, NULL, NULL, 1, 1);

	if (code == EX_OK)
		code = check_date ("DATE", argv[1], &day);
	if (code != EX_OK)
		return code;
	if (!tg_store_remove_holiday (a->store, &day, &error))
		return g_error_matches (error, TG_STORE_ERROR,
					TG_STORE_ERROR_NOT_FOUND)
			       ? complain (EX_NOINPUT, "DATE %s: not a holiday",
					   argv[1])
			       : store_failure (error);
	printf ("holiday %s removed\n", argv[1]);
	return EX_OK;
}

static int
cmd_holiday_list (Admin *a, int argc, char **argv)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (GArray) list = NULL;
	g_autoptr (TgJson) j = tg_json_new (TRUE);
	int code = parse_args (&argc, &argv, NULL, &a->json, 0, 0);

	if (code != EX_OK)
		return code;
	list = tg_store_list_holidays (a->store, NULL, &error);
	if (list == NULL)
		return store_failure (error);
	tg_json_begin_array (j, NULL);
	for (guint i = 0; i < list->len; i++) {
		const TgHoliday *h = &g_array_index (list, TgHoliday, i);
		char day[16];

		g_date_strftime (day, sizeof day, "%Y-%m-%d", &h->date);
		tg_json_begin_object (j, NULL);
		tg_json_string (j, "date", day);
		tg_json_string (j, "name", h->name);
		tg_json_end_object (j);
		if (!a->json)
			printf ("%s  %s\n", day, h->name);
	}
	tg_json_end_array (j);
	if (a->json)
		print_json (j);
	return EX_OK;
}

/* ---- bouncing addresses -------------------------------------------- */

static int
cmd_bounce_list (Admin *a, int argc, char **argv)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (GPtrArray) list = NULL;
	g_autoptr (TgJson) j = tg_json_new (TRUE);
	int code = parse_args (&argc, &argv, NULL, &a->json, 0, 0);

	if (code != EX_OK)
		return code;
	list = tg_store_list_bouncing (a->store, &error);
	if (list == NULL)
		return store_failure (error);
	tg_json_begin_array (j, NULL);
	for (guint i = 0; i < list->len; i++) {
		const TgBouncing *b = list->pdata[i];
		g_autofree char *since = format_local (a, b->since);

		tg_json_begin_object (j, NULL);
		tg_json_string (j, "address", b->address);
		tg_json_time (j, "since", b->since);
		if (b->ticket_number)
			tg_json_int (j, "ticket", b->ticket_number);
		else
			tg_json_null (j, "ticket");
		tg_json_string (j, "status", b->status);
		tg_json_end_object (j);
		if (!a->json)
			printf ("%-32s since %s, status %s, ticket #%" G_GINT64_FORMAT
				"\n",
				b->address, since, b->status ? b->status : "-",
				b->ticket_number);
	}
	tg_json_end_array (j);
	if (a->json)
		print_json (j);
	return EX_OK;
}

static int
cmd_bounce_clear (Admin *a, int argc, char **argv)
{
	g_autoptr (GError) error = NULL;
	g_autofree char *key = NULL;
	int code = parse_args (&argc, &argv, NULL, NULL, 1, 1);

	if (code == EX_OK)
		code = check_address ("ADDR", argv[1]);
	if (code != EX_OK)
		return code;
	key = tg_address_canonical (argv[1], a->config->recipient_delimiter);
	if (!tg_store_clear_bouncing (a->store, key, &error))
		return store_failure (error);
	printf ("%s cleared: automatic mail to it resumes\n", argv[1]);
	return EX_OK;
}

/* ---- signing secrets ----------------------------------------------- */

/* "30 days", "12 hours" or "90 seconds". */
static char *
format_duration (int seconds)
{
	if (seconds % 86400 == 0)
		return g_strdup_printf ("%d day%s", seconds / 86400,
					seconds == 86400 ? "" : "s");
	if (seconds % 3600 == 0)
		return g_strdup_printf ("%d hour%s", seconds / 3600,
					seconds == 3600 ? "" : "s");
	return g_strdup_printf ("%d seconds", seconds);
}

static int
cmd_secret_rotate (Admin *a, int argc, char **argv)
{
	g_autoptr (GError) error = NULL;
	g_autofree char *grace = NULL;
	int count = 0;
	int code = parse_args (&argc, &argv, NULL, NULL, 0, 0);

	if (code != EX_OK)
		return code;
	if (!tg_store_rotate_secret (a->store, &count, &error))
		return store_failure (error);
	grace = format_duration (a->config->secret_grace);
	printf ("made a new signing secret (%d in all; the older ones verify "
		"for %s more)\n",
		count, grace);
	return EX_OK;
}

/* ---- plans --------------------------------------------------------- */

static int
cmd_plan_list (Admin *a, int argc, char **argv)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (GPtrArray) list = NULL;
	g_autoptr (TgJson) j = tg_json_new (TRUE);
	int code = parse_args (&argc, &argv, NULL, &a->json, 0, 0);

	if (code != EX_OK)
		return code;
	list = tg_store_list_plans (a->store, &error);
	if (list == NULL)
		return store_failure (error);
	if (!a->json)
		printf ("%-10s %5s  %-9s %-6s %-8s %s\n", "PLAN", "RANK",
			"REACTION", "E-MAIL", "RATE", "DESCRIPTION");
	tg_json_begin_array (j, NULL);
	for (guint i = 0; i < list->len; i++) {
		const TgPlan *p = list->pdata[i];
		g_autofree char *reaction =
			p->reaction_minutes
				? g_strdup_printf ("%d h %02d", p->reaction_minutes / 60,
						   p->reaction_minutes % 60)
				: g_strdup ("none");
		g_autofree char *rate =
			p->hourly_rate ? g_strdup_printf ("%s %s", p->hourly_rate,
							  p->currency)
				       : g_strdup ("-");

		tg_json_begin_object (j, NULL);
		tg_json_string (j, "name", p->name);
		tg_json_int (j, "rank", p->rank);
		if (p->reaction_minutes)
			tg_json_int (j, "reaction_minutes", p->reaction_minutes);
		else
			tg_json_null (j, "reaction_minutes");
		tg_json_bool (j, "email_support", p->email_support);
		tg_json_bool (j, "full_service", p->full_service);
		tg_json_string (j, "hourly_rate", p->hourly_rate);
		tg_json_string (j, "currency", p->currency);
		tg_json_string (j, "description", p->description);
		tg_json_end_object (j);
		if (!a->json)
			printf ("%-10s %5d  %-9s %-6s %-8s %s\n", p->name,
				p->rank, reaction,
				p->email_support ? "yes" : "no", rate,
				p->description);
	}
	tg_json_end_array (j);
	if (a->json)
		print_json (j);
	return EX_OK;
}

/* ---- tickets and the queue ----------------------------------------- */

static TgCalendar *
load_calendar (Admin *a, GError **error)
{
	g_autoptr (TgCalendar) cal = tg_settings_new_calendar (a->config, error);
	g_autoptr (GArray) days = NULL;

	if (cal == NULL)
		return NULL;
	days = tg_store_list_holidays (a->store, NULL, error);
	if (days == NULL)
		return NULL;
	for (guint i = 0; i < days->len; i++) {
		const TgHoliday *h = &g_array_index (days, TgHoliday, i);

		tg_calendar_add_holiday (cal, g_date_get_year (&h->date),
					 g_date_get_month (&h->date),
					 g_date_get_day (&h->date), h->name);
	}
	return g_steal_pointer (&cal);
}

/* Working time left until the deadline, "-1h 30m" when overdue. */
static char *
time_left (const TgCalendar *cal, const TgTicket *t, GDateTime *now)
{
	if (t->response_due_at == NULL)
		return g_strdup (t->billable ? "paid" : "-");
	if (t->first_response_at != NULL)
		return g_strdup (t->deadline_met == 1 ? "met" : "missed");
	return tg_watch_format_left (cal, now, t->response_due_at);
}

static void
ticket_json_fields (TgJson *j, const TgTicket *t, const char *left)
{
	tg_json_int (j, "number", t->number);
	tg_json_string (j, "subject", t->subject);
	tg_json_string (j, "status", tg_status_name (t->status));
	tg_json_string (j, "priority",
			tg_priority_to_string ((TgPriority) t->priority));
	tg_json_string (j, "requester", t->requester);
	tg_json_string (j, "requester_name", t->requester_name);
	tg_json_string (j, "reply_address", t->reply_address);
	tg_json_string (j, "customer", t->customer_name);
	tg_json_string (j, "plan", t->plan_name);
	if (t->reaction_minutes)
		tg_json_int (j, "reaction_minutes", t->reaction_minutes);
	else
		tg_json_null (j, "reaction_minutes");
	tg_json_bool (j, "billable", t->billable);
	tg_json_string (j, "hourly_rate", t->hourly_rate);
	tg_json_string (j, "currency", t->currency);
	tg_json_strv (j, "scope_flags", (const char *const *) t->scope_flags);
	tg_json_strv (j, "cc", (const char *const *) t->cc);
	tg_json_time (j, "received_at", t->received_at);
	tg_json_time (j, "response_due_at", t->response_due_at);
	tg_json_time (j, "first_response_at", t->first_response_at);
	tg_json_time (j, "closed_at", t->closed_at);
	if (t->deadline_met < 0)
		tg_json_null (j, "deadline_met");
	else
		tg_json_bool (j, "deadline_met", t->deadline_met);
	tg_json_string (j, "assignee", t->assignee);
	if (t->follows_number)
		tg_json_int (j, "follows", t->follows_number);
	else
		tg_json_null (j, "follows");
	if (t->refers_number)
		tg_json_int (j, "refers_to", t->refers_number);
	else
		tg_json_null (j, "refers_to");
	tg_json_string (j, "time_left", left);
}

static void
message_json (TgJson *j, const TgStoredMessage *m)
{
	tg_json_begin_object (j, NULL);
	tg_json_string (j, "direction", m->direction);
	tg_json_string (j, "kind", m->kind);
	tg_json_string (j, "message_id", m->message_id);
	tg_json_string (j, "sender", m->sender);
	tg_json_strv (j, "recipients", (const char *const *) m->recipients);
	tg_json_string (j, "subject", m->subject);
	tg_json_time (j, "at", m->received_at);
	tg_json_int (j, "size", m->size);
	tg_json_string (j, "delivery", m->delivery);
	tg_json_string (j, "note", m->note);
	tg_json_begin_array (j, "attachments");
	for (guint k = 0; k < m->attachments->len; k++) {
		const TgAttachment *att = m->attachments->pdata[k];

		tg_json_begin_object (j, NULL);
		tg_json_string (j, "part", att->part_path);
		tg_json_string (j, "filename", att->filename);
		tg_json_string (j, "content_type", att->content_type);
		tg_json_int (j, "size", (gint64) att->size);
		tg_json_end_object (j);
	}
	tg_json_end_array (j);
	tg_json_string (j, "text", m->body_text);
	tg_json_end_object (j);
}

static void
ticket_text (Admin *a, const TgTicket *t, const char *left)
{
	g_autofree char *received = format_local (a, t->received_at);
	g_autofree char *due = format_local (a, t->response_due_at);
	g_autofree char *first = format_local (a, t->first_response_at);
	g_autofree char *scope = g_strjoinv (", ", t->scope_flags);
	g_autofree char *cc = g_strjoinv (", ", t->cc);

	printf ("Ticket #%" G_GINT64_FORMAT ": %s\n", t->number, t->subject);
	printf ("  status:         %s\n", tg_status_name (t->status));
	printf ("  requester:      %s%s%s%s\n",
		t->requester_name ? t->requester_name : "",
		t->requester_name ? " <" : "", t->requester,
		t->requester_name ? ">" : "");
	printf ("  customer:       %s\n",
		t->customer_name ? t->customer_name : "(unknown sender)");
	printf ("  plan:           %s%s\n", t->plan_name ? t->plan_name : "-",
		t->billable ? " (paid support)" : "");
	printf ("  priority:       %s\n",
		tg_priority_to_string ((TgPriority) t->priority));
	printf ("  received:       %s\n", received);
	printf ("  response due:   %s (%s)\n", due, left);
	printf ("  first response: %s%s\n", first,
		t->deadline_met == 1   ? " (deadline met)"
		: t->deadline_met == 0 ? " (deadline missed)"
				       : "");
	printf ("  assigned to:    %s\n", t->assignee ? t->assignee : "-");
	if (t->follows_number)
		printf ("  follows:        #%" G_GINT64_FORMAT "\n",
			t->follows_number);
	if (t->refers_number)
		printf ("  refers to:      #%" G_GINT64_FORMAT
			" (its writer is not one of that ticket's people)\n",
			t->refers_number);
	if (t->billable)
		printf ("  hourly rate:    %s %s\n",
			t->hourly_rate ? t->hourly_rate : "-",
			t->currency ? t->currency : "");
	if (*scope)
		printf ("  out of scope?:  %s\n", scope);
	if (*cc)
		printf ("  cc:             %s\n", cc);
}

static void
message_text (Admin *a, guint index, const TgStoredMessage *m)
{
	g_autofree char *at = format_local (a, m->received_at);
	g_autofree char *to = g_strjoinv (", ", m->recipients);
	g_autofree char *body = g_strchomp (g_strdup (m->body_text));
	g_auto (GStrv) lines = g_strsplit (body, "\n", -1);

	printf ("\n[%u] %s %s, %s, from %s to %s%s%s\n", index, m->direction,
		m->kind, at, m->sender ? m->sender : "-", *to ? to : "-",
		m->delivery ? ": " : "", m->delivery ? m->delivery : "");
	printf ("    Subject: %s\n", m->subject);
	if (m->note != NULL)
		printf ("    Not relayed: %s\n", m->note);
	for (guint k = 0; k < m->attachments->len; k++) {
		const TgAttachment *att = m->attachments->pdata[k];

		printf ("    Attachment: %s (%s, %" G_GUINT64_FORMAT
			" bytes)\n",
			att->filename ? att->filename : "(no name)",
			att->content_type, att->size);
	}
	for (char **l = lines; *l != NULL; l++)
		printf ("    | %s\n", *l);
}

static int
cmd_ticket_show (Admin *a, int argc, char **argv)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (TgTicket) t = NULL;
	g_autoptr (GPtrArray) msgs = NULL;
	g_autoptr (TgCalendar) cal = NULL;
	g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
	g_autoptr (TgJson) j = tg_json_new (TRUE);
	g_autofree char *left = NULL;
	gint64 number;
	int code = parse_args (&argc, &argv, NULL, &a->json, 1, 1);

	if (code != EX_OK)
		return code;
	if (!g_ascii_string_to_signed (argv[1] + (argv[1][0] == '#'), 10, 1,
				       G_MAXINT64, &number, NULL)) {
		g_autofree char *shown = g_strescape (argv[1], NULL);

		return complain (EX_USAGE, "NUMBER \"%s\": want a ticket "
				 "number, like 1000", shown);
	}
	if ((t = tg_store_get_ticket (a->store, number, &error)) == NULL ||
	    (msgs = tg_store_list_messages (a->store, t->id, &error)) == NULL ||
	    (cal = load_calendar (a, &error)) == NULL)
		return failure (error);
	left = time_left (cal, t, now);
	if (!a->json) {
		ticket_text (a, t, left);
		for (guint i = 0; i < msgs->len; i++)
			message_text (a, i + 1, msgs->pdata[i]);
		return EX_OK;
	}
	tg_json_begin_object (j, NULL);
	ticket_json_fields (j, t, left);
	tg_json_begin_array (j, "messages");
	for (guint i = 0; i < msgs->len; i++)
		message_json (j, msgs->pdata[i]);
	tg_json_end_array (j);
	tg_json_end_object (j);
	print_json (j);
	return EX_OK;
}

static void
queue_row_text (Admin *a, const TgTicket *t, const char *left)
{
	g_autofree char *due = format_local (a, t->response_due_at);
	const char *who = t->customer_name ? t->customer_name : t->requester;

	printf ("%-8" G_GINT64_FORMAT " %-9s %-6s %-23s %-10s %-20.20s %s\n",
		t->number, t->plan_name ? t->plan_name : "-",
		tg_priority_to_string ((TgPriority) t->priority), due, left, who,
		t->subject);
}

static int
cmd_queue (Admin *a, int argc, char **argv)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (GPtrArray) list = NULL;
	g_autoptr (TgCalendar) cal = NULL;
	g_autoptr (TgReplies) replies = NULL;
	g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
	g_autoptr (TgJson) j = tg_json_new (TRUE);
	int code = parse_args (&argc, &argv, NULL, &a->json, 0, 0);

	if (code != EX_OK)
		return code;
	/* The working hours below the list are in the desk's words. */
	if ((list = tg_store_list_queue (a->store, &error)) == NULL ||
	    (cal = load_calendar (a, &error)) == NULL ||
	    (!a->json &&
	     (replies = tg_replies_load (a->config->templates_directory,
					 &error)) == NULL))
		return failure (error);
	if (!a->json)
		printf ("%-8s %-9s %-6s %-23s %-10s %-20s %s\n", "TICKET",
			"PLAN", "PRIO", "DUE", "WORK LEFT", "CUSTOMER",
			"SUBJECT");
	tg_json_begin_array (j, NULL);
	for (guint i = 0; i < list->len; i++) {
		const TgTicket *t = list->pdata[i];
		g_autofree char *left = time_left (cal, t, now);

		if (!a->json) {
			queue_row_text (a, t, left);
			continue;
		}
		tg_json_begin_object (j, NULL);
		ticket_json_fields (j, t, left);
		tg_json_end_object (j);
	}
	tg_json_end_array (j);
	if (a->json) {
		print_json (j);
	} else {
		g_autofree char *hours = tg_reply_describe_hours (replies, cal);

		printf ("(WORK LEFT: working hours to the deadline, %s; "
			"minus: overdue)\n", hours);
	}
	return EX_OK;
}

/* ---- the SLA report ------------------------------------------------ */

/* Local midnight of @day in the desk's zone. */
static GDateTime *
day_start (const Admin *a, const GDate *day)
{
	g_autoptr (GTimeZone) tz = g_time_zone_new_identifier (a->config->timezone);

	return g_date_time_new (tz, g_date_get_year (day), g_date_get_month (day),
				g_date_get_day (day), 0, 0, 0);
}

typedef struct {
	char *from, *to, *customer, *html;
	gboolean csv;
} ReportOptions;

static void
report_options_clear (ReportOptions *o)
{
	g_free (o->from);
	g_free (o->to);
	g_free (o->customer);
	g_free (o->html);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (ReportOptions, report_options_clear)

/* The tickets received from @o's first day to its last, inclusive. */
static GPtrArray *
report_tickets (Admin *a, const ReportOptions *o, GError **error)
{
	GDate from, to;
	g_autoptr (GDateTime) start = NULL;
	g_autoptr (GDateTime) end = NULL;
	gint64 customer = 0;

	parse_date (o->from, &from);
	parse_date (o->to, &to);
	g_date_add_days (&to, 1);
	start = day_start (a, &from);
	end = day_start (a, &to);
	if (o->customer != NULL &&
	    !tg_store_find_customer (a->store, o->customer, &customer, error))
		return NULL;
	return tg_store_list_received (a->store, start, end, customer, error);
}

static int
write_report (Admin *a, const ReportOptions *o, const TgReport *r,
	      const TgReportScope *scope)
{
	g_autoptr (GError) error = NULL;
	g_autofree char *text = NULL;

	if (o->html != NULL) {
		text = tg_report_html (r, scope);
		if (!g_file_set_contents (o->html, text, -1, &error))
			return complain (EX_CANTCREAT, "--html: %s",
					 error->message);
		printf ("wrote %s\n", o->html);
		return EX_OK;
	}
	text = a->json ? tg_report_json (r, scope)
	     : o->csv  ? tg_report_csv (r, scope)
		       : tg_report_text (r, scope);
	fputs (text, stdout);
	return EX_OK;
}

static int
cmd_report (Admin *a, int argc, char **argv)
{
	g_auto (ReportOptions) o = { 0 };
	GOptionEntry entries[] = {
		{ "from", 0, 0, G_OPTION_ARG_STRING, &o.from,
		  "First day (YYYY-MM-DD) of tickets received", "DATE" },
		{ "to", 0, 0, G_OPTION_ARG_STRING, &o.to,
		  "Last day (YYYY-MM-DD), included", "DATE" },
		{ "customer", 0, 0, G_OPTION_ARG_STRING, &o.customer,
		  "Only this customer's tickets", "NAME" },
		{ "csv", 0, 0, G_OPTION_ARG_NONE, &o.csv,
		  "Print the plan rows as CSV", NULL },
		{ "html", 0, 0, G_OPTION_ARG_FILENAME, &o.html,
		  "Write a self-contained HTML page to FILE", "FILE" },
		G_OPTION_ENTRY_NULL
	};
	g_autoptr (GError) error = NULL;
	g_autoptr (GPtrArray) tickets = NULL;
	g_autoptr (TgCalendar) cal = NULL;
	g_autoptr (TgReport) r = NULL;
	g_autoptr (TgReplies) replies = NULL;
	g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
	TgReportScope scope;
	GDate f, t;
	int code = parse_args (&argc, &argv, entries,
			       &a->json, 0, 0);

	if (code != EX_OK)
		return code;
	if (o.from == NULL || o.to == NULL)
		return complain (EX_USAGE, "--%s YYYY-MM-DD is required",
				 o.from == NULL ? "from" : "to");
	code = check_date ("--from", o.from, &f);
	if (code == EX_OK)
		code = check_date ("--to", o.to, &t);
	if (code != EX_OK)
		return code;
	if (g_date_compare (&t, &f) < 0)
		return complain (EX_USAGE, "--to %s is before --from %s", o.to,
				 o.from);
	if ((tickets = report_tickets (a, &o, &error)) == NULL ||
	    (cal = load_calendar (a, &error)) == NULL ||
	    (replies = tg_replies_load (a->config->templates_directory,
					&error)) == NULL)
		return failure (error);
	r = tg_report_compute (tickets, cal, now);
	scope = (TgReportScope){ .from = o.from, .to = o.to,
				 .customer = o.customer, .calendar = cal,
				 .now = now, .replies = replies };
	return write_report (a, &o, r, &scope);
}

/* ---- database and configuration ------------------------------------ */

/* Rewrites the desk snapshot when it is out of step with its tables
 * (data loaded with triggers disabled), and says so. */
static int
refresh_desk (Admin *a)
{
	g_autoptr (GError) error = NULL;
	gboolean in_step = FALSE;

	if (!tg_store_desk_in_step (a->store, &in_step, &error) ||
	    (!in_step && !tg_store_refresh_desk (a->store, &error))) {
		g_prefix_error (&error, "desk snapshot: ");
		return store_failure (error);
	}
	if (!in_step)
		printf ("refreshed the desk snapshot\n");
	return EX_OK;
}

/* A schema file the server refused: its words are the point here (our
 * own files raise what must be done first), the SQLSTATE is not. */
static int
migrate_failure (const GError *error)
{
	g_autofree char *text = g_strdup (error->message);
	char *state = strstr (text, " (SQLSTATE ");

	if (state == NULL)
		return store_failure (error);
	g_debug ("%s", error->message);
	*state = '\0';
	return complain (tg_exit_for_error (error, TG_CALLER_ADMIN), "%s",
			 text);
}

static int
cmd_db_migrate (Admin *a, int argc, char **argv)
{
	g_autofree char *dir = NULL;
	GOptionEntry entries[] = {
		{ "schema", 0, 0, G_OPTION_ARG_FILENAME, &dir,
		  "Folder of the numbered schema files (default: "
		  "[database] schema_directory)", "DIR" },
		G_OPTION_ENTRY_NULL
	};
	g_autoptr (GError) error = NULL;
	g_autoptr (GPtrArray) applied = NULL;
	int code = parse_args (&argc, &argv, entries, NULL,
			       0, 0);

	if (code != EX_OK)
		return code;
	if (dir == NULL)
		dir = g_strdup (a->config->schema_directory);
	if (!g_file_test (dir, G_FILE_TEST_IS_DIR))
		return complain (EX_NOINPUT, "schema: no folder %s (set "
				 "[database] schema_directory, or give "
				 "--schema DIR)", dir);
	if (!tg_store_migrate (a->store, dir, &applied, &error))
		return error->domain == TG_STORE_ERROR
			       ? migrate_failure (error)
			       : complain (EX_NOINPUT, "%s", error->message);
	for (guint i = 0; i < applied->len; i++)
		printf ("applied %s\n", (char *) applied->pdata[i]);
	if (applied->len == 0)
		printf ("schema is up to date\n");
	return refresh_desk (a);
}

/* Each check prints one line; returns whether it passed. */
static gboolean
check_line (gboolean ok, const char *what, const GError *error)
{
	const char *why = error ? error->message : "no";

	/* The store names the object already ("schema: ..."): once is
	 * enough. */
	if (g_str_has_prefix (why, what) && strncmp (why + strlen (what), ": ",
						     2) == 0)
		why += strlen (what) + 2;
	if (ok)
		printf ("ok       %s\n", what);
	else
		printf ("FAILED   %s: %s\n", what, why);
	return ok;
}

/* The journal's folder exists, and this user can write there (as deliver
 * and sweep do: check-config runs as their user). */
static gboolean
check_state_directory (const char *dir)
{
	g_autofree char *what = g_strdup_printf ("state directory %s", dir);
	g_autofree char *probe = g_strdup_printf ("%s/.check-config.%d", dir,
						  (int) getpid ());
	g_autoptr (GError) error = NULL;

	if (!g_file_test (dir, G_FILE_TEST_IS_DIR)) {
		g_set_error (&error, G_FILE_ERROR, G_FILE_ERROR_NOENT,
			     "not a folder (make install creates it)");
		return check_line (FALSE, what, error);
	}
	if (!g_file_set_contents (probe, "", 0, &error))
		return check_line (FALSE, what, error);
	g_unlink (probe);
	return check_line (TRUE, what, NULL);
}

static gboolean
check_database (Admin *a, const char *schema)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (GPtrArray) pending = NULL;
	g_autoptr (TgPlan) plan = NULL;
	g_autofree char *what = NULL;
	gboolean in_step = FALSE;
	int secrets = 0;

	a->store = tg_store_connect (a->config->conninfo, "ticketgate-admin",
				     a->config->connect_timeout,
				     a->config->statement_timeout, &error);
	if (!check_line (a->store != NULL, "database connection", error))
		return FALSE;
	if (!g_file_test (schema, G_FILE_TEST_IS_DIR)) {
		g_set_error (&error, G_FILE_ERROR, G_FILE_ERROR_NOENT,
			     "no folder %s (set [database] schema_directory, "
			     "or give --schema DIR)", schema);
		return check_line (FALSE, "schema", error);
	}
	pending = tg_store_pending_migrations (a->store, schema, &error);
	if (pending != NULL && pending->len > 0)
		g_set_error (&error, TG_STORE_ERROR, TG_STORE_ERROR_INVALID,
			     "%u file(s) to apply, run \"ticketgate db migrate\"",
			     pending->len);
	if (!check_line (pending != NULL && pending->len == 0, "schema",
			 error))
		return FALSE;
	if (tg_store_desk_in_step (a->store, &in_step, &error) && !in_step)
		g_set_error (&error, TG_STORE_ERROR, TG_STORE_ERROR_INVALID,
			     "out of step with the plans, holidays, scope rules"
			     " or staff, run \"ticketgate db migrate\"");
	if (!check_line (in_step, "desk snapshot", error))
		return FALSE;
	if (tg_store_count_secrets (a->store, &secrets, &error) &&
	    secrets == 0)
		g_set_error (&error, TG_STORE_ERROR, TG_STORE_ERROR_INVALID,
			     "none, run \"ticketgate secret rotate\"");
	if (!check_line (secrets > 0, "secret for signed reply addresses",
			 error))
		return FALSE;
	what = g_strdup_printf ("fallback plan %s", a->config->fallback_plan);
	plan = tg_store_get_plan (a->store, a->config->fallback_plan, &error);
	return check_line (plan != NULL, what, error);
}

static int
cmd_check_config (Admin *a, int argc, char **argv)
{
	gboolean dump = FALSE;
	g_autofree char *schema = NULL;
	GOptionEntry entries[] = {
		{ "dump", 0, 0, G_OPTION_ARG_NONE, &dump,
		  "Print every setting with its effective value", NULL },
		{ "schema", 0, 0, G_OPTION_ARG_FILENAME, &schema,
		  "Schema folder to compare the database with", "DIR" },
		G_OPTION_ENTRY_NULL
	};
	g_autoptr (GError) error = NULL;
	g_autoptr (TgReplies) replies = NULL;
	g_autoptr (TgCalendar) cal = NULL;
	g_autofree char *sendmail_what = NULL;
	gboolean ok;
	int code = parse_args (&argc, &argv, entries, NULL, 0, 0);

	if (code != EX_OK)
		return code;
	if (dump) {
		g_autofree char *text = tg_settings_dump (a->config);

		fputs (text, stdout);
	}
	if (schema == NULL)
		schema = g_strdup (a->config->schema_directory);
	ok = check_line (tg_settings_check (a->config, &error), a->config->path,
			 error);
	g_clear_error (&error);
	cal = tg_settings_new_calendar (a->config, &error);
	ok = check_line (cal != NULL, "working hours", error) && ok;
	g_clear_error (&error);
	replies = tg_replies_load (a->config->templates_directory, &error);
	ok = check_line (replies != NULL, "templates", error) && ok;
	sendmail_what = g_strdup_printf ("sendmail %s", a->config->sendmail);
	ok = check_line (g_file_test (a->config->sendmail,
				      G_FILE_TEST_IS_EXECUTABLE),
			 sendmail_what, NULL) && ok;
	ok = check_state_directory (a->config->state_directory) && ok;
	ok = check_database (a, schema) && ok;
	return ok ? EX_OK : EX_CONFIG;
}

/* ---- dispatch ------------------------------------------------------ */

static const Command commands[] = {
	{ "customer", "add", "NAME [--plan PLAN --from DATE [--until DATE]] "
			     "[--contact ADDR]... [--domain DOMAIN]...",
	  "add a customer", cmd_customer_add, TRUE },
	{ "customer", "list", "[--json]", "list customers and plans",
	  cmd_customer_list, TRUE },
	{ "contact", "add", "CUSTOMER ADDR [NAME]", "add a contact address",
	  cmd_contact_add, TRUE },
	{ "domain", "add", "CUSTOMER DOMAIN", "add a customer's mail domain",
	  cmd_domain_add, TRUE },
	{ "subscription", "add", "CUSTOMER PLAN --from DATE [--until DATE]",
	  "subscribe a customer to a plan", cmd_subscription_add, TRUE },
	{ "staff", "add", "ADDR [NAME]", "add or reactivate a staff member",
	  cmd_staff_add, TRUE },
	{ "staff", "remove", "ADDR", "deactivate a staff member",
	  cmd_staff_remove, TRUE },
	{ "staff", "list", "[--json]", "list staff", cmd_staff_list, TRUE },
	{ "holiday", "add", "DATE [NAME]", "add a public holiday",
	  cmd_holiday_add, TRUE },
	{ "holiday", "remove", "DATE", "remove a holiday", cmd_holiday_remove,
	  TRUE },
	{ "holiday", "list", "[--json]", "list holidays", cmd_holiday_list,
	  TRUE },
	{ "plan", "list", "[--json]", "list the plans", cmd_plan_list, TRUE },
	{ "bounce", "list", "[--json]",
	  "addresses whose mail bounces (no automatic mail)", cmd_bounce_list,
	  TRUE },
	{ "bounce", "clear", "ADDR", "resume automatic mail to an address",
	  cmd_bounce_clear, TRUE },
	{ "ticket", "show", "NUMBER [--json]", "show a ticket and its mail",
	  cmd_ticket_show, TRUE },
	{ "queue", NULL, "[--json]", "open tickets in the order of work",
	  cmd_queue, TRUE },
	{ "report", NULL,
	  "--from DATE --to DATE [--customer NAME] [--json|--csv|--html FILE]",
	  "how the deadlines were kept (SLA report)", cmd_report, TRUE },
	{ "db", "migrate", "[--schema DIR]", "create or update the schema",
	  cmd_db_migrate, TRUE },
	{ "secret", "rotate", "",
	  "make a new secret for signed reply addresses", cmd_secret_rotate,
	  TRUE },
	{ "check-config", NULL, "[--dump] [--schema DIR]",
	  "check configuration, templates and database", cmd_check_config,
	  FALSE },
};

gboolean
tg_admin_is_command (const char *command)
{
	for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
		if (g_strcmp0 (commands[i].group, command) == 0)
			return TRUE;
	return FALSE;
}

const char *
tg_admin_usage (void)
{
	static char *usage = NULL;

	if (usage == NULL) {
		GString *out = g_string_new (NULL);

		for (gsize i = 0; i < G_N_ELEMENTS (commands); i++) {
			const Command *c = &commands[i];
			g_autofree char *head = g_strdup_printf (
				"%s%s%s", c->group, c->name ? " " : "",
				c->name ? c->name : "");

			g_string_append_printf (out, "  %-20s %s\n", head,
						c->summary);
		}
		usage = g_string_free (out, FALSE);
	}
	return usage;
}

static const Command *
find_command (const char *group, int argc, char **argv)
{
	for (gsize i = 0; i < G_N_ELEMENTS (commands); i++) {
		const Command *c = &commands[i];

		if (strcmp (c->group, group) != 0)
			continue;
		if (c->name == NULL ||
		    (argc > 1 && strcmp (c->name, argv[1]) == 0))
			return c;
	}
	return NULL;
}

/* "customer" alone, or with a word that is none of its subcommands:
 * the usage of that group's commands, not of all of them. */
static int
group_usage (const char *group, int argc, char **argv)
{
	gboolean help = argc > 1 && (strcmp (argv[1], "--help") == 0 ||
				     strcmp (argv[1], "-h") == 0);
	FILE *out = help ? stdout : stderr;

	if (help)
		;
	else if (argc > 1)
		g_printerr ("ticketgate %s: unknown subcommand \"%s\"; "
			    "one of:\n", group, argv[1]);
	else
		g_printerr ("ticketgate %s: a subcommand is required; "
			    "one of:\n", group);
	for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
		if (strcmp (commands[i].group, group) == 0)
			fprintf (out, "  ticketgate %s %s %s\n", group,
				 commands[i].name, commands[i].args);
	return help ? EX_OK : EX_USAGE;
}

static int
open_admin (Admin *a, const char *config_path, gboolean needs_db)
{
	g_autofree char *path = tg_settings_default_path (config_path);
	g_autoptr (GError) error = NULL;

	a->config = tg_settings_load (path, &error);
	if (a->config == NULL)
		return failure (error);
	if (!needs_db)
		return EX_OK;
	a->store = tg_store_connect (a->config->conninfo, "ticketgate-admin",
				     a->config->connect_timeout,
				     a->config->statement_timeout, &error);
	if (a->store == NULL)
		return failure (error);
	return EX_OK;
}

int
tg_admin_main (const char *config_path, const char *command, int argc,
	       char **argv)
{
	const Command *c = find_command (command, argc, argv);
	Admin a = { 0 };
	g_autofree char *name = NULL;
	int code;

	if (c == NULL)
		return group_usage (command, argc, argv);
	name = g_strdup_printf ("%s%s%s", c->group, c->name ? " " : "",
				c->name ? c->name : "");
	command_words = name;
	command_args = c->args;
	command_summary = c->summary;
	/* GOption wants the command words as argv[0]. */
	if (c->name != NULL) {
		argv++;
		argc--;
	}
	argv[0] = name;
	/* Help needs neither the configuration nor the database. */
	code = wants_help (argc, argv)
		? EX_OK
		: open_admin (&a, config_path, c->needs_db);
	if (code == EX_OK)
		code = c->func (&a, argc, argv);
	admin_clear (&a);
	command_words = NULL;
	return code == HELP_SHOWN ? EX_OK : code;
}
