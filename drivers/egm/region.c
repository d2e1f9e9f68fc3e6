// SPDX-License-Identifier: GPL-2.0
/*
 * egm: discovery and validation of EGM regions.
 *
 * Regions come from ACPI devices carrying the nvidia,egm-* _DSD
 * properties (every GPU of a socket describes the same region) and from
 * the regions= module parameter. Each source adds candidates; a PXM
 * whose descriptions disagree is rejected as a whole; then every
 * surviving candidate is checked and claimed. Bad firmware data costs a
 * log line and the region, never the module.
 *
 * Also here: the extents instances claim in a region, what a region
 * offers (capabilities, page sizes), and the pseudo filesystem whose
 * inodes give each region one address_space.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/acpi.h>
#include <linux/bitmap.h>
#include <linux/cleanup.h>
#include <linux/fs_context.h>
#include <linux/io.h>
#include <linux/ioport.h>
#include <linux/list_sort.h>
#include <linux/module.h>
#include <linux/mount.h>
#include <linux/numa.h>
#include <linux/nodemask.h>
#include <linux/overflow.h>
#include <linux/pci.h>
#include <linux/property.h>
#include <linux/pseudo_fs.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/topology.h>

#include "egm.h"

#define EGM_FS_MAGIC		0x45474d46	/* "EGMF" */

LIST_HEAD(egm_regions);

/* The region named by the @len bytes at @name, or NULL. */
struct egm_region *egm_region_find(const char *name, size_t len)
{
	struct egm_region *region;

	list_for_each_entry(region, &egm_regions, node)
		if (strlen(region->name) == len &&
		    !memcmp(region->name, name, len))
			return region;
	return NULL;
}

/*
 * The names of @n devices, one a line (an empty line for none): the
 * configfs devices and gpus lists, sysfs gpu_devices.
 */
ssize_t egm_dev_names_show(struct device *const *devs, unsigned int n,
			   char *page)
{
	unsigned int i;
	ssize_t len = 0;

	for (i = 0; i < n; i++)
		len += sysfs_emit_at(page, len, "%s\n", dev_name(devs[i]));
	if (!len)
		len = sysfs_emit(page, "\n");
	return len;
}

/* Bytes held neither by enabled instances nor by hand-over scrubs. */
u64 egm_region_avail(struct egm_region *region)
{
	struct egm_instance *inst;
	u64 used = 0;

	guard(mutex)(&region->lock);
	if (region->revoked)
		return 0;
	list_for_each_entry(inst, &region->extents, extent)
		used += inst->rsize;
	list_for_each_entry(inst, &region->handovers, handover_claim)
		used += inst->scrub.size;
	return region->size - used;
}

/* What the build offers: the EGM_INFO_* capabilities a region can have. */
static u32 egm_build_caps(void)
{
	u32 caps = 0;

	if (EGM_HUGE_PMD)
		caps |= EGM_INFO_HUGE_PMD;
	if (EGM_HUGE_PUD)
		caps |= EGM_INFO_HUGE_PUD;
	if (EGM_MEMORY_FAILURE)
		caps |= EGM_INFO_MEMORY_FAILURE;
	return caps;
}

/*
 * What the region offers its users (EGM_INFO_* capability bits): huge
 * mappings where the kernel's walkers understand them, memory errors
 * where the kernel reports them for the region.
 */
u32 egm_region_caps(const struct egm_region *region)
{
	u32 caps = egm_build_caps();

	if (!region->poisoned)
		caps &= ~EGM_INFO_MEMORY_FAILURE;
	return caps;
}

/*
 * The capabilities every region offers (the list is fixed while the
 * module is loaded); without regions, what the build offers.
 */
u32 egm_caps(void)
{
	struct egm_region *region;
	u32 caps = egm_build_caps();

	list_for_each_entry(region, &egm_regions, node)
		caps &= egm_region_caps(region);
	return caps;
}

/* The largest page size an extent at @phys of @size bytes can use. */
unsigned long egm_extent_pagesize(phys_addr_t phys, u64 size)
{
	static const struct {
		bool built;
		unsigned long size;
	} sizes[] = {
		{ EGM_HUGE_PUD, PUD_SIZE },
		{ EGM_HUGE_PMD, PMD_SIZE },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++)
		if (sizes[i].built && IS_ALIGNED(phys, sizes[i].size) &&
		    size >= sizes[i].size)
			return sizes[i].size;
	return PAGE_SIZE;
}

/*
 * Claim [offset, offset + rsize) of @region for @inst. The caller holds
 * the instance lock and has checked that the extent fits.
 */
int egm_region_claim(struct egm_region *region, struct egm_instance *inst)
{
	u64 start = inst->offset, end = inst->offset + inst->rsize;
	struct egm_instance *other;

	lockdep_assert_held(&inst->lock);
	guard(mutex)(&region->lock);
	if (region->revoked)
		return -ENODEV;
	list_for_each_entry(other, &region->extents, extent) {
		if (start < other->offset + other->rsize &&
		    other->offset < end) {
			pr_info("%s: extent overlaps %s\n",
				egm_instance_name(inst),
				egm_instance_name(other));
			return -EBUSY;
		}
	}
	/* A tenant's data still being zeroed is not free either. */
	list_for_each_entry(other, &region->handovers, handover_claim) {
		if (start < other->scrub.offset + other->scrub.size &&
		    other->scrub.offset < end) {
			pr_info("%s: extent overlaps the hand-over scrub of %s\n",
				egm_instance_name(inst),
				egm_instance_name(other));
			return -EBUSY;
		}
	}
	list_add_tail(&inst->extent, &region->extents);
	return 0;
}

/*
 * Every region gets an inode of its own on this internal filesystem.
 * open() points file->f_mapping at it, so all mappings of the region,
 * whichever device node they came through, share one address_space
 * that revoke, retire and memory errors can zap in one call.
 */
static struct vfsmount *egm_mnt;
static int egm_mnt_count;

static int egm_fs_init_fs_context(struct fs_context *fc)
{
	return init_pseudo(fc, EGM_FS_MAGIC) ? 0 : -ENOMEM;
}

/*
 * No .owner: the mount is pinned in init and released in exit, so it
 * lives exactly as long as the module. With an owner the module would
 * hold a reference on itself and could never be unloaded.
 */
static struct file_system_type egm_fs_type = {
	.name = "egm",
	.init_fs_context = egm_fs_init_fs_context,
	.kill_sb = kill_anon_super,
};

static int egm_pxm_to_nid(u32 pxm)
{
	int nid = NUMA_NO_NODE;

	if (IS_ENABLED(CONFIG_ACPI_NUMA) && !acpi_disabled)
		nid = pxm_to_node(pxm);
	if (nid == NUMA_NO_NODE && pxm < MAX_NUMNODES && node_possible(pxm))
		nid = pxm;
	return nid;
}

/*
 * The nearest node that has CPUs, by the firmware's distances: the node
 * itself when it has CPUs, the lowest id among equally near ones.
 * Grace firmware puts EGM in a proximity domain of its own, a node
 * without CPUs; the scrub and the VM's vCPUs belong on its socket's CPUs.
 */
static int egm_nearest_cpu_node(int nid)
{
	int n, best = NUMA_NO_NODE, best_dist = INT_MAX;

	if (nid == NUMA_NO_NODE || node_state(nid, N_CPU))
		return nid;
	for_each_node_state(n, N_CPU) {
		if (node_distance(nid, n) < best_dist) {
			best_dist = node_distance(nid, n);
			best = n;
		}
	}
	return best;
}

/* Candidates collected from every source before validation. */
struct egm_candidate {
	struct list_head node;
	struct egm_region *region;
	bool rejected;
};

static LIST_HEAD(egm_candidates);

static struct egm_region *egm_region_alloc(u32 pxm, u64 base, u64 size,
					   enum egm_source src)
{
	struct egm_region *region;

	region = kzalloc(sizeof(*region), GFP_KERNEL);
	if (!region)
		return NULL;
	region->scrub_cpus = bitmap_zalloc(nr_cpu_ids, GFP_KERNEL);
	if (!region->scrub_cpus) {
		kfree(region);
		return NULL;
	}
	snprintf(region->name, sizeof(region->name), "socket%u", pxm);
	region->pxm = pxm;
	region->base = base;
	region->size = size;
	region->source = src;
	region->nid = egm_pxm_to_nid(pxm);
	region->cpu_node = egm_nearest_cpu_node(region->nid);
	mutex_init(&region->lock);
	INIT_LIST_HEAD(&region->extents);
	INIT_LIST_HEAD(&region->handovers);
	xa_init(&region->retired);
	return region;
}

static void egm_put_devices(struct device **devs, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		put_device(devs[i]);
	kfree(devs);
}

static void egm_region_free_struct(struct egm_region *region)
{
	egm_put_devices(region->fw_devs, region->nr_fw_devs);
	egm_put_devices(region->gpus, region->nr_gpus);
	kfree(region->tables);
	bitmap_free(region->scrub_cpus);
	xa_destroy(&region->retired);
	mutex_destroy(&region->lock);
	kfree(region);
}

static struct egm_candidate *egm_candidate_find(u32 pxm)
{
	struct egm_candidate *c;

	list_for_each_entry(c, &egm_candidates, node)
		if (c->region->pxm == pxm)
			return c;
	return NULL;
}

static const char *egm_candidate_origin(struct egm_candidate *c)
{
	if (c->region->nr_fw_devs)
		return dev_name(c->region->fw_devs[0]);
	return "regions=";
}

/*
 * Add a reference to @dev to the array *@devs of *@nr devices, kept
 * sorted by name as sysfs lists them.
 */
static int egm_devs_add(struct device ***devs, unsigned int *nr,
			struct device *dev)
{
	struct device **d;
	unsigned int i;

	d = krealloc_array(*devs, *nr + 1, sizeof(*d), GFP_KERNEL);
	if (!d)
		return -ENOMEM;
	*devs = d;
	for (i = *nr; i > 0; i--) {
		if (strcmp(dev_name(d[i - 1]), dev_name(dev)) < 0)
			break;
		d[i] = d[i - 1];
	}
	d[i] = get_device(dev);
	(*nr)++;
	return 0;
}

/* Remember a retired table once, whichever device points at it. */
static int egm_region_add_table(struct egm_region *region, u64 addr,
				struct device *dev)
{
	struct egm_fw_table *t;
	unsigned int i;

	if (!addr)
		return 0;
	for (i = 0; i < region->nr_tables; i++)
		if (region->tables[i].addr == addr)
			return 0;
	t = krealloc_array(region->tables, region->nr_tables + 1, sizeof(*t),
			   GFP_KERNEL);
	if (!t)
		return -ENOMEM;
	region->tables = t;
	t[region->nr_tables].addr = addr;
	t[region->nr_tables].dev = dev;
	region->nr_tables++;
	return 0;
}

/**
 * struct egm_desc - one description of a region
 * @pxm: nvidia,egm-pxm
 * @base: nvidia,egm-base-pa
 * @size: nvidia,egm-size
 * @table: nvidia,egm-retired-pages-data-base, 0 if none
 * @src: where it comes from
 * @dev: the firmware device carrying it, NULL for regions=
 * @gpu: the PCI device @dev is the ACPI companion of, or NULL
 */
struct egm_desc {
	u32 pxm;
	u64 base;
	u64 size;
	u64 table;
	enum egm_source src;
	struct device *dev;
	struct device *gpu;
};

/*
 * A firmware device describing @region: its name goes to devices, its
 * retired table to the tables to merge, and the PCI device it is the
 * companion of (a GPU, as Grace firmware writes it) to gpus.
 */
static int egm_region_add_fw(struct egm_region *region,
			     const struct egm_desc *d)
{
	int ret;

	ret = egm_devs_add(&region->fw_devs, &region->nr_fw_devs, d->dev);
	if (!ret)
		ret = egm_region_add_table(region, d->table, d->dev);
	if (!ret && d->gpu)
		ret = egm_devs_add(&region->gpus, &region->nr_gpus, d->gpu);
	return ret;
}

/*
 * One description of a region. Every GPU of a socket describes it, each
 * with its own copy of the retired table: equal pxm, base and size make
 * one region whatever the table addresses.
 */
static int egm_candidate_add(const struct egm_desc *d)
{
	const char *origin = d->dev ? dev_name(d->dev) : "regions=";
	u32 pxm = d->pxm;
	u64 base = d->base, size = d->size;
	struct egm_candidate *c = egm_candidate_find(pxm);
	struct egm_region *r;

	if (c) {
		r = c->region;
		if (r->base == base && r->size == size) {
			if (d->dev)
				return egm_region_add_fw(r, d);
			pr_info("socket%u: regions= entry repeats the %s description, ignored\n",
				pxm, egm_candidate_origin(c));
			return 0;
		}
		if (d->src == EGM_SRC_PARAM) {
			pr_err("socket%u: regions= entry %#llx+%#llx conflicts with the %s description, ignored\n",
			       pxm, base, size, egm_candidate_origin(c));
			return 0;
		}
		if (!c->rejected)
			pr_err("socket%u: %s and %s describe different regions, socket rejected\n",
			       pxm, egm_candidate_origin(c), origin);
		c->rejected = true;
		return 0;
	}

	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (!c)
		return -ENOMEM;
	c->region = egm_region_alloc(pxm, base, size, d->src);
	if (!c->region) {
		kfree(c);
		return -ENOMEM;
	}
	list_add_tail(&c->node, &egm_candidates);
	if (d->dev)
		return egm_region_add_fw(c->region, d);
	return 0;
}

#ifdef CONFIG_ACPI
static int egm_acpi_probe_one(struct device *dev, void *data)
{
	struct acpi_device *adev = to_acpi_device(dev);
	struct fwnode_handle *fw = acpi_fwnode_handle(adev);
	struct egm_desc d = { .src = EGM_SRC_ACPI, .dev = dev };
	struct device *phys;
	u64 pxm;

	if (fwnode_property_read_u64(fw, "nvidia,egm-pxm", &pxm))
		return 0;
	if (fwnode_property_read_u64(fw, "nvidia,egm-base-pa", &d.base) ||
	    fwnode_property_read_u64(fw, "nvidia,egm-size", &d.size)) {
		pr_err("%s: incomplete EGM description, ignored\n",
		       dev_name(dev));
		return 0;
	}
	if (pxm > U32_MAX) {
		pr_err("%s: EGM proximity domain %llu out of range, ignored\n",
		       dev_name(dev), pxm);
		return 0;
	}
	d.pxm = pxm;
	fwnode_property_read_u64(fw, "nvidia,egm-retired-pages-data-base",
				 &d.table);
	/* Grace firmware: the _DSD sits in the GPU's ACPI companion */
	phys = acpi_get_first_physical_node(adev);
	if (phys && dev_is_pci(phys))
		d.gpu = phys;
	return egm_candidate_add(&d);
}

static int egm_acpi_discover(void)
{
	if (acpi_disabled)
		return 0;
	return acpi_bus_for_each_dev(egm_acpi_probe_one, NULL);
}
#else
static int egm_acpi_discover(void)
{
	return 0;
}
#endif

static int egm_param_discover(const char *param)
{
	char *buf, *cur, *entry, *field[3];
	u64 pxm, base, size;
	int i, ret = 0;

	if (!param || !*param)
		return 0;
	buf = kstrdup(param, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	cur = buf;
	while ((entry = strsep(&cur, ",")) != NULL) {
		for (i = 0; i < 3; i++)
			field[i] = strsep(&entry, ":");
		if (!field[2] || entry ||
		    egm_parse_u64(field[0], strlen(field[0]), false, &pxm) ||
		    pxm > U32_MAX ||
		    egm_parse_u64(field[1], strlen(field[1]), true, &base) ||
		    egm_parse_u64(field[2], strlen(field[2]), true, &size)) {
			pr_err("regions=: malformed entry, expected <pxm>:<base>:<size>\n");
			continue;
		}
		ret = egm_candidate_add(&(struct egm_desc){
			.pxm = pxm, .base = base, .size = size,
			.src = EGM_SRC_PARAM,
		});
		if (ret)
			break;
	}
	kfree(buf);
	return ret;
}

static bool egm_overlaps_accepted(u64 base, u64 size, const char **with)
{
	struct egm_region *r;

	list_for_each_entry(r, &egm_regions, node) {
		if (base < r->base + r->size && r->base < base + size) {
			*with = r->name;
			return true;
		}
	}
	return false;
}

/* Whether a candidate may become a region; a log line if not. */
static int egm_region_check(struct egm_region *region)
{
	u64 base = region->base, size = region->size, end;
	const char *other;

	if (!size || !PAGE_ALIGNED(base) || !PAGE_ALIGNED(size)) {
		pr_err("%s: %#llx+%#llx is not page aligned, rejected\n",
		       region->name, base, size);
		return -EINVAL;
	}
	if (check_add_overflow(base, size, &end) ||
	    end - 1 > iomem_resource.end) {
		pr_err("%s: %#llx+%#llx exceeds the physical address space, rejected\n",
		       region->name, base, size);
		return -EINVAL;
	}
	if (region_intersects(base, size, IORESOURCE_SYSTEM_RAM,
			      IORES_DESC_NONE) != REGION_DISJOINT) {
		pr_err("%s: %#llx+%#llx overlaps System RAM, rejected\n",
		       region->name, base, size);
		return -EINVAL;
	}
	if (egm_overlaps_accepted(base, size, &other)) {
		pr_err("%s: %#llx+%#llx overlaps %s, rejected\n",
		       region->name, base, size, other);
		return -EBUSY;
	}
	return 0;
}

/* Check and claim one candidate; on success it joins egm_regions. */
static int egm_region_accept(struct egm_region *region)
{
	u64 base = region->base, size = region->size;
	int ret = egm_region_check(region);

	if (ret)
		return ret;
	region->res = request_mem_region(base, size, "egm");
	if (!region->res) {
		pr_err("%s: %#llx+%#llx is in use by another driver, rejected\n",
		       region->name, base, size);
		return -EBUSY;
	}
	region->vaddr = memremap(base, size, MEMREMAP_WB);
	if (!region->vaddr) {
		pr_err("%s: cannot map %#llx+%#llx, rejected\n",
		       region->name, base, size);
		goto err_res;
	}
	region->inode = alloc_anon_inode(egm_mnt->mnt_sb);
	if (IS_ERR(region->inode)) {
		region->inode = NULL;
		goto err_unmap;
	}
	egm_retired_load_tables(region);
	if (egm_poison_init(region))
		goto err_inode;
	pr_info("%s: %#llx+%#llx (%s), numa node %d, cpu node %d, %lu retired blocks\n",
		region->name, base, size, egm_source_names[region->source],
		region->nid, region->cpu_node, region->nr_retired);
	list_add_tail(&region->node, &egm_regions);
	return 0;

err_inode:
	iput(region->inode);
err_unmap:
	memunmap(region->vaddr);
err_res:
	release_mem_region(base, size);
	return -ENOMEM;
}

static void egm_region_destroy(struct egm_region *region)
{
	egm_poison_exit(region);
	iput(region->inode);
	memunmap(region->vaddr);
	release_mem_region(region->base, region->size);
	egm_region_free_struct(region);
}

static int egm_region_cmp(void *priv, const struct list_head *a,
			  const struct list_head *b)
{
	const struct egm_region *ra = list_entry(a, struct egm_region, node);
	const struct egm_region *rb = list_entry(b, struct egm_region, node);

	return ra->pxm < rb->pxm ? -1 : ra->pxm > rb->pxm;
}

/**
 * egm_regions_init() - discover, check and claim the regions
 * @param: the regions= module parameter, or NULL
 *
 * Bad descriptions cost their region and a log line, never the module.
 *
 * Return: 0 or -errno (no memory, no pseudo filesystem).
 */
int egm_regions_init(const char *param)
{
	struct egm_candidate *c, *tmp;
	int ret;

	ret = simple_pin_fs(&egm_fs_type, &egm_mnt, &egm_mnt_count);
	if (ret)
		return ret;
	ret = egm_acpi_discover();
	if (!ret)
		ret = egm_param_discover(param);

	list_for_each_entry_safe(c, tmp, &egm_candidates, node) {
		if (ret || c->rejected || egm_region_accept(c->region))
			egm_region_free_struct(c->region);
		list_del(&c->node);
		kfree(c);
	}
	if (ret) {
		egm_regions_exit();
		return ret;
	}
	list_sort(NULL, &egm_regions, egm_region_cmp);
	return 0;
}

void egm_regions_exit(void)
{
	struct egm_region *region, *tmp;

	list_for_each_entry_safe(region, tmp, &egm_regions, node) {
		list_del(&region->node);
		egm_region_destroy(region);
	}
	simple_release_fs(&egm_mnt, &egm_mnt_count);
}
