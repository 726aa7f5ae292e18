#!/bin/bash
# The daemon running a real IMAP source (Dovecot, implicit TLS with a test CA) on a
# second-level schedule: mail delivered while the daemon runs is filed by the next
# scheduled run, without any `goniec fetch`; an on-demand fetch through the socket works
# on the same mailbox; the status shows the runs; rejected credentials raise an alert.
. "$(dirname "$0")/lib.sh"
. "$SRC_DIR/tests/fixtures/imap_env.sh"
command -v dovecot >/dev/null || skip "dovecot-imapd is not installed"
imap_start
imap_conf box 'schedule: {every: 2s}'
C_PASS=wrong imap_conf badpass 'schedule: {every: 1h}'
mail() { # NAME — a one-PDF message from a whitelisted sender
	cat <<MAIL
From: faktury@pge.pl
To: biuro@example.pl
Subject: Faktura $1
Date: Sat, 21 Nov 2026 08:00:00 +0100
Message-ID: <$1@daemon.goniec>
MIME-Version: 1.0
Content-Type: application/pdf; name="$1.pdf"
Content-Transfer-Encoding: base64

$(printf '%%PDF-1.4\n%s\n%%%%EOF\n' "$1" | base64)
MAIL
}
# Sidecars still under their temporary name (.goniec-tmp-*) are not there yet.
docs() { find "$T/spool" -name '*.meta.json' -not -path '*/quarantine/*' -not -name 'alert-*' -not -name '.goniec-tmp-*' 2>/dev/null | wc -l; }
docs_at_least() { [ "$(docs)" -ge "$1" ]; }

"$GONIEC" -c "$T/conf.d" run >"$T/daemon.log" 2>&1 &
DPID=$!
at_exit "kill $DPID 2>/dev/null; wait $DPID 2>/dev/null"
wait_for 60 test -S "$T/state/control.sock"
check "first scheduled run of the mailbox succeeds" wait_for 60 grep -q 'source box: ok' "$T/daemon.log"
mail first >"$T/first.eml"
imap_deliver test INBOX "$T/first.eml"
check "mail delivered while the daemon runs is filed by a scheduled run" wait_for 60 docs_at_least 1
check "it is the delivered PDF" bash -c "find '$T/spool' -name 'first.pdf' | grep -q ."
mail second >"$T/second.eml"
imap_deliver test INBOX "$T/second.eml"
"$GONIEC" -c "$T/conf.d" fetch box >"$T/fetch.out" 2>&1
check_eq "on-demand fetch through the daemon" 0 $?
check "the mailbox's run is reported" grep -q '^box: ok' "$T/fetch.out"
check "the second mail is filed (by it or the schedule)" wait_for 60 docs_at_least 2
check_eq "nothing filed twice" 2 "$(docs)"
# (a run every 2 s: on a busy machine the status may find one under way; wait for a moment between runs)
check "status shows the mailbox's last run ok" wait_for 60 bash -c "'$GONIEC' -c '$T/conf.d' status | grep -q '^box  *imap .* ok '"
check "rejected credentials: the source needs a person" wait_for 60 bash -c "'$GONIEC' -c '$T/conf.d' status | grep -q '^badpass .*needs-person'"
alerts() { grep -l '"cause": "needs-person"' $(find "$T/spool" -name '*.meta.json' -not -name '.goniec-tmp-*') /dev/null | wc -l; }
check_eq "an alert notice is filed for it at once" 1 "$(alerts)"
kill "$DPID"; wait "$DPID"
check_eq "clean stop" 0 $?
