// SPDX-License-Identifier: GPL-2.0
/*
 * egm: debugfs, for tests and bring-up.
 *
 * /sys/kernel/debug/egm/socket<PXM>/
 *	revoke		write 1: withdraw the region from every user, as a
 *			hot-unplug or a firmware-reported failure would
 *	scrub_cpus	the CPUs that have zeroed a chunk of the region
 */
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/kstrtox.h>
#include <linux/module.h>
#include <linux/seq_file.h>

#include "egm.h"

static struct dentry *egm_debugfs;

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
	ret = egm_revoke(region);
	return ret ? ret : count;
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

void egm_debugfs_init(void)
{
	struct egm_region *region;
	struct dentry *dir;

	egm_debugfs = debugfs_create_dir("egm", NULL);
	list_for_each_entry(region, &egm_regions, node) {
		dir = debugfs_create_dir(region->name, egm_debugfs);
		debugfs_create_file("revoke", 0200, dir, region,
				    &egm_revoke_fops);
		debugfs_create_file("scrub_cpus", 0400, dir, region,
				    &egm_scrub_cpus_fops);
	}
}

void egm_debugfs_exit(void)
{
	debugfs_remove_recursive(egm_debugfs);
}
