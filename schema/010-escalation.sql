-- SPDX-License-Identifier: GPL-3.0-or-later
-- The deadline is watched (doc/sla.md): what "ticketgate sweep" told
-- staff, so that each warning, breach notice and morning queue goes out
-- once, however many mail hosts run sweep.

-- One row per ticket and threshold: "warn" when [escalation] warn_at of
-- the reaction time has passed in working minutes, "breach" when the
-- deadline has. The primary key is what makes two sweeps at once send a
-- notice once: the one whose insert wins sends it.
CREATE TABLE escalations (
    ticket_id  bigint NOT NULL REFERENCES tickets ON DELETE CASCADE,
    kind       text NOT NULL CHECK (kind IN ('warn', 'breach')),
    due_at     timestamptz NOT NULL,   -- the deadline it was about
    at         timestamptz NOT NULL,   -- the time sweep judged by (--now)
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (ticket_id, kind)
);

-- One row per working day whose morning queue was sent.
CREATE TABLE daily_queues (
    day        date PRIMARY KEY,
    at         timestamptz NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Tickets already past their deadline when the watch began are not
-- announced after the fact: staff would get one mail for every old
-- ticket at the first sweep.
INSERT INTO escalations (ticket_id, kind, due_at, at)
SELECT t.id, k.kind, t.response_due_at, now()
FROM tickets t CROSS JOIN (VALUES ('warn'), ('breach')) AS k (kind)
WHERE t.response_due_at IS NOT NULL AND t.response_due_at <= now();
