// SPDX-License-Identifier: GPL-2.0
/*
 * egm-iso: tenant-isolation probes for tests/bats/72-isolation.bats, each
 * a race or a hostile use that one process has to stage by itself.
 *
 * usage: egm-iso COMMAND ARGS...   (see tests/helpers/README)
 *
 * Output is one `key=value` line per fact; exit 0 when the command ran
 * (the bats test judges the values), 1 when setting it up failed, 2 on a
 * usage error. Numbers are decimal or 0x-hex with an optional K/M/G.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/egm.h>
#include <linux/userfaultfd.h>

#include "file.h"
#include "meminfo.h"

#define BLOCK	65536UL

static void usage(void)
{
	fputs("usage: egm-iso COMMAND ARGS...\n"
	      "  stale DEV                  open; per stdin line try every call, print results\n"
	      "  retired-short DEV ARGSZ    RETIRED into a 0xff buffer: were ranges written?\n"
	      "  uffd-pwrite DEV OFF LEN BYTE\n"
	      "                             pwrite from a userfaultfd buffer; print faulted,\n"
	      "                             serve it (BYTE) after one stdin line, print count=\n"
	      "  retire-race DEV RETIRE PHYS N\n"
	      "                             N times: two threads retire one mapped block at once,\n"
	      "                             each touches it as soon as its retire returns\n"
	      "  hugezap DEV LEN RETIRE PHYS OFF\n"
	      "                             map LEN, write a word per 64 KiB, retire the block at\n"
	      "                             OFF (PHYS = the instance's base), read every word back\n",
	      stderr);
	exit(2);
}

static uint64_t num(const char *s)
{
	char *end;
	uint64_t v;

	if (!s)
		usage();
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		usage();
	switch (*end) {
	case 'K': case 'k': v <<= 10; end++; break;
	case 'M': case 'm': v <<= 20; end++; break;
	case 'G': case 'g': v <<= 30; end++; break;
	}
	if (*end)
		usage();
	return v;
}

static const char *ename(int err)
{
	static __thread char buf[16];

	switch (err) {
	case ENODEV: return "ENODEV";
	case EBUSY: return "EBUSY";
	case EINVAL: return "EINVAL";
	case ENOSPC: return "ENOSPC";
	case EFAULT: return "EFAULT";
	case EIO: return "EIO";
	case EAGAIN: return "EAGAIN";
	case ESPIPE: return "ESPIPE";
	case ENOSYS: return "ENOSYS";
	}
	snprintf(buf, sizeof(buf), "E%d", err);
	return buf;
}

static int open_dev(const char *dev)
{
	int fd = open(dev, O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		printf("errno=%s\n", ename(errno));
		exit(1);
	}
	return fd;
}

/* ---- SIGBUS as a value ------------------------------------------------ */

static __thread sigjmp_buf bus_jb;
static __thread volatile int bus_armed;

static void on_sigbus(int sig)
{
	if (!bus_armed)
		_exit(3);
	siglongjmp(bus_jb, 1);
}

static void catch_sigbus(void)
{
	struct sigaction sa = { .sa_handler = on_sigbus, .sa_flags = SA_NODEFER };

	sigaction(SIGBUS, &sa, NULL);
}

/* Read the 64-bit word at @p: 0 and *@val, or -1 on SIGBUS. */
static int peek(volatile uint64_t *p, uint64_t *val)
{
	if (sigsetjmp(bus_jb, 1)) {
		bus_armed = 0;
		return -1;
	}
	bus_armed = 1;
	*val = *p;
	bus_armed = 0;
	return 0;
}

static int retire(const char *path, uint64_t phys)
{
	char v[32];
	int n = snprintf(v, sizeof(v), "0x%" PRIx64, phys);

	return write_file(path, v, n) == n ? 0 : -1;
}

/* ---- stale ------------------------------------------------------------- */

static void res(const char *what, long r, int err)
{
	if (r < 0)
		printf("%s=%s", what, ename(err));
	else
		printf("%s=%ld", what, r);
}

/*
 * Every call a tenant can make on its fd, one line of results per line
 * of input: pread pwrite write lseek mmap info retired.
 */
static int cmd_stale(int argc, char **argv)
{
	static char buf[4096];
	char line[64];
	int fd;

	if (argc < 2)
		usage();
	fd = open_dev(argv[1]);
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("opened\n");
	while (fgets(line, sizeof(line), stdin)) {
		struct {
			struct egm_retired r;
			struct egm_range ranges[64];
		} ret = { .r.argsz = sizeof(ret) };
		struct egm_info info = { .argsz = sizeof(info) };
		long r;
		void *p;

		r = pread(fd, buf, sizeof(buf), 0);
		res("pread", r, errno);
		r = pwrite(fd, buf, sizeof(buf), 0);
		res(" pwrite", r, errno);
		r = write(fd, buf, sizeof(buf));
		res(" write", r, errno);
		r = lseek(fd, 0, SEEK_END);
		res(" lseek", r, errno);
		p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		res(" mmap", p == MAP_FAILED ? -1 : 0, errno);
		if (p != MAP_FAILED)
			munmap(p, 4096);
		r = ioctl(fd, EGM_IOCTL_INFO, &info);
		res(" info", r, errno);
		r = ioctl(fd, EGM_IOCTL_RETIRED, &ret);
		res(" retired", r, errno);
		printf("\n");
	}
	close(fd);
	return 0;
}

/* ---- retired-short --------------------------------------------------- */

static int cmd_retired_short(int argc, char **argv)
{
	uint8_t buf[8 + 16 * 64];
	struct egm_retired *r = (struct egm_retired *)buf;
	uint32_t argsz;
	size_t i;
	bool written = false;
	int fd, ret;

	if (argc < 3)
		usage();
	argsz = num(argv[2]);
	if (argsz > sizeof(buf))
		usage();
	fd = open_dev(argv[1]);
	memset(buf, 0xff, sizeof(buf));
	r->argsz = argsz;
	r->count = 0;
	ret = ioctl(fd, EGM_IOCTL_RETIRED, r);
	for (i = 8; i < sizeof(buf); i++)
		written |= buf[i] != 0xff;
	printf("%s%s count=%u ranges=%s\n", ret ? "errno=" : "ok",
	       ret ? ename(errno) : "", r->count,
	       written ? "written" : "untouched");
	close(fd);
	return 0;
}

/* ---- uffd-pwrite ------------------------------------------------------- */

struct uffd_job {
	int fd;
	void *buf;
	size_t len;
	off_t off;
	ssize_t ret;
	int err;
};

static void *uffd_writer(void *arg)
{
	struct uffd_job *j = arg;

	j->ret = pwrite(j->fd, j->buf, j->len, j->off);
	j->err = errno;
	return NULL;
}

/*
 * pwrite(2) from a buffer whose pages are missing and registered with
 * userfaultfd: the driver's copy faults, and the fault waits for us. We
 * print `faulted` when the kernel reports it and serve it only after a
 * line on stdin: in between, the writer is stuck in the kernel for as
 * long as the test wants.
 */
static int cmd_uffd_pwrite(int argc, char **argv)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	struct uffd_job j;
	struct uffd_msg msg;
	struct pollfd pfd;
	pthread_t t;
	char line[64];
	uint8_t *src;
	int uffd;

	if (argc < 5)
		usage();
	j.fd = open_dev(argv[1]);
	j.off = num(argv[2]);
	j.len = num(argv[3]);
	setvbuf(stdout, NULL, _IOLBF, 0);
	uffd = syscall(SYS_userfaultfd, O_CLOEXEC);
	if (uffd < 0 || ioctl(uffd, UFFDIO_API, &api)) {
		printf("userfaultfd errno=%s\n", ename(errno));
		return 1;
	}
	j.buf = mmap(NULL, j.len, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	src = mmap(NULL, j.len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (j.buf == MAP_FAILED || src == MAP_FAILED)
		return 1;
	memset(src, (int)num(argv[4]), j.len);
	reg.range.start = (uintptr_t)j.buf;
	reg.range.len = j.len;
	if (ioctl(uffd, UFFDIO_REGISTER, &reg)) {
		printf("register errno=%s\n", ename(errno));
		return 1;
	}
	if (pthread_create(&t, NULL, uffd_writer, &j))
		return 1;

	pfd.fd = uffd;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, 60000) != 1 ||
	    read(uffd, &msg, sizeof(msg)) != sizeof(msg) ||
	    msg.event != UFFD_EVENT_PAGEFAULT) {
		printf("nofault\n");
		return 1;
	}
	printf("faulted\n");
	if (!fgets(line, sizeof(line), stdin))
		return 1;
	/* Serve every page at once; that also wakes the waiting fault. */
	{
		struct uffdio_copy copy = {
			.dst = (uintptr_t)j.buf, .src = (uintptr_t)src,
			.len = j.len,
		};

		if (ioctl(uffd, UFFDIO_COPY, &copy) && errno != EEXIST) {
			printf("copy errno=%s\n", ename(errno));
			return 1;
		}
	}
	pthread_join(t, NULL);
	if (j.ret < 0)
		printf("errno=%s\n", ename(j.err));
	else
		printf("count=%zd\n", j.ret);
	return 0;
}

/* ---- retire-race ------------------------------------------------------- */

struct race {
	pthread_barrier_t start, end;
	const char *path;
	uint64_t phys;
	volatile uint64_t *word;
	int stale[2];
	int failed;
};

struct racer {
	struct race *r;
	int id;
	int n;
};

static void *racer(void *arg)
{
	struct racer *me = arg;
	struct race *r = me->r;
	uint64_t v;
	int i;

	for (i = 0; i < me->n; i++) {
		pthread_barrier_wait(&r->start);
		if (retire(r->path, r->phys))
			r->failed++;
		/* Returned: the block must be gone from our mapping. */
		else if (!peek(r->word, &v))
			r->stale[me->id]++;
		pthread_barrier_wait(&r->end);
	}
	return NULL;
}

static int cmd_retire_race(int argc, char **argv)
{
	struct race r = { .path = argv[2] };
	struct racer a = { &r, 0 }, b = { &r, 1 };
	pthread_t ta, tb;
	uint64_t base, v, n, i;
	uint8_t *map;
	int fd;

	if (argc < 5)
		usage();
	base = num(argv[3]);
	n = num(argv[4]);
	fd = open_dev(argv[1]);
	map = mmap(NULL, n * BLOCK, PROT_READ, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		printf("mmap errno=%s\n", ename(errno));
		return 1;
	}
	catch_sigbus();
	a.n = b.n = n;
	pthread_barrier_init(&r.start, NULL, 3);
	pthread_barrier_init(&r.end, NULL, 3);
	pthread_create(&ta, NULL, racer, &a);
	pthread_create(&tb, NULL, racer, &b);
	for (i = 0; i < n; i++) {
		r.word = (volatile uint64_t *)(map + i * BLOCK);
		r.phys = base + i * BLOCK;
		/* mapped before the race, so that the zap has work to do */
		if (peek(r.word, &v))
			r.failed++;
		pthread_barrier_wait(&r.start);
		pthread_barrier_wait(&r.end);
	}
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	printf("iterations=%" PRIu64 " stale=%d failed=%d\n", n,
	       r.stale[0] + r.stale[1], r.failed);
	return 0;
}

/* ---- hugezap ----------------------------------------------------------- */

static int cmd_hugezap(int argc, char **argv)
{
	uint64_t len, phys, off, i, v, bad = 0;
	long pt0, pt1;
	uint8_t *map;
	int fd, nbus = 0;

	if (argc < 6)
		usage();
	len = num(argv[2]);
	phys = num(argv[4]);
	off = num(argv[5]) & ~(BLOCK - 1);
	fd = open_dev(argv[1]);
	/* no hint: the driver aligns the mapping for its largest entry */
	map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		printf("mmap errno=%s\n", ename(errno));
		return 1;
	}
	catch_sigbus();
	pt0 = vm_pte_kb();
	for (i = 0; i < len; i += BLOCK)
		*(volatile uint64_t *)(map + i) = i ^ 0x5eed;
	pt1 = vm_pte_kb();
	if (retire(argv[3], phys + off)) {
		printf("retire errno=%s\n", ename(errno));
		return 1;
	}
	printf("pt_kb=%ld", pt1 - pt0);
	for (i = 0; i < len; i += BLOCK) {
		if (peek((volatile uint64_t *)(map + i), &v)) {
			printf(" sigbus=0x%" PRIx64, i);
			nbus++;
		} else if (v != (i ^ 0x5eed)) {
			bad++;
		}
	}
	printf(" sigbus_count=%d bad=%" PRIu64 "\n", nbus, bad);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		usage();
	argv++;
	argc--;
	if (!strcmp(argv[0], "stale"))
		return cmd_stale(argc, argv);
	if (!strcmp(argv[0], "retired-short"))
		return cmd_retired_short(argc, argv);
	if (!strcmp(argv[0], "uffd-pwrite"))
		return cmd_uffd_pwrite(argc, argv);
	if (!strcmp(argv[0], "retire-race"))
		return cmd_retire_race(argc, argv);
	if (!strcmp(argv[0], "hugezap"))
		return cmd_hugezap(argc, argv);
	usage();
	return 2;
}
