/* forward — deliver new spool documents by the routes: one pass, or keep watching. */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "core/log.h"
#include "forward/forward.h"

static volatile sig_atomic_t stop_requested, rescan_requested;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		rescan_requested = 1;
	else
		stop_requested = 1;
}

static void print_stats(struct forward *fw)
{
	size_t n;
	const struct forward_route_stats *st = forward_stats(fw, &n);
	for (size_t i = 0; i < n; i++)
		printf("%s (%s): %lu delivered, %lu pending, %lu failing%s%s\n", st[i].name,
		       st[i].target, st[i].delivered, st[i].pending, st[i].failing,
		       st[i].last_error ? " — " : "", st[i].last_error ? st[i].last_error : "");
	printf("not wanted by any route: %lu\n", forward_unrouted(fw));
}

static int watch_loop(struct forward *fw)
{
	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	log_notice("forward: watching the spool (%s)", forward_mode(fw));
	while (!stop_requested) {
		struct pollfd p = {.fd = forward_fd(fw), .events = POLLIN};
		if (poll(&p, p.fd >= 0 ? 1 : 0, forward_timeout_ms(fw)) < 0 && errno != EINTR) {
			log_error("forward: poll: %s", strerror(errno));
			return EXIT_FAILED;
		}
		if (rescan_requested) {
			rescan_requested = 0;
			forward_rescan_soon(fw);
		}
		if (!stop_requested)
			forward_handle_events(fw);
	}
	return EXIT_OK;
}

int cmd_forward(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"watch", no_argument, NULL, 'w'},
		{"poll", no_argument, NULL, 'p'},
		{"interval", required_argument, NULL, 'i'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	struct forward_opts fo = {0};
	int c;
	int64_t secs;
	while ((c = getopt_long(argc, argv, "wpi:h", opts, NULL)) != -1) {
		switch (c) {
		case 'w': fo.watch = true; break;
		case 'p': fo.force_poll = true; break;
		case 'i':
			if (cf_parse_duration(optarg, &secs) < 0 || secs <= 0) {
				log_error("forward: --interval: '%s' is not a duration (30s, 5m)", optarg);
				return EXIT_USAGE;
			}
			fo.poll_interval = fo.rescan_interval = secs * 1000;
			break;
		case 'h': cli_print_command_help(cli_find_command("forward")); return EXIT_OK;
		default: return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		log_error("forward: unexpected argument '%s'", argv[optind]);
		return EXIT_USAGE;
	}
	struct config *cfg = cli_load_shard_config(cli);
	if (!cfg)
		return EXIT_CONFIG;
	struct gerr err;
	struct forward *fw = forward_open(cfg, &fo, &err);
	if (!fw) {
		log_error("forward: %s", err.msg);
		config_free(cfg);
		return err.kind == GERR_BUSY ? EXIT_TEMPFAIL : EXIT_FAILED;
	}
	int rc;
	if (fo.watch) {
		rc = watch_loop(fw);
	} else {
		rc = forward_pass(fw) ? EXIT_FAILED : EXIT_OK;
		print_stats(fw);
	}
	forward_close(fw);
	config_free(cfg);
	return rc;
}
