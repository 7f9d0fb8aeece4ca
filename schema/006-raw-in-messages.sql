-- SPDX-License-Identifier: GPL-3.0-or-later
-- A message's raw bytes move from message_raw into its own row. Every
-- message had exactly one message_raw row, so nothing is gained by the
-- second table, and deliver paid for it on every mail in a new backend:
-- the table, its index, its TOAST table and a foreign key check, about a
-- millisecond of the server's CPU (doc/PERFORMANCE.md). Large values
-- still live out of line in the TOAST table of messages, so a scan of
-- messages that does not name raw does not read them.
--
-- The UPDATE rewrites every row of messages once: on a large desk, run
-- "ticketgate db migrate" in a quiet hour, with free disk space for a
-- second copy of the table until VACUUM reclaims the first.

ALTER TABLE messages ADD COLUMN raw bytea;

UPDATE messages m SET raw = r.raw FROM message_raw r WHERE r.message_id = m.id;

-- Fails, and so leaves the database as it was, if some message had lost
-- its bytes: that is damage to look at, not to paper over.
ALTER TABLE messages ALTER COLUMN raw SET NOT NULL;

DROP TABLE message_raw;
