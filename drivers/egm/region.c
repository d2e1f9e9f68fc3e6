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
#include <linux/ctype.h>
#include <linux/debugfs.h>
#include <linux/io.h>
#include <linux/ioport.h>
#include <linux/list_sort.h>
#include <linux/module.h>
#include <linux/numa.h>
#include <linux/overflow.h>
#include <linux/property.h>
#include <linux/slab.h>
#include <linux/string.h>

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

/* Candidates collected from every source before validation. */
struct egm_candidate {
	struct list_head node;
	struct egm_region *region;
	bool rejected;
};

static LIST_HEAD(egm_candidates);

static struct egm_region *egm_region_alloc(u32 pxm, u64 base, u64 size,
					   u64 retired, enum egm_source src)
{
	struct egm_region *region;

	region = kzalloc(sizeof(*region), GFP_KERNEL);
	if (!region)
		return NULL;
	snprintf(region->name, sizeof(region->name), "socket%u", pxm);
	region->pxm = pxm;
	region->base = base;
	region->size = size;
	region->retired_table = retired;
	region->source = src;
	region->nid = egm_pxm_to_nid(pxm);
	mutex_init(&region->lock);
	INIT_LIST_HEAD(&region->extents);
	INIT_LIST_HEAD(&region->handovers);
	xa_init(&region->retired);
	return region;
}

static void egm_region_free_struct(struct egm_region *region)
{
	unsigned int i;

	for (i = 0; i < region->nr_fw_devs; i++)
		put_device(region->fw_devs[i]);
	kfree(region->fw_devs);
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

/* Keep the firmware devices sorted by name, as sysfs lists them. */
static int egm_candidate_add_dev(struct egm_region *region, struct device *dev)
{
	struct device **devs;
	unsigned int i;

	devs = krealloc_array(region->fw_devs, region->nr_fw_devs + 1,
			      sizeof(*devs), GFP_KERNEL);
	if (!devs)
		return -ENOMEM;
	region->fw_devs = devs;
	for (i = region->nr_fw_devs; i > 0; i--) {
		if (strcmp(dev_name(devs[i - 1]), dev_name(dev)) < 0)
			break;
		devs[i] = devs[i - 1];
	}
	devs[i] = get_device(dev);
	region->nr_fw_devs++;
	return 0;
}

static int egm_candidate_add(u32 pxm, u64 base, u64 size, u64 retired,
			     enum egm_source src, struct device *dev)
{
	const char *origin = dev ? dev_name(dev) : "regions=";
	struct egm_candidate *c = egm_candidate_find(pxm);
	struct egm_region *r;

	if (c) {
		r = c->region;
		if (r->base == base && r->size == size &&
		    (src == EGM_SRC_PARAM || r->retired_table == retired)) {
			if (dev)
				return egm_candidate_add_dev(r, dev);
			pr_info("socket%u: regions= entry repeats the %s description, ignored\n",
				pxm, egm_candidate_origin(c));
			return 0;
		}
		if (src == EGM_SRC_PARAM) {
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
	c->region = egm_region_alloc(pxm, base, size, retired, src);
	if (!c->region) {
		kfree(c);
		return -ENOMEM;
	}
	list_add_tail(&c->node, &egm_candidates);
	if (dev)
		return egm_candidate_add_dev(c->region, dev);
	return 0;
}

#ifdef CONFIG_ACPI
static int egm_acpi_probe_one(struct device *dev, void *data)
{
	struct fwnode_handle *fw = acpi_fwnode_handle(to_acpi_device(dev));
	u64 pxm, base, size, retired = 0;

	if (fwnode_property_read_u64(fw, "nvidia,egm-pxm", &pxm))
		return 0;
	if (fwnode_property_read_u64(fw, "nvidia,egm-base-pa", &base) ||
	    fwnode_property_read_u64(fw, "nvidia,egm-size", &size)) {
		pr_err("%s: incomplete EGM description, ignored\n",
		       dev_name(dev));
		return 0;
	}
	if (pxm > U32_MAX) {
		pr_err("%s: EGM proximity domain %llu out of range, ignored\n",
		       dev_name(dev), pxm);
		return 0;
	}
	fwnode_property_read_u64(fw, "nvidia,egm-retired-pages-data-base",
				 &retired);
	return egm_candidate_add(pxm, base, size, retired, EGM_SRC_ACPI, dev);
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
		ret = egm_candidate_add(pxm, base, size, 0, EGM_SRC_PARAM,
					NULL);
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
	egm_retired_load_table(region);
	if (egm_poison_init(region))
		goto err_inode;
	region->debugfs = debugfs_create_dir(region->name, egm_debugfs);
	debugfs_create_file("revoke", 0200, region->debugfs, region,
			    &egm_revoke_fops);
	pr_info("%s: %#llx+%#llx (%s), numa node %d, %lu retired blocks\n",
		region->name, base, size, egm_source_name[region->source],
		region->nid, region->nr_retired);
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
