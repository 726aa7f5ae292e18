/* Unit tests of the invoice-key index (core/invkeys.h): the same invoice recognised by
 * KSeF number or by seller NIP + normalised number with gross amounts that agree; the
 * first copy named; kept across reopening; one original when two processes race. */
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"
#include "core/dedupe.h"
#include "core/invkeys.h"

static struct spool_tree tree;
static char *dir, *spool, *state;


static int setup(void **s)
{
	(void)s;
	make_spool_tree(&tree);
	dir = tree.dir;
	spool = tree.spool;
	state = tree.state;
	return 0;
}

static int teardown(void **s)
{
	(void)s;
	free_spool_tree(&tree);
	return 0;
}

/* A document filed in the spool: its file, and its content hash in the content index
 * (made from its name: one hash per document). Returns the hash. */
static const char *doc(const char *relpath)
{
	static char shas[64][65];
	static int n;
	char *p = path_join(spool, relpath);
	write_text(p, "x");
	free(p);
	char *sha = shas[n++ % 64];
	snprintf(sha, 65, "%064x", (unsigned)(n * 7919));
	for (const char *c = relpath; *c; c++)
		sha[(c - relpath) % 64] = "0123456789abcdef"[(unsigned char)*c % 16];
	struct gerr err;
	free(dedupe_content_index_add(state, sha, relpath, &err));
	return sha;
}

static void add(struct invkeys *ik, struct invkey_doc d, const char *want_first,
		const char *want_reason)
{
	char *first, *reason;
	struct gerr err;
	assert_int_equal(invkeys_check_and_add(ik, &d, &first, &reason, &err), 0);
	if (!want_first) {
		assert_null(first);
		assert_null(reason);
		return;
	}
	if (!first)
		fail_msg("no first copy found, expected %s", want_first);
	assert_string_equal(first, want_first);
	assert_non_null(strstr(reason, want_reason));
	free(first);
	free(reason);
}

static void test_normalise(void **s)
{
	(void)s;
	char out[INVKEYS_NUMBER_MAX + 1];
	invkeys_normalise_number("fv 001/05/2021", out);
	assert_string_equal(out, "FV1/5/2021");
	invkeys_normalise_number("FV1/5/2021", out);
	assert_string_equal(out, "FV1/5/2021");
	invkeys_normalise_number("PL/0417/01/2026", out);
	assert_string_equal(out, "PL/417/1/2026");
	invkeys_normalise_number("0000/A0B", out);
	assert_string_equal(out, "0/A0B");
	invkeys_normalise_number("10/2007", out);
	assert_string_equal(out, "10/2007");
}

/* What the index can look a document up by; without it the index is not needed. */
static void test_has_key(void **s)
{
	(void)s;
	assert_true(invkeys_has_key(&(struct invkey_doc){.ksef_number = "5265877635-20250808-9231003CA67B-BE"}));
	assert_true(invkeys_has_key(&(struct invkey_doc){.seller_nip = "5265877635", .number = "FV 1/2026"}));
	assert_false(invkeys_has_key(&(struct invkey_doc){.seller_nip = "5265877635"}));
	assert_false(invkeys_has_key(&(struct invkey_doc){.number = "FV 1/2026"}));
	assert_false(invkeys_has_key(&(struct invkey_doc){.seller_nip = "5265877635", .number = "  "}));
	assert_false(invkeys_has_key(&(struct invkey_doc){.ksef_number = "", .seller_nip = ""}));
	assert_false(invkeys_has_key(&(struct invkey_doc){.sha256 = "00"}));
}

static void test_same_invoice(void **s)
{
	(void)s;
	struct gerr err;
	struct invkeys *ik = invkeys_open(state, spool, &err);
	assert_non_null(ik);
	const char *ksef = "5265877635-20250808-9231003CA67B-BE";
	/* the PDF from the mailbox, with no KSeF number printed */
	add(ik, (struct invkey_doc){.seller_nip = "5265877635", .number = "FA/0001/03/2026",
				    .has_gross = true, .gross = 3356950, .currency = "PLN",
				    .sha256 = doc("mail.pdf")}, NULL, NULL);
	/* the portal's PDF: number written otherwise, gross unknown */
	add(ik, (struct invkey_doc){.seller_nip = "5265877635", .number = "fa/1/03/2026",
				    .sha256 = doc("portal.pdf")},
	    "mail.pdf", "same seller NIP 5265877635 and invoice number fa/1/03/2026");
	/* the XML from KSeF: KSeF number and the same gross */
	add(ik, (struct invkey_doc){.ksef_number = ksef, .seller_nip = "5265877635",
				    .number = "FA/0001/03/2026", .has_gross = true, .gross = 3356950,
				    .currency = "PLN", .sha256 = doc("ksef.xml")},
	    "mail.pdf", "same seller NIP");
	/* a later copy with only the KSeF number: found by it (the XML gave the invoice
	 * its KSeF number), and the first copy is still the mailbox's */
	add(ik, (struct invkey_doc){.ksef_number = ksef, .sha256 = doc("again.pdf")}, "mail.pdf",
	    "same KSeF number " "5265877635-20250808-9231003CA67B-BE");
	/* same number, gross disagrees: another invoice */
	add(ik, (struct invkey_doc){.seller_nip = "5265877635", .number = "FA/1/03/2026",
				    .has_gross = true, .gross = 100, .currency = "PLN",
				    .sha256 = doc("other.pdf")}, NULL, NULL);
	/* same number, another currency: another invoice */
	add(ik, (struct invkey_doc){.seller_nip = "5265877635", .number = "FA/1/03/2026",
				    .has_gross = true, .gross = 3356950, .currency = "EUR",
				    .sha256 = doc("eur.pdf")}, NULL, NULL);
	/* another seller, same number */
	add(ik, (struct invkey_doc){.seller_nip = "7251801126", .number = "FA/1/03/2026",
				    .sha256 = doc("seller2.pdf")}, NULL, NULL);
	/* two different KSeF numbers: two invoices, although NIP and number agree */
	add(ik, (struct invkey_doc){.ksef_number = "5265877635-20250809-9231003CA67B-00",
				    .seller_nip = "5265877635", .number = "FA/1/03/2026",
				    .has_gross = true, .gross = 3356950, .currency = "PLN",
				    .sha256 = doc("ksef2.xml")}, NULL, NULL);
	/* nothing to go by: not looked up, not recorded */
	long n = invkeys_count(ik);
	add(ik, (struct invkey_doc){.number = "FA/1/03/2026", .sha256 = doc("nonip.pdf")}, NULL, NULL);
	assert_int_equal(invkeys_count(ik), n);
	invkeys_close(ik);
}

static void test_kept_and_first_gone(void **s)
{
	(void)s;
	struct gerr err;
	struct invkeys *ik = invkeys_open(state, spool, &err);
	add(ik, (struct invkey_doc){.seller_nip = "5260250995", .number = "1/2026", .sha256 = doc("a.pdf")},
	    NULL, NULL);
	add(ik, (struct invkey_doc){.seller_nip = "5260250995", .number = "1/2026", .sha256 = doc("b.pdf")},
	    "a.pdf", "same seller NIP");
	invkeys_close(ik);
	ik = invkeys_open(state, spool, &err); /* a restart */
	assert_non_null(ik);
	assert_int_equal(invkeys_count(ik), 2);
	add(ik, (struct invkey_doc){.seller_nip = "5260250995", .number = "1/2026", .sha256 = doc("c.pdf")},
	    "a.pdf", "same seller NIP");
	/* the first copy's document is gone (a crash before its sidecar; cleaned up): the
	 * next one recorded stands in */
	char *a = path_join(spool, "a.pdf");
	unlink(a);
	free(a);
	add(ik, (struct invkey_doc){.seller_nip = "5260250995", .number = "1/2026", .sha256 = doc("d.pdf")},
	    "b.pdf", "same seller NIP");
	invkeys_close(ik);
	struct stat st;
	char *db = path_join(state, INVKEYS_FILE);
	assert_int_equal(stat(db, &st), 0);
	assert_int_equal(st.st_mode & 077, 0);
	free(db);
}

/* Two workers file copies of one invoice at the same moment: one original. */
static void test_race(void **s)
{
	(void)s;
	enum { KIDS = 4, EACH = 25 };
	for (int k = 0; k < KIDS; k++) {
		pid_t pid = fork();
		assert_true(pid >= 0);
		if (pid)
			continue;
		struct gerr err;
		struct invkeys *ik = invkeys_open(state, spool, &err);
		int originals = 0;
		for (int i = 0; i < EACH && ik; i++) {
			char rel[32], num[16], *first, *reason;
			snprintf(rel, sizeof rel, "k%d-%d.pdf", k, i);
			snprintf(num, sizeof num, "%d/2026", i);
			struct invkey_doc d = {.seller_nip = "5260250995", .number = num,
					       .sha256 = doc(rel)};
			if (invkeys_check_and_add(ik, &d, &first, &reason, &err) != 0) {
				fprintf(stderr, "worker %d: %s\n", k, err.msg);
				_exit(100);
			}
			originals += first == NULL;
			free(first);
			free(reason);
		}
		if (!ik)
			fprintf(stderr, "worker %d: %s\n", k, err.msg);
		invkeys_close(ik);
		_exit(ik ? originals : 101);
	}
	int total = 0;
	for (int k = 0; k < KIDS; k++) {
		int st;
		assert_true(wait(&st) > 0);
		assert_true(WIFEXITED(st) && WEXITSTATUS(st) <= EACH);
		total += WEXITSTATUS(st);
	}
	assert_int_equal(total, EACH); /* each invoice number once original */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_normalise),
		cmocka_unit_test(test_has_key),
		cmocka_unit_test_setup_teardown(test_same_invoice, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kept_and_first_gone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_race, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
