/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The GSSAPI and LDAP entry points that a static libpq names, for a
 * ticketgate linked without Kerberos and OpenLDAP (configure
 * --enable-static-deps; never in the default, shared build).
 *
 * Debian's libpq.a is built with Kerberos and LDAP, whose static
 * archives Debian does not ship. Linking them dynamically would bring
 * back the fourteen shared libraries (krb5, ldap, sasl, gnutls...) that a
 * static libpq leaves out, and their loading is most of what starting a
 * delivery costs. So these few functions stand in for them, and fail
 * the way the real libraries fail when nothing is there:
 *
 *  - gss_acquire_cred finds no credentials, so libpq never asks for GSSAPI
 *    encryption; if the server demands GSSAPI authentication, importing
 *    its name fails and the connection error says why (below);
 *  - an LDAP server never answers the bind, so libpq goes on with the
 *    service file's other lines, as it does when the LDAP server named
 *    there is down.
 */

#include "libpq-static.h"

#define TG_LDAP_SUCCESS 0
#define TG_LDAP_OTHER 0x50

/* The name type libpq passes to gss_import_name. */
gss_opaque GSS_C_NT_HOSTBASED_SERVICE = NULL;

static OM_uint32
no_gssapi (OM_uint32 *minor)
{
	if (minor != NULL)
		*minor = 0;
	return TG_GSS_S_FAILURE;
}

OM_uint32
gss_acquire_cred (OM_uint32 *minor, gss_opaque name, OM_uint32 time_req, gss_opaque mechs,
                  int usage, gss_opaque *cred, gss_opaque *actual_mechs, OM_uint32 *time_rec)
{
	if (cred != NULL)
		*cred = NULL;
	return no_gssapi (minor);
}

OM_uint32
gss_delete_sec_context (OM_uint32 *minor, gss_opaque *context, gss_buffer_desc *output_token)
{
	if (context != NULL)
		*context = NULL;
	if (minor != NULL)
		*minor = 0;
	return TG_GSS_S_COMPLETE;
}

/* One message, whatever the status: why GSSAPI cannot work here. */
OM_uint32
gss_display_status (OM_uint32 *minor, OM_uint32 status, int status_type, gss_opaque mech,
                    OM_uint32 *message_context, gss_buffer_desc *status_string)
{
	if (minor != NULL)
		*minor = 0;
	if (message_context != NULL)
		*message_context = 0;
	if (status_type != 1 /* GSS_C_GSS_CODE */) {
		status_string->length = 0;
		status_string->value = NULL;
		return TG_GSS_S_FAILURE;
	}
	status_string->value = (void *) TG_NO_GSSAPI_MESSAGE;
	status_string->length = sizeof TG_NO_GSSAPI_MESSAGE - 1;
	return TG_GSS_S_COMPLETE;
}

OM_uint32
gss_import_name (OM_uint32 *minor, gss_buffer_desc *input, gss_opaque name_type,
                 gss_opaque *output)
{
	if (output != NULL)
		*output = NULL;
	return no_gssapi (minor);
}

OM_uint32
gss_init_sec_context (OM_uint32 *minor, gss_opaque cred, gss_opaque *context, gss_opaque target,
                      gss_opaque mech, OM_uint32 req_flags, OM_uint32 time_req,
                      gss_opaque bindings, gss_buffer_desc *input_token,
                      gss_opaque *actual_mech, gss_buffer_desc *output_token,
                      OM_uint32 *ret_flags, OM_uint32 *time_rec)
{
	if (output_token != NULL) {
		output_token->length = 0;
		output_token->value = NULL;
	}
	return no_gssapi (minor);
}

/* The only buffers handed out are the static message and empty ones. */
OM_uint32
gss_release_buffer (OM_uint32 *minor, gss_buffer_desc *buffer)
{
	if (buffer != NULL) {
		buffer->length = 0;
		buffer->value = NULL;
	}
	if (minor != NULL)
		*minor = 0;
	return TG_GSS_S_COMPLETE;
}

OM_uint32
gss_release_cred (OM_uint32 *minor, gss_opaque *cred)
{
	if (cred != NULL)
		*cred = NULL;
	if (minor != NULL)
		*minor = 0;
	return TG_GSS_S_COMPLETE;
}

OM_uint32
gss_release_name (OM_uint32 *minor, gss_opaque *name)
{
	return gss_release_cred (minor, name);
}

OM_uint32
gss_unwrap (OM_uint32 *minor, gss_opaque context, gss_buffer_desc *input,
            gss_buffer_desc *output, int *conf_state, OM_uint32 *qop_state)
{
	return no_gssapi (minor);
}

OM_uint32
gss_wrap (OM_uint32 *minor, gss_opaque context, int conf_req, OM_uint32 qop,
          gss_buffer_desc *input, int *conf_state, gss_buffer_desc *output)
{
	return no_gssapi (minor);
}

OM_uint32
gss_wrap_size_limit (OM_uint32 *minor, gss_opaque context, int conf_req, OM_uint32 qop,
                     OM_uint32 req_output_size, OM_uint32 *max_input_size)
{
	return no_gssapi (minor);
}

/* A handle to a server that is not there: what ldap_init of OpenLDAP
 * gives before it has tried to reach anything. */
LDAP *
ldap_init (const char *host, int port)
{
	static char nowhere;

	return (LDAP *) &nowhere;
}

int
ldap_set_option (LDAP *ld, int option, const void *value)
{
	return TG_LDAP_SUCCESS;
}

/* The bind is where an unreachable server fails: libpq then tries the
 * service file's next lines. */
int
ldap_simple_bind (LDAP *ld, const char *who, const char *password)
{
	return -1;
}

/* The rest are reachable only after a bind that never succeeds. */

int
ldap_result (LDAP *ld, int msgid, int all, struct timeval *timeout, LDAPMessage **result)
{
	if (result != NULL)
		*result = NULL;
	return -1;
}

int
ldap_search_st (LDAP *ld, const char *base, int scope, const char *filter, char **attrs,
                int attrsonly, struct timeval *timeout, LDAPMessage **result)
{
	if (result != NULL)
		*result = NULL;
	return TG_LDAP_OTHER;
}

int
ldap_count_entries (LDAP *ld, LDAPMessage *result)
{
	return -1;
}

LDAPMessage *
ldap_first_entry (LDAP *ld, LDAPMessage *result)
{
	return NULL;
}

struct berval **
ldap_get_values_len (LDAP *ld, LDAPMessage *entry, const char *attr)
{
	return NULL;
}

void
ldap_value_free_len (struct berval **values)
{
}

int
ldap_msgfree (LDAPMessage *message)
{
	return 0;
}

int
ldap_unbind (LDAP *ld)
{
	return 0;
}

char *
ldap_err2string (int error)
{
	return (char *) "ticketgate is linked without LDAP";
}
