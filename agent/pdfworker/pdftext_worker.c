/* goniec-pdftext — the server that reads the text of PDFs with poppler-glib.
 *
 *   goniec-pdftext          (started by formats/pdftext.c: its stdin is the socket)
 *   goniec-pdftext --door   (the daemon's: its stdin is a door, through which each
 *                            connection comes in)
 *
 * goniec starts it once per process, at the first PDF (formats/pdftext.c), and talks to
 * it over the socket on its stdin (formats/pdfproto.h). It is a program apart from goniec
 * so that goniec itself never loads poppler, glib and their libraries; and it is a
 * server so that they are loaded once, not once per document. The daemon starts one with
 * --door for all its workers, so that they are loaded once per daemon, not once per run:
 * each worker hands it a connection (PDFPROTO_CONNECT), and a session forked for that
 * connection serves it as a server of its own would, until the connection ends. The door
 * process reads nothing but the door and waits for nothing (the kernel reaps its
 * sessions: SA_NOCLDWAIT).
 *
 * For each document it forks a reader, which dies with the server (PR_SET_PDEATHSIG) and
 * sets its limits before it looks at the PDF: RLIMIT_AS (memory), RLIMIT_CPU, an alarm
 * for the wall clock, no core, and no file written beyond goniec's two (RLIMIT_FSIZE). So
 * a hostile PDF (one that loops, recurses, or asks for gigabytes) can only hurt that
 * reader; the server reports how it ended (wait4) and goes on. goniec may hand it several
 * documents before it collects the first: up to PDFPROTO_READERS are read at once, the
 * others wait in order.
 *
 * The reader's output: the text of the pages into the text file, laid out as the page
 * shows it (one text line per printed line, columns kept apart by two or more spaces, a
 * blank line where the page leaves a gap), pages separated by a form feed (\f). Only the
 * first max_pages pages are read, and no page after the one that passes max_text bytes.
 * Its last line on the diagnostics file is its verdict:
 * "pdftext: pages READ of TOTAL" or "pdftext: encrypted: ...", "pdftext: unreadable: ...";
 * its exit codes are PDFPROTO_EXIT_*.
 *
 * QR codes: when the text speaks of KSeF but holds no link to mf.gov.pl (a KSeF invoice
 * whose verification link is only in its QR code), the reader renders the first
 * QR_PAGES pages (cairo, at QR_DPI, at most QR_MAX_PIXELS pixels a page whatever the
 * page's size) and scans them with zbar; each QR code's text that is one line of
 * printable ASCII goes to the diagnostics pipe before the verdict, as
 * "pdftext: qr PAGE TEXT" (PDFPROTO_QR_LINE).
 *
 * In the test build (GONIEC_TESTING), with GONIEC_PDFTEXT_HOOKS set, a document can ask its
 * reader to misbehave once its limits are set (test_hook(); core/testhook.h).
 */
#include <cairo.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poppler.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zbar.h>

#include "core/testhook.h"
#include "formats/pdfproto.h"

#define SOCK_FD 0          /* the socket to goniec */
#define READER_PDF_FD 3    /* where a reader has its PDF */
#define START_ROOM (16ULL << 20) /* address space a reader needs beyond what it maps */
#define MAP_MAX (32ULL << 20)   /* PDFs read from memory, at most */
#define TEXT_ROOM (1ULL << 20)   /* file size allowed beyond max_text */
#define EXIT_USAGE_ERR 2
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

/* The document open on fd. Up to MAP_MAX bytes it is read from memory (mapped), which
 * spares poppler's stream a system call per small read; a larger one from the file. */
static PopplerDocument *open_document(int fd, GError **e)
{
	struct stat st;
	if (fstat(fd, &st) != 0 || st.st_size <= 0 || (uint64_t)st.st_size > MAP_MAX)
		return poppler_document_new_from_fd(fd, NULL, e);
	void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED)
		return poppler_document_new_from_fd(fd, NULL, e);
	GBytes *bytes = g_bytes_new_static(map, (gsize)st.st_size); /* mapped until the exit */
	PopplerDocument *doc = poppler_document_new_from_bytes(bytes, NULL, e);
	g_bytes_unref(bytes);
	return doc;
}

/* The text of the PDF open on fd, into stdout, up to the page that passes max_text bytes
 * (or until the file size limit stops it); its verdict on stderr. Returns the exit code. */
static int read_document(int fd, int max_pages, uint64_t max_text)
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
	int read = 0, last = total < max_pages ? total : max_pages;
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
		if (put != out->len && errno != EFBIG)
			return PDFPROTO_EXIT_UNREADABLE;
		if (put != out->len) { /* past the file size limit: as much text as is kept */
			read++;
			break;
		}
		g_string_truncate(out, 0);
	}
	g_string_free(out, TRUE);
	if (fflush(stdout) != 0 && errno != EFBIG)
		return PDFPROTO_EXIT_UNREADABLE;
	if (ksef && !link)
		scan_qr_codes(doc, read);
	g_object_unref(doc);
	fprintf(stderr, "pdftext: pages %d of %d\n", read, total);
	return 0;
}

static void set_limit(int resource, rlim_t soft, rlim_t hard)
{
	struct rlimit rl = {.rlim_cur = soft, .rlim_max = hard};
	setrlimit(resource, &rl);
}

/* The address space the reader maps already (the server's libraries and heap). */
static unsigned long long mapped_bytes(void)
{
	unsigned long long pages = 0;
	FILE *f = fopen("/proc/self/statm", "r");
	if (f) {
		if (fscanf(f, "%llu", &pages) != 1)
			pages = 0;
		fclose(f);
	}
	return pages * (unsigned long long)sysconf(_SC_PAGESIZE);
}

#ifdef GONIEC_TESTING
/* With GONIEC_PDFTEXT_HOOKS set, a document that begins "%goniec-test-hook NAME" makes
 * its reader misbehave: sleep (past the wall clock), alloc (past the memory limit), segv,
 * limits (its text is RLIMIT_AS in KiB and RLIMIT_CPU), kill-server (the server is killed
 * in the middle of the document). */
static void test_hook(int fd)
{
	static const char mark[] = "%goniec-test-hook ";
	char head[64] = "";
	if (!test_hook_env("GONIEC_PDFTEXT_HOOKS") || pread(fd, head, sizeof head - 1, 0) <= 0 ||
	    strncmp(head, mark, strlen(mark)) != 0)
		return;
	const char *hook = head + strlen(mark);
	if (strncmp(hook, "sleep", 5) == 0 || strncmp(hook, "kill-server", 11) == 0) {
		if (strncmp(hook, "kill-server", 11) == 0)
			kill(getppid(), SIGKILL);
		for (;;)
			pause();
	} else if (strncmp(hook, "alloc", 5) == 0) {
		for (;;)
			g_malloc(64 << 20); /* GLib's own words when it fails, as with a bomb */
	} else if (strncmp(hook, "segv", 4) == 0) {
		raise(SIGSEGV);
	} else if (strncmp(hook, "limits", 6) == 0) {
		struct rlimit as, cpu;
		getrlimit(RLIMIT_AS, &as);
		getrlimit(RLIMIT_CPU, &cpu);
		printf("%llu %llu\n", (unsigned long long)as.rlim_cur >> 10,
		       (unsigned long long)cpu.rlim_cur);
		fflush(stdout);
		_exit(0);
	}
}

/* With GONIEC_PDFTEXT_STARTS=PATH, each start of the server appends a line to PATH:
 * "door" or "server" (how many started, for the daemon's tests). */
static void note_start(bool door)
{
	const char *path = test_hook_env("GONIEC_PDFTEXT_STARTS");
	int fd = path ? open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600) : -1;
	if (fd >= 0) {
		dprintf(fd, "%s\n", door ? "door" : "server");
		close(fd);
	}
}
#else
static void test_hook(int fd)
{
	(void)fd;
}

static void note_start(bool door)
{
	(void)door;
}
#endif

/* In a forked reader: its descriptors (stdout the text, stderr the diagnostics, the PDF on
 * READER_PDF_FD, nothing of the server's), its limits, then the document. Never returns. */
static void reader(pid_t server, const struct pdfproto_request *rq, const int *fds)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != server)
		_exit(PDFPROTO_EXIT_UNREADABLE);
	signal(SIGPIPE, SIG_DFL); /* the end of goniec's text pipe ends the reader */
	signal(SIGALRM, SIG_DFL);
	signal(SIGXCPU, SIG_DFL);
	signal(SIGXFSZ, SIG_IGN); /* a full text file is a short write (EFBIG) */
	int devnull = open("/dev/null", O_RDONLY);
	if (devnull < 0 || dup2(devnull, SOCK_FD) < 0 || dup2(fds[PDFPROTO_TEXT_FD], 1) < 0 ||
	    dup2(fds[PDFPROTO_DIAG_FD], 2) < 0 || dup2(fds[PDFPROTO_PDF_FD], READER_PDF_FD) < 0)
		_exit(PDFPROTO_EXIT_UNREADABLE);
	close_range(READER_PDF_FD + 1, ~0U, 0);
	if (rq->memory < mapped_bytes() + START_ROOM) {
		fprintf(stderr, "pdftext: no room: the reader maps %llu MiB already\n",
			mapped_bytes() >> 20);
		_exit(PDFPROTO_EXIT_NO_ROOM);
	}
	set_limit(RLIMIT_AS, rq->memory, rq->memory);
	set_limit(RLIMIT_CPU, rq->seconds, (rlim_t)rq->seconds + 1);
	set_limit(RLIMIT_CORE, 0, 0);
	/* the text and diagnostics files are goniec's memfds; nothing else is written */
	set_limit(RLIMIT_FSIZE, rq->max_text + TEXT_ROOM, rq->max_text + TEXT_ROOM);
	alarm(rq->seconds);
	test_hook(READER_PDF_FD);
	int rc = read_document(READER_PDF_FD, rq->max_pages, rq->max_text);
	fflush(NULL);
	_exit(rc);
}

/* Read a small PDF of our own once, before any reader is forked, and keep it open:
 * poppler's global tables (unicode maps, CMaps; they live while a document does) and the
 * time zone are then loaded once in the server and shared by every reader, instead of
 * loaded again per document. */
static void warm_up(void)
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

static void send_reply(const struct pdfproto_reply *r)
{
	if (send(SOCK_FD, r, sizeof *r, MSG_NOSIGNAL) != (ssize_t)sizeof *r)
		exit(0); /* goniec is gone */
}

/* One message from sock: its number of descriptors (into fds, at most
 * PDFPROTO_READ_FDS), or -1 at the end of the socket or for a malformed message. */
static int receive(int sock, struct pdfproto_request *rq, int *fds)
{
	union {
		struct cmsghdr h;
		char space[CMSG_SPACE(PDFPROTO_READ_FDS * sizeof(int))];
	} ctl;
	struct iovec iov = {.iov_base = rq, .iov_len = sizeof *rq};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = &ctl,
			   .msg_controllen = sizeof ctl};
	ssize_t n;
	while ((n = recvmsg(sock, &m, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR)
		;
	int got = 0;
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	if (n > 0 && c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
		got = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		memcpy(fds, CMSG_DATA(c), (size_t)got * sizeof(int));
	}
	if (n == (ssize_t)sizeof *rq && !(m.msg_flags & (MSG_TRUNC | MSG_CTRUNC)))
		return got;
	for (int i = 0; i < got; i++)
		close(fds[i]);
	return -1;
}

/* The next request: 1 with it (and its descriptors for a READ), 0 at the end of the
 * socket; a malformed one ends the server too. */
static int next_request(struct pdfproto_request *rq, int *fds)
{
	int got = receive(SOCK_FD, rq, fds);
	if ((rq->type == PDFPROTO_READ && got == PDFPROTO_READ_FDS && rq->max_pages > 0) ||
	    (rq->type == PDFPROTO_KILL && got == 0))
		return 1;
	for (int i = 0; i < got; i++)
		close(fds[i]);
	return 0;
}

/* The door on SOCK_FD: each PDFPROTO_CONNECT brings one end of a new connection, and a
 * session forked for it returns from here with that connection as its SOCK_FD. The door
 * process itself exits at the end of the door (goniec is gone). A connection that cannot
 * be served (no fork) is closed: its client sees it end before PDFPROTO_READY. */
static void open_sessions(void)
{
	struct sigaction reap_none = {.sa_handler = SIG_DFL, .sa_flags = SA_NOCLDWAIT};
	sigaction(SIGCHLD, &reap_none, NULL);
	struct pdfproto_request rq;
	int fds[PDFPROTO_READ_FDS];
	int got;
	while ((got = receive(SOCK_FD, &rq, fds)) >= 0) {
		pid_t pid = rq.type == PDFPROTO_CONNECT && got == 1 ? fork() : -1;
		if (pid == 0) {
			signal(SIGCHLD, SIG_DFL); /* its readers are its own to wait for */
			if (dup2(fds[0], SOCK_FD) < 0)
				_exit(0);
			close(fds[0]);
			return;
		}
		for (int i = 0; i < got; i++)
			close(fds[i]);
	}
	_exit(0);
}

/* A document waiting for its reader, or being read. */
struct job {
	struct pdfproto_request rq;
	int fds[PDFPROTO_READ_FDS]; /* until its reader is forked */
	pid_t pid;                  /* 0 while it waits */
	int pidfd;
};

/* The documents of this server, in the order they came. */
static struct {
	struct job *v;
	size_t n, cap, running;
} jobs;

static void job_close_fds(struct job *j)
{
	for (int i = 0; i < PDFPROTO_READ_FDS; i++)
		if (j->fds[i] >= 0)
			close(j->fds[i]);
	for (int i = 0; i < PDFPROTO_READ_FDS; i++)
		j->fds[i] = -1;
}

static void job_remove(size_t i)
{
	job_close_fds(&jobs.v[i]);
	if (jobs.v[i].pidfd >= 0)
		close(jobs.v[i].pidfd);
	if (jobs.v[i].pid > 0)
		jobs.running--;
	memmove(&jobs.v[i], &jobs.v[i + 1], (jobs.n - i - 1) * sizeof *jobs.v);
	jobs.n--;
}

static void job_add(const struct pdfproto_request *rq, const int *fds)
{
	if (jobs.n == jobs.cap) {
		jobs.cap = jobs.cap ? 2 * jobs.cap : 16;
		jobs.v = realloc(jobs.v, jobs.cap * sizeof *jobs.v);
		if (!jobs.v)
			abort();
	}
	struct job *j = &jobs.v[jobs.n++];
	*j = (struct job){.rq = *rq, .pidfd = -1};
	memcpy(j->fds, fds, sizeof j->fds);
}

/* Kill every reader and wait for it: goniec is gone, or talks nonsense. */
_Noreturn static void end_server(void)
{
	for (size_t i = 0; i < jobs.n; i++)
		if (jobs.v[i].pid > 0) {
			kill(jobs.v[i].pid, SIGKILL);
			waitpid(jobs.v[i].pid, NULL, 0);
		}
	exit(0);
}

/* Fork readers for the waiting documents, in order, while fewer than PDFPROTO_READERS run. */
static void start_readers(pid_t self)
{
	for (size_t i = 0; i < jobs.n && jobs.running < PDFPROTO_READERS; i++) {
		struct job *j = &jobs.v[i];
		if (j->pid)
			continue;
		fflush(NULL);
		pid_t pid = fork();
		int fork_errno = errno;
		if (pid == 0)
			reader(self, &j->rq, j->fds);
		job_close_fds(j);
		j->pidfd = pid > 0 ? (int)pidfd_open(pid, 0) : -1;
		if (pid < 0 || j->pidfd < 0) {
			if (pid > 0) { /* no descriptor to wait on: wait here */
				kill(pid, SIGKILL);
				waitpid(pid, NULL, 0);
			}
			send_reply(&(struct pdfproto_reply){.type = PDFPROTO_END, .id = j->rq.id,
							    .fork_errno = pid < 0 ? fork_errno : EMFILE});
			job_remove(i--);
			continue;
		}
		j->pid = pid;
		jobs.running++;
	}
}

/* A reader has ended: its END. */
static void reap(size_t i)
{
	struct rusage ru = {0};
	int st = 0;
	while (wait4(jobs.v[i].pid, &st, 0, &ru) < 0 && errno == EINTR)
		;
	send_reply(&(struct pdfproto_reply){.type = PDFPROTO_END, .id = jobs.v[i].rq.id,
					    .wait_status = st, .peak_kib = ru.ru_maxrss});
	job_remove(i);
}

/* A KILL: the reader killed (its END follows when it has ended), or the document dropped
 * from the queue; one already ended is ignored. */
static void kill_job(uint32_t id)
{
	for (size_t i = 0; i < jobs.n; i++) {
		if (jobs.v[i].rq.id != id)
			continue;
		if (jobs.v[i].pid > 0) {
			kill(jobs.v[i].pid, SIGKILL);
			return;
		}
		send_reply(&(struct pdfproto_reply){.type = PDFPROTO_END, .id = id,
						    .wait_status = SIGKILL});
		job_remove(i);
		return;
	}
}

/* Serve the socket until its end: documents queued, readers started and reaped. */
static void serve(pid_t self)
{
	struct pollfd *p = NULL;
	for (;;) {
		start_readers(self);
		p = realloc(p, (jobs.n + 1) * sizeof *p);
		if (!p)
			abort();
		p[0] = (struct pollfd){.fd = SOCK_FD, .events = POLLIN};
		for (size_t i = 0; i < jobs.n; i++)
			p[i + 1] = (struct pollfd){.fd = jobs.v[i].pidfd, .events = POLLIN};
		if (poll(p, jobs.n + 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			end_server();
		}
		for (size_t i = jobs.n; i-- > 0;)
			if (p[i + 1].fd >= 0 && p[i + 1].revents)
				reap(i);
		if (!p[0].revents)
			continue;
		struct pdfproto_request rq;
		int fds[PDFPROTO_READ_FDS];
		if (!next_request(&rq, fds))
			end_server();
		if (rq.type == PDFPROTO_READ)
			job_add(&rq, fds);
		else
			kill_job(rq.id);
	}
}

int main(int argc, char **argv)
{
	bool door = argc == 2 && strcmp(argv[1], "--door") == 0;
	if (argc != 1 && !door) {
		fprintf(stderr, "usage: goniec-pdftext [--door] (started by goniec, its stdin the socket)\n");
		return EXIT_USAGE_ERR;
	}
	signal(SIGPIPE, SIG_IGN);
	signal(SIGCHLD, SIG_DFL); /* its readers are its own to wait for */
	note_start(door);
	warm_up();
	if (door)
		open_sessions();
	send_reply(&(struct pdfproto_reply){.type = PDFPROTO_READY});
	serve(getpid());
	return 0;
}
