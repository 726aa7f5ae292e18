/* libFuzzer target: what reaches the daemon from outside its own code — control socket
 * bytes (split into lines, each parsed as a request) and worker result lines — plus the
 * status file parser. Whatever the input: no crash, no leak, bounded lines. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/control.h"
#include "daemon/status.h"
#include "daemon/worker.h"

static void status_from_bytes(const uint8_t *data, size_t size)
{
	static char dir[] = "/tmp/goniec-fuzz-status.XXXXXX";
	static bool made;
	if (!made && !mkdtemp(dir))
		return;
	made = true;
	char *sdir = xasprintf("%s/sources/x", dir);
	char *path = xasprintf("%s/status.json", sdir);
	struct gerr err;
	FILE *f = mkdir_p(sdir, 0700, &err) == 0 ? fopen(path, "w") : NULL;
	bool written = f && fwrite(data, 1, size, f) == size;
	if (f && fclose(f) != 0)
		written = false;
	if (written) {
		struct source_status st;
		status_load(dir, "x", &st, &err);
		status_release(&st);
	}
	free(path);
	free(sdir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct line_buf lb = {.max = 4096};
	/* feed in two pieces to exercise partial lines */
	control_line_feed(&lb, (const char *)data, size / 2);
	char *line;
	for (int pass = 0; pass < 2; pass++) {
		while ((line = control_line_take(&lb))) {
			struct gerr err;
			json_t *req = control_parse_request(line, &err);
			json_decref(req);
			struct worker_result res = {0};
			if (worker_parse_result(line, &res, &err) == 0)
				worker_result_free(&res);
			free(line);
		}
		control_line_feed(&lb, (const char *)data + size / 2, size - size / 2);
	}
	buf_free(&lb.data);
	if (size < 8192)
		status_from_bytes(data, size);
	return 0;
}
