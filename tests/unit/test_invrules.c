/* Unit tests of the invoice value readers (formats/invvalue.h) and the field rules over
 * layout text (formats/invrules.h): what is read, what is refused, whose NIP a NIP is,
 * the user's rules before the shipped ones, and errors that name file:line:col. */
#include <sys/stat.h>

#include "testutil.h"
#include "readdir_fail.h"
#include "formats/invrules.h"
#include "formats/invvalue.h"

static void test_dates(void **state)
{
	(void)state;
	char d[11];
	assert_int_equal(inv_read_date("2026-01-12,", d), 10);
	assert_string_equal(d, "2026-01-12");
	assert_int_equal(inv_read_date("1.9.2025", d), 8);
	assert_string_equal(d, "2025-09-01");
	assert_int_equal(inv_read_date("11-01-2024", d), 10);
	assert_string_equal(d, "2024-01-11");
	assert_true(inv_read_date("1 stycznia 2022", d));
	assert_string_equal(d, "2022-01-01");
	assert_true(inv_read_date("18 sty 2022", d));
	assert_string_equal(d, "2022-01-18");
	assert_true(inv_read_date("3 LISTOPADA 2020", d));
	assert_string_equal(d, "2020-11-03");
	assert_true(inv_read_date("5 pa\xc5\xba" "dziernika 2023", d));
	assert_string_equal(d, "2023-10-05");
	assert_int_equal(inv_read_date("2025-02-29", d), 0);      /* no such day */
	assert_int_equal(inv_read_date("2024-02-29", d), 10);     /* leap year */
	assert_int_equal(inv_read_date("31.04.2025", d), 0);
	assert_int_equal(inv_read_date("2025-13-01", d), 0);
	assert_int_equal(inv_read_date("12.01.20255", d), 0);     /* digit glued on */
	assert_int_equal(inv_read_date("2025-01-0", d), 0);       /* day 0 */
	assert_int_equal(inv_read_date("106na ust. 1", d), 0);
	assert_int_equal(inv_read_date("1 ustawy 2023", d), 0);
	assert_int_equal(inv_read_date("12.01.25", d), 0);        /* two-digit year: unsure */
}

static void test_amounts(void **state)
{
	(void)state;
	int64_t m;
	char cur[4];
	assert_int_equal(inv_read_amount("1 234,56", &m, cur), 8);
	assert_int_equal(m, 123456);
	assert_string_equal(cur, "");
	assert_true(inv_read_amount("17 115,45PLN", &m, cur));
	assert_int_equal(m, 1711545);
	assert_string_equal(cur, "PLN");
	assert_true(inv_read_amount("42,94 z\xc5\x82", &m, cur));
	assert_int_equal(m, 4294);
	assert_string_equal(cur, "PLN");
	assert_true(inv_read_amount("-17,22 PLN", &m, cur));
	assert_int_equal(m, -1722);
	assert_true(inv_read_amount("1.234,56", &m, cur));
	assert_int_equal(m, 123456);
	assert_true(inv_read_amount("33569,50", &m, cur));
	assert_int_equal(m, 3356950);
	assert_true(inv_read_amount("109.46 EUR", &m, cur));
	assert_string_equal(cur, "EUR");
	assert_int_equal(inv_read_amount("23.00%", &m, cur), 0);  /* a rate */
	assert_int_equal(inv_read_amount("280z\xc5\x82", &m, cur), 0); /* no decimals */
	assert_int_equal(inv_read_amount("18.01.2022", &m, cur), 0);
	assert_int_equal(inv_read_amount("1,2345", &m, cur), 0);
	assert_int_equal(inv_read_amount("12,50abc", &m, cur), 0);
	assert_int_equal(inv_read_amount("1234567890123456,00", &m, cur), 0);
}

static void test_identifiers(void **state)
{
	(void)state;
	char nip[NIP_LEN + 1], acc[IBAN_MAX_LEN + 1], num[INV_NUMBER_MAX + 1];
	char ksef[INV_KSEF_LEN + 1], url[INV_URL_MAX + 1];
	assert_true(inv_read_nip("PL7010283960", nip));
	assert_string_equal(nip, "7010283960");
	assert_true(inv_read_nip("839-31-72-913", nip));
	assert_string_equal(nip, "8393172913");
	assert_true(inv_read_nip("PL 526 025 09 95", nip));
	assert_int_equal(inv_read_nip("6511153259", nip), 0);     /* checksum */
	assert_int_equal(inv_read_nip("000-000-00-00", nip), 0);  /* placeholder */
	assert_int_equal(inv_read_nip("123456789", nip), 0);
	assert_int_equal(inv_read_nip("52602509951", nip), 0);
	assert_int_equal(inv_read_nip("526-025-0995x", nip), 0);
	assert_true(inv_read_account("42 1140 2004 0000 3502 7477 8440", acc));
	assert_string_equal(acc, "PL42114020040000350274778440");
	assert_true(inv_read_account("73111111111111111111111111", acc));
	assert_true(inv_read_account("PL61 1090 1014 0000 0712 1981 2874 Bank", acc));
	assert_string_equal(acc, "PL61109010140000071219812874");
	assert_int_equal(inv_read_account("234314234234234234", acc), 0);
	assert_int_equal(inv_read_account("74111111111111111111111111", acc), 0);
	assert_true(inv_read_number("FV 1/05/2021", num));
	assert_string_equal(num, "FV 1/05/2021");
	assert_true(inv_read_number(": PL/417/01/2026 KOPIA", num));
	assert_string_equal(num, "PL/417/01/2026");
	assert_true(inv_read_number(". 522339", num));
	assert_string_equal(num, "522339");
	assert_int_equal(inv_read_number("klienta 12345", num), 0);
	assert_int_equal(inv_read_number("zam\xc3\xb3wienia : 273110", num), 0);
	assert_true(inv_read_ksef("5265877635-20250808-9231003CA67B-BE", ksef));
	assert_int_equal(inv_read_ksef("5265877635-20251308-9231003CA67B-BE", ksef), 0);
	assert_int_equal(inv_read_ksef("NONE", ksef), 0);
	assert_true(inv_read_url("https://qr.ksef.mf.gov.pl/invoice/1/2 x", url));
	assert_string_equal(url, "https://qr.ksef.mf.gov.pl/invoice/1/2");
	assert_int_equal(inv_read_url("https://evil.example/mf.gov.pl/x", url), 0);
	assert_int_equal(inv_read_url("https://notmf.gov.pl/x", url), 0);
}

static void test_fold(void **state)
{
	(void)state;
	size_t *map;
	char *f = inv_fold("Sprzeda\xc5\xbc Hu\xef\xac\x81" "ec A\xcc\xa8", &map);
	assert_string_equal(f, "sprzedaz hufiec a");
	assert_int_equal(map[8], 9); /* the space after the two-byte ż */
	free(f);
	free(map);
}

static const char *const rules_text =
	"parties:\n"
	"  - {role: seller, label: '^sprzedawca:?$'}\n"
	"  - {role: buyer, label: '^nabywca:?$'}\n"
	"  - {role: buyer, beside: seller}\n"
	"rules:\n"
	"  - {name: nr, field: number, take: right-or-below, label: 'faktura( vat)? nr'}\n"
	"  - {name: issued, field: issue_date, take: right-or-below, label: '^data wystawienia:?'}\n"
	"  - {name: nip, field: nip, label: '(^| )nip:?( |$)'}\n"
	"  - {name: row, field: totals, label: '^razem:?( |$)'}\n"
	"  - {name: head, field: totals, take: below, lines: 1, single: true, label: '^kwota netto$'}\n"
	"  - {name: g, field: gross, label: 'do zaplaty:?'}\n"
	"  - {name: n, field: net, label: 'netto:'}\n"
	"  - {name: v, field: vat, label: 'vat:'}\n"
	"  - {name: acc, field: account, label: 'konto:?'}\n"
	"  - {name: ksef, field: ksef_number, take: anywhere}\n"
	"  - {name: mpp, field: split_payment, take: anywhere, set: 'true', label: 'podzielonej platnosci'}\n";

static struct inv_rules *load(const char *text)
{
	struct diag d = {0};
	struct inv_rules *rs = inv_rules_load_string("rules.yaml", text, strlen(text), &d);
	diag_print(&d, stderr);
	diag_free(&d);
	assert_non_null(rs);
	return rs;
}

static void test_party_blocks(void **state)
{
	(void)state;
	struct inv_rules *rs = load(rules_text);
	struct inv_reading r;
	inv_rules_read(rs,
		       "Faktura VAT nr FV/2026/01/\n"
		       "               000123\n"
		       "Sprzedawca:          Nabywca:\n"
		       "Firma A              Firma B\n"
		       "NIP: 5260250995      NIP: PL 725-18-01-126\n"
		       "\n"
		       "Razem:   100,00  23,00  123,00 PLN\n"
		       "Konto: 61 1090 1014 0000 0712 1981 2874\n"
		       "Mechanizm podzielonej p\xc5\x82" "atno\xc5\x9b" "ci\n",
		       &r);
	assert_string_equal(r.f[TF_NUMBER].value, "FV/2026/01/000123");
	assert_string_equal(r.f[TF_SELLER_NIP].value, "5260250995");
	assert_string_equal(r.f[TF_BUYER_NIP].value, "7251801126");
	assert_string_equal(r.f[TF_BUYER_NIP].rule, "nip");
	assert_int_equal(r.f[TF_BUYER_NIP].line, 5);
	assert_string_equal(r.f[TF_NET].value, "100.00");
	assert_string_equal(r.f[TF_VAT].value, "23.00");
	assert_string_equal(r.f[TF_GROSS].value, "123.00");
	assert_string_equal(r.f[TF_CURRENCY].value, "PLN");
	assert_string_equal(r.f[TF_ACCOUNT].value, "PL61109010140000071219812874");
	assert_string_equal(r.f[TF_SPLIT_PAYMENT].value, "true");
	assert_false(r.f[TF_ISSUE_DATE].found);
	/* a buyer with no label, beside the seller's block */
	inv_rules_read(rs,
		       "Firma B                    Sprzedawca:\n"
		       "NIP: 7251801126            Firma A\n"
		       "                           NIP: 5260250995\n",
		       &r);
	assert_string_equal(r.f[TF_SELLER_NIP].value, "5260250995");
	assert_string_equal(r.f[TF_BUYER_NIP].value, "7251801126");
	inv_rules_free(rs);
}

static void test_never_guessed(void **state)
{
	(void)state;
	struct inv_rules *rs = load(rules_text);
	struct inv_reading r;
	/* two different NIPs in the seller's block, NIPs outside any block, totals that do
	 * not add up, a two-row table under a header: nothing is sure, nothing is read */
	inv_rules_read(rs,
		       "Sprzedawca:\n"
		       "NIP: 5260250995\n"
		       "NIP: 7251801126\n"
		       "\n\n\n\n\n\n\n\n\n\n\n\n"
		       "NIP: 5260250995\n"
		       "Razem:  100,00  23,00  124,00\n"
		       "Netto: 100,00\n"
		       "VAT: 23,00\n"
		       "Do zap\xc5\x82" "aty: 124,00\n"
		       "Kwota netto\n"
		       "8%  10,00  0,80  10,80\n"
		       "23% 10,00  2,30  12,30\n",
		       &r);
	for (int f = 0; f < TF_COUNT; f++)
		if (r.f[f].found)
			fail_msg("%s read as %s by %s", inv_tfield_name(f), r.f[f].value, r.f[f].rule);
	inv_rules_free(rs);
}

static void test_header_row(void **state)
{
	(void)state;
	struct inv_rules *rs = load(rules_text);
	struct inv_reading r;
	inv_rules_read(rs,
		       "Stawka     Kwota netto   Kwota VAT    Kwota brutto\n"
		       "\n"
		       "23%         13 915,00     3 200,45     17 115,45\n"
		       "\n"
		       "Data wystawienia:\n"
		       "   1 stycznia 2026\n"
		       "KSeF 5265877635-20250826-0100001AF629-AF\n",
		       &r);
	assert_string_equal(r.f[TF_GROSS].value, "17115.45");
	assert_string_equal(r.f[TF_GROSS].rule, "head");
	assert_int_equal(r.f[TF_GROSS].line, 3);
	assert_string_equal(r.f[TF_ISSUE_DATE].value, "2026-01-01");
	assert_string_equal(r.f[TF_KSEF_NUMBER].value, "5265877635-20250826-0100001AF629-AF");
	inv_rules_free(rs);
}

static void test_errors_named(void **state)
{
	(void)state;
	struct diag d = {0};
	const char *bad = "rules:\n"
			  "  - {name: a, field: numbr, label: x}\n"
			  "  - {name: b, field: number, label: '(('}\n"
			  "  - {name: c, field: number}\n"
			  "  - {name: d, field: kind, label: x}\n"
			  "partys: []\n";
	assert_null(inv_rules_load_string("bad.yaml", bad, strlen(bad), &d));
	assert_int_equal(d.errors, 5);
	assert_string_equal(d.items[0].pos.file, "bad.yaml");
	assert_int_equal(d.items[0].pos.line, 2);
	assert_non_null(strstr(d.items[1].msg, "bad regex"));
	assert_int_equal(d.items[1].pos.line, 3);
	assert_non_null(strstr(d.items[2].msg, "needs a label"));
	assert_non_null(strstr(d.items[3].msg, "set:"));
	assert_non_null(strstr(d.items[4].msg, "parties"));
	diag_free(&d);
}

/* Labels whose repetitions multiply are refused before glibc's regcomp() takes all memory
 * on them (fuzz_conf_maps: "bank+++…+owy" went past 2 GiB); ordinary ones still load. */
static void test_label_repetitions(void **state)
{
	(void)state;
	struct buf nested = {0}, yaml = {0};
	for (int i = 0; i < 30; i++)
		buf_puts(&nested, "(");
	buf_puts(&nested, "a");
	for (int i = 0; i < 30; i++)
		buf_puts(&nested, "+)");
	const char *labels[] = {"rachunek( bank++++++++++++++++++++++++++++++++++++owy)?:",
				"((a{99}){99}){99}", nested.data};
	for (size_t i = 0; i < ARRAY_LEN(labels); i++) {
		struct diag d = {0};
		buf_free(&yaml);
		buf_printf(&yaml, "rules:\n  - {name: a, field: number, label: '%s'}\n", labels[i]);
		assert_null(inv_rules_load_string("heavy.yaml", yaml.data, yaml.len, &d));
		assert_int_equal(d.errors, 1);
		assert_non_null(strstr(d.items[0].msg, "repetition of a repetition"));
		diag_free(&d);
	}
	static const char *const fine[] = {"(nr|numer) (rachunku|konta)( bankowego)?:?|konto:?",
					   "([0-9]{2}-){3}[0-9]{2}", "[[:alpha:]]+ [^]x]+\\+?"};
	for (size_t i = 0; i < ARRAY_LEN(fine); i++) {
		struct diag d = {0};
		buf_free(&yaml);
		buf_printf(&yaml, "rules:\n  - {name: a, field: number, label: '%s'}\n", fine[i]);
		struct inv_rules *rs = inv_rules_load_string("fine.yaml", yaml.data, yaml.len, &d);
		assert_non_null(rs);
		inv_rules_free(rs);
		diag_free(&d);
	}
	buf_free(&yaml);
	buf_free(&nested);
}

/* A scratch folder with shipped/ (GONIEC_INVOICE_RULES_DIR points at it) and
 * conf.d/invoices/ (the user's rules). */
struct rules_dirs {
	char *dir, *shipped, *conf, *user;
};

static struct rules_dirs rules_dirs_make(void)
{
	struct rules_dirs t = {.dir = scratch_dir()};
	t.shipped = path_join(t.dir, "shipped");
	t.conf = path_join(t.dir, "conf.d");
	t.user = path_join(t.conf, "invoices");
	assert_int_equal(mkdir(t.shipped, 0700), 0);
	assert_int_equal(mkdir(t.conf, 0700), 0);
	assert_int_equal(mkdir(t.user, 0700), 0);
	setenv("GONIEC_INVOICE_RULES_DIR", t.shipped, 1);
	return t;
}

static void rules_dirs_free(struct rules_dirs *t)
{
	unsetenv("GONIEC_INVOICE_RULES_DIR");
	rm_rf(t->dir);
	free(t->dir);
	free(t->shipped);
	free(t->conf);
	free(t->user);
}

/* The user's rules come first, replace shipped rules by name, and can disable them. */
static void test_user_rules_first(void **state)
{
	(void)state;
	struct rules_dirs t = rules_dirs_make();
	char *shipped = t.shipped, *conf = t.conf, *user = t.user;
	char *p = path_join(shipped, "rules.yaml");
	write_text(p, "rules:\n"
		      "  - {name: nr, field: number, label: 'faktura nr'}\n"
		      "  - {name: date, field: issue_date, label: 'wystawiono'}\n");
	free(p);
	p = path_join(user, "acme.yaml");
	write_text(p, "rules:\n"
		      "  - {name: acme-nr, field: number, label: 'dokument', when: 'acme sp'}\n"
		      "disable: [date]\n");
	free(p);
	struct diag d = {0};
	struct inv_rules *rs = inv_rules_load(conf, &d);
	diag_print(&d, stderr);
	assert_non_null(rs);
	assert_int_equal(inv_rules_count(rs), 2);
	struct inv_reading r;
	inv_rules_read(rs, "ACME Sp. z o.o.\nDokument 77/2026\nFaktura nr 1/2026\nWystawiono 2026-01-02\n", &r);
	assert_string_equal(r.f[TF_NUMBER].value, "77/2026");
	assert_string_equal(r.f[TF_NUMBER].rule, "acme-nr");
	assert_false(r.f[TF_ISSUE_DATE].found);
	inv_rules_read(rs, "Other Sp. z o.o.\nDokument 77/2026\nFaktura nr 1/2026\n", &r);
	assert_string_equal(r.f[TF_NUMBER].value, "1/2026");
	inv_rules_free(rs);
	/* a user's file of the shipped file's name replaces it */
	p = path_join(user, "rules.yaml");
	write_text(p, "rules: []\n");
	free(p);
	rs = inv_rules_load(conf, &d);
	assert_non_null(rs);
	assert_int_equal(inv_rules_count(rs), 1);
	inv_rules_free(rs);
	diag_free(&d);
	rules_dirs_free(&t);
}

/* The user's folder is read in name order; an empty one (a daemon's copy of conf.d links
 * the folder even when it holds nothing) leaves the shipped rules. */
static void test_user_folder_order(void **state)
{
	(void)state;
	struct rules_dirs t = rules_dirs_make();
	char *shipped = t.shipped, *conf = t.conf, *user = t.user;
	char *p = path_join(shipped, "rules.yaml");
	write_text(p, "rules:\n  - {name: nr, field: number, label: 'faktura nr'}\n");
	free(p);
	struct diag d = {0};
	struct inv_rules *rs = inv_rules_load(conf, &d);
	assert_non_null(rs);
	assert_int_equal(inv_rules_count(rs), 1);
	inv_rules_free(rs);
	const char *names[] = {"m.yaml", "b.yaml", "z.yaml", "a.yaml"};
	for (size_t i = 0; i < 4; i++) {
		p = path_join(user, names[i]);
		char text[128];
		snprintf(text, sizeof text, "rules:\n  - {name: %c-nr, field: number, label: 'dokument'}\n",
			 names[i][0]);
		write_text(p, text);
		free(p);
	}
	rs = inv_rules_load(conf, &d);
	diag_print(&d, stderr);
	assert_non_null(rs);
	struct inv_reading r;
	inv_rules_read(rs, "Dokument 77/2026\n", &r);
	assert_string_equal(r.f[TF_NUMBER].rule, "a-nr");
	inv_rules_free(rs);
	diag_free(&d);
	rules_dirs_free(&t);
}

/* A rules folder that cannot be read to its end (a disk error while listing it) fails the
 * load, naming the folder: the rules of the files past the error would be missing, and the
 * invoices read by what is left. */
static void test_unreadable_folder(void **state)
{
	(void)state;
	struct rules_dirs t = rules_dirs_make();
	char *p = path_join(t.shipped, "rules.yaml");
	write_text(p, "rules:\n  - {name: nr, field: number, label: 'faktura nr'}\n");
	free(p);
	p = path_join(t.user, "acme.yaml");
	write_text(p, "rules:\n  - {name: acme-nr, field: number, label: 'dokument'}\n");
	free(p);
	struct diag d = {0};
	readdir_fail_at(t.user, 0);
	struct inv_rules *rs = inv_rules_load(t.conf, &d);
	readdir_fail_at(NULL, 0);
	if (rs)
		fail_msg("a rules folder cut short loaded as %zu rules", inv_rules_count(rs));
	assert_int_equal(d.errors, 1);
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	diag_print(&d, f);
	fclose(f);
	char *expected = xasprintf("cannot read folder %s: Input/output error", t.user);
	assert_non_null(strstr(text, expected));
	free(expected);
	free(text);
	diag_free(&d);
	rules_dirs_free(&t);
}

/* ---- the shipped rules (conf.d/invoices/rules.yaml) over the label forms Polish invoices
 * use: each form below is read by a shipped rule, named in the reading ---------------- */

static struct inv_rules *shipped;

static int load_shipped(void **state)
{
	(void)state;
	char *text;
	size_t len;
	struct gerr err;
	assert_int_equal(read_file("conf.d/invoices/rules.yaml", 1 << 20, &text, &len, &err), 0);
	struct diag d = {0};
	shipped = inv_rules_load_string("rules.yaml", text, len, &d);
	diag_print(&d, stderr);
	diag_free(&d);
	free(text);
	assert_non_null(shipped);
	return 0;
}

static int free_shipped(void **state)
{
	(void)state;
	inv_rules_free(shipped);
	return 0;
}

/* The field f of text, read by the shipped rules: its value and the rule that read it. */
static void expect_read(const char *text, enum inv_tfield f, const char *value, const char *rule)
{
	struct inv_reading r;
	inv_rules_read(shipped, text, &r);
	if (!r.f[f].found)
		fail_msg("%s not read from:\n%s", inv_tfield_name(f), text);
	if (strcmp(r.f[f].value, value) != 0 || (rule && strcmp(r.f[f].rule, rule) != 0))
		fail_msg("%s read as '%s' by %s, expected '%s' by %s, from:\n%s", inv_tfield_name(f),
			 r.f[f].value, r.f[f].rule, value, rule ? rule : "any rule", text);
}

static void expect_absent(const char *text, enum inv_tfield f)
{
	struct inv_reading r;
	inv_rules_read(shipped, text, &r);
	if (r.f[f].found)
		fail_msg("%s read as '%s' by %s, expected absent, from:\n%s", inv_tfield_name(f),
			 r.f[f].value, r.f[f].rule, text);
}

static void test_shipped_numbers(void **state)
{
	(void)state;
	expect_read("FAKTURA VAT NR FV/7/01/2026\n", TF_NUMBER, "FV/7/01/2026", "number-faktura-nr");
	expect_read("Faktura VAT nr: 12/2026          Orygina\xc5\x82\n", TF_NUMBER, "12/2026",
		    "number-faktura-nr");
	expect_read("Faktura nr 7/2026\n", TF_NUMBER, "7/2026", "number-faktura-nr");
	expect_read("Rachunek nr R/3/2026\n", TF_NUMBER, "R/3/2026", "number-faktura-nr");
	expect_read("Nr faktury: 15/01/2026\n", TF_NUMBER, "15/01/2026", "number-numer-faktury");
	expect_read("Numer faktury\n   FA/99/2026\n", TF_NUMBER, "FA/99/2026", "number-numer-faktury");
	const char *correction = "Faktura koryguj\xc4\x85" "ca nr KOR/2/2026\n"
				 "Do faktury nr FV/1/2026\n";
	expect_read(correction, TF_NUMBER, "KOR/2/2026", "number-faktura-nr");
	expect_read(correction, TF_KIND, "correction", "kind-correction");
	expect_absent("Faktura VAT nr FV/1/2026\n", TF_KIND);
	/* a number broken after its '/' or '-' continues on the next line */
	expect_read("Nr faktury: FV/2026/01/\n            000123\n", TF_NUMBER, "FV/2026/01/000123",
		    "number-numer-faktury");
	expect_read("Faktura VAT nr QGYY-03-\n               0000076\n", TF_NUMBER,
		    "QGYY-03-0000076", "number-faktura-nr");
	/* an order or client number is not the invoice's */
	expect_absent("Nr zam\xc3\xb3wienia: 273110\nNumer klienta: 12345\n", TF_NUMBER);
}

static void test_shipped_dates(void **state)
{
	(void)state;
	const char *t = "Data wystawienia: 12.01.2026\n"
			"Data sprzeda\xc5\xbcy: 2026-01-10\n"
			"Termin p\xc5\x82" "atno\xc5\x9b" "ci: 26-01-2026\n";
	expect_read(t, TF_ISSUE_DATE, "2026-01-12", "issue-date");
	expect_read(t, TF_SALE_DATE, "2026-01-10", "sale-date");
	expect_read(t, TF_DUE_DATE, "2026-01-26", "due-date");
	expect_read("Wystawiono dnia 3 listopada 2020\n", TF_ISSUE_DATE, "2020-11-03", "issue-date");
	expect_read("Data faktury: 18 sty 2022\n", TF_ISSUE_DATE, "2022-01-18", "issue-date");
	expect_read("P\xc5\x82" "atne do: 09/05/2021\n", TF_DUE_DATE, "2021-05-09", "due-date");
}

/* Whose NIP: the party labels "Sprzedawca", "Nabywca", "Odbiorca", "Płatnik", by column
 * and by position; written with or without PL, with dashes or spaces. */
static void test_shipped_parties(void **state)
{
	(void)state;
	const char *two = "Sprzedawca:                    Nabywca:\n"
			  "Firma A sp. z o.o.             Firma B S.A.\n"
			  "NIP: PL 526-025-09-95          NIP 725 180 11 26\n";
	expect_read(two, TF_SELLER_NIP, "5260250995", "nip-label");
	expect_read(two, TF_BUYER_NIP, "7251801126", "nip-label");
	/* swapped columns */
	const char *swapped = "Nabywca                        Sprzedawca\n"
			      "NIP: PL7251801126              NIP: 526-025-09-95\n";
	expect_read(swapped, TF_SELLER_NIP, "5260250995", NULL);
	expect_read(swapped, TF_BUYER_NIP, "7251801126", NULL);
	/* the recipient's NIP is nobody's: not the buyer's */
	const char *recipient = "Sprzedawca:                    Nabywca:\n"
				"Firma A                        Firma B\n"
				"NIP: 5260250995                NIP: 7251801126\n"
				"\n"
				"Odbiorca:\n"
				"Firma C\n"
				"NIP: 1234563218\n";
	expect_read(recipient, TF_BUYER_NIP, "7251801126", "nip-label");
	expect_read(recipient, TF_SELLER_NIP, "5260250995", "nip-label");
	expect_absent("Sprzedawca:                    Odbiorca:\n"
		      "NIP: 5260250995                NIP: 1234563218\n", TF_BUYER_NIP);
	/* the payer is the buyer when no "Nabywca" is printed */
	expect_read("Sprzedawca:                    P\xc5\x82" "atnik:\n"
		    "NIP: 5260250995                NIP: 1234563218\n", TF_BUYER_NIP, "1234563218",
		    "nip-label");
	/* ... but not beside a buyer: then the buyer's NIP is the buyer's, and a buyer with no
	 * NIP (a person) has none */
	expect_read("Sprzedawca:           Nabywca:             P\xc5\x82" "atnik:\n"
		    "Firma A               Firma B              Firma C\n"
		    "NIP: 5260250995       NIP: 7251801126      NIP: 1234563218\n", TF_BUYER_NIP,
		    "7251801126", "nip-label");
	expect_absent("Sprzedawca:           Nabywca:             P\xc5\x82" "atnik:\n"
		      "Firma A               Jan Kowalski         Firma C\n"
		      "NIP: 5260250995                            NIP: 1234563218\n", TF_BUYER_NIP);
	/* stacked blocks, one under the other */
	const char *stacked = "Sprzedaj\xc4\x85" "cy:\n"
			      "Firma A\n"
			      "NIP 526-025-09-95\n"
			      "\n"
			      "Nabywca:\n"
			      "Firma B\n"
			      "NIP PL7251801126\n";
	expect_read(stacked, TF_SELLER_NIP, "5260250995", NULL);
	expect_read(stacked, TF_BUYER_NIP, "7251801126", NULL);
	/* no labels at all: two NIPs, the first the seller's (position) */
	const char *pos = "NIP: 5260250995\n\nNIP: 7251801126\n";
	expect_read(pos, TF_SELLER_NIP, "5260250995", "nip-position");
	expect_read(pos, TF_BUYER_NIP, "7251801126", "nip-position");
	/* a NIP whose checksum fails is not read */
	expect_absent("Sprzedawca:\nNIP: 5260250994\n", TF_SELLER_NIP);
}

static void test_shipped_totals(void **state)
{
	(void)state;
	const char *row = "Razem:        1 000,00     230,00     1 230,00\n";
	expect_read(row, TF_NET, "1000.00", "totals-row");
	expect_read(row, TF_VAT, "230.00", "totals-row");
	expect_read(row, TF_GROSS, "1230.00", "totals-row");
	expect_read("Suma    100,00    23,00    123,00 PLN\n", TF_GROSS, "123.00", "totals-row");
	expect_read("Suma    100.00    23.00    123.00 EUR\n", TF_CURRENCY, "EUR", NULL);
	const char *pay = "Do zap\xc5\x82" "aty: 1 234,56 z\xc5\x82\n";
	expect_read(pay, TF_GROSS, "1234.56", "gross-do-zaplaty");
	expect_read(pay, TF_CURRENCY, "PLN", "gross-currency");
	expect_read("Razem do zap\xc5\x82" "aty: 1.234,56 PLN\n", TF_GROSS, "1234.56", "gross-label");
	expect_read("Waluta: EUR\n", TF_CURRENCY, "EUR", "currency-label");
	/* totals that do not add up are not read */
	expect_absent("Razem:   100,00   23,00   124,00\n", TF_GROSS);
}

static void test_shipped_payment_and_ksef(void **state)
{
	(void)state;
	expect_read("Nr rachunku: PL61 1090 1014 0000 0712 1981 2874\n", TF_ACCOUNT,
		    "PL61109010140000071219812874", "account-label");
	expect_read("Konto bankowe: 61109010140000071219812874\n", TF_ACCOUNT,
		    "PL61109010140000071219812874", "account-label");
	expect_absent("Nr rachunku: 61 1090 1014 0000 0712 1981 2875\n", TF_ACCOUNT);
	expect_read("Mechanizm podzielonej p\xc5\x82" "atno\xc5\x9b" "ci\n", TF_SPLIT_PAYMENT, "true",
		    "split-payment");
	expect_read("MECHANIZM PODZIELONEJ P\xc5\x81" "ATNO\xc5\x9a" "CI\n", TF_SPLIT_PAYMENT, "true",
		    "split-payment");
	expect_absent("Faktura VAT nr 1/2026\n", TF_SPLIT_PAYMENT);
	expect_read("Numer KSeF: 5265877635-20250808-9231003CA67B-BE\n", TF_KSEF_NUMBER,
		    "5265877635-20250808-9231003CA67B-BE", "ksef-number-label");
	expect_read("Sprawd\xc5\xba fakture:\n"
		    "https://qr.ksef.mf.gov.pl/invoice/5265877635/31-10-2025/OmE5U9cjvIU6pc3y\n",
		    TF_VERIFY_URL, "https://qr.ksef.mf.gov.pl/invoice/5265877635/31-10-2025/OmE5U9cjvIU6pc3y",
		    "ksef-qr-link");
	expect_absent("https://example.com/invoice/5265877635\n", TF_VERIFY_URL);
}

/* take: qr — a link only in a QR code is read (page of its code); a code holding anything
 * else is not; a printed link wins. */
static void test_shipped_qr_codes(void **state)
{
	(void)state;
	const char *link = "https://qr.ksef.mf.gov.pl/invoice/5265877635/31-10-2025/OmE5U9cj";
	struct pdftext_code codes[] = {
		{.page = 1, .text = (char *)"https://example.com/invoice/5265877635"},
		{.page = 1, .text = (char *)"https://qr.ksef.mf.gov.pl/certificate/Cert/5265877635/AbC"},
		{.page = 1, .text = (char *)"https://qr.ksef.mf.gov.pl/invoice/5265877635 and more"},
		{.page = 2, .text = (char *)link},
	};
	struct inv_reading r;
	inv_rules_read_codes(shipped, "Numer KSeF: 5265877635-20250808-9231003CA67B-BE\n", codes,
			     3, &r);
	assert_false(r.f[TF_VERIFY_URL].found);
	inv_rules_read_codes(shipped, "Faktura nr 1/2026\n", codes, 4, &r);
	assert_true(r.f[TF_VERIFY_URL].found);
	assert_string_equal(r.f[TF_VERIFY_URL].value, link);
	assert_string_equal(r.f[TF_VERIFY_URL].rule, "ksef-qr-code");
	assert_int_equal(r.f[TF_VERIFY_URL].page, 2);
	inv_rules_read_codes(shipped, "https://qr.ksef.mf.gov.pl/invoice/7251801126/01-01-2026/x\n",
			     codes, 4, &r);
	assert_string_equal(r.f[TF_VERIFY_URL].rule, "ksef-qr-link");
	/* a qr rule reads no label and only what a code can show whole */
	struct diag d = {0};
	const char *bad = "rules:\n"
			  "  - {name: a, field: verify_url, take: qr, label: x}\n"
			  "  - {name: b, field: number, take: qr}\n";
	assert_null(inv_rules_load_string("bad.yaml", bad, strlen(bad), &d));
	assert_int_equal(d.errors, 2);
	assert_non_null(strstr(d.items[0].msg, "take: qr"));
	diag_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dates),       cmocka_unit_test(test_amounts),
		cmocka_unit_test(test_identifiers), cmocka_unit_test(test_fold),
		cmocka_unit_test(test_party_blocks), cmocka_unit_test(test_never_guessed),
		cmocka_unit_test(test_header_row),  cmocka_unit_test(test_errors_named),
		cmocka_unit_test(test_label_repetitions),
		cmocka_unit_test(test_user_rules_first),
		cmocka_unit_test(test_user_folder_order),
		cmocka_unit_test(test_unreadable_folder),
		cmocka_unit_test_setup_teardown(test_shipped_numbers, load_shipped, free_shipped),
		cmocka_unit_test_setup_teardown(test_shipped_dates, load_shipped, free_shipped),
		cmocka_unit_test_setup_teardown(test_shipped_parties, load_shipped, free_shipped),
		cmocka_unit_test_setup_teardown(test_shipped_totals, load_shipped, free_shipped),
		cmocka_unit_test_setup_teardown(test_shipped_payment_and_ksef, load_shipped, free_shipped),
		cmocka_unit_test_setup_teardown(test_shipped_qr_codes, load_shipped, free_shipped),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
