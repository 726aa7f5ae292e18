/* tlsverify — verify a TLS server's certificate chain and name with OpenSSL.
 *
 * Debian's libetpan is built with GnuTLS and checks nothing about the peer; after the
 * handshake the IMAP source takes the chain the server presented (DER, leaf first) and
 * hands it here. The chain is verified against the system CA store (OpenSSL's default
 * paths) or against ca_file alone when one is configured, for the TLS server purpose,
 * and the leaf must match the host: a DNS name against its subjectAltName (wildcards in
 * the left-most label only), an IP address against its IP entries. Fails closed: no
 * chain, an unparsable certificate or any error means "not trusted".
 *
 * Ownership: inputs are borrowed. Errors: -1 with a message naming the host and the
 * reason (e.g. "certificate has expired", "host name mismatch").
 */
#ifndef GONIEC_TLSVERIFY_H
#define GONIEC_TLSVERIFY_H

#include <stddef.h>

#include "core/util.h"

struct der_cert {
	const unsigned char *data;
	size_t len;
};

int tls_verify_chain(const struct der_cert *chain, size_t n, const char *host,
		     const char *ca_file, struct gerr *err);

/* True when host is a literal IPv4/IPv6 address (no SNI is sent for those). */
bool tls_host_is_ip(const char *host);

#endif
