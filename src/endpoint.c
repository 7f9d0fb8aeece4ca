/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * endpoint: "unix:" and "inet:" addresses. Hosts are numeric only: a
 * name would make a daemon's start, or every answer sent, depend on the
 * resolver.
 */
#include "endpoint.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

G_DEFINE_QUARK (tg-endpoint-error-quark, tg_endpoint_error)

static gboolean
parse_inet (const char *rest, TgEndpoint *out, char **why)
{
	g_autofree char *host = NULL;
	const char *colon;
	guint64 port;
	struct in6_addr a6;
	struct in_addr a4;

	if (*rest == '[') {
		const char *close = strchr (rest, ']');

		if (close == NULL || close[1] != ':')
			goto bad;
		host = g_strndup (rest + 1, close - rest - 1);
		colon = close + 1;
		if (inet_pton (AF_INET6, host, &a6) != 1)
			goto bad;
	} else {
		colon = strrchr (rest, ':');
		if (colon == NULL)
			goto bad;
		host = g_strndup (rest, colon - rest);
		if (inet_pton (AF_INET, host, &a4) != 1)
			goto bad;
	}
	if (!g_ascii_string_to_unsigned (colon + 1, 10, 1, 65535, &port,
					 NULL))
		goto bad;
	out->kind = TG_ENDPOINT_INET;
	out->host = g_steal_pointer (&host);
	out->port = (guint16) port;
	return TRUE;
bad:
	*why = g_strdup ("inet: needs a numeric address and a port, such as "
			 "inet:127.0.0.1:25 or inet:[::1]:25");
	return FALSE;
}

gboolean
tg_endpoint_parse (const char *text, TgEndpoint *out, char **why)
{
	memset (out, 0, sizeof *out);
	if (g_str_has_prefix (text, "inet:"))
		return parse_inet (text + 5, out, why);
	if (g_str_has_prefix (text, "unix:")) {
		const char *path = text + 5;

		if (*path != '/') {
			*why = g_strdup ("unix: needs an absolute path");
			return FALSE;
		}
		if (strlen (path) >=
		    sizeof ((struct sockaddr_un *) 0)->sun_path) {
			*why = g_strdup ("unix: the path is too long");
			return FALSE;
		}
		out->kind = TG_ENDPOINT_UNIX;
		out->path = g_strdup (path);
		return TRUE;
	}
	*why = g_strdup ("must be inet:ADDRESS:PORT or unix:/PATH");
	return FALSE;
}

gboolean
tg_endpoint_parse_list (const char *text, GArray **out, char **why)
{
	g_auto (GStrv) items = g_strsplit (text, ",", -1);
	g_autoptr (GArray) list = g_array_new (FALSE, TRUE,
					       sizeof (TgEndpoint));

	g_array_set_clear_func (list, (GDestroyNotify) tg_endpoint_clear);
	for (guint i = 0; items[i] != NULL; i++) {
		TgEndpoint e;
		char *item = g_strstrip (items[i]);

		if (*item == '\0')
			continue;
		if (!tg_endpoint_parse (item, &e, why))
			return FALSE;
		g_array_append_val (list, e);
	}
	if (list->len == 0) {
		*why = g_strdup ("no address (unix:/PATH or inet:ADDRESS:PORT)");
		return FALSE;
	}
	*out = g_steal_pointer (&list);
	return TRUE;
}

void
tg_endpoint_clear (TgEndpoint *e)
{
	g_clear_pointer (&e->path, g_free);
	g_clear_pointer (&e->host, g_free);
}

char *
tg_endpoint_to_string (const TgEndpoint *e)
{
	if (e->kind == TG_ENDPOINT_UNIX)
		return g_strdup_printf ("unix:%s", e->path);
	if (strchr (e->host, ':') != NULL)
		return g_strdup_printf ("inet:[%s]:%u", e->host, e->port);
	return g_strdup_printf ("inet:%s:%u", e->host, e->port);
}

/* ---- sockets ------------------------------------------------------- */

typedef union {
	struct sockaddr sa;
	struct sockaddr_un un;
	struct sockaddr_in in4;
	struct sockaddr_in6 in6;
} Addr;

static socklen_t
to_sockaddr (const TgEndpoint *e, Addr *a)
{
	memset (a, 0, sizeof *a);
	if (e->kind == TG_ENDPOINT_UNIX) {
		a->un.sun_family = AF_UNIX;
		g_strlcpy (a->un.sun_path, e->path, sizeof a->un.sun_path);
		return sizeof a->un;
	}
	if (inet_pton (AF_INET, e->host, &a->in4.sin_addr) == 1) {
		a->in4.sin_family = AF_INET;
		a->in4.sin_port = htons (e->port);
		return sizeof a->in4;
	}
	inet_pton (AF_INET6, e->host, &a->in6.sin6_addr);
	a->in6.sin6_family = AF_INET6;
	a->in6.sin6_port = htons (e->port);
	return sizeof a->in6;
}

static int
fail (GError **error, const TgEndpoint *e, const char *what)
{
	int saved = errno;
	g_autofree char *name = tg_endpoint_to_string (e);

	g_set_error (error, TG_ENDPOINT_ERROR, TG_ENDPOINT_ERROR_FAILED,
		     "%s: %s: %s", name, what, g_strerror (saved));
	return -1;
}

/* A socket file nobody answers on is a dead server's: it may go. */
static gboolean
clear_stale (const TgEndpoint *e, GError **error)
{
	struct stat st;
	GError *ignored = NULL;
	int probe;

	if (lstat (e->path, &st) != 0)
		return TRUE;
	if (!S_ISSOCK (st.st_mode)) {
		errno = EEXIST;
		fail (error, e, "exists and is no socket");
		return FALSE;
	}
	probe = tg_endpoint_connect (e, 1000, &ignored);
	g_clear_error (&ignored);
	if (probe >= 0) {
		close (probe);
		errno = EADDRINUSE;
		fail (error, e, "another server answers there");
		return FALSE;
	}
	if (unlink (e->path) != 0 && errno != ENOENT) {
		fail (error, e, "cannot remove the old socket");
		return FALSE;
	}
	return TRUE;
}

int
tg_endpoint_listen (const TgEndpoint *e, int backlog, GError **error)
{
	Addr a;
	socklen_t len = to_sockaddr (e, &a);
	int one = 1;
	int fd;

	if (e->kind == TG_ENDPOINT_UNIX && !clear_stale (e, error))
		return -1;
	fd = socket (a.sa.sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return fail (error, e, "socket");
	if (e->kind == TG_ENDPOINT_INET)
		setsockopt (fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind (fd, &a.sa, len) != 0 || listen (fd, backlog) != 0) {
		fail (error, e, "cannot listen");
		close (fd);
		return -1;
	}
	if (e->kind == TG_ENDPOINT_UNIX)
		chmod (e->path, 0666);
	return fd;
}

int
tg_endpoint_connect (const TgEndpoint *e, int timeout_ms, GError **error)
{
	Addr a;
	socklen_t len = to_sockaddr (e, &a);
	struct pollfd p;
	int fd, err = 0;
	socklen_t errlen = sizeof err;

	fd = socket (a.sa.sa_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
		     0);
	if (fd < 0)
		return fail (error, e, "socket");
	if (connect (fd, &a.sa, len) != 0) {
		if (errno != EINPROGRESS && errno != EAGAIN)
			goto failed;
		p = (struct pollfd) { .fd = fd, .events = POLLOUT };
		if (poll (&p, 1, timeout_ms) != 1) {
			errno = ETIMEDOUT;
			goto failed;
		}
		getsockopt (fd, SOL_SOCKET, SO_ERROR, &err, &errlen);
		if (err != 0) {
			errno = err;
			goto failed;
		}
	}
	fcntl (fd, F_SETFL, fcntl (fd, F_GETFL) & ~O_NONBLOCK);
	return fd;
failed:
	fail (error, e, "cannot connect");
	close (fd);
	return -1;
}
