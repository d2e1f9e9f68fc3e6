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

static phys_addr_t egm_file_phys(const struct egm_file *ef)
{
	return ef->region->base + ef->offset;
}

/* Revoked: the file and its mappings are dead for good. */
static bool egm_file_dead(const struct egm_file *ef)
{
	return egm_region_revoked(ef->region);
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

static int egm_open(struct inode *inode, struct file *file)
{
	struct egm_dev *edev = container_of(inode->i_cdev, struct egm_dev,
					    cdev);
	struct egm_file *ef;
	int ret;

	ef = kzalloc(sizeof(*ef), GFP_KERNEL);
	if (!ef)
		return -ENOMEM;
	ret = egm_instance_open(edev, file->f_flags & O_NONBLOCK, ef);
	if (ret) {
		kfree(ef);
		return ret;
	}
	file->private_data = ef;
	file->f_mapping = ef->region->inode->i_mapping;
	return 0;
}

static int egm_release(struct inode *inode, struct file *file)
{
	struct egm_file *ef = file->private_data;

	egm_instance_release(ef);
	kfree(ef);
	return 0;
}

/*
 * Copy up to one block at @pos of the file between EGM and the user's
 * buffer, in an SRCU section and with page faults disabled, so that no
 * user fault (a userfaultfd page nobody serves, a FUSE-backed mapping)
 * runs inside it. Return the bytes copied (short at an absent user
 * page), or -ENODEV (revoked) or -EIO (retired).
 */
static ssize_t egm_copy_block(struct egm_file *ef, loff_t pos, size_t n,
			      struct iov_iter *iter, bool write)
{
	struct egm_region *region = ef->region;
	phys_addr_t phys = egm_file_phys(ef) + pos;
	void *kaddr = region->vaddr + (phys - region->base);
	ssize_t ret;
	int idx;

	idx = srcu_read_lock(&egm_srcu);
	if (egm_file_dead(ef)) {
		ret = -ENODEV;
	} else if (egm_retired_any(region, phys, n)) {
		ret = -EIO;
	} else {
		pagefault_disable();
		if (write)
			ret = copy_from_iter(kaddr, n, iter);
		else
			ret = egm_copy_mc_to_iter(kaddr, n, iter);
		pagefault_enable();
	}
	srcu_read_unlock(&egm_srcu, idx);
	return ret;
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
	size_t len = iov_iter_count(iter), done = 0, chunk, missed;
	loff_t pos = iocb->ki_pos;
	bool faulted = false;
	ssize_t copied = 0;

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
		chunk = min_t(u64, len - done, EGM_BLOCK_SIZE -
			      ((egm_file_phys(ef) + pos) & (EGM_BLOCK_SIZE - 1)));
		copied = egm_copy_block(ef, pos, chunk, iter, write);
		if (copied < 0)
			break;
		done += copied;
		pos += copied;
		if (faulted && !copied) {
			copied = write || !EGM_COPY_MC ? -EFAULT : -EIO;
			break;
		}
		faulted = copied < chunk;
		if (faulted) {
			/* Outside the section: this may wait for anything. */
			chunk -= copied;
			missed = write ? fault_in_iov_iter_readable(iter, chunk) :
					 fault_in_iov_iter_writeable(iter, chunk);
			if (missed == chunk) {
				copied = -EFAULT;
				break;
			}
		}
		if (fatal_signal_pending(current)) {
			copied = -EINTR;
			break;
		}
		cond_resched();
	}
	iocb->ki_pos = pos;
	return done ? done : min_t(ssize_t, copied, 0);
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
	unsigned long align = egm_extent_pagesize(egm_file_phys(ef), ef->size);

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
		.flags = egm_region_caps(region) |
			 (ef->inst->scrub_zero ? EGM_INFO_SCRUB_ZERO : 0),
		.size = ef->size,
		.offset = ef->offset,
		.pagesize = egm_extent_pagesize(egm_file_phys(ef), ef->size),
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
	phys_addr_t start = egm_file_phys(ef);
	u32 argsz;
	int ret;

	if (get_user(argsz, &uarg->argsz))
		return -EFAULT;
	if (argsz < sizeof(*uarg))
		return -EINVAL;
	*cap = (argsz - sizeof(*uarg)) / sizeof(struct egm_range);
	ret = egm_retired_ranges(ef->region, start, ef->size, NULL, 0, count,
				 !blocks);
	if (!ret && *count <= *cap)
		ret = egm_retired_ranges(ef->region, start, ef->size,
					 uarg->ranges, *cap, count, !blocks);
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

const struct file_operations egm_fops = {
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
