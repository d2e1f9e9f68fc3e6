#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench.sh: runs inside the bench guest for `make bench` (tools/testing/bench).
#
#   1. scrub: `egm-bench scrub` on socket1 (NUMA node 1, 2 vCPUs): the
#      driver's hand-over scrub against memset() through the mapping, one
#      thread and the best multi-thread run.
#   2. map: `egm-bench map` on a 64 MiB instance of socket1 (scrub none;
#      socket0 has firmware-retired blocks that SIGBUS) and on /dev/dax0.0,
#      a device-dax node made from the memmap=128M!0x58000000 legacy pmem
#      through sysfs alone (no ndctl; HARNESS-NOTES), with ratios egm/dax.
#
# The tables go between the console markers "egm-bench: begin" and
# "egm-bench: end"; the host copies them to build/logs/bench-<kernel>.txt.
# Absolute times under TCG mean nothing: read the ratios.
set -euo pipefail

SCRUB_REGION=${SCRUB_REGION:-socket1}
SCRUB_SIZE=${SCRUB_SIZE:-256M}
SCRUB_REPS=${SCRUB_REPS:-5}
MAP_REGION=${MAP_REGION:-socket1}
MAP_SIZE=${MAP_SIZE:-64M}
MAP_REPS=${MAP_REPS:-10}

cfs=/sys/kernel/config/egm/instances
nd=/sys/bus/nd

fail() {
	echo "bench: $*" >&2
	exit 1
}

# wait_for PATH SECONDS: until PATH exists
wait_for() {
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		[[ -e $1 ]] && return 0
		sleep 0.1
	done
	fail "$1 did not appear within $2 s"
}

# Device-dax over the legacy pmem namespace, through sysfs: unbind the
# namespace from nd_pmem, configure the region's dax seed and bind it to
# dax_pmem: /dev/dax0.0.
make_devdax() {
	local m ns region seed d
	while read -r m; do
		[[ -n $m ]] || continue
		insmod "$m" || fail "insmod $m"
	done </etc/egm-bench-modules
	wait_for "$nd/devices/namespace0.0" 10
	ns=namespace0.0
	region=$(basename "$(readlink -f "$nd/devices/$ns/..")")
	if [[ -e $nd/devices/$ns/driver ]]; then
		echo "$ns" >"$nd/devices/$ns/driver/unbind"
	fi
	seed=$(cat "$nd/devices/$region/dax_seed")
	[[ -n $seed ]] || fail "$region has no dax seed"
	d=$nd/devices/$seed
	cat /proc/sys/kernel/random/uuid >"$d/uuid"
	echo 2097152 >"$d/align"
	echo pmem >"$d/mode"
	echo "$ns" >"$d/namespace"
	echo "$seed" >"$nd/drivers/dax_pmem/bind"
	wait_for /dev/dax0.0 10
}

# map_line DEV: "map_touch_ms munmap_ms pagetables_kb" of egm-bench map
map_line() {
	local out
	out=$(egm-bench map "$1" "$MAP_SIZE" "$MAP_REPS") || fail "egm-bench map $1"
	echo "# $out" >&2
	sed -E 's/.*map_touch_ms=([^ ]*) munmap_ms=([^ ]*) pagetables_kb=([^ ]*).*/\1 \2 \3/' <<<"$out"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else if (a == b) print "equal"; else print "n/a" }'; }

make_devdax
dax=/dev/dax0.0

echo "egm-bench: begin"
echo "kernel $(uname -r), $(nproc) cpus; TCG: absolute times mean nothing, compare ratios"
echo
egm-bench scrub "$SCRUB_REGION" "$SCRUB_SIZE" "$SCRUB_REPS" || fail "egm-bench scrub"
echo

# The egm instance of the map bench.
inst=$cfs/bench-map
mkdir "$inst"
echo "$MAP_REGION" >"$inst/region"
echo "$MAP_SIZE" >"$inst/size"
echo none >"$inst/scrub"
echo 1 >"$inst/enable"
for ((i = 0; i < 600; i++)); do
	[[ $(cat "$inst/state") == ready ]] && break
	sleep 0.1
done
[[ $(cat "$inst/state") == ready ]] || fail "bench-map is $(cat "$inst/state")"
egm=/dev/egm$(cat "$inst/minor")
pagesize=$(cat "/sys/class/egm/${egm#/dev/}/pagesize")
dax_align=$(cat "/sys/bus/dax/devices/${dax#/dev/}/align" 2>/dev/null || echo '?')
echo "egm instance: $egm, /sys/class/egm/${egm#/dev/}/pagesize = $pagesize"

e=$(map_line "$egm")
d=$(map_line "$dax")
read -r e_map e_unmap e_pt <<<"$e"
read -r d_map d_unmap d_pt <<<"$d"
echo "map $MAP_SIZE, $MAP_REPS reps (medians): $egm ($MAP_REGION, scrub none, pagesize $pagesize) vs $dax (align $dax_align)"
printf '%-26s %12s %12s %8s\n' "" egm dax egm/dax
printf '%-26s %12s %12s %8s\n' "mmap + touch (ms)" "$e_map" "$d_map" "$(ratio "$e_map" "$d_map")"
printf '%-26s %12s %12s %8s\n' "munmap (ms)" "$e_unmap" "$d_unmap" "$(ratio "$e_unmap" "$d_unmap")"
printf '%-26s %12s %12s %8s\n' "PageTables growth (kB)" "$e_pt" "$d_pt" "$(ratio "$e_pt" "$d_pt")"
echo "egm-bench: end"

echo 0 >"$inst/enable"
rmdir "$inst"
