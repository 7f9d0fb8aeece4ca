-- SPDX-License-Identifier: GPL-3.0-or-later
-- preload.sql: a desk's history for the scale run of the benchmark.
--
--   psql -v tickets=1000000 -v per_ticket=3 -v open=2000 -f preload.sql
--
-- Run by bench/driver --long on a database made from the benchmark's
-- template (schema migrated, customers of gen-corpus.py's desk.sql).
-- Writes :tickets tickets spread over three years and :per_ticket
-- messages each (the customer's mail, our acknowledgment, then follow-ups
-- and answers in turn), with Message-IDs and unique dedup_keys shaped
-- like ticketgate's, small raw bytes, an outbox row per answer, a CC on
-- every tenth ticket and, where the schema has the rolling caps'
-- sent_log, a row per answer of the last two days (older ones are
-- pruned in production). :open tickets at the end are new or open (the
-- queue); the 20000 before them resolved or pending; the rest closed.
--
-- A bulk load: the secondary indexes of the big tables are dropped and
-- built again from their own definitions afterwards, and foreign keys
-- are not checked row by row (session_replication_role = replica), as
-- the rows are consistent by construction. The driver runs VACUUM
-- (ANALYZE) and CHECKPOINT afterwards.
\set ON_ERROR_STOP on
SET maintenance_work_mem = '256MB';
SET session_replication_role = replica;

BEGIN;

CREATE TEMP TABLE bench_indexes ON COMMIT DROP AS
SELECT i.schemaname, i.indexname, i.indexdef
  FROM pg_indexes i
 WHERE i.schemaname = 'public'
   AND i.tablename IN ('tickets', 'messages', 'outbox', 'ticket_cc')
   AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname);

DO $$
DECLARE r record;
BEGIN
    FOR r IN SELECT * FROM bench_indexes LOOP
        EXECUTE format('DROP INDEX %I.%I', r.schemaname, r.indexname);
    END LOOP;
END $$;

-- The customers with a plan in force, numbered from 0.
CREATE TEMP TABLE bench_customers ON COMMIT DROP AS
SELECT row_number() OVER (ORDER BY c.id) - 1 AS n, c.id, d.domain,
       p.name AS plan, p.rank, p.reaction_minutes, p.email_support,
       p.hourly_rate, p.currency
  FROM customers c
  JOIN LATERAL (SELECT domain FROM customer_domains
                 WHERE customer_id = c.id ORDER BY domain LIMIT 1) d ON true
  JOIN LATERAL (SELECT pl.* FROM subscriptions s JOIN plans pl ON pl.name = s.plan
                 WHERE s.customer_id = c.id
                 ORDER BY s.valid_from DESC LIMIT 1) p ON true;
SELECT count(*) AS ncustomers FROM bench_customers \gset

INSERT INTO tickets (number, requester, requester_name, reply_address,
                     customer_id, subject, status, priority, plan_name,
                     plan_rank, reaction_minutes, billable, hourly_rate,
                     currency, scope_flags, received_at, response_due_at,
                     first_response_at, closed_at, created_at, updated_at)
SELECT nextval('ticket_number_seq'),
       'user' || (g % 7) || '@' || c.domain,
       'User ' || (g % 7) || ' of ' || c.domain,
       'user' || (g % 7) || '@' || c.domain,
       c.id,
       'Preloaded ticket ' || g || ': call queue stops answering',
       CASE WHEN g > :tickets - :open
                 THEN CASE WHEN g % 3 = 0 THEN 'new' ELSE 'open' END
            WHEN g > :tickets - :open - 20000
                 THEN CASE WHEN g % 2 = 0 THEN 'resolved' ELSE 'pending' END
            ELSE 'closed' END,
       1 + g % 3, c.plan, c.rank, c.reaction_minutes, NOT c.email_support,
       c.hourly_rate, c.currency,
       CASE WHEN g % 50 = 0 THEN '{firewall configuration}'::text[] ELSE '{}' END,
       t.at, t.at + interval '3 hours', t.at + interval '1 hour',
       CASE WHEN g <= :tickets - :open - 20000 THEN t.at + interval '2 days' END,
       t.at, t.at + interval '2 days'
  FROM generate_series(1, :tickets) AS g
  JOIN bench_customers c ON c.n = g % :ncustomers
 CROSS JOIN LATERAL (SELECT now() - interval '3 years'
                            + (interval '3 years' / :tickets) * g AS at) t;

-- k = 1, 3, 5...: the customer's mail; k = 2, 4...: ours. The raw bytes
-- are a small mail made of the other columns.
INSERT INTO messages (ticket_id, direction, kind, message_id, dedup_key,
                      envelope_sender, envelope_recipient, sender, recipients,
                      subject, body_text, priority, size, received_at, created_at,
                      raw)
SELECT m.*,
       convert_to('From: ' || m.sender || E'\nTo: ' || array_to_string(m.recipients, ', ')
                  || E'\nSubject: ' || m.subject || E'\nMessage-ID: <' || m.message_id
                  || E'>\n\n' || m.body_text || E'\n', 'UTF8')
  FROM (
SELECT t.id,
       CASE WHEN k % 2 = 1 THEN 'in' ELSE 'out' END,
       CASE WHEN k % 2 = 1 THEN 'customer' ELSE 'ack' END,
       CASE WHEN k % 2 = 1
            THEN md5(t.id || '.' || k) || '.' || k || '@mail.' || split_part(t.requester, '@', 2)
            ELSE 'ticketgate.' || md5('ack' || t.id || '.' || k) || '@desk.example' END
           AS message_id,
       CASE WHEN k % 2 = 1
            THEN encode(sha256(convert_to('preload:' || t.id || ':' || k, 'UTF8')), 'hex') END,
       CASE WHEN k % 2 = 1 THEN t.requester ELSE 'support@desk.example' END,
       CASE WHEN k % 2 = 1 THEN 'support@desk.example' ELSE t.requester END,
       CASE WHEN k % 2 = 1 THEN t.requester ELSE 'support@desk.example' END AS sender,
       CASE WHEN k % 2 = 1 THEN '{support@desk.example}'::text[]
            ELSE ARRAY[t.requester] END AS recipients,
       CASE WHEN k = 1 THEN t.subject ELSE 'Re: ' || t.subject END AS subject,
       'Hello support, since the update our call queue stops answering after a'
           || ' few minutes. Could you please have a look? (message ' || k || ')'
           AS body_text,
       t.priority, 1800 + (t.id % 5000), t.received_at + (k - 1) * interval '1 hour',
       t.received_at + (k - 1) * interval '1 hour'
  FROM tickets t CROSS JOIN generate_series(1, :per_ticket) AS k
 ORDER BY t.id, k) AS m;

INSERT INTO outbox (message_id, envelope_from, recipients, attempts,
                    next_attempt_at, claimed_until, sent_at, created_at)
SELECT m.id, 'support@desk.example', m.recipients, 1, m.received_at,
       m.received_at + interval '10 minutes', m.received_at, m.received_at
  FROM messages m WHERE m.direction = 'out';

INSERT INTO ticket_cc (ticket_id, address)
SELECT t.id, 'colleague@' || split_part(t.requester, '@', 2)
  FROM tickets t WHERE t.id % 10 = 0;

DO $$
BEGIN
    IF to_regclass('sent_log') IS NOT NULL THEN
        INSERT INTO sent_log (address, at, kind)
        SELECT m.recipients[1], m.received_at, 'ack'
          FROM messages m
         WHERE m.direction = 'out' AND m.received_at > now() - interval '2 days';
    END IF;
END $$;

DO $$
DECLARE r record;
BEGIN
    FOR r IN SELECT * FROM bench_indexes LOOP
        EXECUTE r.indexdef;
    END LOOP;
END $$;

COMMIT;
SET session_replication_role = DEFAULT;
