#!/bin/bash
# make bench: run every benchmark (bench/<area>.sh) and print its figures. Figures worth
# keeping go to bench/RESULTS.md by hand. BENCH_ONLY=spool,imap runs a subset.
set -u
cd "$(dirname "$0")/.."
export GONIEC=${GONIEC:-$PWD/build/goniec}
status=0
for b in bench/*.sh; do
	name=$(basename "$b" .sh)
	case $name in run | lib) continue ;; esac
	if [ -n "${BENCH_ONLY:-}" ] && [[ ",$BENCH_ONLY," != *",$name,"* ]]; then continue; fi
	echo "=== $name"
	bash "$b" || { echo "bench $name failed"; status=1; }
done
exit $status
