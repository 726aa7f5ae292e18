/* Unit tests of pdftext: the server that reads PDFs' text, its outcomes and limits.
 * The real server (goniec-pdftext beside the test's build folder) reads real samples;
 * the test build's (test/goniec-pdftext, GONIEC_PDFTEXT_HOOKS) reads documents that make
 * their reader misbehave, to show the time and memory limits are enforced, and that
 * neither a reader's nor a server's death loses more than its document. */
#include <dirent.h>
#include <limits.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"
#include "formats/pdfproto.h"
#include "formats/pdftext.h"

#define SAMPLES "../shared/samples/invoices-pdf/"

#define SAMPLE SAMPLES "qt-witkac-fv-2-15.pdf"

static char *real_worker, *hook_worker;
static char *dir;

static int setup(void **state)
{
	(void)state;
	dir = scratch_dir();
	pdftext_set_worker(real_worker);
	char *p = path_join(dir, "readers");
	setenv("GONIEC_PDFTEXT_READERS", p, 1);
	free(p);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	pdftext_stop();
	unsetenv("GONIEC_PDFTEXT_STARTS");
	unsetenv("GONIEC_PDFTEXT_READERS");
	rm_rf(dir);
	free(dir);
	return 0;
}

static char *in_dir(const char *name) { return path_join(dir, name); }

/* A one-page PDF in the scratch folder: its MediaBox, and one line of text (NULL: none,
 * no text layer). */
static char *one_page_pdf(const char *name, const char *box, const char *line)
{
	char *p = in_dir(name);
	char *content = line ? xasprintf("BT /F1 12 Tf 72 720 Td (%s) Tj ET\n", line) : NULL;
	char *stream = content ? xasprintf("4 0 obj<</Length %zu>>stream\n%sendstream endobj\n",
					   strlen(content), content)
			       : xstrdup("");
	char *pdf = xasprintf("%%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
			      "2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
			      "3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[%s]%s>>endobj\n%s"
			      "trailer<</Root 1 0 R>>\n%%%%EOF\n",
			      box, content ? "/Contents 4 0 R/Resources<</Font<</F1<</Type/Font"
					     "/Subtype/Type1/BaseFont/Helvetica>>>>>>>>" : "",
			      stream);
	write_text(p, pdf);
	free(pdf);
	free(stream);
	free(content);
	return p;
}

/* A document that makes the test build's reader misbehave (GONIEC_PDFTEXT_HOOKS). */
static char *hook_doc(const char *hook)
{
	char *p = in_dir(hook);
	char *text = xasprintf("%%goniec-test-hook %s\n", hook);
	write_text(p, text);
	free(text);
	return p;
}

/* The children of this process: its PDF text server, when it has one. */
static size_t children(pid_t *pids, size_t cap)
{
	char *path = xasprintf("/proc/self/task/%d/children", (int)getpid());
	FILE *f = fopen(path, "r");
	free(path);
	assert_non_null(f);
	size_t n = 0;
	int pid;
	while (fscanf(f, "%d", &pid) == 1)
		if (n < cap)
			pids[n++] = pid;
	fclose(f);
	return n;
}

static pid_t the_server(void)
{
	pid_t pids[4];
	assert_int_equal(children(pids, 4), 1);
	return pids[0];
}

static size_t open_fds(void)
{
	size_t n = 0;
	DIR *fds = opendir("/proc/self/fd");
	assert_non_null(fds);
	while (readdir(fds))
		n++;
	closedir(fds);
	return n;
}

/* Read a document: its status, or -1 when pdftext_read() failed (err says why). */
static int read_status(const char *path, const struct pdftext_limits *lim, struct gerr *err)
{
	struct pdftext t;
	if (pdftext_read(path, lim, &t, err) != 0)
		return -1;
	int st = (int)t.status;
	pdftext_free(&t);
	return st;
}

static void test_real_sample(void **state)
{
	(void)state;
	struct pdftext t;
	struct gerr err;
	assert_int_equal(pdftext_read(SAMPLES "ksefprinter-fa102-05-2025-energy-ksef-number.pdf",
				      NULL, &t, &err), 0);
	assert_int_equal(t.status, PDFTEXT_OK);
	assert_non_null(strstr(t.text, "Nr: FA102/05/2025"));
	assert_non_null(strstr(t.text, "Nr rachunku: 73111111111111111111111111"));
	/* the two party columns stay apart on one line */
	assert_non_null(strstr(t.text, "NIP: 6511153259   "));
	assert_int_equal(t.pages_read, 1);
	assert_int_equal(t.pages_total, 1);
	assert_false(t.truncated);
	assert_null(t.why);
	/* its verification link is printed only in its QR code (decoded by hand with zbar;
	 * its NIP and date are the invoice's) */
	assert_int_equal(t.ncodes, 1);
	assert_int_equal(t.codes[0].page, 1);
	assert_string_equal(t.codes[0].text, "https://ksef-test.mf.gov.pl/client-app/invoice/"
					     "6511153259/01-09-2025/Ol0h7j-KHU2qm3buNNFfDQgUGAsLI7Mf-fImWKYbbpQ");
	pdftext_free(&t);
	/* a text that prints its link: no page is rendered for codes */
	assert_int_equal(pdftext_read(SAMPLES "mf-generator-fa-yucfo-03-2026-with-ksef-number.pdf",
				      NULL, &t, &err), 0);
	assert_int_equal(t.status, PDFTEXT_OK);
	assert_int_equal(t.ncodes, 0);
	pdftext_free(&t);
}

/* The CPU the readers used to read path n times (their own count, pdftext.h); *text: the
 * text read the last time (owned by the caller). */
/* The CPU one reading of path costs (text: its text, the caller's). */
static long reading_cpu_ms(const char *path, char **text)
{
	struct pdftext t;
	struct gerr err;
	assert_int_equal(pdftext_read(path, NULL, &t, &err), 0);
	assert_int_equal(t.status, PDFTEXT_OK);
	long ms = t.cpu_ms;
	free(*text);
	*text = xstrdup(t.text);
	pdftext_free(&t);
	return ms;
}

/* A PDF/A document names an output profile (OutputIntents); reading its text builds no
 * colour transforms to it (pdfworker/colour.h): a reading of the Ministry generator's
 * invoice costs about what the same file costs with the key renamed (2.5x as much before),
 * and the text is the same. Ten readings of each, in turn, the cheapest of each compared:
 * the least a reading costs is what a busy machine does not inflate. */
static void test_output_profile_costs_nothing(void **state)
{
	(void)state;
	const char *sample = SAMPLES "mf-generator-fa-yucfo-03-2026-v1.10-no-ksef-number.pdf";
	char *data, *plain = in_dir("no-output-intents.pdf"), *with_text, *plain_text;
	size_t len;
	struct gerr err;
	assert_int_equal(read_file(sample, 1 << 24, &data, &len, &err), 0);
	char *key = memmem(data, len, "/OutputIntents", 14);
	assert_non_null(key);
	key[13] = 'X'; /* same length: the cross-reference offsets stay right */
	FILE *f = fopen(plain, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
	long with = LONG_MAX, without = LONG_MAX;
	with_text = plain_text = NULL;
	for (int i = 0; i < 10; i++) {
		long w = reading_cpu_ms(sample, &with_text), p = reading_cpu_ms(plain, &plain_text);
		with = w < with ? w : with;
		without = p < without ? p : without;
	}
	assert_string_equal(with_text, plain_text);
	assert_true(without > 0);
	if (with > without * 3 / 2)
		fail_msg("with its output profile %ld ms of CPU, without %ld ms", with, without);
	free(with_text);
	free(plain_text);
	free(data);
	free(plain);
}

/* A KSeF text with a page of 3000 pt square (6250 pixels a side at the rendering's
 * resolution): rendered scaled down to its pixel cap, not into 150 MiB. */
static void test_huge_page_rendered_small(void **state)
{
	(void)state;
	char *p = one_page_pdf("huge.pdf", "0 0 3000 3000", "Numer KSeF");
	struct pdftext t;
	struct gerr err;
	assert_int_equal(pdftext_read(p, NULL, &t, &err), 0);
	assert_int_equal(t.status, PDFTEXT_OK);
	assert_non_null(strstr(t.text, "Numer KSeF"));
	assert_int_equal(t.ncodes, 0);
	assert_true(t.peak_kib < 100 * 1024);
	pdftext_free(&t);
	free(p);
}

static void test_pages_split_and_capped(void **state)
{
	(void)state;
	struct pdftext t;
	struct gerr err;
	struct pdftext_limits lim = pdftext_default_limits;
	const char *f = SAMPLES "uber-poland-fv-qgyynhoi-0001419-3pages.pdf";
	assert_int_equal(pdftext_read(f, &lim, &t, &err), 0);
	size_t ff = 0;
	for (size_t i = 0; i < t.len; i++)
		ff += t.text[i] == '\f';
	assert_int_equal(ff, 2);
	pdftext_free(&t);
	lim.max_pages = 1;
	assert_int_equal(pdftext_read(f, &lim, &t, &err), 0);
	assert_int_equal(t.status, PDFTEXT_OK);
	assert_null(strchr(t.text, '\f'));
	assert_null(strstr(t.text, "Transportation Agreement"));
	assert_int_equal(t.pages_read, 1);
	assert_int_equal(t.pages_total, 3);
	assert_true(t.truncated);
	pdftext_free(&t);
	lim = pdftext_default_limits;
	lim.max_text = 100;
	assert_int_equal(pdftext_read(f, &lim, &t, &err), 0);
	assert_int_equal(t.status, PDFTEXT_OK);
	assert_int_equal(t.len, 100);
	assert_true(t.truncated);
	pdftext_free(&t);
}

static void test_not_a_pdf(void **state)
{
	(void)state;
	char *p = in_dir("x.pdf");
	write_text(p, "this is not a PDF at all\n");
	struct pdftext t;
	struct gerr err;
	assert_int_equal(pdftext_read(p, NULL, &t, &err), 0);
	assert_int_equal(t.status, PDFTEXT_UNREADABLE);
	assert_non_null(t.why);
	assert_string_equal(t.text, "");
	pdftext_free(&t);
	free(p);
}

/* A PDF with one empty page: readable, no text layer. */
static void test_no_text_layer(void **state)
{
	(void)state;
	char *p = one_page_pdf("scan.pdf", "0 0 595 842", NULL);
	struct pdftext t;
	struct gerr err;
	assert_int_equal(pdftext_read(p, NULL, &t, &err), 0);
	assert_int_equal(t.status, PDFTEXT_NO_TEXT);
	assert_string_equal(pdftext_status_name(t.status), "none");
	assert_non_null(strstr(t.why, "no text layer"));
	pdftext_free(&t);
	free(p);
}

static void test_time_limit(void **state)
{
	(void)state;
	pdftext_set_worker(hook_worker);
	char *p = hook_doc("sleep");
	struct pdftext_limits lim = pdftext_default_limits;
	lim.seconds = 1;
	struct pdftext t;
	struct gerr err;
	int64_t start = now_ms();
	assert_int_equal(pdftext_read(p, &lim, &t, &err), 0);
	assert_true(now_ms() - start < 5000);
	assert_int_equal(t.status, PDFTEXT_TIME_LIMIT);
	assert_non_null(strstr(t.why, "1 s"));
	pdftext_free(&t);
	free(p);
}

static void test_memory_limit(void **state)
{
	(void)state;
	pdftext_set_worker(hook_worker);
	char *p = hook_doc("alloc");
	struct pdftext t;
	struct gerr err;
	assert_int_equal(pdftext_read(p, NULL, &t, &err), 0);
	assert_int_equal(t.status, PDFTEXT_MEMORY_LIMIT);
	assert_non_null(strstr(t.why, "more than the limit of 512 MiB"));
	pdftext_free(&t);
	free(p);
	p = hook_doc("segv");
	assert_int_equal(pdftext_read(p, NULL, &t, &err), 0);
	assert_int_equal(t.status, PDFTEXT_UNREADABLE);
	assert_non_null(strstr(t.why, "signal 11"));
	pdftext_free(&t);
	free(p);
	/* below what the reader maps before it reads anything */
	struct pdftext_limits lim = pdftext_default_limits;
	lim.memory = (uint64_t)16 << 20;
	assert_int_equal(pdftext_read(SAMPLES "qt-witkac-fv-2-15.pdf", &lim, &t, &err), 0);
	assert_int_equal(t.status, PDFTEXT_MEMORY_LIMIT);
	assert_non_null(strstr(t.why, "16 MiB is too small to start"));
	pdftext_free(&t);
}

static void test_limits_reach_the_reader(void **state)
{
	(void)state;
	pdftext_set_worker(hook_worker);
	struct pdftext_limits lim = pdftext_default_limits;
	lim.memory = (uint64_t)1 << 30;
	lim.seconds = 7;
	struct pdftext t;
	struct gerr err;
	char *p = hook_doc("limits");
	assert_int_equal(pdftext_read(p, &lim, &t, &err), 0);
	assert_int_equal(t.status, PDFTEXT_OK);
	assert_string_equal(t.text, "1048576 7\n");
	pdftext_free(&t);
	free(p);
}

/* One server for every document of a process, and no descriptor left behind. */
static void test_many_documents_one_server(void **state)
{
	(void)state;
	pid_t none[1];
	assert_int_equal(children(none, 1), 0);
	size_t fds = open_fds();
	struct gerr err;
	assert_int_equal(read_status(SAMPLE, NULL, &err), PDFTEXT_OK);
	pid_t server = the_server();
	size_t with_server = open_fds();
	assert_int_equal(with_server, fds + 1); /* its socket */
	for (int i = 0; i < 40; i++)
		assert_int_equal(read_status(SAMPLE, NULL, &err), PDFTEXT_OK);
	assert_int_equal(the_server(), server);
	assert_int_equal(open_fds(), with_server);
	pdftext_stop();
	assert_int_equal(children(none, 1), 0); /* killed and reaped */
	assert_int_equal(open_fds(), fds);
}

/* The server after a first document, and the descriptors open with it. */
struct served {
	pid_t server;
	size_t fds;
};

static struct served first_document(const char *worker)
{
	pdftext_set_worker(worker);
	struct gerr err;
	assert_int_equal(read_status(SAMPLE, NULL, &err), PDFTEXT_OK);
	return (struct served){.server = the_server(), .fds = open_fds()};
}

/* A document read after what the test did: by the same server or a new one (the old one
 * reaped), with no descriptor more or less. */
static void next_document_served(struct served before, bool same_server)
{
	struct gerr err;
	assert_int_equal(read_status(SAMPLE, NULL, &err), PDFTEXT_OK);
	if (same_server)
		assert_int_equal(the_server(), before.server);
	else
		assert_int_not_equal(the_server(), before.server);
	assert_int_equal(open_fds(), before.fds);
}

/* A reader killed at a limit (or for its text's length) leaves the server serving. */
static void test_killed_reader_spares_the_server(void **state)
{
	(void)state;
	struct served first = first_document(hook_worker);
	struct gerr err;
	struct pdftext_limits lim = pdftext_default_limits;
	lim.seconds = 1;
	static const struct {
		const char *hook;
		int status;
	} bad[] = {{"segv", PDFTEXT_UNREADABLE}, {"alloc", PDFTEXT_MEMORY_LIMIT},
		   {"sleep", PDFTEXT_TIME_LIMIT}};
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		char *p = hook_doc(bad[i].hook);
		assert_int_equal(read_status(p, &lim, &err), bad[i].status);
		free(p);
	}
	lim = pdftext_default_limits;
	lim.max_text = 200; /* the reader is killed once the text is long enough */
	assert_int_equal(read_status(SAMPLE, &lim, &err), PDFTEXT_OK);
	next_document_served(first, true);
}

static void wait_until_ended(pid_t pid)
{
	char *path = xasprintf("/proc/%d/stat", (int)pid);
	for (int tries = 0; tries < 1000; tries++) {
		char *stat = NULL;
		size_t len;
		struct gerr err;
		bool zombie = read_file(path, 4096, &stat, &len, &err) == 0 && strrchr(stat, ')') &&
			      strrchr(stat, ')')[2] == 'Z';
		free(stat);
		if (zombie)
			break;
		usleep(10000);
	}
	free(path);
}

/* A server that ended between two documents is replaced at the next one. */
static void test_server_killed_between_documents(void **state)
{
	(void)state;
	struct served first = first_document(real_worker);
	assert_int_equal(kill(first.server, SIGKILL), 0);
	wait_until_ended(first.server);
	next_document_served(first, false);
}

/* A server killed in the middle of a document: that document fails (to be read again
 * later), the next one gets a new server. */
static void test_server_killed_mid_document(void **state)
{
	(void)state;
	struct served first = first_document(hook_worker);
	struct gerr err;
	char *p = hook_doc("kill-server");
	int64_t start = now_ms();
	assert_int_equal(read_status(p, NULL, &err), -1);
	assert_true(now_ms() - start < 10000);
	assert_non_null(strstr(err.msg, "the PDF reader ended while reading it"));
	assert_non_null(strstr(err.msg, "kill-server"));
	free(p);
	next_document_served(first, false);
}

/* A forked child (a daemon worker) never talks to its parent's server: it starts its own;
 * the parent's keeps serving the parent. */
static void test_forked_child_has_its_own_server(void **state)
{
	(void)state;
	struct served first = first_document(real_worker);
	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		pid_t pids[4];
		struct gerr err;
		bool ok = children(pids, 4) == 0 && read_status(SAMPLE, NULL, &err) == PDFTEXT_OK &&
			  children(pids, 4) == 1 && pids[0] != first.server;
		pdftext_stop();
		_exit(ok ? 0 : 1);
	}
	int st = 0;
	assert_int_equal(waitpid(child, &st, 0), child);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	next_document_served(first, true);
}

/* A reading's outcome in one string: status, text, pages read. */
static char *outcome(const struct pdftext *t)
{
	return xasprintf("%s|%s|%d", pdftext_status_name(t->status), t->text, t->pages_read);
}

/* Read path and expect this outcome. */
static void expect_outcome(const char *path, const char *want)
{
	struct pdftext t;
	struct gerr err;
	assert_int_equal(pdftext_read(path, NULL, &t, &err), 0);
	char *got = outcome(&t);
	assert_string_equal(got, want);
	free(got);
	pdftext_free(&t);
}

/* Up to `cap` sample PDFs (paths, malloc'd), and the text each gives read on its own. */
static size_t samples_read_alone(char **paths, char **texts, size_t cap)
{
	DIR *d = opendir(SAMPLES);
	assert_non_null(d);
	size_t n = 0;
	struct dirent *e;
	while (n < cap && (e = readdir(d))) {
		if (!str_ends_with(e->d_name, ".pdf"))
			continue;
		paths[n] = xasprintf("%s%s", SAMPLES, e->d_name);
		struct pdftext t;
		struct gerr err;
		assert_int_equal(pdftext_read(paths[n], NULL, &t, &err), 0);
		texts[n++] = outcome(&t);
		pdftext_free(&t);
	}
	closedir(d);
	assert_true(n >= 3);
	return n;
}

/* Documents handed over early are collected, in any order, with the text each gives on
 * its own — also under another name (a file renamed since); one server, nothing left open. */
static void test_prefetched_documents(void **state)
{
	(void)state;
	char *paths[9], *texts[9];
	size_t n = samples_read_alone(paths, texts, 9);
	pdftext_stop();
	size_t fds = open_fds();
	char *renamed = in_dir("renamed.pdf");
	char *copy = in_dir("copy.pdf");
	char *bytes;
	size_t len;
	struct gerr err;
	assert_int_equal(read_file(paths[0], 1 << 24, &bytes, &len, &err), 0);
	assert_int_equal(write_file_atomic(copy, bytes, len, 0600, &err), 0);
	free(bytes);
	for (size_t i = 0; i < n; i++)
		assert_true(pdftext_prefetch(i ? paths[i] : copy, NULL));
	assert_int_equal(rename(copy, renamed), 0);
	for (size_t i = n; i-- > 0;) {
		expect_outcome(i ? paths[i] : renamed, texts[i]);
		free(paths[i]);
		free(texts[i]);
	}
	(void)the_server();
	assert_int_equal(open_fds(), fds + 1); /* the server's socket: every document collected */
	free(renamed);
	free(copy);
}

/* A document handed over early is collected only by a read with the same limits. */
static void test_prefetch_keeps_the_limits(void **state)
{
	(void)state;
	pdftext_set_worker(hook_worker);
	char *p = hook_doc("limits");
	struct pdftext_limits early = pdftext_default_limits, later = pdftext_default_limits;
	early.memory = later.memory = (uint64_t)1 << 30;
	early.seconds = 7;
	later.seconds = 9;
	assert_true(pdftext_prefetch(p, &early));
	struct pdftext t;
	struct gerr err;
	assert_int_equal(pdftext_read(p, &later, &t, &err), 0);
	assert_string_equal(t.text, "1048576 9\n");
	pdftext_free(&t);
	assert_int_equal(pdftext_read(p, &early, &t, &err), 0);
	assert_string_equal(t.text, "1048576 7\n");
	pdftext_free(&t);
	free(p);
}

/* Documents handed to a server that has ended since are handed to the next one. */
static void test_prefetched_outlive_their_server(void **state)
{
	(void)state;
	char *paths[3], *texts[3];
	size_t n = samples_read_alone(paths, texts, 3);
	pid_t server = the_server();
	for (size_t i = 0; i < n; i++)
		assert_true(pdftext_prefetch(paths[i], NULL));
	assert_int_equal(kill(server, SIGKILL), 0);
	wait_until_ended(server);
	for (size_t i = 0; i < n; i++) {
		expect_outcome(paths[i], texts[i]);
		free(paths[i]);
		free(texts[i]);
	}
	assert_int_not_equal(the_server(), server);
}

/* The lines the test build's servers noted in the file `name` of the scratch folder:
 * "starts" (GONIEC_PDFTEXT_STARTS: each server's start), "readers" (GONIEC_PDFTEXT_READERS:
 * each reader's). */
static char *noted(const char *name)
{
	char *p = in_dir(name), *text = NULL;
	size_t len;
	struct gerr err;
	if (read_file(p, 4096, &text, &len, &err) != 0)
		text = xstrdup("");
	free(p);
	return text;
}

/* How many readers the test build's servers have forked (GONIEC_PDFTEXT_READERS). */
static size_t readers_started(void)
{
	char *s = noted("readers");
	size_t n = 0;
	for (const char *p = s; (p = strstr(p, "reader\n")); p++)
		n++;
	free(s);
	return n;
}

/* The door's server, started with the hook build noting its starts. */
static pid_t open_door(void)
{
	pdftext_set_worker(hook_worker);
	char *p = in_dir("starts");
	setenv("GONIEC_PDFTEXT_STARTS", p, 1);
	free(p);
	struct gerr err;
	assert_int_equal(pdftext_door_open(&err), 0);
	assert_true(pdftext_door_fd() >= 0);
	return the_server();
}

/* In a forked child: read the sample twice, with no server of its own. */
static bool child_reads_through_door(void)
{
	pid_t pids[4];
	struct gerr err;
	return read_status(SAMPLE, NULL, &err) == PDFTEXT_OK &&
	       read_status(SAMPLE, NULL, &err) == PDFTEXT_OK && children(pids, 4) == 0;
}

static void wait_ok(pid_t child)
{
	int st = 0;
	assert_int_equal(waitpid(child, &st, 0), child);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/* The daemon's case: one server started, its forked children (run at once) read through
 * its door, none starts a server of its own. */
static void test_door_serves_forked_children(void **state)
{
	(void)state;
	pid_t door = open_door();
	pid_t kids[4];
	for (size_t i = 0; i < ARRAY_LEN(kids); i++) {
		kids[i] = fork();
		assert_true(kids[i] >= 0);
		if (kids[i] == 0)
			_exit(child_reads_through_door() ? 0 : 1);
	}
	for (size_t i = 0; i < ARRAY_LEN(kids); i++)
		wait_ok(kids[i]);
	char *s = noted("starts");
	assert_string_equal(s, "door\n");
	free(s);
	/* a reader per connection: none reads another child's documents */
	assert_int_equal(readers_started(), ARRAY_LEN(kids));
	assert_int_equal(the_server(), door);
	pdftext_stop();
	pid_t none[1];
	assert_int_equal(children(none, 1), 0); /* the door's server killed and reaped */
	assert_int_equal(pdftext_door_fd(), -1);
}

/* The children of pid (its readers, for a server). */
static size_t children_of(pid_t pid)
{
	char *path = xasprintf("/proc/%d/task/%d/children", (int)pid, (int)pid);
	char *text = NULL;
	size_t len, n = 0;
	struct gerr err;
	if (read_file(path, 4096, &text, &len, &err) == 0)
		for (char *t = strtok(text, " \n"); t; t = strtok(NULL, " \n"))
			n++;
	free(text);
	free(path);
	return n;
}

static bool wait_children_of(pid_t pid, size_t want)
{
	for (int tries = 0; tries < 1000; tries++) {
		if (children_of(pid) == want)
			return true;
		usleep(10000);
	}
	return false;
}

/* A child killed in the middle of a document (a worker at its time limit): its
 * connection ends and its reader is killed, and the shared server goes on serving the
 * others. */
static void test_door_child_killed_mid_document(void **state)
{
	(void)state;
	pid_t door = open_door();
	char *p = hook_doc("sleep");
	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		struct gerr err;
		read_status(p, NULL, &err);
		_exit(1);
	}
	assert_true(wait_children_of(door, 1)); /* its reader sleeps */
	kill(child, SIGKILL);
	assert_int_equal(waitpid(child, NULL, 0), child);
	assert_true(wait_children_of(door, 0)); /* the connection ended, its reader killed */
	pid_t other = fork();
	assert_true(other >= 0);
	if (other == 0)
		_exit(child_reads_through_door() ? 0 : 1);
	wait_ok(other);
	assert_int_equal(the_server(), door);
	char *s = noted("starts");
	assert_string_equal(s, "door\n");
	free(s);
	free(p);
}

/* When the shared server has ended, a child reads with a server of its own; the process
 * that reaps it learns it was the shared one. */
static void test_door_ended(void **state)
{
	(void)state;
	pid_t door = open_door();
	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0)
		_exit(child_reads_through_door() ? 0 : 1);
	wait_ok(child);
	assert_int_equal(kill(door, SIGKILL), 0);
	wait_until_ended(door);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		pid_t pids[4];
		struct gerr err;
		_exit(read_status(SAMPLE, NULL, &err) == PDFTEXT_OK && children(pids, 4) == 1 ? 0 : 1);
	}
	wait_ok(child);
	char *s = noted("starts");
	assert_string_equal(s, "door\nserver\n");
	free(s);
	assert_false(pdftext_door_reaped(child));
	assert_int_equal(waitpid(door, NULL, 0), door);
	assert_true(pdftext_door_reaped(door));
	assert_int_equal(pdftext_door_fd(), -1);
}

/* Read path with lim and expect status. */
static void expect_status(const char *path, const struct pdftext_limits *lim, int status)
{
	struct gerr err;
	assert_int_equal(read_status(path, lim, &err), status);
}

/* One reader reads document after document, each with the text it gives on its own, up to
 * PDFPROTO_READER_DOCS; the next is read by a new one. */
static void test_reader_reads_many_documents(void **state)
{
	(void)state;
	char *paths[4], *texts[4];
	pdftext_set_worker(hook_worker);
	size_t n = samples_read_alone(paths, texts, 4);
	assert_int_equal(readers_started(), 1);
	for (size_t i = n; i < PDFPROTO_READER_DOCS; i++)
		expect_outcome(paths[i % n], texts[i % n]);
	assert_int_equal(readers_started(), 1);
	expect_outcome(paths[0], texts[0]);
	assert_int_equal(readers_started(), 2);
	for (size_t i = 0; i < n; i++) {
		free(paths[i]);
		free(texts[i]);
	}
}

/* A hostile document after good ones in the same reader: it is read again by a new reader,
 * and its verdict is the one it gets there (as if read first); the next good document is
 * read as ever. */
static void test_bomb_after_good_documents(void **state)
{
	(void)state;
	pdftext_set_worker(hook_worker);
	struct pdftext_limits lim = pdftext_default_limits;
	lim.seconds = 2;
	static const struct {
		const char *hook;
		int status;
		const char *why;
	} bad[] = {{"alloc", PDFTEXT_MEMORY_LIMIT, "more than the limit of 512 MiB"},
		   {"segv", PDFTEXT_UNREADABLE, "signal 11"},
		   {"sleep", PDFTEXT_TIME_LIMIT, "limit of 2 s"}};
	size_t readers = 0;
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		for (int k = 0; k < 3; k++)
			expect_status(SAMPLE, &lim, PDFTEXT_OK);
		char *p = hook_doc(bad[i].hook);
		struct pdftext t;
		struct gerr err;
		int64_t start = now_ms();
		assert_int_equal(pdftext_read(p, &lim, &t, &err), 0);
		assert_int_equal(t.status, bad[i].status);
		assert_non_null(strstr(t.why, bad[i].why));
		assert_true(now_ms() - start < 10000);
		pdftext_free(&t);
		free(p);
		readers += 2; /* the one of the good documents, the new one the bad one ended */
		assert_int_equal(readers_started(), readers);
	}
	expect_status(SAMPLE, &lim, PDFTEXT_OK);
	assert_int_equal(readers_started(), readers + 1);
}

/* What a document leaves in its reader never fails the next one: a reader that dies on a
 * document after another is replaced, and the document read again. */
static void test_leftovers_never_fail_a_later_document(void **state)
{
	(void)state;
	pdftext_set_worker(hook_worker);
	char *p = hook_doc("poison");
	expect_status(p, NULL, PDFTEXT_UNREADABLE); /* not a PDF, but its reader is poisoned */
	expect_status(SAMPLE, NULL, PDFTEXT_OK);
	assert_int_equal(readers_started(), 2);
	free(p);
}

/* A reader that has grown takes no more documents. */
static void test_grown_reader_retires(void **state)
{
	(void)state;
	pdftext_set_worker(hook_worker);
	char *p = hook_doc("grow");
	expect_status(SAMPLE, NULL, PDFTEXT_OK);
	expect_status(p, NULL, PDFTEXT_UNREADABLE);
	assert_int_equal(readers_started(), 1);
	expect_status(SAMPLE, NULL, PDFTEXT_OK);
	assert_int_equal(readers_started(), 2);
	free(p);
}

/* Each document gets its own CPU seconds: the reader's limit is what it has used (here
 * 1.1 s on an earlier document) plus the document's seconds. A document with other limits
 * gets a reader of its own. */
static void test_cpu_limit_per_document(void **state)
{
	(void)state;
	pdftext_set_worker(hook_worker);
	struct pdftext_limits lim = pdftext_default_limits;
	lim.memory = (uint64_t)1 << 30;
	lim.seconds = 7;
	char *spin = hook_doc("spin"), *limits = hook_doc("limits");
	struct pdftext t;
	struct gerr err;
	assert_int_equal(pdftext_read(limits, &lim, &t, &err), 0);
	assert_string_equal(t.text, "1048576 7\n");
	pdftext_free(&t);
	expect_status(spin, &lim, PDFTEXT_UNREADABLE);
	assert_int_equal(pdftext_read(limits, &lim, &t, &err), 0);
	assert_string_equal(t.text, "1048576 8\n");
	pdftext_free(&t);
	assert_int_equal(readers_started(), 1);
	lim.memory = (uint64_t)768 << 20;
	assert_int_equal(pdftext_read(limits, &lim, &t, &err), 0);
	assert_string_equal(t.text, "786432 7\n");
	pdftext_free(&t);
	assert_int_equal(readers_started(), 2);
	free(spin);
	free(limits);
}

static void test_worker_missing(void **state)
{
	(void)state;
	char *w = in_dir("no-such-worker");
	pdftext_set_worker(w);
	struct pdftext t;
	struct gerr err;
	char *p = in_dir("x.pdf");
	write_text(p, "%PDF-1.4\n");
	assert_int_equal(pdftext_read(p, NULL, &t, &err), -1);
	assert_non_null(strstr(err.msg, "cannot run the PDF reader"));
	assert_non_null(strstr(err.msg, "x.pdf"));
	free(p);
	free(w);
}

/* A reader may have read a hostile PDF: what it says of QR codes is taken only as the
 * protocol has it (fuzz_pdftext: control characters and bytes past ASCII came through). */
static void test_judge_takes_only_printable_codes(void **state)
{
	(void)state;
	static const char diag[] = "pdftext: qr 1 https://ksef-test.mf.gov.pl/client-app/invoice/1\n"
				   "pdftext: qr 1 https://ksef.mf.gov.pl/\x1b[2J\rok\n"
				   "pdftext: qr 2 https://ksef.mf.gov.pl/\xc5\x82\n"
				   "pdftext: qr 0 https://ksef.mf.gov.pl/page-0\n"
				   "pdftext: pages 2 of 3\n";
	struct pdftext_reading r = {0};
	struct pdftext out = {0};
	buf_puts(&r.text, "Faktura VAT\n");
	buf_puts(&r.errs, diag);
	pdftext_judge(0, &r, &pdftext_default_limits, &out);
	assert_int_equal(out.status, PDFTEXT_OK);
	assert_string_equal(out.text, "Faktura VAT\n");
	assert_int_equal(out.ncodes, 1);
	assert_int_equal(out.codes[0].page, 1);
	assert_string_equal(out.codes[0].text, "https://ksef-test.mf.gov.pl/client-app/invoice/1");
	assert_int_equal(out.pages_read, 2);
	assert_true(out.truncated);
	pdftext_free(&out);
	buf_free(&r.text);
	buf_free(&r.errs);
}

/* A request that comes with more descriptors than the protocol has is malformed: none is
 * written past the caller's PDFPROTO_READ_FDS, and all of them are closed (the control
 * buffer, rounded up for alignment, has room for one more than the protocol sends). */
static void test_receive_too_many_fds(void **state)
{
	(void)state;
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	int extra[PDFPROTO_READ_FDS + 1];
	for (size_t i = 0; i < ARRAY_LEN(extra); i++)
		extra[i] = sv[0];
	struct pdfproto_request rq = {0};
	union {
		struct cmsghdr h;
		char space[CMSG_SPACE(sizeof extra)];
	} ctl = {0};
	struct iovec iov = {.iov_base = &rq, .iov_len = sizeof rq};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = &ctl,
			   .msg_controllen = CMSG_SPACE(sizeof extra)};
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof extra);
	memcpy(CMSG_DATA(c), extra, sizeof extra);
	assert_int_equal(sendmsg(sv[0], &m, 0), (ssize_t)sizeof rq);
	size_t before = open_fds();
	struct {
		int fds[PDFPROTO_READ_FDS];
		int after;
	} got = {.after = -7};
	assert_int_equal(pdfproto_receive(sv[1], &rq, got.fds), -1);
	assert_int_equal(got.after, -7);
	assert_int_equal(open_fds(), before);
	close(sv[0]);
	close(sv[1]);
}

int main(int argc, char **argv)
{
	(void)argc;
	real_worker = built_program(argv[0], "goniec-pdftext");
	hook_worker = built_program(argv[0], "test/goniec-pdftext");
	setenv("GONIEC_PDFTEXT_HOOKS", "1", 1);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_judge_takes_only_printable_codes),
		cmocka_unit_test_setup_teardown(test_real_sample, setup, teardown),
		cmocka_unit_test_setup_teardown(test_output_profile_costs_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_huge_page_rendered_small, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pages_split_and_capped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_a_pdf, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_text_layer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_time_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_memory_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_limits_reach_the_reader, setup, teardown),
		cmocka_unit_test_setup_teardown(test_worker_missing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_door_serves_forked_children, setup, teardown),
		cmocka_unit_test_setup_teardown(test_door_child_killed_mid_document, setup, teardown),
		cmocka_unit_test_setup_teardown(test_door_ended, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_documents_one_server, setup, teardown),
		cmocka_unit_test_setup_teardown(test_killed_reader_spares_the_server, setup, teardown),
		cmocka_unit_test_setup_teardown(test_server_killed_between_documents, setup, teardown),
		cmocka_unit_test_setup_teardown(test_server_killed_mid_document, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forked_child_has_its_own_server, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prefetched_documents, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prefetch_keeps_the_limits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prefetched_outlive_their_server, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reader_reads_many_documents, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bomb_after_good_documents, setup, teardown),
		cmocka_unit_test_setup_teardown(test_leftovers_never_fail_a_later_document, setup, teardown),
		cmocka_unit_test_setup_teardown(test_grown_reader_retires, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cpu_limit_per_document, setup, teardown),
		cmocka_unit_test(test_receive_too_many_fds),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	free(real_worker);
	free(hook_worker);
	return rc;
}
