/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * intake: "The life of one mail" (doc/design.md). Parses the mail, finds
 * who wrote it and which ticket it belongs to, records it and the answers
 * it causes in one transaction, sends those after the commit and logs one
 * line. Every failure on our side is a temporary one, so that the mail
 * system keeps the mail; only a mail over the size limit is refused for
 * good (by the entry that reads it).
 */
#include "intake.h"

#include <string.h>

#include "address.h"
#include "compose.h"
#include "delivery.h"
#include "exitcode.h"
#include "log.h"
#include "owner.h"
#include "scope.h"
#include "sender.h"
#include "thread.h"

/* Transactions rerun after a serialization failure or deadlock. */
#define MAX_ATTEMPTS 4
/* First retry of an answer that sendmail refused. */
#define RETRY_SECONDS 60
/* Received dates up to this far ahead of our clock count as now. */
#define CLOCK_SKEW_SECONDS 300

/* ---- input --------------------------------------------------------- */

static void
delivery_reset_outcome (Delivery *d)
{
	tg_identity_clear (&d->who);
	g_clear_pointer (&d->secrets, g_ptr_array_unref);
	g_clear_pointer (&d->desk, tg_desk_free);
	tg_authres_clear (&d->auth);
	d->staff_claimed = FALSE;
	d->staff_proof = TG_STAFF_UNPROVEN;
	d->token_match = TG_TOKEN_MATCH_NONE;
	g_clear_pointer (&d->refers, tg_ticket_free);
	g_ptr_array_set_size (d->warnings, 0);
	g_clear_pointer (&d->ticket, tg_ticket_free);
	g_clear_pointer (&d->plan, tg_plan_free);
	g_clear_pointer (&d->deadline, g_date_time_unref);
	g_clear_pointer (&d->commands, tg_commands_free);
	g_clear_pointer (&d->refusal, g_free);
	g_array_set_size (d->queued, 0);
	g_ptr_array_set_size (d->held, 0);
	d->ticket_number = 0;
	d->follows_id = 0;
	d->follows_number = 0;
	d->threaded_by = NULL;
}

G_DEFINE_QUARK (tg-intake-error-quark, tg_intake_error)

TgIntake *
tg_intake_new (const TgSettings *config, const TgReplies *replies,
	       gint64 started)
{
	Delivery *d = g_new0 (Delivery, 1);

	d->config = config;
	d->replies = replies;
	d->t_start = started;
	d->queued = g_array_new (FALSE, TRUE, sizeof (Queued));
	g_array_set_clear_func (d->queued, (GDestroyNotify) tg_queued_clear);
	d->held = g_ptr_array_new_with_free_func (g_free);
	d->warnings = g_ptr_array_new_with_free_func (g_free);
	return d;
}

void
tg_intake_free (TgIntake *d)
{
	if (d == NULL)
		return;
	delivery_reset_outcome (d);
	g_clear_pointer (&d->queued, g_array_unref);
	g_clear_pointer (&d->held, g_ptr_array_unref);
	g_clear_pointer (&d->warnings, g_ptr_array_unref);
	g_clear_pointer (&d->calendar, tg_calendar_free);
	g_clear_pointer (&d->scope, tg_scope_free);
	g_clear_pointer (&d->msg, tg_message_free);
	g_clear_pointer (&d->envelope_sender, g_free);
	g_clear_pointer (&d->envelope_recipient, g_free);
	g_clear_pointer (&d->queue_id, g_free);
	g_clear_pointer (&d->received_at, g_date_time_unref);
	g_clear_pointer (&d->dedup_key, g_free);
	g_clear_pointer (&d->sender, g_free);
	g_clear_pointer (&d->reply_address, g_free);
	g_free (d);
}

char *
tg_intake_dedup_key (const char *message_id, const char *from,
		     const char *date, const char *subject,
		     const char *body_digest)
{
	g_autoptr (GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
	const char *parts[] = { message_id, from, date, subject };
	int n = message_id != NULL ? 1 : 4;

	g_checksum_update (sum, (const guchar *) "v1", 2);
	for (int i = 0; i < n; i++) {
		const char *s = parts[i] != NULL ? parts[i] : "";

		g_checksum_update (sum, (const guchar *) "\n", 1);
		g_checksum_update (sum, (const guchar *) s, strlen (s));
	}
	g_checksum_update (sum, (const guchar *) "\n", 1);
	g_checksum_update (sum, (const guchar *) body_digest,
			   strlen (body_digest));
	return g_strdup (g_checksum_get_string (sum));
}

/*
 * The clock starts when our MTA received the mail: the date of the
 * topmost Received header, which Postfix wrote, unless it is in the
 * future or older than a mail can stay in Postfix's queue.
 */
static void
choose_received_at (Delivery *d, GDateTime *option)
{
	g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
	GDateTime *header = d->msg->received_at;

	if (option != NULL) {
		d->received_at = g_date_time_ref (option);
		d->received_from = "option";
		return;
	}
	if (header != NULL &&
	    g_date_time_difference (header, now) <=
		    CLOCK_SKEW_SECONDS * G_TIME_SPAN_SECOND &&
	    g_date_time_difference (now, header) <=
		    d->config->queue_lifetime * G_TIME_SPAN_SECOND) {
		d->received_at = g_date_time_compare (header, now) > 0
			? g_date_time_ref (now)
			: g_date_time_ref (header);
		d->received_from = "header";
		return;
	}
	d->received_at = g_date_time_ref (now);
	d->received_from = "clock";
}

/* Who wrote: From, else (no From, or one nobody could answer) the
 * envelope sender. Answers go to Reply-To only where [security]
 * reply_to allows; a Reply-To not taken is shown to staff. */
static void
choose_addresses (Delivery *d)
{
	tg_decide_addresses (d->msg, d->envelope_sender, d->config->reply_to,
			     &d->sender, &d->reply_address,
			     &d->reply_to_ignored);
}

static gboolean
parse_mail (Delivery *d, GError **error)
{
	d->msg = tg_message_parse (d->spool, error);
	if (d->msg == NULL)
		return FALSE;
	d->dedup_key = tg_intake_dedup_key (
		d->msg->message_id, tg_message_get_header (d->msg, "From"),
		tg_message_get_header (d->msg, "Date"), d->msg->subject,
		d->msg->body_digest);
	d->priority = tg_priority_from_headers (
		tg_message_get_header (d->msg, "X-Priority"),
		tg_message_get_header (d->msg, "Importance"),
		tg_message_get_header (d->msg, "Priority"));
	return TRUE;
}

/* ---- who wrote it, and which ticket it belongs to ------------------ */

static gboolean
is_own_id (const char *id, gpointer data)
{
	return tg_compose_is_own_message_id (id, data);
}

/* What threading and the action need to know of the writer. */
static TgWriter
writer_of (const Delivery *d)
{
	TgWriter w = {
		.sender = d->sender,
		.customer_id = d->who.customer_id,
		.delimiters = d->config->recipient_delimiter,
		.staff_claimed = d->staff_claimed,
		.staff_proof = d->staff_proof,
		.token_ticket = d->has_token ? d->token.ticket : 0,
		.token_match = d->token_match,
		.machine = d->machine,
	};

	return w;
}

/* The ticket the envelope recipient's token names, and what the token
 * proves for it; NULL when there is none, or it is forged. */
static gboolean
token_ticket (Delivery *d, TgStore *store, GPtrArray *found, GError **error)
{
	g_autoptr (GError) local = NULL;
	g_autoptr (TgTicket) t = NULL;

	if (!d->has_token)
		return TRUE;
	t = tg_store_get_ticket (store, d->token.ticket, &local);
	if (t == NULL) {
		if (g_error_matches (local, TG_STORE_ERROR,
				     TG_STORE_ERROR_NOT_FOUND))
			return TRUE;
		g_propagate_error (error, g_steal_pointer (&local));
		return FALSE;
	}
	d->token_match = tg_trust_check_token (&d->token, t, d->secrets,
					       d->sender,
					       d->config->recipient_delimiter);
	if (d->token_match == TG_TOKEN_MATCH_NONE) {
		g_autofree char *number =
			g_strdup_printf ("%" G_GINT64_FORMAT, d->token.ticket);

		tg_record_warn (d, TG_PHRASE_WARN_BAD_SIGNATURE, "number",
				number, NULL);
	} else {
		g_ptr_array_add (found, g_steal_pointer (&t));
	}
	return TRUE;
}

/* The tickets whose stored Message-IDs this mail refers to; a bounce
 * names the mail it reports on, and that counts most. */
static gboolean
id_tickets (Delivery *d, TgStore *store, GPtrArray *found, GError **error)
{
	g_autoptr (GPtrArray) ids = tg_decide_thread_ids (d->msg);
	g_autoptr (GPtrArray) tickets = NULL;

	tickets = tg_store_find_tickets_by_message_ids (
		store, (const char *const *) ids->pdata, ids->len, d->sender,
		TG_DECIDE_MAX_THREAD_TICKETS, error);
	if (tickets == NULL)
		return FALSE;
	while (tickets->len > 0)
		g_ptr_array_add (found, g_ptr_array_steal_index (tickets, 0));
	return TRUE;
}

/* The ticket of the subject tag, if there is one. */
static gboolean
tag_ticket (Delivery *d, TgStore *store, GPtrArray *found, GError **error)
{
	g_autoptr (GError) local = NULL;
	TgTicket *t = NULL;
	gint64 number = 0;

	if (!tg_thread_find_tag (d->msg->subject, d->config->subject_tag,
				 &number))
		return TRUE;
	for (guint i = 0; i < found->len; i++)
		if (((TgTicket *) found->pdata[i])->number == number)
			return TRUE;
	t = tg_store_get_ticket (store, number, &local);
	if (t != NULL) {
		g_ptr_array_add (found, t);
		return TRUE;
	}
	if (g_error_matches (local, TG_STORE_ERROR, TG_STORE_ERROR_NOT_FOUND))
		return TRUE;
	g_propagate_error (error, g_steal_pointer (&local));
	return FALSE;
}

/* A mail from a staff address acts as staff only with a proof. */
static void
prove_staff (Delivery *d)
{
	if (!d->staff_claimed)
		return;
	d->staff_proof = tg_trust_staff_proof (d->token_match, &d->auth);
}

/*
 * The ticket this mail belongs to. Candidates, strongest first: the one
 * its token names, those its Message-IDs lead to, the subject tag's. The
 * first it may write to wins. Machine mail joins the ticket its ids lead
 * to (a bounce names our mail), never by tag alone. Without a winner the
 * first candidate is kept in d->refers, so that a new ticket can name it
 * and held staff mail is stored on it.
 */
static gboolean
find_ticket (Delivery *d, TgStore *store, GError **error)
{
	g_autoptr (GPtrArray) found = g_ptr_array_new_with_free_func (
		(GDestroyNotify) tg_ticket_free);
	guint n_token, n_ids;
	TgThreadedBy how = TG_THREAD_NONE;
	TgWriter w;
	int i;

	if (!token_ticket (d, store, found, error))
		return FALSE;
	prove_staff (d);
	n_token = found->len;
	if (!id_tickets (d, store, found, error))
		return FALSE;
	n_ids = found->len - n_token;
	if (!tag_ticket (d, store, found, error))
		return FALSE;
	w = writer_of (d);
	i = tg_decide_thread (&w, (const TgTicket *const *) found->pdata,
			      found->len, n_token, n_ids, &how);
	d->threaded_by = tg_threaded_by_name (how);
	if (i >= 0)
		d->ticket = g_ptr_array_steal_index (found, i);
	else if (found->len > 0)
		d->refers = g_ptr_array_steal_index (found, 0);
	return TRUE;
}

/* The phrase that tells staff what was wrong with a command line. */
static TgPhrase
command_problem (const GError *bad)
{
	switch ((TgCommandError) bad->code) {
	case TG_COMMAND_ERROR_STATUS:
		return TG_PHRASE_COMMAND_BAD_STATUS;
	case TG_COMMAND_ERROR_PRIORITY:
		return TG_PHRASE_COMMAND_BAD_PRIORITY;
	case TG_COMMAND_ERROR_ADDRESS:
		return TG_PHRASE_COMMAND_BAD_ASSIGN;
	case TG_COMMAND_ERROR_INVALID:
		break;
	}
	return TG_PHRASE_COMMAND_UNKNOWN;
}

/*
 * A staff member's command block, checked before anything is written:
 * an invalid line, or #assign to someone who is not active staff (the
 * desk lists them), refuses the whole mail (d->refusal, in the words
 * staff read) so that nothing half-done happens.
 */
static void
read_commands (Delivery *d)
{
	g_autoptr (GError) bad = NULL;

	d->commands = tg_commands_parse (d->msg->body_text, &bad);
	if (d->commands == NULL) {
		g_autofree char *line = tg_commands_bad_line (d->msg->body_text);

		g_debug ("commands: %s", bad->message);
		d->refusal = tg_replies_phrase (d->replies,
						command_problem (bad), "line",
						line, NULL);
		return;
	}
	if (d->commands->assign != NULL &&
	    !g_hash_table_contains (d->desk->staff, d->commands->assign))
		d->refusal = tg_replies_phrase (
			d->replies, TG_PHRASE_COMMAND_NOT_STAFF, "address",
			d->commands->assign, NULL);
}

/* The action (decide.h); a ticket closed too long ago is not joined but
 * named by the new one. */
static void
decide (Delivery *d)
{
	TgWriter w = writer_of (d);
	TgActionFacts f = {
		.is_duplicate = d->who.is_duplicate,
		.ticket = d->ticket,
		.refused = d->refusal != NULL,
		.internal = d->to_comment ||
			    (d->commands != NULL && d->commands->internal),
		.received_at = d->received_at,
		.reopen_days = d->config->reopen_days,
		.reject_unknown = d->config->unknown_sender ==
				  TG_UNKNOWN_SENDER_REJECT,
	};
	TgDecision decision = tg_decide_action (&w, &f);

	d->action = decision.action;
	if (decision.follows) {
		d->follows_id = d->ticket->id;
		d->follows_number = d->ticket->number;
		g_clear_pointer (&d->ticket, tg_ticket_free);
	}
}

/* Who wrote it, the plan in force on the day it arrived, whether it is
 * already stored, and the desk (plans, holidays, scope rules, staff,
 * secrets). Callers reset the outcome first, which releases the last
 * ones. */
static gboolean
identify (Delivery *d, TgStore *store, GError **error)
{
	GDate day;

	tg_record_arrival_day (d, &day);
	if (!tg_store_identify (store, d->sender ? d->sender : "", &day,
				d->dedup_key, &d->who, &d->desk, error))
		return FALSE;
	d->secrets = tg_trust_usable_secrets (
		d->desk->keys, g_date_time_to_unix (d->received_at),
		d->config->secret_grace);
	return TRUE;
}

/* What our MTA says of the From domain, and what staff should know of
 * the sender. A sender whose domain failed its checks is not the
 * customer it claims to be: no plan, and staff are told. */
static void
judge_sender (Delivery *d)
{
	g_autofree char *domain =
		d->msg->from ? tg_address_domain (d->msg->from->addr) : NULL;

	tg_authres_judge (d->msg->headers, d->config->authserv_id, domain,
			  &d->auth);
	d->staff_claimed = d->sender != NULL &&
			   (d->who.is_staff ||
			    tg_settings_is_staff_address (d->config, d->sender));
	if (d->reply_to_ignored != NULL)
		tg_record_warn (d, TG_PHRASE_WARN_REPLY_TO_IGNORED, "asked",
				d->reply_to_ignored, "reply_address",
				d->reply_address, NULL);
	if (d->auth.verdict != TG_AUTH_FAIL)
		return;
	tg_record_warn (d, TG_PHRASE_WARN_SENDER_UNVERIFIED, "verdict",
			d->auth.evidence, "domain", domain, NULL);
	g_clear_pointer (&d->who.customer_name, g_free);
	g_clear_pointer (&d->who.plan, tg_plan_free);
	d->who.customer_id = 0;
	d->who.matched_by = TG_MATCH_NONE;
}

static gboolean
lookup (Delivery *d, TgStore *store, GError **error)
{
	if (!identify (d, store, error))
		return FALSE;
	judge_sender (d);
	d->machine = tg_classify_machine (d->msg, d->envelope_sender,
					  d->config->support_address, is_own_id,
					  d->config->support_address);
	if (!d->who.is_duplicate && !find_ticket (d, store, error))
		return FALSE;
	if (d->staff_proof != TG_STAFF_UNPROVEN &&
	    d->machine == TG_MACHINE_NONE)
		read_commands (d);
	decide (d);
	return TRUE;
}

/* One attempt: look up, then write everything in one transaction. */
static gboolean
attempt (Delivery *d, TgStore *store, GError **error)
{
	delivery_reset_outcome (d);
	if (!lookup (d, store, error))
		return FALSE;
	if (d->action == TG_ACTION_DUPLICATE)
		return TRUE;
	if (!tg_store_begin (store, error))
		return FALSE;
	if (!tg_record_action (d, store, error) ||
	    !tg_store_commit (store, error)) {
		tg_store_rollback (store);
		return FALSE;
	}
	return TRUE;
}

/*
 * A unique key refused the transaction (@refused): a concurrent copy of
 * this very mail committed first. The duplicate check must prove it, so
 * that no other unique key can make a mail vanish as a "duplicate".
 */
static gboolean
settle_refused (Delivery *d, TgStore *store, GError *refused, GError **error)
{
	g_autoptr (GError) own = refused;

	delivery_reset_outcome (d);
	if (!identify (d, store, error))
		return FALSE;
	if (d->who.is_duplicate) {
		d->action = TG_ACTION_DUPLICATE;
		return TRUE;
	}
	g_propagate_error (error, g_steal_pointer (&own));
	return FALSE;
}

static gboolean
store_mail (Delivery *d, TgStore *store, GError **error)
{
	for (int i = 1;; i++) {
		g_autoptr (GError) local = NULL;

		if (attempt (d, store, &local))
			return TRUE;
		if (g_error_matches (local, TG_STORE_ERROR,
				     TG_STORE_ERROR_DUPLICATE))
			return settle_refused (d, store, g_steal_pointer (&local),
					       error);
		if (!g_error_matches (local, TG_STORE_ERROR,
				      TG_STORE_ERROR_RETRY) ||
		    i == MAX_ATTEMPTS) {
			g_propagate_error (error, g_steal_pointer (&local));
			return FALSE;
		}
		g_debug ("retrying transaction: %s", local->message);
		g_usleep (g_random_int_range (1000, 20000) * i);
	}
}

/* ---- after the commit ---------------------------------------------- */

/* Whether a redelivery may take over an unsent answer of its mail. */
static gboolean
may_take_over (const TgOutboxHolder *h)
{
	if (!h->is_held)
		return h->is_due;
	return tg_owner_state (h->claimed_by) == TG_OWNER_GONE;
}

static void
queue_earlier (Delivery *d, TgOutboxItem *item)
{
	Queued q = {
		.outbox_id = item->id,
		.what = "earlier",
		.message_id = g_steal_pointer (&item->message_id),
		.envelope_from = g_steal_pointer (&item->envelope_from),
		.recipients = g_steal_pointer (&item->recipients),
		.content = g_steal_pointer (&item->content),
		.encloses = item->encloses,
	};

	g_array_append_val (d->queued, q);
}

/*
 * The mail is stored already: send what the delivery that stored it
 * left unsent. That one committed and then died, or lost the database
 * before it saw the commit and exited 75; either way it is over,
 * because Postfix delivers a mail to a recipient again only after the
 * attempt before has exited. Its answers stay claimed in its name, so
 * they are taken over only once that name is known to be gone (owner.h),
 * and never from a process that still runs: that is a second copy of the
 * mail being delivered at the same moment (another queue file, or
 * another of its recipients), whose deliver sends its answers itself,
 * or the first copy's deliver on another host, whose answers sweep sends
 * once the claim runs out if that deliver never does.
 */
static void
take_over (Delivery *d, TgStore *store)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (GPtrArray) held = tg_store_answers_of (store, d->dedup_key,
							   &error);
	g_autoptr (GPtrArray) takeable = g_ptr_array_new ();
	g_autoptr (GPtrArray) taken = NULL;

	for (guint i = 0; held != NULL && i < held->len; i++)
		if (may_take_over (held->pdata[i]))
			g_ptr_array_add (takeable, held->pdata[i]);
	if (takeable->len > 0)
		taken = tg_store_take_over (store, takeable,
					    d->config->outbox_claim,
					    &error);
	if (error != NULL) {
		g_warning ("answers left unsent by an earlier delivery: %s "
			   "(sweep sends them once their claim runs out)",
			   error->message);
		return;
	}
	for (guint i = 0; taken != NULL && i < taken->len; i++)
		queue_earlier (d, taken->pdata[i]);
}

/* Recording a send gives up this long before deliver's own time limit,
 * so that the journal keeps what the database could not take. */
#define RECORD_MARGIN G_USEC_PER_SEC

/* Hands each queued answer to sendmail, after folding in the journal of
 * this host (an answer taken over from a dead deliver may be named
 * there); those left to the resident sender are its own. A failure is
 * recorded for sweep and never changes the exit code: the mail itself
 * is stored. */
static void
send_queued (Delivery *d, TgStore *store)
{
	const TgSettings *c = d->config;
	g_autoptr (TgSender) sender = NULL;
	guint own = 0;

	for (guint i = 0; i < d->queued->len; i++)
		own += !g_array_index (d->queued, Queued, i).handed;
	if (own == 0)
		return;
	sender = tg_sender_new (c, d->replies, store,
				d->t_start + (gint64) c->time_limit *
						     G_USEC_PER_SEC -
					RECORD_MARGIN);
	tg_sender_use_mailer (sender, d->mailer);
	tg_sender_fold (sender);
	for (guint i = 0; i < d->queued->len; i++) {
		Queued *q = &g_array_index (d->queued, Queued, i);
		g_autoptr (GError) error = NULL;
		g_autoptr (GError) db = NULL;
		TgSenderMail mail = {
			.outbox_id = q->outbox_id,
			.message_id = q->message_id,
			.envelope_from = q->envelope_from ? q->envelope_from
							  : c->bounce_address,
			.recipients = (const char *const *) q->recipients,
			.content = q->content,
			.encloses = q->encloses,
			/* This mail's own answers forward it from the
			 * spool; one taken over reads what is stored. */
			.original = q->encloses != 0 &&
					    q->encloses == d->message_row
				? d->spool
				: NULL,
		};

		if (q->handed)
			continue;
		/* Sent before, and only the journal knew. */
		q->sent = tg_sender_is_named (sender, q->outbox_id) ||
			  tg_sender_send (sender, &mail, &error) !=
				  TG_SENDER_REFUSED;
		if (q->sent)
			continue;
		g_warning ("sending %s failed, sweep retries: %s", q->what,
			   error->message);
		if (!tg_store_outbox_failed (store, q->outbox_id,
					     error->message, RETRY_SECONDS,
					     FALSE, &db))
			g_warning ("outbox(%" G_GINT64_FORMAT ") failed: %s",
				   q->outbox_id, db->message);
	}
}

static char *
queued_summary (const Delivery *d)
{
	GString *out = g_string_new (NULL);

	for (guint i = 0; i < d->queued->len; i++) {
		const Queued *q = &g_array_index (d->queued, Queued, i);

		g_string_append_printf (out, "%s%s:%s", out->len ? "," : "",
					q->what,
					q->sent     ? "sent"
					: q->handed ? "handed"
						    : "deferred");
	}
	return g_string_free (out, FALSE);
}

static char *
held_summary (const Delivery *d)
{
	g_autoptr (GPtrArray) items = g_ptr_array_new ();

	if (d->held->len == 0)
		return NULL;
	for (guint i = 0; i < d->held->len; i++)
		g_ptr_array_add (items, d->held->pdata[i]);
	g_ptr_array_add (items, NULL);
	return g_strjoinv (",", (char **) items->pdata);
}

/* The one line per mail: queue id and Message-ID first (STYLE.md 9). */
static void
log_summary (const Delivery *d)
{
	g_autoptr (GString) line = g_string_new (NULL);
	g_autofree char *number = d->ticket_number
		? g_strdup_printf ("%" G_GINT64_FORMAT, d->ticket_number)
		: NULL;
	g_autoptr (GTimeZone) tz =
		g_time_zone_new_identifier (d->config->timezone);
	g_autofree char *due = NULL;
	g_autofree char *received = tg_calendar_format_instant (d->received_at,
								tz);
	g_autofree char *queued = queued_summary (d);
	g_autofree char *size = g_strdup_printf ("%zu", d->msg->size);
	g_autofree char *held = held_summary (d);
	g_autofree char *ms = g_strdup_printf (
		"%.1f", (g_get_monotonic_time () - d->t_start) / 1000.0);
	g_autofree char *follows = d->follows_number
		? g_strdup_printf ("%" G_GINT64_FORMAT, d->follows_number)
		: NULL;

	tg_log_kv (line, "queue_id", d->queue_id);
	tg_log_kv (line, "message_id", d->msg->message_id);
	tg_log_kv (line, "from", d->sender);
	tg_log_kv (line, "action", tg_action_name (d->action));
	tg_log_kv (line, "ticket", number);
	tg_log_kv (line, "threaded_by", d->threaded_by);
	tg_log_kv (line, "customer", d->who.customer_name);
	/* The ticket's plan, priority and deadline (ticketgate(8)): a
	 * follow-up's own priority header changes none of them. */
	if (d->ticket != NULL && d->action != TG_ACTION_NEW_TICKET) {
		if (d->ticket->response_due_at != NULL)
			due = tg_calendar_format_instant (
				d->ticket->response_due_at, tz);
		tg_log_kv (line, "plan", d->ticket->plan_name);
		tg_log_kv (line, "priority",
			   tg_priority_to_string (d->ticket->priority));
	} else {
		if (d->deadline != NULL)
			due = tg_calendar_format_instant (d->deadline, tz);
		tg_log_kv (line, "plan", d->plan ? d->plan->name : NULL);
		tg_log_kv (line, "priority",
			   tg_priority_to_string (d->priority));
	}
	tg_log_kv (line, "deadline", due);
	tg_log_kv (line, "received", received);
	tg_log_kv (line, "received_from", d->received_from);
	tg_log_kv (line, "machine", tg_classify_reason_to_string (d->machine));
	tg_log_kv (line, "follows", follows);
	tg_log_kv (line, "staff_proof",
		   d->staff_claimed ? tg_trust_proof_to_string (d->staff_proof)
				    : NULL);
	tg_log_kv (line, "auth", tg_authres_verdict_to_string (d->auth.verdict));
	tg_log_kv (line, "queued", *queued ? queued : NULL);
	tg_log_kv (line, "held", held);
	tg_log_kv (line, "size", size);
	tg_log_kv (line, "ms", ms);
	g_message ("%s", line->str);
	g_debug ("timing (ms): setup+read+parse %.2f, connect %.2f, "
		 "lookup+store %.2f, send %.2f",
		 (d->t_read - d->t_start) / 1000.0,
		 (d->t_connect - d->t_read) / 1000.0,
		 (d->t_stored - d->t_connect) / 1000.0,
		 (d->t_sent - d->t_stored) / 1000.0);
}


/* ---- the entries' calls ------------------------------------------- */

/* Whether @rcpt is @base, or @base with an extension. */
static gboolean
is_address_or_extension (const char *rcpt, const char *base,
			 const char *delims)
{
	const char *at = strrchr (rcpt, '@');
	const char *base_at = strrchr (base, '@');
	g_autofree char *local = NULL;
	g_autofree char *base_local = NULL;

	if (g_ascii_strcasecmp (rcpt, base) == 0)
		return TRUE;
	if (at == NULL || base_at == NULL || g_ascii_strcasecmp (at, base_at))
		return FALSE;
	local = g_strndup (rcpt, at - rcpt);
	base_local = g_strndup (base, base_at - base);
	return tg_address_split_extension (local, base_local, delims) != NULL;
}

/*
 * Postfix passes the recipient as delivered (RECIPIENT) and as it was
 * before alias and virtual expansion (ORIGINAL_RECIPIENT); with
 * recipient_delimiter set, both keep the extension that holds a signed
 * reply address's token. The comment address, with or without a token,
 * makes staff mail an internal comment.
 */
static void
read_recipient (Delivery *d, const char *rcpt)
{
	const TgSettings *c = d->config;
	const char *bases[] = { c->support_address, c->comment_address, NULL };
	const char *delims = c->recipient_delimiter;
	TgToken token;

	if (rcpt == NULL || *rcpt == '\0')
		return;
	if (!d->has_token && tg_token_from_recipient (rcpt, bases, delims,
						      &token)) {
		d->token = token;
		d->has_token = TRUE;
	}
	d->to_comment |= *c->comment_address != '\0' &&
			 is_address_or_extension (rcpt, c->comment_address,
						  delims);
}

void
tg_intake_use_mailer (TgIntake *d, TgMailer *mailer)
{
	d->mailer = mailer;
}

gboolean
tg_intake_read (TgIntake *d, const TgSpool *spool, const TgEnvelope *env,
		GError **error)
{
	g_autoptr (GError) local = NULL;

	d->spool = spool;
	if (!parse_mail (d, &local)) {
		g_set_error (error, TG_INTAKE_ERROR, tg_exit_fault (local),
			     "%s", local->message);
		return FALSE;
	}
	d->envelope_sender = g_strdup (env->sender);
	d->envelope_recipient = g_strdup (env->recipient);
	d->queue_id = g_strdup (env->queue_id ? env->queue_id
					      : d->msg->received_id);
	read_recipient (d, env->recipient);
	read_recipient (d, env->original_recipient);
	d->to_comment |= env->comment;
	choose_addresses (d);
	choose_received_at (d, env->received_at);
	d->t_read = g_get_monotonic_time ();
	return TRUE;
}

void
tg_intake_fail (const GError *cause, GError **error)
{
	if (g_error_matches (cause, TG_COMPOSE_ERROR,
			     TG_COMPOSE_ERROR_TEMPORARY)) {
		g_warning ("composing an answer: %s", cause->message);
		g_set_error_literal (error, TG_INTAKE_ERROR, TG_FAULT_LOCAL,
				     "an answer could not be written, will "
				     "retry (details in the mail log)");
		return;
	}
	if (cause->domain != TG_STORE_ERROR) {
		g_set_error_literal (error, TG_INTAKE_ERROR,
				     tg_exit_fault (cause), cause->message);
		return;
	}
	g_warning ("database: %s", cause->message);
	if (cause->code == TG_STORE_ERROR_TEMPORARY)
		g_set_error_literal (error, TG_INTAKE_ERROR, TG_FAULT_DB_DOWN,
				     "database unavailable, will retry");
	else
		g_set_error_literal (error, TG_INTAKE_ERROR,
				     TG_FAULT_SOFTWARE,
				     "database error, will retry (details "
				     "in the mail log)");
}

gboolean
tg_intake_store (TgIntake *d, TgStore *store, GError **error)
{
	g_autoptr (GError) local = NULL;

	d->t_connect = g_get_monotonic_time ();
	if (!store_mail (d, store, &local)) {
		tg_intake_fail (local, error);
		return FALSE;
	}
	if (d->action == TG_ACTION_DUPLICATE)
		take_over (d, store);
	d->t_stored = g_get_monotonic_time ();
	send_queued (d, store);
	d->t_sent = g_get_monotonic_time ();
	log_summary (d);
	return TRUE;
}

char *
tg_intake_outcome (const TgIntake *d)
{
	const char *action = tg_action_name (d->action);

	if (d->ticket_number == 0)
		return g_strdup (action);
	return g_strdup_printf ("%s, ticket %" G_GINT64_FORMAT, action,
				d->ticket_number);
}
