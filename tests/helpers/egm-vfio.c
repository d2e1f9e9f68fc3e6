// SPDX-License-Identifier: GPL-2.0
/*
 * egm-vfio: device DMA into an egm instance through VFIO type1, for
 * tests/bats/92-vfio.bats (make check-vfio).
 *
 * usage: egm-vfio dma DEV BDF OFF LEN [IOVA]
 *        egm-vfio map DEV BDF OFF LEN [IOVA]
 *        egm-vfio iommufd
 *
 * dma maps [OFF, OFF + LEN) of the instance DEV (/dev/egmN) with
 * MAP_SHARED, hands it to the IOMMU at IOVA (default 0x100000) with
 * VFIO_IOMMU_MAP_DMA on a type1v2 container holding BDF (QEMU's edu device
 * bound to vfio-pci), then moves data with edu's DMA engine in both
 * directions: a pattern the CPU wrote through the mapping is read by the
 * device into its buffer (RAM -> edu) and written back elsewhere (edu ->
 * RAM), and the CPU checks the copy through the mapping. One line per
 * transfer, "dma src=0x.. dst=0x.. len=N ok" or "... mismatch at=0x..
 * want=0x.. got=0x..". Then it unmaps, closes everything and exits. map
 * stops after VFIO_IOMMU_MAP_DMA ("map ok" or "map errno=NAME").
 * iommufd opens /dev/iommu: "iommufd errno=NAME" if the kernel has none,
 * else "iommufd present" and exit 3 (not measured here: see
 * Documentation/admin-guide/egm.rst, "GPU passthrough").
 *
 * Offsets are relative to the mapping. edu (QEMU hw/misc/edu.c): DMA mask
 * 28 bits, so IOVA + LEN must stay below 256 MiB; its buffer is 4 KiB at
 * device address 0x40000 and QEMU 7.2 aborts on a transfer that ends
 * exactly at the buffer's end, so every transfer here is < 4096 bytes.
 *
 * Exit status: 0 success, 1 failure (errno=NAME or a mismatch printed),
 * 2 usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/vfio.h>

/* edu's registers (BAR0) and DMA engine */
#define EDU_IDENT	0x00
#define EDU_DMA_SRC	0x80
#define EDU_DMA_DST	0x88
#define EDU_DMA_CNT	0x90
#define EDU_DMA_CMD	0x98
#define EDU_CMD_RUN	0x1
#define EDU_CMD_TO_RAM	0x2	/* direction: edu buffer -> RAM */
#define EDU_BUF		0x40000
#define EDU_MAX_XFER	4000

struct vfio {
	int container, group, device;
	volatile uint8_t *bar0;
	size_t bar0_size;
};

static void usage(void)
{
	fputs("usage: egm-vfio dma|map DEV BDF OFF LEN [IOVA]\n"
	      "       egm-vfio iommufd\n", stderr);
	exit(2);
}

static const char *errname(int err)
{
	static char buf[16];

	switch (err) {
	case EFAULT: return "EFAULT";
	case EINVAL: return "EINVAL";
	case ENOENT: return "ENOENT";
	case ENODEV: return "ENODEV";
	case EBUSY: return "EBUSY";
	case EPERM: return "EPERM";
	case ENOMEM: return "ENOMEM";
	case ENOSPC: return "ENOSPC";
	case EEXIST: return "EEXIST";
	case ENXIO: return "ENXIO";
	case EACCES: return "EACCES";
	}
	snprintf(buf, sizeof(buf), "E%d", err);
	return buf;
}

static int fail(const char *what)
{
	printf("%s errno=%s\n", what, errname(errno));
	return 1;
}

static uint64_t num(const char *s)
{
	char *end;
	uint64_t v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		usage();
	switch (*end) {
	case 'K': v <<= 10; end++; break;
	case 'M': v <<= 20; end++; break;
	case 'G': v <<= 30; end++; break;
	}
	if (*end)
		usage();
	return v;
}

static uint64_t edu_rd(struct vfio *v, unsigned int reg)
{
	return *(volatile uint64_t *)(v->bar0 + reg);
}

static void edu_wr(struct vfio *v, unsigned int reg, uint64_t val)
{
	*(volatile uint64_t *)(v->bar0 + reg) = val;
}

/* Container, group and device of BDF; memory decoding and bus master on. */
static int vfio_open(struct vfio *v, const char *bdf)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };
	struct vfio_region_info reg = { .argsz = sizeof(reg) };
	char path[256], link[256];
	uint16_t cmd;
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group", bdf);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return fail("iommu_group");
	link[n] = '\0';
	snprintf(path, sizeof(path), "/dev/vfio/%s", basename(link));

	v->container = open("/dev/vfio/vfio", O_RDWR);
	if (v->container < 0)
		return fail("container");
	if (ioctl(v->container, VFIO_GET_API_VERSION) != VFIO_API_VERSION ||
	    !ioctl(v->container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU)) {
		printf("container: no type1v2\n");
		return 1;
	}
	v->group = open(path, O_RDWR);
	if (v->group < 0)
		return fail("group");
	if (ioctl(v->group, VFIO_GROUP_GET_STATUS, &status))
		return fail("group status");
	if (!(status.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		printf("group: not viable\n");
		return 1;
	}
	if (ioctl(v->group, VFIO_GROUP_SET_CONTAINER, &v->container))
		return fail("set container");
	if (ioctl(v->container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		return fail("set iommu");
	v->device = ioctl(v->group, VFIO_GROUP_GET_DEVICE_FD, bdf);
	if (v->device < 0)
		return fail("device");

	reg.index = VFIO_PCI_CONFIG_REGION_INDEX;
	if (ioctl(v->device, VFIO_DEVICE_GET_REGION_INFO, &reg))
		return fail("config region");
	if (pread(v->device, &cmd, 2, reg.offset + 4) != 2)
		return fail("config read");
	cmd |= 0x6;	/* memory space, bus master */
	if (pwrite(v->device, &cmd, 2, reg.offset + 4) != 2)
		return fail("config write");

	memset(&reg, 0, sizeof(reg));
	reg.argsz = sizeof(reg);
	reg.index = VFIO_PCI_BAR0_REGION_INDEX;
	if (ioctl(v->device, VFIO_DEVICE_GET_REGION_INFO, &reg))
		return fail("bar0 region");
	if (!(reg.flags & VFIO_REGION_INFO_FLAG_MMAP)) {
		printf("bar0: not mappable\n");
		return 1;
	}
	v->bar0_size = reg.size;
	v->bar0 = mmap(NULL, reg.size, PROT_READ | PROT_WRITE, MAP_SHARED,
		       v->device, reg.offset);
	if (v->bar0 == MAP_FAILED)
		return fail("bar0 mmap");
	/* edu's identification register: 0xRRrr00ed, RR.rr its version */
	if ((*(volatile uint32_t *)(v->bar0 + EDU_IDENT) & 0xffff) != 0x00ed) {
		printf("bar0: not an edu device (ident 0x%08x)\n",
		       *(volatile uint32_t *)(v->bar0 + EDU_IDENT));
		return 1;
	}
	return 0;
}

static void vfio_close(struct vfio *v)
{
	if (v->bar0 && v->bar0 != MAP_FAILED)
		munmap((void *)v->bar0, v->bar0_size);
	if (v->device >= 0)
		close(v->device);
	if (v->group >= 0)
		close(v->group);
	if (v->container >= 0)
		close(v->container);
}

/* One transfer of edu's engine; waits (generously) for it to finish. */
static int edu_dma(struct vfio *v, uint64_t src, uint64_t dst, uint64_t cnt,
		   bool to_ram)
{
	struct timespec ms = { 0, 1000000 };
	int i;

	edu_wr(v, EDU_DMA_SRC, src);
	edu_wr(v, EDU_DMA_DST, dst);
	edu_wr(v, EDU_DMA_CNT, cnt);
	edu_wr(v, EDU_DMA_CMD, EDU_CMD_RUN | (to_ram ? EDU_CMD_TO_RAM : 0));
	for (i = 0; i < 120000; i++) {
		if (!(edu_rd(v, EDU_DMA_CMD) & EDU_CMD_RUN))
			return 0;
		nanosleep(&ms, NULL);
	}
	printf("edu: DMA did not finish in 120 s\n");
	return 1;
}

static uint8_t pattern(uint64_t off, unsigned int seed)
{
	return (uint8_t)((off * 131) ^ (off >> 8) ^ seed);
}

/*
 * Round trip through the device: the CPU writes a pattern at @src and
 * zeroes @dst, edu reads @src into its buffer and writes the buffer to
 * @dst, the CPU compares.
 */
static int round_trip(struct vfio *v, volatile uint8_t *map, uint64_t iova,
		      uint64_t src, uint64_t dst, uint64_t len, unsigned int seed)
{
	uint64_t i;

	for (i = 0; i < len; i++) {
		map[src + i] = pattern(src + i, seed);
		map[dst + i] = 0;
	}
	__sync_synchronize();
	if (edu_dma(v, iova + src, EDU_BUF, len, false) ||
	    edu_dma(v, EDU_BUF, iova + dst, len, true))
		return 1;
	__sync_synchronize();
	for (i = 0; i < len; i++) {
		uint8_t want = pattern(src + i, seed), got = map[dst + i];

		if (got != want) {
			printf("dma src=0x%" PRIx64 " dst=0x%" PRIx64 " len=%" PRIu64
			       " mismatch at=0x%" PRIx64 " want=0x%02x got=0x%02x\n",
			       src, dst, len, dst + i, want, got);
			return 1;
		}
	}
	printf("dma src=0x%" PRIx64 " dst=0x%" PRIx64 " len=%" PRIu64 " ok\n",
	       src, dst, len);
	return 0;
}

static int cmd_dma(int argc, char **argv, bool transfer)
{
	struct vfio v = { .container = -1, .group = -1, .device = -1 };
	struct vfio_iommu_type1_dma_map dm = { .argsz = sizeof(dm) };
	struct vfio_iommu_type1_dma_unmap du = { .argsz = sizeof(du) };
	uint64_t off, len, iova = 0x100000, half;
	volatile uint8_t *map;
	int fd, ret = 1;

	if (argc < 5)
		usage();
	off = num(argv[3]);
	len = num(argv[4]);
	if (argc > 5)
		iova = num(argv[5]);
	if (iova + len > (1ULL << 28)) {
		fprintf(stderr, "egm-vfio: IOVA + LEN beyond edu's 28-bit DMA mask\n");
		usage();
	}
	if (transfer && len < (4 << 20)) {
		fprintf(stderr, "egm-vfio: dma needs LEN >= 4M\n");
		usage();
	}
	fd = open(argv[1], O_RDWR);
	if (fd < 0)
		return fail("open");
	map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, off);
	if (map == MAP_FAILED)
		return fail("mmap");
	if (vfio_open(&v, argv[2]))
		goto out;

	dm.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
	dm.vaddr = (uintptr_t)map;
	dm.iova = iova;
	dm.size = len;
	if (ioctl(v.container, VFIO_IOMMU_MAP_DMA, &dm)) {
		fail("map");
		goto out;
	}
	printf("map ok\n");
	ret = 0;
	if (transfer) {
		half = len / 2;
		/* start -> end; across the middle (a PMD boundary for 4M+
		 * aligned instances) -> an unaligned spot; 2M - 1000 -> past
		 * the middle */
		ret = round_trip(&v, map, iova, 0, len - EDU_MAX_XFER,
				 EDU_MAX_XFER, 0x11) ||
		      round_trip(&v, map, iova, half - 2000, 4096 + 123,
				 EDU_MAX_XFER, 0x22) ||
		      round_trip(&v, map, iova, (1 << 20) - 1000,
				 half + 8192, 2000, 0x33);
	}
	du.iova = iova;
	du.size = len;
	if (ioctl(v.container, VFIO_IOMMU_UNMAP_DMA, &du)) {
		fail("unmap");
		ret = 1;
	}
out:
	vfio_close(&v);
	munmap((void *)map, len);
	close(fd);
	return ret;
}

static int cmd_iommufd(void)
{
	int fd = open("/dev/iommu", O_RDWR);

	if (fd < 0)
		return fail("iommufd");
	printf("iommufd present\n");
	close(fd);
	return 3;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2)
		usage();
	if (!strcmp(argv[1], "dma"))
		return cmd_dma(argc - 1, argv + 1, true);
	if (!strcmp(argv[1], "map"))
		return cmd_dma(argc - 1, argv + 1, false);
	if (!strcmp(argv[1], "iommufd"))
		return cmd_iommufd();
	usage();
	return 2;
}
