/* net — see net.h. */
#include "core/net.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "core/curltls.h"
#include "core/log.h"

void net_setup(CURL *c, const struct net_opts *o)
{
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	if (o->protocols)
		curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, o->protocols);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	/* The CA bundle only (the system's or ca_file), not also every file of the CA
	 * directory: each connection would load the trust store twice (2 MB each time). */
	curl_easy_setopt(c, CURLOPT_CAPATH, NULL);
	if (o->ca_file)
		curl_easy_setopt(c, CURLOPT_CAINFO, o->ca_file);
	curl_easy_setopt(c, CURLOPT_USERAGENT,
			 o->user_agent ? o->user_agent : "goniec/" GONIEC_VERSION);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT,
			 o->connect_timeout_s > 0 ? o->connect_timeout_s : NET_CONNECT_TIMEOUT_S);
	if (o->timeout_s > 0)
		curl_easy_setopt(c, CURLOPT_TIMEOUT, o->timeout_s);
	if (o->stall_s > 0) {
		curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
		curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, o->stall_s);
	}
}

bool net_transient(CURLcode rc)
{
	return rc == CURLE_COULDNT_CONNECT || rc == CURLE_OPERATION_TIMEDOUT ||
	       rc == CURLE_SEND_ERROR || rc == CURLE_RECV_ERROR || rc == CURLE_GOT_NOTHING ||
	       rc == CURLE_PARTIAL_FILE || rc == CURLE_COULDNT_RESOLVE_HOST;
}

bool net_status_transient(long status)
{
	return status == 429 || status >= 500;
}

int net_error(struct gerr *err, CURL *c, CURLcode rc, const char *errbuf, const char *what)
{
	char cause[512];
	curl_failure_text(c, rc, errbuf, cause, sizeof cause);
	enum gerr_kind kind = net_transient(rc) || rc == CURLE_COULDNT_RESOLVE_PROXY ||
					      rc == CURLE_ABORTED_BY_CALLBACK
				      ? GERR_TEMPORARY
				      : GERR_PERMANENT;
	return gerr_setk(err, kind, "%s: %s", what, cause);
}

int64_t net_retry_delay(const struct net_retry *p, unsigned attempt, int64_t retry_after_ms)
{
	if (attempt < 2 || attempt > p->max_attempts)
		return -1;
	if (retry_after_ms >= 0)
		return p->max_after_ms && retry_after_ms > p->max_after_ms ? -1 : retry_after_ms;
	int64_t d = p->first_ms;
	for (unsigned i = 2; i < attempt && d < p->max_ms; i++)
		d *= 2;
	return d < p->max_ms ? d : p->max_ms;
}

int64_t net_retry_after(const char *value, time_t now)
{
	if (!value)
		return -1;
	while (*value == ' ' || *value == '\t')
		value++;
	if (isdigit((unsigned char)*value)) {
		char *end;
		long long s = strtoll(value, &end, 10);
		while (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n')
			end++;
		return *end || s > INT64_MAX / 1000 ? -1 : s * 1000;
	}
	time_t when = curl_getdate(value, NULL);
	if (when == -1)
		return -1;
	return when > now ? (int64_t)(when - now) * 1000 : 0;
}

char *net_escape(const char *s)
{
	char *e = curl_easy_escape(NULL, s ? s : "", 0);
	if (!e) {
		log_error("out of memory escaping a URL part");
		abort();
	}
	char *out = xstrdup(e);
	curl_free(e);
	return out;
}
