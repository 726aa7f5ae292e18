/* tlsverify — see tlsverify.h. */
#include "core/tlsverify.h"

#include <arpa/inet.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

bool tls_host_is_ip(const char *host)
{
	unsigned char addr[16];
	return inet_pton(AF_INET, host, addr) == 1 || inet_pton(AF_INET6, host, addr) == 1;
}

static X509_STORE *load_store(const char *ca_file, struct gerr *err)
{
	X509_STORE *store = X509_STORE_new();
	if (!store)
		return gerr_set(err, "out of memory for the certificate store"), NULL;
	int ok = ca_file ? X509_STORE_load_file(store, ca_file)
			 : X509_STORE_set_default_paths(store);
	if (ok != 1) {
		X509_STORE_free(store);
		ERR_clear_error();
		if (ca_file)
			gerr_set(err, "cannot load CA certificates from %s", ca_file);
		else
			gerr_set(err, "cannot load the system CA certificates");
		return NULL;
	}
	return store;
}

static X509 *parse_der(const struct der_cert *c)
{
	const unsigned char *p = c->data;
	X509 *x = d2i_X509(NULL, &p, (long)c->len);
	if (x && p != c->data + c->len) {
		X509_free(x);
		return NULL;
	}
	return x;
}

static int verify(X509_STORE *store, X509 *leaf, STACK_OF(X509) *untrusted, const char *host,
		  struct gerr *err)
{
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	int rc = -1;
	if (!ctx || X509_STORE_CTX_init(ctx, store, leaf, untrusted) != 1) {
		gerr_set(err, "cannot set up certificate verification for %s", host);
		goto out;
	}
	X509_VERIFY_PARAM *param = X509_STORE_CTX_get0_param(ctx);
	X509_VERIFY_PARAM_set_purpose(param, X509_PURPOSE_SSL_SERVER);
	X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	int set = tls_host_is_ip(host) ? X509_VERIFY_PARAM_set1_ip_asc(param, host)
				   : X509_VERIFY_PARAM_set1_host(param, host, 0);
	if (set != 1) {
		gerr_set(err, "cannot check the certificate against host name %s", host);
		goto out;
	}
	if (X509_verify_cert(ctx) == 1) {
		rc = 0;
		goto out;
	}
	int e = X509_STORE_CTX_get_error(ctx);
	gerr_set(err, "TLS certificate of %s not trusted: %s", host,
		 e == X509_V_ERR_HOSTNAME_MISMATCH || e == X509_V_ERR_IP_ADDRESS_MISMATCH
			 ? "host name mismatch (the certificate is for another server)"
			 : X509_verify_cert_error_string(e));
out:
	X509_STORE_CTX_free(ctx);
	ERR_clear_error();
	return rc;
}

int tls_verify_chain(const struct der_cert *chain, size_t n, const char *host,
		     const char *ca_file, struct gerr *err)
{
	if (n == 0)
		return gerr_set(err, "TLS server %s presented no certificate", host);
	X509_STORE *store = load_store(ca_file, err);
	if (!store)
		return -1;
	STACK_OF(X509) *untrusted = sk_X509_new_null();
	X509 *leaf = parse_der(&chain[0]);
	int rc = -1;
	if (!leaf || !untrusted) {
		gerr_set(err, "TLS server %s presented an unreadable certificate", host);
		goto out;
	}
	for (size_t i = 1; i < n; i++) {
		X509 *x = parse_der(&chain[i]);
		if (!x || !sk_X509_push(untrusted, x)) {
			X509_free(x);
			gerr_set(err, "TLS server %s presented an unreadable certificate", host);
			goto out;
		}
	}
	rc = verify(store, leaf, untrusted, host, err);
out:
	X509_free(leaf);
	sk_X509_pop_free(untrusted, X509_free);
	X509_STORE_free(store);
	return rc;
}
