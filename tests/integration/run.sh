#!/bin/bash
# Run every tests/integration/t_*.sh (or the ones named) and print
# "integration: N passed, M failed[, K skipped]". A script reports its cases with
# pass/fail from lib.sh; one that exits non-zero without reporting a failure counts as one.
# Each script gets 600 s, or what a "# timeout: SECONDS" line in it says.
# Scripts run several at a time (INTEGRATION_JOBS, default: cores + 1; most of a script's
# time is spent waiting on its servers); a script with a "# serial" line runs afterwards
# on its own, for tests that measure how a process behaves under kills or timing.
# The longest (largest timeout) start first. Each script's result is printed as a block
# when it ends.
# Env: GONIEC (the binary under test), KEEP=1 keeps the scratch directories.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../pool.sh"
# Usage: run.sh [LABEL] [SCRIPT...] — the label (default "integration") names the summary line.
label=integration
if [ $# -gt 0 ] && [[ $1 != *.sh ]]; then label=$1; shift; fi
export GONIEC=${GONIEC:-$here/../../build/goniec}
export TESTS_DIR=$here
jobs_max=${INTEGRATION_JOBS:-$(( $(nproc) + 1 ))}
scripts=("$@")
[ ${#scripts[@]} -gt 0 ] || scripts=("$here"/t_*.sh)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The fixtures and checks run on Debian's python3, where the packages of packaging/deps.d
# are, and not through a version manager's shim earlier on PATH (pyenv's costs about a
# second of CPU per start; the tests start python hundreds of times).
if [ -x /usr/bin/python3 ]; then
	mkdir "$work/bin" && ln -s /usr/bin/python3 "$work/bin/python3"
	export PATH="$work/bin:$PATH"
fi

# run_one SCRIPT — runs it, prints its block under a lock, leaves "passed failed skipped"
# in $work/NAME.count.
run_one() {
	local t=$1 name results log start limit rc p f s=0
	name=$(basename "$t" .sh)
	results=$work/$name.results log=$work/$name.log
	: >"$results"
	start=$(date +%s)
	limit=$(sed -n 's/^# timeout: \([0-9]\+\)$/\1/p' "$t" | head -1)
	RESULTS=$results TEST_NAME=$name timeout "${limit:-600}" bash "$t" >"$log" 2>&1
	rc=$?
	p=$(grep -c '^PASS' "$results")
	f=$(grep -c '^FAIL' "$results")
	{
		if [ $rc -eq 77 ]; then
			s=1
			echo "SKIP $name: $(tail -1 "$log")"
		elif [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then
			f=1
			echo "FAIL $name: exited $rc"
		fi
		if [ "$f" -gt 0 ]; then
			grep '^FAIL' "$results" | sed "s/^/  $name: /"
			echo "---- log of $name (last 40 lines)"; tail -40 "$log"; echo "----"
		fi
		[ $rc -eq 77 ] || echo "  $name: $p passed, $f failed ($(( $(date +%s) - start )) s)"
	} >"$work/$name.out"
	flock "$work" cat "$work/$name.out"
	echo "$p $f $s" >"$work/$name.count"
}

# The longest scripts (the largest "# timeout:") start first, so that they overlap the rest.
by_length=$(for t in "${scripts[@]}"; do
	echo "$(sed -n 's/^# timeout: \([0-9]\+\)$/\1/p' "$t" | head -1 | grep . || echo 600) $t"
done | sort -s -k1,1nr | cut -d' ' -f2-)
serial=() parallel=()
while read -r t; do
	if grep -q '^# serial$' "$t"; then serial+=("$t"); else parallel+=("$t"); fi
done <<<"$by_length"
[ ${#parallel[@]} -eq 0 ] || pool_run "$jobs_max" run_one "${parallel[@]}"
[ ${#serial[@]} -eq 0 ] || pool_run 1 run_one "${serial[@]}"
read -r passed failed skipped <<<"$(pool_sum "$work" 3)"
if [ $skipped -gt 0 ]; then
	echo "$label: $passed passed, $failed failed, $skipped skipped"
else
	echo "$label: $passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
