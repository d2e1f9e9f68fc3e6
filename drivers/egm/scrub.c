// SPDX-License-Identifier: GPL-2.0
/*
 * egm: asynchronous, parallel zeroing of an instance.
 *
 * The extent is cut into EGM_SCRUB_CHUNK pieces. One worker per online
 * CPU of the region's cpu_node (bounded) is queued on that CPU: the
 * nearest node with CPUs, since Grace firmware puts EGM in a node of its
 * own without any. Each worker takes the next chunk until none is left
 * or the scrub is cancelled, so cancel takes at most one chunk. The last
 * worker out calls the owner's @finished. Workers hold no lock while
 * zeroing; the owner keeps the structure alive until then (cancel and
 * wait, or a reference: instance.c). Module exit waits for every worker.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpu.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/string.h>
#include <linux/topology.h>

#include "egm.h"

static unsigned int egm_scrub_chunk_delay_us;
module_param_named(scrub_chunk_delay_us, egm_scrub_chunk_delay_us, uint,
		   0644);
MODULE_PARM_DESC(scrub_chunk_delay_us,
		 "Test hook: sleep this long after each scrub chunk");

static struct workqueue_struct *egm_wq;

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

static void egm_scrub_work(struct work_struct *work)
{
	struct egm_scrub_worker *w = container_of(work, struct egm_scrub_worker,
						  work);
	struct egm_scrub *s = w->scrub;
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
		atomic64_add(len, &s->zeroed);
		if (delay)
			fsleep(delay);
		cond_resched();
	}

	if (atomic_dec_and_test(&s->active))
		s->finished(s);
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

void egm_scrub_init(struct egm_scrub *s,
		    void (*finished)(struct egm_scrub *s))
{
	unsigned int i;

	for (i = 0; i < EGM_SCRUB_MAX_WORKERS; i++) {
		s->workers[i].scrub = s;
		INIT_WORK(&s->workers[i].work, egm_scrub_work);
	}
	s->finished = finished;
}

/* Wait until no worker of the last scrub runs any more. */
void egm_scrub_wait(struct egm_scrub *s)
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

/**
 * egm_scrub_start() - zero an extent in the background
 * @s: the scrub, not running (egm_scrub_wait())
 * @region: the region
 * @offset: start of the extent in @region
 * @size: length of the extent
 *
 * Retired blocks are left alone. The caller serialises starts, cancels
 * and waits.
 */
void egm_scrub_start(struct egm_scrub *s, struct egm_region *region,
		     u64 offset, u64 size)
{
	cpumask_var_t mask;
	bool have_mask;

	egm_scrub_wait(s);
	s->region = region;
	s->offset = offset;
	s->size = size;
	s->nr_chunks = DIV_ROUND_UP_ULL(size, EGM_SCRUB_CHUNK);
	atomic_long_set(&s->next, 0);
	atomic64_set(&s->zeroed, 0);
	WRITE_ONCE(s->cancel, false);

	have_mask = zalloc_cpumask_var(&mask, GFP_KERNEL);
	cpus_read_lock();
	if (have_mask)
		egm_scrub_cpumask(region->cpu_node, mask);
	egm_scrub_queue(s, have_mask ? mask : cpu_none_mask);
	cpus_read_unlock();
	free_cpumask_var(mask);
}

/*
 * Stop a running scrub within one chunk and wait for its workers to
 * return. The state is left to the owner.
 */
void egm_scrub_cancel(struct egm_scrub *s)
{
	WRITE_ONCE(s->cancel, true);
	egm_scrub_wait(s);
}

/* Percent of the extent zeroed by the last start. */
unsigned int egm_scrub_progress(const struct egm_scrub *s)
{
	if (!s->size)
		return 100;
	return div64_u64(atomic64_read(&s->zeroed) * 100, s->size);
}

/*
 * Per-CPU and CPU intensive: the scrub places one long-running worker on
 * each CPU of the region's cpu_node itself.
 */
int egm_scrub_wq_init(void)
{
	egm_wq = alloc_workqueue("egm_scrub", EGM_WQ_PERCPU | WQ_CPU_INTENSIVE,
				 0);
	return egm_wq ? 0 : -ENOMEM;
}

/* Waits for every worker: hand-over scrubs zero a tenant's data. */
void egm_scrub_wq_exit(void)
{
	destroy_workqueue(egm_wq);
}
