-- SPDX-License-Identifier: GPL-3.0-or-later
-- Staff work the desk by mail: who a ticket is assigned to, which closed
-- ticket a new one follows, and whether the first response met the
-- deadline (derived from the two times, so it can never disagree).

ALTER TABLE tickets
    ADD COLUMN assignee text,
    ADD COLUMN follows_id bigint REFERENCES tickets ON DELETE SET NULL,
    ADD COLUMN deadline_met boolean
        GENERATED ALWAYS AS (first_response_at <= response_due_at) STORED;

-- Staff mail that was not relayed, and why (an invalid command block).
ALTER TABLE messages
    ADD COLUMN note text;
