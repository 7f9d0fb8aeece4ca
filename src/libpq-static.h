/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * libpq-static: the GSSAPI (RFC 2744) and OpenLDAP entry points a static
 * libpq names, as src/libpq-static.c defines them for a ticketgate
 * linked without Kerberos and OpenLDAP. The types are opaque stand-ins
 * of the same size as the real ones.
 */
#ifndef TG_LIBPQ_STATIC_H
#define TG_LIBPQ_STATIC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/time.h>

typedef uint32_t OM_uint32;
typedef void *gss_opaque;

typedef struct {
	size_t length;
	void *value;
} gss_buffer_desc;

/* RFC 2744 3.9.1: routine errors live in bits 16-23. */
#define TG_GSS_S_COMPLETE 0u
#define TG_GSS_S_FAILURE (13u << 16)

#define TG_NO_GSSAPI_MESSAGE \
	"ticketgate is linked without GSSAPI (Kerberos); " \
	"build it without ./configure --enable-static-deps to use it"

/* The name type libpq passes to gss_import_name. */
extern gss_opaque GSS_C_NT_HOSTBASED_SERVICE;

OM_uint32 gss_acquire_cred (OM_uint32 *minor, gss_opaque name, OM_uint32 time_req,
                            gss_opaque mechs, int usage, gss_opaque *cred,
                            gss_opaque *actual_mechs, OM_uint32 *time_rec);
OM_uint32 gss_delete_sec_context (OM_uint32 *minor, gss_opaque *context,
                                  gss_buffer_desc *output_token);
OM_uint32 gss_display_status (OM_uint32 *minor, OM_uint32 status, int status_type,
                              gss_opaque mech, OM_uint32 *message_context,
                              gss_buffer_desc *status_string);
OM_uint32 gss_import_name (OM_uint32 *minor, gss_buffer_desc *input, gss_opaque name_type,
                           gss_opaque *output);
OM_uint32 gss_init_sec_context (OM_uint32 *minor, gss_opaque cred, gss_opaque *context,
                                gss_opaque target, gss_opaque mech, OM_uint32 req_flags,
                                OM_uint32 time_req, gss_opaque bindings,
                                gss_buffer_desc *input_token, gss_opaque *actual_mech,
                                gss_buffer_desc *output_token, OM_uint32 *ret_flags,
                                OM_uint32 *time_rec);
OM_uint32 gss_release_buffer (OM_uint32 *minor, gss_buffer_desc *buffer);
OM_uint32 gss_release_cred (OM_uint32 *minor, gss_opaque *cred);
OM_uint32 gss_release_name (OM_uint32 *minor, gss_opaque *name);
OM_uint32 gss_unwrap (OM_uint32 *minor, gss_opaque context, gss_buffer_desc *input,
                      gss_buffer_desc *output, int *conf_state, OM_uint32 *qop_state);
OM_uint32 gss_wrap (OM_uint32 *minor, gss_opaque context, int conf_req, OM_uint32 qop,
                    gss_buffer_desc *input, int *conf_state, gss_buffer_desc *output);
OM_uint32 gss_wrap_size_limit (OM_uint32 *minor, gss_opaque context, int conf_req,
                               OM_uint32 qop, OM_uint32 req_output_size,
                               OM_uint32 *max_input_size);

/* OpenLDAP, as libpq's connection-service lookup calls it. */
typedef struct ldap LDAP;
typedef struct ldapmsg LDAPMessage;
struct berval;

LDAP *ldap_init (const char *host, int port);
int ldap_set_option (LDAP *ld, int option, const void *value);
int ldap_simple_bind (LDAP *ld, const char *who, const char *password);
int ldap_result (LDAP *ld, int msgid, int all, struct timeval *timeout, LDAPMessage **result);
int ldap_search_st (LDAP *ld, const char *base, int scope, const char *filter, char **attrs,
                    int attrsonly, struct timeval *timeout, LDAPMessage **result);
int ldap_count_entries (LDAP *ld, LDAPMessage *result);
LDAPMessage *ldap_first_entry (LDAP *ld, LDAPMessage *result);
struct berval **ldap_get_values_len (LDAP *ld, LDAPMessage *entry, const char *attr);
void ldap_value_free_len (struct berval **values);
int ldap_msgfree (LDAPMessage *message);
int ldap_unbind (LDAP *ld);
char *ldap_err2string (int error);

#endif /* TG_LIBPQ_STATIC_H */
