#!/bin/bash
# --watch: inotify over the whole tree (date folders created later included), queue
# overflow (max_queued_events lowered) still delivers everything, polling mode, a slow
# sync, a slow journal sync.
# Waits are generous (the machine may be busy); each is still shorter than the fallback it
# rules out (the 5-minute rescan under inotify, the 10 s default poll). Latency itself is
# measured by make bench (bench/forward.sh).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/forward_lib.sh"
fw_setup
fw_routes "routes:
  - name: imp
    folder: {path: $OUT}"
DROP="$PY $SRC_DIR/tests/fixtures/spool_drop.py"
count() { find "$OUT" -name "*.pdf" | wc -l; }
have() { [ "$(count)" -eq "$1" ]; }
stop() { kill "$1" 2>/dev/null; wait "$1" 2>/dev/null; }
# watch LOG [OPTION...]: `forward --watch` in the background ($pid; killed at exit), its
# messages in $T/LOG
watch() {
	local log=$1
	shift
	"$GONIEC" -c "$CONF" forward --watch "$@" 2>"$T/$log" &
	pid=$!
	at_exit "kill $pid 2>/dev/null"
}

# inotify: documents in folders that did not exist when watching began
watch w1.log
wait_for 5 grep -q "watching the spool (inotify)" "$T/w1.log"
$DROP "$SPOOL" 20 new 0 2026/11/22
check "documents in new date folders delivered by inotify (well before the 5-minute rescan)" wait_for 30 have 20
$DROP "$SPOOL" 5 more 0 2026/12/01
check "and in a new month" wait_for 30 have 25
check "status.json written while watching" wait_for 15 grep -q '"delivered": 25' "$STATE/forward/status.json"
check "status.json says inotify" grep -q '"mode": "inotify"' "$STATE/forward/status.json"
stop $pid

# queue overflow: a small queue, the forwarder stopped while 300 documents arrive
q=/proc/sys/fs/inotify/max_queued_events
if [ -w $q ] && old=$(cat $q) && echo 32 >$q 2>/dev/null; then
	"$GONIEC" -c "$CONF" forward --watch 2>"$T/w2.log" &
	pid=$!
	wait_for 5 grep -q "watching the spool" "$T/w2.log"
	echo "$old" >$q # only the forwarder's instance keeps the small queue
	at_exit "kill $pid 2>/dev/null"
	kill -STOP $pid
	$DROP "$SPOOL" 300 ovf 0 2026/11/22 # a folder watched already: 1800 events
	kill -CONT $pid
	check "overflow: all 300 delivered (rescan after overflow)" wait_for 20 have 325
	check "overflow: logged" grep -q "overflowed; rescanning" "$T/w2.log"
	stop $pid
else
	fail "cannot lower $q (need root and a writable /proc/sys)"
fi

# polling (as on NFS/SMB): found by the periodic rescan
watch w3.log --poll --interval 1s
wait_for 5 grep -q "watching the spool (poll)" "$T/w3.log"
$DROP "$SPOOL" 10 poll 0 2026/11/24
check "polling: delivered by the 1 s poll (not the 10 s default)" wait_for 9 have 335
check "polling: logged why" grep -q "polled every 1 s (asked)" "$T/w3.log"
stop $pid

# SIGHUP: rescan at once (a polled spool need not wait for the next poll)
watch w5.log --poll --interval 1h
wait_for 5 grep -q "watching the spool (poll)" "$T/w5.log"
$DROP "$SPOOL" 3 hup 0 2026/11/24
sleep 0.5
check_eq "polling every hour: nothing yet" 335 "$(count)"
kill -HUP $pid
check "SIGHUP: rescanned and delivered at once" wait_for 3 have 338
stop $pid

# a restart rescans and finds what came while nobody watched; nothing twice
$DROP "$SPOOL" 7 offline 0 2026/11/25
watch w4.log
check "restart: what came meanwhile delivered" wait_for 5 have 345
check_eq "nothing twice" 0 "$(find "$OUT" -name '*-2.pdf' | wc -l)"
stop $pid

# a slow sync (a busy disk) does not hold up what arrives meanwhile: while one group's
# sync waits (the test build's sync thread waits for a file: GONIEC_FORWARD_SYNC_WAIT,
# core/testhook.h), the documents that come are still copied (more than two groups of
# 256), none is published or journaled before its group is durable, and all are
# delivered once when the sync goes on
parts() { find "$OUT" -name '.goniec-*.part' | wc -l; }
copied() { [ "$(parts)" -ge "$1" ]; }
journaled() { grep -c "^d	" "$STATE/forward/journal"; }
journaled_all() { [ "$(journaled)" -eq 946 ]; }
GONIEC_FORWARD_SYNC_WAIT=$T/sync-may-go watch w7.log
at_exit "touch $T/sync-may-go" # before the kill (hooks run last first): the sync may go
wait_for 5 grep -q "watching the spool (inotify)" "$T/w7.log"
$DROP "$SPOOL" 1 slow 0 2026/11/27
check "slow sync: the first document copied, its group's sync waits" wait_for 20 copied 1
$DROP "$SPOOL" 600 slower 0 2026/11/27
check "slow sync: 600 more copied meanwhile" wait_for 60 copied 601
check_eq "slow sync: none published before its group is durable" 345 "$(count)"
check_eq "slow sync: none journaled before its group is durable" 345 "$(journaled)"
touch "$T/sync-may-go"
check "slow sync: all 601 delivered once the sync goes on" wait_for 60 have 946
check_eq "slow sync: no temporary copy left" 0 "$(parts)"
check "slow sync: each journaled once" wait_for 10 journaled_all
check "slow sync: status counts them" wait_for 15 grep -q '"delivered": 946' "$STATE/forward/status.json"
stop $pid

# a slow journal sync (a busy disk) does not hold up the next group: the journal's
# records of the groups before are made durable beside it (the test build waits before
# the journal's fdatasync that goes with a group: GONIEC_FORWARD_JOURNAL_WAIT), so while
# that waits, a group is linked into place — and journaled only once the records before it
# are durable
published_unjournaled() { [ "$(count)" -gt "$(journaled)" ]; }
GONIEC_FORWARD_JOURNAL_WAIT=$T/journal-may-go watch w8.log
at_exit "touch $T/journal-may-go"
wait_for 5 grep -q "watching the spool (inotify)" "$T/w8.log"
$DROP "$SPOOL" 600 journal 0 2026/11/28
check "slow journal sync: a later group published meanwhile" wait_for 60 published_unjournaled
check "slow journal sync: the first group journaled, no later one" test "$(journaled)" -gt 946 -a "$(journaled)" -lt 1546
touch "$T/journal-may-go"
check "slow journal sync: all 600 delivered" wait_for 60 have 1546
journaled_all() { [ "$(journaled)" -eq 1546 ]; }
check "slow journal sync: each journaled once" wait_for 10 journaled_all
stop $pid

# a spool on a FUSE mount (as sshfs or rclone would give): found by statfs and polled;
# files written beside the mount (as by another machine) send no inotify events there
if command -v bindfs >/dev/null && [ -e /dev/fuse ] && mkdir -p "$T/share" "$T/fusespool" &&
	bindfs "$T/share" "$T/fusespool" 2>/dev/null; then
	at_exit "fusermount -u $T/fusespool 2>/dev/null"
	sed -i "s|spool: $SPOOL|spool: $T/fusespool|" "$CONF/00-agent.yaml"
	"$GONIEC" -c "$CONF" forward --watch --interval 1s 2>"$T/w6.log" &
	pid=$!
	at_exit "kill $pid 2>/dev/null"
	wait_for 5 grep -q "watching the spool" "$T/w6.log"
	check "FUSE spool: detected and polled" grep -q "polled every 1 s (fuse)" "$T/w6.log"
	$DROP "$T/share" 4 remote 0 2026/11/26
	check "FUSE spool: documents written elsewhere delivered by polling" wait_for 4 have 1550
	stop $pid
	fusermount -u "$T/fusespool"
else
	fail "cannot mount a FUSE file system (bindfs, /dev/fuse)"
fi
