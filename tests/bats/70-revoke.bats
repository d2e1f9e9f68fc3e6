#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# Revoke (Documentation/admin-guide/egm.rst "Revoke"):
# echo 1 > /sys/kernel/debug/egm/socket<PXM>/revoke zaps every mapping;
# faults SIGBUS, read/write/mmap/ioctl/open → ENODEV, state revoked, no
# scrub, disable+rmdir work, enable → ENODEV, free 0. Each test reloads the
# module afterwards (revoke lasts until unload).

load lib/egm

setup() {
	egm_setup
	EGM_RELOAD_IN_TEARDOWN=1
}

@test "5. the revoke trigger exists per region in debugfs" {
	assert [ -e "$EGM_DBG/socket0/revoke" ]
	assert [ -e "$EGM_DBG/socket1/revoke" ]
}

@test "5. revoke while open and mapped: SIGBUS on touch, ENODEV for read/write/ioctl, state revoked" {
	make_ready vm0 socket1 0 2M
	local d
	d=$(inst_dev vm0)
	bg_start s egm-io session "$d"
	bg_cmd s "open"; assert_equal "$output" ok
	bg_cmd s "mmap 0 2M"; assert_equal "$output" ok
	bg_cmd s "fill 0 2M addr:0x3"; assert_equal "$output" ok
	revoke socket1
	bg_cmd s "touch 0x1000"
	assert_equal "${output%% code=*}" sigbus
	assert_equal "$(cut -d' ' -f3 <<< "$output")" addr_off=0x1000
	bg_cmd s "touch 0x1ff000"
	assert_equal "${output%% code=*}" sigbus
	bg_cmd s "pread 0 4096"; assert_equal "$output" errno=ENODEV
	bg_cmd s "info"; assert_equal "$output" errno=ENODEV
	expect_file "$EGM_INST/vm0/state" revoked
	expect_file "$(inst_sys vm0)/state" revoked
	# the fd can still be closed and the mapping removed
	bg_cmd s "munmap"; assert_equal "$output" ok
	bg_cmd s "close"; assert_equal "$output" ok
	bg_stop s
	# no scrub on the last close
	expect_file "$EGM_INST/vm0/state" revoked
	# disable and rmdir then succeed
	disable_instance vm0
	assert_equal "$(cat "$EGM_INST/vm0/state")" disabled
	rmdir "$EGM_INST/vm0"
	assert [ ! -e "$EGM_INST/vm0" ]
}

@test "5. revoke: a mapping that outlived its fd is zapped too" {
	make_ready vm0 socket1 0 1M
	bg_start s egm-io session "$(inst_dev vm0)"
	bg_cmd s "open"; assert_equal "$output" ok
	bg_cmd s "mmap 0 1M"; assert_equal "$output" ok
	bg_cmd s "touch-write 0x8000"; assert_equal "$output" "ok val=0x00"
	bg_cmd s "close"; assert_equal "$output" ok
	revoke socket1
	bg_cmd s "touch 0x8000"
	assert_equal "${output%% code=*}" sigbus
}

@test "5. after revoke: new opens → ENODEV; pwrite and mmap on an open fd → ENODEV" {
	make_ready vm0 socket1 0 1M
	local d
	d=$(inst_dev vm0)
	bg_start s egm-io session "$d"
	bg_cmd s "open"; assert_equal "$output" ok
	revoke socket1
	bg_cmd s "mmap 0 4096"; assert_equal "$output" errno=ENODEV
	bg_stop s
	expect_out errno=ENODEV egm-io open "$d"
	expect_out errno=ENODEV egm-io open "$d" nonblock
}

@test "5. revoke of an idle enabled instance: state revoked, enable on the region → ENODEV, free 0" {
	make_ready a socket1 0 1M
	create_instance b socket1 4M 1M
	revoke socket1
	assert_equal "$(cat "$EGM_INST/a/state")" revoked
	expect_out errno=ENODEV egm-io pwrite "$(inst_dev a)" 0 16
	expect_errno ENODEV "$EGM_INST/b/enable" 1
	assert_equal "$(cat "$EGM_INST/b/state")" disabled
	# the region stays listed, with nothing free
	assert [ -d "$EGM_REG/socket1" ]
	expect_file "$EGM_REG/socket1/free" 0
	# disable works, and enable again → ENODEV
	disable_instance a
	expect_errno ENODEV "$EGM_INST/a/enable" 1
	rmdir "$EGM_INST/a"
}

@test "5. revoke is per region: socket0 keeps working" {
	make_ready a socket0 0x100000 1M
	make_ready b socket1 0 1M
	revoke socket1
	expect_out ok egm-io fill "$(inst_dev a)" 0 1M addr:0xa0
	run egm-io check "$(inst_dev a)" 0 1M zero
	assert_output ok
	assert_equal "$(cat "$EGM_INST/a/state")" ready
	create_instance c socket0 4M 1M
	enable_instance c
	wait_state c ready
}

@test "5. revoke during a scrub: the scrub stops, state revoked, no crash" {
	set_scrub_delay 500000
	create_instance vm0 socket1 0 32M
	enable_instance vm0
	assert_equal "$(cat "$EGM_INST/vm0/state")" scrubbing
	revoke socket1
	wait_state vm0 revoked 10
	# 16 chunks of 2 MiB, 0.5 s each: a scrub still running after the
	# revoke would move scrub_progress on within four chunk delays
	local p1 p2
	p1=$(cat "$(inst_sys vm0)/scrub_progress")
	sleep 2
	p2=$(cat "$(inst_sys vm0)/scrub_progress")
	assert_equal "$p2" "$p1"
	((p1 < 100)) || fail "scrub_progress $p1 after a revoke during the scrub"
	expect_file "$EGM_INST/vm0/state" revoked
	set_scrub_delay 0
	disable_instance vm0
	rmdir "$EGM_INST/vm0"
}

@test "5. revoke a second time is harmless" {
	make_ready vm0 socket1 0 1M
	revoke socket1
	revoke socket1
	assert_equal "$(cat "$EGM_INST/vm0/state")" revoked
}

@test "5. after revoke the module unloads and reloads clean; the region works again" {
	dmesg_mark
	make_ready vm0 socket1 0 1M
	bg_start s egm-io session "$(inst_dev vm0)"
	bg_cmd s "open"; assert_equal "$output" ok
	bg_cmd s "mmap 0 1M"; assert_equal "$output" ok
	revoke socket1
	bg_cmd s "touch 0"
	assert_equal "${output%% code=*}" sigbus
	bg_stop s
	egm_reload
	assert [ -d "$EGM_REG/socket1" ]
	expect_file "$EGM_REG/socket1/free" "$((1 << 30))"
	make_ready vm1 socket1 0 1M
	expect_out ok egm-io fill "$(inst_dev vm1)" 0 1M addr
	expect_out ok egm-io check "$(inst_dev vm1)" 0 1M zero
	run dmesg_since
	refute_output --partial "Call Trace"
}
