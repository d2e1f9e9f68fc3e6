#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# egm-boot: param
# Close and scrub (Documentation/ABI/testing/configfs-egm "scrub";
# Documentation/admin-guide/egm.rst "Tenant isolation and scrub"): zero on
# enable and after the last user (file and mappings), scrub=none, progress,
# O_NONBLOCK, cancellation of the enable scrub; the hand-over scrub only
# stops for a revoke. scrub_chunk_delay_us keeps a scrub observable under
# TCG.

load lib/egm

# wait_in_open PID TIMEOUT_S: until PID sleeps in openat(2), per
# /proc/PID/syscall (its first field is the syscall number: 257 on
# x86_64, 56 on arm64); fails if PID exits or TIMEOUT_S passes first.
wait_in_open() {
	local pid=$1 deadline=$((SECONDS + $2)) nr=257 sc
	[[ ${EGM_ARCH:-x86_64} == aarch64 ]] && nr=56
	while ((SECONDS < deadline)); do
		read -r sc _ < "/proc/$pid/syscall" || fail "process $pid is gone: open did not wait"
		[[ $sc == "$nr" ]] && return 0
		egm_nap
	done
	fail "process $pid never slept in openat (last: $sc)"
}

@test "5. scrub_chunk_delay_us is a 0644 parameter, default 0" {
	expect_file "$EGM_PARAMS/scrub_chunk_delay_us" 0
	run egm-io stat "$EGM_PARAMS/scrub_chunk_delay_us"
	assert_output --partial "mode=0644"
}

@test "5. enable scrubs: scrubbing, then ready, and old data is gone" {
	make_ready vm0 socket1 8M 4M scrub=none
	expect_out ok egm-io fill "$(inst_dev vm0)" 0 4M addr:0x5ca1ab1e
	disable_instance vm0
	echo zero > "$EGM_INST/vm0/scrub"
	# 2 chunks of 2 MiB, 2 s each (the delay is read when the scrub starts)
	set_scrub_delay 2000000
	enable_instance vm0
	local st
	st=$(inst_sys vm0)/state
	expect_file "$EGM_INST/vm0/state" scrubbing
	expect_file "$st" scrubbing
	set_scrub_delay 0
	wait_state vm0 ready 30
	expect_out ok egm-io check "$(inst_dev vm0)" 0 4M zero
}

@test "5. tenant hand-over: fill, close and unmap, reopen → every page is zero" {
	make_ready vm0 socket1 0 4M
	local d
	d=$(inst_dev vm0)
	bg_tenant s "$d" 4M addr:0x7e4a47
	bg_cmd s "rcheck 0 4M addr:0x7e4a47"; assert_equal "$output" ok
	bg_stop s
	run egm-io check "$d" 0 4M zero
	assert_output ok
	run egm-io check "$d" 0 4M zero read
	assert_output ok
	assert_equal "$(cat "$EGM_INST/vm0/state")" ready
}

@test "5. the last close starts a scrub (state scrubbing) and the next open waits for it" {
	make_ready vm0 socket1 0 4M
	local d
	d=$(inst_dev vm0)
	expect_out ok egm-io fill "$d" 0 4M 0xee
	set_scrub_delay 2000000
	expect_out count=4096 egm-io pwrite "$d" 0 4096 0xee
	expect_file "$EGM_INST/vm0/state" scrubbing
	set_scrub_delay 0
	# no wait_state: a blocking open waits for the scrub itself
	expect_out ok egm-io check "$d" 0 4M zero
}

@test "5. scrub=none keeps the data across tenants (no scrub, progress 100)" {
	make_ready vm0 socket1 0 4M scrub=none
	local d
	d=$(inst_dev vm0)
	expect_out ok egm-io fill "$d" 0 4M addr:0x1
	expect_file "$EGM_INST/vm0/state" ready
	expect_file "$(inst_sys vm0)/scrub_progress" 100
	expect_out ok egm-io check "$d" 0 4M addr:0x1
}

@test "4. a mapping kept after close delays the scrub until munmap" {
	make_ready vm0 socket1 0 2M
	local d i
	d=$(inst_dev vm0)
	bg_start s egm-io session "$d"
	bg_cmd s "open"; assert_equal "$output" ok
	bg_cmd s "mmap 0 2M"; assert_equal "$output" ok
	bg_cmd s "fill 0 2M addr:0x99"; assert_equal "$output" ok
	bg_cmd s "close"; assert_equal "$output" ok
	# still in use: for a while, no scrub starts
	for i in $(seq 1 10); do
		assert_equal "$(cat "$EGM_INST/vm0/state")" open
		egm_nap
	done
	bg_cmd s "check 0 2M addr:0x99"; assert_equal "$output" ok
	run egm-io open "$d"
	assert_output errno=EBUSY
	bg_cmd s "munmap"; assert_equal "$output" ok
	wait_state vm0 ready 30
	expect_out ok egm-io check "$d" 0 2M zero
}

@test "5. O_NONBLOCK open during a scrub → EAGAIN; a blocking open waits and succeeds" {
	set_scrub_delay 1000000
	create_instance vm0 socket1 0 16M
	enable_instance vm0
	local d
	d=$(inst_dev vm0)
	run egm-io open "$d" nonblock
	assert_output errno=EAGAIN
	assert_equal "$(cat "$EGM_INST/vm0/state")" scrubbing
	bg_start w egm-io openhold "$d"
	# the waiter is asleep inside open(2) (its /proc syscall entry),
	# not merely slow to start; the scrub (16 chunks, 1 s each) is
	# still running then
	wait_in_open "${EGM_BG_PID[w]}" 30
	run bg_out w
	assert_output ""
	assert_equal "$(cat "$EGM_INST/vm0/state")" scrubbing
	set_scrub_delay 0
	bg_wait w '^opened$' 60
	assert_equal "$(cat "$EGM_INST/vm0/state")" open
}

@test "5. scrub_progress is monotonic and reaches 100 (then ready)" {
	set_scrub_delay 50000
	create_instance vm0 socket1 0 256M
	enable_instance vm0
	local s p last=0 seen=() deadline
	s=$(inst_sys vm0)
	deadline=$((SECONDS + 120))
	while :; do
		p=$(cat "$s/scrub_progress")
		[[ $p =~ ^[0-9]+$ ]] || fail "scrub_progress '$p' is not a number"
		((p >= last)) || fail "scrub_progress went back from $last to $p"
		((p <= 100)) || fail "scrub_progress $p > 100"
		seen+=("$p")
		last=$p
		((p == 100)) && break
		((SECONDS < deadline)) || fail "scrub_progress stuck at $p"
	done
	wait_state vm0 ready 30
	assert_equal "$(cat "$s/scrub_progress")" 100
	# at least one value below 100 was seen while scrubbing
	((${seen[0]} < 100)) || fail "never saw the scrub in progress: ${seen[*]}"
}

@test "5. disable during a scrub is prompt (one chunk) and the next enable scrubs fully" {
	make_ready vm0 socket1 0 64M scrub=none
	expect_out ok egm-io fill "$(inst_dev vm0)" 0 64M 0xab
	disable_instance vm0
	echo zero > "$EGM_INST/vm0/scrub"
	set_scrub_delay 1000000
	enable_instance vm0
	assert_equal "$(cat "$EGM_INST/vm0/state")" scrubbing
	local t0 t1 p
	p=$(cat "$(inst_sys vm0)/scrub_progress")
	t0=$(now_ms)
	disable_instance vm0
	t1=$(now_ms)
	assert_equal "$(cat "$EGM_INST/vm0/state")" disabled
	(( p < 100 )) || fail "scrub already done before disable ($p%)"
	# 32 chunks of 2 MiB at 1 s each: a full scrub takes half a minute on
	# the one CPU of node 1; disable waits for one chunk at most
	(( t1 - t0 < 3500 )) || fail "disable took $((t1 - t0)) ms"
	set_scrub_delay 0
	enable_instance vm0
	wait_state vm0 ready 60
	expect_out ok egm-io check "$(inst_dev vm0)" 0 64M zero
}

@test "5. an open waiting for the scrub fails with ENODEV when the instance is disabled" {
	set_scrub_delay 1000000
	create_instance vm0 socket1 0 64M
	enable_instance vm0
	local d
	d=$(inst_dev vm0)
	bg_start w egm-io openhold "$d"
	egm_nap
	egm_nap
	assert bg_alive w
	disable_instance vm0
	bg_wait w '^errno=' 30
	run bg_out w
	assert_output errno=ENODEV
}

@test "5. rmdir during a scrub cancels it and removes the instance" {
	set_scrub_delay 1000000
	create_instance vm0 socket1 0 64M
	enable_instance vm0
	local t0 t1
	t0=$(now_ms)
	rmdir "$EGM_INST/vm0"
	t1=$(now_ms)
	assert [ ! -e "$EGM_INST/vm0" ]
	(( t1 - t0 < 3500 )) || fail "rmdir took $((t1 - t0)) ms"
	assert_equal "$(cat "$EGM_REG/socket1/free")" "$((1 << 30))"
}

@test "5. 100 hand-overs on a small instance: every tenant starts from zero" {
	make_ready vm0 socket1 64M 64K
	run egm-io cycle "$(inst_dev vm0)" 64K 100
	assert_output ok
	wait_state vm0 ready 30
	run egm-io check "$(inst_dev vm0)" 0 64K zero
	assert_output ok
	disable_instance vm0
	rmdir "$EGM_INST/vm0"
}

@test "5. instances scrub independently: one scrubbing does not block another's open" {
	make_ready b socket1 128M 1M
	set_scrub_delay 1000000
	create_instance a socket1 0 64M
	enable_instance a
	assert_equal "$(cat "$EGM_INST/a/state")" scrubbing
	run egm-io open "$(inst_dev b)" nonblock
	assert_output ok
	assert_equal "$(cat "$EGM_INST/a/state")" scrubbing
}

@test "5. the hand-over scrub survives disable, scrub= and rmdir: its extent stays claimed until zeroed" {
	make_ready a socket1 0 32M
	# 16 chunks of 2 MiB at 1 s each (the delay is read when it starts)
	set_scrub_delay 1000000
	expect_out ok egm-io fill "$(inst_dev a)" 0 32M addr:0xa11ce
	expect_file "$EGM_INST/a/state" scrubbing
	disable_instance a
	echo none > "$EGM_INST/a/scrub"
	rmdir "$EGM_INST/a"
	# still being zeroed: not free, and an overlapping enable is refused
	expect_file "$EGM_REG/socket1/free" $(((1 << 30) - (32 << 20)))
	create_instance b socket1 4M 1M scrub=none
	expect_errno EBUSY "$EGM_INST/b/enable" 1
	# elsewhere the region is free as usual
	make_ready c socket1 32M 1M scrub=none
	set_scrub_delay 0
	wait_file_value "$EGM_REG/socket1/free" $(((1 << 30) - (1 << 20))) 120
	enable_instance b
	wait_state b ready
	expect_out ok egm-io check "$(inst_dev b)" 0 1M zero read
}

@test "5. module unload waits for the hand-over scrub of a removed instance" {
	EGM_RELOAD_IN_TEARDOWN=1
	make_ready a socket1 0 8M
	set_scrub_delay 500000
	expect_out ok egm-io fill "$(inst_dev a)" 0 8M 0x77
	expect_file "$EGM_INST/a/state" scrubbing
	rmdir "$EGM_INST/a"
	rmmod egm
	egm_insmod
	make_ready b socket1 0 8M scrub=none
	expect_out ok egm-io check "$(inst_dev b)" 0 8M zero read
}

@test "5. a revoke stops a hand-over scrub running on its own" {
	EGM_RELOAD_IN_TEARDOWN=1
	make_ready a socket1 0 64M
	# 32 chunks at 2 s: a minute of scrubbing left alone
	set_scrub_delay 2000000
	expect_out ok egm-io fill "$(inst_dev a)" 0 1M 0x77
	expect_file "$EGM_INST/a/state" scrubbing
	rmdir "$EGM_INST/a"
	echo 1 > "$EGM_DBG/socket1/revoke"
	expect_file "$EGM_REG/socket1/free" 0
	# stopped within a chunk: the unload does not wait for the rest
	local t0=$SECONDS
	rmmod egm
	((SECONDS - t0 < 20)) || fail "rmmod took $((SECONDS - t0)) s"
}
