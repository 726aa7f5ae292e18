/* pkce — RFC 7636 verifier and S256 challenge. See pkce.h. */
#include "sources/portal/pkce.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>

#include "core/base64.h"

char *pkce_challenge(const char *verifier)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	EVP_Digest(verifier, strlen(verifier), md, &n, EVP_sha256(), NULL);
	return b64url_encode(md, n);
}

/* `bytes` random bytes in base64url into out. */
static int random_text(char *out, size_t cap, size_t bytes, struct gerr *err)
{
	unsigned char raw[48];
	if (bytes > sizeof(raw) || RAND_bytes(raw, (int)bytes) != 1)
		return gerr_set(err, "no random numbers for the login (PKCE)");
	char *t = b64url_encode(raw, bytes);
	snprintf(out, cap, "%s", t);
	OPENSSL_cleanse(raw, sizeof(raw));
	free_secret(t);
	return 0;
}

int pkce_new(struct pkce *k, struct gerr *err)
{
	memset(k, 0, sizeof(*k));
	if (random_text(k->verifier, sizeof(k->verifier), 32, err) < 0 ||
	    random_text(k->state, sizeof(k->state), 16, err) < 0 ||
	    random_text(k->nonce, sizeof(k->nonce), 16, err) < 0)
		return -1;
	char *c = pkce_challenge(k->verifier);
	snprintf(k->challenge, sizeof(k->challenge), "%s", c);
	free(c);
	return 0;
}

void pkce_wipe(struct pkce *k)
{
	OPENSSL_cleanse(k, sizeof(*k));
}
