#!/bin/bash
# Run every cmocka unit-test binary in BUILD/tests and print "unit: N passed, M failed".
# Usage: tests/run-unit.sh BUILD [LABEL]
set -u
build=${1:-build}
label=${2:-unit}
passed=0 failed=0
for t in "$build"/tests/test_*; do
	[ -x "$t" ] || continue
	out=$("$t" 2>&1)
	rc=$?
	printf '%s\n' "$out" | grep -E '^\[  (FAILED|ERROR)|^\[  PASSED|^\[ *FAILED *\]' | sed "s|^|${t##*/}: |"
	p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -1)
	f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | tail -1)
	passed=$((passed + ${p:-0}))
	failed=$((failed + ${f:-0}))
	if [ $rc -ne 0 ] && [ -z "$f" ]; then
		printf '%s\n' "$out" | tail -20
		echo "${t##*/}: crashed (exit $rc)"
		failed=$((failed + 1))
	elif [ -n "$f" ] && [ "$f" != 0 ]; then
		printf '%s\n' "$out" | grep -E 'FAIL|ERROR|error|Failure' | head -20
	fi
done
echo "$label: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
