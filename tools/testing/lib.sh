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

# Supported guest kernels: name -> Debian suite that ships it.
egm_known_kernels="6.1 6.12 7.3"

log() { printf '%s\n' "$*" >&2; }
die() { printf '%s: error: %s\n' "${0##*/}" "$*" >&2; exit 1; }

# egm_kernel_env NAME: load the description of guest kernel NAME that
# scripts/deps wrote (KREL, KDIR, VMLINUZ, MODROOT, KBUILD_ROOT).
egm_kernel_env() {
	local name=$1 env=$EGM_CACHE/kernels/$1.env
	case " $egm_known_kernels " in
	*" $name "*) ;;
	*) die "unknown KERNEL=$name (known: $egm_known_kernels)" ;;
	esac
	[[ -r $env ]] || die "guest kernel $name not prepared; run scripts/deps $name"
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
