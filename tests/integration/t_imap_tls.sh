#!/bin/bash
# TLS for the imap source: the server certificate chain and name are verified (libetpan
# with GnuTLS checks nothing by itself), SNI is sent, STARTTLS works and never falls back
# to plain text, a wrong CA or a wrong host name refuses the connection clearly.
. "$(dirname "$0")/lib.sh"
. "$SRC_DIR/tests/fixtures/imap_env.sh"
imap_require
make_test_ca
# The default certificate names another host; only a client sending SNI "localhost"
# gets the right one (Dovecot's local_name picks it).
tls=$T/tls
openssl req -newkey rsa:2048 -nodes -subj "/CN=imap.example.test" -keyout "$tls/other.key" \
	-out "$tls/other.csr" >/dev/null 2>&1
printf 'subjectAltName=DNS:imap.example.test\nextendedKeyUsage=serverAuth\n' >"$tls/other.cnf"
openssl x509 -req -in "$tls/other.csr" -CA "$tls/ca.pem" -CAkey "$tls/ca.key" -CAcreateserial \
	-days 2 -extfile "$tls/other.cnf" -out "$tls/other.pem" >/dev/null 2>&1
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=a stranger's CA" \
	-keyout "$tls/wrong-ca.key" -out "$tls/wrong-ca.pem" >/dev/null 2>&1
chmod 644 "$tls"/*
cat >"$T/sni.conf" <<CONF
local_name localhost {
  ssl_cert = <$tls/server.pem
  ssl_key = <$tls/server.key
}
CONF
IMAP_PORT=$(free_port)
IMAPS_PORT=$(free_port)
"$FIXTURES/dovecot.sh" user "$T/dovecot" test secret
at_exit "'$FIXTURES/dovecot.sh' stop '$T/dovecot'"
"$FIXTURES/dovecot.sh" start "$T/dovecot" "$IMAP_PORT" "$IMAPS_PORT" "$tls/other.pem" \
	"$tls/other.key" "$T/sni.conf"
mkdir -p "$T/conf.d" && chmod 700 "$T/conf.d"
printf 'agent:\n  spool: %s/spool\n  state: %s/state\n' "$T" "$T" >"$T/conf.d/00-agent.yaml"

imap_conf imaps
check "IMAPS with SNI and the test CA: login works" goniec_run folders imaps
C_TLS=starttls C_PORT=$IMAP_PORT imap_conf starttls
check "STARTTLS with the test CA: login works" goniec_run folders starttls
C_TLS=none C_PORT=$IMAP_PORT imap_conf plain
check "tls: none works on the plain port" goniec_run folders plain
goniec_run check
check "tls: none is warned about by goniec check" grep -q "sends the password unencrypted" "$T/out"

C_HOST=127.0.0.1 imap_conf byip
goniec_run folders byip
check_eq "a certificate for another host name is refused (exit 1)" 1 $?
check "the refusal says host name mismatch" grep -q "127.0.0.1.*host name mismatch" "$T/out"
C_HOST=127.0.0.1 C_TLS=starttls C_PORT=$IMAP_PORT imap_conf byip-starttls
goniec_run folders byip-starttls
check_eq "STARTTLS: a wrong host name is refused too" 1 $?
C_CA=$tls/wrong-ca.pem imap_conf wrongca
goniec_run folders wrongca
check_eq "a chain from another CA is refused" 1 $?
check "the refusal says the certificate is not trusted" grep -q "TLS certificate of localhost not trusted" "$T/out"
C_CA= imap_conf systemca
goniec_run fetch systemca
check_eq "the system store does not trust the test CA: fetch fails" 1 $?
check "nothing was filed through an untrusted connection" test "$(count_docs "$T/spool")" -eq 0
check "the password never appears in messages" bash -c "! grep -q secret '$T/out'"

# STARTTLS offered and then refused: the client must stop, never log in in plain text.
fake_port=$(free_port)
python3 "$FIXTURES/imap_fake.py" "$fake_port" "$T/fake.log" --no-starttls &
fake_pid=$!
at_exit "kill $fake_pid"
wait_port "$fake_port"
C_TLS=starttls C_PORT=$fake_port imap_conf downgrade
goniec_run folders downgrade
check_eq "refused STARTTLS ends the session (exit 1)" 1 $?
check "the error says STARTTLS failed" grep -q "STARTTLS failed" "$T/out"
check "the client asked for STARTTLS" grep -qi starttls "$T/fake.log"
check "no LOGIN was sent in plain text" bash -c "! grep -qi login '$T/fake.log'"
