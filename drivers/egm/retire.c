// SPDX-License-Identifier: GPL-2.0
/*
 * egm: retired blocks.
 *
 * Firmware, the administrator (retire) and memory errors withhold
 * 64 KiB blocks, physically aligned, whatever the kernel's page size.
 * They live in the region's xarray, keyed by phys >> EGM_BLOCK_SHIFT,
 * valued with their source. A block is recorded before the mappings
 * are zapped, and faults check the xarray inside an egm_srcu section,
 * so nothing re-maps a block once it is retired.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/io.h>
#include <linux/ioport.h>
#include <linux/mm.h>
#include <linux/sysfs.h>
#include <linux/uaccess.h>

#include "egm.h"

/* A 64K-page kernel keeps one block per page; bigger pages break that. */
static_assert(PAGE_SIZE <= EGM_BLOCK_SIZE);

static const char *const egm_retire_names[] = {
	[EGM_RETIRE_FIRMWARE] = "firmware",
	[EGM_RETIRE_RUNTIME] = "runtime",
	[EGM_RETIRE_POISON] = "poison",
};

static unsigned long egm_block(phys_addr_t phys)
{
	return phys >> EGM_BLOCK_SHIFT;
}

/* Record one block; 1 if new, 0 if already retired, or -errno. */
static int egm_retired_add(struct egm_region *region, unsigned long block,
			   enum egm_retire_source src)
{
	int ret;

	xa_lock(&region->retired);
	ret = __xa_insert(&region->retired, block, xa_mk_value(src),
			  GFP_KERNEL);
	if (!ret)
		region->nr_retired++;
	xa_unlock(&region->retired);
	if (ret == -EBUSY)
		return 0;
	return ret ? ret : 1;
}

/* Bytes of block @block that fall inside [start, start + len). */
static u64 egm_block_overlap(unsigned long block, phys_addr_t start, u64 len)
{
	phys_addr_t b0 = (phys_addr_t)block << EGM_BLOCK_SHIFT;
	phys_addr_t lo = max(b0, start);
	phys_addr_t hi = min(b0 + EGM_BLOCK_SIZE, start + len);

	return hi > lo ? hi - lo : 0;
}

/*
 * The firmware table: u64 count; u64 addr[count], little endian, in
 * memory that must not be System RAM. Problems cost a warning, never
 * the region.
 */
void egm_retired_load_table(struct egm_region *region)
{
	phys_addr_t table = region->retired_table;
	unsigned int added = 0, outside = 0, dups = 0;
	u64 count, i, addr, block;
	__le64 *map;
	size_t len;
	int ret;

	if (!table)
		return;
	if (!IS_ALIGNED(table, sizeof(u64)) ||
	    region_intersects(table, sizeof(u64), IORESOURCE_SYSTEM_RAM,
			      IORES_DESC_NONE) != REGION_DISJOINT) {
		pr_warn("%s: retired table at %pa is not in reserved memory, ignored\n",
			region->name, &table);
		return;
	}
	map = memremap(table, sizeof(u64), MEMREMAP_WB);
	if (!map) {
		pr_warn("%s: cannot map the retired table at %pa, ignored\n",
			region->name, &table);
		return;
	}
	count = le64_to_cpu(map[0]);
	memunmap(map);
	if (!count)
		return;
	if (count > EGM_RETIRED_MAX) {
		pr_warn("%s: retired table claims %llu entries, reading the first %u\n",
			region->name, count, EGM_RETIRED_MAX);
		count = EGM_RETIRED_MAX;
	}

	len = (count + 1) * sizeof(u64);
	if (region_intersects(table, len, IORESOURCE_SYSTEM_RAM,
			      IORES_DESC_NONE) != REGION_DISJOINT) {
		pr_warn("%s: retired table at %pa runs into System RAM, ignored\n",
			region->name, &table);
		return;
	}
	map = memremap(table, len, MEMREMAP_WB);
	if (!map) {
		pr_warn("%s: cannot map the retired table at %pa, ignored\n",
			region->name, &table);
		return;
	}
	for (i = 1; i <= count; i++) {
		addr = le64_to_cpu(map[i]);
		block = egm_block(addr);
		if (!egm_block_overlap(block, region->base, region->size)) {
			outside++;
			continue;
		}
		ret = egm_retired_add(region, block, EGM_RETIRE_FIRMWARE);
		if (ret < 0)
			break;
		if (ret)
			added++;
		else
			dups++;
	}
	memunmap(map);
	if (outside || dups)
		pr_warn("%s: retired table: skipped %u entries outside the region and %u duplicates\n",
			region->name, outside, dups);
	pr_info("%s: retired table: %u blocks from %llu entries\n",
		region->name, added, count);
}

/* Remove [phys, phys + len) of @region from every user mapping. */
void egm_zap(struct egm_region *region, phys_addr_t phys, u64 len)
{
	phys_addr_t start = max(phys, region->base);
	phys_addr_t end = min(phys + len, region->base + region->size);

	if (end > start)
		unmap_mapping_range(region->inode->i_mapping,
				    start - region->base, end - start, 1);
}

/**
 * egm_retire() - withhold the block holding @phys from every user
 * @region: region that contains @phys
 * @phys: any address inside the block
 * @src: who asks
 *
 * Callable from process context; a memory-failure handler defers here.
 * Retiring a retired block again succeeds and changes nothing.
 *
 * Return: 0 or -errno.
 */
int egm_retire(struct egm_region *region, phys_addr_t phys,
	       enum egm_retire_source src)
{
	unsigned long block = egm_block(phys);
	phys_addr_t start = (phys_addr_t)block << EGM_BLOCK_SHIFT;
	int ret;

	ret = egm_retired_add(region, block, src);
	if (ret <= 0)
		return ret;
	/* Faults that missed the record have inserted by now: zap them. */
	synchronize_srcu(&egm_srcu);
	egm_zap(region, start, EGM_BLOCK_SIZE);
	pr_warn("%s: retired block %pa (%s)\n", region->name, &start,
		egm_retire_names[src]);
	return 0;
}

bool egm_retired_any(struct egm_region *region, phys_addr_t phys, u64 len)
{
	unsigned long block = egm_block(phys);

	if (!len)
		return false;
	return xa_find(&region->retired, &block, egm_block(phys + len - 1),
		       XA_PRESENT);
}

u64 egm_retired_pages(struct egm_region *region, phys_addr_t start, u64 len)
{
	unsigned long block;
	u64 bytes = 0;
	void *entry;

	if (!len)
		return 0;
	xa_for_each_range(&region->retired, block, entry, egm_block(start),
			  egm_block(start + len - 1))
		bytes += egm_block_overlap(block, start, len);
	return bytes >> PAGE_SHIFT;
}

/* One line a block, as many as fit in the page; sorted by address. */
ssize_t egm_retired_show(struct egm_region *region, char *page)
{
	unsigned long block;
	ssize_t len = 0, n;
	void *entry;

	xa_for_each(&region->retired, block, entry) {
		n = sysfs_emit_at(page, len, "%#llx %s\n",
				  (u64)block << EGM_BLOCK_SHIFT,
				  egm_retire_names[xa_to_value(entry)]);
		if (!n)
			break;
		len += n;
	}
	if (!len)
		len = sysfs_emit(page, "\n");
	return len;
}

/**
 * egm_retired_ranges() - retired ranges of an extent, coalesced
 * @region: the region
 * @start: physical start of the extent
 * @len: length of the extent
 * @uranges: user array of at least @cap entries
 * @cap: capacity of @uranges
 * @count: out: ranges needed, which may exceed @cap
 *
 * Ranges are relative to @start and clipped to the extent. Only the
 * first @cap are written.
 *
 * Return: 0 or -EFAULT.
 */
int egm_retired_ranges(struct egm_region *region, phys_addr_t start, u64 len,
		       struct egm_range __user *uranges, u32 cap, u32 *count)
{
	struct egm_range cur = { .size = 0 };
	unsigned long block;
	u32 n = 0;
	void *entry;

	if (!len)
		goto out;
	xa_for_each_range(&region->retired, block, entry, egm_block(start),
			  egm_block(start + len - 1)) {
		phys_addr_t b0 = (phys_addr_t)block << EGM_BLOCK_SHIFT;
		u64 lo = max(b0, start) - start;
		u64 sz = egm_block_overlap(block, start, len);

		if (cur.size && cur.offset + cur.size == lo) {
			cur.size += sz;
			continue;
		}
		if (cur.size && n < cap &&
		    copy_to_user(&uranges[n], &cur, sizeof(cur)))
			return -EFAULT;
		if (cur.size)
			n++;
		cur.offset = lo;
		cur.size = sz;
	}
	if (cur.size) {
		if (n < cap && copy_to_user(&uranges[n], &cur, sizeof(cur)))
			return -EFAULT;
		n++;
	}
out:
	*count = n;
	return 0;
}
