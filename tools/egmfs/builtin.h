/* SPDX-License-Identifier: GPL-2.0 */
/*
 * egmfs: one cmd_<verb>() per command, as in daxctl.
 *
 * A command returns 0 on success (or EGMFS_HELP once --help printed its
 * usage), EGMFS_USAGE for a bad command line (after printing why and its
 * usage) and any other negative value for a failure it has already
 * reported. main() alone turns that into the exit status: 0, 2 and 1.
 */
#ifndef EGMFS_BUILTIN_H
#define EGMFS_BUILTIN_H

#include <getopt.h>
#include <json-c/json.h>
#include <sys/types.h>

#include "egm.h"

#define EGMFS_USAGE	(-10000)
#define EGMFS_HELP	(-10001)	/* --help printed: success */
#define EGMFS_FAIL	(-1)

#define EGMFS_JSON_FLAGS (JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | \
			  JSON_C_TO_STRING_NOSLASHESCAPE)

int cmd_list(int argc, char **argv, struct egmfs_ctx *ctx);
int cmd_show(int argc, char **argv, struct egmfs_ctx *ctx);
int cmd_regions(int argc, char **argv, struct egmfs_ctx *ctx);
int cmd_create(int argc, char **argv, struct egmfs_ctx *ctx);
int cmd_enable(int argc, char **argv, struct egmfs_ctx *ctx);
int cmd_disable(int argc, char **argv, struct egmfs_ctx *ctx);
int cmd_destroy(int argc, char **argv, struct egmfs_ctx *ctx);
int cmd_retire(int argc, char **argv, struct egmfs_ctx *ctx);
int cmd_save(int argc, char **argv, struct egmfs_ctx *ctx);
int cmd_restore(int argc, char **argv, struct egmfs_ctx *ctx);
int cmd_clear(int argc, char **argv, struct egmfs_ctx *ctx);
int cmd_qemu_args(int argc, char **argv, struct egmfs_ctx *ctx);
int cmd_cdi(int argc, char **argv, struct egmfs_ctx *ctx);
int cmd_help(int argc, char **argv, struct egmfs_ctx *ctx);

/* tmp file beside file, fsync, chmod mode, rename: 0 or -errno */
int write_file_atomic(const char *file, const char *data, mode_t mode);
/* write_file_atomic() of obj's text and a newline; puts obj */
int write_json_file(const char *file, struct json_object *obj, mode_t mode);

/*
 * usage_error() prints "egmfs: <why>" and the command's usage on stderr
 * and returns EGMFS_USAGE; print_help() prints the usage on stdout (for
 * --help) and returns 0.
 */
int usage_error(const char *usage, const char *fmt, ...)
	__printf(2, 3);
int print_help(const char *usage);

/*
 * A command's option handler: gets each option character but 'h' with
 * its argument (NULL for a flag); returns 0 or usage_error()'s value.
 */
typedef int (*opt_fn)(int c, const char *arg, void *data);

/*
 * The option loop of a command (argv[0] is its name): getopt_long() over
 * argv, each option handed to fn; -h/--help prints usage, an unknown
 * option or a missing argument is the usage error "<command>: bad option
 * '<arg>'". Returns 0 with optind at the first operand, EGMFS_HELP, or
 * EGMFS_USAGE.
 */
int parse_opts(int argc, char **argv, const char *shortopts,
	       const struct option *longopts, const char *usage,
	       opt_fn fn, void *data);
/* The usage error "<command>: unexpected argument" if an operand is left. */
int no_operands(int argc, char **argv, const char *usage);
/* The one operand NAME of show and qemu-args, or the usage error. */
int name_operand(int argc, char **argv, const char *usage, const char **name);
/* opt_fn for a lone flag (data: a bool) or string option (a const char *) */
int opt_flag(int c, const char *arg, void *flag);
int opt_string(int c, const char *arg, void *str);
/* the options of a command that has none but --help ("h") */
extern const struct option help_opts[];
/* parse_opts() for the read commands: --json and --help */
int read_opts(int argc, char **argv, const char *usage, bool *json);

/*
 * The JSON form of an instance: the file format, plus the runtime fields
 * of 'list --json' when ctx is given.
 */
struct json_object *inst_to_json(const struct egmfs_inst *inst,
				 struct egmfs_ctx *ctx);
/* A JSON array of inst_to_json() of each of the n instances of v. */
struct json_object *insts_to_json(const struct egmfs_inst *v, size_t n,
				  struct egmfs_ctx *ctx);
int print_json(struct json_object *obj);

#endif
