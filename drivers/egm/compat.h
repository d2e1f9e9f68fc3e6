/* SPDX-License-Identifier: GPL-2.0 */
/*
 * egm: the one place that absorbs kernel API differences.
 *
 * Supported: Debian 6.1 (bookworm), 6.12 (trixie) and 7.x
 * (trixie-backports). Everything version dependent is decided here, at
 * build time, so the rest of the driver reads the same on every kernel.
 */
#ifndef _EGM_COMPAT_H
#define _EGM_COMPAT_H

#include <linux/device.h>
#include <linux/mm.h>
#include <linux/uio.h>

/*
 * Kbuild passes EGM_HAVE_<HEADER> for optional headers, and EGM_KVER =
 * VERSION * 256 + PATCHLEVEL of the kernel we build against;
 * EGM_SINCE(v, p) is true from kernel v.p on.
 */
#define EGM_KV(v, p)	((v) * 256 + (p))
#define EGM_SINCE(v, p)	(EGM_KV(v, p) <= EGM_KVER)

/* struct device_type callbacks take a const device since 6.3. */
#if EGM_SINCE(6, 3)
#define egm_cdev_t const struct device
#else
#define egm_cdev_t struct device
#endif

/*
 * A per-CPU (bound) workqueue says so with WQ_PERCPU from 6.17 on; 7.x
 * warns at alloc_workqueue() when a queue is neither WQ_PERCPU nor
 * WQ_UNBOUND. Before, bound was the default.
 */
#if EGM_SINCE(6, 17)
#define EGM_WQ_PERCPU	WQ_PERCPU
#else
#define EGM_WQ_PERCPU	0
#endif

/* vm_flags became read-only (vm_flags_set()) in 6.3. */
static inline void egm_vm_flags_set(struct vm_area_struct *vma,
				    vm_flags_t flags)
{
#if EGM_SINCE(6, 3)
	vm_flags_set(vma, flags);
#else
	vma->vm_flags |= flags;
#endif
}

/*
 * Huge PFN mappings. Before 6.12 the kernel never calls .huge_fault for
 * a VM_PFNMAP mapping and its page-table walkers (follow_pte(), KVM,
 * GUP) cannot cope with a huge PFN entry, so egm maps base pages there.
 * Where the architecture selects the *_PFNMAP options, the walkers know
 * special huge entries and egm inserts PMDs and PUDs.
 */
#ifdef CONFIG_ARCH_SUPPORTS_PMD_PFNMAP
#define EGM_HUGE_PMD	1
#else
#define EGM_HUGE_PMD	0
#endif
#ifdef CONFIG_ARCH_SUPPORTS_PUD_PFNMAP
#define EGM_HUGE_PUD	1
#else
#define EGM_HUGE_PUD	0
#endif
#define EGM_HUGE	(EGM_HUGE_PMD || EGM_HUGE_PUD)

/*
 * Memory errors on pfn ranges without struct pages reach drivers that
 * register the range (7.x, struct pfn_address_space with a
 * pfn_to_vma_pgoff callback). Older kernels never tell us.
 */
#if defined(EGM_HAVE_MEMORY_FAILURE_H) && defined(CONFIG_MEMORY_FAILURE)
#include <linux/memory-failure.h>
#define EGM_MEMORY_FAILURE	1
#else
#define EGM_MEMORY_FAILURE	0
#endif

/*
 * read() copies tenant memory that may hold an error nobody recorded
 * yet. Where the architecture recovers from a machine check taken in a
 * kernel copy (x86 with ARCH_HAS_COPY_MC, 6.1 on), _copy_mc_to_iter()
 * stops short there instead of panicking the host, and read() reports
 * EIO; elsewhere it is _copy_to_iter() (the kernel decides, as for dax;
 * copy_mc_to_user() itself is not exported to modules). Not covered by
 * the tests: TCG emulates no machine checks.
 */
#if defined(CONFIG_X86) && defined(CONFIG_ARCH_HAS_COPY_MC)
#define EGM_COPY_MC	1
#else
#define EGM_COPY_MC	0
#endif
#define egm_copy_mc_to_iter(from, n, iter)	_copy_mc_to_iter(from, n, iter)

#if EGM_HUGE
/* pfn_t and <linux/pfn_t.h> are gone in 7.x: the inserters take a pfn. */
#ifdef EGM_HAVE_PFN_T_H
#include <linux/pfn_t.h>
#define egm_insert_pfn_pmd(vmf, pfn, w) \
	vmf_insert_pfn_pmd(vmf, __pfn_to_pfn_t(pfn, PFN_DEV), w)
#define egm_insert_pfn_pud(vmf, pfn, w) \
	vmf_insert_pfn_pud(vmf, __pfn_to_pfn_t(pfn, PFN_DEV), w)
#else
#define egm_insert_pfn_pmd(vmf, pfn, w) vmf_insert_pfn_pmd(vmf, pfn, w)
#define egm_insert_pfn_pud(vmf, pfn, w) vmf_insert_pfn_pud(vmf, pfn, w)
#endif

/*
 * The fallback allocator moved behind mm_get_unmapped_area() in 6.10,
 * which lost its mm argument after 6.12 (7.x has the short form; the
 * exact release in between is not one we build for).
 */
#if EGM_SINCE(7, 0)
#define egm_default_unmapped_area(f, a, l, p, fl) \
	mm_get_unmapped_area(f, a, l, p, fl)
#elif EGM_SINCE(6, 10)
#define egm_default_unmapped_area(f, a, l, p, fl) \
	mm_get_unmapped_area(current->mm, f, a, l, p, fl)
#else
#define egm_default_unmapped_area(f, a, l, p, fl) \
	current->mm->get_unmapped_area(f, a, l, p, fl)
#endif
#endif /* EGM_HUGE */

#endif /* _EGM_COMPAT_H */
