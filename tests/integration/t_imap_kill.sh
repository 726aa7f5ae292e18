#!/bin/bash
# kill -9 at random moments while the imap source fetches from a real Dovecot (>= 150 kills
# of a running fetch, mail arriving meanwhile, the transfer slowed so that kills land in
# the middle of fetching, filing, syncing and moving): after a last run every invoice is
# in the spool exactly once and complete, every message is moved, nothing half-written is
# left. With t_forward_kill (>= 50), at least 200 kills across fetch and forward.
. "$(dirname "$0")/lib.sh"
. "$SRC_DIR/tests/fixtures/imap_env.sh"
# What a kill leaves on disk is the same with or without sanitizers: tested once.
[ -z "${GONIEC_ASAN:-}" ] || skip "kill -9 safety is tested once, not under ASan"
imap_require
imap_start
year=$(date +%Y)
N=400
python3 "$FIXTURES/mkinvoices.py" "$T/mail" "$N" 6000 kill >"$T/all.sha"
ls "$T"/mail/*.eml | head -60 | xargs "$FIXTURES/dovecot.sh" deliver "$T/dovecot" test INBOX
port=$(free_port)
python3 "$FIXTURES/tcp_proxy.py" "$port" "$IMAPS_PORT" --rate 3000000 &
at_exit "kill $! 2>/dev/null"
wait_port "$port"
C_PORT=$port imap_conf killed 'folders: [INBOX]'
# the rest of the mail arrives during the kills
(ls "$T"/mail/*.eml | tail -n +61 | while read -r f; do
	imap_deliver test INBOX "$f"
	sleep 0.1
done) &
mailer=$!
at_exit "kill $mailer 2>/dev/null"

# The kill comes 20 ms to `window` ms after the start. A kill that found the run still
# going but the spool untouched widens the window (a loaded machine starts runs slowly);
# one that came after the run had ended narrows it: the kills keep landing in the work.
files() { find "$T/spool" -type f 2>/dev/null | wc -l; }
kills=0 busy=0 filing=0 window=300
while [ "$busy" -lt 150 ] && [ "$kills" -lt 300 ]; do
	before=$(files)
	"$GONIEC" -c "$T/conf.d" fetch killed >/dev/null 2>&1 &
	pid=$!
	ms=$((RANDOM % window + 20))
	sleep "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"
	running=0
	kill -9 "$pid" 2>/dev/null && running=1
	wait "$pid" 2>/dev/null
	changed=0
	[ "$(files)" != "$before" ] && changed=1
	busy=$((busy + running))
	[ $running = 1 ] && [ $changed = 1 ] && filing=$((filing + 1))
	if [ $running = 0 ]; then
		window=$((window > 300 ? window - 200 : 100))
	elif [ $changed = 0 ] && [ "$window" -lt 4000 ]; then
		window=$((window + 100))
	fi
	kills=$((kills + 1))
done
wait $mailer
echo "kills: $kills, of a running fetch: $busy, of one that was filing: $filing (window $window ms)"
check "at least 150 kills of a running fetch ($busy)" test "$busy" -ge 150
check "at least 20 kills hit a fetch that was filing ($filing)" test "$filing" -ge 20

goniec_run fetch killed
check_eq "the last run succeeds" 0 $?
check_eq "0 lost: every invoice is filed" "$N" "$(docs_with "$T/all.sha")"
check_eq "0 duplicates: each once" "$N" "$(count_docs "$T/spool")"
check_eq "0 partial: no temporary or sidecar-less file in the spool" 0 "$(
	find "$T/spool" -type f \( -name '.goniec-tmp*' -o \( ! -name '*.meta.json' -exec sh -c '[ ! -e "$1.meta.json" ]' _ {} \; \) \) | wc -l)"
check "every filed document is complete (its sidecar's hash and size)" python3 -c '
import glob, hashlib, json, os, sys
for side in glob.glob(os.path.join(sys.argv[1], "**", "*.meta.json"), recursive=True):
    j, data = json.load(open(side)), open(side[:-10], "rb").read()
    assert hashlib.sha256(data).hexdigest() == j["sha256"] and len(data) == j["size"], side
' "$T/spool"
check_eq "every message is moved" "$N" "$(imap_count test secret "eksiegowy$year")"
check_eq "INBOX is empty" 0 "$(imap_count test secret INBOX)"
