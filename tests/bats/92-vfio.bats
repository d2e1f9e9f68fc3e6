#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# egm-boot: vfio
# Device DMA into an instance through VFIO type1, the path of every VM
# with a passed-through GPU (Documentation/admin-guide/egm.rst, "GPU
# passthrough"). Runs only in the VFIO boot (`make check-vfio`): a q35
# guest with an emulated Intel IOMMU (intel_iommu=on) and QEMU's edu PCI
# device, a DMA engine, at 0000:00:0a.0, bound to vfio-pci here; the
# initramfs also holds QEMU for an inner VM that takes edu with
# -device vfio-pci. egm-vfio (tests/helpers/egm-vfio.c) maps an instance,
# VFIO_IOMMU_MAP_DMAs it and moves data with edu's DMA engine.

load lib/egm

BDF=0000:00:0a.0
QMP=/tmp/qmp.sock
QPID=/tmp/qemu.pid
QLOG=/tmp/qemu.log

setup() {
	egm_setup
	R0=$EGM_CFS/regions/socket0
	edu_to_vfio
}

teardown() {
	qemu_kill
	trace_off
	egm_teardown
}

# edu_to_vfio: bind edu to vfio-pci (once per boot).
edu_to_vfio() {
	local d=/sys/bus/pci/devices/$BDF
	[[ -e $d/driver && $(basename "$(readlink "$d/driver")") == vfio-pci ]] && return 0
	[[ -e $d/driver ]] && echo "$BDF" > "$d/driver/unbind"
	echo vfio-pci > "$d/driver_override"
	echo "$BDF" > /sys/bus/pci/drivers_probe
	[[ $(basename "$(readlink "$d/driver")") == vfio-pci ]]
}

# clean_extents REGION: the region's extents free of retired blocks, one
# "OFFSET SIZE" line each (hex, region relative), largest first.
clean_extents() {
	local r=$EGM_CFS/regions/$1 base size prev=0 b
	base=$(($(cat "$r/base")))
	size=$(($(cat "$r/size")))
	{
		while read -r b _; do
			b=$((b - base))
			((b > prev)) && echo "$((b - prev)) $prev"
			prev=$((b + 0x10000))
		done < <(sort "$r/retired")
		((size > prev)) && echo "$((size - prev)) $prev"
	} | sort -rn | while read -r s o; do printf '0x%x 0x%x\n' "$o" "$s"; done
}

# first_retired REGION: region-relative offset of its first retired block.
first_retired() {
	local r=$EGM_CFS/regions/$1 b
	b=$(sort "$r/retired" | head -n1 | cut -d' ' -f1)
	[[ -n $b ]] && printf '0x%x\n' $((b - $(cat "$r/base")))
}

expect_dma_ok() { # egm-vfio output: map ok, three transfers ok
	assert_success
	assert_line --index 0 "map ok"
	assert_equal "$(grep -c '^dma .* ok$' <<< "$output")" 3
}

pid_gone() {
	[[ ! -e /proc/$1/status ]] || grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null
}

# qemu_vfio SIZE MEMDEV-OPTIONS...: an inner VM (pc, TCG) with edu through
# -device vfio-pci, stopped (-S), QMP on $QMP; stderr in $QLOG.
qemu_vfio() {
	local size=$1
	shift
	rm -f "$QMP" "$QPID" "$QLOG"
	qemu-system-x86_64 -accel tcg -machine pc -m "$size" "$@" \
		-device "vfio-pci,host=$BDF,rombar=0" -S \
		-qmp "unix:$QMP,server=on,wait=off" -nodefaults -display none \
		-daemonize -pidfile "$QPID" 2> "$QLOG"
}

qemu_kill() {
	local pid i
	[[ -s $QPID ]] || return 0
	pid=$(cat "$QPID")
	kill "$pid" 2>/dev/null || return 0
	for ((i = 0; i < 200; i++)); do
		pid_gone "$pid" && return 0
		egm_nap
	done
	kill -9 "$pid" 2>/dev/null || true
}

# qemu_quit: QMP quit, then wait (60 s) until the process is gone.
qemu_quit() {
	local pid i
	pid=$(cat "$QPID")
	egm-qmp "$QMP" '{"execute": "quit"}' || return 1
	for ((i = 0; i < 1200; i++)); do
		pid_gone "$pid" && return 0
		egm_nap
	done
	echo "QEMU $pid still running 60 s after quit" >&2
	return 1
}

TRACE=/sys/kernel/debug/tracing
trace_off() {
	[[ -w $TRACE/current_tracer ]] || return 0
	echo nop > "$TRACE/current_tracer"
	echo > "$TRACE/set_ftrace_filter"
}

@test "harness: q35 with an IOMMU; edu at $BDF alone in its group, on vfio-pci; both regions found" {
	assert_equal "$(cat /sys/bus/pci/devices/$BDF/vendor):$(cat /sys/bus/pci/devices/$BDF/device)" "0x1234:0x11e8"
	assert_equal "$(basename "$(readlink /sys/bus/pci/devices/$BDF/driver)")" vfio-pci
	run ls "/sys/bus/pci/devices/$BDF/iommu_group/devices"
	assert_output "$BDF"
	grep -q 'DMAR' /sys/firmware/acpi/tables/DMAR 2>/dev/null || fail "no DMAR table"
	# socket1 lies above 4 GiB: read whole only from a revision 2 DSDT
	expect_file "$EGM_CFS/regions/socket0/base" "$((EGM_S0_BASE))"
	expect_file "$EGM_CFS/regions/socket1/base" "$((EGM_S1_BASE))"
}

@test "type1: edu DMAs both ways through a socket1 instance (no struct pages)" {
	make_ready v1 socket1 0 32M
	run egm-vfio dma "$(inst_dev v1)" "$BDF" 0 32M
	expect_dma_ok
}

@test "type1: edu DMAs both ways through a socket0 instance (struct pages), clear of retired blocks" {
	local off size end
	read -r off size < <(clean_extents socket0 | head -n1)
	end=$((off + size))
	off=$(((off + 0x1fffff) & ~0x1fffff))
	((end - off >= 16 << 20)) || fail "the layout has no 16 MiB retired-free extent in socket0"
	make_ready v0 socket0 "$off" 16M
	run egm-vfio dma "$(inst_dev v0)" "$BDF" 0 16M
	expect_dma_ok
}

@test "type1: after unmap and close, the hand-over scrub zeroes what the device wrote" {
	make_ready v1 socket1 0 32M
	run egm-vfio dma "$(inst_dev v1)" "$BDF" 0 32M
	expect_dma_ok
	wait_state v1 ready 120
	run egm-io check "$(inst_dev v1)" 0 32M zero
	assert_output ok
}

@test "type1: with scrub=none the device's data stays (the scrub case above is not vacuous)" {
	make_ready v1 socket1 0 32M scrub=none
	run egm-vfio dma "$(inst_dev v1)" "$BDF" 0 32M
	expect_dma_ok
	run egm-io check "$(inst_dev v1)" $((32 * 1024 * 1024 - 4000)) 4000 zero
	assert_failure
	assert_output --partial mismatch
}

@test "type1: a range holding a retired block → VFIO_IOMMU_MAP_DMA EFAULT; the range after it maps and DMAs" {
	local b off size
	b=$(first_retired socket0)
	[[ -n $b ]] || fail "socket0 should carry firmware-retired blocks"
	make_ready v0 socket0 0 0 scrub=none
	run egm-vfio map "$(inst_dev v0)" "$BDF" 0 "$(cat "$R0/size")"
	assert_failure
	assert_output "map errno=EFAULT"
	# just the block itself
	run egm-vfio map "$(inst_dev v0)" "$BDF" "$b" 0x10000
	assert_output "map errno=EFAULT"
	# the largest retired-free extent: mapped and moved through
	read -r off size < <(clean_extents socket0 | head -n1)
	((size >= 4 << 20)) || fail "the layout has no 4 MiB retired-free extent in socket0"
	run egm-vfio dma "$(inst_dev v0)" "$BDF" "$off" "$size"
	expect_dma_ok
}

@test "iommufd: measured - this kernel has none (Debian builds without CONFIG_IOMMUFD)" {
	run egm-vfio iommufd
	assert_failure
	assert_output "iommufd errno=ENOENT"
	[[ ! -e /sys/module/iommufd ]]
	run find /lib/modules/ -name 'iommufd.ko*'
	assert_output ""
}

@test "QEMU: -device vfio-pci with an instance as RAM starts (-S, QMP query-status), no vfio_dma_map error" {
	make_ready v1 socket1 0 64M
	qemu_vfio 64M -machine memory-backend=m0 \
		-object "memory-backend-file,id=m0,mem-path=$(inst_dev v1),size=64M,share=on,align=2M"
	run egm-qmp "$QMP" '{"execute": "query-status"}'
	assert_success
	assert_output --partial '"status": "prelaunch"'
	run cat "$QLOG"
	refute_output --partial vfio_dma_map
	qemu_quit
}

@test "QEMU: an instance holding a retired block fails vfio-pci's DMA map (EFAULT, the VM does not start)" {
	local size
	size=$(cat "$R0/size")
	make_ready v0 socket0 0 0
	run qemu_vfio "${size}b" -machine memory-backend=m0 \
		-object "memory-backend-file,id=m0,mem-path=$(inst_dev v0),size=$size,share=on,align=2M"
	assert_failure
	run cat "$QLOG"
	# the message, for the console log (Documentation/admin-guide/egm.rst)
	sed 's/^/egm-92-vfio: /' "$QLOG" > /dev/kmsg
	assert_output --partial "vfio_dma_map"
	assert_output --partial "Bad address"
}

@test "QEMU: split around a retired block - the two instances beside it as two backends start with vfio-pci; 7.2 has no offset=" {
	local o s mid
	read -r o s < <(clean_extents socket0 | head -n1)
	((s >= 8 << 20)) || fail "the layout has no 8 MiB retired-free extent in socket0"
	# a block retired in the middle: instances a and b lie on its sides
	EGM_RELOAD_IN_TEARDOWN=1
	mid=$(((o + s / 2) & ~0xffff))
	echo "$(s0pa "$mid")" > "$R0/retire"
	make_ready c socket0 $((mid - (1 << 20))) 2M
	run egm-vfio map "$(inst_dev c)" "$BDF" 0 2M
	assert_output "map errno=EFAULT"
	disable_instance c
	make_ready a socket0 $((mid - (2 << 20))) 2M
	make_ready b socket0 $((mid + 0x10000)) 2M
	qemu_vfio 4M \
		-object "memory-backend-file,id=m0,mem-path=$(inst_dev a),size=2M,share=on" \
		-object "memory-backend-file,id=m1,mem-path=$(inst_dev b),size=2M,share=on" \
		-numa node,nodeid=0,memdev=m0 -numa node,nodeid=1,memdev=m1
	run egm-qmp "$QMP" '{"execute": "query-status"}'
	assert_output --partial '"status": "prelaunch"'
	qemu_quit
	# offset= on one file needs QEMU 8.x or later (egmfs never prints it:
	# several backends on one device would need several opens)
	run qemu-system-x86_64 -machine none -nodefaults -display none \
		-object "memory-backend-file,id=m0,mem-path=$(inst_dev a),size=1M,offset=0x100000,share=on"
	assert_failure
	assert_output --partial "offset"
}

# Measured, not promised by any contract (Documentation/admin-guide/egm.rst,
# "GPU passthrough", "At VM exit"): the exiting QEMU's files are released
# after exit_mm, highest descriptor first, and the vfio device fd is
# newer than the memory backend's.
@test "QEMU exit, measured: vfio closes (resets) the device before /dev/egmN's last close starts the scrub" {
	[[ -w $TRACE/set_ftrace_filter ]] || skip "[kernel] no ftrace"
	grep -qx vfio_pci_core_close_device "$TRACE/available_filter_functions" ||
		grep -q '^vfio_pci_core_close_device ' "$TRACE/available_filter_functions" ||
		skip "[kernel] vfio_pci_core_close_device not traceable"
	make_ready v1 socket1 0 64M
	echo > "$TRACE/trace"
	printf '%s\n' egm_release vfio_pci_core_close_device > "$TRACE/set_ftrace_filter"
	echo function > "$TRACE/current_tracer"
	qemu_vfio 64M -machine memory-backend=m0 \
		-object "memory-backend-file,id=m0,mem-path=$(inst_dev v1),size=64M,share=on,align=2M"
	egm-qmp "$QMP" '{"execute": "query-status"}'
	qemu_quit
	echo 0 > "$TRACE/tracing_on"
	run grep -oE 'egm_release|vfio_pci_core_close_device' "$TRACE/trace"
	echo 1 > "$TRACE/tracing_on"
	assert_output "vfio_pci_core_close_device
egm_release"
}
