// SPDX-License-Identifier: GPL-2.0
/*
 * egm-io: exercise /dev/egmN the way QEMU does, for the bats suites.
 *
 * usage: egm-io [--as UID:GID] [--drop-cap sys_admin] COMMAND ARGS...
 *
 * Every command prints what happened on stdout, one `key=value` or word a
 * line, and exits 0 on success, 1 when the operation failed (an errno is
 * printed as `errno=NAME`, a data mismatch or a SIGBUS as its own line) and
 * 2 on a usage error. Numbers are decimal or 0x-hex with an optional K/M/G
 * suffix (powers of 1024). See tests/helpers/README for the commands.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/capability.h>
#include <linux/egm.h>

#include "file.h"
#include "meminfo.h"

#ifndef BUS_MCEERR_AR
#define BUS_MCEERR_AR 4
#endif
#ifndef BUS_MCEERR_AO
#define BUS_MCEERR_AO 5
#endif

static const char *usage_text =
"usage: egm-io [--as UID:GID] [--drop-cap sys_admin] COMMAND ARGS...\n"
"  info DEV [ARGSZ]                 EGM_IOCTL_INFO, key=value lines\n"
"  retired DEV [ARGSZ [COUNT]]      EGM_IOCTL_RETIRED (input count COUNT, default\n"
"                                   0xdeadbeef): count=N, range=OFF SIZE; fails\n"
"                                   with overrun=OFF if a byte past ARGSZ changed\n"
"  bad-pages DEV [ARGSZ]            EGM_BAD_PAGES_LIST: without ARGSZ as\n"
"                                   NVIDIA's QEMU (grow to argsz, retry)\n"
"  ioctl-raw DEV CMD [ARGSZ|null|unaligned|badptr|readonly]\n"
"  mmap DEV OFF LEN [shared|private|ro|ro-write]\n"
"  fill DEV OFF LEN PATTERN [mmap|write]\n"
"  check DEV OFF LEN PATTERN [mmap|read]\n"
"  touch DEV [map=LEN] OFF [OFF...] read one byte per offset via mmap\n"
"                                   (map=LEN: one mapping of [0, LEN) for all)\n"
"  touch-write DEV OFF [OFF...]     write one byte per offset via mmap\n"
"  hold DEV OFF LEN                 mmap, close fd, print mapped, wait for EOF\n"
"  openhold DEV [nonblock] [rdonly] open, print opened, wait for EOF\n"
"  open DEV [nonblock] [rdonly]     print ok or errno=NAME\n"
"  pread DEV OFF LEN [PATTERN]      print count=N (and check PATTERN)\n"
"  pwrite DEV OFF LEN [PATTERN]     print count=N\n"
"  read DEV OFF LEN / write DEV OFF LEN   the same through lseek+read/write\n"
"  lseek-end DEV                    print size=N\n"
"  fork-shared DEV OFF [LEN]        child writes via the shared mapping\n"
"  maptest DEV CASE LEN             aligned|skewed|offset|munmap|mremap|boundary\n"
"  cycle DEV LEN N                  N tenants: open, check zero, fill, close\n"
"  session DEV                      commands on stdin, one reply line each\n"
"                                   (incl. mce early|late|default, sigwait SECS)\n"
"  stat PATH                        uid= gid= mode= type= rdev=\n"
"  writefile [-e] PATH VALUE / readfile PATH   (-e: \\n \\t \\r \\0 \\xHH escapes)\n"
"  corpus                           hostile writes from stdin: PATH WATCH ERRNO VALUE\n"
"PATTERN: zero, a byte (0x5a, 90), addr or addr:SEED (each 64-bit word holds\n"
"its device offset XOR SEED).\n";

static void usage(void)
{
	fputs(usage_text, stderr);
	exit(2);
}

static const struct {
	int err;
	const char *name;
} errnames[] = {
	{ EPERM, "EPERM" }, { ENOENT, "ENOENT" }, { EINTR, "EINTR" },
	{ EIO, "EIO" }, { ENXIO, "ENXIO" }, { E2BIG, "E2BIG" },
	{ EBADF, "EBADF" }, { EAGAIN, "EAGAIN" }, { ENOMEM, "ENOMEM" },
	{ EACCES, "EACCES" }, { EFAULT, "EFAULT" }, { EBUSY, "EBUSY" },
	{ EEXIST, "EEXIST" }, { ENODEV, "ENODEV" }, { ENOTDIR, "ENOTDIR" },
	{ EISDIR, "EISDIR" }, { EINVAL, "EINVAL" }, { ENFILE, "ENFILE" },
	{ EMFILE, "EMFILE" }, { ENOTTY, "ENOTTY" }, { EFBIG, "EFBIG" },
	{ ENOSPC, "ENOSPC" }, { ESPIPE, "ESPIPE" }, { EROFS, "EROFS" },
	{ ERANGE, "ERANGE" }, { ENOSYS, "ENOSYS" }, { EOVERFLOW, "EOVERFLOW" },
	{ EOPNOTSUPP, "EOPNOTSUPP" }, { ENODATA, "ENODATA" },
	{ EHWPOISON, "EHWPOISON" },
};

static const char *errname(int err)
{
	static char buf[32];
	size_t i;

	for (i = 0; i < sizeof(errnames) / sizeof(errnames[0]); i++)
		if (errnames[i].err == err)
			return errnames[i].name;
	snprintf(buf, sizeof(buf), "E%d", err);
	return buf;
}

/* Print errno=NAME for @err and return 1 (the exit status of a failure). */
static int fail_errno(int err)
{
	printf("errno=%s\n", errname(err));
	return 1;
}

/* Parse decimal or 0x-hex, then one optional K/M/G/T suffix. */
static bool parse_num(const char *s, uint64_t *out)
{
	unsigned long long v;
	char *end;
	int shift = 0;

	if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
		return false;
	errno = 0;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		v = strtoull(s + 2, &end, 16);
	else
		v = strtoull(s, &end, 10);
	if (errno || end == s || (s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && end == s + 2))
		return false;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	case 't': case 'T': shift = 40; end++; break;
	}
	if (*end)
		return false;
	if (shift && (v >> (64 - shift)))
		return false;
	*out = (uint64_t)v << shift;
	return true;
}

static uint64_t num_arg(const char *s)
{
	uint64_t v;

	if (!parse_num(s, &v)) {
		fprintf(stderr, "egm-io: bad number '%s'\n", s ? s : "(missing)");
		exit(2);
	}
	return v;
}

/* ---- data patterns ---------------------------------------------------- */

struct pattern {
	bool addr;		/* word = device offset ^ seed */
	uint64_t seed;
	uint8_t byte;		/* otherwise every byte is this */
};

static struct pattern pattern_arg(const char *s)
{
	struct pattern p = { 0 };
	uint64_t v;

	if (!s)
		usage();
	if (!strcmp(s, "zero"))
		return p;
	if (!strcmp(s, "addr")) {
		p.addr = true;
		return p;
	}
	if (!strncmp(s, "addr:", 5)) {
		p.addr = true;
		p.seed = num_arg(s + 5);
		return p;
	}
	if (!parse_num(s, &v) || v > 255) {
		fprintf(stderr, "egm-io: bad pattern '%s'\n", s);
		exit(2);
	}
	p.byte = v;
	return p;
}

/* Expected byte at device offset @off. */
static uint8_t pattern_byte(const struct pattern *p, uint64_t off)
{
	uint64_t w;

	if (!p->addr)
		return p->byte;
	w = (off & ~7ULL) ^ p->seed;
	return (uint8_t)(w >> ((off & 7) * 8));	/* little endian word */
}

/* Fill @len bytes at @buf that hold device offsets @off.. */
static void pattern_fill(const struct pattern *p, volatile uint8_t *buf,
			 uint64_t off, uint64_t len)
{
	uint64_t i = 0;

	/*
	 * Strictly ascending stores (no memset: it may store the tail first),
	 * so a SIGBUS reports the first retired byte.
	 */
	if (!p->addr) {
		uint64_t w = p->byte * 0x0101010101010101ULL;

		for (; i < len && ((off + i) & 7); i++)
			buf[i] = p->byte;
		for (; i + 8 <= len; i += 8)
			*(volatile uint64_t *)(buf + i) = w;
	} else {
		for (; i < len && ((off + i) & 7); i++)
			buf[i] = pattern_byte(p, off + i);
		for (; i + 8 <= len; i += 8)
			*(volatile uint64_t *)(buf + i) = (off + i) ^ p->seed;
	}
	for (; i < len; i++)
		buf[i] = pattern_byte(p, off + i);
}

/*
 * Compare @len bytes; report the first mismatch and the number of pages
 * that differ (every page is checked). Returns true if all match.
 */
static bool pattern_check(const struct pattern *p, const volatile uint8_t *buf,
			  uint64_t off, uint64_t len)
{
	uint64_t pgsz = sysconf(_SC_PAGESIZE);
	uint64_t i, bad_pages = 0, last_bad_page = UINT64_MAX, bad_off = 0;
	uint8_t bad_want = 0, bad_got = 0;

	for (i = 0; i < len; i++) {
		uint8_t want, got;

		if (!((off + i) & 7) && i + 8 <= len) {
			uint64_t w = *(const volatile uint64_t *)(buf + i);
			uint64_t e = p->addr ? (off + i) ^ p->seed :
				     p->byte * 0x0101010101010101ULL;

			if (w == e) {
				i += 7;
				continue;
			}
		}
		want = pattern_byte(p, off + i);
		got = buf[i];
		if (want == got)
			continue;
		if (!bad_pages) {
			bad_off = off + i;
			bad_want = want;
			bad_got = got;
		}
		if ((off + i) / pgsz != last_bad_page) {
			last_bad_page = (off + i) / pgsz;
			bad_pages++;
		}
	}
	/* one line, so that session replies stay one line each */
	if (bad_pages)
		printf("mismatch off=0x%" PRIx64 " want=0x%02x got=0x%02x bad_pages=%" PRIu64 "\n",
		       bad_off, bad_want, bad_got, bad_pages);
	return !bad_pages;
}

/* ---- SIGBUS handling -------------------------------------------------- */

static sigjmp_buf bus_jmp;
static volatile sig_atomic_t bus_armed;
static volatile int bus_code;
static void *volatile bus_addr;
static volatile int bus_lsb;

/*
 * Asynchronous SIGBUS (the kernel's BUS_MCEERR_AO to an early-kill task),
 * accepted once the session's `mce` command asked for it: recorded here
 * for `sigwait`, no jump.
 */
static volatile sig_atomic_t async_ok;
static volatile sig_atomic_t async_count;
static volatile int async_code;
static void *volatile async_addr;
static volatile int async_lsb;

static void bus_handler(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	if (!bus_armed && async_ok) {
		async_code = si->si_code;
		async_addr = si->si_addr;
#ifdef si_addr_lsb
		async_lsb = si->si_addr_lsb;
#endif
		async_count++;
		return;
	}
	if (!bus_armed)
		_exit(99);
	bus_code = si->si_code;
	bus_addr = si->si_addr;
#ifdef si_addr_lsb
	bus_lsb = si->si_addr_lsb;
#endif
	bus_armed = 0;
	siglongjmp(bus_jmp, 1);
}

static void bus_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = bus_handler;
	/* SA_RESTART: an asynchronous SIGBUS must not break the stdin read */
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, NULL);
}

static const char *bus_code_name(int code)
{
	static char buf[16];

	switch (code) {
	case BUS_ADRALN: return "BUS_ADRALN";
	case BUS_ADRERR: return "BUS_ADRERR";
	case BUS_OBJERR: return "BUS_OBJERR";
	case BUS_MCEERR_AR: return "BUS_MCEERR_AR";
	case BUS_MCEERR_AO: return "BUS_MCEERR_AO";
	}
	snprintf(buf, sizeof(buf), "%d", code);
	return buf;
}

/* ---- device context --------------------------------------------------- */

struct ctx {
	const char *dev;
	int fd;
	uint8_t *map;		/* page-aligned mapping of the device */
	uint64_t map_off;	/* device offset of map[0] */
	uint64_t map_len;
};

static int dev_open(struct ctx *c, bool rdonly, bool nonblock)
{
	int flags = (rdonly ? O_RDONLY : O_RDWR) | O_CLOEXEC;

	if (nonblock)
		flags |= O_NONBLOCK;
	c->fd = open(c->dev, flags);
	return c->fd < 0 ? -errno : 0;
}

static int dev_mmap(struct ctx *c, uint64_t off, uint64_t len, int prot, int flags)
{
	void *p = mmap(NULL, len, prot, flags, c->fd, (off_t)off);

	if (p == MAP_FAILED)
		return -errno;
	c->map = p;
	c->map_off = off;
	c->map_len = len;
	return 0;
}

static void dev_munmap(struct ctx *c)
{
	if (c->map)
		munmap(c->map, c->map_len);
	c->map = NULL;
}

static void print_sigbus(const struct ctx *c)
{
	uint64_t a = (uint64_t)(uintptr_t)bus_addr - (uint64_t)(uintptr_t)c->map + c->map_off;

	printf("sigbus code=%s addr_off=0x%" PRIx64 " lsb=%d\n",
	       bus_code_name(bus_code), a, bus_lsb);
}

/*
 * session `mce early|late|default`: prctl(PR_MCE_KILL) as QEMU does for
 * early (default: PR_MCE_KILL_CLEAR, i.e. vm.memory_failure_early_kill),
 * and accept asynchronous SIGBUS from now on.
 */
static int mce_policy(const char *how)
{
	unsigned long pol;

	if (!strcmp(how, "early"))
		pol = PR_MCE_KILL_EARLY;
	else if (!strcmp(how, "late"))
		pol = PR_MCE_KILL_LATE;
	else if (!strcmp(how, "default"))
		pol = PR_MCE_KILL_DEFAULT;
	else
		return -EINVAL;
	if (pol == PR_MCE_KILL_DEFAULT ?
	    prctl(PR_MCE_KILL, PR_MCE_KILL_CLEAR, 0, 0, 0) :
	    prctl(PR_MCE_KILL, PR_MCE_KILL_SET, pol, 0, 0))
		return -errno;
	async_ok = 1;
	bus_install();
	return 0;
}

/*
 * session `sigwait SECS`: wait up to SECS for an asynchronous SIGBUS
 * (counted since `mce`); print `sigbus code=NAME addr_off=0x.. lsb=N
 * count=N` (the last one; addr_off relative to the session's mapping) or
 * `nosignal`.
 */
static void async_wait(const struct ctx *c, uint64_t secs)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	uint64_t i;

	for (i = 0; !async_count && i < secs * 100; i++)
		nanosleep(&ts, NULL);
	if (!async_count) {
		printf("nosignal\n");
		return;
	}
	printf("sigbus code=%s addr_off=0x%" PRIx64 " lsb=%d count=%d\n",
	       bus_code_name(async_code),
	       (uint64_t)(uintptr_t)async_addr - (uint64_t)(uintptr_t)c->map + c->map_off,
	       async_lsb, (int)async_count);
}

static bool in_map(const struct ctx *c, uint64_t off, uint64_t len)
{
	return c->map && off >= c->map_off && len <= c->map_len &&
	       off - c->map_off <= c->map_len - len;
}

/* Fill/check through the mapping; 0 ok, 1 mismatch or SIGBUS. */
static int map_fill(struct ctx *c, uint64_t off, uint64_t len, const struct pattern *p)
{
	if (!in_map(c, off, len)) {
		printf("error=outside-mapping\n");
		return 1;
	}
	bus_install();
	if (sigsetjmp(bus_jmp, 1)) {
		print_sigbus(c);
		return 1;
	}
	bus_armed = 1;
	pattern_fill(p, c->map + (off - c->map_off), off, len);
	bus_armed = 0;
	printf("ok\n");
	return 0;
}

static int map_check(struct ctx *c, uint64_t off, uint64_t len, const struct pattern *p)
{
	bool good;

	if (!in_map(c, off, len)) {
		printf("error=outside-mapping\n");
		return 1;
	}
	bus_install();
	if (sigsetjmp(bus_jmp, 1)) {
		print_sigbus(c);
		return 1;
	}
	bus_armed = 1;
	good = pattern_check(p, c->map + (off - c->map_off), off, len);
	bus_armed = 0;
	if (good)
		printf("ok\n");
	return !good;
}

static int map_touch(struct ctx *c, uint64_t off, bool wr)
{
	volatile uint8_t *b;
	uint8_t v;

	if (!in_map(c, off, 1)) {
		printf("error=outside-mapping\n");
		return 1;
	}
	b = c->map + (off - c->map_off);
	bus_install();
	if (sigsetjmp(bus_jmp, 1)) {
		print_sigbus(c);
		return 1;
	}
	bus_armed = 1;
	if (wr) {
		v = *b;
		*b = v;
	} else {
		v = *b;
	}
	bus_armed = 0;
	printf("ok val=0x%02x\n", v);
	return 0;
}

/* ---- ioctls ----------------------------------------------------------- */

static int do_info(int fd, uint32_t argsz, bool one_line)
{
	union {
		struct egm_info info;
		uint8_t raw[8192];
	} u;
	struct egm_info *i = &u.info;
	const char *sep = one_line ? " " : "\n";

	memset(&u, 0xa5, sizeof(u));
	i->argsz = argsz;
	if (ioctl(fd, EGM_IOCTL_INFO, &u) < 0)
		return fail_errno(errno);
	/* retired_pages last: suites take everything after it */
	printf("argsz=%" PRIu32 "%sflags=0x%" PRIx32 "%ssize=%" PRIu64 "%soffset=%" PRIu64
	       "%spagesize=%" PRIu64 "%snuma_node=%" PRId32 "%spxm=%" PRIu32
	       "%scpu_node=%" PRId32 "%sreserved=0x%" PRIx32 "%sretired_pages=%" PRIu64 "\n",
	       i->argsz, sep, i->flags, sep, (uint64_t)i->size, sep,
	       (uint64_t)i->offset, sep, (uint64_t)i->pagesize, sep, i->numa_node,
	       sep, i->pxm, sep, i->cpu_node, sep, i->reserved, sep,
	       (uint64_t)i->retired_pages);
	return 0;
}

/* The first byte of @buf at or after @from that is not 0xa5, or -1. */
static long changed_from(const void *buf, size_t from, size_t len)
{
	const uint8_t *b = buf;
	size_t i;

	for (i = from; i < len; i++)
		if (b[i] != 0xa5)
			return (long)i;
	return -1;
}

static int do_retired(int fd, uint32_t argsz, uint32_t incount)
{
	size_t bufsz = (argsz > 8 ? argsz : 8) + 4096;
	struct egm_retired *r = malloc(bufsz);
	uint32_t n, cap;
	long over;
	int ret;

	if (!r)
		return fail_errno(ENOMEM);
	memset(r, 0xa5, bufsz);
	r->argsz = argsz;
	r->count = incount;	/* ignored by the driver on input */
	ret = ioctl(fd, EGM_IOCTL_RETIRED, r);
	/* argsz is the capacity: nothing past it may be written */
	over = changed_from(r, argsz > 8 ? argsz : 8, bufsz);
	if (over >= 0) {
		printf("overrun=0x%lx\n", over);
		free(r);
		return 1;
	}
	if (ret < 0) {
		int err = errno;

		if (err == ENOSPC)
			printf("count=%" PRIu32 "\n", r->count);
		free(r);
		return fail_errno(err);
	}
	printf("count=%" PRIu32 "\n", r->count);
	cap = argsz >= 8 ? (argsz - 8) / 16 : 0;
	for (n = 0; n < r->count && n < cap; n++)
		printf("range=0x%" PRIx64 " 0x%" PRIx64 "\n",
		       (uint64_t)r->ranges[n].offset, (uint64_t)r->ranges[n].size);
	free(r);
	return 0;
}

/*
 * EGM_BAD_PAGES_LIST, NVIDIA's downstream command. With loop set the
 * caller behaves like NVIDIA's QEMU: it starts with a bare header, and
 * while the driver answers with a larger argsz it grows the buffer to
 * that size and asks again. Prints calls= argsz= count= and one block=
 * line per entry. With a fixed argsz: one call on a 0xa5-filled buffer;
 * entries the driver left alone print "block=untouched".
 */
static int do_bad_pages(int fd, bool loop, uint32_t argsz)
{
	uint32_t size = loop ? 8 : argsz, n, cap, calls = 0;
	struct egm_retired *r = NULL;
	size_t bufsz;

	for (;;) {
		bufsz = (size > 8 ? size : 8) + 4096;
		free(r);
		r = malloc(bufsz);
		if (!r)
			return fail_errno(ENOMEM);
		memset(r, 0xa5, bufsz);
		r->argsz = size;
		r->count = 0xdeadbeef;
		calls++;
		if (ioctl(fd, EGM_BAD_PAGES_LIST, r) < 0) {
			int err = errno;

			free(r);
			return fail_errno(err);
		}
		if (!loop || r->argsz <= size)
			break;
		if (calls == 16) {
			printf("calls=%" PRIu32 " argsz=%" PRIu32 " (still growing)\n",
			       calls, r->argsz);
			free(r);
			return 1;
		}
		size = r->argsz;
	}
	printf("calls=%" PRIu32 "\nargsz=%" PRIu32 "\ncount=%" PRIu32 "\n",
	       calls, r->argsz, r->count);
	cap = size >= 8 ? (size - 8) / 16 : 0;
	for (n = 0; n < cap && n < 8192; n++) {
		if (r->ranges[n].offset == 0xa5a5a5a5a5a5a5a5ULL) {
			if (!loop)
				printf("block=untouched\n");
			continue;
		}
		printf("block=0x%" PRIx64 " 0x%" PRIx64 "\n",
		       (uint64_t)r->ranges[n].offset, (uint64_t)r->ranges[n].size);
	}
	free(r);
	return 0;
}

/* ---- commands --------------------------------------------------------- */

static bool has_word(int argc, char **argv, int from, const char *w)
{
	int i;

	for (i = from; i < argc; i++)
		if (!strcmp(argv[i], w))
			return true;
	return false;
}

static int open_or_report(struct ctx *c, bool rdonly, bool nonblock)
{
	int r = dev_open(c, rdonly, nonblock);

	if (r)
		fail_errno(-r);
	return r;
}

static int cmd_info(int argc, char **argv)
{
	struct ctx c = { .dev = argv[1] };

	if (argc < 2)
		usage();
	if (open_or_report(&c, false, false))
		return 1;
	return do_info(c.fd, argc > 2 ? num_arg(argv[2]) : sizeof(struct egm_info), false);
}

static int cmd_retired(int argc, char **argv)
{
	struct ctx c = { .dev = argv[1] };

	if (argc < 2)
		usage();
	if (open_or_report(&c, false, false))
		return 1;
	return do_retired(c.fd, argc > 2 ? num_arg(argv[2]) : 8 + 16 * 8192,
			  argc > 3 ? num_arg(argv[3]) : 0xdeadbeef);
}

static int cmd_bad_pages(int argc, char **argv)
{
	struct ctx c = { .dev = argv[1] };

	if (argc < 2)
		usage();
	if (open_or_report(&c, false, false))
		return 1;
	return do_bad_pages(c.fd, argc < 3, argc > 2 ? num_arg(argv[2]) : 0);
}

static int cmd_ioctl_raw(int argc, char **argv)
{
	struct ctx c = { .dev = argv[1] };
	static uint8_t buf[16384] __attribute__((aligned(4096)));
	void *arg = buf;
	unsigned long cmd;
	uint32_t argsz = sizeof(struct egm_info);
	long r;

	if (argc < 3)
		usage();
	cmd = num_arg(argv[2]);
	memset(buf, 0, sizeof(buf));
	if (argc > 3) {
		if (!strcmp(argv[3], "null")) {
			arg = NULL;
		} else if (!strcmp(argv[3], "unaligned")) {
			arg = buf + 1;
		} else if (!strcmp(argv[3], "badptr")) {
			void *p = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

			if (p == MAP_FAILED)
				return fail_errno(errno);
			arg = p;
		} else if (!strcmp(argv[3], "readonly")) {
			uint32_t *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
					   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

			if (p == MAP_FAILED)
				return fail_errno(errno);
			p[0] = argsz;
			mprotect(p, 4096, PROT_READ);
			arg = p;
		} else {
			argsz = num_arg(argv[3]);
		}
	}
	if (arg == buf || arg == buf + 1)
		memcpy(arg, &argsz, sizeof(argsz));
	if (open_or_report(&c, false, false))
		return 1;
	r = ioctl(c.fd, cmd, arg);
	if (r < 0)
		return fail_errno(errno);
	if (arg == buf || arg == buf + 1) {
		memcpy(&argsz, arg, sizeof(argsz));
		printf("ok ret=%ld argsz=%" PRIu32 "\n", r, argsz);
	} else {
		printf("ok ret=%ld\n", r);
	}
	return 0;
}

static int cmd_mmap(int argc, char **argv)
{
	struct ctx c = { .dev = argv[1] };
	const char *kind = argc > 4 ? argv[4] : "shared";
	int prot = PROT_READ | PROT_WRITE, flags = MAP_SHARED, r;
	bool rdonly = false;

	if (argc < 4)
		usage();
	if (!strcmp(kind, "private")) {
		flags = MAP_PRIVATE;
	} else if (!strcmp(kind, "ro")) {
		rdonly = true;
		prot = PROT_READ;
	} else if (!strcmp(kind, "ro-write")) {
		rdonly = true;
	} else if (strcmp(kind, "shared")) {
		usage();
	}
	if (open_or_report(&c, rdonly, false))
		return 1;
	r = dev_mmap(&c, num_arg(argv[2]), num_arg(argv[3]), prot, flags);
	if (r)
		return fail_errno(-r);
	printf("ok\n");
	return 0;
}

static int rw_loop(int fd, uint8_t *buf, uint64_t off, uint64_t len, bool wr,
		   bool positional, int64_t *done)
{
	ssize_t n;

	if (!positional && lseek(fd, (off_t)off, SEEK_SET) < 0)
		return -errno;
	if (wr)
		n = positional ? pwrite(fd, buf, len, (off_t)off) : write(fd, buf, len);
	else
		n = positional ? pread(fd, buf, len, (off_t)off) : read(fd, buf, len);
	if (n < 0)
		return -errno;
	*done = n;
	return 0;
}

/* Check through pread; 0 ok, 1 mismatch, short count or errno. */
static int read_check(struct ctx *c, uint64_t off, uint64_t len, const struct pattern *p)
{
	uint8_t *buf = malloc(len ? len : 1);
	int64_t done = 0;
	int r;

	if (!buf)
		return fail_errno(ENOMEM);
	r = rw_loop(c->fd, buf, off, len, false, true, &done);
	if (r) {
		free(buf);
		return fail_errno(-r);
	}
	if ((uint64_t)done != len) {
		printf("short count=%" PRId64 "\n", done);
		free(buf);
		return 1;
	}
	r = !pattern_check(p, buf, off, len);
	if (!r)
		printf("ok\n");
	free(buf);
	return r;
}

/*
 * cycle DEV LEN N: N tenants in a row. Each opens (waiting for the
 * previous hand-over scrub), checks that [0, LEN) is zero, fills it with
 * its own pattern, unmaps and closes.
 */
static int cmd_cycle(int argc, char **argv)
{
	struct pattern zero = { 0 };
	uint64_t len, n, i;

	if (argc < 4)
		usage();
	len = num_arg(argv[2]);
	n = num_arg(argv[3]);
	for (i = 1; i <= n; i++) {
		struct ctx c = { .dev = argv[1] };
		struct pattern p = { .addr = true, .seed = i << 48 };
		int r = dev_open(&c, false, false);

		if (!r)
			r = dev_mmap(&c, 0, len, PROT_READ | PROT_WRITE, MAP_SHARED);
		if (r) {
			printf("tenant %" PRIu64 ": ", i);
			return fail_errno(-r);
		}
		bus_install();
		if (sigsetjmp(bus_jmp, 1)) {
			printf("tenant %" PRIu64 ": ", i);
			print_sigbus(&c);
			return 1;
		}
		bus_armed = 1;
		if (!pattern_check(&zero, c.map, 0, len)) {
			printf("tenant %" PRIu64 " found data of tenant %" PRIu64 "\n", i, i - 1);
			return 1;
		}
		pattern_fill(&p, c.map, 0, len);
		bus_armed = 0;
		dev_munmap(&c);
		close(c.fd);
	}
	printf("ok\n");
	return 0;
}

static int cmd_fill_check(int argc, char **argv, bool fill)
{
	struct ctx c = { .dev = argv[1] };
	const char *via;
	struct pattern p;
	uint64_t off, len;
	int r;

	if (argc < 5)
		usage();
	off = num_arg(argv[2]);
	len = num_arg(argv[3]);
	p = pattern_arg(argv[4]);
	via = argc > 5 ? argv[5] : "mmap";
	if (!strcmp(via, "mmap")) {
		if (open_or_report(&c, !fill, false))
			return 1;
		uint64_t pg = sysconf(_SC_PAGESIZE), start = off & ~(pg - 1);

		r = dev_mmap(&c, start, len + (off - start),
			     fill ? PROT_READ | PROT_WRITE : PROT_READ, MAP_SHARED);
		if (r)
			return fail_errno(-r);
		return fill ? map_fill(&c, off, len, &p) : map_check(&c, off, len, &p);
	}
	if (strcmp(via, fill ? "write" : "read"))
		usage();
	if (open_or_report(&c, !fill, false))
		return 1;
	{
		uint8_t *buf = malloc(len ? len : 1);
		int64_t done = 0;
		bool good;

		if (!buf)
			return fail_errno(ENOMEM);
		if (fill)
			pattern_fill(&p, buf, off, len);
		r = rw_loop(c.fd, buf, off, len, fill, true, &done);
		if (r)
			return fail_errno(-r);
		if ((uint64_t)done != len) {
			printf("short count=%" PRId64 "\n", done);
			return 1;
		}
		if (fill) {
			printf("ok\n");
			return 0;
		}
		good = pattern_check(&p, buf, off, len);
		if (good)
			printf("ok\n");
		return !good;
	}
}

static int cmd_touch(int argc, char **argv, bool wr)
{
	struct ctx c = { .dev = argv[1] };
	uint64_t pg = sysconf(_SC_PAGESIZE);
	int i, ret = 0;

	uint64_t whole = 0;

	if (argc > 2 && !strncmp(argv[2], "map=", 4)) {
		whole = num_arg(argv[2] + 4);
		argv++;
		argc--;
	}
	if (argc < 3)
		usage();
	if (open_or_report(&c, false, false))
		return 1;
	/* map=LEN: one hint-less mapping of [0, LEN) for every offset */
	if (whole) {
		int r = dev_mmap(&c, 0, whole, PROT_READ | PROT_WRITE, MAP_SHARED);

		if (r)
			return fail_errno(-r);
	}
	for (i = 2; i < argc; i++) {
		uint64_t off = num_arg(argv[i]);
		int r = whole ? 0 : dev_mmap(&c, off & ~(pg - 1), pg,
					     PROT_READ | PROT_WRITE, MAP_SHARED);

		if (r) {
			ret |= fail_errno(-r);
			continue;
		}
		ret |= map_touch(&c, off, wr);
		if (!whole)
			dev_munmap(&c);
	}
	return ret;
}

/* Block until stdin reaches EOF (or the process is killed). */
static void wait_stdin_eof(void)
{
	char buf[256];

	fflush(stdout);
	while (read(0, buf, sizeof(buf)) > 0)
		;
}

static int cmd_hold(int argc, char **argv)
{
	struct ctx c = { .dev = argv[1] };
	int r;

	if (argc < 4)
		usage();
	if (open_or_report(&c, false, false))
		return 1;
	r = dev_mmap(&c, num_arg(argv[2]), num_arg(argv[3]), PROT_READ | PROT_WRITE, MAP_SHARED);
	if (r)
		return fail_errno(-r);
	close(c.fd);
	printf("mapped\n");
	wait_stdin_eof();
	dev_munmap(&c);
	return 0;
}

static int cmd_open(int argc, char **argv, bool hold)
{
	struct ctx c = { .dev = argv[1] };

	if (argc < 2)
		usage();
	if (open_or_report(&c, has_word(argc, argv, 2, "rdonly"),
			   has_word(argc, argv, 2, "nonblock")))
		return 1;
	if (!hold) {
		printf("ok\n");
		return 0;
	}
	printf("opened\n");
	wait_stdin_eof();
	close(c.fd);
	return 0;
}

static int cmd_rw(int argc, char **argv, bool wr, bool positional)
{
	struct ctx c = { .dev = argv[1] };
	struct pattern p = { .byte = 0x5a };
	bool have_pattern = argc > 4;
	uint64_t off, len;
	int64_t done = 0;
	uint8_t *buf;
	int r;

	if (argc < 4)
		usage();
	off = num_arg(argv[2]);
	len = num_arg(argv[3]);
	if (have_pattern)
		p = pattern_arg(argv[4]);
	buf = malloc(len ? len : 1);
	if (!buf)
		return fail_errno(ENOMEM);
	if (open_or_report(&c, !wr, false))
		return 1;
	if (wr)
		pattern_fill(&p, buf, off, len);
	r = rw_loop(c.fd, buf, off, len, wr, positional, &done);
	if (r)
		return fail_errno(-r);
	printf("count=%" PRId64 "\n", done);
	if (!wr && have_pattern && !pattern_check(&p, buf, off, done))
		return 1;
	return 0;
}

static int cmd_lseek_end(int argc, char **argv)
{
	struct ctx c = { .dev = argv[1] };
	off_t o;

	if (argc < 2)
		usage();
	if (open_or_report(&c, true, false))
		return 1;
	o = lseek(c.fd, 0, SEEK_END);
	if (o < 0)
		return fail_errno(errno);
	printf("size=%lld\n", (long long)o);
	return 0;
}

/*
 * fork-shared DEV OFF [LEN]: map LEN (default one page) at OFF, fork;
 * the child writes a word at the start, astride every 2 MiB boundary
 * and at the end, and runs an ioctl on the inherited fd; the parent must
 * see every word.
 */
static uint64_t fork_word(uint64_t i)
{
	return 0x600dc0de00000000ULL | i;
}

static int cmd_fork_shared(int argc, char **argv)
{
	struct ctx c = { .dev = argv[1] };
	const uint64_t m2 = 2ULL << 20;
	uint64_t pg = sysconf(_SC_PAGESIZE), off, len, i, n, x;
	uint64_t spots[64];
	pid_t pid;
	int st, r;

	if (argc < 3)
		usage();
	off = num_arg(argv[2]);
	len = argc > 3 ? num_arg(argv[3]) : pg;
	if (len < 16)
		usage();
	n = 0;
	spots[n++] = 0;
	for (x = m2 - (off & (m2 - 1)); x + 4 < len && n < 63; x += m2)
		spots[n++] = x - 4;	/* 8 bytes astride the boundary */
	spots[n++] = len - 8;
	if (open_or_report(&c, false, false))
		return 1;
	r = dev_mmap(&c, off, len, PROT_READ | PROT_WRITE, MAP_SHARED);
	if (r)
		return fail_errno(-r);
	for (i = 0; i < n; i++)
		memset(c.map + spots[i], 0x11, 8);
	pid = fork();
	if (pid < 0)
		return fail_errno(errno);
	if (!pid) {
		union { struct egm_info i; uint8_t raw[64]; } u = { .i.argsz = sizeof(u.i) };

		for (i = 0; i < n; i++) {
			uint64_t w = fork_word(i);

			memcpy(c.map + spots[i], &w, 8);
		}
		/* the fd is the same open: the ioctl works in the child */
		_exit(ioctl(c.fd, EGM_IOCTL_INFO, &u) ? 3 : 0);
	}
	if (waitpid(pid, &st, 0) < 0)
		return fail_errno(errno);
	if (!WIFEXITED(st) || WEXITSTATUS(st)) {
		printf("child failed status=0x%x\n", st);
		return 1;
	}
	for (i = 0; i < n; i++) {
		uint64_t w;

		memcpy(&w, c.map + spots[i], 8);
		if (w != fork_word(i)) {
			printf("mismatch off=0x%" PRIx64 " got=0x%" PRIx64 "\n",
			       off + spots[i], w);
			return 1;
		}
	}
	printf("words=%" PRIu64 "\n", n);
	printf("ok\n");
	return 0;
}

/* ---- mapping scenarios: maptest DEV CASE LEN -------------------------- */

static sigjmp_buf probe_jmp;
static volatile int probe_sig;

static void probe_handler(int sig)
{
	probe_sig = sig;
	siglongjmp(probe_jmp, 1);
}

/*
 * Read one byte at @p. Returns 0 and stores it, or the signal
 * (SIGSEGV for an unmapped address, SIGBUS for a refused page).
 */
static int probe_read(const volatile uint8_t *p, uint8_t *val)
{
	struct sigaction sa, old_segv, old_bus;
	int r = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = probe_handler;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, &old_segv);
	sigaction(SIGBUS, &sa, &old_bus);
	if (sigsetjmp(probe_jmp, 1))
		r = probe_sig;
	else
		*val = *p;
	sigaction(SIGSEGV, &old_segv, NULL);
	sigaction(SIGBUS, &old_bus, NULL);
	return r;
}

/* Check [off, off + len) of the device through pread, quietly. */
static bool pread_matches(int fd, uint64_t off, uint64_t len, const struct pattern *p)
{
	uint8_t *buf = malloc(len);
	bool good;

	if (!buf || pread(fd, buf, len, (off_t)off) != (ssize_t)len) {
		printf("pread failed off=0x%" PRIx64 "\n", off);
		free(buf);
		return false;
	}
	good = pattern_check(p, buf, off, len);
	free(buf);
	return good;
}

/* Fill or check through a mapping of device offset @moff at @map. */
static bool map_apply(uint8_t *map, uint64_t moff, uint64_t off, uint64_t len,
		      const struct pattern *p, bool fill)
{
	if (fill) {
		pattern_fill(p, map + (off - moff), off, len);
		return true;
	}
	return pattern_check(p, map + (off - moff), off, len);
}

/* Expect an unmapped address; print what was found otherwise. */
static bool expect_unmapped(const uint8_t *p, const char *what)
{
	uint8_t v;
	int sig = probe_read(p, &v);

	if (sig == SIGSEGV)
		return true;
	printf("%s: want SIGSEGV, got %s\n", what, sig ? "SIGBUS" : "a value");
	return false;
}

/*
 * A hint-less mapping of @len at @off, placed by the driver's
 * get_unmapped_area (virtual and physical address congruent).
 */
static uint8_t *map_dev(int fd, uint64_t off, uint64_t len, void *at)
{
	void *p = mmap(at, len, PROT_READ | PROT_WRITE,
		       MAP_SHARED | (at ? MAP_FIXED : 0), fd, (off_t)off);

	if (p == MAP_FAILED) {
		printf("mmap errno=%s\n", errname(errno));
		return NULL;
	}
	return p;
}

/* Minor faults of this process so far. */
static long minor_faults(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru))
		return -1;
	return ru.ru_minflt;
}

/*
 * aligned: a hint-less mapping, filled through the mapping, read back by
 * pread; prints the growth of this process's page tables from before the
 * mmap to after the fill (pt_kb=, from VmPTE; pagetables_kb= is the
 * system-wide PageTables), their growth by the mmap alone (pt_map_kb=: a
 * driver that maps everything in mmap shows here), the minor faults the
 * fill took (faults=: one per base page, PMD or PUD it mapped) and the
 * address modulo 2 MiB (addr_mod_2m=, 0 when the instance starts 2 MiB
 * aligned).
 * skewed: the same at an address one page off the physical congruence,
 * so that every fault must fall back to base pages.
 * offset: a hint-less mapping starting one page into the instance.
 */
static int maptest_fill(int fd, const char *mode, uint64_t len)
{
	uint64_t pg = sysconf(_SC_PAGESIZE), off = 0;
	struct pattern p = { .addr = true, .seed = 0x5eed0001 };
	uint8_t *map, *at = NULL;
	long pt0, ptm, pt1, pg0, f0, f1;

	if (!strcmp(mode, "skewed")) {
		/* reserve a congruent range one page longer, shift by a page */
		at = map_dev(fd, 0, len + pg, NULL);
		if (!at)
			return 1;
		munmap(at, len + pg);
		at += pg;
	} else if (!strcmp(mode, "offset")) {
		off = pg;
		len -= 2 * pg;
	}
	pt0 = vm_pte_kb();
	pg0 = page_tables_kb();
	map = map_dev(fd, off, len, at);
	if (!map)
		return 1;
	ptm = vm_pte_kb();
	f0 = minor_faults();
	pattern_fill(&p, map, off, len);
	f1 = minor_faults();
	pt1 = vm_pte_kb();
	printf("pt_map_kb=%ld\n", ptm - pt0);
	printf("pt_kb=%ld\n", pt1 - pt0);
	printf("faults=%ld\n", f1 - f0);
	printf("pagetables_kb=%ld\n", page_tables_kb() - pg0);
	printf("addr_mod_2m=0x%" PRIx64 "\n", (uint64_t)((uintptr_t)map & ((2UL << 20) - 1)));
	if (!pattern_check(&p, map, off, len) || !pread_matches(fd, off, len, &p))
		return 1;
	munmap(map, len);
	printf("ok\n");
	return 0;
}

/*
 * munmap: fill LEN (>= 8 MiB), unmap one page inside the second 2 MiB
 * block and the whole [4 MiB, 6 MiB); the holes fault with SIGSEGV, the
 * rest keeps its data, pread still sees everything (unmapping loses no
 * data), and the pieces around the holes take new writes.
 */
static int maptest_munmap(int fd, uint64_t len)
{
	const uint64_t m2 = 2ULL << 20, pg = sysconf(_SC_PAGESIZE);
	struct pattern p = { .addr = true, .seed = 0x5eed0002 };
	struct pattern q = { .addr = true, .seed = 0x5eed0003 };
	uint64_t hole = m2 + 3 * pg;
	uint8_t *map;

	if (len < 4 * m2)
		usage();
	map = map_dev(fd, 0, len, NULL);
	if (!map)
		return 1;
	pattern_fill(&p, map, 0, len);
	if (munmap(map + hole, pg) || munmap(map + 2 * m2, m2))
		return fail_errno(errno);
	if (!expect_unmapped(map + hole, "page hole") ||
	    !expect_unmapped(map + 2 * m2 + m2 / 2, "2 MiB hole"))
		return 1;
	if (!pattern_check(&p, map, 0, hole) ||
	    !pattern_check(&p, map + hole + pg, hole + pg, 2 * m2 - hole - pg) ||
	    !pattern_check(&p, map + 3 * m2, 3 * m2, len - 3 * m2))
		return 1;
	if (!pread_matches(fd, 0, len, &p))
		return 1;
	/* new data around the holes, refaulted at whatever size fits now */
	pattern_fill(&q, map + hole - pg, hole - pg, pg);
	pattern_fill(&q, map + hole + pg, hole + pg, pg);
	pattern_fill(&q, map + 3 * m2, 3 * m2, pg);
	if (!pread_matches(fd, hole - pg, pg, &q) ||
	    !pread_matches(fd, hole + pg, pg, &q) ||
	    !pread_matches(fd, 3 * m2, pg, &q) ||
	    !pread_matches(fd, hole, pg, &p))
		return 1;
	munmap(map, hole);
	munmap(map + hole + pg, 2 * m2 - hole - pg);
	munmap(map + 3 * m2, len - 3 * m2);
	printf("ok\n");
	return 0;
}

/*
 * mremap: growing is refused (VM_DONTEXPAND, errno printed as grow=);
 * shrinking to LEN/2 cuts off the rest; moving to a congruent and then
 * to a skewed address keeps the data, the old range faults with SIGSEGV
 * and writes through the moved mapping reach the device.
 */
static int maptest_mremap(int fd, uint64_t len)
{
	const uint64_t pg = sysconf(_SC_PAGESIZE), half = len / 2;
	struct pattern p = { .addr = true, .seed = 0x5eed0004 };
	struct pattern q = { .addr = true, .seed = 0x5eed0005 };
	uint8_t *map, *dst, *skew;
	void *r;

	map = map_dev(fd, 0, len, NULL);
	if (!map)
		return 1;
	pattern_fill(&p, map, 0, len);
	r = mremap(map, len, len + pg, MREMAP_MAYMOVE);
	printf("grow=%s\n", r == MAP_FAILED ? errname(errno) : "ok");
	if (r != MAP_FAILED)
		return 1;
	if (mremap(map, len, half, 0) != map)
		return fail_errno(errno);
	if (!expect_unmapped(map + half, "shrunk tail") ||
	    !pattern_check(&p, map, 0, half))
		return 1;
	/* a congruent destination: where the driver would place it */
	dst = map_dev(fd, 0, half, NULL);
	if (!dst)
		return 1;
	munmap(dst, half);
	r = mremap(map, half, half, MREMAP_MAYMOVE | MREMAP_FIXED, dst);
	if (r == MAP_FAILED)
		return fail_errno(errno);
	if (!expect_unmapped(map, "moved-from range") ||
	    !pattern_check(&p, dst, 0, half))
		return 1;
	/* a skewed destination: one page off, so no huge entry fits */
	skew = map_dev(fd, 0, half + pg, NULL);
	if (!skew)
		return 1;
	munmap(skew, half + pg);
	skew += pg;
	r = mremap(dst, half, half, MREMAP_MAYMOVE | MREMAP_FIXED, skew);
	if (r == MAP_FAILED)
		return fail_errno(errno);
	if (!pattern_check(&p, skew, 0, half))
		return 1;
	pattern_fill(&q, skew, 0, half);
	if (!pread_matches(fd, 0, half, &q) || !pread_matches(fd, half, len - half, &p))
		return 1;
	munmap(skew, half);
	printf("ok\n");
	return 0;
}

/*
 * boundary: data crossing every 2 MiB boundary (and 1 GiB, if LEN
 * reaches it) written one way and read back the other: pwrite then a
 * mapping, a mapping then pread, and one mapping then a second one.
 */
static int maptest_boundary(int fd, uint64_t len)
{
	const uint64_t m2 = 2ULL << 20, span = 64 << 10;
	struct pattern p = { .addr = true, .seed = 0x5eed0006 };
	struct pattern q = { .addr = true, .seed = 0x5eed0007 };
	uint8_t *a, *b, *buf;
	uint64_t x;
	int n = 0;

	buf = malloc(span);
	a = map_dev(fd, 0, len, NULL);
	b = a ? map_dev(fd, 0, len, NULL) : NULL;
	if (!buf || !b)
		return 1;
	for (x = m2; x < len; x += m2, n++) {
		uint64_t off = x - span / 2;
		struct pattern *w = n & 1 ? &q : &p;

		if (n & 1) {
			/* through mapping a, seen by pread and mapping b */
			map_apply(a, 0, off, span, w, true);
			if (!pread_matches(fd, off, span, w) ||
			    !map_apply(b, 0, off, span, w, false))
				return 1;
		} else {
			/* through pwrite, seen by both mappings */
			pattern_fill(w, buf, off, span);
			if (pwrite(fd, buf, span, (off_t)off) != (ssize_t)span)
				return fail_errno(errno);
			if (!map_apply(a, 0, off, span, w, false) ||
			    !map_apply(b, 0, off, span, w, false))
				return 1;
		}
	}
	printf("boundaries=%d\n", n);
	munmap(a, len);
	munmap(b, len);
	free(buf);
	printf("ok\n");
	return 0;
}

static int cmd_maptest(int argc, char **argv)
{
	struct ctx c = { .dev = argv[1] };
	const char *what;
	uint64_t len;

	if (argc < 4)
		usage();
	what = argv[2];
	len = num_arg(argv[3]);
	if (open_or_report(&c, false, false))
		return 1;
	if (!strcmp(what, "aligned") || !strcmp(what, "skewed") ||
	    !strcmp(what, "offset"))
		return maptest_fill(c.fd, what, len);
	if (!strcmp(what, "munmap"))
		return maptest_munmap(c.fd, len);
	if (!strcmp(what, "mremap"))
		return maptest_mremap(c.fd, len);
	if (!strcmp(what, "boundary"))
		return maptest_boundary(c.fd, len);
	usage();
	return 2;
}

static int cmd_stat(int argc, char **argv)
{
	struct stat st;

	if (argc < 2)
		usage();
	if (stat(argv[1], &st))
		return fail_errno(errno);
	printf("uid=%u gid=%u mode=%04o type=%s rdev=%u:%u\n",
	       st.st_uid, st.st_gid, st.st_mode & 07777,
	       S_ISCHR(st.st_mode) ? "char" : S_ISBLK(st.st_mode) ? "block" :
	       S_ISDIR(st.st_mode) ? "dir" : S_ISREG(st.st_mode) ? "file" : "other",
	       major(st.st_rdev), minor(st.st_rdev));
	return 0;
}

/* Interpret \n \t \r \0 \xHH \\ in @s in place; returns the new length. */
static size_t unescape(char *s)
{
	char *o = s, *i = s;

	for (; *i; i++) {
		if (*i != '\\' || !i[1]) {
			*o++ = *i;
			continue;
		}
		switch (*++i) {
		case 'n': *o++ = '\n'; break;
		case 't': *o++ = '\t'; break;
		case 'r': *o++ = '\r'; break;
		case '0': *o++ = '\0'; break;
		case 'x':
			if (isxdigit((unsigned char)i[1]) && isxdigit((unsigned char)i[2])) {
				char hex[3] = { i[1], i[2], 0 };

				*o++ = (char)strtoul(hex, NULL, 16);
				i += 2;
				break;
			}
			*o++ = *i;
			break;
		default: *o++ = *i; break;
		}
	}
	return o - s;
}

/*
 * writefile [-e] PATH VALUE: one write(2) of VALUE (with -e, after
 * unescaping), so configfs sees it in a single store, unlike a shell's
 * line-buffered printf.
 */
static int cmd_writefile(int argc, char **argv)
{
	bool esc = argc > 1 && !strcmp(argv[1], "-e");
	size_t len;
	ssize_t n;

	if (esc) {
		argv++;
		argc--;
	}
	if (argc < 3)
		usage();
	len = esc ? unescape(argv[2]) : strlen(argv[2]);
	n = write_file(argv[1], argv[2], len);
	if (n < 0)
		return fail_errno(-n);
	if ((size_t)n != len) {
		printf("short count=%zd\n", n);
		return 1;
	}
	printf("ok\n");
	return 0;
}

static int errno_of(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(errnames) / sizeof(errnames[0]); i++)
		if (!strcmp(errnames[i].name, name))
			return errnames[i].err;
	return -1;
}

/*
 * corpus: hostile inputs from stdin, one a line:
 *   PATH <TAB> WATCH <TAB> ERRNO <TAB> VALUE
 * VALUE is written in one write(2) after unescaping (see writefile -e),
 * or is `@rep(C,N)`: the character C N times. The write must fail with
 * ERRNO and WATCH (the attribute itself, or the file that shows a
 * write-only attribute's effect) must read the same before and after.
 * Prints one line per input that was not rejected as documented, then
 * `tried=N documented=N`.
 */
static int cmd_corpus(int argc, char **argv)
{
	static char line[16384], before[8192], after[8192], val[16384];
	unsigned long tried = 0, good = 0;

	(void)argc;
	(void)argv;
	while (fgets(line, sizeof(line), stdin)) {
		char *path, *watch, *ename, *raw, *save;
		size_t len;
		unsigned int rep;
		char c;
		ssize_t n;
		int want, got;

		line[strcspn(line, "\n")] = '\0';
		if (!line[0] || line[0] == '#')
			continue;
		path = strtok_r(line, "\t", &save);
		watch = strtok_r(NULL, "\t", &save);
		ename = strtok_r(NULL, "\t", &save);
		raw = strtok_r(NULL, "", &save);
		if (!raw)
			raw = "";
		want = ename ? errno_of(ename) : -1;
		if (!path || !watch || want < 0) {
			fprintf(stderr, "egm-io corpus: bad line\n");
			return 2;
		}
		if (sscanf(raw, "@rep(%c,%u)", &c, &rep) == 2 && rep < sizeof(val)) {
			memset(val, c, rep);
			len = rep;
		} else {
			snprintf(val, sizeof(val), "%s", raw);
			len = unescape(val);
		}
		tried++;
		read_file(watch, before, sizeof(before));
		n = write_file(path, val, len);
		got = n < 0 ? (int)-n : 0;
		read_file(watch, after, sizeof(after));
		if (got != want) {
			printf("%s <- '%s': want %s, got %s\n", path, raw, ename,
			       got ? errname(got) : "success");
			continue;
		}
		if (strcmp(before, after)) {
			printf("%s <- '%s': %s changed\n", path, raw, watch);
			continue;
		}
		good++;
	}
	printf("tried=%lu documented=%lu\n", tried, good);
	return good == tried ? 0 : 1;
}

static int cmd_readfile(int argc, char **argv)
{
	char buf[4097];
	ssize_t n;

	if (argc < 2)
		usage();
	n = read_file(argv[1], buf, sizeof(buf));
	if (n < 0)
		return fail_errno(-n);
	fwrite(buf, 1, n, stdout);
	return 0;
}

/*
 * session DEV: one command a line on stdin, exactly one reply line each:
 *   open [rdonly] [nonblock] | close | mmap OFF LEN [ro] | munmap |
 *   fill OFF LEN PAT | check OFF LEN PAT | rcheck OFF LEN PAT (pread) |
 *   touch OFF | touch-write OFF | pread OFF LEN | info |
 *   mce early|late|default | sigwait SECS | pid | exit
 */
static int cmd_session(int argc, char **argv)
{
	struct ctx c = { .dev = argv[1], .fd = -1 };
	char line[512];

	if (argc < 2)
		usage();
	setvbuf(stdout, NULL, _IOLBF, 0);
	while (fgets(line, sizeof(line), stdin)) {
		char *av[8] = { 0 };
		int ac = 0, r;
		char *tok, *save;

		for (tok = strtok_r(line, " \t\n", &save); tok && ac < 8;
		     tok = strtok_r(NULL, " \t\n", &save))
			av[ac++] = tok;
		if (!ac)
			continue;
		if (!strcmp(av[0], "open")) {
			r = dev_open(&c, has_word(ac, av, 1, "rdonly"), has_word(ac, av, 1, "nonblock"));
			if (r)
				fail_errno(-r);
			else
				printf("ok\n");
		} else if (!strcmp(av[0], "close")) {
			if (c.fd >= 0)
				close(c.fd);
			c.fd = -1;
			printf("ok\n");
		} else if (!strcmp(av[0], "mmap") && ac >= 3) {
			bool ro = has_word(ac, av, 3, "ro");

			r = dev_mmap(&c, num_arg(av[1]), num_arg(av[2]),
				     ro ? PROT_READ : PROT_READ | PROT_WRITE, MAP_SHARED);
			if (r)
				fail_errno(-r);
			else
				printf("ok\n");
		} else if (!strcmp(av[0], "munmap")) {
			dev_munmap(&c);
			printf("ok\n");
		} else if (!strcmp(av[0], "fill") && ac >= 4) {
			struct pattern p = pattern_arg(av[3]);

			map_fill(&c, num_arg(av[1]), num_arg(av[2]), &p);
		} else if (!strcmp(av[0], "check") && ac >= 4) {
			struct pattern p = pattern_arg(av[3]);

			map_check(&c, num_arg(av[1]), num_arg(av[2]), &p);
		} else if (!strcmp(av[0], "rcheck") && ac >= 4) {
			struct pattern p = pattern_arg(av[3]);

			read_check(&c, num_arg(av[1]), num_arg(av[2]), &p);
		} else if (!strcmp(av[0], "touch") && ac >= 2) {
			map_touch(&c, num_arg(av[1]), false);
		} else if (!strcmp(av[0], "touch-write") && ac >= 2) {
			map_touch(&c, num_arg(av[1]), true);
		} else if (!strcmp(av[0], "pread") && ac >= 3) {
			uint64_t len = num_arg(av[2]);
			uint8_t *buf = malloc(len ? len : 1);
			int64_t done = 0;

			r = buf ? rw_loop(c.fd, buf, num_arg(av[1]), len, false, true, &done) : -ENOMEM;
			if (r)
				fail_errno(-r);
			else
				printf("count=%" PRId64 "\n", done);
			free(buf);
		} else if (!strcmp(av[0], "info")) {
			do_info(c.fd, sizeof(struct egm_info), true);
		} else if (!strcmp(av[0], "mce") && ac >= 2) {
			r = mce_policy(av[1]);
			if (r)
				fail_errno(-r);
			else
				printf("ok\n");
		} else if (!strcmp(av[0], "sigwait") && ac >= 2) {
			async_wait(&c, num_arg(av[1]));
		} else if (!strcmp(av[0], "pid")) {
			printf("pid=%d\n", (int)getpid());
		} else if (!strcmp(av[0], "exit")) {
			printf("bye\n");
			break;
		} else {
			printf("error=bad-command\n");
		}
		fflush(stdout);
	}
	dev_munmap(&c);
	if (c.fd >= 0)
		close(c.fd);
	return 0;
}

/* ---- privilege dropping ----------------------------------------------- */

static void drop_to(const char *spec)
{
	unsigned int uid, gid;
	char extra;

	if (sscanf(spec, "%u:%u%c", &uid, &gid, &extra) != 2)
		usage();
	if (setgroups(0, NULL) || setgid(gid) || setuid(uid)) {
		perror("egm-io: dropping privileges");
		exit(2);
	}
}

static void drop_cap(const char *name)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];
	int cap;

	if (!strcmp(name, "sys_admin"))
		cap = CAP_SYS_ADMIN;
	else
		usage();
	if (syscall(SYS_capget, &h, d)) {
		perror("egm-io: capget");
		exit(2);
	}
	d[cap / 32].effective &= ~(1U << (cap % 32));
	d[cap / 32].permitted &= ~(1U << (cap % 32));
	d[cap / 32].inheritable &= ~(1U << (cap % 32));
	if (syscall(SYS_capset, &h, d) || prctl(PR_CAPBSET_DROP, cap, 0, 0, 0)) {
		perror("egm-io: capset");
		exit(2);
	}
}

int main(int argc, char **argv)
{
	const char *cmd;

	setvbuf(stdout, NULL, _IOLBF, 0);
	argv++;
	argc--;
	while (argc >= 2 && argv[0][0] == '-' && argv[0][1] == '-') {
		if (!strcmp(argv[0], "--as"))
			drop_to(argv[1]);
		else if (!strcmp(argv[0], "--drop-cap"))
			drop_cap(argv[1]);
		else
			usage();
		argv += 2;
		argc -= 2;
	}
	if (argc < 1 || !strcmp(argv[0], "--help") || !strcmp(argv[0], "-h"))
		usage();
	cmd = argv[0];
	if (!strcmp(cmd, "info"))
		return cmd_info(argc, argv);
	if (!strcmp(cmd, "retired"))
		return cmd_retired(argc, argv);
	if (!strcmp(cmd, "bad-pages"))
		return cmd_bad_pages(argc, argv);
	if (!strcmp(cmd, "ioctl-raw"))
		return cmd_ioctl_raw(argc, argv);
	if (!strcmp(cmd, "mmap"))
		return cmd_mmap(argc, argv);
	if (!strcmp(cmd, "fill"))
		return cmd_fill_check(argc, argv, true);
	if (!strcmp(cmd, "check"))
		return cmd_fill_check(argc, argv, false);
	if (!strcmp(cmd, "touch"))
		return cmd_touch(argc, argv, false);
	if (!strcmp(cmd, "touch-write"))
		return cmd_touch(argc, argv, true);
	if (!strcmp(cmd, "hold"))
		return cmd_hold(argc, argv);
	if (!strcmp(cmd, "open"))
		return cmd_open(argc, argv, false);
	if (!strcmp(cmd, "openhold"))
		return cmd_open(argc, argv, true);
	if (!strcmp(cmd, "pread"))
		return cmd_rw(argc, argv, false, true);
	if (!strcmp(cmd, "pwrite"))
		return cmd_rw(argc, argv, true, true);
	if (!strcmp(cmd, "read"))
		return cmd_rw(argc, argv, false, false);
	if (!strcmp(cmd, "write"))
		return cmd_rw(argc, argv, true, false);
	if (!strcmp(cmd, "lseek-end"))
		return cmd_lseek_end(argc, argv);
	if (!strcmp(cmd, "maptest"))
		return cmd_maptest(argc, argv);
	if (!strcmp(cmd, "fork-shared"))
		return cmd_fork_shared(argc, argv);
	if (!strcmp(cmd, "cycle"))
		return cmd_cycle(argc, argv);
	if (!strcmp(cmd, "session"))
		return cmd_session(argc, argv);
	if (!strcmp(cmd, "stat"))
		return cmd_stat(argc, argv);
	if (!strcmp(cmd, "writefile"))
		return cmd_writefile(argc, argv);
	if (!strcmp(cmd, "corpus"))
		return cmd_corpus(argc, argv);
	if (!strcmp(cmd, "readfile"))
		return cmd_readfile(argc, argv);
	usage();
	return 2;
}
