#!/bin/bash
# kill -9 at random moments while the imap source fetches from a real Dovecot (>= 130 kills
# of a running fetch, mail arriving meanwhile, the transfer slowed so that kills land in
# the middle of fetching, filing, syncing and moving): after a last run every invoice is
# in the spool exactly once and complete, every message is moved, nothing half-written is
# left. With t_forward_kill, over 200 kills across fetch and forward.
. "$(dirname "$0")/lib.sh"
. "$SRC_DIR/tests/fixtures/imap_env.sh"
imap_require
imap_start
year=$(date +%Y)
N=400
python3 "$FIXTURES/mkinvoices.py" "$T/mail" "$N" 6000 kill >"$T/all.sha"
ls "$T"/mail/*.eml | head -100 | xargs "$FIXTURES/dovecot.sh" deliver "$T/dovecot" test INBOX
port=$(free_port)
python3 "$FIXTURES/tcp_proxy.py" "$port" "$IMAPS_PORT" --rate 3000000 &
at_exit "kill $! 2>/dev/null"
wait_port "$port"
C_PORT=$port imap_conf killed 'folders: [INBOX]'
# the rest of the mail arrives during the kills
(ls "$T"/mail/*.eml | tail -n +101 | while read -r f; do
	imap_deliver test INBOX "$f"
	sleep 0.05
done) &
mailer=$!
at_exit "kill $mailer 2>/dev/null"

kills=0 busy=0 filing=0
for i in $(seq 1 140); do
	before=$(count_docs "$T/spool")
	"$GONIEC" -c "$T/conf.d" fetch killed >/dev/null 2>&1 &
	pid=$!
	sleep "$(printf '0.%03d' $((RANDOM % 250 + 20)))" # 20 to 270 ms
	kill -9 "$pid" 2>/dev/null && busy=$((busy + 1))
	wait "$pid" 2>/dev/null
	[ "$(count_docs "$T/spool")" -gt "$before" ] && filing=$((filing + 1))
	kills=$((kills + 1))
done
wait $mailer
echo "kills: $kills, of a running fetch: $busy, of one that was filing: $filing"
check "at least 130 kills of a running fetch ($busy)" test "$busy" -ge 130
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
