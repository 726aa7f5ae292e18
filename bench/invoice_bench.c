/* Benchmark helper for bench/invoice.sh, linked with goniec's objects:
 *   invoice_bench text SERVER PDF...         each PDF's text (into PDF.txt) through the
 *                                            PDF text server: docs/s, readers' peak memory
 *   invoice_bench rules RULES.yaml TEXT...   field rules over layout texts: docs/s
 *   invoice_bench keys STATE N               N invoices into the invoice-key index
 *                                            (1% of them copies): checks/s at the end */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/dedupe.h"
#include "core/invkeys.h"
#include "formats/invrules.h"
#include "formats/pdftext.h"

static int text_bench(int argc, char **argv)
{
	pdftext_set_worker(argv[2]);
	int64_t t0 = now_ms();
	long peak = 0;
	int n = 0;
	for (int i = 3; i < argc; i++, n++) {
		struct pdftext t;
		struct gerr err;
		if (pdftext_read(argv[i], NULL, &t, &err) != 0) {
			fprintf(stderr, "%s\n", err.msg);
			return 1;
		}
		peak = t.peak_kib > peak ? t.peak_kib : peak;
		char *out = xasprintf("%.*s.txt", (int)(strlen(argv[i]) - 4), argv[i]);
		FILE *f = fopen(out, "w");
		if (!f || fwrite(t.text, 1, t.len, f) != t.len || fclose(f) != 0) {
			perror(out);
			return 1;
		}
		free(out);
		pdftext_free(&t);
	}
	double secs = (double)(now_ms() - t0) / 1000.0;
	printf("text:  %d PDFs in %.1f s: %.1f docs/s, reader peak %.1f MiB\n", n, secs,
	       secs > 0 ? n / secs : 0.0, peak / 1024.0);
	return 0;
}

static int rules_bench(int argc, char **argv)
{
	char *text;
	size_t len;
	struct gerr err;
	struct diag d = {0};
	if (read_file(argv[2], 1 << 20, &text, &len, &err) != 0)
		return 1;
	struct inv_rules *rs = inv_rules_load_string(argv[2], text, len, &d);
	free(text);
	if (!rs)
		return 1;
	int64_t spent = 0;
	int n = 0, found = 0;
	for (int i = 3; i < argc; i++, n++) {
		if (read_file(argv[i], 16 << 20, &text, &len, &err) != 0)
			return 1;
		struct inv_reading r;
		int64_t t0 = now_ms();
		inv_rules_read(rs, text, &r);
		spent += now_ms() - t0;
		for (int f = 0; f < TF_COUNT; f++)
			found += r.f[f].found;
		free(text);
	}
	printf("rules: %d texts in %.2f s: %.0f docs/s (%d fields found)\n", n, spent / 1000.0,
	       spent ? n * 1000.0 / (double)spent : 0.0, found);
	inv_rules_free(rs);
	return 0;
}

static int keys_bench(const char *state, long n)
{
	struct gerr err;
	char *spool = path_join(state, "spool");
	mkdir(spool, 0700);
	struct invkeys *ik = invkeys_open(state, spool, &err);
	if (!ik) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	int64_t t0 = now_ms(), lap = t0;
	long copies = 0;
	for (long i = 0; i < n; i++) {
		char sha[65], num[32], nip[11], rel[32];
		bool copy = i % 100 == 99;          /* a copy of invoice i - 50 */
		long inv = copy ? i - 50 : i;
		snprintf(sha, sizeof sha, "%064lx", i);
		snprintf(num, sizeof num, "FV/%ld/2026", inv);
		snprintf(nip, sizeof nip, "%010ld", 5260250995L + inv % 1000 * 11);
		struct invkey_doc d = {.seller_nip = nip, .number = num, .has_gross = true,
				       .gross = inv * 7 % 100000, .currency = "PLN", .sha256 = sha};
		if (i % 100 == 49) { /* the ones copied later are in the spool */
			snprintf(rel, sizeof rel, "d%ld", i);
			char *p = path_join(spool, rel);
			FILE *f = fopen(p, "w");
			if (f)
				fclose(f);
			free(p);
			free(dedupe_content_index_add(state, sha, rel, &err));
		}
		char *first, *reason;
		if (invkeys_check_and_add(ik, &d, &first, &reason, &err) != 0) {
			fprintf(stderr, "%s\n", err.msg);
			return 1;
		}
		copies += first != NULL;
		free(first);
		free(reason);
		if ((i + 1) % (n / 10) == 0) {
			int64_t now = now_ms();
			printf("keys: %8ld recorded, last %ld at %.0f checks/s\n", i + 1, n / 10,
			       (n / 10) * 1000.0 / (double)(now - lap + 1));
			lap = now;
		}
	}
	printf("keys: %ld invoices, %ld copies recognised (of %ld), %.1f s in all\n", n, copies,
	       n / 100, (now_ms() - t0) / 1000.0);
	invkeys_close(ik);
	free(spool);
	return copies == n / 100 ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc >= 4 && strcmp(argv[1], "text") == 0)
		return text_bench(argc, argv);
	if (argc >= 4 && strcmp(argv[1], "rules") == 0)
		return rules_bench(argc, argv);
	if (argc == 4 && strcmp(argv[1], "keys") == 0)
		return keys_bench(argv[2], atol(argv[3]));
	fprintf(stderr, "usage: invoice_bench text SERVER PDF... | rules RULES TEXT... | keys STATE N\n");
	return 2;
}
