// SPDX-License-Identifier: GPL-2.0
/*
 * egm: the configfs tree.
 *
 * /sys/kernel/config/egm/
 *	features
 *	regions/socket<PXM>/	base size pxm numa_node source free
 *				retired_pages retired devices retire
 *	instances/<name>/	region offset size scrub uid gid mode enable
 *				minor dev state
 *
 * Every store strips one trailing newline and refuses any other
 * whitespace or NUL with EINVAL; it parses before it locks, then refuses
 * changes to an enabled instance with EBUSY.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/configfs.h>
#include <linux/ctype.h>
#include <linux/kdev_t.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "egm.h"

/* uid and gid: (u32)-1 is the invalid id. */
#define EGM_ID_MAX	(U32_MAX - 1ULL)

/* The longest value any store accepts, excluding the newline. */
#define EGM_WORD_MAX	24

/*
 * Validate @page against the common grammar and return the length of
 * the value without its trailing newline, or -EINVAL.
 */
static ssize_t egm_input_len(const char *page, size_t count)
{
	size_t i, len = count;

	if (len && page[len - 1] == '\n')
		len--;
	/* ASCII whitespace only: the kernel's isspace() also takes 0xa0 */
	for (i = 0; i < len; i++)
		if (!page[i] || (isascii(page[i]) && isspace(page[i])))
			return -EINVAL;
	return len;
}

/* Copy a short keyword out of @page, NUL terminated. */
static int egm_input_word(const char *page, size_t count, char *word)
{
	ssize_t len = egm_input_len(page, count);

	if (len < 0 || len >= EGM_WORD_MAX)
		return -EINVAL;
	memcpy(word, page, len);
	word[len] = '\0';
	return 0;
}

static const char *const egm_state_names[] = {
	[EGM_STATE_DISABLED] = "disabled",
	[EGM_STATE_SCRUBBING] = "scrubbing",
	[EGM_STATE_READY] = "ready",
	[EGM_STATE_OPEN] = "open",
};

const char *egm_state_name(const struct egm_instance *inst)
{
	int state = READ_ONCE(inst->state);

	if (state != EGM_STATE_DISABLED && egm_region_revoked(inst->region))
		return "revoked";
	return egm_state_names[state];
}

/* ------------------------------------------------------------------ */
/* Instances                                                          */
/* ------------------------------------------------------------------ */

/*
 * Take the instance lock for a change of settings; refuse (and leave
 * it unlocked) while the instance is enabled, or while a file or mapping
 * of an earlier enable lives (disabled after a revoke): it must never
 * see the settings change under it.
 */
static int egm_instance_lock_disabled(struct egm_instance *inst)
{
	mutex_lock(&inst->lock);
	if (inst->enabled || inst->opened) {
		mutex_unlock(&inst->lock);
		return -EBUSY;
	}
	return 0;
}

static ssize_t egm_instance_region_show(struct config_item *item, char *page)
{
	struct egm_instance *inst = to_egm_instance(item);
	ssize_t ret;

	mutex_lock(&inst->lock);
	ret = sysfs_emit(page, "%s\n", inst->region ? inst->region->name : "");
	mutex_unlock(&inst->lock);
	return ret;
}

static ssize_t egm_instance_region_store(struct config_item *item,
					 const char *page, size_t count)
{
	struct egm_instance *inst = to_egm_instance(item);
	struct egm_region *region = NULL;
	char name[EGM_WORD_MAX];
	int ret;

	ret = egm_input_word(page, count, name);
	if (ret) {
		/* Well formed but too long to be a region name. */
		if (egm_input_len(page, count) >= EGM_WORD_MAX)
			return -ENODEV;
		return ret;
	}
	if (name[0]) {
		region = egm_region_find(name);
		if (!region)
			return -ENODEV;
	}

	ret = egm_instance_lock_disabled(inst);
	if (ret)
		return ret;
	inst->region = region;
	mutex_unlock(&inst->lock);
	return count;
}
CONFIGFS_ATTR(egm_instance_, region);

/* Shared by the numeric settings: parse, check, assign if disabled. */
static ssize_t egm_instance_store_u64(struct egm_instance *inst, u64 *field,
				      const char *page, size_t count,
				      bool suffix, u64 max, u64 align)
{
	u64 val;
	int ret;

	if (egm_input_len(page, count) < 0 ||
	    egm_parse_u64(page, count, suffix, &val) || val > max ||
	    !IS_ALIGNED(val, align))
		return -EINVAL;

	ret = egm_instance_lock_disabled(inst);
	if (ret)
		return ret;
	*field = val;
	mutex_unlock(&inst->lock);
	return count;
}

static ssize_t egm_instance_show_u64(struct egm_instance *inst, u64 *field,
				     char *page)
{
	ssize_t ret;

	mutex_lock(&inst->lock);
	ret = sysfs_emit(page, "%llu\n", *field);
	mutex_unlock(&inst->lock);
	return ret;
}

static ssize_t egm_instance_offset_show(struct config_item *item, char *page)
{
	struct egm_instance *inst = to_egm_instance(item);

	return egm_instance_show_u64(inst, &inst->offset, page);
}

static ssize_t egm_instance_offset_store(struct config_item *item,
					 const char *page, size_t count)
{
	struct egm_instance *inst = to_egm_instance(item);

	return egm_instance_store_u64(inst, &inst->offset, page, count, true,
				      U64_MAX, PAGE_SIZE);
}
CONFIGFS_ATTR(egm_instance_, offset);

static ssize_t egm_instance_size_show(struct config_item *item, char *page)
{
	struct egm_instance *inst = to_egm_instance(item);

	return egm_instance_show_u64(inst, &inst->size, page);
}

static ssize_t egm_instance_size_store(struct config_item *item,
				       const char *page, size_t count)
{
	struct egm_instance *inst = to_egm_instance(item);

	return egm_instance_store_u64(inst, &inst->size, page, count, true,
				      U64_MAX, PAGE_SIZE);
}
CONFIGFS_ATTR(egm_instance_, size);

static ssize_t egm_instance_scrub_show(struct config_item *item, char *page)
{
	struct egm_instance *inst = to_egm_instance(item);
	ssize_t ret;

	mutex_lock(&inst->lock);
	ret = sysfs_emit(page, "%s\n", inst->scrub_zero ? "zero" : "none");
	mutex_unlock(&inst->lock);
	return ret;
}

static ssize_t egm_instance_scrub_store(struct config_item *item,
					const char *page, size_t count)
{
	struct egm_instance *inst = to_egm_instance(item);
	char word[EGM_WORD_MAX];
	bool zero;
	int ret;

	if (egm_input_word(page, count, word))
		return -EINVAL;
	if (!strcmp(word, "zero"))
		zero = true;
	else if (!strcmp(word, "none"))
		zero = false;
	else
		return -EINVAL;

	ret = egm_instance_lock_disabled(inst);
	if (ret)
		return ret;
	inst->scrub_zero = zero;
	mutex_unlock(&inst->lock);
	return count;
}
CONFIGFS_ATTR(egm_instance_, scrub);

static ssize_t egm_instance_uid_show(struct config_item *item, char *page)
{
	struct egm_instance *inst = to_egm_instance(item);

	return egm_instance_show_u64(inst, &inst->uid, page);
}

static ssize_t egm_instance_uid_store(struct config_item *item,
				      const char *page, size_t count)
{
	struct egm_instance *inst = to_egm_instance(item);

	return egm_instance_store_u64(inst, &inst->uid, page, count, false,
				      EGM_ID_MAX, 1);
}
CONFIGFS_ATTR(egm_instance_, uid);

static ssize_t egm_instance_gid_show(struct config_item *item, char *page)
{
	struct egm_instance *inst = to_egm_instance(item);

	return egm_instance_show_u64(inst, &inst->gid, page);
}

static ssize_t egm_instance_gid_store(struct config_item *item,
				      const char *page, size_t count)
{
	struct egm_instance *inst = to_egm_instance(item);

	return egm_instance_store_u64(inst, &inst->gid, page, count, false,
				      EGM_ID_MAX, 1);
}
CONFIGFS_ATTR(egm_instance_, gid);

static ssize_t egm_instance_mode_show(struct config_item *item, char *page)
{
	struct egm_instance *inst = to_egm_instance(item);
	ssize_t ret;

	mutex_lock(&inst->lock);
	ret = sysfs_emit(page, "%04o\n", inst->mode);
	mutex_unlock(&inst->lock);
	return ret;
}

static ssize_t egm_instance_mode_store(struct config_item *item,
				       const char *page, size_t count)
{
	struct egm_instance *inst = to_egm_instance(item);
	ssize_t i, len = egm_input_len(page, count);
	umode_t mode = 0;
	int ret;

	if (len < 1 || len > 4)
		return -EINVAL;
	for (i = 0; i < len; i++) {
		if (page[i] < '0' || page[i] > '7')
			return -EINVAL;
		mode = mode * 8 + (page[i] - '0');
	}
	/* 0 would become 0600: devtmpfs treats a zero mode as "default". */
	if (!mode || mode > 0777)
		return -EINVAL;

	ret = egm_instance_lock_disabled(inst);
	if (ret)
		return ret;
	inst->mode = mode;
	mutex_unlock(&inst->lock);
	return count;
}
CONFIGFS_ATTR(egm_instance_, mode);

static int egm_instance_enable(struct egm_instance *inst)
{
	struct egm_region *region = inst->region;
	u64 rsize = inst->size, end;
	int ret;

	lockdep_assert_held(&inst->lock);
	/*
	 * A file of an earlier enable (disabled after a revoke), or our own
	 * hand-over scrub still running detached: not before they are gone.
	 */
	if (inst->opened || READ_ONCE(inst->scrub.detached))
		return -EBUSY;
	if (!region)
		return -EINVAL;
	if (egm_region_revoked(region))
		return -ENODEV;
	if (inst->offset >= region->size)
		return -EINVAL;
	if (!rsize)
		rsize = region->size - inst->offset;
	if (check_add_overflow(inst->offset, rsize, &end) || end > region->size)
		return -EINVAL;

	inst->rsize = rsize;
	ret = egm_region_claim(region, inst);
	if (ret)
		return ret;

	ret = egm_minor_alloc();
	if (ret < 0)
		goto err_unclaim;
	inst->minor = ret;

	/* Scrub before the node appears; open() waits for it. */
	inst->enabled = true;
	if (inst->scrub_zero)
		egm_scrub_start(inst);
	else
		WRITE_ONCE(inst->state, EGM_STATE_READY);
	ret = egm_dev_publish(inst);
	if (ret)
		goto err_minor;
	return 0;

err_minor:
	egm_scrub_cancel(inst);
	WRITE_ONCE(inst->state, EGM_STATE_DISABLED);
	inst->enabled = false;
	egm_minor_free(inst->minor);
	inst->minor = -1;
err_unclaim:
	egm_region_unclaim(region, inst);
	inst->rsize = 0;
	return ret;
}

/*
 * A hand-over scrub is never cancelled here: it is detached and runs on
 * over its extent, which stays claimed until it ends. Any other scrub
 * (the one after enable) stops.
 */
static int egm_instance_disable(struct egm_instance *inst)
{
	lockdep_assert_held(&inst->lock);
	if (inst->opened && !egm_region_revoked(inst->region))
		return -EBUSY;

	if (!egm_scrub_detach(inst))
		egm_scrub_cancel(inst);
	egm_dev_unpublish(inst);
	WRITE_ONCE(inst->state, EGM_STATE_DISABLED);
	inst->enabled = false;
	wake_up_all(&inst->wq);
	egm_minor_free(inst->minor);
	inst->minor = -1;
	egm_region_unclaim(inst->region, inst);
	return 0;
}

static const char *const egm_bool_words[][2] = {
	{ "0", "1" }, { "n", "y" }, { "no", "yes" }, { "off", "on" },
	{ "false", "true" },
};

static int egm_parse_bool(const char *page, size_t count, bool *val)
{
	char word[EGM_WORD_MAX];
	unsigned int i, j;

	if (egm_input_word(page, count, word))
		return -EINVAL;
	for (i = 0; i < ARRAY_SIZE(egm_bool_words); i++) {
		for (j = 0; j < 2; j++) {
			if (!strcasecmp(word, egm_bool_words[i][j])) {
				*val = j;
				return 0;
			}
		}
	}
	return -EINVAL;
}

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
	int ret = 0;

	if (egm_parse_bool(page, count, &enable))
		return -EINVAL;

	mutex_lock(&inst->lock);
	if (enable != inst->enabled) {
		if (enable)
			ret = egm_instance_enable(inst);
		else
			ret = egm_instance_disable(inst);
	}
	mutex_unlock(&inst->lock);
	return ret ? ret : count;
}
CONFIGFS_ATTR(egm_instance_, enable);

static ssize_t egm_instance_minor_show(struct config_item *item, char *page)
{
	struct egm_instance *inst = to_egm_instance(item);
	ssize_t ret;

	mutex_lock(&inst->lock);
	ret = sysfs_emit(page, "%d\n", inst->enabled ? inst->minor : -1);
	mutex_unlock(&inst->lock);
	return ret;
}
CONFIGFS_ATTR_RO(egm_instance_, minor);

static ssize_t egm_instance_dev_show(struct config_item *item, char *page)
{
	struct egm_instance *inst = to_egm_instance(item);
	ssize_t ret;

	mutex_lock(&inst->lock);
	if (inst->enabled)
		ret = sysfs_emit(page, "%u:%u\n", MAJOR(egm_devt), inst->minor);
	else
		ret = sysfs_emit(page, "\n");
	mutex_unlock(&inst->lock);
	return ret;
}
CONFIGFS_ATTR_RO(egm_instance_, dev);

/* Locked: egm_state_name() follows ->region, which disable may unset. */
static ssize_t egm_instance_state_show(struct config_item *item, char *page)
{
	struct egm_instance *inst = to_egm_instance(item);
	ssize_t ret;

	mutex_lock(&inst->lock);
	ret = sysfs_emit(page, "%s\n", egm_state_name(inst));
	mutex_unlock(&inst->lock);
	return ret;
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

static void egm_instance_release(struct config_item *item)
{
	struct egm_instance *inst = to_egm_instance(item);

	mutex_destroy(&inst->lock);
	kfree(inst);
}

static struct configfs_item_operations egm_instance_item_ops = {
	.release = egm_instance_release,
};

/* ct_owner pins the module while any instance exists. */
static const struct config_item_type egm_instance_type = {
	.ct_item_ops = &egm_instance_item_ops,
	.ct_attrs = egm_instance_attrs,
	.ct_owner = THIS_MODULE,
};

static bool egm_instance_name_valid(const char *name)
{
	size_t i, len = strlen(name);

	if (!len || len > EGM_NAME_MAX || name[0] == '.' || name[0] == '-')
		return false;
	/* isalnum() also takes Latin-1 letters (0xc0-0xff): ASCII only. */
	for (i = 0; i < len; i++)
		if (!isascii(name[i]) ||
		    (!isalnum(name[i]) && !strchr("_.-", name[i])))
			return false;
	return true;
}

static struct config_group *egm_instance_make(struct config_group *group,
					      const char *name)
{
	struct egm_instance *inst;

	if (!egm_instance_name_valid(name))
		return ERR_PTR(-EINVAL);

	inst = kzalloc(sizeof(*inst), GFP_KERNEL);
	if (!inst)
		return ERR_PTR(-ENOMEM);
	mutex_init(&inst->lock);
	init_waitqueue_head(&inst->wq);
	INIT_LIST_HEAD(&inst->extent);
	inst->scrub_zero = true;
	inst->mode = 0600;
	inst->minor = -1;
	inst->state = EGM_STATE_DISABLED;
	egm_scrub_init(inst);
	config_group_init_type_name(&inst->group, name, &egm_instance_type);
	return &inst->group;
}

/*
 * rmdir: configfs has already refused it (EBUSY) if an open file holds
 * a dependency. An enabled, unused instance is disabled first; this
 * cannot fail then, except after a revoke, where it cannot fail either.
 */
static void egm_instance_drop(struct config_group *group,
			      struct config_item *item)
{
	struct egm_instance *inst = to_egm_instance(item);

	mutex_lock(&inst->lock);
	if (inst->enabled && egm_instance_disable(inst))
		pr_err("%s: removed while in use\n", config_item_name(item));
	mutex_unlock(&inst->lock);
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

static ssize_t egm_region_base_show(struct config_item *item, char *page)
{
	return sysfs_emit(page, "%llu\n", (u64)to_egm_region(item)->base);
}
EGM_CONFIGFS_ATTR_ADMIN_RO(egm_region_, base);

static ssize_t egm_region_size_show(struct config_item *item, char *page)
{
	return sysfs_emit(page, "%llu\n", to_egm_region(item)->size);
}
CONFIGFS_ATTR_RO(egm_region_, size);

static ssize_t egm_region_pxm_show(struct config_item *item, char *page)
{
	return sysfs_emit(page, "%u\n", to_egm_region(item)->pxm);
}
CONFIGFS_ATTR_RO(egm_region_, pxm);

static ssize_t egm_region_numa_node_show(struct config_item *item, char *page)
{
	return sysfs_emit(page, "%d\n", to_egm_region(item)->nid);
}
CONFIGFS_ATTR_RO(egm_region_, numa_node);

static ssize_t egm_region_cpu_node_show(struct config_item *item, char *page)
{
	return sysfs_emit(page, "%d\n", to_egm_region(item)->cpu_node);
}
CONFIGFS_ATTR_RO(egm_region_, cpu_node);

static ssize_t egm_region_source_show(struct config_item *item, char *page)
{
	return sysfs_emit(page, "%s\n",
			  to_egm_region(item)->source == EGM_SRC_ACPI ?
			  "acpi" : "param");
}
CONFIGFS_ATTR_RO(egm_region_, source);

static ssize_t egm_region_free_show(struct config_item *item, char *page)
{
	return sysfs_emit(page, "%llu\n", egm_region_free(to_egm_region(item)));
}
CONFIGFS_ATTR_RO(egm_region_, free);

static ssize_t egm_region_retired_pages_show(struct config_item *item,
					     char *page)
{
	struct egm_region *region = to_egm_region(item);

	return sysfs_emit(page, "%llu\n",
			  egm_retired_pages(region, region->base,
					    region->size));
}
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
	if (egm_input_len(page, count) < 0 ||
	    egm_parse_u64(page, count, true, &phys) ||
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

static ssize_t egm_root_features_show(struct config_item *item, char *page)
{
	const struct {
		const char *name;
		bool present;
	} features[] = {	/* sorted */
		{ "huge-pmd", EGM_HUGE_PMD },
		{ "huge-pud", EGM_HUGE_PUD },
		{ "memory-failure", egm_poison_everywhere() },
		{ "retire", true },
		{ "scrub", true },
	};
	unsigned int i;
	ssize_t len = 0;

	for (i = 0; i < ARRAY_SIZE(features); i++)
		if (features[i].present)
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

struct configfs_subsystem egm_subsys = {
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
