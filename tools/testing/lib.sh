# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Common definitions for the egm build and test scripts. Sourced, not run.
#
# EGM_CACHE holds everything fetched or built once (guest kernels, the
# trixie build chroot, base initramfs archives, checkpatch). It lives
# outside the source tree so that a clean clone starts fast on a machine
# that has run the harness before.

EGM_CACHE=${EGM_CACHE:-${HOME:-/root}/.cache/egm}
EGM_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
EGM_BUILD=${EGM_BUILD:-$EGM_SRC/build}
export EGM_CACHE EGM_SRC EGM_BUILD

# Supported guest kernels: name -> Debian suite that ships it; debug is
# bookworm's linux-source built with lockdep, KASAN, UBSAN and kmemleak
# (scripts/deps, tools/testing/debug.config; make check-debug).
egm_known_kernels="6.1 6.12 7.3 debug"

# ARCH: the guest architecture, x86_64 (default) or arm64 (make ARCH=arm64:
# Debian's arm64 kernels on qemu-system-aarch64 -M virt, modules and tools
# cross-built; scripts/deps-arm64). arm64 kernels: 6.1 (bookworm), 6.12
# (trixie) and 6.12-16k (trixie's 16 KiB page flavour).
case ${ARCH:-x86_64} in
x86_64 | x86 | amd64) egm_arch=x86_64 ;;
arm64 | aarch64) egm_arch=arm64 ;;
*) printf 'egm: unsupported ARCH=%s (x86_64 or arm64)\n' "$ARCH" >&2; exit 1 ;;
esac
egm_known_kernels_arm64="6.1 6.12 6.12-16k"
export egm_arch

log() { printf '%s\n' "$*" >&2; }
die() { printf '%s: error: %s\n' "${0##*/}" "$*" >&2; exit 1; }

# egm_kernel_env NAME: load the description of guest kernel NAME that
# scripts/deps wrote (KREL, KDIR, VMLINUZ, MODROOT, KBUILD_ROOT).
egm_kernel_env() {
	local name=$1 env=$EGM_CACHE/kernels/$1.env known=$egm_known_kernels
	if [[ $egm_arch == arm64 ]]; then
		env=$EGM_CACHE/kernels/arm64-$1.env known=$egm_known_kernels_arm64
	fi
	case " $known " in
	*" $name "*) ;;
	*) die "unknown KERNEL=$name for $egm_arch (known: $known)" ;;
	esac
	[[ -r $env ]] || die "guest kernel $name ($egm_arch) not prepared; run ARCH=$egm_arch scripts/deps $name"
	# shellcheck source=/dev/null
	. "$env"
	[[ -r $VMLINUZ ]] || die "$VMLINUZ missing; run scripts/deps $name"
}

# The guest machine, shared by every boot, shaped like a Grace host in
# hypervisor mode (Documentation/admin-guide/egm.rst "Test guest"):
# -machine pc, 4 GiB, 2 sockets of one vCPU, three NUMA nodes:
#   PXM 0: CPU 0, 0-2 GiB; socket0's EGM region lies inside it
#   PXM 1: no CPU, 2-3 GiB, all of it socket1's EGM region (memmap=, run):
#          the memory-only proximity domain real firmware gives EGM
#   PXM 2: CPU 1 (socket 1), 4-5 GiB
# (-machine pc maps RAM at 0-3 GiB and 4-5 GiB, node after node). The
# SLIT puts PXM 1 nearest to PXM 2, so socket1's cpu_node is PXM 2's
# node. Linux numbers nodes in SRAT order, CPUs first: PXM 0 -> node 0,
# PXM 2 -> node 1, PXM 1 -> node 2. Three edu PCI devices stand in for
# the GPUs whose ACPI companions carry the EGM _DSD (egm-ssdt.asl):
# slots 5 and 6 for socket0, slot 7 for socket1.
# egm_numa_args CPUS0 CPUS2 sets egm_numa: the memory, NUMA and GPU
# options of the machine, with CPUS0 in PXM 0 and CPUS2 in PXM 2.
# shellcheck disable=SC2054 # commas are QEMU syntax
egm_numa_args() {
	egm_numa=(
		-object memory-backend-ram,id=mem0,size=2G
		-object memory-backend-ram,id=mem1,size=1G
		-object memory-backend-ram,id=mem2,size=1G
		-numa "node,nodeid=0,cpus=$1,memdev=mem0"
		-numa node,nodeid=1,memdev=mem1
		-numa "node,nodeid=2,cpus=$2,memdev=mem2"
		-numa dist,src=0,dst=1,val=30
		-numa dist,src=0,dst=2,val=20
		-numa dist,src=1,dst=2,val=15
		-device edu,addr=5 -device edu,addr=6 -device edu,addr=7)
}
egm_numa_args 0 1
# shellcheck disable=SC2034,SC2054 # used by the scripts that source this; commas are QEMU syntax
egm_qemu_machine=(qemu-system-x86_64 -accel tcg -cpu max -machine pc -m 4096
	-smp 2,sockets=2,cores=1,threads=1 "${egm_numa[@]}"
	-nodefaults -no-user-config -display none -no-reboot)

# The bench guest (`make bench`): the same machine with 2 vCPUs per
# socket, so the scrub and the multi-thread memset reference can run in
# parallel on the region's cpu_node.
egm_numa_args 0-1 2-3
# shellcheck disable=SC2034,SC2054 # used by run; commas are QEMU syntax
egm_qemu_bench_machine=(qemu-system-x86_64 -accel tcg -cpu max -machine pc -m 4096
	-smp 4,sockets=2,cores=2,threads=1 "${egm_numa[@]}"
	-nodefaults -no-user-config -display none -no-reboot)

# Guest physical layout, per architecture and boot: socket0 (64 MiB
# inside a RAM section: struct pages), socket1 (1 GiB, no struct pages),
# and the two copies of socket0's firmware retired-pages table, one per
# GPU as Grace firmware writes them (64 KiB each, see mkretired), plus
# what the suites may expect of them: region names, NUMA node, cpu_node,
# the GPUs' PCI addresses (_GPUS) and the describing ACPI devices that
# are no PCI device's companion (_ACPI; the GPUs' own ACPI names are
# their firmware_node's). The harness passes all of it to the
# suites as EGM_S0_*, EGM_S1_*, EGM_RT_BASE, EGM_RT2_BASE (egm_layout_env).
#
# The arm64 UEFI boot (the ACPI boot of ARCH=arm64, see run) cannot hide a
# hole inside RAM (no memmap=, no /reserved-memory under ACPI): its ranges
# all lie above the mem= limit (egm_uefi_mem), in node 1's RAM, which edk2
# leaves alone (it keeps its own data below 3 GiB). RAM then ends at
# 0xc2000000, in the middle of the 128 MiB section 0xc0000000-0xc7ffffff,
# so socket0 (the rest of that section) still has struct pages and
# socket1 has none, as in the other boots. Its firmware has no GPU stand-ins
# (NVDA2008 devices carry the properties) and one NUMA node (SRAT dropped).
# egm_layout BOOT sets the layout of BOOT (acpi, param or conflict: the
# ACPI boot's, whose socket0 the firmware spoils); the variables start out
# with the default boot's.
# shellcheck disable=SC2034 # used by the scripts that source this
egm_layout() {
	egm_s0_name=socket0 egm_s0_pxm=0 egm_s0_size=$((64 << 20))
	egm_s1_name=socket1 egm_s1_pxm=1 egm_s1_size=$((1 << 30))
	egm_s0_gpus='' egm_s1_gpus='' egm_s0_acpi='' egm_s1_acpi=''
	if [[ $egm_arch == arm64 && $1 != param ]]; then
		egm_s0_acpi='NVDA2008:00 NVDA2008:01' egm_s1_acpi=NVDA2008:02
		egm_s0_base=0xc4000000 egm_s1_base=0x100000000
		egm_rt_base=0xc3ff0000 egm_rt2_base=0xc3fe0000
		egm_s0_node=0 egm_s0_cpu_node=0 egm_s1_node=-1 egm_s1_cpu_node=-1
	elif [[ ${EGM_MACHINE:-} == vfio ]]; then
		# q35 (check-vfio) keeps 2-4 GiB for PCI: two nodes with a
		# CPU each, socket1 at 4 GiB in node 1, NVDA2008 devices
		egm_s0_base=0x30000000 egm_s1_base=0x100000000
		egm_rt_base=0x2fff0000 egm_rt2_base=0x2ffe0000
		egm_s0_node=0 egm_s0_cpu_node=0 egm_s1_node=1 egm_s1_cpu_node=1
		egm_s0_acpi='NVDA2008:00 NVDA2008:01' egm_s1_acpi=NVDA2008:02
	elif [[ $egm_arch == arm64 ]]; then
		egm_s0_base=0x70000000 egm_s1_base=0x100000000
		egm_rt_base=0x6fff0000 egm_rt2_base=0x6ffe0000
		egm_s0_node=0 egm_s0_cpu_node=0 egm_s1_node=1 egm_s1_cpu_node=1
	else
		egm_s0_base=0x30000000 egm_s1_base=0x80000000
		egm_rt_base=0x2fff0000 egm_rt2_base=0x2ffe0000
		egm_s0_node=0 egm_s0_cpu_node=0 egm_s1_node=2 egm_s1_cpu_node=1
		if [[ $1 != param ]]; then
			egm_s0_gpus='0000:00:05.0 0000:00:06.0'
			egm_s1_gpus=0000:00:07.0
			egm_s0_acpi=NVDA2008:00
		fi
	fi
	egm_param_regions=$egm_s0_pxm:$egm_s0_base:64M,$egm_s1_pxm:$egm_s1_base:1G
}

# egm_layout_env: the layout as EGM_*=value lines for the guest.
egm_layout_env() {
	local v
	for v in s{0,1}_{name,pxm,base,size,node,cpu_node,gpus,acpi} \
		rt_base rt2_base; do
		local -n val=egm_$v
		printf 'EGM_%s=%q\n' "${v^^}" "$val"
	done
}

# The default boot of the architecture: where .bats files without an
# egm-boot tag run (check) and whose layout the variables start with.
egm_default_boot=acpi
[[ $egm_arch == arm64 ]] && egm_default_boot=param
egm_layout "$egm_default_boot"
# arm64 UEFI: mem= counts the 64 MiB of flash1 at 0x04000000 that edk2
# declares as memory, so 2144M ends RAM at 1 GiB + 2080 MiB = 0xc2000000.
# shellcheck disable=SC2034 # used by run
egm_uefi_mem=2144M

# The arm64 guest (ARCH=arm64): -M virt puts RAM at 1 GiB; 4 GiB, node 0 =
# 1-3 GiB (CPU 0), node 1 = 3-5 GiB (CPU 1). The device tree (mkdtb) adds
# /reserved-memory no-map nodes for socket0 and the retired table; mem=3G
# on the command line keeps the kernel off 4-5 GiB altogether, so socket1
# has no struct pages (QEMU rewrites the /memory nodes of a -dtb, so they
# cannot be trimmed there). The TAP channel is a virtio console (hvc0):
# virt has one UART.
# shellcheck disable=SC2034,SC2054 # used by the scripts that source this; commas are QEMU syntax
if [[ $egm_arch == arm64 ]]; then
	egm_qemu_machine=(qemu-system-aarch64 -accel tcg -cpu max,pauth-impdef=on
		-machine virt -m 4096 -smp 2,sockets=2,cores=1,threads=1
		-object memory-backend-ram,id=mem0,size=2G
		-object memory-backend-ram,id=mem1,size=2G
		-numa node,nodeid=0,cpus=0,memdev=mem0
		-numa node,nodeid=1,cpus=1,memdev=mem1
		-nodefaults -no-user-config -display none -no-reboot)
fi

# The VFIO guest (`make check-vfio`, tools/testing/check-vfio): the same
# memory and NUMA layout on a q35 machine with an emulated Intel IOMMU and
# QEMU's edu PCI device (a DMA engine, 28-bit DMA mask) at slot 0x0a, for
# device DMA into an instance through vfio-pci (kernel argument
# intel_iommu=on, added by run). q35 puts RAM at 0-2 GiB and from 4 GiB,
# so socket0 and socket1 lie in nodes 0 and 1 as on pc. run and dsdt use
# it when EGM_MACHINE=vfio.
# shellcheck disable=SC2034,SC2054 # used by run and dsdt; commas are QEMU syntax
egm_qemu_vfio_machine=(qemu-system-x86_64 -accel tcg -cpu max -machine q35 -m 4096
	-smp 2,sockets=2,cores=1,threads=1
	-object memory-backend-ram,id=mem0,size=2G
	-object memory-backend-ram,id=mem1,size=2G
	-numa node,nodeid=0,cpus=0,memdev=mem0
	-numa node,nodeid=1,cpus=1,memdev=mem1
	-nodefaults -no-user-config -display none -no-reboot
	-device intel-iommu -device edu,addr=0x0a)
