/* SPDX-License-Identifier: GPL-2.0 */
/*
 * egmfs: value parsing and formatting shared by every command.
 *
 * The parsers accept exactly the input grammar of
 * Documentation/ABI/testing/configfs-egm, so that a value
 * egmfs accepts is one the kernel accepts too; egmfs then writes the
 * normalised form (decimal bytes, four-digit octal mode).
 */
#ifndef EGMFS_UTIL_H
#define EGMFS_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef uint64_t u64;
typedef uint32_t u32;
typedef int64_t s64;

/* The kernel's __printf(); userspace headers lack it. */
#define __printf(a, b)		__attribute__((format(printf, a, b)))

#define EGMFS_NAME_MAX		32
#define EGMFS_ID_MAX		4294967294ULL
#define EGMFS_MODE_MAX		0777
#define EGMFS_BLOCK_SIZE	(64ULL << 10)

#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))

int parse_size(const char *s, u64 *val);
int parse_id(const char *s, u32 *val);
int parse_mode(const char *s, unsigned int *val);
int parse_scrub(const char *s);
bool valid_name(const char *s);
bool valid_region_name(const char *s);

/* "4M", "1G", "12288" -> shortest exact form: 4M, 1G, 12K */
const char *fmt_size(u64 v, char *buf, size_t len);

/* copy with truncation check: -E2BIG if src did not fit */
ssize_t strscpy(char *dst, const char *src, size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);
char *xstrdup(const char *s);

#endif
