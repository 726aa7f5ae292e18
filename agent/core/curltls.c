/* curltls — see curltls.h. */
#include "core/curltls.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <openssl/x509_vfy.h>

#include "core/util.h"

#define REFUSED "the server's certificate was refused: "

static const char issuer_unknown[] =
	REFUSED "its issuer is unknown (signed by no CA of ca_file or, without one, of the "
		"system's trust store)";
static const char name_mismatch[] = REFUSED "its name does not match the host";
static const char expired[] = REFUSED "it has expired";
static const char not_yet_valid[] = REFUSED "it is not valid yet (is this machine's clock right?)";
static const char revoked[] = REFUSED "it was revoked";
static const char insecure[] = REFUSED "it is signed with an insecure algorithm";
static const char signer_not_ca[] = REFUSED "it is signed by a certificate that is no CA";
static const char wrong_purpose[] = REFUSED "it is not meant for a TLS server";
static const char bad_signature[] = REFUSED "its signature does not verify";
static const char other[] = REFUSED "it did not verify";

/* gnutls_certificate_status_t (gnutls/gnutls.h), a stable ABI: bits of the result. */
enum {
	GT_SIGNER_NOT_FOUND = 1 << 6,
	GT_REVOKED = 1 << 5,
	GT_SIGNER_NOT_CA = 1 << 7,
	GT_INSECURE_ALGORITHM = 1 << 8,
	GT_NOT_ACTIVATED = 1 << 9,
	GT_EXPIRED = 1 << 10,
	GT_SIGNATURE_FAILURE = 1 << 11,
	GT_UNEXPECTED_OWNER = 1 << 14,
	GT_PURPOSE_MISMATCH = 1 << 18,
};

static const char *gnutls_cause(unsigned long v)
{
	static const struct {
		unsigned long bit;
		const char *cause;
	} bits[] = {
		{GT_SIGNER_NOT_FOUND, issuer_unknown}, {GT_EXPIRED, expired},
		{GT_NOT_ACTIVATED, not_yet_valid},     {GT_REVOKED, revoked},
		{GT_UNEXPECTED_OWNER, name_mismatch},  {GT_SIGNER_NOT_CA, signer_not_ca},
		{GT_INSECURE_ALGORITHM, insecure},     {GT_PURPOSE_MISMATCH, wrong_purpose},
		{GT_SIGNATURE_FAILURE, bad_signature},
	};
	for (size_t i = 0; i < ARRAY_LEN(bits); i++)
		if (v & bits[i].bit)
			return bits[i].cause;
	return other;
}

static const char *openssl_cause(long v)
{
	switch (v) {
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
		return issuer_unknown;
	case X509_V_ERR_HOSTNAME_MISMATCH:
	case X509_V_ERR_IP_ADDRESS_MISMATCH:
		return name_mismatch;
	case X509_V_ERR_CERT_HAS_EXPIRED:
		return expired;
	case X509_V_ERR_CERT_NOT_YET_VALID:
		return not_yet_valid;
	case X509_V_ERR_CERT_REVOKED:
		return revoked;
	case X509_V_ERR_INVALID_CA:
		return signer_not_ca;
	case X509_V_ERR_INVALID_PURPOSE:
		return wrong_purpose;
	case X509_V_ERR_CERT_SIGNATURE_FAILURE:
		return bad_signature;
	default:
		return other;
	}
}

const char *curl_tls_cause(CURLcode rc, long verify_result, const char *ssl_version)
{
	static const char *const openssl_like[] = {"OpenSSL", "LibreSSL", "BoringSSL", "quictls"};
	if (rc == CURLE_SSL_CACERT_BADFILE)
		return "the CA file (ca_file) cannot be read";
	if (rc != CURLE_PEER_FAILED_VERIFICATION || !ssl_version)
		return NULL;
	bool gnutls = str_starts_with(ssl_version, "GnuTLS"), openssl = false;
	for (size_t i = 0; i < ARRAY_LEN(openssl_like); i++)
		openssl |= str_starts_with(ssl_version, openssl_like[i]);
	if (!gnutls && !openssl)
		return NULL;
	if (verify_result == 0)
		return name_mismatch; /* the chain verified: the host name check failed */
	return gnutls ? gnutls_cause((unsigned long)verify_result) : openssl_cause(verify_result);
}

const char *curl_failure_text(CURL *c, CURLcode rc, const char *errbuf, char *out, size_t cap)
{
	long verify = 0;
	const char *said = errbuf && *errbuf ? errbuf : curl_easy_strerror(rc);
	if (c)
		curl_easy_getinfo(c, CURLINFO_SSL_VERIFYRESULT, &verify);
	const char *cause = curl_tls_cause(rc, verify, curl_version_info(CURLVERSION_NOW)->ssl_version);
	if (cause)
		snprintf(out, cap, "%s (%s)", cause, said);
	else
		snprintf(out, cap, "%s", said);
	return out;
}
