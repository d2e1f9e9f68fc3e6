#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# egm-boot: param
# Discovery from the regions= module parameter (no ACPI devices;
# Documentation/ABI/testing/configfs-egm "regions/"):
# regions=0:0x30000000:64M,1:0x80000000:1G (x86; arm64: socket0 at
# $EGM_S0_BASE).

load lib/egm

@test "2. param boot: socket0 and socket1 from regions=" {
	run ls "$EGM_REG"
	assert_output "socket0
socket1"
	run num_of "$EGM_REG/socket0/base"
	assert_output "$((EGM_S0_BASE))"
	expect_file "$EGM_REG/socket0/size" "$((64 << 20))"
	run num_of "$EGM_REG/socket1/base"
	assert_output "$((EGM_S1_BASE))"
	expect_file "$EGM_REG/socket1/size" "$((1 << 30))"
	expect_file "$EGM_REG/socket0/pxm" 0
	expect_file "$EGM_REG/socket1/pxm" 1
}

@test "2. param boot: source param, devices an empty line, numa_node from the PXM" {
	local r v
	for r in socket0 socket1; do
		assert_equal "$(cat "$EGM_REG/$r/source")" param
		fraw v "$EGM_REG/$r/devices"; assert_equal "$v" $'\n'
	done
	assert_equal "$(cat "$EGM_REG/socket0/numa_node")" "$EGM_S0_NODE"
	assert_equal "$(cat "$EGM_REG/socket1/numa_node")" "$EGM_S1_NODE"
	assert_equal "$(cat "$EGM_REG/socket1/cpu_node")" "$EGM_S1_CPU_NODE"
}

@test "5. param boot: no retired table, nothing retired" {
	local r v
	for r in socket0 socket1; do
		assert_equal "$(cat "$EGM_REG/$r/retired_pages")" 0
		fraw v "$EGM_REG/$r/retired"; assert_equal "$v" $'\n'
	done
	make_ready s0 socket0 0 0
	expect_out count=0 egm-io retired "$(inst_dev s0)"
	# the blocks the ACPI boot retires are plain memory here
	run egm-io touch "$(inst_dev s0)" 0x10000 0x50000 0x3ff0000
	assert_output "ok val=0x00
ok val=0x00
ok val=0x00"
	expect_file "$(inst_sys s0)/retired_pages" 0
}

@test "3. param boot: no firmware-device links in sysfs" {
	make_ready s1 socket1 0 1M
	run bash -c "find $(inst_sys s1)/ -maxdepth 1 -type l -name '*:*'"
	assert_output ""
}

@test "5. param boot: runtime retire works without a firmware table" {
	EGM_RELOAD_IN_TEARDOWN=1
	s0pa 0x40000 > "$EGM_REG/socket0/retire"
	expect_file "$EGM_REG/socket0/retired" "$(s0pa 0x40000) runtime"
	make_ready s0 socket0 0x40000 1M
	run egm-io touch "$(inst_dev s0)" 0
	assert_output --regexp "^sigbus code=BUS_MCEERR_AR addr_off=0x0 "
}

@test "2. param boot: the module reloads with the same regions= and nothing else" {
	EGM_RELOAD_IN_TEARDOWN=1
	egm_reload
	run ls "$EGM_REG"
	assert_output "socket0
socket1"
	assert_equal "$(cat "$EGM_REG/socket1/source")" param
}

@test "2. param boot: an unloaded module loads without regions= and shows none" {
	EGM_RELOAD_IN_TEARDOWN=1
	egm_rmmod
	insmod "$EGM_KO"
	run ls "$EGM_REG"
	assert_output ""
	assert [ -f "$EGM_CFS/features" ]
}

@test "2. param boot: the largest PXM, 4294967295, names its region in full" {
	EGM_RELOAD_IN_TEARDOWN=1
	egm_rmmod
	# the 64 KiB reserved for the (here unused) retired table is free
	insmod "$EGM_KO" regions="$EGM_PARAM_REGIONS,4294967295:$EGM_RT_BASE:64K"
	run ls "$EGM_REG"
	assert_output "socket0
socket1
socket4294967295"
	expect_file "$EGM_REG/socket4294967295/pxm" 4294967295
	assert [ -e "$EGM_DBG/socket4294967295/revoke" ]
	make_ready top socket4294967295 0 0 scrub=none
	expect_out size=65536 egm-io lseek-end "$(inst_dev top)"
}
