/* SPDX-License-Identifier: GPL-2.0 */
/*
 * egmfs: the objects of the egm configfs tree
 * (Documentation/ABI/testing/configfs-egm).
 *
 *   <root>/regions/socket<PXM>/	base size pxm numa_node source free
 *					retired_pages retired devices (ro)
 *					retire (wo)
 *   <root>/instances/<name>/		region offset size scrub uid gid mode
 *					enable (rw), minor dev state (ro)
 *
 * This is the library layer of egmfs (libdaxctl's role in daxctl): the
 * commands never build a path or parse an attribute themselves.
 */
#ifndef EGMFS_EGM_H
#define EGMFS_EGM_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define EGMFS_DEFAULT_ROOT	"/sys/kernel/config/egm"
#define EGMFS_DEFAULT_FILE	"/etc/egm/egm.json"
#define EGMFS_CONFIGFS_MAGIC	0x62656570
#define EGMFS_DEFAULT_SYSFS	"/sys/class/egm"
#define EGMFS_DEFAULT_DEVDIR	"/dev/egm"
#define EGMFS_DEFAULT_CDI	"/var/run/cdi/egm.json"

struct egmfs_ctx {
	const char *root;		/* configfs root of egm */
	char instances[PATH_MAX];	/* root/instances */
	char regions[PATH_MAX];		/* root/regions */
	const char *sysfs;		/* /sys/class/egm ($EGM_SYSFS) */
	const char *devdir;		/* /dev/egm ($EGM_DEVDIR): udev's links */
	bool fake;			/* root is not configfs (tests) */
	bool quiet;			/* -q: changing commands say nothing */
	unsigned long pagesize;
};

struct egmfs_inst {
	char name[EGMFS_NAME_MAX + 1];
	char region[64];
	u64 offset;
	u64 size;
	char scrub[8];
	u32 uid;
	u32 gid;
	unsigned int mode;
	bool enable;
	int minor;			/* -1 when disabled */
	char dev[32];			/* "" when disabled */
	char state[16];
	/* runtime, from sysfs (enabled) or the region (disabled) */
	u64 resolved_size;		/* 0: unknown */
	u64 pagesize;			/* 0: unknown (disabled) */
	int cpu_node;			/* -2: unknown */
	int scrub_progress;		/* -1: unknown (disabled) */
};

struct egmfs_retired {
	u64 addr;
	char source[16];		/* firmware, runtime, poison */
};

struct egmfs_region {
	char name[64];
	u64 base;
	u64 size;
	u32 pxm;
	int numa_node;
	int cpu_node;			/* -2: the kernel has no cpu_node */
	char source[16];
	u64 free;
	u64 retired_pages;
	char **devices;			/* NULL terminated */
	struct egmfs_retired *retired;
	size_t nr_retired;
};

int egmfs_ctx_init(struct egmfs_ctx *ctx, const char *root);

int egmfs_inst_dir(struct egmfs_ctx *ctx, const char *name, char *buf,
		   size_t len);
bool egmfs_inst_exists(struct egmfs_ctx *ctx, const char *name);
/* On failure *attr names the attribute that could not be read. */
int egmfs_inst_load(struct egmfs_ctx *ctx, const char *name,
		    struct egmfs_inst *inst, const char **attr);
/*
 * The sorted names of the groups in dir (instances or regions), or
 * -errno after "egmfs: <dir>: <what>: <error>" on stderr.
 */
int egmfs_list_groups(const char *dir, const char *what, char ***names);
/* Every instance, sorted by name; *n entries in *v, free() it. */
int egmfs_inst_list(struct egmfs_ctx *ctx, struct egmfs_inst **v, size_t *n);
void egmfs_inst_sort_by_minor(struct egmfs_inst *v, size_t n);
/*
 * Fill the runtime fields of inst (resolved size, pagesize, cpu_node,
 * scrub progress) from /sys/class/egm/egmN, or from its region (r may be
 * NULL) when it is disabled. Missing attributes leave "unknown".
 */
void egmfs_inst_runtime(struct egmfs_ctx *ctx, struct egmfs_inst *inst,
			const struct egmfs_region *r);
/* udev's link for inst: <devdir>/<name> */
void egmfs_inst_link(struct egmfs_ctx *ctx, const char *name, char *buf,
		     size_t len);
/*
 * Wait up to timeout_ms for the link of enabled instance name to be the
 * character device of its dev attribute. 0 or -errno (-ETIMEDOUT).
 */
int egmfs_inst_wait_link(struct egmfs_ctx *ctx, const char *name,
			 int timeout_ms);
int egmfs_inst_mkdir(struct egmfs_ctx *ctx, const char *name);
int egmfs_inst_rmdir(struct egmfs_ctx *ctx, const char *name);
int egmfs_inst_write(struct egmfs_ctx *ctx, const char *name, const char *attr,
		     const char *val);
/* resolved end of an extent (size 0 = rest of the region) */
u64 egmfs_inst_end(const struct egmfs_inst *inst,
		   const struct egmfs_region *region);

int egmfs_region_load(struct egmfs_ctx *ctx, const char *name,
		      struct egmfs_region *r, const char **attr);
int egmfs_region_list(struct egmfs_ctx *ctx, struct egmfs_region **v,
		      size_t *n);
const struct egmfs_region *egmfs_region_find(const struct egmfs_region *v,
					     size_t n, const char *name);
void egmfs_region_list_free(struct egmfs_region *v, size_t n);
int egmfs_region_retire(struct egmfs_ctx *ctx, const char *region,
			u64 addr);

/*
 * Write enable and explain a failure as egmfs.8 (DIAGNOSTICS) shows:
 * "egmfs: vm1: enable: Device or resource busy (extent overlaps vm0)".
 * Returns 0 or -errno; the message is printed here.
 */
int egmfs_inst_enable(struct egmfs_ctx *ctx, const char *name, bool on);

/* "egmfs: <obj>: <what>: <strerror(err)>[ (<reason>)]" on stderr */
void report(const char *obj, const char *what, int err, const char *fmt, ...)
	__printf(4, 5);
/* What a changing command did, on stdout, unless -q. */
void say(const struct egmfs_ctx *ctx, const char *fmt, ...) __printf(2, 3);
/* "egmfs: <obj>: <what>: <message>" on stderr */
void complain(const char *obj, const char *what, const char *fmt, ...)
	__printf(3, 4);

#endif
