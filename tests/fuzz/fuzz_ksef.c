/* libFuzzer target: the ksef source's readers of KSeF's answers, as the source calls them:
 * an error body in words and its code (ksef_error_text, ksef_error_code), the effective
 * rate limits (ksef_client_set_limits, then the pacing they size), the public-key list
 * (ksef_pick_key) and the certificate from it (ksef_encrypt_token), the token members of
 * the redeem/refresh answers (ksef_take_token), an operation's status (ksef_status_text),
 * a metadata page (ksef_page_read, ksef_number_ok of its records) and the date-times in
 * them all (ksef_time_parse). The input is the answer's body; it is also tried as one
 * date-time, as a certificate and as the Retry-After header the client reads
 * (net_retry_after: -1 or a delay).
 *
 * Checks the headers' promises: the error text starts "HTTP <status>"; limits never size
 * a ring past KSEF_PACE_MAX; a picked key has a certificate and a validTo after now; a
 * token taken is the answer's, one refused leaves the old one; a truncated page moves the
 * window on; a KSeF number that passes has 35 or 36 of [0-9A-F-] (safe in a file name
 * and a URL path); a date-time read formats back to the same instant, and with 'Z' to the
 * same fields. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/net.h"
#include "sources/ksef/auth.h"
#include "sources/ksef/client.h"
#include "sources/ksef/crypto.h"
#include "sources/ksef/isotime.h"
#include "sources/ksef/sync.h"

#define NOW_MS 1780000000000LL /* 2026-05-28 */

static void check_error_text(const uint8_t *data, size_t size)
{
	struct ksef_resp r = {.status = size ? 400 + data[0] : 500};
	char head[32];
	buf_append(&r.body, data, size);
	char *text = ksef_error_text(&r);
	(void)ksef_error_code(&r);
	snprintf(head, sizeof head, "HTTP %ld", r.status);
	if (strncmp(text, head, strlen(head)) != 0)
		abort();
	free(text);
	buf_free(&r.body);
}

static void check_limits(const json_t *j)
{
	struct ksef_client c;
	memset(&c, 0, sizeof c);
	ksef_client_set_limits(&c, j);
	for (int g = 0; g < KSEF_GROUPS; g++) {
		struct ksef_pace *p = &c.pace[g];
		for (int64_t t = 0; t < 3; t++) {
			(void)ksef_pace_wait(p, NOW_MS + t);
			ksef_pace_note(p, NOW_MS + t);
		}
		if (p->per_second > KSEF_PACE_MAX || p->per_minute > KSEF_PACE_MAX ||
		    p->per_hour > KSEF_PACE_MAX || p->cap > KSEF_PACE_MAX)
			abort();
		ksef_pace_free(p);
	}
}

static void check_key(const json_t *list)
{
	json_t *key = ksef_pick_key(list, NOW_MS);
	if (!key)
		return;
	const char *cert = json_string_value(json_object_get(key, "certificate"));
	const char *to = json_string_value(json_object_get(key, "validTo"));
	int64_t until;
	if (!cert || !to || ksef_time_parse(to, &until) < 0 || until <= NOW_MS)
		abort();
	char *out = NULL;
	struct gerr err = {0};
	if (ksef_encrypt_token(cert, "fuzz-token", NOW_MS, &out, &err) == 0 && !out)
		abort();
	free(out);
	json_decref(key);
}

static void check_token(const json_t *info)
{
	char *token = xstrdup("old");
	int64_t until = 7;
	if (ksef_take_token(info, &token, &until) == 0) {
		if (strcmp(token, json_string_value(json_object_get(info, "token"))) != 0)
			abort();
	} else if (strcmp(token, "old") != 0 || until != 7) {
		abort();
	}
	free(token);
}

static void check_page(const json_t *ans)
{
	struct ksef_page pg;
	const int64_t from = NOW_MS - 86400000;
	if (ksef_page_read(ans, from, &pg) < 0) {
		if (!pg.more || !pg.truncated)
			abort();
	} else if (pg.more && pg.truncated && pg.next <= from) {
		abort();
	}
	size_t i;
	const json_t *meta;
	json_array_foreach(json_object_get(ans, "invoices"), i, meta) {
		const char *n = json_string_value(json_object_get(meta, "ksefNumber"));
		if (ksef_number_ok(n) && ((strlen(n) != 35 && strlen(n) != 36) ||
					  strspn(n, "0123456789ABCDEF-") != strlen(n)))
			abort();
	}
}

/* text: a NUL-terminated copy in a buffer of exactly its size. */
static void check_time(const char *text)
{
	int64_t ms, back;
	char out[KSEF_TIME_LEN + 1];
	if (ksef_time_parse(text, &ms) < 0)
		return;
	ksef_time_format(ms, out);
	if (strlen(out) != KSEF_TIME_LEN) /* a year before 1000 or after 9999 */
		return;
	if (ksef_time_parse(out, &back) < 0 || back != ms)
		abort();
	/* In UTC without a leap second, the same date and time of day. */
	if (text[strlen(text) - 1] == 'Z' && memcmp(text + 17, "60", 2) != 0 &&
	    memcmp(text, out, 19) != 0)
		abort();
}

static void check_strings(const json_t *j)
{
	const char *key;
	size_t i;
	json_t *v;
	if (json_is_string(j))
		check_time(json_string_value(j));
	else if (json_is_object(j))
		json_object_foreach((json_t *)j, key, v)
			check_strings(v);
	else if (json_is_array(j))
		json_array_foreach(j, i, v)
			check_strings(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_error_text(data, size);
	char *text = malloc(size + 1);
	memcpy(text, data, size);
	text[size] = 0;
	check_time(text);
	if (net_retry_after(text, NOW_MS / 1000) < -1)
		abort();
	char *out = NULL;
	struct gerr err = {0};
	if (ksef_encrypt_token(text, "fuzz-token", NOW_MS, &out, &err) == 0)
		free(out);
	free(text);

	json_t *j = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
	if (!j)
		return 0;
	check_limits(j);
	check_key(j);
	check_token(json_object_get(j, "accessToken"));
	check_token(json_object_get(j, "refreshToken"));
	free(ksef_status_text(json_object_get(j, "status")));
	check_page(j);
	check_strings(j);
	json_decref(j);
	return 0;
}
