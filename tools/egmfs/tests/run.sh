#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Host-side tests of egmfs, no kernel needed: each case builds a fake egm
# configfs tree in a temporary directory and points egmfs at it with
# --root. In a fake tree mkdir creates an empty directory, so egmfs writes
# the kernel's defaults itself; enable only sets the file (no minor).
#
#   tools/egmfs/tests/run.sh [-v] [EGMFS]
#   ONLY=regex tools/egmfs/tests/run.sh     only the cases whose function
#                                           matches (c_save, c_qemu_args...)
#   -v: after each case, its last egmfs command's stdout and stderr as
#   "# stdout: " / "# stderr: " lines
#
# Prints one "ok"/"not ok" line per case and ends with "N passed, N failed".
set -u

here=$(cd "$(dirname "$0")" && pwd)
verbose=0
[[ ${1:-} == -v ]] && { verbose=1; shift; }
EGMFS=${1:-$here/../egmfs}
[[ -x $EGMFS ]] || { echo "no egmfs binary at $EGMFS (run make first)" >&2; exit 1; }

command -v jq >/dev/null || { echo "need jq (apt-get install jq)" >&2; exit 1; }
json_ok() { jq -e . >/dev/null; }

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
passed=0 failed=0 n=0

# ---- fake tree -------------------------------------------------------------

mkregion() {	# mkregion ROOT NAME BASE SIZE PXM SOURCE [RETIRED_LINES...]
	local d=$1/regions/$2 root=$1 name=$2 base=$3 size=$4 pxm=$5 src=$6
	shift 6
	mkdir -p "$d"
	echo "$base" > "$d/base"
	echo "$size" > "$d/size"
	echo "$pxm" > "$d/pxm"
	echo "$pxm" > "$d/numa_node"
	echo "$src" > "$d/source"
	echo "$size" > "$d/free"
	echo $(($# * 16)) > "$d/retired_pages"
	if (($#)); then printf '%s\n' "$@" > "$d/retired"; else echo > "$d/retired"; fi
	if [[ $src == acpi ]]; then printf 'NVDA2001:00\nNVDA2001:01\n' > "$d/devices"; else echo > "$d/devices"; fi
	: "$root" "$name"
}

# a tree like the test guest's: socket0 64M with firmware blocks, socket1 1G
mktree() {
	R=$TMP/t$n
	rm -rf "$R"
	mkdir -p "$R/instances"
	mkregion "$R" socket0 $((0x30000000)) $((64 << 20)) 0 acpi \
		"0x30100000 firmware" "0x30200000 firmware"
	mkregion "$R" socket1 $((0x100000000)) $((1 << 30)) 1 param
}

# an instance as the kernel would show it
mkinst() {	# mkinst NAME REGION OFFSET SIZE ENABLE MINOR [STATE]
	local d=$R/instances/$1
	mkdir -p "$d"
	echo "$2" > "$d/region"; echo "$3" > "$d/offset"; echo "$4" > "$d/size"
	echo zero > "$d/scrub"; echo 0 > "$d/uid"; echo 0 > "$d/gid"
	echo 0600 > "$d/mode"; echo "$5" > "$d/enable"; echo "$6" > "$d/minor"
	if (($5)); then
		echo "250:$6" > "$d/dev"; echo "${7:-ready}" > "$d/state"
	else
		echo > "$d/dev"; echo disabled > "$d/state"
	fi
}

# snapshot of every file of the tree (to prove "nothing changed")
snap() {
	(cd "$R" && find . -type f | sort | while read -r f; do
		printf '%s=%s\n' "$f" "$(cat "$f")"; done; find . -type d | sort)
}

# ---- runner ----------------------------------------------------------------

# run CMD...: sets $out (stdout), $err (stderr), $rc
run() {
	"$@" > "$TMP/out" 2> "$TMP/err"
	rc=$?
	out=$(cat "$TMP/out")
	err=$(cat "$TMP/err")
}

# the fake tree has its sysfs class directory and udev links beside it
E() { EGM_SYSFS=$R/sys EGM_DEVDIR=$R/dev/egm run "$EGMFS" --root "$R" "$@"; }

# mksys MINOR SIZE PAGESIZE CPU_NODE SCRUB_PROGRESS: /sys/class/egm/egmMINOR
mksys() {
	local d=$R/sys/egm$1
	mkdir -p "$d"
	echo "$2" > "$d/size"; echo "$3" > "$d/pagesize"
	[[ $4 != - ]] && echo "$4" > "$d/cpu_node"
	echo "$5" > "$d/scrub_progress"
}

# A case fails when any check fails; checks go on so that all are shown.
fail() {
	echo "    $*" >&2
	: > "$TMP/failed"
	return 1
}
want_rc() { [[ $rc == "$1" ]] || fail "exit $rc, want $1; stdout: $out; stderr: $err"; }
want_err() { [[ $err == *"$1"* ]] || fail "stderr lacks '$1': $err"; }
want_out() { [[ $out == *"$1"* ]] || fail "stdout lacks '$1': $out"; }
want_file() { [[ $(cat "$1") == "$2" ]] || fail "$1 is '$(cat "$1" 2>/dev/null)', want '$2'"; }

t() {	# t NAME FUNCTION; $ONLY (a regex) runs the matching functions only
	n=$((n + 1))
	[[ -n ${ONLY:-} && ! $2 =~ $ONLY ]] && return 0
	mktree
	rm -f "$TMP/failed" "$TMP/out" "$TMP/err"
	("$2")
	if [[ ! -e $TMP/failed ]]; then
		passed=$((passed + 1))
		echo "ok $n - $1"
	else
		failed=$((failed + 1))
		echo "not ok $n - $1"
	fi
	# the case ran in a subshell: its last command's output is in the files
	if ((verbose)); then
		sed 's/^/# stdout: /' "$TMP/out" 2>/dev/null
		sed 's/^/# stderr: /' "$TMP/err" 2>/dev/null
	fi
	return 0
}

# ---- cases: command line -----------------------------------------------------

c_help() {
	E --help; want_rc 0; want_out "usage: egmfs"; want_out restore
	E help create; want_rc 0; want_out "--region"
	local c
	for c in list show regions create enable disable destroy retire save restore clear qemu-args cdi; do
		E "$c" --help; want_rc 0; want_out "usage: egmfs $c"
	done
}

c_version() {
	E --version; want_rc 0
	[[ $out =~ ^egmfs\ [0-9] ]] || fail "version: $out"
}

c_usage() {
	E; want_rc 2; want_err "no command"
	E frobnicate; want_rc 2; want_err "unknown command 'frobnicate'"
	E --bogus list; want_rc 2
	E list --bogus; want_rc 2; want_err "bad option"
	E list extra; want_rc 2
	E show; want_rc 2
	E create vm0; want_rc 2; want_err "--region is required"
	E create vm0 --region socket0 --size 12Q; want_rc 2; want_err 'invalid size "12Q"'
	E create vm0 --region socket0 --mode 1777; want_rc 2; want_err "invalid mode"
	E create vm0 --region socket0 --mode 0888; want_rc 2
	E create vm0 --region socket0 --scrub maybe; want_rc 2; want_err "invalid scrub"
	E create .vm0 --region socket0; want_rc 2; want_err "invalid name"
	E create -- -vm0 --region socket0; want_rc 2
	E create "$(printf 'a%.0s' {1..33})" --region socket0; want_rc 2
	E create vm0 --region socket0 --owner nosuchuser_x:0; want_rc 2; want_err "invalid owner"
	E retire; want_rc 2
	E retire zzz; want_rc 2; want_err "invalid address"
	E save a b; want_rc 2
	E enable; want_rc 2
	# nothing was created by any of them
	[[ -z $(ls "$R/instances") ]] || fail "usage errors created $(ls "$R/instances")"
}

c_sizes() {
	local s want
	for s in 4096:4096 4K:4096 4k:4096 2M:2097152 1G:1073741824 1T:1099511627776 \
		 0x1000:4096 0X10M:16777216 010:10 0:0; do
		want=${s#*:}
		E create "v$n" --region socket1 --size "${s%%:*}"; want_rc 0
		want_file "$R/instances/v$n/size" "$want"
		E destroy "v$n"; want_rc 0
	done
	for s in 4KB 1.5G -1 "" 0x 18446744073709551616 16777216T 4K4 " 4K"; do
		E create bad --region socket1 --size "$s"; want_rc 2
	done
	E create off --region socket1 --offset 0x200000 --size 2m; want_rc 0
	want_file "$R/instances/off/offset" 2097152
	want_file "$R/instances/off/size" 2097152
}

# ---- cases: reads ------------------------------------------------------------

c_regions() {
	E regions; want_rc 0; want_out socket0; want_out 0x30000000; want_out 64M
	want_out "0x30100000 firmware"
	E regions --json; want_rc 0
	json_ok <<< "$out" || fail "regions --json is not JSON"
	[[ $(jq -r '.[0].name, .[0].base, .[0].size, .[0].pxm, .[0].free, .[0].retired_pages' <<< "$out" | tr '\n' ' ') == \
	   "socket0 805306368 67108864 0 67108864 32 " ]] || fail "regions fields: $out"
	[[ $(jq -r '.[0].retired[1].addr + " " + .[0].retired[1].source' <<< "$out") == "0x30200000 firmware" ]] ||
		fail "retired: $out"
	[[ $(jq -r '.[0].devices | length' <<< "$out") == 2 ]] || fail "devices: $out"
	[[ $(jq -r '.[1].devices | length' <<< "$out") == 0 ]] || fail "devices: $out"
}

c_list_show() {
	E list --json; want_rc 0; [[ $out == "[]" || $(jq length <<< "$out") == 0 ]] || fail "empty list: $out"
	mkinst vm0 socket1 0 $((4 << 20)) 1 0
	mkinst vm1 socket1 $((4 << 20)) 0 0 -1
	E list; want_rc 0; want_out vm0; want_out vm1; want_out /dev/egm0
	E list --json; want_rc 0
	json_ok <<< "$out" || fail "list --json is not JSON"
	[[ $(jq -c '.[0]' <<< "$out") == '{"name":"vm0","region":"socket1","offset":0,"size":4194304,"scrub":"zero","uid":0,"gid":0,"mode":"0600","enable":true,"minor":0,"dev":"250:0","state":"ready","path":"'"$R"'/dev/egm/vm0","resolved_size":4194304,"pagesize":null,"cpu_node":null,"scrub_progress":null}' ]] ||
		fail "vm0: $(jq -c '.[0]' <<< "$out")"
	[[ $(jq -c '.[1] | [.minor, .dev, .state, .enable, .resolved_size]' <<< "$out") == '[-1,"","disabled",false,1069547520]' ]] ||
		fail "vm1: $out"
	E show vm1; want_rc 0; want_out "state:  disabled"
	E show --json vm0; want_rc 0
	[[ $(jq -r .minor <<< "$out") == 0 ]] || fail "show --json: $out"
	E show nosuch; want_rc 1; want_err "egmfs: nosuch: show: No such file or directory"
}

# ---- cases: create/enable/disable/destroy --------------------------------------

c_create() {
	E create vm0 --region socket1 --offset 1G --size 2M --owner 107:108 --mode 660 --scrub none --enable
	want_rc 0
	local d=$R/instances/vm0
	want_file "$d/region" socket1; want_file "$d/offset" 1073741824
	want_file "$d/size" 2097152; want_file "$d/uid" 107; want_file "$d/gid" 108
	want_file "$d/mode" 0660; want_file "$d/scrub" none; want_file "$d/enable" 1
	E create vm0 --region socket1; want_rc 1; want_err "egmfs: vm0: create: File exists"
	E create vm2 --region socket1 --owner root; want_rc 0
	want_file "$R/instances/vm2/uid" 0; want_file "$R/instances/vm2/gid" 0
}

c_enable_disable() {
	mkinst vm0 socket1 0 $((4 << 20)) 0 -1
	E enable vm0; want_rc 0; want_file "$R/instances/vm0/enable" 1
	E disable vm0; want_rc 0; want_file "$R/instances/vm0/enable" 0
	E enable nosuch; want_rc 1; want_err "egmfs: nosuch: enable: No such file or directory"
	E disable vm0 nosuch; want_rc 1
}

c_destroy_clear() {
	mkinst vm0 socket1 0 $((4 << 20)) 1 0
	mkinst vm1 socket1 $((4 << 20)) 0 0 -1
	mkinst vm2 socket0 0 0 0 -1
	E destroy vm1; want_rc 0; [[ ! -e $R/instances/vm1 ]] || fail "vm1 still there"
	E destroy vm1; want_rc 1; want_err "vm1: destroy: No such file or directory"
	E clear; want_rc 0
	[[ -z $(ls "$R/instances") ]] || fail "clear left $(ls "$R/instances")"
	E clear; want_rc 0
}

c_retire() {
	E retire 0x30040000; want_rc 0; want_file "$R/regions/socket0/retire" 0x30040000
	E retire $((0x100000000 + 65536)); want_rc 0; want_file "$R/regions/socket1/retire" 0x100010000
	E retire 0x40000000; want_rc 1; want_err "retire: address is not in any EGM region"
	E retire 0x34000000; want_rc 1	# one past socket0's end
}

# ---- cases: save/restore -------------------------------------------------------

c_save() {
	mkinst vmB socket1 $((8 << 20)) $((4 << 20)) 1 1
	mkinst vmA socket1 0 $((4 << 20)) 1 0
	mkinst vmC socket0 0 0 0 -1
	mkinst vm0 socket0 0 $((4 << 20)) 0 -1
	printf '0x30100000 firmware\n0x30200000 firmware\n0x30010000 runtime\n0x30030000 poison\n' > "$R/regions/socket0/retired"
	E save "$R/etc/egm/egm.json"; want_rc 0
	local f=$R/etc/egm/egm.json
	json_ok < "$f" || fail "saved file is not JSON"
	[[ $(stat -c %a "$f") == 600 ]] || fail "mode $(stat -c %a "$f")"
	[[ $(jq -r '[.instances[].name] | join(",")' "$f") == "vmA,vmB,vm0,vmC" ]] ||
		fail "order: $(jq -c '[.instances[].name]' "$f")"
	[[ $(jq -c .retired "$f") == '{"socket0":["0x30010000","0x30030000"]}' ]] ||
		fail "retired: $(jq -c .retired "$f")"
	[[ $(jq -r .version "$f") == 1 ]] || fail version
	[[ $(jq -c '.instances[0]' "$f") == '{"name":"vmA","region":"socket1","offset":0,"size":4194304,"scrub":"zero","uid":0,"gid":0,"mode":"0600","enable":true}' ]] ||
		fail "object: $(jq -c '.instances[0]' "$f")"
	compgen -G "$R/etc/egm/.egm*" >/dev/null && fail "temporary file left"
	E save -; want_rc 0; json_ok <<< "$out" || fail "save - is not JSON"
	# atomic: a failing save leaves the old file
	cp "$f" "$TMP/before"
	chmod 0555 "$R/etc/egm"
	if [[ $(id -u) != 0 ]]; then
		E save "$f"; want_rc 1; want_err "save: Permission denied"
	fi
	chmod 0755 "$R/etc/egm"
	cmp -s "$f" "$TMP/before" || fail "file changed"
	E save /dev/full/x; want_rc 1
}

# a retired list longer than any page (the driver's list is a binary
# attribute): every runtime block is saved, none lost at 4 KiB or 64 KiB
c_save_long_retired() {
	local i f=$R/etc/egm/egm.json
	for ((i = 0; i < 5000; i++)); do
		printf '0x%x %s\n' $((0x100000000 + (i << 16))) \
			"$( ((i % 2)) && echo runtime || echo firmware)"
	done > "$R/regions/socket1/retired"
	(($(stat -c %s "$R/regions/socket1/retired") > 65536)) || fail "list too short"
	E save "$f"; want_rc 0
	[[ $(jq '.retired.socket1 | length' "$f") == 2500 ]] ||
		fail "saved $(jq '.retired.socket1 | length' "$f") of 2500 runtime blocks"
	[[ $(jq -r '.retired.socket1[-1]' "$f") == 0x113870000 ]] ||
		fail "last: $(jq -r '.retired.socket1[-1]' "$f")"
	E regions; want_rc 0
	want_out "socket1 retired 0x113870000 runtime"
}

c_save_full_stdout() {
	[[ -w /dev/full ]] || return 0
	run "$EGMFS" --root "$R" regions --json > /dev/full
	"$EGMFS" --root "$R" regions --json > /dev/full 2> "$TMP/err"
	rc=$?; err=$(cat "$TMP/err")
	want_rc 1; want_err "write failure on standard output"
}

c_restore_roundtrip() {
	mkinst vmA socket1 0 $((4 << 20)) 1 0
	mkinst vmB socket1 $((8 << 20)) $((4 << 20)) 1 1
	echo none > "$R/instances/vmB/scrub"; echo 107 > "$R/instances/vmB/uid"
	echo 0660 > "$R/instances/vmB/mode"
	mkinst vmC socket0 $((1 << 20)) 0 0 -1
	printf '0x30100000 firmware\n0x30010000 runtime\n' > "$R/regions/socket0/retired"
	E save "$TMP/rt.json"; want_rc 0
	local rw="region offset size scrub uid gid mode enable" before after i a
	before=$(for i in vmA vmB vmC; do for a in $rw; do echo "$i/$a=$(cat "$R/instances/$i/$a")"; done; done)
	E clear; want_rc 0
	printf '0x30100000 firmware\n' > "$R/regions/socket0/retired"
	E restore "$TMP/rt.json"; want_rc 0
	after=$(for i in vmA vmB vmC; do for a in $rw; do echo "$i/$a=$(cat "$R/instances/$i/$a")"; done; done)
	[[ $before == "$after" ]] || fail "tree differs: $(diff <(echo "$before") <(echo "$after"))"
	want_file "$R/regions/socket0/retire" 0x30010000
	# second run: nothing to do (-v prints nothing), nothing written
	printf '0x30100000 firmware\n0x30010000 runtime\n' > "$R/regions/socket0/retired"
	rm -f "$R/regions/socket0/retire"
	local s1 s2
	s1=$(snap)
	E restore -v "$TMP/rt.json"; want_rc 0
	[[ -z $out ]] || fail "second restore did: $out"
	s2=$(snap)
	[[ $s1 == "$s2" ]] || fail "second restore changed: $(diff <(echo "$s1") <(echo "$s2"))"
}

c_restore_fix() {
	mkinst vm0 socket1 0 $((4 << 20)) 1 0
	mkinst other socket0 0 0 0 -1
	cat > "$TMP/f.json" <<-'EOF'
	{"version": 1, "instances": [
	  {"name": "vm0", "region": "socket1", "size": "8M", "enable": true},
	  {"name": "vm1", "region": "socket1", "offset": "1G", "size": 0, "mode": "0640",
	   "uid": 5, "gid": "6", "scrub": "none", "enable": false}]}
	EOF
	E restore -n "$TMP/f.json"; want_rc 0
	want_out "would disable vm0"; want_out "would set vm0 size 8388608"
	want_out "would create vm1"; want_out "would enable vm0"
	want_out "would set vm1 offset 1073741824"; want_out "would set vm1 mode 0640"
	want_file "$R/instances/vm0/size" 4194304
	[[ ! -e $R/instances/vm1 ]] || fail "dry run created vm1"
	E restore -v "$TMP/f.json"; want_rc 0
	want_err "other: restore: not in"
	want_file "$R/instances/vm0/size" 8388608; want_file "$R/instances/vm0/enable" 1
	want_file "$R/instances/vm1/offset" 1073741824; want_file "$R/instances/vm1/mode" 0640
	want_file "$R/instances/vm1/gid" 6; want_file "$R/instances/vm1/scrub" none
	want_file "$R/instances/vm1/enable" 0
	[[ -d $R/instances/other ]] || fail "other was destroyed"
}

bad_file() {	# bad_file 'JSON' 'expected message'
	local s1 s2
	mkinst keep socket1 0 $((4 << 20)) 1 0
	s1=$(snap)
	printf '%s' "$1" > "$TMP/bad.json"
	E restore "$TMP/bad.json"; want_rc 1; want_err "$2"
	s2=$(snap)
	[[ $s1 == "$s2" ]] || fail "bad file changed the tree: $(diff <(echo "$s1") <(echo "$s2"))"
}

I0='{"name": "vm0", "region": "socket1", "size": 4194304, "enable": true}'

c_restore_bad() {
	bad_file '{"version": 1, "instances": [' "line 1: unexpected end of file"
	bad_file '{"version": 1,
"instances": [}' "line 2:"
	bad_file 'nope' "line 1:"
	bad_file '[]' "top level: expected an object"
	bad_file '{"version": 1, "instances": []} x' "line 1:"
	bad_file '{"instances": []}' "version: missing"
	bad_file '{"version": 2, "instances": []}' "version: unsupported version 2"
	bad_file '{"version": "1", "instances": []}' "version: unsupported"
	bad_file '{"version": 1}' "instances: missing"
	bad_file '{"version": 1, "instances": {}}' "instances: expected an array"
	bad_file '{"version": 1, "instances": [], "extra": 1}' "extra: unknown field"
	bad_file '{"version": 1, "instances": [7]}' "instances[0]: expected an object"
	bad_file "{\"version\": 1, \"instances\": [$I0, {\"name\": \"vm1\", \"region\": \"socket1\", \"size\": \"12Q\"}]}" \
		'instances[1].size: invalid size "12Q"'
	bad_file "{\"version\": 1, \"instances\": [$I0, {\"name\": \"vm1\", \"region\": \"socket1\", \"size\": 12345}]}" \
		"instances[1].size: 12345 is not a multiple of the page size"
	bad_file "{\"version\": 1, \"instances\": [$I0, {\"name\": \"vm1\", \"region\": \"socket1\", \"offset\": -4096}]}" \
		"instances[1].offset: invalid value -4096"
	bad_file "{\"version\": 1, \"instances\": [$I0, {\"name\": \"vm1\", \"region\": \"socket1\", \"offset\": true}]}" \
		"instances[1].offset: expected a number or a size string, not boolean"
	bad_file "{\"version\": 1, \"instances\": [$I0, $I0]}" \
		'instances[1].name: duplicate name "vm0" (also instances[0])'
	bad_file '{"version": 1, "instances": [{"name": "vm0", "region": "socket1", "mode": "0999"}]}' \
		'instances[0].mode: invalid mode "0999"'
	bad_file '{"version": 1, "instances": [{"name": "vm0", "region": "socket1", "mode": 600}]}' \
		'instances[0].mode: expected an octal string'
	bad_file '{"version": 1, "instances": [{"name": "vm0", "region": "socket1", "mode": "1777"}]}' \
		'instances[0].mode: invalid mode'
	bad_file '{"version": 1, "instances": [{"name": "vm0", "region": "socket1", "scrub": "yes"}]}' \
		'instances[0].scrub: invalid scrub "yes"'
	bad_file '{"version": 1, "instances": [{"name": "vm0", "region": "socket1", "enable": 1}]}' \
		'instances[0].enable: expected true or false, not int'
	bad_file '{"version": 1, "instances": [{"name": "vm0", "region": "socket1", "uid": 4294967295}]}' \
		'instances[0].uid: invalid id 4294967295'
	bad_file '{"version": 1, "instances": [{"name": "vm0", "region": "socket1", "gid": "x"}]}' \
		'instances[0].gid: invalid id "x"'
	bad_file '{"version": 1, "instances": [{"name": ".vm0", "region": "socket1"}]}' \
		'instances[0].name: invalid name ".vm0"'
	bad_file '{"version": 1, "instances": [{"name": "vm0"}]}' 'instances[0]: missing "region"'
	bad_file '{"version": 1, "instances": [{"region": "socket1"}]}' 'instances[0]: missing "name"'
	bad_file '{"version": 1, "instances": [{"name": "vm0", "region": "socket1", "colour": "red"}]}' \
		'instances[0].colour: unknown field'
	bad_file '{"version": 1, "instances": [{"name": "a", "region": "socket1", "size": "8M", "enable": true},
		{"name": "b", "region": "socket1", "offset": "4M", "enable": true}]}' \
		'instances[1]: extent overlaps instances[0] (a) in socket1'
	bad_file '{"version": 1, "instances": [], "retired": {"socket0": ["0xzz"]}}' \
		'retired.socket0[0]: invalid address "0xzz"'
	bad_file '{"version": 1, "instances": [], "retired": {"socket0": "0x30010000"}}' \
		'retired.socket0: expected an array'
	bad_file '{"version": 1, "instances": [], "retired": []}' 'retired: expected an object'
	E restore "$TMP/missing.json"; want_rc 1; want_err "missing.json: read: No such file or directory"
}

c_restore_no_region() {
	# an instance nobody gave a region yet survives save -> restore
	mkinst bare "" 0 0 0 -1
	E save "$TMP/nr.json"; want_rc 0
	E clear; want_rc 0
	E restore "$TMP/nr.json"; want_rc 0
	want_file "$R/instances/bare/region" ""
	bad_file '{"version": 1, "instances": [{"name": "x", "region": "", "enable": true}]}' \
		'instances[0]: enabled without a region'
}

c_restore_runtime_fields() {
	# list --json objects (with minor, dev, state) are accepted as input
	mkinst vm0 socket1 0 $((4 << 20)) 1 0
	E list --json; want_rc 0
	printf '{"version": 1, "instances": %s}' "$out" > "$TMP/l.json"
	E clear; want_rc 0
	[[ ! -e $R/instances/vm0 ]] || fail "clear left vm0"
	E restore "$TMP/l.json"; want_rc 0
	want_file "$R/instances/vm0/size" 4194304
}

c_restore_no_module() {
	rm -rf "$R/instances"
	printf '{"version": 1, "instances": []}' > "$TMP/e.json"
	E restore "$TMP/e.json"; want_rc 1; want_err "is the egm module loaded?"
}

# ---- cases: operator safety (save never loses data by accident) ----------------

# a runtime retirement of a region absent now (its GPU failed to probe,
# firmware changed) stays in the file: restore re-applies it when the
# region is back
c_save_keeps_absent_retired() {
	local f=$R/etc/egm/egm.json
	mkdir -p "$R/etc/egm"
	mkinst vm0 socket1 0 $((4 << 20)) 1 0
	printf '{"version": 1, "instances": [], "retired": {"socket0": ["0x30010000"], "socket7": ["0x7000010000", "0x7000000000"]}}\n' > "$f"
	printf '0x30100000 firmware\n' > "$R/regions/socket0/retired"
	printf '0x100020000 runtime\n' > "$R/regions/socket1/retired"
	E save "$f"; want_rc 0
	[[ $(jq -c .retired "$f") == '{"socket0":["0x30010000"],"socket1":["0x100020000"],"socket7":["0x7000000000","0x7000010000"]}' ]] ||
		fail "retired: $(jq -c .retired "$f")"
}

c_save_bak() {
	local f=$R/etc/egm/egm.json
	mkinst vm0 socket1 0 $((4 << 20)) 1 0
	E save "$f"; want_rc 0
	[[ ! -e $f.bak ]] || fail "a .bak from nothing"
	cp "$f" "$TMP/first"
	mkinst vm1 socket1 $((4 << 20)) $((4 << 20)) 0 -1
	E save "$f"; want_rc 0
	cmp -s "$f.bak" "$TMP/first" || fail "$f.bak is not the previous file"
	[[ $(jq -r '[.instances[].name] | join(",")' "$f") == vm0,vm1 ]] || fail "new file: $(cat "$f")"
	[[ $(stat -c %a "$f.bak") == 600 ]] || fail ".bak mode $(stat -c %a "$f.bak")"
}

c_save_refuses_empty() {
	local f=$R/etc/egm/egm.json
	mkinst vm0 socket1 0 $((4 << 20)) 1 0
	mkinst vm1 socket1 $((4 << 20)) $((4 << 20)) 1 1
	E save "$f"; want_rc 0
	cp "$f" "$TMP/two"
	E clear; want_rc 0
	E save "$f"; want_rc 1
	want_err "save: would replace 2 instances with none (use --force)"
	cmp -s "$f" "$TMP/two" || fail "the two-instance file was overwritten"
	E save --force "$f"; want_rc 0
	[[ $(jq '.instances | length' "$f") == 0 ]] || fail "--force did not write: $(cat "$f")"
	cmp -s "$f.bak" "$TMP/two" || fail "no .bak of the two-instance file"
	# empty over empty needs nothing
	E save "$f"; want_rc 0
}

c_save_symlink() {
	mkdir -p "$R/etc/egm" "$R/srv/cfg"
	echo '{"version": 1, "instances": []}' > "$R/srv/cfg/real.json"
	ln -s ../../srv/cfg/real.json "$R/etc/egm/egm.json"
	mkinst vm0 socket1 0 $((4 << 20)) 1 0
	E save "$R/etc/egm/egm.json"; want_rc 0
	[[ -L $R/etc/egm/egm.json ]] || fail "the link became a plain file"
	[[ $(jq -r '.instances[0].name' "$R/srv/cfg/real.json") == vm0 ]] || fail "target not written"
	[[ -e $R/srv/cfg/real.json.bak ]] || fail "no .bak beside the target"
	[[ $(stat -c %a "$R/srv/cfg/real.json") == 600 ]] || fail "target mode"
}

# a JSON object with a key twice: json-c keeps the last silently, so a
# typo'd hand edit ("enable": false ... "enable": true) would win unseen
c_restore_dup_keys() {
	bad_file '{"version": 1, "version": 1, "instances": []}' "version: duplicate key"
	bad_file '{"version": 1, "instances": [{"name": "vm0", "region": "socket1", "enable": false, "enable": true}]}' \
		"instances[0].enable: duplicate key"
	bad_file '{"version": 1, "instances": [], "retired": {"socket0": [], "socket0": ["0x30010000"]}}' \
		"retired.socket0: duplicate key"
}

# egmfs.8's EXIT STATUS: a malformed NAME is a usage error (2) everywhere
c_exit_codes() {
	local c
	for c in show enable disable destroy; do
		E "$c" .bad; want_rc 2
	done
	E show nosuch; want_rc 1
}

# list/show give what QEMU needs: the udev link, the resolved size, the
# page size, the NUMA node to pin to and the scrub progress
c_list_runtime() {
	mkinst vm0 socket1 0 0 1 0 scrubbing
	mksys 0 $((1 << 30)) $((1 << 30)) 1 42
	echo 1 > "$R/regions/socket1/cpu_node"
	mkinst vm1 socket0 $((4 << 20)) $((8 << 20)) 1 1
	mksys 1 $((8 << 20)) $((2 << 20)) - 100
	mkinst vm2 socket1 0 0 0 -1
	E list --json; want_rc 0
	[[ $(jq -c '.[0] | [.path, .resolved_size, .pagesize, .cpu_node, .scrub_progress]' <<< "$out") == \
	   '["'"$R"'/dev/egm/vm0",1073741824,1073741824,1,42]' ]] || fail "vm0: $(jq -c '.[0]' <<< "$out")"
	[[ $(jq -c '.[1] | [.resolved_size, .pagesize, .cpu_node, .scrub_progress]' <<< "$out") == \
	   '[8388608,2097152,null,100]' ]] || fail "vm1: $(jq -c '.[1]' <<< "$out")"
	[[ $(jq -c '.[2] | [.resolved_size, .pagesize, .cpu_node, .scrub_progress]' <<< "$out") == \
	   '[1073741824,null,1,null]' ]] || fail "vm2: $(jq -c '.[2]' <<< "$out")"
	E list; want_rc 0
	[[ $out =~ vm0\ +socket1\ +0\ +1G\ +1G\ +1\ +zero\ +0:0\ +0600\ +scrubbing:42%\ +/dev/egm0\ +$R/dev/egm/vm0 ]] ||
		fail "list vm0: $out"
	E list --region socket0; want_rc 0
	want_out vm1
	[[ $out != *vm0* && $out != *vm2* ]] || fail "list --region socket0: $out"
	E list --region socket1 --json; want_rc 0
	[[ $(jq -r '[.[].name] | join(",")' <<< "$out") == vm0,vm2 ]] || fail "--region socket1: $out"
	E list --region .x; want_rc 2
	E show vm0; want_rc 0
	want_out "path:   $R/dev/egm/vm0"; want_out "resolved_size: 1073741824 (1G)"
	want_out "pagesize: 1073741824 (1G)"; want_out "cpu_node: 1"; want_out "scrub_progress: 42"
}

# changing commands say what they did; -q quiets them
c_say() {
	E create vm0 --region socket1 --size 4M; want_rc 0; want_out "created vm0"
	E enable vm0; want_rc 0; want_out "enabled vm0:"; want_out "link $R/dev/egm/vm0"
	E disable vm0; want_rc 0; want_out "disabled vm0"
	E retire 0x30040000; want_rc 0; want_out "retired socket0 block 0x30040000"
	E save "$TMP/s.json"; want_rc 0; want_out "saved 1 instance and 0 retirements to $TMP/s.json"
	E destroy vm0; want_rc 0; want_out "destroyed vm0"
	E restore "$TMP/s.json"; want_rc 0; want_out "create vm0"
	E clear; want_rc 0; want_out "destroyed vm0"
	E -q create vm1 --region socket1 --size 4M --enable; want_rc 0
	[[ -z $out ]] || fail "-q create printed: $out"
	E -q destroy vm1; want_rc 0; [[ -z $out ]] || fail "-q destroy printed: $out"
}

# restore returns once each enabled instance's udev link is its device
# node; a missing link fails after the bound, naming it (here /dev/null
# stands for the node: the fake instance says its dev is 1:3)
c_restore_wait() {
	printf '{"version": 1, "instances": [{"name": "vm0", "region": "socket1", "size": "4M", "enable": true}]}' > "$TMP/w.json"
	mkinst vm0 socket1 0 $((4 << 20)) 1 0
	echo 1:3 > "$R/instances/vm0/dev"
	mkdir -p "$R/dev/egm"
	local t0=$SECONDS
	E restore --wait --timeout 2 "$TMP/w.json"; want_rc 1
	want_err "vm0: restore: $R/dev/egm/vm0 is not its device node after 2 s"
	((SECONDS - t0 >= 2)) || fail "did not wait"
	ln -s /dev/zero "$R/dev/egm/vm0"	# 1:5, a stale link
	E restore --wait --timeout 1 "$TMP/w.json"; want_rc 1
	rm "$R/dev/egm/vm0"
	(sleep 1; ln -s /dev/null "$R/dev/egm/vm0") &
	E restore --wait --timeout 20 "$TMP/w.json"; want_rc 0
	[[ -L $R/dev/egm/vm0 ]] || fail "returned before the link"
	wait
	E restore --no-wait "$TMP/w.json"; want_rc 0
	E restore --timeout x "$TMP/w.json"; want_rc 2
}

# qemu-args: the options for an instance, from sysfs. Around retired
# blocks: without --gpu the one backend without prealloc=on and a note;
# with --gpu a refusal and the commands that cut the instance around them
# (one device backs one memory object: it allows one open at a time).
c_qemu_args() {
	mkinst vm0 socket1 0 $((64 << 20)) 1 0
	mksys 0 $((64 << 20)) $((2 << 20)) 1 100
	E qemu-args vm0; want_rc 0
	[[ $out == "-object memory-backend-file,id=egm-vm0,mem-path=$R/dev/egm/vm0,size=67108864,align=2097152,share=on,prealloc=on
-numa node,nodeid=0,memdev=egm-vm0" ]] || fail "qemu-args: $out"
	[[ -z $err ]] || fail "stderr: $err"
	E qemu-args vm0 --node 1 --gpu gpu0; want_rc 0
	want_out "-numa node,nodeid=1,memdev=egm-vm0"
	want_out "-object acpi-egm-memory,id=egm-vm0-acpi,pci-dev=gpu0,node=1"
	mkinst off socket1 0 0 0 -1
	E qemu-args off; want_rc 1; want_err "off: qemu-args: not enabled"
	E qemu-args nosuch; want_rc 1
	E qemu-args; want_rc 2
	E qemu-args vm0 --node x; want_rc 2
	E qemu-args vm0 --qemu /bin/true; want_rc 2
}

c_qemu_args_retired() {
	# socket0 holds retired blocks at +1M and +2M
	mkinst vm1 socket0 0 $((4 << 20)) 1 1
	mksys 1 $((4 << 20)) $((2 << 20)) 0 100
	E qemu-args vm1; want_rc 0
	[[ $out == "-object memory-backend-file,id=egm-vm1,mem-path=$R/dev/egm/vm1,size=4194304,align=2097152,share=on
-numa node,nodeid=0,memdev=egm-vm1" ]] || fail "no --gpu: $out"
	[[ $err == "egmfs: vm1: qemu-args: 2 retired blocks inside: "*"the guest gets a memory error where it touches them; with a GPU (VFIO) cut the instance around them"* ]] ||
		fail "no --gpu, stderr: $err"
	(($(wc -l <<< "$err") == 1)) || fail "no --gpu: more than one line on stderr: $err"
	E qemu-args vm1 --node 2 --gpu gpu0; want_rc 1
	[[ -z $out ]] || fail "--gpu printed options: $out"
	want_err "egmfs: vm1: qemu-args: it holds 2 retired blocks: VFIO cannot DMA-map an instance holding retired blocks"
	want_err "one open at a time"
	want_err '"Keeping retired memory out of the guest"'
	# the extents beside the blocks; none holds a 2M page after rounding
	# its start up to one, so each starts at the block's end
	[[ $(grep '^  egmfs ' <<< "$err") == "  egmfs disable vm1
  egmfs destroy vm1
  egmfs create vm1-0 --region socket0 --offset 0 --size 1M --enable
  egmfs create vm1-1 --region socket0 --offset 1088K --size 960K --enable
  egmfs create vm1-2 --region socket0 --offset 2112K --size 1984K --enable
  egmfs qemu-args vm1-0 --node 2 --gpu gpu0
  egmfs qemu-args vm1-1 --node 3 --gpu gpu0
  egmfs qemu-args vm1-2 --node 4 --gpu gpu0" ]] || fail "--gpu, commands: $err"
	# an extent that holds a 2M page starts at one; the owner, mode and
	# scrub policy carry over; a long name is shortened to stay valid
	printf '0x%x runtime\n' $((0x100000000 + (16 << 20) + 65536)) >> "$R/regions/socket1/retired"
	mkinst vm2.with.a.name.of.32.characters socket1 0 $((64 << 20)) 1 2
	mksys 2 $((64 << 20)) $((2 << 20)) 1 100
	local d=$R/instances/vm2.with.a.name.of.32.characters
	echo none > "$d/scrub"; echo 107 > "$d/uid"; echo 0660 > "$d/mode"
	E qemu-args vm2.with.a.name.of.32.characters --gpu g; want_rc 1
	want_err "it holds 1 retired block: "
	want_err "  egmfs create vm2.with.a.name.of.32.characte-0 --region socket1 --offset 0 --size 16448K --scrub none --owner 107:0 --mode 0660 --enable"
	want_err "  egmfs create vm2.with.a.name.of.32.characte-1 --region socket1 --offset 18M --size 46M --scrub none --owner 107:0 --mode 0660 --enable"
	# the suggested commands work (the fake tree takes them as written)
	rm -r "$d"
	local cmd
	while read -r cmd; do
		# shellcheck disable=SC2086 # the words of the suggestion
		E ${cmd#egmfs } || true
		want_rc 0
	done < <(sed -n 's/^  \(egmfs create .*\)/\1/p' <<< "$err")
	want_file "$R/instances/vm2.with.a.name.of.32.characte-1/offset" $((18 << 20))
	want_file "$R/instances/vm2.with.a.name.of.32.characte-1/size" $((46 << 20))
	want_file "$R/instances/vm2.with.a.name.of.32.characte-1/mode" 0660
	# 1G pages: a piece starts at the next 1G boundary when it still
	# holds 1G from there, else at the next 2M one
	mkregion "$R" socket2 $((0x200000000)) $((4 << 30)) 2 param \
		"$(printf '0x%x runtime' $((0x200000000 + (1 << 30) + (5 << 20))))" \
		"$(printf '0x%x runtime' $((0x200000000 + (1 << 20))))"
	mkinst big socket2 0 0 1 3
	mksys 3 $((4 << 30)) $((1 << 30)) 2 100
	E qemu-args big --gpu g; want_rc 1
	want_err "it holds 2 retired blocks: "
	[[ $(grep '^  egmfs create ' <<< "$err") == "  egmfs create big-0 --region socket2 --offset 0 --size 1M --enable
  egmfs create big-1 --region socket2 --offset 2M --size 1027M --enable
  egmfs create big-2 --region socket2 --offset 2G --size 2G --enable" ]] || fail "1G: $err"
}

# create --offset auto: the first extent clear of instances and retired
# blocks (2M aligned when the size allows)
c_offset_auto() {
	E create a --region socket0 --offset auto --size 1M; want_rc 0
	want_file "$R/instances/a/offset" 0
	# next: past a (1M) and the retired block at +1M -> 1M+64K, page
	# aligned... but 1M+64K..2M+64K holds the block at +2M: so 2M+64K
	E create b --region socket0 --offset auto --size 1M; want_rc 0
	want_file "$R/instances/b/offset" $(((2 << 20) + 65536))
	E create c --region socket0 --offset auto --size 4M; want_rc 0
	want_file "$R/instances/c/offset" $((4 << 20))
	E create d --region socket0 --offset auto --size 64M; want_rc 1
	want_err "no free extent of 67108864 bytes without retired blocks in socket0"
	[[ ! -e $R/instances/d ]] || fail "d was created"
	E create e --region socket0 --offset auto; want_rc 2
}

# cdi: a spec that validates against CDI's JSON schema (a real validator:
# python3-jsonschema) and lists exactly the enabled instances
c_cdi() {
	mkinst vm0 socket1 0 $((4 << 20)) 1 3
	echo 107 > "$R/instances/vm0/uid"; echo 0660 > "$R/instances/vm0/mode"
	mkinst vm1 socket1 $((4 << 20)) $((4 << 20)) 0 -1
	mkinst vm2 socket0 0 0 1 0
	E cdi --output "$R/run/cdi/egm.json"; want_rc 0
	want_out "wrote 2 devices of kind nvidia.com/egm to $R/run/cdi/egm.json"
	local f=$R/run/cdi/egm.json
	[[ $(stat -c %a "$f") == 644 ]] || fail "mode $(stat -c %a "$f")"
	/usr/bin/python3 - "$here/cdi-schema.json" "$f" <<-'PY' || fail "schema: $(cat "$f")"
	import json, sys, jsonschema
	schema = json.load(open(sys.argv[1]))
	jsonschema.Draft7Validator.check_schema(schema)
	jsonschema.validate(json.load(open(sys.argv[2])), schema)
	PY
	[[ $(jq -r '.kind + " " + ([.devices[].name] | join(","))' "$f") == "nvidia.com/egm vm2,vm0" ]] ||
		fail "devices: $(jq -c . "$f")"
	[[ $(jq -c '.devices[1].containerEdits.deviceNodes[0]' "$f") == \
	   '{"path":"'"$R"'/dev/egm/vm0","type":"c","major":250,"minor":3,"fileMode":432,"permissions":"rw","uid":107,"gid":0}' ]] ||
		fail "node: $(jq -c '.devices[1]' "$f")"
	# the validator is real: a spec missing "kind" fails it
	jq 'del(.kind)' "$f" > "$TMP/nokind.json"
	/usr/bin/python3 -c 'import json, sys, jsonschema; jsonschema.validate(json.load(open(sys.argv[2])), json.load(open(sys.argv[1])))' \
		"$here/cdi-schema.json" "$TMP/nokind.json" 2>/dev/null && fail "validator accepted a spec without kind"
	E cdi -o -; want_rc 0; json_ok <<< "$out" || fail "cdi -o - is not JSON"
	E clear; want_rc 0
	E cdi --output "$f"; want_rc 0
	[[ $(jq -c .devices "$f") == '[]' ]] || fail "after clear: $(cat "$f")"
}

t "--help, per-command --help, help CMD" c_help
t "--version" c_version
t "usage errors exit 2 and change nothing" c_usage
t "size suffixes are normalised to bytes" c_sizes
t "regions and regions --json" c_regions
t "list, list --json, show, show --json" c_list_show
t "create with every option" c_create
t "enable, disable" c_enable_disable
t "destroy, clear" c_destroy_clear
t "retire finds the region of the address" c_retire
t "save: order, retired map, mode 0600, atomic" c_save
t "save: a retired list longer than a page is saved whole" c_save_long_retired
t "write error on stdout exits 1" c_save_full_stdout
t "save, clear, restore reproduces the tree; restore is idempotent" c_restore_roundtrip
t "restore fixes, creates, dry-run, leaves extra instances" c_restore_fix
t "restore rejects bad files and changes nothing" c_restore_bad
t "restore accepts list --json objects" c_restore_runtime_fields
t "restore of an instance without a region" c_restore_no_region
t "restore without the module" c_restore_no_module
t "save keeps the retirements of absent regions" c_save_keeps_absent_retired
t "save keeps the previous file as .bak" c_save_bak
t "save refuses an empty list over a non-empty one without --force" c_save_refuses_empty
t "save writes through a symlink" c_save_symlink
t "restore rejects duplicate keys, naming the field" c_restore_dup_keys
t "exit codes: a malformed name is a usage error everywhere" c_exit_codes
t "list/show: path, resolved size, pagesize, cpu_node, scrub progress; --region" c_list_runtime
t "changing commands say what they did; -q quiets" c_say
t "restore waits, bounded, for the udev links" c_restore_wait
t "qemu-args: the options of one backend, --node, --gpu, errors" c_qemu_args
t "qemu-args around retired blocks: a note, or with --gpu how to cut it" c_qemu_args_retired
t "create --offset auto avoids instances and retired blocks" c_offset_auto
t "cdi: a valid CDI spec of exactly the enabled instances" c_cdi

echo "$passed passed, $failed failed"
((failed == 0))
