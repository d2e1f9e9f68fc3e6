/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by the test helpers: the kernel's page-table memory, system-wide
 * (PageTables) and of the calling process (VmPTE).
 */
#ifndef EGM_HELPERS_MEMINFO_H
#define EGM_HELPERS_MEMINFO_H

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

/*
 * PageTables from /proc/meminfo in kB, after folding the per-CPU
 * counters (vm/stat_refresh), or -1.
 */
static inline long page_tables_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f;
	int fd;

	fd = open("/proc/sys/vm/stat_refresh", O_WRONLY);
	if (fd >= 0) {
		if (write(fd, "1", 1) < 0)
			kb = -1;
		close(fd);
	}
	f = fopen("/proc/meminfo", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "PageTables: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/*
 * VmPTE of the calling process in kB (its page tables, counted
 * exactly and at once, unlike the batched system-wide PageTables), or -1.
 */
static inline long vm_pte_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmPTE: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

#endif
