#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# egm-boot: param
# DESIGN §4 mappings at scale: huge PMD/PUD entries where the kernel
# supports them (features huge-pmd/huge-pud), base pages otherwise, and
# the operations that split or move a huge-mapped range. Page-table
# growth (VmPTE of the egm-io process that faults the mapping in)
# tells which size a fault used.

load lib/egm

has_feature() {
	grep -qx "$1" "$EGM_CFS/features"
}

# pt_kb= of the last `run egm-io maptest ...` (also shown in the TAP
# stream with the system-wide figure)
pt_kb() {
	local l v=
	for l in "${lines[@]}"; do
		[[ $l == pt_kb=* ]] && v=${l#pt_kb=}
	done
	[[ -n $v ]] || return 1
	echo "$v"
}

show_pt() {
	local l
	for l in "${lines[@]}"; do
		[[ $l == pt_kb=* || $l == pagetables_kb=* ]] && echo "# $BATS_TEST_DESCRIPTION: $l" >&3
	done
	return 0
}

# base_pt_kb MIB: 3/4 of the kB of PTE pages that MIB MiB of base pages
# need (8 bytes an entry): 48 for 32 MiB of 4 KiB pages, 12 with 16 KiB.
base_pt_kb() {
	echo $(((($1 << 20) / EGM_PAGE_SIZE) * 8 / 1024 * 3 / 4))
}

@test "4. a hint-less 32 MiB mapping of a 1 GiB instance: 2 MiB-congruent, PMDs where supported, data round-trips" {
	make_ready vm0 socket1 0 1G scrub=none
	run egm-io maptest "$(inst_dev vm0)" aligned 32M
	show_pt
	assert_success
	assert_line ok
	# 32 MiB of base pages need 64 kB of PTE pages; PMD entries need none
	if has_feature huge-pmd; then
		assert_line addr_mod_2m=0x0
		(($(pt_kb) < 32)) || fail "PageTables grew by $(pt_kb) kB with huge-pmd"
	else
		(($(pt_kb) >= $(base_pt_kb 32))) || fail "PageTables grew by $(pt_kb) kB only, for $((32 << 20) / EGM_PAGE_SIZE) base pages"
	fi
}

@test "4. a mapping one page off the physical congruence falls back to base pages and keeps its data" {
	make_ready vm0 socket1 0 64M scrub=none
	run egm-io maptest "$(inst_dev vm0)" skewed 32M
	show_pt
	assert_success
	assert_line ok
	(($(pt_kb) >= $(base_pt_kb 32))) || fail "PageTables grew by $(pt_kb) kB only: a huge entry at a skewed address?"
}

@test "4. a hint-less mapping at an unaligned file offset (one page in) works" {
	make_ready vm0 socket1 0 64M scrub=none
	run egm-io maptest "$(inst_dev vm0)" offset 16M
	assert_success
	assert_line ok
}

@test "4. partial munmap of a huge-mapped range: holes fault, the rest keeps data, nothing is lost" {
	make_ready vm0 socket1 0 64M scrub=none
	run egm-io maptest "$(inst_dev vm0)" munmap 16M
	assert_success
	assert_line ok
}

@test "4. mremap: growing → EFAULT (VM_DONTEXPAND); shrink and moves (congruent, then skewed) keep data" {
	make_ready vm0 socket1 0 64M scrub=none
	run egm-io maptest "$(inst_dev vm0)" mremap 16M
	assert_success
	assert_line grow=EFAULT
	assert_line ok
}

@test "4. data across every 2 MiB boundary of a 1 GiB (PUD-sized) instance: pwrite, two mappings and pread agree" {
	make_ready vm0 socket1 0 1G scrub=none
	run egm-io maptest "$(inst_dev vm0)" boundary 1G
	assert_success
	assert_line boundaries=511
	assert_line ok
}

@test "4. data across 2 MiB boundaries of a region with struct pages (socket0)" {
	make_ready vm0 socket0 0 16M scrub=none
	run egm-io maptest "$(inst_dev vm0)" boundary 16M
	assert_success
	assert_line boundaries=7
	assert_line ok
}

@test "4. fork: the child's writes astride every 2 MiB boundary of a 64 MiB mapping reach the parent" {
	make_ready vm0 socket1 0 64M scrub=none
	run egm-io fork-shared "$(inst_dev vm0)" 0 64M
	assert_success
	# the start, 31 boundaries and the end
	assert_line words=33
	assert_line ok
}

@test "4. a retired block inside a 2 MiB-aligned range: SIGBUS at the block, its neighbours and the next PMD map" {
	EGM_RELOAD_IN_TEARDOWN=1	# retired blocks stay until reload
	make_ready vm0 socket1 0 64M scrub=none
	echo $((EGM_S1_BASE + 0x210000)) > "$EGM_REG/socket1/retire"
	run egm-io touch "$(inst_dev vm0)" map=64M 0x200000 0x20f000 0x210000 0x220000 0x400000
	assert_failure
	assert_equal "${#lines[@]}" 5
	assert_line --index 0 --regexp '^ok val='
	assert_line --index 1 --regexp '^ok val='
	assert_line --index 2 --regexp '^sigbus code=BUS_MCEERR_AR addr_off=0x210000 '
	assert_line --index 3 --regexp '^ok val='
	assert_line --index 4 --regexp '^ok val='
}
