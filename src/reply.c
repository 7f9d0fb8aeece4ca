/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * reply: turns the facts of a new ticket into the acknowledgment the
 * customer reads: template values, dates written the same way in every
 * locale, the deadline explained, then the MIME mail through compose.
 * No database and no GMime here.
 */
#include "reply.h"

#include <string.h>

#include "compose.h"
#include "scope.h"
#include "staffblock.h"
#include "template.h"
#include "thread.h"

G_DEFINE_QUARK (tg-reply-error-quark, tg_reply_error)

const char *const tg_reply_placeholders[] = {
	"ticket_number", "tag", "subject", "customer", "requester", "plan",
	"priority",
	"reaction_time", "deadline", "deadline_iso", "deadline_note",
	"received", "received_iso", "hourly_rate", "support_hours",
	"support_address", "from_name", "scope_note", "event",
	"requester_address", "status", "assignee", "cc", "scope_topics",
	"follows", "notice", "warnings", "time_left", "day", "queue",
	"queue_count", "late", "paid_reason", NULL,
};

static const char *const template_files[TG_REPLY_N_KINDS] = {
	[TG_REPLY_ACK] = "ack.txt",
	[TG_REPLY_ACK_PAID] = "ack-paid.txt",
	[TG_REPLY_REJECT_UNKNOWN] = "reject-unknown.txt",
	[TG_REPLY_NOTIFY] = "notify.txt",
	[TG_REPLY_STAFF_NOTICE] = "staff-notice.txt",
	[TG_REPLY_WARN] = "warn.txt",
	[TG_REPLY_BREACH] = "breach.txt",
	[TG_REPLY_DAILY] = "daily.txt",
};

struct _TgReplies {
	TgTemplate *templates[TG_REPLY_N_KINDS];
};

static const char *const weekdays[] = {
	"", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
	"Saturday", "Sunday",
};
static const char *const months[] = {
	"", "January", "February", "March", "April", "May", "June", "July",
	"August", "September", "October", "November", "December",
};

/* A template's headers are checked against the reserved list once, at
 * load time, with an empty rendering. */
static gboolean
check_headers (const TgTemplate *tmpl, GError **error)
{
	g_autoptr (TgRendered) r = tg_template_render (tmpl, NULL);

	if (tg_rendered_get_header (r, "Subject") == NULL) {
		g_set_error (error, TG_REPLY_ERROR, TG_REPLY_ERROR_INVALID,
			     "%s: no Subject: header",
			     tg_template_get_name (tmpl));
		return FALSE;
	}
	for (guint i = 0; i < r->header_names->len; i++) {
		const char *name = r->header_names->pdata[i];

		if (g_ascii_strcasecmp (name, "Subject") == 0)
			continue;
		for (int k = 0; tg_compose_reserved_headers[k] != NULL; k++)
			if (g_ascii_strcasecmp (name,
						tg_compose_reserved_headers[k]) ==
			    0) {
				g_set_error (error, TG_REPLY_ERROR,
					     TG_REPLY_ERROR_INVALID,
					     "%s: header %s is set by "
					     "ticketgate, not by templates",
					     tg_template_get_name (tmpl), name);
				return FALSE;
			}
	}
	return TRUE;
}

TgReplies *
tg_replies_load (const char *directory, GError **error)
{
	g_autoptr (TgReplies) replies = g_new0 (TgReplies, 1);

	g_return_val_if_fail (directory != NULL, NULL);
	for (int k = 0; k < TG_REPLY_N_KINDS; k++) {
		g_autofree char *path =
			g_build_filename (directory, template_files[k], NULL);

		replies->templates[k] =
			tg_template_load (path, tg_reply_placeholders, error);
		if (replies->templates[k] == NULL ||
		    !check_headers (replies->templates[k], error))
			return NULL;
	}
	return g_steal_pointer (&replies);
}

void
tg_replies_free (TgReplies *replies)
{
	if (replies == NULL)
		return;
	for (int k = 0; k < TG_REPLY_N_KINDS; k++)
		g_clear_pointer (&replies->templates[k], tg_template_free);
	g_free (replies);
}

char *
tg_reply_format_time (const TgCalendar *calendar, GDateTime *t)
{
	g_autoptr (GDateTime) local = NULL;
	g_autofree char *offset = NULL;

	g_return_val_if_fail (calendar != NULL && t != NULL, NULL);
	local = g_date_time_to_timezone (
		t, tg_calendar_get_timezone (calendar));
	offset = g_date_time_format (local, "%:z");
	return g_strdup_printf ("%s, %d %s %d, %02d:%02d (UTC%s)",
				weekdays[g_date_time_get_day_of_week (local)],
				g_date_time_get_day_of_month (local),
				months[g_date_time_get_month (local)],
				g_date_time_get_year (local),
				g_date_time_get_hour (local),
				g_date_time_get_minute (local), offset);
}

char *
tg_reply_format_day (const GDate *day)
{
	g_return_val_if_fail (day != NULL && g_date_valid (day), NULL);
	return g_strdup_printf ("%s, %d %s %d",
				weekdays[g_date_get_weekday (day)],
				g_date_get_day (day),
				months[g_date_get_month (day)],
				g_date_get_year (day));
}

char *
tg_reply_format_short (const TgCalendar *calendar, GDateTime *t)
{
	g_autoptr (GDateTime) local = NULL;

	g_return_val_if_fail (calendar != NULL, NULL);
	if (t == NULL)
		return g_strdup ("-");
	local = g_date_time_to_timezone (
		t, tg_calendar_get_timezone (calendar));
	return g_strdup_printf ("%.3s %d %.3s %02d:%02d",
				weekdays[g_date_time_get_day_of_week (local)],
				g_date_time_get_day_of_month (local),
				months[g_date_time_get_month (local)],
				g_date_time_get_hour (local),
				g_date_time_get_minute (local));
}

static GDateTime *
to_local (const TgCalendar *calendar, GDateTime *t)
{
	return g_date_time_to_timezone (t, tg_calendar_get_timezone (calendar));
}

static gboolean
same_day (GDateTime *a, GDateTime *b)
{
	return g_date_time_get_year (a) == g_date_time_get_year (b) &&
	       g_date_time_get_day_of_year (a) ==
		       g_date_time_get_day_of_year (b);
}

/* "Friday 25 December is a public holiday (Christmas) and is not
 * counted." for each holiday from @from to @to, local dates. */
static void
note_holidays (const TgCalendar *cal, GDateTime *from, GDateTime *to,
	       GString *out)
{
	g_autoptr (GDateTime) day = g_date_time_ref (from);

	for (int i = 0; i < 366 && g_date_time_compare (day, to) <= 0; i++) {
		int y, m, d;
		const char *name;
		GDateTime *next;

		g_date_time_get_ymd (day, &y, &m, &d);
		name = tg_calendar_holiday_name (cal, y, m, d);
		if (name != NULL)
			g_string_append_printf (
				out, "%s%s %d %s is a public holiday%s%s%s "
				     "and is not counted.",
				out->len ? " " : "",
				weekdays[g_date_time_get_day_of_week (day)], d,
				months[m], *name ? " (" : "", name,
				*name ? ")" : "");
		next = g_date_time_add_days (day, 1);
		g_date_time_unref (day);
		day = next;
	}
}

char *
tg_reply_deadline_note (const TgCalendar *calendar, GDateTime *received_at,
			GDateTime *deadline)
{
	g_autoptr (GDateTime) start = NULL;
	g_autoptr (GDateTime) local_start = NULL;
	g_autoptr (GDateTime) local_received = NULL;
	g_autoptr (GDateTime) local_due = NULL;
	GString *out = g_string_new (NULL);

	g_return_val_if_fail (calendar != NULL && received_at != NULL, NULL);
	if (deadline == NULL)
		return g_string_free (out, FALSE);
	start = tg_calendar_clock_start (calendar, received_at);
	if (start == NULL)
		return g_string_free (out, FALSE);
	local_start = to_local (calendar, start);
	local_received = to_local (calendar, received_at);
	local_due = to_local (calendar, deadline);
	if (g_date_time_compare (start, received_at) > 0) {
		g_autofree char *when = tg_reply_format_time (calendar, start);

		g_string_append_printf (out,
					"Your mail arrived outside our working "
					"hours, so the reaction time counts "
					"from %s.",
					when);
	}
	if (!same_day (local_start, local_due))
		g_string_append_printf (out,
					"%sThe working day ends before the "
					"reaction time is used up, so the rest "
					"carries over to %s.",
					out->len ? " " : "",
					weekdays[g_date_time_get_day_of_week (
						local_due)]);
	note_holidays (calendar, local_received, local_due, out);
	return g_string_free (out, FALSE);
}

static char *
format_minutes (int minutes)
{
	if (minutes % 60 == 0)
		return g_strdup_printf ("%d working hour%s", minutes / 60,
					minutes == 60 ? "" : "s");
	return g_strdup_printf ("%d working minutes", minutes);
}

/* "50.00" "EUR" -> "50 EUR"; "49.50" stays. */
static char *
format_rate (const TgPlan *plan)
{
	g_autofree char *amount = NULL;

	if (plan == NULL || plan->hourly_rate == NULL)
		return g_strdup ("");
	amount = g_strdup (plan->hourly_rate);
	if (g_str_has_suffix (amount, ".00"))
		amount[strlen (amount) - 3] = '\0';
	return g_strdup_printf ("%s %s", amount,
				plan->currency ? plan->currency : "");
}

static char *
scope_note (const GArray *scope)
{
	GString *out = g_string_new (NULL);

	if (scope == NULL || scope->len == 0)
		return g_string_free (out, FALSE);
	g_string_append (out, "Please note: your request may concern ");
	for (guint i = 0; i < scope->len; i++) {
		const TgScopeMatch *m = &g_array_index (scope, TgScopeMatch, i);

		g_string_append_printf (out, "%s%s, which %s",
					i == 0 ? "" : "; and ", m->topic,
					m->rule);
	}
	g_string_append (out, ". We will tell you before doing any work "
			      "that your plan does not cover.");
	return g_string_free (out, FALSE);
}

/*
 * Why a request is paid support. Someone we do not know may not be a
 * customer at all (asking whether licences are for sale): telling them
 * their licence lacks a plan would be wrong, and billing a question
 * about buying would be absurd.
 */
static char *
paid_reason (const TgReplyFacts *f, const char *rate)
{
	if (f->unknown_sender)
		return g_strdup_printf (
			"We found no licence or support plan for your address. "
			"Questions about our products, licences and plans cost "
			"nothing: we simply answer them. Technical help without "
			"a support plan is paid support, billed at %s per hour "
			"of work, and we cannot promise a reaction time.",
			rate);
	return g_strdup_printf (
		"Your licence does not include a support plan with e-mail "
		"support (%s), so we handle this request as paid support, "
		"billed at %s per hour of work. We cannot promise a reaction "
		"time.", f->plan ? f->plan->name : "no support plan", rate);
}

/* Fills a paragraph to WRAP_COLUMNS, breaking at spaces; takes @text. */
#define WRAP_COLUMNS 72

static char *
wrap (char *text)
{
	g_auto (GStrv) words = g_strsplit (text, " ", -1);
	GString *out = g_string_new (NULL);
	glong column = 0;

	for (char **w = words; *w != NULL; w++) {
		glong len = g_utf8_strlen (*w, -1);

		if (**w == '\0')
			continue;
		if (column > 0 && column + 1 + len > WRAP_COLUMNS) {
			g_string_append_c (out, '\n');
			column = 0;
		} else if (column > 0) {
			g_string_append_c (out, ' ');
			column++;
		}
		g_string_append (out, *w);
		column += len;
	}
	g_free (text);
	return g_string_free (out, FALSE);
}

static void
put (GHashTable *values, const char *key, char *value)
{
	g_hash_table_insert (values, (gpointer) key, value ? value : g_strdup (""));
}

#define ISO_FORMAT "%Y-%m-%dT%H:%M:%S%:z"

static void
put_times (GHashTable *values, const TgReplyFacts *f)
{
	const TgCalendar *cal = f->calendar;
	g_autoptr (GDateTime) local_received = to_local (cal, f->received_at);

	/* Both _iso values in the desk's zone and with a full offset, as
	 * RFC 3339 has it (g_date_time_format_iso8601() writes "+02"). */
	put (values, "received", tg_reply_format_time (cal, f->received_at));
	put (values, "received_iso",
	     g_date_time_format (local_received, ISO_FORMAT));
	if (f->deadline != NULL) {
		g_autoptr (GDateTime) local = to_local (cal, f->deadline);

		put (values, "deadline", tg_reply_format_time (cal, f->deadline));
		put (values, "deadline_iso", g_date_time_format (local, ISO_FORMAT));
		put (values, "deadline_note",
		     wrap (tg_reply_deadline_note (cal, f->received_at,
						   f->deadline)));
	} else {
		put (values, "deadline", g_strdup ("none promised"));
		put (values, "deadline_iso", NULL);
		put (values, "deadline_note", NULL);
	}
}

static char *
scope_topics (const GArray *scope)
{
	GString *out = g_string_new (NULL);

	for (guint i = 0; scope != NULL && i < scope->len; i++)
		g_string_append_printf (out, "%s%s", i ? ", " : "",
					g_array_index (scope, TgScopeMatch, i)
						.topic);
	return g_string_free (out, FALSE);
}

/* Each warning as a paragraph starting "Warning: ", wrapped. */
static char *
warnings_text (const TgReplyFacts *f)
{
	GString *out = g_string_new (NULL);

	for (guint i = 0; f->warnings != NULL && i < f->n_warnings; i++) {
		g_autofree char *para = wrap (
			g_strdup_printf ("Warning: %s", f->warnings[i]));

		g_string_append_printf (out, "%s%s", out->len ? "\n\n" : "",
					para);
	}
	return g_string_free (out, FALSE);
}

/* What only staff see; "-" where a field has nothing, so the header
 * block keeps its shape. */
static void
put_staff_values (GHashTable *values, const TgReplyFacts *f)
{
	g_autofree char *topics = scope_topics (f->scope);
	g_autofree char *cc = f->cc != NULL && f->cc[0] != NULL
		? g_strjoinv (", ", (char **) f->cc)
		: NULL;

	put (values, "event", g_strdup (f->event ? f->event : ""));
	put (values, "requester_address", g_strdup (f->requester_address));
	put (values, "status", g_strdup (f->status ? f->status : "new"));
	put (values, "assignee", g_strdup (f->assignee ? f->assignee : "-"));
	put (values, "cc", g_strdup (cc ? cc : "-"));
	put (values, "scope_topics", g_strdup (*topics ? topics : "-"));
	put (values, "follows",
	     f->follows_number ? g_strdup_printf ("#%" G_GINT64_FORMAT,
						  f->follows_number)
			       : g_strdup ("-"));
	put (values, "notice", g_strdup (f->notice ? f->notice : ""));
	put (values, "warnings", warnings_text (f));
	put (values, "time_left", g_strdup (f->time_left));
	put (values, "day", g_strdup (f->day));
	put (values, "queue", g_strdup (f->queue));
	put (values, "queue_count", g_strdup_printf ("%u", f->queue_count));
	put (values, "late", g_strdup (f->late));
}

static GHashTable *
placeholder_values (const TgReplyFacts *f)
{
	GHashTable *values =
		g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
	const TgPlan *plan = f->plan;

	put (values, "ticket_number",
	     f->ticket_number ? g_strdup_printf ("%" G_GINT64_FORMAT,
						 f->ticket_number)
			      : NULL);
	put (values, "tag",
	     f->ticket_number ? tg_thread_format_tag (f->config->subject_tag,
						      f->ticket_number)
			      : NULL);
	put (values, "subject", g_strdup (f->subject));
	put (values, "customer", g_strdup (f->customer));
	put (values, "requester", g_strdup (f->requester));
	put (values, "plan", g_strdup (plan ? plan->name : "no support plan"));
	put (values, "priority",
	     g_strdup (f->priority ? tg_priority_to_string (f->priority)
				   : "-"));
	put (values, "reaction_time",
	     plan && plan->email_support && plan->reaction_minutes > 0
		     ? format_minutes (plan->reaction_minutes)
		     : g_strdup ("none"));
	put_times (values, f);
	put (values, "hourly_rate", format_rate (plan));
	put (values, "paid_reason",
	     wrap (paid_reason (f, g_hash_table_lookup (values,
							"hourly_rate"))));
	put (values, "support_hours", tg_calendar_describe_hours (f->calendar));
	put (values, "support_address", g_strdup (f->config->support_address));
	put (values, "from_name", g_strdup (f->config->from_name));
	put (values, "scope_note", wrap (scope_note (f->scope)));
	put_staff_values (values, f);
	return values;
}

static TgMailSpec
mail_spec (const TgReplyFacts *f, const char *subject, const char *message_id,
	   GDateTime *now)
{
	TgMailSpec spec = {
		.from_name = f->from_name ? f->from_name : f->config->from_name,
		.from_address = f->config->support_address,
		.to_name = f->to_name,
		.to_address = f->to_address,
		.to_more = f->to_more,
		.subject = subject,
		.message_id = message_id,
		.in_reply_to = f->in_reply_to,
		.references = f->references,
		.reply_to = f->reply_to,
		.loop_value = f->config->support_address,
		.ticket_number = f->ticket_number,
		.date = now,
	};

	return spec;
}

static GBytes *
compose (const TgReplyFacts *f, const TgRendered *r, const char *subject,
	 const char *message_id, GError **error)
{
	g_autoptr (GDateTime) now =
		g_date_time_new_now (tg_calendar_get_timezone (f->calendar));
	TgMailSpec spec = mail_spec (f, subject, message_id, now);

	spec.body = r->body;
	spec.header_names = r->header_names;
	spec.header_values = r->header_values;
	if (f->kind == TG_REPLY_WARN || f->kind == TG_REPLY_BREACH ||
	    f->kind == TG_REPLY_DAILY) {
		/* Not an answer to anyone's mail: RFC 3834 auto-generated. */
		spec.auto_generated = TRUE;
		return tg_compose_text_mail (&spec, error);
	}
	if (f->kind != TG_REPLY_NOTIFY) {
		spec.auto_replied = TRUE;
		return tg_compose_text_mail (&spec, error);
	}
	/* Staff answer notifications with a plain Reply: it must come back
	 * to the desk (to the address signed for the ticket), not to the
	 * customer. */
	if (spec.reply_to == NULL)
		spec.reply_to = f->config->support_address;
	spec.auto_generated = TRUE;
	return tg_compose_notification (&spec, error);
}

TgReplyFacts
tg_reply_facts_for (const TgSettings *config, TgReplyKind kind,
		    const char *subject, const TgReplyMail *mail)
{
	const TgMessage *msg = mail->msg;
	TgReplyFacts f = {
		.kind = kind,
		.config = config,
		.subject = subject,
		.customer = mail->customer,
		.unknown_sender = mail->unknown_sender,
		.priority = mail->priority,
		.received_at = mail->received_at,
		.to_address = mail->reply_address,
		.in_reply_to = msg->message_id,
		.references = msg->references,
		.requester_address = mail->sender,
		.attachment_limit = config->attachment_limit,
	};

	if (msg->from != NULL &&
	    g_strcmp0 (mail->reply_address, mail->sender) == 0)
		f.to_name = msg->from->name;
	f.requester = msg->from != NULL && msg->from->name != NULL
			      ? msg->from->name
			      : mail->sender;
	if (f.customer == NULL)
		f.customer = f.requester;
	return f;
}

void
tg_reply_set_ticket (TgReplyFacts *f, const TgTicket *t, TgPlan *plan,
		     GArray *scope)
{
	g_return_if_fail (f != NULL && t != NULL && plan != NULL);
	*plan = (TgPlan){ .name = t->plan_name,
			  .reaction_minutes = t->reaction_minutes,
			  .email_support = !t->billable,
			  .hourly_rate = t->hourly_rate,
			  .currency = t->currency };
	for (char **s = t->scope_flags; scope != NULL && s && *s; s++) {
		TgScopeMatch m = { *s, "" };

		g_array_append_val (scope, m);
	}
	f->subject = t->subject;
	f->ticket_number = t->number;
	f->plan = t->plan_name ? plan : NULL;
	f->deadline = t->response_due_at;
	f->priority = t->priority;
	f->customer = t->customer_name ? t->customer_name
		    : t->requester_name ? t->requester_name
					: t->requester;
	f->requester_address = t->requester;
	f->status = t->status;
	f->assignee = t->assignee;
	f->cc = (const char *const *) t->cc;
	f->scope = scope;
	f->follows_number = t->follows_number;
}

/* Mail to staff, whose text a relay must never pass on: a staff reply
 * that quotes it loses it (staffblock.h). */
static gboolean
is_for_staff (TgReplyKind kind)
{
	return kind == TG_REPLY_NOTIFY || kind == TG_REPLY_STAFF_NOTICE ||
	       kind == TG_REPLY_WARN || kind == TG_REPLY_BREACH ||
	       kind == TG_REPLY_DAILY;
}

TgReply *
tg_replies_build (const TgReplies *replies, const TgReplyFacts *f,
		  GError **error)
{
	g_autoptr (GHashTable) values = NULL;
	g_autoptr (TgRendered) r = NULL;
	g_autoptr (TgReply) reply = NULL;
	const char *subject;

	g_return_val_if_fail (replies != NULL && f != NULL, NULL);
	g_return_val_if_fail ((guint) f->kind < TG_REPLY_N_KINDS, NULL);
	values = placeholder_values (f);
	r = tg_template_render (replies->templates[f->kind], values);
	if (is_for_staff (f->kind)) {
		char *wrapped = tg_staff_block_wrap (r->body);

		g_free (r->body);
		r->body = wrapped;
	}
	subject = tg_rendered_get_header (r, "Subject");
	reply = g_new0 (TgReply, 1);
	reply->message_id =
		tg_compose_new_message_id (f->config->support_address);
	reply->subject = f->ticket_number
		? tg_thread_add_tag (subject, f->config->subject_tag,
				     f->ticket_number)
		: g_strdup (subject);
	reply->body = g_strdup (r->body);
	reply->content = compose (f, r, reply->subject, reply->message_id,
				  error);
	if (reply->content == NULL)
		return NULL;
	reply->encloses = f->kind == TG_REPLY_NOTIFY;
	return g_steal_pointer (&reply);
}

TgReply *
tg_replies_build_relay (const TgReplyFacts *f, const TgSpool *staff_mail,
			const char *const *strip_lines, const char *subject,
			GError **error)
{
	g_autoptr (GDateTime) now = NULL;
	g_autoptr (TgReply) reply = NULL;
	TgMailSpec spec;

	g_return_val_if_fail (f != NULL && staff_mail != NULL, NULL);
	now = g_date_time_new_now (tg_calendar_get_timezone (f->calendar));
	reply = g_new0 (TgReply, 1);
	reply->message_id =
		tg_compose_new_message_id (f->config->support_address);
	reply->subject = tg_thread_add_tag (subject, f->config->subject_tag,
					    f->ticket_number);
	spec = mail_spec (f, reply->subject, reply->message_id, now);
	reply->content = tg_compose_relay (&spec, staff_mail, strip_lines,
					   f->attachment_limit,
					   &reply->body, error);
	if (reply->content == NULL)
		return NULL;
	return g_steal_pointer (&reply);
}

void
tg_reply_free (TgReply *reply)
{
	if (reply == NULL)
		return;
	g_free (reply->message_id);
	g_free (reply->subject);
	g_free (reply->body);
	g_clear_pointer (&reply->content, g_bytes_unref);
	g_free (reply);
}
