#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
#
# egmfs (tools/egmfs/egmfs.8) against the real driver: every subcommand,
# --json, save -> clear -> restore, bad files, exit codes 0/1/2, error
# messages. The guest has no JSON tool but egmfs's own parser (json-c): JSON
# output is checked by feeding it back to "egmfs restore --dry-run" and by
# field; the host-side tools/egmfs/tests/run.sh checks it with jq.

load lib/egm

EGMFS=${EGMFS:-/usr/sbin/egmfs}

setup() {
	egm_setup
	# the harness installs egmfs in every guest (mkinitramfs): missing is
	# a failure, never a skip
	[[ -x $EGMFS ]] || fail "egmfs is not installed in the guest ($EGMFS)"
	F=$BATS_TEST_TMPDIR/egm.json
}

# every rw attribute plus minor of every instance: what save -> restore
# must bring back (tools/egmfs/egmfs.8 "restore");
# builtins only (fread), this runs often and forks are slow under TCG
egm_tree() {
	local d a v name
	for d in "$EGM_INST"/*/; do
		[[ -d $d ]] || continue
		name=${d%/} name=${name##*/}
		for a in region offset size scrub uid gid mode enable minor; do
			fread v "$d/$a"
			printf '%s/%s=%s\n' "$name" "$a" "$v"
		done
	done
}

# the instances and the retired blocks: what a failed command must not change
egm_everything() {
	local f v
	egm_tree
	for f in "$EGM_REG"/*/retired; do
		fraw v "$f"
		printf '%s' "$v"
	done
}

# list --json must parse: wrap it as a file and let restore check it
json_instances_ok() {
	printf '{"version": 1, "instances": %s}\n' "$1" > "$BATS_TEST_TMPDIR/chk.json"
	"$EGMFS" restore --dry-run "$BATS_TEST_TMPDIR/chk.json" > /dev/null
}

@test "7. egmfs: --help, per-command --help and --version exit 0" {
	run "$EGMFS" --help
	assert_success
	assert_output --partial "usage: egmfs"
	local c
	for c in list show regions create enable disable destroy retire save restore clear; do
		run "$EGMFS" "$c" --help
		assert_success
		assert_output --partial "usage: egmfs $c"
	done
	run "$EGMFS" --version
	assert_success
	assert_output --regexp '^egmfs [0-9]'
}

@test "7. egmfs: usage errors exit 2 and change nothing" {
	create_instance keep socket1 0 4M
	local before
	before=$(egm_everything)
	run "$EGMFS"
	assert_failure 2
	run "$EGMFS" frob
	assert_failure 2
	assert_output --partial "unknown command 'frob'"
	run "$EGMFS" list --bogus
	assert_failure 2
	run "$EGMFS" create vm0
	assert_failure 2
	assert_output --partial "region is required"
	run "$EGMFS" create vm0 --region socket1 --size 12Q
	assert_failure 2
	assert_output --partial 'invalid size "12Q"'
	run "$EGMFS" create vm0 --region socket1 --mode 1777
	assert_failure 2
	run "$EGMFS" create .vm0 --region socket1
	assert_failure 2
	run "$EGMFS" retire
	assert_failure 2
	run "$EGMFS" show
	assert_failure 2
	assert_equal "$(egm_everything)" "$before"
}

@test "7. egmfs: regions and regions --json show both sockets and the firmware blocks" {
	run "$EGMFS" regions
	assert_success
	assert_line --regexp "^socket0 +$(s0pa 0) +64M +0 "
	assert_line --regexp "^socket1 +$(printf '0x%x' $((EGM_S1_BASE))) +1G +1 "
	if [[ $EGM_BOOT == acpi ]]; then
		assert_line "socket0 retired $(s0pa 0x10000) firmware"
		assert_line "socket0 retired $(s0pa 0x3ff0000) firmware"
	fi
	run "$EGMFS" regions --json
	assert_success
	assert_output --partial '"name": "socket0"'
	assert_output --partial "\"base\": $((EGM_S0_BASE))"
	assert_output --partial '"size": 67108864'
	assert_output --partial "\"base\": $((EGM_S1_BASE))"
	assert_output --partial '"size": 1073741824'
	assert_output --partial "\"source\": \"$EGM_BOOT\""
	if [[ $EGM_BOOT == acpi ]]; then
		assert_output --partial "\"addr\": \"$(s0pa 0x50000)\""
		assert_output --partial '"retired_pages": '
	fi
	# brackets and braces balance (jq checks the same code on the host)
	local o=${output//[^\[]/} c=${output//[^\]]/} ob=${output//[^\{]/} cb=${output//[^\}]/}
	assert_equal "${#o}:${#ob}" "${#c}:${#cb}"
}

@test "7. egmfs: create with every option, then list, show and the device node" {
	run "$EGMFS" create vm0 --region socket1 --offset 2M --size 4M --owner 65534:65534 \
		--mode 0640 --scrub none --enable
	assert_success
	# a changing command says what it did
	assert_line "created vm0 in socket1 at offset 2097152"
	assert_line --regexp "^enabled vm0: /dev/egm[0-9]+, link /dev/egm/vm0\$"
	local d=$EGM_INST/vm0
	assert_equal "$(cat "$d/region") $(cat "$d/offset") $(cat "$d/size")" "socket1 2097152 4194304"
	assert_equal "$(cat "$d/scrub") $(cat "$d/uid") $(cat "$d/gid") $(cat "$d/mode")" "none 65534 65534 0640"
	assert_equal "$(cat "$d/enable")" 1
	local minor
	minor=$(cat "$d/minor")
	run stat -c '%u:%g %a' "/dev/egm$minor"
	assert_output "65534:65534 640"
	run grep -x EGM_INSTANCE=vm0 "$EGM_CLASS/egm$minor/uevent"
	assert_success

	run "$EGMFS" list
	assert_success
	assert_line --regexp "^vm0 +socket1 +2M +4M +[0-9]+[KMG] +[-0-9]+ +none +65534:65534 +0640 +ready +/dev/egm$minor +/dev/egm/vm0\$"
	run "$EGMFS" list --json
	assert_success
	assert_output --partial '"name": "vm0"'
	assert_output --partial "\"minor\": $minor"
	assert_output --partial "\"dev\": \"$(cat "$d/dev")\""
	assert_output --partial '"mode": "0640"'
	assert_output --partial '"enable": true'
	json_instances_ok "$output"

	run "$EGMFS" show vm0
	assert_success
	assert_line "state:  ready"
	assert_line "device: /dev/egm$minor"
	run "$EGMFS" show --json vm0
	assert_success
	assert_output --partial '"size": 4194304'
	json_instances_ok "[$output]"
}

@test "7. egmfs: create: names and values the kernel refuses fail with exit 1 and leave nothing" {
	run "$EGMFS" create vm0 --region socket9
	assert_failure 1
	assert_output "egmfs: vm0: region: No such device (no region socket9)"
	assert [ ! -e "$EGM_INST/vm0" ]
	run "$EGMFS" create vm0 --region socket1 --size 4M
	assert_success
	run "$EGMFS" create vm0 --region socket1
	assert_failure 1
	assert_output --partial "egmfs: vm0: create: File exists"
}

@test "7. egmfs: enable: overlap names the other instance; a failed create --enable leaves nothing" {
	"$EGMFS" create vm0 --region socket1 --size 4M --scrub none --enable
	run "$EGMFS" create vm1 --region socket1 --offset 2M --size 4M --enable
	assert_failure 1
	assert_output "egmfs: vm1: enable: Device or resource busy (extent overlaps vm0)"
	assert [ ! -e "$EGM_INST/vm1" ]

	"$EGMFS" create vm1 --region socket1 --offset 2M --size 4M
	run "$EGMFS" enable vm1
	assert_failure 1
	assert_output "egmfs: vm1: enable: Device or resource busy (extent overlaps vm0)"
	assert_equal "$(cat "$EGM_INST/vm1/enable")" 0
}

@test "7. egmfs: enable: an extent past the region and a missing instance are explained" {
	"$EGMFS" create big --region socket0 --offset 60M --size 8M
	run "$EGMFS" enable big
	assert_failure 1
	assert_output "egmfs: big: enable: Invalid argument (extent does not fit region socket0 of 67108864 bytes)"
	run "$EGMFS" enable nosuch
	assert_failure 1
	assert_output "egmfs: nosuch: enable: No such file or directory (no such instance)"
}

@test "7. egmfs: enable and disable are idempotent and publish/withdraw /dev/egmN" {
	"$EGMFS" create vm0 --region socket1 --size 1M
	run "$EGMFS" enable vm0
	assert_success
	local minor
	minor=$(inst_minor vm0)
	assert [ -c "/dev/egm$minor" ]
	run "$EGMFS" enable vm0
	assert_success
	assert_equal "$(inst_minor vm0)" "$minor"
	wait_state vm0 ready 60
	run "$EGMFS" disable vm0
	assert_success
	assert [ ! -e "/dev/egm$minor" ]
	assert_equal "$(cat "$EGM_INST/vm0/state")" disabled
	run "$EGMFS" disable vm0
	assert_success
}

@test "7. egmfs: scrub=zero: list shows the state going to ready" {
	# 8 chunks of 2 MiB at 1 s each: show runs well inside the scrub
	set_scrub_delay 1000000
	"$EGMFS" create vm0 --region socket1 --size 16M --enable
	run "$EGMFS" show vm0
	assert_success
	assert_line 'state:  scrubbing'
	assert_line --regexp '^scrub_progress: ([0-9]|[1-9][0-9]|100)$'
	set_scrub_delay 0
	wait_state vm0 ready 120
	run "$EGMFS" list
	assert_line --regexp '^vm0 .* ready +/dev/egm[0-9]+ +/dev/egm/vm0$'
}

@test "7. egmfs: disable, destroy and clear refuse an instance in use and say why" {
	"$EGMFS" create vm0 --region socket1 --size 4M --scrub none --enable
	"$EGMFS" create vm1 --region socket1 --offset 4M --size 4M --scrub none --enable
	bg_start h egm-io openhold "$(inst_dev vm0)"
	bg_wait h opened
	run "$EGMFS" disable vm0
	assert_failure 1
	assert_output "egmfs: vm0: disable: Device or resource busy (device is open or mapped)"
	run "$EGMFS" destroy vm0
	assert_failure 1
	assert_output "egmfs: vm0: destroy: Device or resource busy (device is open or mapped)"
	run "$EGMFS" clear
	assert_failure 1
	assert_output --partial "egmfs: vm0: destroy: Device or resource busy (device is open or mapped)"
	assert [ -d "$EGM_INST/vm0" ]
	assert [ ! -e "$EGM_INST/vm1" ]
	bg_stop h
	run "$EGMFS" destroy vm0
	assert_success
	assert [ ! -e "$EGM_INST/vm0" ]
}

@test "7. egmfs: destroy removes instances; clear removes all and is fine when empty" {
	"$EGMFS" create a --region socket1 --size 4M --scrub none --enable
	"$EGMFS" create b --region socket1 --offset 4M --size 4M
	"$EGMFS" create c --region socket0 --size 4M
	run "$EGMFS" destroy a
	assert_success
	assert [ ! -e "$EGM_INST/a" ]
	run "$EGMFS" destroy a
	assert_failure 1
	assert_output --partial "egmfs: a: destroy: No such file or directory"
	run "$EGMFS" clear
	assert_success
	run ls "$EGM_INST"
	assert_output ""
	run "$EGMFS" clear
	assert_success
}

@test "7. egmfs: sizes take K/M/G/T suffixes and hex, and are written in bytes" {
	run "$EGMFS" create vm0 --region socket1 --offset 0x100000 --size 1m
	assert_success
	assert_equal "$(cat "$EGM_INST/vm0/offset") $(cat "$EGM_INST/vm0/size")" "1048576 1048576"
	run "$EGMFS" create vm1 --region socket1 --size 1G --scrub none --enable
	assert_success
	assert_equal "$(cat "$EGM_INST/vm1/size")" 1073741824
}

@test "7. egmfs: retire writes to the region holding the address; outside any region fails" {
	EGM_RELOAD_IN_TEARDOWN=1
	run "$EGMFS" retire "$(s0pa 0x30000)"
	assert_success
	run cat "$EGM_REG/socket0/retired"
	assert_line "$(s0pa 0x30000) runtime"
	run "$EGMFS" retire $((EGM_S1_BASE + 0x123456))
	assert_success
	run cat "$EGM_REG/socket1/retired"
	assert_line "$(printf '0x%x' $((EGM_S1_BASE + 0x120000))) runtime"
	run "$EGMFS" retire 0x40000000
	assert_failure 1
	assert_output "egmfs: 0x40000000: retire: address is not in any EGM region"
}

@test "7. retired lists more blocks than fit in a page; egmfs save keeps them all" {
	EGM_RELOAD_IN_TEARDOWN=1
	local i pg n r=$EGM_REG/socket1
	# lines of 19 or 20 bytes ("0x800f0000 runtime" on x86, "0x1000f0000
	# runtime" on arm64): PAGE_SIZE/16 of them are more than a page (every
	# retire logs a console line: ~30 ms each under TCG)
	pg=$(page_size)
	n=$((pg / 16))
	for ((i = 0; i < n; i++)); do
		echo $((EGM_S1_BASE + (i << 16))) >"$r/retire"
	done
	run num_of "$r/retired_pages"
	assert_output $((n * 65536 / pg))
	# (configfs reports size 0 in stat: count what read(2) returns)
	assert [ "$(wc -c <"$r/retired")" -gt "$pg" ]
	run grep -c ' runtime$' "$r/retired"
	assert_output "$n"
	run tail -n 1 "$r/retired"
	assert_output "$(printf '0x%x runtime' $((EGM_S1_BASE + ((n - 1) << 16))))"
	run "$EGMFS" save "$F"
	assert_success
	# socket1's blocks: its base's leading hex digits, then any
	run grep -o "\"0x$(printf '%x' $((EGM_S1_BASE >> 28)))[0-9a-f]*\"" "$F"
	assert_equal "${#lines[@]}" "$n"
}

@test "7. egmfs: save: mode 0600, enabled instances by minor then disabled by name, runtime retirements" {
	EGM_RELOAD_IN_TEARDOWN=1
	"$EGMFS" create zz --region socket1 --size 4M --scrub none --enable
	"$EGMFS" create aa --region socket1 --offset 4M --size 4M --scrub none --enable
	"$EGMFS" create mm --region socket0 --size 4M
	"$EGMFS" create bb --region socket0 --size 4M
	"$EGMFS" retire "$(s0pa 0x40000)"
	run "$EGMFS" save "$F"
	assert_success
	run stat -c %a "$F"
	assert_output 600
	run grep -o '"name": "[a-z]*"' "$F"
	assert_output "$(printf '"name": "%s"\n' zz aa bb mm)"
	run grep -c "$(s0pa 0x40000)" "$F"
	assert_output 1
	# firmware blocks come back by themselves: not saved
	run grep -c "$(s0pa 0x10000)" "$F"
	assert_output 0
	run "$EGMFS" restore --dry-run "$F"
	assert_success
	run "$EGMFS" save -
	assert_success
	assert_output "$(cat "$F")"
}

@test "7. egmfs: save -> clear -> restore reproduces every rw attribute and minor; a second restore changes nothing" {
	"$EGMFS" create vm0 --region socket1 --size 4M --scrub none --owner 65534:65534 --mode 0660 --enable
	"$EGMFS" create vm1 --region socket1 --offset 4M --size 8M --enable
	"$EGMFS" create vm2 --region socket0 --offset 1M --size 2M
	"$EGMFS" create vm3 --region socket0 --offset 16M --size 0 --scrub none --enable
	wait_state vm1 ready 60
	local before after
	before=$(egm_tree)
	run "$EGMFS" save "$F"
	assert_success
	run "$EGMFS" clear
	assert_success
	assert_equal "$(egm_tree)" ""
	run "$EGMFS" -q restore "$F"
	assert_success
	assert_output ""
	after=$(egm_tree)
	assert_equal "$after" "$before"
	run stat -c '%u:%g %a' "$(inst_dev vm0)"
	assert_output "65534:65534 660"

	run "$EGMFS" restore --verbose "$F"
	assert_success
	assert_output ""
	assert_equal "$(egm_tree)" "$before"
}

@test "7. egmfs: restore re-applies saved retirements after a reload, before enabling" {
	EGM_RELOAD_IN_TEARDOWN=1
	"$EGMFS" create vm0 --region socket0 --size 4M --scrub none --enable
	"$EGMFS" retire "$(s0pa 0x60000)"
	"$EGMFS" save "$F"
	egm_reload
	run grep -c runtime "$EGM_REG/socket0/retired"
	assert_output 0
	run "$EGMFS" restore --verbose "$F"
	assert_success
	assert_line "retire socket0 $(s0pa 0x60000)"
	assert_line "enable vm0"
	run cat "$EGM_REG/socket0/retired"
	assert_line "$(s0pa 0x60000) runtime"
	assert_equal "$(cat "$EGM_INST/vm0/enable")" 1
}

@test "7. egmfs: restore fixes what differs, creates what is missing, reports (keeps) the rest" {
	"$EGMFS" create vm0 --region socket1 --size 4M --scrub none --enable
	"$EGMFS" create extra --region socket0 --size 1M
	cat > "$F" <<-'EOF'
	{"version": 1, "instances": [
	  {"name": "vm0", "region": "socket1", "size": "8M", "scrub": "none", "enable": true},
	  {"name": "vm1", "region": "socket1", "offset": "8M", "size": "4M", "mode": "0640",
	   "scrub": "none", "enable": true}]}
	EOF
	run "$EGMFS" restore --dry-run "$F"
	assert_success
	assert_line "would disable vm0"
	assert_line "would set vm0 size 8388608"
	assert_line "would create vm1"
	assert_equal "$(cat "$EGM_INST/vm0/size")" 4194304
	assert [ ! -e "$EGM_INST/vm1" ]

	run "$EGMFS" restore "$F"
	assert_success
	assert_line "egmfs: extra: restore: not in $F, left alone"
	assert_line "create vm1"
	assert_equal "$(cat "$EGM_INST/vm0/size") $(cat "$EGM_INST/vm0/enable")" "8388608 1"
	assert_equal "$(cat "$EGM_INST/vm1/mode") $(cat "$EGM_INST/vm1/enable")" "0640 1"
	assert [ -d "$EGM_INST/extra" ]
}

@test "7. egmfs: restore: an unknown region fails that instance only, and leaves no half-made one" {
	cat > "$F" <<-'EOF'
	{"version": 1, "instances": [
	  {"name": "gone", "region": "socket9", "size": "4M", "enable": true},
	  {"name": "vm0", "region": "socket1", "size": "4M", "scrub": "none", "enable": true}]}
	EOF
	run "$EGMFS" restore "$F"
	assert_failure 1
	assert_line "egmfs: gone: region: No such device (no region socket9)"
	assert [ ! -e "$EGM_INST/gone" ]
	assert_equal "$(cat "$EGM_INST/vm0/enable")" 1
}

@test "7. egmfs: restore leaves an instance in use alone, reports it and exits 1" {
	"$EGMFS" create vm0 --region socket1 --size 4M --scrub none --enable
	bg_start h egm-io openhold "$(inst_dev vm0)"
	bg_wait h opened
	printf '{"version": 1, "instances": [{"name": "vm0", "region": "socket1", "size": "8M", "enable": true}]}' > "$F"
	run "$EGMFS" restore "$F"
	assert_failure 1
	assert_output --partial "egmfs: vm0: restore: Device or resource busy (device is open or mapped; left as it is)"
	assert_equal "$(cat "$EGM_INST/vm0/size") $(cat "$EGM_INST/vm0/state")" "4194304 open"
	bg_stop h
}

@test "7. egmfs: restore of a bad file changes nothing and names the field" {
	"$EGMFS" create vm0 --region socket1 --size 4M --scrub none --enable
	local before
	before=$(egm_everything)
	local i0='{"name": "vm0", "region": "socket1", "size": 4194304, "enable": true}'
	local -a files=(
		'{"version": 1, "instances": ['
		'{"version": 2, "instances": []}'
		"{\"version\": 1, \"instances\": [$i0, {\"name\": \"vm1\", \"region\": \"socket1\", \"size\": \"12Q\"}]}"
		"{\"version\": 1, \"instances\": [$i0, $i0]}"
		'{"version": 1, "instances": [{"name": "vm1", "region": "socket1", "mode": "0999"}]}'
		'{"version": 1, "instances": [{"name": "vm1", "region": "socket1", "enable": "yes"}]}'
		"{\"version\": 1, \"instances\": [$i0], \"retired\": {\"socket0\": [\"$(s0pa 0x70000)\", \"nope\"]}}"
	)
	local -a msgs=(
		"line 1: unexpected end of file"
		"version: unsupported version 2 (expected 1)"
		'instances[1].size: invalid size "12Q"'
		'instances[1].name: duplicate name "vm0"'
		'instances[0].mode: invalid mode "0999"'
		"instances[0].enable: expected true or false"
		'retired.socket0[1]: invalid address "nope"'
	)
	local k
	for k in "${!files[@]}"; do
		printf '%s\n' "${files[k]}" > "$F"
		run "$EGMFS" restore "$F"
		assert_failure 1
		assert_output --partial "egmfs: $F: ${msgs[k]}"
		assert_equal "${#lines[@]}" 1
		assert_equal "$(egm_everything)" "$before"
	done
	run "$EGMFS" restore "$BATS_TEST_TMPDIR/missing.json"
	assert_failure 1
	assert_output --partial "read: No such file or directory"
}

@test "7. egmfs: a write error on stdout exits 1" {
	[[ -w /dev/full ]] || fail "no /dev/full in the guest (devtmpfs has one)"
	run bash -c "'$EGMFS' regions --json > /dev/full"
	assert_failure 1
	assert_output --partial "write failure on standard output"
}

@test "7. egmfs: list --json and show carry path, resolved size, pagesize and scrub progress from sysfs" {
	"$EGMFS" create vm0 --region socket1 --offset 2M --scrub none --enable
	local minor sys
	minor=$(inst_minor vm0)
	sys=$EGM_CLASS/egm$minor
	run "$EGMFS" list --json
	assert_success
	assert_output --partial '"path": "/dev/egm/vm0"'
	assert_output --partial "\"resolved_size\": $(cat "$sys/size")"
	assert_output --partial "\"pagesize\": $(cat "$sys/pagesize")"
	assert_output --partial '"scrub_progress": 100'
	if [[ -r $sys/cpu_node ]]; then
		assert_output --partial "\"cpu_node\": $(cat "$sys/cpu_node")"
	fi
	assert_equal "$(cat "$sys/size")" $(((1 << 30) - (2 << 20)))
	json_instances_ok "$output"
	run "$EGMFS" list --region socket0
	assert_success
	assert_output ""
	run "$EGMFS" show vm0
	assert_line "path:   /dev/egm/vm0"
	assert_line "resolved_size: $(((1 << 30) - (2 << 20))) (1022M)"
}

@test "7. egmfs: restore waits for each enabled instance's /dev/egm/<name>; a missing one fails after the bound" {
	rm -rf /dev/egm
	printf '{"version": 1, "instances": [{"name": "vm0", "region": "socket1", "size": "4M", "scrub": "none", "enable": true}]}' > "$F"
	# no udev in this guest: nobody makes the link
	run "$EGMFS" restore --wait --timeout 1 "$F"
	assert_failure 1
	assert_line "egmfs: vm0: restore: /dev/egm/vm0 is not its device node after 1 s (is udev running with 70-egm.rules?)"
	assert_equal "$(cat "$EGM_INST/vm0/enable")" 1
	# a stand-in for udev links the node a second later: restore waits
	local dev
	dev=$(inst_dev vm0)
	(sleep 1; mkdir -p /dev/egm; ln -s "$dev" /dev/egm/vm0) &
	run "$EGMFS" restore --wait --timeout 30 "$F"
	wait
	assert_success
	assert [ -L /dev/egm/vm0 ]
	rm -rf /dev/egm
}

@test "7. egmfs: cdi lists exactly the enabled instances with their real device numbers" {
	"$EGMFS" create vm0 --region socket1 --size 4M --scrub none --owner 65534:65534 --mode 0660 --enable
	"$EGMFS" create vm1 --region socket1 --offset 4M --size 4M
	local out=$BATS_TEST_TMPDIR/cdi/egm.json dev
	run "$EGMFS" cdi --output "$out"
	assert_success
	assert_output "wrote 1 device of kind nvidia.com/egm to $out"
	dev=$(cat "$EGM_INST/vm0/dev")
	run cat "$out"
	assert_output --partial '"kind": "nvidia.com/egm"'
	assert_output --partial '"name": "vm0"'
	refute_output --partial '"name": "vm1"'
	assert_output --partial '"path": "/dev/egm/vm0"'
	assert_output --partial "\"major\": ${dev%%:*},"
	assert_output --partial "\"minor\": ${dev##*:},"
	assert_output --partial '"fileMode": 432,'
	assert_output --partial '"uid": 65534,'
}

# qemu-args on all of socket0, which holds the firmware-retired blocks of
# the ACPI boot (S0_FW_OFFS). One device backs one memory object (one open
# at a time), so: without --gpu the one backend without prealloc=on and a
# note; with --gpu exit 1, nothing on stdout and the commands that cut the
# instance around the blocks (Documentation/admin-guide/egm.rst, "Keeping
# retired memory out of the guest") - which work: each piece holds no
# retired block and gets the plain options, prealloc=on included.
@test "7. egmfs: qemu-args around retired blocks: a note, or with --gpu the commands that cut the instance, which work" {
	[[ $EGM_BOOT == acpi ]] || skip "[boot] socket0 has firmware-retired blocks in the ACPI boot only"
	assert_equal "$(sort "$EGM_REG/socket0/retired")" "$(s0_fw_retired | sort)"
	"$EGMFS" create vm1 --region socket0 --scrub none --enable
	local size ps nb=${#S0_FW_OFFS[@]} rc=0 out=$BATS_TEST_TMPDIR/out err=$BATS_TEST_TMPDIR/err
	size=$(cat "$(inst_sys vm1)/size")
	ps=$(cat "$(inst_sys vm1)/pagesize")
	assert_equal "$ps" "$(egm_pagesize "$EGM_S0_BASE" "$size")"

	"$EGMFS" qemu-args vm1 > "$out" 2> "$err"
	assert_equal "$(cat "$out")" "-object memory-backend-file,id=egm-vm1,mem-path=/dev/egm/vm1,size=$size,align=$ps,share=on
-numa node,nodeid=0,memdev=egm-vm1"
	run cat "$err"
	assert_output --regexp "^egmfs: vm1: qemu-args: $nb retired blocks inside: .*the guest gets a memory error where it touches them; with a GPU \(VFIO\) cut the instance around them"
	assert_equal "${#lines[@]}" 1

	"$EGMFS" qemu-args vm1 --node 1 --gpu gpu0 > "$out" 2> "$err" || rc=$?
	assert_equal "$rc" 1
	assert_equal "$(cat "$out")" ""
	run cat "$err"
	assert_line --index 0 --partial "egmfs: vm1: qemu-args: it holds $nb retired blocks: VFIO cannot DMA-map an instance holding retired blocks"
	assert_output --partial "one open at a time"
	# the extents between 0x10000, 0x20000 (two blocks), 0x50000,
	# 0x2000000 and 0x3ff0000; with 2M pages a piece starts at the next
	# 2M boundary where it still holds 2M from there
	local p2=384K s2=32384K p3=32832K s3=32640K
	if ((ps == 2 << 20)); then
		p2=2M s2=30M p3=34M s3=30656K
	fi
	assert_equal "$(grep '^  egmfs ' "$err")" "  egmfs disable vm1
  egmfs destroy vm1
  egmfs create vm1-0 --region socket0 --offset 0 --size 64K --scrub none --enable
  egmfs create vm1-1 --region socket0 --offset 192K --size 128K --scrub none --enable
  egmfs create vm1-2 --region socket0 --offset $p2 --size $s2 --scrub none --enable
  egmfs create vm1-3 --region socket0 --offset $p3 --size $s3 --scrub none --enable
  egmfs qemu-args vm1-0 --node 1 --gpu gpu0
  egmfs qemu-args vm1-1 --node 2 --gpu gpu0
  egmfs qemu-args vm1-2 --node 3 --gpu gpu0
  egmfs qemu-args vm1-3 --node 4 --gpu gpu0"

	# run them as printed
	local cmd i sys
	while read -r cmd; do
		# shellcheck disable=SC2086 # the words of the printed command
		"$EGMFS" ${cmd#egmfs } > /dev/null
	done < <(sed -n 's/^  \(egmfs \(disable\|destroy\|create\) .*\)/\1/p' "$err")
	[[ ! -e $EGM_INST/vm1 ]]
	for i in 0 1 2 3; do
		sys=$(inst_sys "vm1-$i")
		expect_file "$EGM_INST/vm1-$i/state" ready
		run egm-io retired "$(inst_dev "vm1-$i")"
		assert_output "count=0"
		assert_equal "$(cat "$sys/pagesize")" "$(egm_pagesize \
			$((EGM_S0_BASE + $(cat "$EGM_INST/vm1-$i/offset"))) "$(cat "$sys/size")")"
		"$EGMFS" qemu-args "vm1-$i" --node $((i + 1)) --gpu gpu0 > "$out" 2> "$err"
		assert_equal "$(cat "$err")" ""
		assert_equal "$(cat "$out")" "-object memory-backend-file,id=egm-vm1-$i,mem-path=/dev/egm/vm1-$i,size=$(cat "$sys/size"),align=$(cat "$sys/pagesize"),share=on,prealloc=on
-numa node,nodeid=$((i + 1)),memdev=egm-vm1-$i
-object acpi-egm-memory,id=egm-vm1-$i-acpi,pci-dev=gpu0,node=$((i + 1))"
	done
	if ((ps == 2 << 20)); then
		assert_equal "$(cat "$(inst_sys vm1-2)/pagesize")" $((2 << 20))
		assert_equal "$(cat "$(inst_sys vm1-3)/pagesize")" $((2 << 20))
	fi
}
