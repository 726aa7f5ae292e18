/* mime — see mime.h. */
#include "formats/mime.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libetpan/libetpan.h>
#include <openssl/evp.h>

#include "formats/filename.h"

#define DECODE_CHUNK 65536
#define B64_CHUNK 16384                /* clean base64 characters per EVP call */
#define STRINGIFY_(x) #x
#define STRINGIFY(x) STRINGIFY_(x)

/* ---- the candidate rule -------------------------------------------------------------- */

static const struct {
	const char *ext;
	const char *type;
} ext_types[] = {
	{".pdf", "pdf"}, {".xml", "xml"}, {".sta", "mt940"}, {".mt940", "mt940"},
	{".940", "mt940"}, {".csv", "csv"}, {".zip", "zip"},
};

static const struct {
	const char *media;
	const char *type;
} media_types[] = {
	{"application/pdf", "pdf"}, {"application/x-pdf", "pdf"}, {"application/acrobat", "pdf"},
	{"application/xml", "xml"}, {"text/xml", "xml"}, {"text/csv", "csv"},
	{"application/zip", "zip"}, {"application/x-zip-compressed", "zip"},
};

static bool accepts(const struct strlist *accept, const char *type)
{
	return accept ? strlist_contains(accept, type) : !strcmp(type, "pdf");
}

/* "xml" stands for any XML; a source that accepts only "camt" wants XML too. */
static const char *accepted(const struct strlist *accept, const char *type)
{
	if (accepts(accept, type))
		return type;
	if (!strcmp(type, "xml") && accepts(accept, "camt"))
		return "camt";
	return NULL;
}

const char *mime_candidate(const char *media_type, const char *filename,
			   const struct strlist *accept)
{
	const char *dot = filename ? strrchr(filename, '.') : NULL;
	if (dot) {
		for (size_t i = 0; i < ARRAY_LEN(ext_types); i++)
			if (!strcasecmp(dot, ext_types[i].ext))
				return accepted(accept, ext_types[i].type);
	}
	for (size_t i = 0; media_type && i < ARRAY_LEN(media_types); i++)
		if (!strcasecmp(media_type, media_types[i].media))
			return accepted(accept, media_types[i].type);
	return NULL;
}

void mime_parts_free(struct mime_parts *p)
{
	for (size_t i = 0; i < p->len; i++)
		free(p->items[i].filename);
	free(p->items);
	memset(p, 0, sizeof *p);
}

/* What both walks know of a single part, in their own structures' terms. */
struct part_desc {
	const char *type, *subtype;
	struct mime_param *disp, *ctype;
	size_t ndisp, nctype;
	bool is_inline;
	enum mime_encoding encoding;
	uint64_t size;
};

static void lower_copy(char *dst, size_t cap, const char *type, const char *subtype)
{
	snprintf(dst, cap, "%s/%s", type ? type : "application", subtype ? subtype : "octet-stream");
	for (char *p = dst; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
}

/* Fill *part from d; false when it is no candidate. */
static bool describe(const struct part_desc *d, const char *section, int depth,
		     const struct strlist *accept, struct mime_part *part)
{
	memset(part, 0, sizeof *part);
	lower_copy(part->media_type, sizeof part->media_type, d->type, d->subtype);
	part->filename = mime_part_filename(d->disp, d->ndisp, d->ctype, d->nctype);
	part->candidate = mime_candidate(part->media_type, part->filename, accept);
	if (!part->candidate) {
		free(part->filename);
		part->filename = NULL;
		return false;
	}
	snprintf(part->section, sizeof part->section, "%s", section);
	part->encoding = d->encoding;
	part->size = d->size;
	part->is_inline = d->is_inline;
	part->depth = depth;
	return true;
}

/* ---- what both walks share: limits, section numbers --------------------------------- */

enum limit_kind { LIMIT_DEPTH, LIMIT_NESTING, LIMIT_SECTION };

struct walk_common {
	const struct strlist *accept;
	unsigned level;   /* containers entered and not left */
	bool limited;     /* a limit hid some parts: `why` says the first */
	struct gerr why;
};

static void limit_hit(struct walk_common *c, enum limit_kind kind, const char *section)
{
	static const char *const what[] = {
		[LIMIT_DEPTH] = "forwarded messages are nested more than " STRINGIFY(MIME_MAX_DEPTH) " deep",
		[LIMIT_NESTING] = "MIME parts are nested more than " STRINGIFY(MIME_MAX_NESTING) " deep",
		[LIMIT_SECTION] = "MIME section numbers grow longer than " STRINGIFY(MIME_SECTION_MAX) " characters",
	};
	if (c->limited)
		return;
	c->limited = true;
	gerr_set(&c->why, "%s (at section %s); what is inside is not looked at", what[kind],
		 *section ? section : "1");
}

/* Enter a container (false, and the limit noted, when it is nested too deep). */
static bool enter(struct walk_common *c, const char *section)
{
	if (c->level >= MIME_MAX_NESTING) {
		limit_hit(c, LIMIT_NESTING, section);
		return false;
	}
	c->level++;
	return true;
}

static void leave(struct walk_common *c)
{
	c->level--;
}

static int walk_result(const struct walk_common *c, struct gerr *err)
{
	if (!c->limited)
		return 0;
	*err = c->why;
	return 1;
}

/* section = parent "." index, or index at the top; false (the limit noted) when it would
 * not fit. */
static bool child_section(struct walk_common *c, char *out, const char *parent, unsigned idx)
{
	int n = *parent ? snprintf(out, MIME_SECTION_MAX, "%s.%u", parent, idx)
			: snprintf(out, MIME_SECTION_MAX, "%u", idx);
	if (n > 0 && n < MIME_SECTION_MAX)
		return true;
	limit_hit(c, LIMIT_SECTION, parent);
	return false;
}

/* ---- BODYSTRUCTURE ------------------------------------------------------------------- */

struct bs_walk {
	struct walk_common c;
	struct mime_parts *out;
};

static struct mime_param *bs_params(const struct mailimap_body_fld_param *p, size_t *n)
{
	*n = 0;
	if (!p || !p->pa_list)
		return NULL;
	struct mime_param *v = xcalloc((size_t)clist_count(p->pa_list) + 1, sizeof *v);
	for (clistiter *it = clist_begin(p->pa_list); it; it = clist_next(it)) {
		struct mailimap_single_body_fld_param *sp = clist_content(it);
		v[*n].name = sp->pa_name;
		v[*n].value = sp->pa_value;
		(*n)++;
	}
	return v;
}

static enum mime_encoding bs_encoding(const struct mailimap_body_fld_enc *e)
{
	switch (e ? e->enc_type : MAILIMAP_BODY_FLD_ENC_7BIT) {
	case MAILIMAP_BODY_FLD_ENC_8BIT: return MIME_ENC_8BIT;
	case MAILIMAP_BODY_FLD_ENC_BINARY: return MIME_ENC_BINARY;
	case MAILIMAP_BODY_FLD_ENC_BASE64: return MIME_ENC_BASE64;
	case MAILIMAP_BODY_FLD_ENC_QUOTED_PRINTABLE: return MIME_ENC_QP;
	default: return MIME_ENC_7BIT;
	}
}

static const char *bs_basic_type(const struct mailimap_media_basic *m)
{
	switch (m->med_type) {
	case MAILIMAP_MEDIA_BASIC_APPLICATION: return "application";
	case MAILIMAP_MEDIA_BASIC_AUDIO: return "audio";
	case MAILIMAP_MEDIA_BASIC_IMAGE: return "image";
	case MAILIMAP_MEDIA_BASIC_MESSAGE: return "message";
	case MAILIMAP_MEDIA_BASIC_VIDEO: return "video";
	default: return m->med_basic_type ? m->med_basic_type : "application";
	}
}

static void bs_walk_body(struct bs_walk *w, const struct mailimap_body *b, const char *section,
			 int depth, bool message_root);

static void bs_leaf(struct bs_walk *w, const struct mailimap_body_type_1part *p,
		    const char *section, int depth)
{
	const struct mailimap_body_fields *f = NULL;
	struct part_desc d = {0};
	switch (p->bd_type) {
	case MAILIMAP_BODY_TYPE_1PART_BASIC:
		if (!p->bd_data.bd_type_basic)
			return;
		d.type = bs_basic_type(p->bd_data.bd_type_basic->bd_media_basic);
		d.subtype = p->bd_data.bd_type_basic->bd_media_basic->med_subtype;
		f = p->bd_data.bd_type_basic->bd_fields;
		break;
	case MAILIMAP_BODY_TYPE_1PART_TEXT:
		if (!p->bd_data.bd_type_text)
			return;
		d.type = "text";
		d.subtype = p->bd_data.bd_type_text->bd_media_text;
		f = p->bd_data.bd_type_text->bd_fields;
		break;
	case MAILIMAP_BODY_TYPE_1PART_MSG:
		if (!p->bd_data.bd_type_msg || !p->bd_data.bd_type_msg->bd_body)
			return;
		if (depth >= MIME_MAX_DEPTH)
			limit_hit(&w->c, LIMIT_DEPTH, section);
		else if (enter(&w->c, section)) {
			bs_walk_body(w, p->bd_data.bd_type_msg->bd_body, section, depth + 1, true);
			leave(&w->c);
		}
		return;
	default:
		return;
	}
	if (!f)
		return;
	const struct mailimap_body_fld_dsp *dsp =
		p->bd_ext_1part ? p->bd_ext_1part->bd_disposition : NULL;
	d.ctype = bs_params(f->bd_parameter, &d.nctype);
	d.disp = bs_params(dsp ? dsp->dsp_attributes : NULL, &d.ndisp);
	d.is_inline = dsp && dsp->dsp_type && !strcasecmp(dsp->dsp_type, "inline");
	d.encoding = bs_encoding(f->bd_encoding);
	d.size = f->bd_size;
	struct mime_part part;
	if (describe(&d, section, depth, w->c.accept, &part)) {
		if (w->out->len == w->out->cap) {
			w->out->cap = w->out->cap ? 2 * w->out->cap : 4;
			w->out->items = xrealloc(w->out->items, w->out->cap * sizeof part);
		}
		w->out->items[w->out->len++] = part;
	}
	free(d.ctype);
	free(d.disp);
}

/* message_root: b is the body of a message (the top, or a forwarded one at `section`),
 * whose single part is "<section>.1" (or "1"); else b is a child part at `section`. */
static void bs_walk_body(struct bs_walk *w, const struct mailimap_body *b, const char *section,
			 int depth, bool message_root)
{
	char sub[MIME_SECTION_MAX];
	if (b->bd_type == MAILIMAP_BODY_MPART) {
		if (!b->bd_data.bd_body_mpart || !b->bd_data.bd_body_mpart->bd_list ||
		    !enter(&w->c, section))
			return;
		unsigned i = 1;
		for (clistiter *it = clist_begin(b->bd_data.bd_body_mpart->bd_list); it;
		     it = clist_next(it), i++)
			if (child_section(&w->c, sub, section, i))
				bs_walk_body(w, clist_content(it), sub, depth, false);
		leave(&w->c);
		return;
	}
	if (!b->bd_data.bd_body_1part)
		return;
	if (message_root) {
		if (!child_section(&w->c, sub, section, 1))
			return;
		section = sub;
	}
	bs_leaf(w, b->bd_data.bd_body_1part, section, depth);
}

int mime_walk_bodystructure(const struct mailimap_body *body, const struct strlist *accept,
			    struct mime_parts *out, struct gerr *err)
{
	struct bs_walk w = {.c = {.accept = accept}, .out = out};
	if (body)
		bs_walk_body(&w, body, "", 0, true);
	return walk_result(&w.c, err);
}

/* ---- decoding ------------------------------------------------------------------------ */

void mime_decoder_init(struct mime_decoder *d, enum mime_encoding enc, mime_sink_fn sink,
		       void *ctx)
{
	memset(d, 0, sizeof *d);
	d->encoding = enc;
	d->sink = sink;
	d->ctx = ctx;
}

static int emit(struct mime_decoder *d, const char *data, size_t len, struct gerr *err)
{
	if (len == 0)
		return 0;
	d->decoded += len;
	return d->sink(d->ctx, data, len, err);
}

/* Decode pending[0..len); final decodes everything, else up to the last complete unit. */
static int decode_pending(struct mime_decoder *d, bool final, struct gerr *err)
{
	size_t idx = 0, outlen = 0;
	char *out = NULL;
	int r = final ? mailmime_part_parse(d->pending.data, d->pending.len, &idx, (int)d->encoding,
					    &out, &outlen)
		      : mailmime_part_parse_partial(d->pending.data, d->pending.len, &idx,
						    (int)d->encoding, &out, &outlen);
	if (r != MAILIMF_NO_ERROR) {
		if (out)
			mailmime_decoded_part_free(out);
		return gerr_set(err, "cannot decode the attachment's transfer encoding");
	}
	int rc = emit(d, out, outlen, err);
	mailmime_decoded_part_free(out);
	if (final || idx > d->pending.len)
		idx = d->pending.len;
	memmove(d->pending.data, d->pending.data + idx, d->pending.len - idx);
	d->pending.len -= idx;
	return rc;
}

/* The base64 alphabet (ranges are a GNU C extension, allowed by gnu11). */
static const bool b64_alphabet[256] = {
	['A' ... 'Z'] = true, ['a' ... 'z'] = true, ['0' ... '9'] = true, ['+'] = true, ['/'] = true,
};

/* Decode n (a multiple of 4) clean base64 characters. */
static int b64_emit(struct mime_decoder *d, const char *clean, size_t n, struct gerr *err)
{
	unsigned char out[B64_CHUNK / 4 * 3];
	int got = n ? EVP_DecodeBlock(out, (const unsigned char *)clean, (int)n) : 0;
	if (got < 0)
		return gerr_set(err, "cannot decode the attachment's base64");
	return emit(d, (const char *)out, (size_t)got, err);
}

/* Keep alphabet characters (up to the first '='), decode whole quanta, hold the rest. */
static int b64_feed(struct mime_decoder *d, const char *data, size_t len, struct gerr *err)
{
	char clean[B64_CHUNK] = {0}; /* (only n bytes are ever read; this quiets -Wmaybe-uninitialized) */
	size_t n = d->pending.len;
	if (n)
		memcpy(clean, d->pending.data, n);
	d->pending.len = 0;
	const unsigned char *p = (const unsigned char *)data, *end = p + len;
	while (p < end && !d->b64_end) {
		size_t room = sizeof clean - n;
		const unsigned char *stop = (size_t)(end - p) < room ? end : p + room;
		for (; p < stop; p++) {
			if (b64_alphabet[*p]) {
				clean[n++] = (char)*p;
			} else if (*p == '=') {
				d->b64_end = true;
				break;
			}
		}
		if (n == sizeof clean) {
			if (b64_emit(d, clean, n, err) != 0)
				return -1;
			n = 0;
		}
	}
	size_t whole = n & ~(size_t)3;
	buf_append(&d->pending, clean + whole, n - whole);
	return b64_emit(d, clean, whole, err);
}

/* The last 2 or 3 characters of base64 without padding carry 1 or 2 bytes. */
static int b64_finish(struct mime_decoder *d, struct gerr *err)
{
	size_t n = d->pending.len;
	if (n < 2)
		return 0;
	char quad[4] = {'=', '=', '=', '='};
	unsigned char out[3];
	memcpy(quad, d->pending.data, n);
	if (EVP_DecodeBlock(out, (const unsigned char *)quad, 4) < 0)
		return gerr_set(err, "cannot decode the attachment's base64");
	return emit(d, (const char *)out, n - 1, err);
}

int mime_decoder_feed(struct mime_decoder *d, const char *data, size_t len, struct gerr *err)
{
	if (d->encoding == MIME_ENC_BASE64)
		return b64_feed(d, data, len, err);
	if (d->encoding != MIME_ENC_QP)
		return emit(d, data, len, err);
	buf_append(&d->pending, data, len);
	if (decode_pending(d, false, err) < 0)
		return -1;
	/* No progress over a whole chunk means garbage the partial decoder will not pass:
	 * decode it as final so that memory stays bounded. */
	if (d->pending.len > DECODE_CHUNK)
		return decode_pending(d, true, err);
	return 0;
}

int mime_decoder_finish(struct mime_decoder *d, struct gerr *err)
{
	int rc = 0;
	if (d->encoding == MIME_ENC_BASE64)
		rc = b64_finish(d, err);
	else if (d->encoding == MIME_ENC_QP && d->pending.len > 0)
		rc = decode_pending(d, true, err);
	mime_decoder_free(d);
	return rc;
}

void mime_decoder_free(struct mime_decoder *d)
{
	buf_free(&d->pending);
}

/* ---- raw MIME text ------------------------------------------------------------------- */

struct mime_body {
	const char *data;
	size_t len;
	enum mime_encoding encoding;
};

int mime_body_decode(const struct mime_body *body, mime_sink_fn sink, void *ctx,
		     struct gerr *err)
{
	struct mime_decoder d;
	mime_decoder_init(&d, body->encoding, sink, ctx);
	for (size_t off = 0; off < body->len; off += DECODE_CHUNK) {
		size_t n = body->len - off < DECODE_CHUNK ? body->len - off : DECODE_CHUNK;
		if (mime_decoder_feed(&d, body->data + off, n, err) < 0) {
			mime_decoder_free(&d);
			return -1;
		}
	}
	return mime_decoder_finish(&d, err);
}

struct raw_walk {
	struct walk_common c;
	mime_part_fn fn;
	void *ctx;
	struct gerr *err;
};

static const char *raw_discrete_type(const struct mailmime_discrete_type *t)
{
	switch (t->dt_type) {
	case MAILMIME_DISCRETE_TYPE_TEXT: return "text";
	case MAILMIME_DISCRETE_TYPE_IMAGE: return "image";
	case MAILMIME_DISCRETE_TYPE_AUDIO: return "audio";
	case MAILMIME_DISCRETE_TYPE_VIDEO: return "video";
	case MAILMIME_DISCRETE_TYPE_APPLICATION: return "application";
	default: return t->dt_extension ? t->dt_extension : "application";
	}
}

static struct mime_param *raw_params(clist *list, size_t *n)
{
	*n = 0;
	if (!list)
		return NULL;
	struct mime_param *v = xcalloc((size_t)clist_count(list) + 1, sizeof *v);
	for (clistiter *it = clist_begin(list); it; it = clist_next(it)) {
		struct mailmime_parameter *p = clist_content(it);
		v[*n].name = p->pa_name;
		v[*n].value = p->pa_value;
		(*n)++;
	}
	return v;
}

/* Disposition parameters: libetpan lifts "filename" out of the generic list. */
static struct mime_param *raw_disp_params(const struct mailmime_disposition *dsp, size_t *n)
{
	*n = 0;
	if (!dsp || !dsp->dsp_parms)
		return NULL;
	struct mime_param *v = xcalloc((size_t)clist_count(dsp->dsp_parms) + 1, sizeof *v);
	for (clistiter *it = clist_begin(dsp->dsp_parms); it; it = clist_next(it)) {
		struct mailmime_disposition_parm *p = clist_content(it);
		if (p->pa_type == MAILMIME_DISPOSITION_PARM_FILENAME) {
			v[*n].name = "filename";
			v[*n].value = p->pa_data.pa_filename;
		} else if (p->pa_type == MAILMIME_DISPOSITION_PARM_PARAMETER) {
			v[*n].name = p->pa_data.pa_parameter->pa_name;
			v[*n].value = p->pa_data.pa_parameter->pa_value;
		} else {
			continue;
		}
		(*n)++;
	}
	return v;
}

static int raw_leaf(struct raw_walk *w, const struct mailmime *m, const char *section, int depth)
{
	const struct mailmime_data *data = m->mm_data.mm_single;
	const struct mailmime_content *ct = m->mm_content_type;
	struct mailmime_single_fields sf;
	struct part_desc d = {0};
	if (!data || data->dt_type != MAILMIME_DATA_TEXT)
		return 0;
	mailmime_single_fields_init(&sf, m->mm_mime_fields, m->mm_content_type);
	if (ct && ct->ct_type && ct->ct_type->tp_type == MAILMIME_TYPE_DISCRETE_TYPE &&
	    ct->ct_type->tp_data.tp_discrete_type)
		d.type = raw_discrete_type(ct->ct_type->tp_data.tp_discrete_type);
	else if (ct)
		return 0; /* composite without children: nothing to take */
	d.subtype = ct ? ct->ct_subtype : NULL;
	if (!ct) {
		d.type = "text";
		d.subtype = "plain";
	}
	d.ctype = raw_params(ct ? ct->ct_parameters : NULL, &d.nctype);
	d.disp = raw_disp_params(sf.fld_disposition, &d.ndisp);
	d.is_inline = sf.fld_disposition && sf.fld_disposition->dsp_type &&
		      sf.fld_disposition->dsp_type->dsp_type == MAILMIME_DISPOSITION_TYPE_INLINE;
	d.encoding = MIME_ENC_BINARY;
	if (data->dt_encoded && data->dt_encoding >= MIME_ENC_7BIT &&
	    data->dt_encoding <= MIME_ENC_BASE64)
		d.encoding = (enum mime_encoding)data->dt_encoding;
	d.size = data->dt_data.dt_text.dt_length;
	struct mime_part part;
	int rc = 0;
	if (describe(&d, section, depth, w->c.accept, &part)) {
		struct mime_body body = {data->dt_data.dt_text.dt_data, data->dt_data.dt_text.dt_length,
					 part.encoding};
		rc = w->fn(w->ctx, &part, &body, w->err);
		free(part.filename);
	}
	free(d.ctype);
	free(d.disp);
	return rc;
}

static int raw_walk_node(struct raw_walk *w, const struct mailmime *m, const char *section,
			 int depth, bool message_root)
{
	char sub[MIME_SECTION_MAX];
	int rc = 0;
	switch (m->mm_type) {
	case MAILMIME_MULTIPLE: {
		unsigned i = 1;
		if (!m->mm_data.mm_multipart.mm_mp_list || !enter(&w->c, section))
			return 0;
		for (clistiter *it = clist_begin(m->mm_data.mm_multipart.mm_mp_list); it && rc == 0;
		     it = clist_next(it), i++)
			if (child_section(&w->c, sub, section, i))
				rc = raw_walk_node(w, clist_content(it), sub, depth, false);
		leave(&w->c);
		return rc;
	}
	case MAILMIME_MESSAGE: {
		/* the top (depth 0, empty section) or a forwarded message at `section`; a message
		 * inside the top one counts a level even when it is the whole body */
		int inner = *section || message_root ? depth + 1 : depth;
		if (!m->mm_data.mm_message.mm_msg_mime)
			return 0;
		if (inner > MIME_MAX_DEPTH) {
			limit_hit(&w->c, LIMIT_DEPTH, section);
			return 0;
		}
		if (!enter(&w->c, section))
			return 0;
		rc = raw_walk_node(w, m->mm_data.mm_message.mm_msg_mime, section, inner, true);
		leave(&w->c);
		return rc;
	}
	case MAILMIME_SINGLE:
		if (message_root) {
			if (!child_section(&w->c, sub, section, 1))
				return 0;
			section = sub;
		}
		return raw_leaf(w, m, section, depth);
	default:
		return 0;
	}
}

int mime_walk_raw(const char *text, size_t len, const struct strlist *accept,
		  mime_part_fn fn, void *ctx, struct gerr *err)
{
	size_t idx = 0;
	struct mailmime *mime = NULL;
	if (mailmime_parse(text, len, &idx, &mime) != MAILIMF_NO_ERROR || !mime)
		return gerr_setk(err, GERR_PERMANENT, "not a MIME message");
	struct raw_walk w = {.c = {.accept = accept}, .fn = fn, .ctx = ctx, .err = err};
	int rc = raw_walk_node(&w, mime, "", 0, false);
	mailmime_free(mime);
	return rc < 0 ? rc : walk_result(&w.c, err);
}
