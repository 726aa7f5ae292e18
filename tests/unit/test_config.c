/* Unit tests of the conf.d loader: a table of broken configurations with the exact
 * messages a person gets, and the rules for which files are read. */
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"
#include "readdir_fail.h"
#include "conf/load.h"
#include "core/yamlload.h"
#include "formats/pdftext.h"
#include "sources/source.h"

struct broken {
	const char *yaml;
	const char *expected; /* the first diagnostic, exactly as printed */
};

static const struct broken broken_configs[] = {
	{"agent:\n  timezone: Europe/Warsaw\n  spoool: /x\n",
	 "t.yaml:3:3: error: unknown key 'spoool' (did you mean 'spool'?)"},
	{"agent:\n  workers: many\n",
	 "t.yaml:2:12: error: workers: expected a whole number, got 'many'"},
	{"agent:\n  workers: 0\n", "t.yaml:2:12: error: workers: 0 is out of range (1 to 256)"},
	{"agent:\n  timezone: Europe/Warsw\n",
	 "t.yaml:2:13: error: timezone: unknown time zone 'Europe/Warsw' (expected a name such as Europe/Warsaw)"},
	{"agent:\n  timezone: ../../etc/passwd\n",
	 "t.yaml:2:13: error: timezone: unknown time zone '../../etc/passwd' (expected a name such as Europe/Warsaw)"},
	{"agent:\n  max_document_size: 12 parsecs\n",
	 "t.yaml:2:22: error: max_document_size: expected a size such as 50MB or 512k, got '12 parsecs'"},
	{"agent:\n  pdf: {time: 2h}\n", "t.yaml:2:15: error: time: '2h' is out of range (1 to 3600 s)"},
	{"agent:\n  pdf: {memory: 1MB}\n",
	 "t.yaml:2:17: error: memory: '1MB' is out of range (16777216 to 68719476736 bytes)"},
	{"agent:\n  stop_grace: 2m\n", "t.yaml:2:15: error: stop_grace: '2m' is out of range (0 to 80 s)"},
	{"agent:\n  pdf: {pages: 0}\n", "t.yaml:2:16: error: pages: 0 is out of range (1 to 100000)"},
	{"agent:\n  pdf: {text: lots}\n",
	 "t.yaml:2:15: error: text: expected a size such as 50MB or 512k, got 'lots'"},
	{"agent:\n  pdf: {seconds: 5}\n", "t.yaml:2:9: error: unknown key 'seconds'"},
	{"sources:\n  - name: a\n    type: folder\n",
	 "t.yaml:2:5: error: missing required key 'path': the directory documents are dropped into"},
	{"sources:\n  - type: folder\n    path: /x\n",
	 "t.yaml:2:5: error: missing required key 'name': a unique name, e.g. acme-mail"},
	{"sources:\n  - name: a\n    type: foldr\n    path: /x\n",
	 "t.yaml:3:11: error: unknown source type 'foldr' (did you mean 'folder'?)"},
	{"sources:\n  - name: a\n    type: folder\n    path: /x\n    pth: /y\n",
	 "t.yaml:5:5: error: unknown key 'pth' (did you mean 'path'?)"},
	{"sources:\n  - name: a\n    type: folder\n    path: /x\n    schedule: [\"25:00\"]\n",
	 "t.yaml:5:16: error: schedule: bad time of day '25:00' (expected HH:MM, 00:00 to 23:59)"},
	{"sources:\n  - name: a\n    type: folder\n    path: /x\n    schedule: sometimes\n",
	 "t.yaml:5:15: error: schedule: 'sometimes' is not a schedule (expected times such as [\"05:00\", \"12:00\"], daily, manual, or {every: 6h})"},
	{"sources:\n  - name: a\n    type: folder\n    path: /x\n    accept: [pdf, docx]\n",
	 "t.yaml:5:13: error: accept: unknown document type 'docx' (known: pdf xml mt940 camt csv zip transactions)"},
	{"sources:\n  - name: a\n    type: folder\n    path: /x\n    enabled: perhaps\n",
	 "t.yaml:5:14: error: enabled: expected true or false, got 'perhaps'"},
	{"sources:\n  - name: a\n    type: folder\n    path: /x\n    after: delete\n",
	 "t.yaml:5:12: error: after: 'delete' is not one of: move, keep"},
	{"sources:\n  - name: a\n    type: folder\n    path: relative/dir\n",
	 "t.yaml:4:11: error: path: 'relative/dir' must be an absolute path"},
	{"sources:\n  - name: ../evil\n    type: folder\n    path: /x\n",
	 "t.yaml:2:11: error: name '../evil' may hold only letters, digits, '.', '_' and '-' (64 at most)"},
	{"sources:\n  - name: a\n    type: folder\n    path: /x\n  - name: a\n    type: folder\n    path: /y\n",
	 "t.yaml:5:11: error: source name 'a' is already used at t.yaml:2:5"},
	{"sources:\n  - name: a\n    type: folder\n    path: [/x]\n",
	 "t.yaml:4:11: error: path: expected a single value, got a list"},
	{"sources:\n  name: a\n", "t.yaml:2:3: error: expected a list (items start with '- ')"},
	{"agent: {}\ncompny: acme\n",
	 "t.yaml:2:1: error: unknown key 'compny' (did you mean 'company'?)"},
	{"agent:\n  spool: [a\n", "t.yaml:3:1: error: YAML: did not find expected ',' or ']' while parsing a flow sequence"},
	{"- just\n- a list\n",
	 "t.yaml:1:1: error: a conf.d document is a mapping with agent:, company:, sources: or routes:"},
	{"agent: {}\n---\nagent: {}\n",
	 "t.yaml:3:8: error: agent: is already set at t.yaml:1:8; give it once in conf.d"},
	{"agent:\n  timezone: UTC\n  timezone: UTC\n",
	 "t.yaml:3:3: error: key 'timezone' is given twice in this block"},
	{"company: {id: acme}\nsources:\n  - name: m\n    type: folder\n    path: /x\n    settle: soon\n",
	 "t.yaml:6:13: error: settle: expected a duration such as 90s, 15m or 6h, got 'soon'"},
	/* Durations become deadlines in ms (timeout * 1000) and next runs (now + every): ones
	 * that fit in int64 but overflow there are refused, not run into undefined behaviour. */
	{"sources:\n  - name: a\n    type: folder\n    path: /x\n    timeout: 99999999999999999s\n",
	 "t.yaml:5:14: error: timeout: '99999999999999999s' is longer than goniec waits for anything (36500d at most)"},
	{"sources:\n  - name: a\n    type: folder\n    path: /x\n    schedule: {every: 9223372036854775807s}\n",
	 "t.yaml:5:23: error: every: '9223372036854775807s' is longer than goniec waits for anything (36500d at most)"},
	{"agent:\n  worker_timeout: 106751991167300d\n",
	 "t.yaml:2:19: error: worker_timeout: '106751991167300d' is longer than goniec waits for anything (36500d at most)"},
	/* 65 levels: "agent: " + 64 '[' (the root mapping is the first level) */
	{"agent: [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[x",
	 "t.yaml:1:71: error: YAML: nested deeper than 64 levels (lists and mappings inside each other); the rest is not read"},
	{"agent: &a {spool: *a}\n", "t.yaml:1:19: error: YAML: alias 'a' is inside the node it names"},
	{"agent: {spool: *nowhere}\n", "t.yaml:1:16: error: YAML: found undefined alias 'nowhere'"},
	{"agent: {spool: &a x, state: &a y}\n", "t.yaml:1:29: error: YAML: found duplicate anchor 'a'"},
	{"company: {id: acme, nip: '526-025-02-75'}\n",
	 "t.yaml:1:26: error: nip: '526-025-02-75' fails the NIP checksum (a digit wrong?)"},
	{"company: {id: acme, nip: '526/025/02/74'}\n",
	 "t.yaml:1:26: error: nip: '526/025/02/74' is not a NIP (ten digits, may be written with PL, spaces or dashes)"},
};

static char *first_message(const struct diag *d)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	diag_print(d, f);
	fclose(f);
	char *nl = strchr(text, '\n');
	if (nl)
		*nl = '\0';
	return text;
}

static void test_broken_configs(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(broken_configs); i++) {
		struct diag d = {0};
		const char *y = broken_configs[i].yaml;
		struct config *cfg = config_load_string("t.yaml", y, strlen(y), &d);
		if (cfg || d.errors == 0)
			fail_msg("case %zu loaded without error:\n%s", i, y);
		char *msg = first_message(&d);
		if (strcmp(msg, broken_configs[i].expected) != 0)
			fail_msg("case %zu:\n  expected: %s\n  got:      %s", i,
				 broken_configs[i].expected, msg);
		free(msg);
		diag_free(&d);
	}
}

static void test_all_errors_reported_at_once(void **state)
{
	(void)state;
	const char *y = "agent:\n  workers: x\n  timezone: Nowhere/Land\n"
			"sources:\n  - name: a\n    type: folder\n";
	struct diag d = {0};
	assert_null(config_load_string("t.yaml", y, strlen(y), &d));
	assert_int_equal(d.errors, 3);
	diag_free(&d);
}

/* 64 levels are read (the limit is on depth, not on what libyaml can do). */
static void test_nesting_up_to_the_limit(void **state)
{
	(void)state;
	struct buf y = {0};
	buf_puts(&y, "agent: ");
	for (int i = 1; i < YAML_LOAD_MAX_DEPTH; i++)
		buf_puts(&y, "[");
	for (int i = 1; i < YAML_LOAD_MAX_DEPTH; i++)
		buf_puts(&y, "]");
	struct diag d = {0};
	assert_null(config_load_string("t.yaml", y.data, y.len, &d));
	char *msg = first_message(&d);
	assert_string_equal(msg, "t.yaml:1:8: error: expected a mapping of keys to values, got a list");
	free(msg);
	diag_free(&d);
	buf_free(&y);
}

/* Among 20,000 unknown keys, the repeated one at the end is found too (20,001 errors;
 * found with a hash set, so the load stays linear), and only the first 100 errors are
 * kept and printed, then their count. */
static void test_many_keys_and_errors(void **state)
{
	(void)state;
	struct buf y = {0};
	buf_puts(&y, "agent:\n  timezone: UTC\n");
	for (int i = 0; i < 20000; i++)
		buf_printf(&y, "  k%d: 1\n", i);
	buf_puts(&y, "  timezone: UTC\n");
	struct diag d = {0};
	assert_null(config_load_string("t.yaml", y.data, y.len, &d));
	assert_int_equal(d.errors, 20001);
	assert_int_equal(d.len, DIAG_MAX_ITEMS);
	assert_int_equal(d.dropped, 20001 - DIAG_MAX_ITEMS);
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	diag_print(&d, f);
	fclose(f);
	assert_non_null(strstr(text, "t.yaml:3:3: error: unknown key 'k0'\n"));
	assert_non_null(strstr(text, "\n... and 19901 more (only the first 100 are shown)\n"));
	free(text);
	diag_free(&d);
	buf_free(&y);
}

/* A source's shard is FNV-1a-64 of its company's id (of its name without a company)
 * modulo the number of shards: pinned here, since daemons on several machines (and
 * versions) must agree on it. */
static void test_shards(void **state)
{
	(void)state;
	assert_int_equal(config_shard_of_key("acme-mail", 3), 0);
	assert_int_equal(config_shard_of_key("s00001", 3), 1);
	assert_int_equal(config_shard_of_key("nowak-bank", 3), 2);
	assert_int_equal(config_shard_of_key("nowak-bank", 7), 3);
	assert_int_equal(config_shard_of_key("acme", 3), 1);
	const char *y = "agent: {spool: /srv/spool, state: /srv/state, shard: {index: 1, of: 3}}\n"
			"sources:\n  - {name: acme-mail, type: folder, path: /x}\n"
			"  - {name: s00001, type: folder, path: /y}\n"
			"---\ncompany: acme\nsources:\n  - {name: s00001-acme, type: folder, path: /z}\n"
			"  - {name: acme-mail-2, type: folder, path: /w}\n";
	struct diag d = {0};
	struct config *cfg = config_load_string("t.yaml", y, strlen(y), &d);
	assert_non_null(cfg);
	assert_string_equal(cfg->agent.spool_dir, "/srv/spool/shard-1");
	assert_string_equal(cfg->agent.state_dir, "/srv/state/shard-1");
	assert_false(config_runs_source(cfg, cfg->sources[0]));
	assert_true(config_runs_source(cfg, cfg->sources[1]));
	/* acme's sources follow acme (shard 1), whatever their names (0 and 2 alone) */
	assert_int_equal(source_shard(cfg->sources[2], 3), 1);
	assert_int_equal(source_shard(cfg->sources[3], 3), 1);
	assert_true(config_runs_source(cfg, cfg->sources[2]));
	assert_true(config_runs_source(cfg, cfg->sources[3]));
	struct gerr err;
	assert_int_equal(config_need_shard(cfg, &err), 0);
	config_free(cfg);
	diag_free(&d);

	y = "agent: {shard: {index: 3, of: 3}}\n";
	assert_null(config_load_string("t.yaml", y, strlen(y), &d));
	char *msg = first_message(&d);
	assert_string_equal(msg, "t.yaml:1:16: error: shard: index 3 is not below of (3): shards are numbered 0 to 2");
	free(msg);
	diag_free(&d);

	y = "agent: {shard: {of: 3}}\n";
	cfg = config_load_string("t.yaml", y, strlen(y), &d);
	assert_non_null(cfg);
	assert_int_equal(config_need_shard(cfg, &err), -1);
	assert_string_equal(err.msg, "the sources are shared by 3 shards (agent.shard.of): choose one with --shard K (0 to 2)");
	config_free(cfg);
	diag_free(&d);
}

/* --shard K/N, or --shard K with agent.shard.of; the spool and state of the shard. */
static void test_shard_option(void **state)
{
	(void)state;
	char *dir = scratch_dir();
	char *conf = path_join(dir, "conf.d");
	assert_int_equal(mkdir(conf, 0755), 0);
	char *f = path_join(conf, "a.yaml");
	write_text(f, "agent: {spool: /srv/spool, state: /srv/state, shard: {of: 4}}\n");
	static const struct {
		const char *option, *state, *error;
	} cases[] = {
		{"2/3", "/srv/state/shard-2", NULL},
		{"3", "/srv/state/shard-3", NULL},
		{"4", NULL, "--shard: error: '4' is not a shard: give K/N, K from 0 to N-1 (N at most 4096)"},
		{"1/x", NULL, "--shard: error: '1/x' is not a shard: give K/N, K from 0 to N-1 (N at most 4096)"},
		{"-1/3", NULL, "--shard: error: '-1/3' is not a shard: give K/N, K from 0 to N-1 (N at most 4096)"},
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct diag d = {0};
		struct config_overrides ov = {.shard = cases[i].option};
		struct config *cfg = config_load(conf, &ov, &d);
		if (cases[i].state) {
			assert_non_null(cfg);
			assert_string_equal(cfg->agent.state_dir, cases[i].state);
		} else {
			assert_null(cfg);
			char *msg = first_message(&d);
			assert_string_equal(msg, cases[i].error);
			free(msg);
		}
		config_free(cfg);
		diag_free(&d);
	}
	/* a state directory given on the command line is the shard's own, as it is */
	struct diag d = {0};
	struct config_overrides ov = {.state_dir = "/var/tmp/s1", .shard = "1"};
	struct config *cfg = config_load(conf, &ov, &d);
	assert_non_null(cfg);
	assert_string_equal(cfg->agent.state_dir, "/var/tmp/s1");
	assert_string_equal(cfg->agent.spool_dir, "/srv/spool/shard-1");
	config_free(cfg);
	diag_free(&d);
	write_text(f, "agent: {spool: /srv/spool}\n");
	ov = (struct config_overrides){.shard = "1"};
	assert_null(config_load(conf, &ov, &d));
	char *msg = first_message(&d);
	assert_string_equal(msg, "--shard: error: '1' gives the shard but not how many there are: give --shard K/N, or agent.shard.of in conf.d");
	free(msg);
	diag_free(&d);
	rm_rf(dir);
	free(f);
	free(conf);
	free(dir);
}

static void test_valid_config_is_typed(void **state)
{
	(void)state;
	const char *y = "agent:\n  timezone: UTC\n  max_document_size: 2MB\n"
			"---\ncompany: {id: acme, nip: 'PL 526-025-02-74'}\n"
			"sources:\n  - name: acme-scans\n    type: folder\n    path: /srv/scans\n"
			"    schedule: ['05:00', '12:30']\n";
	struct diag d = {0};
	struct config *cfg = config_load_string("t.yaml", y, strlen(y), &d);
	assert_non_null(cfg);
	assert_string_equal(cfg->agent.timezone, "UTC");
	assert_int_equal(cfg->agent.max_document_size, 2000000);
	assert_int_equal(cfg->agent.pdf.time, 20);          /* agent.pdf's defaults */
	assert_int_equal(cfg->agent.pdf.memory, 512 << 20);
	assert_int_equal(cfg->agent.pdf.pages, 100);
	assert_int_equal(cfg->agent.pdf.text, 4 << 20);
	assert_int_equal(cfg->agent.stop_grace, 10);        /* the daemon's stop grace */
	assert_int_equal(cfg->nsources, 1);
	const struct source_conf *s = config_find_source(cfg, "acme-scans");
	assert_non_null(s);
	assert_string_equal(s->company->id, "acme");
	assert_string_equal(s->company->nip, "5260250274");
	assert_true(source_accepts(s, "pdf"));
	assert_false(source_accepts(s, "xml"));
	assert_int_equal(s->schedule.times.len, 2);
	assert_int_equal(s->schedule.times.minutes[1], 12 * 60 + 30);
	assert_int_equal(s->max_document_size, 2000000);
	config_free(cfg);
	diag_free(&d);
}

/* agent.pdf as written reaches the PDF reader's limits. */
static void test_pdf_limits(void **state)
{
	(void)state;
	const char *y = "agent:\n  pdf: {time: 1m, memory: 1GiB, pages: 3, text: 64k}\n";
	struct diag d = {0};
	struct config *cfg = config_load_string("t.yaml", y, strlen(y), &d);
	assert_non_null(cfg);
	struct pdftext_limits lim = pdftext_limits_of(&cfg->agent.pdf);
	assert_int_equal(lim.seconds, 60);
	assert_int_equal(lim.memory, (uint64_t)1 << 30);
	assert_int_equal(lim.max_pages, 3);
	assert_int_equal(lim.max_text, 65536);
	config_free(cfg);
	diag_free(&d);
}

static void test_files_read_and_skipped(void **state)
{
	(void)state;
	char *dir = scratch_dir();
	char *p;
	const char *names[] = {"10-a.yaml", "20-b.yml"};
	const char *skipped[] = {".hidden.yaml", "c.yaml~", "d.yaml.dpkg-dist", "e.yaml.rpmnew",
				 "f.yaml.rpmsave", "g.txt", "h.yaml.dpkg-old", "#i.yaml#"};
	for (size_t i = 0; i < 2; i++) {
		p = path_join(dir, names[i]);
		char *text = xasprintf("sources:\n  - name: %s\n    type: folder\n    path: /x\n",
				       i ? "b" : "a");
		write_text(p, text);
		free(text);
		free(p);
	}
	for (size_t i = 0; i < ARRAY_LEN(skipped); i++) {
		p = path_join(dir, skipped[i]);
		write_text(p, "this: is not read\n");
		free(p);
	}
	struct diag d = {0};
	struct config *cfg = config_load(dir, NULL, &d);
	assert_non_null(cfg);
	assert_int_equal(cfg->nsources, 2);
	assert_string_equal(cfg->sources[0]->name, "a");
	assert_string_equal(cfg->sources[1]->name, "b");
	config_free(cfg);
	diag_free(&d);
	rm_rf(dir);
	free(dir);
}

static void test_duplicate_names_across_files(void **state)
{
	(void)state;
	char *dir = scratch_dir();
	char *a = path_join(dir, "a.yaml"), *b = path_join(dir, "b.yaml");
	write_text(a, "sources:\n  - name: same\n    type: folder\n    path: /x\n");
	write_text(b, "\nsources:\n  - name: same\n    type: folder\n    path: /y\n");
	struct diag d = {0};
	assert_null(config_load(dir, NULL, &d));
	char *msg = first_message(&d);
	char *expected = xasprintf("%s:3:11: error: source name 'same' is already used at %s:2:5", b, a);
	assert_string_equal(msg, expected);
	free(expected);
	free(msg);
	diag_free(&d);
	free(a);
	free(b);
	rm_rf(dir);
	free(dir);
}

static void test_missing_confdir(void **state)
{
	(void)state;
	struct diag d = {0};
	assert_null(config_load("/nonexistent/conf.d", NULL, &d));
	char *msg = first_message(&d);
	assert_string_equal(msg, "error: cannot read configuration directory /nonexistent/conf.d: No such file or directory");
	free(msg);
	diag_free(&d);
}

/* A disk error while listing conf.d fails the load: the files past it would be missing,
 * and their sources with them, from a configuration that loaded without a word. */
static void test_confdir_read_error(void **state)
{
	(void)state;
	char *dir = scratch_dir();
	char *p = path_join(dir, "a.yaml");
	write_text(p, "sources:\n  - name: a\n    type: folder\n    path: /x\n");
	free(p);
	struct diag d = {0};
	readdir_fail_at(dir, 0);
	struct config *cfg = config_load(dir, NULL, &d);
	readdir_fail_at(NULL, 0);
	assert_null(cfg);
	char *msg = first_message(&d);
	char *expected = xasprintf("error: cannot read configuration directory %s: Input/output error", dir);
	assert_string_equal(msg, expected);
	free(expected);
	free(msg);
	diag_free(&d);
	rm_rf(dir);
	free(dir);
}

/* An inline secret in a file others can read is refused, as ssh refuses such keys. */
static void test_inline_secret_needs_private_file(void **state)
{
	(void)state;
	/* The folder type has no secret; the schema layer is exercised with a custom table. */
	struct secret_holder {
		struct secret password;
	};
	static const struct cf_field fields[] = {
		{.key = "password", .type = CF_SECRET, .offset = offsetof(struct secret_holder, password)},
		CF_END,
	};
	const char *cases[][2] = {
		{"password: hunter2", NULL},
		{"password_file: /etc/goniec/pass", NULL},
		{"password: a\npassword_env: B", "t.yaml:2:15: error: password is given more than once (as password, password_file, password_env or password_credential): keep one"},
		{"passwort_file: /x", "t.yaml:1:1: error: unknown key 'passwort_file' (did you mean 'password_file'?)"},
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		yaml_parser_t parser;
		yaml_document_t doc;
		yaml_parser_initialize(&parser);
		yaml_parser_set_input_string(&parser, (const unsigned char *)cases[i][0],
					     strlen(cases[i][0]));
		assert_true(yaml_parser_load(&parser, &doc));
		struct diag d = {0};
		struct cf_ctx ctx = {.doc = &doc, .file = "t.yaml", .diag = &d};
		struct secret_holder h = {0};
		cf_map(&ctx, yaml_document_get_root_node(&doc), fields, NULL, &h);
		if (cases[i][1]) {
			char *msg = first_message(&d);
			assert_string_equal(msg, cases[i][1]);
			free(msg);
		} else {
			assert_int_equal(d.errors, 0);
			assert_int_equal(ctx.inline_secret_seen, h.password.kind == SECRET_INLINE);
		}
		cf_free(fields, &h);
		diag_free(&d);
		yaml_document_delete(&doc);
		yaml_parser_delete(&parser);
	}
}

static void test_size_and_duration_units(void **state)
{
	(void)state;
	uint64_t sz;
	int64_t dur;
	assert_int_equal(cf_parse_size("512k", &sz), 0);
	assert_int_equal(sz, 512 * 1024);
	assert_int_equal(cf_parse_size("20 MiB", &sz), 0);
	assert_int_equal(sz, 20 << 20);
	assert_int_equal(cf_parse_size("-1", &sz), -1);
	assert_int_equal(cf_parse_size("99999999999999999999999", &sz), -1);
	assert_int_equal(cf_parse_duration("6h", &dur), 0);
	assert_int_equal(dur, 6 * 3600);
	assert_int_equal(cf_parse_duration("15m", &dur), 0);
	assert_int_equal(dur, 900);
	assert_int_equal(cf_parse_duration("1y", &dur), -1);
	assert_int_equal(cf_parse_duration("36500d", &dur), 0);
	assert_int_equal(dur, 36500LL * 86400);
	assert_int_equal(cf_parse_duration("36501d", &dur), -2);
	assert_int_equal(cf_parse_duration("9223372036854775807s", &dur), -2);
	assert_int_equal(cf_parse_duration("99999999999999999999d", &dur), -1);
	int m;
	assert_int_equal(cf_parse_time_of_day("05:00", &m), 0);
	assert_int_equal(m, 300);
	assert_int_equal(cf_parse_time_of_day("5:00", &m), 0);
	assert_int_equal(cf_parse_time_of_day("24:00", &m), -1);
	assert_int_equal(cf_parse_time_of_day("12:60", &m), -1);
	assert_int_equal(cf_parse_time_of_day("12:00x", &m), -1);
	assert_int_equal(cf_parse_time_of_day("1200", &m), -1);
}

int main(void)
{
	setenv("TZ", "UTC", 1);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_broken_configs),
		cmocka_unit_test(test_all_errors_reported_at_once),
		cmocka_unit_test(test_nesting_up_to_the_limit),
		cmocka_unit_test(test_many_keys_and_errors),
		cmocka_unit_test(test_shards),
		cmocka_unit_test(test_shard_option),
		cmocka_unit_test(test_valid_config_is_typed),
		cmocka_unit_test(test_pdf_limits),
		cmocka_unit_test(test_files_read_and_skipped),
		cmocka_unit_test(test_duplicate_names_across_files),
		cmocka_unit_test(test_missing_confdir),
		cmocka_unit_test(test_confdir_read_error),
		cmocka_unit_test(test_inline_secret_needs_private_file),
		cmocka_unit_test(test_size_and_duration_units),
	};
	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
