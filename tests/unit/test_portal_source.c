/* The portal source type's attention hook: the stages of the failing alert while a
 * portal's site no longer fits its recipe (daemon/alert.h), and the daily unmapped
 * points. */
#include <time.h>
#include <unistd.h>

#include "testutil.h"
#include "sources/portal/portal.h"

/* The hook's answer for a source whose last runs found the site changed `days` ago
 * (days < 0: no such record); the stage is returned, the message must be NULL. */
static const char *runs_stage(const char *dir, int days)
{
	struct config cfg = {.agent = {.state_dir = (char *)dir}};
	struct portal_conf pc = {0};
	struct source_conf src = {.name = "ebok", .typed = &pc};
	struct alert_stages stages = {0};
	char *path = xasprintf("%s/sources/ebok/site-changed.json", dir);
	unlink(path);
	if (days >= 0) {
		char *text = xasprintf("{\"provider\": \"pge\", \"message\": \"step 'x' found "
				       "nothing\", \"since\": %lld}",
				       (long long)time(NULL) - days * 86400LL - 60);
		write_text(path, text);
		free(text);
	}
	char *msg = source_type_portal.attention(&cfg, &src, &stages);
	assert_null(msg);
	assert_null(stages.attention);
	free(path);
	return stages.runs;
}

static void test_site_changed_stages(void **state)
{
	(void)state;
	char *dir = scratch_dir(), *sdir = xasprintf("%s/sources/ebok", dir);
	struct gerr err = {0};
	assert_int_equal(mkdir_p(sdir, 0700, &err), 0);
	assert_null(runs_stage(dir, -1));                        /* the site fits: daily */
	assert_string_equal(runs_stage(dir, 0), "changed");      /* told when found */
	assert_string_equal(runs_stage(dir, 6), "changed");      /* not again that week */
	assert_string_equal(runs_stage(dir, 7), "reminder");     /* a reminder after 7 days */
	assert_string_equal(runs_stage(dir, 13), "reminder");
	assert_string_equal(runs_stage(dir, 14), "reminder again");
	assert_string_equal(runs_stage(dir, 21), "reminder");    /* every 7 days: a new word */

	/* unmapped points are the attention's message, told daily, beside the stage */
	char *points = xasprintf("%s/points.json", sdir);
	write_text(points, "{\"590243000000000002\": {\"name\": \"ul. Długa 2\"}}");
	struct config cfg = {.agent = {.state_dir = dir}};
	struct portal_conf pc = {0};
	struct source_conf src = {.name = "ebok", .typed = &pc};
	struct alert_stages stages = {0};
	char *msg = source_type_portal.attention(&cfg, &src, &stages);
	assert_non_null(msg);
	assert_non_null(strstr(msg, "590243000000000002 are mapped to no property"));
	assert_null(stages.attention);
	assert_string_equal(stages.runs, "reminder");
	free(msg);
	free(points);
	free(sdir);
	rm_rf(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_site_changed_stages),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
