#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# Retired blocks (Documentation/admin-guide/egm.rst "Retired blocks"): the
# firmware tables of socket0 (the union of the GPUs' copies), clipping to the
# instance, SIGBUS BUS_MCEERR_AR at the exact address, EIO/short counts,
# runtime `retire` (also while mapped). ACPI boot only: socket0 has a
# firmware table there. Tests that retire at run time reload the module in
# teardown (retirements are forgotten at unload).
# egm-boot: acpi

load lib/egm

setup() {
	egm_setup
	PG=$(page_size)
	BLK_PAGES=$((65536 / PG))
}

@test "5. whole socket0: INFO retired_pages and RETIRED ranges, coalesced, relative" {
	make_ready s0 socket0 0 0
	local d
	d=$(inst_dev s0)
	run egm-io retired "$d"
	assert_success
	assert_output "$S0_FW_RANGES"
	run egm-io info "$d"
	assert_line "retired_pages=$((5 * BLK_PAGES))"
	expect_file "$(inst_sys s0)/retired_pages" "$((5 * BLK_PAGES))"
}

@test "9. RETIRED with a short buffer → ENOSPC and the needed count" {
	make_ready s0 socket0 0 0
	local d a
	d=$(inst_dev s0)
	for a in 8 24 40 55 71; do
		run egm-io retired "$d" "$a"
		assert_failure
		assert_output "count=4
errno=ENOSPC"
	done
	run egm-io retired "$d" 72
	assert_success
	assert_line count=4
	assert_line "range=0x3ff0000 0x10000"
}

@test "5. ranges and retired_pages are clipped to the instance" {
	# [0x18000, 0x28000): half of block 0x10000 and half of 0x20000 → one range
	make_ready a socket0 0x18000 0x10000
	run egm-io retired "$(inst_dev a)"
	assert_output "count=1
range=0x0 0x10000"
	expect_file "$(inst_sys a)/retired_pages" "$BLK_PAGES"
	run egm-io info "$(inst_dev a)"
	assert_line "retired_pages=$BLK_PAGES"
	# [0x20000, 0x60000): blocks 0x20000 and 0x50000
	make_ready b socket0 0x30000 0x20000
	expect_out "count=0" egm-io retired "$(inst_dev b)"
	disable_instance b
	echo 0x20000 > "$EGM_INST/b/offset"
	echo 0x40000 > "$EGM_INST/b/size"
	disable_instance a
	enable_instance b
	wait_state b ready
	run egm-io retired "$(inst_dev b)"
	assert_output "count=2
range=0x0 0x10000
range=0x30000 0x10000"
	expect_file "$(inst_sys b)/retired_pages" "$((2 * BLK_PAGES))"
}

@test "5. a clean extent of socket0 has no retired ranges" {
	make_ready c socket0 0x60000 4M
	expect_out count=0 egm-io retired "$(inst_dev c)"
	expect_file "$(inst_sys c)/retired_pages" 0
}

@test "5. free ignores retired blocks" {
	make_ready c socket0 0x60000 4M
	expect_file "$EGM_REG/socket0/free" "$(((64 << 20) - (4 << 20)))"
}

@test "5. touching a retired block → SIGBUS BUS_MCEERR_AR at the exact address; neighbours work" {
	make_ready s0 socket0 0 0
	local d
	d=$(inst_dev s0)
	# si_addr_lsb of a VM_FAULT_HWPOISON fault: PAGE_SHIFT
	expect_out "sigbus code=BUS_MCEERR_AR addr_off=0x10000 lsb=$(page_shift)" egm-io touch "$d" 0x10000
	run egm-io touch "$d" 0x2fff8
	assert_output --regexp "^sigbus code=BUS_MCEERR_AR addr_off=0x2fff8 "
	run egm-io touch "$d" 0x50abc
	assert_output --regexp "^sigbus code=BUS_MCEERR_AR addr_off=0x50abc "
	run egm-io touch "$d" 0x3ff0000
	assert_output --regexp "^sigbus code=BUS_MCEERR_AR addr_off=0x3ff0000 "
	run egm-io touch-write "$d" 0x20010
	assert_output --regexp "^sigbus code=BUS_MCEERR_AR addr_off=0x20010 "
	# the pages right before and after each block are fine
	run egm-io touch "$d" 0xffff 0x30000 0x4ffff 0x60000 0x3feffff
	assert_success
	assert_output "ok val=0x00
ok val=0x00
ok val=0x00
ok val=0x00
ok val=0x00"
}

@test "5. a fill over a retired block stops with SIGBUS at its first byte" {
	make_ready_clean s0 socket0 0 1M
	run egm-io fill "$(inst_dev s0)" 0 1M 0x11
	assert_failure
	assert_output --regexp "^sigbus code=BUS_MCEERR_AR addr_off=0x10000 "
	# what was written before the block is there
	expect_out ok egm-io check "$(inst_dev s0)" 0 0x10000 0x11 read
}

@test "4. read/write over a retired block: EIO when nothing moved, short count before it" {
	make_ready s0 socket0 0 1M
	local d
	d=$(inst_dev s0)
	expect_out errno=EIO egm-io pread "$d" 0x10000 4096
	expect_out errno=EIO egm-io pread "$d" 0x2f000 4096
	expect_out errno=EIO egm-io pwrite "$d" 0x10000 4096
	expect_out count=4096 egm-io pread "$d" 0xf000 0x2000
	expect_out count=2048 egm-io pwrite "$d" 0xf800 0x2000
	expect_out count=4096 egm-io pread "$d" 0x30000 0x1000
	expect_out count=4096 egm-io read "$d" 0x4f000 0x3000
}

@test "5. scrub skips retired blocks: the whole socket0 scrubs to ready and reads zero" {
	# A marker in the block at 2 MiB, written before the block is
	# retired at run time; after a scrub of the whole socket0 the block
	# must still hold it. Runtime retirements are forgotten at reload,
	# which makes the block readable again to look.
	EGM_RELOAD_IN_TEARDOWN=1
	make_ready s0 socket0 0 0 scrub=none
	local d
	d=$(inst_dev s0)
	expect_out ok egm-io fill "$d" 0x1f0000 0x30000 addr:0x7
	s0pa 0x200000 > "$EGM_REG/socket0/retire"
	disable_instance s0
	echo zero > "$EGM_INST/s0/scrub"
	enable_instance s0
	wait_state s0 ready 60
	expect_out ok egm-io check "$d" 0 0x10000 zero
	expect_out ok egm-io check "$d" 0x30000 0x20000 zero read
	expect_out ok egm-io check "$d" 0x60000 $((0x200000 - 0x60000)) zero
	expect_out ok egm-io check "$d" 0x210000 $((0x2000000 - 0x210000)) zero
	expect_out ok egm-io check "$d" 0x2010000 $((0x3ff0000 - 0x2010000)) zero
	disable_instance s0
	rmdir "$EGM_INST/s0"
	egm_reload
	make_ready s0 socket0 0 0 scrub=none
	d=$(inst_dev s0)
	# the retired block kept the marker, its neighbours were scrubbed
	expect_out ok egm-io check "$d" 0x200000 0x10000 addr:0x7
	expect_out ok egm-io check "$d" 0x1f0000 0x10000 zero
	expect_out ok egm-io check "$d" 0x210000 0x10000 zero
}

@test "5. retire: file is 0200; root without CAP_SYS_ADMIN → EPERM; nobody → EACCES" {
	run egm-io stat "$EGM_REG/socket0/retire"
	assert_output --partial "mode=0200"
	expect_out errno=EACCES egm-io --as 65534:65534 writefile "$EGM_REG/socket0/retire" "$(s0pa 0x100000)"
	expect_out errno=EPERM egm-io --drop-cap sys_admin writefile "$EGM_REG/socket0/retire" "$(s0pa 0x100000)"
	run cat "$EGM_REG/socket0/retired"
	refute_output --partial "$(s0pa 0x100000)"
	expect_file "$EGM_REG/socket0/retired_pages" "$((5 * BLK_PAGES))"
}

@test "5. retire: outside the region or malformed → EINVAL, nothing recorded" {
	local r=$EGM_REG/socket0
	local v
	# socket0's base + 256 MiB, the retired table, socket0's end, socket1
	for v in "$(s0pa 0x10000000)" "$EGM_RT_BASE" "$(s0pa 0x4000000)" "$EGM_S1_BASE" \
		0 -1 "" "$(s0pa 0x100000) " abc 0x 18446744073709551616; do
		_expect_fail_msg EINVAL 'echo "$v" > "$r/retire"' || fail "retire '$v'"
	done
	expect_file "$r/retired_pages" "$((5 * BLK_PAGES))"
	run cat "$r/retired"
	assert_equal "$(wc -l <<< "$output")" 5
	# socket1's address is outside socket0 and the other way round
	_expect_fail_msg EINVAL 'echo "$(s0pa 0x100000)" > "$EGM_REG/socket1/retire"'
	expect_file "$EGM_REG/socket1/retired" ""
}

@test "5. runtime retire: recorded as runtime, rounded down, idempotent, logged" {
	dmesg_mark
	EGM_RELOAD_IN_TEARDOWN=1
	local r=$EGM_REG/socket0
	s0pa 0x100123 > "$r/retire"
	run cat "$r/retired"
	assert_output "$(s0pa 0x10000) firmware
$(s0pa 0x20000) firmware
$(s0pa 0x50000) firmware
$(s0pa 0x100000) runtime
$(s0pa 0x2000000) firmware
$(s0pa 0x3ff0000) firmware"
	expect_file "$r/retired_pages" "$((6 * BLK_PAGES))"
	# again, any address in the block, and with the suffix grammar: no change
	s0pa 0x100000 > "$r/retire"
	s0pa 0x10ffff > "$r/retire"
	echo $((EGM_S0_BASE + 0x100000)) > "$r/retire"
	echo $(((EGM_S0_BASE + 0x100000) >> 10))K > "$r/retire"
	expect_file "$r/retired_pages" "$((6 * BLK_PAGES))"
	# retiring a firmware block again changes nothing
	s0pa 0x10000 > "$r/retire"
	run cat "$r/retired"
	assert_line "$(s0pa 0x10000) firmware"
	assert_equal "$(wc -l <<< "$output")" 6
	run dmesg_since
	assert_output --regexp "(0x)?$(printf %x $((EGM_S0_BASE + 0x100000)))"
}

@test "5. runtime retire while mapped: SIGBUS on the next touch, others unaffected" {
	EGM_RELOAD_IN_TEARDOWN=1
	make_ready a socket1 0 1M
	make_ready b socket1 1M 1M
	bg_start sa egm-io session "$(inst_dev a)"
	bg_start sb egm-io session "$(inst_dev b)"
	bg_cmd sa "open"; assert_equal "$output" ok
	bg_cmd sa "mmap 0 1M"; assert_equal "$output" ok
	bg_cmd sa "fill 0 1M 0x42"; assert_equal "$output" ok
	bg_cmd sb "open"; assert_equal "$output" ok
	bg_cmd sb "mmap 0 1M"; assert_equal "$output" ok
	bg_cmd sb "fill 0 1M 0x43"; assert_equal "$output" ok
	# block 0x20000 of instance a is mapped (touched by the fill)
	echo $((EGM_S1_BASE + 0x20000)) > "$EGM_REG/socket1/retire"
	bg_cmd sa "touch 0x20000"
	assert_equal "${output%% lsb=*}" "sigbus code=BUS_MCEERR_AR addr_off=0x20000"
	bg_cmd sa "touch 0x2ffff"
	assert_equal "${output%% lsb=*}" "sigbus code=BUS_MCEERR_AR addr_off=0x2ffff"
	bg_cmd sa "touch 0x1ffff"; assert_equal "$output" "ok val=0x42"
	bg_cmd sa "touch 0x30000"; assert_equal "$output" "ok val=0x42"
	bg_cmd sa "pread 0x20000 4096"; assert_equal "$output" errno=EIO
	bg_cmd sa "info"; assert_equal "${output##*retired_pages=}" "$BLK_PAGES"
	bg_cmd sb "check 0 1M 0x43"; assert_equal "$output" ok
	expect_file "$EGM_REG/socket1/retired" "$(printf '0x%x' $((EGM_S1_BASE + 0x20000))) runtime"
	bg_stop sa
	bg_stop sb
	wait_state a ready
	# the next tenant sees it in the ioctl
	run egm-io retired "$(inst_dev a)"
	assert_output "count=1
range=0x20000 0x10000"
	expect_file "$(inst_sys a)/retired_pages" "$BLK_PAGES"
	expect_out count=0 egm-io retired "$(inst_dev b)"
}

@test "5. runtime retire zaps a mapping that outlives its fd" {
	EGM_RELOAD_IN_TEARDOWN=1
	make_ready a socket1 2M 1M
	bg_start s egm-io session "$(inst_dev a)"
	bg_cmd s "open"; assert_equal "$output" ok
	bg_cmd s "mmap 0 1M"; assert_equal "$output" ok
	bg_cmd s "touch-write 0x40000"; assert_equal "$output" "ok val=0x00"
	bg_cmd s "close"; assert_equal "$output" ok
	echo $((EGM_S1_BASE + (2 << 20) + 0x40000)) > "$EGM_REG/socket1/retire"
	bg_cmd s "touch 0x40000"
	assert_equal "${output%% lsb=*}" "sigbus code=BUS_MCEERR_AR addr_off=0x40000"
}

@test "5. runtime retirements are forgotten at module reload" {
	EGM_RELOAD_IN_TEARDOWN=1
	s0pa 0x200000 > "$EGM_REG/socket0/retire"
	run cat "$EGM_REG/socket0/retired"
	assert_line "$(s0pa 0x200000) runtime"
	egm_reload
	run cat "$EGM_REG/socket0/retired"
	refute_line "$(s0pa 0x200000) runtime"
	assert_equal "$(cat "$EGM_REG/socket0/retired_pages")" "$((5 * BLK_PAGES))"
}
