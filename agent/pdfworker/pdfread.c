/* pdfread — see pdfread.h. */
#include "pdfworker/pdfread.h"

#include <cairo.h>
#include <errno.h>
#include <math.h>
#include <poppler.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zbar.h>

#include "formats/pdfproto.h"

#define MEMORY_MAX (32ULL << 20) /* PDFs read from memory, at most */
#define QR_PAGES 2                 /* pages rendered to look for QR codes */
#define QR_DPI 150.0               /* a KSeF QR (about 25 mm) gets 4+ pixels a module */
#define QR_MAX_PIXELS (4L << 20)   /* a page rendered larger than this is scaled down */
#define QR_MAX_CODES 4             /* QR texts told per document */

struct glyph {
	double x0, x1, yc, h;
	const char *u;   /* into the page's text */
	int ulen;
	size_t seq;      /* the glyph's place in the text poppler gives */
	bool space_before; /* poppler's text has a space before it */
};

struct line {
	struct glyph *g;
	size_t n, cap;
	double yc, h;
};

static int by_position(const void *a, const void *b)
{
	const struct glyph *p = a, *q = b;
	if (fabs(p->yc - q->yc) > 0.01)
		return p->yc < q->yc ? -1 : 1;
	return (p->x0 > q->x0) - (p->x0 < q->x0);
}

static int by_x(const void *a, const void *b)
{
	const struct glyph *p = a, *q = b;
	return (p->x0 > q->x0) - (p->x0 < q->x0);
}

static int by_double(const void *a, const void *b)
{
	double p = *(const double *)a, q = *(const double *)b;
	return (p > q) - (p < q);
}

static void line_add(struct line *l, const struct glyph *g)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 64;
		l->g = realloc(l->g, l->cap * sizeof *l->g);
		if (!l->g)
			abort();
	}
	l->g[l->n++] = *g;
	l->h = g->h > l->h ? g->h : l->h;
}

/* The glyphs of a page (spaces and line breaks dropped: they are rebuilt from the
 * positions). Returns how many; *out is malloc'd. */
static size_t page_glyphs(const char *text, const PopplerRectangle *rects, guint nrects,
			  struct glyph **out)
{
	struct glyph *gs = malloc((nrects + 1) * sizeof *gs);
	if (!gs)
		abort();
	size_t n = 0;
	bool space = false;
	const char *p = text;
	for (guint i = 0; i < nrects && *p; i++) {
		const char *next = g_utf8_next_char(p);
		gunichar c = g_utf8_get_char(p);
		const PopplerRectangle *r = &rects[i];
		if (g_unichar_isspace(c) || c == 0xA0) {
			space = true;
		} else if (r->y2 > r->y1) {
			gs[n] = (struct glyph){.x0 = r->x1, .x1 = r->x2, .yc = (r->y1 + r->y2) / 2,
					       .h = r->y2 - r->y1, .u = p, .ulen = (int)(next - p),
					       .seq = n, .space_before = space};
			n++;
			space = false;
		}
		p = next;
	}
	*out = gs;
	return n;
}

/* The width of one text column: the median glyph width. */
static double column_width(const struct glyph *gs, size_t n)
{
	if (!n)
		return 5;
	double *w = malloc(n * sizeof *w);
	if (!w)
		abort();
	for (size_t i = 0; i < n; i++)
		w[i] = gs[i].x1 - gs[i].x0;
	qsort(w, n, sizeof *w, by_double);
	double m = w[n / 2];
	free(w);
	return m < 1 ? 1 : m;
}


static bool same_glyph(const struct glyph *a, const struct glyph *b)
{
	return a->ulen == b->ulen && memcmp(a->u, b->u, (size_t)a->ulen) == 0 &&
	       fabs(a->x0 - b->x0) < 0.2 * (a->x1 - a->x0 + 0.1);
}

/* One printed line: glyphs in x order; a narrow gap is one space, a wide one moves to
 * the glyph's own column (at least two spaces, so that columns stay apart). Columns are
 * counted in characters (bytes of ASCII, one per glyph otherwise). */
static void emit_line(GString *out, struct line *l, double cw)
{
	qsort(l->g, l->n, sizeof *l->g, by_x);
	long col = 0;
	const struct glyph *prev = NULL;
	for (size_t i = 0; i < l->n; i++) {
		const struct glyph *g = &l->g[i];
		if (prev && same_glyph(prev, g))
			continue; /* overprinted (fake bold) */
		long want = lround(g->x0 / cw);
		if (!prev) {
			while (col < want) {
				g_string_append_c(out, ' ');
				col++;
			}
		} else {
			double gap = g->x0 - prev->x1;
			double h = g->h < prev->h ? g->h : prev->h;
			if (gap > 1.5 * cw && gap > 0.6 * h) {
				long target = want > col + 2 ? want : col + 2;
				while (col < target) {
					g_string_append_c(out, ' ');
					col++;
				}
			} else if (gap > 0.18 * h ||
				   (g->space_before && g->seq == prev->seq + 1 && gap > -0.1 * h)) {
				g_string_append_c(out, ' ');
				col++;
			}
		}
		g_string_append_len(out, g->u, g->ulen);
		col++;
		prev = g;
	}
}

static void emit_page(GString *out, PopplerPage *page)
{
	char *text = poppler_page_get_text(page);
	PopplerRectangle *rects = NULL;
	guint nrects = 0;
	if (!text || !poppler_page_get_text_layout(page, &rects, &nrects)) {
		g_free(text);
		return;
	}
	struct glyph *gs;
	size_t n = page_glyphs(text, rects, nrects, &gs);
	qsort(gs, n, sizeof *gs, by_position);
	double cw = column_width(gs, n);
	struct line l = {0};
	double last_yc = -1, last_h = 0;
	for (size_t i = 0; i <= n; i++) {
		bool joins = i < n && l.n && fabs(gs[i].yc - l.yc) < 0.4 * (gs[i].h > l.h ? gs[i].h : l.h);
		if (i < n && (joins || !l.n)) {
			if (!l.n)
				l.yc = gs[i].yc;
			line_add(&l, &gs[i]);
			continue;
		}
		if (l.n) {
			if (last_yc >= 0 && l.yc - last_yc > 1.8 * (last_h > l.h ? last_h : l.h))
				g_string_append_c(out, '\n');
			emit_line(out, &l, cw);
			g_string_append_c(out, '\n');
			last_yc = l.yc;
			last_h = l.h;
			l.n = 0;
			l.h = 0;
		}
		if (i < n) {
			l.yc = gs[i].yc;
			line_add(&l, &gs[i]);
		}
	}
	free(l.g);
	free(gs);
	g_free(rects);
	g_free(text);
}

/* The page rendered in shades of grey, one byte a pixel (white where nothing is drawn), at
 * QR_DPI or less so that it has at most QR_MAX_PIXELS pixels. NULL for a page of no
 * size. *w, *h: its size in pixels. */
static unsigned char *render_grey(PopplerPage *page, int *w, int *h)
{
	double pw = 0, ph = 0;
	poppler_page_get_size(page, &pw, &ph);
	if (!(pw >= 1 && ph >= 1))
		return NULL;
	double scale = QR_DPI / 72.0;
	if (pw * ph * scale * scale > (double)QR_MAX_PIXELS)
		scale = sqrt((double)QR_MAX_PIXELS / (pw * ph));
	*w = (int)(pw * scale);
	*h = (int)(ph * scale);
	if (*w < 1 || *h < 1)
		return NULL;
	cairo_surface_t *sf = cairo_image_surface_create(CAIRO_FORMAT_RGB24, *w, *h);
	if (cairo_surface_status(sf) != CAIRO_STATUS_SUCCESS) {
		cairo_surface_destroy(sf);
		return NULL;
	}
	cairo_t *cr = cairo_create(sf);
	cairo_set_source_rgb(cr, 1, 1, 1);
	cairo_paint(cr);
	cairo_scale(cr, scale, scale);
	poppler_page_render(page, cr);
	cairo_destroy(cr);
	cairo_surface_flush(sf);
	unsigned char *grey = malloc((size_t)*w * (size_t)*h);
	const unsigned char *px = cairo_image_surface_get_data(sf);
	int stride = cairo_image_surface_get_stride(sf);
	for (int y = 0; grey && px && y < *h; y++) {
		const uint32_t *row = (const uint32_t *)(px + (size_t)y * (size_t)stride);
		for (int x = 0; x < *w; x++) {
			uint32_t c = row[x];
			grey[(size_t)y * (size_t)*w + (size_t)x] =
				(unsigned char)((((c >> 16) & 0xff) * 77 + ((c >> 8) & 0xff) * 150 +
						 (c & 0xff) * 29) >> 8);
		}
	}
	cairo_surface_destroy(sf);
	return grey;
}

static bool one_printable_line(const char *s, unsigned len)
{
	if (!len)
		return false;
	for (unsigned i = 0; i < len; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return false;
	return true;
}

/* Tell the texts of the QR codes on one page (1-based no); returns how many more may be
 * told. */
static int scan_page(zbar_image_scanner_t *scanner, PopplerPage *page, int no, int left)
{
	int w, h;
	unsigned char *grey = render_grey(page, &w, &h);
	if (!grey)
		return left;
	zbar_image_t *img = zbar_image_create();
	zbar_image_set_format(img, zbar_fourcc('Y', '8', '0', '0'));
	zbar_image_set_size(img, (unsigned)w, (unsigned)h);
	zbar_image_set_data(img, grey, (unsigned long)w * (unsigned long)h, NULL);
	if (zbar_scan_image(scanner, img) > 0) {
		for (const zbar_symbol_t *s = zbar_image_first_symbol(img); s && left > 0;
		     s = zbar_symbol_next(s)) {
			const char *data = zbar_symbol_get_data(s);
			unsigned len = zbar_symbol_get_data_length(s);
			if (zbar_symbol_get_type(s) != ZBAR_QRCODE || len > PDFPROTO_QR_MAX ||
			    !one_printable_line(data, len))
				continue;
			fprintf(stderr, "%s%d %.*s\n", PDFPROTO_QR_LINE, no, (int)len, data);
			left--;
		}
	}
	zbar_image_destroy(img);
	free(grey);
	return left;
}

/* The QR codes of the first pages (of the `read` read), on stderr. */
static void scan_qr_codes(PopplerDocument *doc, int read)
{
	zbar_image_scanner_t *scanner = zbar_image_scanner_create();
	zbar_image_scanner_set_config(scanner, 0, ZBAR_CFG_ENABLE, 0);
	zbar_image_scanner_set_config(scanner, ZBAR_QRCODE, ZBAR_CFG_ENABLE, 1);
	int left = QR_MAX_CODES;
	for (int i = 0; i < read && i < QR_PAGES && left > 0; i++) {
		PopplerPage *page = poppler_document_get_page(doc, i);
		if (page) {
			left = scan_page(scanner, page, i + 1, left);
			g_object_unref(page);
		}
	}
	zbar_image_scanner_destroy(scanner);
}

/* Whether the text read calls for a look at the QR codes: it speaks of KSeF, and no
 * verification link is printed. */
static void note_qr_worth(const char *text, bool *ksef, bool *link)
{
	*ksef = *ksef || strcasestr(text, "ksef");
	*link = *link || strstr(text, "mf.gov.pl");
}

/* The whole file open on fd into buf (grown as needed, kept for the next document): its
 * size, or -1 when it cannot be read whole. */
static ssize_t read_whole(int fd, size_t size, char **buf, size_t *cap)
{
	if (size > *cap) {
		*buf = g_realloc(*buf, size);
		*cap = size;
	}
	size_t got = 0;
	while (got < size) {
		ssize_t n = pread(fd, *buf + got, size - got, (off_t)got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

/* The document open on fd. Up to MEMORY_MAX bytes it is read into memory first (one
 * buffer, reused from one document to the next: no mapping to set up and tear down per
 * document), which spares poppler's stream a system call per small read; a larger one is
 * read from the file. */
static PopplerDocument *open_document(int fd, GError **e)
{
	static char *buf;
	static size_t cap;
	struct stat st;
	ssize_t len = -1;
	if (fstat(fd, &st) == 0 && st.st_size > 0 && (uint64_t)st.st_size <= MEMORY_MAX)
		len = read_whole(fd, (size_t)st.st_size, &buf, &cap);
	if (len < 0)
		return poppler_document_new_from_fd(fd, NULL, e);
	GBytes *bytes = g_bytes_new_static(buf, (gsize)len); /* until the document is freed */
	PopplerDocument *doc = poppler_document_new_from_bytes(bytes, NULL, e);
	g_bytes_unref(bytes);
	return doc;
}

/* The pages of doc into stdout, up to the page that passes max_text bytes (or until the
 * file size limit stops it): how many were read, -1 when the text could not be written.
 * *qr: whether the text calls for a look at the QR codes. */
static int write_pages(PopplerDocument *doc, int last, uint64_t max_text, bool *qr)
{
	int read = 0;
	uint64_t written = 0;
	GString *out = g_string_new(NULL);
	bool ksef = false, link = false;
	for (; read < last && written <= max_text; read++) {
		PopplerPage *page = poppler_document_get_page(doc, read);
		if (read)
			g_string_append_c(out, '\f');
		if (page) {
			emit_page(out, page);
			g_object_unref(page);
		}
		note_qr_worth(out->str, &ksef, &link);
		size_t put = fwrite(out->str, 1, out->len, stdout);
		written += put;
		if (put != out->len) { /* past the file size limit: as much text as is kept */
			read = errno == EFBIG ? read + 1 : -1;
			break;
		}
		g_string_truncate(out, 0);
	}
	g_string_free(out, TRUE);
	*qr = ksef && !link;
	return read;
}

int pdfread_document(int fd, int max_pages, uint64_t max_text)
{
	GError *e = NULL;
	PopplerDocument *doc = open_document(fd, &e);
	if (!doc) {
		bool enc = e->domain == POPPLER_ERROR && e->code == POPPLER_ERROR_ENCRYPTED;
		fprintf(stderr, "pdftext: %s: %s\n", enc ? "encrypted" : "unreadable", e->message);
		g_error_free(e);
		return enc ? PDFPROTO_EXIT_ENCRYPTED : PDFPROTO_EXIT_UNREADABLE;
	}
	int total = poppler_document_get_n_pages(doc);
	bool qr;
	int read = write_pages(doc, total < max_pages ? total : max_pages, max_text, &qr);
	if (read >= 0 && fflush(stdout) != 0 && errno != EFBIG)
		read = -1;
	if (read >= 0 && qr)
		scan_qr_codes(doc, read);
	g_object_unref(doc);
	if (read < 0)
		return PDFPROTO_EXIT_UNREADABLE;
	fprintf(stderr, "pdftext: pages %d of %d\n", read, total);
	return 0;
}

/* Read a small PDF of our own once, before any reader is forked, and keep it open:
 * poppler's global tables (unicode maps, CMaps; they live while a document does) and the
 * time zone are then loaded once in the server and shared by every reader, instead of
 * loaded again per document. */
void pdfread_warm_up(void)
{
	static const char pdf[] =
		"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
		"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
		"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents 4 0 R"
		"/Resources<</Font<</F1<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>>>>>>>endobj\n"
		"4 0 obj<</Length 36>>stream\nBT /F1 12 Tf 72 720 Td (warm) Tj ET\nendstream endobj\n"
		"trailer<</Root 1 0 R>>\n%%EOF\n";
	static PopplerDocument *kept;
	tzset();
	GBytes *bytes = g_bytes_new_static(pdf, sizeof pdf - 1);
	kept = poppler_document_new_from_bytes(bytes, NULL, NULL);
	g_bytes_unref(bytes);
	PopplerPage *page = kept ? poppler_document_get_page(kept, 0) : NULL;
	if (page) {
		GString *out = g_string_new(NULL);
		emit_page(out, page);
		g_string_free(out, TRUE);
		g_object_unref(page);
	}
}
