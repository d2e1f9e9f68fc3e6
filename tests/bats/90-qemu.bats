#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# egm-boot: qemu
# A real client: Debian's qemu-system-x86_64, inside the test guest, maps an
# instance as its RAM (memory-backend-file on /dev/egmN, share=on,
# prealloc=on) - as the admin guide (Documentation/admin-guide/egm.rst
# "Running QEMU") and egmfs qemu-args tell operators to run it.
# Runs only in the qemu boot (`make check-qemu`), whose initramfs also holds
# QEMU, its libraries and its TCG accelerator module, and egm-qmp.
# QEMU writes with `-device loader` (placed in guest RAM at reset) and reads
# with the monitor's `xp` over QMP.

load lib/egm

QMP=/tmp/qmp.sock
QPID=/tmp/qemu.pid

setup() {
	# check-qemu puts QEMU in this boot's initramfs: missing is a failure
	command -v qemu-system-x86_64 >/dev/null ||
		fail "no qemu-system-x86_64 in this guest (check-qemu must provide it)"
	egm_setup
	head -c 8192 /dev/urandom > /tmp/pattern
}

teardown() {
	qemu_kill
	rm -rf /dev/egm
	egm_teardown
}

# qemu_start DEV: QEMU with 64 MiB of RAM from DEV; /tmp/pattern is loaded
# at guest physical 1 MiB.
qemu_start() {
	rm -f "$QMP" "$QPID"
	qemu-system-x86_64 -machine none,memory-backend=m0 -m 64M \
		-object "memory-backend-file,id=m0,mem-path=$1,size=64M,share=on,prealloc=on,align=2M" \
		-device loader,file=/tmp/pattern,addr=0x100000,force-raw=on \
		-qmp "unix:$QMP,server=on,wait=off" -nodefaults -display none \
		-daemonize -pidfile "$QPID"
}

# qemu_pc SIZE OPTION...: a stopped (-S) pc machine with SIZE of RAM, the
# options given and a blank 64 KiB BIOS (-S never runs it, and this guest
# has no firmware files); QMP on $QMP.
qemu_pc() {
	local size=$1
	shift
	head -c 65536 /dev/zero > /tmp/bios.bin
	rm -f "$QMP" "$QPID"
	qemu-system-x86_64 -machine pc -m "$size" -bios /tmp/bios.bin \
		-nodefaults -display none -S -qmp "unix:$QMP,server=on,wait=off" \
		-daemonize -pidfile "$QPID" "$@"
}

# expect_prelaunch: the QEMU of qemu_pc answers QMP, stopped before start.
expect_prelaunch() {
	run egm-qmp "$QMP" '{"execute": "query-status"}'
	assert_success
	assert_output --partial '"status": "prelaunch"'
}

qemu_pid() {
	cat "$QPID"
}

# qmp_hmp COMMAND: a human monitor command over QMP; prints the reply line.
qmp_hmp() {
	egm-qmp "$QMP" "{\"execute\": \"human-monitor-command\", \"arguments\": {\"command-line\": \"$1\"}}"
}

# qemu_quit: QMP quit, then wait (30 s) until the process is gone.
qemu_quit() {
	local pid i
	pid=$(qemu_pid)
	egm-qmp "$QMP" '{"execute": "quit"}' || return 1
	for ((i = 0; i < 600; i++)); do
		pid_gone "$pid" && return 0
		egm_nap
	done
	echo "QEMU $pid still running 30 s after quit" >&2
	return 1
}

qemu_kill() {
	local pid i
	[[ -s $QPID ]] || return 0
	pid=$(qemu_pid)
	kill "$pid" 2>/dev/null || return 0
	for ((i = 0; i < 200; i++)); do
		pid_gone "$pid" && return 0
		egm_nap
	done
	kill -9 "$pid" 2>/dev/null || true
}

# expect_mapped DEV: QEMU has DEV mapped shared and writable; sets $output
# to the maps line.
expect_mapped() {
	local maps
	maps=$(cat "/proc/$(qemu_pid)/maps") || return 1
	output=$(grep -E "^[0-9a-f]+-[0-9a-f]+ rw-s [0-9a-f]+ .* $1\$" <<< "$maps") && return 0
	echo "no rw-s mapping of $1 in QEMU $(qemu_pid):" >&2
	grep -E ' /dev/' <<< "$maps" >&2
	ls -l /dev/egm* >&2
	return 1
}

# pid_gone PID: the process has exited (a zombie counts as gone: the
# daemonized QEMU is reparented to /init).
pid_gone() {
	[[ ! -e /proc/$1/status ]] || grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null
}

# The first two 64-bit words of /tmp/pattern as xp prints them.
pattern_words() {
	od -An -tx8 -N16 /tmp/pattern | awk '{ printf "0x%s 0x%s", $1, $2 }'
}

@test "qemu: QEMU maps a scrub=none instance; its writes reach the device and survive it" {
	make_ready vm0 socket1 0 64M scrub=none
	local dev
	dev=$(inst_dev vm0)

	run qemu_start "$dev"
	assert_success

	# QEMU has the device mapped shared and writable, all 64 MiB
	expect_mapped "$dev"
	local start end
	start=$((16#${output%%-*}))
	end=${output#*-}
	end=$((16#${end%% *}))
	assert_equal "$((end - start))" "$((64 << 20))"

	# what QEMU's loader wrote is in QEMU's RAM ...
	run qmp_hmp "xp /2xg 0x100000"
	assert_success
	assert_output --partial "0000000000100000: $(pattern_words)"

	# while QEMU holds the instance, nobody else can open it
	run egm-io open "$dev"
	assert_output errno=EBUSY

	run qemu_quit
	assert_success

	# after QEMU is gone the data stays (scrub=none) and reads back intact
	expect_file "$EGM_INST/vm0/state" ready
	dd if="$dev" bs=4096 skip=256 count=2 status=none > /tmp/back
	run cmp /tmp/back /tmp/pattern
	assert_success
}

@test "qemu: with scrub=zero the data QEMU wrote is gone after it exits" {
	make_ready vm1 socket1 64M 64M scrub=zero
	local dev
	dev=$(inst_dev vm1)

	run qemu_start "$dev"
	assert_success
	expect_mapped "$dev"
	run qmp_hmp "xp /2xg 0x100000"
	assert_success
	assert_output --partial "0000000000100000: $(pattern_words)"

	# slow the scrub down so that "scrubbing" is observable
	set_scrub_delay 100000
	run qemu_quit
	assert_success
	wait_file_value "$EGM_INST/vm1/state" scrubbing 10
	set_scrub_delay 0
	wait_state vm1 ready 60

	run egm-io check "$dev" 0x100000 8K zero read
	assert_output ok
	run egm-io check "$dev" 0 64M zero
	assert_output ok
}

# egmfs qemu-args (Documentation/admin-guide/egm.rst, "QEMU"): QEMU starts
# with exactly the options it prints, mapping the instance through the
# udev link (made by hand here: no udevd in this guest).
@test "qemu: QEMU starts with exactly the options of egmfs qemu-args" {
	[[ -x /usr/sbin/egmfs ]] || fail "egmfs is not installed in the guest"
	make_ready vm0 socket1 0 64M scrub=none
	local dev args
	dev=$(inst_dev vm0)
	mkdir -p /dev/egm
	ln -sf "$dev" /dev/egm/vm0
	args=$(/usr/sbin/egmfs qemu-args vm0)
	assert_equal "$(wc -l <<< "$args")" 2
	# shellcheck disable=SC2086 # the options are split on purpose
	run qemu_pc 64M $args
	assert_success
	expect_mapped "$dev"
	expect_prelaunch
	run qemu_quit
	assert_success
}

# An instance holding retired blocks (all of socket0 in the ACPI boot,
# S0_FW_OFFS) is given to QEMU whole or not at all: the device allows one
# open. Without --gpu qemu-args prints the one backend without
# prealloc=on, which starts; with prealloc=on QEMU touches every page at
# start-up and fails on the retired blocks.
@test "qemu: qemu-args on an instance with retired blocks: one backend without prealloc=on, which starts (prealloc=on fails)" {
	[[ -x /usr/sbin/egmfs ]] || fail "egmfs is not installed in the guest"
	[[ $EGM_BOOT == acpi ]] || skip "[boot] socket0 has firmware-retired blocks in the ACPI boot only"
	make_ready vm1 socket0 0 0 scrub=none
	local dev size args
	dev=$(inst_dev vm1)
	size=$(cat "$(inst_sys vm1)/size")
	mkdir -p /dev/egm
	ln -sf "$dev" /dev/egm/vm1
	args=$(/usr/sbin/egmfs qemu-args vm1 2> /tmp/qemu-args.err)
	run cat /tmp/qemu-args.err
	assert_output --partial "egmfs: vm1: qemu-args: ${#S0_FW_OFFS[@]} retired blocks inside: "
	assert_equal "$(wc -l <<< "$args")" 2
	[[ $args != *prealloc* ]] || fail "prealloc=on for an instance with retired blocks: $args"
	# shellcheck disable=SC2086 # the options are split on purpose
	run qemu_pc "${size}b" $args
	assert_success
	expect_mapped "$dev"
	expect_prelaunch
	run qemu_quit
	assert_success
	# measured: the same with prealloc=on does not start
	# shellcheck disable=SC2086 # the options are split on purpose
	run qemu_pc "${size}b" ${args/share=on/share=on,prealloc=on}
	printf 'egm-90-qemu: %s\n' "${lines[@]}" > /dev/kmsg
	assert_failure
	assert_output --partial "prealloc"
}

# With --gpu, qemu-args refuses such an instance and prints the egmfs
# commands that cut it around the blocks (checked line by line in
# egmfs.bats); run as printed, QEMU starts with the qemu-args of the
# pieces, one backend and guest node each, every one mapped (without
# --gpu here: Debian's QEMU has no acpi-egm-memory and this guest no
# IOMMU; 92-vfio.bats starts vfio-pci on two such pieces).
@test "qemu: qemu-args --gpu on an instance with retired blocks prints the cut; QEMU starts on the pieces" {
	[[ -x /usr/sbin/egmfs ]] || fail "egmfs is not installed in the guest"
	[[ $EGM_BOOT == acpi ]] || skip "[boot] socket0 has firmware-retired blocks in the ACPI boot only"
	make_ready vm1 socket0 0 0 scrub=none
	local rc=0 cmd name names=() args=() words total=0 i
	/usr/sbin/egmfs qemu-args vm1 --gpu gpu0 > /tmp/qemu-args.out 2> /tmp/qemu-args.err || rc=$?
	assert_equal "$rc" 1
	assert_equal "$(cat /tmp/qemu-args.out)" ""
	run cat /tmp/qemu-args.err
	assert_line --index 0 --partial "egmfs: vm1: qemu-args: it holds ${#S0_FW_OFFS[@]} retired blocks: VFIO cannot DMA-map"
	while read -r cmd; do
		# shellcheck disable=SC2086 # the words of the printed command
		/usr/sbin/egmfs ${cmd#egmfs } > /dev/null
	done < <(sed -n 's/^  \(egmfs \(disable\|destroy\|create\) .*\)/\1/p' /tmp/qemu-args.err)
	[[ ! -e $EGM_INST/vm1 ]]
	mapfile -t names < <(sed -n 's/^  egmfs create \([^ ]*\) .*/\1/p' /tmp/qemu-args.err)
	assert_equal "${#names[@]}" 4
	mkdir -p /dev/egm
	while read -r cmd; do
		name=$(cut -d' ' -f3 <<< "$cmd")
		ln -sf "$(inst_dev "$name")" "/dev/egm/$name"
		total=$((total + $(cat "$(inst_sys "$name")/size")))
		# shellcheck disable=SC2086 # the words of the printed command
		read -ra words <<< "$(/usr/sbin/egmfs ${cmd#egmfs } | tr '\n' ' ')"
		args+=("${words[@]}")
	done < <(sed -n 's/^  \(egmfs qemu-args .*\) --gpu gpu0$/\1/p' /tmp/qemu-args.err)
	assert_equal "$(printf '%s\n' "${args[@]}" | grep -c 'prealloc=on')" 4
	run qemu_pc "${total}b" "${args[@]}"
	assert_success
	for name in "${names[@]}"; do
		expect_mapped "$(inst_dev "$name")"
	done
	expect_prelaunch
	run qemu_quit
	assert_success
	for ((i = 0; i < 4; i++)); do
		expect_file "$EGM_INST/vm1-$i/state" ready
	done
}
