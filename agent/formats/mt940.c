/* mt940 — see mt940.h. */
#include "formats/mt940.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/money.h"
#include "formats/stmtenc.h"

#define LINE_MAX_BYTES 8192
#define FIELD_MAX_BYTES 65536
#define CHUNK_BYTES 65536
#define ENCODING_SAMPLE (1024 * 1024)
#define SWIFT_LINE 65	/* a :86: line this long was wrapped, not ended */
#define FILLER 0xFF	/* what PKO BP writes into empty subfields */

struct mt940 {
	struct stmt_file *f;
	const struct stmt_sink *sink;
	struct gerr *err;
	struct stmt_enc enc;
	unsigned long line;	/* number of the line being handled */

	char tag[5];		/* the field being collected ("86", "61", "28C"); "" if none */
	struct buf field;	/* its text, lines separated by '\n' */
	unsigned long field_line;
	bool dash_pending;	/* a "-" line inside a :61:/:86: not yet known to end it */

	bool in_stmt;
	struct stmt st;
	bool interim;		/* MT942 seen (":942:", {2:x942}, :13D:, :34F:, :90C:/:90D:) */
	unsigned long entries;	/* transactions of the current statement */
	unsigned long bad_bytes;

	bool have_txn;
	struct txn txn;
	struct buf info;	/* the :86: text of the pending transaction */
	bool have_info;
	struct buf supplementary;	/* :61: lines after the first */
	struct buf text;	/* scratch: decoded text */
};

/* ---- small readers ----------------------------------------------------------------- */

static bool all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return n > 0;
}

static int two_digits(const char *s)
{
	return (s[0] - '0') * 10 + (s[1] - '0');
}

/* SWIFT's two-digit years: 70–99 are 19xx, 00–69 are 20xx. */
static int full_year(int yy)
{
	return yy >= 70 ? 1900 + yy : 2000 + yy;
}

/* YYMMDD at s into "YYYY-MM-DD"; a date that does not exist leaves out empty and adds a
 * problem. */
static void read_yymmdd(struct mt940 *m, const char *s, const char *what,
			char out[STMT_DATE_LEN + 1], int *year)
{
	int y = full_year(two_digits(s)), mo = two_digits(s + 2), d = two_digits(s + 4);
	*year = y;
	if (!stmt_date_set(out, y, mo, d))
		stmt_problem(&m->st, "line %lu: %s %.6s is not a date", m->field_line, what, s);
}

static void set_currency(char out[STMT_CCY_LEN + 1], const char *s)
{
	memcpy(out, s, STMT_CCY_LEN);
	out[STMT_CCY_LEN] = '\0';
}


/* The amount at s (digits and one ','; up to the first other character) in minor units. */
static int read_amount(const char *s, size_t *used, const char *currency, int64_t *out,
		       struct gerr *err)
{
	size_t n = 0;
	while (isdigit((unsigned char)s[n]) || s[n] == ',')
		n++;
	*used = n;
	if (n == 0 || !isdigit((unsigned char)s[0]))
		return gerr_set(err, "no amount");
	char text[64];
	if (n >= sizeof(text))
		return gerr_set(err, "amount \"%.20s…\" has too many digits", s);
	memcpy(text, s, n);
	text[n] = '\0';
	return money_parse(text, ',', currency_exponent(currency), out, err);
}

static const char *decode(struct mt940 *m, const char *s, size_t n);

/* Up to 40 bytes of a field, decoded, for a message (valid until the next decode). */
static const char *shown(struct mt940 *m, const char *s)
{
	return decode(m, s, strnlen(s, 40));
}

/* ---- the statement ----------------------------------------------------------------- */

/* An MT942 interim report, not a statement. */
static void mark_interim(struct mt940 *m)
{
	m->interim = true;
	m->f->format = STMT_FORMAT_MT942;
	m->f->kind = STMT_KIND_INTERIM;
}

static void start_statement(struct mt940 *m)
{
	m->in_stmt = true;
	m->entries = 0;
	memset(&m->st, 0, sizeof(m->st));
	m->st.line = m->field_line;
}

/* A balance field: [C|D]YYMMDDCCCamount. Problems, not errors: a statement with a broken
 * balance is still read, it just does not reconcile. */
static void read_balance(struct mt940 *m, const char *s, struct stmt_balance *b, const char *what)
{
	struct gerr why;
	int64_t amount;
	size_t used;
	int year;
	if ((s[0] != 'C' && s[0] != 'D') || !all_digits(s + 1, 6) || !stmt_is_currency(s + 7)) {
		stmt_problem(&m->st, "line %lu: %s \"%s\" is not [C|D]YYMMDDCCCamount",
			     m->field_line, what, shown(m, s));
		return;
	}
	if (read_amount(s + 10, &used, s + 7, &amount, &why) < 0) {
		stmt_problem(&m->st, "line %lu: %s: %s", m->field_line, what, why.msg);
		return;
	}
	b->present = true;
	b->amount = s[0] == 'D' ? -amount : amount;
	set_currency(b->currency, s + 7);
	read_yymmdd(m, s + 1, what, b->date, &year);
	if (!m->st.currency[0])
		set_currency(m->st.currency, s + 7);
}

/* Does `part` (NUL-terminated, may be cut) look like an IBAN: two letters, two digits,
 * letters and digits? */
static bool iban_shaped(const char *part)
{
	size_t n = strlen(part);
	if (n < 15 || n > IBAN_MAX_LEN || !isupper((unsigned char)part[0]) ||
	    !isupper((unsigned char)part[1]) || !isdigit((unsigned char)part[2]) ||
	    !isdigit((unsigned char)part[3]))
		return false;
	for (size_t i = 4; i < n; i++)
		if (!isupper((unsigned char)part[i]) && !isdigit((unsigned char)part[i]))
			return false;
	return true;
}

/* :25: — "PL61…", "/PL61…", "NL77INGB0574908765EUR", "NL34RABO0142623393 EUR",
 * "UBRTHUHB/123456789150ABCDEF002/HUF", "50880050/0194774600888". The first part that is
 * an IBAN (a currency glued on is dropped) wins, even with a wrong checksum; otherwise
 * the text as written. */
static void read_account(struct mt940 *m, const char *s)
{
	while (*s == '/')
		s++;
	char *copy = xstrdup(s);
	char *save = NULL;
	for (char *part = strtok_r(copy, "/ ", &save); part; part = strtok_r(NULL, "/ ", &save)) {
		char iban[IBAN_MAX_LEN + 1];
		size_t n = strlen(part);
		bool found = account_normalise(part, iban) && iban_valid(iban);
		if (!found && n > 3 && stmt_is_currency(part + n - 3)) {
			part[n - 3] = '\0';
			found = account_normalise(part, iban) && (iban_valid(iban) || iban_shaped(iban));
		}
		if (found || iban_shaped(part)) {
			stmt_set_account(m->st.account, found ? iban : part,
					 strlen(found ? iban : part));
			free(copy);
			return;
		}
	}
	free(copy);
	stmt_set_account(m->st.account, s, strlen(s));
}

/* :90D:/:90C: — count, currency, sum. */
static void read_stated_total(struct mt940 *m, const char *s, bool debit)
{
	size_t digits = 0;
	while (isdigit((unsigned char)s[digits]))
		digits++;
	int64_t sum;
	size_t used;
	struct gerr why;
	if (digits == 0 || digits > 9 || !stmt_is_currency(s + digits) ||
	    read_amount(s + digits + 3, &used, s + digits, &sum, &why) < 0) {
		stmt_problem(&m->st, "line %lu: :90%c: \"%s\" is not count, currency, sum",
			     m->field_line, debit ? 'D' : 'C', shown(m, s));
		return;
	}
	unsigned long count = strtoul(s, NULL, 10);
	if (!m->st.currency[0])
		set_currency(m->st.currency, s + digits);
	if (debit) {
		m->st.stated_debits = true;
		m->st.stated_debits_count = count;
		m->st.stated_debits_sum = -sum;
	} else {
		m->st.stated_credits = true;
		m->st.stated_credits_count = count;
		m->st.stated_credits_sum = sum;
	}
}

/* ---- text ---------------------------------------------------------------------------- */

/* Decode n bytes of the file into m->text (replacing it); PKO's 0xFF fillers dropped. */
static const char *decode(struct mt940 *m, const char *s, size_t n)
{
	m->text.len = 0;
	buf_puts(&m->text, "");
	if (m->enc.utf8) {
		m->bad_bytes += stmt_enc_append(&m->enc, &m->text, s, n);
		return m->text.data;
	}
	const char *end = s + n;
	while (s < end) {
		const char *run = s;
		while (s < end && (unsigned char)*s != FILLER)
			s++;
		m->bad_bytes += stmt_enc_append(&m->enc, &m->text, run, (size_t)(s - run));
		while (s < end && (unsigned char)*s == FILLER)
			s++;
	}
	return m->text.data;
}

static void set_decoded(struct mt940 *m, char **field, const char *s, size_t n)
{
	const char *text = decode(m, s, n);
	txn_set_trimmed(field, text, strlen(text));
}

/* Join the lines of a field. no_separator: lines are glued (structured :86:, mBank);
 * otherwise a line shorter than a full SWIFT line ends with a space. */
static void join_lines(const char *s, size_t n, bool no_separator, struct buf *out)
{
	out->len = 0;
	buf_puts(out, "");
	const char *end = s + n;
	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		size_t len = nl ? (size_t)(nl - s) : (size_t)(end - s);
		buf_append(out, s, len);
		if (nl && !no_separator && len < SWIFT_LINE && out->len > 0 &&
		    out->data[out->len - 1] != ' ')
			buf_puts(out, " ");
		s = nl ? nl + 1 : end;
	}
}

/* ---- :86: -------------------------------------------------------------------------- */

enum info_dialect { INFO_PLAIN, INFO_MBANK, INFO_STRUCTURED };

static const char *const structured_names[] = {
	['~'] = "structured-tilde", ['<'] = "structured-lt", ['^'] = "structured-caret",
	['?'] = "structured-question",
};

/* mBank's labels (from its MT940 description and real files). */
static const char *const mbank_labels[] = {
	"ID IPH", "Z RACH.", "NA RACH.", "OD", "DLA", "TYT.", "DATA STEMPLA", "TNR",
	"RODZAJ SKŁADKI", "DEKLARACJA", "NIP", "ID UZUP.",
	"REF. KLIENTA", "NAZWA ZOBOW.", "SYMBOL FORM.", "OKRES", "WALUTA", "KWOTA", "KURS",
	"NR KARTY", "DATA TRANSAKCJI", "DATA OPERACJI",
};

/* If s (after spaces) is "LABEL:" with a known mBank label, its length up to the ':'. */
static size_t mbank_label_at(const char *s, size_t n)
{
	for (size_t i = 0; i < ARRAY_LEN(mbank_labels); i++) {
		size_t k = strlen(mbank_labels[i]);
		if (k < n && memcmp(s, mbank_labels[i], k) == 0 && s[k] == ':')
			return k;
	}
	return 0;
}

/* The subfield marker of a structured :86: ("020~00…", "073\n~00", "166?00…"), or 0. */
static char structured_marker(const char *s, size_t n)
{
	size_t i = 0;
	while (i < n && i < 3 && isdigit((unsigned char)s[i]))
		i++;
	while (i < n && (s[i] == '\n' || s[i] == ' '))
		i++;
	if (i + 2 < n && strchr("~<^?", s[i]) && isdigit((unsigned char)s[i + 1]) &&
	    isdigit((unsigned char)s[i + 2]))
		return s[i];
	return 0;
}

static bool looks_mbank(const char *s, size_t n)
{
	if (n < 5 || !all_digits(s, 3) || s[3] != ' ')
		return false;
	for (const char *p = memchr(s, ';', n); p; p = memchr(p + 1, ';', n - (size_t)(p + 1 - s))) {
		const char *q = p + 1;
		while (q < s + n && (*q == ' ' || *q == '\n'))
			q++;
		if (mbank_label_at(q, (size_t)(s + n - q)))
			return true;
	}
	return false;
}

struct subfield {
	int number;
	const char *text;	/* decoded, owned by the txn's raw list */
};

/* Append a subfield's text to out, joining at a cut: the spaces on both sides of the cut
 * become one space; none is added where the bank cut inside a word. */
static void join_cut(struct buf *out, const char *text, bool collapse_inner)
{
	size_t n = strlen(text);
	const char *s = text;
	bool space = false;
	while (n > 0 && *s == ' ') {
		s++;
		n--;
		space = true;
	}
	while (out->len > 0 && out->data[out->len - 1] == ' ') {
		out->len--;
		space = true;
	}
	out->data[out->len] = '\0';
	if (n == 0) {
		if (space && out->len > 0)
			buf_puts(out, " ");
		return;
	}
	if (space && out->len > 0)
		buf_puts(out, " ");
	if (!collapse_inner) {
		buf_append(out, s, n);
		return;
	}
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' || (out->len > 0 && out->data[out->len - 1] != ' '))
			buf_append(out, &s[i], 1);
}

/* Join subfields lo..hi (in number order, repeated numbers in file order) into *field. */
static bool join_subfields(const struct subfield *sf, size_t n, int lo, int hi, bool name,
			   char **field)
{
	struct buf out = {0};
	buf_puts(&out, "");
	for (int k = lo; k <= hi; k++)
		for (size_t i = 0; i < n; i++)
			if (sf[i].number == k)
				join_cut(&out, sf[i].text, name);
	txn_set_trimmed(field, out.data, out.len);
	buf_free(&out);
	return *field != NULL;
}

static const char *subfield_text(const struct subfield *sf, size_t n, int number)
{
	for (size_t i = 0; i < n; i++)
		if (sf[i].number == number && sf[i].text[0])
			return sf[i].text;
	return NULL;
}

/* An account-looking subfield (IBAN or NRB) into *field. */
static bool take_account(const char *text, char **field)
{
	char iban[IBAN_MAX_LEN + 1];
	if (!text || !account_normalise(text, iban) || !iban_valid(iban))
		return false;
	txn_set(field, iban);
	return true;
}

/* Is a subfield's text only PKO's filler (decoded from a UTF-8 copy: U+02D9) or spaces? */
static bool only_filler(const char *s)
{
	for (; *s; s++) {
		if (*s == ' ')
			continue;
		if ((unsigned char)s[0] == 0xCB && (unsigned char)s[1] == 0x99) {
			s++;
			continue;
		}
		return false;
	}
	return true;
}

/* ~38 (the IBAN field, as written when its checksum fails), else an IBAN in 31, 29 or 26,
 * else 30+31 (sort code and account) as written; the German ?NN layout has the IBAN or
 * account alone in ?31 (?30 is the BIC or BLZ). */
static void read_counterparty_account(struct txn *t, const struct subfield *sf, size_t count,
				      char marker)
{
	const char *iban = subfield_text(sf, count, 38);
	if (marker == '?')
		iban = subfield_text(sf, count, 31);
	if (iban) {
		if (!take_account(iban, &t->counterparty_account))
			txn_set_trimmed(&t->counterparty_account, iban, strlen(iban));
		return;
	}
	if (!take_account(subfield_text(sf, count, 31), &t->counterparty_account) &&
	    !take_account(subfield_text(sf, count, 29), &t->counterparty_account) &&
	    !take_account(subfield_text(sf, count, 26), &t->counterparty_account))
		join_subfields(sf, count, 30, 31, false, &t->counterparty_account);
}

static void read_structured(struct mt940 *m, const char *s, size_t n, char marker)
{
	struct txn *t = &m->txn;
	struct buf joined = {0};
	join_lines(s, n, true, &joined);
	const char *p = joined.data, *end = joined.data + joined.len;
	size_t code = 0;
	while (code < 3 && p + code < end && isdigit((unsigned char)p[code]))
		code++;
	if (code == 3)
		set_decoded(m, &t->type_code, p, 3);
	/* split at marker + two digits */
	size_t first_raw = t->nraw;
	for (const char *q = p + code; q < end;) {
		const char *mk = q;
		while (mk + 2 < end && !(*mk == marker && isdigit((unsigned char)mk[1]) &&
					 isdigit((unsigned char)mk[2])))
			mk++;
		if (mk + 2 >= end)
			break;
		const char *val = mk + 3, *next = val;
		while (next + 2 < end && !(*next == marker && isdigit((unsigned char)next[1]) &&
					   isdigit((unsigned char)next[2])))
			next++;
		if (next + 2 >= end)
			next = end;
		char key[4] = {marker, mk[1], mk[2], '\0'};
		const char *text = decode(m, val, (size_t)(next - val));
		txn_add_raw(t, key, only_filler(text) ? "" : text);
		q = next;
	}
	size_t count = t->nraw - first_raw;
	struct subfield *sf = xcalloc(count, sizeof(*sf));
	for (size_t i = 0; i < count; i++) {
		const struct txn_raw *r = &t->raw[first_raw + i];
		sf[i] = (struct subfield){atoi(r->key + 1), r->value};
	}
	join_subfields(sf, count, 20, marker == '?' ? 29 : 25, false, &t->title);
	if (marker == '?') { /* the German layout continues the purpose in ?60–?63 */
		struct buf more = {0};
		buf_puts(&more, t->title ? t->title : "");
		for (int k = 60; k <= 63; k++)
			for (size_t i = 0; i < count; i++)
				if (sf[i].number == k)
					join_cut(&more, sf[i].text, false);
		txn_set_trimmed(&t->title, more.data, more.len);
		buf_free(&more);
	}
	if (!join_subfields(sf, count, 32, 33, true, &t->counterparty_name) && marker != '?')
		join_subfields(sf, count, 27, 28, true, &t->counterparty_name);
	read_counterparty_account(t, sf, count, marker);
	const char *type = subfield_text(sf, count, 0);
	if (type)
		txn_set_trimmed(&t->type_text, type, strlen(type));
	free(sf);
	buf_free(&joined);
}

/* mBank: "NNN TEXT; LABEL: value; LABEL: value" — the first piece is the type. */
static void read_mbank(struct mt940 *m, const char *s, size_t n)
{
	struct txn *t = &m->txn;
	struct buf joined = {0};
	join_lines(s, n, true, &joined);
	char *text = xstrdup(decode(m, joined.data, joined.len));
	buf_free(&joined);
	txn_set_trimmed(&t->type_code, text, 3);
	char *label = NULL;
	struct buf value = {0};
	const char *p = text + 3;
	for (;;) {
		const char *semi = strchr(p, ';');
		const char *piece_end = semi ? semi : p + strlen(p);
		const char *q = semi ? semi + 1 : piece_end;
		while (*q == ' ')
			q++;
		size_t k = semi ? mbank_label_at(q, strlen(q)) : 0;
		buf_append(&value, p, (size_t)(piece_end - p));
		if (k || !semi) {
			char *v = NULL;
			txn_set_trimmed(&v, value.data ? value.data : "", value.len);
			if (!label)
				txn_set(&t->type_text, v);
			else
				txn_add_raw(t, label, v ? v : "");
			if (label && v) {
				if (!strcmp(label, "Z RACH.") || !strcmp(label, "NA RACH.")) {
					if (!take_account(v, &t->counterparty_account))
						txn_set(&t->counterparty_account, v);
				} else if (!strcmp(label, "OD") || !strcmp(label, "DLA")) {
					txn_set(&t->counterparty_name, v);
				} else if (!strcmp(label, "TYT.")) {
					txn_set(&t->title, v);
				} else if (!strcmp(label, "TNR")) {
					txn_set(&t->transaction_id, v);
				}
			}
			free(v);
			free(label);
			label = NULL;
			value.len = 0;
			if (!semi)
				break;
			label = xstrndup(q, k);
			p = q + k + 1;
		} else {
			buf_puts(&value, ";");
			p = semi + 1;
		}
	}
	free(label);
	buf_free(&value);
	free(text);
}

static void read_info(struct mt940 *m)
{
	const char *s = m->info.data;
	size_t n = m->info.len;
	char marker = structured_marker(s, n);
	enum info_dialect d = marker ? INFO_STRUCTURED : looks_mbank(s, n) ? INFO_MBANK : INFO_PLAIN;
	if (!m->f->dialect || !strcmp(m->f->dialect, "plain"))
		stmt_file_set(&m->f->dialect, d == INFO_STRUCTURED ? structured_names[(int)marker]
					      : d == INFO_MBANK  ? "mbank"
								 : "plain");
	if (d == INFO_STRUCTURED) {
		read_structured(m, s, n, marker);
		return;
	}
	if (d == INFO_MBANK) {
		read_mbank(m, s, n);
		return;
	}
	struct buf joined = {0};
	join_lines(s, n, false, &joined);
	set_decoded(m, &m->txn.title, joined.data, joined.len);
	txn_add_raw(&m->txn, "86", m->txn.title ? m->txn.title : "");
	buf_free(&joined);
}

/* ---- :61: -------------------------------------------------------------------------- */

/* The entry date MMDD takes its year from the value date, across a new year. */
static void entry_date(struct mt940 *m, const char *s, int value_year, const char *value_date,
		       char out[STMT_DATE_LEN + 1])
{
	int mo = two_digits(s), d = two_digits(s + 2), y = value_year;
	int value_month = value_date[0] ? atoi(value_date + 5) : mo;
	if (value_month == 12 && mo == 1)
		y++;
	else if (value_month == 1 && mo == 12)
		y--;
	if (!stmt_date_set(out, y, mo, d))
		stmt_problem(&m->st, "line %lu: entry date %.4s is not a date", m->field_line, s);
}

static int bad_61(struct mt940 *m, const char *what)
{
	return gerr_set(m->err, "%s: line %lu: :61: %s", m->f->name, m->field_line, what);
}

/* The first line of :61: (NUL-terminated) into m->txn. */
static int read_61(struct mt940 *m, const char *s)
{
	struct txn *t = &m->txn;
	int year;
	if (!all_digits(s, 6))
		return bad_61(m, "does not start with a value date YYMMDD");
	read_yymmdd(m, s, "value date", t->value_date, &year);
	s += 6;
	if (all_digits(s, 4) && s[4] && strchr("CDR", s[4])) {
		entry_date(m, s, year, t->value_date, t->booking_date);
		s += 4;
	} else {
		memcpy(t->booking_date, t->value_date, sizeof(t->booking_date));
	}
	if (s[0] == 'R' && (s[1] == 'C' || s[1] == 'D')) {
		t->reversal = true;
		s++;
	}
	if (s[0] != 'C' && s[0] != 'D')
		return bad_61(m, "has no C/D/RC/RD mark");
	/* A reversal of a credit is a debit on the account, and the other way round. */
	bool debit = (s[0] == 'D') != t->reversal;
	s++;
	if (isalpha((unsigned char)s[0]))
		s++; /* funds code */
	int64_t amount;
	size_t used;
	struct gerr why;
	if (read_amount(s, &used, t->currency, &amount, &why) < 0)
		return bad_61(m, why.msg);
	t->amount = debit ? -amount : amount;
	s += used;
	while (*s == ' ')
		s++;
	if (strchr("NFS", s[0]) && s[0] && isalnum((unsigned char)s[1]) &&
	    isalnum((unsigned char)s[2]) && isalnum((unsigned char)s[3])) {
		txn_set_trimmed(&t->type_swift, s, 4);
		s += 4;
	}
	const char *refs = strstr(s, "//");
	size_t cust = refs ? (size_t)(refs - s) : strlen(s);
	set_decoded(m, &t->customer_ref, s, cust);
	if (t->customer_ref && !strcmp(t->customer_ref, "NONREF"))
		txn_set(&t->customer_ref, NULL);
	if (refs)
		set_decoded(m, &t->bank_ref, refs + 2, strlen(refs + 2));
	return 0;
}

static int start_txn(struct mt940 *m)
{
	struct txn *t = &m->txn;
	memset(t, 0, sizeof(*t));
	memcpy(t->account, m->st.account, sizeof(t->account));
	memcpy(t->currency, m->st.currency, sizeof(t->currency));
	if (!t->currency[0] && m->entries == 0)
		stmt_problem(&m->st, "line %lu: a transaction before any balance says the currency",
			     m->field_line);
	t->origin = (struct txn_origin){m->field_line, (unsigned)m->f->statements_total,
					m->entries, 0};
	m->have_txn = true;
	m->have_info = false;
	m->info.len = 0;
	m->supplementary.len = 0;
	char *nl = memchr(m->field.data, '\n', m->field.len);
	if (nl) {
		buf_append(&m->supplementary, nl + 1, m->field.len - (size_t)(nl + 1 - m->field.data));
		*nl = '\0';
	}
	return read_61(m, m->field.data);
}

/* The pending transaction is complete: its :86: and supplementary lines are read, and it
 * goes to the sink. */
static int finish_txn(struct mt940 *m)
{
	if (!m->have_txn)
		return 0;
	struct txn *t = &m->txn;
	if (m->supplementary.len) {
		struct buf joined = {0};
		join_lines(m->supplementary.data, m->supplementary.len, false, &joined);
		char *supp = NULL;
		set_decoded(m, &supp, joined.data, joined.len);
		buf_free(&joined);
		if (supp) {
			txn_add_raw(t, "61/supplementary", supp);
			if (!iban_shaped(supp))
				txn_set(&t->type_text, supp);
			else if (!take_account(supp, &t->counterparty_account))
				txn_set(&t->counterparty_account, supp); /* Rabobank's IBAN */
		}
		free(supp);
	}
	if (m->have_info) {
		char *supp_text = t->type_text;
		t->type_text = NULL;
		read_info(m);
		if (!t->type_text)
			t->type_text = supp_text;
		else
			free(supp_text);
	}
	m->have_txn = false;
	m->entries++;
	int rc = stmt_emit_txn(m->f, &m->st, t, m->sink, m->err);
	txn_clear(t);
	return rc;
}

static int end_statement(struct mt940 *m)
{
	if (!m->in_stmt)
		return 0;
	if (finish_txn(m) < 0)
		return -1;
	m->in_stmt = false;
	if (!m->st.account[0])
		stmt_problem(&m->st, "line %lu: no account (:25:)", m->st.line);
	if (m->interim && !m->st.opening.present && !m->st.closing.present &&
	    !m->st.stated_credits && !m->st.stated_debits)
		stmt_problem(&m->st, "interim report without totals (:90C:/:90D:)");
	return stmt_emit_end(m->f, &m->st, m->sink, m->err);
}

/* ---- fields -------------------------------------------------------------------------- */

static int need_statement(struct mt940 *m)
{
	if (m->in_stmt)
		return 0;
	return gerr_set(m->err, "%s: line %lu: :%s: outside a statement (no :20: before it)",
			m->f->name, m->field_line, m->tag);
}

static void first_line_only(struct buf *field)
{
	char *nl = memchr(field->data, '\n', field->len);
	if (nl) {
		*nl = '\0';
		field->len = (size_t)(nl - field->data);
	}
}

/* The field just collected is complete. */
static int end_field(struct mt940 *m)
{
	const char *tag = m->tag;
	if (!tag[0])
		return 0;
	buf_puts(&m->field, "");
	bool is_info = !strcmp(tag, "86");
	if (is_info && m->have_txn) {
		/* ING writes the code alone in a first :86:, then the whole :86: again. */
		if (m->have_info && !all_digits(m->info.data, m->info.len))
			buf_puts(&m->info, "\n");
		else
			m->info.len = 0;
		buf_append(&m->info, m->field.data, m->field.len);
		m->have_info = true;
		m->tag[0] = '\0';
		return 0;
	}
	if (is_info) { /* information about the statement, not a transaction */
		m->tag[0] = '\0';
		return 0;
	}
	if (finish_txn(m) < 0)
		return -1;
	if (!strcmp(tag, "20")) {
		if (end_statement(m) < 0)
			return -1;
		start_statement(m);
		set_decoded(m, &m->st.id, m->field.data, m->field.len);
	} else if (!strcmp(tag, "25")) {
		if (!m->in_stmt)
			start_statement(m);
		first_line_only(&m->field);
		read_account(m, m->field.data);
	} else if (need_statement(m) < 0) {
		return -1;
	} else if (!strcmp(tag, "61")) {
		if (start_txn(m) < 0)
			return -1;
	} else if (!strcmp(tag, "28C") || !strcmp(tag, "28")) {
		struct buf joined = {0};
		join_lines(m->field.data, m->field.len, true, &joined);
		set_decoded(m, &m->st.number, joined.data, joined.len);
		buf_free(&joined);
	} else {
		first_line_only(&m->field);
		const char *s = m->field.data;
		if (!strcmp(tag, "60F") || !strcmp(tag, "60M")) {
			if (!m->st.opening.present)
				read_balance(m, s, &m->st.opening, "opening balance");
		} else if (!strcmp(tag, "62F") || !strcmp(tag, "62M")) {
			read_balance(m, s, &m->st.closing, "closing balance");
		} else if (!strcmp(tag, "64")) {
			read_balance(m, s, &m->st.closing_available, "available balance");
		} else if (!strcmp(tag, "65")) {
			if (!m->st.forward_available.present)
				read_balance(m, s, &m->st.forward_available, "forward balance");
		} else if (!strcmp(tag, "34F")) {
			mark_interim(m);
			if (stmt_is_currency(s) && !m->st.currency[0])
				set_currency(m->st.currency, s);
		} else if (!strcmp(tag, "13D") || !strcmp(tag, "13")) {
			mark_interim(m);
		} else if (!strcmp(tag, "90D") || !strcmp(tag, "90C")) {
			mark_interim(m);
			read_stated_total(m, s, tag[2] == 'D');
		} else if (strcmp(tag, "21") != 0 && strcmp(tag, "NS") != 0) {
			stmt_problem(&m->st, "line %lu: unknown tag :%s: ignored", m->field_line, tag);
		}
	}
	m->tag[0] = '\0';
	return 0;
}

/* ---- lines ------------------------------------------------------------------------- */

/* ":20:…", ":28C:…", ":NS:…": the tag's length (without colons), or 0. */
static size_t tag_at(const char *s, size_t n)
{
	if (n >= 4 && s[0] == ':' && s[1] == 'N' && s[2] == 'S' && s[3] == ':')
		return 2;
	if (n < 4 || s[0] != ':' || !isdigit((unsigned char)s[1]) || !isdigit((unsigned char)s[2]))
		return 0;
	if (s[3] == ':')
		return 2;
	if (n >= 5 && isupper((unsigned char)s[3]) && s[4] == ':')
		return 3;
	return 0;
}

static int start_field(struct mt940 *m, const char *s, size_t n, size_t taglen)
{
	if (end_field(m) < 0)
		return -1;
	memcpy(m->tag, s + 1, taglen);
	m->tag[taglen] = '\0';
	m->field_line = m->line;
	m->field.len = 0;
	buf_append(&m->field, s + taglen + 2, n - taglen - 2);
	return 0;
}

static int add_continuation(struct mt940 *m, const char *s, size_t n)
{
	if (!m->tag[0])
		return 0; /* junk outside fields: headers, trailers */
	if (m->field.len + n + 1 > FIELD_MAX_BYTES)
		return gerr_set(m->err, "%s: line %lu: field :%s: is longer than %d bytes",
				m->f->name, m->field_line, m->tag, FIELD_MAX_BYTES);
	buf_puts(&m->field, "\n");
	buf_append(&m->field, s, n);
	return 0;
}

/* "-", "-}", "-}{5:…}", "-XXX": the end of a message. */
static int end_message(struct mt940 *m)
{
	m->dash_pending = false;
	if (end_field(m) < 0)
		return -1;
	return end_statement(m);
}

/* "{1:…}{2:O940…}{3:}{4:" — returns the text after "{4:" (may be empty) or NULL. */
static const char *swift_blocks(struct mt940 *m, const char *s, size_t n, size_t *rest)
{
	if (n < 3 || s[0] != '{' || !isdigit((unsigned char)s[1]) || s[2] != ':')
		return NULL;
	const char *b2 = memmem(s, n, "{2:", 3);
	if (b2 && (size_t)(s + n - b2) > 7 && !memcmp(b2 + 4, "942", 3))
		mark_interim(m);
	const char *b4 = memmem(s, n, "{4:", 3);
	if (!b4) {
		*rest = 0;
		return s + n;
	}
	*rest = (size_t)(s + n - b4 - 3);
	return b4 + 3;
}

static int handle_line(struct mt940 *m, const char *s, size_t n)
{
	while (n > 0 && (s[n - 1] == '\r' || s[n - 1] == '\x03'))
		n--;
	while (n > 0 && (s[0] == '\x01' || s[0] == '\x03')) {
		s++;
		n--;
	}
	size_t rest;
	const char *after = swift_blocks(m, s, n, &rest);
	if (after) {
		if (m->dash_pending && end_message(m) < 0)
			return -1;
		return rest ? handle_line(m, after, rest) : 0;
	}
	size_t taglen = tag_at(s, n);
	bool in_text_field = !strcmp(m->tag, "86") || !strcmp(m->tag, "61");
	if (m->dash_pending) {
		if (taglen || n == 0 || !in_text_field) {
			if (end_message(m) < 0)
				return -1;
		} else {
			m->dash_pending = false;
			if (add_continuation(m, "-", 1) < 0)
				return -1;
		}
	}
	if (taglen)
		return start_field(m, s, n, taglen);
	if (n >= 1 && s[0] == '-' && (n == 1 || s[1] == '}' || !in_text_field)) {
		if (n == 1 && in_text_field) {
			m->dash_pending = true;
			return 0;
		}
		return end_message(m);
	}
	if (n == 5 && (!memcmp(s, ":940:", 5) || !memcmp(s, ":942:", 5))) {
		if (s[3] == '2')
			mark_interim(m);
		return 0;
	}
	if (n == 0 && !in_text_field)
		return 0;
	return add_continuation(m, s, n);
}

/* Split the input into lines and hand each to handle_line. */
static int read_lines(struct mt940 *m, struct stmt_input *in)
{
	char *buf = xmalloc(CHUNK_BYTES + LINE_MAX_BYTES);
	size_t have = 0;
	int rc = 0;
	for (;;) {
		ssize_t r = stmt_input_read(in, buf + have, CHUNK_BYTES + LINE_MAX_BYTES - have,
					    m->err);
		if (r < 0) {
			rc = -1;
			break;
		}
		have += (size_t)r;
		char *p = buf, *end = buf + have;
		char *nl;
		while ((nl = memchr(p, '\n', (size_t)(end - p)))) {
			m->line++;
			if ((size_t)(nl - p) > LINE_MAX_BYTES) {
				rc = gerr_set(m->err, "%s: line %lu is longer than %d bytes",
					      m->f->name, m->line, LINE_MAX_BYTES);
				goto out;
			}
			if (handle_line(m, p, (size_t)(nl - p)) < 0) {
				rc = -1;
				goto out;
			}
			p = nl + 1;
		}
		have = (size_t)(end - p);
		memmove(buf, p, have);
		if (r == 0) {
			if (have) {
				m->line++;
				rc = handle_line(m, buf, have);
			}
			break;
		}
		if (have > LINE_MAX_BYTES) {
			rc = gerr_set(m->err, "%s: line %lu is longer than %d bytes", m->f->name,
				      m->line + 1, LINE_MAX_BYTES);
			break;
		}
	}
out:
	free(buf);
	return rc;
}

/* ---- entry points -------------------------------------------------------------------- */

bool mt940_sniff(const char *head, size_t len)
{
	const char *tag20 = NULL;
	for (size_t i = 0; i + 4 <= len && i < 4096; i++)
		if ((i == 0 || head[i - 1] == '\n' || head[i - 1] == '\x01' || head[i - 1] == ':') &&
		    !memcmp(head + i, ":20:", 4)) {
			tag20 = head + i;
			break;
		}
	if (!tag20)
		return false;
	size_t left = len - (size_t)(tag20 - head);
	if (left > 2048)
		left = 2048;
	return memmem(tag20, left, "\n:25:", 5) || memmem(tag20, left, "\n:60F:", 6) ||
	       memmem(tag20, left, "\n:28C:", 6);
}

int mt940_read(struct stmt_input *in, struct stmt_file *f, const struct stmt_sink *sink,
	       struct gerr *err)
{
	const char *sample;
	size_t sample_len;
	if (stmt_input_peek(in, ENCODING_SAMPLE, &sample, &sample_len, err) < 0)
		return -1;
	struct mt940 m = {.f = f, .sink = sink, .err = err};
	stmt_enc_detect(&m.enc, sample, sample_len, in->eof);
	stmt_file_set(&f->encoding, m.enc.name);
	f->format = STMT_FORMAT_MT940;
	int rc = read_lines(&m, in);
	if (rc == 0 && m.dash_pending)
		rc = end_message(&m);
	if (rc == 0)
		rc = end_field(&m);
	if (rc == 0)
		rc = end_statement(&m);
	if (rc == 0 && f->statements_total == 0)
		rc = gerr_set(err, "%s: no MT940 statement (:20: ... :61:/:62F:) found", f->name);
	if (m.bad_bytes)
		stmt_file_problem(f, "%lu bytes are not valid %s (shown as U+FFFD)", m.bad_bytes,
				  m.enc.name);
	if (m.in_stmt)
		stmt_clear(&m.st);
	txn_clear(&m.txn);
	buf_free(&m.field);
	buf_free(&m.info);
	buf_free(&m.supplementary);
	buf_free(&m.text);
	return rc;
}
