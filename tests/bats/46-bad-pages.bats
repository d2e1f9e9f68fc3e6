#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# EGM_BAD_PAGES_LIST, NVIDIA's downstream command (_IO('E', 100)), as
# their QEMU uses it: include/uapi/linux/egm.h and
# Documentation/admin-guide/egm.rst "GPU passthrough". ACPI boot: socket0
# has firmware-retired blocks there. The expected lists are computed from
# the region's configfs `retired` file, not from literals.
# egm-boot: acpi

load lib/egm

setup() {
	egm_setup
	R0=$EGM_CFS/regions/socket0
}

teardown() {
	egm_teardown
}

# expected_blocks OFF SIZE: the block= lines EGM_BAD_PAGES_LIST must give
# for an instance at OFF, SIZE bytes, of socket0: one per retired block,
# clipped to the instance, relative to it, ascending.
expected_blocks() {
	local off=$(($1)) size=$(($2)) base b lo hi
	base=$(cat "$R0/base")
	while read -r b _; do
		b=$((b - base))
		lo=$((b > off ? b : off))
		hi=$((b + 0x10000 < off + size ? b + 0x10000 : off + size))
		((hi > lo)) || continue
		printf 'block=0x%x 0x%x\n' $((lo - off)) $((hi - lo))
	done < <(sort "$R0/retired")
}

# expect_loop DEV OFF SIZE: NVIDIA QEMU's loop on DEV (an instance at OFF,
# SIZE bytes, in socket0) takes two calls and returns exactly the blocks
# expected_blocks lists; WANT keeps that list for the test.
expect_loop() {
	local n
	WANT=$(expected_blocks "$2" "$3")
	n=$(grep -c . <<< "$WANT" || true)
	run egm-io bad-pages "$1"
	assert_success
	assert_output "calls=2
argsz=$((8 + 16 * n))
count=$n
$WANT"
}

@test "9. BAD_PAGES_LIST: the whole command 0x4564 is matched, not its type and number alone" {
	make_ready s0 socket0 0 0
	run egm-io ioctl-raw "$(inst_dev s0)" 0x4564 8
	assert_success
	# the same number with another direction or size is not downstream's
	run egm-io ioctl-raw "$(inst_dev s0)" 0xc0084564 8
	assert_output "errno=ENOTTY"
}

@test "9. BAD_PAGES_LIST: NVIDIA QEMU's loop gets every retired block of socket0, unmerged" {
	make_ready s0 socket0 0 0
	local n
	expect_loop "$(inst_dev s0)" 0 "$(cat "$R0/size")"
	n=$(grep -c . <<< "$WANT")
	((n >= 2)) || fail "socket0 should carry firmware-retired blocks"
	# adjacent blocks are one range for EGM_IOCTL_RETIRED, not here
	run egm-io retired "$(inst_dev s0)"
	assert_line --regexp "^count=[0-9]+$"
	(( ${lines[0]#count=} < n )) || fail "RETIRED should merge adjacent blocks"
}

@test "9. BAD_PAGES_LIST: too small → success, argsz = size needed, count 0, entries left alone" {
	make_ready s0 socket0 0 0
	local n a
	n=$(expected_blocks 0 "$(cat "$R0/size")" | grep -c .)
	for a in 8 24 $((8 + 16 * n - 1)); do
		run egm-io bad-pages "$(inst_dev s0)" "$a"
		assert_success
		assert_line --index 1 "argsz=$((8 + 16 * n))"
		assert_line --index 2 "count=0"
		refute_line --partial "block=0x"
	done
	run egm-io bad-pages "$(inst_dev s0)" $((8 + 16 * n))
	assert_success
	assert_line --index 1 "argsz=$((8 + 16 * n))"
	assert_line --index 2 "count=$n"
}

@test "9. BAD_PAGES_LIST: argsz < 8 → EINVAL" {
	make_ready s0 socket0 0 0
	local a
	for a in 0 4 7; do
		run egm-io bad-pages "$(inst_dev s0)" "$a"
		assert_failure
		assert_output "errno=EINVAL"
	done
}

@test "9. BAD_PAGES_LIST: blocks are clipped to and relative to an instance inside socket0" {
	make_ready s0 socket0 0x18000 0x40000
	expect_loop "$(inst_dev s0)" 0x18000 0x40000
	[[ -n $WANT ]] || fail "the layout has no retired block in [0x18000, 0x58000) of socket0"
}

@test "9. BAD_PAGES_LIST: an instance without retired blocks → one call, count 0" {
	make_ready s1 socket1 0 4M
	run egm-io bad-pages "$(inst_dev s1)"
	assert_success
	assert_output "calls=1
argsz=8
count=0"
}

@test "9. BAD_PAGES_LIST: a block retired at run time joins the list" {
	make_ready s0 socket0 0 0
	EGM_RELOAD_IN_TEARDOWN=1
	echo "$(s0pa 0x200000)" > "$R0/retire"
	expect_loop "$(inst_dev s0)" 0 "$(cat "$R0/size")"
	grep -qx 'block=0x200000 0x10000' <<< "$WANT" || fail "retire did not list the block"
}
