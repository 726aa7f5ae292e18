#!/bin/bash
# The daemon (`goniec run`) with real folder sources on second-level schedules: scheduled
# runs, an on-demand fetch during a scheduled run (no overlap, both answered, the lock
# shared with a hand-run fetch), SIGHUP with a broken then a fixed file, a hanging and a
# crashing worker, SIGTERM during a run and the next start, catch-up after downtime,
# alerts, a stuck forwarder, progress on a terminal, the control socket, sd_notify, and a
# fetch whose outcome arrives in the same read as the daemon's first answer.
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
	wait_for 60 test -S "$D/state/control.sock"
}

# status_field SOURCE EXPR: a field of the source's entry in `goniec status --json`.
status_field() {
	"$GONIEC" -c "$D/conf.d" status --json |
		python3 -c 'import json,sys
d=json.load(sys.stdin); s=[x for x in d["sources"] if x["name"]==sys.argv[1]][0]
print(eval(sys.argv[2], {"s": s, "d": d}))' "$1" "$2"
}
# folder_route DIR: a routes file (YAML) delivering every document to DIR (made here).
folder_route() { mkdir -p "$1"; printf 'routes:\n  - name: office\n    folder: {path: %s}\n' "$1"; }
docs_of() { find "$D/spool" -path "*/$1/*" -name '*.meta.json' -not -name '.goniec-tmp-*' 2>/dev/null | wc -l; }
has_docs() { [ "$(docs_of "$1")" -ge "$2" ]; }
# A run of the source is under way: its run lock is held (documents show only when the
# run's batch is made durable, so they do not tell).
running() { ! flock -n "$D/state/sources/$1/run.lock" true; }
log_count() { grep -c -- "$1" "$D/daemon.log"; }
# requests_in N: the daemon has logged N on-demand requests (a function, so that wait_for
# counts again on each try rather than testing one count taken before it started)
requests_in() { [ "$(log_count 'on-demand run of 1 source')" -ge "$1" ]; }

# ---- scheduled runs, on-demand during a scheduled run, the shared lock -------------------
new_case sched <<'EOF'
  - {name: tick, type: folder, path: "@D@/in/tick", settle: 0s, schedule: {every: 2s}}
  - {name: slow, type: folder, path: "@D@/in/slow", settle: 0s, schedule: {every: 1h}}
EOF
mkdir -p "$D/in/tick" "$D/in/slow"
folder_route "$D/out" >"$D/conf.d/20-routes.yaml"
pdf "$D/in/tick/a.pdf" tick-a
pdf "$D/in/slow/s1.pdf" slow-1
# the slow source's run waits after its document until the test lets it go (slow.go)
start_daemon GONIEC_TEST_WORKER_HOOK=slow:wait:$D/slow.go
check "daemon started and listens" kill -0 "$DPID"
# started again once with every library symbol bound, so that forked workers bind none
check "the daemon runs with its symbols bound at start (LD_BIND_NOW)" grep -qxz LD_BIND_NOW=1 "/proc/$DPID/environ"
check_eq "... under its own name" goniec "$(cat "/proc/$DPID/comm")"
forwarder_up() { [ "$(status_field tick 'd["forward"]["pid"]')" != None ]; }
wait_for 60 forwarder_up
FWD=$(status_field tick 'd["forward"]["pid"]')
unbound() { ! grep -qz '^LD_BIND_NOW=' "/proc/$1/environ"; }
check "... but the programs it starts do not inherit LD_BIND_NOW" unbound "$FWD"
check_eq "the control socket is for the user and group only" 660 "$(stat -c %a "$D/state/control.sock")"
"$GONIEC" -c "$D/conf.d" run >"$D/second.log" 2>&1
check_eq "a second daemon on the same state refuses to start" 1 $?
check "... saying why" grep -q 'another daemon is running' "$D/second.log"
check "the slow source's scheduled run is under way" wait_for 60 running slow
"$GONIEC" -c "$D/conf.d" fetch --here slow >"$D/here.out" 2>&1
check_eq "a fetch by hand while the daemon runs the source is refused (lock)" 75 $?
"$GONIEC" -c "$D/conf.d" fetch slow >"$D/fetch.out" 2>&1 &
FETCH=$!
check "the waiting fetch's request is in" wait_for 60 requests_in 1
check "the on-demand fetch waits for the running run" kill -0 "$FETCH"
touch "$D/slow.go"
wait "$FETCH"
check_eq "on-demand fetch during the scheduled run is answered" 0 $?
check "its outcome is printed" grep -q '^slow: ok' "$D/fetch.out"
check "the scheduled run filed the slow source's document" has_docs slow 1
check_eq "both runs finished ok, none overlapped" 2 "$(log_count 'source slow: ok')"
check_eq "no run found the source already running" 0 "$(log_count 'already running')"
# a run by hand holds the source's lock until the test lets it go (hand.go)
flock "$D/state/sources/slow/run.lock" sh -c "until [ -e '$D/hand.go' ]; do sleep 0.05; done" &
FPID=$!
lock_held() { ! flock -n "$D/state/sources/slow/run.lock" true; }
wait_for 60 lock_held
"$GONIEC" -c "$D/conf.d" fetch slow >"$D/busy.out" 2>&1
check_eq "while a run by hand holds the lock, the daemon's run is refused (exit 75)" 75 $?
check "... and reported as busy" grep -q '^slow: busy' "$D/busy.out"
check_eq "busy is not counted as a failure" 0 "$(status_field slow 's["failures"]')"
touch "$D/hand.go"
wait $FPID
check "every: 2s runs files the tick document" wait_for 60 has_docs tick 1
pdf "$D/in/tick/b.pdf" tick-b
check "the next scheduled run files the next one" wait_for 60 has_docs tick 2
check_eq "status shows the last outcome" ok "$(status_field tick 's["outcome"]')"
check "status shows a next run" test "$(status_field tick 's["next_run"] is not None')" = True
"$GONIEC" -c "$D/conf.d" status >"$D/status.txt"
check "status table lists the sources" grep -q '^tick  *folder' "$D/status.txt"
python3 - "$D/state/control.sock" >"$D/hostile.out" <<'PY'
import socket, sys
def ask(data):
    s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(data)
    s.settimeout(5); print(s.recv(4096).decode().strip()); s.close()
ask(b'{"cmd":"bogus"}\n')
ask(b'not json\n')
ask(b'x' * 70000)
ask(b'{"cmd":"fetch","sources":["nosuch"]}\n')
ask(b'{"cmd":"fetch","sources":"tick"}\n')
PY
check "control socket: an unknown command is refused" grep -q "unknown command 'bogus'" "$D/hostile.out"
check "control socket: a line that is not JSON is refused" grep -q '"error":"bad request' "$D/hostile.out"
check "control socket: an overlong request is refused" grep -q 'request too long' "$D/hostile.out"
check "control socket: an unknown source is refused" grep -q "no source named 'nosuch'" "$D/hostile.out"
check "control socket: sources must be a list" grep -q 'must be a list' "$D/hostile.out"
check "the daemon is still there" kill -0 "$DPID"
# The control socket serves the daemon's group only (file mode and peer credentials).
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null && id nobody >/dev/null 2>&1; then
	chmod 710 "$D/state"
	setpriv --reuid=nobody --regid=0 --clear-groups "$GONIEC" -c "$D/conf.d" status >"$D/group.out" 2>&1
	check_eq "a member of the daemon's group is served" 0 $?
	check "... with the status" grep -q '^tick  *folder' "$D/group.out"
	setpriv --reuid=nobody --regid=nogroup --groups=0 "$GONIEC" -c "$D/conf.d" status >"$D/other.out" 2>&1
	check_eq "a process of another user and group is refused" 1 $?
	check "... by the peer check" grep -q "not in the daemon's group" "$D/other.out"
	setpriv --reuid=nobody --regid=nogroup --clear-groups "$GONIEC" -c "$D/conf.d" fetch tick >"$D/nobody.out" 2>&1
	check "... and without the group it cannot even connect" test $? -ne 0
	chmod 700 "$D/state"
fi
"$GONIEC" -c "$D/conf.d" fetch --json tick >"$D/fetch.json"
check "fetch --json through the daemon: the outcomes as JSON" python3 -c 'import json,sys
r=json.load(open(sys.argv[1])); sys.exit(0 if r[0]["source"]=="tick" and r[0]["outcome"]=="ok" and "filed" in r[0]["stats"] else 1)' "$D/fetch.json"
"$GONIEC" -c "$D/conf.d" fetch --here --json slow >"$D/here.json"
check "fetch --here --json: the same form" python3 -c 'import json,sys
r=json.load(open(sys.argv[1])); sys.exit(0 if r[0]["source"]=="slow" and r[0]["outcome"]=="ok" else 1)' "$D/here.json"
"$GONIEC" -c "$D/conf.d" fetch --no-wait tick >"$D/nowait.out"
check_eq "fetch --no-wait returns at once" 0 $?
kill "$DPID"; wait "$DPID"
check_eq "SIGTERM: clean exit" 0 $?
check "the control socket is removed" test ! -e "$D/state/control.sock"
"$GONIEC" -c "$D/conf.d" status >"$D/status2.txt"
check "status without a daemon reads the saved status" grep -q 'daemon: not running' "$D/status2.txt"

# ---- conf.d broken: runs go on with the configuration in force; SIGHUP rejects it, a
# fixed one works --------------------------------------------------------------------------
new_case reload <<'EOF'
  - {name: one, type: folder, path: "@D@/in/one", settle: 0s, schedule: {every: 1s}}
EOF
mkdir -p "$D/in/one" "$D/in/two" "$D/conf.d/invoices"
start_daemon
# Runs load a copy of conf.d; its folders (recipes, rules, bank maps) are the live ones.
check "the daemon's copy of conf.d links its folders" \
	test "$(find "$D/state/daemon" -maxdepth 2 -name invoices)" -ef "$D/conf.d/invoices"
printf 'sources:\n  - {name: two, type: folder, path: relative/path, schedule: {every: 1s}}\n  - [\n' \
	>"$D/conf.d/20-two.yaml"
# An edit counts from a reload on: until then runs load the configuration in force.
pdf "$D/in/one/o0.pdf" one-0
check "conf.d broken, not yet reloaded: a scheduled run files a new document" \
	wait_for 60 grep -q 'source one: ok, 1 filed' "$D/daemon.log"
check_eq "... none of the runs fails on the edit" 0 "$(log_count 'source one: crashed')"
kill -HUP "$DPID"
check "broken file: reload rejected with its errors in the log" wait_for 60 grep -q 'reload rejected' "$D/daemon.log"
check "the error names the file" grep -q '20-two.yaml' "$D/daemon.log"
check "the daemon keeps running" kill -0 "$DPID"
"$GONIEC" -c "$D/conf.d" --state "$D/state" status >"$D/rejected.txt" 2>&1
check_eq "status with conf.d broken: exit 2" 2 $?
check "... still shows the daemon and the rejected reload" grep -q REJECTED "$D/rejected.txt"
pdf "$D/in/one/o1.pdf" one-1
check "the old configuration stays in force (scheduled run files)" wait_for 60 has_docs one 2
printf 'sources:\n  - {name: two, type: folder, path: "%s/in/two", settle: 0s, schedule: {every: 1s}}\n' "$D" \
	>"$D/conf.d/20-two.yaml"
pdf "$D/in/two/t1.pdf" two-1
kill -HUP "$DPID"
check "fixed file: the new configuration is loaded" wait_for 60 grep -q 'configuration reloaded: 2 sources' "$D/daemon.log"
check "the new source is scheduled and runs" wait_for 60 has_docs two 1
"$GONIEC" -c "$D/conf.d" reload >/dev/null
check_eq "goniec reload through the socket" 0 $?
kill "$DPID"; wait "$DPID"

# ---- no routes, no forwarder; a reload that brings routes starts it, one that takes them
# away stops it --------------------------------------------------------------------------
new_case noroutes <<'EOF'
  - {name: quiet, type: folder, path: "@D@/in/quiet", settle: 0s, schedule: manual}
EOF
mkdir -p "$D/in/quiet"
start_daemon
forward_pid() { status_field quiet 'd["forward"]["pid"]'; }
forwarder_running() { [ "$(forward_pid)" != None ]; }
check "with no routes the forwarder is not started, and the log says why" \
	wait_for 30 grep -q 'forwarder: not needed: the configuration has no routes' "$D/daemon.log"
check_eq "... status --json shows no process" None "$(forward_pid)"
check "... goniec status says there are no routes" bash -c "'$GONIEC' -c '$D/conf.d' status | grep -qx 'forward: no routes'"
check_eq "... and the daemon has no forwarder child" "" "$(pgrep -P "$DPID" -f 'forward --watch')"
folder_route "$D/out" >"$D/conf.d/20-routes.yaml"
"$GONIEC" -c "$D/conf.d" reload >/dev/null
check "a reload that brings a route starts it" wait_for 30 forwarder_running
fpid=$(forward_pid)
pdf "$D/in/quiet/q.pdf" quiet-1
"$GONIEC" -c "$D/conf.d" fetch quiet >/dev/null 2>&1
check "... and it delivers" wait_for 30 bash -c "find '$D/out' -name '*.pdf' | grep -q ."
rm "$D/conf.d/20-routes.yaml"
"$GONIEC" -c "$D/conf.d" reload >/dev/null
check "a reload that takes the routes away stops it" \
	wait_for 30 grep -q 'forwarder: stopped: the configuration has no routes' "$D/daemon.log"
check "... its process is gone" wait_for 10 bash -c "! kill -0 $fpid 2>/dev/null"
sleep 1
check_eq "... and is not restarted" None "$(forward_pid)"
kill "$DPID"; wait "$DPID"
check_eq "... and the daemon stops cleanly" 0 $?
check "the stopped forwarder's status file is left" test -s "$D/state/forward/status.json"
check "... goniec status without the daemon still says there are no routes, not the old file's" \
	bash -c "'$GONIEC' -c '$D/conf.d' status | grep -qx 'forward: no routes'"

# ---- a run uses the configuration in force, never conf.d as it is on disk ---------------
new_case generation <<'EOF'
  - {name: gen, type: folder, path: "@D@/in/old", settle: 0s, schedule: manual}
EOF
mkdir -p "$D/in/old" "$D/in/new"
start_daemon
sed -i "s|in/old|in/new|" "$D/conf.d/10-main.yaml" # edited, not reloaded
pdf "$D/in/old/o.pdf" old
pdf "$D/in/new/n.pdf" new
"$GONIEC" -c "$D/conf.d" fetch gen >/dev/null 2>&1
check "before a reload a run takes the folder of the configuration in force" has_docs gen 1
check "... not the one of the edited file" test -f "$D/in/new/n.pdf"
"$GONIEC" -c "$D/conf.d" reload >/dev/null
"$GONIEC" -c "$D/conf.d" fetch gen >/dev/null 2>&1
check "after it, the new folder" has_docs gen 2
kill "$DPID"; wait "$DPID"

# ---- a hanging worker is killed at its limit; a crashing one is reported ----------------
new_case limits <<'EOF'
  - {name: stuck, type: folder, path: "@D@/in/stuck", settle: 0s, timeout: 2s, schedule: {every: 1h}}
  - {name: crashy, type: folder, path: "@D@/in/crashy", settle: 0s, schedule: {every: 1h}}
  - {name: fine, type: folder, path: "@D@/in/fine", settle: 0s, schedule: {every: 1h}}
EOF
for s in stuck crashy fine; do mkdir -p "$D/in/$s"; pdf "$D/in/$s/x.pdf" "$s"; done
start_daemon GONIEC_TEST_WORKER_HOOK=stuck:sleep:3600,crashy:abort
check "the hanging worker is killed at its time limit" wait_for 60 grep -q 'source stuck: timeout' "$D/daemon.log"
check_eq "status reports the timeout" timeout "$(status_field stuck 's["outcome"]')"
check "the crashed worker is reported" grep -q 'source crashy: crashed.*signal 6' "$D/daemon.log"
check_eq "the other source is not disturbed" ok "$(status_field fine 's["outcome"]')"
check "the daemon keeps running" kill -0 "$DPID"
kill "$DPID"; wait "$DPID"

# ---- SIGTERM during a run; the next start finishes the work ------------------------------
new_case stop <<'EOF'
  - {name: long, type: folder, path: "@D@/in/long", settle: 0s, schedule: ["03:00"]}
EOF
sed -i 's/^  workers: 2$/&\n  stop_grace: 1s/' "$D/conf.d/10-main.yaml"
mkdir -p "$D/in/long"
pdf "$D/in/long/l1.pdf" long-1
pdf "$D/in/long/l2.pdf" long-2
start_daemon GONIEC_TEST_WORKER_HOOK=long:sleep:60
"$GONIEC" -c "$D/conf.d" fetch --no-wait long >/dev/null
check "the run started" wait_for 60 running long
"$GONIEC" -c "$D/conf.d" fetch long >"$D/waiting.out" 2>&1 &
WPID=$!
check "the second fetch's request is in before the stop" wait_for 60 requests_in 2
start=$SECONDS
kill "$DPID"; wait "$DPID"
check_eq "SIGTERM during a run: clean exit" 0 $?
wait "$WPID"
check_eq "a fetch waiting for a run that will not happen is answered" 1 $?
check "... with not-run" grep -q '^long: not-run.*stopping' "$D/waiting.out"
check "the stop gives the run agent.stop_grace" grep -q 'run(s) in progress get 1 s to finish' "$D/daemon.log"
check "stopped within the grace period (not after the 60 s run, nor the default 10 s)" \
	test $((SECONDS - start)) -le 8
check "the run is recorded as interrupted" grep -q '"interrupted": true' "$D/state/sources/long/status.json"
check_eq "nothing half-written in the spool" 0 "$(find "$D/spool" -name '.goniec-tmp*' | wc -l)"
start_daemon
check "the next start repeats the interrupted run and finishes the work" wait_for 60 has_docs long 2
check_eq "... with outcome ok" ok "$(status_field long 's["outcome"]')"
kill "$DPID"; wait "$DPID"

# ---- catch-up after downtime: one run at start, not one per missed slot -------------------
new_case catchup <<'EOF'
  - {name: missed, type: folder, path: "@D@/in/missed", settle: 0s, schedule: ["03:00", "09:00", "15:00", "21:00"]}
  - {name: fresh, type: folder, path: "@D@/in/fresh", settle: 0s, schedule: ["03:00"]}
EOF
mkdir -p "$D/in/missed" "$D/in/fresh" "$D/state/sources/missed"
pdf "$D/in/missed/m.pdf" missed-1
pdf "$D/in/fresh/f.pdf" fresh-1
printf '{"last_start": %d, "last_end": %d, "outcome": "ok"}\n' $(( $(date +%s) - 3 * 86400 )) \
	$(( $(date +%s) - 3 * 86400 + 5 )) >"$D/state/sources/missed/status.json"
start_daemon
check "down three days (a dozen slots missed): one catch-up run at start" wait_for 60 has_docs missed 1
sleep 2
check_eq "... only one" 1 "$(log_count 'source missed: ok')"
check_eq "a source that never ran waits for its time" 0 "$(log_count 'source fresh:')"
check "the next run is a future slot" test "$(status_field missed 's["next_run"] > __import__("time").time()')" = True
kill "$DPID"; wait "$DPID"

# ---- alerts: one notice per cause, not one per run; one when fixed -----------------------
new_case alert <<'EOF'
  - {name: gone, type: folder, path: "@D@/in/gone", settle: 0s, schedule: {every: 1s}}
EOF
start_daemon
alerts() { grep -l '"kind": *"alert"' $(find "$D/spool" -name '*.meta.json' -not -name '.goniec-tmp-*' 2>/dev/null) /dev/null 2>/dev/null | wc -l; }
has_alerts() { [ "$(alerts)" -ge "$1" ]; }
check "three failures in a row file an alert notice" wait_for 60 has_alerts 1
check "status shows the alert" test "$(status_field gone 'len(s["alerts"])')" = 1
sleep 3
check_eq "later failures do not repeat it the same day" 1 "$(alerts)"
mkdir -p "$D/in/gone"
check "a notice when it is fixed" wait_for 60 has_alerts 2
check "the notice says resolved" grep -rq 'resolved' "$D/spool" --include='*resolved*.txt'
check_eq "status has no alert any more" 0 "$(status_field gone 'len(s["alerts"])')"
kill "$DPID"; wait "$DPID"

# ---- progress of a run in the daemon, shown by `goniec fetch` on a terminal only ----------
new_case progress <<'EOF'
  - {name: p, type: folder, path: "@D@/in/p", settle: 0s, schedule: manual}
EOF
mkdir -p "$D/in/p"
for i in 1 2 3; do pdf "$D/in/p/$i.pdf" "p-$i"; done
start_daemon GONIEC_TEST_WORKER_HOOK=p:sleep:1
script -qc "$GONIEC -c $D/conf.d fetch p" /dev/null >"$D/tty.out" 2>&1
check "on a terminal: progress lines while the daemon runs it" grep -q 'p: [23] looked at, [23] filed' "$D/tty.out"
check "... then the outcome" grep -q 'p: ok' "$D/tty.out"
for i in 4 5; do pdf "$D/in/p/$i.pdf" "p-$i"; done
"$GONIEC" -c "$D/conf.d" fetch p >"$D/pipe.out" 2>&1
check "in a pipe: plain lines only" test "$(cat "$D/pipe.out")" = "p: ok — 2 filed, 0 already had, 0 quarantined, 0 failed"
kill "$DPID"; wait "$DPID"

# ---- a forwarder stuck on a silent SMTP server holds up nothing else ----------------------
new_case stuckmail <<'EOF'
  - {name: scan, type: folder, path: "@D@/in/scan", settle: 0s, schedule: {every: 1s}}
EOF
port=$(free_port)
python3 -c 'import socket,sys,time
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(8); conns=[]
while True: conns.append(s.accept()[0])' "$port" &
SPID=$!
at_exit "kill $SPID 2>/dev/null"
wait_port "$port"
printf 'routes:\n  - name: office\n    email: {to: [a@biuro.test], from: g@biuro.test, server: 127.0.0.1, port: %s, security: none}\n' \
	"$port" >>"$D/conf.d/10-main.yaml"
mkdir -p "$D/in/scan"
pdf "$D/in/scan/s1.pdf" scan-1
start_daemon
check "the forwarder is trying to deliver" wait_for 60 grep -q 'forward: watching' "$D/daemon.log"
sleep 1
pdf "$D/in/scan/s2.pdf" scan-2
check "scheduled runs go on while it waits for the SMTP server" wait_for 60 has_docs scan 2
t0=$(date +%s%N)
"$GONIEC" -c "$D/conf.d" status >/dev/null
# A master held up by the forwarder would not answer until the SMTP server gave up (minutes);
# ten seconds leave room for a busy machine and an ASan build.
check "status answers at once" test $(( ($(date +%s%N) - t0) / 1000000 )) -lt 10000
check "... and shows the forwarder's process" test "$(status_field scan 'd["forward"]["pid"] is not None')" = True
fpid=$(status_field scan 'd["forward"]["pid"]')
kill -9 "$fpid"
check "a killed forwarder is reported and restarted" wait_for 60 grep -q 'forwarder: killed by signal 9; restarting' "$D/daemon.log"
check "... as a new process" wait_for 60 bash -c "[ \"\$('$GONIEC' -c '$D/conf.d' status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"forward\"][\"pid\"])')\" != '$fpid' ] && [ \"\$('$GONIEC' -c '$D/conf.d' status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"forward\"][\"pid\"])')\" != None ]"
start=$SECONDS
kill "$DPID"; wait "$DPID"
check_eq "stops cleanly with the forwarder stuck" 0 $?
check "... within its grace" test $((SECONDS - start)) -le 10

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
wait_for 30 test -S "$D/notify.sock"   # python3 starts slowly on a busy machine
start_daemon NOTIFY_SOCKET="$D/notify.sock" WATCHDOG_USEC=400000
check "READY=1 sent to systemd" wait_for 60 grep -q '^READY=1' "$D/notify.txt"
check "WATCHDOG=1 sent" wait_for 60 grep -q '^WATCHDOG=1' "$D/notify.txt"
check "STATUS= sent" grep -q '^STATUS=1 sources' "$D/notify.txt"
kill "$DPID"; wait "$DPID"
check "STOPPING=1 sent" wait_for 60 grep -q '^STOPPING=1' "$D/notify.txt"

# ---- a fetch whose outcome arrives with the daemon's first answer -------------------------
# A run that ends at once (busy, nothing new) can send its "done" and "end" before the
# client has read the reply to its request; the client must keep what it read with it.
# A stand-in for the daemon's control socket writes all three lines in one send.
new_case quick <<'EOF2'
  - {name: quick, type: folder, path: "@D@/in/quick", settle: 0s, schedule: manual}
EOF2
mkdir -p "$D/state"
python3 - "$D/state/control.sock" <<'PY' &
import json, socket, sys
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(sys.argv[1]); srv.listen(1)
c, _ = srv.accept()
req = b""
while not req.endswith(b"\n"):
    req += c.recv(4096)
stats = dict(looked_at=2, filed=2, duplicates=0, quarantined=0, failed=0, held=0, unreadable=0, bytes=40)
lines = [{"ok": True, "sources": ["quick"]},
         {"event": "done", "source": "quick", "outcome": "ok", "stats": stats, "error": None},
         {"event": "end"}]
c.sendall(b"".join(json.dumps(l).encode() + b"\n" for l in lines))
c.close()
PY
QPID=$!
at_exit "kill $QPID 2>/dev/null"
wait_for 30 test -S "$D/state/control.sock"
"$GONIEC" -c "$D/conf.d" fetch quick >"$D/quick.out" 2>&1
check_eq "reply and outcome in one read: the fetch ends ok" 0 $?
check "... and prints the outcome" grep -q '^quick: ok — 2 filed' "$D/quick.out"
