/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tg-floor: the cost of storing a mail as physics allows, for the
 * benchmark (issue 6). Reads standard input, connects with libpq the way
 * ticketgate does, and stores the raw bytes in one transaction: BEGIN,
 * one INSERT with a binary parameter, COMMIT. Nothing else: no parsing,
 * no lookups, no answer. Exits 0 after COMMIT, 75 on any failure.
 *
 *   tg-floor CONNINFO          store standard input in bench_floor (raw)
 *   tg-floor --exit            return from main at once (loader cost)
 *
 * The table: CREATE TABLE bench_floor (id bigserial PRIMARY KEY,
 * raw bytea NOT NULL).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <libpq-fe.h>

static int
fail (const char *what, const char *why)
{
	fprintf (stderr, "4.3.0 tg-floor: %s: %s\n", what, why);
	return EX_TEMPFAIL;
}

/* Standard input into one growing buffer, as ticketgate's memory spool. */
static char *
read_all (size_t *len_out)
{
	size_t cap = 64 * 1024, len = 0;
	char *buf = malloc (cap);

	while (buf != NULL) {
		ssize_t n;

		if (len == cap) {
			char *bigger = realloc (buf, cap * 2);

			if (bigger == NULL)
				break;
			buf = bigger;
			cap *= 2;
		}
		n = read (STDIN_FILENO, buf + len, cap - len);
		if (n == 0) {
			*len_out = len;
			return buf;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		len += (size_t) n;
	}
	free (buf);
	return NULL;
}

static int
command (PGconn *conn, const char *sql)
{
	PGresult *res = PQexecParams (conn, sql, 0, NULL, NULL, NULL, NULL, 0);
	int ok = PQresultStatus (res) == PGRES_COMMAND_OK;

	if (!ok)
		fail (sql, PQerrorMessage (conn));
	PQclear (res);
	return ok;
}

int
main (int argc, char **argv)
{
	/* The same keywords as tg_store_connect (src/store-exec.c). */
	const char *keys[] = { "dbname", "connect_timeout", "application_name",
			       "client_encoding", NULL };
	const char *values[] = { NULL, "10", "tg-floor", "UTF8", NULL };
	const char *param[1];
	int length[1], format[1] = { 1 };
	PGconn *conn;
	PGresult *res;
	size_t len = 0;
	char *raw;
	int ok;

	if (argc == 2 && strcmp (argv[1], "--exit") == 0)
		return 0;
	if (argc != 2)
		return fail ("usage", "tg-floor CONNINFO < mail");
	raw = read_all (&len);
	if (raw == NULL)
		return fail ("reading standard input", strerror (errno));
	if (len > 0x7fffffff)
		return fail ("reading standard input", "too big");
	values[0] = argv[1];
	conn = PQconnectdbParams (keys, values, 1);
	if (PQstatus (conn) != CONNECTION_OK) {
		fail ("connect", PQerrorMessage (conn));
		PQfinish (conn);
		return EX_TEMPFAIL;
	}
	param[0] = raw;
	length[0] = (int) len;
	ok = command (conn, "BEGIN");
	if (ok) {
		res = PQexecParams (conn,
				    "INSERT INTO bench_floor (raw) VALUES ($1)",
				    1, NULL, param, length, format, 0);
		ok = PQresultStatus (res) == PGRES_COMMAND_OK;
		if (!ok)
			fail ("insert", PQerrorMessage (conn));
		PQclear (res);
	}
	ok = ok && command (conn, "COMMIT");
	PQfinish (conn);
	free (raw);
	return ok ? 0 : EX_TEMPFAIL;
}
