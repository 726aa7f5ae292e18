/* oauth — `goniec oauth NAME`: a person signs in once for a source or route that signs in
 * with OAuth 2.0 (core/oauth.h): the device-code flow (Microsoft's default) or the browser
 * with a loopback redirect (Google's default: Google's device flow does not offer Gmail's
 * scope). The refresh token goes to the token file in the source's or route's state
 * directory (mode 0600), where runs and deliveries find it. With `flow: app` there is
 * nothing to keep: the command only proves that the app registration signs in. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/commands.h"
#include "core/log.h"
#include "core/oauth.h"
#include "forward/route.h"
#include "forward/target.h"
#include "sources/source.h"

/* The oauth settings of the source or route NAME, the directory of its token file
 * (owned) and what the token is for; NULL with a message when there are none. */
static const struct oauth_conf *find_oauth(const struct config *cfg, const char *name, char **dir,
					   enum oauth_service *svc)
{
	const struct source_conf *src = config_find_source(cfg, name);
	if (src) {
		const struct oauth_conf *oc = src->type->oauth ? src->type->oauth(src) : NULL;
		if (!oc)
			log_error("oauth: source '%s' (type %s) has no oauth: settings", name, src->type->name);
		*dir = xasprintf("%s/sources/%s", cfg->agent.state_dir, name);
		*svc = OAUTH_IMAP;
		return oc;
	}
	for (size_t i = 0; i < cfg->nroutes; i++) {
		if (strcmp(cfg->routes[i]->name, name) != 0)
			continue;
		const struct route *r = cfg->routes[i]->typed;
		const struct oauth_conf *oc = r->target->oauth ? r->target->oauth(r->target_conf) : NULL;
		if (!oc)
			log_error("oauth: route '%s' (%s) has no oauth: settings", name, r->target->key);
		*dir = route_state_dir(cfg, name);
		*svc = OAUTH_SMTP;
		return oc;
	}
	log_error("oauth: no source or route named '%s' (see goniec list)", name);
	return NULL;
}

static int sign_in(const struct oauth_conf *conf, enum oauth_service svc, const char *name,
		   const char *dir, int how, struct gerr *err)
{
	char *store = path_join(dir, OAUTH_TOKEN_FILE);
	char *fix = xasprintf("goniec oauth %s", name);
	struct oauth_client c;
	struct oauth_owned own;
	int rc = mkdir_p(dir, 0700, err);

	if (rc == 0)
		rc = oauth_client_from_conf(conf, svc, store, fix, &c, &own, err);
	if (rc == 0) {
		if (c.app) {
			char *token = NULL;
			time_t until = 0;
			rc = oauth_access_token(&c, true, &token, &until, err);
			free_secret(token);
			if (rc == 0)
				printf("The app registration signs in (a token valid for %ld minutes); %s asks for tokens itself, nothing more to do.\n",
				       (long)(until - time(NULL) + 300) / 60, name);
		} else {
			bool device = how ? how == 'd' : conf->provider == OAUTH_MICROSOFT;
			rc = device ? oauth_login_device(&c, own.device_url, stdout, err)
				    : oauth_login_browser(&c, own.authorize_url, stdout, stdin, err);
			if (rc == 0)
				printf("Signed in. The refresh token is kept in %s (mode 0600); %s uses it from now on.\n",
				       store, name);
		}
		oauth_owned_free(&own);
	}
	free(store);
	free(fix);
	return rc;
}

int cmd_oauth(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"device", no_argument, NULL, 'd'},
		{"browser", no_argument, NULL, 'b'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	int c, how = 0;
	while ((c = getopt_long(argc, argv, "dbh", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
		case 'b': how = c; break;
		case 'h': cli_print_command_help(cli_find_command("oauth")); return EXIT_OK;
		default: return EXIT_USAGE;
		}
	}
	if (optind + 1 != argc) {
		log_error("oauth: name one source or route (see goniec list)");
		return EXIT_USAGE;
	}
	const char *name = argv[optind];
	struct config *cfg = cli_load_config(cli);
	if (!cfg)
		return EXIT_CONFIG;
	char *dir = NULL;
	enum oauth_service svc;
	const struct oauth_conf *conf = find_oauth(cfg, name, &dir, &svc);
	int rc = EXIT_USAGE;
	if (conf) {
		struct gerr err = {0};
		rc = EXIT_OK;
		if (sign_in(conf, svc, name, dir, how, &err) < 0) {
			log_error("oauth: %s: %s", name, err.msg);
			rc = err.kind == GERR_TEMPORARY ? EXIT_FAILED : EXIT_NEEDS_PERSON;
		}
	}
	free(dir);
	config_free(cfg);
	return rc;
}
