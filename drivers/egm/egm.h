/* SPDX-License-Identifier: GPL-2.0 */
/*
 * egm: NVIDIA Grace Extended GPU Memory, internal interfaces.
 *
 * Objects and lifetimes
 * ---------------------
 * struct egm_region	One per firmware region (socket). Built at module
 *			load, freed at module exit. Files and mappings pin
 *			the module (fops owner, vm_file), so a region always
 *			outlives its users; revoke only marks it dead. It
 *			holds references on its describing firmware devices
 *			and on the GPUs (PCI devices) they are companions
 *			of until then; those lists, the retired-table
 *			addresses, nid and cpu_node never change after load.
 * struct egm_instance	Created by mkdir under instances/, freed by the
 *			release of its config_item when the last reference
 *			is put. References: configfs (until rmdir), each
 *			enabled struct egm_dev, each open file.
 * struct egm_dev	The published half of an enabled instance (struct
 *			device + cdev, minor). Allocated by enable, removed
 *			by disable, freed by its device release once the
 *			last cdev user (an open file) is gone. Holds a
 *			reference on its instance.
 * open file		Holds a configfs dependency on its instance (rmdir
 *			gets EBUSY) and an instance reference. VMAs hold the
 *			file, so ->release runs after the last munmap: that
 *			is "the last user", and where the hand-over scrub
 *			starts. Bound for life to a struct egm_file snapshot
 *			(region, offset, size) taken at open; dead (ENODEV)
 *			once that region is revoked. While it lives, the
 *			instance's settings and enable refuse changes (EBUSY),
 *			also after a revoke and a disable.
 * hand-over scrub	Started by that release on a scrub=zero instance.
 *			Disable and rmdir do not stop it: disable moves the
 *			instance's claim on the extent to the region's
 *			@handovers list and takes an instance reference, and
 *			the last worker drops both. Only a revoke cancels it;
 *			module exit waits for it.
 *
 * Locks, in the order they nest
 * -----------------------------
 * 1. egm_instance.lock (mutex): the instance's settings, enabled state,
 *    ->edev and ->opened. configfs serialises writers of one attribute
 *    only, so every store and multi-field show takes it.
 * 2. egm_region.lock (mutex): the region's list of enabled extents, its
 *    list of detached hand-over scrubs, revoked flag transitions, and an
 *    instance's @scrubbing/@detached flags (the last scrub worker takes
 *    it alone, with no instance lock).
 * 3. the region's retired xarray lock (spinlock, via xa_lock()).
 *    Readers of the retired set (the configfs list, retired_pages, the
 *    RETIRED ranges) walk it under RCU (xa_for_each()) without that lock:
 *    blocks are only ever added, so a walk sees a set that only grows.
 *
 * Never taken under any of them: configfs directory locks (open() calls
 * configfs_depend_item() before it takes an instance lock).
 * sysfs shows take no instance lock: device_del() in disable runs under
 * the instance lock and waits for them. They read values that are
 * immutable while the device exists, or single words with READ_ONCE().
 *
 * Faults and read/write run inside egm_srcu read sections and check the
 * region's revoked flag and the retired blocks there. Revoke and retire
 * publish first, then synchronize_srcu(), then zap the mappings: no fault
 * can re-insert what was withdrawn. No section spans anything a user
 * controls: read/write copy one 64 KiB block per section with page
 * faults disabled and fault the user buffer in outside it; ioctls copy
 * without a section. A tenant cannot make synchronize_srcu() wait.
 *
 * The scrub workers take no lock while zeroing; they are cancelled (and
 * waited for) under the instance lock. The last one takes the region
 * lock to finish. Starting a scrub takes cpus_read_lock() under the
 * instance lock to queue one worker on each online CPU of the region's
 * cpu_node; nothing takes an egm lock under cpus_read_lock().
 *
 * Files, and whom they call
 * -------------------------
 * Each file calls only files below it (checked with "make callgraph",
 * which fails on a call to a file above).
 *
 * main.c	module init and exit, module parameters
 * configfs.c	the configfs tree: attributes of the root, regions and
 *		instances; glue over instance.c and region.c
 * debugfs.c	debugfs egm/socket<PXM>/{revoke,scrub_cpus}
 * cdev.c	/dev/egmN file operations: read/write, mmap and faults,
 *		ioctls; open and release go to instance.c
 * instance.c	the instance: create, settings, enable, disable, open,
 *		release, hand-over scrub, revoke; the one place that
 *		changes its state (egm_instance_set_state())
 * dev.c	the published device: class, char device region, minor
 *		IDA, /sys/class/egm/egmN attributes, device links
 * scrub.c	asynchronous zeroing of an extent; reports its end through
 *		a callback (struct egm_scrub @finished)
 * region.c	regions: discovery, validation, extents (claims), the
 *		pseudo filesystem of the region inodes, capabilities
 * retire.c	retired blocks, memory errors, egm_srcu
 * parse.c	the input grammar, the names of enumerations
 */
#ifndef _EGM_H
#define _EGM_H

#include <linux/cdev.h>
#include <linux/configfs.h>
#include <linux/device.h>
#include <linux/egm.h>
#include <linux/fs.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/sizes.h>
#include <linux/srcu.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

#include "compat.h"

#define EGM_NAME_MAX		32
#define EGM_BLOCK_SHIFT		16		/* retired blocks are 64 KiB */
#define EGM_BLOCK_SIZE		BIT(EGM_BLOCK_SHIFT)
#define EGM_RETIRED_MAX		4096		/* firmware table entries */
/* "0x<16 hex digits> firmware\n" plus a NUL */
#define EGM_RETIRED_LINE_MAX	32
/* the configfs retired list: about 700,000 lines */
#define EGM_RETIRED_LIST_MAX	SZ_16M
#define EGM_SCRUB_CHUNK		SZ_2M
#define EGM_SCRUB_MAX_WORKERS	16

/*
 * Page-size assumptions, checked at build time. Retired blocks are
 * tracked and refused per 64 KiB, so a base page must never span two
 * blocks: 1 block = 16 pages (4K), 4 pages (16K), 1 page (64K, usual on
 * Grace). Scrub chunks and huge entries (PMD: 2 MiB, 32 MiB, 512 MiB on
 * those kernels) consist of whole blocks, so a chunk or a huge fault
 * never covers part of a retired block.
 */
static_assert(EGM_BLOCK_SIZE % PAGE_SIZE == 0);
static_assert(EGM_SCRUB_CHUNK % EGM_BLOCK_SIZE == 0);
static_assert(PMD_SIZE % EGM_BLOCK_SIZE == 0);

enum egm_source {
	EGM_SRC_ACPI,
	EGM_SRC_PARAM,
	EGM_SRC_COUNT
};

enum egm_retire_source {
	EGM_RETIRE_FIRMWARE = 1,
	EGM_RETIRE_RUNTIME,
	EGM_RETIRE_POISON,
	EGM_RETIRE_COUNT
};

/* Set in an xarray value while the block is recorded but not yet zapped. */
#define EGM_RETIRE_ZAPPING	0x10

/*
 * An instance's state. REVOKED is never stored: it is what an enabled
 * instance on a revoked region shows (egm_instance_state()).
 */
enum egm_state {
	EGM_STATE_DISABLED,
	EGM_STATE_SCRUBBING,
	EGM_STATE_READY,
	EGM_STATE_OPEN,
	EGM_STATE_REVOKED,
	EGM_STATE_COUNT
};

/**
 * struct egm_fw_table - a firmware retired-pages table
 * @addr: its physical address
 * @dev: the first firmware device that pointed at it (in the region's
 *	 @fw_devs, which holds the reference)
 */
struct egm_fw_table {
	phys_addr_t addr;
	struct device *dev;
};

/**
 * struct egm_region - one socket's EGM carve-out
 * @group: configfs regions/socket<PXM>
 * @node: entry in egm_regions
 * @name: "socket<PXM>"
 * @pxm: ACPI proximity domain
 * @nid: NUMA node, NUMA_NO_NODE if unknown
 * @cpu_node: nearest node with CPUs (@nid if it has some), NUMA_NO_NODE
 *	      if @nid is unknown; the scrub runs there
 * @base: physical base address
 * @size: size in bytes
 * @source: where it was described
 * @fw_devs: the describing firmware devices (referenced), sorted by name
 * @nr_fw_devs: entries in @fw_devs
 * @gpus: the PCI devices whose ACPI companions are in @fw_devs
 *	  (referenced), sorted by name
 * @nr_gpus: entries in @gpus
 * @tables: the firmware retired tables, one per distinct address
 * @nr_tables: entries in @tables
 * @res: our claim in iomem_resource
 * @vaddr: write-back kernel mapping of the whole region
 * @inode: owner of the address_space every mapping of the region uses
 * @lock: protects @extents, @handovers and @revoked transitions
 * @extents: enabled instances (struct egm_instance @extent), unsorted
 * @handovers: disabled instances whose hand-over scrub still runs
 *	       (struct egm_instance @handover_claim); their extents stay
 *	       claimed
 * @revoked: set once, never cleared; read locklessly in srcu sections
 * @retired: retired 64 KiB blocks, indexed by phys >> EGM_BLOCK_SHIFT,
 *	     value xa_mk_value(enum egm_retire_source)
 * @nr_retired: blocks in @retired, under its xa_lock
 * @poisoned: blocks reported by the kernel's memory-failure code and not
 *	      yet recorded in @retired, indexed from the region's first
 *	      block; set (atomically) in a context that cannot allocate
 * @poison_work: moves @poisoned into @retired
 * @pfn_space: our registration with the memory-failure code
 * @scrub_cpus: CPUs that have zeroed a chunk of this region since load
 *		(debugfs scrub_cpus), set with set_bit()
 */
struct egm_region {
	struct config_group group;
	struct list_head node;
	char name[sizeof("socket4294967295")];
	u32 pxm;
	int nid;
	int cpu_node;
	phys_addr_t base;
	u64 size;
	enum egm_source source;
	struct device **fw_devs;
	unsigned int nr_fw_devs;
	struct device **gpus;
	unsigned int nr_gpus;
	struct egm_fw_table *tables;
	unsigned int nr_tables;
	struct resource *res;
	void *vaddr;
	struct inode *inode;
	struct mutex lock;		/* lock order: egm.h top */
	struct list_head extents;
	struct list_head handovers;
	bool revoked;
	struct xarray retired;
	unsigned long nr_retired;
	unsigned long *poisoned;
	struct work_struct poison_work;
#if EGM_MEMORY_FAILURE
	struct pfn_address_space pfn_space;
#endif
	unsigned long *scrub_cpus;
};

struct egm_instance;

/**
 * struct egm_dev - the published side of an enabled instance
 * @dev: /sys/class/egm/egmN
 * @cdev: /dev/egmN
 * @inst: the instance (referenced)
 * @uid: devnode owner, copied at enable
 * @gid: devnode group, copied at enable
 * @mode: devnode mode, copied at enable
 */
struct egm_dev {
	struct device dev;
	struct cdev cdev;
	struct egm_instance *inst;
	kuid_t uid;
	kgid_t gid;
	umode_t mode;
};

/**
 * struct egm_file - what an open /dev/egmN is bound to, for life
 * @inst: the instance (referenced): open count, state, scrub on release
 * @region: the region at open
 * @offset: the instance's offset in @region at open
 * @size: the instance's resolved size at open
 *
 * A snapshot, never the instance's live settings: the file and its
 * mappings (vm_private_data) cannot follow the instance anywhere. It is
 * dead once @region is revoked, which is also the only way an instance
 * with a live file gets disabled.
 */
struct egm_file {
	struct egm_instance *inst;
	struct egm_region *region;
	u64 offset;
	u64 size;
};

struct egm_scrub;

struct egm_scrub_worker {
	struct work_struct work;
	struct egm_scrub *scrub;
};

/**
 * struct egm_scrub - asynchronous zeroing of one extent (scrub.c)
 * @workers: the work items, one per worker in flight
 * @nr_workers: work items queued by the last start
 * @nr_chunks: chunks of EGM_SCRUB_CHUNK bytes to zero
 * @next: next chunk to hand out
 * @active: workers still running; the last one calls @finished
 * @zeroed: bytes zeroed so far, for progress
 * @cancel: stop at the next chunk boundary
 * @region: region being zeroed
 * @offset: start of the zeroed extent in @region
 * @size: length of the zeroed extent
 * @finished: called by the last worker, in process context without
 *	      locks; it may free the structure holding @s
 */
struct egm_scrub {
	struct egm_scrub_worker workers[EGM_SCRUB_MAX_WORKERS];
	unsigned int nr_workers;
	unsigned long nr_chunks;
	atomic_long_t next;
	atomic_t active;
	atomic64_t zeroed;
	bool cancel;
	struct egm_region *region;
	u64 offset;
	u64 size;
	void (*finished)(struct egm_scrub *s);
};

/**
 * struct egm_instance - an administrator-created slice of a region
 * @group: configfs instances/<name>
 * @lock: see the lock order above
 * @region: selected region, NULL if unset
 * @offset: offset in the region, bytes
 * @size: size as written (0 = rest of the region)
 * @scrub_zero: scrub=zero
 * @uid: devnode owner
 * @gid: devnode group
 * @mode: devnode permission bits
 * @enabled: published
 * @rsize: resolved size while enabled
 * @extent: entry in the region's @extents while enabled
 * @minor: minor while enabled, else -1
 * @edev: published device while enabled
 * @opened: a file is open (it may live on in a mapping), also after a
 *	    revoke and a disable: settings and enable refuse with EBUSY
 * @depended: the open file holds a configfs dependency
 * @state: written by egm_instance_set_state() only, read with READ_ONCE()
 * @wq: open() waits here for the scrub to end
 * @scrub: the zeroing engine; its extent is a snapshot of the settings
 * @scrubbing: @scrub's workers have not finished (region lock)
 * @handover: @scrub was started by the last release: disable and rmdir
 *	      do not stop it
 * @detached: disabled while the hand-over scrub runs: @handover_claim is
 *	      on the region's @handovers and holds an instance reference
 *	      (region lock)
 * @handover_claim: entry in the region's @handovers while @detached
 */
struct egm_instance {
	struct config_group group;
	struct mutex lock;		/* lock order: egm.h top */
	struct egm_region *region;
	u64 offset;
	u64 size;
	bool scrub_zero;
	u64 uid;
	u64 gid;
	u64 mode;
	bool enabled;
	u64 rsize;
	struct list_head extent;
	int minor;
	struct egm_dev *edev;
	bool opened;
	bool depended;
	enum egm_state state;
	wait_queue_head_t wq;
	struct egm_scrub scrub;
	bool scrubbing;
	bool handover;
	bool detached;
	struct list_head handover_claim;
};

static inline struct egm_instance *to_egm_instance(struct config_item *item)
{
	return container_of(to_config_group(item), struct egm_instance, group);
}

static inline const char *egm_instance_name(struct egm_instance *inst)
{
	return config_item_name(&inst->group.cg_item);
}

static inline phys_addr_t egm_instance_phys(const struct egm_instance *inst)
{
	return inst->region->base + inst->offset;
}

static inline bool egm_region_revoked(const struct egm_region *region)
{
	return READ_ONCE(region->revoked);
}

/* The state to show: an enabled instance on a revoked region is revoked. */
static inline enum egm_state egm_instance_state(const struct egm_instance *inst)
{
	enum egm_state state = READ_ONCE(inst->state);

	if (state != EGM_STATE_DISABLED && egm_region_revoked(inst->region))
		return EGM_STATE_REVOKED;
	return state;
}

/* configfs.c */
int egm_configfs_init(void);
void egm_configfs_exit(void);

/* debugfs.c */
void egm_debugfs_init(void);
void egm_debugfs_exit(void);

/* cdev.c */
extern const struct file_operations egm_fops;

/* instance.c */
struct egm_instance *egm_instance_alloc(void);
void egm_instance_free(struct egm_instance *inst);
int egm_instance_lock_settings(struct egm_instance *inst);
int egm_instance_enable(struct egm_instance *inst);
int egm_instance_disable(struct egm_instance *inst);
void egm_instance_remove(struct egm_instance *inst);
int egm_instance_open(struct egm_dev *edev, bool nonblock,
		      struct egm_file *ef);
void egm_instance_release(struct egm_file *ef);
int egm_revoke(struct egm_region *region);

/* dev.c */
int egm_dev_init(const struct file_operations *fops, unsigned int max_minors);
void egm_dev_exit(void);
int egm_dev_publish(struct egm_instance *inst);
void egm_dev_unpublish(struct egm_instance *inst);
dev_t egm_dev_devt(const struct egm_instance *inst);

/* scrub.c */
int egm_scrub_wq_init(void);
void egm_scrub_wq_exit(void);
void egm_scrub_init(struct egm_scrub *s,
		    void (*finished)(struct egm_scrub *s));
void egm_scrub_wait(struct egm_scrub *s);
void egm_scrub_start(struct egm_scrub *s, struct egm_region *region,
		     u64 offset, u64 size);
void egm_scrub_cancel(struct egm_scrub *s);
unsigned int egm_scrub_progress(const struct egm_scrub *s);

/* region.c */
extern struct list_head egm_regions;
int egm_regions_init(const char *param);
void egm_regions_exit(void);
struct egm_region *egm_region_find(const char *name, size_t len);
u64 egm_region_avail(struct egm_region *region);
int egm_region_claim(struct egm_region *region, struct egm_instance *inst);
void egm_region_unclaim(struct egm_region *region, struct egm_instance *inst);
u32 egm_region_caps(const struct egm_region *region);
u32 egm_caps(void);
unsigned long egm_extent_pagesize(phys_addr_t phys, u64 size);
ssize_t egm_dev_names_show(struct device *const *devs, unsigned int n,
			   char *page);

/* retire.c */
extern struct srcu_struct egm_srcu;
void egm_retired_load_tables(struct egm_region *region);
int egm_poison_init(struct egm_region *region);
void egm_poison_exit(struct egm_region *region);
int egm_retire(struct egm_region *region, phys_addr_t phys,
	       enum egm_retire_source src);
bool egm_retired_any(struct egm_region *region, phys_addr_t phys, u64 len);
u64 egm_retired_pages(struct egm_region *region, phys_addr_t start, u64 len);
ssize_t egm_retired_list(struct egm_region *region, char *buf, size_t size);
int egm_retired_ranges(struct egm_region *region, phys_addr_t start, u64 len,
		       struct egm_range __user *uranges, u32 cap, u32 *count,
		       bool coalesce);

/* parse.c */
ssize_t egm_input_len(const char *page, size_t count);
int egm_parse_u64(const char *page, size_t count, bool suffix, u64 *val);
int egm_parse_id(const char *page, size_t count, u64 *val);
int egm_parse_mode(const char *page, size_t count, u64 *val);
int egm_parse_bool(const char *page, size_t count, bool *val);
int egm_parse_word(const char *page, size_t count, const char *const *names,
		   size_t n);
bool egm_instance_name_valid(const char *name);
extern const char *const egm_state_names[EGM_STATE_COUNT];
extern const char *const egm_source_names[EGM_SRC_COUNT];
extern const char *const egm_retire_names[EGM_RETIRE_COUNT];
extern const char *const egm_scrub_names[2];

#endif /* _EGM_H */
