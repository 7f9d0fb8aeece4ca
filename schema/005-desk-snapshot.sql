-- SPDX-License-Identifier: GPL-3.0-or-later
-- What every mail needs to know about the desk and only an admin changes:
-- the plans, the holidays, the scope rules and the active staff, copied
-- as text rows into one table without indexes. A new PostgreSQL backend
-- pays for every relation and index a statement names, and deliver runs
-- in a new backend for every mail: one small table costs it about a
-- millisecond of the server's CPU less than the four (doc/PERFORMANCE.md).
--
-- Statement triggers on the four tables rewrite the copy in the same
-- transaction, so it never disagrees with them once committed. Data
-- loaded with triggers disabled (pg_restore --disable-triggers) leaves
-- it behind: "ticketgate check-config" says so and "ticketgate db
-- migrate" rewrites it.
--
-- Row layout by kind, in the order of ord (text as the columns print):
--   plan     c1 name, c2 rank, c3 reaction_minutes, c4 email_support
--            (t/f), c5 full_service (t/f), c6 hourly_rate, c7 currency,
--            c8 description; ordered by rank, then name
--   holiday  c1 day (YYYY-MM-DD), c2 name; in date order
--   scope    c1 topic, c2 pattern, c3 plans joined by U+001F, c4 t when
--            plans is NULL (every plan), c5 rule; in id order
--   staff    c1 address, c2 name; active staff only, by address

CREATE TABLE desk_snapshot (
    kind text NOT NULL CHECK (kind IN ('plan', 'holiday', 'scope', 'staff')),
    ord  integer NOT NULL,
    c1 text, c2 text, c3 text, c4 text, c5 text, c6 text, c7 text, c8 text
);

-- The rows the copy should hold, from the four tables.
CREATE FUNCTION desk_snapshot_rows ()
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
$$;

-- Rewrites the copy. "ticketgate db migrate" runs it when the copy is
-- out of step (after a restore with triggers disabled, say), and
-- "ticketgate check-config" says when it is.
CREATE FUNCTION desk_snapshot_refresh () RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    -- One writer at a time; the statements below then see what the
    -- writer before committed. Readers are never blocked.
    LOCK TABLE desk_snapshot IN SHARE ROW EXCLUSIVE MODE;
    DELETE FROM desk_snapshot;
    INSERT INTO desk_snapshot SELECT * FROM desk_snapshot_rows();
END
$$;

CREATE FUNCTION desk_snapshot_changed () RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM desk_snapshot_refresh();
    RETURN NULL;
END
$$;

CREATE TRIGGER desk_snapshot AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON plans FOR EACH STATEMENT EXECUTE FUNCTION desk_snapshot_changed();
CREATE TRIGGER desk_snapshot AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON holidays FOR EACH STATEMENT EXECUTE FUNCTION desk_snapshot_changed();
CREATE TRIGGER desk_snapshot AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON scope_rules FOR EACH STATEMENT EXECUTE FUNCTION desk_snapshot_changed();
CREATE TRIGGER desk_snapshot AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON staff FOR EACH STATEMENT EXECUTE FUNCTION desk_snapshot_changed();

SELECT desk_snapshot_refresh();
