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

#include "attr.h"
#include "builtin.h"

/* the device allows shared mappings only */
#define BACKEND_SHARE		",share=on"
/* every page populated when QEMU starts (not at first touch) */
#define BACKEND_PREALLOC	",prealloc=on"

/* An extent of an instance, relative to its start. */
struct extent {
	u64 off;
	u64 len;
};

/*
 * The retired-free extents of [start, start + size) of region r (offsets
 * relative to the region): the instance cut around every retired 64 KiB
 * block. Returns the count of extents; *v is malloc'd, *nblocks the
 * number of retired blocks inside.
 */
static size_t free_extents(const struct egmfs_region *r, u64 start, u64 size,
			   struct extent **v, size_t *nblocks)
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
	*nblocks = nb;
	return n;
}

/*
 * The instance that replaces extent e of inst (in region r): its region
 * offset and size in *piece. Its physical start is rounded up to the
 * largest page size the kernel could map inst with (its pagesize, then
 * the PMD size, a PAGE_SIZE / 8 table of base pages) where the extent
 * still holds one such page, so the piece keeps huge mappings; else to
 * the base page. False if less than a base page is left.
 */
static bool extent_piece(const struct egmfs_region *r,
			 const struct egmfs_inst *inst, const struct extent *e,
			 u64 page, struct extent *piece)
{
	u64 pmd = page * (page / 8);
	u64 sizes[] = { inst->pagesize, pmd < inst->pagesize ? pmd : 0, page };
	u64 phys = r->base + inst->offset + e->off, s, a;
	u64 end = (phys + e->len) & ~(page - 1);
	size_t i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		a = sizes[i];
		/* page sizes are powers of two, and at least a base page */
		if (a < page || (a & (a - 1)))
			continue;
		s = (phys + a - 1) & ~(a - 1);
		if (s < end && end - s >= a) {
			piece->off = s - r->base;
			piece->len = end - s;
			return true;
		}
	}
	return false;
}

static const char qemu_usage[] =
"usage: egmfs qemu-args NAME [--node N] [--gpu VFIO_ID]\n"
"\n"
"Print the QEMU options that give enabled instance NAME to a VM as the\n"
"memory of guest NUMA node N (default 0), one option and its value a line:\n"
"  -object memory-backend-file,id=egm-NAME,mem-path=/dev/egm/NAME,\n"
"          size=<resolved size>,align=<pagesize>,share=on,prealloc=on\n"
"  -numa node,nodeid=N,memdev=egm-NAME\n"
"With --gpu, also NVIDIA QEMU's acpi-egm-memory object tying node N to\n"
"the vfio-pci device VFIO_ID.\n"
"\n"
"An instance with retired blocks: without --gpu the same, but without\n"
"prealloc=on (QEMU would fail on them), and a note on stderr: the guest\n"
"gets a memory error where it touches them. With --gpu it fails: VFIO\n"
"cannot DMA-map a range holding a retired block, and the device allows\n"
"one open, so one memory backend; it prints the egmfs commands that cut\n"
"it into instances around the blocks, one backend each.\n"
"\n"
"  -n, --node N      guest NUMA node id (default 0)\n"
"  -g, --gpu ID      id of the vfio-pci device (-device vfio-pci,id=ID)\n";

struct qemu_opts {
	const char *gpu;		/* --gpu: vfio-pci device id */
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

/* Piece i of name: "name-i", name shortened to keep it a valid name. */
static void piece_name(const char *name, size_t i, char *buf, size_t len)
{
	char suffix[24];
	int keep;

	snprintf(suffix, sizeof(suffix), "-%zu", i);
	keep = EGMFS_NAME_MAX - (int)strlen(suffix);
	snprintf(buf, len, "%.*s%s", keep, name, suffix);
}

/* The create options that keep inst's scrub policy, owner and mode. */
static void piece_attrs(const struct egmfs_inst *inst, char *buf, size_t len)
{
	int n = 0;

	buf[0] = '\0';
	if (strcmp(inst->scrub, "zero"))
		n += snprintf(buf + n, len - n, " --scrub %s", inst->scrub);
	if ((inst->uid || inst->gid) && n >= 0 && (size_t)n < len)
		n += snprintf(buf + n, len - n, " --owner %u:%u", inst->uid,
			      inst->gid);
	if (inst->mode != 0600 && n >= 0 && (size_t)n < len)
		snprintf(buf + n, len - n, " --mode %04o", inst->mode);
}

/*
 * --gpu on an instance with nb retired blocks: no backend can work, so
 * say why and print the commands that cut it around them (the extents
 * ext, next of them, each start rounded by extent_piece()) on stderr.
 */
static int qemu_cut(struct egmfs_ctx *ctx, const char *name,
		    const struct egmfs_region *r, const struct egmfs_inst *inst,
		    const struct extent *ext, size_t next, size_t nb,
		    const struct qemu_opts *o)
{
	char piece[EGMFS_NAME_MAX + 1], attrs[96], off[32], len[32];
	struct extent p;
	size_t i, n = 0;

	complain(name, "qemu-args",
		 "it holds %zu retired block%s: VFIO cannot DMA-map an instance holding retired blocks (EFAULT, the VM does not start), and its device allows one open at a time, so it backs one memory object and cannot be split into several",
		 nb, nb == 1 ? "" : "s");
	complain(name, "qemu-args",
		 "cut it into instances around them (Documentation/admin-guide/egm.rst, \"Keeping retired memory out of the guest\"); once no VM uses it:");
	fprintf(stderr, "  egmfs disable %s\n  egmfs destroy %s\n", name, name);
	piece_attrs(inst, attrs, sizeof(attrs));
	for (i = 0; i < next; i++) {
		if (!extent_piece(r, inst, &ext[i], ctx->pagesize, &p))
			continue;
		piece_name(name, n++, piece, sizeof(piece));
		fprintf(stderr,
			"  egmfs create %s --region %s --offset %s --size %s%s --enable\n",
			piece, r->name, fmt_size(p.off, off, sizeof(off)),
			fmt_size(p.len, len, sizeof(len)), attrs);
	}
	fprintf(stderr,
		"then one backend per instance, each its own guest NUMA node (-numa dist,...,val=10 makes them local to each other); 'egmfs save' keeps the new layout:\n");
	for (i = 0; i < n; i++) {
		piece_name(name, i, piece, sizeof(piece));
		fprintf(stderr, "  egmfs qemu-args %s --node %zu --gpu %s\n",
			piece, o->node + i, o->gpu);
	}
	return EGMFS_FAIL;
}

int cmd_qemu_args(int argc, char **argv, struct egmfs_ctx *ctx)
{
	static const struct option opts[] = {
		{ "node", required_argument, NULL, 'n' },
		{ "gpu", required_argument, NULL, 'g' },
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
	size_t nr = 0, next, nb;
	int ret;

	ret = parse_opts(argc, argv, "n:g:h", opts, qemu_usage, qemu_opt, &o);
	if (!ret)
		ret = name_operand(argc, argv, qemu_usage, &name);
	if (ret)
		return ret;
	ret = qemu_load(ctx, name, &inst, &regions, &nr, &r);
	if (ret)
		goto out;
	ret = EGMFS_FAIL;
	next = free_extents(r, inst.offset, inst.resolved_size, &ext, &nb);
	if (!next) {
		complain(name, "qemu-args", "every block of it is retired");
		goto out;
	}
	if (nb && o.gpu) {
		ret = qemu_cut(ctx, name, r, &inst, ext, next, nb, &o);
		goto out;
	}
	if (nb)
		complain(name, "qemu-args",
			 "%zu retired block%s inside: printed without prealloc=on, which would fail on them; the guest gets a memory error where it touches them; with a GPU (VFIO) cut the instance around them (egmfs qemu-args %s --gpu ID prints how)",
			 nb, nb == 1 ? "" : "s", name);
	egmfs_inst_link(ctx, name, link, sizeof(link));
	printf("-object memory-backend-file,id=egm-%s,mem-path=%s", name, link);
	printf(",size=%llu,align=%llu" BACKEND_SHARE "%s\n",
	       (unsigned long long)inst.resolved_size,
	       (unsigned long long)inst.pagesize, nb ? "" : BACKEND_PREALLOC);
	printf("-numa node,nodeid=%u,memdev=egm-%s\n", o.node, name);
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
