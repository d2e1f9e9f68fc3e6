# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# bats-support and bats-assert for the suites: `load lib/bats-libs` (or
# `load lib/egm`, which includes this).
# Their load.bash files run "$(dirname ...)" once per sourced file: 15
# forks, 0.6 s per test under TCG. Source what they list directly.
egm_bats_libs() {
	local d line
	EGM_BATS_LIBS=()
	for d in /usr/lib/bats/bats-support /usr/lib/bats/bats-assert; do
		while IFS= read -r line; do
			if [[ $line =~ /(src/[A-Za-z0-9_]+\.bash)\"$ ]]; then
				EGM_BATS_LIBS+=("$d/${BASH_REMATCH[1]}")
			fi
		done <"$d/load.bash"
	done
	((${#EGM_BATS_LIBS[@]} >= 4))
}
if egm_bats_libs; then
	for _egm_lib in "${EGM_BATS_LIBS[@]}"; do
		# shellcheck source=/dev/null
		source "$_egm_lib"
	done
else
	load /usr/lib/bats/bats-support/load
	load /usr/lib/bats/bats-assert/load
fi
