/* http — polite libcurl client for portal recipes. See http.h. */
#include "sources/portal/http.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "core/net.h"

int http_init(struct http *h, const struct http_opts *o, struct gerr *err)
{
	static bool global;
	memset(h, 0, sizeof(*h));
	if (!global) {
		curl_global_init(CURL_GLOBAL_DEFAULT);
		global = true;
	}
	h->curl = curl_easy_init();
	if (!h->curl)
		return gerr_set(err, "cannot start libcurl");
	h->o = *o;
	h->user_agent = xstrdup(o->user_agent ? o->user_agent : "goniec");
	h->ca_file = o->ca_file ? xstrdup(o->ca_file) : NULL;
	h->lock_dir = o->lock_dir ? xstrdup(o->lock_dir) : NULL;
	curl_easy_setopt(h->curl, CURLOPT_COOKIEFILE, ""); /* cookie engine on */
	return 0;
}

void http_cleanup(struct http *h)
{
	if (h->curl)
		curl_easy_cleanup(h->curl);
	free(h->user_agent);
	free(h->ca_file);
	free(h->lock_dir);
	memset(h, 0, sizeof(*h));
}

void http_response_free(struct http_response *r)
{
	free(r->url);
	free(r->content_type);
	strlist_free(&r->headers);
	buf_free(&r->body);
	memset(r, 0, sizeof(*r));
}

/* ---- receiving -------------------------------------------------------------------- */

struct sink {
	struct http_response *resp;
	int fd;
	uint64_t max, n;
	bool too_big, write_failed;
};

static size_t on_body(char *data, size_t size, size_t nmemb, void *ud)
{
	struct sink *s = ud;
	size_t len = size * nmemb;
	if (s->n + len > s->max) {
		s->too_big = true;
		return 0;
	}
	s->n += len;
	if (s->fd >= 0) {
		if (write_all(s->fd, data, len) < 0) {
			s->write_failed = true;
			return 0;
		}
	} else {
		buf_append(&s->resp->body, data, len);
	}
	return len;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *ud)
{
	struct sink *s = ud;
	size_t len = size * nmemb, n = len;
	if (len >= 5 && strncmp(data, "HTTP/", 5) == 0) {
		strlist_free(&s->resp->headers); /* a new response (after a redirect) */
		return len;
	}
	while (n > 0 && (data[n - 1] == '\r' || data[n - 1] == '\n'))
		n--;
	if (n > 0 && memchr(data, ':', n) && s->resp->headers.len < 500) {
		char *line = xstrndup(data, n);
		strlist_add(&s->resp->headers, line);
		free(line);
	}
	return len;
}

const char *http_header(const struct http_response *r, const char *name)
{
	size_t n = strlen(name);
	for (size_t i = 0; i < r->headers.len; i++) {
		const char *l = r->headers.items[i];
		if (strncasecmp(l, name, n) == 0 && l[n] == ':') {
			l += n + 1;
			while (*l == ' ' || *l == '\t')
				l++;
			return l;
		}
	}
	return NULL;
}

/* ---- politeness ------------------------------------------------------------------- */

static char *url_host(const char *url)
{
	CURLU *u = curl_url();
	char *host = NULL, *out = NULL;
	if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
		out = xstrdup(host);
		for (char *c = out; *c; c++)
			if (!isalnum((unsigned char)*c) && *c != '.' && *c != '-')
				*c = '_';
	}
	curl_free(host);
	curl_url_cleanup(u);
	return out;
}

/* Lock the host and wait out the delay; returns the lock fd (or -1 without locking). */
static int host_turn(struct http *h, const char *url)
{
	int fd = -1;
	int64_t last = h->last_ms;
	if (h->lock_dir) {
		char *host = url_host(url);
		if (host) {
			char *path = xasprintf("%s/%s.lock", h->lock_dir, host);
			fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
			free(path);
			free(host);
		}
		if (fd >= 0) {
			int64_t shared = 0;
			while (flock(fd, LOCK_EX) < 0 && errno == EINTR)
				;
			if (pread(fd, &shared, sizeof(shared), 0) == sizeof(shared) && shared > last)
				last = shared;
		}
	}
	if (last > 0 && h->o.delay_ms > 0) {
		int64_t wait = last + h->o.delay_ms - now_ms();
		if (wait > 0)
			sleep_ms(wait > h->o.delay_ms ? h->o.delay_ms : wait);
	}
	return fd;
}

static void host_done(struct http *h, int fd)
{
	h->last_ms = now_ms();
	if (fd >= 0) {
		/* a failed write only loses politeness towards other workers */
		ssize_t w = pwrite(fd, &h->last_ms, sizeof(h->last_ms), 0);
		(void)w;
		close(fd);
	}
}

/* ---- sending ---------------------------------------------------------------------- */

static bool transient(CURLcode rc, long status)
{
	return rc == CURLE_OK ? net_status_transient(status) : net_transient(rc);
}

static void setup(struct http *h, const struct http_call *c, struct curl_slist *hdrs,
		  struct sink *s)
{
	CURL *cu = h->curl;
	const struct net_opts o = {.protocols = "http,https", .ca_file = h->ca_file,
				   .user_agent = h->user_agent,
				   .timeout_s = h->o.timeout_s > 0 ? h->o.timeout_s : 60L};
	net_setup(cu, &o);
	curl_easy_setopt(cu, CURLOPT_URL, c->url);
	curl_easy_setopt(cu, CURLOPT_REDIR_PROTOCOLS_STR,
			 str_starts_with(c->url, "https://") ? "https" : "http,https");
	curl_easy_setopt(cu, CURLOPT_FOLLOWLOCATION, c->no_follow ? 0L : 1L);
	curl_easy_setopt(cu, CURLOPT_MAXREDIRS, 10L);
	curl_easy_setopt(cu, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(cu, CURLOPT_ERRORBUFFER, h->errbuf);
	h->errbuf[0] = 0;
	curl_easy_setopt(cu, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(cu, CURLOPT_WRITEDATA, s);
	curl_easy_setopt(cu, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(cu, CURLOPT_HEADERDATA, s);
	curl_easy_setopt(cu, CURLOPT_HTTPHEADER, hdrs);
	if (c->body) {
		curl_easy_setopt(cu, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)c->body_len);
		curl_easy_setopt(cu, CURLOPT_POSTFIELDS, c->body);
	} else {
		curl_easy_setopt(cu, CURLOPT_HTTPGET, 1L);
	}
	curl_easy_setopt(cu, CURLOPT_CUSTOMREQUEST,
			 c->method && strcmp(c->method, c->body ? "POST" : "GET") ? c->method : NULL);
}

static bool is_cookie_header(const char *line)
{
	return strncasecmp(line, "Cookie:", 7) == 0;
}

/* A recipe's "Cookie: a=b; c=d" header: its cookies join the jar, for the request's host
 * only, so that the request carries one Cookie header (as a browser's does) and no
 * redirect takes them to another host. */
static void jar_cookies(struct http *h, const char *url, const char *value)
{
	CURLU *u = curl_url();
	char *host = NULL, *pairs = xstrdup(value), *save = NULL;
	if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
		const char *secure = str_starts_with(url, "https://") ? "TRUE" : "FALSE";
		for (char *p = strtok_r(pairs, ";", &save); p; p = strtok_r(NULL, ";", &save)) {
			p += strspn(p, " \t");
			char *eq = strchr(p, '=');
			if (!eq || eq == p)
				continue;
			/* Netscape format: host, subdomains, path, secure, expires, name, value */
			char *line = xasprintf("%s\tFALSE\t/\t%s\t0\t%.*s\t%s", host, secure,
					       (int)(eq - p), p, eq + 1);
			curl_easy_setopt(h->curl, CURLOPT_COOKIELIST, line);
			free_secret(line);
		}
	}
	free_secret(pairs);
	curl_free(host);
	curl_url_cleanup(u);
}

static struct curl_slist *build_headers(struct http *h, const struct http_call *c)
{
	struct curl_slist *l = NULL;
	char *ct = NULL;
	if (c->content_type) {
		ct = xasprintf("Content-Type: %s", c->content_type);
		l = curl_slist_append(l, ct);
		free(ct);
	}
	l = curl_slist_append(l, "Accept-Language: pl-PL,pl;q=0.9,en;q=0.5");
	for (size_t i = 0; c->headers && i < c->headers->len; i++) {
		const char *line = c->headers->items[i];
		if (is_cookie_header(line))
			jar_cookies(h, c->url, line + 7 + strspn(line + 7, " "));
		else
			l = curl_slist_append(l, line);
	}
	return l;
}

static int attempt(struct http *h, const struct http_call *c, int fd, struct http_response *resp,
		   CURLcode *rc, struct gerr *err)
{
	uint64_t page = h->o.max_page ? h->o.max_page : 32u << 20;
	uint64_t whole = h->o.max_body ? h->o.max_body : 50u << 20;
	struct sink s = {.resp = resp, .fd = fd, .max = fd >= 0 ? whole : page < whole ? page : whole};
	struct curl_slist *hdrs = build_headers(h, c);
	char *eff = NULL, *ct = NULL;
	int lock;

	http_response_free(resp);
	if (fd >= 0 && (ftruncate(fd, 0) < 0 || lseek(fd, 0, SEEK_SET) < 0)) {
		curl_slist_free_all(hdrs);
		return gerr_sys(err, "temporary file");
	}
	setup(h, c, hdrs, &s);
	lock = host_turn(h, c->url);
	*rc = curl_easy_perform(h->curl);
	host_done(h, lock);
	h->requests++;
	curl_slist_free_all(hdrs);
	curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &resp->status);
	if (log_verbosity() > 0) {
		char *u = http_url_for_message(c->url);
		log_debug("%s %s -> %ld%s%s", c->method ? c->method : c->body ? "POST" : "GET", u,
			  resp->status, *rc ? ": " : "", *rc ? curl_easy_strerror(*rc) : "");
		free(u);
	}
	curl_easy_getinfo(h->curl, CURLINFO_EFFECTIVE_URL, &eff);
	curl_easy_getinfo(h->curl, CURLINFO_CONTENT_TYPE, &ct);
	resp->url = xstrdup(eff ? eff : c->url);
	resp->content_type = ct ? xstrdup(ct) : NULL;
	if (!resp->body.data)
		buf_puts(&resp->body, "");
	if (s.too_big)
		return gerr_set(err, "response larger than %llu bytes", (unsigned long long)s.max);
	if (s.write_failed)
		return gerr_sys(err, "writing the download");
	return 0;
}

int http_send(struct http *h, const struct http_call *c, int fd, struct http_response *resp,
	      struct gerr *err)
{
	char *where = http_url_for_message(c->url);
	int tries = h->o.retries < 0 ? 0 : h->o.retries;
	/* the one retry policy (core/net.h): a server's Retry-After of up to a minute is
	 * honoured; without one the wait doubles from retry_delay */
	const struct net_retry policy = {
		.max_attempts = (unsigned)tries + 1,
		.first_ms = h->o.retry_delay_ms > 0 ? h->o.retry_delay_ms : 1000,
		.max_ms = INT64_MAX / 4, .max_after_ms = 60 * 1000,
	};
	CURLcode rc = CURLE_OK;
	int ret = -1;
	unsigned n = 1;

	for (;; n++) {
		if (attempt(h, c, fd, resp, &rc, err) < 0)
			goto out;
		if (!transient(rc, resp->status)) {
			if (rc != CURLE_OK)
				net_error(err, h->curl, rc, h->errbuf, where);
			else
				ret = 0;
			goto out;
		}
		int64_t wait = net_retry_delay(&policy, n + 1,
					       net_retry_after(http_header(resp, "Retry-After"),
							       time(NULL)));
		if (wait < 0)
			break;
		sleep_ms(wait);
	}
	if (rc != CURLE_OK) {
		struct gerr last = {0};
		net_error(&last, h->curl, rc, h->errbuf, where);
		gerr_setk(err, last.kind, "%s (%u attempts)", last.msg, n);
	} else {
		gerr_set(err, "%s: HTTP %ld (%u attempts)", where, resp->status, n);
	}
out:
	free(where);
	return ret;
}

/* ---- cookies ---------------------------------------------------------------------- */

void http_cookies_export(struct http *h, struct strlist *out)
{
	struct curl_slist *l = NULL;
	if (curl_easy_getinfo(h->curl, CURLINFO_COOKIELIST, &l) != CURLE_OK)
		return;
	for (struct curl_slist *i = l; i; i = i->next)
		strlist_add(out, i->data);
	curl_slist_free_all(l);
}

void http_cookies_import(struct http *h, const struct strlist *lines)
{
	for (size_t i = 0; i < lines->len; i++)
		if (!strchr(lines->items[i], '\n'))
			curl_easy_setopt(h->curl, CURLOPT_COOKIELIST, lines->items[i]);
}

char *http_cookie(struct http *h, const char *name)
{
	struct strlist all = {0};
	char *val = NULL;
	http_cookies_export(h, &all);
	for (size_t i = 0; i < all.len && !val; i++) {
		/* domain, tailmatch, path, secure, expires, name, value */
		const char *f = all.items[i];
		for (int k = 0; k < 5 && f; k++) {
			f = strchr(f, '\t');
			if (f)
				f++;
		}
		if (f && strncmp(f, name, strlen(name)) == 0 && f[strlen(name)] == '\t')
			val = xstrdup(f + strlen(name) + 1);
	}
	strlist_free(&all);
	return val;
}

/* ---- URLs ------------------------------------------------------------------------- */

char *http_url_resolve(const char *base, const char *ref)
{
	CURLU *u = curl_url();
	char *full = NULL, *out = NULL, *scheme = NULL;
	if ((!base || curl_url_set(u, CURLUPART_URL, base, 0) == CURLUE_OK) &&
	    curl_url_set(u, CURLUPART_URL, ref, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
	    (strcmp(scheme, "https") == 0 || strcmp(scheme, "http") == 0) &&
	    curl_url_get(u, CURLUPART_URL, &full, 0) == CURLUE_OK)
		out = xstrdup(full);
	curl_free(full);
	curl_free(scheme);
	curl_url_cleanup(u);
	return out;
}

static char *url_origin(const char *url)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *port = NULL, *out = NULL;
	if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK)
		out = xasprintf("%s://%s:%s", scheme, host, port);
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return out;
}

bool http_url_same_origin(const char *a, const char *b)
{
	char *oa = url_origin(a), *ob = url_origin(b);
	bool same = oa && ob && strcasecmp(oa, ob) == 0;
	free(oa);
	free(ob);
	return same;
}

char *http_url_for_message(const char *url)
{
	size_t n = strcspn(url, "?#");
	return xstrndup(url, n);
}
