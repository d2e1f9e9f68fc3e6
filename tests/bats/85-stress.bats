#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# Concurrency stress (issue 9): egm-stress runs 4 workers through whole
# instance life cycles on 6 shared names with overlapping extents, plus
# 2 readers of every configfs and sysfs file, for at least 10,000
# operations (bounded: 80 s at most, 400 s on the debug kernel). Afterwards the tree must be
# consistent, `free` must add up, cleanup must release every minor and
# the module must unload; the harness fails the run on any WARN/Oops.

load lib/egm

setup() {
	egm_setup
	EGM_RELOAD_IN_TEARDOWN=1
}

# Every instance agrees with itself, its device and its sysfs directory;
# prints the number of enabled ones and checks each region's free.
check_tree() {
	local d name state minor dev size region enabled=0 sysdev
	declare -A used=()
	for d in "$EGM_INST"/*/; do
		[[ -d $d ]] || continue
		name=${d%/} name=${name##*/}
		fread state "$d/state"
		fread minor "$d/minor"
		fread dev "$d/dev"
		fread region "$d/region"
		if [[ $(cat "$d/enable") == 1 ]]; then
			enabled=$((enabled + 1))
			[[ $minor =~ ^[0-9]+$ ]] || { echo "$name: enabled, minor '$minor'"; return 1; }
			[[ $state =~ ^(scrubbing|ready|open)$ ]] || { echo "$name: enabled, state '$state'"; return 1; }
			fread sysdev "$EGM_CLASS/egm$minor/dev" || { echo "$name: no sysfs dir"; return 1; }
			[[ $sysdev == "$dev" ]] || { echo "$name: dev $dev, sysfs $sysdev"; return 1; }
			[[ -c /dev/egm$minor ]] || { echo "$name: no /dev/egm$minor"; return 1; }
			fread size "$EGM_CLASS/egm$minor/size"
			used[$region]=$((${used[$region]:-0} + size))
		else
			[[ $minor == -1 && -z $dev && $state == disabled ]] ||
				{ echo "$name: disabled but minor '$minor' dev '$dev' state '$state'"; return 1; }
		fi
	done
	local n
	n=$(find "$EGM_CLASS" -mindepth 1 -maxdepth 1 | wc -l)
	((n == enabled)) || { echo "$enabled enabled instances, $n in $EGM_CLASS"; return 1; }
	for d in "$EGM_REG"/*/; do
		region=${d%/} region=${region##*/}
		fread size "$d/size"
		fread n "$d/free"
		((n + ${used[$region]:-0} == size)) ||
			{ echo "$region: free $n + used ${used[$region]:-0} != size $size"; return 1; }
	done
	echo "enabled=$enabled"
}

# check_tree once hand-over scrubs of removed instances are done: until
# then their extents are neither free nor in any instance.
check_tree_settled() {
	local deadline=$((SECONDS + 120))
	until check_tree >/dev/null 2>&1; do
		((SECONDS < deadline)) || break
		egm_nap
	done
	check_tree
}

@test "9. stress: ≥ 10,000 concurrent life-cycle operations; then consistent, minors released, unloads" {
	local budget=80
	# KASAN and lockdep slow every operation 5-10 times (make check-debug)
	[[ $(uname -r) == *-egm-debug ]] && budget=400
	dmesg_mark
	run egm-stress -w 4 -r 2 -n 10000 -t $budget socket1:touch socket0
	echo "# stress: ${lines[0]}" >&3
	assert_success
	assert_line --regexp '^ops=[0-9]+ reads=[0-9]+ unexpected=0 '
	# every step kind happened, including opens and touches
	local k
	for k in mkdir region enable open mmap touch disable rmdir; do
		assert_line --regexp "^$k=[1-9][0-9]* "
	done
	run check_tree_settled
	assert_success
	egm_cleanup
	run check_tree_settled
	assert_success
	assert_output enabled=0
	run ls "$EGM_INST"
	assert_output ""
	run find /dev -maxdepth 1 -name 'egm[0-9]*'
	assert_output ""
	run rmmod egm
	assert_success
	run dmesg_since
	refute_output --regexp "WARNING|BUG:|Call Trace|Oops"
}

@test "9. stress: state shows racing disable and region=\"\" neither crash nor lie" {
	create_instance r0 socket0 0 1M scrub=none
	dmesg_mark
	local end=$((SECONDS + 15)) i
	for i in 1 2; do
		(
			local v
			while ((SECONDS < end)); do
				fread v "$EGM_INST/r0/state"
				[[ $v =~ ^(disabled|ready|scrubbing)$ ]] || { echo "state '$v'"; exit 1; }
			done
		) &
	done
	(
		while ((SECONDS < end)); do
			echo 1 > "$EGM_INST/r0/enable"
			echo 0 > "$EGM_INST/r0/enable"
			echo "" > "$EGM_INST/r0/region"
			echo socket0 > "$EGM_INST/r0/region"
		done
	) &
	local rc=0 pid
	for pid in $(jobs -p); do
		wait "$pid" || rc=1
	done
	((rc == 0)) || fail "a reader or the writer failed"
	run dmesg_since
	refute_output --regexp "WARNING|BUG:|Call Trace|Oops"
}
