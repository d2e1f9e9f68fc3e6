# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# shellcheck disable=SC2034,SC2016  # variables are used by the suites
# Shared helpers for the egm bats suites. Load with
#   load /usr/lib/bats/bats-support/load
#   load /usr/lib/bats/bats-assert/load
#   load lib/egm
# One helper per action (gpio-sim.sh style); every suite calls egm_setup in
# setup() and egm_teardown in teardown(), which remove every instance.

EGM_CFS=/sys/kernel/config/egm
EGM_INST=$EGM_CFS/instances
EGM_REG=$EGM_CFS/regions
EGM_CLASS=/sys/class/egm
EGM_DBG=/sys/kernel/debug/egm
EGM_PARAMS=/sys/module/egm/parameters
# The guest's layout (tools/testing/README.md "The guest"): the harness
# exports the values of the guest's architecture and boot
# (tools/testing/lib.sh, egm_layout); the defaults are x86's ACPI boot.
EGM_S0_NAME=${EGM_S0_NAME:-socket0}
EGM_S0_PXM=${EGM_S0_PXM:-0}
EGM_S0_BASE=${EGM_S0_BASE:-0x30000000}
EGM_S0_NODE=${EGM_S0_NODE:-0}
EGM_S0_CPU_NODE=${EGM_S0_CPU_NODE:-0}
EGM_S0_GPUS=${EGM_S0_GPUS-0000:00:05.0 0000:00:06.0}
EGM_S0_ACPI=${EGM_S0_ACPI-NVDA2008:00}
EGM_S1_NAME=${EGM_S1_NAME:-socket1}
EGM_S1_PXM=${EGM_S1_PXM:-1}
EGM_S1_BASE=${EGM_S1_BASE:-0x80000000}
EGM_S1_NODE=${EGM_S1_NODE:-2}
EGM_S1_CPU_NODE=${EGM_S1_CPU_NODE:-1}
EGM_S1_GPUS=${EGM_S1_GPUS-0000:00:07.0}
EGM_S1_ACPI=${EGM_S1_ACPI-}
EGM_RT_BASE=${EGM_RT_BASE:-0x2fff0000}
EGM_RT2_BASE=${EGM_RT2_BASE:-0x2ffe0000}
EGM_PARAM_REGIONS=$EGM_S0_PXM:$EGM_S0_BASE:64M,$EGM_S1_PXM:$EGM_S1_BASE:1G
# socket0's firmware retired blocks in the ACPI boot, as offsets: the union
# of the two GPUs' table copies (tools/testing/mkretired), and the
# coalesced EGM_IOCTL_RETIRED ranges of an instance covering all of it.
S0_FW_OFFS=(0x10000 0x20000 0x50000 0x2000000 0x3ff0000)
S0_FW_RANGES="count=4
range=0x10000 0x20000
range=0x50000 0x10000
range=0x2000000 0x10000
range=0x3ff0000 0x10000"


declare -gA EGM_BG_PID=()
declare -gA EGM_BG_FD=()
EGM_RELOAD_IN_TEARDOWN=0

# ---- small utilities ------------------------------------------------------

# lines WORD...: the words sorted (C locale), one a line; an empty line
# for none (as egm's list attributes print them).
lines() {
	if (($#)); then
		printf '%s\n' "$@" | LC_ALL=C sort
	else
		echo
	fi
}

# s0_fw_retired: socket0's retired list as the region's retired file
# shows it in the ACPI boot (firmware blocks only).
s0_fw_retired() {
	local off
	for off in "${S0_FW_OFFS[@]}"; do
		echo "$(s0pa "$off") firmware"
	done
}

# revoke REGION: withdraw REGION through its debugfs trigger (only a
# module reload brings it back).
revoke() {
	echo 1 > "$EGM_DBG/$1/revoke"
}

# region_devices S: the devices list socket S (0 or 1) must show: its
# describing ACPI devices that are no GPU's companion, and the ACPI
# companion (firmware_node) of each of its GPUs.
region_devices() {
	local acpi=EGM_S$1_ACPI gpus=EGM_S$1_GPUS g names=()
	for g in ${!gpus}; do
		names+=("$(basename "$(readlink "/sys/bus/pci/devices/$g/firmware_node")")")
	done
	# shellcheck disable=SC2206 # word lists
	names+=(${!acpi})
	lines "${names[@]}"
}

# A 50 ms pause for polling loops, without forking: read with a timeout on
# a fifo nobody writes to.
egm_nap() {
	if [[ -z ${EGM_NAP_FD:-} ]]; then
		local f=${BATS_TEST_TMPDIR:-/tmp}/.egm-nap.$$
		mkfifo "$f" 2>/dev/null
		exec {EGM_NAP_FD}<> "$f"
		rm -f "$f"
	fi
	read -r -t 0.05 -u "$EGM_NAP_FD" _ || true
}

# Current time in milliseconds.
now_ms() {
	local t=${EPOCHREALTIME/./}
	echo $((10#$t / 1000))
}

# The kernel's page size, EGM_PAGE_SIZE (4096, or 16384/65536 on arm64
# kernels with larger pages), read without a fork (the initramfs has no
# getconf).
egm_page_size_init() {
	local k v _
	EGM_PAGE_SIZE=4096
	while read -r k v _; do
		if [[ $k == KernelPageSize: ]]; then
			EGM_PAGE_SIZE=$((v * 1024))
			return 0
		fi
	done </proc/self/smaps
}
[[ -n ${EGM_PAGE_SIZE:-} ]] || egm_page_size_init

page_size() {
	echo "$EGM_PAGE_SIZE"
}

# log2 of the page size (PAGE_SHIFT: 12, 14 or 16), e.g. si_addr_lsb of a
# memory-error SIGBUS
page_shift() {
	local s=0
	while (((1 << s) < EGM_PAGE_SIZE)); do s=$((s + 1)); done
	echo "$s"
}

# egm_pagesize PHYS SIZE (numbers, no suffixes): the pagesize egm reports
# for an extent (Documentation/ABI/testing/sysfs-class-egm, pagesize):
# the largest huge entry the kernel maps that
# PHYS is aligned to and SIZE holds, else the base page. Huge PFN entries
# come with 6.12: PMD on x86_64 and arm64 (a PMD maps PAGE_SIZE/8 base
# pages: 2 MiB, 32 MiB, 512 MiB), PUD (1 GiB) on x86_64 only.
egm_pagesize() {
	local phys=$(($1)) size=$(($2)) pg=$EGM_PAGE_SIZE s sizes=()
	if (($(kernel_version_num) >= 612)); then
		[[ ${EGM_ARCH:-x86_64} == x86_64 ]] && sizes+=($((1 << 30)))
		sizes+=($((pg * pg / 8)))
	fi
	for s in "${sizes[@]}"; do
		if ((phys % s == 0 && size >= s)); then
			echo "$s"
			return 0
		fi
	done
	echo "$pg"
}

# s0pa OFFSET: the physical address OFFSET bytes into socket0, 0x-hex.
s0pa() {
	printf '0x%x\n' $((EGM_S0_BASE + $1))
}

# Kernel version as a comparable number: 6.1 -> 601, 6.12 -> 612.
kernel_version_num() {
	local r=${EGM_KERNEL:-$(uname -r)} maj min
	r=${r#linux-}
	maj=${r%%.*}
	r=${r#*.}
	min=${r%%[!0-9]*}
	echo $((maj * 100 + min))
}

# Is the value a number as documented (decimal, or 0x-hex for addresses)?
# Prints it in decimal.
num_of() {
	local v
	v=$(cat "$1") || return 1
	if [[ $v =~ ^[0-9]+$ ]]; then
		echo "$v"
	elif [[ $v =~ ^0x[0-9a-fA-F]+$ ]]; then
		printf '%d\n' "$v"
	else
		echo "num_of: $1 is not a number: '$v'" >&2
		return 1
	fi
}

# fread VAR FILE: read FILE into VAR without forking, minus one trailing
# newline (attributes end with one).
fread() {
	local -n _fr=$1
	_fr=
	[[ -r $2 ]] || return 1
	IFS= read -r -d '' _fr < "$2" || true
	_fr=${_fr%$'\n'}
}

# fraw VAR FILE: the same, keeping the trailing newline.
fraw() {
	local -n _fw=$1
	_fw=
	[[ -r $2 ]] || return 1
	IFS= read -r -d '' _fw < "$2" || true
}

# expect_file FILE WANT: FILE reads exactly WANT (plus its newline).
expect_file() {
	local v
	fread v "$1" || { echo "expect_file: cannot read $1" >&2; return 1; }
	if [[ $v != "$2" ]]; then
		printf '%s\n  want: %q\n  got:  %q\n' "$1" "$2" "$v" >&2
		return 1
	fi
}

# expect_out WANT CMD...: CMD prints exactly WANT (stdout and stderr).
expect_out() {
	local want=$1 got
	shift
	got=$("$@" 2>&1) || true
	if [[ $got != "$want" ]]; then
		printf '%s\n  want: %q\n  got:  %q\n' "$*" "$want" "$got" >&2
		return 1
	fi
}

# ends_with_newline FILE: the content ends with "\n" (also when empty).
ends_with_newline() {
	local v
	fraw v "$1" || return 1
	[[ $v == *$'\n' ]] || { printf '%s does not end with a newline: %q\n' "$1" "$v" >&2; return 1; }
}

errno_msg() {
	case $1 in
	EPERM) echo "Operation not permitted" ;;
	ENOENT) echo "No such file or directory" ;;
	EIO) echo "Input/output error" ;;
	EAGAIN) echo "Resource temporarily unavailable" ;;
	EACCES) echo "Permission denied" ;;
	EBUSY) echo "Device or resource busy" ;;
	EEXIST) echo "File exists" ;;
	ENODEV) echo "No such device" ;;
	EINVAL) echo "Invalid argument" ;;
	ENOSPC) echo "No space left on device" ;;
	ENOTTY) echo "Inappropriate ioctl for device" ;;
	ERANGE) echo "Numerical result out of range" ;;
	*) echo "errno_msg: unknown $1" >&2; return 1 ;;
	esac
}

# Run "$@" (a shell command that writes somewhere) in a subshell and check
# that it failed with the message of errno $1.
_expect_fail_msg() {
	local want=$1 msg
	shift
	if msg=$( (eval "$*") 2>&1); then
		echo "expected $want, but '$*' succeeded" >&2
		return 1
	fi
	if [[ $msg != *"$(errno_msg "$want")"* ]]; then
		echo "expected $want ($(errno_msg "$want")) from '$*', got: $msg" >&2
		return 1
	fi
}

# expect_errno ERRNO ATTR VALUE: `echo VALUE > ATTR` fails with ERRNO and
# the attribute's value does not change.
expect_errno() {
	local want=$1 attr=$2 value=$3 before after
	fread before "$attr" 2>/dev/null || true
	_expect_fail_msg "$want" 'echo "$value" > "$attr"' || return 1
	fread after "$attr" 2>/dev/null || true
	if [[ $before != "$after" ]]; then
		echo "$attr changed from '$before' to '$after' on a failed write of '$value'" >&2
		return 1
	fi
}

# expect_errno_raw ERRNO ATTR VALUE: the same with VALUE written as is in
# one write(2) (no newline added; \n \t \r \0 escapes are interpreted).
# A shell printf would split "x\n\n" into one write per line.
expect_errno_raw() {
	local want=$1 attr=$2 raw=$3 before after got
	fread before "$attr" 2>/dev/null || true
	got=$(egm-io writefile -e "$attr" "$raw") || true
	if [[ $got != "errno=$want" ]]; then
		printf 'write of %q to %s: want errno=%s, got %s\n' "$raw" "$attr" "$want" "$got" >&2
		return 1
	fi
	fread after "$attr" 2>/dev/null || true
	if [[ $before != "$after" ]]; then
		echo "$attr changed from '$before' to '$after' on a failed write of '$raw'" >&2
		return 1
	fi
}

# expect_page_value ATTR VALUE WANT: expect_value for offset and size,
# which take multiples of PAGE_SIZE only: when WANT is not one (a 4 KiB
# multiple on a 16 or 64 KiB kernel) the write fails with EINVAL instead.
expect_page_value() {
	if (($3 % EGM_PAGE_SIZE == 0)); then
		expect_value "$@"
	else
		expect_errno EINVAL "$1" "$2"
	fi
}

# expect_value ATTR VALUE WANT: `echo VALUE > ATTR` succeeds and ATTR then
# reads back exactly WANT.
expect_value() {
	local attr=$1 value=$2 want=$3 got
	echo "$value" > "$attr" || { echo "write of '$value' to $attr failed" >&2; return 1; }
	fread got "$attr"
	if [[ $got != "$want" ]]; then
		echo "$attr: wrote '$value', reads '$got', want '$want'" >&2
		return 1
	fi
}

# ---- dmesg ------------------------------------------------------------------

dmesg_mark() {
	EGM_DMESG_MARK=$(dmesg | wc -l)
}

# Kernel log lines since the last dmesg_mark.
dmesg_since() {
	dmesg | tail -n +$((EGM_DMESG_MARK + 1))
}

# ---- instances -------------------------------------------------------------

inst_dir() {
	echo "$EGM_INST/$1"
}

# create_instance NAME REGION OFFSET SIZE [attr=value...]
create_instance() {
	local name=$1 region=$2 offset=$3 size=$4 kv
	shift 4
	mkdir "$EGM_INST/$name" || return 1
	[[ -z $region ]] || echo "$region" > "$EGM_INST/$name/region" || return 1
	echo "$offset" > "$EGM_INST/$name/offset" || return 1
	echo "$size" > "$EGM_INST/$name/size" || return 1
	for kv in "$@"; do
		echo "${kv#*=}" > "$EGM_INST/$name/${kv%%=*}" || return 1
	done
}

enable_instance() {
	echo 1 > "$EGM_INST/$1/enable"
}

disable_instance() {
	echo 0 > "$EGM_INST/$1/enable"
}

# make_ready NAME REGION OFFSET SIZE [attr=value...]: create, enable and
# wait until the enable scrub is done.
make_ready() {
	create_instance "$@" || return 1
	enable_instance "$1" || return 1
	wait_state "$1" ready 30
}

# make_ready_clean NAME REGION OFFSET SIZE [attr=value...]: an instance
# that starts zeroed but keeps data across opens (scrubbed once on enable,
# then re-enabled with scrub=none), for tests that check data written by
# one process from another.
make_ready_clean() {
	make_ready "$@" || return 1
	disable_instance "$1" || return 1
	echo none > "$EGM_INST/$1/scrub" || return 1
	enable_instance "$1" || return 1
	wait_state "$1" ready 30
}

inst_minor() {
	cat "$EGM_INST/$1/minor"
}

# /dev node of an enabled instance.
inst_dev() {
	echo "/dev/egm$(inst_minor "$1")"
}

inst_sys() {
	echo "$EGM_CLASS/egm$(inst_minor "$1")"
}

# wait_state NAME STATE [TIMEOUT_S]: poll configfs state with a deadline.
wait_state() {
	local name=$1 want=$2 timeout=${3:-30} deadline state
	deadline=$((SECONDS + timeout))
	while :; do
		fread state "$EGM_INST/$name/state" 2>/dev/null || state=
		[[ $state == "$want" ]] && return 0
		if ((SECONDS >= deadline)); then
			echo "wait_state $name: still '$state' after ${timeout}s, want '$want'" >&2
			return 1
		fi
		egm_nap
	done
}

# wait_file_value FILE VALUE [TIMEOUT_S]
wait_file_value() {
	local f=$1 want=$2 timeout=${3:-30} deadline v
	deadline=$((SECONDS + timeout))
	while :; do
		fread v "$f" 2>/dev/null || v=
		[[ $v == "$want" ]] && return 0
		if ((SECONDS >= deadline)); then
			echo "wait_file_value $f: '$v' after ${timeout}s, want '$want'" >&2
			return 1
		fi
		egm_nap
	done
}

set_scrub_delay() {
	echo "$1" > "$EGM_PARAMS/scrub_chunk_delay_us"
}

# Remove every instance: stop our background helpers, disable, rmdir.
egm_cleanup() {
	local d name
	bg_stop_all
	if [[ -w $EGM_PARAMS/scrub_chunk_delay_us ]]; then
		echo 0 > "$EGM_PARAMS/scrub_chunk_delay_us"
	fi
	[[ -d $EGM_INST ]] || return 0
	for d in "$EGM_INST"/*/; do
		[[ -d $d ]] || continue
		name=${d%/}
		name=${name##*/}
		echo 0 > "$d/enable" 2>/dev/null || true
		rmdir "$d" 2>/dev/null || echo "egm_cleanup: cannot remove instance $name" >&2
	done
}

egm_is_loaded() {
	[[ -d /sys/module/egm ]]
}

# Load egm with the parameters of this boot plus "$@".
egm_insmod() {
	if [[ ${EGM_BOOT:-acpi} == param ]]; then
		insmod "$EGM_KO" regions="$EGM_PARAM_REGIONS" "$@"
	else
		insmod "$EGM_KO" "$@"
	fi
}

egm_rmmod() {
	egm_cleanup
	! egm_is_loaded || rmmod egm
}

# Reload egm with this boot's default parameters plus "$@" (forgets runtime
# retirements and revocations).
# shellcheck disable=SC2120 # arguments are optional
egm_reload() {
	egm_rmmod || return 1
	egm_insmod "$@"
}

egm_setup() {
	[[ -n ${EGM_KO:-} ]] || EGM_KO=/lib/modules/$(uname -r)/extra/egm.ko
	egm_is_loaded || egm_insmod || return 1
	egm_cleanup
	EGM_RELOAD_IN_TEARDOWN=0
}

# Wait (bounded) until every region is whole again: the hand-over scrub
# of an instance removed after a tenant keeps its extent claimed until it
# has zeroed it (Documentation/ABI/testing/configfs-egm, scrub), and the
# next test may want that extent. Not for a revoked region (free stays 0):
# tests that revoke reload the module instead.
egm_wait_handovers() {
	local d size free deadline=$((SECONDS + ${1:-120}))
	for d in "$EGM_REG"/*/; do
		[[ -d $d ]] || continue
		fread size "$d/size" || continue
		while fread free "$d/free" && [[ $free != "$size" ]]; do
			if ((SECONDS >= deadline)); then
				echo "egm_wait_handovers: ${d%/}: free $free of $size" >&2
				return 1
			fi
			egm_nap
		done
	done
}

# Leave the module loaded with default parameters and no instances.
egm_teardown() {
	egm_cleanup
	if ((EGM_RELOAD_IN_TEARDOWN)) || ! egm_is_loaded || [[ ! -d $EGM_CFS ]]; then
		egm_reload
	else
		egm_wait_handovers
	fi
}

# ---- background helpers ------------------------------------------------------
# bg_start NAME CMD...: run CMD in the background with stdin from a fifo we
# keep open and stdout+stderr in $BATS_TEST_TMPDIR/NAME.out. Closing the
# fifo (bg_stop) makes egm-io's hold/openhold/session exit.

bg_start() {
	local name=$1 dir=${BATS_TEST_TMPDIR:-/tmp} fd
	shift
	rm -f "$dir/$name.in" "$dir/$name.out"
	mkfifo "$dir/$name.in" || return 1
	: > "$dir/$name.out"
	# The child must not inherit the write ends of the other helpers'
	# fifos, or they would never see EOF.
	(
		for fd in "${EGM_BG_FD[@]}" ${EGM_NAP_FD:+"$EGM_NAP_FD"}; do
			exec {fd}>&-
		done
		exec "$@"
	) < "$dir/$name.in" > "$dir/$name.out" 2>&1 3>&- &
	EGM_BG_PID[$name]=$!
	exec {fd}> "$dir/$name.in"
	EGM_BG_FD[$name]=$fd
}

bg_out() {
	cat "${BATS_TEST_TMPDIR:-/tmp}/$1.out"
}

# bg_wait NAME REGEX [TIMEOUT_S]: wait until the output has a line matching.
bg_wait() {
	local name=$1 re=$2 timeout=${3:-20} deadline lines l
	deadline=$((SECONDS + timeout))
	while :; do
		mapfile -t lines < "${BATS_TEST_TMPDIR:-/tmp}/$name.out"
		for l in "${lines[@]}"; do
			[[ $l =~ $re ]] && return 0
		done
		if ((SECONDS >= deadline)); then
			echo "bg_wait $name: no line matching '$re' after ${timeout}s; output:" >&2
			printf '%s\n' "${lines[@]}" >&2
			return 1
		fi
		egm_nap
	done
}

# A child that exited stays a zombie until waited for: kill -0 is not enough.
pid_running() {
	local stat
	{ read -r stat < "/proc/$1/stat"; } 2>/dev/null || return 1
	stat=${stat##*) }
	[[ ${stat%% *} != Z ]]
}

bg_alive() {
	pid_running "${EGM_BG_PID[$1]}"
}

# bg_cmd NAME LINE: send LINE to a `egm-io session` and set $output to its
# one-line reply.
bg_cmd() {
	local name=$1 line=$2 f=${BATS_TEST_TMPDIR:-/tmp}/$1.out n deadline lines
	mapfile -t lines < "$f"
	n=${#lines[@]}
	echo "$line" >&"${EGM_BG_FD[$name]}" || return 1
	deadline=$((SECONDS + 60))
	while :; do
		mapfile -t lines < "$f"
		((${#lines[@]} > n)) && break
		if ((SECONDS >= deadline)) || ! bg_alive "$name"; then
			echo "bg_cmd $name: no reply to '$line'; output:" >&2
			printf '%s\n' "${lines[@]}" >&2
			return 1
		fi
		egm_nap
	done
	output=${lines[n]}
}

# bg_tenant NAME DEV LEN PATTERN: an `egm-io session` on DEV that has
# opened it, mapped [0, LEN) and filled that with PATTERN.
bg_tenant() {
	local name=$1 cmd
	bg_start "$name" egm-io session "$2" || return 1
	for cmd in open "mmap 0 $3" "fill 0 $3 $4"; do
		bg_cmd "$name" "$cmd" || return 1
		[[ $output == ok ]] || { echo "bg_tenant $name: '$cmd' -> $output" >&2; return 1; }
	done
}

# bg_stop NAME: close its stdin, wait for it (kill it by pid after 5 s).
bg_stop() {
	local name=$1 pid fd deadline
	pid=${EGM_BG_PID[$name]:-}
	fd=${EGM_BG_FD[$name]:-}
	if [[ -n $fd ]]; then
		exec {fd}>&-
	fi
	if [[ -n $pid ]]; then
		deadline=$((SECONDS + 5))
		while pid_running "$pid" && ((SECONDS < deadline)); do
			egm_nap
		done
		if pid_running "$pid"; then
			echo "bg_stop: $name (pid $pid) ignored EOF, killing it" >&2
			kill "$pid" 2>/dev/null || true
		fi
		wait "$pid" 2>/dev/null || true
	fi
	unset "EGM_BG_PID[$name]" "EGM_BG_FD[$name]"
}

bg_stop_all() {
	local name
	for name in "${!EGM_BG_PID[@]}"; do
		bg_stop "$name"
	done
}

# ---- suite defaults ------------------------------------------------------------
# A suite starts with `load lib/egm`: that brings bats-support, bats-assert
# and this default setup/teardown (clean module state around every test).
# A suite that needs more defines its own setup or teardown after the load,
# calling egm_setup / egm_teardown from it.

# shellcheck source=tests/bats/lib/bats-libs.bash
source "${BASH_SOURCE[0]%/*}/bats-libs.bash"

setup() {
	egm_setup
}

teardown() {
	egm_teardown
}
