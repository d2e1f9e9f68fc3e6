#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# Harness self-test: a file whose every test skips, even with a tagged
# reason, tested nothing: a failure (exit 1).

@test "this one skips for a tagged reason" {
	skip "[kernel] not on this kernel"
}
