#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# demo.sh: runs inside the test guest for `make demo`. Provisions two EGM
# instances the way an administrator would, echoing every command first,
# then shows what appeared and round-trips data through /dev/egm0.
set -euo pipefail

cfs=/sys/kernel/config/egm

step() { printf '\n\033[1m# %s\033[0m\n' "$*"; }
# run "CMD": echo it like a shell prompt, then run it
run() {
	printf '$ %s\n' "$1"
	bash -c "$1"
}

# wait_ready NAME: poll the instance state until "ready" (deadline 60 s)
wait_ready() {
	local state deadline=$((SECONDS + 60))
	while :; do
		state=$(cat "$cfs/instances/$1/state")
		[[ $state == ready ]] && break
		if ((SECONDS >= deadline)); then
			echo "demo: $1 still '$state' after 60 s" >&2
			return 1
		fi
		sleep 0.2
	done
	printf '$ cat %s\n%s\n' "$cfs/instances/$1/state" "$state"
}

step "egm is loaded; the firmware-described regions are already visible"
run "ls $cfs $cfs/regions"
run "cat $cfs/regions/socket0/{base,size,pxm,numa_node,source,free,retired_pages}"
run "cat $cfs/regions/socket0/devices"

step "create vm0: 16 MiB of socket0, kept across opens (scrub none)"
run "mkdir $cfs/instances/vm0"
run "echo socket0 > $cfs/instances/vm0/region"
run "echo 16M > $cfs/instances/vm0/size"
run "echo none > $cfs/instances/vm0/scrub"
run "echo 1 > $cfs/instances/vm0/enable"

step "create vm1: 64 MiB of socket1 (default scrub zero)"
run "mkdir $cfs/instances/vm1"
run "echo socket1 > $cfs/instances/vm1/region"
run "echo 64M > $cfs/instances/vm1/size"
run "echo 1 > $cfs/instances/vm1/enable"

step "wait until the initial scrub has finished"
wait_ready vm0
wait_ready vm1

step "what appeared"
run "ls -l /sys/class/egm /dev/egm*"
for d in /sys/class/egm/egm*; do
	for a in instance region pxm numa_node offset size state scrub_progress retired_pages pagesize dev; do
		[[ -r $d/$a ]] && printf '%s/%s: %s\n' "$d" "$a" "$(cat "$d/$a")"
	done
done
run "cat $cfs/instances/vm0/{minor,dev,state}"

step "write and read back through /dev/egm0 (at 1 MiB)"
run "printf 'hello egm' | dd of=/dev/egm0 bs=4096 seek=256 conv=notrunc status=none"
run "dd if=/dev/egm0 bs=4096 skip=256 count=1 status=none | head -c 9; echo"
got=$(dd if=/dev/egm0 bs=4096 skip=256 count=1 status=none | head -c 9 | tr -d '\0')
if [[ $got != "hello egm" ]]; then
	echo "demo: round trip FAILED: read back '$got'" >&2
	exit 1
fi
echo "round trip ok"

step "vm1 scrubs after its last user: the next opener reads zeros"
run "printf 'secret' | dd of=/dev/egm1 conv=notrunc status=none"
wait_ready vm1
run "dd if=/dev/egm1 bs=6 count=1 status=none | od -An -c"

if [[ -x /usr/sbin/egmfs ]]; then
	step "the same through egmfs"
	run "egmfs list"
	run "egmfs regions"

	step "egmfs round trip: save, clear, restore (what egm.service does at boot)"
	run "egmfs save /tmp/egm.json"
	run "cat /tmp/egm.json"
	run "egmfs clear"
	run "egmfs list"
	run "egmfs restore /tmp/egm.json"
	wait_ready vm0
	wait_ready vm1
	run "egmfs list"
fi

step "tear down"
run "echo 0 > $cfs/instances/vm1/enable"
run "rmdir $cfs/instances/vm0 $cfs/instances/vm1"
run "ls /dev/egm* 2>/dev/null || echo 'no /dev/egm* left'"
