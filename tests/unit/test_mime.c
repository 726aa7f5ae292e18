/* Unit tests for formats/mime: the candidate rule, both walks, the streaming decoder. */
#include "testutil.h"

#include <libetpan/libetpan.h>

#include "formats/mime.h"

struct seen {
	char sections[8][MIME_SECTION_MAX];
	char names[8][256];
	struct buf bodies[8];
	size_t n;
};

static int sink(void *ctx, const void *data, size_t len, struct gerr *err)
{
	(void)err;
	buf_append(ctx, data, len);
	return 0;
}

static int on_part(void *ctx, const struct mime_part *part, const struct mime_body *body,
		   struct gerr *err)
{
	struct seen *s = ctx;
	assert_true(s->n < 8);
	snprintf(s->sections[s->n], MIME_SECTION_MAX, "%s", part->section);
	snprintf(s->names[s->n], 256, "%s", part->filename ? part->filename : "(none)");
	int rc = mime_body_decode(body, sink, &s->bodies[s->n], err);
	buf_puts(&s->bodies[s->n], "");
	s->n++;
	return rc;
}

static void seen_free(struct seen *s)
{
	for (size_t i = 0; i < 8; i++)
		buf_free(&s->bodies[i]);
}

static void test_candidate_rule(void **state)
{
	(void)state;
	struct strlist acc = {0};
	assert_string_equal(mime_candidate("application/pdf", NULL, NULL), "pdf");
	assert_string_equal(mime_candidate("application/octet-stream", "x.PDF", NULL), "pdf");
	assert_string_equal(mime_candidate("image/jpeg", "x.pdf", NULL), "pdf");
	assert_null(mime_candidate("application/octet-stream", NULL, NULL));
	assert_null(mime_candidate("image/jpeg", "x.jpg", NULL));
	assert_null(mime_candidate("text/xml", "fa.xml", NULL));
	strlist_add(&acc, "camt");
	strlist_add(&acc, "mt940");
	assert_string_equal(mime_candidate("text/xml", "fa.xml", &acc), "camt");
	assert_string_equal(mime_candidate("text/plain", "wyciag.STA", &acc), "mt940");
	assert_null(mime_candidate("application/pdf", "a.pdf", &acc));
	strlist_free(&acc);
}

static const char forwarded[] =
	"From: a@pge.pl\r\nSubject: Fwd\r\nMIME-Version: 1.0\r\n"
	"Content-Type: multipart/mixed; boundary=\"o\"\r\n\r\n"
	"--o\r\nContent-Type: text/plain\r\n\r\nhello\r\n"
	"--o\r\nContent-Type: application/octet-stream; name=\"a.pdf\"\r\n"
	"Content-Disposition: inline\r\nContent-Transfer-Encoding: base64\r\n\r\n"
	"JVBERi0xLjQKYWJjCiUlRU9GCg==\r\n"
	"--o\r\nContent-Type: message/rfc822\r\n\r\n"
	"From: b@x.pl\r\nSubject: inner\r\nMIME-Version: 1.0\r\n"
	"Content-Type: multipart/mixed; boundary=\"i\"\r\n\r\n"
	"--i\r\nContent-Type: text/plain\r\n\r\ninner text\r\n"
	"--i\r\nContent-Type: application/pdf\r\n"
	"Content-Disposition: attachment; filename*0*=utf-8''%C5%82%C3%B3;\r\n filename*1=dz.pdf\r\n"
	"Content-Transfer-Encoding: quoted-printable\r\n\r\n"
	"%PDF-1.4=0Ainner=3D=\r\nsoft\r\n"
	"--i--\r\n"
	"--o--\r\n";

static void test_raw_walk(void **state)
{
	(void)state;
	struct seen s = {0};
	struct gerr err;
	assert_int_equal(mime_walk_raw(forwarded, sizeof forwarded - 1, NULL, on_part, &s, &err), 0);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.sections[0], "2");
	assert_string_equal(s.names[0], "a.pdf");
	assert_string_equal(s.bodies[0].data, "%PDF-1.4\nabc\n%%EOF\n");
	assert_string_equal(s.sections[1], "3.2");
	assert_string_equal(s.names[1], "łódz.pdf");
	assert_string_equal(s.bodies[1].data, "%PDF-1.4\ninner=soft");
	seen_free(&s);
}

static void test_raw_single_part_and_garbage(void **state)
{
	(void)state;
	static const char single[] = "From: a@b\r\nContent-Type: application/pdf\r\n"
				     "Content-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\n";
	struct seen s = {0};
	struct gerr err;
	assert_int_equal(mime_walk_raw(single, sizeof single - 1, NULL, on_part, &s, &err), 0);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.sections[0], "1");
	assert_string_equal(s.bodies[0].data, "%PDF-");
	seen_free(&s);
	/* anything at all must not crash; a callback failure stops the walk */
	static const char junk[] = "\x00\xff--\r\n\r\n=?x?Q?";
	struct seen t = {0};
	(void)mime_walk_raw(junk, sizeof junk - 1, NULL, on_part, &t, &err);
	seen_free(&t);
}

static int failing(void *ctx, const struct mime_part *p, const struct mime_body *b, struct gerr *err)
{
	(void)ctx, (void)p, (void)b;
	return gerr_set(err, "stop");
}

static void test_raw_callback_failure(void **state)
{
	(void)state;
	struct gerr err;
	assert_int_equal(mime_walk_raw(forwarded, sizeof forwarded - 1, NULL, failing, NULL, &err), -1);
	assert_string_equal(err.msg, "stop");
}

/* Decoding in any chunking gives the same bytes. */
static void decode_b64(const char *in, struct buf *out)
{
	struct gerr err;
	struct mime_decoder d;
	mime_decoder_init(&d, MIME_ENC_BASE64, sink, out);
	assert_int_equal(mime_decoder_feed(&d, in, strlen(in), &err), 0);
	assert_int_equal(mime_decoder_finish(&d, &err), 0);
	buf_puts(out, "");
}

/* Base64 as mail has it: line breaks, junk, missing padding, text after the end. */
static void test_decoder_base64_leniency(void **state)
{
	(void)state;
	static const char *const cases[][2] = {
		{"JVBERi0x\r\nLjQK", "%PDF-1.4\n"}, {"JVB ER!!i0x#LjQ\tK", "%PDF-1.4\n"},
		{"JVBERi0xLg", "%PDF-1."}, {"JVBERi0xLjQ", "%PDF-1.4"}, {"JVBERg==trailing text", "%PDF"},
		{"JVBERi0=QUJD", "%PDF-"}, {"J", ""}, {"", ""}, {"====", ""},
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct buf out = {0};
		decode_b64(cases[i][0], &out);
		assert_string_equal(out.data, cases[i][1]);
		buf_free(&out);
	}
}

static void test_decoder_chunking(void **state)
{
	(void)state;
	static const char b64[] = "JVBERi0xLjQKAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8g\r\n"
				  "ISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+P0BBQkNERUZHSElK\r\n"
				  "S0xNTk9QUVJTVFVWV1hZWltcXV5fYGFiY2RlZmdoaWprbG1ub3BxcnN0\r\n"
				  "dXZ3eHl6e3x9fn8KJSVFT0YK\r\n";
	struct buf whole = {0};
	struct gerr err;
	struct mime_decoder d;
	mime_decoder_init(&d, MIME_ENC_BASE64, sink, &whole);
	assert_int_equal(mime_decoder_feed(&d, b64, sizeof b64 - 1, &err), 0);
	assert_int_equal(mime_decoder_finish(&d, &err), 0);
	assert_true(whole.len > 100);
	for (size_t step = 1; step < 9; step++) {
		struct buf part = {0};
		mime_decoder_init(&d, MIME_ENC_BASE64, sink, &part);
		for (size_t off = 0; off < sizeof b64 - 1; off += step) {
			size_t n = sizeof b64 - 1 - off < step ? sizeof b64 - 1 - off : step;
			assert_int_equal(mime_decoder_feed(&d, b64 + off, n, &err), 0);
		}
		assert_int_equal(mime_decoder_finish(&d, &err), 0);
		assert_int_equal(part.len, whole.len);
		assert_memory_equal(part.data, whole.data, whole.len);
		assert_int_equal(d.decoded, whole.len);
		buf_free(&part);
	}
	buf_free(&whole);
	/* 7bit passes through untouched */
	struct buf plain = {0};
	mime_decoder_init(&d, MIME_ENC_7BIT, sink, &plain);
	assert_int_equal(mime_decoder_feed(&d, "a=3D", 4, &err), 0);
	assert_int_equal(mime_decoder_finish(&d, &err), 0);
	assert_int_equal(plain.len, 4);
	buf_free(&plain);
}

/* ---- BODYSTRUCTURE trees built with libetpan's constructors ---- */

/* libetpan's IMAP free functions release strings with mmap_string_unref(): build them so. */
static char *mstr(const char *s)
{
	MMAPString *m = mmap_string_new(s);
	assert_int_equal(mmap_string_ref(m), 0);
	return m->str;
}

static struct mailimap_body_fld_param *params1(const char *name, const char *value)
{
	clist *l = clist_new();
	clist_append(l, mailimap_single_body_fld_param_new(mstr(name), mstr(value)));
	return mailimap_body_fld_param_new(l);
}

static struct mailimap_body *leaf(int media, const char *subtype, const char *ctname,
				  const char *dsp, const char *fname, int enc, uint32_t size)
{
	struct mailimap_body_fields *f = mailimap_body_fields_new(
		ctname ? params1("name", ctname) : NULL, NULL, NULL, mailimap_body_fld_enc_new(enc, NULL),
		size);
	struct mailimap_body_ext_1part *ext = NULL;
	if (dsp)
		ext = mailimap_body_ext_1part_new(NULL,
						  mailimap_body_fld_dsp_new(mstr(dsp),
									    fname ? params1("filename", fname) : NULL),
						  NULL, NULL, NULL);
	struct mailimap_body_type_1part *p;
	if (media < 0)
		p = mailimap_body_type_1part_new(MAILIMAP_BODY_TYPE_1PART_TEXT, NULL, NULL,
						 mailimap_body_type_text_new(mstr(subtype), f, 1), ext);
	else
		p = mailimap_body_type_1part_new(
			MAILIMAP_BODY_TYPE_1PART_BASIC,
			mailimap_body_type_basic_new(mailimap_media_basic_new(media, NULL, mstr(subtype)), f),
			NULL, NULL, ext);
	return mailimap_body_new(MAILIMAP_BODY_1PART, p, NULL);
}

static struct mailimap_body *multi(struct mailimap_body *a, struct mailimap_body *b)
{
	clist *l = clist_new();
	clist_append(l, a);
	clist_append(l, b);
	return mailimap_body_new(MAILIMAP_BODY_MPART, NULL,
				 mailimap_body_type_mpart_new(l, mstr("mixed"), NULL));
}

static struct mailimap_body *forward(struct mailimap_body *inner)
{
	struct mailimap_body_fields *f =
		mailimap_body_fields_new(NULL, NULL, NULL,
					 mailimap_body_fld_enc_new(MAILIMAP_BODY_FLD_ENC_7BIT, NULL), 100);
	struct mailimap_envelope *env =
		mailimap_envelope_new(NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
	struct mailimap_body_type_1part *p = mailimap_body_type_1part_new(
		MAILIMAP_BODY_TYPE_1PART_MSG, NULL, mailimap_body_type_msg_new(f, env, inner, 3), NULL, NULL);
	return mailimap_body_new(MAILIMAP_BODY_1PART, p, NULL);
}

static void test_bodystructure_walk(void **state)
{
	(void)state;
	struct mailimap_body *b = multi(
		multi(leaf(-1, "plain", NULL, NULL, NULL, MAILIMAP_BODY_FLD_ENC_7BIT, 10),
		      leaf(MAILIMAP_MEDIA_BASIC_APPLICATION, "octet-stream", NULL, "attachment",
			   "=?UTF-8?Q?=C5=BC.pdf?=", MAILIMAP_BODY_FLD_ENC_BASE64, 4000)),
		forward(multi(leaf(MAILIMAP_MEDIA_BASIC_IMAGE, "jpeg", "a.jpg", NULL, NULL,
				   MAILIMAP_BODY_FLD_ENC_BASE64, 50),
			      leaf(MAILIMAP_MEDIA_BASIC_APPLICATION, "PDF", NULL, "INLINE", NULL,
				   MAILIMAP_BODY_FLD_ENC_QUOTED_PRINTABLE, 60))));
	struct mime_parts parts = {0};
	struct gerr err;
	assert_int_equal(mime_walk_bodystructure(b, NULL, &parts, &err), 0);
	assert_int_equal(parts.len, 2);
	assert_string_equal(parts.items[0].section, "1.2");
	assert_string_equal(parts.items[0].filename, "ż.pdf");
	assert_int_equal(parts.items[0].encoding, MIME_ENC_BASE64);
	assert_int_equal(parts.items[0].size, 4000);
	assert_int_equal(parts.items[0].depth, 0);
	assert_string_equal(parts.items[1].section, "2.2");
	assert_null(parts.items[1].filename);
	assert_string_equal(parts.items[1].media_type, "application/pdf");
	assert_true(parts.items[1].is_inline);
	assert_int_equal(parts.items[1].depth, 1);
	mime_parts_free(&parts);
	mailimap_body_free(b);

	/* a single-part message is section 1; a forwarded single part is <n>.1 */
	b = leaf(MAILIMAP_MEDIA_BASIC_APPLICATION, "pdf", NULL, NULL, NULL, MAILIMAP_BODY_FLD_ENC_BASE64, 9);
	assert_int_equal(mime_walk_bodystructure(b, NULL, &parts, &err), 0);
	assert_int_equal(parts.len, 1);
	assert_string_equal(parts.items[0].section, "1");
	mime_parts_free(&parts);
	mailimap_body_free(b);
	b = multi(leaf(-1, "plain", NULL, NULL, NULL, MAILIMAP_BODY_FLD_ENC_7BIT, 1),
		  forward(leaf(MAILIMAP_MEDIA_BASIC_APPLICATION, "pdf", NULL, NULL, NULL,
			       MAILIMAP_BODY_FLD_ENC_BASE64, 9)));
	assert_int_equal(mime_walk_bodystructure(b, NULL, &parts, &err), 0);
	assert_int_equal(parts.len, 1);
	assert_string_equal(parts.items[0].section, "2.1");
	mime_parts_free(&parts);
	mailimap_body_free(b);
}

/* A message that is nothing but a forwarded message, MIME_MAX_DEPTH + 4 levels down:
 * the walk stops at the depth limit as the BODYSTRUCTURE walk does, and says so. */
static void test_raw_depth_limit(void **state)
{
	(void)state;
	struct buf b = {0};
	buf_puts(&b, "Content-Type: application/pdf; name=\"deep.pdf\"\r\n"
		     "Content-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\n");
	for (int i = 0; i < MIME_MAX_DEPTH + 4; i++) {
		char *outer = xasprintf("From: x%d@b\r\nMIME-Version: 1.0\r\n"
					"Content-Type: message/rfc822\r\n\r\n%s", i, b.data);
		buf_free(&b);
		buf_puts(&b, outer);
		free(outer);
	}
	struct seen s = {0};
	struct gerr err;
	assert_int_equal(mime_walk_raw(b.data, b.len, NULL, on_part, &s, &err), 1);
	assert_int_equal(s.n, 0);
	assert_non_null(strstr(err.msg, "forwarded messages are nested more than 16 deep"));
	seen_free(&s);
	buf_free(&b);
}

static void test_bodystructure_depth_limit(void **state)
{
	(void)state;
	struct mailimap_body *b = leaf(MAILIMAP_MEDIA_BASIC_APPLICATION, "pdf", NULL, NULL, NULL,
				       MAILIMAP_BODY_FLD_ENC_BASE64, 9);
	for (int i = 0; i < MIME_MAX_DEPTH + 4; i++)
		b = forward(b);
	struct mime_parts parts = {0};
	struct gerr err;
	assert_int_equal(mime_walk_bodystructure(b, NULL, &parts, &err), 1);
	assert_int_equal(parts.len, 0);
	assert_non_null(strstr(err.msg, "forwarded messages are nested more than 16 deep"));
	mime_parts_free(&parts);
	mailimap_body_free(b);
}

static struct mailimap_body *pdf_leaf(void)
{
	return leaf(MAILIMAP_MEDIA_BASIC_APPLICATION, "pdf", NULL, NULL, NULL,
		    MAILIMAP_BODY_FLD_ENC_BASE64, 9);
}

/* Every part is taken however many there are (there was a fixed limit of 256). */
static void test_bodystructure_many_parts(void **state)
{
	(void)state;
	clist *l = clist_new();
	for (int i = 0; i < 1000; i++)
		clist_append(l, pdf_leaf());
	struct mailimap_body *b = mailimap_body_new(MAILIMAP_BODY_MPART, NULL,
						    mailimap_body_type_mpart_new(l, mstr("mixed"), NULL));
	struct mime_parts parts = {0};
	struct gerr err;
	assert_int_equal(mime_walk_bodystructure(b, NULL, &parts, &err), 0);
	assert_int_equal(parts.len, 1000);
	assert_string_equal(parts.items[999].section, "1000");
	mime_parts_free(&parts);
	mailimap_body_free(b);
}

/* Multiparts nested deeper than MIME_MAX_NESTING: the walk says where; a part beside the
 * deep branch is still taken. */
static void test_bodystructure_nesting_limit(void **state)
{
	(void)state;
	struct mailimap_body *deep = pdf_leaf();
	for (int i = 0; i < MIME_MAX_NESTING + 5; i++)
		deep = multi(deep, leaf(-1, "plain", NULL, NULL, NULL, MAILIMAP_BODY_FLD_ENC_7BIT, 1));
	struct mailimap_body *b = multi(pdf_leaf(), deep);
	struct mime_parts parts = {0};
	struct gerr err;
	assert_int_equal(mime_walk_bodystructure(b, NULL, &parts, &err), 1);
	assert_int_equal(parts.len, 1);
	assert_string_equal(parts.items[0].section, "1");
	assert_non_null(strstr(err.msg, "MIME parts are nested more than 64 deep (at section 2.1.1."));
	mime_parts_free(&parts);
	mailimap_body_free(b);
}

static int count_part(void *ctx, const struct mime_part *p, const struct mime_body *b,
		      struct gerr *err)
{
	(void)p, (void)b, (void)err;
	(*(unsigned *)ctx)++;
	return 0;
}

static void test_raw_many_parts(void **state)
{
	(void)state;
	struct buf b = {0};
	buf_puts(&b, "From: a@pge.pl\r\nMIME-Version: 1.0\r\n"
		     "Content-Type: multipart/mixed; boundary=\"o\"\r\n\r\n");
	for (int i = 0; i < 1000; i++)
		buf_printf(&b, "--o\r\nContent-Type: application/pdf; name=\"f%d.pdf\"\r\n"
			       "Content-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\n", i);
	buf_puts(&b, "--o--\r\n");
	unsigned n = 0;
	struct gerr err;
	assert_int_equal(mime_walk_raw(b.data, b.len, NULL, count_part, &n, &err), 0);
	assert_int_equal(n, 1000);
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_candidate_rule),
		cmocka_unit_test(test_raw_walk),
		cmocka_unit_test(test_raw_single_part_and_garbage),
		cmocka_unit_test(test_raw_callback_failure),
		cmocka_unit_test(test_decoder_chunking),
		cmocka_unit_test(test_decoder_base64_leniency),
		cmocka_unit_test(test_bodystructure_walk),
		cmocka_unit_test(test_bodystructure_depth_limit),
		cmocka_unit_test(test_raw_depth_limit),
		cmocka_unit_test(test_bodystructure_many_parts),
		cmocka_unit_test(test_bodystructure_nesting_limit),
		cmocka_unit_test(test_raw_many_parts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
