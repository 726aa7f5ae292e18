#!/bin/bash
# Run each libFuzzer target for SECONDS over its seed corpus (tests/fuzz/corpus/<name>),
# as many at once as there are cores (FUZZ_JOBS).
# Usage: tests/run-fuzz.sh SECONDS BIN...
set -u
. "$(dirname "$0")/pool.sh"
secs=$1; shift
jobs_max=${FUZZ_JOBS:-$(nproc)}
results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT

fuzz_one() { # BIN — leaves "passed failed" (1 0 or 0 1) in $results/NAME.count
	local bin=$1 name=${1##*/} seeds work
	seeds=tests/fuzz/corpus/$name
	work=build-fuzz/corpus-$name
	mkdir -p "$work"
	if "$bin" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 -print_final_stats=0 -artifact_prefix=build-fuzz/ \
		"$work" ${seeds:+$( [ -d "$seeds" ] && echo "$seeds")} >build-fuzz/$name.log 2>&1; then
		flock "$results" echo "fuzz $name: ok ($secs s)"
		echo 1 0 >"$results/$name.count"
	else
		flock "$results" sh -c 'tail -40 "$1"; echo "fuzz $2: FAILED (log in $1)"' - "build-fuzz/$name.log" "$name"
		echo 0 1 >"$results/$name.count"
	fi
}

pool_run "$jobs_max" fuzz_one "$@"
read -r passed failed <<<"$(pool_sum "$results" 2)"
failed=$(( $# - passed )) # a target that left no count failed
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
