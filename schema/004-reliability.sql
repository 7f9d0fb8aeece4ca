-- SPDX-License-Identifier: GPL-3.0-or-later
-- Robots and loops: addresses whose mail bounces, and a log of what we
-- sent to whom, for the rolling caps.

-- An address is bouncing once a delivery status notification says our
-- mail to it failed; automatic answers to it stop until a human clears
-- it ("ticketgate bounce clear").
CREATE TABLE bouncing_addresses (
    address    text PRIMARY KEY CHECK (address = lower(address)),
    since      timestamptz NOT NULL DEFAULT now(),
    ticket_id  bigint REFERENCES tickets ON DELETE SET NULL,
    status     text,        -- the DSN's status, "5.1.1"
    message_id bigint REFERENCES messages ON DELETE SET NULL  -- the DSN
);

-- One row per recipient of every mail we queue. The caps count rows of
-- the last hour and day under a transaction lock on the address, so that
-- concurrent deliveries cannot both slip under a cap.
CREATE TABLE sent_log (
    address text NOT NULL,
    at      timestamptz NOT NULL DEFAULT now(),
    kind    text NOT NULL
);
CREATE INDEX sent_log_address ON sent_log (address, at);

-- Old rows only ever matter for a day.
CREATE INDEX sent_log_at ON sent_log (at);
