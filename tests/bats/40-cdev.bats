#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# sysfs (Documentation/ABI/testing/sysfs-class-egm) and the character
# device (Documentation/userspace-api/egm.rst): devnode owner/mode, uevent,
# exclusive open, mmap rules, read/write/lseek, isolation between instances.

load lib/egm

@test "3. sysfs attributes of an instance on socket1" {
	make_ready vm0 socket1 4M 8M
	local s
	s=$(inst_sys vm0)
	expect_file "$s/instance" vm0
	expect_file "$s/region" socket1
	expect_file "$s/pxm" "$EGM_S1_PXM"
	expect_file "$s/numa_node" "$EGM_S1_NODE"
	expect_file "$s/cpu_node" "$EGM_S1_CPU_NODE"
	expect_file "$s/offset" "$((4 << 20))"
	expect_file "$s/size" "$((8 << 20))"
	expect_file "$s/egm_size" 0x800000
	expect_file "$s/gpu_devices" "$(lines $EGM_S1_GPUS)"
	run num_of "$s/base"; assert_output "$((EGM_S1_BASE + (4 << 20)))"
	expect_file "$s/state" ready
	expect_file "$s/scrub_progress" 100
	expect_file "$s/retired_pages" 0
	expect_file "$s/dev" "$(cat "$EGM_INST/vm0/dev")"
	run cat "$s/pagesize"
	assert_output "$(egm_pagesize $((EGM_S1_BASE + (4 << 20))) $((8 << 20)))"
}

@test "3. sysfs modes: base 0400, the others 0444" {
	make_ready vm0 socket1 0 1M
	local s a
	s=$(inst_sys vm0)
	run egm-io stat "$s/base"
	assert_output --partial "mode=0400"
	for a in instance region pxm numa_node cpu_node offset size state scrub_progress \
		retired_pages pagesize gpu_devices egm_size; do
		run egm-io stat "$s/$a"
		assert_output --partial "mode=0444"
	done
}

@test "3. sysfs numa_node/pxm of a socket0 instance" {
	make_ready vm0 socket0 0x100000 1M
	local s
	s=$(inst_sys vm0)
	expect_file "$s/pxm" 0
	expect_file "$s/numa_node" "$EGM_S0_NODE"
	expect_file "$s/cpu_node" "$EGM_S0_CPU_NODE"
	expect_file "$s/region" socket0
	run num_of "$s/base"; assert_output "$((EGM_S0_BASE + 0x100000))"
}

@test "9. pagesize: base pages on 6.1; PMD/PUD by alignment and size on 6.12+" {
	local pg
	pg=$(page_size)
	make_ready a socket1 0 1G scrub=none
	make_ready b socket0 "$pg" 4M scrub=none
	# 1 GiB aligned: PUD on x86_64, PMD on arm64 (6.12+), else PAGE_SIZE
	expect_file "$(inst_sys a)/pagesize" "$(egm_pagesize "$EGM_S1_BASE" $((1 << 30)))"
	if (($(kernel_version_num) >= 612)); then
		refute [ "$(cat "$(inst_sys a)/pagesize")" = "$pg" ]
	fi
	# misaligned base: PAGE_SIZE everywhere
	expect_file "$(inst_sys b)/pagesize" "$pg"
	disable_instance b
	# PMD aligned but smaller than a PMD: PAGE_SIZE
	echo $((pg * pg / 8)) > "$EGM_INST/b/offset"
	echo $((pg * pg / 16)) > "$EGM_INST/b/size"
	enable_instance b
	expect_file "$(inst_sys b)/pagesize" "$pg"
}

@test "3. uevent carries EGM_INSTANCE and EGM_PXM" {
	make_ready vm-7.x socket1 0 1M
	local s m
	s=$(inst_sys vm-7.x)
	m=$(inst_minor vm-7.x)
	run cat "$s/uevent"
	assert_line "EGM_INSTANCE=vm-7.x"
	assert_line "EGM_PXM=$EGM_S1_PXM"
	assert_line "DEVNAME=egm$m"
	assert_line "MINOR=$m"
}

@test "3. one symlink per describing firmware device and per GPU (none in the param boot)" {
	make_ready a socket0 0x100000 1M
	make_ready b socket1 0 1M
	local sa sb d
	sa=$(inst_sys a)
	sb=$(inst_sys b)
	if [[ ${EGM_BOOT:-acpi} == param ]]; then
		run bash -c "find $sa/ $sb/ -maxdepth 1 -type l ! -name subsystem"
		assert_output ""
		return
	fi
	for d in $(region_devices 0); do
		assert [ "$(readlink -f "$sa/$d")" = "$(readlink -f "/sys/bus/acpi/devices/$d")" ]
		assert [ ! -e "$sb/$d" ]
	done
	for d in $(region_devices 1); do
		assert [ "$(readlink -f "$sb/$d")" = "$(readlink -f "/sys/bus/acpi/devices/$d")" ]
		assert [ ! -e "$sa/$d" ]
	done
	for d in $EGM_S1_GPUS; do
		assert [ "$(readlink -f "$sb/$d")" = "$(readlink -f "/sys/bus/pci/devices/$d")" ]
	done
	# exactly those links (and the class device's own)
	run bash -c "find $sb/ -maxdepth 1 -type l ! -name subsystem | wc -l"
	assert_output "$(wc -w <<<"$(region_devices 1) $EGM_S1_GPUS")"
}

@test "3. devnode: default root:root 0600 char device with the instance's dev_t" {
	make_ready vm0 socket1 0 1M
	expect_out "uid=0 gid=0 mode=0600 type=char rdev=$(cat "$EGM_INST/vm0/dev")" egm-io stat "$(inst_dev vm0)"
}

@test "3. devnode: owner and mode from uid/gid/mode; nobody can open and query it" {
	make_ready vm0 socket1 0 1M uid=65534 gid=65534 mode=0660
	local d
	d=$(inst_dev vm0)
	run egm-io stat "$d"
	assert_output --partial "uid=65534 gid=65534 mode=0660 type=char"
	expect_out ok egm-io --as 65534:65534 open "$d"
	run egm-io --as 65534:65534 info "$d"
	assert_success
	assert_line "size=$((1 << 20))"
	expect_out ok egm-io --as 65534:65534 fill "$d" 0 64K addr
}

@test "3. devnode: a default (root 0600) node refuses nobody with EACCES" {
	make_ready vm0 socket1 0 1M
	run egm-io --as 65534:65534 open "$(inst_dev vm0)"
	assert_failure
	assert_output errno=EACCES
	# group access by mode
	disable_instance vm0
	echo 1234 > "$EGM_INST/vm0/uid"
	echo 65534 > "$EGM_INST/vm0/gid"
	echo 0640 > "$EGM_INST/vm0/mode"
	enable_instance vm0
	wait_state vm0 ready
	expect_out ok egm-io --as 65534:65534 open "$(inst_dev vm0)" rdonly
	expect_out errno=EACCES egm-io --as 65534:65534 open "$(inst_dev vm0)"
}

@test "4. exclusive open: a second open → EBUSY (also O_RDONLY, O_NONBLOCK)" {
	make_ready vm0 socket1 0 1M
	local d
	d=$(inst_dev vm0)
	bg_start h egm-io openhold "$d"
	bg_wait h '^opened$'
	expect_out errno=EBUSY egm-io open "$d"
	expect_out errno=EBUSY egm-io open "$d" rdonly
	expect_out errno=EBUSY egm-io open "$d" nonblock
	expect_file "$EGM_INST/vm0/state" open
	expect_file "$(inst_sys vm0)/state" open
	bg_stop h
	wait_state vm0 ready
	expect_out ok egm-io open "$d"
}

@test "4. exclusive open also while a mapping outlives its fd" {
	make_ready vm0 socket1 0 1M
	local d
	d=$(inst_dev vm0)
	bg_start h egm-io hold "$d" 0 1M
	bg_wait h '^mapped$'
	expect_out errno=EBUSY egm-io open "$d"
	expect_file "$EGM_INST/vm0/state" open
	bg_stop h
	wait_state vm0 ready
	expect_out ok egm-io open "$d"
}

@test "2. disable and rmdir while open → EBUSY; both work after close" {
	make_ready vm0 socket1 0 1M
	bg_start h egm-io openhold "$(inst_dev vm0)"
	bg_wait h '^opened$'
	expect_errno EBUSY "$EGM_INST/vm0/enable" 0
	run rmdir "$EGM_INST/vm0"
	assert_failure
	assert_output --partial "$(errno_msg EBUSY)"
	assert [ -d "$EGM_INST/vm0" ]
	assert_equal "$(cat "$EGM_INST/vm0/enable")" 1
	bg_stop h
	disable_instance vm0
	rmdir "$EGM_INST/vm0"
	assert [ ! -e "$EGM_INST/vm0" ]
}

@test "2. disable and rmdir while only mapped (fd closed) → EBUSY" {
	make_ready vm0 socket1 0 1M
	bg_start h egm-io hold "$(inst_dev vm0)" 0 64K
	bg_wait h '^mapped$'
	expect_errno EBUSY "$EGM_INST/vm0/enable" 0
	run rmdir "$EGM_INST/vm0"
	assert_failure
	assert_output --partial "$(errno_msg EBUSY)"
	bg_stop h
	disable_instance vm0
	assert_equal "$(cat "$EGM_INST/vm0/state")" disabled
}

@test "4. fork shares the open and the mapping" {
	make_ready vm0 socket1 0 1M
	run egm-io fork-shared "$(inst_dev vm0)" $((3 * $(page_size)))
	assert_success
	assert_line words=2
	assert_line ok
}

@test "4. mmap: MAP_PRIVATE → EINVAL; MAP_SHARED of an O_RDONLY fd is allowed" {
	make_ready vm0 socket1 0 1M
	local d
	d=$(inst_dev vm0)
	expect_out errno=EINVAL egm-io mmap "$d" 0 64K private
	expect_out ok egm-io mmap "$d" 0 64K ro
	expect_out ok egm-io mmap "$d" 0 64K shared
	# PROT_WRITE on a read-only fd is the kernel's EACCES
	expect_out errno=EACCES egm-io mmap "$d" 0 64K ro-write
}

@test "4. mmap: past the end or overflowing → EINVAL; the whole instance is fine" {
	make_ready vm0 socket1 0 1M
	local d
	d=$(inst_dev vm0)
	expect_out ok egm-io mmap "$d" 0 1M
	expect_out errno=EINVAL egm-io mmap "$d" 1M 4K
	expect_out errno=EINVAL egm-io mmap "$d" $(((1 << 20) - 4096)) 8K
	expect_out errno=EINVAL egm-io mmap "$d" 0 $(((1 << 20) + 4096))
	run egm-io mmap "$d" 0x7ffffffffffff000 4K
	assert_failure
	assert_output --regexp "errno=(EINVAL|EOVERFLOW)"
}

@test "4. data via mmap of one instance reads back via pread and is not visible in the neighbour" {
	make_ready_clean a socket1 0 2M
	make_ready_clean b socket1 2M 2M
	local da db
	da=$(inst_dev a)
	db=$(inst_dev b)
	expect_out ok egm-io fill "$da" 0 2M addr:0xa
	expect_out ok egm-io check "$da" 0 2M addr:0xa read
	expect_out ok egm-io check "$db" 0 2M zero
	expect_out ok egm-io fill "$db" 0 2M addr:0xb
	expect_out ok egm-io check "$da" 0 2M addr:0xa
	expect_out ok egm-io check "$db" 0 2M addr:0xb read
	# and a sub-range at an offset maps the right pages
	expect_out ok egm-io check "$db" 0x11000 0x3000 addr:0xb
}

@test "4. pwrite data reads back through mmap and read()" {
	make_ready_clean vm0 socket1 0 1M
	local d
	d=$(inst_dev vm0)
	expect_out ok egm-io fill "$d" 0x1000 0x5000 addr:0x77 write
	expect_out ok egm-io check "$d" 0x1000 0x5000 addr:0x77
	expect_out count=100 egm-io write "$d" 0x20000 100 0x3c
	expect_out count=100 egm-io read "$d" 0x20000 100 0x3c
	expect_out ok egm-io check "$d" 0x20000 100 0x3c
	# unaligned pread across a page boundary
	expect_out count=4 egm-io pread "$d" 0x1ffe 4 addr:0x77
}

@test "4. read at the end returns 0; write at the end → ENOSPC; short counts across the end" {
	make_ready vm0 socket1 0 1M
	local d
	d=$(inst_dev vm0)
	expect_out count=0 egm-io pread "$d" 1M 4096
	expect_out count=0 egm-io read "$d" 1M 4096
	expect_out errno=ENOSPC egm-io pwrite "$d" 1M 4096
	expect_out errno=ENOSPC egm-io write "$d" 1M 1
	expect_out count=100 egm-io pread "$d" $(((1 << 20) - 100)) 4096
	expect_out count=100 egm-io pwrite "$d" $(((1 << 20) - 100)) 4096
	expect_out count=0 egm-io pread "$d" 2M 16
}

@test "4. lseek(SEEK_END) returns the instance size" {
	make_ready a socket1 0 3M
	make_ready b socket1 1020M 0 scrub=none
	expect_out "size=$((3 << 20))" egm-io lseek-end "$(inst_dev a)"
	expect_out "size=$((4 << 20))" egm-io lseek-end "$(inst_dev b)"
}

@test "4. get_unmapped_area aligns a hint-less mapping to pagesize" {
	make_ready vm0 socket1 0 1G scrub=none
	local d ps start
	d=$(inst_dev vm0)
	ps=$(cat "$(inst_sys vm0)/pagesize")
	bg_start h egm-io hold "$d" 0 1G
	bg_wait h '^mapped$'
	run grep "$d" "/proc/${EGM_BG_PID[h]}/maps"
	assert_success
	start=${output%%-*}
	assert_equal "$((0x$start % ps))" 0
}

@test "4. write through a MAP_SHARED mapping of an O_RDWR fd, then read-only mapping sees it" {
	make_ready_clean vm0 socket1 0 1M
	local d
	d=$(inst_dev vm0)
	expect_out ok egm-io fill "$d" 0 1M 0xc3
	# check opens O_RDONLY and maps PROT_READ, MAP_SHARED
	expect_out ok egm-io check "$d" 0 1M 0xc3
}
