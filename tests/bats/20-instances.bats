#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# egm-boot: param
# Instances and the input grammar (Documentation/ABI/testing/configfs-egm):
# mkdir names, defaults, every attribute's accepted values (hostile values
# and their errnos: the corpus of 25-corpus.bats).

load lib/egm

setup() {
	egm_setup
	I=$EGM_INST/t0
}

@test "2. mkdir creates an instance with every attribute" {
	mkdir "$I"
	run ls "$I"
	assert_output "dev
enable
gid
minor
mode
offset
region
scrub
size
state
uid"
}

@test "2. rw attributes are 0644, minor dev state are 0444" {
	mkdir "$I"
	local a
	for a in region offset size scrub uid gid mode enable; do
		run egm-io stat "$I/$a"
		assert_output --partial "mode=0644"
	done
	for a in minor dev state; do
		run egm-io stat "$I/$a"
		assert_output --partial "mode=0444"
		expect_errno EACCES "$I/$a" 1
	done
}

@test "9. defaults: region empty, offset 0, size 0, scrub zero, uid 0, gid 0, mode 0600, disabled" {
	mkdir "$I"
	expect_file "$I/region" ""
	expect_file "$I/offset" "0"
	expect_file "$I/size" "0"
	expect_file "$I/scrub" "zero"
	expect_file "$I/uid" "0"
	expect_file "$I/gid" "0"
	expect_file "$I/mode" "0600"
	expect_file "$I/enable" "0"
	expect_file "$I/minor" "-1"
	expect_file "$I/dev" ""
	expect_file "$I/state" "disabled"
}

@test "9. every instance attribute ends with a newline, also when empty" {
	mkdir "$I"
	local a v
	for a in region offset size scrub uid gid mode enable minor dev state; do
		ends_with_newline "$I/$a"
	done
	# dev and region are exactly one empty line
	fraw v "$I/dev"
	assert_equal "$v" $'\n'
	fraw v "$I/region"
	assert_equal "$v" $'\n'

}

@test "2. valid names: letters digits _ . - up to 32 characters" {
	local n
	for n in a Z9 vm_0 vm.1 vm-2 a.-_b "$(printf 'x%.0s' {1..32})"; do
		mkdir "$EGM_INST/$n"
		assert [ -d "$EGM_INST/$n" ]
		rmdir "$EGM_INST/$n"
	done
}

@test "2. invalid names: leading . or -, 33 characters, space, colon → EINVAL" {
	local n
	for n in .x -x "$(printf 'x%.0s' {1..33})" "a b" "a:b" "a@b" "é"; do
		run mkdir "$EGM_INST/$n"
		assert_failure
		assert_output --partial "$(errno_msg EINVAL)"
		assert [ ! -e "$EGM_INST/$n" ]
	done
	run ls "$EGM_INST"
	assert_output ""
}

@test "2. names are ASCII only: Latin-1 and UTF-8 letters → EINVAL" {
	local n
	for n in $'a\xe9' $'\xc0b' $'x\xff' $'caf\xc3\xa9'; do
		run mkdir "$EGM_INST/$n"
		assert_failure
		assert_output --partial "$(errno_msg EINVAL)"
		assert [ ! -e "$EGM_INST/$n" ]
	done
	run ls "$EGM_INST"
	assert_output ""
}

@test "2. a/b is impossible: mkdir of a nested path fails, nothing is created" {
	run mkdir "$EGM_INST/a/b"
	assert_failure
	assert_output --partial "$(errno_msg ENOENT)"
	run ls "$EGM_INST"
	assert_output ""
}

@test "2. mkdir of an existing name fails with EEXIST" {
	mkdir "$I"
	run mkdir "$I"
	assert_failure
	assert_output --partial "$(errno_msg EEXIST)"
}

@test "2. nothing can be created inside an instance" {
	mkdir "$I"
	run mkdir "$I/sub"
	assert_failure
	assert [ ! -e "$I/sub" ]
}

@test "9. region: existing names accepted, unknown → ENODEV, empty unsets" {
	mkdir "$I"
	expect_value "$I/region" socket0 socket0
	expect_value "$I/region" socket1 socket1
	expect_errno ENODEV "$I/region" socket9
	expect_errno ENODEV "$I/region" socket
	expect_errno ENODEV "$I/region" instances
	expect_value "$I/region" "" ""
	expect_file "$I/region" ""
	# without a newline it is fine too
	printf socket0 > "$I/region"
	expect_file "$I/region" "socket0"
}

@test "9. offset/size: decimal, hex, suffixes read back in decimal bytes" {
	# values that are not a multiple of PAGE_SIZE (16/64 KiB kernels) must
	# fail with EINVAL instead (expect_page_value)
	mkdir "$I"
	local a
	for a in offset size; do
		expect_page_value "$I/$a" 4096 4096
		expect_page_value "$I/$a" 0x2000 8192
		expect_page_value "$I/$a" 0X3000 12288
		expect_page_value "$I/$a" 0xA000 40960
		expect_page_value "$I/$a" 0xb000 45056
		expect_page_value "$I/$a" 4k 4096
		expect_page_value "$I/$a" 4K 4096
		expect_page_value "$I/$a" 2m 2097152
		expect_page_value "$I/$a" 2M 2097152
		expect_page_value "$I/$a" 1G 1073741824
		expect_page_value "$I/$a" 1g 1073741824
		expect_page_value "$I/$a" 1T 1099511627776
		expect_page_value "$I/$a" 1t 1099511627776
		expect_page_value "$I/$a" 0x10K 16384
		expect_page_value "$I/$a" 0x1g 1073741824
		expect_page_value "$I/$a" 0 0
		# leading zeros stay decimal
		expect_page_value "$I/$a" 016K 16384
		expect_page_value "$I/$a" 0100K 102400
		expect_page_value "$I/$a" 00 0
		# without a trailing newline
		printf '%s' $((2 * EGM_PAGE_SIZE)) > "$I/$a"
		assert_equal "$(cat "$I/$a")" $((2 * EGM_PAGE_SIZE))
	done
}

@test "9. scrub: zero and none (hostile values: 25-corpus)" {
	mkdir "$I"
	expect_value "$I/scrub" none none
	expect_value "$I/scrub" zero zero
	printf none > "$I/scrub"
	assert_equal "$(cat "$I/scrub")" none
}

@test "9. uid/gid: 0 … 4294967294, decimal or hex, no suffix" {
	mkdir "$I"
	local a
	for a in uid gid; do
		expect_value "$I/$a" 65534 65534
		expect_value "$I/$a" 4294967294 4294967294
		expect_value "$I/$a" 0x10 16
		# octal-looking is decimal
		expect_value "$I/$a" 010 10
		expect_value "$I/$a" 0 0
	done
}

@test "9. mode: [0-7]{1,4} from 1 up to 0777, reads back as four octal digits" {
	mkdir "$I"
	expect_value "$I/mode" 0777 0777
	expect_value "$I/mode" 0660 0660
	expect_value "$I/mode" 644 0644
	expect_value "$I/mode" 7 0007
	expect_value "$I/mode" 0001 0001
	expect_value "$I/mode" 0600 0600
}

@test "9. mode 0 → EINVAL (devtmpfs would make it 0600)" {
	mkdir "$I"
	echo 0640 > "$I/mode"
	expect_errno EINVAL "$I/mode" 0
	expect_errno EINVAL "$I/mode" 0000
	expect_errno EINVAL "$I/mode" 00
	expect_file "$I/mode" 0640
}

@test "2. enable without a region → EINVAL" {
	mkdir "$I"
	echo "$EGM_PAGE_SIZE" > "$I/size"
	expect_errno EINVAL "$I/enable" 1
	expect_file "$I/state" disabled
	expect_file "$I/minor" -1
}

@test "2. region can be unset again while disabled, and enable then fails" {
	create_instance t0 socket1 0 1M
	echo "" > "$I/region"
	expect_errno EINVAL "$I/enable" 1
}

@test "2. rmdir of a disabled instance removes it" {
	create_instance t0 socket1 0 1M
	rmdir "$I"
	assert [ ! -e "$I" ]
}

@test "2. many instances can exist at once (disabled)" {
	local i
	for i in $(seq 1 40); do
		mkdir "$EGM_INST/vm$i"
	done
	run bash -c "ls $EGM_INST | wc -l"
	assert_output 40
}
