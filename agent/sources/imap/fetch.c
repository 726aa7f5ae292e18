/* fetch — see fetch.h. */
#include "sources/imap/fetch.h"

#include <stdlib.h>
#include <string.h>

#include "core/dedupe.h"
#include "core/log.h"
#include "formats/charset.h"
#include "formats/filename.h"
#include "formats/mime.h"
#include "sources/filing.h"

#define UID_CHUNK 500u                 /* UIDs per chunk (one ENVELOPE fetch) */
#define SMALL_PART (1u << 20)          /* larger parts are fetched in chunks of this */
#define BATCH_BYTES (1u << 20)         /* encoded bytes per multi-message fetch (bench/RESULTS.md) */
#define BATCH_MESSAGES 200u
#define BATCH_SECTIONS 200u            /* sections per FETCH: keeps the command line short */
#define MAX_RECONNECTS 20u             /* per folder and run, to isolate unreadable messages */

struct imap_msg {
	uint32_t uid;
	char *addr, *from, *subject, *date, *message_id;
	struct mime_parts parts;
	bool *done;                 /* per part: filed now or before, or quarantined */
	unsigned filed, refused, failed;
	char *signature;            /* the small sections to fetch together with other
				     * messages', space-separated; NULL: none, or too many */
	bool alone;                 /* small sections too many or too big to batch */
	bool planned;               /* its structure was looked at (plan_message) */
	char *held;                 /* why the message is left for a person (mime.h limits) */
};

struct folder_run {
	struct source_run *run;
	struct imap_session *s;
	const char *folder;         /* UTF-8 */
	const char *raw;
	uint32_t uidvalidity;
	struct folder_state fs;
	struct imap_msg *msgs;
	size_t nmsgs;
	struct gerr *err;
	bool failed;                /* something in this folder failed: report it */
	bool unreadable;            /* the last structure fetch failed to parse */
	unsigned long lost_seen;    /* the spool's lost count when messages were last settled */
	struct gerr sync_err;       /* a flush failed since (sync_err.msg set) */
	bool stopped;               /* a chunk stopped short: the state goes no further */
	unsigned reconnects;
};

/* ---- small helpers ---------------------------------------------------------------------- */

/* The UIDs as a set; a run of consecutive ones as one range ("7:9"), to keep the command
 * line short. */
static struct mailimap_set *uid_set(const uint32_t *uids, size_t n)
{
	struct mailimap_set *set = mailimap_set_new_empty();
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j + 1 < n && uids[j + 1] == uids[j] + 1)
			j++;
		if (j == i)
			mailimap_set_add_single(set, uids[i]);
		else
			mailimap_set_add_interval(set, uids[i], uids[j]);
		i = j + 1;
	}
	return set;
}

static struct mailimap_section *section_of(const char *text)
{
	clist *ids = clist_new();
	for (const char *p = text; *p;) {
		uint32_t *v = xmalloc(sizeof *v);
		*v = (uint32_t)strtoul(p, (char **)&p, 10);
		clist_append(ids, v);
		if (*p == '.')
			p++;
	}
	return mailimap_section_new_part(mailimap_section_part_new(ids));
}

static void section_text(const struct mailimap_section *sec, char *out, size_t cap)
{
	out[0] = 0;
	if (!sec || !sec->sec_spec || sec->sec_spec->sec_type != MAILIMAP_SECTION_SPEC_SECTION_PART ||
	    !sec->sec_spec->sec_data.sec_part)
		return;
	size_t len = 0;
	for (clistiter *it = clist_begin(sec->sec_spec->sec_data.sec_part->sec_id); it;
	     it = clist_next(it)) {
		int n = snprintf(out + len, cap - len, "%s%u", len ? "." : "",
				 *(uint32_t *)clist_content(it));
		if (n < 0 || (size_t)n >= cap - len)
			return;
		len += (size_t)n;
	}
}

static struct mailimap_msg_att_static *att_item(struct mailimap_msg_att *a, int type)
{
	for (clistiter *it = clist_begin(a->att_list); it; it = clist_next(it)) {
		struct mailimap_msg_att_item *item = clist_content(it);
		if (item->att_type == MAILIMAP_MSG_ATT_ITEM_STATIC && item->att_data.att_static &&
		    item->att_data.att_static->att_type == type)
			return item->att_data.att_static;
	}
	return NULL;
}

static uint32_t att_uid(struct mailimap_msg_att *a)
{
	struct mailimap_msg_att_static *u = att_item(a, MAILIMAP_MSG_ATT_UID);
	return u ? u->att_data.att_uid : 0;
}

static struct imap_msg *find_msg(struct folder_run *fr, uint32_t uid)
{
	for (size_t i = 0; i < fr->nmsgs; i++)
		if (fr->msgs[i].uid == uid)
			return &fr->msgs[i];
	return NULL;
}

static char *decoded_or_null(const char *s)
{
	return s ? mime_header_decode(s) : NULL;
}

static void msg_free(struct imap_msg *m)
{
	free(m->addr);
	free(m->from);
	free(m->subject);
	free(m->date);
	free(m->message_id);
	free(m->done);
	free(m->signature);
	free(m->held);
	mime_parts_free(&m->parts);
}

static void msgs_free(struct folder_run *fr)
{
	for (size_t i = 0; i < fr->nmsgs; i++)
		msg_free(&fr->msgs[i]);
	free(fr->msgs);
	fr->msgs = NULL;
	fr->nmsgs = 0;
}

/* ---- looking at messages ---------------------------------------------------------------- */

static void read_envelope(struct imap_msg *m, const struct mailimap_envelope *env)
{
	if (!env)
		return;
	m->subject = decoded_or_null(env->env_subject);
	m->date = decoded_or_null(env->env_date);
	m->message_id = decoded_or_null(env->env_message_id);
	if (!env->env_from || !env->env_from->frm_list || !clist_begin(env->env_from->frm_list))
		return;
	const struct mailimap_address *a = clist_content(clist_begin(env->env_from->frm_list));
	if (!a->ad_mailbox_name || !a->ad_host_name)
		return;
	char *raw = xasprintf("%s@%s", a->ad_mailbox_name, a->ad_host_name);
	m->addr = charset_guess_to_utf8(raw, strlen(raw));
	free(raw);
	char *name = decoded_or_null(a->ad_personal_name);
	m->from = name && *name ? xasprintf("%s <%s>", name, m->addr) : xstrdup(m->addr);
	free(name);
}

static bool whitelisted(const struct imap_conf *c, const char *addr)
{
	for (size_t i = 0; addr && i < c->senders.len; i++)
		if (wildcard_match(c->senders.items[i], addr))
			return true;
	return false;
}

static char *source_id(const struct folder_run *fr, uint32_t uid, const char *section)
{
	return xasprintf("%u/%u/%s", fr->uidvalidity, uid, section);
}

static bool small_part(const struct imap_msg *m, size_t i)
{
	return !m->done[i] && m->parts.items[i].size <= SMALL_PART;
}

/* Decide what to fetch of one message from a whitelisted sender; parts filed before are
 * done already. */
static void plan_message(struct folder_run *fr, struct imap_msg *m, const struct mailimap_body *b)
{
	const struct source_run *run = fr->run;
	struct gerr why;
	m->planned = true;
	if (!b)
		return;
	if (mime_walk_bodystructure(b, &run->src->accept, &m->parts, &why) != 0)
		m->held = xstrdup(why.msg);
	m->done = xcalloc(m->parts.len + 1, sizeof *m->done);
	struct buf sig = {0};
	unsigned nsmall = 0;
	uint64_t bytes = 0;
	for (size_t i = 0; i < m->parts.len; i++) {
		char *id = source_id(fr, m->uid, m->parts.items[i].section);
		if (dedupe_has_id(run->dedupe, id)) {
			m->done[i] = true;
			m->filed++;
			fr->run->stats.duplicates++;
		} else if (small_part(m, i)) {
			buf_printf(&sig, "%s%s", sig.len ? " " : "", m->parts.items[i].section);
			nsmall++;
			bytes += m->parts.items[i].size;
		}
		free(id);
	}
	m->alone = nsmall > BATCH_SECTIONS || bytes > BATCH_BYTES;
	m->signature = sig.len && !m->alone ? buf_take(&sig) : NULL;
	buf_free(&sig);
}

/* One UID FETCH of the UIDs in set (taken) and of their envelopes or structures. */
static int fetch_items(struct folder_run *fr, struct mailimap_set *set, bool structures,
		       clist **result)
{
	struct mailimap_fetch_type *ft = mailimap_fetch_type_new_fetch_att_list_empty();
	mailimap_fetch_type_new_fetch_att_list_add(ft, mailimap_fetch_att_new_uid());
	mailimap_fetch_type_new_fetch_att_list_add(ft, structures ? mailimap_fetch_att_new_bodystructure()
								  : mailimap_fetch_att_new_envelope());
	int r = mailimap_uid_fetch(fr->s->imap, set, ft, result);
	mailimap_set_free(set);
	mailimap_fetch_type_free(ft);
	if (r == MAILIMAP_NO_ERROR)
		return 0;
	fr->unreadable = r == MAILIMAP_ERROR_PARSE;
	return imap_fail(fr->s, r, fr->err,
			 structures ? "fetching message structure failed" : "fetching message envelopes failed");
}

static bool in_range(uint32_t uid, uint32_t first, uint32_t last)
{
	return uid >= first && (!last || uid <= last);
}

/* The envelopes of [first, last]: a message for each UID not looked at yet. */
static int fetch_envelopes(struct folder_run *fr, uint32_t first, uint32_t last)
{
	clist *result = NULL;
	if (fetch_items(fr, mailimap_set_new_interval(first, last), false, &result) != 0)
		return -1;
	fr->msgs = xrealloc(fr->msgs, (fr->nmsgs + (size_t)clist_count(result) + 1) * sizeof *fr->msgs);
	memset(fr->msgs + fr->nmsgs, 0, ((size_t)clist_count(result) + 1) * sizeof *fr->msgs);
	for (clistiter *it = clist_begin(result); it; it = clist_next(it)) {
		struct mailimap_msg_att *a = clist_content(it);
		uint32_t uid = att_uid(a);
		/* "n:*" also returns the last message when its UID is below n */
		if (!in_range(uid, first, last) || find_msg(fr, uid))
			continue;
		struct imap_msg *m = &fr->msgs[fr->nmsgs++];
		m->uid = uid;
		struct mailimap_msg_att_static *env = att_item(a, MAILIMAP_MSG_ATT_ENVELOPE);
		read_envelope(m, env ? env->att_data.att_env : NULL);
		fr->run->stats.looked_at++;
	}
	mailimap_fetch_list_free(result);
	return 0;
}

/* The structures of the messages of [first, last] from whitelisted senders, not planned
 * yet: only theirs are asked for (the server need not read the others' bodies). */
static int fetch_plans(struct folder_run *fr, uint32_t first, uint32_t last)
{
	const struct imap_conf *c = fr->run->src->typed;
	uint32_t *uids = xcalloc(fr->nmsgs + 1, sizeof *uids);
	size_t n = 0;
	for (size_t i = 0; i < fr->nmsgs; i++) {
		const struct imap_msg *m = &fr->msgs[i];
		if (in_range(m->uid, first, last) && !m->planned && whitelisted(c, m->addr))
			uids[n++] = m->uid;
	}
	clist *result = NULL;
	int rc = n ? fetch_items(fr, uid_set(uids, n), true, &result) : 0;
	free(uids);
	if (rc != 0 || !result)
		return rc;
	for (clistiter *it = clist_begin(result); it; it = clist_next(it)) {
		struct mailimap_msg_att *a = clist_content(it);
		struct imap_msg *m = find_msg(fr, att_uid(a));
		struct mailimap_msg_att_static *bs = att_item(a, MAILIMAP_MSG_ATT_BODYSTRUCTURE);
		if (m && !m->planned)
			plan_message(fr, m, bs ? bs->att_data.att_bodystructure : NULL);
	}
	mailimap_fetch_list_free(result);
	return 0;
}

static int fetch_headers(struct folder_run *fr, uint32_t first, uint32_t last)
{
	if (fetch_envelopes(fr, first, last) != 0)
		return -1;
	return fetch_plans(fr, first, last);
}

/* Log in again and reselect the folder after the stream went out of sync. */
static int reconnect(struct folder_run *fr)
{
	const struct imap_conf *c = fr->s->conf;
	imap_session_close(fr->s);
	if (imap_session_open(fr->s, c, fr->run->state_dir, fr->run->src->name, fr->err) != 0) {
		fr->s->broken = true;
		return -1;
	}
	int r = mailimap_select(fr->s->imap, fr->raw);
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(fr->s, r, fr->err, "reselecting the folder failed");
	const struct mailimap_selection_info *sel = fr->s->imap->imap_selection_info;
	if (!sel || sel->sel_uidvalidity != fr->uidvalidity) {
		fr->s->broken = true;
		return gerr_set(fr->err, "%s: UIDVALIDITY of '%s' changed during the run", fr->s->label,
				fr->folder);
	}
	return 0;
}

/* Structures of [first, last]. A structure the library cannot parse breaks the stream
 * (libetpan #90): reconnect and halve the range until the message is found, then leave
 * that message alone (with a warning) so that it cannot block the folder forever. */
static int fetch_structures(struct folder_run *fr, uint32_t first, uint32_t last)
{
	if (fetch_headers(fr, first, last) == 0)
		return 0;
	if (!fr->unreadable || !last || ++fr->reconnects > MAX_RECONNECTS || reconnect(fr) != 0)
		return -1;
	if (first == last) {
		log_warn("%s: %s UID %u: the server describes this message in a way the IMAP library cannot read; it is left where it is",
			 fr->run->src->name, fr->folder, first);
		if (!find_msg(fr, first))
			fr->run->stats.looked_at++;
		return 0;
	}
	uint32_t mid = first + (last - first) / 2;
	if (fetch_structures(fr, first, mid) != 0)
		return -1;
	return fetch_structures(fr, mid + 1, last);
}

/* ---- filing ----------------------------------------------------------------------------- */

struct part_filing {
	struct folder_run *fr;
	struct imap_msg *m;
	size_t part;
	struct filing *doc;
	struct mime_decoder dec;
};

static int part_begin(struct part_filing *f, struct folder_run *fr, struct imap_msg *m, size_t part)
{
	const struct mime_part *p = &m->parts.items[part];
	memset(f, 0, sizeof *f);
	f->fr = fr;
	f->m = m;
	f->part = part;
	char *id = source_id(fr, m->uid, p->section);
	char *fallback = xasprintf("attachment-%u-%s", m->uid, p->section);
	char *label = xasprintf("%s UID %u: %s", fr->folder, m->uid,
				p->filename ? p->filename : "(no name)");
	json_t *origin = json_pack("{s:{s:s, s:I, s:I, s:s, s:s?, s:s?, s:s?, s:s?}}", "imap",
				   "folder", fr->folder, "uidvalidity", (json_int_t)fr->uidvalidity,
				   "uid", (json_int_t)m->uid, "section", p->section, "message_id",
				   m->message_id, "from", m->from, "subject", m->subject, "date",
				   m->date);
	const struct filing_doc doc = {
		.name_hint = p->filename ? p->filename : fallback,
		.label = label,
		.source_id = id,
		.origin = origin,
	};
	f->doc = filing_begin(fr->run, &doc, fr->err);
	json_decref(origin);
	free(label);
	free(fallback);
	free(id);
	if (!f->doc)
		return -1;
	mime_decoder_init(&f->dec, p->encoding, filing_sink, f->doc);
	return 0;
}

static void part_abort(struct part_filing *f)
{
	mime_decoder_free(&f->dec);
	filing_abort(f->doc);
	f->doc = NULL;
	f->m->failed++;
	f->fr->run->stats.failed++;
}

static int part_commit(struct part_filing *f)
{
	struct folder_run *fr = f->fr;
	enum spool_status status;
	if (mime_decoder_finish(&f->dec, fr->err) != 0) {
		part_abort(f);
		return -1;
	}
	int rc = filing_commit(f->doc, &status, fr->err);
	f->doc = NULL;
	if (rc != 0) {
		f->m->failed++;
		fr->run->stats.failed++;
		return -1;
	}
	f->m->done[f->part] = true;
	if (status == SPOOL_QUARANTINED)
		f->m->refused++;
	else
		f->m->filed++;
	return 0;
}

/* File one section whose whole (transfer-encoded) body is in memory. */
static int file_buffer(struct folder_run *fr, struct imap_msg *m, size_t part, const char *data,
		       size_t len)
{
	struct part_filing f;
	if (part_begin(&f, fr, m, part) != 0) {
		m->failed++;
		fr->run->stats.failed++;
		return -1;
	}
	if (mime_decoder_feed(&f.dec, data ? data : "", data ? len : 0, fr->err) != 0) {
		part_abort(&f);
		return -1;
	}
	return part_commit(&f);
}

static int part_index(const struct imap_msg *m, const char *section)
{
	for (size_t i = 0; i < m->parts.len; i++)
		if (!strcmp(m->parts.items[i].section, section))
			return (int)i;
	return -1;
}

/* Keep the first failure of a flush since the last chunk was settled. */
static void note_sync(struct folder_run *fr, int rc, const struct gerr *e)
{
	if (rc != 0 && !fr->sync_err.msg[0])
		fr->sync_err = *e;
}

/* After a round trip that filed documents: make them durable in the background while the
 * next ones are fetched, unless the last batch is still being synced. */
static void keep_syncing(struct folder_run *fr)
{
	struct gerr e;
	if (!spool_flush_running(fr->run->spool))
		note_sync(fr, spool_flush_start(fr->run->spool, &e), &e);
}

/* One UID FETCH of the same small sections of several messages. */
static int fetch_batch(struct folder_run *fr, const uint32_t *uids, size_t n, const char *signature)
{
	struct mailimap_fetch_type *ft = mailimap_fetch_type_new_fetch_att_list_empty();
	mailimap_fetch_type_new_fetch_att_list_add(ft, mailimap_fetch_att_new_uid());
	char *sig = xstrdup(signature), *save = NULL;
	for (char *s = strtok_r(sig, " ", &save); s; s = strtok_r(NULL, " ", &save))
		mailimap_fetch_type_new_fetch_att_list_add(
			ft, mailimap_fetch_att_new_body_peek_section(section_of(s)));
	free(sig);
	struct mailimap_set *set = uid_set(uids, n);
	clist *result = NULL;
	int r = mailimap_uid_fetch(fr->s->imap, set, ft, &result);
	mailimap_set_free(set);
	mailimap_fetch_type_free(ft);
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(fr->s, r, fr->err, "fetching attachments failed");
	int rc = 0;
	for (clistiter *it = clist_begin(result); it && rc == 0; it = clist_next(it)) {
		struct mailimap_msg_att *a = clist_content(it);
		struct imap_msg *m = find_msg(fr, att_uid(a));
		for (clistiter *j = clist_begin(a->att_list); m && j && rc == 0; j = clist_next(j)) {
			struct mailimap_msg_att_item *item = clist_content(j);
			const struct mailimap_msg_att_static *st = item->att_data.att_static;
			if (item->att_type != MAILIMAP_MSG_ATT_ITEM_STATIC || !st ||
			    st->att_type != MAILIMAP_MSG_ATT_BODY_SECTION || !st->att_data.att_body_section)
				continue;
			const struct mailimap_msg_att_body_section *bs = st->att_data.att_body_section;
			char sec[MIME_SECTION_MAX];
			section_text(bs->sec_section, sec, sizeof sec);
			int idx = part_index(m, sec);
			if (idx >= 0 && !m->done[idx])
				rc = file_buffer(fr, m, (size_t)idx, bs->sec_body_part, bs->sec_length);
		}
	}
	mailimap_fetch_list_free(result);
	keep_syncing(fr);
	return rc;
}

/* A large part in BODY.PEEK[n]<offset.SMALL_PART> chunks, streamed into the spool. */
static int fetch_big(struct folder_run *fr, struct imap_msg *m, size_t part)
{
	struct part_filing f;
	const char *section = m->parts.items[part].section;
	if (part_begin(&f, fr, m, part) != 0) {
		m->failed++;
		fr->run->stats.failed++;
		return -1;
	}
	for (uint32_t offset = 0;;) {
		struct mailimap_fetch_type *ft = mailimap_fetch_type_new_fetch_att_list_empty();
		mailimap_fetch_type_new_fetch_att_list_add(
			ft, mailimap_fetch_att_new_body_peek_section_partial(section_of(section), offset,
									     SMALL_PART));
		struct mailimap_set *set = mailimap_set_new_single(m->uid);
		clist *result = NULL;
		int r = mailimap_uid_fetch(fr->s->imap, set, ft, &result);
		mailimap_set_free(set);
		mailimap_fetch_type_free(ft);
		if (r != MAILIMAP_NO_ERROR) {
			imap_fail(fr->s, r, fr->err, "fetching an attachment failed");
			part_abort(&f);
			return -1;
		}
		struct mailimap_msg_att_static *st =
			clist_begin(result) ? att_item(clist_content(clist_begin(result)),
						       MAILIMAP_MSG_ATT_BODY_SECTION)
					    : NULL;
		/* An answer without the section (the message expunged meanwhile: RFC 9051
		 * 6.4.9 ignores a UID that is gone) is no end of the part: what came so far
		 * is not the whole document. A section of 0 octets is the end. */
		if (!st || !st->att_data.att_body_section) {
			mailimap_fetch_list_free(result);
			gerr_set(fr->err, "%s: UID %u: the server did not return section %s (at octet %u)",
				 fr->folder, m->uid, section, offset);
			part_abort(&f);
			return -1;
		}
		size_t got = st->att_data.att_body_section->sec_length;
		int rc = got ? mime_decoder_feed(&f.dec, st->att_data.att_body_section->sec_body_part, got,
						 fr->err)
			     : 0;
		mailimap_fetch_list_free(result);
		if (rc != 0) {
			part_abort(&f);
			return -1;
		}
		if (got < SMALL_PART)
			break;
		offset += (uint32_t)got;
	}
	int rc = part_commit(&f);
	keep_syncing(fr);
	return rc;
}

static int cmp_signature(const void *a, const void *b)
{
	const struct imap_msg *x = *(struct imap_msg *const *)a, *y = *(struct imap_msg *const *)b;
	int c = strcmp(x->signature, y->signature);
	return c ? c : (x->uid > y->uid) - (x->uid < y->uid);
}

static uint64_t small_bytes(const struct imap_msg *m)
{
	uint64_t n = 0;
	for (size_t i = 0; i < m->parts.len; i++)
		if (small_part(m, i))
			n += m->parts.items[i].size;
	return n;
}

/* The small parts of a message that has too many of them to batch with others: fetched on
 * its own, up to BATCH_SECTIONS sections and BATCH_BYTES at a time. */
static void fetch_alone(struct folder_run *fr, struct imap_msg *m)
{
	struct buf sig = {0};
	unsigned k = 0;
	uint64_t bytes = 0;
	for (size_t i = 0; i <= m->parts.len && !fr->s->broken; i++) {
		bool take = i < m->parts.len && small_part(m, i);
		bool full = k == BATCH_SECTIONS ||
			    (take && k && bytes + m->parts.items[i].size > BATCH_BYTES);
		if (k && (full || i == m->parts.len)) {
			(void)fetch_batch(fr, &m->uid, 1, sig.data);
			sig.len = 0;
			k = 0;
			bytes = 0;
		}
		if (!take)
			continue;
		buf_printf(&sig, "%s%s", k ? " " : "", m->parts.items[i].section);
		k++;
		bytes += m->parts.items[i].size;
	}
	buf_free(&sig);
}

/* Fetch and file the small parts: messages grouped by alike sections, in batches. */
static int fetch_small_parts(struct folder_run *fr)
{
	struct imap_msg **order = xcalloc(fr->nmsgs + 1, sizeof *order);
	uint32_t *uids = xcalloc(BATCH_MESSAGES, sizeof *uids);
	size_t n = 0;
	for (size_t i = 0; i < fr->nmsgs; i++)
		if (fr->msgs[i].signature)
			order[n++] = &fr->msgs[i];
	qsort(order, n, sizeof *order, cmp_signature);
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0;) {
		size_t k = 0;
		uint64_t bytes = 0;
		const char *sig = order[i]->signature;
		while (i < n && k < BATCH_MESSAGES && !strcmp(order[i]->signature, sig) &&
		       (k == 0 || bytes + small_bytes(order[i]) <= BATCH_BYTES)) {
			bytes += small_bytes(order[i]);
			uids[k++] = order[i++]->uid;
		}
		rc = fetch_batch(fr, uids, k, sig);
	}
	free(uids);
	free(order);
	return rc;
}

/* Fetch what the chunk's messages need; a part left undone marks its message failed
 * (retried next run). */
static void fetch_parts(struct folder_run *fr)
{
	(void)fetch_small_parts(fr);
	for (size_t i = 0; i < fr->nmsgs; i++) {
		struct imap_msg *m = &fr->msgs[i];
		if (m->alone && !fr->s->broken)
			fetch_alone(fr, m);
		for (size_t p = 0; p < m->parts.len; p++) {
			if (!m->done[p] && m->parts.items[p].size > SMALL_PART && !fr->s->broken &&
			    !m->failed)
				(void)fetch_big(fr, m, p);
			if (m->done[p] || m->failed)
				continue;
			m->failed++;
			fr->run->stats.failed++;
			if (!fr->s->broken) /* asked for and not returned (expunged meanwhile?) */
				gerr_set(fr->err, "%s: UID %u: the server did not return section %s",
					 fr->folder, m->uid, m->parts.items[p].section);
		}
	}
}

/* ---- moving ------------------------------------------------------------------------------ */

static int ensure_target(struct folder_run *fr, struct imap_target *t)
{
	if (t->ready)
		return 0;
	clist *list = NULL;
	int r = mailimap_list(fr->s->imap, "", t->raw, &list);
	bool exists = r == MAILIMAP_NO_ERROR && list && clist_count(list) > 0;
	if (list)
		mailimap_list_result_free(list);
	if (r != MAILIMAP_NO_ERROR && imap_error_is_fatal(r))
		return imap_fail(fr->s, r, fr->err, "LIST failed");
	if (!exists) {
		r = mailimap_create(fr->s->imap, t->raw);
		if (r != MAILIMAP_NO_ERROR) {
			char *what = xasprintf("cannot create folder '%s'", t->name);
			imap_fail(fr->s, r, fr->err, what);
			free(what);
			return -1;
		}
		log_notice("%s: created folder '%s'", fr->s->label, t->name);
		(void)mailimap_subscribe(fr->s->imap, t->raw);
	}
	t->ready = true;
	return 0;
}

static int move_set(struct folder_run *fr, struct imap_target *t, const uint32_t *uids, size_t n)
{
	mailimap *imap = fr->s->imap;
	char *what = xasprintf("moving %zu message(s) to '%s' failed", n, t->name);
	struct mailimap_set *set = uid_set(uids, n);
	int r = MAILIMAP_NO_ERROR, rc = 0;
	if (fr->s->has_move) {
		r = mailimap_uid_move(imap, set, t->raw);
	} else if (fr->s->has_uidplus) {
		/* UID EXPUNGE removes just these messages, never others marked \Deleted. */
		r = mailimap_uid_copy(imap, set, t->raw);
		if (r == MAILIMAP_NO_ERROR) {
			struct mailimap_flag_list *fl = mailimap_flag_list_new_empty();
			mailimap_flag_list_add(fl, mailimap_flag_new_deleted());
			struct mailimap_store_att_flags *sf = mailimap_store_att_flags_new_add_flags_silent(fl);
			r = mailimap_uid_store(imap, set, sf);
			mailimap_store_att_flags_free(sf);
		}
		if (r == MAILIMAP_NO_ERROR)
			r = mailimap_uid_expunge(imap, set);
	} else {
		rc = gerr_set(fr->err, "%s: %s: the server has neither MOVE nor UIDPLUS, and a plain EXPUNGE would also remove mail others marked deleted; messages are left in place",
			      fr->s->label, what);
	}
	if (r != MAILIMAP_NO_ERROR)
		rc = imap_fail(fr->s, r, fr->err, what);
	mailimap_set_free(set);
	free(what);
	return rc;
}

/* Move messages (in chunks); what cannot be moved is remembered for the next run. */
static void move_messages(struct folder_run *fr, struct imap_target *t, const uint32_t *uids,
			  size_t n)
{
	if (!n)
		return;
	bool ok = ensure_target(fr, t) == 0;
	for (size_t i = 0; i < n; i += UID_CHUNK) {
		size_t k = n - i < UID_CHUNK ? n - i : UID_CHUNK;
		if (ok && !fr->s->broken && move_set(fr, t, uids + i, k) == 0)
			continue;
		for (size_t j = 0; j < k; j++)
			uid_list_add(&fr->fs.pending, uids[i + j]);
		fr->failed = true;
	}
}

static void retry_pending(struct folder_run *fr, struct imap_target *t)
{
	if (!t->raw || !fr->fs.pending.len)
		return;
	uint32_t *uids = fr->fs.pending.uids;
	size_t n = fr->fs.pending.len;
	fr->fs.pending = (struct uid_list){0};
	log_info("%s: %s: moving %zu message(s) left from an earlier run", fr->run->src->name,
		 fr->folder, n);
	move_messages(fr, t, uids, n);
	free(uids);
}

/* ---- the folder ------------------------------------------------------------------------- */

/* The failure of a flush seen since the last chunk was settled, reported once; true if
 * there was one. */
static bool take_sync_failure(struct folder_run *fr)
{
	if (!fr->sync_err.msg[0])
		return false;
	log_error("%s: %s: %s", fr->run->src->name, fr->folder, fr->sync_err.msg);
	*fr->err = fr->sync_err;
	fr->sync_err.msg[0] = 0;
	return true;
}

/* Messages whose documents are durable now, or were in flight when a flush failed: then
 * every one of them with a document counts as failed, neither moved nor passed (the next
 * run finds what is filed already). Documents that failed flushes removed never count as
 * filed. */
static void settle_sync(struct folder_run *fr, struct imap_msg *msgs, size_t n, bool failed)
{
	struct spool *sp = fr->run->spool;
	fr->run->stats.filed -= sp->lost - fr->lost_seen;
	fr->lost_seen = sp->lost;
	for (size_t i = 0; failed && i < n; i++) {
		if (msgs[i].filed && !msgs[i].failed) {
			msgs[i].failed++;
			fr->run->stats.failed++;
		}
	}
}

/* A message over a limit stays where it is; the run says which and why. */
static void hold(struct folder_run *fr, const struct imap_msg *m)
{
	char *what = xasprintf("%s UID %u (from %s, \"%s\")", fr->folder, m->uid,
			       m->addr ? m->addr : "?", m->subject ? m->subject : "");
	source_run_hold(fr->run, what, m->held);
	free(what);
}

/* After messages are settled: what to move, and how far the folder is done (a message
 * that failed stops there: it is looked at again next run). A held message is remembered
 * instead: looked at again next run without holding up the folder. */
static uint32_t finish_msgs(struct folder_run *fr, struct imap_target *t,
			    const struct imap_msg *msgs, size_t nmsgs, uint32_t done_to)
{
	uint32_t *take = xcalloc(nmsgs + 1, sizeof *take);
	size_t n = 0;
	uint32_t stop = 0;
	for (size_t i = 0; i < nmsgs; i++) {
		const struct imap_msg *m = &msgs[i];
		if (m->failed && (!stop || m->uid < stop)) {
			stop = m->uid;
		} else if (m->held && !m->failed) {
			hold(fr, m);
			uid_list_add(&fr->fs.held, m->uid);
		} else if (!m->failed && m->filed && t->raw) {
			take[n++] = m->uid;
		}
	}
	move_messages(fr, t, take, n);
	free(take);
	if (stop)
		fr->failed = true;
	return stop ? stop - 1 : done_to;
}

/* The messages held in earlier runs, one by one: still over the limit (held again), gone
 * (a person moved them: forgotten), or takeable after all (filed and moved). One that
 * failed this time, or was not reached, stays on the list. */
static void recheck_held(struct folder_run *fr, struct imap_target *t)
{
	struct uid_list was = fr->fs.held;
	size_t i = 0;
	fr->fs.held = (struct uid_list){0};
	for (; i < was.len && !fr->s->broken; i++) {
		uint32_t uid = was.uids[i];
		if (fetch_structures(fr, uid, uid) != 0) {
			fr->failed = true;
			break;
		}
		fetch_parts(fr);
		struct gerr e;
		note_sync(fr, spool_flush(fr->run->spool, &e), &e);
		settle_sync(fr, fr->msgs, fr->nmsgs, take_sync_failure(fr));
		if (finish_msgs(fr, t, fr->msgs, fr->nmsgs, uid) != uid)
			uid_list_add(&fr->fs.held, uid);
		msgs_free(fr);
	}
	for (; i < was.len; i++)
		uid_list_add(&fr->fs.held, was.uids[i]);
	free(was.uids);
}

static int select_folder(struct folder_run *fr, struct imap_state *st)
{
	int r = mailimap_select(fr->s->imap, fr->raw);
	if (r != MAILIMAP_NO_ERROR) {
		char *what = xasprintf("folder '%s' cannot be opened (does it exist? see goniec folders)",
				       fr->folder);
		imap_fail(fr->s, r, fr->err, what);
		free(what);
		return -1;
	}
	const struct mailimap_selection_info *sel = fr->s->imap->imap_selection_info;
	fr->uidvalidity = sel ? sel->sel_uidvalidity : 0;
	imap_state_get(st, fr->raw, &fr->fs);
	if (fr->fs.uidvalidity != fr->uidvalidity) {
		if (fr->fs.uidvalidity)
			log_notice("%s: %s: UIDVALIDITY changed (%u -> %u): reading the folder again; documents filed before are recognised by content",
				   fr->run->src->name, fr->folder, fr->fs.uidvalidity, fr->uidvalidity);
		folder_state_free(&fr->fs);
		fr->fs.uidvalidity = fr->uidvalidity;
	}
	return 0;
}

static int save_state(struct folder_run *fr, struct imap_state *st)
{
	struct gerr e;
	imap_state_set(st, fr->raw, &fr->fs);
	if (imap_state_save(st, &e) == 0)
		return 0;
	*fr->err = e;
	fr->failed = true;
	return -1;
}

static uint32_t chunk_last(uint32_t first, uint32_t uidnext)
{
	return uidnext ? (uidnext - first > UID_CHUNK ? first + UID_CHUNK - 1 : uidnext - 1) : 0;
}

/* A chunk whose documents are being made durable while the next one is fetched. */
struct landing {
	struct imap_msg *msgs;
	size_t nmsgs;
	uint32_t seen;              /* how far the chunk reaches */
	bool tainted;               /* a flush failed while its documents were in flight */
};

/* The landing chunk is durable now (every flush before the last one started has landed),
 * or tainted by a failed flush: its messages are settled and moved, and the folder's
 * state is saved past them, unless an earlier chunk stopped short. */
static void land_chunk(struct folder_run *fr, struct imap_state *st, struct imap_target *t,
		       struct landing *l, bool failed)
{
	if (!l->msgs && !l->seen) /* no chunk */
		return;
	settle_sync(fr, l->msgs, l->nmsgs, failed || l->tainted);
	uint32_t done_to = finish_msgs(fr, t, l->msgs, l->nmsgs, l->seen);
	if (!fr->stopped && done_to > fr->fs.last_uid)
		fr->fs.last_uid = done_to;
	fr->stopped = fr->stopped || done_to < l->seen;
	for (size_t i = 0; i < l->nmsgs; i++)
		msg_free(&l->msgs[i]);
	free(l->msgs);
	*l = (struct landing){0};
	if (save_state(fr, st) != 0)
		fr->stopped = true;
}

/* The folder in chunks of UID_CHUNK UIDs. A chunk's documents are made durable while the
 * next chunk is fetched and filed; its messages are moved, and the folder's state saved
 * past them, only once they are. A flush that fails while two chunks are in the air
 * fails both (their messages are looked at again next run). */
static void scan(struct folder_run *fr, struct imap_state *st, struct imap_target *t)
{
	const struct mailimap_selection_info *sel = fr->s->imap->imap_selection_info;
	uint32_t uidnext = sel ? sel->sel_uidnext : 0;
	struct spool *sp = fr->run->spool;
	struct landing landing = {0};
	struct gerr e;
	uint32_t first = fr->fs.last_uid + 1;
	while (!fr->s->broken && !fr->stopped && (!uidnext || first < uidnext) &&
	       !source_run_stopping()) {
		uint32_t last = chunk_last(first, uidnext);
		if (fetch_structures(fr, first, last) != 0) {
			fr->failed = true;
			break;
		}
		uint32_t seen = last;
		for (size_t i = 0; !last && i < fr->nmsgs; i++)
			seen = fr->msgs[i].uid > seen ? fr->msgs[i].uid : seen;
		fetch_parts(fr);
		note_sync(fr, spool_flush_start_all(sp, &e), &e);
		bool failed = take_sync_failure(fr);
		land_chunk(fr, st, t, &landing, failed);
		landing = (struct landing){fr->msgs, fr->nmsgs, seen ? seen : fr->fs.last_uid, failed};
		fr->msgs = NULL;
		fr->nmsgs = 0;
		if (!last)
			break;
		first = last + 1;
	}
	note_sync(fr, spool_flush(sp, &e), &e);
	land_chunk(fr, st, t, &landing, take_sync_failure(fr));
	if (source_run_stopping() && !fr->s->broken && !fr->stopped && uidnext &&
	    fr->fs.last_uid + 1 < uidnext) { /* what is filed is durable */
		fr->failed = true;
		gerr_set(fr->err, "stopped before the end of the folder; the rest is read next time");
	}
}

int imap_fetch_folder(struct source_run *run, struct imap_session *s, struct imap_state *st,
		      const char *folder, const char *raw, struct imap_target *target,
		      struct gerr *err)
{
	struct folder_run fr = {.run = run, .s = s, .folder = folder, .raw = raw, .err = err,
				.lost_seen = run->spool->lost};
	if (select_folder(&fr, st) != 0)
		return -1;
	retry_pending(&fr, target);
	recheck_held(&fr, target);
	scan(&fr, st, target);
	save_state(&fr, st);
	folder_state_free(&fr.fs);
	msgs_free(&fr);
	return fr.failed ? -1 : 0;
}
