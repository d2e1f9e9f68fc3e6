// SPDX-License-Identifier: GPL-2.0
/*
 * egm: NVIDIA Grace Extended GPU Memory for virtual machines.
 *
 * The module: its parameters, and the order in which everything comes
 * up and goes down (egm.h has the map of the files).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/init.h>
#include <linux/kdev_t.h>
#include <linux/module.h>

#include "egm.h"
#include "version.h"

#define EGM_MAX_INSTANCES_LIMIT	(MINORMASK + 1)

static unsigned int egm_max_instances = CONFIG_EGM_MAX_INSTANCES;
module_param_named(max_instances, egm_max_instances, uint, 0444);
MODULE_PARM_DESC(max_instances,
		 "Minors reserved for /dev/egmN (1..1048576, default "
		 __stringify(CONFIG_EGM_MAX_INSTANCES) ")");

static char *egm_regions_param;
module_param_named(regions, egm_regions_param, charp, 0444);
MODULE_PARM_DESC(regions,
		 "Extra regions <pxm>:<base>:<size>[,...] (bring-up, tests)");

static int __init egm_init(void)
{
	int ret;

	if (egm_max_instances < 1 ||
	    egm_max_instances > EGM_MAX_INSTANCES_LIMIT) {
		pr_err("max_instances=%u is out of range 1..%u\n",
		       egm_max_instances, EGM_MAX_INSTANCES_LIMIT);
		return -EINVAL;
	}

	ret = egm_scrub_wq_init();
	if (ret)
		return ret;
	ret = egm_dev_init(&egm_fops, egm_max_instances);
	if (ret)
		goto err_wq;
	ret = egm_regions_init(egm_regions_param);
	if (ret)
		goto err_dev;
	egm_debugfs_init();

	/* User-visible last: nothing can reach us half-initialised. */
	ret = egm_configfs_init();
	if (ret)
		goto err_regions;
	return 0;

err_regions:
	egm_debugfs_exit();
	egm_regions_exit();
err_dev:
	egm_dev_exit();
err_wq:
	egm_scrub_wq_exit();
	return ret;
}
module_init(egm_init);

/*
 * configfs holds a module reference per instance and open files hold
 * one each, so by now no instance, device or mapping is left. Hand-over
 * scrubs of removed instances may still run: the workqueue waits for
 * them before the regions they zero go.
 */
static void __exit egm_exit(void)
{
	egm_configfs_exit();
	egm_debugfs_exit();
	egm_scrub_wq_exit();
	egm_regions_exit();
	egm_dev_exit();
}
module_exit(egm_exit);

MODULE_DESCRIPTION("NVIDIA Grace Extended GPU Memory for virtual machines");
MODULE_LICENSE("GPL");
MODULE_VERSION(EGM_VERSION);
