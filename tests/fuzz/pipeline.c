/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * pipeline: one mail through parse, classify, deliver's own decisions
 * (decide.h: who wrote, the ticket, the action, the answers) and the
 * composed answers, all in memory. The fixtures stand where the
 * database's rows would; nothing imitates PostgreSQL itself, and nothing
 * here decides: that is the code deliver runs.
 */
#include "pipeline.h"

#include <string.h>

#include "address.h"
#include "authres.h"
#include "calendar.h"
#include "classify.h"
#include "command.h"
#include "compose.h"
#include "settings.h"
#include "decide.h"
#include "message.h"
#include "priority.h"
#include "reply.h"
#include "scope.h"
#include "spool.h"
#include "store.h"
#include "thread.h"
#include "trust.h"

#define SUPPORT "support@desk.example"
#define STAFF "alice@desk.example"
#define COMMENT "support-comment@desk.example"

/* A customer as the database would identify it. */
typedef struct {
	const char *address; /* a contact, or "@domain" */
	gint64 id;
	const char *name;
	const char *plan;
} Customer;

/* The Message-IDs the database holds for a ticket. */
typedef struct {
	gint64 number;
	const char *message_ids[3]; /* NULL-terminated */
} TicketIds;

static const Customer customers[] = {
	{"@acme.example", 1, "ACME Telecom", "GOLD"},
	{"jane@example.net", 2, "Example Net", "NONE"},
};

static char *cc_1001[] = {"bob@example.net", NULL};

/* Tickets as the database would return them (never freed). */
static TgTicket tickets[] = {
	{.id = 1,
	 .number = 1001,
	 .requester = "jane@example.net",
	 .requester_name = "Jane Doe",
	 .reply_address = "jane@example.net",
	 .customer_id = 2,
	 .customer_name = "Example Net",
	 .subject = "Billing export fails",
	 .status = TG_STATUS_OPEN,
	 .plan_name = "NONE",
	 .cc = cc_1001,
	 .last_message_id = "first@example.net"},
	{.id = 2,
	 .number = 1002,
	 .requester = "ops@acme.example",
	 .reply_address = "noc@acme.example",
	 .customer_id = 1,
	 .customer_name = "ACME Telecom",
	 .subject = "VPN tunnel down",
	 .status = TG_STATUS_PENDING,
	 .plan_name = "GOLD",
	 .last_message_id = "acme-1@acme.example"},
};

static const TicketIds ticket_ids[] = {
	{1001,
	 {"first@example.net",
	  "ticketgate.0123456789abcdef0123456789abcdef@desk.example", NULL}},
	{1002, {"acme-1@acme.example", NULL}},
};

struct _TgPipeline {
	TgSettings *config;
	TgCalendar *calendar;
	TgScope *scope;
	TgReplies *replies;
	GPtrArray *plans; /* TgPlan */
	GDateTime *now;
};

/* What a mail is, as deliver works it out before deciding. */
typedef struct {
	const TgMessage *msg;
	const TgSpool *spool;
	char *envelope_sender;	  /* NULL: unknown; "": the null sender */
	char *sender;		  /* NULL: nobody to answer */
	char *reply_address;	  /* nullable */
	TgAuthResult auth;	  /* what our MTA says of the From domain */
	const Customer *customer; /* nullable */
	TgWriter writer;
	const TgTicket *ticket; /* nullable: the one it threads into */
	TgCommands *commands;	/* proven staff mail only */
	gboolean refused;	/* a bad command block */
} Mail;

/* ---- fixtures ------------------------------------------------------ */

static TgPlan *
plan_new (const char *name, int minutes, gboolean email, const char *rate)
{
	TgPlan *plan = g_new0 (TgPlan, 1);

	plan->name = g_strdup (name);
	plan->reaction_minutes = minutes;
	plan->email_support = email;
	plan->hourly_rate = g_strdup (rate);
	plan->currency = g_strdup ("EUR");
	return plan;
}

static const TgPlan *
find_plan (const TgPipeline *p, const char *name)
{
	for (guint i = 0; i < p->plans->len; i++) {
		const TgPlan *plan = p->plans->pdata[i];

		if (g_strcmp0 (plan->name, name) == 0)
			return plan;
	}
	return p->plans->pdata[p->plans->len - 1];
}

static void
set_string (char **field, const char *value)
{
	g_free (*field);
	*field = g_strdup (value);
}

static TgSettings *
fixture_config (void)
{
	TgSettings *c = tg_settings_new_default ("fuzz.conf");
	const char *staff[] = {STAFF, NULL};

	set_string (&c->support_address, SUPPORT);
	set_string (&c->comment_address, COMMENT);
	set_string (&c->from_name, "Example Support");
	set_string (&c->authserv_id, "mx.desk.example");
	g_strfreev (c->staff_addresses);
	c->staff_addresses = g_strdupv ((char **)staff);
	return c;
}

static TgScope *
fixture_scope (void)
{
	TgScope *scope = tg_scope_new ();
	const char *plans[] = {"GOLD", "SILVER", "BRONZE", NULL};

	g_assert_true (tg_scope_add_rule (scope, "VPN configuration",
					  "\\bvpn\\b", NULL,
					  "is never done by us", NULL));
	g_assert_true (tg_scope_add_rule (scope, "custom development",
					  "custom (development|feature)", plans,
					  "is not in the plan", NULL));
	return scope;
}

TgPipeline *
tg_pipeline_new (const char *templates_dir, GError **error)
{
	g_autoptr (TgPipeline) p = g_new0 (TgPipeline, 1);

	p->replies = tg_replies_load (templates_dir, error);
	if (p->replies == NULL)
		return NULL;
	p->config = fixture_config ();
	p->calendar = tg_settings_new_calendar (p->config, error);
	if (p->calendar == NULL)
		return NULL;
	tg_calendar_add_holiday (p->calendar, 2026, 12, 25, "Christmas Day");
	p->scope = fixture_scope ();
	p->plans = g_ptr_array_new_with_free_func ((GDestroyNotify)tg_plan_free);
	g_ptr_array_add (p->plans, plan_new ("GOLD", 180, TRUE, NULL));
	g_ptr_array_add (p->plans, plan_new ("NONE", 0, FALSE, "50.00"));
	p->now = g_date_time_new_from_iso8601 ("2026-03-06T16:30:00Z", NULL);
	return g_steal_pointer (&p);
}

void
tg_pipeline_free (TgPipeline *p)
{
	if (p == NULL)
		return;
	g_clear_pointer (&p->config, tg_settings_free);
	g_clear_pointer (&p->calendar, tg_calendar_free);
	g_clear_pointer (&p->scope, tg_scope_free);
	g_clear_pointer (&p->replies, tg_replies_free);
	g_clear_pointer (&p->plans, g_ptr_array_unref);
	g_clear_pointer (&p->now, g_date_time_unref);
	g_free (p);
}

/* ---- what the database would answer -------------------------------- */

static const Customer *
find_customer (const char *sender)
{
	const char *at = sender != NULL ? strrchr (sender, '@') : NULL;

	for (gsize i = 0; at != NULL && i < G_N_ELEMENTS (customers); i++)
		if (g_strcmp0 (customers[i].address, sender) == 0 ||
		    g_strcmp0 (customers[i].address, at) == 0)
			return &customers[i];
	return NULL;
}

static const TgTicket *
ticket_by_number (gint64 number)
{
	for (gsize i = 0; i < G_N_ELEMENTS (tickets); i++)
		if (tickets[i].number == number)
			return &tickets[i];
	return NULL;
}

static const TgTicket *
ticket_by_message_id (const char *id)
{
	for (gsize i = 0; i < G_N_ELEMENTS (ticket_ids); i++)
		for (const char *const *m = ticket_ids[i].message_ids; *m; m++)
			if (strcmp (*m, id) == 0)
				return ticket_by_number (ticket_ids[i].number);
	return NULL;
}

/* ---- who wrote it, and which ticket it belongs to ------------------ */

static gboolean
is_own_id (const char *id, gpointer data)
{
	return tg_compose_is_own_message_id (id, data);
}

/* The candidates as deliver's lookups give them, strongest first: the
 * tickets the Message-IDs lead to (the most important id first), then
 * the subject tag's. Returns how many came from the ids. */
static guint
candidates (const TgPipeline *p, const Mail *m, GPtrArray *found)
{
	g_autoptr (GPtrArray) ids = tg_decide_thread_ids (m->msg);
	guint n_ids;
	gint64 number = 0;
	const TgTicket *tagged = NULL;

	for (guint i = ids->len;
	     i > 0 && found->len < TG_DECIDE_MAX_THREAD_TICKETS; i--) {
		const TgTicket *t = ticket_by_message_id (ids->pdata[i - 1]);

		if (t != NULL && !g_ptr_array_find (found, t, NULL))
			g_ptr_array_add (found, (gpointer)t);
	}
	n_ids = found->len;
	if (tg_thread_find_tag (m->msg->subject, p->config->subject_tag,
				&number))
		tagged = ticket_by_number (number);
	if (tagged != NULL && !g_ptr_array_find (found, tagged, NULL))
		g_ptr_array_add (found, (gpointer)tagged);
	return n_ids;
}

/* A proven staff member's command block, as deliver reads it: a bad
 * line, or #assign to someone who is not staff, refuses the mail. */
static void
read_commands (const TgPipeline *p, Mail *m)
{
	g_autoptr (GError) bad = NULL;

	m->commands = tg_commands_parse (m->msg->body_text, &bad);
	m->refused =
		m->commands == NULL ||
		(m->commands->assign != NULL &&
		 !tg_settings_is_staff_address (p->config, m->commands->assign));
}

/* Who wrote, where answers go, what our MTA says, the ticket. */
static void
identify (const TgPipeline *p, Mail *m)
{
	const TgMessage *msg = m->msg;
	g_autoptr (GPtrArray) found = g_ptr_array_new ();
	g_autofree char *domain =
		msg->from != NULL ? tg_address_domain (msg->from->addr) : NULL;
	TgThreadedBy how = TG_THREAD_NONE;
	guint n_ids;
	int i;

	tg_decide_addresses (msg, m->envelope_sender, p->config->reply_to,
			     &m->sender, &m->reply_address, NULL);
	m->customer = find_customer (m->sender);
	tg_authres_judge (msg->headers, p->config->authserv_id, domain,
			  &m->auth);
	/* A failed check makes the sender unknown, as in deliver. */
	if (m->auth.verdict == TG_AUTH_FAIL)
		m->customer = NULL;
	m->writer = (TgWriter){
		.sender = m->sender,
		.customer_id = m->customer != NULL ? m->customer->id : 0,
		.delimiters = p->config->recipient_delimiter,
		.staff_claimed =
			m->sender != NULL &&
			tg_settings_is_staff_address (p->config, m->sender),
		.staff_proof = TG_STAFF_UNPROVEN,
		.machine = tg_classify_machine (msg, m->envelope_sender,
						SUPPORT, is_own_id, SUPPORT),
	};
	if (m->writer.staff_claimed)
		m->writer.staff_proof =
			tg_trust_staff_proof (TG_TOKEN_MATCH_NONE, &m->auth);
	n_ids = candidates (p, m, found);
	i = tg_decide_thread (&m->writer, (const TgTicket *const *)found->pdata,
			      found->len, 0, n_ids, &how);
	m->ticket = i >= 0 ? found->pdata[i] : NULL;
	if (m->writer.staff_proof != TG_STAFF_UNPROVEN &&
	    m->writer.machine == TG_MACHINE_NONE)
		read_commands (p, m);
}

/* deliver's decision, on the facts the fixtures gave. */
static TgAction
decide (const TgPipeline *p, Mail *m)
{
	TgActionFacts f = {
		.ticket = m->ticket,
		.refused = m->refused,
		.internal = m->commands != NULL && m->commands->internal,
		.received_at = p->now,
		.reopen_days = p->config->reopen_days,
		.reject_unknown =
			p->config->unknown_sender == TG_UNKNOWN_SENDER_REJECT,
	};
	TgDecision d = tg_decide_action (&m->writer, &f);

	if (d.follows)
		m->ticket = NULL;
	return d.action;
}

/* ---- the answers --------------------------------------------------- */

/* An answer must parse again, come from us and name its ticket. */
static void
check_answer (const TgPipeline *p, const TgReply *reply, gint64 number,
	      const TgSpool *original, TgPipelineResult *result)
{
	gsize len = 0;
	g_autoptr (GError) error = NULL;
	TgComposeWords words = tg_replies_compose_words (p->replies);
	/* As the sender makes it whole from the stored mail. */
	g_autoptr (GBytes) whole =
		reply->encloses
			? tg_compose_enclose (reply->content, original,
					      p->config->attachment_limit,
					      &words, &error)
			: g_bytes_ref (reply->content);
	const void *data = NULL;
	g_autoptr (TgSpool) spool = NULL;
	g_autoptr (TgMessage) again = NULL;
	gint64 tagged = 0;

	/* The mail is in memory: nothing can fail to be read. */
	if (whole == NULL)
		g_error ("a notification was not made whole: %s",
			 error->message);
	data = g_bytes_get_data (whole, &len);
	spool = tg_spool_new_from_data (data, len);
	again = tg_message_parse (spool, &error);
	if (again == NULL)
		g_error ("an answer does not parse: %s", error->message);
	if (again->from == NULL || strcmp (again->from->addr, SUPPORT) != 0)
		g_error ("an answer is not from %s", SUPPORT);
	if (number != 0 &&
	    (!tg_thread_find_tag (again->subject, p->config->subject_tag,
				  &tagged) ||
	     tagged != number))
		g_error ("an answer about #%" G_GINT64_FORMAT
			 " lost its tag: \"%s\"",
			 number, again->subject);
	result->answers++;
	result->answer_bytes += len;
}

static TgReplyFacts
base_facts (const TgPipeline *p, const Mail *m, TgReplyKind kind,
	    const char *subject)
{
	const TgMessage *msg = m->msg;
	TgReplyMail mail = {
		.msg = msg,
		.sender = m->sender,
		.reply_address = m->reply_address,
		.customer = m->customer != NULL ? m->customer->name : NULL,
		.unknown_sender = m->customer == NULL,
		.priority = tg_priority_from_headers (
			tg_message_get_header (msg, "X-Priority"),
			tg_message_get_header (msg, "Importance"),
			tg_message_get_header (msg, "Priority")),
		.received_at = p->now,
	};
	TgReplyFacts f = tg_reply_facts_for (p->config, kind, subject, &mail);

	f.calendar = p->calendar;
	f.status = "new";
	return f;
}

static void
build (const TgPipeline *p, const Mail *m, TgReplyFacts *f,
       TgPipelineResult *result)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (TgReply) reply = tg_replies_build (p->replies, f, &error);

	if (reply == NULL)
		g_error ("an answer was not composed: %s", error->message);
	check_answer (p, reply, f->ticket_number, m->spool, result);
}

/* Every mail but a staff reply reaches the staff address, as it came. */
static void
notify (const TgPipeline *p, const Mail *m, TgReplyFacts *f, const char *event,
	TgPipelineResult *result)
{
	const char *more[] = {NULL};

	f->kind = TG_REPLY_NOTIFY;
	f->to_name = NULL;
	f->to_address = STAFF;
	f->to_more = more;
	f->from_name = "Someone via Example Support";
	f->event = event;
	build (p, m, f, result);
}

static void
new_ticket (const TgPipeline *p, const Mail *m, guint answers,
	    TgPipelineResult *result)
{
	const TgPlan *plan =
		find_plan (p, m->customer != NULL ? m->customer->plan : "NONE");
	g_autofree char *subject = tg_thread_clean_subject (
		m->msg->subject, p->config->subject_tag);
	g_autoptr (GArray) flags = tg_scope_match (
		p->scope, plan->name, m->msg->subject, m->msg->body_text);
	g_autoptr (GDateTime) deadline = NULL;
	TgReplyFacts f = base_facts (
		p, m, plan->email_support ? TG_REPLY_ACK : TG_REPLY_ACK_PAID,
		subject);

	if (plan->email_support && plan->reaction_minutes > 0)
		deadline = tg_calendar_deadline (p->calendar, p->now,
						 plan->reaction_minutes);
	f.ticket_number = 1003;
	f.plan = plan;
	f.deadline = deadline;
	f.scope = flags;
	if (answers & TG_ANSWER_ACK)
		build (p, m, &f, result);
	if (answers & TG_ANSWER_NOTIFY)
		notify (p, m, &f, "New ticket", result);
	result->ticket_number = f.ticket_number;
}

/* The facts of the ticket a mail threads into. */
static TgReplyFacts
ticket_facts (const TgPipeline *p, const Mail *m, const char *subject)
{
	const TgTicket *t = m->ticket;
	TgReplyFacts f = base_facts (p, m, TG_REPLY_NOTIFY, subject);

	f.ticket_number = t->number;
	f.plan = find_plan (p, t->plan_name);
	f.customer = t->customer_name;
	f.requester_address = t->requester;
	f.status = tg_status_name (t->status);
	f.cc = (const char *const *)t->cc;
	return f;
}

static void
relay (const TgPipeline *p, const Mail *m, TgPipelineResult *result)
{
	const TgTicket *t = m->ticket;
	g_autofree char *subject = g_strdup_printf ("Re: %s", t->subject);
	TgReplyFacts f = ticket_facts (p, m, subject);
	g_autoptr (TgReply) reply = NULL;
	g_autoptr (GError) error = NULL;

	f.to_name = t->requester_name;
	f.to_address = t->requester;
	f.to_more = (const char *const *)t->cc;
	f.from_name = "Alice (Example Support)";
	f.in_reply_to = t->last_message_id;
	reply = tg_replies_build_relay (
		p->replies, &f, m->spool, (const char *const *)m->commands->lines->pdata,
		subject, &error);
	if (reply == NULL)
		g_error ("a relay was not composed: %s", error->message);
	check_answer (p, reply, t->number, m->spool, result);
}

/* The notice that tells staff why a staff mail went nowhere. */
static void
notice (const TgPipeline *p, const Mail *m, TgAction action,
	TgPipelineResult *result)
{
	TgReplyFacts f =
		base_facts (p, m, TG_REPLY_STAFF_NOTICE, m->msg->subject);

	f.to_address = action == TG_ACTION_STAFF_HELD ? STAFF : m->sender;
	f.to_name = NULL;
	f.ticket_number = m->ticket != NULL ? m->ticket->number : 0;
	f.notice = tg_action_name (action);
	build (p, m, &f, result);
}

static const char *
event_of (TgAction action)
{
	switch (action) {
	case TG_ACTION_COMMENT:
		return "Internal comment";
	case TG_ACTION_MACHINE:
		return "Automatic mail (not answered)";
	default:
		return "Customer follow-up";
	}
}

/* The answers deliver's decision gives, composed from the templates. */
static void
answer (const TgPipeline *p, const Mail *m, TgAction action,
	TgPipelineResult *result)
{
	TgAnswerFacts facts = {
		.may_answer =
			m->reply_address != NULL &&
			!tg_decide_is_own_address (p->config, m->reply_address),
		.ack_followups = p->config->ack_followups,
		.has_sender = m->sender != NULL,
		.has_ticket = m->ticket != NULL,
		.machine_own = m->writer.machine == TG_MACHINE_OWN,
		/* The fixtures hold no earlier notice about a ticket. */
		.machine_noticed = FALSE,
	};
	guint answers = tg_decide_answers (action, &facts);
	TgReplyFacts f;

	if (action == TG_ACTION_NEW_TICKET) {
		new_ticket (p, m, answers, result);
		return;
	}
	result->ticket_number = m->ticket != NULL ? m->ticket->number : 0;
	if (answers & TG_ANSWER_ACK) {
		f = ticket_facts (p, m, m->ticket->subject);
		f.kind = m->ticket->billable ? TG_REPLY_ACK_PAID : TG_REPLY_ACK;
		build (p, m, &f, result);
	}
	if (answers & TG_ANSWER_NOTIFY) {
		f = ticket_facts (p, m, m->ticket->subject);
		notify (p, m, &f, event_of (action), result);
	}
	if (answers & TG_ANSWER_RELAY)
		relay (p, m, result);
	if (answers & (TG_ANSWER_NOTICE_WRITER | TG_ANSWER_NOTICE_STAFF))
		notice (p, m, action, result);
	if (answers & TG_ANSWER_REJECT) {
		f = base_facts (p, m, TG_REPLY_REJECT_UNKNOWN, m->msg->subject);
		f.plan = find_plan (p, p->config->fallback_plan);
		build (p, m, &f, result);
	}
}

/* ---- the path ------------------------------------------------------ */

/*
 * The envelope sender, as Postfix records it in Return-Path: "" for the
 * null sender; without one, the From address, as with most mail.
 * (transfer full) (nullable)
 */
static char *
envelope_for (const TgMessage *msg)
{
	const char *path = tg_message_get_header (msg, "Return-Path");
	g_autoptr (TgAddress) addr = NULL;

	if (path == NULL)
		return msg->from != NULL ? g_strdup (msg->from->addr) : NULL;
	addr = tg_message_parse_address (path);
	return g_strdup (addr != NULL ? addr->addr : "");
}

void
tg_pipeline_run (TgPipeline *p, const guint8 *data, gsize len,
		 TgPipelineResult *result_out)
{
	g_autoptr (TgSpool) spool = tg_spool_new_from_data (data, len);
	g_autoptr (GError) error = NULL;
	g_autoptr (TgMessage) msg = tg_message_parse (spool, &error);
	Mail m = {.spool = spool};
	TgPipelineResult result = {0};
	TgAction action;

	if (msg == NULL)
		g_error ("a mail in memory does not parse: %s", error->message);
	m.msg = msg;
	m.envelope_sender = envelope_for (msg);
	identify (p, &m);
	action = decide (p, &m);
	result.action = tg_action_name (action);
	answer (p, &m, action, &result);
	tg_authres_clear (&m.auth);
	g_free (m.envelope_sender);
	g_free (m.sender);
	g_free (m.reply_address);
	tg_commands_free (m.commands);
	if (result_out != NULL)
		*result_out = result;
}

void
tg_pipeline_fatal_logs (void)
{
	g_log_set_always_fatal (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL |
				G_LOG_LEVEL_WARNING);
}
