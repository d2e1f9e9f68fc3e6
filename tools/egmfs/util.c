// SPDX-License-Identifier: GPL-2.0
/*
 * egmfs: value parsing and formatting.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * [0-9]+ (decimal, leading zeros included) or 0[xX][0-9a-fA-F]+, then
 * at most one of KMGTkmgt (powers of 1024). Overflow is an error.
 */
static int parse_number(const char *s, u64 *val, bool suffix)
{
	static const char units[] = "kmgt";	/* powers of 1024 */
	unsigned int base = 10, shift = 0;
	const char *p = s, *unit;
	u64 v = 0;
	int d, digits = 0;

	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	}
	for (; *p; p++) {
		d = base == 16 ? hexval(*p) : (*p >= '0' && *p <= '9' ? *p - '0' : -1);
		if (d < 0)
			break;
		if (v > (UINT64_MAX - d) / base)
			return -ERANGE;
		v = v * base + d;
		digits++;
	}
	if (!digits)
		return -EINVAL;
	if (*p && suffix) {
		unit = strchr(units, tolower((unsigned char)*p));
		if (!unit)
			return -EINVAL;
		shift = 10 * (unit - units + 1);
		p++;
	}
	if (*p)
		return -EINVAL;
	if (shift && v > (UINT64_MAX >> shift))
		return -ERANGE;
	*val = v << shift;
	return 0;
}

int parse_size(const char *s, u64 *val)
{
	return parse_number(s, val, true);
}

int parse_id(const char *s, u32 *val)
{
	u64 v;
	int ret;

	ret = parse_number(s, &v, false);
	if (ret)
		return ret;
	if (v > EGMFS_ID_MAX)
		return -ERANGE;
	*val = v;
	return 0;
}

/* [0-7]{1,4}, always octal, at most 0777 */
int parse_mode(const char *s, unsigned int *val)
{
	unsigned int v = 0;
	size_t i, len = strlen(s);

	if (len < 1 || len > 4)
		return -EINVAL;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '7')
			return -EINVAL;
		v = v * 8 + (s[i] - '0');
	}
	/* 0 is refused by the driver: devtmpfs would make it 0600 */
	if (!v || v > EGMFS_MODE_MAX)
		return -ERANGE;
	*val = v;
	return 0;
}

/* 1 for "zero", 0 for "none", -EINVAL otherwise */
int parse_scrub(const char *s)
{
	if (!strcmp(s, "zero"))
		return 1;
	if (!strcmp(s, "none"))
		return 0;
	return -EINVAL;
}

/* [A-Za-z0-9_.-]{1,32}, not starting with '.' or '-' */
bool valid_name(const char *s)
{
	size_t i, len = strlen(s);

	if (len < 1 || len > EGMFS_NAME_MAX || s[0] == '.' || s[0] == '-')
		return false;
	for (i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-'))
			return false;
	}
	return true;
}

/* a path component that can name a region group */
bool valid_region_name(const char *s)
{
	return valid_name(s);
}

const char *fmt_size(u64 v, char *buf, size_t len)
{
	static const char units[] = "KMGT";
	int i;

	for (i = 3; i >= 0; i--) {
		u64 unit = 1ULL << (10 * (i + 1));

		if (v && v % unit == 0) {
			snprintf(buf, len, "%llu%c",
				 (unsigned long long)(v / unit), units[i]);
			return buf;
		}
	}
	snprintf(buf, len, "%llu", (unsigned long long)v);
	return buf;
}

ssize_t strscpy(char *dst, const char *src, size_t size)
{
	size_t len = strnlen(src, size);

	if (!size)
		return -E2BIG;
	if (len == size) {
		memcpy(dst, src, size - 1);
		dst[size - 1] = '\0';
		return -E2BIG;
	}
	memcpy(dst, src, len + 1);
	return len;
}

/* Allocation failure: nothing sensible to do but stop. */
static void *nonnull(void *p)
{
	if (!p) {
		fputs("egmfs: out of memory\n", stderr);
		exit(1);
	}
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	return nonnull(calloc(n ? n : 1, size ? size : 1));
}

void *xrealloc(void *p, size_t size)
{
	return nonnull(realloc(p, size ? size : 1));
}

char *xstrdup(const char *s)
{
	return nonnull(strdup(s));
}
