-- SPDX-License-Identifier: GPL-3.0-or-later
-- Answers sent exactly once when their sender dies or the database goes
-- away in the middle: who holds an answer being sent, which incoming
-- mail caused it, and a name for this database that the local journal
-- of sent answers can use.

-- The process that claimed the row (src/owner.h: host, boot, PID
-- namespace, pid, start time), NULL once released. A claim whose holder
-- is known to have exited is free before claimed_until.
ALTER TABLE outbox ADD COLUMN claimed_by text;

-- The incoming mail whose transaction wrote this answer: a redelivery of
-- that mail sends what the first delivery left unsent.
ALTER TABLE outbox ADD COLUMN caused_by bigint REFERENCES messages ON DELETE SET NULL;
CREATE INDEX outbox_caused_by ON outbox (caused_by)
    WHERE sent_at IS NULL AND gave_up_at IS NULL;

-- One row: what tells this database from every other one. The journal
-- of sent answers on a mail host names it, so that a line is only ever
-- folded into the database it is about.
CREATE TABLE desk_identity (
    id  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    one boolean NOT NULL DEFAULT true UNIQUE CHECK (one)
);
INSERT INTO desk_identity DEFAULT VALUES;
