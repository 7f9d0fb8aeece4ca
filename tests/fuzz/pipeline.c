/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * pipeline: one mail through parse, classify, the threading rules, a
 * decision and the composed answers, all in memory. The fixtures stand
 * where the database's rows would; nothing imitates PostgreSQL itself.
 * decide() is the one place that chooses the ticket and the action.
 */
#include "pipeline.h"

#include <string.h>

#include "address.h"
#include "authres.h"
#include "calendar.h"
#include "classify.h"
#include "command.h"
#include "compose.h"
#include "config.h"
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
/* As deliver.c: the References taken into account when threading. */
#define MAX_THREAD_IDS 50

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
	 .status = "open",
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
	 .status = "pending",
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
	TgConfig *config;
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
	char *envelope_sender;	/* NULL: unknown; "": the null sender */
	char *sender;		/* NULL: nobody to answer */
	char *reply_address;	/* nullable */
	gboolean staff_claimed; /* from a staff address */
	TgAuthResult auth;	/* what our MTA says of the From domain */
	TgStaffProof staff_proof;
	const Customer *customer; /* nullable */
	TgMachineReason machine;
	const TgTicket *ticket; /* nullable: the one it threads into */
	TgCommands *commands;	/* staff mail only */
	gboolean refused;	/* a bad command block */
} Mail;

typedef enum {
	DO_NEW_TICKET,
	DO_FOLLOW_UP,
	DO_STAFF_REPLY,
	DO_COMMENT,
	DO_STAFF_HELD,
	DO_MACHINE,
	DO_REJECTED,
} Action;

static const char *const action_names[] = {
	"new-ticket", "follow-up", "staff-reply", "comment",
	"staff-held", "machine",   "rejected",
};

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

static void
plan_free (TgPlan *plan)
{
	g_free (plan->name);
	g_free (plan->hourly_rate);
	g_free (plan->currency);
	g_free (plan->description);
	g_free (plan);
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

static TgConfig *
fixture_config (void)
{
	TgConfig *c = tg_config_new_default ("fuzz.conf");
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
	p->calendar = tg_config_new_calendar (p->config, error);
	if (p->calendar == NULL)
		return NULL;
	tg_calendar_add_holiday (p->calendar, 2026, 12, 25, "Christmas Day");
	p->scope = fixture_scope ();
	p->plans = g_ptr_array_new_with_free_func ((GDestroyNotify)plan_free);
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
	g_clear_pointer (&p->config, tg_config_free);
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

/* Whether the mail may join @t: from proven staff, or from one of its
 * people (deliver's may_write, without reply-address tokens). */
static gboolean
may_write (const TgPipeline *p, const Mail *m, const TgTicket *t)
{
	if (m->staff_claimed)
		return m->staff_proof != TG_STAFF_UNPROVEN;
	return tg_trust_is_ticket_person (
		t, m->sender, m->customer != NULL ? m->customer->id : 0,
		p->config->recipient_delimiter);
}

/* The candidates, strongest first: the tickets its Message-IDs lead to
 * (the last id first), then the subject tag's; the first it may write
 * to wins, and machine mail joins the ticket of its ids. */
static const TgTicket *
thread_mail (const TgPipeline *p, const Mail *m)
{
	g_autoptr (GPtrArray) ids = tg_thread_candidate_ids (
		m->msg->in_reply_to, m->msg->references, MAX_THREAD_IDS);
	g_autoptr (GPtrArray) found = g_ptr_array_new ();
	guint n_ids = 0;
	gint64 number = 0;

	if (m->msg->dsn != NULL && m->msg->dsn->original_message_id != NULL)
		g_ptr_array_add (ids,
				 g_strdup (m->msg->dsn->original_message_id));
	for (guint i = ids->len; i > 0; i--) {
		const TgTicket *t = ticket_by_message_id (ids->pdata[i - 1]);

		if (t != NULL && !g_ptr_array_find (found, t, NULL))
			g_ptr_array_add (found, (gpointer)t);
	}
	n_ids = found->len;
	if (tg_thread_find_tag (m->msg->subject, p->config->subject_tag,
				&number) &&
	    ticket_by_number (number) != NULL &&
	    !g_ptr_array_find (found, ticket_by_number (number), NULL))
		g_ptr_array_add (found, (gpointer)ticket_by_number (number));
	for (guint i = 0; i < found->len; i++)
		if ((m->machine != TG_MACHINE_NONE && i < n_ids) ||
		    may_write (p, m, found->pdata[i]))
			return found->pdata[i];
	return NULL;
}

/* Who wrote: From, else the envelope sender; answers go where [security]
 * reply_to allows; a staff address proves itself through our MTA. */
static void
identify (const TgPipeline *p, Mail *m)
{
	const TgMessage *msg = m->msg;
	const char *ignored = NULL;
	g_autofree char *domain =
		msg->from != NULL ? tg_address_domain (msg->from->addr) : NULL;

	if (msg->from != NULL && tg_address_is_deliverable (msg->from->addr))
		m->sender = g_strdup (msg->from->addr);
	else if (m->envelope_sender != NULL &&
		 tg_address_is_deliverable (m->envelope_sender))
		m->sender = g_ascii_strdown (m->envelope_sender, -1);
	m->reply_address = g_strdup (tg_trust_reply_address (
		p->config->reply_to, m->sender,
		msg->reply_to != NULL ? msg->reply_to->addr : NULL, &ignored));
	m->customer = find_customer (m->sender);
	tg_authres_judge (msg->headers, p->config->authserv_id, domain,
			  &m->auth);
	m->staff_claimed = tg_config_is_staff_address (p->config, m->sender);
	m->staff_proof = tg_trust_staff_proof (TG_TOKEN_MATCH_NONE, &m->auth);
	m->machine = tg_classify_machine (msg, m->envelope_sender, SUPPORT,
					  is_own_id, SUPPORT);
	m->ticket = thread_mail (p, m);
	if (m->staff_claimed && m->machine == TG_MACHINE_NONE) {
		g_autoptr (GError) bad = NULL;

		m->commands = tg_commands_parse (msg->body_text, &bad);
		m->refused = m->commands == NULL;
	}
}

/*
 * decide: which action the mail causes. The one decision step of the
 * pipeline: when deliver's decision is a pure function of plain structs,
 * it is called here in place of this body.
 */
static Action
decide (const Mail *m)
{
	if (m->machine != TG_MACHINE_NONE)
		return DO_MACHINE;
	if (m->staff_claimed) {
		if (m->staff_proof == TG_STAFF_UNPROVEN)
			return DO_STAFF_HELD;
		if (m->ticket == NULL || m->refused)
			return DO_REJECTED;
		return m->commands->internal ? DO_COMMENT : DO_STAFF_REPLY;
	}
	if (m->sender == NULL)
		return DO_REJECTED;
	if (m->ticket != NULL && strcmp (m->ticket->status, "closed") != 0)
		return DO_FOLLOW_UP;
	return DO_NEW_TICKET;
}

/* ---- the answers --------------------------------------------------- */

/* An answer must parse again, come from us and name its ticket. */
static void
check_answer (const TgPipeline *p, const TgReply *reply, gint64 number,
	      const TgSpool *original, TgPipelineResult *result)
{
	gsize len = 0;
	/* As the sender makes it whole from the stored mail. */
	g_autoptr (GBytes) whole =
		reply->encloses
			? tg_compose_enclose (reply->content, original,
					      p->config->attachment_limit)
			: g_bytes_ref (reply->content);
	const void *data = g_bytes_get_data (whole, &len);
	g_autoptr (TgSpool) spool = tg_spool_new_from_data (data, len);
	g_autoptr (GError) error = NULL;
	g_autoptr (TgMessage) again = tg_message_parse (spool, &error);
	gint64 tagged = 0;

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
	TgReplyFacts f = {
		.kind = kind,
		.config = p->config,
		.calendar = p->calendar,
		.subject = subject,
		.customer = m->customer != NULL ? m->customer->name : NULL,
		.priority = tg_priority_from_headers (
			tg_message_get_header (msg, "X-Priority"),
			tg_message_get_header (msg, "Importance"),
			tg_message_get_header (msg, "Priority")),
		.received_at = p->now,
		.to_address = m->reply_address,
		.in_reply_to = msg->message_id,
		.references = msg->references,
		.requester_address = m->sender,
		.attachment_limit = p->config->attachment_limit,
		.status = "new",
	};

	f.requester = msg->from != NULL && msg->from->name != NULL
			      ? msg->from->name
			      : m->sender;
	if (f.customer == NULL)
		f.customer = f.requester;
	return f;
}

static void
build (const TgPipeline *p, const Mail *m, TgReplyFacts *f,
       TgPipelineResult *result)
{
	g_autoptr (TgReply) reply = tg_replies_build (p->replies, f);

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
new_ticket (const TgPipeline *p, const Mail *m, TgPipelineResult *result)
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
	if (m->reply_address != NULL && strcmp (m->reply_address, SUPPORT) != 0)
		build (p, m, &f, result);
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
	f.status = t->status;
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

	f.to_name = t->requester_name;
	f.to_address = t->requester;
	f.to_more = (const char *const *)t->cc;
	f.from_name = "Alice (Example Support)";
	f.in_reply_to = t->last_message_id;
	reply = tg_replies_build_relay (
		&f, m->spool, (const char *const *)m->commands->lines->pdata,
		subject);
	check_answer (p, reply, t->number, m->spool, result);
}

static void
answer (const TgPipeline *p, const Mail *m, Action action,
	TgPipelineResult *result)
{
	TgReplyFacts f;

	switch (action) {
	case DO_NEW_TICKET:
		new_ticket (p, m, result);
		return;
	case DO_FOLLOW_UP:
	case DO_COMMENT:
		f = ticket_facts (p, m, m->ticket->subject);
		notify (p, m, &f,
			action == DO_COMMENT ? "Internal comment"
					     : "Customer follow-up",
			result);
		result->ticket_number = m->ticket->number;
		return;
	case DO_STAFF_REPLY:
		relay (p, m, result);
		result->ticket_number = m->ticket->number;
		return;
	case DO_STAFF_HELD:
		f = base_facts (p, m, TG_REPLY_STAFF_NOTICE, m->msg->subject);
		f.to_address = STAFF;
		f.to_name = NULL;
		f.ticket_number = m->ticket != NULL ? m->ticket->number : 0;
		f.notice = "A mail from a staff address was held: our mail "
			   "server did not vouch for it.";
		build (p, m, &f, result);
		return;
	case DO_MACHINE:
		f = base_facts (p, m, TG_REPLY_NOTIFY, m->msg->subject);
		notify (p, m, &f, "Machine mail", result);
		return;
	case DO_REJECTED:
		if (m->reply_address == NULL || m->staff_claimed)
			return;
		f = base_facts (p, m, TG_REPLY_REJECT_UNKNOWN, m->msg->subject);
		build (p, m, &f, result);
		return;
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
	Action action;

	if (msg == NULL)
		g_error ("a mail in memory does not parse: %s", error->message);
	m.msg = msg;
	m.envelope_sender = envelope_for (msg);
	identify (p, &m);
	action = decide (&m);
	result.action = action_names[action];
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
