/* reload — ask the running daemon to re-read conf.d (like SIGHUP, with the answer). */
#include <stdio.h>
#include <unistd.h>

#include "cli/commands.h"
#include "core/log.h"
#include "daemon/control.h"

int cmd_reload(struct cli *cli, int argc, char **argv)
{
	int opt = cli_simple_options(cli_find_command("reload"), argc, argv);
	if (opt)
		return opt > 0 ? EXIT_OK : EXIT_USAGE;
	struct config *cfg = cli_load_shard_config(cli);
	if (!cfg) {
		fprintf(stderr, "goniec: not reloaded; the daemon keeps its configuration\n");
		return EXIT_CONFIG;
	}
	json_t *req = json_pack("{s:s}", "cmd", "reload");
	struct gerr err = {0};
	int fd = control_ask(cfg->agent.state_dir, req, &err);
	json_decref(req);
	config_free(cfg);
	if (fd < 0) {
		log_error("reload: %s", fd == -1 ? "no daemon is running" : err.msg);
		return EXIT_FAILED;
	}
	struct line_buf lb = {0};
	json_t *reply = control_recv(fd, &lb, &err);
	close(fd);
	buf_free(&lb.data);
	int rc = EXIT_OK;
	if (!reply) {
		log_error("reload: %s", err.msg);
		rc = EXIT_FAILED;
	} else if (!json_is_true(json_object_get(reply, "ok"))) {
		log_error("%s", json_string_value(json_object_get(reply, "error")));
		rc = EXIT_CONFIG;
	} else {
		printf("reloaded\n");
	}
	json_decref(reply);
	return rc;
}
