/* The disk's own floor for a durable delivery (bench/disk_floor.sh):
 *   diskfloor DIR SECONDS
 * One delivery at a time, back to back, the way goniec's folder target makes one durable
 * and nothing more: a new 30 KB file written under a temporary name, fdatasync'ed, linked
 * under its name, the directory fsync'ed. No other work of goniec's, no CPU to share with
 * it: what a delivery started at a given moment cannot be faster than.
 *
 * Prints, per second, the deliveries completed and their slowest, and at the end the
 * latencies per delivery (p50, p99, worst) and over time: a document arriving at a random
 * moment finds the disk in the middle of one of these deliveries, so weighting each by how
 * long it took gives how long the disk needs for one started "now" — time_p50/time_p99,
 * and slow_share, the share of the time during which a delivery took over 100 ms. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_OPS 1000000

struct op {
	double start, ms;
};

static double now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static void die(const char *what)
{
	perror(what);
	exit(1);
}

/* One durable delivery of `block` as DIR/d<i> (its temporary name DIR/.t<i>). */
static void deliver(int dfd, long i, const char *block, size_t len)
{
	char tmp[64], name[64];
	snprintf(tmp, sizeof tmp, ".t%ld", i);
	snprintf(name, sizeof name, "d%ld", i);
	int fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, block, len) != (ssize_t)len || fdatasync(fd) != 0 || close(fd) != 0)
		die(tmp);
	if (linkat(dfd, tmp, dfd, name, 0) != 0 || unlinkat(dfd, tmp, 0) != 0 || fsync(dfd) != 0)
		die(name);
}

static int by_ms(const void *a, const void *b)
{
	double x = ((const struct op *)a)->ms, y = ((const struct op *)b)->ms;
	return (x > y) - (x < y);
}

/* The latency below which deliveries covering share p of the time fall. */
static double time_pct(const struct op *v, long n, double total, double p)
{
	double covered = 0;
	for (long i = 0; i < n; i++) {
		covered += v[i].ms;
		if (covered >= p * total)
			return v[i].ms;
	}
	return n ? v[n - 1].ms : 0;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: diskfloor DIR SECONDS\n");
		return 2;
	}
	int dfd = open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		die(argv[1]);
	static char block[30000];
	memset(block, 'x', sizeof block);
	struct op *v = calloc(MAX_OPS, sizeof(*v));
	double t0 = now_ms(), end = t0 + atof(argv[2]) * 1e3;
	long n = 0, sec_n = 0;
	double sec_worst = 0;
	int sec = 0;
	while (n < MAX_OPS && now_ms() < end) {
		double s = now_ms();
		deliver(dfd, n, block, sizeof block);
		v[n] = (struct op){s, now_ms() - s};
		if ((int)((s - t0) / 1e3) != sec) {
			printf("  s%02d: %5ld deliveries, slowest %7.1f ms\n", sec, sec_n, sec_worst);
			sec = (int)((s - t0) / 1e3);
			sec_n = 0;
			sec_worst = 0;
		}
		sec_n++;
		sec_worst = v[n].ms > sec_worst ? v[n].ms : sec_worst;
		n++;
	}
	printf("  s%02d: %5ld deliveries, slowest %7.1f ms\n", sec, sec_n, sec_worst);
	double total = 0, slow = 0;
	for (long i = 0; i < n; i++) {
		total += v[i].ms;
		slow += v[i].ms > 100 ? v[i].ms : 0;
	}
	qsort(v, (size_t)n, sizeof(*v), by_ms);
	printf("{\"deliveries\": %ld, \"seconds\": %.1f, \"p50_ms\": %.1f, \"p99_ms\": %.1f, "
	       "\"worst_ms\": %.1f, \"time_p50_ms\": %.1f, \"time_p99_ms\": %.1f, "
	       "\"slow_share\": %.3f}\n",
	       n, (now_ms() - t0) / 1e3, n ? v[n / 2].ms : 0, n ? v[n * 99 / 100].ms : 0,
	       n ? v[n - 1].ms : 0, time_pct(v, n, total, 0.5), time_pct(v, n, total, 0.99),
	       total > 0 ? slow / total : 0);
	free(v);
	return 0;
}
