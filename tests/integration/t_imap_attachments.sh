#!/bin/bash
# Mails with many attachments against a real Dovecot: every PDF of a mail with 300 and of
# one with 1,000 attachments is filed and the mails are moved; a mail whose forwarded
# messages nest past the limit is not moved, the run is partial and says which mail and
# why, the mails after it are still taken, the next runs look at it again; the daemon
# raises a "held" alert naming it, resolved once a person has moved the mail away.
. "$(dirname "$0")/lib.sh"
. "$SRC_DIR/tests/fixtures/imap_env.sh"
imap_require
imap_start
year=$(date +%Y)
python3 "$FIXTURES/mkmany.py" "$T/many"
for f in "$T"/many/*.eml; do imap_deliver test INBOX "$f"; done
imap_conf many

goniec_run fetch many
check_eq "a run with a held mail is partial (exit 1)" 1 $?
check "the run names the held mail and why" \
	grep -q 'many: partial — 1302 filed.*1 message(s) left where they are for a person: INBOX UID 3 (from faktury@pge.pl, "deep"): forwarded messages are nested more than 16 deep' "$T/out"
check_eq "all 300 + 1,000 attachments and the other PDFs are filed" 1302 "$(docs_with "$T/many/expected.sha")"
check_eq "each of them once" 1302 "$(count_docs "$T/spool")"
check_eq "the mails taken whole are moved (300, 1,000, after)" 3 "$(imap_count test secret "eksiegowy$year")"
check_eq "the held mail stays in INBOX" 1 "$(imap_count test secret INBOX)"

goniec_run fetch many
check_eq "the next run holds it again (exit 1)" 1 $?
check "the next run files nothing twice" grep -q 'many: partial — 0 filed, 1 already had' "$T/out"
check_eq "the held mail is still in INBOX" 1 "$(imap_count test secret INBOX)"
check "the folder state remembers it as held" python3 -c "
import json,sys; s=json.load(open('$T/state/sources/many/imap-folders.json'))['INBOX']; sys.exit(s['held'] != [3] or s['last_uid'] != 4)"

# The daemon: the held mail opens a "held" alert whose notice names it.
"$GONIEC" -c "$T/conf.d" run >"$T/daemon.log" 2>&1 &
dpid=$!
at_exit "kill $dpid 2>/dev/null; wait $dpid 2>/dev/null"
wait_for 10 test -S "$T/state/control.sock"
goniec_run fetch many
check "the daemon runs the source" grep -q 'source many: partial' "$T/daemon.log"
check "the daemon opens a held alert" grep -q 'source many: alert held open: .*INBOX UID 3' "$T/daemon.log"
notice=$(find "$T/spool" -name 'alert-many-held*.txt' | head -1)
check "the alert notice is filed" test -n "$notice"
check "the notice names the mail and why" grep -q 'INBOX UID 3 (from faktury@pge.pl, "deep"): forwarded messages are nested more than 16 deep' "$notice"
doveadm -c "$T/dovecot/dovecot.conf" mailbox create -u test Recznie
doveadm -c "$T/dovecot/dovecot.conf" move -u test Recznie mailbox INBOX ALL
goniec_run fetch many
check "once a person moved it away the run is ok" grep -q '^many: ok' "$T/out"
check "and the held alert is resolved" grep -q 'source many: alert held resolved' "$T/daemon.log"
kill "$dpid"; wait "$dpid"
