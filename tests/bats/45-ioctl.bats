#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# egm-boot: param
# The ioctls of Documentation/userspace-api/egm.rst: EGM_IOCTL_INFO and
# EGM_IOCTL_RETIRED (_IO numbers, argsz-first). Hostile ioctls (argsz out
# of range, bad and unaligned pointers, unknown numbers): the ioctl table
# of 25-corpus.bats. Retired ranges: 60-retired.bats.

load lib/egm

# _IOC(dir, type, nr, size)
ioc() {
	printf '0x%x\n' $((($1 << 30) | ($4 << 16) | ($2 << 8) | $3))
}

INFO=$(ioc 0 0xE6 0 0)
RETIRED=$(ioc 0 0xE6 1 0)
# 0xa5 fill of the helper's buffer: a field the driver did not write
UNTOUCHED64=11936128518282651045

setup() {
	egm_setup
	make_ready vm0 socket1 4M 2M
	D=$(inst_dev vm0)
}

@test "9. the ioctl numbers are _IO(0xE6, 0/1); sized forms of them are unknown (ENOTTY)" {
	assert_equal "$INFO" 0xe600
	assert_equal "$RETIRED" 0xe601
	# the numbers of the unreleased _IOWR(..., struct) ABI
	expect_out errno=ENOTTY egm-io ioctl-raw "$D" "$(ioc 3 0xE6 0 48)"
	expect_out errno=ENOTTY egm-io ioctl-raw "$D" "$(ioc 3 0xE6 1 8)"
}

@test "9. INFO: every field of a socket1 instance" {
	run egm-io info "$D"
	assert_success
	assert_line "argsz=56"
	assert_line "size=$((2 << 20))"
	assert_line "offset=$((4 << 20))"
	assert_line "pagesize=$(cat "$(inst_sys vm0)/pagesize")"
	assert_line "numa_node=$EGM_S1_NODE"
	assert_line "pxm=$EGM_S1_PXM"
	assert_line "cpu_node=$EGM_S1_CPU_NODE"
	assert_line "reserved=0x0"
	assert_line "retired_pages=0"
}

@test "9. INFO: a 48-byte caller (the first layout) gets 48 bytes, cpu_node untouched" {
	run egm-io info "$D" 48
	assert_success
	assert_line "argsz=56"
	assert_line "numa_node=$EGM_S1_NODE"
	assert_line "retired_pages=0"
	# bytes 48-55 keep the helper's 0xa5 fill
	assert_line "cpu_node=$((0xa5a5a5a5 - (1 << 32)))"
	assert_line "reserved=0xa5a5a5a5"
	run egm-io info "$D" 56
	assert_line "cpu_node=$EGM_S1_CPU_NODE"
	assert_line "reserved=0x0"
}

@test "9. INFO flags: SCRUB_ZERO follows scrub; HUGE_* and MEMORY_FAILURE follow features" {
	local flags want=0 f
	f=$(cat "$EGM_CFS/features")
	[[ $f == *huge-pmd* ]] && want=$((want | 2))
	[[ $f == *huge-pud* ]] && want=$((want | 4))
	[[ $f == *memory-failure* ]] && want=$((want | 8))
	run egm-io info "$D"
	flags=$(grep '^flags=' <<< "$output")
	assert_equal "$((${flags#flags=}))" "$((want | 1))"
	disable_instance vm0
	echo none > "$EGM_INST/vm0/scrub"
	enable_instance vm0
	run egm-io info "$D"
	flags=$(grep '^flags=' <<< "$output")
	assert_equal "$((${flags#flags=}))" "$want"
}

@test "9. INFO: pagesize PAGE_SIZE and no HUGE flags on 6.1; a 2 MiB PMD on 6.12+ (4 KiB pages) for this 2M-aligned extent" {
	run egm-io info "$D"
	assert_line "pagesize=$(egm_pagesize $((EGM_S1_BASE + (4 << 20))) $((2 << 20)))"
	if (($(kernel_version_num) < 612)); then
		assert_line --regexp '^flags=0x[01]$'
	elif [[ ${EGM_ARCH:-x86_64} == x86_64 ]]; then
		assert_line pagesize=$((2 << 20))
		assert_line --regexp '^flags=0x[0-9a-f]*[67ef]$'
	fi
}

@test "9. INFO: a short argsz gets min(argsz, 56) bytes and argsz=56" {
	run egm-io info "$D" 8
	assert_success
	assert_line argsz=56
	assert_line --regexp '^flags=0x[0-9a-f]+$'
	# size was not written
	assert_line "size=$UNTOUCHED64"
	run egm-io info "$D" 16
	assert_line argsz=56
	assert_line "size=$((2 << 20))"
	assert_line "offset=$UNTOUCHED64"
	run egm-io info "$D" 40
	assert_line "pxm=$EGM_S1_PXM"
	assert_line "retired_pages=$UNTOUCHED64"
}

@test "9. INFO: a larger argsz (up to 4096) works and argsz comes back as 56" {
	local a
	for a in 56 57 64 4096; do
		run egm-io info "$D" "$a"
		assert_success
		assert_line argsz=56
		assert_line "cpu_node=$EGM_S1_CPU_NODE"
		assert_line "size=$((2 << 20))"
		assert_line "retired_pages=0"
	done
}

@test "9. the command is matched whole: a direction or size field → ENOTTY" {
	expect_out "ok ret=0 argsz=56" egm-io ioctl-raw "$D" "$(ioc 0 0xE6 0 0)"
	expect_out errno=ENOTTY egm-io ioctl-raw "$D" "$(ioc 2 0xE6 0 8)"
	expect_out errno=ENOTTY egm-io ioctl-raw "$D" "$(ioc 0 0xE6 0 200)" 64
	expect_out errno=ENOTTY egm-io ioctl-raw "$D" "$(ioc 1 0xE6 1 0)"
}

@test "9. RETIRED on a clean instance: count=0, also with a header-only buffer" {
	run egm-io retired "$D"
	assert_success
	assert_output count=0
	run egm-io retired "$D" 8
	assert_success
	assert_output count=0
}

@test "9. RETIRED keeps argsz as the caller's capacity; the input count is ignored" {
	# two runtime-retired blocks inside vm0 (4 MiB into socket1); they
	# last until the module is reloaded
	EGM_RELOAD_IN_TEARDOWN=1
	printf '0x%x\n' $((EGM_S1_BASE + (4 << 20) + 0x10000)) > "$EGM_REG/socket1/retire"
	printf '0x%x\n' $((EGM_S1_BASE + (4 << 20) + 0x30000)) > "$EGM_REG/socket1/retire"
	# room for four ranges, input count 1: both ranges come back
	run egm-io retired "$D" $((8 + 4 * 16)) 1
	assert_success
	assert_output "count=2
range=0x10000 0x10000
range=0x30000 0x10000"
	# room for one, input count 0xdeadbeef: ENOSPC with the count needed,
	# nothing written past argsz (the helper checks its guard bytes)
	run egm-io retired "$D" $((8 + 16)) 0xdeadbeef
	assert_failure
	assert_output "count=2
errno=ENOSPC"
	# room for exactly two, input count 0
	run egm-io retired "$D" $((8 + 2 * 16)) 0
	assert_success
	assert_line --index 0 count=2
}

@test "4. ioctls work for a de-privileged owner that only has the fd" {
	disable_instance vm0
	echo 65534 > "$EGM_INST/vm0/uid"
	echo 65534 > "$EGM_INST/vm0/gid"
	enable_instance vm0
	wait_state vm0 ready
	run egm-io --as 65534:65534 info "$D"
	assert_success
	assert_line "size=$((2 << 20))"
	expect_out count=0 egm-io --as 65534:65534 retired "$D"
	expect_out "size=$((2 << 20))" egm-io --as 65534:65534 lseek-end "$D"
}

@test "9. INFO on a read-only fd works" {
	run egm-io session "$D" <<< $'open rdonly\ninfo\nexit'
	assert_line --index 0 ok
	assert_line --index 1 --partial "argsz=56 "
	assert_line --index 1 --partial " size=$((2 << 20)) "
}

@test "9. RETIRED with a buffer too small: ENOSPC and count, the ranges untouched" {
	EGM_RELOAD_IN_TEARDOWN=1
	local off
	for off in 0x10000 0x30000 0x50000; do
		printf '0x%x\n' $((EGM_S1_BASE + (4 << 20) + off)) > "$EGM_REG/socket1/retire"
	done
	run egm-io retired "$D"
	assert_line count=3
	# room for one range (argsz 24), then none (header only)
	run egm-iso retired-short "$D" 24
	assert_output "errno=ENOSPC count=3 ranges=untouched"
	run egm-iso retired-short "$D" 8
	assert_output "errno=ENOSPC count=3 ranges=untouched"
	run egm-iso retired-short "$D" 56
	assert_output "ok count=3 ranges=written"
}
