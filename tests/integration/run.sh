#!/bin/bash
# Run every tests/integration/t_*.sh (or the ones named) and print
# "integration: N passed, M failed[, K skipped]". A script reports its cases with
# pass/fail from lib.sh; one that exits non-zero without reporting a failure counts as one.
# Each script gets 600 s, or what a "# timeout: SECONDS" line in it says.
# Env: GONIEC (the binary under test), KEEP=1 keeps the scratch directories.
set -u
here=$(cd "$(dirname "$0")" && pwd)
label=${1:-integration}
shift || true
export GONIEC=${GONIEC:-$here/../../build/goniec}
export TESTS_DIR=$here
passed=0 failed=0 skipped=0
scripts=("$@")
[ ${#scripts[@]} -gt 0 ] || scripts=("$here"/t_*.sh)
for t in "${scripts[@]}"; do
	name=$(basename "$t" .sh)
	results=$(mktemp)
	log=$(mktemp)
	start=$(date +%s)
	limit=$(sed -n 's/^# timeout: \([0-9]\+\)$/\1/p' "$t" | head -1)
	RESULTS=$results TEST_NAME=$name timeout "${limit:-600}" bash "$t" >"$log" 2>&1
	rc=$?
	p=$(grep -c '^PASS' "$results")
	f=$(grep -c '^FAIL' "$results")
	if [ $rc -eq 77 ]; then
		skipped=$((skipped + 1))
		echo "SKIP $name: $(tail -1 "$log")"
	elif [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
		echo "FAIL $name: exited $rc"
	fi
	if [ "$f" -gt 0 ]; then
		grep '^FAIL' "$results" | sed "s/^/  $name: /"
		echo "---- log of $name (last 40 lines)"; tail -40 "$log"; echo "----"
	fi
	[ $rc -eq 77 ] || echo "$name: $p passed, $f failed ($(( $(date +%s) - start )) s)" | sed 's/^/  /'
	passed=$((passed + p)); failed=$((failed + f))
	rm -f "$results" "$log"
done
if [ $skipped -gt 0 ]; then
	echo "$label: $passed passed, $failed failed, $skipped skipped"
else
	echo "$label: $passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
