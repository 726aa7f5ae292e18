#!/bin/bash
# Everything `make check` runs: static checks (tests/lint), unit tests, integration tests, the unit and integration
# tests again under ASan+UBSan, and a short fuzz run when clang is there.
# Usage: tests/run-all.sh BUILD ASAN_BUILD
set -u
build=$1 asan=$2
cd "$(dirname "$0")/.."
total_p=0 total_f=0
run() { # label command...
	local label=$1; shift
	local log start=$SECONDS; log=$(mktemp)
	"$@" 2>&1 | tee "$log"
	echo "($label took $((SECONDS - start)) s)"
	local line; line=$(grep -E "^$label: [0-9]+ passed, [0-9]+ failed" "$log" | tail -1)
	local p f
	p=$(sed -n 's/.*: \([0-9]*\) passed.*/\1/p' <<<"$line")
	f=$(sed -n 's/.* \([0-9]*\) failed.*/\1/p' <<<"$line")
	[ -n "$line" ] || { echo "$label: did not report (counted as 1 failure)"; f=1; p=0; }
	total_p=$((total_p + p)); total_f=$((total_f + f))
	rm -f "$log"
}
run lint tests/lint/run.sh
run unit tests/run-unit.sh "$build" unit
run integration env GONIEC="$PWD/$build/goniec" tests/integration/run.sh
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
run unit-asan tests/run-unit.sh "$asan" unit-asan
run integration-asan env GONIEC="$PWD/$asan/goniec" GONIEC_ASAN=1 tests/integration/run.sh integration-asan
if command -v clang >/dev/null && [ -z "${NO_FUZZ:-}" ]; then
	run fuzz make --no-print-directory -j"$(nproc)" fuzz-smoke
fi
echo "all: $total_p passed, $total_f failed"
[ "$total_f" -eq 0 ]
