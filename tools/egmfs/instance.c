// SPDX-License-Identifier: GPL-2.0
/*
 * egmfs: instance commands: list, show, create, enable, disable, destroy,
 * clear.
 */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attr.h"
#include "builtin.h"

struct json_object *inst_to_json(const struct egm_inst *inst, bool runtime)
{
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
	if (!runtime)
		return o;
	json_object_object_add(o, "minor", json_object_new_int(inst->minor));
	json_object_object_add(o, "dev", json_object_new_string(inst->dev));
	json_object_object_add(o, "state", json_object_new_string(inst->state));
	return o;
}

int print_json(struct json_object *obj)
{
	puts(json_object_to_json_string_ext(obj, EGMFS_JSON_FLAGS));
	json_object_put(obj);
	return 0;
}

/* Options of the read commands: --json and --help. */
static int read_opts(int argc, char **argv, const char *usage, bool *json)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			*json = true;
			break;
		case 'h':
			print_help(usage);
			return 1;
		default:
			return usage_error(usage, "%s: bad option '%s'",
					   argv[0], argv[optind - 1]);
		}
	}
	return 0;
}

static const char list_usage[] =
"usage: egmfs list [--json]\n"
"\n"
"List every instance: name, region, extent, scrub policy, owner, mode,\n"
"state and device node.\n"
"\n"
"  -j, --json   print a JSON array of instance objects\n";

int cmd_list(int argc, char **argv, struct egmfs_ctx *ctx)
{
	struct egm_inst *v;
	struct json_object *arr;
	bool json = false;
	char off[32], size[32], owner[32], dev[32];
	size_t i, n;
	int ret;

	ret = read_opts(argc, argv, list_usage, &json);
	if (ret)
		return ret > 0 ? 0 : ret;
	if (optind < argc)
		return usage_error(list_usage, "list: unexpected argument '%s'",
				   argv[optind]);
	if (egm_inst_list(ctx, &v, &n))
		return EGMFS_FAIL;

	if (json) {
		arr = json_object_new_array();
		for (i = 0; i < n; i++)
			json_object_array_add(arr, inst_to_json(&v[i], true));
		free(v);
		return print_json(arr);
	}
	if (n)
		printf("%-16s %-8s %8s %8s %-5s %-11s %-4s %-9s %s\n", "NAME",
		       "REGION", "OFFSET", "SIZE", "SCRUB", "OWNER", "MODE",
		       "STATE", "DEVICE");
	for (i = 0; i < n; i++) {
		snprintf(owner, sizeof(owner), "%u:%u", v[i].uid, v[i].gid);
		if (v[i].minor >= 0)
			snprintf(dev, sizeof(dev), "/dev/egm%d", v[i].minor);
		else
			snprintf(dev, sizeof(dev), "-");
		printf("%-16s %-8s %8s %8s %-5s %-11s %04o %-9s %s\n",
		       v[i].name, v[i].region[0] ? v[i].region : "-",
		       fmt_size(v[i].offset, off, sizeof(off)),
		       v[i].size ? fmt_size(v[i].size, size, sizeof(size)) :
				   "rest",
		       v[i].scrub, owner, v[i].mode, v[i].state, dev);
	}
	free(v);
	return 0;
}

static const char show_usage[] =
"usage: egmfs show [--json] NAME\n"
"\n"
"Show every attribute of instance NAME.\n"
"\n"
"  -j, --json   print one JSON object (the fields of 'list --json')\n";

int cmd_show(int argc, char **argv, struct egmfs_ctx *ctx)
{
	struct egm_inst inst;
	const char *attr, *name;
	bool json = false;
	char buf[32];
	int ret;

	ret = read_opts(argc, argv, show_usage, &json);
	if (ret)
		return ret > 0 ? 0 : ret;
	if (argc - optind != 1)
		return usage_error(show_usage, "show: expected one NAME");
	name = argv[optind];
	if (!valid_name(name)) {
		complain(name, "show", "invalid instance name");
		return EGMFS_FAIL;
	}
	if (!egm_inst_exists(ctx, name)) {
		report(name, "show", ENOENT, "no such instance");
		return EGMFS_FAIL;
	}
	ret = egm_inst_load(ctx, name, &inst, &attr);
	if (ret) {
		report(name, attr, -ret, NULL);
		return EGMFS_FAIL;
	}
	if (json)
		return print_json(inst_to_json(&inst, true));

	printf("name:   %s\n", inst.name);
	printf("region: %s\n", inst.region);
	printf("offset: %llu (%s)\n", (unsigned long long)inst.offset,
	       fmt_size(inst.offset, buf, sizeof(buf)));
	printf("size:   %llu (%s)\n", (unsigned long long)inst.size,
	       inst.size ? fmt_size(inst.size, buf, sizeof(buf)) :
			   "rest of the region");
	printf("scrub:  %s\n", inst.scrub);
	printf("uid:    %u\n", inst.uid);
	printf("gid:    %u\n", inst.gid);
	printf("mode:   %04o\n", inst.mode);
	printf("enable: %d\n", inst.enable);
	printf("minor:  %d\n", inst.minor);
	printf("dev:    %s\n", inst.dev[0] ? inst.dev : "-");
	printf("state:  %s\n", inst.state);
	if (inst.minor >= 0)
		printf("device: /dev/egm%d\n", inst.minor);
	return 0;
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

static const char create_usage[] =
"usage: egmfs create NAME --region socketN [--offset O] [--size S]\n"
"                    [--owner UID:GID] [--mode MODE] [--scrub zero|none]\n"
"                    [--enable]\n"
"\n"
"Create instance NAME (mkdir in configfs) and set its attributes. If a\n"
"step fails, the new instance is removed again.\n"
"\n"
"  -R, --region R    region to take memory from (see 'egmfs regions')\n"
"  -o, --offset O    start inside the region (default 0)\n"
"  -s, --size S      length; 0 (default) = rest of the region\n"
"                    O and S take a K, M, G or T suffix (powers of 1024)\n"
"                    and must be multiples of the page size\n"
"  -u, --owner U:G   owner of /dev/egmN, names or numbers; U alone means\n"
"                    U's primary group (default 0:0)\n"
"  -m, --mode MODE   octal permissions of /dev/egmN (default 0600)\n"
"  -S, --scrub P     zero (default): zero the memory on enable and after\n"
"                    the last user; none: never\n"
"  -e, --enable      enable it at once\n";

int cmd_create(int argc, char **argv, struct egmfs_ctx *ctx)
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
	const char *region = NULL, *scrub = NULL, *name;
	char offset[24] = "", size[24] = "", uid[16] = "", gid[16] = "";
	char mode[8] = "";
	bool enable = false;
	u64 v;
	u32 u, g;
	unsigned int m;
	size_t i;
	int c, ret;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "R:o:s:u:m:S:eh", opts,
				NULL)) != -1) {
		switch (c) {
		case 'R':
			region = optarg;
			if (!valid_region_name(region))
				return usage_error(create_usage,
						   "create: invalid region name \"%s\"",
						   optarg);
			break;
		case 'o':
		case 's':
			if (parse_size(optarg, &v))
				return usage_error(create_usage,
						   "create: invalid %s \"%s\"",
						   c == 'o' ? "offset" : "size",
						   optarg);
			snprintf(c == 'o' ? offset : size, sizeof(offset),
				 "%llu", (unsigned long long)v);
			break;
		case 'u':
			if (parse_owner(optarg, &u, &g))
				return usage_error(create_usage,
						   "create: invalid owner \"%s\"",
						   optarg);
			snprintf(uid, sizeof(uid), "%u", u);
			snprintf(gid, sizeof(gid), "%u", g);
			break;
		case 'm':
			if (parse_mode(optarg, &m))
				return usage_error(create_usage,
						   "create: invalid mode \"%s\" (0001 to 0777)",
						   optarg);
			snprintf(mode, sizeof(mode), "%04o", m);
			break;
		case 'S':
			if (parse_scrub(optarg) < 0)
				return usage_error(create_usage,
						   "create: invalid scrub \"%s\" (zero or none)",
						   optarg);
			scrub = optarg;
			break;
		case 'e':
			enable = true;
			break;
		case 'h':
			return print_help(create_usage);
		default:
			return usage_error(create_usage,
					   "create: bad option '%s'",
					   argv[optind - 1]);
		}
	}
	if (argc - optind != 1)
		return usage_error(create_usage, "create: expected one NAME");
	name = argv[optind];
	if (!valid_name(name))
		return usage_error(create_usage,
				   "create: invalid name \"%s\" (%s)", name,
				   "[A-Za-z0-9_.-]{1,32}, not starting with . or -");
	if (!region)
		return usage_error(create_usage, "create: --region is required");

	ret = egm_inst_mkdir(ctx, name);
	if (ret) {
		report(name, "create", -ret,
		       ret == -EEXIST ? "instance exists" : NULL);
		return EGMFS_FAIL;
	}

	{
		const char *attrs[][2] = {
			{ "region", region }, { "offset", offset },
			{ "size", size }, { "scrub", scrub },
			{ "uid", uid }, { "gid", gid }, { "mode", mode },
		};

		for (i = 0; i < ARRAY_SIZE(attrs); i++) {
			const char *a = attrs[i][0], *val = attrs[i][1];

			if (!val || !*val)
				continue;
			ret = egm_inst_write(ctx, name, a, val);
			if (!ret)
				continue;
			if (ret == -ENODEV && i == 0)
				report(name, a, -ret, "no region %s", val);
			else if (ret == -EINVAL && i <= 2 &&
				 strtoull(val, NULL, 10) % ctx->pagesize)
				report(name, a, -ret,
				       "not a multiple of the page size %lu",
				       ctx->pagesize);
			else
				report(name, a, -ret, NULL);
			goto undo;
		}
	}
	if (enable && egm_inst_enable(ctx, name, true))
		goto undo;
	return 0;

undo:
	ret = egm_inst_rmdir(ctx, name);
	if (ret)
		report(name, "remove after failed create", -ret, NULL);
	return EGMFS_FAIL;
}

/* enable, disable, destroy: one or more NAMEs, no options but --help */
static int names_cmd(int argc, char **argv, const char *usage)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	int c, i;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'h') {
			print_help(usage);
			return 1;
		}
		return usage_error(usage, "%s: bad option '%s'", argv[0],
				   argv[optind - 1]);
	}
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
	if (egm_inst_exists(ctx, name))
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
		return ret > 0 ? 0 : ret;
	for (i = optind; i < argc; i++) {
		if (check_exists(ctx, argv[i], on ? "enable" : "disable") ||
		    egm_inst_enable(ctx, argv[i], on))
			failed++;
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

	ret = egm_inst_write(ctx, name, "enable", "0");
	if (ret) {
		report(name, "destroy", -ret, ret == -EBUSY ?
		       "device is open or mapped" : NULL);
		return ret;
	}
	ret = egm_inst_rmdir(ctx, name);
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
		return ret > 0 ? 0 : ret;
	for (i = optind; i < argc; i++) {
		if (check_exists(ctx, argv[i], "destroy") ||
		    destroy_one(ctx, argv[i]))
			failed++;
	}
	return failed ? EGMFS_FAIL : 0;
}

static const char clear_usage[] =
"usage: egmfs clear [--verbose]\n"
"\n"
"Disable and remove every instance. Instances in use are reported and\n"
"left; the exit status is then 1.\n"
"\n"
"  -v, --verbose   name each instance removed\n";

int cmd_clear(int argc, char **argv, struct egmfs_ctx *ctx)
{
	static const struct option opts[] = {
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	bool verbose = false;
	char **names;
	int c, i, n, failed = 0;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
		switch (c) {
		case 'v':
			verbose = true;
			break;
		case 'h':
			return print_help(clear_usage);
		default:
			return usage_error(clear_usage, "clear: bad option '%s'",
					   argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error(clear_usage, "clear: unexpected argument '%s'",
				   argv[optind]);
	n = list_dirs(ctx->instances, &names);
	if (n < 0) {
		report(ctx->instances, "clear", -n, NULL);
		return EGMFS_FAIL;
	}
	for (i = 0; i < n; i++) {
		if (destroy_one(ctx, names[i]))
			failed++;
		else if (verbose)
			printf("destroyed %s\n", names[i]);
	}
	free_names(names);
	if (failed)
		fprintf(stderr, "egmfs: clear: %d of %d instances not removed\n",
			failed, n);
	return failed ? EGMFS_FAIL : 0;
}
