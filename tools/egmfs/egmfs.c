// SPDX-License-Identifier: GPL-2.0
/*
 * egmfs: administer NVIDIA Grace Extended GPU Memory (egm) instances.
 *
 *   egmfs [--root DIR] <command> [options] [args]
 *   egmfs --help | --version
 *
 * Commands: list, show, regions, create, enable, disable, destroy,
 * retire, save, restore, clear, qemu-args, cdi (egmfs(8)). Exit status: 0
 * success, 1 failure, 2 usage.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "builtin.h"

#include <json-c/json_c_version.h>

#if JSON_C_VERSION_NUM < ((0 << 16) | (15 << 8))
#error "egmfs needs json-c 0.15 or later"
#endif

#ifndef EGMFS_VERSION
#error "EGMFS_VERSION comes from drivers/egm/version.h (tools/egmfs/Makefile)"
#endif

struct cmd_struct {
	const char *name;
	int (*fn)(int argc, char **argv, struct egmfs_ctx *ctx);
};

static struct cmd_struct commands[] = {
	{ "list", cmd_list },
	{ "show", cmd_show },
	{ "regions", cmd_regions },
	{ "create", cmd_create },
	{ "enable", cmd_enable },
	{ "disable", cmd_disable },
	{ "destroy", cmd_destroy },
	{ "retire", cmd_retire },
	{ "save", cmd_save },
	{ "restore", cmd_restore },
	{ "clear", cmd_clear },
	{ "qemu-args", cmd_qemu_args },
	{ "cdi", cmd_cdi },
	{ "help", cmd_help },
};

static const char egmfs_usage[] =
"usage: egmfs [--root DIR] <command> [<options>] [<args>]\n"
"       egmfs --help | --version\n"
"\n"
"Read commands (each takes --json):\n"
"  list                       list instances\n"
"  show NAME                  show one instance\n"
"  regions                    list EGM regions and their retired blocks\n"
"Instance commands:\n"
"  create NAME --region socketN [--offset O] [--size S] [--owner UID:GID]\n"
"              [--mode 0660] [--scrub zero|none] [--enable]\n"
"  enable NAME...             publish /dev/egmN\n"
"  disable NAME...            withdraw /dev/egmN\n"
"  destroy NAME...            disable and remove\n"
"  clear                      disable and remove every instance\n"
"Region commands:\n"
"  retire ADDR                retire the 64 KiB block holding ADDR\n"
"Configuration file (default " EGMFS_DEFAULT_FILE "):\n"
"  save [FILE]                write instances and runtime retirements\n"
"  restore [FILE]             re-create them (idempotent)\n"
"Consumers:\n"
"  qemu-args NAME [--node N] [--gpu VFIO_ID]\n"
"                             QEMU options giving NAME to a VM\n"
"  cdi [--output FILE]        CDI spec of the enabled instances\n"
"\n"
"Global options:\n"
"  -r, --root DIR   egm configfs directory (default $EGM_CONFIGFS or\n"
"                   " EGMFS_DEFAULT_ROOT ")\n"
"  -q, --quiet      changing commands do not print what they did\n"
"  -h, --help       this text; 'egmfs <command> --help' for a command\n"
"  -V, --version    print the version\n"
"\n"
"Exit status: 0 success, 1 failure, 2 usage error. See egmfs(8).\n";

int usage_error(const char *usage, const char *fmt, ...)
{
	va_list ap;

	fputs("egmfs: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fputs(usage, stderr);
	return EGMFS_USAGE;
}

int print_help(const char *usage)
{
	fputs(usage, stdout);
	return 0;
}

int parse_opts(int argc, char **argv, const char *shortopts,
	       const struct option *longopts, const char *usage,
	       opt_fn fn, void *data)
{
	int c, ret;

	opterr = 0;
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		if (c == 'h') {
			print_help(usage);
			return EGMFS_HELP;
		}
		if (c == '?' || !fn)
			return usage_error(usage, "%s: bad option '%s'", argv[0],
					   argv[optind - 1]);
		ret = fn(c, optarg, data);
		if (ret)
			return ret;
	}
	return 0;
}

int no_operands(int argc, char **argv, const char *usage)
{
	if (optind < argc)
		return usage_error(usage, "%s: unexpected argument '%s'",
				   argv[0], argv[optind]);
	return 0;
}

int opt_flag(int c, const char *arg, void *flag)
{
	(void)c;
	(void)arg;
	*(bool *)flag = true;
	return 0;
}

int opt_string(int c, const char *arg, void *str)
{
	(void)c;
	*(const char **)str = arg;
	return 0;
}

int name_operand(int argc, char **argv, const char *usage, const char **name)
{
	if (argc - optind != 1)
		return usage_error(usage, "%s: expected one NAME", argv[0]);
	*name = argv[optind];
	if (!valid_name(*name))
		return usage_error(usage, "%s: invalid name \"%s\"", argv[0],
				   *name);
	return 0;
}

const struct option help_opts[] = {
	{ "help", no_argument, NULL, 'h' },
	{ }
};

int read_opts(int argc, char **argv, const char *usage, bool *json)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};

	return parse_opts(argc, argv, "jh", opts, usage, opt_flag, json);
}

static struct cmd_struct *find_cmd(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(commands); i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

int cmd_help(int argc, char **argv, struct egmfs_ctx *ctx)
{
	struct cmd_struct *cmd;
	char *args[3] = { argv[1], (char *)"--help", NULL };

	if (argc < 2 || !strcmp(argv[1], "help"))
		return print_help(egmfs_usage);
	if (argc > 2)
		return usage_error(egmfs_usage, "help: too many arguments");
	cmd = find_cmd(argv[1]);
	if (!cmd)
		return usage_error(egmfs_usage, "unknown command '%s'",
				   argv[1]);
	return cmd->fn(2, args, ctx);
}

/*
 * Run one command, then flush and close stdout and fail on a write
 * error (a full disk or a closed pipe must not exit 0), like git's
 * run_builtin().
 */
static int run_builtin(struct cmd_struct *cmd, int argc, char **argv,
		       struct egmfs_ctx *ctx)
{
	int ret;

	optind = 0;	/* each command parses its own options */
	ret = cmd->fn(argc, argv, ctx);

	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "egmfs: write failure on standard output: %s\n",
			strerror(errno));
		return 1;
	}
	if (fclose(stdout)) {
		fprintf(stderr, "egmfs: close failed on standard output: %s\n",
			strerror(errno));
		return 1;
	}
	if (!ret || ret == EGMFS_HELP)
		return 0;
	return ret == EGMFS_USAGE ? 2 : 1;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "root", required_argument, NULL, 'r' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ }
	};
	const char *root = getenv("EGM_CONFIGFS");
	struct egmfs_ctx ctx = { };
	struct cmd_struct *cmd;
	int c;

	if (!root || !*root)
		root = EGMFS_DEFAULT_ROOT;

	/* '+': stop at the command, whose options are its own */
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+r:qhV", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			root = optarg;
			break;
		case 'q':
			ctx.quiet = true;
			break;
		case 'h':
			fputs(egmfs_usage, stdout);
			return fclose(stdout) ? 1 : 0;
		case 'V':
			printf("egmfs %s\n", EGMFS_VERSION);
			return fclose(stdout) ? 1 : 0;
		default:
			usage_error(egmfs_usage, "bad option '%s'",
				    argv[optind - 1]);
			return 2;
		}
	}
	if (optind >= argc) {
		usage_error(egmfs_usage, "no command given");
		return 2;
	}
	cmd = find_cmd(argv[optind]);
	if (!cmd) {
		usage_error(egmfs_usage, "unknown command '%s'", argv[optind]);
		return 2;
	}
	if (egmfs_ctx_init(&ctx, root)) {
		fprintf(stderr, "egmfs: %s: %s\n", root, strerror(ENAMETOOLONG));
		return 1;
	}
	return run_builtin(cmd, argc - optind, argv + optind, &ctx);
}
