/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * store: every SQL statement of ticketgate, and the only user of libpq.
 * Its API speaks of customers, tickets and mail, never of SQL; results are
 * plain structs that own their strings. It keeps no session state, so it
 * works through PgBouncer in transaction mode.
 */
#pragma once

#include <glib.h>

#include "domain.h"
#include "message.h"
#include "spool.h"

#define TG_STORE_ERROR (tg_store_error_quark ())
GQuark tg_store_error_quark (void);

typedef enum {
	TG_STORE_ERROR_TEMPORARY, /* connection, server shutting down, timeout */
	TG_STORE_ERROR_RETRY,     /* serialization failure or deadlock: run
				     the whole transaction again */
	TG_STORE_ERROR_DUPLICATE, /* a unique key exists already */
	TG_STORE_ERROR_NOT_FOUND, /* no such customer, plan, ticket, ... */
	TG_STORE_ERROR_INVALID,   /* the database refused the values */
	TG_STORE_ERROR_FAILED,    /* anything else: our bug */
} TgStoreError;

typedef struct _TgStore TgStore;

typedef enum {
	TG_MATCH_NONE,
	TG_MATCH_ADDRESS,
	TG_MATCH_DOMAIN,
} TgCustomerMatch;

/* Who wrote a mail, as the database knows it. */
typedef struct {
	gboolean is_staff;
	char *staff_name;        /* NULL when none is recorded */
	gint64 customer_id;      /* 0: not a customer */
	char *customer_name;
	TgCustomerMatch matched_by;
	TgPlan *plan;            /* in force on the day; NULL when none */
	gboolean is_duplicate;   /* the mail is stored already */
} TgIdentity;

typedef enum {
	TG_KIND_CUSTOMER,
	TG_KIND_STAFF,
	TG_KIND_COMMENT,
	TG_KIND_MACHINE,
	TG_KIND_REJECTED,
	TG_KIND_ACK,
	TG_KIND_RELAY,
	TG_KIND_NOTICE,
	TG_KIND_HELD,       /* claimed a staff address and proved nothing */
} TgMessageKind;

/* An incoming mail to record. */
typedef struct {
	gint64 ticket_id;        /* 0: not attached to a ticket */
	TgMessageKind kind;
	const TgMessage *msg;
	const TgSpool *raw;
	const char *dedup_key;
	const char *envelope_sender;
	const char *envelope_recipient;
	int priority;
	GDateTime *received_at;
	const char *note;        /* nullable: why it was not relayed */
} TgIncoming;

/* An outgoing mail to record and queue for sending. */
typedef struct {
	gint64 ticket_id;        /* 0: not attached to a ticket */
	TgMessageKind kind;
	const char *message_id;  /* without <> */
	const char *envelope_from;
	const char *const *recipients;
	const char *subject;
	const char *body_text;
	GBytes *content;         /* the complete mail */
	const char *note;        /* nullable: "machine" for notices about
				    machine mail (rate-limited) */
	const char *cause_key;   /* nullable: dedup key of the incoming mail
				    it answers, stored earlier in the same
				    transaction */
	gint64 encloses;         /* 0, or the message row whose content
				    @content leaves out and the sender puts
				    in (tg_compose_enclose) */
	gboolean may_hand_over;  /* left to the resident sender if one runs
				    (tg_store_sender_lock()) */
} TgOutgoing;

typedef struct {
	gint64 id;
	char *envelope_from;
	char **recipients;
	GBytes *content;
	int attempts;
	GDateTime *created_at;
	char *message_id;        /* of the mail, without <> */
	gint64 encloses;         /* 0, or as TgOutgoing's */
} TgOutboxItem;

/* Who holds an unsent answer (tg_store_answers_of). */
typedef struct {
	gint64 id;               /* outbox row */
	char *claimed_by;        /* owner.h name; NULL: nobody */
	gboolean is_held;        /* the claim has not run out */
	gboolean is_due;         /* its next attempt is due */
} TgOutboxHolder;

typedef struct {
	gint64 id;
	char *direction;          /* "in" or "out" */
	char *kind;
	char *message_id;
	char *sender;
	char **recipients;
	char *subject;
	char *body_text;
	gint64 size;
	GDateTime *received_at;
	GPtrArray *attachments;   /* TgAttachment */
	char *delivery;           /* outgoing: "sent", "queued", "failed: ..." */
	char *note;               /* why staff mail was not relayed, or NULL */
} TgStoredMessage;

typedef struct {
	char *topic;
	char *pattern;
	char **plans;             /* NULL: every plan */
	char *rule;
} TgScopeRuleRow;

typedef struct {
	GDate date;
	char *name;
} TgHoliday;

/*
 * What every mail needs to know about the desk and only an admin changes,
 * read with the sender's identity in one round trip from one table that
 * triggers keep in step with the four it copies
 * (schema/005-desk-snapshot.sql): a new backend then opens one relation
 * for it instead of four.
 */
typedef struct {
	GBytes *secret;
	gint64 replaced_at; /* Unix time its successor was made; 0: newest */
} TgSigningKey;

typedef struct {
	GPtrArray *plans;   /* TgPlan, by rank, then name */
	GArray *holidays;   /* TgHoliday, in date order */
	GPtrArray *rules;   /* TgScopeRuleRow, in order */
	GHashTable *staff;  /* active staff: address -> name (NULL: none) */
	GPtrArray *keys;    /* TgSigningKey, newest first */
} TgDesk;

/* tg_desk_find_plan: (transfer full) (nullable): a copy of the plan
 * called @name. */
TgPlan *tg_desk_find_plan (const TgDesk *desk, const char *name);

typedef struct {
	gint64 id;
	char *name;
	char **contacts;
	char **domains;
	char *plan_today;         /* NULL: none */
	GPtrArray *subscriptions; /* char *: "GOLD 2026-01-01..2026-12-31" */
} TgCustomer;

typedef struct {
	char *address;
	char *name;
	gboolean active;
} TgStaff;

/* Connecting and transactions. */

/*
 * tg_store_client_version: the libpq ticketgate runs with and how it is
 * linked, for --version ("libpq 15.20, static: no GSSAPI, no LDAP").
 * Free with g_free().
 */
char *tg_store_client_version (void);

/*
 * tg_store_connect: opens a connection.
 * @conninfo: a libpq connection string or "service=NAME"
 * @application_name: shown in pg_stat_activity ("ticketgate-deliver")
 * @connect_timeout: seconds, above zero; @statement_timeout: seconds, 0 for none
 * Returns: (transfer full): the store, or NULL with
 * TG_STORE_ERROR_TEMPORARY (the server may come back) or _FAILED
 * (a malformed conninfo).
 */
TgStore *tg_store_connect (const char *conninfo,
			   const char *application_name,
			   int connect_timeout,
			   int statement_timeout,
			   GError **error) G_GNUC_WARN_UNUSED_RESULT;

/*
 * tg_store_is_usable: whether a connection kept open between mails can
 * serve the next one: no transaction open, and the server answers (one
 * round trip with an empty statement).
 */
gboolean tg_store_is_usable (TgStore *store);

/*
 * tg_store_prepare_statements: from now on each statement is prepared
 * on the server at its first use and executed by name after that: worth
 * it for a connection that serves many mails (lmtpd), a round trip more
 * for one that serves one (deliver).
 */
void tg_store_prepare_statements (TgStore *store);

/* tg_store_free: closes the connection; NULL is allowed. */
void tg_store_free (TgStore *store);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TgStore, tg_store_free)

/*
 * Connecting in two steps, so that the server starts its backend while
 * the caller does other work (deliver reads and parses the mail).
 *
 * tg_store_connect_start: begins a connection and sends what can be sent
 * without waiting. Returns: (transfer full): the pending connection, or
 * NULL with the errors of tg_store_connect() (an unusable conninfo, no
 * server socket).
 *
 * tg_store_connect_finish: completes it, waiting at most connect_timeout
 * counted from the start. Consumes what @pending holds (free it after).
 * Returns: (transfer full): the store, or NULL with
 * TG_STORE_ERROR_TEMPORARY or _FAILED as tg_store_connect() says.
 *
 * tg_store_pending_age: microseconds since the start. A connection left
 * waiting long may have been closed by the server (authentication or
 * idle-session timeouts); callers connect afresh instead.
 */
typedef struct _TgStorePending TgStorePending;

TgStorePending *tg_store_connect_start (const char *conninfo,
					const char *application_name,
					int connect_timeout,
					int statement_timeout,
					GError **error) G_GNUC_WARN_UNUSED_RESULT;
TgStore *tg_store_connect_finish (TgStorePending *pending,
				  GError **error) G_GNUC_WARN_UNUSED_RESULT;
gint64 tg_store_pending_age (const TgStorePending *pending);
void tg_store_pending_free (TgStorePending *pending);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TgStorePending, tg_store_pending_free)

/*
 * tg_store_begin / tg_store_commit: one explicit transaction; every
 * write below that is not an admin command happens inside one.
 * tg_store_rollback ends it and ignores any error (the connection may
 * be gone already).
 */
gboolean tg_store_begin (TgStore *store, GError **error);
gboolean tg_store_commit (TgStore *store, GError **error);
void tg_store_rollback (TgStore *store);

/*
 * tg_store_migrate: applies the numbered *.sql files of @schema_dir that
 * are not yet recorded, in order, each in its own transaction, and
 * records them. @applied_out: (out) (optional) (transfer full): the file
 * names applied now. Concurrent migrations wait for each other.
 */
gboolean tg_store_migrate (TgStore *store,
			   const char *schema_dir,
			   GPtrArray **applied_out,
			   GError **error);

/*
 * tg_store_pending_migrations: (transfer full): file names in @schema_dir
 * not yet applied; NULL with an error.
 */
GPtrArray *tg_store_pending_migrations (TgStore *store,
					const char *schema_dir,
					GError **error);

/*
 * tg_store_desk_in_step: whether desk_snapshot holds exactly what the
 * plans, holidays, scope rules and staff say (*in_step_out).
 */
gboolean tg_store_desk_in_step (TgStore *store,
				gboolean *in_step_out,
				GError **error);

/* tg_store_refresh_desk: rewrites desk_snapshot from its tables. */
gboolean tg_store_refresh_desk (TgStore *store, GError **error);

/*
 * tg_store_rotate_secret: makes a new secret for signing reply addresses,
 * from the server's strong random source; the one it replaces keeps
 * verifying for the grace period. *@count_out: how many secrets there
 * are now.
 */
gboolean tg_store_rotate_secret (TgStore *store,
				 int *count_out,
				 GError **error);

/* tg_store_count_secrets: how many signing secrets there are. */
gboolean tg_store_count_secrets (TgStore *store,
				 int *count_out,
				 GError **error);

/* Delivering mail. */

/*
 * tg_store_identify: who @address is on @day (the desk's local date of
 * arrival): staff, a customer by exact address, else by domain or a
 * parent domain, the plan in force, and whether @dedup_key is stored.
 * Fills @identity_out, which tg_identity_clear() releases.
 * @desk_out: (out) (transfer full) (optional): the desk as it was read
 */
gboolean tg_store_identify (TgStore *store,
			    const char *address,
			    const GDate *day,
			    const char *dedup_key,
			    TgIdentity *identity_out,
			    TgDesk **desk_out,
			    GError **error);

/* tg_identity_clear: releases what @identity holds and zeroes it. */
void tg_identity_clear (TgIdentity *identity);

/*
 * tg_store_get_plan: (transfer full): the plan called @name, or NULL with
 * TG_STORE_ERROR_NOT_FOUND.
 */
TgPlan *tg_store_get_plan (TgStore *store, const char *name, GError **error);

/*
 * tg_store_list_holidays: (transfer full): TgHoliday rows from @from on
 * (NULL: all), in date order.
 */
GArray *tg_store_list_holidays (TgStore *store,
				const GDate *from,
				GError **error);

/*
 * tg_store_find_tickets_by_message_ids: (transfer full): the tickets (at
 * most @max, TgTicket) of stored mail whose Message-ID is in @ids and
 * that a ticket's people wrote or the desk sent: held and machine mail
 * never count, so that an id planted by someone else leads nowhere. First
 * the tickets where that mail was written by, or sent to, @sender (the
 * writer refers to their own thread), then by the place of the id in @ids
 * (later entries win), newest ticket first. Empty when none matches.
 */
GPtrArray *tg_store_find_tickets_by_message_ids (TgStore *store,
						 const char *const *ids,
						 guint n_ids,
						 const char *sender,
						 guint max,
						 GError **error);

/*
 * tg_store_get_ticket: (transfer full): ticket @number, or NULL with
 * TG_STORE_ERROR_NOT_FOUND.
 */
TgTicket *tg_store_get_ticket (TgStore *store, gint64 number, GError **error);

/*
 * tg_store_create_ticket: opens a ticket; sets its id and number.
 */
gboolean tg_store_create_ticket (TgStore *store,
				 const TgNewTicket *ticket,
				 gint64 *id_out,
				 gint64 *number_out,
				 GError **error);

/*
 * tg_store_record_first_response: sets the ticket's first response time
 * to @at unless it has one: the rule of tg_ticket_first_response(), kept
 * in the statement too, since another delivery may have recorded one
 * since the caller read the ticket.
 */
gboolean tg_store_record_first_response (TgStore *store,
					 gint64 ticket_id,
					 GDateTime *at,
					 GError **error);

/* tg_store_set_ticket_priority / _assignee: what staff commands change;
 * @assignee NULL unassigns. */
gboolean tg_store_set_ticket_priority (TgStore *store,
				       gint64 ticket_id,
				       int priority,
				       GError **error);
gboolean tg_store_set_ticket_assignee (TgStore *store,
				       gint64 ticket_id,
				       const char *assignee,
				       GError **error);

/*
 * tg_store_lock_ticket: locks the ticket row for the transaction, first,
 * so that concurrent deliveries to one ticket queue up instead of
 * deadlocking on the foreign keys of their inserts.
 */
gboolean tg_store_lock_ticket (TgStore *store, gint64 ticket_id,
			       GError **error);

typedef enum {
	TG_SEND_OK,       /* counted; send it */
	TG_SEND_CAPPED,   /* over a rolling cap: hold it back */
	TG_SEND_BOUNCING, /* the address bounces: hold it back */
	TG_SEND_OVER,     /* counted and allowed (not enforced), although
			     over a cap or bouncing */
} TgSendVerdict;

/*
 * tg_store_reserve_send: counts one mail of @kind to @address (its
 * canonical form, address.h) against the rolling caps, under a
 * transaction lock on the address (one round trip). With @enforce, a
 * mail to a bouncing address, or over @per_hour in the last hour or
 * @per_day in the last day, is not counted and is refused; without, it
 * is always counted and allowed, and TG_SEND_OVER says it would not
 * have been.
 */
gboolean tg_store_reserve_send (TgStore *store,
				const char *address,
				const char *kind,
				gboolean enforce,
				int per_hour,
				int per_day,
				TgSendVerdict *verdict_out,
				GError **error);

/*
 * tg_store_find_sent: the ticket and recipients of the mail we sent with
 * Message-ID @message_id; *@found_out FALSE when there is none.
 * @recipients_out: (transfer full).
 */
gboolean tg_store_find_sent (TgStore *store,
			     const char *message_id,
			     gboolean *found_out,
			     gint64 *ticket_id_out,
			     char ***recipients_out,
			     GError **error);

/* tg_store_mark_bouncing: stops automatic mail to @address (kept once). */
gboolean tg_store_mark_bouncing (TgStore *store,
				 const char *address,
				 gint64 ticket_id,
				 const char *status,
				 GError **error);

/*
 * tg_store_machine_noticed: whether staff were told of machine mail on
 * @ticket_id within the last @seconds.
 */
gboolean tg_store_machine_noticed (TgStore *store,
				   gint64 ticket_id,
				   int seconds,
				   gboolean *noticed_out,
				   GError **error);

/* tg_store_add_cc: adds addresses to a ticket's CC list (duplicates kept once). */
gboolean tg_store_add_cc (TgStore *store,
			  gint64 ticket_id,
			  const char *const *addresses,
			  GError **error);

/*
 * tg_store_set_ticket_status: sets the status (and closed_at for
 * "closed"/"resolved", cleared otherwise).
 */
gboolean tg_store_set_ticket_status (TgStore *store,
				     gint64 ticket_id,
				     TgStatus status,
				     GError **error);

/*
 * tg_store_add_incoming: records an incoming mail with its raw bytes
 * (streamed, never copied whole into memory) and its attachment list.
 * A mail stored already fails with TG_STORE_ERROR_DUPLICATE.
 */
gboolean tg_store_add_incoming (TgStore *store,
				const TgIncoming *in,
				gint64 *message_row_out,
				GError **error);

/*
 * tg_store_add_outgoing: records an outgoing mail and queues it, claimed
 * by the calling process (tg_owner_self()) for @claim_seconds so that
 * sweep leaves it alone while the caller sends it, and linked to the
 * incoming mail named by out->cause_key. Sets the outbox row id.
 * With out->may_hand_over, while a resident sender runs, the row is left
 * unclaimed instead and the sender is woken at the commit
 * (TG_STORE_OUTBOX_CHANNEL); @handed_out (nullable) says which it was.
 */
gboolean tg_store_add_outgoing (TgStore *store,
				const TgOutgoing *out,
				int claim_seconds,
				gint64 *outbox_id_out,
				gboolean *handed_out,
				GError **error);

/*
 * tg_store_read_raw: (transfer full): the raw bytes of message row @id,
 * read a few MiB at a time into a new spool (tg_spool_new() with
 * @memory_limit and @tmpdir), so that memory does not grow with the
 * mail. TG_STORE_ERROR_NOT_FOUND when there is no such row;
 * TG_STORE_ERROR_TEMPORARY when the spool cannot be written.
 */
TgSpool *tg_store_read_raw (TgStore *store,
			    gint64 id,
			    gsize memory_limit,
			    const char *tmpdir,
			    GError **error);

/* Sending. Every claim is held in the name of the calling process
 * (tg_owner_self()), so that another process can tell when its holder
 * has gone. */

/* The resident sender (senderd.h). */

/* What a transaction that leaves answers to the sender NOTIFYs. */
#define TG_STORE_OUTBOX_CHANNEL "ticketgate_outbox"

/*
 * tg_store_sender_lock: takes the lock that tells writers a resident
 * sender runs on this database, for as long as the connection lives,
 * and listens on TG_STORE_OUTBOX_CHANNEL. Sets @got FALSE (and returns
 * TRUE) when another sender holds it.
 */
gboolean tg_store_sender_lock (TgStore *store, gboolean *got, GError **error);

/*
 * tg_store_wait_for_answers: waits up to @timeout_ms (or a signal) for a
 * NOTIFY on TG_STORE_OUTBOX_CHANNEL; @woken says whether one came. FALSE
 * (TG_STORE_ERROR_TEMPORARY) when the connection is lost.
 */
gboolean tg_store_wait_for_answers (TgStore *store, int timeout_ms,
				    gboolean *woken, GError **error);

/*
 * tg_store_claim_due: (transfer full): up to @limit outbox rows that are
 * due and unclaimed, claimed for @claim_seconds, oldest first.
 */
GPtrArray *tg_store_claim_due (TgStore *store,
			       int limit,
			       int claim_seconds,
			       GError **error);

/* tg_store_outbox_sent: marks a row sent and releases the claim. */
gboolean tg_store_outbox_sent (TgStore *store, gint64 id, GError **error);

/*
 * tg_store_outbox_sent_patiently: the same for a row sendmail has taken:
 * while the database is unreachable (TG_STORE_ERROR_TEMPORARY), connects
 * again as the store first did and retries, until @give_up (monotonic
 * microseconds).
 */
gboolean tg_store_outbox_sent_patiently (TgStore *store, gint64 id,
					 gint64 give_up, GError **error);

/*
 * tg_store_outbox_failed: records a failed attempt with @why; the row is
 * tried again after @retry_seconds, or given up when @give_up. A row
 * marked sent in the meantime stays sent.
 */
gboolean tg_store_outbox_failed (TgStore *store,
				 gint64 id,
				 const char *why,
				 int retry_seconds,
				 gboolean give_up,
				 GError **error);

/*
 * tg_store_outbox_due_now: makes every unsent answer that waits for its
 * next attempt due now ("sweep --flush", once sendmail is mended);
 * answers being sent are left alone.
 */
gboolean tg_store_outbox_due_now (TgStore *store, GError **error);

/*
 * tg_store_answers_of: (transfer full): TgOutboxHolder rows for the
 * unsent answers (not given up) that the transaction storing the
 * incoming mail @dedup_key wrote, and who holds each.
 */
GPtrArray *tg_store_answers_of (TgStore *store,
				const char *dedup_key,
				GError **error);

/*
 * tg_store_take_over: (transfer full): claims the rows of @holders
 * (TgOutboxHolder, from tg_store_answers_of()) for @claim_seconds, each
 * only if it is still as it was read: unsent, due, held by the same
 * process, and, if it was free, still free. The caller has made sure
 * that each held one's holder is gone (owner.h). Returns the
 * TgOutboxItem rows claimed.
 */
GPtrArray *tg_store_take_over (TgStore *store,
			       const GPtrArray *holders,
			       int claim_seconds,
			       GError **error);

/*
 * tg_store_outbox_mark_sent: records @n answers as sent at @sent_at
 * (microseconds since the epoch) from the journal of a mail host: row
 * @ids[i], provided its mail's Message-ID is @message_ids[i] and it is
 * not marked sent already. @marked_out: (optional): how many were.
 */
gboolean tg_store_outbox_mark_sent (TgStore *store,
				    const gint64 *ids,
				    const char *const *message_ids,
				    const gint64 *sent_at,
				    guint n,
				    guint *marked_out,
				    GError **error);

/*
 * tg_store_outbox_mark_sent_patiently: tg_store_outbox_mark_sent() for
 * answers this process sent, retried as tg_store_outbox_sent_patiently()
 * retries, until @give_up.
 */
gboolean tg_store_outbox_mark_sent_patiently (TgStore *store,
					      const gint64 *ids,
					      const char *const *message_ids,
					      const gint64 *sent_at, guint n,
					      gint64 give_up, GError **error);

/*
 * tg_store_database_id: (transfer none): this database's name (a UUID,
 * schema/008-outbox-holders.sql), read once per store and kept; NULL
 * with an error.
 */
const char *tg_store_database_id (TgStore *store, GError **error);

/* Administration. */

gboolean tg_store_add_customer (TgStore *store,
				const char *name,
				gint64 *id_out,
				GError **error);
gboolean tg_store_find_customer (TgStore *store,
				 const char *name,
				 gint64 *id_out,
				 GError **error);
gboolean tg_store_add_contact (TgStore *store,
			       gint64 customer_id,
			       const char *address,
			       const char *name,
			       GError **error);
gboolean tg_store_add_domain (TgStore *store,
			      gint64 customer_id,
			      const char *domain,
			      GError **error);
gboolean tg_store_add_subscription (TgStore *store,
				    gint64 customer_id,
				    const char *plan,
				    const GDate *from,
				    const GDate *until,
				    GError **error);
GPtrArray *tg_store_list_customers (TgStore *store,
				    const GDate *today,
				    GError **error);
gboolean tg_store_add_staff (TgStore *store,
			     const char *address,
			     const char *name,
			     GError **error);
gboolean tg_store_set_staff_active (TgStore *store,
				    const char *address,
				    gboolean active,
				    GError **error);
GPtrArray *tg_store_list_staff (TgStore *store, GError **error);
/* tg_store_add_holiday: a day that is a holiday already is
 * TG_STORE_ERROR_DUPLICATE (never renamed). */
gboolean tg_store_add_holiday (TgStore *store,
			       const GDate *day,
			       const char *name,
			       GError **error);
gboolean tg_store_remove_holiday (TgStore *store,
				  const GDate *day,
				  GError **error);
GPtrArray *tg_store_list_plans (TgStore *store, GError **error);

typedef struct {
	char *address;
	GDateTime *since;
	gint64 ticket_number; /* 0: none */
	char *status;
} TgBouncing;

/* Bouncing addresses, oldest first; and clearing one by hand. */
GPtrArray *tg_store_list_bouncing (TgStore *store, GError **error);
gboolean tg_store_clear_bouncing (TgStore *store,
				  const char *address,
				  GError **error);
void tg_bouncing_free (TgBouncing *b);

/* tg_store_prune_sent_log: forgets what the caps no longer count. */
gboolean tg_store_prune_sent_log (TgStore *store, GError **error);

/*
 * tg_store_list_messages: (transfer full): TgStoredMessage rows of a
 * ticket, oldest first.
 */
GPtrArray *tg_store_list_messages (TgStore *store,
				   gint64 ticket_id,
				   GError **error);

/*
 * tg_store_list_queue: (transfer full): the open tickets (new, open) in
 * the order of work: plan rank, priority, deadline (none last), arrival,
 * number.
 */
GPtrArray *tg_store_list_queue (TgStore *store, GError **error);

/* The deadline watch (doc/sla.md). */

/*
 * tg_store_read_desk: (transfer full): the desk snapshot alone (plans,
 * holidays, scope rules, staff, secrets), as tg_store_identify() reads it.
 */
TgDesk *tg_store_read_desk (TgStore *store, GError **error);

/* An open ticket whose deadline is watched, and what staff were told. */
typedef struct {
	TgTicket *ticket;
	gboolean warned;   /* the warning went out */
} TgWatched;

/*
 * tg_store_list_watched: (transfer full): TgWatched rows: tickets new or
 * open, with a deadline and no first response, whose breach notice has
 * not gone out, in the order of work.
 */
GPtrArray *tg_store_list_watched (TgStore *store, GError **error);

/*
 * tg_store_record_escalation: records that the @kind ("warn", "breach")
 * notice of @ticket_id about @due_at is being sent, judged at @at, inside
 * the caller's transaction. *@inserted_out is FALSE when it was recorded
 * already (another sweep sent it): the caller then sends nothing.
 */
gboolean tg_store_record_escalation (TgStore *store,
				     gint64 ticket_id,
				     const char *kind,
				     GDateTime *due_at,
				     GDateTime *at,
				     gboolean *inserted_out,
				     GError **error);

/*
 * tg_store_record_daily: records the morning queue of @day, judged at @at,
 * inside the caller's transaction; *@inserted_out FALSE when it was sent
 * already. @previous_out: (out) (transfer full) (nullable): when the one
 * before it was judged, NULL for the first.
 */
gboolean tg_store_record_daily (TgStore *store,
				const GDate *day,
				GDateTime *at,
				gboolean *inserted_out,
				GDateTime **previous_out,
				GError **error);

/*
 * tg_store_list_late: (transfer full): TgTicket rows whose deadline fell
 * in (@since, @until] (@since NULL: any time before) and that were not
 * answered by it, by deadline.
 */
GPtrArray *tg_store_list_late (TgStore *store,
			       GDateTime *since,
			       GDateTime *until,
			       GError **error);

/*
 * tg_store_list_received: (transfer full): TgTicket rows received in
 * [@from, @until), of customer @customer_id (0: any), by number.
 */
GPtrArray *tg_store_list_received (TgStore *store,
				   GDateTime *from,
				   GDateTime *until,
				   gint64 customer_id,
				   GError **error);

/* Releasing results. */
void tg_outbox_item_free (TgOutboxItem *item);
void tg_outbox_holder_free (TgOutboxHolder *holder);
void tg_stored_message_free (TgStoredMessage *msg);
void tg_scope_rule_row_free (TgScopeRuleRow *row);
void tg_customer_free (TgCustomer *customer);
void tg_staff_free (TgStaff *staff);
void tg_holiday_clear (TgHoliday *holiday);
void tg_desk_free (TgDesk *desk);
void tg_watched_free (TgWatched *watched);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TgOutboxItem, tg_outbox_item_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TgOutboxHolder, tg_outbox_holder_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TgDesk, tg_desk_free)

/* tg_message_kind_to_string: (transfer none): the kind's name in the
 * database ("customer", "ack", ...). */
const char *tg_message_kind_to_string (TgMessageKind kind);
