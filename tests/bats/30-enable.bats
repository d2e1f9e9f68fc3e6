#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# egm-boot: param
# Enable/disable (Documentation/ABI/testing/configfs-egm "enable"): extents,
# overlap, free, EBUSY while enabled, idempotence, rmdir of an enabled
# instance.

load lib/egm

@test "2. enable publishes /dev/egmN, /sys/class/egm/egmN; minor, dev, state follow" {
	create_instance vm0 socket1 0 4M
	enable_instance vm0
	expect_file "$EGM_INST/vm0/enable" 1
	local minor
	minor=$(cat "$EGM_INST/vm0/minor")
	assert [ "$minor" -ge 0 ]
	assert [ -c "/dev/egm$minor" ]
	assert [ -d "$EGM_CLASS/egm$minor" ]
	run cat "$EGM_INST/vm0/dev"
	assert_output "$(cat "$EGM_CLASS/egm$minor/dev")"
	assert_output --regexp '^[0-9]+:[0-9]+$'
	assert_equal "${output#*:}" "$minor"
	wait_state vm0 ready 30
}

@test "2. disable withdraws the device and resets minor, dev, state" {
	make_ready vm0 socket1 0 4M
	local minor
	minor=$(inst_minor vm0)
	disable_instance vm0
	expect_file "$EGM_INST/vm0/enable" 0
	expect_file "$EGM_INST/vm0/state" disabled
	expect_file "$EGM_INST/vm0/minor" -1
	expect_file "$EGM_INST/vm0/dev" ""
	assert [ ! -e "/dev/egm$minor" ]
	assert [ ! -e "$EGM_CLASS/egm$minor" ]
}

@test "9. enable accepts every documented true and false word in any case; false on a disabled instance changes nothing" {
	create_instance vm0 socket1 0 1M scrub=none
	local on off
	for on in 1 y Y yes YES Yes on ON On true TRUE True yEs tRuE; do
		echo "$on" > "$EGM_INST/vm0/enable"
		assert_equal "$on:$(cat "$EGM_INST/vm0/enable")" "$on:1"
		echo 0 > "$EGM_INST/vm0/enable"
		assert_equal "$on:$(cat "$EGM_INST/vm0/enable")" "$on:0"
	done
	for off in 0 n N no NO No off OFF Off false FALSE False FaLsE; do
		echo 1 > "$EGM_INST/vm0/enable"
		echo "$off" > "$EGM_INST/vm0/enable"
		assert_equal "$off:$(cat "$EGM_INST/vm0/enable")" "$off:0"
		# again, on the disabled instance: accepted, nothing changes
		echo "$off" > "$EGM_INST/vm0/enable"
		assert_equal "$off:$(cat "$EGM_INST/vm0/enable")" "$off:0"
		assert_equal "$off:$(cat "$EGM_INST/vm0/state")" "$off:disabled"
	done
	# without a newline too
	printf 0 > "$EGM_INST/vm0/enable"
	assert_equal "$(cat "$EGM_INST/vm0/state")" disabled
}

@test "9. enable and disable are idempotent: same minor, same device" {
	create_instance vm0 socket1 0 1M
	enable_instance vm0
	local minor dev
	minor=$(inst_minor vm0)
	dev=$(cat "$EGM_INST/vm0/dev")
	echo 1 > "$EGM_INST/vm0/enable"
	echo yes > "$EGM_INST/vm0/enable"
	assert_equal "$(inst_minor vm0)" "$minor"
	assert_equal "$(cat "$EGM_INST/vm0/dev")" "$dev"
	wait_state vm0 ready 30
	echo on > "$EGM_INST/vm0/enable"
	# still ready: a repeated enable does not scrub again
	assert_equal "$(cat "$EGM_INST/vm0/state")" ready
	disable_instance vm0
	disable_instance vm0
	echo off > "$EGM_INST/vm0/enable"
	assert_equal "$(cat "$EGM_INST/vm0/state")" disabled
}

@test "2. writing region/offset/size/scrub/uid/gid/mode while enabled → EBUSY, unchanged" {
	create_instance vm0 socket1 0 1M
	enable_instance vm0
	expect_errno EBUSY "$EGM_INST/vm0/region" socket0
	expect_errno EBUSY "$EGM_INST/vm0/offset" $((2 * EGM_PAGE_SIZE))
	expect_errno EBUSY "$EGM_INST/vm0/size" 2M
	expect_errno EBUSY "$EGM_INST/vm0/scrub" none
	expect_errno EBUSY "$EGM_INST/vm0/uid" 65534
	expect_errno EBUSY "$EGM_INST/vm0/gid" 65534
	expect_errno EBUSY "$EGM_INST/vm0/mode" 0666
	expect_errno EBUSY "$EGM_INST/vm0/region" ""
	# after disable the same writes succeed
	disable_instance vm0
	expect_value "$EGM_INST/vm0/offset" $((2 * EGM_PAGE_SIZE)) $((2 * EGM_PAGE_SIZE))
	expect_value "$EGM_INST/vm0/mode" 0666 0666
	expect_value "$EGM_INST/vm0/region" socket0 socket0
}

@test "2. extent not fitting the region → EINVAL on enable" {
	# socket1 is 1 GiB
	create_instance vm0 socket1 1020M 8M
	expect_errno EINVAL "$EGM_INST/vm0/enable" 1
	echo 1G > "$EGM_INST/vm0/offset"
	echo "$EGM_PAGE_SIZE" > "$EGM_INST/vm0/size"
	expect_errno EINVAL "$EGM_INST/vm0/enable" 1
	echo 0 > "$EGM_INST/vm0/offset"
	echo 1025M > "$EGM_INST/vm0/size"
	expect_errno EINVAL "$EGM_INST/vm0/enable" 1
	echo 2G > "$EGM_INST/vm0/offset"
	echo "$EGM_PAGE_SIZE" > "$EGM_INST/vm0/size"
	expect_errno EINVAL "$EGM_INST/vm0/enable" 1
	# overflowing offset + size (64 KiB multiples: any PAGE_SIZE)
	echo 0xffffffffffff0000 > "$EGM_INST/vm0/offset"
	echo 128K > "$EGM_INST/vm0/size"
	expect_errno EINVAL "$EGM_INST/vm0/enable" 1
	# size 0 = rest of the region, which is empty at its very end
	echo 1G > "$EGM_INST/vm0/offset"
	echo 0 > "$EGM_INST/vm0/size"
	expect_errno EINVAL "$EGM_INST/vm0/enable" 1
	expect_file "$EGM_INST/vm0/state" disabled
	expect_file "$EGM_REG/socket1/free" "$((1 << 30))"
}

@test "2. extent at the very end of the region fits" {
	create_instance vm0 socket1 1020M 4M scrub=none
	enable_instance vm0
	expect_file "$(inst_sys vm0)/size" "$((4 << 20))"
}

@test "2. offset or size not a multiple of PAGE_SIZE → EINVAL (at store or enable)" {
	local pg
	pg=$(page_size)
	mkdir "$EGM_INST/vm0"
	echo socket1 > "$EGM_INST/vm0/region"
	echo 1M > "$EGM_INST/vm0/size"
	if (echo $((pg + 512)) > "$EGM_INST/vm0/offset") 2>/dev/null; then
		expect_errno EINVAL "$EGM_INST/vm0/enable" 1
	else
		expect_errno EINVAL "$EGM_INST/vm0/offset" $((pg + 512))
	fi
	echo 0 > "$EGM_INST/vm0/offset"
	if (echo $((pg * 3 + 1)) > "$EGM_INST/vm0/size") 2>/dev/null; then
		expect_errno EINVAL "$EGM_INST/vm0/enable" 1
	else
		expect_errno EINVAL "$EGM_INST/vm0/size" $((pg * 3 + 1))
	fi
	assert_equal "$(cat "$EGM_INST/vm0/state")" disabled
}

@test "2. size 0 means the rest of the region: reads back 0, resolved in sysfs" {
	create_instance vm0 socket1 1008M 0 scrub=none
	enable_instance vm0
	expect_file "$EGM_INST/vm0/size" 0
	expect_file "$(inst_sys vm0)/size" "$((16 << 20))"
	expect_file "$EGM_REG/socket1/free" "$(((1 << 30) - (16 << 20)))"
}

@test "2. two disjoint instances on one socket; free counts both" {
	create_instance vm0 socket1 0 4M
	create_instance vm1 socket1 4M 4M
	enable_instance vm0
	enable_instance vm1
	assert_equal "$(cat "$EGM_INST/vm0/enable")$(cat "$EGM_INST/vm1/enable")" 11
	assert [ "$(inst_minor vm0)" != "$(inst_minor vm1)" ]
	expect_file "$EGM_REG/socket1/free" "$(((1 << 30) - (8 << 20)))"
	disable_instance vm0
	expect_file "$EGM_REG/socket1/free" "$(((1 << 30) - (4 << 20)))"
	disable_instance vm1
	expect_file "$EGM_REG/socket1/free" "$((1 << 30))"
}

@test "2. overlapping extent → EBUSY; fine once the other is disabled" {
	create_instance vm0 socket1 4M 4M
	create_instance vm1 socket1 6M 4M
	create_instance vm2 socket1 2M 4M
	create_instance vm3 socket1 0 0
	create_instance vm4 socket1 5M "$EGM_PAGE_SIZE"
	enable_instance vm0
	expect_errno EBUSY "$EGM_INST/vm1/enable" 1
	expect_errno EBUSY "$EGM_INST/vm2/enable" 1
	expect_errno EBUSY "$EGM_INST/vm3/enable" 1
	expect_errno EBUSY "$EGM_INST/vm4/enable" 1
	assert_equal "$(cat "$EGM_INST/vm1/state")" disabled
	assert_equal "$(cat "$EGM_INST/vm1/minor")" -1
	expect_file "$EGM_REG/socket1/free" "$(((1 << 30) - (4 << 20)))"
	disable_instance vm0
	enable_instance vm1
	assert_equal "$(cat "$EGM_INST/vm1/enable")" 1
}

@test "2. the same extent on different sockets does not overlap" {
	create_instance vm0 socket0 0x100000 1M scrub=none
	create_instance vm1 socket1 0x100000 1M scrub=none
	enable_instance vm0
	enable_instance vm1
	assert_equal "$(cat "$EGM_INST/vm0/enable")$(cat "$EGM_INST/vm1/enable")" 11
}

@test "2. adjacent extents touching at one byte boundary are disjoint" {
	create_instance vm0 socket1 0 1M
	create_instance vm1 socket1 1M 1M
	create_instance vm2 socket1 2M 0 scrub=none
	enable_instance vm0
	enable_instance vm1
	enable_instance vm2
	expect_file "$EGM_REG/socket1/free" 0
}

@test "2. rmdir of an enabled, unused instance disables it first" {
	make_ready vm0 socket1 0 1M
	local minor
	minor=$(inst_minor vm0)
	rmdir "$EGM_INST/vm0"
	assert [ ! -e "$EGM_INST/vm0" ]
	assert [ ! -e "/dev/egm$minor" ]
	assert [ ! -e "$EGM_CLASS/egm$minor" ]
	expect_file "$EGM_REG/socket1/free" "$((1 << 30))"
}

@test "2. a failed enable leaves nothing behind: no device, minor -1, free unchanged" {
	create_instance vm0 socket1 0 2M
	create_instance vm1 socket1 1M 2M
	enable_instance vm0
	run ls "$EGM_CLASS"
	local before=$output
	expect_errno EBUSY "$EGM_INST/vm1/enable" 1
	run ls "$EGM_CLASS"
	assert_output "$before"
	assert_equal "$(cat "$EGM_INST/vm1/dev")" ""
}
