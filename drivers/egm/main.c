// SPDX-License-Identifier: GPL-2.0
/*
 * egm: NVIDIA Grace Extended GPU Memory for virtual machines.
 *
 * Module glue: parameters, the egm class, the reserved minor range and
 * its IDA, the pseudo filesystem that owns the per-region inodes, and
 * the order in which everything comes up and goes down.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs_context.h>
#include <linux/idr.h>
#include <linux/init.h>
#include <linux/kdev_t.h>
#include <linux/module.h>
#include <linux/mount.h>
#include <linux/pseudo_fs.h>
#include <linux/srcu.h>

#include "egm.h"
#include "version.h"

#define EGM_MAX_INSTANCES_LIMIT	(MINORMASK + 1)
#define EGM_FS_MAGIC		0x45474d46	/* "EGMF" */

unsigned int egm_max_instances = CONFIG_EGM_MAX_INSTANCES;
module_param_named(max_instances, egm_max_instances, uint, 0444);
MODULE_PARM_DESC(max_instances,
		 "Minors reserved for /dev/egmN (1..1048576, default "
		 __stringify(CONFIG_EGM_MAX_INSTANCES) ")");

unsigned int egm_scrub_chunk_delay_us;
module_param_named(scrub_chunk_delay_us, egm_scrub_chunk_delay_us, uint,
		   0644);
MODULE_PARM_DESC(scrub_chunk_delay_us,
		 "Test hook: sleep this long after each scrub chunk");

struct srcu_struct egm_srcu;
struct workqueue_struct *egm_wq;
dev_t egm_devt;
static DEFINE_IDA(egm_minor_ida);

/* Not const: 6.1's class_register() takes a mutable class. */
struct class egm_class = {
	.name = "egm",
};

int egm_minor_alloc(void)
{
	/* ida_alloc_range() reports an exhausted range as -ENOSPC. */
	return ida_alloc_range(&egm_minor_ida, 0, egm_max_instances - 1,
			       GFP_KERNEL);
}

void egm_minor_free(int minor)
{
	ida_free(&egm_minor_ida, minor);
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

struct inode *egm_inode_alloc(void)
{
	return alloc_anon_inode(egm_mnt->mnt_sb);
}

static int __init egm_init(void)
{
	int ret;

	if (egm_max_instances < 1 ||
	    egm_max_instances > EGM_MAX_INSTANCES_LIMIT) {
		pr_err("max_instances=%u is out of range 1..%u\n",
		       egm_max_instances, EGM_MAX_INSTANCES_LIMIT);
		return -EINVAL;
	}

	ret = init_srcu_struct(&egm_srcu);
	if (ret)
		return ret;

	/*
	 * Per-CPU and CPU intensive: the scrub places one long-running
	 * worker on each CPU of the region's cpu_node itself.
	 */
	egm_wq = alloc_workqueue("egm_scrub", EGM_WQ_PERCPU | WQ_CPU_INTENSIVE,
				 0);
	if (!egm_wq) {
		ret = -ENOMEM;
		goto err_srcu;
	}

	ret = class_register(&egm_class);
	if (ret)
		goto err_wq;

	ret = alloc_chrdev_region(&egm_devt, 0, egm_max_instances, "egm");
	if (ret)
		goto err_class;

	ret = simple_pin_fs(&egm_fs_type, &egm_mnt, &egm_mnt_count);
	if (ret)
		goto err_chrdev;

	ret = egm_regions_init();
	if (ret)
		goto err_fs;

	/* User-visible last: nothing can reach us half-initialised. */
	ret = egm_configfs_init();
	if (ret)
		goto err_regions;

	return 0;

err_regions:
	egm_regions_exit();
err_fs:
	simple_release_fs(&egm_mnt, &egm_mnt_count);
err_chrdev:
	unregister_chrdev_region(egm_devt, egm_max_instances);
err_class:
	class_unregister(&egm_class);
err_wq:
	destroy_workqueue(egm_wq);
err_srcu:
	cleanup_srcu_struct(&egm_srcu);
	return ret;
}
module_init(egm_init);

/*
 * configfs holds a module reference per instance and open files hold
 * one each, so by now no instance, device or mapping is left. Hand-over
 * scrubs of removed instances may still run: wait for them, they zero a
 * tenant's data and use the regions.
 */
static void __exit egm_exit(void)
{
	egm_configfs_exit();
	flush_workqueue(egm_wq);
	egm_regions_exit();
	simple_release_fs(&egm_mnt, &egm_mnt_count);
	unregister_chrdev_region(egm_devt, egm_max_instances);
	class_unregister(&egm_class);
	destroy_workqueue(egm_wq);
	ida_destroy(&egm_minor_ida);
	cleanup_srcu_struct(&egm_srcu);
}
module_exit(egm_exit);

MODULE_DESCRIPTION("NVIDIA Grace Extended GPU Memory for virtual machines");
MODULE_LICENSE("GPL");
MODULE_VERSION(EGM_VERSION);
MODULE_SOFTDEP("pre: configfs");
