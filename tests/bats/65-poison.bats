#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
#
# Memory errors (Documentation/admin-guide/egm.rst "Memory errors"; issue
# 11). A memory error reaches the kernel's memory_failure() through
# /sys/devices/system/memory/hard_offline_page (the physical address), which
# is what a platform error report does too. hwpoison-inject's corrupt-pfn
# and madvise(MADV_HWPOISON) reject pfns without struct pages, so they
# cannot be used here (HARNESS-NOTES).
#
# - 7.x (`features` lists memory-failure): socket1 (no struct pages) is
#   registered with register_pfn_address_space(). An early-kill mapper
#   (PR_MCE_KILL_EARLY, as QEMU) gets SIGBUS BUS_MCEERR_AO at the exact
#   address, the block is retired as `poison`, zapped and refused.
#   A default (late-kill) mapper is never told and the driver never hears
#   of it: the operator's `retire` is what covers such errors.
# - 6.1/6.12 (no memory-failure): the documented fallback, the kernel
#   refuses the pfn (ENXIO, "memory outside kernel control") and nothing is
#   retired. socket0 (struct pages, never onlined) is outside kernel
#   control on every kernel.
#
# Every test starts from a freshly loaded module: retirements of one test
# (runtime and poison) must not leak into the next. ACPI boot only.

load lib/egm

HWP=/sys/devices/system/memory/hard_offline_page
S1=$EGM_S1_BASE

setup() {
	egm_setup
	egm_reload
	EGM_RELOAD_IN_TEARDOWN=1
	PG=$(page_size)
	LSB=$(page_shift)
	dmesg_mark
}

has_memory_failure() {
	grep -qx memory-failure "$EGM_CFS/features"
}

# The kernel's view: 7.x registers pfn ranges, older lines cannot.
kernel_has_pfn_registration() {
	(($(kernel_version_num) >= 700))
}

# poison PHYS: report a memory error at PHYS the way the platform does;
# prints egm-io's `ok` or `errno=NAME`.
poison() {
	egm-io writefile "$HWP" "$(printf '%#x' "$1")"
}

# wait_retired REGION LINE [TIMEOUT_S]: poll `retired` for LINE (the
# driver records poison from a work item).
wait_retired() {
	local f=$EGM_REG/$1/retired want=$2 timeout=${3:-20} deadline v
	deadline=$((SECONDS + timeout))
	while :; do
		fread v "$f" 2>/dev/null || v=
		[[ $'\n'$v$'\n' == *$'\n'"$want"$'\n'* ]] && return 0
		if ((SECONDS >= deadline)); then
			printf 'wait_retired %s: no line %q after %ss; retired:\n%s\n' \
				"$1" "$want" "$timeout" "$v" >&2
			return 1
		fi
		egm_nap
	done
}

no_kernel_warning() {
	run dmesg_since
	refute_output --regexp 'WARNING:|BUG:|Oops|Call Trace:'
}

@test "5. memory-failure feature and INFO flag match the kernel line" {
	[ -e "$HWP" ] || fail "$HWP missing (CONFIG_MEMORY_FAILURE)"
	make_ready a socket1 0 1M
	run egm-io info "$(inst_dev a)"
	assert_success
	local flags
	flags=$(sed -n 's/^flags=//p' <<<"$output")
	if kernel_has_pfn_registration; then
		# 7.x: register_pfn_address_space() exists
		has_memory_failure || fail "7.x kernel $EGM_KERNEL: features lacks memory-failure"
		(((flags & 0x8) != 0)) || fail "EGM_INFO_MEMORY_FAILURE not set: $flags"
	else
		# fallback (6.1/6.12): documented as not available
		! has_memory_failure || fail "kernel $EGM_KERNEL lists memory-failure"
		(((flags & 0x8) == 0)) || fail "EGM_INFO_MEMORY_FAILURE set on $EGM_KERNEL: $flags"
	fi
}

@test "5. 7.x: early-kill mapper gets BUS_MCEERR_AO at the exact address; block retired as poison, zapped, refused" {
	has_memory_failure || skip "[kernel] fallback kernel $EGM_KERNEL: see the 6.x fallback test"
	local base=$((S1 + (4 << 20))) d
	make_ready_clean a socket1 4M 1M
	make_ready_clean b socket1 5M 1M
	d=$(inst_dev a)
	bg_start m egm-io session "$d"
	bg_cmd m "mce early"; assert_equal "$output" ok
	bg_cmd m "open"; assert_equal "$output" ok
	bg_cmd m "mmap 0 1M"; assert_equal "$output" ok
	bg_cmd m "fill 0 1M addr:0x77"; assert_equal "$output" ok
	bg_cmd m "sigwait 0"; assert_equal "$output" nosignal
	# a second tenant on another instance of the same region
	bg_start o egm-io session "$(inst_dev b)"
	bg_cmd o "mce early"; assert_equal "$output" ok
	bg_cmd o "open"; assert_equal "$output" ok
	bg_cmd o "mmap 0 1M"; assert_equal "$output" ok
	bg_cmd o "fill 0 1M addr:0x99"; assert_equal "$output" ok

	# another process reports the error in page 0x23000 of instance a
	run poison $((base + 0x23000))
	assert_output ok
	bg_cmd m "sigwait 20"
	assert_equal "$output" "sigbus code=BUS_MCEERR_AO addr_off=0x23000 lsb=$LSB count=1"
	# the other instance's mapper does not map that page: no signal
	bg_cmd o "sigwait 1"; assert_equal "$output" nosignal

	# the whole 64 KiB block is retired with origin poison
	wait_retired socket1 "$(printf '%#x' $((base + 0x20000))) poison"
	expect_file "$EGM_REG/socket1/retired" "$(printf '%#x' $((base + 0x20000))) poison"
	expect_file "$EGM_REG/socket1/retired_pages" "$((65536 / PG))"
	expect_file "$(inst_sys a)/retired_pages" "$((65536 / PG))"
	bg_cmd m "info"; assert_equal "${output##*retired_pages=}" "$((65536 / PG))"

	# touching it again: BUS_MCEERR_AR at the exact address, whole block
	bg_cmd m "touch 0x23000"
	assert_equal "$output" "sigbus code=BUS_MCEERR_AR addr_off=0x23000 lsb=$LSB"
	bg_cmd m "touch 0x20000"
	assert_equal "${output%% lsb=*}" "sigbus code=BUS_MCEERR_AR addr_off=0x20000"
	bg_cmd m "touch-write 0x2ffff"
	assert_equal "${output%% lsb=*}" "sigbus code=BUS_MCEERR_AR addr_off=0x2ffff"
	bg_cmd m "pread 0x20000 4096"; assert_equal "$output" errno=EIO
	# other pages keep their data, in both instances
	bg_cmd m "check 0 0x20000 addr:0x77"; assert_equal "$output" ok
	bg_cmd m "check 0x30000 0xd0000 addr:0x77"; assert_equal "$output" ok
	bg_cmd o "check 0 1M addr:0x99"; assert_equal "$output" ok
	bg_cmd o "sigwait 0"; assert_equal "$output" nosignal
	bg_stop m
	bg_stop o
	# EGM_IOCTL_RETIRED (one open at a time: after the mapper left)
	wait_state a ready
	run egm-io retired "$d"
	assert_output "count=1
range=0x20000 0x10000"
	expect_out count=0 egm-io retired "$(inst_dev b)"

	run dmesg_since
	assert_output --regexp "socket1: retired block 0x0*$(printf '%x' $((base + 0x20000))) \(poison\)"
	no_kernel_warning
}

@test "5. 7.x: a new tenant's mapping refuses the poisoned block; read gives EIO" {
	has_memory_failure || skip "[kernel] fallback kernel $EGM_KERNEL: see the 6.x fallback test"
	local base=$((S1 + (8 << 20))) d
	make_ready_clean a socket1 8M 1M
	d=$(inst_dev a)
	bg_start m egm-io session "$d"
	bg_cmd m "mce early"; assert_equal "$output" ok
	bg_cmd m "open"; assert_equal "$output" ok
	bg_cmd m "mmap 0 1M"; assert_equal "$output" ok
	bg_cmd m "fill 0 1M 0x5c"; assert_equal "$output" ok
	run poison $((base + 0x40000))
	assert_output ok
	bg_cmd m "sigwait 20"
	assert_equal "${output%% lsb=*}" "sigbus code=BUS_MCEERR_AO addr_off=0x40000"
	wait_retired socket1 "$(printf '%#x' $((base + 0x40000))) poison"
	bg_stop m
	# the next tenant (new process, new mapping)
	run egm-io touch "$d" 0x40000 0x4f000 0x3f000 0x50000
	assert_output "sigbus code=BUS_MCEERR_AR addr_off=0x40000 lsb=$LSB
sigbus code=BUS_MCEERR_AR addr_off=0x4f000 lsb=$LSB
ok val=0x5c
ok val=0x5c"
	run egm-io pread "$d" 0x40000 4096
	assert_output errno=EIO
	run egm-io pread "$d" 0x3f000 4096 0x5c
	assert_output count=4096
	run egm-io retired "$d"
	assert_output "count=1
range=0x40000 0x10000"
	# a fresh mapping of the whole instance: everything but the block reads
	run egm-io check "$d" 0 0x40000 0x5c
	assert_output ok
	run egm-io check "$d" 0x50000 0xb0000 0x5c
	assert_output ok
	no_kernel_warning
}

@test "5. 7.x: a default (late-kill) mapper gets no notice; retire covers it" {
	has_memory_failure || skip "[kernel] fallback kernel $EGM_KERNEL: see the 6.x fallback test"
	local base=$((S1 + (12 << 20))) d
	expect_file /proc/sys/vm/memory_failure_early_kill 0
	make_ready_clean a socket1 12M 1M
	d=$(inst_dev a)
	bg_start m egm-io session "$d"
	# no PR_MCE_KILL: the system default, late kill (async SIGBUS still
	# recorded, so a stray signal would show instead of killing it)
	bg_cmd m "mce default"; assert_equal "$output" ok
	bg_cmd m "open"; assert_equal "$output" ok
	bg_cmd m "mmap 0 1M"; assert_equal "$output" ok
	bg_cmd m "fill 0 1M 0x6d"; assert_equal "$output" ok
	run poison $((base + 0x60000))
	# the kernel reports success ("Recovered") although nobody was told
	assert_output ok
	bg_cmd m "sigwait 3"; assert_equal "$output" nosignal
	# the driver was not called: nothing retired, the page still maps
	expect_file "$EGM_REG/socket1/retired" ""
	expect_file "$EGM_REG/socket1/retired_pages" 0
	bg_cmd m "touch 0x60000"; assert_equal "$output" "ok val=0x6d"
	# the operator's retire covers it (same record, zap, refusal)
	echo $((base + 0x60000)) > "$EGM_REG/socket1/retire"
	expect_file "$EGM_REG/socket1/retired" "$(printf '%#x' $((base + 0x60000))) runtime"
	bg_cmd m "touch 0x60000"
	assert_equal "$output" "sigbus code=BUS_MCEERR_AR addr_off=0x60000 lsb=$LSB"
	bg_cmd m "check 0x70000 0x90000 0x6d"; assert_equal "$output" ok
	bg_cmd m "sigwait 0"; assert_equal "$output" nosignal
	bg_stop m
	no_kernel_warning
}

@test "5. 6.x fallback: no pfn registration, the kernel refuses the error (ENXIO, outside kernel control)" {
	if has_memory_failure; then
		skip "[kernel] kernel $EGM_KERNEL has memory-failure: see the 7.x tests"
	fi
	local base=$((S1 + (16 << 20))) d
	make_ready_clean a socket1 16M 1M
	d=$(inst_dev a)
	bg_start m egm-io session "$d"
	bg_cmd m "mce early"; assert_equal "$output" ok
	bg_cmd m "open"; assert_equal "$output" ok
	bg_cmd m "mmap 0 1M"; assert_equal "$output" ok
	bg_cmd m "fill 0 1M 0x3e"; assert_equal "$output" ok
	run poison $((base + 0x10000))
	assert_output errno=ENXIO
	run dmesg_since
	assert_output --regexp "$(printf '%x' $(((base + 0x10000) / PG))): memory outside kernel control"
	# nobody is told, nothing is retired, the data is still there
	bg_cmd m "sigwait 1"; assert_equal "$output" nosignal
	expect_file "$EGM_REG/socket1/retired" ""
	bg_cmd m "check 0 1M 0x3e"; assert_equal "$output" ok
	# the operator's retire is the only run-time path on these kernels
	echo $((base + 0x10000)) > "$EGM_REG/socket1/retire"
	bg_cmd m "touch 0x10000"
	assert_equal "$output" "sigbus code=BUS_MCEERR_AR addr_off=0x10000 lsb=$LSB"
	bg_stop m
	no_kernel_warning
}

@test "5. socket0 (struct pages, reserved) is outside the kernel's memory-failure handling on every kernel" {
	# x86: memmap= keeps the range out of online memory (ENXIO, "outside
	# kernel control"); arm64: a no-map range in an online section is a
	# page the kernel cannot handle (EBUSY, "unhandlable page"). Either
	# way nobody is told and egm retires nothing.
	local want=ENXIO msg="memory outside kernel control"
	[[ ${EGM_ARCH:-x86_64} == aarch64 ]] && want=EBUSY msg="unhandlable page"

	make_ready_clean a socket0 0x100000 1M
	bg_start m egm-io session "$(inst_dev a)"
	bg_cmd m "mce early"; assert_equal "$output" ok
	bg_cmd m "open"; assert_equal "$output" ok
	bg_cmd m "mmap 0 1M"; assert_equal "$output" ok
	bg_cmd m "fill 0 1M 0x2b"; assert_equal "$output" ok
	run poison $((EGM_S0_BASE + 0x130000))
	assert_output "errno=$want"
	run dmesg_since
	assert_output --partial "$msg"
	bg_cmd m "sigwait 1"; assert_equal "$output" nosignal
	run cat "$EGM_REG/socket0/retired"
	refute_output --partial poison
	bg_cmd m "check 0 1M 0x2b"; assert_equal "$output" ok
	bg_stop m
	no_kernel_warning
}
