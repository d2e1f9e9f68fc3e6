#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# Harness self-test: a misspelt "egm-boot" tag selects the file for no boot;
# check refuses the directory before booting (exit 5).
# egm-boot: acpi parma

@test "never runs" {
	true
}
