/* Unit tests for core/curltls: the cause of a refused certificate from libcurl's verify
 * result, for GnuTLS and OpenSSL builds of libcurl, and the words of other failures. */
#include "testutil.h"

#include <openssl/x509_vfy.h>

#include "core/curltls.h"

#define PEER CURLE_PEER_FAILED_VERIFICATION

static void expect_cause(long verify, const char *backend, const char *want)
{
	const char *got = curl_tls_cause(PEER, verify, backend);
	if (!want) {
		assert_null(got);
		return;
	}
	assert_non_null(got);
	assert_non_null(strstr(got, want));
}

/* GnuTLS status bits, as libcurl-gnutls reports them (0x42: INVALID | SIGNER_NOT_FOUND
 * is what an unknown CA gives). */
static void test_gnutls(void **state)
{
	(void)state;
	expect_cause(0x42, "GnuTLS/3.7.9", "its issuer is unknown");
	expect_cause(0, "GnuTLS/3.7.9", "its name does not match the host");
	expect_cause(0x402, "GnuTLS/3.7.9", "it has expired");
	expect_cause(0x202, "GnuTLS/3.7.9", "it is not valid yet");
	expect_cause(0x22, "GnuTLS/3.7.9", "it was revoked");
	expect_cause(0x2, "GnuTLS/3.7.9", "it did not verify");
}

static void test_openssl(void **state)
{
	(void)state;
	expect_cause(X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY, "OpenSSL/3.0.11", "its issuer is unknown");
	expect_cause(X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT, "OpenSSL/3.0.11", "its issuer is unknown");
	expect_cause(X509_V_ERR_HOSTNAME_MISMATCH, "OpenSSL/3.0.11", "its name does not match the host");
	expect_cause(0, "OpenSSL/3.0.11", "its name does not match the host");
	expect_cause(X509_V_ERR_CERT_HAS_EXPIRED, "LibreSSL/3.8", "it has expired");
	/* a library whose results are not known here: no guess */
	expect_cause(0, "NSS/3.87", NULL);
	expect_cause(0x42, "mbedTLS/3.4", NULL);
}

static void test_other_failures(void **state)
{
	(void)state;
	char out[256];
	assert_null(curl_tls_cause(CURLE_COULDNT_CONNECT, 0, "GnuTLS/3.7.9"));
	assert_non_null(strstr(curl_tls_cause(CURLE_SSL_CACERT_BADFILE, 0, "GnuTLS/3.7.9"), "ca_file"));
	assert_string_equal(curl_failure_text(NULL, CURLE_COULDNT_CONNECT, "Failed to connect to x", out,
					      sizeof out),
			    "Failed to connect to x");
	assert_string_equal(curl_failure_text(NULL, CURLE_COULDNT_CONNECT, "", out, sizeof out),
			    curl_easy_strerror(CURLE_COULDNT_CONNECT));
	/* a refusal: the cause first, libcurl's words after it (no handle: a clean result) */
	curl_failure_text(NULL, PEER, "SSL: certificate subject name (x) does not match", out, sizeof out);
	assert_non_null(strstr(out, "its name does not match the host (SSL: certificate subject name"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gnutls),
		cmocka_unit_test(test_openssl),
		cmocka_unit_test(test_other_failures),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
