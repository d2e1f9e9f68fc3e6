#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# egm-boot: param
# Minors (Documentation/admin-guide/egm.rst "Minor numbers"): an IDA bounded
# to max_instances, never the PXM; ENOSPC when the range is exhausted; freed
# minors are reused; load-time bounds. Reloads the module; teardown restores
# the default parameters.

load lib/egm

setup() {
	egm_setup
}

teardown() {
	EGM_RELOAD_IN_TEARDOWN=1
	egm_teardown
}

@test "2. max_instances defaults to 64 and is read-only (0444)" {
	expect_file "$EGM_PARAMS/max_instances" 64
	run egm-io stat "$EGM_PARAMS/max_instances"
	assert_output --partial "mode=0444"
}

@test "2. minors stay in [0, 64) and are distinct across sockets" {
	local i minors=()
	for i in 0 1 2; do
		create_instance a$i socket1 $((i))M 1M scrub=none
		enable_instance a$i
		minors+=("$(inst_minor a$i)")
	done
	create_instance b0 socket0 1M 1M scrub=none
	enable_instance b0
	minors+=("$(inst_minor b0)")
	local m
	for m in "${minors[@]}"; do
		assert [ "$m" -ge 0 ] 
		assert [ "$m" -lt 64 ]
	done
	run bash -c "printf '%s\n' ${minors[*]} | sort -u | wc -l"
	assert_output 4
}

@test "2. max_instances=2: a third enable → ENOSPC; minors 0 and 1 whatever the PXM" {
	egm_reload max_instances=2
	expect_file "$EGM_PARAMS/max_instances" 2
	create_instance a socket1 0 1M scrub=none
	create_instance b socket0 1M 1M scrub=none
	create_instance c socket1 1M 1M scrub=none
	enable_instance a
	enable_instance b
	run bash -c "cat $EGM_INST/a/minor $EGM_INST/b/minor | sort | tr '\n' ' '"
	assert_output "0 1 "
	expect_errno ENOSPC "$EGM_INST/c/enable" 1
	assert_equal "$(cat "$EGM_INST/c/state")" disabled
	assert_equal "$(cat "$EGM_INST/c/minor")" -1
	assert_equal "$(cat "$EGM_REG/socket1/free")" "$(((1 << 30) - (1 << 20)))"
	assert [ ! -e /dev/egm2 ]
}

@test "2. a freed minor is reused, also after many enable/disable cycles (no leak)" {
	egm_reload max_instances=2
	create_instance a socket1 0 1M scrub=none
	create_instance b socket1 1M 1M scrub=none
	create_instance c socket1 2M 1M scrub=none
	local i freed
	for i in $(seq 1 30); do
		enable_instance a
		disable_instance a
	done
	# both minors of max_instances=2 are still there to take
	enable_instance a
	enable_instance b
	run bash -c "cat $EGM_INST/a/minor $EGM_INST/b/minor | sort | tr '\n' ' '"
	assert_output "0 1 "
	freed=$(inst_minor a)
	disable_instance a
	enable_instance c
	assert_equal "$(inst_minor c)" "$freed"
	assert [ -c "/dev/egm$freed" ]
	run egm-io info "/dev/egm$freed"
	assert_line "offset=$((2 << 20))"
}

@test "2. max_instances=1: the socket1 instance gets minor 0, not its PXM" {
	egm_reload max_instances=1
	create_instance a socket1 0 1M scrub=none
	enable_instance a
	assert_equal "$(inst_minor a)" 0
	assert [ -c /dev/egm0 ]
	run egm-io info /dev/egm0
	assert_line "pxm=1"
	create_instance b socket0 1M 1M scrub=none
	expect_errno ENOSPC "$EGM_INST/b/enable" 1
}

@test "2. max_instances out of range (0, 1048577) → load fails with a log line" {
	dmesg_mark
	egm_rmmod
	run insmod "$EGM_KO" max_instances=0
	assert_failure
	assert [ ! -d /sys/module/egm ]
	run insmod "$EGM_KO" max_instances=1048577
	assert_failure
	assert [ ! -d /sys/module/egm ]
	run dmesg_since
	assert_output --partial "max_instances"
}

@test "2. max_instances=1048576 (the largest) loads and works" {
	egm_reload max_instances=1048576
	expect_file "$EGM_PARAMS/max_instances" 1048576
	create_instance a socket1 0 1M scrub=none
	enable_instance a
	assert_equal "$(inst_minor a)" 0
	run egm-io info /dev/egm0
	assert_success
}

