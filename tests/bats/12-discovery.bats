#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# Discovery rules (Documentation/ABI/testing/configfs-egm "regions/") with
# regions= on top of ACPI: duplicates, conflicts, validation (System RAM,
# overlap, alignment, overflow). Each rejected region logs one line and is
# skipped; the module still loads. Reloads the module; teardown_file
# restores the default load.
# egm-boot: acpi

load lib/egm

# Far above guest RAM (x86: 0-3 GiB, 4-5 GiB; arm64: from 1 GiB) and the
# ACPI regions.
FREE_PA=0x1000000000
# 16 MiB of System RAM (x86: at 16 MiB; arm64: RAM starts at 1 GiB).
RAM_PA=0x1000000
if [[ ${EGM_ARCH:-x86_64} == aarch64 ]]; then
	RAM_PA=0x50000000
fi

# Every test reloads with its own regions=; restore the default load once.
teardown_file() {
	egm_reload
}

# egm_log_lines: kernel log lines of egm since the mark.
egm_log_lines() {
	local n=0 l
	while IFS= read -r l; do
		[[ $l == *"egm: "* && $l != *"taints kernel"* ]] && n=$((n + 1))
	done < <(dmesg_since)
	echo "$n"
}

# A plain load's number of log lines, once for the file.
setup_file() {
	egm_rmmod
	dmesg_mark
	egm_insmod
	BASE_LINES=$(egm_log_lines)
	export BASE_LINES
}

# reload_with PARAMS...: reload (the module must load); NEW_LINES is the
# number of log lines this load printed.
reload_with() {
	egm_rmmod
	dmesg_mark
	run insmod "$EGM_KO" "$@"
	assert_success
	assert [ -d "$EGM_REG" ]
	NEW_LINES=$(egm_log_lines)
}

# The regions= entry made exactly N more log lines than a plain load.
assert_extra_log_lines() {
	assert_equal "$((NEW_LINES - BASE_LINES))" "$1"
}

assert_acpi_regions_intact() {
	assert_equal "$(cat "$EGM_REG/socket0/source")" acpi
	assert_equal "$(num_of "$EGM_REG/socket0/base")" "$((EGM_S0_BASE))"
	assert_equal "$(cat "$EGM_REG/socket0/size")" "$((64 << 20))"
	assert_equal "$(cat "$EGM_REG/socket1/source")" acpi
	assert_equal "$(num_of "$EGM_REG/socket1/base")" "$((EGM_S1_BASE))"
}

@test "2. regions= identical to an ACPI region is ignored with an info line; source stays acpi" {
	reload_with regions=0:$EGM_S0_BASE:64M
	run ls "$EGM_REG"
	assert_output "socket0
socket1"
	assert_acpi_regions_intact
	assert_equal "$(cat "$EGM_REG/socket0/devices")" "$(region_devices 0)"
	assert_extra_log_lines 1
}

@test "2. regions= with a different range for an ACPI PXM is rejected; ACPI wins" {
	reload_with regions=0:$FREE_PA:64M
	run ls "$EGM_REG"
	assert_output "socket0
socket1"
	assert_acpi_regions_intact
	assert_extra_log_lines 1
}

@test "2. regions= adds a new socket: source param, no devices, numa_node -1 (PXM unknown to SRAT)" {
	reload_with regions=6:$FREE_PA:64M
	# one info line for the new region, as for the others
	assert_extra_log_lines 1
	run ls "$EGM_REG"
	assert_output "socket0
socket1
socket6"
	local r=$EGM_REG/socket6 v
	assert_equal "$(cat "$r/source")" param
	assert_equal "$(num_of "$r/base")" "$((FREE_PA))"
	assert_equal "$(cat "$r/size")" "$((64 << 20))"
	assert_equal "$(cat "$r/pxm")" 6
	assert_equal "$(cat "$r/numa_node")" -1
	assert_equal "$(cat "$r/cpu_node")" -1
	fraw v "$r/gpus"; assert_equal "$v" $'\n'
	fraw v "$r/devices"; assert_equal "$v" $'\n'
	assert_equal "$(cat "$r/retired_pages")" 0
	assert_acpi_regions_intact
}

@test "2. a region in System RAM is rejected with one log line" {
	reload_with regions=2:$RAM_PA:16M
	run dmesg_since
	assert_output --partial "System RAM"
	assert [ ! -e "$EGM_REG/socket2" ]
	assert_extra_log_lines 1
	assert_acpi_regions_intact
}

@test "2. a region overlapping another region is rejected with one log line" {
	reload_with regions=2:$EGM_S1_BASE:4M
	assert [ ! -e "$EGM_REG/socket2" ]
	assert_extra_log_lines 1
	reload_with regions=3:$(s0pa 0x1000000):1M
	assert [ ! -e "$EGM_REG/socket3" ]
	assert_extra_log_lines 1
	assert_acpi_regions_intact
}

@test "2. a misaligned region is rejected with one log line" {
	reload_with regions=2:$((FREE_PA + 0x800)):64M
	assert [ ! -e "$EGM_REG/socket2" ]
	assert_extra_log_lines 1
	reload_with regions=3:$FREE_PA:0x1800
	assert [ ! -e "$EGM_REG/socket3" ]
	assert_extra_log_lines 1
}

@test "2. an overflowing region is rejected with one log line" {
	reload_with regions=2:0xfffffffffff00000:2M
	assert [ ! -e "$EGM_REG/socket2" ]
	assert_extra_log_lines 1
	assert_acpi_regions_intact
}

@test "2. a bad entry does not stop a good one; two entries for one new PXM keep the first" {
	reload_with regions=2:$RAM_PA:16M,3:$FREE_PA:64M
	assert [ ! -e "$EGM_REG/socket2" ]
	assert [ -d "$EGM_REG/socket3" ]
	reload_with regions=4:$FREE_PA:64M,4:$((FREE_PA + (1 << 30))):64M
	assert [ -d "$EGM_REG/socket4" ]
	assert_equal "$(num_of "$EGM_REG/socket4/base")" "$((FREE_PA))"
	# the new region's line and one rejection
	assert_extra_log_lines 2
}

@test "2. an instance on a param region next to ACPI regions enables (minor not from the PXM)" {
	reload_with regions=5:$FREE_PA:64M max_instances=2
	create_instance p socket5 0 64K scrub=none
	enable_instance p
	assert_equal "$(inst_minor p)" 0
	run egm-io info "$(inst_dev p)"
	assert_line pxm=5
	assert_line numa_node=-1
}
