#!/bin/bash
# Spool filing throughput: N PDF documents dropped into a folder source, filed by one
# `goniec fetch` (each document and sidecar written, the batch made durable at once, the
# dedupe index appended). Prints documents per second and peak memory for N=1,000 and
# N=10,000, on a quiet disk and on a busy one (bench/busy.sh: a neighbour writing GBs to
# the same disk). The spool is on the disk that holds /var/tmp (not tmpfs), so syncs are
# real. BUSY=0 skips the busy runs; SPOOL_SIZES="1000" runs only those sizes.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
GONIEC=${GONIEC:-$here/../build/goniec}
. "$here/busy.sh"
base=$(mktemp -d /var/tmp/goniec-bench-spool.XXXXXX)
trap 'busy_stop; rm -rf "$base"' EXIT
printf '%-6s %-8s %10s %12s %12s\n' disk docs "wall s" "docs/s" "peak MiB"
# file N DISK — one run on a fresh spool
file() {
	local n=$1 d=$base/$1
	rm -rf "$d"
	mkdir -p "$d/inbox" "$d/conf.d"
	python3 - "$d/inbox" "$n" <<'PY'
import os, sys
out, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    body = b"%PDF-1.4\n" + os.urandom(20000) + b"\n%%EOF\n"
    with open(os.path.join(out, f"FV-{i:05d}.pdf"), "wb") as f:
        f.write(body)
PY
	sync -f "$d/inbox" # the inbox's own writing is no part of the measure
	touch -d '1 minute ago' "$d/inbox"/*.pdf
	cat >"$d/conf.d/agent.yaml" <<YAML
agent: {spool: $d/spool, state: $d/state}
sources:
  - {name: scans, type: folder, path: $d/inbox, settle: 0s}
YAML
	/usr/bin/time -f '%e %M' -o "$d/time" "$GONIEC" -q -c "$d/conf.d" fetch >/dev/null
	read -r wall kb <"$d/time"
	filed=$(find "$d/spool" -name '*.meta.json' | wc -l)
	[ "$filed" -eq "$n" ] || { echo "only $filed of $n filed"; exit 1; }
	printf '%-6s %-8s %10s %12.0f %12.1f\n' "$2" "$n" "$wall" "$(echo "$n / $wall" | bc -l)" \
		"$(echo "$kb / 1024" | bc -l)"
}
for n in ${SPOOL_SIZES:-1000 10000}; do file "$n" quiet; done
if [ "${BUSY:-1}" != 0 ]; then
	busy_start "$base"
	echo "(busy: $(busy_dirty) MB unwritten by the neighbour at the start)"
	for n in ${SPOOL_SIZES:-1000 10000}; do file "$n" busy; done
	busy_stop
fi
