#!/bin/bash
# Run each libFuzzer target for SECONDS over its seed corpus (tests/fuzz/corpus/<name>),
# as many at once as there are cores (FUZZ_JOBS).
# Usage: tests/run-fuzz.sh SECONDS BIN...
set -u
secs=$1; shift
jobs_max=${FUZZ_JOBS:-$(nproc)}
results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT

fuzz_one() { # BIN — leaves ok or failed in $results/NAME
	local bin=$1 name=${1##*/} seeds work
	seeds=tests/fuzz/corpus/$name
	work=build-fuzz/corpus-$name
	mkdir -p "$work"
	if "$bin" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 -print_final_stats=0 -artifact_prefix=build-fuzz/ \
		"$work" ${seeds:+$( [ -d "$seeds" ] && echo "$seeds")} >build-fuzz/$name.log 2>&1; then
		flock "$results" echo "fuzz $name: ok ($secs s)"
		echo ok >"$results/$name"
	else
		flock "$results" sh -c 'tail -40 "$1"; echo "fuzz $2: FAILED (log in $1)"' - "build-fuzz/$name.log" "$name"
		echo failed >"$results/$name"
	fi
}

for bin in "$@"; do
	while [ "$(jobs -rp | wc -l)" -ge "$jobs_max" ]; do wait -n; done
	fuzz_one "$bin" &
done
wait
passed=$(grep -lx ok "$results"/* 2>/dev/null | wc -l)
failed=$(( $# - passed ))
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
