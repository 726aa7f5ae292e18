#!/bin/bash
# IMAP fetch benchmark: goniec side by side with the peers in bench/imap (the
# protocol-optimal Python client, mbsync, fetchmail and getmail6 + extract.py) against
# the same private Dovecot and the same mailbox, in the same run.
#
# The job: every PDF (also inside forwarded mail) from the whitelisted senders in INBOX.
# goniec runs with move_to: null so that every tool sees the same mailbox. Printed: the
# median wall time and CPU time of 3 runs and the peak memory per tool, goniec's second run (no new
# mail), and whether goniec's spool holds exactly the expected PDFs. goniec's first run and
# the optimal client are also timed with a busy disk (bench/busy.sh: a neighbour writing
# GBs to the same disk; BUSY=0 skips it), and each pair's ratio is printed. PEERS=0 skips
# mbsync, fetchmail and getmail6.
# Env: IMAP_BENCH_N (messages, default 2000), GONIEC (the binary). Needs dovecot-imapd,
# isync, fetchmail, getmail6 (packaging/deps.d/imap.list) and /usr/bin/time.
set -eo pipefail
here=$(cd "$(dirname "$0")" && pwd)
h=$here/imap
n=${IMAP_BENCH_N:-2000}
GONIEC=${GONIEC:-$here/../build/goniec}
# The test library gives a scratch directory ($T, removed at exit), the test CA and
# cleanup hooks; the Dovecot is the tests' fixture on the ports the peers expect.
TEST_NAME=bench-imap . "$here/../tests/integration/lib.sh"
. "$here/lib.sh"
. "$here/busy.sh"
dir=$T
fixture=$SRC_DIR/tests/fixtures/dovecot.sh
make_test_ca
# getmail refuses to run as root; its peer script runs it as this user
id imapbench >/dev/null 2>&1 || useradd --system --no-create-home imapbench
"$fixture" user "$dir/dovecot" bench bench
python3 "$h/mkcorpus.py" "$dir/dovecot/mail/bench/Maildir" "$n" >"$dir/expected.json"
chown -R goniecimap: "$dir/dovecot/mail"
sync "$dir/dovecot/mail" # the new mailbox written back before any timed run, not during the first
at_exit "'$fixture' stop '$dir/dovecot'"
"$fixture" start "$dir/dovecot" 11143 11993 "$dir/tls/server.pem" "$dir/tls/server.key"
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

# timed NAME CMD... — append "wall_s maxrss_kib cpu_s" of one run to $dir/NAME.times (CPU:
# user + system, the children waited for included)
timed() {
	local name=$1; shift
	if /usr/bin/time -f "%e %M %U %S" -o "$dir/time" "$@" >/dev/null 2>"$dir/err"; then
		awk '{print $1, $2, $3 + $4}' "$dir/time" >>"$dir/$name.times"
	else
		echo "$name failed: $(tail -1 "$dir/err")" >&2
	fi
}
# report KEY LABEL FOUND
report() {
	local name=$1 found=$3
	[ -s "$dir/$name.times" ] || { printf '%-22s failed every run\n' "$2"; return; }
	printf '%-22s %7s s %6d MiB  %s s CPU  %s PDFs\n' "$2" \
		"$(awk '{print $1}' "$dir/$name.times" | median)" \
		"$(( $(awk '{print $2}' "$dir/$name.times" | sort -n | tail -1) / 1024 ))" \
		"$(awk '{print $3}' "$dir/$name.times" | median)" "$found"
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

# The previous run's output is moved aside, not removed, and removed only at the end: on
# ext4, a new file is never given an inode number freed in the last seconds, and each
# new file walks past such numbers (recently_deleted() in fs/ext4/ialloc.c), so removing
# thousands of files just before a run charges that run for the bench's own cleanup,
# goniec (a document and its sidecar) twice as much as the client. A real first run
# follows no such removal. See bench/RESULTS.md.
set_aside() {
	local f
	mkdir -p "$dir/aside"
	for f in "$@"; do [ ! -e "$f" ] || mv "$f" "$(mktemp -d "$dir/aside/XXXXXX")/"; done
}
# The optimal client syncs nothing: the ~50 MB it wrote would still be unwritten when goniec's
# next run starts, and written back during it (a neighbour's data that goniec's syncs wait
# for too, costing it 0.05-0.1 s of a quiet run here). Its files are made durable between
# the runs, untimed (each file: the busy disk's neighbour is left as it is).
settle() { find "$1" -type f -exec sync {} + && sync "$1"; }
first_runs() { # LABEL — goniec's first run and the optimal client, 3 times each, in turn
	for i in 1 2 3; do
		set_aside "$dir/spool" "$dir/state" "$dir/out-optimal"
		timed "goniec$1" "$GONIEC" -q -c "$dir/conf.d" fetch bench
		timed "optimal$1" python3 "$h/optimal.py" "$dir/out-optimal"
		settle "$dir/out-optimal"
	done
}
ratio() { # KEY_A KEY_B — median A / median B
	echo "$(awk '{print $1}' "$dir/$1.times" | median) / $(awk '{print $1}' "$dir/$2.times" | median)" |
		bc -l | xargs printf '%.2f'
}

echo "mailbox: $n messages, $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["expected_pdfs"])' "$dir/expected.json") expected PDFs, $(du -sm "$dir/dovecot/mail" | cut -f1) MB"
# One untimed pass of the optimal client first: Dovecot parses each message and fills its
# cache (BODYSTRUCTURE and the rest) for the first client that asks, and a real mailbox has
# met clients before goniec's first run. Without it goniec, always first, met a cold server.
python3 "$h/optimal.py" "$dir/warm" >/dev/null
settle "$dir/warm"
first_runs ""
report goniec "goniec (first run)" "$(spool_check)"
report optimal "optimal" "$(ls "$dir/out-optimal" | wc -l)"
echo "goniec / optimal, quiet disk: $(ratio goniec optimal)"
if [ "${BUSY:-1}" != 0 ]; then
	at_exit busy_stop
	busy_start "$dir"
	echo "busy disk: $(busy_dirty) MB unwritten by the neighbour at the start"
	first_runs -busy
	echo "busy disk: $(busy_dirty) MB unwritten by the neighbour at the end"
	busy_stop
	report goniec-busy "goniec (busy disk)" "$(spool_check)"
	report optimal-busy "optimal (busy disk)" "$(ls "$dir/out-optimal" | wc -l)"
	echo "goniec / optimal, busy disk: $(ratio goniec-busy optimal-busy)"
fi
# The same with spool and state in memory: what the fetching costs without the spool's
# fsyncs (four per document), for comparison with the peers, which sync nothing.
if [ -d /dev/shm ]; then
	shm=$(mktemp -d /dev/shm/goniec-bench.XXXXXX)
	at_exit "rm -rf '$shm'"
	mkdir -p "$shm/conf.d"
	sed "s|$dir/spool|$shm/spool|; s|$dir/state|$shm/state|" "$dir/conf.d/bench.yaml" >"$shm/conf.d/bench.yaml"
	chmod 700 "$shm/conf.d"
	chmod 600 "$shm/conf.d/bench.yaml"
	for i in 1 2 3; do
		rm -rf "$shm/spool" "$shm/state"
		timed goniec-shm "$GONIEC" -q -c "$shm/conf.d" fetch bench
	done
	report goniec-shm "goniec (spool in RAM)" "$(find "$shm/spool" -name '*.meta.json' | wc -l)"
fi
for i in 1 2 3 4 5; do timed goniec-again "$GONIEC" -q -c "$dir/conf.d" fetch bench; done
again_ms=$(awk '{print $1 * 1000}' "$dir/goniec-again.times" | median)
report goniec-again "goniec (no new mail)" "$(spool_check)"
echo "goniec second run: ${again_ms} ms (median of 5)"
for tool in mbsync fetchmail getmail; do
	[ "${PEERS:-1}" != 0 ] || break
	for i in 1 2 3; do timed $tool "$h/peer-$tool.sh" "$dir/w-$tool"; done
	report $tool $tool "$(ls "$dir/w-$tool/out" | wc -l)"
done
