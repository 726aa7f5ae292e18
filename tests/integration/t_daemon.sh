#!/bin/bash
# The daemon (`goniec run`) with real folder sources on second-level schedules: scheduled
# runs, an on-demand fetch during a scheduled run (no overlap, both answered, the lock
# shared with a hand-run fetch), SIGHUP with a broken then a fixed file, a hanging and a
# crashing worker, SIGTERM during a run and the next start, alerts, sd_notify.
. "$(dirname "$0")/lib.sh"

pdf() { printf '%%PDF-1.4\n%s\n%%%%EOF\n' "$2" >"$1"; }

# new_case NAME: a fresh directory $D with conf.d, spool and state; the YAML on stdin
# is the sources list (folder paths under $D/in/<source>).
new_case() {
	D=$T/$1
	mkdir -p "$D/conf.d" "$D/in"
	{
		printf 'agent:\n  spool: %s/spool\n  state: %s/state\n  workers: 2\nsources:\n' "$D" "$D"
		sed "s|@D@|$D|g"
	} >"$D/conf.d/10-main.yaml"
}

# start_daemon [ENV=VALUE...]: start `goniec run` for $D; its pid in DPID.
start_daemon() {
	env "$@" "$GONIEC" -c "$D/conf.d" run >>"$D/daemon.log" 2>&1 &
	DPID=$!
	at_exit "kill $DPID 2>/dev/null; wait $DPID 2>/dev/null"
	wait_for 10 test -S "$D/state/control.sock"
}

# status_field SOURCE EXPR: a field of the source's entry in `goniec status --json`.
status_field() {
	"$GONIEC" -c "$D/conf.d" status --json |
		python3 -c 'import json,sys
d=json.load(sys.stdin); s=[x for x in d["sources"] if x["name"]==sys.argv[1]][0]
print(eval(sys.argv[2], {"s": s, "d": d}))' "$1" "$2"
}
docs_of() { find "$D/spool" -path "*/$1/*" -name '*.meta.json' 2>/dev/null | wc -l; }
has_docs() { [ "$(docs_of "$1")" -ge "$2" ]; }
log_count() { grep -c -- "$1" "$D/daemon.log"; }

# ---- scheduled runs, on-demand during a scheduled run, the shared lock -------------------
new_case sched <<'EOF'
  - {name: tick, type: folder, path: "@D@/in/tick", settle: 0s, schedule: {every: 2s}}
  - {name: slow, type: folder, path: "@D@/in/slow", settle: 0s, schedule: {every: 1h}}
EOF
mkdir -p "$D/in/tick" "$D/in/slow"
pdf "$D/in/tick/a.pdf" tick-a
pdf "$D/in/slow/s1.pdf" slow-1
start_daemon GONIEC_TEST_WORKER_HOOK=slow:sleep:3
check "daemon started and listens" kill -0 "$DPID"
check "scheduled run files the slow source's document" wait_for 5 has_docs slow 1
"$GONIEC" -c "$D/conf.d" fetch --here slow >"$D/here.out" 2>&1
check_eq "a fetch by hand while the daemon runs the source is refused (lock)" 75 $?
start=$SECONDS
"$GONIEC" -c "$D/conf.d" fetch slow >"$D/fetch.out" 2>&1
rc=$?
check_eq "on-demand fetch during the scheduled run is answered" 0 $rc
check "its outcome is printed" grep -q '^slow: ok' "$D/fetch.out"
check "it waited for the running run to end first" test $((SECONDS - start)) -ge 1
check_eq "both runs finished ok, none overlapped" 2 "$(log_count 'source slow: ok')"
check_eq "no run found the source already running" 0 "$(log_count 'already running')"
check "every: 2s runs files the tick document" wait_for 5 has_docs tick 1
pdf "$D/in/tick/b.pdf" tick-b
check "the next scheduled run files the next one" wait_for 6 has_docs tick 2
check_eq "status shows the last outcome" ok "$(status_field tick 's["outcome"]')"
check "status shows a next run" test "$(status_field tick 's["next_run"] is not None')" = True
"$GONIEC" -c "$D/conf.d" status >"$D/status.txt"
check "status table lists the sources" grep -q '^tick  *folder' "$D/status.txt"
"$GONIEC" -c "$D/conf.d" fetch --no-wait tick >"$D/nowait.out"
check_eq "fetch --no-wait returns at once" 0 $?
kill "$DPID"; wait "$DPID"
check_eq "SIGTERM: clean exit" 0 $?
check "the control socket is removed" test ! -e "$D/state/control.sock"
"$GONIEC" -c "$D/conf.d" status >"$D/status2.txt"
check "status without a daemon reads the saved status" grep -q 'daemon: not running' "$D/status2.txt"

# ---- SIGHUP: a broken file is rejected, the old configuration runs on; a fixed one works --
new_case reload <<'EOF'
  - {name: one, type: folder, path: "@D@/in/one", settle: 0s, schedule: {every: 1s}}
EOF
mkdir -p "$D/in/one" "$D/in/two"
start_daemon
printf 'sources:\n  - {name: two, type: folder, path: relative/path, schedule: {every: 1s}}\n  - [\n' \
	>"$D/conf.d/20-two.yaml"
kill -HUP "$DPID"
check "broken file: reload rejected with its errors in the log" wait_for 5 grep -q 'reload rejected' "$D/daemon.log"
check "the error names the file" grep -q '20-two.yaml' "$D/daemon.log"
check "the daemon keeps running" kill -0 "$DPID"
pdf "$D/in/one/o1.pdf" one-1
check "the old configuration stays in force (scheduled run files)" wait_for 5 has_docs one 1
printf 'sources:\n  - {name: two, type: folder, path: "%s/in/two", settle: 0s, schedule: {every: 1s}}\n' "$D" \
	>"$D/conf.d/20-two.yaml"
pdf "$D/in/two/t1.pdf" two-1
kill -HUP "$DPID"
check "fixed file: the new configuration is loaded" wait_for 5 grep -q 'configuration reloaded: 2 sources' "$D/daemon.log"
check "the new source is scheduled and runs" wait_for 5 has_docs two 1
"$GONIEC" -c "$D/conf.d" reload >/dev/null
check_eq "goniec reload through the socket" 0 $?
kill "$DPID"; wait "$DPID"

# ---- a hanging worker is killed at its limit; a crashing one is reported ----------------
new_case limits <<'EOF'
  - {name: stuck, type: folder, path: "@D@/in/stuck", settle: 0s, timeout: 2s, schedule: {every: 1h}}
  - {name: crashy, type: folder, path: "@D@/in/crashy", settle: 0s, schedule: {every: 1h}}
  - {name: fine, type: folder, path: "@D@/in/fine", settle: 0s, schedule: {every: 1h}}
EOF
for s in stuck crashy fine; do mkdir -p "$D/in/$s"; pdf "$D/in/$s/x.pdf" "$s"; done
start_daemon GONIEC_TEST_WORKER_HOOK=stuck:sleep:3600,crashy:abort
check "the hanging worker is killed at its time limit" wait_for 12 grep -q 'source stuck: timeout' "$D/daemon.log"
check_eq "status reports the timeout" timeout "$(status_field stuck 's["outcome"]')"
check "the crashed worker is reported" grep -q 'source crashy: crashed.*signal 6' "$D/daemon.log"
check_eq "the other source is not disturbed" ok "$(status_field fine 's["outcome"]')"
check "the daemon keeps running" kill -0 "$DPID"
kill "$DPID"; wait "$DPID"

# ---- SIGTERM during a run; the next start finishes the work ------------------------------
new_case stop <<'EOF'
  - {name: long, type: folder, path: "@D@/in/long", settle: 0s, schedule: ["03:00"]}
EOF
mkdir -p "$D/in/long"
pdf "$D/in/long/l1.pdf" long-1
pdf "$D/in/long/l2.pdf" long-2
start_daemon GONIEC_TEST_WORKER_HOOK=long:sleep:60 GONIEC_STOP_GRACE=1
"$GONIEC" -c "$D/conf.d" fetch --no-wait long >/dev/null
check "the run started" wait_for 5 has_docs long 1
start=$SECONDS
kill "$DPID"; wait "$DPID"
check_eq "SIGTERM during a run: clean exit" 0 $?
check "stopped within the grace period" test $((SECONDS - start)) -le 8
check "the run is recorded as interrupted" grep -q '"interrupted": true' "$D/state/sources/long/status.json"
check_eq "nothing half-written in the spool" 0 "$(find "$D/spool" -name '.goniec-tmp*' | wc -l)"
start_daemon
check "the next start repeats the interrupted run and finishes the work" wait_for 8 has_docs long 2
check_eq "... with outcome ok" ok "$(status_field long 's["outcome"]')"
kill "$DPID"; wait "$DPID"

# ---- alerts: one notice per cause, not one per run; one when fixed -----------------------
new_case alert <<'EOF'
  - {name: gone, type: folder, path: "@D@/in/gone", settle: 0s, schedule: {every: 1s}}
EOF
start_daemon
alerts() { grep -l '"kind": *"alert"' $(find "$D/spool" -name '*.meta.json' 2>/dev/null) /dev/null 2>/dev/null | wc -l; }
has_alerts() { [ "$(alerts)" -ge "$1" ]; }
check "three failures in a row file an alert notice" wait_for 10 has_alerts 1
check "status shows the alert" test "$(status_field gone 'len(s["alerts"])')" = 1
sleep 3
check_eq "later failures do not repeat it the same day" 1 "$(alerts)"
mkdir -p "$D/in/gone"
check "a notice when it is fixed" wait_for 6 has_alerts 2
check "the notice says resolved" grep -rq 'resolved' "$D/spool" --include='*resolved*.txt'
check_eq "status has no alert any more" 0 "$(status_field gone 'len(s["alerts"])')"
kill "$DPID"; wait "$DPID"

# ---- sd_notify: READY, WATCHDOG, STOPPING ------------------------------------------------
new_case notify <<'EOF'
  - {name: quiet, type: folder, path: "@D@/in/quiet", settle: 0s, schedule: manual}
EOF
python3 -c 'import socket,sys
s=socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(sys.argv[1])
with open(sys.argv[2], "a", buffering=1) as f:
    while True: f.write(s.recv(4096).decode() + "\n")' "$D/notify.sock" "$D/notify.txt" &
NPID=$!
at_exit "kill $NPID 2>/dev/null"
wait_for 5 test -S "$D/notify.sock"
start_daemon NOTIFY_SOCKET="$D/notify.sock" WATCHDOG_USEC=400000
check "READY=1 sent to systemd" wait_for 5 grep -q '^READY=1' "$D/notify.txt"
check "WATCHDOG=1 sent" wait_for 5 grep -q '^WATCHDOG=1' "$D/notify.txt"
check "STATUS= sent" grep -q '^STATUS=1 sources' "$D/notify.txt"
kill "$DPID"; wait "$DPID"
check "STOPPING=1 sent" wait_for 3 grep -q '^STOPPING=1' "$D/notify.txt"
