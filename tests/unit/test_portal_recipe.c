/* Unit tests of provider recipes: a table of broken recipes with the exact first message
 * a person gets from `goniec check`, the shipped recipes load, and the parts of a good
 * recipe end up where the engine expects them. */
#include <glob.h>

#include "testutil.h"
#include "sources/portal/recipe.h"

#define HEAD "base_url: https://x.example\n"

struct broken {
	const char *yaml;
	const char *expected; /* the first diagnostic, as printed */
};

static const struct broken broken_recipes[] = {
	{"login: []\nfetch: []\n", "r.yaml:1:1: error: recipe needs base_url"},
	{HEAD "fetch: []\n", "r.yaml:1:1: error: recipe needs a login: list"},
	{HEAD "login: []\nfetch: []\nsteps: []\n",
	 "r.yaml:4:1: error: unknown recipe key 'steps'"},
	{HEAD "login:\n  - requets: /a\nfetch: []\n",
	 "r.yaml:3:5: error: unknown step key 'requets' (did you mean 'request'?)"},
	{HEAD "login:\n  - request: /a\n    submit: {}\nfetch: []\n",
	 "r.yaml:4:13: error: a step does one thing: 'request' and 'submit' both given"},
	{HEAD "login:\n  - request: \"/a?t={{token}}\"\nfetch: []\n",
	 "r.yaml:3:14: error: variable 'token' is used before it is set"},
	{HEAD "login:\n  - request: /a\n    capture: {token: {jsonpath: $.t}}\n"
	 "  - request: \"/b/{{token}}/{{doc.id}}\"\nfetch: []\n",
	 "r.yaml:5:14: error: variable 'doc.id' is used before it is set"},
	{HEAD "login:\n  - capture: {a: {xpath: \"//div[\"}}\nfetch: []\n",
	 "r.yaml:3:26: error: bad XPath '//div['"},
	{HEAD "login:\n  - capture: {a: {jsonpath: \"a.b\"}}\nfetch: []\n",
	 "r.yaml:3:29: error: bad JSONPath 'a.b': must start with '$'"},
	{HEAD "login:\n  - capture: {a: {regex: \"(x\"}}\nfetch: []\n",
	 "r.yaml:3:26: error: bad regex '(x': Unmatched ( or \\("},
	{HEAD "login:\n  - capture: {a: {xpath: //a, jsonpath: $.a}}\nfetch: []\n",
	 "r.yaml:3:41: error: give only one of xpath, jsonpath, regex, header, cookie, url_param, jwt, template"},
	{HEAD "login:\n  - fail_if: {xpath: //a, error: bad_password}\nfetch: []\n",
	 "r.yaml:3:34: error: unknown error 'bad_password'"},
	{HEAD "login:\n  - fail_if: {xpath: //a}\nfetch: []\n",
	 "r.yaml:3:14: error: fail_if needs error: (one of bad_credentials, code_needed, captcha, "
	 "action_needed, session_expired, site_changed, unavailable, needs_javascript)"},
	{HEAD "login:\n  - fail_if: {status: 99, error: unavailable}\nfetch: []\n",
	 "r.yaml:3:23: error: status must be an HTTP status code"},
	{HEAD "login: []\nfetch:\n  - otp: code\n",
	 "r.yaml:4:10: error: otp steps belong at the top level of login"},
	{HEAD "login: []\nfetch:\n  - documents: {items: {xpath: //tr}, fields: {id: {xpath: td}}}\n",
	 "r.yaml:4:16: error: documents needs a link field or download:"},
	{HEAD "login: []\nfetch:\n  - points: {items: {xpath: //tr}, fields: {nr: {xpath: td}}}\n",
	 "r.yaml:4:45: error: unknown field key 'nr'"},
	{HEAD "login: []\nfetch:\n  - documents: {items: {xpath: //tr}, fields: {id: {xpath: td}, "
	 "link: {xpath: a/@href}, gros: {xpath: td}}}\n",
	 "r.yaml:4:89: error: unknown field key 'gros' (did you mean 'gross'?)"},
	{HEAD "login: []\nfetch:\n  - documents: {items: {header: X}, fields: {id: {xpath: td}}}\n",
	 "r.yaml:4:33: error: header can only be captured from a whole response"},
	{HEAD "delay: soon\nlogin: []\nfetch: []\n",
	 "r.yaml:2:8: error: delay must be a duration such as 1s or 250ms"},
	{HEAD "delay: 000000267168560694252884\nlogin: []\nfetch: []\n",
	 "r.yaml:2:8: error: delay must be a duration such as 1s or 250ms"},
	{HEAD "login:\n  - request: \"{{login|upper}}\"\nfetch: []\n",
	 "r.yaml:3:14: error: unknown template filter in '{{login|upper}}' (only |url)"},
	{HEAD "login: [\n", "r.yaml:3:1: error: YAML: did not find expected node content while parsing a flow node"},
	{HEAD "login:\n  - capture: {a: {jwt: \"{login}\"}}\nfetch: []\n",
	 "r.yaml:3:18: error: jwt needs claim: (which claim of the token's payload)"},
	{HEAD "login:\n  - capture: {a: {xpath: //a, claim: sub}}\nfetch: []\n",
	 "r.yaml:3:38: error: claim goes with jwt"},
	{HEAD "login:\n  - capture: {a: {xpath: //a, match: \"(x\"}}\nfetch: []\n",
	 "r.yaml:3:38: error: bad regex '(x': Unmatched ( or \\("},
	{HEAD "login: []\nfetch:\n  - documents: {items: {jsonpath: $.a}, paging: {var: p}, "
	 "fields: {id: {jsonpath: $.id}, link: {jsonpath: $.l}}}\n",
	 "r.yaml:4:49: error: paging needs request: (how each page is asked for)"},
	{HEAD "login:\n  - request: {url: /a, json: \"x\"}\nfetch: []\n",
	 "r.yaml:3:30: error: json must be a mapping or a list (the body)"},
	{HEAD "login:\n  - pkce: \"a.b\"\nfetch: []\n",
	 "r.yaml:3:11: error: pkce takes a plain name, such as pkce: pkce"},
};

static char *first_message(const struct diag *d)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct diag one = *d;
	one.len = 1;
	diag_print(&one, f);
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return buf;
}

static void test_broken_recipes(void **state)
{
	size_t wrong = 0;
	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(broken_recipes); i++) {
		struct diag d = {0};
		const char *y = broken_recipes[i].yaml;
		struct recipe *r = recipe_load_string("r.yaml", y, strlen(y), &d);
		char *msg;
		if (r)
			fail_msg("recipe %zu loaded", i);
		assert_true(d.errors > 0);
		msg = first_message(&d);
		if (strcmp(msg, broken_recipes[i].expected) != 0) {
			print_error("recipe %zu:\n got:  %s\n want: %s\n", i, msg,
				    broken_recipes[i].expected);
			wrong++;
		}
		free(msg);
		diag_free(&d);
	}
	assert_int_equal(wrong, 0);
}

static void test_good_recipe(void **state)
{
	static const char y[] =
		HEAD
		"headers: {Authorization: \"Bearer {{token}}\"}\n"
		"delay: 250ms\n"
		"login:\n"
		"  - request: {url: /login, method: POST, json: {u: \"{{login}}\"}}\n"
		"    capture: {token: {jsonpath: $.t}}\n"
		"  - otp: {var: sms, ttl: 5m}\n"
		"  - request: {url: /otp, form: {c: \"{{sms}}\"}}\n"
		"fetch:\n"
		"  - points:\n"
		"      items: {jsonpath: \"$[*]\"}\n"
		"      fields: {id: {jsonpath: $.id}}\n"
		"      steps:\n"
		"        - request: \"/p/{{point.id|url}}\"\n"
		"        - documents:\n"
		"            items: {xpath: //tr}\n"
		"            fields:\n"
		"              number: {xpath: \"td[1]\"}\n"
		"              id: \"{{point.id}}-{{doc.number}}\"\n"
		"              gross: {xpath: \"td[2]\"}\n"
		"              link: {xpath: a/@href}\n"
		"            next: {xpath: \"//a[@rel='next']/@href\", optional: true}\n";
	struct diag d = {0};
	struct recipe *r = recipe_load_string("/x/providers/demo.yaml", y, sizeof(y) - 1, &d);
	(void)state;
	if (!r) {
		diag_print(&d, stderr);
		fail();
	}
	assert_string_equal(r->id, "demo");
	assert_int_equal(r->delay_ms, 250);
	assert_int_equal(r->login.len, 3);
	assert_int_equal(r->login.v[1].kind, ST_OTP);
	assert_string_equal(r->login.v[1].otp_var, "sms");
	assert_int_equal(r->login.v[1].otp_ttl, 300);
	assert_int_equal(r->fetch.v[0].kind, ST_POINTS);
	assert_int_equal(r->fetch.v[0].body.len, 2);
	{
		const struct step *docs = &r->fetch.v[0].body.v[1];
		assert_int_equal(docs->kind, ST_DOCUMENTS);
		assert_string_equal(docs->download.url, "{doc.link}");
		assert_int_equal(docs->fields.v[2].rx.type, RX_AMOUNT);
		assert_true(docs->next.optional);
	}
	recipe_free(r);
	diag_free(&d);
}

/* Every recipe shipped in conf.d/providers loads without a diagnostic (catalogue.yaml
 * lists the portals without one). */
static void test_shipped_recipes(void **state)
{
	glob_t g;
	(void)state;
	assert_int_equal(glob("conf.d/providers/*.yaml", 0, NULL, &g), 0);
	assert_true(g.gl_pathc >= 5);
	for (size_t i = 0; i < g.gl_pathc; i++) {
		struct diag d = {0};
		if (str_ends_with(g.gl_pathv[i], "/catalogue.yaml"))
			continue;
		struct recipe *r = recipe_load(g.gl_pathv[i], &d);
		if (!r || d.len) {
			diag_print(&d, stderr);
			fail_msg("%s does not load cleanly", g.gl_pathv[i]);
		}
		recipe_free(r);
		diag_free(&d);
	}
	globfree(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_broken_recipes),
		cmocka_unit_test(test_good_recipe),
		cmocka_unit_test(test_shipped_recipes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
