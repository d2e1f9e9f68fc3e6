// SPDX-License-Identifier: GPL-2.0
/*
 * egm: the configfs tree.
 *
 * /sys/kernel/config/egm/
 *	features
 *	regions/socket<PXM>/	base size pxm numa_node cpu_node source
 *				free retired_pages retired devices gpus
 *				retire
 *	instances/<name>/	region offset size scrub uid gid mode enable
 *				minor dev state
 *
 * Glue: the attributes parse (parse.c, the grammar of
 * Documentation/ABI/testing/configfs-egm) before they lock, and leave
 * every change of an instance's state to instance.c.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/cleanup.h>
#include <linux/configfs.h>
#include <linux/kdev_t.h>
#include <linux/module.h>

#include "egm.h"

/* ------------------------------------------------------------------ */
/* Instances: glue over instance.c                                    */
/* ------------------------------------------------------------------ */

static ssize_t egm_instance_region_show(struct config_item *item, char *page)
{
	struct egm_instance *inst = to_egm_instance(item);

	guard(mutex)(&inst->lock);
	return sysfs_emit(page, "%s\n", inst->region ? inst->region->name : "");
}

static ssize_t egm_instance_region_store(struct config_item *item,
					 const char *page, size_t count)
{
	struct egm_instance *inst = to_egm_instance(item);
	ssize_t len = egm_input_len(page, count);
	struct egm_region *region = NULL;
	int ret;

	if (len < 0)
		return len;
	if (len) {
		region = egm_region_find(page, len);
		if (!region)
			return -ENODEV;
	}
	ret = egm_instance_lock_settings(inst);
	if (ret)
		return ret;
	inst->region = region;
	mutex_unlock(&inst->lock);
	return count;
}
CONFIGFS_ATTR(egm_instance_, region);

/* Offsets and sizes: numbers with a suffix, page aligned. */
static int egm_parse_pages(const char *page, size_t count, u64 *val)
{
	if (egm_parse_u64(page, count, true, val) || !PAGE_ALIGNED(*val))
		return -EINVAL;
	return 0;
}

/* The u64 setting at offset @off of @inst. */
static u64 *egm_setting(struct egm_instance *inst, size_t off)
{
	return (u64 *)((char *)inst + off);
}

/* Parse, lock a disabled instance, assign. */
static ssize_t egm_setting_store(struct config_item *item, const char *page,
				 size_t count, size_t off,
				 int (*parse)(const char *page, size_t count,
					      u64 *val))
{
	struct egm_instance *inst = to_egm_instance(item);
	u64 val;
	int ret = parse(page, count, &val);

	if (ret)
		return ret;
	ret = egm_instance_lock_settings(inst);
	if (ret)
		return ret;
	*egm_setting(inst, off) = val;
	mutex_unlock(&inst->lock);
	return count;
}

/*
 * The show and store of a u64 setting of a disabled instance: @_field
 * shown with @_fmt, stored after @_parse accepts the input.
 */
#define EGM_INSTANCE_SETTING(_field, _fmt, _parse)			\
static const size_t egm_instance_##_field##_off =			\
	offsetof(struct egm_instance, _field);				\
static ssize_t egm_instance_##_field##_show(struct config_item *item,	\
					    char *page)			\
{									\
	struct egm_instance *inst = to_egm_instance(item);		\
									\
	guard(mutex)(&inst->lock);					\
	return sysfs_emit(page, _fmt "\n",				\
			  *egm_setting(inst, egm_instance_##_field##_off)); \
}									\
static ssize_t egm_instance_##_field##_store(struct config_item *item,	\
					     const char *page,		\
					     size_t count)		\
{									\
	return egm_setting_store(item, page, count,			\
				 egm_instance_##_field##_off, _parse);	\
}

EGM_INSTANCE_SETTING(offset, "%llu", egm_parse_pages)
EGM_INSTANCE_SETTING(size, "%llu", egm_parse_pages)
EGM_INSTANCE_SETTING(uid, "%llu", egm_parse_id)
EGM_INSTANCE_SETTING(gid, "%llu", egm_parse_id)
EGM_INSTANCE_SETTING(mode, "%04llo", egm_parse_mode)
CONFIGFS_ATTR(egm_instance_, offset);
CONFIGFS_ATTR(egm_instance_, size);
CONFIGFS_ATTR(egm_instance_, uid);
CONFIGFS_ATTR(egm_instance_, gid);
CONFIGFS_ATTR(egm_instance_, mode);

static ssize_t egm_instance_scrub_show(struct config_item *item, char *page)
{
	struct egm_instance *inst = to_egm_instance(item);

	guard(mutex)(&inst->lock);
	return sysfs_emit(page, "%s\n", egm_scrub_names[inst->scrub_zero]);
}

static ssize_t egm_instance_scrub_store(struct config_item *item,
					const char *page, size_t count)
{
	struct egm_instance *inst = to_egm_instance(item);
	int zero = egm_parse_word(page, count, egm_scrub_names,
				  ARRAY_SIZE(egm_scrub_names));
	int ret;

	if (zero < 0)
		return zero;
	ret = egm_instance_lock_settings(inst);
	if (ret)
		return ret;
	inst->scrub_zero = zero;
	mutex_unlock(&inst->lock);
	return count;
}
CONFIGFS_ATTR(egm_instance_, scrub);
static ssize_t egm_instance_enable_show(struct config_item *item, char *page)
{
	struct egm_instance *inst = to_egm_instance(item);

	return sysfs_emit(page, "%d\n", READ_ONCE(inst->enabled));
}

static ssize_t egm_instance_enable_store(struct config_item *item,
					 const char *page, size_t count)
{
	struct egm_instance *inst = to_egm_instance(item);
	bool enable;
	int ret;

	if (egm_parse_bool(page, count, &enable))
		return -EINVAL;
	scoped_guard(mutex, &inst->lock) {
		if (enable)
			ret = egm_instance_enable(inst);
		else
			ret = egm_instance_disable(inst);
	}
	return ret ? ret : count;
}
CONFIGFS_ATTR(egm_instance_, enable);

static ssize_t egm_instance_minor_show(struct config_item *item, char *page)
{
	struct egm_instance *inst = to_egm_instance(item);

	guard(mutex)(&inst->lock);
	return sysfs_emit(page, "%d\n", inst->enabled ? inst->minor : -1);
}
CONFIGFS_ATTR_RO(egm_instance_, minor);

static ssize_t egm_instance_dev_show(struct config_item *item, char *page)
{
	struct egm_instance *inst = to_egm_instance(item);
	dev_t devt;

	guard(mutex)(&inst->lock);
	if (!inst->enabled)
		return sysfs_emit(page, "\n");
	devt = egm_dev_devt(inst);
	return sysfs_emit(page, "%u:%u\n", MAJOR(devt), MINOR(devt));
}
CONFIGFS_ATTR_RO(egm_instance_, dev);

/* Locked: the shown state follows ->region, which a setting may change. */
static ssize_t egm_instance_state_show(struct config_item *item, char *page)
{
	struct egm_instance *inst = to_egm_instance(item);

	guard(mutex)(&inst->lock);
	return sysfs_emit(page, "%s\n",
			  egm_state_names[egm_instance_state(inst)]);
}
CONFIGFS_ATTR_RO(egm_instance_, state);

static struct configfs_attribute *egm_instance_attrs[] = {
	&egm_instance_attr_region,
	&egm_instance_attr_offset,
	&egm_instance_attr_size,
	&egm_instance_attr_scrub,
	&egm_instance_attr_uid,
	&egm_instance_attr_gid,
	&egm_instance_attr_mode,
	&egm_instance_attr_enable,
	&egm_instance_attr_minor,
	&egm_instance_attr_dev,
	&egm_instance_attr_state,
	NULL,
};

static void egm_instance_item_release(struct config_item *item)
{
	egm_instance_free(to_egm_instance(item));
}

static struct configfs_item_operations egm_instance_item_ops = {
	.release = egm_instance_item_release,
};

/* ct_owner pins the module while any instance exists. */
static const struct config_item_type egm_instance_type = {
	.ct_item_ops = &egm_instance_item_ops,
	.ct_attrs = egm_instance_attrs,
	.ct_owner = THIS_MODULE,
};

static struct config_group *egm_instance_make(struct config_group *group,
					      const char *name)
{
	struct egm_instance *inst;

	if (!egm_instance_name_valid(name))
		return ERR_PTR(-EINVAL);
	inst = egm_instance_alloc();
	if (!inst)
		return ERR_PTR(-ENOMEM);
	config_group_init_type_name(&inst->group, name, &egm_instance_type);
	return &inst->group;
}

static void egm_instance_drop(struct config_group *group,
			      struct config_item *item)
{
	egm_instance_remove(to_egm_instance(item));
	config_item_put(item);
}

static struct configfs_group_operations egm_instances_group_ops = {
	.make_group = egm_instance_make,
	.drop_item = egm_instance_drop,
};

static const struct config_item_type egm_instances_type = {
	.ct_group_ops = &egm_instances_group_ops,
	.ct_owner = THIS_MODULE,
};

static struct config_group egm_instances_group;

/* ------------------------------------------------------------------ */
/* Regions                                                            */
/* ------------------------------------------------------------------ */

static inline struct egm_region *to_egm_region(struct config_item *item)
{
	return container_of(to_config_group(item), struct egm_region, group);
}

/*
 * Host physical addresses are for root only (0400), as sysfs "base" is:
 * CONFIGFS_ATTR_RO() makes a file every user can read.
 */
#define EGM_CONFIGFS_ATTR_ADMIN_RO(_pfx, _name)			\
static struct configfs_attribute _pfx##attr_##_name = {		\
	.ca_name	= __stringify(_name),				\
	.ca_mode	= 0400,						\
	.ca_owner	= THIS_MODULE,					\
	.show		= _pfx##_name##_show,				\
}

/* A read-only attribute of the region @region, @_val shown in @_fmt. */
#define EGM_REGION_SHOW(_name, _fmt, _val)				\
static ssize_t egm_region_##_name##_show(struct config_item *item,	\
					 char *page)			\
{									\
	struct egm_region *region = to_egm_region(item);		\
									\
	return sysfs_emit(page, _fmt "\n", _val);			\
}

EGM_REGION_SHOW(base, "%llu", (u64)region->base)
EGM_REGION_SHOW(size, "%llu", region->size)
EGM_REGION_SHOW(pxm, "%u", region->pxm)
EGM_REGION_SHOW(numa_node, "%d", region->nid)
EGM_REGION_SHOW(cpu_node, "%d", region->cpu_node)
EGM_REGION_SHOW(source, "%s", egm_source_names[region->source])
EGM_REGION_SHOW(free, "%llu", egm_region_avail(region))
EGM_REGION_SHOW(retired_pages, "%llu",
		egm_retired_pages(region, region->base, region->size))
EGM_CONFIGFS_ATTR_ADMIN_RO(egm_region_, base);
CONFIGFS_ATTR_RO(egm_region_, size);
CONFIGFS_ATTR_RO(egm_region_, pxm);
CONFIGFS_ATTR_RO(egm_region_, numa_node);
CONFIGFS_ATTR_RO(egm_region_, cpu_node);
CONFIGFS_ATTR_RO(egm_region_, source);
CONFIGFS_ATTR_RO(egm_region_, free);
CONFIGFS_ATTR_RO(egm_region_, retired_pages);

/* A binary attribute: the list can be longer than a page. */
static ssize_t egm_region_retired_read(struct config_item *item, void *buf,
				       size_t size)
{
	return egm_retired_list(to_egm_region(item), buf, size);
}

/* 0400 like base: CONFIGFS_BIN_ATTR_RO() makes it readable by all. */
static struct configfs_bin_attribute egm_region_attr_retired = {
	.cb_attr = {
		.ca_name	= "retired",
		.ca_mode	= 0400,
		.ca_owner	= THIS_MODULE,
	},
	.cb_max_size	= EGM_RETIRED_LIST_MAX,
	.read		= egm_region_retired_read,
};

static ssize_t egm_region_devices_show(struct config_item *item, char *page)
{
	struct egm_region *region = to_egm_region(item);

	return egm_dev_names_show(region->fw_devs, region->nr_fw_devs, page);
}
CONFIGFS_ATTR_RO(egm_region_, devices);

static ssize_t egm_region_gpus_show(struct config_item *item, char *page)
{
	struct egm_region *region = to_egm_region(item);

	return egm_dev_names_show(region->gpus, region->nr_gpus, page);
}
CONFIGFS_ATTR_RO(egm_region_, gpus);

static ssize_t egm_region_retire_store(struct config_item *item,
				       const char *page, size_t count)
{
	struct egm_region *region = to_egm_region(item);
	u64 phys;
	int ret;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (egm_parse_u64(page, count, true, &phys) ||
	    phys < region->base || phys - region->base >= region->size)
		return -EINVAL;
	ret = egm_retire(region, phys, EGM_RETIRE_RUNTIME);
	return ret ? ret : count;
}
CONFIGFS_ATTR_WO(egm_region_, retire);

static struct configfs_attribute *egm_region_attrs[] = {
	&egm_region_attr_base,
	&egm_region_attr_size,
	&egm_region_attr_pxm,
	&egm_region_attr_numa_node,
	&egm_region_attr_cpu_node,
	&egm_region_attr_source,
	&egm_region_attr_free,
	&egm_region_attr_retired_pages,
	&egm_region_attr_devices,
	&egm_region_attr_gpus,
	&egm_region_attr_retire,
	NULL,
};

static struct configfs_bin_attribute *egm_region_bin_attrs[] = {
	&egm_region_attr_retired,
	NULL,
};

static const struct config_item_type egm_region_type = {
	.ct_attrs = egm_region_attrs,
	.ct_bin_attrs = egm_region_bin_attrs,
	.ct_owner = THIS_MODULE,
};

static const struct config_item_type egm_regions_type = {
	.ct_owner = THIS_MODULE,
};

static struct config_group egm_regions_group;

/* ------------------------------------------------------------------ */
/* Root                                                               */
/* ------------------------------------------------------------------ */

/*
 * The features every region offers, by name, sorted: the capability
 * bits of egm_caps() (which EGM_IOCTL_INFO reports per region), and what
 * egm always does (mask 0).
 */
static ssize_t egm_root_features_show(struct config_item *item, char *page)
{
	static const struct {
		const char *name;
		u32 cap;
	} features[] = {
		{ "huge-pmd", EGM_INFO_HUGE_PMD },
		{ "huge-pud", EGM_INFO_HUGE_PUD },
		{ "memory-failure", EGM_INFO_MEMORY_FAILURE },
		{ "retire", 0 },
		{ "scrub", 0 },
	};
	u32 caps = egm_caps();
	unsigned int i;
	ssize_t len = 0;

	for (i = 0; i < ARRAY_SIZE(features); i++)
		if ((caps & features[i].cap) == features[i].cap)
			len += sysfs_emit_at(page, len, "%s\n",
					     features[i].name);
	return len;
}
CONFIGFS_ATTR_RO(egm_root_, features);

static struct configfs_attribute *egm_root_attrs[] = {
	&egm_root_attr_features,
	NULL,
};

static const struct config_item_type egm_root_type = {
	.ct_attrs = egm_root_attrs,
	.ct_owner = THIS_MODULE,
};

static struct configfs_subsystem egm_subsys = {
	.su_group = {
		.cg_item = {
			.ci_namebuf = "egm",
			.ci_type = &egm_root_type,
		},
	},
};

int egm_configfs_init(void)
{
	struct egm_region *region;
	int ret;

	config_group_init(&egm_subsys.su_group);
	mutex_init(&egm_subsys.su_mutex);

	config_group_init_type_name(&egm_regions_group, "regions",
				    &egm_regions_type);
	configfs_add_default_group(&egm_regions_group, &egm_subsys.su_group);
	list_for_each_entry(region, &egm_regions, node) {
		config_group_init_type_name(&region->group, region->name,
					    &egm_region_type);
		configfs_add_default_group(&region->group, &egm_regions_group);
	}

	config_group_init_type_name(&egm_instances_group, "instances",
				    &egm_instances_type);
	configfs_add_default_group(&egm_instances_group, &egm_subsys.su_group);

	ret = configfs_register_subsystem(&egm_subsys);
	if (ret)
		pr_err("cannot register the configfs subsystem: %d\n", ret);
	return ret;
}

void egm_configfs_exit(void)
{
	configfs_unregister_subsystem(&egm_subsys);
	mutex_destroy(&egm_subsys.su_mutex);
}
