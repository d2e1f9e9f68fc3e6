// SPDX-License-Identifier: GPL-2.0
/*
 * egm_selftest: a module that misbehaves on request at load, so that
 * `make harness-selftest` can prove the harness notices. Not egm.
 *
 *   action=none   load quietly
 *   action=warn   WARN_ON(1) at load (harness: kernel warning, exit 2)
 *   action=panic  panic at load     (harness: kernel panic, exit 3)
 *   action=fail   refuse to load     (harness: harness failure, exit 5)
 */
#include <linux/bug.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/panic.h>
#include <linux/string.h>

static char *action = "none";
module_param(action, charp, 0444);
MODULE_PARM_DESC(action, "none, warn, panic or fail");

static int __init egm_selftest_init(void)
{
	pr_info("egm_selftest: action=%s\n", action);
	if (!strcmp(action, "warn"))
		WARN_ON(1);
	else if (!strcmp(action, "panic"))
		panic("egm_selftest: panic requested");
	else if (!strcmp(action, "fail"))
		return -EINVAL;
	return 0;
}

static void __exit egm_selftest_exit(void)
{
}

module_init(egm_selftest_init);
module_exit(egm_selftest_exit);
MODULE_DESCRIPTION("egm harness self-test module");
MODULE_LICENSE("GPL");
