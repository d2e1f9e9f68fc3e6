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

# The guest machine, shared by every boot (DESIGN §8): -machine pc,
# 4 GiB, 2 sockets of one vCPU, node 0 = 0-2 GiB, node 1 = 2-3 GiB and
# 4-5 GiB (-machine pc maps RAM at 0-3 GiB and 4-5 GiB).
# shellcheck disable=SC2034,SC2054 # used by the scripts that source this; commas are QEMU syntax
egm_qemu_machine=(qemu-system-x86_64 -accel tcg -cpu max -machine pc -m 4096
	-smp 2,sockets=2,cores=1,threads=1
	-object memory-backend-ram,id=mem0,size=2G
	-object memory-backend-ram,id=mem1,size=2G
	-numa node,nodeid=0,cpus=0,memdev=mem0
	-numa node,nodeid=1,cpus=1,memdev=mem1
	-nodefaults -no-user-config -display none -no-reboot)

# The bench guest (`make bench`, DESIGN §8): the same machine with 2 vCPUs
# per NUMA node, so the scrub and the multi-thread memset reference can run
# in parallel on the region's node.
# shellcheck disable=SC2034,SC2054 # used by run; commas are QEMU syntax
egm_qemu_bench_machine=(qemu-system-x86_64 -accel tcg -cpu max -machine pc -m 4096
	-smp 4,sockets=2,cores=2,threads=1
	-object memory-backend-ram,id=mem0,size=2G
	-object memory-backend-ram,id=mem1,size=2G
	-numa node,nodeid=0,cpus=0-1,memdev=mem0
	-numa node,nodeid=1,cpus=2-3,memdev=mem1
	-nodefaults -no-user-config -display none -no-reboot)

# Guest physical layout (DESIGN §8), per architecture: socket0 (64 MiB
# inside a RAM section: struct pages), socket1 (1 GiB, no struct pages),
# the firmware retired-pages table (64 KiB, see mkretired). The harness
# passes them to the suites (EGM_S0_BASE, EGM_S1_BASE, EGM_RT_BASE in the
# guest environment).
#
# The arm64 UEFI boot (the ACPI boot of ARCH=arm64, see run) cannot hide a
# hole inside RAM (no memmap=, no /reserved-memory under ACPI): its ranges
# all lie above the mem= limit (egm_uefi_mem), in node 1's RAM, which edk2
# leaves alone (it keeps its own data below 3 GiB). RAM then ends at
# 0xc2000000, in the middle of the 128 MiB section 0xc0000000-0xc7ffffff,
# so socket0 (the rest of that section) still has struct pages and
# socket1 has none, as in the other boots.
# egm_layout BOOT sets the layout of BOOT (acpi or param); the variables
# start out with the default boot's.
# shellcheck disable=SC2034 # used by the scripts that source this
egm_layout() {
	if [[ $egm_arch == arm64 && $1 == acpi ]]; then
		egm_s0_base=0xc4000000 egm_s1_base=0x100000000 egm_rt_base=0xc3ff0000
	elif [[ $egm_arch == arm64 ]]; then
		egm_s0_base=0x70000000 egm_s1_base=0x100000000 egm_rt_base=0x6fff0000
	else
		egm_s0_base=0x30000000 egm_s1_base=0x100000000 egm_rt_base=0x2fff0000
	fi
	egm_param_regions=0:$egm_s0_base:64M,1:$egm_s1_base:1G
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
