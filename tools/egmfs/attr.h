/* SPDX-License-Identifier: GPL-2.0 */
/*
 * egmfs: configfs attribute I/O.
 *
 * Every function returns 0 (or a length) on success and -errno on
 * failure, so that callers can report the kernel's reason with
 * strerror(-ret).
 */
#ifndef EGMFS_ATTR_H
#define EGMFS_ATTR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* Largest attribute configfs returns (one page) plus a NUL. */
#define EGMFS_ATTR_MAX	4097

int attr_path(char *buf, size_t len, const char *dir, const char *name);

/*
 * Read dir/name into buf (NUL terminated), removing the one trailing
 * newline every egm attribute ends with. Returns the length.
 */
int attr_read(const char *dir, const char *name, char *buf, size_t len);
/*
 * The same for lists that can exceed a page (retired): *out is malloc'd
 * and grows as needed; free() it.
 */
int attr_read_alloc(const char *dir, const char *name, char **out);
int attr_read_u64(const char *dir, const char *name, u64 *val);
int attr_read_s64(const char *dir, const char *name, s64 *val);

/*
 * Write val plus a newline to dir/name in a single write(2), as configfs
 * needs. With create (a fake tree of the tests only) a missing file is
 * created; on configfs a missing attribute fails with ENOENT.
 */
int attr_write(const char *dir, const char *name, const char *val,
	       bool create);

/*
 * Sorted names of the subdirectories of dir. *names is a NULL terminated
 * array to release with free_names().
 */
int list_dirs(const char *dir, char ***names);
void free_names(char **names);

#endif
