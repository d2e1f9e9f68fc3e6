// SPDX-License-Identifier: GPL-2.0
/*
 * egm: asynchronous, parallel zeroing of an instance.
 *
 * The extent is cut into EGM_SCRUB_CHUNK pieces. One worker per online
 * CPU of the region's cpu_node (bounded) is queued on that CPU: the
 * nearest node with CPUs, since Grace firmware puts EGM in a node of its
 * own without any. Each worker takes the next chunk until none is left
 * or the scrub is cancelled, so cancel takes at most one chunk. The last
 * worker out marks the instance ready and wakes open() waiters. Workers
 * hold no lock while zeroing: the instance cannot go away under them
 * because disable and revoke cancel and wait (under the instance lock)
 * before anything is torn down, and a detached hand-over scrub holds an
 * instance reference.
 *
 * The hand-over scrub (after the last user of a scrub=zero instance)
 * zeroes a tenant's data, so only a revoke cancels it. Disable (and so
 * rmdir) detaches it instead: it goes on in the background over the
 * extent it started on, which stays claimed on the region until the last
 * worker is done; module exit waits for it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpu.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/string.h>
#include <linux/topology.h>

#include "egm.h"

/*
 * x86 offers non-temporal stores through memcpy_flushcache(): streaming
 * the zero page into the extent writes memory without reading it into
 * the caches first and without evicting everyone else's lines. Other
 * architectures get memset() (arm64's flushcache copy cleans the cache
 * afterwards, which only adds work here).
 */
static void egm_zero(void *p, size_t len)
{
	const void *zero = page_address(ZERO_PAGE(0));
	size_t n;

	if (!IS_ENABLED(CONFIG_X86)) {
		memset(p, 0, len);
		return;
	}
	for (; len; p += n, len -= n) {
		n = min_t(size_t, len, PAGE_SIZE);
		memcpy_flushcache(p, zero, n);
	}
	wmb();	/* order the streaming stores before "ready" */
}

static void egm_scrub_chunk(struct egm_scrub *s, u64 off, u64 len)
{
	struct egm_region *region = s->region;
	phys_addr_t phys = region->base + s->offset + off;
	phys_addr_t end = phys + len;

	/* Block by block, leaving retired ones untouched. */
	while (phys < end) {
		phys_addr_t next = min_t(phys_addr_t, end,
					 ALIGN(phys + 1, EGM_BLOCK_SIZE));

		if (!egm_retired_any(region, phys, next - phys))
			egm_zero(region->vaddr + (phys - region->base),
				 next - phys);
		phys = next;
	}
}

/*
 * The last worker out. Under the region lock, against a disable that
 * detaches us: attached, mark the instance ready (a cancel racing with
 * this is harmless: the canceller flushes us and then sets the state
 * itself); detached, release the extent and the instance, which may free
 * it and with it this work item (allowed: the workqueue no longer
 * touches an item once its function runs).
 */
static void egm_scrub_done(struct egm_instance *inst)
{
	struct egm_scrub *s = &inst->scrub;
	struct egm_region *region = s->region;
	bool detached;

	mutex_lock(&region->lock);
	s->running = false;
	detached = s->detached;
	if (detached) {
		list_del_init(&s->claim);
		s->detached = false;
	} else if (!READ_ONCE(s->cancel)) {
		WRITE_ONCE(inst->state, EGM_STATE_READY);
	}
	mutex_unlock(&region->lock);
	wake_up_all(&inst->wq);
	if (detached)
		config_item_put(&inst->group.cg_item);
}

static void egm_scrub_work(struct work_struct *work)
{
	struct egm_scrub_worker *w = container_of(work, struct egm_scrub_worker,
						  work);
	struct egm_instance *inst = w->inst;
	struct egm_scrub *s = &inst->scrub;
	unsigned int delay = READ_ONCE(egm_scrub_chunk_delay_us);
	long chunk;
	u64 off, len;

	while (!READ_ONCE(s->cancel)) {
		chunk = atomic_long_fetch_inc(&s->next);
		if (chunk >= s->nr_chunks)
			break;
		off = (u64)chunk * EGM_SCRUB_CHUNK;
		len = min_t(u64, EGM_SCRUB_CHUNK, s->size - off);
		egm_scrub_chunk(s, off, len);
		/* bound work: the CPU cannot change under us */
		set_bit(raw_smp_processor_id(), s->region->scrub_cpus);
		atomic64_add(len, &s->done);
		if (delay)
			fsleep(delay);
		cond_resched();
	}

	if (atomic_dec_and_test(&s->active))
		egm_scrub_done(inst);
}

/*
 * The CPUs to scrub on: the online CPUs of @nid, or all online CPUs
 * without a node. Caller holds cpus_read_lock().
 */
static void egm_scrub_cpumask(int nid, struct cpumask *mask)
{
	if (nid == NUMA_NO_NODE)
		cpumask_copy(mask, cpu_online_mask);
	else
		cpumask_and(mask, cpumask_of_node(nid), cpu_online_mask);
}

void egm_scrub_init(struct egm_instance *inst)
{
	unsigned int i;

	for (i = 0; i < EGM_SCRUB_MAX_WORKERS; i++) {
		inst->scrub.workers[i].inst = inst;
		INIT_WORK(&inst->scrub.workers[i].work, egm_scrub_work);
	}
	INIT_LIST_HEAD(&inst->scrub.claim);
}

/* Wait until no worker of the last scrub runs any more. */
static void egm_scrub_flush(struct egm_scrub *s)
{
	unsigned int i;

	for (i = 0; i < s->nr_workers; i++)
		flush_work(&s->workers[i].work);
}

/*
 * Queue the workers of @s, one per CPU of @mask (at most
 * EGM_SCRUB_MAX_WORKERS, at most one per chunk), each bound to its CPU.
 */
static void egm_scrub_queue(struct egm_scrub *s, const struct cpumask *mask)
{
	unsigned int i = 0, cpu;

	s->nr_workers = clamp_t(unsigned long, cpumask_weight(mask), 1,
				min_t(unsigned long, EGM_SCRUB_MAX_WORKERS,
				      s->nr_chunks));
	atomic_set(&s->active, s->nr_workers);
	for_each_cpu(cpu, mask) {
		if (i == s->nr_workers)
			break;
		queue_work_on(cpu, egm_wq, &s->workers[i++].work);
	}
	/* no online CPU on the node: wherever we are */
	while (i < s->nr_workers)
		queue_work(egm_wq, &s->workers[i++].work);
}

/* Start zeroing the instance; caller holds the instance lock. */
void egm_scrub_start(struct egm_instance *inst)
{
	struct egm_scrub *s = &inst->scrub;
	cpumask_var_t mask;
	bool have_mask;

	lockdep_assert_held(&inst->lock);
	egm_scrub_flush(s);
	/* No worker now: the flags are ours until the first is queued. */
	s->region = inst->region;
	s->offset = inst->offset;
	s->size = inst->rsize;
	s->handover = false;
	s->running = true;
	s->detached = false;
	s->nr_chunks = DIV_ROUND_UP_ULL(inst->rsize, EGM_SCRUB_CHUNK);
	atomic_long_set(&s->next, 0);
	atomic64_set(&s->done, 0);
	WRITE_ONCE(s->cancel, false);
	WRITE_ONCE(inst->state, EGM_STATE_SCRUBBING);

	have_mask = zalloc_cpumask_var(&mask, GFP_KERNEL);
	cpus_read_lock();
	if (have_mask)
		egm_scrub_cpumask(inst->region->cpu_node, mask);
	egm_scrub_queue(s, have_mask ? mask : cpu_none_mask);
	cpus_read_unlock();
	free_cpumask_var(mask);
}

/* The last user of a scrub=zero instance left: zero it for the next. */
void egm_scrub_handover(struct egm_instance *inst)
{
	lockdep_assert_held(&inst->lock);
	egm_scrub_start(inst);
	inst->scrub.handover = true;
}

/**
 * egm_scrub_detach() - release an instance's extent at disable
 * @inst: the instance, locked, enabled
 *
 * Takes the instance off its region's enabled extents. If its hand-over
 * scrub still runs, the extent stays claimed in the region's @handovers
 * until the scrub ends, and the scrub keeps an instance reference.
 *
 * Return: true if a hand-over scrub goes on alone, false if the caller
 * must cancel whatever scrub runs.
 */
bool egm_scrub_detach(struct egm_instance *inst)
{
	struct egm_scrub *s = &inst->scrub;
	struct egm_region *region = inst->region;
	bool detached = false;

	lockdep_assert_held(&inst->lock);
	mutex_lock(&region->lock);
	if (s->running && s->handover && s->region == region &&
	    !region->revoked) {
		config_item_get(&inst->group.cg_item);
		list_add_tail(&s->claim, &region->handovers);
		s->detached = true;
		detached = true;
	}
	list_del_init(&inst->extent);
	mutex_unlock(&region->lock);
	return detached;
}

/*
 * Stop a running scrub within one chunk and wait for its workers to
 * return. The state is left to the caller (disable, revoke).
 */
void egm_scrub_cancel(struct egm_instance *inst)
{
	lockdep_assert_held(&inst->lock);
	WRITE_ONCE(inst->scrub.cancel, true);
	egm_scrub_flush(&inst->scrub);
}

unsigned int egm_scrub_progress(struct egm_instance *inst)
{
	u64 done;

	if (READ_ONCE(inst->state) != EGM_STATE_SCRUBBING || !inst->scrub.size)
		return 100;
	done = atomic64_read(&inst->scrub.done);
	return div64_u64(done * 100, inst->scrub.size);
}
