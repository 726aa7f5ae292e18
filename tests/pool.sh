# Sourced by the test runners (run-unit.sh, run-fuzz.sh, integration/run.sh): run a
# function over items several at a time, and add up the counts the runs leave behind.

# pool_run MAX FUNC ITEM... — `FUNC ITEM` for each item in the background, at most MAX
# at once; returns when all have ended.
pool_run() {
	local max=$1 fn=$2 item
	shift 2
	for item in "$@"; do
		while [ "$(jobs -rp | wc -l)" -ge "$max" ]; do wait -n; done
		"$fn" "$item" &
	done
	wait
}

# pool_sum DIR N — the sums of the first N columns of the DIR/*.count files (a line of
# numbers each), separated by spaces; zeros when there are none.
pool_sum() {
	cat "$1"/*.count 2>/dev/null |
		awk -v n="$2" '{ for (i = 1; i <= n; i++) s[i] += $i }
			END { for (i = 1; i <= n; i++) printf "%s%d", (i > 1 ? " " : ""), s[i]; print "" }'
}
