/* Benchmark helper for bench/sync.sh, linked with goniec's objects:
 *   sync_bench DIR N ROUNDS
 * Each round writes N new files of 20 KB (and a folder for them) under DIR, as a spool
 * batch would, then makes them durable three ways in turn, each on files of its own:
 * one syncfs(2) of the file system, fsync_all() (each file and the folder in parallel)
 * and fsync_group() (core/fsyncs.h: syncfs while little else is unwritten, else the
 * parallel syncs), the ways taking turns at going first. Prints the median and the worst
 * of the rounds, in ms, per way. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/fsyncs.h"

enum way { WAY_SYNCFS, WAY_ALL, WAY_GROUP, NWAYS };
static const char *const way_name[NWAYS] = {"syncfs", "fsync_all", "fsync_group"};

/* N files in a new folder DIR/NAME; their targets (and the folder's) in v. */
static char *write_batch(const char *dir, const char *name, int n, struct sync_target *v)
{
	static char block[20000];
	char *d = xasprintf("%s/%s", dir, name);
	if (mkdir(d, 0700) != 0) {
		perror(d);
		exit(1);
	}
	for (int i = 0; i < n; i++) {
		char *p = xasprintf("%s/FV-%05d.pdf", d, i);
		int fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0600);
		if (fd < 0 || write(fd, block, sizeof block) != (ssize_t)sizeof block) {
			perror(p);
			exit(1);
		}
		close(fd);
		v[i] = (struct sync_target){.dirfd = AT_FDCWD, .path = p};
	}
	v[n] = (struct sync_target){.dirfd = AT_FDCWD, .path = d, .dir = true};
	return d;
}

static int64_t sync_ms(enum way w, const struct sync_target *v, int n)
{
	struct gerr err = {0};
	int64_t t0 = now_ms();
	int rc = 0;
	if (w == WAY_SYNCFS) {
		int fd = open(v[n].path, O_RDONLY | O_DIRECTORY);
		rc = fd < 0 || syncfs(fd) != 0 ? -1 : 0;
		if (fd >= 0)
			close(fd);
	} else {
		rc = (w == WAY_ALL ? fsync_all : fsync_group)(v, (size_t)n + 1, &err);
	}
	if (rc != 0) {
		fprintf(stderr, "%s failed: %s\n", way_name[w], err.msg);
		exit(1);
	}
	return now_ms() - t0;
}

static int by_value(const void *a, const void *b)
{
	int64_t p = *(const int64_t *)a, q = *(const int64_t *)b;
	return (p > q) - (p < q);
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: sync_bench DIR N ROUNDS\n");
		return 2;
	}
	int n = atoi(argv[2]), rounds = atoi(argv[3]);
	struct sync_target *v = xcalloc((size_t)n + 1, sizeof(*v));
	int64_t *ms[NWAYS];
	for (int w = 0; w < NWAYS; w++)
		ms[w] = xcalloc((size_t)rounds, sizeof(int64_t));
	for (int r = 0; r < rounds; r++)
		for (int k = 0; k < NWAYS; k++) {
			int w = (k + r) % NWAYS; /* each way first in turn: the neighbour varies */
			char name[64];
			snprintf(name, sizeof name, "r%d-%s", r, way_name[w]);
			char *d = write_batch(argv[1], name, n, v);
			ms[w][r] = sync_ms((enum way)w, v, n);
			for (int i = 0; i <= n; i++)
				free((char *)v[i].path);
			(void)d; /* freed as v[n].path */
		}
	for (int w = 0; w < NWAYS; w++) {
		qsort(ms[w], (size_t)rounds, sizeof(int64_t), by_value);
		printf("  %-12s %d files: median %lld ms, worst %lld ms (%d rounds)\n", way_name[w], n,
		       (long long)ms[w][rounds / 2], (long long)ms[w][rounds - 1], rounds);
		free(ms[w]);
	}
	free(v);
	return 0;
}
