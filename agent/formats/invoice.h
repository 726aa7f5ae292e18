/* invoice — what goniec knows of one invoice, whoever read it, and its sidecar form.
 *
 * One model for every reader: the FA(3) reader (formats/fa3.h) fills it from KSeF XML,
 * the KSeF source adds what KSeF's metadata says (the KSeF number, the direction), the
 * PDF field rules fill it from invoice text, portal recipes from a list page. The
 * sidecar's `invoice` object (goniec-sidecar(5)) is invoice_to_json() of it, and
 * invoice_from_json() reads that object back (the matcher, the ledger).
 *
 * Presence and provenance: a field is present exactly when its `found[]` entry says how
 * it was found (by != FOUND_NONE); a reader that does not find a field leaves it absent,
 * never guessed. `found` names the reader and where: for FA(3) the element path
 * ("Fa/P_15"), for KSeF metadata its field ("ksefNumber"), for PDF text the rule and the
 * page. A value read from XML, KSeF or a portal is exact (invoice_found_exact()) and wins
 * over one read from PDF text by a rule.
 *
 * Money is int64 minor units of the invoice's currency (core/money.h); `vat_pln` in
 * grosze. In JSON an amount is money_format()'s decimal string, dates are "YYYY-MM-DD".
 *
 * Ownership: struct invoice owns every string and array in it; invoice_free() releases
 * them (and leaves an empty invoice). `at` strings in found[] are owned too.
 * Errors: invoice_from_json() returns -1 with err naming the key that is wrong; nothing
 * else here fails (allocation aborts, as everywhere).
 */
#ifndef GONIEC_FORMATS_INVOICE_H
#define GONIEC_FORMATS_INVOICE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/idnum.h"
#include "core/util.h"

#define INVOICE_DATE_LEN 10   /* "YYYY-MM-DD" */
typedef char invoice_date[INVOICE_DATE_LEN + 1];   /* "" when absent */

enum invoice_kind {
	INVOICE_KIND_UNKNOWN = 0,
	INVOICE_VAT,                   /* FA(3) VAT: a plain VAT invoice */
	INVOICE_CORRECTION,            /* KOR */
	INVOICE_ADVANCE,               /* ZAL: for a payment received before the supply */
	INVOICE_SETTLEMENT,            /* ROZ: settles earlier advance invoices */
	INVOICE_SIMPLIFIED,            /* UPR: up to 450 PLN, buyer by NIP only */
	INVOICE_ADVANCE_CORRECTION,    /* KOR_ZAL */
	INVOICE_SETTLEMENT_CORRECTION, /* KOR_ROZ */
};

enum invoice_direction {
	INVOICE_DIRECTION_UNKNOWN = 0,
	INVOICE_PURCHASE,   /* the company is the buyer */
	INVOICE_SALES,      /* the company is the seller */
};

enum payment_form {
	PAYMENT_UNKNOWN = 0,
	PAYMENT_CASH, PAYMENT_CARD, PAYMENT_VOUCHER, PAYMENT_CHEQUE, PAYMENT_CREDIT,
	PAYMENT_TRANSFER, PAYMENT_MOBILE,
	PAYMENT_OTHER,      /* described in payment_note */
};

/* The VAT groups an invoice's totals are kept in (the FA(3) P_13_x/P_14_x pairs). */
enum vat_group {
	VAT_STANDARD,        /* 23% (or 22%) */
	VAT_REDUCED_1,       /* 8% (or 7%) */
	VAT_REDUCED_2,       /* 5% */
	VAT_TAXI_FLAT,       /* flat rate for taxis (4% or 3%) */
	VAT_OSS,             /* the EU one-stop-shop procedure (VAT of another state) */
	VAT_ZERO_DOMESTIC,   /* 0% at home */
	VAT_ZERO_INTRA_EU,   /* 0%, intra-Community supply of goods */
	VAT_ZERO_EXPORT,     /* 0%, export */
	VAT_EXEMPT,          /* "zw" */
	VAT_OUTSIDE_COUNTRY, /* supply outside Poland ("np") */
	VAT_EU_SERVICES,     /* services under art. 100(1)(4) ("np") */
	VAT_REVERSE_CHARGE,  /* the buyer accounts for the VAT ("oo") */
	VAT_MARGIN,          /* margin scheme */
	VAT_GROUP_COUNT
};

/* The fields of the model, each with its own provenance; the names are the JSON paths
 * in the `invoice` object (and the keys of its "found" object). */
enum invoice_field {
	INV_KSEF_NUMBER, INV_NUMBER, INV_KIND, INV_DIRECTION,
	INV_ISSUE_DATE, INV_SALE_DATE, INV_PERIOD, INV_DUE_DATE,
	INV_SELLER_NAME, INV_SELLER_NIP, INV_SELLER_FOREIGN_ID, INV_SELLER_ADDRESS,
	INV_SELLER_ACCOUNTS,
	INV_BUYER_NAME, INV_BUYER_NIP, INV_BUYER_FOREIGN_ID, INV_BUYER_ADDRESS,
	INV_CURRENCY, INV_NET, INV_VAT, INV_GROSS, INV_RATES, INV_VAT_PLN, INV_EXCHANGE_RATE,
	INV_PAYMENT_FORM, INV_PAID, INV_SPLIT_PAYMENT,
	INV_CORRECTS, INV_ADVANCES,
	INV_VERIFY_URL, INV_TEXT,
	INVOICE_FIELD_COUNT
};

/* What a document's text layer gave the reader (PDF invoices). */
enum invoice_text {
	INVOICE_TEXT_UNKNOWN = 0,
	INVOICE_TEXT_NONE,   /* no text layer (a scan): nothing could be read */
};

enum found_by {
	FOUND_NONE = 0,
	FOUND_FA3,      /* the FA(3) XML; at = element path */
	FOUND_KSEF,     /* KSeF's invoice metadata; at = its field */
	FOUND_PORTAL,   /* a portal's list page; at = the recipe's field */
	FOUND_SOURCE,   /* the source that fetched it (KSeF subject, company NIP); at = why */
	FOUND_RULE,     /* a field rule over PDF text; at = rule name, page = 1-based page */
	FOUND_UNSTATED, /* read from a sidecar that does not say how (written before "found") */
};

struct invoice_found {
	enum found_by by;
	char *at;
	int page;       /* FOUND_RULE only; 0 = not known */
};

struct invoice_party {
	char *name;
	char nip[NIP_LEN + 1];   /* Polish NIP, compact; "" when none */
	char *foreign_id;        /* EU VAT number with its country prefix, or another id */
	char *country;           /* ISO 3166 code of the address */
	char *address;           /* the address lines joined with ", " */
};

struct invoice_account {
	char *number;        /* compact IBAN when it reads as one, else as written */
	char *bank;          /* bank name, or NULL */
	bool factor;         /* a factoring company's account the seller asks to pay to */
	bool checksum_ok;    /* iban_valid() of number */
};

struct invoice_rate {
	enum vat_group group;
	int64_t net;
	int64_t vat;         /* when has_vat (groups with a VAT amount) */
	int64_t vat_pln;     /* when has_vat_pln: the VAT in grosze for a foreign currency */
	bool has_vat, has_vat_pln;
};

/* Another invoice this one refers to (the corrected one, an advance invoice). */
struct invoice_ref {
	char *number;
	char *ksef_number;
	invoice_date issue_date;
};

struct invoice {
	char *ksef_number;
	char *number;
	enum invoice_kind kind;
	enum invoice_direction direction;
	invoice_date issue_date, sale_date, period_from, period_to;
	invoice_date *due_dates;        /* in the order the invoice gives them */
	size_t ndue_dates;
	struct invoice_party seller, buyer;
	struct invoice_account *accounts; /* the seller's (and factor's) accounts */
	size_t naccounts;
	char currency[4];
	int64_t net, vat, gross;
	struct invoice_rate *rates;
	size_t nrates;
	int64_t vat_pln;                /* total VAT in grosze for a foreign currency */
	char *exchange_rate;            /* as written ("4.3200") */
	enum payment_form payment_form;
	char *payment_note;             /* PAYMENT_OTHER's description */
	bool paid, partly_paid;         /* INV_PAID: paid in full (on paid_date) or in part */
	invoice_date paid_date;
	bool split_payment;             /* the MPP (split payment) mark */
	struct invoice_ref *corrects;   /* for corrections */
	size_t ncorrects;
	struct invoice_ref *advances;   /* for settlement invoices */
	size_t nadvances;
	char *verify_url;               /* the KSeF verification link (the QR code's) */
	enum invoice_text text;         /* INV_TEXT: what the text layer gave */
	char *error;                    /* why the document could not be read; NULL if read */
	struct invoice_found found[INVOICE_FIELD_COUNT];
};

void invoice_free(struct invoice *inv);

/* Record how a field was found (replacing what was recorded); `at` is copied. */
void invoice_found_set(struct invoice *inv, enum invoice_field f, enum found_by by,
		       const char *at, int page);
static inline bool invoice_has(const struct invoice *inv, enum invoice_field f)
{
	return inv->found[f].by != FOUND_NONE;
}
/* Is a value found this way exact (XML, KSeF, portal, the source), as opposed to read
 * from text by a rule? An exact value wins over an inexact one. */
bool invoice_found_exact(enum found_by by);

/* Take into `into` each field `from` has and `into` lacks, or has only inexactly while
 * from's is exact (XML and portal values win over PDF text), with its provenance.
 * `from` is left with what `into` had instead; free both after. Where both are exact,
 * `into` keeps its own. */
void invoice_merge(struct invoice *into, struct invoice *from);

/* When inv says no direction: the company (company_nip as written; NULL: none) as the
 * seller makes it a sale, as the buyer a purchase (found by FOUND_SOURCE at
 * "company.nip"); otherwise it stays unsaid. The same rule for XML and PDF invoices. */
void invoice_direction_from_company(struct invoice *inv, const char *company_nip);

/* Room for one more element of an array the invoice owns; returns it zeroed. */
invoice_date *invoice_add_due_date(struct invoice *inv);
struct invoice_account *invoice_add_account(struct invoice *inv);
struct invoice_rate *invoice_add_rate(struct invoice *inv);
struct invoice_ref *invoice_add_ref(struct invoice_ref **refs, size_t *n);

/* Is s a date as the model keeps it ("YYYY-MM-DD", digits where digits belong)? */
bool invoice_date_ok(const char *s);

/* The names used in JSON; NULL for an out-of-range value. */
const char *invoice_kind_name(enum invoice_kind k);
const char *invoice_direction_name(enum invoice_direction d);
const char *vat_group_name(enum vat_group g);
const char *found_by_name(enum found_by by);

/* The sidecar's `invoice` object: present fields only, plus "found" and "error". */
json_t *invoice_to_json(const struct invoice *inv);
/* Read such an object back into an empty invoice (freed again on failure). */
int invoice_from_json(const json_t *obj, struct invoice *inv, struct gerr *err);

#endif
