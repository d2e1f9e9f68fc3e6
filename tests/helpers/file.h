/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by the test helpers: whole-file reads and single-write(2)
 * writes of small (configfs, sysfs) files.
 */
#ifndef EGM_HELPERS_FILE_H
#define EGM_HELPERS_FILE_H

#include <errno.h>
#include <fcntl.h>
#include <sys/types.h>
#include <unistd.h>

/*
 * Read up to @size - 1 bytes of @path into @buf, NUL terminated (empty
 * on error). Returns the length or -errno.
 */
static inline ssize_t read_file(const char *path, char *buf, size_t size)
{
	ssize_t n;
	int fd = open(path, O_RDONLY);

	buf[0] = '\0';
	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	if (n < 0)
		n = -errno;
	close(fd);
	buf[n < 0 ? 0 : n] = '\0';
	return n;
}

/*
 * One write(2) of @len bytes to @path, so that configfs sees them in a
 * single store. Returns the count written or -errno.
 */
static inline ssize_t write_file(const char *path, const void *buf, size_t len)
{
	ssize_t n;
	int fd = open(path, O_WRONLY);

	if (fd < 0)
		return -errno;
	n = write(fd, buf, len);
	if (n < 0)
		n = -errno;
	close(fd);
	return n;
}

#endif
