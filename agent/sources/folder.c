/* folder — the `folder` source: documents dropped into a local directory (a scanner's
 * output, statements saved by hand).
 *
 * Every regular file directly in `path` (not dot files, not the done folder) whose last
 * change is at least `settle` old is taken: filed through the spool (type checked by
 * content; refused types go to quarantine with a sidecar that says why), then moved to
 * `path/done/` (after: move, the default) — or left in place and remembered by name, size
 * and modification time (after: keep). Files are filed in batches of up to 256, each made
 * durable with one sync before its files move. A file still being written is not taken: its
 * modification time is too recent, or its size changes while it is read.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/dedupe.h"
#include "core/log.h"
#include "core/names.h"
#include "core/spool.h"
#include "sources/filing.h"

enum folder_after { AFTER_MOVE, AFTER_KEEP };

struct folder_conf {
	char *path;
	int after;
	char *done_dir;
	int64_t settle;
};

static const char *const after_values[] = {"move", "keep", NULL};

static const struct cf_field folder_fields[] = {
	{.key = "path", .type = CF_STRING, .offset = offsetof(struct folder_conf, path),
	 .flags = CF_REQUIRED, .help = "the directory documents are dropped into"},
	{.key = "after", .type = CF_ENUM, .offset = offsetof(struct folder_conf, after),
	 .enum_values = after_values, .dflt = "move",
	 .help = "move: into the done folder; keep: leave and remember"},
	{.key = "done_dir", .type = CF_STRING, .offset = offsetof(struct folder_conf, done_dir),
	 .dflt = "done", .help = "where taken files go (relative to path)"},
	{.key = "settle", .type = CF_DURATION, .offset = offsetof(struct folder_conf, settle),
	 .dflt = "5s", .help = "a file must be unchanged this long before it is taken"},
	CF_END,
};

static int folder_validate(struct cf_ctx *ctx, yaml_node_t *node, struct source_conf *src)
{
	const struct folder_conf *fc = src->typed;
	if (fc->path && fc->path[0] != '/')
		return cf_error(ctx, cf_get(ctx, node, "path"),
				"path: '%s' must be an absolute path", fc->path);
	if (fc->done_dir && (strchr(fc->done_dir, '/') || fc->done_dir[0] == '.'))
		return cf_error(ctx, cf_get(ctx, node, "done_dir"),
				"done_dir: '%s' must be a plain folder name inside path",
				fc->done_dir);
	return 0;
}

/* Move a taken file into the done folder under a free name. */
static int move_to_done(const char *dir, const char *done, const char *name, struct gerr *err)
{
	if (mkdir_p(done, 0750, err) != 0)
		return -1;
	char *from = path_join(dir, name);
	int rc = -1;
	for (unsigned n = 1; n < 10000 && rc != 0; n++) {
		char *to_name = n == 1 ? xstrdup(name) : name_with_suffix(name, n);
		char *to = path_join(done, to_name);
		if (link(from, to) == 0) {
			rc = unlink(from) == 0 ? 0 : gerr_sys(err, "cannot remove %s", from);
			n = 10000;
		} else if (errno != EEXIST) {
			gerr_sys(err, "cannot move %s to %s", from, done);
			n = 10000;
		}
		free(to_name);
		free(to);
	}
	free(from);
	return rc;
}

struct folder_item {
	const struct source_run *run;
	const struct folder_conf *fc;
	const char *name;
	struct stat st;
};

static char *keep_id(const struct folder_item *it)
{
	return xasprintf("%s:%lld:%lld", it->name, (long long)it->st.st_size,
			 (long long)it->st.st_mtime);
}

/* File one document; returns 0 when it is in the spool (or was there already). */
static int take_file(struct source_run *run, const struct folder_item *it, int fd,
		     const char *id, struct gerr *err)
{
	json_t *origin = json_pack("{s:{s:s, s:s}}", "folder", "path", it->fc->path, "name",
				   it->name);
	const struct filing_doc doc = {.name_hint = it->name, .source_id = id, .origin = origin};
	int rc = filing_fd(run, &doc, fd, NULL, err);
	json_decref(origin);
	if (rc != 0)
		return -1;
	struct stat after;
	if (fstat(fd, &after) == 0 && (after.st_size != it->st.st_size ||
				       after.st_mtime != it->st.st_mtime))
		log_notice("%s: %s changed while it was read; it is filed as read and will be taken again if it changes",
			   run->src->name, it->name);
	return 0;
}

static bool settled(const struct folder_item *it)
{
	time_t now = time(NULL);
	return S_ISREG(it->st.st_mode) && now - it->st.st_mtime >= it->fc->settle;
}

/* File one file; true when it is in the spool (or was there already) and may go to done/. */
static bool process_file(struct source_run *run, const struct folder_conf *fc, int dirfd,
			 const char *name)
{
	struct folder_item it = {run, fc, name, {0}};
	if (fstatat(dirfd, name, &it.st, AT_SYMLINK_NOFOLLOW) != 0 || !settled(&it))
		return false;
	char *id = fc->after == AFTER_KEEP ? keep_id(&it) : NULL;
	if (id && dedupe_has_id(run->dedupe, id)) {
		free(id);
		return false;
	}
	run->stats.looked_at++;
	bool taken = false;
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	struct gerr err;
	if (fd < 0) {
		run->stats.failed++;
		gerr_sys(&err, "cannot open %s/%s", fc->path, name);
		source_run_error(run, &err);
	} else if (take_file(run, &it, fd, id, &err) != 0) {
		run->stats.failed++;
		gerr_prefix(&err, "%s", name);
		source_run_error(run, &err);
	} else {
		taken = true;
	}
	if (fd >= 0)
		close(fd);
	free(id);
	if (!taken && run->progress) /* a filed document reported its progress */
		run->progress(run);
	return taken;
}

/* Make a batch durable, then move its files to done/ (after: move). When the batch cannot
 * be made durable, none of it counts as filed and every file stays for the next run. */
static void finish_batch(struct source_run *run, const struct folder_conf *fc,
			 struct strlist *taken, unsigned long filed_before)
{
	struct gerr err;
	if (spool_flush(run->spool, &err) != 0) {
		source_run_error(run, &err);
		run->stats.failed += taken->len;
		run->stats.filed = filed_before;
		strlist_free(taken);
		return;
	}
	char *done = path_join(fc->path, fc->done_dir);
	for (size_t i = 0; fc->after == AFTER_MOVE && i < taken->len; i++)
		if (move_to_done(fc->path, done, taken->items[i], &err) != 0) {
			run->stats.failed++;
			source_run_error(run, &err);
		}
	free(done);
	strlist_free(taken);
}

#define FOLDER_BATCH 256

static enum run_outcome folder_run(struct source_run *run)
{
	const struct folder_conf *fc = run->src->typed;
	DIR *d = opendir(fc->path);
	if (!d) {
		gerr_sys(&run->err, "cannot read folder %s", fc->path);
		return RUN_FAILED;
	}
	struct strlist names = {0}, taken = {0};
	struct dirent *e;
	int error = 0;
	while ((e = dir_next(d, &error)))
		if (e->d_name[0] != '.' && strcmp(e->d_name, fc->done_dir) != 0)
			strlist_add(&names, e->d_name);
	if (error) { /* what was listed is taken; the run is not complete, so it is retried */
		struct gerr rerr;
		errno = error;
		gerr_sys(&rerr, "cannot read folder %s (the rest is taken next time)", fc->path);
		source_run_error(run, &rerr);
	}
	strlist_sort(&names);
	spool_batch(run->spool, true, NULL);
	unsigned long filed_before = run->stats.filed;
	bool stopped = false;
	for (size_t i = 0; i < names.len && !stopped; i++) {
		if (process_file(run, fc, dirfd(d), names.items[i]))
			strlist_add(&taken, names.items[i]);
		stopped = source_run_stopping() && i + 1 < names.len;
		if (taken.len == FOLDER_BATCH || i + 1 == names.len || stopped) {
			finish_batch(run, fc, &taken, filed_before);
			filed_before = run->stats.filed;
		}
	}
	spool_batch(run->spool, false, NULL);
	closedir(d);
	strlist_free(&names);
	if (stopped) {
		if (!source_run_has_error(run)) /* else the first error stays the run's */
			gerr_set(&run->err, "stopped before the end; the rest is taken next time");
		return RUN_PARTIAL;
	}
	return source_run_end(run, false);
}

const struct source_type source_type_folder = {
	.name = "folder",
	.fields = folder_fields,
	.conf_size = sizeof(struct folder_conf),
	.validate = folder_validate,
	.default_accept = "pdf",
	.default_times = NULL,
	.default_every = 300,
	.run = folder_run,
};
