#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# Retired blocks (Documentation/admin-guide/egm.rst "Retired blocks"):
# hostile firmware tables. The harness places the two GPUs' copies of
# socket0's table at EGM_RT_BASE and EGM_RT2_BASE (x86: 0x2fff0000,
# 0x2ffe0000; memory kept from the kernel and claimed by no one, so
# /dev/mem reaches it); each test writes a different table into both
# copies (identical copies, as firmware usually writes them), reloads egm
# and checks that it loads, warns as documented and records exactly the
# valid blocks. The original tables are put back afterwards.
# egm-boot: acpi

load lib/egm

TABLES=($((EGM_RT_BASE)) $((EGM_RT2_BASE)))
# Table words the tests touch: the harness's copies have 7 and 8 (count and
# six or seven entries, mkretired), the tables written here at most 8; the
# rest of the 64 KiB is zero from boot. They go through devmem (an mmap of /dev/mem):
# read() and write() of /dev/mem use the kernel's linear map, which on
# arm64 does not cover this memory (no-map, or above mem=).
NWORDS=8

# word I [VALUE]: print word I (0x%016X) of the first copy, or write VALUE
# to word I of both copies.
word() {
	if (($# == 1)); then
		devmem $((TABLES[0] + 8 * $1)) 64
	else
		devmem $((TABLES[0] + 8 * $1)) 64 "$2"
		devmem $((TABLES[1] + 8 * $1)) 64 "$2"
	fi
}

setup() {
	egm_setup
	local i t
	SAVED=()
	for t in 0 1; do
		for ((i = 0; i < NWORDS; i++)); do
			SAVED[t * NWORDS + i]=$(devmem $((TABLES[t] + 8 * i)) 64)
			[[ ${SAVED[t * NWORDS + i]} =~ ^0x[0-9A-F]{16}$ ]]
		done
	done
}

teardown() {
	local i t
	for t in 0 1; do
		for ((i = 0; i < NWORDS; i++)); do
			devmem $((TABLES[t] + 8 * i)) 64 "${SAVED[t * NWORDS + i]}"
		done
	done
	egm_cleanup
	egm_reload
}

# put_table COUNT ADDR...: write a table (count word, then entries; the
# other words of the first NWORDS zero).
put_table() {
	local v=("$@") i
	((${#v[@]} <= NWORDS)) || fail "put_table: more than $NWORDS words"
	for ((i = 0; i < NWORDS; i++)); do
		word "$i" "$(printf '0x%x' "${v[i]:-0}")"
	done
}

reload_and_log() {
	dmesg_mark
	egm_reload
	[[ -d $EGM_REG/socket0 ]]
	LOG=$(dmesg_since)
}

@test "5. the tables the harness placed are the ones the other suites expect" {
	local want=(6) off i
	# the entries of mkretired, as offsets into socket0
	for off in 0x10000 0x20000 0x10000 0x10000000 0x50123 0x3ff0000; do
		want+=($((EGM_S0_BASE + off)))
	done
	for ((i = 0; i < 7; i++)); do
		assert_equal "$(word "$i")" "$(printf '0x%016X' "${want[i]}")"
	done
	assert_equal "$(word 7)" 0x0000000000000000
	# the second GPU's copy: one entry more
	want[0]=7
	want+=($((EGM_S0_BASE + 0x2000000)))
	for ((i = 0; i < 8; i++)); do
		assert_equal "$(devmem $((TABLES[1] + 8 * i)) 64)" "$(printf '0x%016X' "${want[i]}")"
	done
}

@test "5. count 0 means no retired blocks, without a warning" {
	put_table 0 "$(s0pa 0x10000)"
	reload_and_log
	expect_file "$EGM_REG/socket0/retired_pages" 0
	expect_file "$EGM_REG/socket0/retired" ""
	[[ $LOG != *"retired table: skipped"* ]]
}

@test "5. a count past the cap of 4096 is clamped with a warning; garbage is skipped" {
	# 65536 entries claimed; the 4096 read are the one valid entry and
	# zeroes (address 0: outside the region).
	put_table 65536 "$(s0pa 0x100000)"
	reload_and_log
	[[ $LOG == *"socket0: retired table claims 65536 entries, reading the first 4096"* ]]
	[[ $LOG == *"socket0: retired table: skipped 4095 entries outside the region and 0 duplicates"* ]]
	expect_file "$EGM_REG/socket0/retired" "$(s0pa 0x100000) firmware"
	expect_file "$EGM_REG/socket0/retired_pages" $((65536 / $(page_size)))
}

@test "5. entries past the end, below the base and all-ones are skipped; the module still loads" {
	# the table's own address, socket0's end, all-ones, the last block twice
	put_table 5 "$EGM_RT_BASE" "$(s0pa 0x4000000)" -1 "$(s0pa 0x3ff0000)" \
		"$(s0pa 0x3ff8000)"
	reload_and_log
	[[ $LOG == *"socket0: retired table: skipped 3 entries outside the region and 1 duplicates"* ]]
	expect_file "$EGM_REG/socket0/retired" "$(s0pa 0x3ff0000) firmware"
	[[ $LOG != *WARNING:* && $LOG != *"Call Trace"* ]]
}
