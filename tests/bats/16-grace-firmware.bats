#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# Firmware as Grace writes it (Documentation/admin-guide/egm.rst "Regions"):
# the _DSD in each GPU's ACPI companion, one retired-table copy per GPU
# (merged: the union, one info line when they differ), socket1 in a
# memory-only NUMA node whose nearest CPU node is its cpu_node, the scrub
# on cpu_node's CPUs, GPUs by PCI address in configfs and sysfs, host
# addresses root-only. The guest's firmware is tools/testing/egm-ssdt.asl;
# names, addresses and nodes come from the harness (EGM_S0_*, EGM_S1_*).
# egm-boot: acpi

load lib/egm

@test "2. socket0: one region from every describing device, whatever their table addresses" {
	local r=$EGM_REG/$EGM_S0_NAME
	expect_file "$r/source" acpi
	run num_of "$r/base"
	assert_output "$((EGM_S0_BASE))"
	run cat "$r/devices"
	assert_output "$(region_devices 0)"
	# x86: two GPUs (PCI companions) and one NVDA2008 device; arm64 UEFI:
	# two NVDA2008 devices
	assert_equal "$(wc -w <<<"$EGM_S0_GPUS $EGM_S0_ACPI")" "$(wc -l <"$r/devices")"
	expect_file "$r/gpus" "$(lines $EGM_S0_GPUS)"
	expect_file "$EGM_REG/$EGM_S1_NAME/gpus" "$(lines $EGM_S1_GPUS)"
	expect_file "$EGM_REG/$EGM_S1_NAME/devices" "$(region_devices 1)"
}

@test "2. the GPUs are PCI devices whose firmware node carries the properties" {
	[[ -n $EGM_S0_GPUS ]] || skip "[arch] arm64 UEFI firmware has no GPU stand-ins"
	local g fw
	for g in $EGM_S0_GPUS $EGM_S1_GPUS; do
		assert [ -d "/sys/bus/pci/devices/$g" ]
		fw=$(basename "$(readlink "/sys/bus/pci/devices/$g/firmware_node")")
		# the ACPI node listed in devices is that PCI device's companion
		run readlink -f "/sys/bus/acpi/devices/$fw/physical_node"
		assert_output "$(readlink -f "/sys/bus/pci/devices/$g")"
	done
}

@test "5. the retired set is the union of the GPUs' table copies, each block once" {
	local r=$EGM_REG/$EGM_S0_NAME
	# the first copy's four blocks and the second copy's extra one
	expect_file "$r/retired" "$(s0_fw_retired)"
	expect_file "$r/retired_pages" $((5 * 65536 / $(page_size)))
	make_ready vm0 "$EGM_S0_NAME" 0 64M
	run egm-io retired "$(inst_dev vm0)" 4096
	assert_success
	assert_output "$S0_FW_RANGES"
	# the block only the second copy lists is withheld; its neighbours
	# were scrubbed and are mapped
	run egm-io touch "$(inst_dev vm0)" 0x2000000
	assert_output --regexp "^sigbus code=BUS_MCEERR_AR addr_off=0x2000000 "
	run egm-io touch "$(inst_dev vm0)" 0x1ffffff 0x2010000
	assert_output $'ok val=0x00\nok val=0x00'
}

@test "5. differing table copies log one info line; identical ones none" {
	dmesg_mark
	egm_reload
	run dmesg_since
	assert_equal "$(grep -c "$EGM_S0_NAME: the 2 retired tables of its GPUs differ; using their union" <<<"$output")" 1
	assert_line --partial "$EGM_S0_NAME: retired table: 5 blocks from 2 tables"
	# make the second copy equal to the first (its count without the
	# extra entry): no line, the first copy's set
	local saved
	saved=$(devmem "$EGM_RT2_BASE" 64)
	devmem "$EGM_RT2_BASE" 64 6
	dmesg_mark
	egm_reload
	run dmesg_since
	devmem "$EGM_RT2_BASE" 64 "$saved"
	refute_output --partial "retired tables of its GPUs differ"
	assert_line --partial "$EGM_S0_NAME: retired table: 4 blocks from 2 tables"
	expect_file "$EGM_REG/$EGM_S0_NAME/retired_pages" $((4 * 65536 / $(page_size)))
	egm_reload
	expect_file "$EGM_REG/$EGM_S0_NAME/retired" "$(s0_fw_retired)"
}

@test "3. sysfs: gpu_devices lists the GPUs, a link per GPU resolves to its PCI device" {
	make_ready vm0 "$EGM_S0_NAME" 0 4M scrub=none
	local s g
	s=$(inst_sys vm0)
	expect_file "$s/gpu_devices" "$(lines $EGM_S0_GPUS)"
	for g in $EGM_S0_GPUS; do
		assert [ -L "$s/$g" ]
		assert_equal "$(readlink -f "$s/$g")" "$(readlink -f "/sys/bus/pci/devices/$g")"
	done
	# and a link per describing firmware device, as before
	for g in $(region_devices 0); do
		assert [ -L "$s/$g" ]
	done
	make_ready vm1 "$EGM_S1_NAME" 0 2M scrub=none
	expect_file "$(inst_sys vm1)/gpu_devices" "$(lines $EGM_S1_GPUS)"
	disable_instance vm0
	# links go with the device
	assert [ ! -e "$s" ]
}

@test "3. sysfs egm_size is the resolved size in hex" {
	make_ready vm0 "$EGM_S0_NAME" 0 0 scrub=none
	expect_file "$(inst_sys vm0)/egm_size" 0x4000000
	make_ready vm1 "$EGM_S1_NAME" 4M 2M scrub=none
	expect_file "$(inst_sys vm1)/egm_size" 0x200000
}

@test "2. socket1 lies in a node without CPUs; cpu_node is the nearest node with CPUs" {
	local r=$EGM_REG/$EGM_S1_NAME
	expect_file "$r/numa_node" "$EGM_S1_NODE"
	expect_file "$r/cpu_node" "$EGM_S1_CPU_NODE"
	expect_file "$EGM_REG/$EGM_S0_NAME/numa_node" "$EGM_S0_NODE"
	expect_file "$EGM_REG/$EGM_S0_NAME/cpu_node" "$EGM_S0_CPU_NODE"
	if ((EGM_S1_NODE < 0)); then
		# arm64 UEFI: no NUMA information, no node, no cpu_node
		assert_equal "$EGM_S1_CPU_NODE" -1
		return
	fi
	# socket1's node exists, has no CPU and no online memory (all of it
	# is the region); cpu_node has CPUs. (Its SLIT row is not in sysfs:
	# offline nodes are not listed; the distances are lib.sh's.)
	assert [ "$EGM_S1_NODE" != "$EGM_S1_CPU_NODE" ]
	run cat /sys/devices/system/node/possible
	assert_output --regexp "[-,]$EGM_S1_NODE$|^0-$EGM_S1_NODE$"
	run cat /sys/devices/system/node/has_cpu
	refute_output --regexp "(^|,)$EGM_S1_NODE(,|$)"
	assert [ ! -d "/sys/devices/system/node/node$EGM_S1_NODE" ]
	run cat "/sys/devices/system/node/node$EGM_S1_CPU_NODE/cpulist"
	assert_output --regexp '^[0-9]'
}

@test "3. sysfs numa_node and cpu_node; INFO for 48- and 56-byte callers" {
	make_ready vm1 "$EGM_S1_NAME" 0 2M scrub=none
	local s
	s=$(inst_sys vm1)
	expect_file "$s/numa_node" "$EGM_S1_NODE"
	expect_file "$s/cpu_node" "$EGM_S1_CPU_NODE"
	run egm-io info "$(inst_dev vm1)" 56
	assert_line argsz=56
	assert_line "numa_node=$EGM_S1_NODE"
	assert_line "cpu_node=$EGM_S1_CPU_NODE"
	run egm-io info "$(inst_dev vm1)" 48
	assert_line argsz=56
	assert_line "numa_node=$EGM_S1_NODE"
	assert_line "reserved=0xa5a5a5a5"
}

@test "5. the scrub runs on the CPUs of the region's cpu_node" {
	local want0 want1
	if ((EGM_S1_CPU_NODE < 0)); then
		want1=$(cat /sys/devices/system/cpu/online)
	else
		want1=$(cat "/sys/devices/system/node/node$EGM_S1_CPU_NODE/cpulist")
	fi
	want0=$(cat "/sys/devices/system/node/node$EGM_S0_CPU_NODE/cpulist")
	egm_reload
	expect_file "$EGM_DBG/$EGM_S1_NAME/scrub_cpus" ""
	# enough chunks for every CPU of the node
	create_instance vm1 "$EGM_S1_NAME" 0 64M
	enable_instance vm1
	wait_state vm1 ready
	expect_file "$EGM_DBG/$EGM_S1_NAME/scrub_cpus" "$want1"
	create_instance vm0 "$EGM_S0_NAME" 0 16M
	enable_instance vm0
	wait_state vm0 ready
	expect_file "$EGM_DBG/$EGM_S0_NAME/scrub_cpus" "$want0"
	# and socket1's did not grow from socket0's scrub
	expect_file "$EGM_DBG/$EGM_S1_NAME/scrub_cpus" "$want1"
}

@test "2. base and retired are root-only (0400): another user gets EACCES" {
	local r=$EGM_REG/$EGM_S0_NAME a
	for a in base retired; do
		run stat -c %a "$r/$a"
		assert_output 400
		run setpriv --reuid=65534 --regid=65534 --clear-groups cat "$r/$a"
		assert_failure
		assert_output --partial "Permission denied"
	done
	# the rest stays readable by everyone
	run setpriv --reuid=65534 --regid=65534 --clear-groups cat "$r/size" "$r/cpu_node" "$r/gpus"
	assert_success
}
