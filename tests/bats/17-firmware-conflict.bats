#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# Firmware whose GPUs disagree (Documentation/ABI/testing/configfs-egm
# "regions/"): the harness's conflict boot gives socket0's second GPU
# (x86: the ACPI companion of the second PCI stand-in; arm64 UEFI: the
# second NVDA2008 device) twice the size of the first (egm-ssdt.asl,
# EGM_GPU_CONFLICT). egm must reject the whole socket with one log line
# naming both devices, and keep the other socket.
# egm-boot: conflict

load lib/egm

# describer N: the ACPI name of socket0's describing device N (1, 2): the
# GPUs' companions on x86, NVDA2008 devices on arm64 UEFI.
describer() {
	local g
	if [[ -n $EGM_S0_GPUS ]]; then
		g=$(cut -d' ' -f"$1" <<<"$EGM_S0_GPUS")
		basename "$(readlink "/sys/bus/pci/devices/$g/firmware_node")"
	else
		echo "NVDA2008:0$(($1 - 1))"
	fi
}

@test "2. GPUs disagreeing on a socket's size reject that socket, one line naming both" {
	run ls "$EGM_REG"
	assert_output "$EGM_S1_NAME"
	dmesg_mark
	egm_reload
	run ls "$EGM_REG"
	assert_output "$EGM_S1_NAME"
	run dmesg_since
	assert_equal "$(grep -c 'describe different regions' <<<"$output")" 1
	assert_line --regexp "egm: $EGM_S0_NAME: [^ ]+ and [^ ]+ describe different regions, socket rejected$"
	local line
	line=$(grep 'describe different regions' <<<"$output")
	# the device that disagrees, and the one it disagrees with (the
	# first to describe the socket: the first GPU, or on x86 possibly
	# the NVDA2008 device, which agrees with it)
	[[ $line == *" and $(describer 2) describe "* ]]
	[[ $line == *": $(describer 1) and "* || $line == *": NVDA2008:00 and "* ]]
	# nothing about socket0 was claimed or kept
	run grep -c ' : egm$' /proc/iomem
	assert_output 1
}

@test "2. the other socket of such firmware works as usual" {
	expect_file "$EGM_REG/$EGM_S1_NAME/gpus" "$(lines $EGM_S1_GPUS)"
	expect_file "$EGM_REG/$EGM_S1_NAME/cpu_node" "$EGM_S1_CPU_NODE"
	make_ready vm1 "$EGM_S1_NAME" 0 2M
	expect_out ok egm-io check "$(inst_dev vm1)" 0 2M zero
	expect_errno ENODEV "$EGM_INST/vm1/region" "$EGM_S0_NAME"
}
