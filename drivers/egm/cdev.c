// SPDX-License-Identifier: GPL-2.0
/*
 * egm: /dev/egmN and /sys/class/egm/egmN.
 *
 * Opening an instance is exclusive; every mapping is MAP_SHARED and is
 * filled lazily by the fault handler, with PMD/PUD entries where the
 * kernel's page-table walkers understand huge PFN mappings. Page
 * offsets of the shared address_space are region relative.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cdev.h>
#include <linux/configfs.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/module.h>
#include <linux/overflow.h>
#include <linux/pagemap.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "egm.h"

/* The largest page size an extent at @phys of @size bytes can use. */
unsigned long egm_pagesize_of(phys_addr_t phys, u64 size)
{
	static const struct {
		bool built;
		unsigned long size;
	} sizes[] = {
		{ EGM_HUGE_PUD, PUD_SIZE },
		{ EGM_HUGE_PMD, PMD_SIZE },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++)
		if (sizes[i].built && IS_ALIGNED(phys, sizes[i].size) &&
		    size >= sizes[i].size)
			return sizes[i].size;
	return PAGE_SIZE;
}

unsigned long egm_pagesize(const struct egm_instance *inst)
{
	return egm_pagesize_of(egm_instance_phys(inst), inst->rsize);
}

static phys_addr_t egm_file_phys(const struct egm_file *ef)
{
	return ef->region->base + ef->offset;
}

/* Revoked: the file and its mappings are dead for good. */
static bool egm_file_dead(const struct egm_file *ef)
{
	return egm_region_revoked(ef->region);
}

u32 egm_info_flags(const struct egm_instance *inst)
{
	u32 flags = 0;

	if (inst->scrub_zero)
		flags |= EGM_INFO_SCRUB_ZERO;
	if (EGM_HUGE_PMD)
		flags |= EGM_INFO_HUGE_PMD;
	if (EGM_HUGE_PUD)
		flags |= EGM_INFO_HUGE_PUD;
	if (egm_poison_active(inst->region))
		flags |= EGM_INFO_MEMORY_FAILURE;
	return flags;
}

/* ------------------------------------------------------------------ */
/* Faults                                                             */
/* ------------------------------------------------------------------ */

static vm_fault_t egm_insert(struct vm_fault *vmf, unsigned long pfn,
			     unsigned int order)
{
	switch (order) {
	case 0:
		return vmf_insert_pfn(vmf->vma, vmf->address, pfn);
#if EGM_HUGE_PMD
	case PMD_ORDER:
		return egm_insert_pfn_pmd(vmf, pfn,
					  vmf->flags & FAULT_FLAG_WRITE);
#endif
#if EGM_HUGE_PUD
	case PUD_ORDER:
		return egm_insert_pfn_pud(vmf, pfn,
					  vmf->flags & FAULT_FLAG_WRITE);
#endif
	default:
		return VM_FAULT_FALLBACK;
	}
}

/*
 * Map the naturally aligned 2^@order pages around the fault. A huge
 * entry needs the aligned range inside the VMA, an aligned pfn and no
 * retired block inside; otherwise fall back so that base pages can
 * refuse exactly the retired block.
 */
static vm_fault_t egm_fault_order(struct vm_fault *vmf, unsigned int order)
{
	struct vm_area_struct *vma = vmf->vma;
	struct egm_file *ef = vma->vm_private_data;
	struct egm_region *region = ef->region;
	unsigned long size = PAGE_SIZE << order;
	unsigned long addr = ALIGN_DOWN(vmf->address, size);
	pgoff_t pgoff = vma->vm_pgoff + ((addr - vma->vm_start) >> PAGE_SHIFT);
	u64 off = (u64)pgoff << PAGE_SHIFT;
	phys_addr_t phys = region->base + off;
	unsigned long pfn = PHYS_PFN(phys);
	vm_fault_t ret;
	int idx;

	if (order && (addr < vma->vm_start || addr + size > vma->vm_end ||
		      !IS_ALIGNED(pfn, 1UL << order)))
		return VM_FAULT_FALLBACK;

	idx = srcu_read_lock(&egm_srcu);
	if (egm_file_dead(ef) || off < ef->offset ||
	    off + size > ef->offset + ef->size)
		ret = VM_FAULT_SIGBUS;
	else if (egm_retired_any(region, phys, size))
		ret = order ? VM_FAULT_FALLBACK : VM_FAULT_HWPOISON;
	else
		ret = egm_insert(vmf, pfn, order);
	srcu_read_unlock(&egm_srcu, idx);
	return ret;
}

static vm_fault_t egm_fault(struct vm_fault *vmf)
{
	return egm_fault_order(vmf, 0);
}

#if EGM_HUGE
static vm_fault_t egm_huge_fault(struct vm_fault *vmf, unsigned int order)
{
	return egm_fault_order(vmf, order);
}
#endif

static const struct vm_operations_struct egm_vm_ops = {
	.fault = egm_fault,
#if EGM_HUGE
	.huge_fault = egm_huge_fault,
#endif
};

/* ------------------------------------------------------------------ */
/* File operations                                                    */
/* ------------------------------------------------------------------ */

static bool egm_open_may_proceed(struct egm_instance *inst)
{
	return READ_ONCE(inst->state) != EGM_STATE_SCRUBBING ||
	       egm_region_revoked(inst->region);
}

static int egm_open(struct inode *inode, struct file *file)
{
	struct egm_dev *edev = container_of(inode->i_cdev, struct egm_dev,
					    cdev);
	struct egm_instance *inst = edev->inst;
	struct egm_file *ef;
	int ret;

	ef = kzalloc(sizeof(*ef), GFP_KERNEL);
	if (!ef)
		return -ENOMEM;
	/* Pins the item: rmdir fails with EBUSY while we are open. */
	if (configfs_depend_item(&egm_subsys, &inst->group.cg_item)) {
		kfree(ef);
		return -ENODEV;
	}

	mutex_lock(&inst->lock);
	for (;;) {
		if (inst->edev != edev || egm_region_revoked(inst->region)) {
			ret = -ENODEV;
			break;
		}
		if (inst->opened) {
			ret = -EBUSY;
			break;
		}
		if (READ_ONCE(inst->state) != EGM_STATE_SCRUBBING) {
			ret = 0;
			break;
		}
		if (file->f_flags & O_NONBLOCK) {
			ret = -EAGAIN;
			break;
		}
		mutex_unlock(&inst->lock);
		ret = wait_event_killable(inst->wq, egm_open_may_proceed(inst));
		mutex_lock(&inst->lock);
		if (ret)
			break;
	}
	if (!ret) {
		inst->opened = true;
		inst->depended = true;
		WRITE_ONCE(inst->state, EGM_STATE_OPEN);
		config_item_get(&inst->group.cg_item);
		ef->inst = inst;
		ef->region = inst->region;
		ef->offset = inst->offset;
		ef->size = inst->rsize;
		file->private_data = ef;
		file->f_mapping = inst->region->inode->i_mapping;
	}
	mutex_unlock(&inst->lock);

	if (ret) {
		configfs_undepend_item(&inst->group.cg_item);
		kfree(ef);
	}
	return ret;
}

/*
 * Every VMA holds the file, so this runs once the last descriptor and
 * the last mapping are gone: the tenant has left, scrub for the next.
 */
static int egm_release(struct inode *inode, struct file *file)
{
	struct egm_file *ef = file->private_data;
	struct egm_instance *inst = ef->inst;
	bool depended;

	/*
	 * Not dead means still enabled with the settings of our open:
	 * disable needs a revoke while we are open, and settings need a
	 * disable.
	 */
	mutex_lock(&inst->lock);
	inst->opened = false;
	depended = inst->depended;
	inst->depended = false;
	if (inst->enabled && !egm_file_dead(ef)) {
		if (inst->scrub_zero)
			egm_scrub_handover(inst);
		else
			WRITE_ONCE(inst->state, EGM_STATE_READY);
	}
	mutex_unlock(&inst->lock);

	if (depended)
		configfs_undepend_item(&inst->group.cg_item);
	config_item_put(&inst->group.cg_item);
	kfree(ef);
	return 0;
}

/*
 * Copy one block between EGM and the user's buffer with page faults
 * disabled, so that no user fault (a userfaultfd page nobody serves, a
 * FUSE-backed mapping) runs inside the caller's SRCU section. Return the
 * bytes copied.
 */
static size_t egm_copy_block(void *kaddr, size_t n, struct iov_iter *iter,
			     bool write)
{
	size_t copied;

	pagefault_disable();
	if (write)
		copied = copy_from_iter(kaddr, n, iter);
	else
		copied = egm_copy_mc_to_iter(kaddr, n, iter);
	pagefault_enable();
	return copied;
}

/*
 * read and write, one retired-block granule at a time: each block is
 * checked and copied inside its own SRCU section, and a copy cut short
 * by an absent user page leaves the section, faults the page in and
 * retries, as filemap does. A copy that makes no progress right after a
 * successful fault-in hit something that faulting cannot fix: for read,
 * a memory error in the source (EIO, see egm_copy_mc_to_iter()), else a
 * bad user buffer (EFAULT).
 */
static ssize_t egm_rw(struct kiocb *iocb, struct iov_iter *iter, bool write)
{
	struct egm_file *ef = iocb->ki_filp->private_data;
	struct egm_region *region = ef->region;
	size_t len = iov_iter_count(iter), done = 0;
	loff_t pos = iocb->ki_pos;
	bool faulted = false;
	ssize_t err = 0;

	if (egm_file_dead(ef))
		return -ENODEV;
	if (pos < 0)
		return -EINVAL;
	if (!len)
		return 0;
	if (pos >= ef->size)
		return write ? -ENOSPC : 0;
	len = min_t(u64, len, ef->size - pos);

	while (done < len) {
		phys_addr_t phys = egm_file_phys(ef) + pos;
		void *kaddr = region->vaddr + (phys - region->base);
		size_t chunk, copied = 0, missed;
		int idx;

		chunk = min_t(u64, len - done,
			      EGM_BLOCK_SIZE - (phys & (EGM_BLOCK_SIZE - 1)));
		idx = srcu_read_lock(&egm_srcu);
		if (egm_file_dead(ef))
			err = -ENODEV;
		else if (egm_retired_any(region, phys, chunk))
			err = -EIO;
		else
			copied = egm_copy_block(kaddr, chunk, iter, write);
		srcu_read_unlock(&egm_srcu, idx);
		if (err)
			break;
		done += copied;
		pos += copied;
		if (faulted && !copied) {
			err = write || !EGM_COPY_MC ? -EFAULT : -EIO;
			break;
		}
		faulted = copied < chunk;
		if (faulted) {
			/* Outside the section: this may wait for anything. */
			chunk -= copied;
			missed = write ? fault_in_iov_iter_readable(iter, chunk) :
					 fault_in_iov_iter_writeable(iter, chunk);
			if (missed == chunk) {
				err = -EFAULT;
				break;
			}
		}
		if (fatal_signal_pending(current)) {
			err = -EINTR;
			break;
		}
		cond_resched();
	}
	iocb->ki_pos = pos;
	return done ? done : err;
}

static ssize_t egm_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	return egm_rw(iocb, to, false);
}

static ssize_t egm_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	return egm_rw(iocb, from, true);
}

/* SEEK_END gives the size: that is how QEMU sizes a backend file. */
static loff_t egm_llseek(struct file *file, loff_t offset, int whence)
{
	struct egm_file *ef = file->private_data;

	if (egm_file_dead(ef))
		return -ENODEV;
	return fixed_size_llseek(file, offset, whence, ef->size);
}

static int egm_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct egm_file *ef = file->private_data;
	struct egm_instance *inst = ef->inst;
	unsigned long end;

	/* MAP_SHARED of an O_RDONLY fd has VM_MAYSHARE but not VM_SHARED. */
	if (!(vma->vm_flags & VM_MAYSHARE)) {
		pr_info_ratelimited("%s: %s: private mappings are refused\n",
				    config_item_name(&inst->group.cg_item),
				    current->comm);
		return -EINVAL;
	}
	if (egm_file_dead(ef))
		return -ENODEV;
	if (check_add_overflow(vma->vm_pgoff, vma_pages(vma), &end) ||
	    end > ef->size >> PAGE_SHIFT)
		return -EINVAL;

	vma->vm_pgoff += ef->offset >> PAGE_SHIFT;
	/*
	 * VM_PFNMAP: no struct pages behind (or none we own), so GUP and
	 * rmap stay away; KVM and VFIO walk the page tables instead.
	 * No VM_IO: this is cacheable DRAM, not MMIO, and generic code
	 * (e.g. /proc/pid/mem) may treat it as memory. VM_DONTEXPAND
	 * keeps mremap() from growing past the instance; VM_DONTDUMP
	 * keeps a tenant's memory out of host core dumps.
	 */
	egm_vm_flags_set(vma, VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP |
			 (EGM_HUGE ? VM_HUGEPAGE : 0));
	vma->vm_ops = &egm_vm_ops;
	vma->vm_private_data = ef;
	return 0;
}

#if EGM_HUGE
/*
 * The largest page size a mapping of @len bytes can use: the file's
 * pagesize, or PMD_SIZE for a mapping shorter than a PUD.
 */
static unsigned long egm_map_align(const struct egm_file *ef,
				   unsigned long len)
{
	unsigned long align = egm_pagesize_of(egm_file_phys(ef), ef->size);

	if (align == PUD_SIZE && len < PUD_SIZE && EGM_HUGE_PMD)
		align = PMD_SIZE;
	return len < align ? PAGE_SIZE : align;
}

/*
 * Without a hint, place the mapping so that its physical address and
 * its virtual address agree modulo the largest usable page size.
 */
static unsigned long egm_get_unmapped_area(struct file *file,
					   unsigned long addr,
					   unsigned long len,
					   unsigned long pgoff,
					   unsigned long flags)
{
	struct egm_file *ef = file->private_data;
	unsigned long align = egm_map_align(ef, len), padded, want;
	phys_addr_t phys;

	if (addr || (flags & MAP_FIXED) || align == PAGE_SIZE ||
	    check_add_overflow(len, align, &padded))
		goto fallback;

	phys = egm_file_phys(ef) + ((phys_addr_t)pgoff << PAGE_SHIFT);
	want = egm_default_unmapped_area(file, 0, padded, pgoff, flags);
	if (IS_ERR_VALUE(want))
		goto fallback;
	return want + ((phys - want) & (align - 1));

fallback:
	return egm_default_unmapped_area(file, addr, len, pgoff, flags);
}
#endif

/* The instance's settings cannot change while @ef lives: flags are its. */
static long egm_ioctl_info(struct egm_file *ef, void __user *uarg)
{
	struct egm_region *region = ef->region;
	struct egm_info info = {
		.argsz = sizeof(info),
		.flags = egm_info_flags(ef->inst),
		.size = ef->size,
		.offset = ef->offset,
		.pagesize = egm_pagesize_of(egm_file_phys(ef), ef->size),
		.numa_node = region->nid,
		.pxm = region->pxm,
		.cpu_node = region->cpu_node,
		.retired_pages = egm_retired_pages(region, egm_file_phys(ef),
						   ef->size),
	};
	u32 argsz;

	if (get_user(argsz, (u32 __user *)uarg))
		return -EFAULT;
	/* at least argsz and flags; at most a page, as documented */
	if (argsz < offsetofend(struct egm_info, flags) || argsz > 4096)
		return -EINVAL;
	if (copy_to_user(uarg, &info, min_t(u32, argsz, sizeof(info))))
		return -EFAULT;
	return 0;
}

/*
 * The retired list of the file's extent into @uarg: coalesced ranges, or
 * with @blocks one entry per 64 KiB block. Counted first and written only
 * if all fit the caller's (argsz - 8) / 16 entries (*@cap), so a short
 * buffer keeps its entries. (A block retired between the two walks can
 * still make the second one overflow; the entries written then are
 * valid.) *@count: entries needed.
 */
static int egm_ioctl_list(struct egm_file *ef, struct egm_retired __user *uarg,
			  bool blocks, u32 *cap, u32 *count)
{
	int (*walk)(struct egm_region *region, phys_addr_t start, u64 len,
		    struct egm_range __user *uranges, u32 cap, u32 *count);
	u32 argsz;
	int ret;

	walk = blocks ? egm_retired_blocks : egm_retired_ranges;
	if (get_user(argsz, &uarg->argsz))
		return -EFAULT;
	if (argsz < sizeof(*uarg))
		return -EINVAL;
	*cap = (argsz - sizeof(*uarg)) / sizeof(struct egm_range);
	ret = walk(ef->region, egm_file_phys(ef), ef->size, NULL, 0, count);
	if (!ret && *count <= *cap)
		ret = walk(ef->region, egm_file_phys(ef), ef->size,
			   uarg->ranges, *cap, count);
	return ret;
}

/* A short buffer gets the count alone and ENOSPC. */
static long egm_ioctl_retired(struct egm_file *ef,
			      struct egm_retired __user *uarg)
{
	u32 cap, count;
	int ret;

	ret = egm_ioctl_list(ef, uarg, false, &cap, &count);
	if (ret)
		return ret;
	if (put_user(count, &uarg->count))
		return -EFAULT;
	return count > cap ? -ENOSPC : 0;
}

/*
 * EGM_BAD_PAGES_LIST, NVIDIA's downstream command: a buffer too small for
 * the list is not an error but a request to grow it, which their QEMU
 * does until the list fits (include/uapi/linux/egm.h).
 */
static long egm_ioctl_bad_pages(struct egm_file *ef,
				struct egm_retired __user *uarg)
{
	u32 cap, count;
	size_t need;
	int ret;

	ret = egm_ioctl_list(ef, uarg, true, &cap, &count);
	if (ret)
		return ret;
	if (count <= cap)
		return put_user(count, &uarg->count) ? -EFAULT : 0;
	need = struct_size(uarg, ranges, count);
	if (need > U32_MAX)
		return -EOVERFLOW;
	if (put_user((u32)need, &uarg->argsz) || put_user(0, &uarg->count))
		return -EFAULT;
	return 0;
}

/*
 * argsz alone sizes every copy (include/uapi/linux/egm.h). No SRCU
 * section: the handlers touch no EGM memory, only the snapshot and the
 * retired set, and their user copies may fault for as long as they like.
 */
static long egm_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct egm_file *ef = file->private_data;
	void __user *uarg = (void __user *)arg;

	if (cmd != EGM_IOCTL_INFO && cmd != EGM_IOCTL_RETIRED &&
	    cmd != EGM_BAD_PAGES_LIST)
		return -ENOTTY;

	if (egm_file_dead(ef))
		return -ENODEV;
	switch (cmd) {
	case EGM_IOCTL_INFO:
		return egm_ioctl_info(ef, uarg);
	case EGM_IOCTL_RETIRED:
		return egm_ioctl_retired(ef, uarg);
	default:
		return egm_ioctl_bad_pages(ef, uarg);
	}
}

static const struct file_operations egm_fops = {
	.owner = THIS_MODULE,
	.open = egm_open,
	.release = egm_release,
	.read_iter = egm_read_iter,
	.write_iter = egm_write_iter,
	.llseek = egm_llseek,
	.mmap = egm_mmap,
#if EGM_HUGE
	.get_unmapped_area = egm_get_unmapped_area,
#endif
	.unlocked_ioctl = egm_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
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

static ssize_t instance_show(struct device *dev, struct device_attribute *attr,
			     char *buf)
{
	return sysfs_emit(buf, "%s\n",
			  config_item_name(&dev_to_inst(dev)->group.cg_item));
}
static DEVICE_ATTR_RO(instance);

static ssize_t region_show(struct device *dev, struct device_attribute *attr,
			   char *buf)
{
	return sysfs_emit(buf, "%s\n", dev_to_inst(dev)->region->name);
}
static DEVICE_ATTR_RO(region);

static ssize_t pxm_show(struct device *dev, struct device_attribute *attr,
			char *buf)
{
	return sysfs_emit(buf, "%u\n", dev_to_inst(dev)->region->pxm);
}
static DEVICE_ATTR_RO(pxm);

static ssize_t numa_node_show(struct device *dev,
			      struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n", dev_to_inst(dev)->region->nid);
}
static DEVICE_ATTR_RO(numa_node);

static ssize_t cpu_node_show(struct device *dev,
			     struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n", dev_to_inst(dev)->region->cpu_node);
}
static DEVICE_ATTR_RO(cpu_node);

/* The names NVIDIA's downstream driver uses, for its tools. */
static ssize_t gpu_devices_show(struct device *dev,
				struct device_attribute *attr, char *buf)
{
	struct egm_region *region = dev_to_inst(dev)->region;

	return egm_dev_names_show(region->gpus, region->nr_gpus, buf);
}
static DEVICE_ATTR_RO(gpu_devices);

static ssize_t egm_size_show(struct device *dev,
			     struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%#llx\n", dev_to_inst(dev)->rsize);
}
static DEVICE_ATTR_RO(egm_size);

static ssize_t offset_show(struct device *dev, struct device_attribute *attr,
			   char *buf)
{
	return sysfs_emit(buf, "%llu\n", dev_to_inst(dev)->offset);
}
static DEVICE_ATTR_RO(offset);

static ssize_t size_show(struct device *dev, struct device_attribute *attr,
			 char *buf)
{
	return sysfs_emit(buf, "%llu\n", dev_to_inst(dev)->rsize);
}
static DEVICE_ATTR_RO(size);

static ssize_t base_show(struct device *dev, struct device_attribute *attr,
			 char *buf)
{
	return sysfs_emit(buf, "%llu\n",
			  (u64)egm_instance_phys(dev_to_inst(dev)));
}
static DEVICE_ATTR_ADMIN_RO(base);

static ssize_t state_show(struct device *dev, struct device_attribute *attr,
			  char *buf)
{
	return sysfs_emit(buf, "%s\n", egm_state_name(dev_to_inst(dev)));
}
static DEVICE_ATTR_RO(state);

static ssize_t scrub_progress_show(struct device *dev,
				   struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", egm_scrub_progress(dev_to_inst(dev)));
}
static DEVICE_ATTR_RO(scrub_progress);

static ssize_t retired_pages_show(struct device *dev,
				  struct device_attribute *attr, char *buf)
{
	struct egm_instance *inst = dev_to_inst(dev);

	return sysfs_emit(buf, "%llu\n",
			  egm_retired_pages(inst->region,
					    egm_instance_phys(inst),
					    inst->rsize));
}
static DEVICE_ATTR_RO(retired_pages);

static ssize_t pagesize_show(struct device *dev,
			     struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lu\n", egm_pagesize(dev_to_inst(dev)));
}
static DEVICE_ATTR_RO(pagesize);

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

/* Create /dev/egmN and its sysfs directory; instance lock held. */
int egm_dev_publish(struct egm_instance *inst)
{
	struct egm_dev *edev;
	int ret;

	lockdep_assert_held(&inst->lock);
	edev = kzalloc(sizeof(*edev), GFP_KERNEL);
	if (!edev)
		return -ENOMEM;
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

	cdev_init(&edev->cdev, &egm_fops);
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
}
