/* ksef/auth — KSeF-token sign-in, access and refresh tokens (see auth.h). */
#include "sources/ksef/auth.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "core/statefile.h"
#include "sources/ksef/crypto.h"
#include "sources/ksef/isotime.h"

#define KEY_USAGE "KsefTokenEncryption"
#define CODE_UNKNOWN_KEY 21470

static int64_t wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- state files (core/statefile.h) ------------------------------------------------------ */

/* A state file's object (empty when missing or damaged), or NULL when unreadable. */
static json_t *load_state(const char *dir, const char *name, struct gerr *err)
{
	char *path = path_join(dir, name);
	json_t *j = NULL;
	if (statefile_load(path, &j, err) < 0)
		j = NULL;
	free(path);
	return j;
}

static int save_state(const char *dir, const char *name, const json_t *obj, struct gerr *err)
{
	char *path = path_join(dir, name);
	int rc = statefile_save(path, obj, err);
	free(path);
	return rc;
}

static void drop_state(const char *dir, const char *name)
{
	char *path = path_join(dir, name);
	if (unlink(path) < 0 && errno != ENOENT)
		log_warn("cannot remove %s: %s", path, strerror(errno));
	free(path);
}

/* ---- KSeF's public key --------------------------------------------------------------- */

static bool has_usage(const json_t *cert, const char *usage)
{
	size_t i;
	const json_t *u;
	json_array_foreach(json_object_get(cert, "usage"), i, u)
		if (json_is_string(u) && strcmp(json_string_value(u), usage) == 0)
			return true;
	return false;
}

/* The certificate in force for token encryption that stays valid the longest. */
json_t *ksef_pick_key(const json_t *list, int64_t now)
{
	size_t i;
	json_t *cert, *best = NULL;
	int64_t best_to = 0;
	json_array_foreach(list, i, cert) {
		const char *from = json_string_value(json_object_get(cert, "validFrom"));
		const char *to = json_string_value(json_object_get(cert, "validTo"));
		int64_t f, t;
		if (!has_usage(cert, KEY_USAGE) || !from || !to || ksef_time_parse(from, &f) < 0 ||
		    ksef_time_parse(to, &t) < 0 || f > now || t <= now ||
		    !json_is_string(json_object_get(cert, "certificate")))
			continue;
		if (!best || t > best_to) {
			best = cert;
			best_to = t;
		}
	}
	return best ? json_pack("{s:O, s:O, s:O}", "certificate", json_object_get(best, "certificate"),
				"publicKeyId", json_object_get(best, "publicKeyId"),
				"validTo", json_object_get(best, "validTo")) : NULL;
}

static bool key_in_force(const json_t *key, int64_t now)
{
	int64_t to;
	const char *valid_to = json_string_value(json_object_get(key, "validTo"));
	return valid_to && ksef_time_parse(valid_to, &to) == 0 && to > now + 60000 &&
	       json_is_string(json_object_get(key, "certificate"));
}

/* KSeF's token-encryption certificate: the kept one until its validTo, else fetched. */
static json_t *public_key(struct ksef_client *c, const char *state_dir, bool refetch,
			  struct gerr *err)
{
	json_t *key = NULL, *list = NULL;
	if (!refetch && !(key = load_state(state_dir, KSEF_KEY_FILE, err)))
		return NULL;
	if (key && key_in_force(key, wall_ms()))
		return key;
	json_decref(key);
	if (ksef_request_json(c, KSEF_AUTH, "GET", "/security/public-key-certificates", NULL, NULL,
			      &list, NULL, err) < 0)
		return NULL;
	key = ksef_pick_key(list, wall_ms());
	json_decref(list);
	if (!key)
		return gerr_set(err, "KSeF lists no certificate in force for %s", KEY_USAGE), NULL;
	struct gerr save;
	if (save_state(state_dir, KSEF_KEY_FILE, key, &save) < 0)
		log_warn("%s", save.msg);
	return key;
}

/* ---- the session --------------------------------------------------------------------- */

void ksef_session_free(struct ksef_session *s)
{
	free_secret(s->access);
	free_secret(s->refresh);
	s->access = s->refresh = NULL;
	s->access_until = s->refresh_until = 0;
}

int ksef_take_token(const json_t *info, char **token, int64_t *until)
{
	const char *t = json_string_value(json_object_get(info, "token"));
	const char *u = json_string_value(json_object_get(info, "validUntil"));
	int64_t ms;
	if (!t || !u || ksef_time_parse(u, &ms) < 0)
		return -1;
	free_secret(*token);
	*token = xstrdup(t);
	*until = ms;
	return 0;
}

static int save_session(const struct ksef_session *s, struct gerr *err)
{
	char a[KSEF_TIME_LEN + 1], r[KSEF_TIME_LEN + 1];
	ksef_time_format(s->access_until, a);
	ksef_time_format(s->refresh_until, r);
	json_t *j = json_pack("{s:s, s:{s:s, s:s}, s:{s:s, s:s}}", "context", s->nip,
			      "accessToken", "token", s->access, "validUntil", a,
			      "refreshToken", "token", s->refresh, "validUntil", r);
	int rc = save_state(s->state_dir, KSEF_SESSION_FILE, j, err);
	json_decref(j);
	return rc;
}

/* The session an earlier run of this source left (interrupted before it signed out). */
static bool resume_session(struct ksef_session *s)
{
	struct gerr err = {0};
	json_t *j = load_state(s->state_dir, KSEF_SESSION_FILE, &err);
	if (!j && err.msg[0])
		log_warn("%s", err.msg);
	const char *ctx = json_string_value(json_object_get(j, "context"));
	bool ok = ctx && strcmp(ctx, s->nip) == 0 &&
		  ksef_take_token(json_object_get(j, "accessToken"), &s->access, &s->access_until) == 0 &&
		  ksef_take_token(json_object_get(j, "refreshToken"), &s->refresh, &s->refresh_until) == 0 &&
		  s->refresh_until > wall_ms() + KSEF_RENEW_BEFORE_MS;
	json_decref(j);
	if (!ok)
		ksef_session_free(s);
	return ok;
}

/* ---- signing in ---------------------------------------------------------------------- */

static bool status_needs_person(long code)
{
	return code == 415 || code == 425 || code == 450 || code == 460 || code == 470 || code == 480;
}

/* "450 Uwierzytelnianie zakończone niepowodzeniem ... (Nieprawidłowy token)". */
char *ksef_status_text(const json_t *status)
{
	struct buf b = {0};
	size_t i;
	const json_t *d;
	buf_printf(&b, "%lld %s", json_integer_value(json_object_get(status, "code")),
		   json_string_value(json_object_get(status, "description")) ?: "");
	json_array_foreach(json_object_get(status, "details"), i, d)
		buf_printf(&b, "%s%s", i ? "; " : " (", json_string_value(d) ?: "");
	if (json_array_size(json_object_get(status, "details")))
		buf_puts(&b, ")");
	return buf_take(&b);
}

/* Poll the operation until it is no longer in progress (code 100). */
static int await_operation(struct ksef_client *c, const char *ref, const char *auth_token,
			   struct gerr *err)
{
	char *path = xasprintf("/auth/%s", ref);
	int64_t start = now_ms(), wait = 250;
	int rc = -1;
	for (;;) {
		json_t *j = NULL;
		if (ksef_request_json(c, KSEF_AUTH, "GET", path, auth_token, NULL, &j, NULL, err) < 0)
			break;
		const json_t *status = json_object_get(j, "status");
		long code = (long)json_integer_value(json_object_get(status, "code"));
		if (code == 200) {
			rc = 0;
		} else if (code != 100) {
			char *why = ksef_status_text(status);
			gerr_setk(err, status_needs_person(code) ? GERR_NEEDS_PERSON : GERR_TEMPORARY,
				  "KSeF refused the sign-in with the KSeF token: %s", why);
			free(why);
		} else if (now_ms() - start > KSEF_AUTH_POLL_MAX_MS) {
			gerr_set(err, "KSeF's sign-in %s was still in progress after %d s", ref,
				 KSEF_AUTH_POLL_MAX_MS / 1000);
		}
		json_decref(j);
		if (code != 100 || now_ms() - start > KSEF_AUTH_POLL_MAX_MS)
			break;
		sleep_ms(wait);
		wait = wait < 2000 ? wait * 2 : 2000;
	}
	free(path);
	return rc;
}

/* POST /auth/ksef-token; *unknown_key when KSeF no longer knows the key we used. */
static int send_token(struct ksef_client *c, struct ksef_session *s, const json_t *key,
		      json_t **init, bool *unknown_key, struct gerr *err)
{
	json_t *ch = NULL;
	if (ksef_request_json(c, KSEF_AUTH, "POST", "/auth/challenge", NULL, NULL, &ch, NULL, err) < 0)
		return -1;
	const char *challenge = json_string_value(json_object_get(ch, "challenge"));
	json_int_t stamp = json_integer_value(json_object_get(ch, "timestampMs"));
	char *encrypted = NULL;
	int rc = -1;
	if (!challenge || stamp <= 0) {
		gerr_set(err, "POST /auth/challenge: no challenge and timestampMs in the answer");
	} else if (ksef_encrypt_token(json_string_value(json_object_get(key, "certificate")),
				      s->token, stamp, &encrypted, err) == 0) {
		json_t *body = json_pack("{s:s, s:{s:s, s:s}, s:s, s:O}", "challenge", challenge,
					 "contextIdentifier", "type", "Nip", "value", s->nip,
					 "encryptedToken", encrypted, "publicKeyId",
					 json_object_get(key, "publicKeyId"));
		char *text = json_dumps(body, JSON_COMPACT);
		struct ksef_resp r;
		if (ksef_request(c, KSEF_AUTH, "POST", "/auth/ksef-token", NULL, text, &r, err) == 0) {
			*unknown_key = r.status == 400 && ksef_error_code(&r) == CODE_UNKNOWN_KEY;
			if (r.status == 202 && (*init = json_loadb(r.body.data, r.body.len, 0, NULL)))
				rc = 0;
			else {
				char *why = ksef_error_text(&r);
				gerr_set(err, "POST /auth/ksef-token: %s", why);
				free(why);
			}
		}
		ksef_resp_free(&r);
		free(text);
		json_decref(body);
		free(encrypted);
	}
	json_decref(ch);
	return rc;
}

static int redeem(struct ksef_client *c, struct ksef_session *s, const char *auth_token,
		  struct gerr *err)
{
	json_t *j = NULL;
	if (ksef_request_json(c, KSEF_AUTH, "POST", "/auth/token/redeem", auth_token, NULL, &j,
			      NULL, err) < 0)
		return -1;
	int rc = 0;
	if (ksef_take_token(json_object_get(j, "accessToken"), &s->access, &s->access_until) < 0 ||
	    ksef_take_token(json_object_get(j, "refreshToken"), &s->refresh, &s->refresh_until) < 0)
		rc = gerr_set(err, "POST /auth/token/redeem: no accessToken and refreshToken in the answer");
	json_decref(j);
	return rc == 0 ? save_session(s, err) : rc;
}

static int sign_in_anew(struct ksef_client *c, struct ksef_session *s, struct gerr *err)
{
	json_t *init = NULL;
	bool unknown_key = false;
	ksef_session_free(s);
	for (int attempt = 0; attempt < 2 && !init; attempt++) {
		json_t *key = public_key(c, s->state_dir, attempt > 0, err);
		int rc = key ? send_token(c, s, key, &init, &unknown_key, err) : -1;
		json_decref(key);
		if (rc < 0 && !unknown_key)
			return -1;
	}
	if (!init)
		return -1;
	const char *ref = json_string_value(json_object_get(init, "referenceNumber"));
	const char *auth_token = json_string_value(
		json_object_get(json_object_get(init, "authenticationToken"), "token"));
	int rc = -1;
	if (!ref || !auth_token)
		gerr_set(err, "POST /auth/ksef-token: no referenceNumber and authenticationToken in the answer");
	else if (await_operation(c, ref, auth_token, err) == 0)
		rc = redeem(c, s, auth_token, err);
	json_decref(init);
	if (rc == 0)
		s->signins++;
	return rc;
}

static int refresh(struct ksef_client *c, struct ksef_session *s, struct gerr *err)
{
	json_t *j = NULL;
	long status = 0;
	if (ksef_request_json(c, KSEF_AUTH, "POST", "/auth/token/refresh", s->refresh, NULL, &j,
			      &status, err) < 0)
		return status == 400 || status == 401 ? 1 : -1;
	int rc = ksef_take_token(json_object_get(j, "accessToken"), &s->access, &s->access_until) < 0
		 ? gerr_set(err, "POST /auth/token/refresh: no accessToken in the answer") : 0;
	json_decref(j);
	if (rc == 0) {
		s->refreshed++;
		rc = save_session(s, err);
	}
	return rc;
}

int ksef_keep_access(struct ksef_client *c, struct ksef_session *s, bool expired,
		     struct gerr *err)
{
	int64_t now = wall_ms();
	if (s->access && !expired && s->access_until > now + KSEF_RENEW_BEFORE_MS)
		return 0;
	if (s->refresh && s->refresh_until > now + KSEF_RENEW_BEFORE_MS) {
		int rc = refresh(c, s, err);
		if (rc <= 0)
			return rc;
		log_info("KSeF: the refresh token was refused (%s); signing in again", err->msg);
	}
	return sign_in_anew(c, s, err);
}

int ksef_sign_in(struct ksef_client *c, struct ksef_session *s, struct gerr *err)
{
	if (resume_session(s))
		log_info("KSeF: going on with the session of an interrupted run");
	return ksef_keep_access(c, s, false, err);
}

void ksef_sign_out(struct ksef_client *c, struct ksef_session *s)
{
	const char *token = s->refresh ? s->refresh : s->access;
	struct ksef_resp r;
	struct gerr err = {0};
	if (token) {
		if (ksef_request(c, KSEF_OTHER, "DELETE", "/auth/sessions/current", token, NULL, &r,
				 &err) < 0)
			log_warn("KSeF: the session could not be closed: %s", err.msg);
		else if (r.status != 204) {
			char *why = ksef_error_text(&r);
			log_warn("KSeF: the session could not be closed: %s", why);
			free(why);
		}
		ksef_resp_free(&r);
	}
	drop_state(s->state_dir, KSEF_SESSION_FILE);
	ksef_session_free(s);
}
