/* ksef/crypto — the KSeF token, encrypted as the authentication asks.
 *
 * KSeF's public-key certificate for `KsefTokenEncryption` comes as DER in Base64
 * (GET /security/public-key-certificates). ksef_encrypt_token() encrypts the string
 * "<token>|<timestampMs>" with that certificate's RSA key, RSA-OAEP with SHA-256 and
 * MGF1-SHA-256 (CIRFMF/ksef-docs uwierzytelnianie.md §2.2.1; OpenSSL's default OAEP is
 * SHA-1, which KSeF refuses with status 450), and gives the ciphertext in Base64.
 *
 * Ownership: *out is the caller's (free). The token is wiped from the buffer it is
 * joined in. Errors: -1 with err saying what is wrong with the certificate; never the
 * token.
 */
#ifndef GONIEC_KSEF_CRYPTO_H
#define GONIEC_KSEF_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include "core/util.h"

#define KSEF_HASH_B64_LEN 44
/* SHA-256 of data in Base64, as KSeF gives invoiceHash. */
void ksef_sha256_b64(const void *data, size_t len, char out[KSEF_HASH_B64_LEN + 1]);

int ksef_encrypt_token(const char *cert_b64, const char *token, int64_t timestamp_ms,
		       char **out, struct gerr *err);

#endif
