// SPDX-License-Identifier: GPL-2.0
/*
 * egm-stress: concurrent life cycles of egm instances, for the
 * reliability suite.
 *
 * usage: egm-stress [-w WORKERS] [-r READERS] [-n MIN_OPS] [-t SECONDS]
 *                   [-N NAMES] REGION[:TOUCH] [REGION[:TOUCH]...]
 *
 * WORKERS threads (default 4) loop over
 *   mkdir, region, offset, size, scrub, enable, open, mmap, touch,
 *   munmap, close, disable, rmdir
 * on NAMES shared instance names (default 6) with extents chosen from a
 * small set so that they overlap; READERS threads (default 2) read every
 * file under the configfs tree and /sys/class/egm meanwhile. Each step's
 * result must be success or an errno the contract allows for a race
 * with the other workers (EEXIST, EBUSY, ENODEV, ...); anything else is
 * printed and counted as unexpected. Regions marked :touch are also
 * mapped and written (give only regions without retired blocks).
 *
 * Runs until MIN_OPS (default 10000) steps are done and at least
 * SECONDS/4 have passed, or SECONDS (default 60) pass; then prints
 * ops=N reads=N unexpected=N and one line per step kind, and exits 0 if
 * nothing unexpected happened and MIN_OPS were reached. Instances are
 * left as the workers left them: the caller checks the tree, then
 * cleans up.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <linux/egm.h>

#include "file.h"

#define CFS	"/sys/kernel/config/egm"
#define CLASS	"/sys/class/egm"
#define MAX_REGIONS 8

enum step {
	S_MKDIR, S_REGION, S_OFFSET, S_SIZE, S_SCRUB, S_ENABLE, S_OPEN,
	S_MMAP, S_TOUCH, S_DISABLE, S_RMDIR, S_NR
};

static const char *const step_names[S_NR] = {
	"mkdir", "region", "offset", "size", "scrub", "enable", "open",
	"mmap", "touch", "disable", "rmdir",
};

/*
 * Errnos each step may meet because another worker got there first.
 * ENOENT: the instance directory or device node is gone; ENODEV: the
 * instance was disabled under us; EBUSY: enabled, overlapping or open;
 * EINVAL (enable): the extent does not fit the region chosen by another
 * worker, or no region; EAGAIN: O_NONBLOCK open during a scrub; ENXIO:
 * the minor was released between reading it and opening the node.
 */
static const int allowed[S_NR][6] = {
	[S_MKDIR] = { EEXIST },
	[S_REGION] = { ENOENT, EBUSY, ENODEV },
	[S_OFFSET] = { ENOENT, EBUSY, ENODEV },
	[S_SIZE] = { ENOENT, EBUSY, ENODEV },
	[S_SCRUB] = { ENOENT, EBUSY, ENODEV },
	[S_ENABLE] = { ENOENT, EBUSY, EINVAL, ENODEV },
	[S_OPEN] = { ENOENT, ENODEV, EBUSY, EAGAIN, ENXIO },
	[S_MMAP] = { ENODEV },
	[S_TOUCH] = { 0 },
	[S_DISABLE] = { ENOENT, EBUSY, ENODEV },
	[S_RMDIR] = { ENOENT, EBUSY },
};

static struct {
	const char *name;
	bool touch;
} regions[MAX_REGIONS];
static int nregions;
static int nnames = 6;
static atomic_bool stop;
static atomic_ulong ops, reads, unexpected;
static atomic_ulong counts[S_NR], fails[S_NR];

static bool is_allowed(enum step s, int err)
{
	unsigned int i;

	for (i = 0; i < 6 && allowed[s][i]; i++)
		if (allowed[s][i] == err)
			return true;
	return false;
}

/* Account one step; @err is 0 or an errno. Returns @err. */
static int account(enum step s, const char *name, int err)
{
	atomic_fetch_add(&ops, 1);
	atomic_fetch_add(&counts[s], 1);
	if (!err)
		return 0;
	atomic_fetch_add(&fails[s], 1);
	if (!is_allowed(s, err)) {
		atomic_fetch_add(&unexpected, 1);
		printf("unexpected: %s %s: %s\n", step_names[s], name, strerror(err));
	}
	return err;
}

/* One write(2) of @val to instance @name's @attr; 0 or errno. */
static int put(const char *name, const char *attr, const char *val)
{
	char path[256];
	ssize_t n;

	snprintf(path, sizeof(path), CFS "/instances/%s/%s", name, attr);
	n = write_file(path, val, strlen(val));
	return n < 0 ? (int)-n : 0;
}

static int get(const char *path, char *buf, size_t size)
{
	ssize_t n = read_file(path, buf, size);

	return n < 0 ? (int)-n : 0;
}

static unsigned int rnd(unsigned int *seed, unsigned int n)
{
	return (unsigned int)rand_r(seed) % n;
}

static __thread sigjmp_buf touch_jmp;
static __thread volatile int touch_armed;

static void touch_handler(int sig)
{
	if (!touch_armed)
		_exit(128 + sig);
	touch_armed = 0;
	siglongjmp(touch_jmp, 1);
}

/* May the instance behind @fd be written (its region marked :touch)? */
static bool touchable(int fd)
{
	struct egm_info info = { .argsz = sizeof(info) };
	char name[32];
	int i;

	if (ioctl(fd, EGM_IOCTL_INFO, &info))
		return false;
	snprintf(name, sizeof(name), "socket%u", info.pxm);
	for (i = 0; i < nregions; i++)
		if (regions[i].touch && !strcmp(regions[i].name, name))
			return true;
	return false;
}

/*
 * Open, map, touch and close the device of @name, as a tenant would.
 * Another worker may have switched the instance to another region
 * before it was enabled: the region is checked on the open file.
 */
static void tenant(const char *name, bool touch, unsigned int *seed)
{
	char path[256], buf[32];
	long minor;
	uint8_t *map;
	int fd;

	snprintf(path, sizeof(path), CFS "/instances/%s/minor", name);
	if (get(path, buf, sizeof(buf)))
		return;
	minor = strtol(buf, NULL, 10);
	if (minor < 0)
		return;
	snprintf(path, sizeof(path), "/dev/egm%ld", minor);
	fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (account(S_OPEN, name, fd < 0 ? errno : 0))
		return;
	map = mmap(NULL, 64 << 10, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (!account(S_MMAP, name, map == MAP_FAILED ? errno : 0)) {
		if (touch && touchable(fd)) {
			volatile uint8_t *p = map;
			unsigned int i;

			if (sigsetjmp(touch_jmp, 1)) {
				account(S_TOUCH, name, EFAULT);	/* SIGBUS */
			} else {
				touch_armed = 1;
				for (i = 0; i < 16; i++)
					p[i * 4096] = (uint8_t)rnd(seed, 256);
				touch_armed = 0;
				account(S_TOUCH, name, 0);
			}
		}
		munmap(map, 64 << 10);
	}
	close(fd);
}

static void *worker(void *arg)
{
	unsigned int seed = (unsigned int)(uintptr_t)arg * 7919 + 1;
	static const char *const offsets[] = { "0", "64K", "1M", "2M", "4M" };
	static const char *const sizes[] = { "64K", "1M", "2M", "0", "8M" };

	while (!atomic_load(&stop)) {
		unsigned int r = rnd(&seed, nregions);
		char name[32], path[256];

		snprintf(name, sizeof(name), "s%u", rnd(&seed, nnames));
		snprintf(path, sizeof(path), CFS "/instances/%s", name);
		account(S_MKDIR, name, mkdir(path, 0755) ? errno : 0);
		account(S_REGION, name, put(name, "region", regions[r].name));
		account(S_OFFSET, name, put(name, "offset", offsets[rnd(&seed, 5)]));
		account(S_SIZE, name, put(name, "size", sizes[rnd(&seed, 5)]));
		/* mostly none: a zero scrub of a big extent is slow under TCG */
		account(S_SCRUB, name, put(name, "scrub", rnd(&seed, 8) ? "none" : "zero"));
		if (!account(S_ENABLE, name, put(name, "enable", "1")))
			tenant(name, regions[r].touch, &seed);
		else if (rnd(&seed, 2))
			tenant(name, false, &seed);	/* someone else's */
		if (rnd(&seed, 3))
			account(S_DISABLE, name, put(name, "enable", "0"));
		if (rnd(&seed, 2))
			account(S_RMDIR, name, rmdir(path) ? errno : 0);
	}
	return NULL;
}

/* Read every regular file under @dir (two levels), ignoring races. */
static void read_tree(const char *dir, int depth)
{
	struct dirent *de;
	char path[512], buf[4096];
	DIR *d = opendir(dir);

	if (!d)
		return;
	while ((de = readdir(d))) {
		struct stat st;

		if (de->d_name[0] == '.' || !strcmp(de->d_name, "retire") ||
		    !strcmp(de->d_name, "subsystem") || !strcmp(de->d_name, "device"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (lstat(path, &st))
			continue;
		if (S_ISREG(st.st_mode)) {
			get(path, buf, sizeof(buf));
			atomic_fetch_add(&reads, 1);
		} else if (depth > 0 && (S_ISDIR(st.st_mode) || S_ISLNK(st.st_mode))) {
			read_tree(path, depth - 1);
		}
	}
	closedir(d);
}

static void *reader(void *arg)
{
	(void)arg;
	while (!atomic_load(&stop)) {
		read_tree(CFS, 3);
		read_tree(CLASS, 1);
	}
	return NULL;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	unsigned long min_ops = 10000, i;
	int nworkers = 4, nreaders = 2, opt, s;
	double secs = 60, start;
	pthread_t th[64];
	struct sigaction sa;
	int nth = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((opt = getopt(argc, argv, "w:r:n:t:N:")) != -1) {
		switch (opt) {
		case 'w': nworkers = atoi(optarg); break;
		case 'r': nreaders = atoi(optarg); break;
		case 'n': min_ops = strtoul(optarg, NULL, 0); break;
		case 't': secs = atof(optarg); break;
		case 'N': nnames = atoi(optarg); break;
		default: goto usage;
		}
	}
	for (; optind < argc && nregions < MAX_REGIONS; optind++) {
		char *c = strchr(argv[optind], ':');

		regions[nregions].touch = c && !strcmp(c + 1, "touch");
		if (c)
			*c = '\0';
		regions[nregions++].name = argv[optind];
	}
	if (!nregions || nworkers < 1 || nworkers + nreaders > 64 ||
	    nreaders < 0 || nnames < 1 || secs <= 0)
		goto usage;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = touch_handler;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, NULL);

	start = now();
	for (s = 0; s < nworkers; s++)
		if (!pthread_create(&th[nth], NULL, worker, (void *)(uintptr_t)s))
			nth++;
	for (s = 0; s < nreaders; s++)
		if (!pthread_create(&th[nth], NULL, reader, NULL))
			nth++;
	for (;;) {
		double t = now() - start;

		usleep(100 * 1000);
		if (t >= secs || (atomic_load(&ops) >= min_ops && t >= secs / 4))
			break;
	}
	atomic_store(&stop, true);
	for (s = 0; s < nth; s++)
		pthread_join(th[s], NULL);

	printf("ops=%lu reads=%lu unexpected=%lu seconds=%.1f\n",
	       atomic_load(&ops), atomic_load(&reads), atomic_load(&unexpected),
	       now() - start);
	for (i = 0; i < S_NR; i++)
		printf("%s=%lu failed=%lu\n", step_names[i], atomic_load(&counts[i]),
		       atomic_load(&fails[i]));
	return atomic_load(&unexpected) || atomic_load(&ops) < min_ops;

usage:
	fputs("usage: egm-stress [-w WORKERS] [-r READERS] [-n MIN_OPS] [-t SECONDS]\n"
	      "                  [-N NAMES] REGION[:touch] [REGION[:touch]...]\n", stderr);
	return 2;
}
