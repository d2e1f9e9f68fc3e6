/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * egm: NVIDIA Grace Extended GPU Memory instances, character device ABI.
 *
 * Numbered like VFIO's: _IO(EGM_IOCTL_MAGIC, nr), no size in the command.
 * Every ioctl argument starts with a __u32 argsz that the caller sets to
 * the size of its buffer; argsz alone decides what is copied, so the
 * structures can grow at their end without new command numbers
 * (Documentation/userspace-api/egm.rst).
 */
#ifndef _UAPI_LINUX_EGM_H
#define _UAPI_LINUX_EGM_H

#include <linux/ioctl.h>
#include <linux/types.h>

/* Registered in Documentation/userspace-api/ioctl/ioctl-number.rst. */
#define EGM_IOCTL_MAGIC		0xE6

/* egm_info.flags */
#define EGM_INFO_SCRUB_ZERO	(1U << 0)	/* scrubbed before each tenant */
#define EGM_INFO_HUGE_PMD	(1U << 1)	/* PMD mappings are built in */
#define EGM_INFO_HUGE_PUD	(1U << 2)	/* PUD mappings are built in */
#define EGM_INFO_MEMORY_FAILURE	(1U << 3)	/* kernel memory errors handled */

/**
 * struct egm_info - what an opener needs to know about its instance
 * @argsz: in: size of the caller's buffer; out: size of this structure
 * @flags: EGM_INFO_* bits
 * @size: instance size in bytes (what lseek(fd, 0, SEEK_END) returns)
 * @offset: offset of the instance inside its region, in bytes
 * @pagesize: largest mapping size the fault handler can use
 * @numa_node: NUMA node of the region, -1 if unknown
 * @pxm: ACPI proximity domain (socket) of the region
 * @retired_pages: PAGE_SIZE pages of the instance withheld as retired
 * @cpu_node: nearest NUMA node with CPUs (@numa_node if it has any; on
 *	      Grace the EGM node has none), -1 if unknown; since 56 bytes
 * @reserved: zero
 *
 * The first 48 bytes (up to @retired_pages) are the original layout;
 * callers that pass argsz 48 keep working.
 */
struct egm_info {
	__u32 argsz;
	__u32 flags;
	__u64 size;
	__u64 offset;
	__u64 pagesize;
	__s32 numa_node;
	__u32 pxm;
	__u64 retired_pages;
	__s32 cpu_node;
	__u32 reserved;
};

/**
 * struct egm_range - a byte range relative to the start of the instance
 * @offset: first byte
 * @size: length in bytes
 */
struct egm_range {
	__u64 offset;
	__u64 size;
};

/**
 * struct egm_retired - retired ranges of the instance, coalesced
 * @argsz: in: size of the caller's buffer, header included
 * @count: out: number of ranges needed; ranges[] is filled only if they
 *	   all fit ((argsz - 8) / 16 of them), otherwise the call fails
 *	   with ENOSPC and only @count is written
 * @ranges: the ranges, sorted by offset
 */
struct egm_retired {
	__u32 argsz;
	__u32 count;
	struct egm_range ranges[];
};

#define EGM_IOCTL_INFO		_IO(EGM_IOCTL_MAGIC, 0x00)
#define EGM_IOCTL_RETIRED	_IO(EGM_IOCTL_MAGIC, 0x01)

/*
 * Compatibility with NVIDIA's downstream EGM driver, whose QEMU asks every
 * memory backend's fd for its retired pages with this command (0x4564)
 * and lays guest memory out around them. It is not numbered like egm's
 * own commands: the driver matches the whole value. The argument has the
 * layout of struct egm_retired, with downstream's semantics:
 *  - argsz < 8: EINVAL;
 *  - argsz too small for the list: success, only the header is written,
 *    argsz = the size needed and count = 0 (grow the buffer and retry);
 *  - otherwise one range per retired 64 KiB block (offset relative to the
 *    instance, size 64 KiB, clipped to the instance), ascending, and
 *    count; argsz is left as it was.
 * New code should use EGM_IOCTL_RETIRED.
 */
#define EGM_BAD_PAGES_LIST	_IO('E', 100)

#endif /* _UAPI_LINUX_EGM_H */
