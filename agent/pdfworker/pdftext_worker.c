/* goniec-pdftext — the worker that reads the text of one PDF with poppler-glib.
 *
 *   goniec-pdftext [--pages N] FILE
 *
 * It is started by formats/pdftext.c in a process of its own, with the time and memory
 * limits already set (setrlimit before exec), so that a hostile PDF can only hurt this
 * process. It is a program apart from goniec so that goniec itself does not load
 * poppler, glib and their libraries at every start.
 *
 * Output: the text of the pages on stdout, laid out as the page shows it (one text line
 * per printed line, columns kept apart by two or more spaces, a blank line where the page
 * leaves a gap), pages separated by a form feed (\f). Only the first N pages are read
 * (default 100). Its last line on stderr is its verdict: "pdftext: pages READ of TOTAL"
 * or "pdftext: encrypted: ...", "pdftext: unreadable: ...".
 *
 * Exit status: 0 read; 10 encrypted (needs a password); 11 not a readable PDF; 12 usage.
 */
#include <math.h>
#include <poppler.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXIT_ENCRYPTED 10
#define EXIT_UNREADABLE 11
#define EXIT_USAGE_ERR 12
#define DEFAULT_PAGES 100

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

static char *file_uri(const char *path)
{
	GError *e = NULL;
	char *abs = g_canonicalize_filename(path, NULL);
	char *uri = g_filename_to_uri(abs, NULL, &e);
	g_free(abs);
	if (!uri) {
		fprintf(stderr, "pdftext: unreadable: %s\n", e->message);
		g_error_free(e);
	}
	return uri;
}

int main(int argc, char **argv)
{
	long max_pages = DEFAULT_PAGES;
	int a = 1;
	if (a + 1 < argc && strcmp(argv[a], "--pages") == 0) {
		max_pages = strtol(argv[a + 1], NULL, 10);
		a += 2;
	}
	if (a + 1 != argc || max_pages < 1) {
		fprintf(stderr, "usage: goniec-pdftext [--pages N] FILE\n");
		return EXIT_USAGE_ERR;
	}
	char *uri = file_uri(argv[a]);
	if (!uri)
		return EXIT_UNREADABLE;
	GError *e = NULL;
	PopplerDocument *doc = poppler_document_new_from_file(uri, NULL, &e);
	g_free(uri);
	if (!doc) {
		bool enc = e->domain == POPPLER_ERROR && e->code == POPPLER_ERROR_ENCRYPTED;
		fprintf(stderr, "pdftext: %s: %s\n", enc ? "encrypted" : "unreadable", e->message);
		g_error_free(e);
		return enc ? EXIT_ENCRYPTED : EXIT_UNREADABLE;
	}
	int total = poppler_document_get_n_pages(doc);
	int read = total < max_pages ? total : (int)max_pages;
	GString *out = g_string_new(NULL);
	for (int i = 0; i < read; i++) {
		PopplerPage *page = poppler_document_get_page(doc, i);
		if (i)
			g_string_append_c(out, '\f');
		if (page) {
			emit_page(out, page);
			g_object_unref(page);
		}
		if (fwrite(out->str, 1, out->len, stdout) != out->len)
			return EXIT_UNREADABLE;
		g_string_truncate(out, 0);
	}
	g_string_free(out, TRUE);
	g_object_unref(doc);
	if (fflush(stdout) != 0)
		return EXIT_UNREADABLE;
	fprintf(stderr, "pdftext: pages %d of %d\n", read, total);
	return 0;
}
