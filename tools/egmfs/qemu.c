// SPDX-License-Identifier: GPL-2.0
/*
 * egmfs: hand instances to their consumers: qemu-args (the QEMU options
 * that give an instance to a VM as guest RAM) and cdi (a Container Device
 * Interface spec listing the enabled instances). See egmfs(8) and
 * Documentation/admin-guide/egm.rst.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "attr.h"
#include "builtin.h"

/* shared, and every page populated when QEMU starts (not at first touch) */
#define BACKEND_TAIL	",share=on,prealloc=on"

/* An extent of an instance, relative to its start. */
struct extent {
	u64 off;
	u64 len;
};

/*
 * The retired-free extents of [start, start + size) of region r (offsets
 * relative to the region): the instance cut around every retired 64 KiB
 * block. Returns the count; *v is malloc'd.
 */
static size_t free_extents(const struct egmfs_region *r, u64 start, u64 size,
			   struct extent **v)
{
	size_t i, n = 0;
	u64 pos = start, end = start + size, b;
	struct extent *e = xcalloc(r->nr_retired + 1, sizeof(*e));
	u64 *blocks = xcalloc(r->nr_retired, sizeof(*blocks));
	size_t nb = 0, j;

	for (i = 0; i < r->nr_retired; i++) {
		if (r->retired[i].addr < r->base)
			continue;
		b = (r->retired[i].addr - r->base) & ~(EGMFS_BLOCK_SIZE - 1);
		if (b + EGMFS_BLOCK_SIZE <= start || b >= end)
			continue;
		/* insertion sort: the lists are short */
		for (j = nb; j && blocks[j - 1] > b; j--)
			blocks[j] = blocks[j - 1];
		blocks[j] = b;
		nb++;
	}
	for (i = 0; i < nb; i++) {
		if (blocks[i] > pos) {
			e[n].off = pos - start;
			e[n++].len = blocks[i] - pos;
		}
		if (blocks[i] + EGMFS_BLOCK_SIZE > pos)
			pos = blocks[i] + EGMFS_BLOCK_SIZE;
	}
	if (pos < end) {
		e[n].off = pos - start;
		e[n++].len = end - pos;
	}
	free(blocks);
	*v = e;
	return n;
}

/* The largest power of two dividing off and len, at most max. */
static u64 extent_align(u64 off, u64 len, u64 max)
{
	u64 a = max;

	while (a > 4096 && ((off | len) & (a - 1)))
		a >>= 1;
	return a;
}

/* PATH lookup of qemu-system-<machine> (or the given one). malloc'd. */
static char *find_qemu(const char *given)
{
	char name[96], *path, *dir, *save, *p, *found = NULL;
	struct utsname u;

	if (given)
		return xstrdup(given);
	if (uname(&u))
		return NULL;
	snprintf(name, sizeof(name), "qemu-system-%s",
		 strcmp(u.machine, "arm64") ? u.machine : "aarch64");
	p = getenv("PATH");
	path = xstrdup(p && *p ? p : "/usr/local/bin:/usr/bin:/bin");
	for (dir = strtok_r(path, ":", &save); dir && !found;
	     dir = strtok_r(NULL, ":", &save)) {
		char *cand = xcalloc(1, strlen(dir) + strlen(name) + 2);

		sprintf(cand, "%s/%s", dir, name);
		if (!access(cand, X_OK))
			found = cand;
		else
			free(cand);
	}
	free(path);
	return found;
}

/*
 * Does this QEMU's memory-backend-file have offset= (QEMU 8.2 and
 * later)? Asks QEMU itself. 1 yes, 0 no, -1 could not run it.
 */
static int qemu_has_offset(const char *qemu)
{
	char cmd[PATH_MAX + 64], line[512];
	int found = 0, ran = 0;
	FILE *f;

	if (strchr(qemu, '\''))
		return -1;
	snprintf(cmd, sizeof(cmd),
		 "'%s' -object memory-backend-file,help 2>/dev/null", qemu);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		ran = 1;
		if (strstr(line, "offset=") || strstr(line, " offset "))
			found = 1;
	}
	if (pclose(f) || !ran)
		return -1;
	return found;
}

static const char qemu_usage[] =
"usage: egmfs qemu-args NAME [--node N] [--gpu VFIO_ID] [--qemu PATH]\n"
"\n"
"Print the QEMU options that give enabled instance NAME to a VM as the\n"
"memory of guest NUMA node N (default 0), one option and its value a line:\n"
"  -object memory-backend-file,id=egm-NAME,mem-path=/dev/egm/NAME,\n"
"          size=<resolved size>,align=<pagesize>,share=on,prealloc=on\n"
"  -numa node,nodeid=N,memdev=egm-NAME\n"
"With --gpu, also NVIDIA QEMU's acpi-egm-memory object tying node N to\n"
"the vfio-pci device VFIO_ID.\n"
"\n"
"VFIO cannot DMA-map a range holding a retired block (EFAULT), so for an\n"
"instance with retired blocks one backend per retired-free extent is\n"
"printed (QEMU's memory-backend-file offset=, QEMU 8.2 and later): the\n"
"first is node N's memory, the others pc-dimm devices on node N (give\n"
"-m with slots= and maxmem= for them). If the QEMU found lacks offset=,\n"
"it says so and fails: create an instance without retired blocks with\n"
"'egmfs create NAME --offset auto --size S'.\n"
"\n"
"  -n, --node N      guest NUMA node id (default 0)\n"
"  -g, --gpu ID      id of the vfio-pci device (-device vfio-pci,id=ID)\n"
"  -Q, --qemu PATH   the QEMU to check for offset= (default\n"
"                    qemu-system-<machine> in PATH)\n";

struct qemu_opts {
	const char *gpu;		/* --gpu: vfio-pci device id */
	const char *qemu;		/* --qemu: the QEMU to ask */
	u32 node;			/* --node: guest NUMA node */
};

static int qemu_opt(int c, const char *arg, void *data)
{
	struct qemu_opts *o = data;

	switch (c) {
	case 'n':
		if (parse_id(arg, &o->node) || o->node > 4095)
			return usage_error(qemu_usage,
					   "qemu-args: invalid node \"%s\"",
					   arg);
		break;
	case 'g':
		if (!valid_name(arg))
			return usage_error(qemu_usage,
					   "qemu-args: invalid device id \"%s\"",
					   arg);
		o->gpu = arg;
		break;
	case 'Q':
		o->qemu = arg;
		break;
	}
	return 0;
}

/*
 * The enabled instance name, with its runtime fields, and its region
 * (of the list *regions, to free). Says why not and returns EGMFS_FAIL.
 */
static int qemu_load(struct egmfs_ctx *ctx, const char *name,
		     struct egmfs_inst *inst, struct egmfs_region **regions,
		     size_t *nr, const struct egmfs_region **r)
{
	const char *attr;
	int ret;

	if (!egmfs_inst_exists(ctx, name)) {
		report(name, "qemu-args", ENOENT, "no such instance");
		return EGMFS_FAIL;
	}
	ret = egmfs_inst_load(ctx, name, inst, &attr);
	if (ret) {
		report(name, attr, -ret, NULL);
		return EGMFS_FAIL;
	}
	if (inst->minor < 0) {
		complain(name, "qemu-args",
			 "not enabled (egmfs enable %s): its size and page size are not known yet",
			 name);
		return EGMFS_FAIL;
	}
	if (egmfs_region_list(ctx, regions, nr))
		return EGMFS_FAIL;
	*r = egmfs_region_find(*regions, *nr, inst->region);
	egmfs_inst_runtime(ctx, inst, *r);
	if (!*r || !inst->resolved_size || !inst->pagesize) {
		complain(name, "qemu-args",
			 "cannot read its resolved size and page size from %s/egm%d",
			 ctx->sysfs, inst->minor);
		return EGMFS_FAIL;
	}
	return 0;
}

/*
 * One backend per retired-free extent of ext (next of them), the first
 * node N's memory, the others pc-dimms on it; only if the QEMU has
 * offset=, else says why not and returns EGMFS_FAIL.
 */
static int qemu_split(const char *name, const char *link,
		      const struct egmfs_inst *inst, const struct extent *ext,
		      size_t next, const struct qemu_opts *o)
{
	char *qemu = find_qemu(o->qemu);
	int has = qemu ? qemu_has_offset(qemu) : -1;
	size_t i;

	if (has <= 0) {
		complain(name, "qemu-args",
			 "it holds retired blocks, so it needs one memory backend per extent around them, and %s%s %s memory-backend-file offset= (QEMU 8.2 or later); or make an instance without retired blocks: egmfs create NAME --offset auto --size S",
			 qemu ? "QEMU " : "no QEMU found",
			 qemu ? qemu : "",
			 has < 0 ? "to check for" : "has no");
		free(qemu);
		return EGMFS_FAIL;
	}
	free(qemu);
	for (i = 0; i < next; i++) {
		printf("-object memory-backend-file,id=egm-%s-%zu,mem-path=%s",
		       name, i, link);
		printf(",offset=%llu,size=%llu,align=%llu" BACKEND_TAIL "\n",
		       (unsigned long long)ext[i].off,
		       (unsigned long long)ext[i].len,
		       (unsigned long long)extent_align(ext[i].off,
							ext[i].len,
							inst->pagesize));
	}
	printf("-numa node,nodeid=%u,memdev=egm-%s-0\n", o->node, name);
	for (i = 1; i < next; i++)
		printf("-device pc-dimm,id=egm-%s-dimm%zu,memdev=egm-%s-%zu,node=%u\n",
		       name, i, name, i, o->node);
	return 0;
}

int cmd_qemu_args(int argc, char **argv, struct egmfs_ctx *ctx)
{
	static const struct option opts[] = {
		{ "node", required_argument, NULL, 'n' },
		{ "gpu", required_argument, NULL, 'g' },
		{ "qemu", required_argument, NULL, 'Q' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	const struct egmfs_region *r = NULL;
	struct egmfs_region *regions = NULL;
	struct qemu_opts o = { };
	struct extent *ext = NULL;
	struct egmfs_inst inst;
	char link[PATH_MAX];
	const char *name;
	size_t nr = 0, next;
	int ret;

	ret = parse_opts(argc, argv, "n:g:Q:h", opts, qemu_usage, qemu_opt, &o);
	if (!ret)
		ret = name_operand(argc, argv, qemu_usage, &name);
	if (ret)
		return ret;
	ret = qemu_load(ctx, name, &inst, &regions, &nr, &r);
	if (ret)
		goto out;
	ret = EGMFS_FAIL;
	egmfs_inst_link(ctx, name, link, sizeof(link));
	next = free_extents(r, inst.offset, inst.resolved_size, &ext);
	if (!next) {
		complain(name, "qemu-args", "every block of it is retired");
		goto out;
	}
	if (next == 1 && ext[0].off == 0 && ext[0].len == inst.resolved_size) {
		printf("-object memory-backend-file,id=egm-%s,mem-path=%s",
		       name, link);
		printf(",size=%llu,align=%llu" BACKEND_TAIL "\n",
		       (unsigned long long)inst.resolved_size,
		       (unsigned long long)inst.pagesize);
		printf("-numa node,nodeid=%u,memdev=egm-%s\n", o.node, name);
	} else if (qemu_split(name, link, &inst, ext, next, &o)) {
		goto out;
	}
	if (o.gpu)
		printf("-object acpi-egm-memory,id=egm-%s-acpi,pci-dev=%s,node=%u\n",
		       name, o.gpu, o.node);
	ret = 0;
out:
	free(ext);
	egmfs_region_list_free(regions, nr);
	return ret;
}

/* ------------------------------------------------------------------- cdi */

static const char cdi_usage[] =
"usage: egmfs cdi [--output FILE]\n"
"\n"
"Write a Container Device Interface (CDI) spec of kind nvidia.com/egm\n"
"with one device per enabled instance, named like it: its node\n"
"/dev/egm/NAME with major, minor, owner and mode. The file is replaced\n"
"atomically; egm.service refreshes it after every restore. Container\n"
"runtimes (containerd, CRI-O, podman) and DRA drivers then request\n"
"nvidia.com/egm=NAME.\n"
"\n"
"  -o, --output FILE   default " EGMFS_DEFAULT_CDI ", '-' for standard output\n";

/* The CDI device of enabled instance e, whose node is maj:min. */
static struct json_object *cdi_device(struct egmfs_ctx *ctx,
				      const struct egmfs_inst *e,
				      unsigned int maj, unsigned int min)
{
	struct json_object *dev, *edits, *nodes, *node;
	char link[PATH_MAX];

	egmfs_inst_link(ctx, e->name, link, sizeof(link));
	node = json_object_new_object();
	json_object_object_add(node, "path", json_object_new_string(link));
	json_object_object_add(node, "type", json_object_new_string("c"));
	json_object_object_add(node, "major", json_object_new_int64(maj));
	json_object_object_add(node, "minor", json_object_new_int64(min));
	json_object_object_add(node, "fileMode", json_object_new_int(e->mode));
	json_object_object_add(node, "permissions",
			       json_object_new_string("rw"));
	json_object_object_add(node, "uid", json_object_new_int64(e->uid));
	json_object_object_add(node, "gid", json_object_new_int64(e->gid));
	nodes = json_object_new_array();
	json_object_array_add(nodes, node);
	edits = json_object_new_object();
	json_object_object_add(edits, "deviceNodes", nodes);
	dev = json_object_new_object();
	json_object_object_add(dev, "name", json_object_new_string(e->name));
	json_object_object_add(dev, "containerEdits", edits);
	return dev;
}

/* The CDI spec of the enabled instances of v; *count devices. */
static struct json_object *cdi_spec(struct egmfs_ctx *ctx,
				    const struct egmfs_inst *v, size_t n,
				    size_t *count)
{
	struct json_object *top, *devs;
	unsigned int maj, min;
	size_t i;

	top = json_object_new_object();
	json_object_object_add(top, "cdiVersion",
			       json_object_new_string("0.6.0"));
	json_object_object_add(top, "kind",
			       json_object_new_string("nvidia.com/egm"));
	devs = json_object_new_array();
	*count = 0;
	for (i = 0; i < n; i++) {
		if (v[i].minor < 0 ||
		    sscanf(v[i].dev, "%u:%u", &maj, &min) != 2)
			continue;
		json_object_array_add(devs, cdi_device(ctx, &v[i], maj, min));
		(*count)++;
	}
	json_object_object_add(top, "devices", devs);
	return top;
}

int cmd_cdi(int argc, char **argv, struct egmfs_ctx *ctx)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	const char *file = EGMFS_DEFAULT_CDI;
	struct json_object *top;
	struct egmfs_inst *v;
	size_t n, count;
	int ret;

	ret = parse_opts(argc, argv, "o:h", opts, cdi_usage, opt_string, &file);
	if (!ret)
		ret = no_operands(argc, argv, cdi_usage);
	if (ret)
		return ret;
	if (egmfs_inst_list(ctx, &v, &n))
		return EGMFS_FAIL;
	egmfs_inst_sort_by_minor(v, n);
	top = cdi_spec(ctx, v, n, &count);
	free(v);

	if (!strcmp(file, "-"))
		return print_json(top);
	/* readable by the container runtimes: 0644 like /etc/cdi specs */
	ret = write_json_file(file, top, 0644);
	if (ret) {
		report(file, "cdi", -ret, NULL);
		return EGMFS_FAIL;
	}
	say(ctx, "wrote %zu device%s of kind nvidia.com/egm to %s\n", count,
	    count == 1 ? "" : "s", file);
	return 0;
}
