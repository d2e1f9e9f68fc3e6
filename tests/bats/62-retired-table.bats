#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# DESIGN §5 retired blocks: hostile firmware tables. The harness places
# socket0's table at 0x2fff0000 (reserved memory, not claimed by anyone,
# so /dev/mem reaches it); each test writes a different table there,
# reloads egm and checks that it loads, warns as documented and records
# exactly the valid blocks. The original table is put back afterwards.
# egm-boot: acpi

load lib/egm

TABLE=$((0x2fff0000))

setup() {
	egm_setup
	SAVED=$BATS_TEST_TMPDIR/table.orig
	dd if=/dev/mem of="$SAVED" bs=4096 skip=$((TABLE / 4096)) count=1 \
		status=none
	[[ $(stat -c %s "$SAVED") == 4096 ]]
}

teardown() {
	dd if="$SAVED" of=/dev/mem bs=4096 seek=$((TABLE / 4096)) count=1 \
		conv=notrunc status=none
	egm_cleanup
	egm_reload
}

# le64 N...: the little-endian bytes of each 64-bit N.
le64() {
	local n i out
	for n in "$@"; do
		out=
		for ((i = 0; i < 8; i++)); do
			out+=$(printf '\\x%02x' $(((n >> (8 * i)) & 0xff)))
		done
		printf "$out"
	done
}

# put_table COUNT ADDR...: write a table (count word, then entries).
put_table() {
	local f=$BATS_TEST_TMPDIR/table.new
	le64 "$@" > "$f"
	dd if=/dev/zero of=/dev/mem bs=4096 seek=$((TABLE / 4096)) count=1 \
		conv=notrunc status=none
	dd if="$f" of=/dev/mem bs=8 seek=$((TABLE / 8)) conv=notrunc \
		status=none
}

reload_and_log() {
	dmesg_mark
	egm_reload
	[[ -d $EGM_REG/socket0 ]]
	LOG=$(dmesg_since)
}

@test "5. the table the harness placed is the one the other suites expect" {
	run sh -c "dd if=/dev/mem bs=8 skip=$((TABLE / 8)) count=7 status=none | od -An -tx8"
	assert_success
	assert_output --partial "0000000000000006"
	assert_output --partial "0000000030050123"
}

@test "5. count 0 means no retired blocks, without a warning" {
	put_table 0 $((0x30010000))
	reload_and_log
	expect_file "$EGM_REG/socket0/retired_pages" 0
	expect_file "$EGM_REG/socket0/retired" ""
	[[ $LOG != *"retired table: skipped"* ]]
}

@test "5. a count past the cap of 4096 is clamped with a warning; garbage is skipped" {
	# 65536 entries claimed; the 4096 read are the one valid entry and
	# zeroes (address 0: outside the region).
	put_table 65536 $((0x30100000))
	reload_and_log
	[[ $LOG == *"socket0: retired table claims 65536 entries, reading the first 4096"* ]]
	[[ $LOG == *"socket0: retired table: skipped 4095 entries outside the region and 0 duplicates"* ]]
	expect_file "$EGM_REG/socket0/retired" "0x30100000 firmware"
	expect_file "$EGM_REG/socket0/retired_pages" $((65536 / $(page_size)))
}

@test "5. entries past the end, below the base and all-ones are skipped; the module still loads" {
	put_table 5 $((0x2fff0000)) $((0x34000000)) -1 $((0x33ff0000)) \
		$((0x33ff8000))
	reload_and_log
	[[ $LOG == *"socket0: retired table: skipped 3 entries outside the region and 1 duplicates"* ]]
	expect_file "$EGM_REG/socket0/retired" "0x33ff0000 firmware"
	[[ $LOG != *WARNING:* && $LOG != *"Call Trace"* ]]
}
