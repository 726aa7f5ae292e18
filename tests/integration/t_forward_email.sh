#!/bin/bash
# E-mail target against a real SMTP server (aiosmtpd) on loopback with a test CA:
# STARTTLS required and never falling back, SMTPS, AUTH with a password file, the MIME
# message (attachment byte for byte, RFC 2047 subject, RFC 2231 file name and the RFC 2047
# name= both read back), stable Message-ID, 4xx retried, 5xx reported, a sending quota
# (5.4.5) retried after its window, TLS mistakes permanent with the setting to change,
# batch: run under a size limit, alerts inline.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/forward_lib.sh"
$PY -c 'import aiosmtpd' 2>/dev/null || skip "python3-aiosmtpd is not installed"
fw_setup
make_test_ca
echo 's3cret pass' >"$T/smtp.pass"; chmod 600 "$T/smtp.pass"
smtp_start TLS starttls --auth 'goniec:s3cret pass'
smtp_start SSL ssl
smtp_start PLAIN plain
smtp_start TEMP starttls --fail 451:1
smtp_start PERM starttls --fail 550:100
smtp_start QUOTA starttls --fail '550:2:5.4.5 Daily user sending limit exceeded. For more information on Gmail sending limits go to https://support.google.com/a/answer/166852'

D=2026/11/21/acme-mail
route() { # NAME PORT SECURITY [extra yaml lines]
	printf '  - name: %s\n    email:\n      to: [ksiegowa@biuro.test, szef@biuro.test]\n      from: goniec@biuro.test\n      server: 127.0.0.1\n      port: %s\n      security: %s\n      ca_file: %s\n%s\n' \
		"$1" "$2" "$3" "$T/tls/ca.pem" "${4:-}"
}
{
	echo "routes:"
	route tls "$TLS_PORT" starttls "      user: goniec
      password_file: $T/smtp.pass
      subject: 'Faktura {invoice.number} — {invoice.seller.name}'"
} >"$CONF/10-routes.yaml"

printf '%%PDF-1.4\n\x00\x01\x02\xff binary \r\n.\r\n..\n%%%%EOF\n' >"$T/doc.pdf"
mkdir -p "$SPOOL/$D"
fw_doc "$D/Faktura żółć 2026-11.pdf" "placeholder" '"invoice": {"number": "FV/7/2026", "seller": {"name": "Zakład Energetyczny Łódź"}}'
cp "$T/doc.pdf" "$SPOOL/$D/Faktura żółć 2026-11.pdf"

out=$(fw forward 2>"$T/log")
check "STARTTLS + AUTH: delivered (exit 0)" test $? -eq 0
check_eq "one message kept by the server" 1 "$(mail_count "$TLS_OUT")"
check_eq "both recipients in the envelope" 2 "$(grep -c '^to ' "$TLS_OUT"/0001.env)"
$PY - "$TLS_OUT/0001.eml" "$T/doc.pdf" >"$T/parsed" <<'PYEOF'
import email, email.policy, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.default)
att = [p for p in m.iter_attachments()]
print("subject=" + str(m["subject"]))
print("mid=" + m["message-id"])
print("filename=" + att[0].get_filename())
print("ctype=" + att[0].get_content_type())
print("same=" + str(att[0].get_payload(decode=True) == open(sys.argv[2], "rb").read()))
print("body=" + m.get_body(("plain",)).get_content().splitlines()[0])
print("rawsubject=" + m.get("subject").__class__.__name__)
# an importer that reads no RFC 2231: the Content-Type's name=, RFC 2047 decoded
import email.header
old = email.message_from_binary_file(open(sys.argv[1], "rb"))  # compat32: no RFC 2231 magic
part = [p for p in old.walk() if p.get_content_type() == "application/pdf"][0]
print("name2047=" + str(email.header.make_header(email.header.decode_header(part.get_param("name")))))
print("ctname=" + att[0]["content-type"].params["name"])
PYEOF
check "attachment byte for byte" grep -qx "same=True" "$T/parsed"
check "UTF-8 subject decoded" grep -qx "subject=Faktura FV/7/2026 — Zakład Energetyczny Łódź" "$T/parsed"
check "subject is RFC 2047 encoded on the wire" grep -q '^Subject: =?UTF-8?B?' "$TLS_OUT/0001.eml"
check "UTF-8 file name (RFC 2231)" grep -qx "filename=Faktura żółć 2026-11.pdf" "$T/parsed"
check "RFC 2231 parameter on the wire" grep -q "filename\*0\*=UTF-8''Faktura%20%C5%BC" "$TLS_OUT/0001.eml"
check "Polish name also in name= as RFC 2047 (read without RFC 2231)" grep -qx "name2047=Faktura żółć 2026-11.pdf" "$T/parsed"
check "Python's current parser reads the same name= " grep -qx "ctname=Faktura żółć 2026-11.pdf" "$T/parsed"
check "name= is RFC 2047 words on the wire" grep -q '^ name="=?UTF-8?B?' "$TLS_OUT/0001.eml"
check "media type from the sidecar" grep -qx "ctype=application/pdf" "$T/parsed"
check "Message-ID derived from hash and route" grep -q "^mid=<[0-9a-f]\{32\}@goniec.biuro.test>" "$T/parsed"
check "body template filled" grep -q "^body=Faktura żółć 2026-11.pdf from acme-mail (acme)" "$T/parsed"
mid1=$(sed -n 's/^mid=//p' "$T/parsed")
fw forward >/dev/null 2>&1
check_eq "journal: not sent twice" 1 "$(mail_count "$TLS_OUT")"
rm "$STATE/forward/journal"
fw forward >/dev/null 2>&1
check_eq "after losing the journal it is sent again (at-least-once)" 2 "$(mail_count "$TLS_OUT")"
check_eq "a repeat carries the same Message-ID" "$mid1" "$(sed -n 's/^Message-ID: //Ip' "$TLS_OUT/0002.eml" | tr -d '\r')"
check "the password never appears in the log" test -z "$(grep -r 's3cret' "$T/log" "$STATE")"

# goniec check proves the SMTP password can be read
{ echo "routes:"; route chk "$TLS_PORT" starttls "      user: goniec
      password_file: $T/no-such-file"; } >"$CONF/10-routes.yaml"
fw check >/dev/null 2>"$T/check"
check "check: an unreadable SMTP password file is an error" grep -q "error: password: .*no-such-file" "$T/check"

# security: starttls against a server without STARTTLS must not fall back to plain text
{ echo "routes:"; route nofallback "$PLAIN_PORT" starttls; } >"$CONF/10-routes.yaml"
out=$(fw forward 2>"$T/log2")
check "STARTTLS missing: not sent" test "$(mail_count "$PLAIN_OUT")" -eq 0
check "STARTTLS missing: failing, with the reason" grep -q "nofallback (email): 0 delivered, 0 pending, 1 failing" <<<"$out"
# SMTPS with the test CA; and without it the certificate is refused
{ echo "routes:"; route smtps "$SSL_PORT" ssl; } >"$CONF/10-routes.yaml"
fw forward >/dev/null 2>&1
check_eq "SMTPS: delivered" 1 "$(mail_count "$SSL_OUT")"
{ echo "routes:"; route smtps2 "$SSL_PORT" ssl | grep -v ca_file; } >"$CONF/10-routes.yaml"
out=$(fw forward 2>"$T/log3")
check "unknown CA: refused, reported failing" grep -q "smtps2 (email): 0 delivered, 0 pending, 1 failing" <<<"$out"
check_eq "unknown CA: nothing sent" 1 "$(mail_count "$SSL_OUT")"
# AUTH with a wrong password: permanent
{ echo "routes:"; route badauth "$TLS_PORT" starttls "      user: goniec
      password: wrong"; } >"$CONF/10-routes.yaml"
chmod 600 "$CONF/10-routes.yaml"
out=$(fw forward 2>"$T/log4")
check "wrong password: failing" grep -q "badauth (email): 0 delivered, 0 pending, 1 failing" <<<"$out"

# 4xx: pending and retried; 5xx: failing with the server's reply
{ echo "routes:"; route temp "$TEMP_PORT" starttls; route perm "$PERM_PORT" starttls; } >"$CONF/10-routes.yaml"
out=$(fw forward 2>"$T/log5")
check "SMTP 451: pending" grep -q "temp (email): 0 delivered, 1 pending, 0 failing" <<<"$out"
check "SMTP 550: failing with the reply" grep -q "perm (email): 0 delivered, 0 pending, 1 failing.*550" <<<"$out"
out=$(fw forward 2>"$T/log6")
check "SMTP 451: delivered on the next attempt" grep -q "temp (email): 1 delivered" <<<"$out"

# TLS mistakes are permanent and say which setting is wrong
{ echo "routes:"; route tlsmix "$TLS_PORT" ssl; } >"$CONF/10-routes.yaml"
out=$(fw forward 2>"$T/log-tls")
check "ssl against a STARTTLS port: failing, not pending" grep -q "tlsmix (email): 0 delivered, 0 pending, 1 failing" <<<"$out"
check "the message names the setting" grep -q "TLS handshake failed.*needs \`security: starttls\`" "$T/log-tls"
check "not retried until the configuration changes" grep -q "not retried until the configuration changes" "$T/log-tls"
{ echo "routes:"; route p465 465 starttls; } >"$CONF/10-routes.yaml"
fw check >/dev/null 2>"$T/check465"
check "check: STARTTLS on port 465 is an error naming security: ssl" \
	grep -q "error: port 465 needs \`security: ssl\`" "$T/check465"

# batch: run — one message for the run, split under max_size; alerts inline
rm -rf "$SPOOL"/* "$STATE/forward"
for i in 1 2 3 4; do
	head -c 300000 /dev/urandom >"$T/big$i.pdf"
	fw_doc "$D/big$i.pdf" x
	cp "$T/big$i.pdf" "$SPOOL/$D/big$i.pdf"
done
fw_doc "$D/alert-1.txt" "The mailbox acme-mail needs a new password." '"kind": "alert", "media_type": "text/plain"'
{ echo "routes:"; route batch "$SSL_PORT" ssl "      batch: run
      max_size: 1MB
      subject: '{count} documents: {files}'"
  route alert "$SSL_PORT" ssl "      subject: 'goniec alert'"
  echo "    match: {kind: alert}"; } >"$CONF/10-routes.yaml"
before=$(mail_count "$SSL_OUT")
out=$(fw forward 2>"$T/log7")
check_eq "batch: 4 documents of 300 kB under 1 MB -> 2 messages, + 1 alert" $((before + 3)) "$(mail_count "$SSL_OUT")"
$PY - "$SSL_OUT" "$T" <<'PYEOF' >"$T/batch"
import email, email.policy, glob, sys
for f in sorted(glob.glob(sys.argv[1] + "/*.eml"))[-3:]:
    m = email.message_from_binary_file(open(f, "rb"), policy=email.policy.default)
    atts = list(m.iter_attachments())
    same = all(a.get_payload(decode=True) == open(sys.argv[2] + "/" + a.get_filename(), "rb").read() for a in atts)
    print(len(atts), same, m["subject"], "|", m.get_body(("plain",)).get_content().strip()[:60])
PYEOF
check "batch messages carry 2 attachments each, byte for byte" test "$(grep -c '^2 True' "$T/batch")" -eq 2
check "batch subject names the count" grep -q "^2 True 2 documents: big" "$T/batch"
check "alert text is the body of its mail" grep -q "^0 True goniec alert | The mailbox acme-mail needs a new password." "$T/batch"

# while watching: a 4xx is retried after a growing delay, without a restart
smtp_start RETRY starttls --fail 421:2
rm -rf "$SPOOL"/* "$STATE/forward"
{ echo "routes:"; route retry "$RETRY_PORT" starttls; } >"$CONF/10-routes.yaml"
GONIEC_FORWARD_RETRY_MS=300 "$GONIEC" -c "$CONF" forward --watch 2>"$T/w.log" &
wpid=$!
at_exit "kill $wpid 2>/dev/null"
wait_for 5 grep -q "watching the spool" "$T/w.log"
fw_doc "$D/late.pdf" "%PDF-1.4 late"
check "4xx while watching: delivered after two retries" wait_for 10 test -f "$RETRY_OUT/0001.eml"
check "the retries were logged with growing delays" \
	bash -c "grep -q \"retrying in 0.3 s\" $T/w.log && grep -q \"retrying in 0.6 s\" $T/w.log"
check_eq "two failed attempts before" 2 "$(grep -c 'server replied 421' "$T/w.log")"
kill $wpid; wait $wpid 2>/dev/null
check "status.json: delivered, no error left" grep -q '"last_error": null' "$STATE/forward/status.json"

# a sending quota (Gmail's 550 5.4.5): pending, not failing; retried after the provider's
# window (shortened to GONIEC_FORWARD_RETRY_MS in the test build), then delivered
rm -rf "$SPOOL"/* "$STATE/forward"
{ echo "routes:"; route quota "$QUOTA_PORT" starttls; } >"$CONF/10-routes.yaml"
fw_doc "$D/quota.pdf" "%PDF-1.4 quota"
out=$(fw forward 2>"$T/q1.log")
check "5.4.5: pending, not failing" grep -q "quota (email): 0 delivered, 1 pending, 0 failing" <<<"$out"
check "5.4.5: the log names the quota and its window" \
	grep -q "server replied 550 5.4.5 Daily user sending limit exceeded.*a daily sending limit (Gmail: 5.4.5); retried after the provider's window (60 min)" "$T/q1.log"
GONIEC_FORWARD_RETRY_MS=300 "$GONIEC" -c "$CONF" forward --watch 2>"$T/q2.log" &
wpid=$!
at_exit "kill $wpid 2>/dev/null"
check "5.4.5: delivered once the window has passed" wait_for 10 test -f "$QUOTA_OUT/0001.eml"
check "5.4.5 while watching: waited out the (shortened) window, not failing" \
	grep -q "daily sending limit.*retrying in 0.3 s" "$T/q2.log"
kill $wpid; wait $wpid 2>/dev/null
