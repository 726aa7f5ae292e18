/* net — the one libcurl setup, failure wording and retry policy for everything goniec
 * says to a server: Microsoft Graph (source and target), portals, SMTP, the sign-in
 * services (core/oauth.h), the open-banking aggregators and KSeF.
 *
 * net_setup() prepares an easy handle: TLS certificate and host name always verified
 * (never switched off), the CA bundle of `ca_file` or the system's (the bundle only, not
 * also every file of the CA directory), the allowed protocols, a connect time-out, an
 * optional whole-transfer time-out and stall cut, the User-Agent, no signals. Proxies
 * come from the environment as libcurl reads them (https_proxy, http_proxy, no_proxy,
 * all_proxy): nothing sets CURLOPT_PROXY, so a proxy configured for the service applies.
 *
 * Retries: one policy for every client. A transfer is worth repeating when libcurl
 * failed in a way that may pass (net_transient: no connection, cut or no answer, time-
 * out — never a refused certificate) or the server said so (net_status_transient: 429,
 * 5xx). The wait before attempt n (1-based, counting the first try) is the server's
 * Retry-After when it gave one, else first_ms doubled per attempt up to max_ms; a
 * Retry-After longer than max_after_ms, or attempts beyond max_attempts, give up.
 *
 * Ownership: nothing is allocated here; the options' strings must live as long as the
 * handle is used.
 * Errors: net_error() words a libcurl failure for a person ("<what>: <cause>", a refused
 * certificate saying why: its issuer unknown, its name not matching, ...), with the
 * kind GERR_TEMPORARY when it may pass and GERR_PERMANENT otherwise (a certificate
 * refused, a bad URL).
 */
#ifndef GONIEC_CORE_NET_H
#define GONIEC_CORE_NET_H

#include <curl/curl.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "core/util.h"

#define NET_CONNECT_TIMEOUT_S 30L

struct net_opts {
	const char *protocols;   /* allowed schemes: "https", "http,https", "smtp,smtps" */
	const char *ca_file;     /* NULL: the system's trust store */
	const char *user_agent;  /* NULL: "goniec/<version>" */
	long connect_timeout_s;  /* 0: NET_CONNECT_TIMEOUT_S */
	long timeout_s;          /* the whole transfer; 0: no limit */
	long stall_s;            /* cut a transfer that moved no byte this long; 0: never */
};

void net_setup(CURL *c, const struct net_opts *o);

/* A libcurl failure that may pass (worth another attempt)? */
bool net_transient(CURLcode rc);
/* An HTTP status that may pass: 429 and 5xx. */
bool net_status_transient(long status);
/* err = "<what>: <cause>" of the kind above. The cause is curl_failure_text()'s
 * (core/curltls.h): why a certificate was refused, then errbuf or libcurl's words.
 * c is the transfer's handle (its verify result; NULL: none). Returns -1. */
int net_error(struct gerr *err, CURL *c, CURLcode rc, const char *errbuf, const char *what);

struct net_retry {
	unsigned max_attempts;   /* the first try included */
	int64_t first_ms;        /* wait before the second attempt without Retry-After */
	int64_t max_ms;          /* the doubling stops here */
	int64_t max_after_ms;    /* a longer Retry-After gives up (0: any) */
};
/* The wait before attempt `attempt` (2 = the first repeat), given the server's
 * Retry-After in ms (-1: none); -1 to give up. */
int64_t net_retry_delay(const struct net_retry *p, unsigned attempt, int64_t retry_after_ms);
/* A Retry-After header value (delay-seconds or an HTTP-date) in ms from `now`; -1 when
 * it is neither. A date in the past is 0. */
int64_t net_retry_after(const char *value, time_t now);

/* s percent-encoded for a URL's path segment or query value (all but RFC 3986's
 * unreserved characters); NULL is taken as "". Owned by the caller; never NULL. */
char *net_escape(const char *s);

#endif
