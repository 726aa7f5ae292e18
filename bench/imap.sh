#!/bin/bash
# IMAP fetch benchmark: goniec side by side with the peers in bench/imap (the
# protocol-optimal Python client, mbsync, fetchmail and getmail6 + extract.py) against
# the same private Dovecot and the same mailbox, in the same run.
#
# The job: every PDF (also inside forwarded mail) from the whitelisted senders in INBOX.
# goniec runs with move_to: null so that every tool sees the same mailbox. Printed: the
# median wall time of 3 runs and the peak memory per tool, goniec's second run (no new
# mail), and whether goniec's spool holds exactly the expected PDFs.
# Env: IMAP_BENCH_N (messages, default 2000), GONIEC (the binary). Needs dovecot-imapd,
# isync, fetchmail, getmail6 (packaging/deps.d/imap.list) and /usr/bin/time.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
h=$here/imap
n=${IMAP_BENCH_N:-2000}
dir=${TMPDIR:-/tmp}/goniec-bench-imap
GONIEC=${GONIEC:-$here/../build/goniec}
"$h/dovecot.sh" stop "$dir" 2>/dev/null || true
rm -rf "$dir"
mkdir -p "$dir"
chmod 755 "$dir"
python3 "$h/mkcorpus.py" "$dir/Maildir" "$n" >"$dir/expected.json"
"$h/dovecot.sh" start "$dir"
trap '"$h/dovecot.sh" stop "$dir"' EXIT
export CA=$dir/tls/ca.pem

mkdir -p "$dir/conf.d"
chmod 700 "$dir/conf.d"
cat >"$dir/conf.d/bench.yaml" <<CONF
agent:
  spool: $dir/spool
  state: $dir/state
sources:
  - name: bench
    type: imap
    host: localhost
    port: 11993
    user: bench
    password: bench
    ca_file: $CA
    folders: [INBOX]
    senders: ["*@pge.pl", "*@tauron.pl", "*@play.pl", "*@spoldzielnia-example.pl"]
    move_to: null
CONF
chmod 600 "$dir/conf.d/bench.yaml"

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# timed NAME CMD... — append "wall_s maxrss_kib" of one run to $dir/NAME.times
timed() {
	local name=$1; shift
	/usr/bin/time -f "%e %M" -o "$dir/time" "$@" >/dev/null 2>"$dir/err" || { cat "$dir/err" >&2; exit 1; }
	cat "$dir/time" >>"$dir/$name.times"
}
# report KEY LABEL FOUND
report() {
	local name=$1 found=$3
	printf '%-22s %7s s %6d MiB  %s PDFs\n' "$2" \
		"$(awk '{print $1}' "$dir/$name.times" | median)" \
		"$(( $(awk '{print $2}' "$dir/$name.times" | sort -n | tail -1) / 1024 ))" "$found"
}
spool_check() {
	python3 - "$dir/spool" "$dir/expected.json" <<'PY'
import glob, hashlib, json, os, sys
spool, exp = sys.argv[1], set(json.load(open(sys.argv[2]))["expected_sha256"])
got = [hashlib.sha256(open(p[:-10], "rb").read()).hexdigest()
       for p in glob.glob(os.path.join(spool, "**", "*.meta.json"), recursive=True)
       if "/quarantine/" not in p]
print(f"{len(got)} ({'exactly the expected set' if sorted(got) == sorted(exp) else 'WRONG: expected %d' % len(exp)})")
PY
}

echo "mailbox: $n messages, $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["expected_pdfs"])' "$dir/expected.json") expected PDFs, $(du -sm "$dir/Maildir" | cut -f1) MB"
for i in 1 2 3; do
	rm -rf "$dir/spool" "$dir/state"
	timed goniec "$GONIEC" -q -c "$dir/conf.d" fetch bench
done
report goniec "goniec (first run)" "$(spool_check)"
for i in 1 2 3 4 5; do timed goniec-again "$GONIEC" -q -c "$dir/conf.d" fetch bench; done
again_ms=$(awk '{print $1 * 1000}' "$dir/goniec-again.times" | median)
report goniec-again "goniec (no new mail)" "$(spool_check)"
echo "goniec second run: ${again_ms} ms (median of 5)"
for tool in optimal mbsync fetchmail getmail; do
	for i in 1 2 3; do
		if [ $tool = optimal ]; then
			rm -rf "$dir/out-optimal"
			timed $tool python3 "$h/optimal.py" "$dir/out-optimal"
		else
			timed $tool "$h/peer-$tool.sh" "$dir/w-$tool"
		fi
	done
	out=$dir/out-optimal
	[ $tool = optimal ] || out=$dir/w-$tool/out
	report $tool $tool "$(ls "$out" | wc -l)"
done
