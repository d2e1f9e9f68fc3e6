#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# egm-boot: param
# Mappings at scale (Documentation/userspace-api/egm.rst "Mapping"): huge
# PMD/PUD entries where the kernel supports them (features
# huge-pmd/huge-pud), base pages otherwise, and the operations that split or
# move a huge-mapped range. Page-table growth (VmPTE of the egm-io process,
# from before its mmap to after it touched every byte) and the minor faults
# of the touching tell which size a fault used; the growth at mmap time
# alone tells that nothing was mapped before the first touch (an eager
# remap_pfn_range would be). Huge entries are required where the kernel can
# build them: PMDs on 6.12+ (x86_64 and arm64), PUDs on 6.12+ x86_64
# (HARNESS-NOTES-measured Debian configs;
# Documentation/admin-guide/egm.rst).

load lib/egm

has_feature() {
	grep -qx "$1" "$EGM_CFS/features"
}

# mt KEY: the value of KEY= in the output of the last `run egm-io maptest`
# (pt_kb, pt_map_kb, faults; shown in the TAP stream by show_pt)
mt() {
	local l v=
	for l in "${lines[@]}"; do
		[[ $l == "$1"=* ]] && v=${l#"$1"=}
	done
	[[ -n $v ]] || fail "no $1= in the output of egm-io maptest"
	echo "$v"
}

pt_kb() {
	mt pt_kb
}

show_pt() {
	local l
	for l in "${lines[@]}"; do
		case $l in
		pt_kb=* | pt_map_kb=* | faults=* | pagetables_kb=*)
			echo "# $BATS_TEST_DESCRIPTION: $l" >&3 ;;
		esac
	done
	return 0
}

# The kernels that must map huge entries (a missing feature there is a
# driver bug, not a reason to test base pages only).
require_huge() {
	(($(kernel_version_num) >= 612)) || return 0
	has_feature huge-pmd || fail "kernel $EGM_KERNEL ($EGM_ARCH) supports PMD pfn maps but egm lacks huge-pmd"
	if [[ ${EGM_ARCH:-x86_64} == x86_64 ]]; then
		has_feature huge-pud || fail "kernel $EGM_KERNEL (x86_64) supports PUD pfn maps but egm lacks huge-pud"
	fi
	return 0
}

# nothing mapped by mmap itself: the page tables grow at the first touch
assert_lazy() {
	(($(mt pt_map_kb) < 16)) || fail "mmap alone grew the page tables by $(mt pt_map_kb) kB: mapped eagerly?"
}

# map_aligned LEN: a hint-less mapping of LEN of a 1 GiB socket1 instance,
# filled and checked (egm-io maptest aligned), mapped lazily
map_aligned() {
	make_ready vm0 socket1 0 1G scrub=none
	require_huge
	run egm-io maptest "$(inst_dev vm0)" aligned "$1"
	show_pt
	assert_success
	assert_line ok
	assert_lazy
}

# base_pt_kb MIB: 3/4 of the kB of PTE pages that MIB MiB of base pages
# need (8 bytes an entry): 48 for 32 MiB of 4 KiB pages, 12 with 16 KiB.
base_pt_kb() {
	echo $(((($1 << 20) / EGM_PAGE_SIZE) * 8 / 1024 * 3 / 4))
}

@test "4. a hint-less 32 MiB mapping of a 1 GiB instance: 2 MiB-congruent, PMDs where supported, data round-trips" {
	map_aligned 32M
	# 32 MiB of base pages need 64 kB of PTE pages and a fault each;
	# PMD entries need none and one fault per PMD
	local pages=$(((32 << 20) / EGM_PAGE_SIZE)) pmds=$(((32 << 20) / (EGM_PAGE_SIZE * EGM_PAGE_SIZE / 8)))
	if has_feature huge-pmd; then
		assert_line addr_mod_2m=0x0
		(($(pt_kb) < 32)) || fail "PageTables grew by $(pt_kb) kB with huge-pmd"
		(($(mt faults) >= pmds && $(mt faults) < 4 * pmds + 16)) ||
			fail "$(mt faults) faults for $pmds PMDs"
	else
		(($(pt_kb) >= $(base_pt_kb 32))) || fail "PageTables grew by $(pt_kb) kB only, for $pages base pages"
		(($(mt faults) >= pages)) || fail "$(mt faults) faults for $pages base pages"
	fi
}

@test "4. a hint-less 1 GiB mapping of a 1 GiB instance: one PUD on 6.12+ x86_64 (at most one page-table page)" {
	map_aligned 1G
	local page_kb=$((EGM_PAGE_SIZE / 1024)) pmds=$(((1 << 30) / (EGM_PAGE_SIZE * EGM_PAGE_SIZE / 8)))
	if has_feature huge-pud; then
		# one PUD entry: a PUD table at most, and a fault or so
		(($(pt_kb) <= page_kb)) || fail "PageTables grew by $(pt_kb) kB with huge-pud: not one PUD"
		(($(mt faults) < 16)) || fail "$(mt faults) faults for one PUD"
	elif has_feature huge-pmd; then
		(($(mt faults) >= pmds)) || fail "$(mt faults) faults for $pmds PMDs"
	else
		(($(pt_kb) >= $(base_pt_kb 1024))) || fail "PageTables grew by $(pt_kb) kB only for base pages"
	fi
}

@test "4. a mapping one page off the physical congruence falls back to base pages and keeps its data" {
	make_ready vm0 socket1 0 64M scrub=none
	run egm-io maptest "$(inst_dev vm0)" skewed 32M
	show_pt
	assert_success
	assert_line ok
	assert_lazy
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
