#!/bin/bash
# Fifteen thousand sources on one machine, and shards past it.
# 1. A conf.d of 15,000 folder sources (150 files of 100, one company each, one document
#    per source): `goniec check`; through the daemon `status --json` lists all, `status`
#    prints all, and a `goniec fetch` naming all 150 companies (a request of some 150
#    KB: the limit grows with the number of sources) is accepted for every source.
# 2. Three daemons, shards 0/3, 1/3 and 2/3 over one conf.d of 90 sources, 5 to a
#    company (each run is a process: SCALE_SHARD_SOURCES=3000 for the issue's size, as
#    `make bench` runs it): each source runs exactly once, in the shard its company
#    hashes to (a company's sources together); the union of their spool subtrees holds
#    every document once; `payments update` of a shard (every company) reads and
#    matches only the companies of its share; each daemon starts one PDF text server
#    for all its runs (the test build's goniec-pdftext notes each start).
# Spool and state are on tmpfs when there is one: the test is about numbers of sources,
# not about the disk. Under ASan (slower at everything) a tenth of the sources in 1.
source "$(dirname "$0")/lib.sh"
N=15000 NS=${SCALE_SHARD_SOURCES:-90}
[ -n "${GONIEC_ASAN:-}" ] && N=1500 NS=60
fast=$T
if [ -d /dev/shm ] && [ -w /dev/shm ]; then
	fast=$(mktemp -d /dev/shm/goniec-t_scale.XXXXXX)
	at_exit "rm -rf '$fast'"
fi

# make_conf DIR COUNT AGENT-EXTRA: conf.d with COUNT folder sources s00000..., in files
# of 100 (company cNNN each); each source's folder holds one PDF.
make_conf() { python3 "$TESTS_DIR/../fixtures/many_sources.py" "$@"; }
# cpu_ms CMD...: run it; its CPU time (user + system, children included) in $CPU_MS.
cpu_ms() {
	local TIMEFORMAT='%3U %3S' rc
	{ time "$@" >"$T/cmd.out" 2>"$T/cmd.err"; } 2>"$T/time"
	rc=$?
	CPU_MS=$(awk '{printf "%d", ($1 + $2) * 1000}' "$T/time")
	return $rc
}
# Every name in a status --json document, one a line (and the count of them in $T/names.n).
status_names() {
	python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
assert d["ok"] is True
print("\n".join(s["name"] for s in d["sources"] if s["outcome"] == "ok" and s["stats"]["filed"] == 1))' "$1"
}

# ---- 1. fifteen thousand sources -----------------------------------------------------
B=$fast/one
make_conf "$B" "$N" ""
G() { "$GONIEC" -c "$B/conf.d" "$@"; }
cpu_ms G check
check_eq "check: $N sources" "OK: $N sources, 0 routes" "$(cat "$T/cmd.out")"
check "... in under 2 s of CPU (took $CPU_MS ms)" test "$CPU_MS" -lt 2000

"$GONIEC" -c "$B/conf.d" run >"$T/daemon.log" 2>&1 &
DPID=$!
at_exit "kill $DPID 2>/dev/null; wait $DPID 2>/dev/null"
check "the daemon starts" wait_for 60 test -S "$B/state/control.sock"
cpu_ms G status --json
check_eq "status --json: exit 0" 0 $?
check_eq "... parses and lists all $N" "$N" "$(python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
print(len({s["name"] for s in d["sources"]}) if d["ok"] and d["daemon"] else 0)' "$T/cmd.out")"
check "... in under 2 s of CPU (took $CPU_MS ms)" test "$CPU_MS" -lt 2000
cpu_ms G status
check_eq "status: a line per source" "$N" "$(grep -c '^s[0-9]* *folder ' "$T/cmd.out")"
check "... in under 2 s of CPU (took $CPU_MS ms)" test "$CPU_MS" -lt 2000
# A request longer than all the names of the configuration could make is still refused.
python3 - "$B/state/control.sock" "$N" >"$T/long.out" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
try:  # the daemon answers and hangs up before all is sent
    s.sendall(json.dumps({"cmd": "fetch", "sources": ["x" * 100] * (int(sys.argv[2]) * 2)}).encode() + b"\n")
except OSError:
    pass
print(s.makefile().readline().strip())
PY
check "a request longer than the names of every source is refused" grep -q '"request too long"' "$T/long.out"
# Every source, named by its company: a request of some 150 KB, accepted whole. (The
# runs themselves, 15,000 processes, are timed in `make bench`; here the daemon is
# stopped at once, and the shards below run each of their sources.)
companies=$(seq -f 'c%03g' 0 $(((N - 1) / 100)))
# shellcheck disable=SC2086 # one word per company
G fetch --no-wait --json $companies >"$T/fetch.json" 2>"$T/fetch.err"
check_eq "fetch naming all $((N / 100)) companies through the daemon: exit 0" 0 $?
kill "$DPID" # its queue of runs is dropped; the runs under way end
if [ "$N" -ge 10000 ]; then # (not the tenth under ASan)
	check "... the request was over 64 KiB" test "$(python3 -c 'import sys
print(len(",".join(["\"s%05d\"" % i for i in range(int(sys.argv[1]))])))' "$N")" -gt 65536
fi
check_eq "... and every source was accepted" "$N" "$(python3 -c 'import json, sys
print(len(set(json.load(open(sys.argv[1])))))' "$T/fetch.json")"
wait "$DPID"
check_eq "the daemon stops cleanly" 0 $?

# ---- 2. three shards -----------------------------------------------------------------
S=$fast/shards
make_conf "$S" "$NS" ", shard: {of: 3}" "" 5
H() { "$GONIEC" -c "$S/conf.d" "$@"; }
H fetch >"$T/out" 2>&1
check_eq "sharded: fetch without a shard is refused" 2 $?
check "... saying how to choose one" grep -q 'choose one with --shard K (0 to 2)' "$T/out"
export GONIEC_PDFTEXT_STARTS=$T/pdftext-starts
"$GONIEC" -c "$S/conf.d" run --shard 0 >"$T/shard0.log" 2>&1 &
P0=$!
"$GONIEC" -c "$S/conf.d" --shard 1 run >"$T/shard1.log" 2>&1 &
P1=$!
"$GONIEC" -c "$S/conf.d" run --shard 2/3 >"$T/shard2.log" 2>&1 &
P2=$!
unset GONIEC_PDFTEXT_STARTS
at_exit "kill $P0 $P1 $P2 2>/dev/null; wait $P0 $P1 $P2 2>/dev/null"
for k in 0 1 2; do
	check "shard $k: its daemon starts with a state of its own" \
		wait_for 60 test -S "$S/state/shard-$k/control.sock"
done
H list | awk 'NR > 1 {print $1, $NF}' | sort >"$T/list"
check_eq "list: a shard for each source" "$NS" "$(wc -l <"$T/list")"
check_eq "... the same for each source of a company" "$((NS / 5))" \
	"$(H list | awk 'NR > 1 {print $3, $NF}' | sort -u | wc -l)"
for k in 0 1 2; do # the three at once, as three machines would
	H --shard "$k" fetch >"$T/fetch$k.out" 2>&1 &
	F[k]=$!
done
for k in 0 1 2; do
	wait "${F[k]}"
	check_eq "shard $k: fetch of its sources, exit 0" 0 $?
	H --shard "$k" status --json >"$T/status$k.json"
	status_names "$T/status$k.json" | sed "s/\$/ $k/" >>"$T/ran"
done
sort "$T/ran" >"$T/ran.sorted"
check_eq "every source ran exactly once, ok, in the shard of its company" "" \
	"$(diff "$T/list" "$T/ran.sorted")"
check_eq "each shard ran about a third (fewest at least a quarter)" 1 \
	"$(awk '{n[$2]++} END {m = n[0]; for (k in n) if (n[k] < m) m = n[k]; print (m >= '"$NS"' / 4) ? 1 : 0}' "$T/ran.sorted")"
# spool/shard-K/YYYY/MM/DD/<source>/FV-<i>.pdf -> "<source> K FV-<i>.pdf"
find "$S"/spool/shard-* -name 'FV-*.pdf' |
	awk -F/ '{k = $(NF - 5); sub("shard-", "", k); print $(NF - 1), k, $NF}' | sort >"$T/docs"
check_eq "the union of the shards' spools holds every document" "$NS" "$(wc -l <"$T/docs")"
check_eq "... each once" "$NS" "$(cut -d' ' -f3 "$T/docs" | sort -u | wc -l)"
check_eq "... each in the subtree of its source's shard" "" \
	"$(cut -d' ' -f1,2 "$T/docs" | diff - "$T/list")"
check_eq "each daemon started one PDF text server, shared by all its runs (none of their own)" \
	"door door door" "$(sort "$T/pdftext-starts" | xargs)"
other=$(awk '$2 == 1 {print $1; exit}' "$T/list")
H --shard 0 fetch "$other" >"$T/out" 2>&1
check_eq "a source of another shard is refused" 64 $?
check "... naming its shard" grep -q "source $other is in shard 1 of 3 (give --shard 1)" "$T/out"
kill "$P0" "$P1" "$P2"
for p in "$P0" "$P1" "$P2"; do
	wait "$p"
	check_eq "shard daemon $p stops cleanly" 0 $?
done
# The payments of every company the shard has (company NULL): only its share's companies.
H list | awk 'NR > 1 {print $NF, $3}' | sort -u >"$T/companies"
for k in 0 1 2; do
	H --shard "$k" payments update >"$T/pay$k.out" 2>&1
	check_eq "shard $k: payments update, exit 0" 0 $?
	H --shard "$k" status --json >"$T/pstatus$k.json"
	check_eq "... its ledger knows only the companies of its share" \
		"$(awk -v k="$k" '$1 == k {print $2}' "$T/companies")" \
		"$(python3 -c 'import json, sys
print("\n".join(sorted(c["company"] for c in json.load(open(sys.argv[1]))["payments"]["companies"])))' "$T/pstatus$k.json")"
done
