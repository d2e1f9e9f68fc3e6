#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
#
# Smoke tests of the guest contract that every suite relies on, in both
# boots. Each test checks one promise of tools/testing/README.md ("Inside
# the guest").
# egm-boot: acpi param

load lib/bats-libs

# the guest's physical layout, exported by /init (x86 values by default)
: "${EGM_S0_BASE:=0x30000000}" "${EGM_S1_BASE:=0x80000000}" "${EGM_RT_BASE:=0x2fff0000}"

@test "configfs is mounted on /sys/kernel/config" {
	run awk '$2 == "/sys/kernel/config" { print $3 }' /proc/mounts
	assert_output configfs
}

@test "debugfs and devtmpfs are mounted" {
	run awk '$2 == "/sys/kernel/debug" || $2 == "/dev" { print $2, $3 }' /proc/mounts
	assert_line "/sys/kernel/debug debugfs"
	assert_line "/dev devtmpfs"
}

@test "egm is loaded and its configfs subsystem exists" {
	run grep -c '^egm ' /proc/modules
	assert_output 1
	[ -d /sys/kernel/config/egm ]
}

@test "the environment describes the guest" {
	[ -f "$EGM_KO" ]
	[[ $EGM_KO == *.ko ]]
	[[ $EGM_BOOT == acpi || $EGM_BOOT == param ]]
	assert_equal "$EGM_KERNEL" "$(uname -r)"
	assert_equal "$EGM_ARCH" "$(uname -m)"
}

@test "user and group nobody exist with id 65534" {
	run id -u nobody
	assert_output 65534
	run grep -c '^nobody:x:65534:$' /etc/group
	assert_output 1
	run grep -c '^root:x:0:0:' /etc/passwd
	assert_output 1
}

@test "/ is mode 0755 and nobody can reach /dev" {
	run stat -c %a /
	assert_output 755
	run setpriv --reuid=65534 --regid=65534 --clear-groups ls -d /dev/null
	assert_success
	run setpriv --reuid=65534 --regid=65534 --clear-groups id -u
	assert_output 65534
}

# arm64 under UEFI (the ACPI boot of ARCH=arm64): edk2 declares its
# variable flash (0x04000000) as memory, SRAT does not cover it, so the
# kernel gives up on the SRAT and fakes a single node with both CPUs.
uefi_one_node() {
	[[ $EGM_ARCH == aarch64 && $EGM_BOOT == acpi ]]
}

@test "NUMA nodes 0 and 1 exist with one CPU each" {
	[ -d /sys/devices/system/node/node0 ]
	if uefi_one_node; then
		# arm64 UEFI: one node (see uefi_one_node)
		[ ! -d /sys/devices/system/node/node1 ]
		run cat /sys/devices/system/node/node0/cpulist
		assert_output 0-1
		return
	fi
	[ -d /sys/devices/system/node/node1 ]
	run cat /sys/devices/system/node/node0/cpulist /sys/devices/system/node/node1/cpulist
	assert_output $'0\n1'
}

# iomem_top NAME START END [overlaps]: a top-level /proc/iomem entry named
# NAME (a glob) contains [START, END], or with "overlaps" overlaps it.
iomem_top() {
	local line range lo hi
	while read -r line; do
		[[ $line == *" : "$1 && ${line:0:1} != " " ]] || continue
		range=${line%% *}
		lo=$((16#${range%-*})) hi=$((16#${range#*-}))
		if [[ ${4:-} == overlaps ]]; then
			((lo <= $3 && hi >= $2)) && return 0
		else
			((lo <= $2 && hi >= $3)) && return 0
		fi
	done </proc/iomem
	return 1
}

# covered START END: a "Reserved" entry (the kernel merges adjacent memmap=
# ranges; arm64 names no-map memory "reserved") contains [START, END].
covered() {
	iomem_top "[Rr]eserved" "$1" "$2"
}

# in_ram START END: a "System RAM" entry overlaps [START, END].
in_ram() {
	iomem_top "System RAM" "$1" "$2" overlaps
}

@test "/proc/iomem shows the reserved EGM ranges and the retired table" {
	if uefi_one_node; then
		# arm64 UEFI: everything lies above the mem= limit, beyond the
		# kernel's memory: not System RAM, and not "reserved" either
		refute in_ram $((EGM_RT_BASE)) $((EGM_RT_BASE + 0xffff))
		refute in_ram $((EGM_S0_BASE)) $((EGM_S0_BASE + (64 << 20) - 1))
		refute in_ram $((EGM_S1_BASE)) $((EGM_S1_BASE + (1 << 30) - 1))
		# RAM reaches to 32 MiB below the table (mem= ends it there)
		in_ram $((EGM_RT_BASE - (32 << 20))) $((EGM_RT_BASE - (32 << 20)))
		return
	fi
	covered $((EGM_RT2_BASE)) $((EGM_RT_BASE + 0xffff))
	covered $((EGM_S0_BASE)) $((EGM_S0_BASE + (64 << 20) - 1))
	if [[ $EGM_ARCH == aarch64 ]]; then
		# arm64 (mem=3G): socket1 is beyond the kernel's memory
		refute in_ram $((EGM_S1_BASE)) $((EGM_S1_BASE + (1 << 30) - 1))
	else
		covered $((EGM_S1_BASE)) $((EGM_S1_BASE + (1 << 30) - 1))
	fi
	! covered $((EGM_RT2_BASE)) $((EGM_S0_BASE + 0x10000000))
}

# mem_block ADDR: ADDR's memory block exists in sysfs, i.e. its memory
# section is present and has struct pages.
mem_block() {
	local bs
	bs=$(cat /sys/devices/system/memory/block_size_bytes)
	[ -d "/sys/devices/system/memory/memory$(($1 / 16#$bs))" ]
}

@test "socket0 shares a memory section with RAM (struct pages), socket1 has none" {
	mem_block $((EGM_S0_BASE))
	mem_block $((EGM_S0_BASE + (64 << 20) - 1))
	refute mem_block $((EGM_S1_BASE))
	refute mem_block $((EGM_S1_BASE + (1 << 30) - 1))
}

@test "no ACPI warning or error at boot (64-bit integers in the DSDT)" {
	run dmesg
	refute_output --partial "ACPI Warning"
	refute_output --partial "ACPI Error"
	refute_output --partial "ACPI BIOS Error"
}

@test "the firmware retired-pages table copies are in guest memory" {
	# u64 count = 6 at 0x2fff0000, first entry 0x30010000 (x86)
	run devmem "$EGM_RT_BASE" 32
	assert_output 0x00000006
	run devmem $((EGM_RT_BASE + 8)) 32
	assert_output "$(printf '0x%08X' $((EGM_S0_BASE + 0x10000)))"
	# the second GPU's copy: the same and one more entry (mkretired)
	run devmem "$EGM_RT2_BASE" 32
	assert_output 0x00000007
	run devmem $((EGM_RT2_BASE + 8)) 32
	assert_output "$(printf '0x%08X' $((EGM_S0_BASE + 0x10000)))"
	run devmem $((EGM_RT2_BASE + 56)) 32
	assert_output "$(printf '0x%08X' $((EGM_S0_BASE + 0x2000000)))"
}

@test "ACPI boot: the GPU stand-ins and NVDA2008 devices of the layout exist" {
	[ "$EGM_BOOT" = acpi ] || skip "[boot] param boot has no SSDT"
	local d n=0 g
	for d in $EGM_S0_ACPI $EGM_S1_ACPI; do
		[ -e "/sys/bus/acpi/devices/$d" ]
		n=$((n + 1))
	done
	# no NVDA2008 device beyond those
	[ ! -e "/sys/bus/acpi/devices/NVDA2008:$(printf '%02x' "$n")" ]
	for g in $EGM_S0_GPUS $EGM_S1_GPUS; do
		# QEMU's edu device (1234:11e8) with an ACPI companion
		run cat "/sys/bus/pci/devices/$g/vendor" "/sys/bus/pci/devices/$g/device"
		assert_output $'0x1234\n0x11e8'
		[ -L "/sys/bus/pci/devices/$g/firmware_node" ]
	done
}

@test "param boot: no NVDA2008 device" {
	[ "$EGM_BOOT" = param ] || skip "[boot] only in the param boot"
	[ ! -e /sys/bus/acpi/devices/NVDA2008:00 ]
}

@test "test helpers come first on PATH" {
	[[ :$PATH: == *:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:* ]]
}
