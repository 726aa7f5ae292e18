#!/bin/bash
# Spool filing throughput: N PDF documents dropped into a folder source, filed by one
# `goniec fetch` (each document and sidecar written, fsynced and renamed, dedupe index
# appended and synced). Prints documents per second and peak memory for N=1,000 and
# N=10,000. The spool is on the disk that holds /var/tmp (not tmpfs), so fsync is real.
set -eu
GONIEC=${GONIEC:-$(cd "$(dirname "$0")/.." && pwd)/build/goniec}
base=$(mktemp -d /var/tmp/goniec-bench-spool.XXXXXX)
trap 'rm -rf "$base"' EXIT
printf '%-8s %10s %12s %12s\n' docs "wall s" "docs/s" "peak MiB"
for n in 1000 10000; do
	d=$base/$n
	mkdir -p "$d/inbox" "$d/conf.d"
	python3 - "$d/inbox" "$n" <<'PY'
import os, sys
out, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    body = b"%PDF-1.4\n" + os.urandom(20000) + b"\n%%EOF\n"
    with open(os.path.join(out, f"FV-{i:05d}.pdf"), "wb") as f:
        f.write(body)
PY
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
	printf '%-8s %10s %12.0f %12.1f\n' "$n" "$wall" "$(echo "$n / $wall" | bc -l)" "$(echo "$kb / 1024" | bc -l)"
done
