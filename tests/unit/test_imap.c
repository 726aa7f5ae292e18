/* Unit tests of the imap source's pieces that need no server: its conf.d keys (defaults,
 * null move_to, the messages a person gets) and the per-folder state file. */
#include <sys/stat.h>

#include "testutil.h"
#include "conf/load.h"
#include "sources/imap/session.h"
#include "sources/imap/state.h"
#include "sources/source.h"

#define SOURCE "sources:\n  - name: m\n    type: imap\n    host: imap.example.pl\n" \
	       "    user: u\n    password_env: P\n"

static struct config *load(const char *yaml, struct diag *diag)
{
	memset(diag, 0, sizeof *diag);
	return config_load_string("t.yaml", yaml, strlen(yaml), diag);
}

static void test_defaults(void **state)
{
	(void)state;
	struct diag diag;
	struct config *cfg = load(SOURCE "    senders: ['*@pge.pl']\n", &diag);
	assert_non_null(cfg);
	const struct imap_conf *c = cfg->sources[0]->typed;
	assert_int_equal(c->tls, IMAP_TLS_SSL);
	assert_int_equal(c->port, 0);
	assert_string_equal(c->move_to, "eksiegowy{year}");
	assert_int_equal(c->io_timeout, 60);
	assert_int_equal(c->folders.len, 0);
	assert_int_equal(c->password.kind, SECRET_ENV);
	assert_true(strlist_contains(&cfg->sources[0]->accept, "pdf"));
	config_free(cfg);
	diag_free(&diag);
}

static void test_values(void **state)
{
	(void)state;
	struct diag diag;
	struct config *cfg = load(SOURCE "    senders: ['*@pge.pl', 'ebok@play.pl']\n"
					 "    tls: starttls\n    port: 1143\n    move_to: null\n"
					 "    folders: [INBOX, 'Faktury źródłowe']\n    ca_file: /etc/ca.pem\n",
				  &diag);
	assert_non_null(cfg);
	const struct imap_conf *c = cfg->sources[0]->typed;
	assert_int_equal(c->tls, IMAP_TLS_STARTTLS);
	assert_int_equal(c->port, 1143);
	assert_null(c->move_to);
	assert_int_equal(c->folders.len, 2);
	assert_string_equal(c->folders.items[1], "Faktury źródłowe");
	assert_int_equal(c->senders.len, 2);
	assert_string_equal(c->ca_file, "/etc/ca.pem");
	config_free(cfg);
	diag_free(&diag);
}

static void expect_error(const char *yaml, const char *message)
{
	struct diag diag;
	struct config *cfg = load(yaml, &diag);
	assert_null(cfg);
	bool found = false;
	for (size_t i = 0; i < diag.len; i++)
		found |= strstr(diag.items[i].msg, message) != NULL;
	if (!found)
		fail_msg("no error containing '%s' (first: %s)", message,
			 diag.len ? diag.items[0].msg : "none");
	diag_free(&diag);
}

static void test_errors(void **state)
{
	(void)state;
	expect_error(SOURCE, "missing required key 'senders'");
	expect_error(SOURCE "    senders: []\n", "list the addresses whose mail goes to goniec");
	expect_error(SOURCE "    senders: ['*@pge.pl']\n    move_to: 'x{month}'\n",
		     "the only placeholder is {year}");
	expect_error(SOURCE "    senders: ['*@pge.pl']\n    tls: yes\n", "is not one of: ssl, starttls, none");
	expect_error(SOURCE "    senders: ['*@pge.pl']\n    port: 70000\n", "out of range");
	expect_error("sources:\n  - name: m\n    type: imap\n    user: u\n    password: p\n"
		     "    senders: ['*']\n", "missing required key 'host'");
}

static void test_state_roundtrip(void **state)
{
	(void)state;
	char *dir = scratch_dir();
	struct imap_state st;
	struct folder_state fs;
	struct gerr err;
	assert_int_equal(imap_state_load(&st, dir, &err), 0);
	imap_state_get(&st, "INBOX", &fs);
	assert_int_equal(fs.uidvalidity, 0);
	assert_int_equal(fs.last_uid, 0);
	fs.uidvalidity = 1700000000u;
	fs.last_uid = 4711;
	uid_list_add(&fs.pending, 4702);
	uid_list_add(&fs.pending, 4702);
	uid_list_add(&fs.pending, 4703);
	uid_list_add(&fs.held, 4650);
	imap_state_set(&st, "Wys&AUI-ane", &fs);
	folder_state_free(&fs);
	assert_int_equal(imap_state_save(&st, &err), 0);
	imap_state_free(&st);

	char *path = path_join(dir, "imap-folders.json");
	struct stat sb;
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(imap_state_load(&st, dir, &err), 0);
	imap_state_get(&st, "Wys&AUI-ane", &fs);
	assert_int_equal(fs.uidvalidity, 1700000000u);
	assert_int_equal(fs.last_uid, 4711);
	assert_int_equal(fs.pending.len, 2);
	assert_int_equal(fs.pending.uids[1], 4703);
	assert_int_equal(fs.held.len, 1);
	assert_int_equal(fs.held.uids[0], 4650);
	folder_state_free(&fs);
	imap_state_free(&st);

	/* a damaged file means "nothing seen yet", never a failed run */
	write_text(path, "{\"INBOX\": {\"last_uid\": 5,");
	assert_int_equal(imap_state_load(&st, dir, &err), 0);
	imap_state_get(&st, "INBOX", &fs);
	assert_int_equal(fs.last_uid, 0);
	imap_state_free(&st);
	write_text(path, "{\"INBOX\": {\"last_uid\": -5, \"uidvalidity\": \"x\", \"pending_move\": [0, 1e99, 7], \"held\": {\"x\": 1}}}");
	assert_int_equal(imap_state_load(&st, dir, &err), 0);
	imap_state_get(&st, "INBOX", &fs);
	assert_int_equal(fs.last_uid, 0);
	assert_int_equal(fs.pending.len, 1);
	assert_int_equal(fs.pending.uids[0], 7);
	assert_int_equal(fs.held.len, 0);
	folder_state_free(&fs);
	imap_state_free(&st);
	free(path);
	rm_rf(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_state_roundtrip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
