// SPDX-License-Identifier: GPL-2.0
/*
 * egmfs: instance commands: list, show, create, enable, disable, destroy,
 * clear.
 */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attr.h"
#include "builtin.h"

static struct json_object *json_u64_or_null(u64 v)
{
	return v ? json_object_new_uint64(v) : NULL;
}

struct json_object *inst_to_json(const struct egmfs_inst *inst,
				 struct egmfs_ctx *ctx)
{
	char path[PATH_MAX];
	struct json_object *o = json_object_new_object();
	char mode[8];

	snprintf(mode, sizeof(mode), "%04o", inst->mode);
	json_object_object_add(o, "name", json_object_new_string(inst->name));
	json_object_object_add(o, "region",
			       json_object_new_string(inst->region));
	json_object_object_add(o, "offset",
			       json_object_new_uint64(inst->offset));
	json_object_object_add(o, "size", json_object_new_uint64(inst->size));
	json_object_object_add(o, "scrub", json_object_new_string(inst->scrub));
	json_object_object_add(o, "uid", json_object_new_int64(inst->uid));
	json_object_object_add(o, "gid", json_object_new_int64(inst->gid));
	json_object_object_add(o, "mode", json_object_new_string(mode));
	json_object_object_add(o, "enable",
			       json_object_new_boolean(inst->enable));
	if (!ctx)
		return o;
	json_object_object_add(o, "minor", json_object_new_int(inst->minor));
	json_object_object_add(o, "dev", json_object_new_string(inst->dev));
	json_object_object_add(o, "state", json_object_new_string(inst->state));
	egmfs_inst_link(ctx, inst->name, path, sizeof(path));
	json_object_object_add(o, "path", json_object_new_string(path));
	json_object_object_add(o, "resolved_size",
			       json_u64_or_null(inst->resolved_size));
	json_object_object_add(o, "pagesize",
			       json_u64_or_null(inst->pagesize));
	json_object_object_add(o, "cpu_node", inst->cpu_node == -2 ? NULL :
			       json_object_new_int(inst->cpu_node));
	json_object_object_add(o, "scrub_progress",
			       inst->scrub_progress < 0 ? NULL :
			       json_object_new_int(inst->scrub_progress));
	return o;
}

int print_json(struct json_object *obj)
{
	puts(json_object_to_json_string_ext(obj, EGMFS_JSON_FLAGS));
	json_object_put(obj);
	return 0;
}

/* The runtime fields of every instance of v, from sysfs and the regions. */
static void fill_runtime(struct egmfs_ctx *ctx, struct egmfs_inst *v, size_t n)
{
	struct egmfs_region *regions = NULL;
	size_t i, nr = 0;

	if (egmfs_region_list(ctx, &regions, &nr))
		regions = NULL;
	for (i = 0; i < n; i++)
		egmfs_inst_runtime(ctx, &v[i], regions ?
				   egmfs_region_find(regions, nr, v[i].region) :
				   NULL);
	egmfs_region_list_free(regions, nr);
}

static const char list_usage[] =
"usage: egmfs list [--json] [--region R]\n"
"\n"
"List every instance: name, region, extent (the resolved size), the\n"
"largest page size mappings use, the NUMA node whose CPUs should run the\n"
"VM (cpu_node), scrub policy, owner, mode, state (with the scrub progress\n"
"while scrubbing), device node and udev link.\n"
"\n"
"  -j, --json       print a JSON array of instance objects\n"
"  -R, --region R   only the instances of region R\n";

struct list_opts {
	bool json;
	const char *region;
};

static int list_opt(int c, const char *arg, void *data)
{
	struct list_opts *o = data;

	if (c == 'j') {
		o->json = true;
		return 0;
	}
	if (!valid_region_name(arg))
		return usage_error(list_usage,
				   "list: invalid region name \"%s\"", arg);
	o->region = arg;
	return 0;
}

/* One line of 'egmfs list' for instance e. */
static void list_row(struct egmfs_ctx *ctx, const struct egmfs_inst *e)
{
	char off[32], size[32], owner[32], dev[32], ps[32], node[16];
	char state[32], path[PATH_MAX];

	snprintf(owner, sizeof(owner), "%u:%u", e->uid, e->gid);
	if (e->minor >= 0)
		snprintf(dev, sizeof(dev), "/dev/egm%d", e->minor);
	else
		snprintf(dev, sizeof(dev), "-");
	if (e->pagesize)
		fmt_size(e->pagesize, ps, sizeof(ps));
	else
		snprintf(ps, sizeof(ps), "-");
	if (e->cpu_node >= 0)
		snprintf(node, sizeof(node), "%d", e->cpu_node);
	else
		snprintf(node, sizeof(node), "-");
	if (!strcmp(e->state, "scrubbing") && e->scrub_progress >= 0)
		snprintf(state, sizeof(state), "scrubbing:%d%%",
			 e->scrub_progress);
	else
		snprintf(state, sizeof(state), "%s", e->state);
	egmfs_inst_link(ctx, e->name, path, sizeof(path));
	printf("%-16s %-8s %8s %8s %8s %4s %-5s %-11s %04o %-14s %-11s %s\n",
	       e->name, e->region[0] ? e->region : "-",
	       fmt_size(e->offset, off, sizeof(off)),
	       e->resolved_size ?
	       fmt_size(e->resolved_size, size, sizeof(size)) :
	       e->size ? fmt_size(e->size, size, sizeof(size)) : "rest",
	       ps, node, e->scrub, owner, e->mode, state, dev,
	       e->minor >= 0 ? path : "-");
}

struct json_object *insts_to_json(const struct egmfs_inst *v, size_t n,
				  struct egmfs_ctx *ctx)
{
	struct json_object *arr = json_object_new_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_object_array_add(arr, inst_to_json(&v[i], ctx));
	return arr;
}

int cmd_list(int argc, char **argv, struct egmfs_ctx *ctx)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "region", required_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	struct list_opts o = { };
	struct egmfs_inst *v;
	size_t i, j, n;
	int ret;

	ret = parse_opts(argc, argv, "jR:h", opts, list_usage, list_opt, &o);
	if (!ret)
		ret = no_operands(argc, argv, list_usage);
	if (ret)
		return ret;
	if (egmfs_inst_list(ctx, &v, &n))
		return EGMFS_FAIL;
	if (o.region) {
		for (i = j = 0; i < n; i++)
			if (!strcmp(v[i].region, o.region))
				v[j++] = v[i];
		n = j;
	}
	fill_runtime(ctx, v, n);

	if (o.json) {
		print_json(insts_to_json(v, n, ctx));
		free(v);
		return 0;
	}
	if (n)
		printf("%-16s %-8s %8s %8s %8s %4s %-5s %-11s %-4s %-14s %-11s %s\n",
		       "NAME", "REGION", "OFFSET", "SIZE", "PAGESIZE", "NODE",
		       "SCRUB", "OWNER", "MODE", "STATE", "DEVICE", "PATH");
	for (i = 0; i < n; i++)
		list_row(ctx, &v[i]);
	free(v);
	return 0;
}

static const char show_usage[] =
"usage: egmfs show [--json] NAME\n"
"\n"
"Show every attribute of instance NAME.\n"
"\n"
"  -j, --json   print one JSON object (the fields of 'list --json')\n";

/* 'egmfs show' without --json: one "attribute: value" line each */
static void show_text(struct egmfs_ctx *ctx, const struct egmfs_inst *e)
{
	char buf[32], path[PATH_MAX];

	printf("name:   %s\n", e->name);
	printf("region: %s\n", e->region);
	printf("offset: %llu (%s)\n", (unsigned long long)e->offset,
	       fmt_size(e->offset, buf, sizeof(buf)));
	printf("size:   %llu (%s)\n", (unsigned long long)e->size,
	       e->size ? fmt_size(e->size, buf, sizeof(buf)) :
			 "rest of the region");
	printf("scrub:  %s\n", e->scrub);
	printf("uid:    %u\n", e->uid);
	printf("gid:    %u\n", e->gid);
	printf("mode:   %04o\n", e->mode);
	printf("enable: %d\n", e->enable);
	printf("minor:  %d\n", e->minor);
	printf("dev:    %s\n", e->dev[0] ? e->dev : "-");
	printf("state:  %s\n", e->state);
	if (e->minor >= 0)
		printf("device: /dev/egm%d\n", e->minor);
	egmfs_inst_link(ctx, e->name, path, sizeof(path));
	printf("path:   %s\n", path);
	if (e->resolved_size)
		printf("resolved_size: %llu (%s)\n",
		       (unsigned long long)e->resolved_size,
		       fmt_size(e->resolved_size, buf, sizeof(buf)));
	if (e->pagesize)
		printf("pagesize: %llu (%s)\n", (unsigned long long)e->pagesize,
		       fmt_size(e->pagesize, buf, sizeof(buf)));
	if (e->cpu_node != -2)
		printf("cpu_node: %d\n", e->cpu_node);
	if (e->scrub_progress >= 0)
		printf("scrub_progress: %d\n", e->scrub_progress);
}

int cmd_show(int argc, char **argv, struct egmfs_ctx *ctx)
{
	struct egmfs_inst inst;
	const char *attr, *name;
	bool json = false;
	int ret;

	ret = read_opts(argc, argv, show_usage, &json);
	if (!ret)
		ret = name_operand(argc, argv, show_usage, &name);
	if (ret)
		return ret;
	if (!egmfs_inst_exists(ctx, name)) {
		report(name, "show", ENOENT, "no such instance");
		return EGMFS_FAIL;
	}
	ret = egmfs_inst_load(ctx, name, &inst, &attr);
	if (ret) {
		report(name, attr, -ret, NULL);
		return EGMFS_FAIL;
	}
	fill_runtime(ctx, &inst, 1);
	if (json)
		return print_json(inst_to_json(&inst, ctx));
	show_text(ctx, &inst);
	return 0;
}

/* "enabled vm0: /dev/egm3, link /dev/egm/vm0" */
static void say_enabled(struct egmfs_ctx *ctx, const char *name)
{
	char dir[PATH_MAX], link[PATH_MAX];
	s64 minor = -1;

	if (!egmfs_inst_dir(ctx, name, dir, sizeof(dir)))
		attr_read_s64(dir, "minor", &minor);
	egmfs_inst_link(ctx, name, link, sizeof(link));
	say(ctx, "enabled %s: /dev/egm%lld, link %s\n", name, (long long)minor,
	    link);
}

static int parse_owner(const char *s, u32 *uid, u32 *gid)
{
	char *copy = xstrdup(s), *colon = strchr(copy, ':');
	struct passwd *pw = NULL;
	struct group *gr;
	int ret = -EINVAL;

	if (colon)
		*colon++ = '\0';
	if (!*copy || (colon && !*colon))
		goto out;
	if (parse_id(copy, uid)) {
		pw = getpwnam(copy);
		if (!pw)
			goto out;
		*uid = pw->pw_uid;
	}
	if (!colon) {
		/* no group: the user's primary group */
		if (!pw)
			pw = getpwuid(*uid);
		if (!pw)
			goto out;
		*gid = pw->pw_gid;
	} else if (parse_id(colon, gid)) {
		gr = getgrnam(colon);
		if (!gr)
			goto out;
		*gid = gr->gr_gid;
	}
	ret = 0;
out:
	free(copy);
	return ret;
}

static bool extent_clear(const struct egmfs_region *r,
			 const struct egmfs_inst *v, size_t n, u64 off,
			 u64 size)
{
	size_t i;
	u64 b;

	if (off > r->size || size > r->size - off)
		return false;
	for (i = 0; i < n; i++) {
		if (strcmp(v[i].region, r->name))
			continue;
		if (v[i].offset < off + size && egmfs_inst_end(&v[i], r) > off)
			return false;
	}
	for (i = 0; i < r->nr_retired; i++) {
		if (r->retired[i].addr < r->base)
			continue;
		b = (r->retired[i].addr - r->base) & ~(EGMFS_BLOCK_SIZE - 1);
		if (b < off + size && b + EGMFS_BLOCK_SIZE > off)
			return false;
	}
	return true;
}

/*
 * --offset auto: the lowest offset of region where size bytes overlap no
 * instance of the region (enabled or not) and hold no retired block;
 * 2 MiB aligned when size allows it (huge mappings), else page aligned.
 * The candidates are 0 and the ends of instances and retired blocks.
 */
static int pick_offset(struct egmfs_ctx *ctx, const char *region, u64 size,
		       u64 *out)
{
	const struct egmfs_region *r;
	struct egmfs_region *regions;
	struct egmfs_inst *v;
	size_t i, n, nr, nc = 0, a;
	u64 *cand, align[2] = { 2ULL << 20, ctx->pagesize }, c;
	int ret = -ENOSPC;

	if (egmfs_region_list(ctx, &regions, &nr))
		return -EIO;
	r = egmfs_region_find(regions, nr, region);
	if (!r) {
		egmfs_region_list_free(regions, nr);
		return -ENODEV;
	}
	if (egmfs_inst_list(ctx, &v, &n)) {
		egmfs_region_list_free(regions, nr);
		return -EIO;
	}
	cand = xcalloc(n + r->nr_retired + 1, sizeof(*cand));
	cand[nc++] = 0;
	for (i = 0; i < n; i++)
		if (!strcmp(v[i].region, r->name))
			cand[nc++] = egmfs_inst_end(&v[i], r);
	for (i = 0; i < r->nr_retired; i++)
		if (r->retired[i].addr >= r->base)
			cand[nc++] = ((r->retired[i].addr - r->base) &
				      ~(EGMFS_BLOCK_SIZE - 1)) +
				     EGMFS_BLOCK_SIZE;
	for (a = size % align[0] ? 1 : 0; a < 2 && ret; a++) {
		u64 best = UINT64_MAX;

		for (i = 0; i < nc; i++) {
			if (cand[i] > UINT64_MAX - align[a])
				continue;
			c = (cand[i] + align[a] - 1) & ~(align[a] - 1);
			if (c < best && extent_clear(r, v, n, c, size))
				best = c;
		}
		if (best != UINT64_MAX) {
			*out = best;
			ret = 0;
		}
	}
	free(cand);
	free(v);
	egmfs_region_list_free(regions, nr);
	return ret;
}

static const char create_usage[] =
"usage: egmfs create NAME --region socketN [--offset O] [--size S]\n"
"                    [--owner UID:GID] [--mode MODE] [--scrub zero|none]\n"
"                    [--enable]\n"
"\n"
"Create instance NAME (mkdir in configfs) and set its attributes. If a\n"
"step fails, the new instance is removed again.\n"
"\n"
"  -R, --region R    region to take memory from (see 'egmfs regions')\n"
"  -o, --offset O    start inside the region (default 0); auto: the first\n"
"                    free extent of --size S holding no retired block\n"
"  -s, --size S      length; 0 (default) = rest of the region\n"
"                    O and S take a K, M, G or T suffix (powers of 1024)\n"
"                    and must be multiples of the page size\n"
"  -u, --owner U:G   owner of /dev/egmN, names or numbers; U alone means\n"
"                    U's primary group (default 0:0)\n"
"  -m, --mode MODE   octal permissions of /dev/egmN (default 0600)\n"
"  -S, --scrub P     zero (default): zero the memory on enable and after\n"
"                    the last user; none: never\n"
"  -e, --enable      enable it at once\n";

#define NUM_LEN		24	/* a u64 in decimal and its NUL */

/* create's command line, checked, as the values written to configfs */
struct create_opts {
	const char *name;
	const char *region;
	const char *scrub;		/* NULL: the kernel's default */
	char offset[NUM_LEN];		/* "": not given */
	char size[NUM_LEN];
	char uid[16];
	char gid[16];
	char mode[8];
	bool enable;
	bool auto_offset;		/* --offset auto: offset is picked */
};

/* --offset or --size: arg in decimal bytes into buf (NUM_LEN) */
static int create_size_opt(const char *what, const char *arg, char *buf)
{
	u64 v;

	if (parse_size(arg, &v))
		return usage_error(create_usage, "create: invalid %s \"%s\"",
				   what, arg);
	snprintf(buf, NUM_LEN, "%llu", (unsigned long long)v);
	return 0;
}

static int create_opt(int c, const char *arg, void *data)
{
	struct create_opts *o = data;
	unsigned int m;
	u32 u, g;

	switch (c) {
	case 'R':
		o->region = arg;
		if (!valid_region_name(arg))
			return usage_error(create_usage,
					   "create: invalid region name \"%s\"",
					   arg);
		break;
	case 'o':
		o->auto_offset = !strcmp(arg, "auto");
		if (o->auto_offset)
			break;
		return create_size_opt("offset", arg, o->offset);
	case 's':
		return create_size_opt("size", arg, o->size);
	case 'u':
		if (parse_owner(arg, &u, &g))
			return usage_error(create_usage,
					   "create: invalid owner \"%s\"", arg);
		snprintf(o->uid, sizeof(o->uid), "%u", u);
		snprintf(o->gid, sizeof(o->gid), "%u", g);
		break;
	case 'm':
		if (parse_mode(arg, &m))
			return usage_error(create_usage,
					   "create: invalid mode \"%s\" (0001 to 0777)",
					   arg);
		snprintf(o->mode, sizeof(o->mode), "%04o", m);
		break;
	case 'S':
		if (parse_scrub(arg) < 0)
			return usage_error(create_usage,
					   "create: invalid scrub \"%s\" (zero or none)",
					   arg);
		o->scrub = arg;
		break;
	case 'e':
		o->enable = true;
		break;
	}
	return 0;
}

/* create's command line into o: 0, EGMFS_HELP or EGMFS_USAGE */
static int create_parse(int argc, char **argv, struct create_opts *o)
{
	static const struct option opts[] = {
		{ "region", required_argument, NULL, 'R' },
		{ "offset", required_argument, NULL, 'o' },
		{ "size", required_argument, NULL, 's' },
		{ "owner", required_argument, NULL, 'u' },
		{ "mode", required_argument, NULL, 'm' },
		{ "scrub", required_argument, NULL, 'S' },
		{ "enable", no_argument, NULL, 'e' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	int ret;

	ret = parse_opts(argc, argv, "R:o:s:u:m:S:eh", opts, create_usage,
			 create_opt, o);
	if (ret)
		return ret;
	if (argc - optind != 1)
		return usage_error(create_usage, "create: expected one NAME");
	o->name = argv[optind];
	if (!valid_name(o->name))
		return usage_error(create_usage,
				   "create: invalid name \"%s\" (%s)", o->name,
				   "[A-Za-z0-9_.-]{1,32}, not starting with . or -");
	if (!o->region)
		return usage_error(create_usage, "create: --region is required");
	if (o->auto_offset && (!o->size[0] || !strcmp(o->size, "0")))
		return usage_error(create_usage,
				   "create: --offset auto needs --size");
	return 0;
}

/* --offset auto: pick o->offset, or say why not (EGMFS_FAIL). */
static int create_pick_offset(struct egmfs_ctx *ctx, struct create_opts *o)
{
	u64 v;
	int ret;

	ret = pick_offset(ctx, o->region, strtoull(o->size, NULL, 10), &v);
	if (ret == -ENOSPC) {
		complain(o->name, "create",
			 "no free extent of %s bytes without retired blocks in %s",
			 o->size, o->region);
		return EGMFS_FAIL;
	} else if (ret) {
		report(o->name, "create", -ret,
		       ret == -ENODEV ? "no region %s" : NULL, o->region);
		return EGMFS_FAIL;
	}
	snprintf(o->offset, sizeof(o->offset), "%llu", (unsigned long long)v);
	return 0;
}

/* Write the attributes given to the new instance; reports a failure. */
static int create_write(struct egmfs_ctx *ctx, const struct create_opts *o)
{
	const char *attrs[][2] = {
		{ "region", o->region }, { "offset", o->offset },
		{ "size", o->size }, { "scrub", o->scrub },
		{ "uid", o->uid }, { "gid", o->gid }, { "mode", o->mode },
	};
	size_t i;
	int ret;

	for (i = 0; i < ARRAY_SIZE(attrs); i++) {
		const char *a = attrs[i][0], *val = attrs[i][1];

		if (!val || !*val)
			continue;
		ret = egmfs_inst_write(ctx, o->name, a, val);
		if (!ret)
			continue;
		if (ret == -ENODEV && i == 0)
			report(o->name, a, -ret, "no region %s", val);
		else if (ret == -EINVAL && i <= 2 &&
			 strtoull(val, NULL, 10) % ctx->pagesize)
			report(o->name, a, -ret,
			       "not a multiple of the page size %lu",
			       ctx->pagesize);
		else
			report(o->name, a, -ret, NULL);
		return ret;
	}
	return 0;
}

int cmd_create(int argc, char **argv, struct egmfs_ctx *ctx)
{
	struct create_opts o = { };
	int ret;

	ret = create_parse(argc, argv, &o);
	if (ret)
		return ret;
	if (o.auto_offset && create_pick_offset(ctx, &o))
		return EGMFS_FAIL;

	ret = egmfs_inst_mkdir(ctx, o.name);
	if (ret) {
		report(o.name, "create", -ret,
		       ret == -EEXIST ? "instance exists" : NULL);
		return EGMFS_FAIL;
	}
	if (create_write(ctx, &o) ||
	    (o.enable && egmfs_inst_enable(ctx, o.name, true))) {
		/* a failed create leaves nothing behind */
		ret = egmfs_inst_rmdir(ctx, o.name);
		if (ret)
			report(o.name, "remove after failed create", -ret, NULL);
		return EGMFS_FAIL;
	}
	say(ctx, "created %s in %s at offset %s\n", o.name, o.region,
	    o.offset[0] ? o.offset : "0");
	if (o.enable)
		say_enabled(ctx, o.name);
	return 0;
}

/* enable, disable, destroy: one or more NAMEs, no options but --help */
static int names_cmd(int argc, char **argv, const char *usage)
{
	int i, ret;

	ret = parse_opts(argc, argv, "h", help_opts, usage, NULL, NULL);
	if (ret)
		return ret;
	if (optind >= argc)
		return usage_error(usage, "%s: expected NAME", argv[0]);
	for (i = optind; i < argc; i++)
		if (!valid_name(argv[i]))
			return usage_error(usage, "%s: invalid name \"%s\"",
					   argv[0], argv[i]);
	return 0;
}

static int check_exists(struct egmfs_ctx *ctx, const char *name,
			const char *action)
{
	if (egmfs_inst_exists(ctx, name))
		return 0;
	report(name, action, ENOENT, "no such instance");
	return -ENOENT;
}

static const char enable_usage[] =
"usage: egmfs enable NAME...\n"
"\n"
"Enable each instance: bind its extent, allocate a minor and publish\n"
"/dev/egmN (and /dev/egm/NAME through udev). Enabling an enabled\n"
"instance succeeds and changes nothing.\n";

static const char disable_usage[] =
"usage: egmfs disable NAME...\n"
"\n"
"Disable each instance: withdraw /dev/egmN and free the extent. Fails\n"
"while the device is open or mapped.\n";

static const char destroy_usage[] =
"usage: egmfs destroy NAME...\n"
"\n"
"Disable and remove each instance. Fails while the device is open or\n"
"mapped.\n";

static int enable_disable(int argc, char **argv, struct egmfs_ctx *ctx,
			  bool on)
{
	int i, ret, failed = 0;

	ret = names_cmd(argc, argv, on ? enable_usage : disable_usage);
	if (ret)
		return ret;
	for (i = optind; i < argc; i++) {
		if (check_exists(ctx, argv[i], on ? "enable" : "disable") ||
		    egmfs_inst_enable(ctx, argv[i], on))
			failed++;
		else if (on)
			say_enabled(ctx, argv[i]);
		else
			say(ctx, "disabled %s\n", argv[i]);
	}
	return failed ? EGMFS_FAIL : 0;
}

int cmd_enable(int argc, char **argv, struct egmfs_ctx *ctx)
{
	return enable_disable(argc, argv, ctx, true);
}

int cmd_disable(int argc, char **argv, struct egmfs_ctx *ctx)
{
	return enable_disable(argc, argv, ctx, false);
}

/* Disable, then rmdir; the message names the step that failed. */
static int destroy_one(struct egmfs_ctx *ctx, const char *name)
{
	int ret;

	ret = egmfs_inst_write(ctx, name, "enable", "0");
	if (ret) {
		report(name, "destroy", -ret, ret == -EBUSY ?
		       "device is open or mapped" : NULL);
		return ret;
	}
	ret = egmfs_inst_rmdir(ctx, name);
	if (ret) {
		report(name, "destroy", -ret, ret == -EBUSY ?
		       "device is open or mapped" : NULL);
		return ret;
	}
	return 0;
}

int cmd_destroy(int argc, char **argv, struct egmfs_ctx *ctx)
{
	int i, ret, failed = 0;

	ret = names_cmd(argc, argv, destroy_usage);
	if (ret)
		return ret;
	for (i = optind; i < argc; i++) {
		if (check_exists(ctx, argv[i], "destroy") ||
		    destroy_one(ctx, argv[i]))
			failed++;
		else
			say(ctx, "destroyed %s\n", argv[i]);
	}
	return failed ? EGMFS_FAIL : 0;
}

static const char clear_usage[] =
"usage: egmfs clear [--verbose]\n"
"\n"
"Disable and remove every instance. Instances in use are reported and\n"
"left; the exit status is then 1.\n"
"\n"
"  -v, --verbose   (the default) name each instance removed; -q quiets\n";

int cmd_clear(int argc, char **argv, struct egmfs_ctx *ctx)
{
	static const struct option opts[] = {
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	bool verbose = false;
	char **names;
	int i, n, ret, failed = 0;

	ret = parse_opts(argc, argv, "vh", opts, clear_usage, opt_flag,
			 &verbose);
	if (!ret)
		ret = no_operands(argc, argv, clear_usage);
	if (ret)
		return ret;
	n = list_dirs(ctx->instances, &names);
	if (n < 0) {
		report(ctx->instances, "clear", -n, NULL);
		return EGMFS_FAIL;
	}
	for (i = 0; i < n; i++) {
		if (destroy_one(ctx, names[i]))
			failed++;
		else if (verbose || !ctx->quiet)
			say(ctx, "destroyed %s\n", names[i]);
	}
	free_names(names);
	if (failed)
		fprintf(stderr, "egmfs: clear: %d of %d instances not removed\n",
			failed, n);
	return failed ? EGMFS_FAIL : 0;
}
