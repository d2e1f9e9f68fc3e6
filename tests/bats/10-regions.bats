#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# Regions (Documentation/ABI/testing/configfs-egm): discovery from ACPI
# _DSD, merged GPUs, retired table, the features file. ACPI boot only (the
# param boot is 15-param.bats; Grace specifics: 16-grace-firmware.bats).
# egm-boot: acpi

load lib/egm

# The NUMA node of each socket comes from the harness (EGM_S*_NODE). arm64
# under UEFI has one node (the SRAT is given up on, 00-harness):
# pxm_to_node() knows no PXM, and egm falls back to the PXM as the node if
# that node exists, so socket0 (PXM 0) is on node 0 and socket1 (PXM 1) on
# none.
S0_NODE=$EGM_S0_NODE S1_NODE=$EGM_S1_NODE

@test "2. configfs tree: features, regions/ and instances/ exist, nothing else published" {
	assert [ -f "$EGM_CFS/features" ]
	assert [ -d "$EGM_REG" ]
	assert [ -d "$EGM_INST" ]
	run ls "$EGM_INST"
	assert_output ""
	# nothing user-visible appears at load but the regions
	run ls "$EGM_CLASS"
	assert_output ""
	run bash -c 'ls /dev/egm* 2>/dev/null'
	assert_output ""
}

@test "2. exactly socket0 and socket1 are discovered" {
	run ls "$EGM_REG"
	assert_success
	assert_output "socket0
socket1"
}

@test "2. socket0: base size pxm numa_node source from the two merged ACPI devices" {
	local r=$EGM_REG/socket0
	run num_of "$r/base"
	assert_output "$((EGM_S0_BASE))"
	expect_file "$r/size" "$((64 << 20))"
	expect_file "$r/pxm" "0"
	expect_file "$r/numa_node" "$S0_NODE"
	expect_file "$r/source" "acpi"
	run cat "$r/devices"
	assert_output "$(region_devices 0)"
}

@test "2. socket1: base size pxm numa_node source devices" {
	local r=$EGM_REG/socket1
	run num_of "$r/base"
	assert_output "$((EGM_S1_BASE))"
	expect_file "$r/size" "$((1 << 30))"
	expect_file "$r/pxm" "1"
	expect_file "$r/numa_node" "$S1_NODE"
	expect_file "$r/source" "acpi"
	expect_file "$r/devices" "$(region_devices 1)"
}

@test "2. the devices listed exist in /sys/bus/acpi/devices" {
	local d n=0
	for d in $(cat "$EGM_REG/socket0/devices" "$EGM_REG/socket1/devices"); do
		assert [ -e "/sys/bus/acpi/devices/$d" ]
		n=$((n + 1))
	done
	assert_equal "$n" "$(wc -w <<<"$EGM_S0_GPUS $EGM_S0_ACPI $EGM_S1_GPUS $EGM_S1_ACPI")"
}

@test "2. free is the whole region with no enabled instance" {
	expect_file "$EGM_REG/socket0/free" "$((64 << 20))"
	expect_file "$EGM_REG/socket1/free" "$((1 << 30))"
}

@test "2. region attributes are read-only except retire (0200); base and retired root-only" {
	local a
	for a in size pxm numa_node cpu_node source free retired_pages devices gpus; do
		run egm-io stat "$EGM_REG/socket0/$a"
		assert_output --partial "mode=0444"
	done
	for a in base retired; do
		run egm-io stat "$EGM_REG/socket0/$a"
		assert_output --partial "mode=0400"
	done
	run egm-io stat "$EGM_REG/socket0/retire"
	assert_output --partial "mode=0200"
	# even root cannot write them (configfs: no store → EACCES)
	for a in base size pxm numa_node cpu_node source free retired_pages retired devices gpus; do
		expect_errno EACCES "$EGM_REG/socket0/$a" 4096
	done
	# and root cannot read retire (no show)
	expect_out "errno=EACCES" egm-io readfile "$EGM_REG/socket0/retire"
}

@test "2. every region attribute ends with a newline, also when empty" {
	local a v
	for a in base size pxm numa_node cpu_node source free retired_pages retired devices gpus; do
		ends_with_newline "$EGM_REG/socket1/$a"
	done
	fraw v "$EGM_REG/socket1/retired"
	assert_equal "$v" $'\n'

}

@test "5. socket0 firmware retired tables: 5 blocks, sorted, duplicates merged, unaligned rounded" {
	# the union of the two GPUs' copies (mkretired)
	run cat "$EGM_REG/socket0/retired"
	assert_output "$(s0_fw_retired)"
	# 5 blocks of 64 KiB in PAGE_SIZE pages
	expect_file "$EGM_REG/socket0/retired_pages" "$((5 * 65536 / $(page_size)))"
}

@test "5. socket1 has no retired blocks" {
	expect_file "$EGM_REG/socket1/retired" ""
	expect_file "$EGM_REG/socket1/retired_pages" "0"
}

@test "5. the out-of-region table entry was skipped with a warning" {
	run dmesg
	assert_output --regexp "egm: socket0: .*([Oo]utside|[Ss]kip)"
}

@test "2. features: sorted, known words, huge-* exactly on kernels with huge PFN maps" {
	local want=()
	run cat "$EGM_CFS/features"
	assert_success
	# sorted, one a line, only documented words
	assert_equal "$output" "$(printf '%s\n' "$output" | sort)"
	local w
	for w in $output; do
		case $w in
		scrub | retire | huge-pmd | huge-pud | memory-failure) ;;
		*) fail "undocumented feature '$w'" ;;
		esac
	done
	assert_line "retire"
	assert_line "scrub"
	if (($(kernel_version_num) < 612)); then
		# 6.1 has no huge PFN mappings and no register_pfn_address_space()
		assert_output "retire
scrub"
	elif [[ ${EGM_ARCH:-x86_64} == x86_64 ]]; then
		# Debian amd64 6.12+: ARCH_SUPPORTS_PMD_PFNMAP and _PUD_PFNMAP
		assert_line "huge-pmd"
		assert_line "huge-pud"
	else
		# Debian arm64 6.12+ (4 KiB and 16 KiB pages): PMD_PFNMAP only
		assert_line "huge-pmd"
		refute_line "huge-pud"
	fi
}

@test "2. features file is read-only" {
	run egm-io stat "$EGM_CFS/features"
	assert_output --partial "mode=0444"
}

@test "2. mkdir under regions/ is refused" {
	run mkdir "$EGM_REG/socket7"
	assert_failure
	assert [ ! -d "$EGM_REG/socket7" ]
}
