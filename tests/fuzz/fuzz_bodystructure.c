/* libFuzzer target: the walk over an IMAP BODYSTRUCTURE (mime_walk_bodystructure in
 * formats/mime.h), the tree a server describes a message with. The input's bytes build the
 * tree that libetpan's parser would hand over: multiparts, message/rfc822 parts nested to
 * any depth, leaves of any type with Content-Type and Content-Disposition parameters
 * (names, RFC 2047/2231 values, NULLs where the grammar allows NIL), any encoding and size.
 * Checks the header's promises: the walk ends with 0 or 1 (a limit, err set), and every
 * part it lists has a section of digits and dots that fits, a depth within
 * MIME_MAX_DEPTH, a candidate type that is accepted, and a file name that is UTF-8. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libetpan/libetpan.h>

#include "core/utf8.h"
#include "formats/mime.h"

#define MAX_NODES 4000

struct input {
	const uint8_t *p, *end;
	void **owned; /* everything allocated, freed at the end (not libetpan's free functions) */
	size_t nowned, cap, nodes;
	void **lists; /* clists, freed with clist_free */
	size_t nlists, lists_cap;
};

static void keep(void ***v, size_t *n, size_t *cap, void *p)
{
	if (*n == *cap) {
		*cap = *cap ? 2 * *cap : 64;
		*v = realloc(*v, *cap * sizeof **v);
		if (!*v)
			abort();
	}
	(*v)[(*n)++] = p;
}

static uint8_t byte(struct input *in)
{
	return in->p < in->end ? *in->p++ : 0;
}

static void *own(struct input *in, void *p)
{
	if (!p)
		abort();
	keep(&in->owned, &in->nowned, &in->cap, p);
	return p;
}

static void *node(struct input *in, size_t size)
{
	return own(in, calloc(1, size));
}

/* A string of the input (length byte first; 255: NIL). */
static char *string(struct input *in)
{
	uint8_t n = byte(in);
	if (n == 255)
		return NULL;
	size_t left = (size_t)(in->end - in->p);
	if (n > left)
		n = (uint8_t)left;
	char *s = own(in, malloc((size_t)n + 1));
	memcpy(s, in->p, n);
	s[n] = '\0';
	in->p += n;
	return s;
}

static clist *list(struct input *in)
{
	clist *l = clist_new();
	keep(&in->lists, &in->nlists, &in->lists_cap, l);
	return l;
}

static struct mailimap_body_fld_param *params(struct input *in)
{
	uint8_t n = byte(in) % 5;
	if (n == 4)
		return NULL;
	struct mailimap_body_fld_param *p = node(in, sizeof *p);
	p->pa_list = list(in);
	for (uint8_t i = 0; i < n; i++) {
		struct mailimap_single_body_fld_param *sp = node(in, sizeof *sp);
		sp->pa_name = string(in);
		sp->pa_value = string(in);
		if (!sp->pa_name || !sp->pa_value)
			continue; /* the grammar has no NIL here */
		clist_append(p->pa_list, sp);
	}
	return p;
}

static struct mailimap_body_fields *fields(struct input *in)
{
	struct mailimap_body_fields *f = node(in, sizeof *f);
	f->bd_parameter = params(in);
	struct mailimap_body_fld_enc *e = node(in, sizeof *e);
	e->enc_type = byte(in) % 6;
	e->enc_value = e->enc_type == MAILIMAP_BODY_FLD_ENC_OTHER ? string(in) : NULL;
	f->bd_encoding = e;
	uint32_t size = 0;
	for (int i = 0; i < 4; i++)
		size = size << 8 | byte(in);
	f->bd_size = size;
	return f;
}

static struct mailimap_body_ext_1part *extension(struct input *in)
{
	if (byte(in) % 3 == 0)
		return NULL;
	struct mailimap_body_ext_1part *x = node(in, sizeof *x);
	if (byte(in) % 4) {
		struct mailimap_body_fld_dsp *d = node(in, sizeof *d);
		static const char *const kinds[] = {"attachment", "inline", "INLINE", "Attachment"};
		uint8_t k = byte(in);
		d->dsp_type = k % 5 < 4 ? (char *)kinds[k % 5] : string(in);
		if (d->dsp_type)
			d->dsp_attributes = params(in);
		x->bd_disposition = d->dsp_type ? d : NULL;
	}
	return x;
}

static struct mailimap_body *body(struct input *in, int depth);

static struct mailimap_body_type_1part *leaf(struct input *in, int depth)
{
	struct mailimap_body_type_1part *p = node(in, sizeof *p);
	switch (byte(in) % 3) {
	case 0: {
		p->bd_type = MAILIMAP_BODY_TYPE_1PART_BASIC;
		struct mailimap_body_type_basic *b = node(in, sizeof *b);
		struct mailimap_media_basic *m = node(in, sizeof *m);
		m->med_type = byte(in) % 6;
		m->med_basic_type = m->med_type == MAILIMAP_MEDIA_BASIC_OTHER ? string(in) : NULL;
		m->med_subtype = string(in);
		if (!m->med_subtype)
			m->med_subtype = "pdf";
		b->bd_media_basic = m;
		b->bd_fields = fields(in);
		p->bd_data.bd_type_basic = b;
		break;
	}
	case 1: {
		p->bd_type = MAILIMAP_BODY_TYPE_1PART_TEXT;
		struct mailimap_body_type_text *t = node(in, sizeof *t);
		t->bd_media_text = string(in);
		if (!t->bd_media_text)
			t->bd_media_text = "plain";
		t->bd_fields = fields(in);
		p->bd_data.bd_type_text = t;
		break;
	}
	default: {
		p->bd_type = MAILIMAP_BODY_TYPE_1PART_MSG;
		struct mailimap_body_type_msg *m = node(in, sizeof *m);
		m->bd_fields = fields(in);
		m->bd_body = body(in, depth + 1);
		p->bd_data.bd_type_msg = m;
		break;
	}
	}
	p->bd_ext_1part = extension(in);
	return p;
}

/* A body; its nesting stops when the input or the node budget runs out. */
static struct mailimap_body *body(struct input *in, int depth)
{
	if (in->nodes++ >= MAX_NODES || in->p >= in->end || depth > 500)
		return NULL;
	struct mailimap_body *b = node(in, sizeof *b);
	if (byte(in) % 3 == 0) {
		b->bd_type = MAILIMAP_BODY_MPART;
		struct mailimap_body_type_mpart *m = node(in, sizeof *m);
		m->bd_list = list(in);
		m->bd_media_subtype = "mixed";
		for (uint8_t n = byte(in) % 6; n > 0; n--) {
			struct mailimap_body *child = body(in, depth + 1);
			if (child)
				clist_append(m->bd_list, child);
		}
		b->bd_data.bd_body_mpart = m;
	} else {
		b->bd_type = MAILIMAP_BODY_1PART;
		b->bd_data.bd_body_1part = leaf(in, depth);
	}
	return b;
}

static void check_part(const struct mime_part *p, const struct strlist *accept)
{
	size_t n = strnlen(p->section, MIME_SECTION_MAX);
	if (n == 0 || n >= MIME_SECTION_MAX || p->section[0] == '.' || p->section[n - 1] == '.')
		abort();
	if (strspn(p->section, "0123456789.") != n || strstr(p->section, ".."))
		abort();
	if (p->depth < 0 || p->depth > MIME_MAX_DEPTH || !p->candidate ||
	    !strlist_contains(accept, p->candidate))
		abort();
	if (p->filename && !utf8_valid(p->filename, strlen(p->filename)))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = {.p = data, .end = data + size};
	struct strlist accept = {0};
	strlist_add(&accept, "pdf");
	strlist_add(&accept, "xml");
	strlist_add(&accept, "zip");
	struct mailimap_body *b = body(&in, 0);
	struct mime_parts parts = {0};
	struct gerr err;
	int rc = mime_walk_bodystructure(b, &accept, &parts, &err);
	if (rc != 0 && (rc != 1 || !err.msg[0]))
		abort();
	for (size_t i = 0; i < parts.len; i++)
		check_part(&parts.items[i], &accept);
	mime_parts_free(&parts);
	strlist_free(&accept);
	for (size_t i = 0; i < in.nowned; i++)
		free(in.owned[i]);
	for (size_t i = 0; i < in.nlists; i++)
		clist_free(in.lists[i]);
	free(in.owned);
	free(in.lists);
	return 0;
}
