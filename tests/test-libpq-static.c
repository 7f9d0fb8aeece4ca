/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test-libpq-static: what src/libpq-static.c promises to a static libpq.
 * Built only with --enable-static-libpq. That ordinary connections work
 * is what every other database test shows; here are the two ways out
 * that need Kerberos or LDAP, which must fail cleanly and say why.
 */
#include <stdint.h>
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <libpq-fe.h>

/* RFC 2744, as src/libpq-static.c defines them. */
typedef struct {
	size_t length;
	void *value;
} GssBuffer;

uint32_t gss_import_name (uint32_t *minor, GssBuffer *input, void *name_type, void **output);
uint32_t gss_display_status (uint32_t *minor, uint32_t status, int status_type, void *mech,
                             uint32_t *message_context, GssBuffer *status_string);
uint32_t gss_release_buffer (uint32_t *minor, GssBuffer *buffer);
uint32_t gss_acquire_cred (uint32_t *minor, void *name, uint32_t time_req, void *mechs,
                           int usage, void **cred, void **actual_mechs, uint32_t *time_rec);

/* A connection service kept in LDAP: libpq's own error, no crash. */
static void
test_ldap_service (void)
{
	g_autoptr (GError) error = NULL;
	g_autofree char *dir = g_dir_make_tmp ("tg-pqstatic-XXXXXX", &error);
	g_assert_no_error (error);
	g_autofree char *file = g_build_filename (dir, "pg_service.conf", NULL);
	g_file_set_contents (file,
	                     "[desk]\n"
	                     "ldap://127.0.0.1:9/dc=example,dc=org?uniqueMember?one?(cn=desk)\n",
	                     -1, &error);
	g_assert_no_error (error);
	g_setenv ("PGSERVICEFILE", file, TRUE);

	PGconn *conn = PQconnectdb ("service=desk connect_timeout=2");
	g_assert_cmpint (PQstatus (conn), ==, CONNECTION_BAD);
	g_assert_nonnull (strstr (PQerrorMessage (conn), "LDAP"));
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
	uint32_t minor = 99, context = 7;
	void *cred = &minor, *name = &minor;
	GssBuffer in = { 4, (void *) "desk" }, text = { 0, NULL };

	g_assert_cmpuint (gss_acquire_cred (&minor, NULL, 0, NULL, 1, &cred, NULL, NULL), !=, 0);
	g_assert_null (cred);
	g_assert_cmpuint (gss_import_name (&minor, &in, NULL, &name), !=, 0);
	g_assert_null (name);
	g_assert_cmpuint (minor, ==, 0);

	g_assert_cmpuint (gss_display_status (&minor, 13u << 16, 1, NULL, &context, &text), ==, 0);
	g_assert_cmpuint (context, ==, 0);
	g_autofree char *message = g_strndup (text.value, text.length);
	g_assert_nonnull (strstr (message, "--disable-static-libpq"));
	gss_release_buffer (&minor, &text);
	g_assert_null (text.value);

	/* The minor code has nothing to add: libpq stops asking. */
	g_assert_cmpuint (gss_display_status (&minor, 0, 2, NULL, &context, &text), !=, 0);
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);
	g_test_add_func ("/libpq-static/ldap-service", test_ldap_service);
	g_test_add_func ("/libpq-static/gssapi", test_gssapi);
	return g_test_run ();
}
