/* Unit tests of forwarding routes: the conf.d schema (targets, modes, groups, security,
 * addresses, templates) and matching on sidecar fields (wildcards, lists, any path,
 * company documents, alerts, statement files of several accounts). */
#include "testutil.h"
#include "conf/load.h"
#include "forward/route.h"
#include "forward/target.h"
#include "core/sidecar.h"
#include "formats/stmtfile.h"

static struct config *load(const char *yaml, struct diag *diag)
{
	return config_load_string("routes.yaml", yaml, strlen(yaml), diag);
}

static bool matches(const struct config *cfg, size_t i, const char *json)
{
	json_t *root = NULL;
	struct gerr err;
	assert_int_equal(sidecar_parse(json, strlen(json), &root, &err), 0);
	bool m = route_matches(cfg->routes[i], root, "x.pdf");
	json_decref(root);
	return m;
}

static const char ROUTES[] =
	"company: {id: acme, name: ACME}\n"
	"routes:\n"
	"  - name: pge\n"
	"    match:\n"
	"      kind: [invoice, statement]\n"
	"      sender: '*@PGE.pl'\n"
	"      invoice.seller.nip: '526*'\n"
	"    folder: {path: /srv/import, name: '{company}/{file}', mode: '0640'}\n"
	"---\n"
	"routes:\n"
	"  - name: all\n"
	"    folder: {path: /srv/all}\n"
	"  - name: alerts\n"
	"    match: {kind: alert}\n"
	"    email: {to: [a@b.pl], from: g@b.pl, server: smtp.b.pl}\n"
	"  - name: with-alerts\n"
	"    alerts: true\n"
	"    match: {source_type: imap}\n"
	"    email: {to: a@b.pl, from: g@b.pl, server: 127.0.0.1, security: none, port: 25}\n";

static void test_matching(void **state)
{
	(void)state;
	struct diag diag = {0};
	struct config *cfg = load(ROUTES, &diag);
	diag_print(&diag, stderr);
	assert_non_null(cfg);
	assert_int_equal(diag.errors, 0);
	assert_int_equal(cfg->nroutes, 4);
	const char *pge = "{\"company\": \"acme\", \"kind\": \"invoice\","
			  " \"origin\": {\"imap\": {\"from\": \"Faktury@pge.pl\"}},"
			  " \"invoice\": {\"seller\": {\"nip\": \"5260001\"}},"
			  " \"source\": {\"name\": \"m\", \"type\": \"imap\"}}";
	assert_true(matches(cfg, 0, pge));
	assert_true(matches(cfg, 1, pge));
	assert_false(matches(cfg, 2, pge));
	assert_true(matches(cfg, 3, pge));
	/* another company: not for the company's route */
	assert_false(matches(cfg, 0, "{\"company\": \"other\", \"kind\": \"invoice\","
				     " \"origin\": {\"imap\": {\"from\": \"a@pge.pl\"}},"
				     " \"invoice\": {\"seller\": {\"nip\": \"5260001\"}}}"));
	/* a field missing or not matching */
	assert_false(matches(cfg, 0, "{\"company\": \"acme\", \"kind\": \"invoice\","
				     " \"origin\": {\"imap\": {\"from\": \"a@pge.pl\"}}}"));
	assert_false(matches(cfg, 0, "{\"company\": \"acme\", \"kind\": \"receipt\","
				     " \"origin\": {\"imap\": {\"from\": \"a@pge.pl\"}},"
				     " \"invoice\": {\"seller\": {\"nip\": \"5260001\"}}}"));
	/* alerts: only routes that ask */
	const char *alert = "{\"kind\": \"alert\", \"source\": {\"name\": \"d\", \"type\": \"imap\"}}";
	assert_false(matches(cfg, 1, alert));
	assert_true(matches(cfg, 2, alert));
	assert_true(matches(cfg, 3, alert));
	const struct route *r = cfg->routes[0]->typed;
	assert_ptr_equal(r->target, &target_folder);
	const struct route_folder_target *f = r->target_conf;
	assert_int_equal(f->fmode, 0640);
	assert_int_equal(f->dmode, 0750);
	const struct route *e = cfg->routes[2]->typed;
	assert_ptr_equal(e->target, &target_email);
	const struct route_email_target *m = e->target_conf;
	assert_int_equal(m->port, 587);
	assert_int_equal(m->security, EMAIL_STARTTLS);
	config_free(cfg);
	diag_free(&diag);
}

/* Each invoice once: a route with duplicate: false skips copies (duplicate_of set). */
static void test_duplicates_skipped(void **state)
{
	(void)state;
	struct diag diag = {0};
	struct config *cfg = load("routes:\n"
				  "  - name: once\n"
				  "    match: {kind: invoice, duplicate: false}\n"
				  "    folder: {path: /srv/import}\n"
				  "  - name: copies\n"
				  "    match: {duplicate: true}\n"
				  "    folder: {path: /srv/copies}\n", &diag);
	diag_print(&diag, stderr);
	assert_non_null(cfg);
	assert_int_equal(diag.warnings, 0); /* duplicate is a known field */
	const char *first = "{\"kind\": \"invoice\", \"duplicate_of\": null}";
	const char *copy = "{\"kind\": \"invoice\", \"duplicate_of\": \"2026/01/12/mail/FV.pdf\","
			   " \"duplicate_reason\": \"same KSeF number\"}";
	const char *statement = "{\"kind\": \"statement\"}";
	assert_true(matches(cfg, 0, first));
	assert_false(matches(cfg, 0, copy));
	assert_false(matches(cfg, 0, statement));
	assert_false(matches(cfg, 1, first));
	assert_true(matches(cfg, 1, copy));
	assert_false(matches(cfg, 1, statement));
	config_free(cfg);
	diag_free(&diag);
}

/* Routes on a statement's account, currency and bank, over the sidecar of a real file of
 * eight mBank statements (eight accounts in PLN, EUR and USD): a route on any account
 * or currency the file holds takes it, not only on its first statement's; an account
 * may be written with spaces or as a Polish NRB. */
static void test_statement_routes(void **state)
{
	(void)state;
	struct stmt_file f;
	struct gerr err = {0};
	const char *path = "../shared/samples/mt940/mbank-2-multiple-accounts.txt";
	stmt_file_init(&f, path);
	if (stmt_read_path(path, &f, NULL, &err) < 0)
		fail_msg("%s", err.msg);
	json_t *root = json_pack("{s:s, s:s, s:o}", "company", "acme", "kind", "statement",
				 "statement", stmt_sidecar_json(&f));
	stmt_file_free(&f);
	struct diag diag = {0};
	struct config *cfg = load("routes:\n"
				  "  - {name: first, match: {statement.account: "
				  "PL46114010100000579009004001}, folder: {path: /a}}\n"
				  "  - {name: usd, match: {statement.account: "
				  "'*0579009004005'}, folder: {path: /a}}\n"
				  "  - {name: spaced, match: {statement.account: "
				  "'PL35 1140 1010 0000 5790 0900 4005'}, folder: {path: /a}}\n"
				  "  - {name: nrb, match: {statement.account: "
				  "['11 1111 1111', '89 1140 1010 0000 5790 0900 4003']}, folder: {path: /a}}\n"
				  "  - {name: other, match: {statement.account: "
				  "PL61109010140000071219812874}, folder: {path: /a}}\n"
				  "  - {name: eur, match: {statement.currency: EUR}, folder: {path: /a}}\n"
				  "  - {name: gbp, match: {statement.currency: GBP}, folder: {path: /a}}\n"
				  "  - {name: mbank, match: {kind: statement, statement.bank: mBank},"
				  " folder: {path: /a}}\n"
				  "  - {name: pko, match: {statement.bank: PKO*}, folder: {path: /a}}\n"
				  "  - {name: ok, match: {statement.reconciles: true}, folder: {path: /a}}\n"
				  "  - {name: list, match: {statement.accounts: "
				  "'55 1140 1010 0000 5790 0900 5003'}, folder: {path: /a}}\n"
				  "  - {name: not-listed, match: {statement.accounts: '*9005004'},"
				  " folder: {path: /a}}\n",
				  &diag);
	diag_print(&diag, stderr);
	assert_non_null(cfg);
	assert_int_equal(diag.warnings, 0);
	static const bool want[] = {true, true, true, true, false, true, false, true, false, true,
				    true, false};
	assert_int_equal(cfg->nroutes, ARRAY_LEN(want));
	for (size_t i = 0; i < ARRAY_LEN(want); i++) {
		print_message("%s\n", cfg->routes[i]->name);
		assert_int_equal(route_matches(cfg->routes[i], root, "wyciag.sta"), want[i]);
	}
	/* one statement of a file that does not reconcile does not make the file reconcile */
	json_object_set_new(json_object_get(root, "statement"), "reconciles", json_false());
	assert_false(route_matches(cfg->routes[9], root, "wyciag.sta"));
	json_decref(root);
	config_free(cfg);
	diag_free(&diag);
}

static void expect_error(const char *routes, const char *needle)
{
	struct diag diag = {0};
	struct config *cfg = load(routes, &diag);
	bool found = false;
	for (size_t i = 0; i < diag.len; i++)
		found |= !diag.items[i].warning && strstr(diag.items[i].msg, needle) != NULL;
	if (!found || cfg) {
		diag_print(&diag, stderr);
		fail_msg("expected an error with '%s'", needle);
	}
	diag_free(&diag);
}

static void test_schema_errors(void **state)
{
	(void)state;
	expect_error("routes:\n  - name: a\n    match: {kind: x}\n", "exactly one target");
	expect_error("routes:\n  - name: a\n    folder: {path: relative}\n", "must be absolute");
	expect_error("routes:\n  - name: a\n    folder: {path: /x, mode: '0999'}\n", "octal mode");
	expect_error("routes:\n  - name: a\n    folder: {path: /x, group: no-such-group-here}\n",
		     "no group");
	expect_error("routes:\n  - name: a\n    folder: {path: /x, name: '{a'}\n", "without '}'");
	expect_error("routes:\n  - name: a\n    email: {to: 'x y', from: a@b, server: s}\n",
		     "not an e-mail address");
	expect_error("routes:\n  - name: a\n    email: {to: a@b, from: a@b, server: smtp.x.pl,"
		     " security: none}\n", "only allowed for a server on this machine");
	expect_error("routes:\n  - name: a\n    email: {to: a@b, from: a@b, server: s,"
		     " security: tls}\n", "security");
	expect_error("routes:\n  - name: a\n    email: {to: a@b, from: a@b, server: s,"
		     " password: x}\n", "needs a `user`");
	expect_error("routes:\n  - name: a\n    match: {kind: [[x]]}\n    folder: {path: /x}\n",
		     "expected a pattern");
}

static void test_unknown_fields_warned(void **state)
{
	(void)state;
	struct diag diag = {0};
	struct config *cfg = load("routes:\n  - name: a\n    match: {invoice.numer: 'x'}\n"
				  "    folder: {path: /x, name: '{invoice.isue_date:%Y}/{file}'}\n",
				  &diag);
	assert_non_null(cfg);
	assert_int_equal(diag.errors, 0);
	assert_int_equal(diag.warnings, 2);
	assert_non_null(strstr(diag.items[0].msg, "'invoice.numer' is in no sidecar"));
	assert_non_null(strstr(diag.items[1].msg, "did you mean 'invoice.issue_date'"));
	config_free(cfg);
	diag_free(&diag);
}

static void test_fingerprint_changes(void **state)
{
	(void)state;
	struct diag diag = {0};
	struct config *a = load("routes:\n  - name: a\n    folder: {path: /x}\n", &diag);
	struct config *b = load("routes:\n  - name: a\n    folder: {path: /y}\n", &diag);
	char *fa = route_fingerprint(a->routes[0]), *fb = route_fingerprint(b->routes[0]);
	assert_string_not_equal(fa, fb);
	free(fa), free(fb);
	config_free(a);
	config_free(b);
	diag_free(&diag);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_matching),
		cmocka_unit_test(test_duplicates_skipped),
		cmocka_unit_test(test_statement_routes),
		cmocka_unit_test(test_schema_errors),
		cmocka_unit_test(test_unknown_fields_warned),
		cmocka_unit_test(test_fingerprint_changes),
	};
	return cmocka_run_group_tests_name("fwd_route", tests, NULL, NULL);
}
