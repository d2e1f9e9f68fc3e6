#!/usr/bin/env bats
# Harness self-test: a test that never ends (the runner's timeout must fire).

@test "this one hangs on purpose" {
	sleep 100000
}
