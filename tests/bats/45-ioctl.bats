#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# egm-boot: param
# DESIGN §9 UAPI: EGM_IOCTL_INFO and EGM_IOCTL_RETIRED (argsz-first,
# _IOC_SIZE ignored), hostile ioctls. Retired ranges: 60-retired.bats.

load lib/egm

# _IOC(dir, type, nr, size)
ioc() {
	printf '0x%x\n' $((($1 << 30) | ($4 << 16) | ($2 << 8) | $3))
}

INFO=$(ioc 3 0xE6 0 48)
RETIRED=$(ioc 3 0xE6 1 8)
# 0xa5 fill of the helper's buffer: a field the driver did not write
UNTOUCHED64=11936128518282651045

setup() {
	egm_setup
	make_ready vm0 socket1 4M 2M
	D=$(inst_dev vm0)
}

@test "9. the ioctl numbers are _IOWR(0xE6, 0/1, ...)" {
	assert_equal "$INFO" 0xc030e600
	assert_equal "$RETIRED" 0xc008e601
}

@test "9. INFO: every field of a socket1 instance" {
	run egm-io info "$D"
	assert_success
	assert_line "argsz=48"
	assert_line "size=$((2 << 20))"
	assert_line "offset=$((4 << 20))"
	assert_line "pagesize=$(cat "$(inst_sys vm0)/pagesize")"
	assert_line "numa_node=1"
	assert_line "pxm=1"
	assert_line "retired_pages=0"
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

@test "9. INFO: argsz < 8 or > 4096 → EINVAL" {
	local a
	for a in 0 1 4 7 4097 8192 0xffffffff; do
		run egm-io info "$D" "$a"
		assert_failure
		assert_output errno=EINVAL
	done
}

@test "9. INFO: a short argsz gets min(argsz, 48) bytes and argsz=48" {
	run egm-io info "$D" 8
	assert_success
	assert_line argsz=48
	assert_line --regexp '^flags=0x[0-9a-f]+$'
	# size was not written
	assert_line "size=$UNTOUCHED64"
	run egm-io info "$D" 16
	assert_line argsz=48
	assert_line "size=$((2 << 20))"
	assert_line "offset=$UNTOUCHED64"
	run egm-io info "$D" 40
	assert_line "pxm=1"
	assert_line "retired_pages=$UNTOUCHED64"
}

@test "9. INFO: a larger argsz (up to 4096) works and argsz comes back as 48" {
	local a
	for a in 48 49 56 4096; do
		run egm-io info "$D" "$a"
		assert_success
		assert_line argsz=48
		assert_line "size=$((2 << 20))"
		assert_line "retired_pages=0"
	done
}

@test "9. _IOC_SIZE and _IOC_DIR are ignored: _IO(0xE6, 0) and a wrong size still work" {
	expect_out "ok ret=0 argsz=48" egm-io ioctl-raw "$D" "$(ioc 0 0xE6 0 0)"
	expect_out "ok ret=0 argsz=48" egm-io ioctl-raw "$D" "$(ioc 2 0xE6 0 8)"
	expect_out "ok ret=0 argsz=48" egm-io ioctl-raw "$D" "$(ioc 3 0xE6 0 200)" 64
}

@test "9. unknown nr or type → ENOTTY" {
	expect_out errno=ENOTTY egm-io ioctl-raw "$D" "$(ioc 3 0xE6 2 48)"
	expect_out errno=ENOTTY egm-io ioctl-raw "$D" "$(ioc 3 0xE6 0x7f 48)"
	expect_out errno=ENOTTY egm-io ioctl-raw "$D" "$(ioc 3 0x45 0 48)"
	# TCGETS
	expect_out errno=ENOTTY egm-io ioctl-raw "$D" 0x5401
}

@test "9. bad pointers → EFAULT (NULL, unmapped, read-only output)" {
	expect_out errno=EFAULT egm-io ioctl-raw "$D" "$INFO" null
	expect_out errno=EFAULT egm-io ioctl-raw "$D" "$INFO" badptr
	expect_out errno=EFAULT egm-io ioctl-raw "$D" "$INFO" readonly
	expect_out errno=EFAULT egm-io ioctl-raw "$D" "$RETIRED" null
	expect_out errno=EFAULT egm-io ioctl-raw "$D" "$RETIRED" badptr
}

@test "9. an unaligned argument pointer works" {
	expect_out "ok ret=0 argsz=48" egm-io ioctl-raw "$D" "$INFO" unaligned
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
	# the helper passes count=0xdeadbeef on input
	run egm-io retired "$D" 24
	assert_success
	assert_output count=0
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
	assert_line --index 1 --partial "argsz=48 "
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
