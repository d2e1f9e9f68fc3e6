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

#include <linux/bitmap.h>
#include <linux/io.h>
#include <linux/ioport.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>

#include "egm.h"

/*
 * Faults and read/write check the retired set (and the revoked flag)
 * inside read sections of egm_srcu; retire and revoke wait for them.
 */
DEFINE_SRCU(egm_srcu);

static unsigned long egm_block(phys_addr_t phys)
{
	return phys >> EGM_BLOCK_SHIFT;
}

/* Blocks the region touches: the size of its poisoned bitmap. */
static unsigned long egm_region_blocks(const struct egm_region *region)
{
	return egm_block(region->base + region->size - 1) -
	       egm_block(region->base) + 1;
}

/*
 * Record one block; 1 if new, 0 if already retired, or -errno. With
 * @zapping the entry stays hidden from listings and counts until
 * egm_retired_publish(), but faults already refuse it.
 */
static int egm_retired_add(struct egm_region *region, unsigned long block,
			   enum egm_retire_source src, bool zapping)
{
	unsigned long val = src | (zapping ? EGM_RETIRE_ZAPPING : 0);
	int ret;

	xa_lock(&region->retired);
	ret = __xa_insert(&region->retired, block, xa_mk_value(val),
			  GFP_KERNEL);
	if (!ret && !zapping)
		region->nr_retired++;
	xa_unlock(&region->retired);
	if (ret == -EBUSY)
		return 0;
	return ret ? ret : 1;
}

static void egm_retired_publish(struct egm_region *region, unsigned long block,
				enum egm_retire_source src)
{
	xa_lock(&region->retired);
	__xa_store(&region->retired, block, xa_mk_value(src), GFP_ATOMIC);
	region->nr_retired++;
	xa_unlock(&region->retired);
}

/* Listed and counted: recorded and zapped. */
static bool egm_retired_visible(void *entry)
{
	return !(xa_to_value(entry) & EGM_RETIRE_ZAPPING);
}

/* Bytes of block @block that fall inside [start, start + len). */
static u64 egm_block_overlap(unsigned long block, phys_addr_t start, u64 len)
{
	phys_addr_t b0 = (phys_addr_t)block << EGM_BLOCK_SHIFT;
	phys_addr_t lo = max(b0, start);
	phys_addr_t hi = min(b0 + EGM_BLOCK_SIZE, start + len);

	return hi > lo ? hi - lo : 0;
}

static int egm_block_cmp(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a;
	unsigned long y = *(const unsigned long *)b;

	return x < y ? -1 : x > y;
}

/*
 * Map @len bytes of the table @t, which must lie in memory that is not
 * System RAM; NULL with a warning otherwise.
 */
static __le64 *egm_table_remap(struct egm_region *region,
			       const struct egm_fw_table *t, size_t len)
{
	__le64 *map;

	if (!IS_ALIGNED(t->addr, sizeof(u64)) ||
	    region_intersects(t->addr, len, IORESOURCE_SYSTEM_RAM,
			      IORES_DESC_NONE) != REGION_DISJOINT) {
		pr_warn("%s: retired table of %s at %pa is not (all) in reserved memory, ignored\n",
			region->name, dev_name(t->dev), &t->addr);
		return NULL;
	}
	map = memremap(t->addr, len, MEMREMAP_WB);
	if (!map)
		pr_warn("%s: cannot map the retired table of %s at %pa, ignored\n",
			region->name, dev_name(t->dev), &t->addr);
	return map;
}

/*
 * Map the whole of a firmware table: u64 count; u64 addr[count], little
 * endian, in memory that must not be System RAM. Returns the mapping
 * and sets *@count (clamped to EGM_RETIRED_MAX), or NULL with a warning
 * (or silently for count 0).
 */
static __le64 *egm_table_map(struct egm_region *region,
			     const struct egm_fw_table *t, u64 *count)
{
	__le64 *map = egm_table_remap(region, t, sizeof(u64));

	if (!map)
		return NULL;
	*count = le64_to_cpu(map[0]);
	memunmap(map);
	if (!*count)
		return NULL;
	if (*count > EGM_RETIRED_MAX) {
		pr_warn("%s: retired table claims %llu entries, reading the first %u (%s at %pa)\n",
			region->name, *count, EGM_RETIRED_MAX,
			dev_name(t->dev), &t->addr);
		*count = EGM_RETIRED_MAX;
	}
	return egm_table_remap(region, t, (*count + 1) * sizeof(u64));
}

/*
 * Read one table into @blocks (room for EGM_RETIRED_MAX): the distinct
 * blocks of its entries that lie in the region, sorted. Entries outside
 * the region and repeated blocks cost a warning. Returns their number.
 */
static unsigned int egm_table_read(struct egm_region *region,
				   const struct egm_fw_table *t,
				   unsigned long *blocks)
{
	unsigned int n = 0, i, outside = 0, dups = 0;
	u64 count = 0, e;
	__le64 *map;

	map = egm_table_map(region, t, &count);
	if (!map)
		return 0;
	for (e = 1; e <= count; e++) {
		unsigned long block = egm_block(le64_to_cpu(map[e]));

		if (egm_block_overlap(block, region->base, region->size))
			blocks[n++] = block;
		else
			outside++;
	}
	memunmap(map);

	sort(blocks, n, sizeof(*blocks), egm_block_cmp, NULL);
	for (e = 0, i = 0; e < n; e++) {
		if (i && blocks[i - 1] == blocks[e])
			dups++;
		else
			blocks[i++] = blocks[e];
	}
	if (outside || dups)
		pr_warn("%s: retired table: skipped %u entries outside the region and %u duplicates (%s at %pa)\n",
			region->name, outside, dups, dev_name(t->dev), &t->addr);
	return i;
}

/*
 * The firmware tables of the region: every GPU of a socket carries its
 * own copy, so the retired set is their union. Copies that disagree are
 * worth one line: firmware usually writes them identically. Problems
 * cost a warning, never the region.
 */
void egm_retired_load_tables(struct egm_region *region)
{
	unsigned int i, e, n, n0 = 0, added = 0;
	unsigned long *first, *blocks;
	bool differ = false;

	if (!region->nr_tables)
		return;
	first = kvmalloc_array(2 * EGM_RETIRED_MAX, sizeof(*first), GFP_KERNEL);
	if (!first) {
		pr_warn("%s: no memory to read the retired tables, ignored\n",
			region->name);
		return;
	}
	blocks = first + EGM_RETIRED_MAX;
	for (i = 0; i < region->nr_tables; i++) {
		n = egm_table_read(region, &region->tables[i],
				   i ? blocks : first);
		if (!i)
			n0 = n;
		else if (n != n0 || memcmp(first, blocks, n * sizeof(*blocks)))
			differ = true;
		for (e = 0; e < n; e++)
			if (egm_retired_add(region, i ? blocks[e] : first[e],
					    EGM_RETIRE_FIRMWARE, false) > 0)
				added++;
	}
	kvfree(first);
	if (differ)
		pr_info("%s: the %u retired tables of its GPUs differ; using their union\n",
			region->name, region->nr_tables);
	pr_info("%s: retired table: %u blocks from %u table%s\n",
		region->name, added, region->nr_tables,
		region->nr_tables == 1 ? "" : "s");
}

/*
 * The largest entry a fault may have inserted. Zapping a part of a huge
 * entry would make the kernel split it, and splitting a PUD needs the
 * mmap lock of an mm we do not hold (a WARNING on 6.12); zap the whole
 * entry and let faults map around the hole again.
 */
static unsigned long egm_zap_granule(void)
{
	if (EGM_HUGE_PUD)
		return PUD_SIZE;
	if (EGM_HUGE_PMD)
		return PMD_SIZE;
	return PAGE_SIZE;
}

/*
 * Remove [phys, phys + len) of @region, widened to the huge entries that
 * may cover it, from every user mapping.
 */
static void egm_zap(struct egm_region *region, phys_addr_t phys, u64 len)
{
	unsigned long granule = egm_zap_granule();
	phys_addr_t start = max(ALIGN_DOWN(phys, granule), region->base);
	phys_addr_t end = min(ALIGN(phys + len, granule),
			      region->base + region->size);

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

	ret = egm_retired_add(region, block, src, true);
	if (ret < 0)
		return ret;
	/* Recorded and zapped before: nothing to do. */
	if (!ret && egm_retired_visible(xa_load(&region->retired, block)))
		return 0;
	/*
	 * Faults that missed the record have inserted by now: zap them.
	 * Recorded by a concurrent retire that may not have zapped yet: zap
	 * too, so that we return only once the block is gone from every
	 * mapping, as our caller expects.
	 */
	synchronize_srcu(&egm_srcu);
	egm_zap(region, start, EGM_BLOCK_SIZE);
	if (!ret)
		return 0;
	egm_retired_publish(region, block, src);
	pr_warn("%s: retired block %pa (%s)\n", region->name, &start,
		egm_retire_names[src]);
	return 0;
}

static bool egm_poisoned_any(struct egm_region *region, unsigned long first,
			     unsigned long last)
{
	unsigned long base = egm_block(region->base);

	if (!region->poisoned)
		return false;
	first = max(first, base) - base;
	last = min(last, egm_block(region->base + region->size - 1)) - base;
	return find_next_bit(region->poisoned, last + 1, first) <= last;
}

/* Whether any block touching [phys, phys + len) must not be mapped. */
bool egm_retired_any(struct egm_region *region, phys_addr_t phys, u64 len)
{
	unsigned long first = egm_block(phys), last, block = first;

	if (!len)
		return false;
	last = egm_block(phys + len - 1);
	return xa_find(&region->retired, &block, last, XA_PRESENT) ||
	       egm_poisoned_any(region, first, last);
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
		if (egm_retired_visible(entry))
			bytes += egm_block_overlap(block, start, len);
	return bytes >> PAGE_SHIFT;
}

/**
 * egm_retired_list() - the retired blocks as text, one line a block
 * @region: the region
 * @buf: where to write, or NULL to learn the length
 * @size: room in @buf
 *
 * Lines "0x<block address> <origin>\n", sorted by address; "\n" when
 * there are none. configfs sizes the buffer with a first call (@buf NULL)
 * and fills it with a second: a block retired in between may not fit,
 * so only whole lines are written and the rest of @buf is padded with
 * newlines (blocks are never un-retired, so the list only grows).
 *
 * Return: the length of the list (@buf NULL), else @size.
 */
ssize_t egm_retired_list(struct egm_region *region, char *buf, size_t size)
{
	char line[EGM_RETIRED_LINE_MAX];
	unsigned long block;
	size_t len = 0;
	void *entry;
	int n;

	xa_for_each(&region->retired, block, entry) {
		if (!egm_retired_visible(entry))
			continue;
		n = scnprintf(line, sizeof(line), "%#llx %s\n",
			      (u64)block << EGM_BLOCK_SHIFT,
			      egm_retire_names[xa_to_value(entry) &
					       ~EGM_RETIRE_ZAPPING]);
		if (buf) {
			if (len + n > size)
				break;
			memcpy(buf + len, line, n);
		}
		len += n;
	}
	if (!buf)
		return len ? len : 1;
	memset(buf + len, '\n', size - len);
	return size;
}

/**
 * egm_retired_ranges() - the retired ranges of an extent
 * @region: the region
 * @start: physical start of the extent
 * @len: length of the extent
 * @uranges: user array of at least @cap entries
 * @cap: capacity of @uranges
 * @count: out: ranges needed, which may exceed @cap
 * @coalesce: merge adjacent blocks into one range (EGM_IOCTL_RETIRED);
 *	      else one range per block (downstream's EGM_BAD_PAGES_LIST)
 *
 * Ranges are relative to @start and clipped to the extent. Only the
 * first @cap are written.
 *
 * Return: 0 or -EFAULT.
 */
int egm_retired_ranges(struct egm_region *region, phys_addr_t start, u64 len,
		       struct egm_range __user *uranges, u32 cap, u32 *count,
		       bool coalesce)
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

		if (!egm_retired_visible(entry))
			continue;
		if (coalesce && cur.size && cur.offset + cur.size == lo) {
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

/*
 * Memory errors. The kernel calls egm_pfn_to_vma_pgoff() for each VMA
 * of each early-kill task mapping the region, under the i_mmap lock and
 * RCU: it may neither sleep nor allocate. It marks the block in the
 * preallocated bitmap (which faults already honour) and leaves the
 * recording, zapping and logging to egm_poison_work().
 */
static void egm_poison_work(struct work_struct *work)
{
	struct egm_region *region = container_of(work, struct egm_region,
						 poison_work);
	unsigned long bit;

	for_each_set_bit(bit, region->poisoned, egm_region_blocks(region)) {
		phys_addr_t phys = (phys_addr_t)(egm_block(region->base) + bit) <<
				   EGM_BLOCK_SHIFT;

		if (egm_retire(region, max(phys, region->base),
			       EGM_RETIRE_POISON))
			pr_err("%s: cannot record poisoned block %pa\n",
			       region->name, &phys);
		else
			clear_bit(bit, region->poisoned);
	}
}

#if EGM_MEMORY_FAILURE
static int egm_pfn_to_vma_pgoff(struct vm_area_struct *vma,
				unsigned long pfn, pgoff_t *pgoff)
{
	struct egm_file *ef = vma->vm_private_data;
	struct egm_region *region = ef->region;
	unsigned long first = PHYS_PFN(region->base);
	pgoff_t off;

	if (pfn < first || pfn - first >= region->size >> PAGE_SHIFT)
		return -EINVAL;
	off = pfn - first;
	if (!test_and_set_bit(egm_block(PFN_PHYS(pfn)) -
			      egm_block(region->base), region->poisoned))
		queue_work(system_long_wq, &region->poison_work);
	if (off < vma->vm_pgoff || off - vma->vm_pgoff >= vma_pages(vma))
		return -EFAULT;
	*pgoff = off;
	return 0;
}

static int egm_poison_register(struct egm_region *region)
{
	struct pfn_address_space *space = &region->pfn_space;
	int ret;

	space->node.start = PHYS_PFN(region->base);
	space->node.last = PHYS_PFN(region->base + region->size) - 1;
	space->mapping = region->inode->i_mapping;
	space->pfn_to_vma_pgoff = egm_pfn_to_vma_pgoff;
	ret = register_pfn_address_space(space);
	if (ret)
		pr_warn("%s: memory errors will not be reported: %d\n",
			region->name, ret);
	return ret;
}

static void egm_poison_unregister(struct egm_region *region)
{
	unregister_pfn_address_space(&region->pfn_space);
}
#else
static int egm_poison_register(struct egm_region *region)
{
	return -EOPNOTSUPP;
}

static void egm_poison_unregister(struct egm_region *region)
{
}
#endif

int egm_poison_init(struct egm_region *region)
{
	INIT_WORK(&region->poison_work, egm_poison_work);
	if (!EGM_MEMORY_FAILURE)
		return 0;
	region->poisoned = bitmap_zalloc(egm_region_blocks(region), GFP_KERNEL);
	if (!region->poisoned)
		return -ENOMEM;
	if (egm_poison_register(region)) {
		bitmap_free(region->poisoned);
		region->poisoned = NULL;
	}
	return 0;
}

/*
 * After unregistering, no callback runs or will run (the kernel calls
 * them under the lock that unregistering takes); then the work is the
 * last user of the bitmap.
 */
void egm_poison_exit(struct egm_region *region)
{
	if (!region->poisoned)
		return;
	egm_poison_unregister(region);
	cancel_work_sync(&region->poison_work);
	bitmap_free(region->poisoned);
	region->poisoned = NULL;
}
