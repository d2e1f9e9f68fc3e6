// SPDX-License-Identifier: GPL-2.0
/*
 * egmfs: the objects of the egm configfs tree.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "attr.h"
#include "egm.h"

void report(const char *obj, const char *what, int err, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "egmfs: %s: %s: %s", obj, what, strerror(err));
	if (fmt) {
		fputs(" (", stderr);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc(')', stderr);
	}
	fputc('\n', stderr);
}

void say(const struct egmfs_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	if (ctx->quiet)
		return;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}

void complain(const char *obj, const char *what, const char *fmt, ...)
{
	va_list ap;

	if (what)
		fprintf(stderr, "egmfs: %s: %s: ", obj, what);
	else
		fprintf(stderr, "egmfs: %s: ", obj);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int egmfs_ctx_init(struct egmfs_ctx *ctx, const char *root)
{
	struct statfs sfs;
	long ps;

	ctx->root = root;
	if (attr_path(ctx->instances, sizeof(ctx->instances), root,
		      "instances") ||
	    attr_path(ctx->regions, sizeof(ctx->regions), root, "regions"))
		return -ENAMETOOLONG;
	/*
	 * Outside configfs (a test tree), mkdir does not create the
	 * attributes and rmdir does not remove them: do it by hand.
	 */
	ctx->fake = !statfs(root, &sfs) && sfs.f_type != EGMFS_CONFIGFS_MAGIC;
	ctx->sysfs = getenv("EGM_SYSFS");
	if (!ctx->sysfs || !*ctx->sysfs)
		ctx->sysfs = EGMFS_DEFAULT_SYSFS;
	ctx->devdir = getenv("EGM_DEVDIR");
	if (!ctx->devdir || !*ctx->devdir)
		ctx->devdir = EGMFS_DEFAULT_DEVDIR;
	ps = sysconf(_SC_PAGESIZE);
	ctx->pagesize = ps > 0 ? ps : 4096;
	return 0;
}

int egmfs_inst_dir(struct egmfs_ctx *ctx, const char *name, char *buf,
		   size_t len)
{
	return attr_path(buf, len, ctx->instances, name);
}

bool egmfs_inst_exists(struct egmfs_ctx *ctx, const char *name)
{
	char dir[PATH_MAX];
	struct stat st;

	return !egmfs_inst_dir(ctx, name, dir, sizeof(dir)) &&
	       !stat(dir, &st) && S_ISDIR(st.st_mode);
}

enum egmfs_kind { FIELD_STR, FIELD_U64, FIELD_S64 };

struct egmfs_field {
	const char *name;
	enum egmfs_kind kind;
	void *val;
	size_t len;		/* FIELD_STR: size of the buffer */
};

/* Read each attribute; on failure *attr names the one that failed. */
static int load_fields(const char *dir, const struct egmfs_field *f, size_t n,
		       const char **attr)
{
	size_t i;
	int ret;

	for (i = 0; i < n; i++) {
		*attr = f[i].name;
		switch (f[i].kind) {
		case FIELD_STR:
			ret = attr_read(dir, f[i].name, f[i].val, f[i].len);
			break;
		case FIELD_U64:
			ret = attr_read_u64(dir, f[i].name, f[i].val);
			break;
		default:
			ret = attr_read_s64(dir, f[i].name, f[i].val);
			break;
		}
		if (ret < 0)
			return ret;
	}
	*attr = NULL;
	return 0;
}

int egmfs_inst_load(struct egmfs_ctx *ctx, const char *name,
		    struct egmfs_inst *inst, const char **attr)
{
	char dir[PATH_MAX], mode[8];
	u64 uid, gid;
	s64 enable, minor;
	const struct egmfs_field fields[] = {
		{ "region", FIELD_STR, inst->region, sizeof(inst->region) },
		{ "offset", FIELD_U64, &inst->offset, 0 },
		{ "size", FIELD_U64, &inst->size, 0 },
		{ "scrub", FIELD_STR, inst->scrub, sizeof(inst->scrub) },
		{ "uid", FIELD_U64, &uid, 0 },
		{ "gid", FIELD_U64, &gid, 0 },
		{ "mode", FIELD_STR, mode, sizeof(mode) },
		{ "enable", FIELD_S64, &enable, 0 },
		{ "minor", FIELD_S64, &minor, 0 },
		{ "dev", FIELD_STR, inst->dev, sizeof(inst->dev) },
		{ "state", FIELD_STR, inst->state, sizeof(inst->state) },
	};
	int ret;

	memset(inst, 0, sizeof(*inst));
	if (strlen(name) > EGMFS_NAME_MAX) {
		*attr = "name";
		return -ENAMETOOLONG;
	}
	strscpy(inst->name, name, sizeof(inst->name));
	ret = egmfs_inst_dir(ctx, name, dir, sizeof(dir));
	if (ret) {
		*attr = "name";
		return ret;
	}

	ret = load_fields(dir, fields, ARRAY_SIZE(fields), attr);
	if (ret)
		return ret;
	if (parse_mode(mode, &inst->mode)) {
		*attr = "mode";
		return -EPROTO;
	}
	inst->uid = uid;
	inst->gid = gid;
	inst->enable = enable != 0;
	inst->minor = minor;
	*attr = NULL;
	return 0;
}

int egmfs_list_groups(const char *dir, const char *what, char ***names)
{
	int nr = list_dirs(dir, names);

	if (nr < 0)
		report(dir, what, -nr, nr == -ENOENT ?
		       "is the egm module loaded?" : NULL);
	return nr;
}

int egmfs_inst_list(struct egmfs_ctx *ctx, struct egmfs_inst **v, size_t *n)
{
	const char *attr;
	char **names;
	int i, nr, ret;

	*n = 0;
	nr = egmfs_list_groups(ctx->instances, "list", &names);
	if (nr < 0)
		return nr;
	*v = xcalloc(nr, sizeof(**v));
	for (i = 0; i < nr; i++) {
		ret = egmfs_inst_load(ctx, names[i], &(*v)[*n], &attr);
		if (ret == -ENOENT && !egmfs_inst_exists(ctx, names[i])) {
			continue;	/* removed meanwhile */
		} else if (ret) {
			report(names[i], attr, -ret, NULL);
			free_names(names);
			free(*v);
			*v = NULL;
			*n = 0;
			return ret;
		}
		(*n)++;
	}
	free_names(names);
	return 0;
}

static int cmp_minor(const void *a, const void *b)
{
	const struct egmfs_inst *x = a, *y = b;

	if (x->minor >= 0 && y->minor >= 0)
		return (x->minor > y->minor) - (x->minor < y->minor);
	if (x->minor >= 0 || y->minor >= 0)
		return x->minor >= 0 ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* enabled instances by minor, then disabled ones by name */
void egmfs_inst_sort_by_minor(struct egmfs_inst *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_minor);
}

void egmfs_inst_runtime(struct egmfs_ctx *ctx, struct egmfs_inst *inst,
			const struct egmfs_region *r)
{
	char dir[PATH_MAX];
	u64 v;
	s64 node;

	inst->resolved_size = 0;
	inst->pagesize = 0;
	inst->cpu_node = -2;
	inst->scrub_progress = -1;
	if (inst->minor >= 0) {
		snprintf(dir, sizeof(dir), "%s/egm%d", ctx->sysfs, inst->minor);
		if (!attr_read_u64(dir, "size", &v))
			inst->resolved_size = v;
		if (!attr_read_u64(dir, "pagesize", &v))
			inst->pagesize = v;
		if (!attr_read_s64(dir, "cpu_node", &node))
			inst->cpu_node = node;
		if (!attr_read_u64(dir, "scrub_progress", &v) && v <= 100)
			inst->scrub_progress = v;
	}
	if (!r)
		return;
	if (!inst->resolved_size && inst->offset < r->size)
		inst->resolved_size = inst->size ? inst->size :
				      r->size - inst->offset;
	if (inst->cpu_node == -2)
		inst->cpu_node = r->cpu_node;
}

void egmfs_inst_link(struct egmfs_ctx *ctx, const char *name, char *buf,
		     size_t len)
{
	snprintf(buf, len, "%s/%s", ctx->devdir, name);
}

int egmfs_inst_wait_link(struct egmfs_ctx *ctx, const char *name,
			 int timeout_ms)
{
	char link[PATH_MAX], dir[PATH_MAX], dev[32];
	unsigned int maj, min;
	struct stat st;
	int waited = 0, ret;

	egmfs_inst_link(ctx, name, link, sizeof(link));
	ret = egmfs_inst_dir(ctx, name, dir, sizeof(dir));
	if (ret)
		return ret;
	for (;;) {
		ret = attr_read(dir, "dev", dev, sizeof(dev));
		if (ret < 0)
			return ret;
		if (sscanf(dev, "%u:%u", &maj, &min) != 2)
			return -ENODEV;		/* disabled meanwhile */
		if (!stat(link, &st) && S_ISCHR(st.st_mode) &&
		    st.st_rdev == makedev(maj, min))
			return 0;
		if (waited >= timeout_ms)
			return -ETIMEDOUT;
		usleep(50 * 1000);
		waited += 50;
	}
}

/* What the kernel's mkdir gives a new instance (fake trees only). */
static const char *const egmfs_inst_defaults[][2] = {
	{ "region", "" }, { "offset", "0" }, { "size", "0" },
	{ "scrub", "zero" }, { "uid", "0" }, { "gid", "0" },
	{ "mode", "0600" }, { "enable", "0" }, { "minor", "-1" },
	{ "dev", "" }, { "state", "disabled" },
};

int egmfs_inst_mkdir(struct egmfs_ctx *ctx, const char *name)
{
	char dir[PATH_MAX];
	size_t i;
	int ret;

	ret = egmfs_inst_dir(ctx, name, dir, sizeof(dir));
	if (ret)
		return ret;
	if (mkdir(dir, 0755))
		return -errno;
	if (!ctx->fake)
		return 0;
	for (i = 0; i < ARRAY_SIZE(egmfs_inst_defaults); i++) {
		ret = attr_write(dir, egmfs_inst_defaults[i][0],
				 egmfs_inst_defaults[i][1], true);
		if (ret)
			return ret;
	}
	return 0;
}

int egmfs_inst_rmdir(struct egmfs_ctx *ctx, const char *name)
{
	char dir[PATH_MAX], path[PATH_MAX];
	size_t i;
	int ret;

	ret = egmfs_inst_dir(ctx, name, dir, sizeof(dir));
	if (ret)
		return ret;
	if (!rmdir(dir))
		return 0;
	ret = -errno;
	if (!ctx->fake || ret != -ENOTEMPTY)
		return ret;
	for (i = 0; i < ARRAY_SIZE(egmfs_inst_defaults); i++) {
		if (!attr_path(path, sizeof(path), dir,
			       egmfs_inst_defaults[i][0]))
			unlink(path);
	}
	return rmdir(dir) ? -errno : 0;
}

int egmfs_inst_write(struct egmfs_ctx *ctx, const char *name, const char *attr,
		     const char *val)
{
	char dir[PATH_MAX];
	int ret;

	ret = egmfs_inst_dir(ctx, name, dir, sizeof(dir));
	if (ret)
		return ret;
	return attr_write(dir, attr, val, ctx->fake);
}

u64 egmfs_inst_end(const struct egmfs_inst *inst,
		   const struct egmfs_region *region)
{
	u64 size = inst->size;

	if (!size)
		size = region && region->size > inst->offset ?
		       region->size - inst->offset : UINT64_MAX - inst->offset;
	if (size > UINT64_MAX - inst->offset)
		return UINT64_MAX;
	return inst->offset + size;
}

static int read_lines(const char *dir, const char *name, char ***lines)
{
	char *buf, *p, *nl, **v;
	size_t n = 0;
	int ret;

	ret = attr_read_alloc(dir, name, &buf);
	if (ret < 0)
		return ret;
	v = xcalloc(ret / 2 + 2, sizeof(*v));
	for (p = buf; *p; p = nl + 1) {
		nl = strchr(p, '\n');
		if (nl)
			*nl = '\0';
		if (*p)
			v[n++] = xstrdup(p);
		if (!nl)
			break;
	}
	v[n] = NULL;
	free(buf);
	*lines = v;
	return n;
}

/* The n lines "0x<addr> <origin>" of retired into r->retired. */
static int parse_retired_lines(struct egmfs_region *r, char **lines, size_t n)
{
	size_t i;

	r->nr_retired = n;
	r->retired = xcalloc(n, sizeof(*r->retired));
	for (i = 0; i < n; i++) {
		struct egmfs_retired *e = &r->retired[i];
		char *sp = strchr(lines[i], ' ');

		if (!sp)
			return -EPROTO;
		*sp++ = '\0';
		if (parse_size(lines[i], &e->addr) ||
		    strscpy(e->source, sp, sizeof(e->source)) < 0)
			return -EPROTO;
	}
	return 0;
}

int egmfs_region_load(struct egmfs_ctx *ctx, const char *name,
		      struct egmfs_region *r, const char **attr)
{
	char dir[PATH_MAX], **lines = NULL;
	u64 pxm;
	s64 node;
	const struct egmfs_field fields[] = {
		{ "base", FIELD_U64, &r->base, 0 },
		{ "size", FIELD_U64, &r->size, 0 },
		{ "pxm", FIELD_U64, &pxm, 0 },
		{ "numa_node", FIELD_S64, &node, 0 },
		{ "source", FIELD_STR, r->source, sizeof(r->source) },
		{ "free", FIELD_U64, &r->free, 0 },
		{ "retired_pages", FIELD_U64, &r->retired_pages, 0 },
	};
	int ret;

	memset(r, 0, sizeof(*r));
	if (strlen(name) >= sizeof(r->name)) {
		*attr = "name";
		return -ENAMETOOLONG;
	}
	strscpy(r->name, name, sizeof(r->name));
	ret = attr_path(dir, sizeof(dir), ctx->regions, name);
	if (ret) {
		*attr = "name";
		return ret;
	}

	ret = load_fields(dir, fields, ARRAY_SIZE(fields), attr);
	if (ret)
		return ret;
	r->pxm = pxm;
	r->numa_node = node;
	/* cpu_node is newer than the rest: a kernel without it is fine */
	r->cpu_node = attr_read_s64(dir, "cpu_node", &node) ? -2 : node;
	*attr = "devices";
	ret = read_lines(dir, "devices", &r->devices);
	if (ret < 0)
		return ret;
	*attr = "retired";
	ret = read_lines(dir, "retired", &lines);
	if (ret >= 0) {
		ret = parse_retired_lines(r, lines, ret);
		free_names(lines);
	}
	if (ret < 0) {
		free_names(r->devices);
		r->devices = NULL;
		free(r->retired);
		r->retired = NULL;
		return ret;
	}
	*attr = NULL;
	return 0;
}

int egmfs_region_list(struct egmfs_ctx *ctx, struct egmfs_region **v,
		      size_t *n)
{
	const char *attr;
	char **names;
	int i, nr, ret;

	*n = 0;
	nr = egmfs_list_groups(ctx->regions, "list", &names);
	if (nr < 0)
		return nr;
	*v = xcalloc(nr, sizeof(**v));
	for (i = 0; i < nr; i++) {
		ret = egmfs_region_load(ctx, names[i], &(*v)[*n], &attr);
		if (ret) {
			report(names[i], attr, -ret, NULL);
			free_names(names);
			egmfs_region_list_free(*v, *n);
			*v = NULL;
			*n = 0;
			return ret;
		}
		(*n)++;
	}
	free_names(names);
	return 0;
}

const struct egmfs_region *egmfs_region_find(const struct egmfs_region *v,
					     size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(v[i].name, name))
			return &v[i];
	return NULL;
}

void egmfs_region_list_free(struct egmfs_region *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free_names(v[i].devices);
		free(v[i].retired);
	}
	free(v);
}

int egmfs_region_retire(struct egmfs_ctx *ctx, const char *region,
			u64 addr)
{
	char dir[PATH_MAX], val[32];
	int ret;

	ret = attr_path(dir, sizeof(dir), ctx->regions, region);
	if (ret)
		return ret;
	snprintf(val, sizeof(val), "0x%llx", (unsigned long long)addr);
	return attr_write(dir, "retire", val, ctx->fake);
}

/* Names of the enabled instances of inst's region whose extents overlap. */
static void explain_overlap(struct egmfs_ctx *ctx,
			    const struct egmfs_inst *inst, char *buf,
			    size_t len)
{
	const struct egmfs_region *region;
	struct egmfs_region *regions = NULL;
	struct egmfs_inst *v = NULL;
	size_t i, n = 0, nr = 0, used = 0;
	u64 start, end;

	buf[0] = '\0';
	if (egmfs_region_list(ctx, &regions, &nr))
		return;
	region = egmfs_region_find(regions, nr, inst->region);
	if (egmfs_inst_list(ctx, &v, &n))
		goto out;
	start = inst->offset;
	end = egmfs_inst_end(inst, region);
	for (i = 0; i < n; i++) {
		const struct egmfs_inst *o = &v[i];

		if (!strcmp(o->name, inst->name) || !o->enable ||
		    strcmp(o->region, inst->region))
			continue;
		if (o->offset >= end || egmfs_inst_end(o, region) <= start)
			continue;
		used += snprintf(buf + used, used < len ? len - used : 0,
				 "%s%s", used ? ", " : "extent overlaps ",
				 o->name);
	}
out:
	free(v);
	egmfs_region_list_free(regions, nr);
}

static void explain_enable(struct egmfs_ctx *ctx, const char *name, int err,
			   char *buf, size_t len)
{
	struct egmfs_region *regions = NULL;
	const struct egmfs_region *region;
	struct egmfs_inst inst;
	const char *attr;
	size_t nr = 0;

	buf[0] = '\0';
	if (egmfs_inst_load(ctx, name, &inst, &attr))
		return;
	switch (err) {
	case EBUSY:
		explain_overlap(ctx, &inst, buf, len);
		break;
	case EINVAL:
		if (!inst.region[0]) {
			snprintf(buf, len, "no region set");
			break;
		}
		if (egmfs_region_list(ctx, &regions, &nr))
			break;
		region = egmfs_region_find(regions, nr, inst.region);
		if (region && inst.offset >= region->size)
			snprintf(buf, len,
				 "offset is past the end of region %s",
				 region->name);
		else if (region && egmfs_inst_end(&inst, region) > region->size)
			snprintf(buf, len,
				 "extent does not fit region %s of %llu bytes",
				 region->name,
				 (unsigned long long)region->size);
		egmfs_region_list_free(regions, nr);
		break;
	case ENOSPC:
		snprintf(buf, len, "no minor left: max_instances reached");
		break;
	case ENODEV:
		snprintf(buf, len, "region %s is revoked", inst.region);
		break;
	}
}

int egmfs_inst_enable(struct egmfs_ctx *ctx, const char *name, bool on)
{
	char reason[512];
	int ret;

	ret = egmfs_inst_write(ctx, name, "enable", on ? "1" : "0");
	if (!ret)
		return 0;
	if (on) {
		explain_enable(ctx, name, -ret, reason, sizeof(reason));
		report(name, "enable", -ret, reason[0] ? "%s" : NULL, reason);
	} else if (ret == -EBUSY) {
		report(name, "disable", -ret, "device is open or mapped");
	} else {
		report(name, "disable", -ret, NULL);
	}
	return ret;
}
