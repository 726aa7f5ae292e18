#!/bin/bash
# Run every cmocka unit-test binary in BUILD/tests and print "unit: N passed, M failed",
# as many binaries at once as there are cores (UNIT_JOBS); each one's lines are printed
# together when it ends.
# Usage: tests/run-unit.sh BUILD [LABEL]
set -u
. "$(dirname "$0")/pool.sh"
build=${1:-build}
label=${2:-unit}
jobs_max=${UNIT_JOBS:-$(nproc)}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

run_one() { # BINARY — prints its summary lines, leaves "passed failed" in $work/NAME
	local t=$1 name=${1##*/} out rc p f
	out=$("$t" 2>&1)
	rc=$?
	p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -1)
	f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | tail -1)
	p=${p:-0}
	{
		printf '%s\n' "$out" | grep -E '^\[  (FAILED|ERROR)|^\[  PASSED|^\[ *FAILED *\]' | sed "s|^|$name: |"
		if [ $rc -ne 0 ] && [ -z "$f" ]; then
			printf '%s\n' "$out" | tail -20
			echo "$name: crashed (exit $rc)"
			f=1
		elif [ -n "$f" ] && [ "$f" != 0 ]; then
			printf '%s\n' "$out" | grep -E 'FAIL|ERROR|error|Failure' | head -20
		fi
	} >"$work/$name.out"
	flock "$work" cat "$work/$name.out"
	echo "$p ${f:-0}" >"$work/$name.count"
}

binaries=()
for t in "$build"/tests/test_*; do [ -x "$t" ] && binaries+=("$t"); done
pool_run "$jobs_max" run_one "${binaries[@]}"
read -r passed failed <<<"$(pool_sum "$work" 2)"
echo "$label: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
