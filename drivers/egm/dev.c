// SPDX-License-Identifier: GPL-2.0
/*
 * egm: the published side of an enabled instance: the egm class, the
 * reserved range of minors and its IDA, /sys/class/egm/egmN with its
 * attributes and links, and the /dev/egmN char device, whose file
 * operations (cdev.c) are handed in at init.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cdev.h>
#include <linux/configfs.h>
#include <linux/device.h>
#include <linux/fs.h>
#include <linux/idr.h>
#include <linux/kdev_t.h>
#include <linux/module.h>
#include <linux/slab.h>

#include "egm.h"

static dev_t egm_devt;
static unsigned int egm_nr_minors;
static const struct file_operations *egm_dev_fops;
static DEFINE_IDA(egm_minor_ida);

/* Not const: 6.1's class_register() takes a mutable class. */
static struct class egm_class = {
	.name = "egm",
};

/* ------------------------------------------------------------------ */
/* /sys/class/egm/egmN                                                */
/* ------------------------------------------------------------------ */

/*
 * These run without the instance lock (disable holds it while
 * device_del() waits for them) and read only what is fixed while the
 * device exists, or single words.
 */
static struct egm_instance *dev_to_inst(struct device *dev)
{
	return container_of(dev, struct egm_dev, dev)->inst;
}

static unsigned int egm_dev_scrub_progress(struct egm_instance *inst)
{
	if (READ_ONCE(inst->state) != EGM_STATE_SCRUBBING)
		return 100;
	return egm_scrub_progress(&inst->scrub);
}

/* A read-only attribute showing @_val of the instance @inst, in @_fmt. */
#define EGM_DEV_SHOW(_name, _fmt, _val)					\
static ssize_t _name##_show(struct device *dev,				\
			    struct device_attribute *attr, char *buf)	\
{									\
	struct egm_instance *inst = dev_to_inst(dev);			\
									\
	return sysfs_emit(buf, _fmt "\n", _val);			\
}

EGM_DEV_SHOW(instance, "%s", egm_instance_name(inst))
static DEVICE_ATTR_RO(instance);
EGM_DEV_SHOW(region, "%s", inst->region->name)
static DEVICE_ATTR_RO(region);
EGM_DEV_SHOW(pxm, "%u", inst->region->pxm)
static DEVICE_ATTR_RO(pxm);
EGM_DEV_SHOW(numa_node, "%d", inst->region->nid)
static DEVICE_ATTR_RO(numa_node);
EGM_DEV_SHOW(cpu_node, "%d", inst->region->cpu_node)
static DEVICE_ATTR_RO(cpu_node);
EGM_DEV_SHOW(offset, "%llu", inst->offset)
static DEVICE_ATTR_RO(offset);
EGM_DEV_SHOW(size, "%llu", inst->rsize)
static DEVICE_ATTR_RO(size);
EGM_DEV_SHOW(state, "%s", egm_state_names[egm_instance_state(inst)])
static DEVICE_ATTR_RO(state);
EGM_DEV_SHOW(scrub_progress, "%u", egm_dev_scrub_progress(inst))
static DEVICE_ATTR_RO(scrub_progress);
EGM_DEV_SHOW(retired_pages, "%llu",
	     egm_retired_pages(inst->region, egm_instance_phys(inst),
			       inst->rsize))
static DEVICE_ATTR_RO(retired_pages);
EGM_DEV_SHOW(pagesize, "%lu",
	     egm_extent_pagesize(egm_instance_phys(inst), inst->rsize))
static DEVICE_ATTR_RO(pagesize);
/* Host physical addresses are for root only. */
EGM_DEV_SHOW(base, "%llu", (u64)egm_instance_phys(inst))
static DEVICE_ATTR_ADMIN_RO(base);

/* The names NVIDIA's downstream driver uses, for its tools. */
EGM_DEV_SHOW(egm_size, "%#llx", inst->rsize)
static DEVICE_ATTR_RO(egm_size);
static ssize_t gpu_devices_show(struct device *dev,
				struct device_attribute *attr, char *buf)
{
	struct egm_region *region = dev_to_inst(dev)->region;

	return egm_dev_names_show(region->gpus, region->nr_gpus, buf);
}
static DEVICE_ATTR_RO(gpu_devices);

static struct attribute *egm_dev_attrs[] = {
	&dev_attr_instance.attr,
	&dev_attr_region.attr,
	&dev_attr_pxm.attr,
	&dev_attr_numa_node.attr,
	&dev_attr_cpu_node.attr,
	&dev_attr_offset.attr,
	&dev_attr_size.attr,
	&dev_attr_base.attr,
	&dev_attr_state.attr,
	&dev_attr_scrub_progress.attr,
	&dev_attr_retired_pages.attr,
	&dev_attr_pagesize.attr,
	&dev_attr_gpu_devices.attr,
	&dev_attr_egm_size.attr,
	NULL,
};
ATTRIBUTE_GROUPS(egm_dev);

static char *egm_devnode(egm_cdev_t *dev, umode_t *mode, kuid_t *uid,
			 kgid_t *gid)
{
	const struct egm_dev *edev = container_of(dev, struct egm_dev, dev);

	if (mode)
		*mode = edev->mode;
	if (uid)
		*uid = edev->uid;
	if (gid)
		*gid = edev->gid;
	return NULL;
}

static int egm_uevent(egm_cdev_t *dev, struct kobj_uevent_env *env)
{
	const struct egm_dev *edev = container_of(dev, struct egm_dev, dev);
	struct egm_instance *inst = edev->inst;
	int ret;

	ret = add_uevent_var(env, "EGM_INSTANCE=%s",
			     config_item_name(&inst->group.cg_item));
	if (ret)
		return ret;
	return add_uevent_var(env, "EGM_PXM=%u", inst->region->pxm);
}

static void egm_dev_release(struct device *dev)
{
	struct egm_dev *edev = container_of(dev, struct egm_dev, dev);

	config_item_put(&edev->inst->group.cg_item);
	kfree(edev);
}

static const struct device_type egm_dev_type = {
	.name = "egm",
	.groups = egm_dev_groups,
	.devnode = egm_devnode,
	.uevent = egm_uevent,
	.release = egm_dev_release,
};

/* Link @n devices into the class device, each under its own name. */
static void egm_dev_link_all(struct egm_dev *edev, struct device *const *devs,
			     unsigned int n, bool add)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		const char *name = dev_name(devs[i]);

		if (!add)
			sysfs_remove_link(&edev->dev.kobj, name);
		else if (sysfs_create_link(&edev->dev.kobj, &devs[i]->kobj,
					   name))
			dev_warn(&edev->dev, "cannot link %s\n", name);
	}
}

/* The describing firmware devices and the GPUs (by PCI address). */
static void egm_dev_links(struct egm_dev *edev, bool add)
{
	struct egm_region *region = edev->inst->region;

	egm_dev_link_all(edev, region->fw_devs, region->nr_fw_devs, add);
	egm_dev_link_all(edev, region->gpus, region->nr_gpus, add);
}

/*
 * A minor of the reserved range; ida_alloc_range() reports an exhausted
 * range as -ENOSPC.
 */
static int egm_minor_alloc(struct egm_instance *inst)
{
	int minor = ida_alloc_range(&egm_minor_ida, 0, egm_nr_minors - 1,
				    GFP_KERNEL);

	if (minor < 0)
		return minor;
	inst->minor = minor;
	return 0;
}

static void egm_minor_free(struct egm_instance *inst)
{
	ida_free(&egm_minor_ida, inst->minor);
	inst->minor = -1;
}

/**
 * egm_dev_publish() - create /dev/egmN and /sys/class/egm/egmN
 * @inst: the instance, locked, being enabled
 *
 * Allocates the minor (-ENOSPC when all are taken).
 *
 * Return: 0 or -errno.
 */
int egm_dev_publish(struct egm_instance *inst)
{
	struct egm_dev *edev;
	int ret;

	lockdep_assert_held(&inst->lock);
	edev = kzalloc(sizeof(*edev), GFP_KERNEL);
	if (!edev)
		return -ENOMEM;
	ret = egm_minor_alloc(inst);
	if (ret) {
		kfree(edev);
		return ret;
	}
	config_item_get(&inst->group.cg_item);
	edev->inst = inst;
	edev->uid = make_kuid(&init_user_ns, inst->uid);
	edev->gid = make_kgid(&init_user_ns, inst->gid);
	edev->mode = inst->mode;

	device_initialize(&edev->dev);
	edev->dev.devt = MKDEV(MAJOR(egm_devt), inst->minor);
	edev->dev.class = &egm_class;
	edev->dev.type = &egm_dev_type;
	set_dev_node(&edev->dev, inst->region->nid);
	ret = dev_set_name(&edev->dev, "egm%d", inst->minor);
	if (ret)
		goto err_put;

	cdev_init(&edev->cdev, egm_dev_fops);
	edev->cdev.owner = THIS_MODULE;
	inst->edev = edev;
	ret = cdev_device_add(&edev->cdev, &edev->dev);
	if (ret) {
		inst->edev = NULL;
		goto err_put;
	}
	egm_dev_links(edev, true);
	return 0;

err_put:
	put_device(&edev->dev);
	egm_minor_free(inst);
	return ret;
}

/*
 * Withdraw /dev/egmN. A file still open after a revoke keeps the cdev,
 * and through it the device and the instance, until its last close.
 */
void egm_dev_unpublish(struct egm_instance *inst)
{
	struct egm_dev *edev = inst->edev;

	lockdep_assert_held(&inst->lock);
	egm_dev_links(edev, false);
	cdev_device_del(&edev->cdev, &edev->dev);
	inst->edev = NULL;
	put_device(&edev->dev);
	egm_minor_free(inst);
}

/**
 * egm_dev_init() - register the class and reserve the minors
 * @fops: the file operations of every /dev/egmN
 * @nr_minors: minors to reserve
 *
 * Return: 0 or -errno.
 */
int egm_dev_init(const struct file_operations *fops, unsigned int nr_minors)
{
	int ret;

	egm_dev_fops = fops;
	egm_nr_minors = nr_minors;
	ret = class_register(&egm_class);
	if (ret)
		return ret;
	ret = alloc_chrdev_region(&egm_devt, 0, nr_minors, "egm");
	if (ret)
		class_unregister(&egm_class);
	return ret;
}

void egm_dev_exit(void)
{
	unregister_chrdev_region(egm_devt, egm_nr_minors);
	class_unregister(&egm_class);
	ida_destroy(&egm_minor_ida);
}

/* The MAJOR:MINOR of an enabled instance, for configfs dev. */
dev_t egm_dev_devt(const struct egm_instance *inst)
{
	return MKDEV(MAJOR(egm_devt), inst->minor);
}
