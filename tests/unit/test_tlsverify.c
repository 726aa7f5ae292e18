/* Unit tests for core/tlsverify: chains and names checked with OpenSSL, failing closed. */
#include "testutil.h"

#include <unistd.h>

#include "core/tlsverify.h"

static char *dir;

static int make_certs(void **state)
{
	(void)state;
	dir = scratch_dir();
	/* a CA, a leaf for localhost/127.0.0.1 signed by it, and an unrelated second CA */
	char *cmd = xasprintf(
		"( cd '%s' && "
		"openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=ca -keyout ca.key -out ca.pem && "
		"openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=other -keyout o.key -out other.pem && "
		"openssl req -newkey rsa:2048 -nodes -subj /CN=localhost -keyout s.key -out s.csr && "
		"printf 'subjectAltName=DNS:localhost,DNS:*.example.test,IP:127.0.0.1\\nextendedKeyUsage=serverAuth\\n' > ext && "
		"openssl x509 -req -in s.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -extfile ext -out s.pem && "
		"openssl x509 -in s.pem -outform DER -out s.der && openssl x509 -in ca.pem -outform DER -out ca.der"
		" ) >/dev/null 2>&1",
		dir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	return 0;
}

static int remove_certs(void **state)
{
	(void)state;
	rm_rf(dir);
	free(dir);
	return 0;
}

struct blob {
	char *data;
	size_t len;
};

static struct blob load(const char *name)
{
	char *p = path_join(dir, name);
	struct blob b;
	struct gerr err;
	assert_int_equal(read_file(p, 1 << 20, &b.data, &b.len, &err), 0);
	free(p);
	return b;
}

static int verify(const char *host, const char *ca, bool with_ca_in_chain, struct gerr *err)
{
	struct blob leaf = load("s.der"), cad = load("ca.der");
	struct der_cert chain[2] = {{(unsigned char *)leaf.data, leaf.len},
				    {(unsigned char *)cad.data, cad.len}};
	char *ca_path = ca ? path_join(dir, ca) : NULL;
	int rc = tls_verify_chain(chain, with_ca_in_chain ? 2 : 1, host, ca_path, err);
	free(ca_path);
	free(leaf.data);
	free(cad.data);
	return rc;
}

static void test_good(void **state)
{
	(void)state;
	struct gerr err;
	assert_int_equal(verify("localhost", "ca.pem", false, &err), 0);
	assert_int_equal(verify("LOCALHOST", "ca.pem", true, &err), 0);
	assert_int_equal(verify("127.0.0.1", "ca.pem", false, &err), 0);
	assert_int_equal(verify("imap.example.test", "ca.pem", false, &err), 0);
}

static void test_bad(void **state)
{
	(void)state;
	struct gerr err;
	assert_int_equal(verify("imap.other.test", "ca.pem", false, &err), -1);
	assert_non_null(strstr(err.msg, "host name mismatch"));
	assert_int_equal(verify("a.b.example.test", "ca.pem", false, &err), -1);
	assert_int_equal(verify("127.0.0.2", "ca.pem", false, &err), -1);
	assert_non_null(strstr(err.msg, "127.0.0.2"));
	assert_int_equal(verify("localhost", "other.pem", true, &err), -1);
	assert_non_null(strstr(err.msg, "not trusted"));
	/* the system store does not know the test CA */
	assert_int_equal(verify("localhost", NULL, true, &err), -1);
	assert_int_equal(verify("localhost", "missing.pem", false, &err), -1);
	assert_non_null(strstr(err.msg, "missing.pem"));
}

static void test_fail_closed(void **state)
{
	(void)state;
	struct gerr err;
	char *ca = path_join(dir, "ca.pem");
	assert_int_equal(tls_verify_chain(NULL, 0, "localhost", ca, &err), -1);
	struct der_cert junk = {(const unsigned char *)"\x30\x03\x02\x01\x01", 5};
	assert_int_equal(tls_verify_chain(&junk, 1, "localhost", ca, &err), -1);
	struct blob leaf = load("s.der");
	struct der_cert trailing[2] = {{(unsigned char *)leaf.data, leaf.len}, junk};
	assert_int_equal(tls_verify_chain(trailing, 2, "localhost", ca, &err), -1);
	free(leaf.data);
	free(ca);
	assert_true(tls_host_is_ip("::1"));
	assert_false(tls_host_is_ip("localhost"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_fail_closed),
	};
	return cmocka_run_group_tests(tests, make_certs, remove_certs);
}
