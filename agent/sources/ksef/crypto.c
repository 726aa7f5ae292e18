/* ksef/crypto — RSA-OAEP (SHA-256) of the KSeF token (see crypto.h). */
#include "sources/ksef/crypto.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

static unsigned char *base64_decode(const char *text, size_t *len)
{
	size_t n = strlen(text);
	unsigned char *out = xmalloc(n / 4 * 3 + 3);
	int got = EVP_DecodeBlock(out, (const unsigned char *)text, (int)n);
	if (got < 0 || n % 4 != 0) {
		free(out);
		return NULL;
	}
	/* EVP_DecodeBlock counts the padding as bytes. */
	while (n > 0 && text[n - 1] == '=') {
		got--;
		n--;
	}
	*len = (size_t)got;
	return out;
}

static char *base64_encode(const unsigned char *data, size_t len)
{
	char *out = xmalloc(4 * ((len + 2) / 3) + 1);
	EVP_EncodeBlock((unsigned char *)out, data, (int)len);
	return out;
}

void ksef_sha256_b64(const void *data, size_t len, char out[KSEF_HASH_B64_LEN + 1])
{
	unsigned char md[32];
	SHA256(data, len, md);
	EVP_EncodeBlock((unsigned char *)out, md, sizeof(md));
}

static EVP_PKEY *certificate_key(const char *cert_b64, struct gerr *err)
{
	size_t len = 0;
	unsigned char *der = base64_decode(cert_b64, &len);
	const unsigned char *p = der;
	X509 *cert = der ? d2i_X509(NULL, &p, (long)len) : NULL;
	EVP_PKEY *key = cert ? X509_get_pubkey(cert) : NULL;
	free(der);
	X509_free(cert);
	if (!key)
		gerr_set(err, "KSeF's public-key certificate is not a DER certificate in Base64");
	else if (EVP_PKEY_base_id(key) != EVP_PKEY_RSA) {
		gerr_set(err, "KSeF's public-key certificate holds no RSA key");
		EVP_PKEY_free(key);
		key = NULL;
	}
	return key;
}

static int oaep_sha256(EVP_PKEY *key, const unsigned char *in, size_t inlen,
		       unsigned char **out, size_t *outlen)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(key, NULL);
	int ok = ctx && EVP_PKEY_encrypt_init(ctx) > 0 &&
		 EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) > 0 &&
		 EVP_PKEY_CTX_set_rsa_oaep_md(ctx, EVP_sha256()) > 0 &&
		 EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, EVP_sha256()) > 0 &&
		 EVP_PKEY_encrypt(ctx, NULL, outlen, in, inlen) > 0;
	if (ok) {
		*out = xmalloc(*outlen);
		ok = EVP_PKEY_encrypt(ctx, *out, outlen, in, inlen) > 0;
		if (!ok)
			free(*out);
	}
	EVP_PKEY_CTX_free(ctx);
	return ok ? 0 : -1;
}

int ksef_encrypt_token(const char *cert_b64, const char *token, int64_t timestamp_ms,
		       char **out, struct gerr *err)
{
	EVP_PKEY *key = certificate_key(cert_b64, err);
	if (!key)
		return -1;
	char *plain = xasprintf("%s|%lld", token, (long long)timestamp_ms);
	unsigned char *cipher = NULL;
	size_t len = 0;
	int rc = oaep_sha256(key, (const unsigned char *)plain, strlen(plain), &cipher, &len);
	free_secret(plain);
	EVP_PKEY_free(key);
	if (rc < 0)
		return gerr_set(err, "the KSeF token does not fit KSeF's RSA key (RSA-OAEP SHA-256)");
	*out = base64_encode(cipher, len);
	free(cipher);
	return 0;
}
