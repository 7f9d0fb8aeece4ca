/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * endpoint: the socket addresses of the settings, in Postfix's own
 * notation: "unix:/path/to/socket" or "inet:HOST:PORT" (HOST an IPv4
 * address, or an IPv6 address in brackets: "inet:[::1]:24"). Parsing,
 * listening and connecting; GLib and POSIX sockets only.
 */
#pragma once

#include <glib.h>

#define TG_ENDPOINT_ERROR (tg_endpoint_error_quark ())
GQuark tg_endpoint_error_quark (void);

typedef enum {
	TG_ENDPOINT_ERROR_FAILED,
} TgEndpointError;

typedef enum {
	TG_ENDPOINT_UNIX,
	TG_ENDPOINT_INET,
} TgEndpointKind;

typedef struct {
	TgEndpointKind kind;
	char *path; /* unix: an absolute path */
	char *host; /* inet: a numeric address, without brackets */
	guint16 port;
} TgEndpoint;

/*
 * tg_endpoint_parse: fills @out from @text; on failure returns FALSE
 * with *@why (transfer full) saying what is wrong, for a settings error.
 */
gboolean tg_endpoint_parse (const char *text, TgEndpoint *out, char **why);

/* tg_endpoint_parse_list: a comma-separated list of at least one. */
gboolean tg_endpoint_parse_list (const char *text, GArray **out, char **why);

void tg_endpoint_clear (TgEndpoint *e);

/* tg_endpoint_to_string: (transfer full): the notation back. */
char *tg_endpoint_to_string (const TgEndpoint *e);

/*
 * tg_endpoint_listen: a listening, close-on-exec socket. A unix socket
 * file left by a process that is gone is replaced (one that answers is
 * not: another server runs) and the new one is made writable by all
 * (its folder is the access control, as Postfix's private/); @backlog
 * for listen(2).
 */
int tg_endpoint_listen (const TgEndpoint *e, int backlog, GError **error);

/*
 * tg_endpoint_connect: a connected, close-on-exec socket, waiting at
 * most @timeout_ms for the connection.
 */
int tg_endpoint_connect (const TgEndpoint *e, int timeout_ms, GError **error);
