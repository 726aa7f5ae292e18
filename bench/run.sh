#!/bin/bash
# make bench: run every benchmark (bench/<area>.sh) and print its figures. Figures worth
# keeping go to bench/RESULTS.md by hand. BENCH_ONLY=spool,imap runs a subset.
set -u
cd "$(dirname "$0")/.."
export GONIEC=${GONIEC:-$PWD/build/goniec}
# The build tree's goniec looks for the shipped invoice field rules where the package puts
# them; point it at the same files, so that PDFs are filed as an installed goniec files them.
export GONIEC_INVOICE_RULES_DIR=${GONIEC_INVOICE_RULES_DIR:-$PWD/conf.d/invoices}
status=0
for b in bench/*.sh; do
	name=$(basename "$b" .sh)
	case $name in run | lib) continue ;; esac
	if [ -n "${BENCH_ONLY:-}" ] && [[ ",$BENCH_ONLY," != *",$name,"* ]]; then continue; fi
	echo "=== $name"
	bash "$b" || { echo "bench $name failed"; status=1; }
done
exit $status
