#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# egm-boot: param
# Unload (Documentation/ABI/testing/configfs-egm "instances/"): refused
# while instances exist; after cleanup the module unloads and loads again
# clean.

load lib/egm

setup() {
	egm_setup
	EGM_RELOAD_IN_TEARDOWN=1
}

@test "2. rmmod is refused while a (disabled) instance exists" {
	mkdir "$EGM_INST/vm0"
	run rmmod egm
	assert_failure
	assert [ -d /sys/module/egm ]
	assert [ -d "$EGM_INST/vm0" ]
}

@test "2. rmmod is refused while an enabled instance exists, and while it is open" {
	make_ready vm0 socket1 0 1M
	run rmmod egm
	assert_failure
	assert [ -c "$(inst_dev vm0)" ]
	bg_start h egm-io hold "$(inst_dev vm0)" 0 1M
	bg_wait h '^mapped$'
	run rmmod egm
	assert_failure
	bg_stop h
	wait_state vm0 ready
	# still fully functional
	expect_out ok egm-io check "$(inst_dev vm0)" 0 1M zero
}

@test "2. after rmdir of every instance the module unloads; everything is gone" {
	make_ready vm0 socket1 0 1M
	egm_cleanup
	run rmmod egm
	assert_success
	assert [ ! -d /sys/module/egm ]
	assert [ ! -e "$EGM_CFS" ]
	assert [ ! -e "$EGM_CLASS" ]
	assert [ ! -e "$EGM_DBG" ]
	run grep -w egm /proc/devices
	assert_failure
	run grep -i egm /proc/iomem
	assert_output ""
}

@test "2. unload and reload 20 times: regions back each time, instances work, nothing leaks" {
	dmesg_mark
	local i
	for i in $(seq 20); do
		egm_reload
		run ls "$EGM_REG"
		assert_output "socket0
socket1"
		make_ready vm$i socket1 0 1M
		expect_out ok egm-io fill "$(inst_dev vm$i)" 0 1M addr:$i
		expect_out ok egm-io check "$(inst_dev vm$i)" 0 1M zero
		egm_cleanup
	done
	# the chrdev region, minors and claimed ranges were given back each time
	run grep -cw egm /proc/devices
	assert_output 1
	run grep -c "egm" /proc/iomem
	assert_output 2
	run dmesg_since
	refute_output --regexp "WARNING|BUG:|Call Trace"
}

@test "2. rmmod is refused while only a mapping holds a revoked, removed instance; unload after munmap" {
	make_ready vm0 socket1 0 1M
	bg_start h egm-io hold "$(inst_dev vm0)" 0 1M
	bg_wait h '^mapped$'
	echo 1 > "$EGM_DBG/socket1/revoke"
	# revoke lets disable and rmdir through (configfs-egm "enable") ...
	disable_instance vm0
	rmdir "$EGM_INST/vm0"
	# ... but the mapping still holds the module
	run rmmod egm
	assert_failure
	assert [ -d /sys/module/egm ]
	bg_stop h
	run rmmod egm
	assert_success
}

@test "2. a process killed while open and mapped releases everything: scrub runs, the next tenant sees zeros" {
	make_ready vm0 socket1 0 4M
	local d
	d=$(inst_dev vm0)
	bg_tenant s "$d" 4M addr:0x99
	expect_file "$EGM_INST/vm0/state" open
	kill -9 "${EGM_BG_PID[s]}"
	# the kernel closes the file and unmaps: a hand-over scrub, then ready
	wait_state vm0 ready 60
	expect_out ok egm-io check "$d" 0 4M zero
	disable_instance vm0
	rmdir "$EGM_INST/vm0"
	run rmmod egm
	assert_success
}

@test "2. the regions are claimed in /proc/iomem while loaded" {
	run grep -i egm /proc/iomem
	assert_output --partial "$(printf '%x-%x' $((EGM_S0_BASE)) $((EGM_S0_BASE + (64 << 20) - 1)))"
	assert_output --partial "$(printf '%x-%x' $((EGM_S1_BASE)) $((EGM_S1_BASE + (1 << 30) - 1)))"
}
