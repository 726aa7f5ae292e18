/* mt940_write — see mt940_write.h. */
#include "formats/mt940_write.h"

#include <ctype.h>
#include <string.h>

#include "core/money.h"
#include "formats/charset.h"

const char *const mt940_charset_names[] = {"utf-8", "windows-1250", "iso-8859-2", "cp852", NULL};

#define PIECE 27

static void amount(struct buf *out, int64_t minor, const char *currency)
{
	char text[MONEY_TEXT_MAX], *dot;

	money_format(minor < 0 ? -minor : minor, currency_exponent(currency), text);
	dot = strchr(text, '.');
	if (dot)
		*dot = ',';
	buf_printf(out, "%s%s", text, dot ? "" : ",");
}

/* "YYYY-MM-DD" → "YYMMDD" (or "MMDD" with short). */
static void date(struct buf *out, const char *ymd, bool short_form)
{
	if (strlen(ymd) != STMT_DATE_LEN)
		ymd = "2000-01-01";
	if (!short_form)
		buf_append(out, ymd + 2, 2);
	buf_append(out, ymd + 5, 2);
	buf_append(out, ymd + 8, 2);
}

static void balance(struct buf *out, const char *tag, const struct stmt_balance *b, const struct stmt *st)
{
	const char *day = b->present && b->date[0] ? b->date : st->period_to[0] ? st->period_to : "2000-01-01";

	buf_printf(out, ":%s:%c", tag, b->present && b->amount < 0 ? 'D' : 'C');
	date(out, day, false);
	buf_puts(out, st->currency);
	amount(out, b->present ? b->amount : 0, st->currency);
	buf_puts(out, "\r\n");
}

/* A reference of at most 16 characters of the SWIFT set; NULL or empty: dflt. */
static void reference(struct buf *out, const char *ref, const char *dflt)
{
	size_t n = 0;

	for (const char *p = ref ? ref : ""; *p && n < 16; p++)
		if (isalnum((unsigned char)*p) || strchr("/-?:().,'+ ", *p)) {
			buf_append(out, p, 1);
			n++;
		}
	if (!n)
		buf_puts(out, dflt);
}

/* Length in bytes of the first `chars` UTF-8 characters of s. */
static size_t utf8_prefix(const char *s, size_t chars)
{
	size_t i = 0;

	while (s[i] && chars) {
		i++;
		while (((unsigned char)s[i] & 0xC0) == 0x80)
			i++;
		chars--;
	}
	return i;
}

/* Subfields ~first.. of PIECE characters each, at most `count`. */
static void pieces(struct buf *out, int first, int count, const char *text)
{
	struct buf clean = {0};

	for (const char *p = text ? text : ""; *p; p++)
		buf_append(&clean, *p == '~' ? "-" : (*p == '\r' || *p == '\n' || *p == '\t') ? " " : p, 1);
	const char *s = clean.data ? clean.data : "";
	while (*s == ' ')
		s++;
	for (int i = 0; i < count && *s; i++) {
		size_t n = utf8_prefix(s, PIECE);
		buf_printf(out, "~%02d", first + i);
		buf_append(out, s, n);
		buf_puts(out, "\r\n");
		s += n;
	}
	buf_free(&clean);
}

static void transaction(struct buf *out, const struct txn *t)
{
	const char *code = t->type_code && strlen(t->type_code) == 3 && isdigit((unsigned char)t->type_code[0])
				   ? t->type_code : "000";
	const char *swift = t->type_swift && strlen(t->type_swift) == 4 ? t->type_swift : "NTRF";

	buf_puts(out, ":61:");
	date(out, t->value_date[0] ? t->value_date : t->booking_date, false);
	date(out, t->booking_date[0] ? t->booking_date : t->value_date, true);
	buf_puts(out, t->reversal ? (t->amount < 0 ? "RC" : "RD") : (t->amount < 0 ? "D" : "C"));
	amount(out, t->amount, t->currency);
	buf_puts(out, swift);
	reference(out, t->customer_ref, "NONREF");
	if (t->bank_ref && *t->bank_ref) {
		buf_puts(out, "//");
		reference(out, t->bank_ref, "NONREF");
	}
	buf_printf(out, "\r\n:86:%s\r\n", code);
	if (t->type_text && *t->type_text)
		pieces(out, 0, 1, t->type_text);
	else
		buf_printf(out, "~00%s\r\n", code);
	pieces(out, 20, 6, t->title);
	pieces(out, 32, 2, t->counterparty_name);
	if (t->counterparty_account && *t->counterparty_account && !strchr(t->counterparty_account, '~'))
		buf_printf(out, "~38%.34s\r\n", t->counterparty_account);
}

static void write_utf8(const struct stmt *st, struct buf *out)
{
	buf_puts(out, ":20:");
	reference(out, st->id, "GONIEC");
	buf_printf(out, "\r\n:25:/%s\r\n:28C:", st->account);
	reference(out, st->number, "1");
	buf_puts(out, "\r\n");
	balance(out, "60F", &st->opening, st);
	for (size_t i = 0; i < st->ntxns; i++)
		if (st->txns[i].status == TXN_BOOKED)
			transaction(out, &st->txns[i]);
	balance(out, "62F", &st->closing, st);
	if (st->closing_available.present)
		balance(out, "64", &st->closing_available, st);
	buf_puts(out, "-\r\n");
}

int mt940_write(const struct stmt *st, enum mt940_charset cs, struct buf *out, struct gerr *err)
{
	static const char *const iconv_names[] = {
		[MT940_WINDOWS_1250] = "WINDOWS-1250", [MT940_ISO_8859_2] = "ISO-8859-2",
		[MT940_CP852] = "CP852",
	};
	struct buf text = {0};
	int rc = 0;

	if (cs == MT940_UTF8) {
		write_utf8(st, out);
		return 0;
	}
	write_utf8(st, &text);
	if (utf8_to_charset(iconv_names[cs], text.data ? text.data : "", text.len, out) < 0)
		rc = gerr_setk(err, GERR_PERMANENT, "MT940 in %s: iconv does not know the encoding "
			       "(are the system's gconv modules installed?)", mt940_charset_names[cs]);
	buf_free(&text);
	return rc;
}
