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
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/acpi.h>
#include <linux/bitmap.h>
#include <linux/ctype.h>
#include <linux/debugfs.h>
#include <linux/io.h>
#include <linux/ioport.h>
#include <linux/list_sort.h>
#include <linux/module.h>
#include <linux/numa.h>
#include <linux/nodemask.h>
#include <linux/overflow.h>
#include <linux/pci.h>
#include <linux/property.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/topology.h>

#include "egm.h"

static char *egm_regions_param;
module_param_named(regions, egm_regions_param, charp, 0444);
MODULE_PARM_DESC(regions,
		 "Extra regions <pxm>:<base>:<size>[,...] (bring-up, tests)");

LIST_HEAD(egm_regions);
static struct dentry *egm_debugfs;

static int egm_digit(char c)
{
	if (isdigit(c))
		return c - '0';
	if (isxdigit(c))
		return _tolower(c) - 'a' + 10;
	return -1;
}

/**
 * egm_parse_u64() - parse a number of the egm input grammar
 * @page: input, not necessarily NUL terminated
 * @count: bytes of input; one trailing newline is ignored
 * @suffix: accept one of KMGT (any case, powers of 1024) at the end
 * @val: result
 *
 * Decimal (leading zeros stay decimal) or 0x-prefixed hexadecimal. No
 * whitespace, no sign, no embedded NUL.
 *
 * Return: 0 or -EINVAL (also on overflow).
 */
int egm_parse_u64(const char *page, size_t count, bool suffix, u64 *val)
{
	const char *p = page, *end = page + count;
	unsigned int base = 10, shift;
	size_t digits = 0;
	u64 v = 0;
	int d;

	if (count && end[-1] == '\n')
		end--;
	if (end - p > 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	}
	for (; p < end; p++, digits++) {
		d = egm_digit(*p);
		if (d < 0 || d >= base)
			break;
		if (check_mul_overflow(v, (u64)base, &v) ||
		    check_add_overflow(v, (u64)d, &v))
			return -EINVAL;
	}
	if (!digits)
		return -EINVAL;
	if (p < end) {
		if (!suffix || end - p != 1)
			return -EINVAL;
		switch (*p) {
		case 'k': case 'K':
			shift = 10;
			break;
		case 'm': case 'M':
			shift = 20;
			break;
		case 'g': case 'G':
			shift = 30;
			break;
		case 't': case 'T':
			shift = 40;
			break;
		default:
			return -EINVAL;
		}
		if (check_shl_overflow(v, shift, &v))
			return -EINVAL;
	}
	*val = v;
	return 0;
}

struct egm_region *egm_region_find(const char *name)
{
	struct egm_region *region;

	list_for_each_entry(region, &egm_regions, node)
		if (!strcmp(region->name, name))
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

bool egm_region_revoked(const struct egm_region *region)
{
	return READ_ONCE(region->revoked);
}

/* Bytes held neither by enabled instances nor by hand-over scrubs. */
u64 egm_region_free(struct egm_region *region)
{
	struct egm_instance *inst;
	struct egm_scrub *s;
	u64 used = 0;

	mutex_lock(&region->lock);
	if (region->revoked) {
		mutex_unlock(&region->lock);
		return 0;
	}
	list_for_each_entry(inst, &region->extents, extent)
		used += inst->rsize;
	list_for_each_entry(s, &region->handovers, claim)
		used += s->size;
	mutex_unlock(&region->lock);
	return region->size - used;
}

/*
 * Claim [offset, offset + rsize) of @region for @inst. The caller holds
 * the instance lock and has checked that the extent fits.
 */
int egm_region_claim(struct egm_region *region, struct egm_instance *inst)
{
	u64 start = inst->offset, end = inst->offset + inst->rsize;
	struct egm_instance *other;
	struct egm_scrub *s;
	int ret = 0;

	lockdep_assert_held(&inst->lock);
	mutex_lock(&region->lock);
	if (region->revoked) {
		ret = -ENODEV;
		goto out;
	}
	list_for_each_entry(other, &region->extents, extent) {
		if (start < other->offset + other->rsize &&
		    other->offset < end) {
			pr_info("%s: extent overlaps %s\n",
				config_item_name(&inst->group.cg_item),
				config_item_name(&other->group.cg_item));
			ret = -EBUSY;
			goto out;
		}
	}
	/* A tenant's data still being zeroed is not free either. */
	list_for_each_entry(s, &region->handovers, claim) {
		if (start < s->offset + s->size && s->offset < end) {
			other = container_of(s, struct egm_instance, scrub);
			pr_info("%s: extent overlaps the hand-over scrub of %s\n",
				config_item_name(&inst->group.cg_item),
				config_item_name(&other->group.cg_item));
			ret = -EBUSY;
			goto out;
		}
	}
	list_add_tail(&inst->extent, &region->extents);
out:
	mutex_unlock(&region->lock);
	return ret;
}

void egm_region_unclaim(struct egm_region *region, struct egm_instance *inst)
{
	mutex_lock(&region->lock);
	list_del_init(&inst->extent);
	mutex_unlock(&region->lock);
}

/*
 * Withdraw the region from every user: later faults SIGBUS, file
 * operations fail with ENODEV, and what is mapped now is zapped. Open
 * files lose their configfs dependency so the administrator can disable
 * and remove the instances while the users are still winding down.
 * Scrubs on the region stop, hand-over scrubs of disabled instances too.
 */
void egm_region_revoke(struct egm_region *region)
{
	struct egm_instance *inst, **victims;
	unsigned int i, n = 0;
	struct egm_scrub *s;

	mutex_lock(&region->lock);
	if (region->revoked) {
		mutex_unlock(&region->lock);
		return;
	}
	WRITE_ONCE(region->revoked, true);
	list_for_each_entry(inst, &region->extents, extent)
		n++;
	list_for_each_entry(s, &region->handovers, claim)
		n++;
	victims = kcalloc(n, sizeof(*victims), GFP_KERNEL | __GFP_NOFAIL);
	n = 0;
	list_for_each_entry(inst, &region->extents, extent) {
		config_item_get(&inst->group.cg_item);
		victims[n++] = inst;
	}
	list_for_each_entry(s, &region->handovers, claim) {
		inst = container_of(s, struct egm_instance, scrub);
		config_item_get(&inst->group.cg_item);
		victims[n++] = inst;
	}
	mutex_unlock(&region->lock);

	synchronize_srcu(&egm_srcu);
	unmap_mapping_range(region->inode->i_mapping, 0, 0, 1);
	pr_warn("%s: revoked; its instances are withdrawn\n", region->name);

	for (i = 0; i < n; i++) {
		inst = victims[i];
		mutex_lock(&inst->lock);
		/*
		 * Since we let go of the region lock the instance may have
		 * been disabled and enabled on another region: its scrub
		 * there is none of our business.
		 */
		if (inst->scrub.region == region)
			egm_scrub_cancel(inst);
		if (inst->depended) {
			configfs_undepend_item(&inst->group.cg_item);
			inst->depended = false;
		}
		mutex_unlock(&inst->lock);
		wake_up_all(&inst->wq);
		config_item_put(&inst->group.cg_item);
	}
	kfree(victims);
}

static ssize_t egm_revoke_write(struct file *file, const char __user *ubuf,
				size_t count, loff_t *ppos)
{
	struct egm_region *region = file_inode(file)->i_private;
	bool val;
	int ret;

	ret = kstrtobool_from_user(ubuf, count, &val);
	if (ret)
		return ret;
	if (!val)
		return -EINVAL;
	egm_region_revoke(region);
	return count;
}

static const struct file_operations egm_revoke_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = egm_revoke_write,
	.llseek = noop_llseek,
};

static int egm_scrub_cpus_show(struct seq_file *m, void *v)
{
	struct egm_region *region = m->private;

	seq_printf(m, "%*pbl\n", nr_cpu_ids, region->scrub_cpus);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(egm_scrub_cpus);

static int egm_pxm_to_nid(u32 pxm)
{
	int nid = NUMA_NO_NODE;

	if (IS_ENABLED(CONFIG_ACPI_NUMA) && !acpi_disabled)
		nid = pxm_to_node(pxm);
	if (nid == NUMA_NO_NODE && pxm < MAX_NUMNODES && node_possible(pxm))
		nid = pxm;
	return nid;
}

static const char *const egm_source_name[] = {
	[EGM_SRC_ACPI] = "acpi",
	[EGM_SRC_PARAM] = "param",
};

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

static int egm_param_discover(void)
{
	char *buf, *cur, *entry, *field[3];
	u64 pxm, base, size;
	int i, ret = 0;

	if (!egm_regions_param || !*egm_regions_param)
		return 0;
	buf = kstrdup(egm_regions_param, GFP_KERNEL);
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

/* Check and claim one candidate; on success it joins egm_regions. */
static int egm_region_accept(struct egm_region *region)
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
	region->inode = egm_inode_alloc();
	if (IS_ERR(region->inode)) {
		region->inode = NULL;
		goto err_unmap;
	}
	egm_retired_load_tables(region);
	if (egm_poison_init(region))
		goto err_inode;
	region->debugfs = debugfs_create_dir(region->name, egm_debugfs);
	debugfs_create_file("revoke", 0200, region->debugfs, region,
			    &egm_revoke_fops);
	debugfs_create_file("scrub_cpus", 0400, region->debugfs, region,
			    &egm_scrub_cpus_fops);
	pr_info("%s: %#llx+%#llx (%s), numa node %d, cpu node %d, %lu retired blocks\n",
		region->name, base, size, egm_source_name[region->source],
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
	debugfs_remove_recursive(region->debugfs);
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

int egm_regions_init(void)
{
	struct egm_candidate *c, *tmp;
	int ret;

	egm_debugfs = debugfs_create_dir("egm", NULL);
	ret = egm_acpi_discover();
	if (!ret)
		ret = egm_param_discover();

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
	debugfs_remove_recursive(egm_debugfs);
	egm_debugfs = NULL;
}
