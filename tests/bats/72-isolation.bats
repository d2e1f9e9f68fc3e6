#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# Tenant isolation under hostile and racing use (issue 18;
# Documentation/admin-guide/egm.rst "Tenant isolation",
# Documentation/ABI/testing/configfs-egm): an open file is bound for life
# to what it opened and dies with a revoke; a tenant cannot stall retire
# or revoke; retire returns only once its block is unmapped, whole huge
# entries included. Probes: tests/helpers/egm-iso.c. Each test reloads
# the module afterwards (revokes and retirements last until unload).

load lib/egm

setup() {
	egm_setup
	EGM_RELOAD_IN_TEARDOWN=1
}

DEAD="pread=ENODEV pwrite=ENODEV write=ENODEV lseek=ENODEV mmap=ENODEV info=ENODEV retired=ENODEV"

@test "4. a file that outlives revoke and disable is dead: every call → ENODEV; settings and enable → EBUSY until it closes" {
	make_ready vm0 socket1 0 2M scrub=none
	bg_start s egm-iso stale "$(inst_dev vm0)"
	bg_wait s '^opened$'
	bg_cmd s go
	assert_equal "$output" "pread=4096 pwrite=4096 write=4096 lseek=2097152 mmap=0 info=0 retired=0"
	revoke socket1
	bg_cmd s go
	assert_equal "$output" "$DEAD"
	# revoked: disable works although the file is open ...
	disable_instance vm0
	expect_file "$EGM_INST/vm0/state" disabled
	# ... but the instance must not move under the file: issue 18's
	# sequence would point it 256 MiB into socket0 (past its 64 MiB)
	expect_errno EBUSY "$EGM_INST/vm0/region" socket0
	expect_errno EBUSY "$EGM_INST/vm0/offset" 256M
	expect_errno EBUSY "$EGM_INST/vm0/size" 1M
	expect_errno EBUSY "$EGM_INST/vm0/scrub" zero
	expect_errno EBUSY "$EGM_INST/vm0/uid" 1
	expect_errno EBUSY "$EGM_INST/vm0/gid" 1
	expect_errno EBUSY "$EGM_INST/vm0/mode" 0660
	expect_errno EBUSY "$EGM_INST/vm0/enable" 1
	expect_file "$EGM_INST/vm0/region" socket1
	bg_cmd s go
	assert_equal "$output" "$DEAD"
	bg_stop s
	# closed: the settings are the administrator's again
	echo socket0 > "$EGM_INST/vm0/region"
	echo 4M > "$EGM_INST/vm0/offset"
	echo 1M > "$EGM_INST/vm0/size"
	enable_instance vm0
	wait_state vm0 ready
	expect_out size=1048576 egm-io lseek-end "$(inst_dev vm0)"
}

@test "4. a mapping that outlives its fd also holds the settings after revoke and disable" {
	make_ready vm0 socket1 0 1M scrub=none
	bg_start h egm-io hold "$(inst_dev vm0)" 0 1M
	bg_wait h '^mapped$'
	revoke socket1
	disable_instance vm0
	expect_errno EBUSY "$EGM_INST/vm0/offset" 256M
	expect_errno EBUSY "$EGM_INST/vm0/enable" 1
	bg_stop h
	echo 256M > "$EGM_INST/vm0/offset"
}

@test "4. lseek(SEEK_END) and write(2) on a revoked open fd → ENODEV" {
	make_ready vm0 socket1 0 1M
	bg_start s egm-iso stale "$(inst_dev vm0)"
	bg_wait s '^opened$'
	revoke socket1
	bg_cmd s go
	[[ $output == *" write=ENODEV lseek=ENODEV "* ]] || fail "$output"
}

@test "5. revoke leaves alone the scrub of an instance that moved to another region meanwhile" {
	create_instance a socket1 0 32M
	create_instance b socket1 32M 2M scrub=none
	# a's worker sleeps 3 s per chunk: the revoke waits that long for it
	# before it reaches b, the next instance on its list
	set_scrub_delay 3000000
	enable_instance a
	enable_instance b
	wait_state b ready 5
	revoke socket1 &
	local rpid=$!
	wait_state a revoked 10
	disable_instance b
	echo socket0 > "$EGM_INST/b/region"
	echo 4M > "$EGM_INST/b/offset"
	echo zero > "$EGM_INST/b/scrub"
	enable_instance b
	expect_file "$EGM_INST/b/state" scrubbing
	wait "$rpid"
	set_scrub_delay 0
	# cancelled by the revoke, it would stay scrubbing for ever
	wait_state b ready 30
	expect_out ok egm-io check "$(inst_dev b)" 0 2M zero read
}

@test "4. a write(2) stuck on a userfaultfd page stalls neither retire nor revoke; it completes once served" {
	make_ready vm0 socket1 0 1M scrub=none
	bg_start u egm-iso uffd-pwrite "$(inst_dev vm0)" 0x10000 64K 0xc3
	bg_wait u '^(faulted|userfaultfd errno=.*)$' 30
	if bg_out u | grep -qx 'userfaultfd errno=ENOSYS'; then
		skip "[kernel] $EGM_KERNEL has no userfaultfd"
	fi
	run bg_out u
	assert_line faulted
	# retire a block of the other region: the SRCU is global
	local t=$BATS_TEST_TMPDIR
	( echo "$(s0pa 0x200000)" > "$EGM_REG/socket0/retire" && echo ok > "$t/retire.done" ) &
	local rpid=$! deadline=$((SECONDS + 20))
	while [[ ! -s $t/retire.done ]] && ((SECONDS < deadline)); do
		egm_nap
	done
	local retired=no
	[[ -s $t/retire.done ]] && retired=yes
	# serve the fault either way, so that nothing hangs
	echo serve >&"${EGM_BG_FD[u]}"
	bg_wait u '^(count|errno)=' 30
	wait "$rpid"
	assert_equal "$retired" yes
	run bg_out u
	assert_line count=65536
	expect_out ok egm-io check "$(inst_dev vm0)" 0x10000 64K 0xc3 read
	expect_out ok egm-io check "$(inst_dev vm0)" 0 64K zero read
	expect_out ok egm-io check "$(inst_dev vm0)" 0x20000 64K zero read
}

@test "5. a second concurrent retire of one block returns only once the block is unmapped" {
	make_ready vm0 socket1 0 4M scrub=none
	run egm-iso retire-race "$(inst_dev vm0)" "$EGM_REG/socket1/retire" "$EGM_S1_BASE" 32
	assert_success
	assert_output "iterations=32 stale=0 failed=0"
}

# hugezap DEV LEN PHYS OFF: map LEN, write a word per 64 KiB, retire the
# block at OFF; prints pt_kb= sigbus=... sigbus_count= bad=.
hugezap() {
	dmesg_mark
	run egm-iso hugezap "$1" "$2" "$EGM_REG/$3/retire" "$4" "$5"
	assert_success
	[[ $output =~ pt_kb=([-0-9]+) ]] || fail "$output"
	PT_KB=${BASH_REMATCH[1]}
	assert_output --partial "sigbus=$(printf '0x%x' $(($5))) sigbus_count=1 bad=0"
	run dmesg_since
	refute_output --partial "WARNING"
	refute_output --partial "Call Trace"
}

@test "5. retiring a block inside a PUD mapping zaps the whole entry: no WARNING, SIGBUS at the block, data intact" {
	grep -qx huge-pud "$EGM_CFS/features" || skip "[kernel] no huge PUD mappings on $EGM_KERNEL"
	make_ready vm0 socket1 0 1G scrub=none
	hugezap "$(inst_dev vm0)" 1G socket1 "$EGM_S1_BASE" 0x20050000
	# one PUD entry: no page-table page at all (base pages: 2 MiB)
	((PT_KB < 64)) || fail "page tables grew by $PT_KB kB: not a PUD mapping"
}

@test "5. retiring a block inside a PMD mapping zaps the whole entry: SIGBUS at the block, data intact" {
	grep -qx huge-pmd "$EGM_CFS/features" || skip "[kernel] no huge PMD mappings on $EGM_KERNEL"
	# four PMDs (2 MiB, 32 MiB with 16 KiB pages) one PMD into socket1
	local pmd=$((EGM_PAGE_SIZE * EGM_PAGE_SIZE / 8)) ps
	make_ready vm0 socket1 "$pmd" $((4 * pmd)) scrub=none
	fread ps "$(inst_sys vm0)/pagesize"
	assert_equal "$ps" "$pmd"
	hugezap "$(inst_dev vm0)" $((4 * pmd)) socket1 $((EGM_S1_BASE + pmd)) $((pmd + 0x110000))
	# PMD entries need no PTE page; base pages need four
	((PT_KB < 4 * EGM_PAGE_SIZE / 1024)) || fail "page tables grew by $PT_KB kB: not PMD mappings"
}
