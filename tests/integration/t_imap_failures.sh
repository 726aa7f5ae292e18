#!/bin/bash
# Failures of the imap source: wrong password, server gone, a folder that does not exist,
# a quota-full move target on a server without MOVE (UID COPY + UID EXPUNGE fallback,
# which must not expunge what a person marked deleted), a connection cut in the middle
# of a transfer, and a run killed in the middle. Each gives a clear error and a status;
# the next run picks up where it stopped; nothing is lost or filed twice.
. "$(dirname "$0")/lib.sh"
. "$SRC_DIR/tests/fixtures/imap_env.sh"
imap_require
cat >"$T/nomove.conf" <<CONF
protocol imap {
  imap_capability = IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ NAMESPACE UIDPLUS QUOTA SPECIAL-USE
}
CONF
FULL_QUOTA=3 imap_start "$T/nomove.conf"
year=$(date +%Y)
last_outcome() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['outcome'])" \
	"$T/state/sources/$1/status.json"; }

# --- wrong password: needs a person, exit 3, the password is never shown
C_PASS=Hunter2-not-this imap_conf badpw
goniec_run fetch badpw
check_eq "wrong password: exit 3 (needs a person)" 3 $?
check "wrong password: says the login was rejected" grep -q "login rejected" "$T/out"
check "wrong password: the password is not in the output" bash -c "! grep -q Hunter2 '$T/out'"
check_eq "wrong password: status needs-person" needs-person "$(last_outcome badpw)"

# --- server gone
C_PORT=$(free_port) imap_conf gone
goniec_run fetch gone
check_eq "server gone: exit 1" 1 $?
check "server gone: says it cannot connect" grep -q "cannot connect" "$T/out"
check_eq "server gone: status failed" failed "$(last_outcome gone)"

# --- a folder that does not exist: the others are still read
python3 "$FIXTURES/mkinvoices.py" "$T/m1" 2 3000 inbox >"$T/m1.sha"
for f in "$T"/m1/*.eml; do imap_deliver test INBOX "$f"; done
imap_conf nofolder 'folders: ["INBOX", "Nie ma takiego"]'
goniec_run fetch nofolder
check_eq "missing folder: exit 1 (partial)" 1 $?
check "missing folder: the error names it" grep -q "folder 'Nie ma takiego' cannot be opened" "$T/out"
check_eq "missing folder: status partial" partial "$(last_outcome nofolder)"
check_eq "missing folder: INBOX was still read (2 filed)" 2 "$(docs_with "$T/m1.sha")"
check_eq "missing folder: INBOX messages moved (UID COPY + UID EXPUNGE)" 2 \
	"$(imap_count test secret "eksiegowy$year")"

# --- quota-full move target, server without MOVE
python3 "$FIXTURES/mkinvoices.py" "$T/m2" 2 3000 quota >"$T/m2.sha"
python3 "$FIXTURES/mkinvoices.py" "$T/m2x" 1 3000 person kolega@example.com >/dev/null
for f in "$T"/m2/*.eml "$T"/m2x/*.eml; do imap_deliver full INBOX "$f"; done
python3 - "$IMAPS_PORT" "$T/tls/ca.pem" <<'PY'
import imaplib, ssl, sys
M = imaplib.IMAP4_SSL("localhost", int(sys.argv[1]), ssl_context=ssl.create_default_context(cafile=sys.argv[2]))
M.login("full", "full"); M.select("INBOX")
uid = M.uid("SEARCH", "HEADER", "Message-ID", "person-0@goniec.test")[1][0].split()[-1]
M.uid("STORE", uid, "+FLAGS", "(\\Deleted)")   # a person's deletion, not yet expunged
M.create("eksiegowy2000"); M.logout()
PY
C_USER=full C_PASS=full C_SENDERS='["faktury@pge.pl"]' imap_conf full 'folders: [INBOX]'
goniec_run fetch full
check_eq "quota-full target: exit 1 (partial)" 1 $?
check "quota-full target: the error quotes the server" grep -q "Quota exceeded" "$T/out"
check_eq "quota-full target: documents filed anyway" 2 "$(docs_with "$T/m2.sha")"
check_eq "quota-full target: messages stay in INBOX" 3 "$(imap_count full full INBOX)"
check "quota-full target: the moves are remembered" \
	python3 -c "import json,sys; sys.exit(len(json.load(open('$T/state/sources/full/imap-folders.json'))['INBOX']['pending_move']) != 2)"
sleep 1.1 # Dovecot re-reads its passwd-file when the modification time changes
sed -i 's/^full:\(.*\)messages=3/full:\1messages=1000/' "$T/dovecot/passwd"
goniec_run fetch full
check_eq "after the quota is raised the next run succeeds" 0 $?
check "the next run files nothing again" grep -q "full: ok — 0 filed" "$T/out"
check_eq "the remembered messages are moved" 2 "$(imap_count full full "eksiegowy$year")"
check_eq "the message a person marked deleted is still there (no plain EXPUNGE)" 1 \
	"$(imap_count full full INBOX DELETED)"
check_eq "duplicates: each document once" 2 "$(docs_with "$T/m2.sha")"

# proxied NAME FOLDER N SIZE PROXY_ARGS... — a folder with N invoices of SIZE bytes (their
# hashes in $T/NAME.sha) and a source NAME reading it through tcp_proxy.py.
proxied() {
	local name=$1 folder=$2 n=$3 size=$4 port pid
	shift 4
	python3 "$FIXTURES/mkinvoices.py" "$T/$name" "$n" "$size" "$name" >"$T/$name.sha"
	doveadm -c "$T/dovecot/dovecot.conf" mailbox create -u test "$folder"
	for f in "$T/$name"/*.eml; do imap_deliver test "$folder" "$f"; done
	port=$(free_port)
	python3 "$FIXTURES/tcp_proxy.py" "$port" "$IMAPS_PORT" "$@" &
	pid=$!
	at_exit "kill $pid"
	wait_port "$port"
	C_PORT=$port imap_conf "$name" "folders: [$folder]"
}

# --- connection cut in the middle of a transfer (a proxy closes it after 1.5 MB)
proxied cut Duze 6 600000 --cut-after 1500000
goniec_run fetch cut
check_eq "connection cut: exit 1" 1 $?
check "connection cut: says the connection was lost" grep -q "connection lost" "$T/out"
got=$(docs_with "$T/cut.sha")
check "connection cut: not everything got through ($got of 6)" test "$got" -lt 6
goniec_run fetch cut
check_eq "after the cut the next run succeeds" 0 $?
check_eq "after the cut: all 6 documents, each once" 6 "$(docs_with "$T/cut.sha")"
check_eq "after the cut: all 6 messages moved" 0 "$(imap_count test secret Duze)"

# --- killed in the middle of a run (transfer slowed to 4 MB/s so the kill lands inside)
proxied killed Kill 10 400000 --rate 4000000
"$GONIEC" -c "$T/conf.d" fetch killed >"$T/out" 2>&1 &
run=$!
sleep 0.8
kill -9 $run 2>/dev/null
wait $run 2>/dev/null
got=$(docs_with "$T/killed.sha")
check "killed: the run was stopped in the middle ($got of 10 filed)" test "$got" -lt 10
goniec_run fetch killed
check_eq "after the kill the next run succeeds" 0 $?
check_eq "after the kill: all 10 documents, each once" 10 "$(docs_with "$T/killed.sha")"
check_eq "after the kill: all 10 messages moved" 0 "$(imap_count test secret Kill)"
check "no temporary or orphan files are left in the spool" \
	bash -c "! find '$T/spool' -name '.goniec-tmp*' | grep -q ."

# --- a server that describes one message in a way libetpan cannot parse (libetpan #90:
# the stream is out of sync after it): that message is isolated and left, the rest taken
# fake_source NAME [imap_fake.py option]: a scripted server logging to $T/NAME.log, and an
# imap source NAME reading it
fake_source() {
	local port; port=$(free_port)
	python3 "$FIXTURES/imap_fake.py" "$port" "$T/$1.log" "${@:2}" &
	at_exit "kill $!"
	wait_port "$port"
	C_HOST=127.0.0.1 C_PORT=$port C_TLS=none C_CA= imap_conf "$1"
}
fake_source odd
goniec_run fetch odd
check_eq "unreadable structure: the run still succeeds" 0 $?
check "unreadable structure: the message is named in a warning" \
	grep -q "odd: INBOX UID 2: the server describes this message in a way the IMAP library cannot read" "$T/out"
check "unreadable structure: the other two invoices are filed" grep -q "odd: ok — 2 filed" "$T/out"
check "unreadable structure: just those two are moved" grep -q "UID MOVE 1,3 eksiegowy$year" "$T/odd.log"
check "unreadable structure: no LOGOUT on a broken stream" test "$(grep -c LOGOUT "$T/odd.log")" -eq 1
goniec_run fetch odd
check "unreadable structure: the next run does not stumble on it again" grep -q "odd: ok — 0 filed" "$T/out"

# --- an empty folder on a server that names no UIDNEXT: read "1:*" in one go, nothing found
fake_source bare --empty-no-uidnext
goniec_run fetch bare
check_eq "no UIDNEXT, empty folder: the run succeeds" 0 $?
check "no UIDNEXT, empty folder: nothing looked at" grep -q "bare: ok — 0 filed" "$T/out"
check "no UIDNEXT: the whole folder asked for at once" grep -q "UID FETCH 1:\* (UID ENVELOPE)" "$T/bare.log"

# --- a server that refuses LIST: INBOX is read all the same, but the junk folder may have
# been missed, so the run is partial, says why, and the next run tries again
fake_source nolist --list-fails
goniec_run fetch nolist
check_eq "LIST refused: the run is partial (exit 1), not ok" 1 $?
check "LIST refused: INBOX's invoices are filed all the same" grep -q "nolist: partial — 2 filed" "$T/out"
check "LIST refused: the reason is given" grep -q "LIST failed" "$T/out"

# --- the password changes during a run: the login again after the broken stream of UID 2
# is refused, so the run needs a person (exit 3), like a first login refused, and says so
fake_source relogin --relogin-refused
goniec_run fetch relogin
check_eq "login refused on reconnecting: exit 3 (needs a person)" 3 $?
check "... the run says the login was rejected" grep -q "relogin: needs-person.*login rejected" "$T/out"
check_eq "... status needs-person" needs-person "$(last_outcome relogin)"
