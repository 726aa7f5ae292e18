/* Unit tests of the ksef source's pieces: the token encryption (decrypted here with the
 * private key, as KSeF would), KSeF's date-times, the client-side rate-limit windows, the
 * merge of what a source knows into an FA(3) reading, the error words of KSeF's
 * answers, and the source's conf.d keys (environments and their addresses, defaults). */
#include "testutil.h"

#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "conf/load.h"
#include "formats/fa3.h"
#include "sources/invoice_xml.h"
#include "sources/ksef/client.h"
#include "sources/ksef/crypto.h"
#include "sources/ksef/isotime.h"
#include "sources/ksef/ksef.h"
#include "sources/ksef/sync.h"

/* A throw-away RSA key and a self-signed certificate for it, DER in Base64. */
static char *make_certificate(EVP_PKEY **key_out)
{
	EVP_PKEY *key = EVP_RSA_gen(2048);
	X509 *x = X509_new();
	assert_non_null(key);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, key);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
				   (const unsigned char *)"Ministerstwo Finansow", -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	assert_true(X509_sign(x, key, EVP_sha256()) > 0);
	unsigned char *der = NULL;
	int len = i2d_X509(x, &der);
	char *b64 = xmalloc(4 * ((size_t)len + 2) / 3 + 4);
	EVP_EncodeBlock((unsigned char *)b64, der, len);
	OPENSSL_free(der);
	X509_free(x);
	*key_out = key;
	return b64;
}

static char *decrypt(EVP_PKEY *key, const char *b64, const EVP_MD *md)
{
	unsigned char cipher[512], plain[512];
	int n = EVP_DecodeBlock(cipher, (const unsigned char *)b64, (int)strlen(b64));
	size_t len = sizeof(plain);
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(key, NULL);
	assert_int_equal(n, 258);   /* 256 bytes and the two '=' EVP_DecodeBlock counts */
	assert_true(EVP_PKEY_decrypt_init(ctx) > 0);
	EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING);
	EVP_PKEY_CTX_set_rsa_oaep_md(ctx, md);
	EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, md);
	int ok = EVP_PKEY_decrypt(ctx, plain, &len, cipher, 256) > 0;
	EVP_PKEY_CTX_free(ctx);
	return ok ? xstrndup((char *)plain, len) : NULL;
}

static void test_token_encryption(void **state)
{
	(void)state;
	EVP_PKEY *key;
	char *cert = make_certificate(&key), *out = NULL;
	struct gerr err = {0};
	assert_int_equal(ksef_encrypt_token(cert, "20250625-EC-2A1B3C4D5E-ABCDEF1234-AB|token", 1752236636015,
					    &out, &err), 0);
	char *plain = decrypt(key, out, EVP_sha256());
	assert_non_null(plain);
	assert_string_equal(plain, "20250625-EC-2A1B3C4D5E-ABCDEF1234-AB|token|1752236636015");
	/* OAEP with SHA-1 (OpenSSL's default, which KSeF refuses) does not decrypt it. */
	assert_null(decrypt(key, out, EVP_sha1()));
	free(plain);
	free(out);
	assert_int_equal(ksef_encrypt_token("bm90IGEgY2VydA==", "t", 1, &out, &err), -1);
	assert_non_null(strstr(err.msg, "not a DER certificate"));
	assert_null(strstr(err.msg, "t|1"));
	EVP_PKEY_free(key);
	free(cert);
}

static void test_hash(void **state)
{
	(void)state;
	char out[KSEF_HASH_B64_LEN + 1];
	ksef_sha256_b64("abc", 3, out);
	assert_string_equal(out, "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=");
}

/* Only a date-time not ahead of the clock (an hour's leeway) becomes the listing mark. */
static void test_mark(void **state)
{
	(void)state;
	int64_t now;
	assert_int_equal(ksef_time_parse("2026-12-01T10:00:00Z", &now), 0);
	assert_true(ksef_mark_ok("2026-12-01T09:59:59.123+00:00", now));
	assert_true(ksef_mark_ok("2026-12-01T11:00:00+01:00", now));
	assert_true(ksef_mark_ok("2026-12-01T11:00:00Z", now));
	assert_false(ksef_mark_ok("2026-12-01T11:00:00.001Z", now));
	assert_false(ksef_mark_ok("9999-12-31T23:59:59Z", now));
	assert_false(ksef_mark_ok("2026-12-01", now));
	assert_false(ksef_mark_ok("yesterday", now));
	assert_false(ksef_mark_ok("", now));
	assert_false(ksef_mark_ok(NULL, now));
}

static void test_times(void **state)
{
	(void)state;
	int64_t ms;
	char out[KSEF_TIME_LEN + 1];
	assert_int_equal(ksef_time_parse("2025-07-11T12:23:56.0154302+00:00", &ms), 0);
	assert_int_equal(ms, 1752236636015);
	ksef_time_format(ms, out);
	assert_string_equal(out, "2025-07-11T12:23:56.015Z");
	assert_int_equal(ksef_time_parse("2026-01-03T13:45:00+01:00", &ms), 0);
	ksef_time_format(ms, out);
	assert_string_equal(out, "2026-01-03T12:45:00.000Z");
	assert_int_equal(ksef_time_parse("2024-02-29T23:59:59Z", &ms), 0);
	ksef_time_format(ms + 1000, out);
	assert_string_equal(out, "2024-03-01T00:00:00.000Z");
	/* Without an offset (Europe/Warsaw in KSeF's eyes) goniec neither needs nor guesses. */
	assert_int_equal(ksef_time_parse("2026-01-03T13:45:00", &ms), -1);
	assert_int_equal(ksef_time_parse("2026-13-03T13:45:00Z", &ms), -1);
	assert_int_equal(ksef_time_parse("2026-01-03T13:45:00Zx", &ms), -1);
	assert_int_equal(ksef_time_parse("", &ms), -1);
	/* No such day (fuzz_ksef: they were taken as days of the next month). */
	assert_int_equal(ksef_time_parse("2026-02-29T00:00:00Z", &ms), -1);
	assert_int_equal(ksef_time_parse("2026-04-31T00:00:00Z", &ms), -1);
	assert_int_equal(ksef_time_parse("2000-02-29T00:00:00Z", &ms), 0);
	assert_int_equal(ksef_time_parse("1900-02-29T00:00:00Z", &ms), -1);
	/* An offset cut short is refused without reading past the text (heap copies, so that
	 * ASan sees a read past their end). */
	static const char *const cut[] = {"2026-01-03T13:45:00+", "2026-01-03T13:45:00-0",
					  "2026-01-03T13:45:00+01", "2026-01-03T13:45:00+01:"};
	for (size_t i = 0; i < ARRAY_LEN(cut); i++) {
		char *t = xstrdup(cut[i]);
		assert_int_equal(ksef_time_parse(t, &ms), -1);
		free(t);
	}
}

static void test_pace(void **state)
{
	(void)state;
	struct ksef_pace p = {0};
	ksef_pace_set(&p, 8, 16, 20);
	int64_t t = 1000000;
	for (int i = 0; i < 8; i++) {
		assert_int_equal(ksef_pace_wait(&p, t), 0);
		ksef_pace_note(&p, t);
	}
	/* The ninth within the same second waits for the first to leave the window. */
	assert_true(ksef_pace_wait(&p, t) >= 1000);
	t += 1100;
	for (int i = 0; i < 8; i++)
		ksef_pace_note(&p, t);
	/* 16 in the minute: the minute window decides now. */
	int64_t w = ksef_pace_wait(&p, t + 1100);
	assert_true(w >= 60000 - 1100 - 1100 && w <= 60000);
	/* 20 in the hour: past the minute, the hour holds the 21st. */
	t += 61000;
	for (int i = 0; i < 4; i++)
		ksef_pace_note(&p, t + i * 2000);
	assert_true(ksef_pace_wait(&p, t + 10000) > 3000000);
	/* Higher limits from the service resize the ring without losing what was sent. */
	ksef_pace_set(&p, 100, 1000, 10000);
	ksef_pace_note(&p, t + 10000);
	assert_int_equal(p.len, 21);
	assert_int_equal(ksef_pace_wait(&p, t + 10000), 0);
	ksef_pace_free(&p);
}

/* GET /rate-limits may answer any int32: the ring of send times stays small
 * (fuzz_ksef: perHour 2147483647 sized a 16 GiB ring). */
static void test_pace_huge_limits(void **state)
{
	(void)state;
	struct ksef_client c;
	memset(&c, 0, sizeof c);
	json_t *limits = json_loads("{\"invoiceMetadata\": {\"perSecond\": 8, \"perMinute\": 16, "
				    "\"perHour\": 20}, \"other\": {\"perSecond\": 2147483647, "
				    "\"perMinute\": 2147483647, \"perHour\": 2147483647}}", 0, NULL);
	ksef_client_set_limits(&c, limits);
	json_decref(limits);
	assert_int_equal(c.pace[KSEF_METADATA].per_hour, 20);
	struct ksef_pace *p = &c.pace[KSEF_OTHER];
	assert_int_equal(p->per_second, KSEF_PACE_MAX);
	assert_int_equal(p->per_hour, KSEF_PACE_MAX);
	for (int64_t t = 0; t < 3; t++)
		ksef_pace_note(p, 1000000 + t);
	assert_true(p->cap <= KSEF_PACE_MAX);
	assert_int_equal(ksef_pace_wait(p, 1000003), 0);
	for (int g = 0; g < KSEF_GROUPS; g++)
		ksef_pace_free(&c.pace[g]);
}

static void test_error_words(void **state)
{
	(void)state;
	struct ksef_resp r = {.status = 400};
	buf_puts(&r.body, "{\"title\":\"Bad Request\",\"status\":400,\"errors\":[{\"code\":21164,"
		 "\"description\":\"Faktura o podanym identyfikatorze nie istnieje.\",\"details\":"
		 "[\"Faktura o numerze KSeF X nie została znaleziona.\"]}]}");
	char *t = ksef_error_text(&r);
	assert_string_equal(t, "HTTP 400: 21164 Faktura o podanym identyfikatorze nie istnieje. "
			    "(Faktura o numerze KSeF X nie została znaleziona.)");
	assert_int_equal(ksef_error_code(&r), 21164);
	free(t);
	ksef_resp_free(&r);
	r.status = 400;
	buf_puts(&r.body, "{\"exception\":{\"exceptionDetailList\":[{\"exceptionCode\":21183,"
		 "\"exceptionDescription\":\"Zakres filtrowania wykracza poza dostępny zakres danych.\"}]}}");
	assert_int_equal(ksef_error_code(&r), 21183);
	ksef_resp_free(&r);
	r.status = 429;
	buf_puts(&r.body, "{\"status\":{\"code\":429,\"description\":\"Too Many Requests\",\"details\":"
		 "[\"Przekroczono limit 20 żądań na minutę.\"]}}");
	t = ksef_error_text(&r);
	assert_string_equal(t, "HTTP 429: Too Many Requests (Przekroczono limit 20 żądań na minutę.)");
	free(t);
	ksef_resp_free(&r);
	r.status = 502;
	buf_puts(&r.body, "<html>bad gateway</html>");
	t = ksef_error_text(&r);
	assert_string_equal(t, "HTTP 502");
	assert_int_equal(ksef_error_code(&r), 0);
	free(t);
	ksef_resp_free(&r);
}

static char *sample(const char *name, size_t *len)
{
	char *path = xasprintf("../shared/samples/ksef/fa3/%s", name), *text = NULL;
	struct gerr err;
	if (read_file(path, 1 << 24, &text, len, &err) < 0)
		fail_msg("%s", err.msg);
	free(path);
	return text;
}

static void test_invoice_xml(void **state)
{
	(void)state;
	size_t len;
	char *xml = sample("ksef-fop-zaliczkowa-przyklad-1.xml", &len);
	/* What KSeF said: its number and the direction; the XML's own fields stay. */
	json_t *given = json_loads("{\"ksef_number\": \"6891923211-20251202-0100A0E87267-21\","
				   "\"direction\": \"purchase\", \"number\": \"WRONG\", \"found\": {"
				   "\"ksef_number\": {\"by\": \"ksef\", \"at\": \"ksefNumber\"},"
				   "\"direction\": {\"by\": \"source\", \"at\": \"subjectType Subject2\"},"
				   "\"number\": {\"by\": \"rule\", \"at\": \"numer-faktury\", \"page\": 1}}}", 0, NULL);
	json_t *j = invoice_xml_json(xml, len, true, given, NULL);
	assert_string_equal(json_string_value(json_object_get(j, "number")), "ABC/TEST/DEF");
	assert_string_equal(json_string_value(json_object_get(j, "ksef_number")),
			    "6891923211-20251202-0100A0E87267-21");
	assert_string_equal(json_string_value(json_object_get(j, "direction")), "purchase");
	json_decref(j);
	/* The company's NIP decides the direction when nobody said it. */
	j = invoice_xml_json(xml, len, true, NULL, "545-182-41-19");
	assert_string_equal(json_string_value(json_object_get(j, "direction")), "sales");
	assert_string_equal(json_string_value(json_object_get(json_object_get(json_object_get(
		j, "found"), "direction"), "at")), "company.nip");
	json_decref(j);
	j = invoice_xml_json(xml, len, true, NULL, "6891923211");
	assert_string_equal(json_string_value(json_object_get(j, "direction")), "purchase");
	json_decref(j);
	free(xml);
	/* Not FA(3): an error when it should have been an invoice, nothing otherwise. */
	static const char other[] = "<?xml version=\"1.0\"?><order xmlns=\"urn:x\"/>";
	j = invoice_xml_json(other, strlen(other), true, given, NULL);
	assert_non_null(strstr(json_string_value(json_object_get(j, "error")), "not an FA(3) invoice"));
	assert_string_equal(json_string_value(json_object_get(j, "ksef_number")),
			    "6891923211-20251202-0100A0E87267-21");
	json_decref(j);
	assert_null(invoice_xml_json(other, strlen(other), false, NULL, "6891923211"));
	json_decref(given);
}

static void test_merge_exactness(void **state)
{
	(void)state;
	size_t len;
	char *xml = sample("cirfmf-pdf-generator-invoice.xml", &len);
	struct invoice pdf = {0}, fa = {0};
	struct gerr err;
	/* A PDF's reading: a wrong gross by a rule, and a verification link the XML lacks. */
	pdf.gross = 100;
	invoice_found_set(&pdf, INV_GROSS, FOUND_RULE, "do-zaplaty", 2);
	pdf.verify_url = xstrdup("https://qr.ksef.mf.gov.pl/invoice/5265877635/31-10-2025/x");
	invoice_found_set(&pdf, INV_VERIFY_URL, FOUND_RULE, "qr-link", 1);
	assert_int_equal(fa3_read(xml, len, &fa, &err), 0);
	invoice_merge(&pdf, &fa);
	assert_int_equal(pdf.gross, 3356950);
	assert_int_equal(pdf.found[INV_GROSS].by, FOUND_FA3);
	assert_string_equal(pdf.number, "FA/YUCFO-4342344706/03/2026");
	assert_int_equal(pdf.nrates, 1);
	assert_non_null(pdf.verify_url);
	assert_int_equal(pdf.found[INV_VERIFY_URL].by, FOUND_RULE);
	/* What lost went the other way, to be freed with `fa`. */
	assert_int_equal(fa.gross, 100);
	assert_int_equal(fa.found[INV_GROSS].by, FOUND_RULE);
	invoice_free(&pdf);
	invoice_free(&fa);
	free(xml);
}

/* One ksef source with `extra` conf.d lines; its conf, or NULL with diag's errors. */
static struct config *load_ksef(const char *extra, struct diag *diag)
{
	char *yaml = xasprintf("sources:\n  - name: k\n    type: ksef\n    nip: \"526-025-09-95\"\n"
			       "    token_env: KSEF_TOKEN\n%s", extra);
	memset(diag, 0, sizeof *diag);
	struct config *cfg = config_load_string("t.yaml", yaml, strlen(yaml), diag);
	free(yaml);
	return cfg;
}

static void expect_base_url(const char *extra, const char *url)
{
	struct diag diag;
	struct config *cfg = load_ksef(extra, &diag);
	assert_non_null(cfg);
	assert_string_equal(ksef_base_url(cfg->sources[0]->typed), url);
	config_free(cfg);
	diag_free(&diag);
}

static void expect_refused(const char *extra, const char *why)
{
	struct diag diag;
	assert_null(load_ksef(extra, &diag));
	assert_int_equal(diag.errors, 1);
	if (!strstr(diag.items[0].msg, why))
		fail_msg("\"%s\" does not say \"%s\"", diag.items[0].msg, why);
	diag_free(&diag);
}

static void test_conf(void **state)
{
	(void)state;
	/* The three environments' API addresses (CIRFMF/ksef-docs srodowiska.md, the OpenAPI's
	 * servers, CIRFMF/ksef-client-csharp KsefEnviromentsUris.cs); production by default. */
	expect_base_url("", "https://api.ksef.mf.gov.pl/v2");
	expect_base_url("    environment: prod\n", "https://api.ksef.mf.gov.pl/v2");
	expect_base_url("    environment: demo\n", "https://api-demo.ksef.mf.gov.pl/v2");
	expect_base_url("    environment: test\n", "https://api-test.ksef.mf.gov.pl/v2");
	expect_base_url("    environment: demo\n    base_url: https://127.0.0.1:8443/v2\n",
			"https://127.0.0.1:8443/v2");

	struct diag diag;
	struct config *cfg = load_ksef("", &diag);
	const struct ksef_conf *c = cfg->sources[0]->typed;
	assert_string_equal(c->nip, "5260250995");
	assert_int_equal(c->subjects.len, 1);
	assert_string_equal(c->subjects.items[0], "purchase");
	assert_null(c->history);
	config_free(cfg);
	diag_free(&diag);

	expect_refused("    environment: production\n", "environment: 'production' is not one of: prod, demo, test");
	expect_refused("    base_url: http://127.0.0.1:8080/v2\n", "base_url must be an https:// URL");
	/* (now - span) * 1000 would overflow: refused with what is wrong */
	expect_refused("    history: 99999999999999999s\n",
		       "history: '99999999999999999s' is longer than goniec waits for anything");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_token_encryption),
		cmocka_unit_test(test_hash),
		cmocka_unit_test(test_times),
		cmocka_unit_test(test_pace_huge_limits),
		cmocka_unit_test(test_pace),
		cmocka_unit_test(test_mark),
		cmocka_unit_test(test_error_words),
		cmocka_unit_test(test_invoice_xml),
		cmocka_unit_test(test_merge_exactness),
		cmocka_unit_test(test_conf),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
