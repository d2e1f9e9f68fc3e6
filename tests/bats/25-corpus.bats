#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# Bad-input corpus (Documentation/ABI/testing/configfs-egm: the input
# grammar and each attribute's errors): every writable configfs attribute
# gets the hostile values of data/configfs-corpus.tsv in one write(2) each,
# and must fail with the documented errno and keep its value. Then the
# ioctls and mmap get theirs. Totals go to the TAP stream as comments:
# inputs tried, rejected as documented.

load lib/egm

CORPUS=$BATS_TEST_DIRNAME/data/configfs-corpus.tsv

# tally WHAT OUTPUT [VERB]: report "tried=N documented=N" lines as TAP
# comments and keep a running total for the last test.
tally() {
	local t d
	t=$(sed -n 's/^tried=\([0-9]*\) .*/\1/p' <<<"$2")
	d=$(sed -n 's/.* documented=\([0-9]*\)$/\1/p' <<<"$2")
	echo "# $1: $t inputs tried, $d ${3:-rejected} as documented" >&3
	echo "$t $d" >>"$BATS_SUITE_TMPDIR/corpus-totals"
}

# run_table WHAT CMD...: each stdin line is ARGS... WANT; run CMD ARGS and
# match its output against the regex WANT. Prints the mismatches and
# tried=N documented=N (as egm-io corpus does), then tallies.
run_table() {
	local what=$1 n=0 ok=0 f want got
	shift
	while read -r -a f; do
		n=$((n + 1))
		want=${f[-1]}
		got=$("$@" "${f[@]:0:${#f[@]}-1}" 2>&1) || true
		if [[ $got =~ ^$want$ ]]; then
			ok=$((ok + 1))
		else
			echo "$what ${f[*]:0:${#f[@]}-1}: want '$want', got '$got'"
		fi
	done
	echo "tried=$n documented=$ok"
	tally "$what" "tried=$n documented=$ok" "rejected or handled"
	((ok == n))
}

# corpus_lines TARGET...: the corpus rows for TARGET as egm-io corpus
# input (PATH WATCH ERRNO VALUE). The retire rows are written for x86's
# socket0 (0x30000000-0x34000000); s0hi moves them to this guest's socket0
# (its base is 256 MiB aligned on every architecture, lib.sh): 0x3....... ->
# s0hi......., and 0x2fffffff (one byte below) -> s0m1.
corpus_lines() {
	local s0hi s0m1
	if ((EGM_S0_BASE & ((1 << 28) - 1))); then
		echo "corpus_lines: socket0 at $EGM_S0_BASE is not 256 MiB aligned" >&2
		return 1
	fi
	s0hi=$(printf '0x%x' $((EGM_S0_BASE >> 28)))
	s0m1=$(printf '0x%x' $((EGM_S0_BASE - 1)))
	awk -F '\t' -v targets=" $* " -v inst="$EGM_INST" -v reg="$EGM_REG" \
		-v s0hi="$s0hi" -v s0m1="$s0m1" '
		/^#/ || NF < 2 { next }
		index(targets, " " $1 " ") == 0 { next }
		{
			if ($1 == "retire") {
				path = reg "/socket0/retire"; watch = reg "/socket0/retired"
				v = $3; out = ""
				gsub(/0x2fffffff/, s0m1, v)
				while (match(v, /0x3[0-4][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]/)) {
					out = out substr(v, 1, RSTART - 1) s0hi substr(v, RSTART + 3, 7)
					v = substr(v, RSTART + RLENGTH)
				}
				$3 = out v
			} else if ($1 ~ /^busy:/) {
				path = inst "/busy/" substr($1, 6); watch = path
			} else {
				path = inst "/idle/" $1; watch = path
			}
			print path "\t" watch "\t" $2 "\t" $3
		}' "$CORPUS"
}

run_corpus() { # TARGET...
	corpus_lines "$@" | egm-io corpus
}

corpus_setup() {
	create_instance idle socket1 0 1M scrub=none
	make_ready busy socket1 1M 1M scrub=none
}

@test "9. corpus: offset and size (≥ 30 hostile values each) → EINVAL, value unchanged" {
	corpus_setup
	(($(corpus_lines offset | wc -l) >= 30))
	run run_corpus offset size
	tally "offset, size" "$output"
	assert_success
	expect_file "$EGM_INST/idle/offset" 0
	expect_file "$EGM_INST/idle/size" $((1 << 20))
}

@test "9. corpus: uid, gid and mode → EINVAL, value unchanged" {
	corpus_setup
	(($(corpus_lines mode | wc -l) >= 30))
	run run_corpus uid gid mode
	tally "uid, gid, mode" "$output"
	assert_success
	expect_file "$EGM_INST/idle/uid" 0
	expect_file "$EGM_INST/idle/mode" 0600
}

@test "9. corpus: scrub and enable → EINVAL; the instance stays disabled" {
	corpus_setup
	(($(corpus_lines enable | wc -l) >= 30))
	run run_corpus scrub enable
	tally "scrub, enable" "$output"
	assert_success
	expect_file "$EGM_INST/idle/state" disabled
	expect_file "$EGM_INST/idle/minor" -1
}

@test "9. corpus: region → EINVAL (grammar) or ENODEV (no such region), value unchanged" {
	corpus_setup
	(($(corpus_lines region | wc -l) >= 30))
	run run_corpus region
	tally region "$output"
	assert_success
	expect_file "$EGM_INST/idle/region" socket1
}

@test "9. corpus: retire → EINVAL (grammar, outside the region); retired list unchanged" {
	local before
	fread before "$EGM_REG/socket0/retired"
	(($(corpus_lines retire | wc -l) >= 30))
	run run_corpus retire
	tally retire "$output"
	assert_success
	expect_file "$EGM_REG/socket0/retired" "$before"
}

@test "9. corpus: writes to an enabled instance → EBUSY (EINVAL/ENODEV if malformed first)" {
	corpus_setup
	run run_corpus busy:region busy:offset busy:size busy:scrub busy:uid busy:gid busy:mode
	tally "enabled instance" "$output"
	assert_success
	expect_file "$EGM_INST/busy/offset" $((1 << 20))
	expect_file "$EGM_INST/busy/state" ready
}

@test "9. values changed between write and enable: the enable is refused, nothing published" {
	local free0 free1
	fread free0 "$EGM_REG/socket0/free"
	fread free1 "$EGM_REG/socket1/free"
	# fits socket1, not socket0 once the region changes
	create_instance v socket1 0x3f00000 2M
	echo socket0 > "$EGM_INST/v/region"
	expect_errno EINVAL "$EGM_INST/v/enable" 1
	# size 0 = rest of the region, from an offset past its end
	echo 64M > "$EGM_INST/v/offset"
	echo 0 > "$EGM_INST/v/size"
	expect_errno EINVAL "$EGM_INST/v/enable" 1
	# region unset again
	echo 0 > "$EGM_INST/v/offset"
	echo > "$EGM_INST/v/region"
	expect_errno EINVAL "$EGM_INST/v/enable" 1
	expect_file "$EGM_INST/v/state" disabled
	expect_file "$EGM_INST/v/minor" -1
	expect_file "$EGM_REG/socket0/free" "$free0"
	expect_file "$EGM_REG/socket1/free" "$free1"
	[[ -z $(ls "$EGM_CLASS") ]]
	# the same instance, made valid, enables
	echo socket0 > "$EGM_INST/v/region"
	echo 2M > "$EGM_INST/v/size"
	echo 1 > "$EGM_INST/v/enable"
	wait_state v ready 30
}

IOCTL_INFO=$((0xE600))
IOCTL_RETIRED=$((0xE601))

@test "9. corpus: ioctls (bad argsz, NULL/bad/read-only/unaligned pointers, unknown commands)" {
	make_ready vm0 socket1 0 1M scrub=none
	local d
	d=$(inst_dev vm0)
	run run_table ioctl egm-io ioctl-raw "$d" <<-END
	$IOCTL_INFO 0 errno=EINVAL
	$IOCTL_INFO 1 errno=EINVAL
	$IOCTL_INFO 4 errno=EINVAL
	$IOCTL_INFO 7 errno=EINVAL
	$IOCTL_INFO 4097 errno=EINVAL
	$IOCTL_INFO 8192 errno=EINVAL
	$IOCTL_INFO 65536 errno=EINVAL
	$IOCTL_INFO 0x80000000 errno=EINVAL
	$IOCTL_INFO 0xffffffff errno=EINVAL
	$IOCTL_INFO null errno=EFAULT
	$IOCTL_INFO badptr errno=EFAULT
	$IOCTL_INFO readonly errno=EFAULT
	$IOCTL_INFO unaligned ok.ret=0.argsz=56
	$IOCTL_INFO 8 ok.ret=0.argsz=56
	$IOCTL_INFO 4096 ok.ret=0.argsz=56
	$IOCTL_RETIRED 0 errno=EINVAL
	$IOCTL_RETIRED 1 errno=EINVAL
	$IOCTL_RETIRED 7 errno=EINVAL
	$IOCTL_RETIRED null errno=EFAULT
	$IOCTL_RETIRED badptr errno=EFAULT
	$IOCTL_RETIRED 0xffffffff ok.ret=0.argsz=4294967295
	$IOCTL_RETIRED 0x80000008 ok.ret=0.argsz=2147483656
	$IOCTL_RETIRED unaligned ok.ret=0.argsz=56
	$((0xC030E600)) 48 errno=ENOTTY
	$((0xC008E601)) 48 errno=ENOTTY
	$((0xC030E602)) 48 errno=ENOTTY
	$((0xC030E603)) 48 errno=ENOTTY
	$((0xC030E67F)) 48 errno=ENOTTY
	$((0xC030E6FF)) 48 errno=ENOTTY
	$((0x0000E602)) 48 errno=ENOTTY
	$((0xC030E500)) 48 errno=ENOTTY
	$((0xC0304500)) 48 errno=ENOTTY
	$((0xC0300000)) 48 errno=ENOTTY
	0 48 errno=ENOTTY
	$((0xffffffff)) 48 errno=ENOTTY
	$((0x5401)) 48 errno=ENOTTY
	$((0x541B)) 48 errno=ENOTTY
	END
	assert_success
	(($(sed -n 's/^tried=\([0-9]*\) .*/\1/p' <<<"$output") >= 30))
}

@test "9. corpus: mmap (past the end, overflow, unaligned, zero length, MAP_PRIVATE, write on O_RDONLY)" {
	make_ready vm0 socket1 0 1M scrub=none
	local d
	d=$(inst_dev vm0)
	run run_table mmap egm-io mmap "$d" <<-END
	1M 4K shared errno=EINVAL
	0xf0000 128K shared errno=EINVAL
	0 0x101000 shared errno=EINVAL
	0 2M shared errno=EINVAL
	0 1G shared errno=EINVAL
	2M 4K shared errno=EINVAL
	0x7ffffffffffff000 4K shared errno=(EINVAL|EOVERFLOW)
	0xfffffffffffff000 4K shared errno=(EINVAL|EOVERFLOW)
	0x8000000000000000 4K shared errno=(EINVAL|EOVERFLOW)
	1 4K shared errno=EINVAL
	2048 4K shared errno=EINVAL
	0 0 shared errno=EINVAL
	0 4K private errno=EINVAL
	0 1M private errno=EINVAL
	0 4K ro-write errno=EACCES
	0 1M shared ok
	0xf0000 64K shared ok
	0 4K ro ok
	END
	assert_success
}

@test "9. corpus totals: every input rejected as documented" {
	local t=0 d=0 a b
	[[ -r $BATS_SUITE_TMPDIR/corpus-totals ]] || skip "[filter] no corpus test ran before this one"
	while read -r a b; do
		t=$((t + a)) d=$((d + b))
	done <"$BATS_SUITE_TMPDIR/corpus-totals"
	echo "# corpus total: $t inputs tried, $d rejected as documented" >&3
	((t >= 300 && d == t))
}
