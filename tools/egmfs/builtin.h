/* SPDX-License-Identifier: GPL-2.0 */
/*
 * egmfs: one cmd_<verb>() per command, as in daxctl.
 *
 * A command returns 0 on success, EGMFS_USAGE for a bad command line
 * (after printing why and its usage) and any other negative value for a
 * failure it has already reported. main() alone turns that into the exit
 * status: 0, 2 and 1.
 */
#ifndef EGMFS_BUILTIN_H
#define EGMFS_BUILTIN_H

#include <json-c/json.h>
#include <sys/types.h>

#include "egm.h"

#define EGMFS_USAGE	(-10000)
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

/*
 * usage_error() prints "egmfs: <why>" and the command's usage on stderr
 * and returns EGMFS_USAGE; print_help() prints the usage on stdout (for
 * --help) and returns 0.
 */
int usage_error(const char *usage, const char *fmt, ...)
	__printf(2, 3);
int print_help(const char *usage);

/*
 * The JSON form of an instance: the file format, plus the runtime fields
 * of 'list --json' when ctx is given.
 */
struct json_object *inst_to_json(const struct egmfs_inst *inst,
				 struct egmfs_ctx *ctx);
int print_json(struct json_object *obj);

#endif
