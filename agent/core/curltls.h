/* curltls — why libcurl refused a server's certificate, in words for a person.
 *
 * libcurl reports every refused certificate as CURLE_PEER_FAILED_VERIFICATION ("SSL peer
 * certificate or SSH remote key was not OK"), whatever the reason, and its own text is
 * often no clearer ("server certificate verification failed. CAfile: none"). The
 * transfer's verify result (CURLINFO_SSL_VERIFYRESULT) says why, in the terms of the TLS
 * library libcurl is built with: GnuTLS status bits (Debian's libcurl-gnutls) or OpenSSL
 * X509_V_ERR_* codes (Fedora's libcurl). libcurl checks the host name only after the
 * chain verified, so a refusal with a clean verify result means the name did not match.
 *
 * curl_tls_cause() maps a result to a cause ("its issuer is unknown ...", "its name does
 * not match the host", "it has expired", ...); curl_failure_text() words any failed
 * transfer: the cause when there is one, followed by libcurl's own text.
 *
 * Ownership: curl_tls_cause() returns a static string; curl_failure_text() writes into
 * the caller's buffer and returns it. Errors: none — an unknown TLS library or result
 * gives no cause, and the text is libcurl's alone.
 */
#ifndef GONIEC_CURLTLS_H
#define GONIEC_CURLTLS_H

#include <curl/curl.h>
#include <stddef.h>

/* The cause of a certificate failure, or NULL when rc is none or the result is not
 * understood. ssl_version: curl_version_info()->ssl_version ("GnuTLS/3.7.9", ...). */
const char *curl_tls_cause(CURLcode rc, long verify_result, const char *ssl_version);

/* "<cause> (<libcurl's text>)" for a refused certificate, else errbuf (when set) or
 * libcurl's words for rc; c is the transfer's handle (for its verify result). */
const char *curl_failure_text(CURL *c, CURLcode rc, const char *errbuf, char *out, size_t cap);

#endif
