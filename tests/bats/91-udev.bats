#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# egm-boot: qemu
# packaging/udev/70-egm.rules in the guest: `udevadm test` on an enabled
# instance's device gives the link /dev/egm/<instance>. Runs in the qemu
# boot (`make check-qemu`), whose initramfs also holds udevadm and the rule
# (check-qemu fails when the host has no udevadm).

load lib/egm

setup() {
	# check-qemu puts udevadm and the rule in this boot's initramfs (it
	# fails without udev on the host): missing is a failure
	command -v udevadm >/dev/null ||
		fail "no udevadm in this guest (check-qemu must provide it)"
	[[ -r /usr/lib/udev/rules.d/70-egm.rules ]] || fail "70-egm.rules not in this guest"
	egm_setup
}

@test "udev: 70-egm.rules links /dev/egm/<instance> (udevadm test)" {
	make_ready vm0 socket1 0 8M scrub=none
	run udevadm test --action=add "$(inst_sys vm0)"
	assert_success
	assert_output --partial "Reading rules file: /usr/lib/udev/rules.d/70-egm.rules"
	assert_output --partial "EGM_INSTANCE=vm0"
	assert_output --regexp "DEVLINKS=([^ ]* )?/dev/egm/vm0"
	# TAG+="systemd": the node gets a device unit (dev-egm-vm0.device)
	assert_output --regexp "TAGS=(.*:)?systemd:"
}
