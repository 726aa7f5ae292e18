#!/bin/bash
# The daemon's workers take run after run (daemon/worker.h): one worker runs several
# sources in turn without leaking a descriptor; a run past its time limit still gets its
# worker killed, and the next run a fresh worker; a run that leaves something behind
# (descriptors, a thread, the environment, the working directory, memory) ends its
# worker after it; a reload retires the workers of the configuration before; idle
# workers end by themselves, and none is left when the daemon stops; the end of the shared
# PDF reader retires the workers that hold its door.
. "$(dirname "$0")/lib.sh"

pdf() { printf '%%PDF-1.4\n%s\n%%%%EOF\n' "$2" >"$1"; }
D=$T/w
mkdir -p "$D/conf.d"
sources="a b c stuck leak-fds leak-thread leak-env leak-cwd leak-memory"
{
	printf 'agent:\n  spool: %s/spool\n  state: %s/state\n  workers: 1\nsources:\n' "$D" "$D"
	for s in $sources; do
		printf '  - {name: %s, type: folder, path: "%s/in/%s", settle: 0s, schedule: manual%s}\n' \
			"$s" "$D" "$s" "$([ "$s" = stuck ] && echo ', timeout: 2s')"
	done
} >"$D/conf.d/10-main.yaml"
hook=stuck:sleep:3600
for s in a b c; do hook+=",$s:note:$D/notes"; done
for w in fds thread env cwd memory; do hook+=",leak-$w:leak:$w"; done
GONIEC_TEST_WORKER_HOOK=$hook "$GONIEC" -c "$D/conf.d" run >>"$D/daemon.log" 2>&1 &
DPID=$!
at_exit "kill $DPID 2>/dev/null; wait $DPID 2>/dev/null"
wait_for 60 test -S "$D/state/control.sock"

# new_doc SOURCE: one more document for the source's next run
n=0
new_doc() { mkdir -p "$D/in/$1"; n=$((n + 1)); pdf "$D/in/$1/d$n.pdf" "$1-$n"; }
# fetch SOURCE: one run through the daemon; its output line
fetch() { new_doc "$1"; "$GONIEC" -c "$D/conf.d" fetch "$1" 2>&1; }
last_pid() { tail -1 "$D/notes" | cut -d' ' -f1; }
gone() { ! kill -0 "$1" 2>/dev/null; }

# ---- several sources in turn, in one worker --------------------------------------------
for s in a b c; do fetch $s >"$D/$s.out"; done
check "three runs ok" grep -q '^c: ok — 1 filed' "$D/c.out"
check_eq "three runs, one worker process" 1 "$(cut -d' ' -f1 "$D/notes" | sort -u | wc -l)"
check_eq "... noted three times" 3 "$(wc -l <"$D/notes")"
fds=$(cut -d' ' -f2 "$D/notes" | sort -u)
check_eq "... the same descriptors open after each run (none leaked)" 1 "$(echo "$fds" | wc -l)"
W=$(last_pid)
check "the worker waits for the next run (a child of the daemon)" \
	grep -qw "$W" "/proc/$DPID/task/$DPID/children"
fetch a >"$D/a2.out"
check_eq "the next run is in the same worker" "$W" "$(last_pid)"

# ---- a run past its time limit: its worker killed, a fresh one for the next -------------
fetch stuck >"$D/stuck.out"
check "the hanging run is stopped at its limit" grep -q '^stuck: timeout' "$D/stuck.out"
check "... its worker (the one that ran the others) is gone" wait_for 30 gone "$W"
fetch b >"$D/b2.out"
check "the next run is ok" grep -q '^b: ok' "$D/b2.out"
W2=$(last_pid)
check "... in a fresh worker" test "$W2" != "$W"

# ---- a run that leaves something behind ends its worker ----------------------------------
for w in fds thread env cwd memory; do
	before=$(last_pid)
	fetch "leak-$w" >"$D/leak-$w.out"
	fetch c >/dev/null
	check "a run leaving $w behind: ok, and its worker ends after it" \
		grep -q "^leak-$w: ok" "$D/leak-$w.out"
	check "... the next run is in a fresh worker ($w)" test "$(last_pid)" != "$before"
done
check "the log says what was left" grep -q 'it left behind open descriptors' "$D/daemon.log"
check "... a thread" grep -q 'it left behind a running thread' "$D/daemon.log"
check "... the environment" grep -q 'a changed environment' "$D/daemon.log"
check "... the working directory" grep -q 'another working directory' "$D/daemon.log"
check "... memory" grep -q 'memory past its bound' "$D/daemon.log"

# ---- a reload retires the workers of the configuration before ----------------------------
W3=$(last_pid)
printf '  - {name: d, type: folder, path: "%s/in/d", settle: 0s, schedule: manual}\n' "$D" \
	>>"$D/conf.d/10-main.yaml"
"$GONIEC" -c "$D/conf.d" reload >/dev/null
check "a reload retires the idle worker of the configuration before" wait_for 30 gone "$W3"
fetch a >"$D/a3.out"
check "the next run is ok, in a worker of the new configuration" test "$(last_pid)" != "$W3"
fetch d >"$D/d.out"
check "... and the new source runs" grep -q '^d: ok' "$D/d.out"

# ---- the shared PDF reader ends: the workers that hold its door take no more runs ---------
W6=$(last_pid)
DOOR=$(pgrep -P "$DPID" -x goniec-pdftext)
check "the daemon has its one PDF reader" test -n "$DOOR"
kill "$DOOR"
# (within 5 s: an idle worker would end by itself after 10)
check "the worker holding the ended reader's door ends" wait_for 5 gone "$W6"
fetch a >"$D/a4.out"
check "the next run is ok, in a fresh worker" test "$(last_pid)" != "$W6"

# ---- an idle worker ends by itself; none is left after a stop ----------------------------
W4=$(last_pid)
check "an idle worker ends after a while" wait_for 30 gone "$W4"
fetch b >/dev/null
W5=$(last_pid)
kill "$DPID"; wait "$DPID"
check_eq "the daemon stops cleanly" 0 $?
check "... and leaves no worker behind" gone "$W5"
