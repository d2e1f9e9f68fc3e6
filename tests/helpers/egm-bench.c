// SPDX-License-Identifier: GPL-2.0
/*
 * egm-bench: benchmarks run inside the test guest.
 *
 *   egm-bench scrub REGION SIZE REPS
 *	Zeroing throughput of the driver's scrub against memset() through
 *	the mapping of the same instance: one thread, and the best of
 *	1, 2, 4 ... N threads; plus the best of plain 8-byte stores (the
 *	scrub's store width; see fill_thread). Prints a table with ratios.
 *   egm-bench map DEV SIZE REPS
 *	mmap + first touch of every page, munmap, and page-table growth
 *	of DEV (an egm instance or a device-dax node). Prints key=value.
 *
 * Absolute numbers under TCG mean nothing; compare ratios measured in
 * one run on the same memory. Every figure is a median over REPS.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "meminfo.h"

#define CFG "/sys/kernel/config/egm/instances/"
#define INST "egm-bench"
#define MAX_REPS 64
#define MAX_THREADS 64

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("egm-bench: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void attr_write(const char *attr, const char *val)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), CFG INST "/%s", attr);
	fd = open(path, O_WRONLY);
	if (fd < 0 || write(fd, val, strlen(val)) != (ssize_t)strlen(val))
		die("%s <- %s: %s", path, val, strerror(errno));
	close(fd);
}

static void attr_read(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		die("%s: %s", path, strerror(errno));
	n = read(fd, buf, len - 1);
	if (n < 0)
		die("%s: %s", path, strerror(errno));
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	close(fd);
}

/* Poll the instance state every 100 us until it says @want. */
static void wait_state(const char *want)
{
	struct timespec ts = { 0, 100000 };
	char state[32];
	double deadline = now() + 600;

	for (;;) {
		attr_read(CFG INST "/state", state, sizeof(state));
		if (!strcmp(state, want))
			return;
		if (now() > deadline)
			die("state stuck at %s", state);
		nanosleep(&ts, NULL);
	}
}

static void instance_setup(const char *region, const char *size,
			   const char *scrub)
{
	if (mkdir(CFG INST, 0755) && errno != EEXIST)
		die("mkdir " CFG INST ": %s", strerror(errno));
	attr_write("enable", "0");
	attr_write("region", region);
	attr_write("size", size);
	attr_write("scrub", scrub);
}

static void instance_teardown(void)
{
	attr_write("enable", "0");
	rmdir(CFG INST);
}

static const char *instance_dev(void)
{
	static char dev[64];
	char minor[16];

	attr_read(CFG INST "/minor", minor, sizeof(minor));
	snprintf(dev, sizeof(dev), "/dev/egm%s", minor);
	return dev;
}

struct fill {
	char *p;
	size_t len;
	int u64;
};

static void *fill_thread(void *arg)
{
	struct fill *f = arg;
	volatile unsigned long *q = (volatile unsigned long *)f->p;
	size_t i;

	if (!f->u64) {
		memset(f->p, 0, f->len);
		return NULL;
	}
	/*
	 * Plain 8-byte stores: the store width of the driver's scrub. Under
	 * TCG, glibc's memset of large sizes is "rep stosb", which QEMU
	 * emulates one byte per iteration, so memset alone would compare
	 * the emulator's instructions rather than the scrub.
	 */
	for (i = 0; i < f->len / sizeof(*q); i++)
		q[i] = 0;
	return NULL;
}

/* memset (or 8-byte stores) @len bytes at @p with @nt threads; seconds. */
static double timed_fill(char *p, size_t len, int nt, int u64)
{
	pthread_t tid[MAX_THREADS];
	struct fill f[MAX_THREADS];
	size_t part = (len / nt) & ~4095UL;
	double t0;
	int i;

	t0 = now();
	for (i = 0; i < nt; i++) {
		f[i].p = p + i * part;
		f[i].len = i == nt - 1 ? len - i * part : part;
		f[i].u64 = u64;
		if (pthread_create(&tid[i], NULL, fill_thread, &f[i]))
			die("pthread_create");
	}
	for (i = 0; i < nt; i++)
		pthread_join(tid[i], NULL);
	return now() - t0;
}

static size_t parse_size(const char *s)
{
	char *end;
	size_t v = strtoull(s, &end, 0);

	switch (*end) {
	case 'G': case 'g':
		v <<= 10;
		/* fall through */
	case 'M': case 'm':
		v <<= 10;
		/* fall through */
	case 'K': case 'k':
		v <<= 10;
	}
	return v;
}

static int cmd_scrub(const char *region, const char *size_s, int reps)
{
	double t[MAX_REPS], gbs_drv, gbs_one, gbs_best = 0, gbs_best64 = 0, gb;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	size_t size = parse_size(size_s);
	int i, nt, best_nt = 1, best_nt64 = 1, fd;
	char *p;

	gb = size / 1e9;

	/* The driver: hand-over scrub after the last close. */
	instance_setup(region, size_s, "zero");
	attr_write("enable", "1");
	wait_state("ready");
	for (i = 0; i < reps; i++) {
		fd = open(instance_dev(), O_RDWR);
		if (fd < 0)
			die("open: %s", strerror(errno));
		/* the last close starts the scrub: time it from there */
		t[i] = now();
		close(fd);
		wait_state("ready");
		t[i] = now() - t[i];
	}
	gbs_drv = gb / median(t, reps);

	/* Userspace through the mapping of the same extent, no scrub. */
	attr_write("enable", "0");
	attr_write("scrub", "none");
	attr_write("enable", "1");
	fd = open(instance_dev(), O_RDWR);
	if (fd < 0)
		die("open: %s", strerror(errno));
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		die("mmap: %s", strerror(errno));
	memset(p, 1, size);	/* fault everything in, untimed */

	for (i = 0; i < reps; i++)
		t[i] = timed_fill(p, size, 1, 0);
	gbs_one = gb / median(t, reps);
	/* the best of 1..N includes the 1-thread run above */
	gbs_best = gbs_one;
	for (nt = 1; nt <= ncpu && nt <= MAX_THREADS; nt *= 2) {
		double gbs, gbs64;

		for (i = 0; i < reps; i++)
			t[i] = timed_fill(p, size, nt, 0);
		gbs = gb / median(t, reps);
		if (gbs > gbs_best) {
			gbs_best = gbs;
			best_nt = nt;
		}
		for (i = 0; i < reps; i++)
			t[i] = timed_fill(p, size, nt, 1);
		gbs64 = gb / median(t, reps);
		if (gbs64 > gbs_best64) {
			gbs_best64 = gbs64;
			best_nt64 = nt;
		}
	}
	munmap(p, size);
	close(fd);
	instance_teardown();

	printf("scrub %s, %s, %d reps, %ld cpus (medians)\n", region, size_s,
	       reps, ncpu);
	printf("%-34s %10s %12s\n", "method", "GB/s", "driver/this");
	printf("%-34s %10.3f %12.2f\n", "driver scrub", gbs_drv, 1.0);
	printf("%-34s %10.3f %12.2f\n", "memset, 1 thread", gbs_one,
	       gbs_drv / gbs_one);
	printf("memset, best of 1..%-3ld threads (%d) %10.3f %12.2f\n", ncpu,
	       best_nt, gbs_best, gbs_drv / gbs_best);
	printf("8-byte stores, best of 1..%-3ld (%d) %10.3f %12.2f\n", ncpu,
	       best_nt64, gbs_best64, gbs_drv / gbs_best64);
	return 0;
}

static int cmd_map(const char *dev, const char *size_s, int reps)
{
	double tmap[MAX_REPS], tunmap[MAX_REPS], pt[MAX_REPS], t0;
	size_t size = parse_size(size_s), off;
	volatile char *p;
	long before;
	int i, fd;

	fd = open(dev, O_RDWR);
	if (fd < 0)
		die("%s: %s", dev, strerror(errno));
	for (i = 0; i < reps; i++) {
		before = page_tables_kb();
		t0 = now();
		p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (p == MAP_FAILED)
			die("mmap %s: %s", dev, strerror(errno));
		for (off = 0; off < size; off += 4096)
			p[off] = 1;
		tmap[i] = now() - t0;
		pt[i] = page_tables_kb() - before;
		t0 = now();
		munmap((void *)p, size);
		tunmap[i] = now() - t0;
	}
	close(fd);
	printf("dev=%s size=%s reps=%d map_touch_ms=%.3f munmap_ms=%.3f pagetables_kb=%.0f\n",
	       dev, size_s, reps, median(tmap, reps) * 1e3,
	       median(tunmap, reps) * 1e3, median(pt, reps));
	return 0;
}

int main(int argc, char **argv)
{
	int reps;

	if (argc != 5)
		goto usage;
	reps = atoi(argv[4]);
	if (reps < 1 || reps > MAX_REPS)
		die("REPS must be 1..%d", MAX_REPS);
	if (!strcmp(argv[1], "scrub"))
		return cmd_scrub(argv[2], argv[3], reps);
	if (!strcmp(argv[1], "map"))
		return cmd_map(argv[2], argv[3], reps);
usage:
	fprintf(stderr, "usage: egm-bench scrub REGION SIZE REPS\n"
			"       egm-bench map DEV SIZE REPS\n");
	return 2;
}
