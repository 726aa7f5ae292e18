/* report — see report.h. */
#include "payments/report.h"

#include <csv.h>
#include <libxml/HTMLtree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

static const char *str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

static const char *path2(const json_t *o, const char *a, const char *b)
{
	return str(json_object_get(o, a), b);
}

/* ---- CSV ------------------------------------------------------------------------------------ */

static void csv_cells(FILE *out, const char *const *cells, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (i)
			fputc(';', out);
		csv_fwrite(out, cells[i], strlen(cells[i]));
	}
	fputs("\r\n", out);
}

char *payments_csv(const json_t *doc)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	fputs(PAYMENTS_CSV_HEADER "\r\n", out);
	size_t i, k;
	const json_t *m, *inv;
	json_array_foreach(json_object_get(doc, "matched"), i, m) {
		const json_t *t = json_object_get(m, "transaction");
		json_array_foreach(json_object_get(m, "invoices"), k, inv) {
			const char *cells[] = {
				str(t, "date"), str(t, "amount"), str(t, "currency"), str(t, "account"),
				path2(t, "counterparty", "name"), path2(t, "counterparty", "account"), str(t, "title"),
				str(inv, "number"), str(inv, "ksef_number"), str(inv, "direction"), str(inv, "paid"),
				str(m, "rule"), str(m, "certainty"), str(t, "ref"), str(inv, "ref"),
			};
			csv_cells(out, cells, ARRAY_LEN(cells));
		}
	}
	fclose(out);
	return text;
}

/* ---- HTML ------------------------------------------------------------------------------------ */

static const char style[] =
	"body{font-family:sans-serif;margin:2em;color:#222}"
	"h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.8em;border-bottom:1px solid #ccc}"
	"table{border-collapse:collapse;width:100%;font-size:.9em}"
	"th,td{border:1px solid #ddd;padding:.3em .5em;text-align:left;vertical-align:top}"
	"th{background:#f3f3f3}td.amount{text-align:right;white-space:nowrap}"
	"ul.counts{list-style:none;padding:0;display:flex;gap:2em}ul.counts b{font-size:1.4em}"
	".why{color:#555}.person{background:#fff7e0}.overdue{color:#a00}code{background:#f3f3f3}";

static xmlNodePtr el(xmlNodePtr parent, const char *name, const char *text)
{
	return xmlNewTextChild(parent, NULL, BAD_CAST name, text ? BAD_CAST text : NULL);
}

static void attr(xmlNodePtr n, const char *name, const char *value)
{
	xmlNewProp(n, BAD_CAST name, BAD_CAST value);
}

static xmlNodePtr td(xmlNodePtr tr, const char *text, const char *cls)
{
	xmlNodePtr c = el(tr, "td", text);
	if (cls)
		attr(c, "class", cls);
	return c;
}

static void td_amount(xmlNodePtr tr, const char *amount, const char *currency)
{
	char *t = xasprintf("%s %s", amount, currency);
	td(tr, t, "amount");
	free(t);
}

static xmlNodePtr table(xmlNodePtr section, const char *const *heads, size_t n)
{
	xmlNodePtr t = el(section, "table", NULL);
	xmlNodePtr tr = el(el(t, "thead", NULL), "tr", NULL);
	for (size_t i = 0; i < n; i++)
		el(tr, "th", heads[i]);
	return el(t, "tbody", NULL);
}

static xmlNodePtr section(xmlNodePtr body, const char *id, const char *title)
{
	xmlNodePtr s = el(body, "section", NULL);
	attr(s, "id", id);
	el(s, "h2", title);
	return s;
}

static void none(xmlNodePtr s, const char *text)
{
	attr(el(s, "p", text), "class", "why");
}

/* Below a table cut at PAYMENTS_HTML_ROWS: how many rows it left out, and where they are. */
static void more(xmlNodePtr s, size_t left_out, const char *where)
{
	if (!left_out)
		return;
	char *text = xasprintf("... and %zu more, not shown on this page: %s.", left_out, where);
	none(s, text);
	free(text);
}

static void counts(xmlNodePtr body, const json_t *doc)
{
	const json_t *c = json_object_get(doc, "counts");
	xmlNodePtr ul = el(body, "ul", NULL);
	attr(ul, "class", "counts");
	struct {
		const char *label;
		json_int_t n;
	} items[] = {
		{"matched in this run", (json_int_t)json_array_size(json_object_get(doc, "matched"))},
		{"left for a person", json_integer_value(json_object_get(c, "person")) +
					      json_integer_value(json_object_get(c, "unmatched"))},
		{"open invoices", json_integer_value(json_object_get(c, "open_invoices"))},
		{"overdue", json_integer_value(json_object_get(c, "overdue_invoices"))},
	};
	for (size_t i = 0; i < ARRAY_LEN(items); i++) {
		xmlNodePtr li = el(ul, "li", NULL);
		char n[32];
		snprintf(n, sizeof(n), "%lld", (long long)items[i].n);
		el(li, "b", n);
		xmlAddChild(li, xmlNewText(BAD_CAST " "));
		xmlAddChild(li, xmlNewText(BAD_CAST items[i].label));
	}
}

static void balances(xmlNodePtr body, const json_t *doc)
{
	xmlNodePtr s = section(body, "balances", "Balances");
	const json_t *list = json_object_get(doc, "balances");
	if (!json_array_size(list)) {
		none(s, "No statement with a closing balance yet.");
		return;
	}
	static const char *const heads[] = {"Account", "Bank", "Balance", "As of"};
	xmlNodePtr tb = table(s, heads, ARRAY_LEN(heads));
	size_t i;
	const json_t *b;
	json_array_foreach(list, i, b) {
		xmlNodePtr tr = el(tb, "tr", NULL);
		td(tr, str(b, "account"), NULL);
		td(tr, str(b, "bank"), NULL);
		td_amount(tr, str(b, "amount"), str(b, "currency"));
		td(tr, str(b, "date"), NULL);
	}
}

static char *invoice_line(const json_t *inv, const char *amount_key)
{
	return xasprintf("%s (%s, %s %s %s)", str(inv, "number"), path2(inv, "counterparty", "name"),
			 amount_key, str(inv, amount_key), str(inv, "currency"));
}

static void matched(xmlNodePtr body, const json_t *doc)
{
	xmlNodePtr s = section(body, "matched", "Matched in this run");
	const json_t *list = json_object_get(doc, "matched");
	if (!json_array_size(list)) {
		none(s, "Nothing new was matched.");
		return;
	}
	static const char *const heads[] = {"Date", "Amount", "Counterparty", "Title", "Invoices paid", "Rule", "Why"};
	xmlNodePtr tb = table(s, heads, ARRAY_LEN(heads));
	size_t i, k;
	const json_t *m, *inv;
	json_array_foreach(list, i, m) {
		if (i == PAYMENTS_HTML_ROWS)
			break;
		const json_t *t = json_object_get(m, "transaction");
		xmlNodePtr tr = el(tb, "tr", NULL);
		td(tr, str(t, "date"), NULL);
		td_amount(tr, str(t, "amount"), str(t, "currency"));
		td(tr, path2(t, "counterparty", "name"), NULL);
		td(tr, str(t, "title"), NULL);
		xmlNodePtr cell = td(tr, NULL, NULL);
		json_array_foreach(json_object_get(m, "invoices"), k, inv) {
			char *line = invoice_line(inv, "paid");
			el(cell, "div", line);
			free(line);
		}
		char *rule = xasprintf("%s (%s)", str(m, "rule"), str(m, "certainty"));
		td(tr, rule, NULL);
		free(rule);
		td(tr, str(m, "reason"), "why");
	}
	more(s, json_array_size(list) - i, "every one is in the CSV and JSON forms of this report");
}

static void left(xmlNodePtr body, const json_t *doc)
{
	xmlNodePtr s = section(body, "unmatched", "Left for a person");
	const json_t *list = json_object_get(doc, "unmatched");
	if (!json_array_size(list)) {
		none(s, "Nothing: every transaction is matched or dismissed.");
		return;
	}
	xmlNodePtr p = el(s, "p", "Decide with ");
	el(p, "code", "goniec payments pair REF INVOICE...");
	xmlAddChild(p, xmlNewText(BAD_CAST ", "));
	el(p, "code", "goniec payments reject REF INVOICE");
	xmlAddChild(p, xmlNewText(BAD_CAST " or "));
	el(p, "code", "goniec payments dismiss REF");
	xmlAddChild(p, xmlNewText(BAD_CAST " (a payment of no invoice)."));
	static const char *const heads[] = {"Ref", "Date", "Amount", "Counterparty", "Title", "Why", "Candidates"};
	xmlNodePtr tb = table(s, heads, ARRAY_LEN(heads));
	size_t i, k;
	const json_t *e, *c;
	json_array_foreach(list, i, e) {
		if (i == PAYMENTS_HTML_ROWS)
			break;
		const json_t *t = json_object_get(e, "transaction");
		xmlNodePtr tr = el(tb, "tr", NULL);
		if (!strcmp(str(e, "state"), "person"))
			attr(tr, "class", "person");
		el(td(tr, NULL, NULL), "code", str(t, "ref"));
		td(tr, str(t, "date"), NULL);
		td_amount(tr, str(t, "amount"), str(t, "currency"));
		td(tr, path2(t, "counterparty", "name"), NULL);
		td(tr, str(t, "title"), NULL);
		td(tr, str(e, "reason"), "why");
		xmlNodePtr cell = td(tr, NULL, NULL);
		json_array_foreach(json_object_get(e, "candidates"), k, c) {
			char *line = invoice_line(c, "open");
			char *full = xasprintf("%s [%s]: %s", line, str(c, "ref"), str(c, "why"));
			el(cell, "div", full);
			free(full);
			free(line);
		}
	}
	more(s, json_array_size(list) - i, "every one is in the JSON form of this report and in goniec payments COMPANY");
}

static void invoices(xmlNodePtr body, const json_t *doc, bool overdue)
{
	xmlNodePtr s = section(body, overdue ? "overdue" : "open", overdue ? "Overdue invoices" : "Open invoices");
	static const char *const heads[] = {"Number", "Direction", "Counterparty", "Issued", "Due", "Open", "Days overdue"};
	xmlNodePtr tb = NULL;
	size_t i, shown = 0, cut = 0;
	const json_t *inv;
	json_array_foreach(json_object_get(doc, "open_invoices"), i, inv) {
		const json_t *days = json_object_get(inv, "overdue_days");
		if (overdue != (days != NULL))
			continue;
		if (shown == PAYMENTS_HTML_ROWS) {
			cut++;
			continue;
		}
		shown++;
		if (!tb)
			tb = table(s, heads, ARRAY_LEN(heads) - !overdue);
		xmlNodePtr tr = el(tb, "tr", NULL);
		td(tr, str(inv, "number"), NULL);
		td(tr, str(inv, "direction"), NULL);
		td(tr, path2(inv, "counterparty", "name"), NULL);
		td(tr, str(inv, "issue_date"), NULL);
		td(tr, str(inv, "due_date"), NULL);
		td_amount(tr, str(inv, "open"), str(inv, "currency"));
		if (overdue) {
			char n[32];
			snprintf(n, sizeof(n), "%lld", (long long)json_integer_value(days));
			td(tr, n, "overdue");
		}
	}
	if (!tb)
		none(s, overdue ? "No invoice is overdue." : "No other invoice is open.");
	more(s, cut, "every one is in the JSON form of this report and in goniec payments COMPANY");
}

char *payments_html(const json_t *doc)
{
	htmlDocPtr d = htmlNewDocNoDtD(NULL, NULL);
	xmlNodePtr html = xmlNewNode(NULL, BAD_CAST "html");
	xmlDocSetRootElement(d, html);
	attr(html, "lang", "en");
	xmlNodePtr head = el(html, "head", NULL);
	attr(el(head, "meta", NULL), "charset", "utf-8");
	char *title = xasprintf("Payments of %s", str(doc, "company"));
	el(head, "title", title);
	el(head, "style", style);
	xmlNodePtr body = el(html, "body", NULL);
	el(body, "h1", title);
	free(title);
	char *meta = xasprintf("Report made %s (run %lld) for the state of %s.", str(doc, "generated_at"),
			       (long long)json_integer_value(json_object_get(doc, "generation")), str(doc, "today"));
	attr(el(body, "p", meta), "class", "why");
	free(meta);
	counts(body, doc);
	balances(body, doc);
	matched(body, doc);
	left(body, doc);
	invoices(body, doc, true);
	invoices(body, doc, false);
	xmlChar *mem = NULL;
	int size = 0;
	htmlDocDumpMemoryFormat(d, &mem, &size, 1);
	char *out = xasprintf("<!DOCTYPE html>\n%s", mem ? (const char *)mem : "");
	xmlFree(mem);
	xmlFreeDoc(d);
	return out;
}
