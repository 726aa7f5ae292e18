#!/bin/bash
# Every client is set up by core/net.h, which leaves proxies to the environment as libcurl
# reads them: with https_proxy naming an HTTP proxy (tests/fixtures/connect_proxy.py,
# CONNECT as in RFC 9110), a portal source reaches its server through it, TLS still
# verified end to end; with the proxy gone the run fails and says it could not connect.
# timeout: 120
. "$(dirname "$0")/lib.sh"
FIXTURES=$SRC_DIR/tests/fixtures
make_test_ca
mkdir -p "$T/docs" "$T/conf.d/providers"
printf '%%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%%%EOF\n' >"$T/docs/1-a.pdf"
PORTAL_PORT=$(free_port)
python3 "$FIXTURES/portal_server.py" --port "$PORTAL_PORT" --flavour html --points 1 \
	--per-page 10 --documents "$T/docs" --cert "$T/tls/server.pem" --key "$T/tls/server.key" \
	2>"$T/portal.log" &
at_exit "kill $! 2>/dev/null"
PROXY_PORT=$(free_port)
python3 "$FIXTURES/connect_proxy.py" --port "$PROXY_PORT" --log "$T/proxy.log" &
PROXY_PID=$!
at_exit "kill $PROXY_PID 2>/dev/null"
wait_port "$PORTAL_PORT" 60 || { fail "portal fixture started"; exit 1; }
wait_port "$PROXY_PORT" 60 || { fail "proxy started"; exit 1; }

cp "$SRC_DIR"/conf.d/providers/*.yaml "$T/conf.d/providers/"
printf 'tajne-haslo\n' >"$T/password"
chmod 600 "$T/password"
{
	printf 'agent: {spool: %s, state: %s}\nsources:\n' "$T/spool" "$T/state"
	demo_portal_source ebok "$PORTAL_PORT" "$T/password" "$T/tls/ca.pem"
	printf '    retries: 0\n'
} >"$T/conf.d/a.yaml"
chmod 600 "$T/conf.d/a.yaml"
: >"$T/proxy.log"
fetch() { env -u http_proxy -u HTTPS_PROXY -u all_proxy -u ALL_PROXY -u no_proxy -u NO_PROXY \
	https_proxy="http://127.0.0.1:$1" "$GONIEC" -c "$T/conf.d" fetch --here ebok >"$T/out" 2>"$T/err"; }

fetch "$PROXY_PORT"
check_eq "through the proxy of https_proxy: the run is ok" 0 $?
check "... the document is filed" grep -q '^ebok: ok — 1 filed' "$T/out"
check "... every request went through the proxy to the portal" \
	grep -qx "CONNECT 127.0.0.1:$PORTAL_PORT" "$T/proxy.log"

rm -rf "$T/spool" "$T/state"
kill "$PROXY_PID" && wait "$PROXY_PID" 2>/dev/null
fetch "$PROXY_PORT"
check_eq "the proxy gone: the run fails (it is not bypassed)" 1 $?
check "... saying it could not connect to the proxy" grep -q "Failed to connect to 127.0.0.1 port $PROXY_PORT" "$T/out"
check_eq "... and files nothing" 0 "$(count_docs "$T/spool")"
