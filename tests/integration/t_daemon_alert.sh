#!/bin/bash
# Alerts end to end: a source that keeps failing makes the daemon file one alert notice,
# which its forwarder delivers by e-mail to a real SMTP server (aiosmtpd, STARTTLS with a
# test CA) — once, not on every failing run — and one more when the source works again.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/forward_lib.sh"
$PY -c 'import aiosmtpd' 2>/dev/null || skip "python3-aiosmtpd is not installed"
fw_setup
make_test_ca
smtp_start MAIL starttls
cat >"$CONF/10-main.yaml" <<EOF2
sources:
  - {name: gone, type: folder, path: "$T/in/gone", settle: 0s, schedule: {every: 1s}}
routes:
  - name: alerts
    match: {kind: alert}
    email:
      to: [admin@biuro.test]
      from: goniec@biuro.test
      server: 127.0.0.1
      port: $MAIL_PORT
      security: starttls
      ca_file: $T/tls/ca.pem
      subject: 'goniec alert: {source.name}'
EOF2
"$GONIEC" -c "$CONF" run >"$T/daemon.log" 2>&1 &
DPID=$!
at_exit "kill $DPID 2>/dev/null; wait $DPID 2>/dev/null"
mails_at_least() { [ "$(mail_count "$MAIL_OUT")" -ge "$1" ]; }
check "failing runs: an alert is e-mailed" wait_for 15 mails_at_least 1
sleep 4
check_eq "further failing runs send no more mail the same day" 1 "$(mail_count "$MAIL_OUT")"
body() { $PY -c 'import email,email.policy,sys
m=email.message_from_binary_file(open(sys.argv[1],"rb"),policy=email.policy.default)
print(m["subject"]); print(m.get_body(("plain",)).get_content())' "$1"; }
body "$MAIL_OUT"/0001.eml >"$T/mail1.txt"
check "the mail names the source" grep -q '^goniec alert: gone' "$T/mail1.txt"
check "and the cause" grep -q '^cause: failing' "$T/mail1.txt"
mkdir -p "$T/in/gone"
check "the source works again: one 'resolved' mail" wait_for 10 mails_at_least 2
body "$MAIL_OUT"/0002.eml >"$T/mail2.txt"
check "it says resolved" grep -q '^goniec: resolved: source gone' "$T/mail2.txt"
sleep 2
check_eq "and nothing after that" 2 "$(mail_count "$MAIL_OUT")"
"$GONIEC" -c "$CONF" status --json >"$T/status.json"
check "status shows the forwarder's route" $PY -c 'import json,sys
d=json.load(open(sys.argv[1])); r=d["forward"]["routes"][0]
sys.exit(0 if r["name"]=="alerts" and r["delivered"]>=2 else 1)' "$T/status.json"
kill "$DPID"; wait "$DPID"
check_eq "clean stop" 0 $?
