#!/bin/bash
# kill -9 at random moments while the imap source fetches from a real Dovecot: at least
# 100 kills of a running fetch, at least 30 of them while it was filing, however loaded
# the machine (kill9_in_work in lib.sh waits for the fetch to start writing; one kill in
# four comes while it connects and reads the mailbox instead, and the later the kills can
# come, the more land in syncing and moving). Mail arrives until the kills are done, the
# transfer slowed so that kills land in the middle of fetching. After a last run every
# invoice delivered is in the spool exactly once and complete, every message is moved,
# nothing half-written is left. With t_forward_kill (>= 100), at least 200 kills across
# fetch and forward. Mail comes at the pace of the kills, not of the clock: on a fast
# machine a clock-paced mailbox was all delivered and fetched after a few seconds, and
# the later runs, with nothing new, ended before their kills.
. "$(dirname "$0")/lib.sh"
. "$SRC_DIR/tests/fixtures/imap_env.sh"
# What a kill leaves on disk is the same with or without sanitizers: tested once.
[ -z "${GONIEC_ASAN:-}" ] || skip "kill -9 safety is tested once, not under ASan"
imap_require
imap_start
year=$(date +%Y)
python3 "$FIXTURES/mkinvoices.py" "$T/mail" 360 6000 kill >"$T/all.sha"
port=$(free_port)
python3 "$FIXTURES/tcp_proxy.py" "$port" "$IMAPS_PORT" --rate 3000000 &
at_exit "kill $! 2>/dev/null"
wait_port "$port"
C_PORT=$port imap_conf killed 'folders: [INBOX]'
# Mail arrives, three messages after each kill ($T/kills counts them), until the kills
# are done ($T/stop); the delivered ones are listed in $T/delivered. A fetch runs while
# the next ones are delivered.
kills_so_far() { cat "$T/kills" 2>/dev/null || echo 0; }
(ls "$T"/mail/*.eml | xargs -n 3 | while read -r batch; do
	[ ! -e "$T/stop" ] || break
	imap_deliver test INBOX $batch && printf '%s\n' $batch >>"$T/delivered"
	was=$(kills_so_far)
	while [ ! -e "$T/stop" ] && [ "$(kills_so_far)" = "$was" ]; do sleep 0.01; done
done) &
mailer=$!
at_exit "kill $mailer 2>/dev/null"

# A kill comes 0..window ms after the fetch began writing. A run that had ended before
# its kill narrows the window (down to 30 ms: a run of a few new messages can end within
# 100 ms of its first write), one still running widens it: the kills spread over the
# whole run (filing, syncing, moving), whatever the machine's speed.
kills=0 busy=0 filing=0 window=200
while { [ "$busy" -lt 100 ] || [ "$filing" -lt 30 ]; } && [ "$kills" -lt 300 ]; do
	kill9_in_work "$window" "$T/spool" "$T"/spool/*/*/*/killed -- "$GONIEC" -c "$T/conf.d" fetch killed
	busy=$((busy + KILL_RUNNING)) filing=$((filing + KILL_WORKING)) kills=$((kills + 1))
	echo "$kills" >"$T/kills"
	if [ $KILL_RUNNING = 0 ]; then
		window=$((window > 45 ? window * 2 / 3 : 30))
	elif [ "$window" -lt 500 ]; then
		window=$((window + 50))
	fi
done
touch "$T/stop"
wait $mailer
echo "kills: $kills, of a running fetch: $busy, of one that was filing: $filing (window $window ms)"
check "at least 100 kills of a running fetch ($busy of $kills)" test "$busy" -ge 100
check "at least 30 kills hit a fetch that was filing ($filing)" test "$filing" -ge 30

goniec_run fetch killed
check_eq "the last run succeeds" 0 $?
n=$(wc -l <"$T/delivered")
python3 -c '
import sys
sha = open(sys.argv[1]).read().split()  # in the order of the files: kill-000.eml, ...
for f in open(sys.argv[2]).read().split():
    print(sha[int(f.rsplit("-", 1)[1][:-4])])
' "$T/all.sha" "$T/delivered" >"$T/delivered.sha"
check_eq "0 lost: every invoice delivered is filed" "$n" "$(docs_with "$T/delivered.sha")"
check_eq "0 duplicates: each once" "$n" "$(count_docs "$T/spool")"
python3 - "$T/spool" <<'PY' | report_lines
import hashlib, json, os, sys
partial, bad = [], []
for d, _, names in os.walk(sys.argv[1]):
    for n in names:
        p = os.path.join(d, n)
        if n.startswith(".goniec-tmp") or not n.endswith(".meta.json") and n + ".meta.json" not in names:
            partial.append(p)
        elif n.endswith(".meta.json"):
            j, data = json.load(open(p)), open(p[:-10], "rb").read()
            if hashlib.sha256(data).hexdigest() != j["sha256"] or len(data) != j["size"]:
                bad.append(p)
print("ok: 0 partial: no temporary or sidecar-less file in the spool" if not partial else
      f"FAILED: {len(partial)} temporary or sidecar-less files, e.g. {partial[0]}")
print("ok: every filed document is complete (its sidecar's hash and size)" if not bad else
      f"FAILED: {len(bad)} documents differ from their sidecars, e.g. {bad[0]}")
PY
check_eq "every message is moved" "$n" "$(imap_count test secret "eksiegowy$year")"
check_eq "INBOX is empty" 0 "$(imap_count test secret INBOX)"
