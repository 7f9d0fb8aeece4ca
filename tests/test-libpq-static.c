/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test-libpq-static: what src/libpq-static.c promises to a static libpq.
 * Built only with --enable-static-deps. That ordinary connections work
 * is what every other database test shows; here are the two ways out
 * that need Kerberos or LDAP: a service kept in LDAP falls back as with
 * an LDAP server that is down, and GSSAPI fails saying why.
 */
#include "libpq-static.h"

#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <libpq-fe.h>

/* A service file whose first entry is kept in LDAP, the next one not. */
static char *
write_service_file (const char *dir)
{
	g_autoptr (GError) error = NULL;
	char *file = g_build_filename (dir, "pg_service.conf", NULL);

	g_file_set_contents (file,
			     "[desk]\n"
			     "ldap://127.0.0.1:9/dc=example,dc=org?uniqueMember?one?(cn=desk)\n"
			     "host=/nonexistent/tg-fallback dbname=desk\n",
			     -1, &error);
	g_assert_no_error (error);
	return file;
}

/* The LDAP server does not answer, so libpq goes on with the service
 * file's next line, as it does when a real one is down: the error is
 * about the fallback's socket folder, not about LDAP. */
static void
test_ldap_service (void)
{
	g_autoptr (GError) error = NULL;
	g_autofree char *dir = g_dir_make_tmp ("tg-pqstatic-XXXXXX", &error);
	g_autofree char *file = NULL;
	PGconn *conn;

	g_assert_no_error (error);
	file = write_service_file (dir);
	g_setenv ("PGSERVICEFILE", file, TRUE);
	conn = PQconnectdb ("service=desk connect_timeout=2");
	g_assert_cmpint (PQstatus (conn), ==, CONNECTION_BAD);
	g_assert_nonnull (strstr (PQerrorMessage (conn), "/nonexistent/tg-fallback"));
	g_assert_null (strstr (PQerrorMessage (conn), "LDAP"));
	PQfinish (conn);
	g_unsetenv ("PGSERVICEFILE");
	g_unlink (file);
	g_rmdir (dir);
}

/* No credentials, so libpq never asks for GSSAPI encryption; a server
 * demanding GSSAPI gets a failed name import whose message says why. */
static void
test_gssapi (void)
{
	OM_uint32 minor = 99, context = 7;
	gss_opaque cred = &minor, name = &minor;
	gss_buffer_desc in = { 4, (void *) "desk" }, text = { 0, NULL };
	g_autofree char *message = NULL;

	g_assert_cmpuint (gss_acquire_cred (&minor, NULL, 0, NULL, 1, &cred, NULL, NULL), ==,
			  TG_GSS_S_FAILURE);
	g_assert_null (cred);
	g_assert_cmpuint (gss_import_name (&minor, &in, NULL, &name), ==, TG_GSS_S_FAILURE);
	g_assert_null (name);
	g_assert_cmpuint (minor, ==, 0);

	/* GSS_C_GSS_CODE: the one message, then no more (context 0). */
	g_assert_cmpuint (gss_display_status (&minor, TG_GSS_S_FAILURE, 1, NULL, &context, &text),
			  ==, TG_GSS_S_COMPLETE);
	g_assert_cmpuint (context, ==, 0);
	message = g_strndup (text.value, text.length);
	g_assert_nonnull (strstr (message, "--enable-static-deps"));
	gss_release_buffer (&minor, &text);
	g_assert_null (text.value);

	/* GSS_C_MECH_CODE has nothing to add: libpq stops asking. */
	g_assert_cmpuint (gss_display_status (&minor, 0, 2, NULL, &context, &text), !=,
			  TG_GSS_S_COMPLETE);
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);
	g_test_add_func ("/libpq-static/ldap-service", test_ldap_service);
	g_test_add_func ("/libpq-static/gssapi", test_gssapi);
	return g_test_run ();
}
