// SPDX-License-Identifier: GPL-2.0
/*
 * egmfs: configfs attribute I/O.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "attr.h"
#include "util.h"

int attr_path(char *buf, size_t len, const char *dir, const char *name)
{
	int n = snprintf(buf, len, "%s/%s", dir, name);

	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	return 0;
}

/* Read fd until EOF or len bytes; retries EINTR. Bytes read or -errno. */
static ssize_t read_full(int fd, char *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		n = read(fd, buf + got, len - got);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (!n)
			break;
		got += n;
	}
	return got;
}

static int attr_open(const char *dir, const char *name)
{
	char path[4096];
	int fd, ret;

	ret = attr_path(path, sizeof(path), dir, name);
	if (ret)
		return ret;
	/* configfs hands out one page per read: callers loop (read_full) */
	fd = open(path, O_RDONLY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* NUL-terminate buf after got bytes, dropping one trailing newline. */
static int attr_trim(char *buf, size_t got)
{
	buf[got] = '\0';
	if (got && buf[got - 1] == '\n')
		buf[--got] = '\0';
	return got;
}

int attr_read(const char *dir, const char *name, char *buf, size_t len)
{
	ssize_t got;
	int fd;

	fd = attr_open(dir, name);
	if (fd < 0)
		return fd;
	got = read_full(fd, buf, len - 1);
	close(fd);
	if (got < 0)
		return got;
	if ((size_t)got + 1 >= len)
		return -EOVERFLOW;
	return attr_trim(buf, got);
}

int attr_read_alloc(const char *dir, const char *name, char **out)
{
	size_t cap = EGMFS_ATTR_MAX, got = 0;
	char *buf = NULL;
	ssize_t n;
	int fd;

	fd = attr_open(dir, name);
	if (fd < 0)
		return fd;
	for (;;) {
		buf = xrealloc(buf, cap);
		n = read_full(fd, buf + got, cap - 1 - got);
		if (n < 0)
			break;
		got += n;
		if (got + 1 < cap)
			break;
		if (cap > INT_MAX / 2) {
			n = -EOVERFLOW;
			break;
		}
		cap *= 2;
	}
	close(fd);
	if (n < 0) {
		free(buf);
		return n;
	}
	*out = buf;
	return attr_trim(buf, got);
}

/* A decimal attribute: signed (into *sval) or not (into *uval). */
static int attr_read_num(const char *dir, const char *name, u64 *uval,
			 s64 *sval)
{
	char buf[64], *end;
	int ret;

	ret = attr_read(dir, name, buf, sizeof(buf));
	if (ret < 0)
		return ret;
	if (sval ? !buf[0] : (buf[0] < '0' || buf[0] > '9'))
		return -EPROTO;
	errno = 0;
	if (sval)
		*sval = strtoll(buf, &end, 10);
	else
		*uval = strtoull(buf, &end, 10);
	if (errno || *end)
		return -EPROTO;
	return 0;
}

int attr_read_u64(const char *dir, const char *name, u64 *val)
{
	return attr_read_num(dir, name, val, NULL);
}

int attr_read_s64(const char *dir, const char *name, s64 *val)
{
	return attr_read_num(dir, name, NULL, val);
}

int attr_write(const char *dir, const char *name, const char *val,
	       bool create)
{
	char path[4096], *line;
	size_t len = strlen(val);
	ssize_t n;
	int fd, ret;

	ret = attr_path(path, sizeof(path), dir, name);
	if (ret)
		return ret;
	line = xcalloc(1, len + 2);
	memcpy(line, val, len);
	line[len] = '\n';

	/* configfs never creates files: O_CREAT there turns ENOENT into EACCES */
	if (create)
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	else
		fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		free(line);
		return ret;
	}
	do {
		n = write(fd, line, len + 1);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		ret = -errno;
	else if ((size_t)n != len + 1)
		ret = -EIO;
	/* configfs reports nothing at close, a regular file might. */
	if (close(fd) && !ret)
		ret = -errno;
	free(line);
	return ret;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int list_dirs(const char *dir, char ***names)
{
	size_t n = 0, cap = 16;
	struct dirent *de;
	char **v;
	DIR *d;

	d = opendir(dir);
	if (!d)
		return -errno;
	v = xcalloc(cap + 1, sizeof(*v));
	while ((de = readdir(d))) {
		struct stat st;

		if (de->d_name[0] == '.')
			continue;
		if (de->d_type == DT_UNKNOWN) {
			if (fstatat(dirfd(d), de->d_name, &st, 0) ||
			    !S_ISDIR(st.st_mode))
				continue;
		} else if (de->d_type != DT_DIR) {
			continue;
		}
		if (n == cap) {
			char **nv;

			cap *= 2;
			nv = realloc(v, (cap + 1) * sizeof(*v));
			if (!nv) {
				fputs("egmfs: out of memory\n", stderr);
				exit(1);
			}
			v = nv;
		}
		v[n++] = xstrdup(de->d_name);
	}
	closedir(d);
	v[n] = NULL;
	qsort(v, n, sizeof(*v), cmp_names);
	*names = v;
	return n;
}

void free_names(char **names)
{
	char **p;

	if (!names)
		return;
	for (p = names; *p; p++)
		free(*p);
	free(names);
}
