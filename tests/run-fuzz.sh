#!/bin/bash
# Run each libFuzzer target for SECONDS over its seed corpus (tests/fuzz/corpus/<name>).
# Usage: tests/run-fuzz.sh SECONDS BIN...
set -u
secs=$1; shift
passed=0 failed=0
for bin in "$@"; do
	name=${bin##*/}
	seeds=tests/fuzz/corpus/$name
	work=build-fuzz/corpus-$name
	mkdir -p "$work"
	if "$bin" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 -print_final_stats=0 -artifact_prefix=build-fuzz/ \
		"$work" ${seeds:+$( [ -d "$seeds" ] && echo "$seeds")} >build-fuzz/$name.log 2>&1; then
		echo "fuzz $name: ok ($secs s)"
		passed=$((passed + 1))
	else
		tail -40 build-fuzz/$name.log
		echo "fuzz $name: FAILED (log in build-fuzz/$name.log)"
		failed=$((failed + 1))
	fi
done
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
