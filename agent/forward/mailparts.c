/* mailparts — see mailparts.h. */
#include "forward/mailparts.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/template.h"
#include "forward/route.h"

static const char *doc_hash(const struct sidecar *sc)
{
	const char *h = json_string_value(json_object_get(sc->root, "sha256"));
	return h && strlen(h) == 64 ? h : sc->relpath;
}

static bool is_alert_text(const struct sidecar *sc)
{
	const char *kind = json_string_value(json_object_get(sc->root, "kind"));
	const char *mt = json_string_value(json_object_get(sc->root, "media_type"));
	return kind && strcmp(kind, "alert") == 0 && mt && str_starts_with(mt, "text/") &&
	       sc->st.st_size <= MAIL_ALERT_BODY_MAX;
}

void mail_parts_free(struct mail_parts *p, size_t n)
{
	for (size_t i = 0; i < n && p->data; i++)
		free(p->data[i]);
	free(p->data);
	free(p->att);
	free(p->hashes);
	buf_free(&p->body);
}

enum deliver_status mail_parts_load(const struct sidecar *const *scs, size_t n,
				    uint64_t max_size, const struct tmpl *body_t,
				    struct mail_parts *p, struct gerr *err)
{
	const char *missing;
	p->att = xcalloc(n, sizeof(*p->att));
	p->data = xcalloc(n, sizeof(*p->data));
	p->hashes = xcalloc(n, sizeof(*p->hashes));
	p->inline_text = n == 1 && is_alert_text(scs[0]);
	for (size_t i = 0; i < n; i++) {
		size_t len = 0;
		if (read_file(scs[i]->docpath, max_size, &p->data[i], &len, err) < 0)
			return errno == ENOENT ? DELIVER_FAILED : DELIVER_RETRY;
		const char *mt = json_string_value(json_object_get(scs[i]->root, "media_type"));
		p->att[i] = (struct mail_attachment){scs[i]->file, mt ? mt : "application/octet-stream",
						     p->data[i], len};
		p->hashes[i] = doc_hash(scs[i]);
		char *b = p->inline_text ? xstrdup(p->data[i])
					 : tmpl_render(body_t, scs[i]->root, scs[i]->file, 0, &missing);
		buf_printf(&p->body, "%s%s", i ? "\r\n" : "", b);
		free(b);
	}
	return DELIVERED;
}

char *mail_parts_subject(const struct tmpl *subject_t, const struct sidecar *const *scs, size_t n,
			 char **files_out)
{
	struct buf files = {0};
	const char *missing;
	for (size_t i = 0; i < n; i++)
		buf_printf(&files, "%s%s", i ? ", " : "", scs[i]->file);
	json_t *first = json_deep_copy(scs[0]->root);
	json_object_set_new(first, "count", json_integer((json_int_t)n));
	json_object_set_new(first, "files", json_string_nocheck(files.data));
	char *subject = tmpl_render(subject_t, first, scs[0]->file, 0, &missing);
	json_decref(first);
	*files_out = buf_take(&files);
	return subject;
}

bool mail_parts_fit(const struct sidecar *scs, size_t n, uint64_t max_size)
{
	size_t payload = 0;
	for (size_t i = 0; i < n; i++)
		payload += (size_t)scs[i].st.st_size;
	return mail_size_estimate(payload, n) <= max_size;
}

enum deliver_status mail_parts_check(const struct sidecar *sc, uint64_t max_size, struct gerr *err)
{
	if (mail_parts_fit(sc, 1, max_size))
		return DELIVERED;
	gerr_set(err, "%s (%lld bytes) does not fit in a message of max_size %llu bytes", sc->file,
		 (long long)sc->st.st_size, (unsigned long long)max_size);
	return DELIVER_FAILED;
}

void mail_deliver_as_one(struct target_job *const *jobs, size_t n, enum deliver_status *st,
			 struct gerr *errs, mail_send_fn send)
{
	const struct sidecar **scs = xcalloc(n, sizeof(*scs));
	for (size_t i = 0; i < n; i++)
		scs[i] = jobs[i]->sc;
	char *where = NULL;
	int64_t window_ms = 0;
	enum deliver_status s = send(jobs[0], scs, n, &where, &window_ms, &errs[0]);
	for (size_t i = 0; i < n; i++) {
		st[i] = s;
		errs[i] = errs[0];
		jobs[i]->retry_after_ms = window_ms;
		if (s == DELIVERED)
			jobs[i]->where = xstrdup(where);
	}
	free(where);
	free(scs);
}

void mail_settings_validate(struct cf_ctx *ctx, yaml_node_t *tnode, const struct strlist *to,
			    const char *subject, const char *body, struct tmpl **subject_t,
			    struct tmpl **body_t)
{
	for (size_t i = 0; i < to->len; i++)
		if (!mail_address_ok(to->items[i]))
			cf_error(ctx, cf_get(ctx, tnode, "to"), "to: '%s' is not an e-mail address",
				 to->items[i]);
	if (subject)
		*subject_t = route_template(ctx, tnode, "subject", subject);
	if (body)
		*body_t = route_template(ctx, tnode, "body", body);
}

void mail_recipients_fingerprint(struct buf *b, const struct strlist *to)
{
	for (size_t i = 0; i < to->len; i++)
		buf_printf(b, "%s,", to->items[i]);
}
