#!/bin/bash
# Errors that name their cause: a portal's, a bank's and a Graph request's HTTPS error says whether the
# server's certificate has an unknown issuer or a name that does not match (not libcurl's
# "SSL peer certificate or SSH remote key was not OK"); libetpan's raw "GnuTLS error: ..."
# line comes out through goniec's log with the source's name.
. "$(dirname "$0")/lib.sh"
make_test_ca
# another CA, which signed nothing of these servers
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=some other CA" \
	-keyout "$T/other-ca.key" -out "$T/other-ca.pem" >/dev/null 2>&1
# a certificate of the test CA for another name
openssl req -newkey rsa:2048 -nodes -subj "/CN=elsewhere.example" -keyout "$T/wrong.key" \
	-out "$T/wrong.csr" >/dev/null 2>&1
printf 'subjectAltName=DNS:elsewhere.example\nextendedKeyUsage=serverAuth\n' >"$T/wrong.cnf"
openssl x509 -req -in "$T/wrong.csr" -CA "$T/tls/ca.pem" -CAkey "$T/tls/ca.key" -CAcreateserial \
	-days 2 -extfile "$T/wrong.cnf" -out "$T/wrong.pem" >/dev/null 2>&1
printf 'tajne\n' >"$T/password"
chmod 600 "$T/password"

# portal NAME CERT KEY CA — a portal fixture serving CERT, and conf.d $T/NAME whose source
# trusts CA; the output of a fetch in $T/NAME.out
portal() {
	local name=$1 port pid d=$T/$1
	port=$(free_port)
	python3 "$SRC_DIR/tests/fixtures/portal_server.py" --port "$port" --flavour html \
		--cert "$2" --key "$3" >>"$T/server.log" 2>&1 &
	pid=$!
	at_exit "kill $pid 2>/dev/null"
	wait_port "$port" 30 || fail "the portal fixture started"
	mkdir -p "$d/conf.d/providers"
	cp "$SRC_DIR"/conf.d/providers/*.yaml "$d/conf.d/providers/"
	cat >"$d/conf.d/acme.yaml" <<CONF
agent: {spool: $d/spool, state: $d/state}
company: {id: acme, name: ACME}
sources:
  - name: ebok
    type: portal
    provider: demo-html
    login: jan@example.pl
    password_file: $T/password
    base_url: https://127.0.0.1:$port
    ca_file: $4
    retry_delay: 1s
CONF
	"$GONIEC" -c "$d/conf.d" fetch ebok >"$T/$name.out" 2>&1
}

portal issuer "$T/tls/server.pem" "$T/tls/server.key" "$T/other-ca.pem"
check "portal, unknown CA: fails" grep -q '^ebok: failed' "$T/issuer.out"
check "portal, unknown CA: says the issuer is unknown" \
	grep -q "the server's certificate was refused: its issuer is unknown" "$T/issuer.out"
check "portal, unknown CA: not libcurl's bare words" bash -c "! grep -q 'ebok: failed.*: SSL peer certificate or SSH remote key was not OK$' '$T/issuer.out'"

portal name "$T/wrong.pem" "$T/wrong.key" "$T/tls/ca.pem"
check "portal, other name: fails" grep -q '^ebok: failed' "$T/name.out"
check "portal, other name: says the name does not match" \
	grep -q "the server's certificate was refused: its name does not match the host" "$T/name.out"

# The bank source (GoCardless) linking through a server whose CA it does not trust.
if [ -d "$SRC_DIR/../shared/samples/bank-api" ]; then
	. "$TESTS_DIR/bank_lib.sh"
	start_gc
	bank_conf
	sed -i "s|ca_file: $T/tls/ca.pem|ca_file: $T/other-ca.pem|" "$T/conf.d/10-bank.yaml"
	chmod 700 "$T/conf.d"
	chmod 600 "$T/conf.d/10-bank.yaml"
	"$GONIEC" -c "$T/conf.d" bank link gc >"$T/bank.out" 2>&1
	check "bank, unknown CA: says the issuer is unknown" \
		grep -q "the server's certificate was refused: its issuer is unknown" "$T/bank.out"
fi

# The graph source: a first run signs in and keeps its token; then the server's
# certificate names another host. The run fails on a Graph request (the token is still
# valid, no sign-in is tried) — a request's failure is worded by net_error() too.
graph_server() { # CERT KEY
	python3 "$SRC_DIR/tests/fixtures/graph_server.py" --port "$graph_port" --cert "$1" --key "$2" \
		--tenant tenant-1 --client-id app-1 --secret sekret-1 --mailbox faktury@acme.pl \
		>>"$T/server.log" 2>&1 &
	graph_pid=$!
	at_exit "kill $graph_pid 2>/dev/null"
	wait_port "$graph_port" 30 || fail "the graph fixture started"
}
graph_port=$(free_port)
graph_server "$T/tls/server.pem" "$T/tls/server.key"
printf 'sekret-1' >"$T/graph-secret"
chmod 600 "$T/graph-secret"
mkdir -p "$T/graph/conf.d"
chmod 700 "$T/graph/conf.d"
cat >"$T/graph/conf.d/a.yaml" <<CONF
agent: {spool: $T/graph/spool, state: $T/graph/state}
sources:
  - name: m365
    type: graph
    tenant: tenant-1
    client_id: app-1
    client_secret_file: $T/graph-secret
    mailbox: faktury@acme.pl
    login_url: https://localhost:$graph_port
    graph_url: https://localhost:$graph_port/
    ca_file: $T/tls/ca.pem
    senders: ["*@pge.pl"]
CONF
chmod 600 "$T/graph/conf.d/a.yaml"
"$GONIEC" -c "$T/graph/conf.d" fetch m365 >"$T/graph1.out" 2>&1
check_eq "graph, the right certificate: the run succeeds" 0 $?
kill "$graph_pid"
wait "$graph_pid" 2>/dev/null
graph_server "$T/wrong.pem" "$T/wrong.key"
"$GONIEC" -c "$T/graph/conf.d" fetch m365 >"$T/graph.out" 2>&1
check "graph, then a certificate of another name: the run is not ok" grep -Eq '^m365: (failed|partial) ' "$T/graph.out"
check "... saying the name does not match" \
	grep -q "the server's certificate was refused: its name does not match the host" "$T/graph.out"

# IMAP over TLS to a server that answers in plain text: GnuTLS (in libetpan) complains on
# stderr; the line is logged as a warning of the source.
port=$(free_port)
python3 -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(5)
while True:
    c, _ = s.accept(); c.sendall(b"* OK not TLS at all\r\n" * 4); c.close()
' "$port" &
at_exit "kill $! 2>/dev/null"
wait_port "$port" 30
mkdir -p "$T/imap/conf.d"
chmod 700 "$T/imap/conf.d"
cat >"$T/imap/conf.d/a.yaml" <<CONF
agent: {spool: $T/imap/spool, state: $T/imap/state}
sources:
  - name: poczta
    type: imap
    host: 127.0.0.1
    port: $port
    tls: ssl
    user: a
    password_file: $T/password
    ca_file: $T/tls/ca.pem
    senders: ["*@pge.pl"]
CONF
chmod 600 "$T/imap/conf.d/a.yaml"
"$GONIEC" -c "$T/imap/conf.d" fetch poczta >"$T/imap.out" 2>&1
check "imap, no TLS spoken: the run fails on the handshake" grep -q "TLS handshake failed" "$T/imap.out"
check "libetpan's GnuTLS line is logged under the source's name" \
	grep -q "^goniec: warning: poczta: GnuTLS error: " "$T/imap.out"
check "and never bare" bash -c "! grep -q '^GnuTLS error' '$T/imap.out'"
