-- SPDX-License-Identifier: GPL-3.0-or-later
-- Trust (doc/SECURITY.md): the secrets that sign reply addresses, mail
-- held because it claimed a staff address it could not prove, and the
-- ticket a stranger's mail referred to without being let into it.

-- The desk signs the reply address of every mail it sends with the
-- newest secret; a replaced one still verifies for [security]
-- secret_grace after its successor was made. All mail hosts of a desk
-- read the same rows. The first secret is made here, from PostgreSQL's
-- strong random source (gen_random_uuid() draws 122 random bits each);
-- "ticketgate secret rotate" makes the next one.
CREATE TABLE signing_keys (
    id         integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    secret     bytea NOT NULL CHECK (length(secret) >= 32),
    created_at timestamptz NOT NULL DEFAULT clock_timestamp()
);

INSERT INTO signing_keys (secret)
SELECT sha256(convert_to(gen_random_uuid()::text || gen_random_uuid()::text
                         || gen_random_uuid()::text, 'UTF8'));

-- Held: mail from a staff address that proved nothing (no signed reply
-- address, no passing Authentication-Results of our MTA). Stored, never
-- relayed, never applied.
ALTER TABLE messages DROP CONSTRAINT messages_kind_check;
ALTER TABLE messages ADD CONSTRAINT messages_kind_check
    CHECK (kind IN ('customer', 'staff', 'comment', 'machine', 'rejected',
                    'ack', 'relay', 'notice', 'held'));

-- A ticket opened by someone who wrote to another ticket (its tag, one of
-- its Message-IDs) without being one of its people: named, not joined.
ALTER TABLE tickets
    ADD COLUMN refers_id bigint REFERENCES tickets ON DELETE SET NULL;

-- The secrets join the desk snapshot (schema/005-desk-snapshot.sql), so
-- that deliver reads them in the same round trip:
--   key      c1 the secret in hex, c2 when its successor was made (Unix
--            seconds), NULL for the newest; newest first
ALTER TABLE desk_snapshot DROP CONSTRAINT desk_snapshot_kind_check;
ALTER TABLE desk_snapshot ADD CONSTRAINT desk_snapshot_kind_check
    CHECK (kind IN ('plan', 'holiday', 'scope', 'staff', 'key'));

CREATE OR REPLACE FUNCTION desk_snapshot_rows ()
RETURNS SETOF desk_snapshot LANGUAGE sql STABLE AS $$
    SELECT 'plan', (row_number() OVER (ORDER BY rank, name))::integer,
           name, rank::text, reaction_minutes::text,
           CASE WHEN email_support THEN 't' ELSE 'f' END,
           CASE WHEN full_service THEN 't' ELSE 'f' END,
           hourly_rate::text, currency, description
    FROM plans
    UNION ALL
    SELECT 'holiday', (row_number() OVER (ORDER BY day))::integer,
           to_char(day, 'YYYY-MM-DD'), name, NULL, NULL, NULL, NULL, NULL,
           NULL
    FROM holidays
    UNION ALL
    SELECT 'scope', (row_number() OVER (ORDER BY id))::integer, topic,
           pattern, array_to_string(plans, E'\x1f'),
           CASE WHEN plans IS NULL THEN 't' ELSE 'f' END, rule, NULL, NULL,
           NULL
    FROM scope_rules
    UNION ALL
    SELECT 'staff', (row_number() OVER (ORDER BY address))::integer,
           address, name, NULL, NULL, NULL, NULL, NULL, NULL
    FROM staff WHERE active
    UNION ALL
    SELECT 'key', (row_number() OVER (ORDER BY created_at DESC, id DESC))::integer,
           encode(secret, 'hex'),
           floor(extract(epoch FROM lag(created_at) OVER
                 (ORDER BY created_at DESC, id DESC)))::bigint::text,
           NULL, NULL, NULL, NULL, NULL, NULL
    FROM signing_keys
$$;

CREATE TRIGGER desk_snapshot AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON signing_keys FOR EACH STATEMENT EXECUTE FUNCTION desk_snapshot_changed();

SELECT desk_snapshot_refresh();
