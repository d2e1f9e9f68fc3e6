#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# Harness self-test: a skip without a reason tag ([boot], [kernel], [arch],
# [filter]) is a failure (exit 1), like a missing tool.

@test "this one passes" {
	true
}

@test "this one skips without a reason tag" {
	skip "some tool is missing"
}
