#!/usr/bin/env bats
# Harness self-test: a suite with one failing test.

@test "this one passes" {
	true
}

@test "this one fails on purpose" {
	[ 1 -eq 2 ]
}
