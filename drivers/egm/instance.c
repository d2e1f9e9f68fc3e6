// SPDX-License-Identifier: GPL-2.0
/*
 * egm: the instance, and every change of its state.
 *
 *	DISABLED  --enable-->		SCRUBBING (scrub=zero) or READY
 *	SCRUBBING --last worker-->	READY
 *	READY     --open-->		OPEN
 *	OPEN      --last release-->	SCRUBBING (scrub=zero: the hand-over
 *					scrub) or READY
 *	any       --disable-->		DISABLED (EBUSY while a file lives,
 *					unless the region is revoked)
 *
 * A revoke of the region changes no state: an enabled instance on a
 * revoked region shows "revoked" (egm_instance_state()). configfs.c and
 * cdev.c are the glue that calls in here; this file alone writes the
 * state, and only through egm_instance_set_state().
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cleanup.h>
#include <linux/configfs.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/overflow.h>
#include <linux/slab.h>

#include "egm.h"

/*
 * Under the instance lock, or by the last scrub worker (region lock),
 * which lock holders exclude by cancelling or waiting for it first.
 * Every change may let an open() waiter go on.
 */
static void egm_instance_set_state(struct egm_instance *inst,
				   enum egm_state state)
{
	WRITE_ONCE(inst->state, state);
	wake_up_all(&inst->wq);
}

/*
 * The last scrub worker. Under the region lock, against a disable that
 * detaches the scrub: attached, the instance is ready (a cancel racing
 * with this is harmless: the canceller waits for us and then sets the
 * state itself); detached, the extent and the instance reference go,
 * which may free the instance and with it @s (allowed: the workqueue no
 * longer touches an item once its function runs).
 */
static void egm_instance_scrub_finished(struct egm_scrub *s)
{
	struct egm_instance *inst = container_of(s, struct egm_instance, scrub);
	struct egm_region *region = s->region;
	bool detached;

	mutex_lock(&region->lock);
	inst->scrubbing = false;
	detached = inst->detached;
	if (detached) {
		list_del_init(&inst->handover_claim);
		inst->detached = false;
	} else if (!READ_ONCE(s->cancel)) {
		egm_instance_set_state(inst, EGM_STATE_READY);
	}
	mutex_unlock(&region->lock);
	wake_up_all(&inst->wq);
	if (detached)
		config_item_put(&inst->group.cg_item);
}

struct egm_instance *egm_instance_alloc(void)
{
	struct egm_instance *inst;

	inst = kzalloc(sizeof(*inst), GFP_KERNEL);
	if (!inst)
		return NULL;
	mutex_init(&inst->lock);
	init_waitqueue_head(&inst->wq);
	INIT_LIST_HEAD(&inst->extent);
	INIT_LIST_HEAD(&inst->handover_claim);
	inst->scrub_zero = true;
	inst->mode = 0600;
	inst->minor = -1;
	inst->state = EGM_STATE_DISABLED;
	egm_scrub_init(&inst->scrub, egm_instance_scrub_finished);
	return inst;
}

/* The last reference is gone: no device, file or scrub is left. */
void egm_instance_free(struct egm_instance *inst)
{
	mutex_destroy(&inst->lock);
	kfree(inst);
}

/**
 * egm_instance_lock_settings() - lock the instance to change a setting
 * @inst: the instance
 *
 * Refuses while the instance is enabled, or while a file or mapping of
 * an earlier enable lives (disabled after a revoke): it must never see
 * the settings change under it.
 *
 * Return: 0 with the instance locked, or -EBUSY unlocked.
 */
int egm_instance_lock_settings(struct egm_instance *inst)
{
	mutex_lock(&inst->lock);
	if (inst->enabled || inst->opened) {
		mutex_unlock(&inst->lock);
		return -EBUSY;
	}
	return 0;
}

/*
 * Before the next user: zero the extent (scrub=zero; open() waits for
 * it), or be ready at once. @handover: the last user just left, so no
 * disable may stop the scrub.
 */
static void egm_instance_prepare(struct egm_instance *inst, bool handover)
{
	lockdep_assert_held(&inst->lock);
	if (!inst->scrub_zero) {
		egm_instance_set_state(inst, EGM_STATE_READY);
		return;
	}
	/* The last worker of an earlier scrub is gone: the flags are ours. */
	egm_scrub_wait(&inst->scrub);
	inst->scrubbing = true;
	inst->handover = handover;
	inst->detached = false;
	egm_instance_set_state(inst, EGM_STATE_SCRUBBING);
	egm_scrub_start(&inst->scrub, inst->region, inst->offset, inst->rsize);
}

/*
 * Give up the extent. A hand-over scrub still running goes on alone: its
 * extent stays claimed on the region's @handovers until it ends, and it
 * holds an instance reference; only a revoke stops it. Any other scrub
 * is cancelled.
 */
static void egm_instance_release_extent(struct egm_instance *inst)
{
	struct egm_region *region = inst->region;
	bool detached = false;

	lockdep_assert_held(&inst->lock);
	mutex_lock(&region->lock);
	if (inst->scrubbing && inst->handover &&
	    inst->scrub.region == region && !region->revoked) {
		config_item_get(&inst->group.cg_item);
		list_add_tail(&inst->handover_claim, &region->handovers);
		inst->detached = true;
		detached = true;
	}
	list_del_init(&inst->extent);
	mutex_unlock(&region->lock);
	if (!detached)
		egm_scrub_cancel(&inst->scrub);
}

/* The resolved size of the settings, or -errno if they cannot be enabled. */
static int egm_instance_resolve(struct egm_instance *inst)
{
	struct egm_region *region = inst->region;
	u64 rsize = inst->size, end;

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
	return 0;
}

/**
 * egm_instance_enable() - claim the extent and publish /dev/egmN
 * @inst: the instance, locked
 *
 * Enabling an enabled instance changes nothing.
 *
 * Return: 0 or -errno (Documentation/ABI/testing/configfs-egm, enable).
 */
int egm_instance_enable(struct egm_instance *inst)
{
	int ret;

	lockdep_assert_held(&inst->lock);
	if (inst->enabled)
		return 0;
	/*
	 * A file of an earlier enable (disabled after a revoke), or our own
	 * hand-over scrub still running detached: not before they are gone.
	 */
	if (inst->opened || READ_ONCE(inst->detached))
		return -EBUSY;
	ret = egm_instance_resolve(inst);
	if (ret)
		return ret;
	ret = egm_region_claim(inst->region, inst);
	if (ret)
		return ret;

	/* Scrub before the node appears; open() waits for it. */
	inst->enabled = true;
	egm_instance_prepare(inst, false);
	ret = egm_dev_publish(inst);
	if (ret) {
		egm_instance_release_extent(inst);
		inst->enabled = false;
		egm_instance_set_state(inst, EGM_STATE_DISABLED);
	}
	return ret;
}

/**
 * egm_instance_disable() - withdraw /dev/egmN and release the extent
 * @inst: the instance, locked
 *
 * Disabling a disabled instance changes nothing. A hand-over scrub is
 * detached, not cancelled (egm_instance_release_extent()).
 *
 * Return: 0, or -EBUSY while a file is open and the region not revoked.
 */
int egm_instance_disable(struct egm_instance *inst)
{
	lockdep_assert_held(&inst->lock);
	if (!inst->enabled)
		return 0;
	if (inst->opened && !egm_region_revoked(inst->region))
		return -EBUSY;

	egm_instance_release_extent(inst);
	egm_dev_unpublish(inst);
	inst->enabled = false;
	egm_instance_set_state(inst, EGM_STATE_DISABLED);
	return 0;
}

/*
 * rmdir: configfs has already refused it (EBUSY) if an open file holds
 * a dependency. An enabled, unused instance is disabled first; this
 * cannot fail then, except after a revoke, where it cannot fail either.
 */
void egm_instance_remove(struct egm_instance *inst)
{
	guard(mutex)(&inst->lock);
	if (egm_instance_disable(inst))
		pr_err("%s: removed while in use\n", egm_instance_name(inst));
}

/* open() may go on: the scrub is over, or the region is gone. */
static bool egm_instance_may_open(struct egm_instance *inst)
{
	return READ_ONCE(inst->state) != EGM_STATE_SCRUBBING ||
	       egm_region_revoked(inst->region);
}

/*
 * Wait until @edev's instance can be opened; the instance lock is held,
 * and let go while waiting.
 */
static int egm_instance_wait_ready(struct egm_instance *inst,
				   struct egm_dev *edev, bool nonblock)
{
	int ret;

	for (;;) {
		if (inst->edev != edev || egm_region_revoked(inst->region))
			return -ENODEV;
		if (inst->opened)
			return -EBUSY;
		if (READ_ONCE(inst->state) != EGM_STATE_SCRUBBING)
			return 0;
		if (nonblock)
			return -EAGAIN;
		mutex_unlock(&inst->lock);
		ret = wait_event_killable(inst->wq,
					  egm_instance_may_open(inst));
		mutex_lock(&inst->lock);
		if (ret)
			return ret;
	}
}

/**
 * egm_instance_open() - the exclusive open of @edev's instance
 * @edev: the device opened; the instance may have moved on from it
 * @nonblock: O_NONBLOCK: EAGAIN rather than wait for the scrub
 * @ef: the file's snapshot, filled on success
 *
 * The file holds an instance reference and a configfs dependency (rmdir
 * refuses with EBUSY) until egm_instance_release().
 *
 * Return: 0 or -errno (Documentation/userspace-api/egm.rst, "Opening").
 */
int egm_instance_open(struct egm_dev *edev, bool nonblock,
		      struct egm_file *ef)
{
	struct egm_instance *inst = edev->inst;
	struct config_item *item = &inst->group.cg_item;
	int ret;

	/* Before the instance lock: this takes configfs directory locks. */
	if (configfs_depend_item(inst->group.cg_subsys, item))
		return -ENODEV;

	mutex_lock(&inst->lock);
	ret = egm_instance_wait_ready(inst, edev, nonblock);
	if (!ret) {
		inst->opened = true;
		inst->depended = true;
		egm_instance_set_state(inst, EGM_STATE_OPEN);
		config_item_get(item);
		ef->inst = inst;
		ef->region = inst->region;
		ef->offset = inst->offset;
		ef->size = inst->rsize;
	}
	mutex_unlock(&inst->lock);

	if (ret)
		configfs_undepend_item(item);
	return ret;
}

/**
 * egm_instance_release() - the last user of an open file has left
 * @ef: the file's snapshot
 *
 * Every VMA holds the file, so this runs once the last descriptor and
 * the last mapping are gone: zero the extent for the next tenant.
 */
void egm_instance_release(struct egm_file *ef)
{
	struct egm_instance *inst = ef->inst;
	bool depended;

	mutex_lock(&inst->lock);
	inst->opened = false;
	depended = inst->depended;
	inst->depended = false;
	/*
	 * Not revoked means still enabled with the settings of our open:
	 * disable needs a revoke while we are open, and settings a disable.
	 */
	if (inst->enabled && !egm_region_revoked(ef->region))
		egm_instance_prepare(inst, true);
	mutex_unlock(&inst->lock);

	if (depended)
		configfs_undepend_item(&inst->group.cg_item);
	config_item_put(&inst->group.cg_item);
}

/* ------------------------------------------------------------------ */
/* Revoke                                                             */
/* ------------------------------------------------------------------ */

/* Instances with a claim on @region; region lock held. */
static unsigned int egm_region_nr_claims(struct egm_region *region)
{
	struct egm_instance *inst;
	unsigned int n = 0;

	list_for_each_entry(inst, &region->extents, extent)
		n++;
	list_for_each_entry(inst, &region->handovers, handover_claim)
		n++;
	return n;
}

/*
 * Mark @region revoked and take a reference on every instance with a
 * claim on it into @victims (room for @max), in one region-lock section,
 * so that none escapes by a disable in between.
 *
 * Return: the number taken, -EAGAIN if @max is too small now, or
 * -EALREADY if the region was revoked before.
 */
static int egm_region_withdraw(struct egm_region *region,
			       struct egm_instance **victims, unsigned int max)
{
	struct egm_instance *inst;
	unsigned int n = 0;

	guard(mutex)(&region->lock);
	if (region->revoked)
		return -EALREADY;
	if (egm_region_nr_claims(region) > max)
		return -EAGAIN;
	WRITE_ONCE(region->revoked, true);
	list_for_each_entry(inst, &region->extents, extent)
		victims[n++] = inst;
	list_for_each_entry(inst, &region->handovers, handover_claim)
		victims[n++] = inst;
	for (max = 0; max < n; max++)
		config_item_get(&victims[max]->group.cg_item);
	return n;
}

/*
 * The instance's part of a revoke: stop its scrub on @region (also a
 * detached hand-over scrub), drop the open file's configfs dependency so
 * that the administrator can disable and remove the instance while its
 * user winds down, and let open() waiters see the revoke.
 */
static void egm_instance_revoke(struct egm_instance *inst,
				struct egm_region *region)
{
	mutex_lock(&inst->lock);
	/*
	 * Since the region lock was let go the instance may have been
	 * disabled and enabled on another region: its scrub there is none
	 * of our business.
	 */
	if (inst->scrub.region == region)
		egm_scrub_cancel(&inst->scrub);
	if (inst->depended) {
		configfs_undepend_item(&inst->group.cg_item);
		inst->depended = false;
	}
	mutex_unlock(&inst->lock);
	wake_up_all(&inst->wq);
}

/**
 * egm_revoke() - withdraw a region from every user
 * @region: the region
 *
 * Later faults SIGBUS, file operations fail with ENODEV, and what is
 * mapped now is zapped; scrubs on the region stop, hand-over scrubs of
 * disabled instances too. Revoking a revoked region changes nothing.
 *
 * Return: 0 or -ENOMEM (then nothing changed).
 */
int egm_revoke(struct egm_region *region)
{
	struct egm_instance **victims = NULL;
	unsigned int max;
	int i, n;

	do {
		scoped_guard(mutex, &region->lock)
			max = egm_region_nr_claims(region);
		kfree(victims);
		victims = kcalloc(max, sizeof(*victims), GFP_KERNEL);
		if (!victims)
			return -ENOMEM;
		n = egm_region_withdraw(region, victims, max);
	} while (n == -EAGAIN);
	if (n < 0) {
		kfree(victims);
		return 0;
	}

	synchronize_srcu(&egm_srcu);
	unmap_mapping_range(region->inode->i_mapping, 0, 0, 1);
	pr_warn("%s: revoked; its instances are withdrawn\n", region->name);
	for (i = 0; i < n; i++) {
		egm_instance_revoke(victims[i], region);
		config_item_put(&victims[i]->group.cg_item);
	}
	kfree(victims);
	return 0;
}
