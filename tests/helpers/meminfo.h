/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by the test helpers: the kernel's page-table memory, system-wide
 * (PageTables) and of the calling process (VmPTE).
 */
#ifndef EGM_HELPERS_MEMINFO_H
#define EGM_HELPERS_MEMINFO_H

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* The "@key: N kB" line of @path (a /proc file) in kB, or -1. */
static inline long proc_kb(const char *path, const char *key)
{
	char line[256];
	size_t klen = strlen(key);
	long kb = -1;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, klen) && line[klen] == ':' &&
		    sscanf(line + klen + 1, "%ld", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/*
 * PageTables from /proc/meminfo in kB, after folding the per-CPU
 * counters (vm/stat_refresh), or -1.
 */
static inline long page_tables_kb(void)
{
	int fd = open("/proc/sys/vm/stat_refresh", O_WRONLY);

	if (fd >= 0) {
		/* without the fold the counters are only less exact */
		ssize_t r = write(fd, "1", 1);

		(void)r;
		close(fd);
	}
	return proc_kb("/proc/meminfo", "PageTables");
}

/*
 * VmPTE of the calling process in kB (its page tables, counted
 * exactly and at once, unlike the batched system-wide PageTables), or -1.
 */
static inline long vm_pte_kb(void)
{
	return proc_kb("/proc/self/status", "VmPTE");
}

#endif
