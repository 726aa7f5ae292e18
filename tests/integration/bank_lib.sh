# Helpers of the bank tests (source after lib.sh): application keys, the two fixture
# servers (tests/fixtures/enablebanking_server.py, gocardless_server.py) and a conf.d with
# a bank source. Needs make_test_ca first.
SAMPLES=$SRC_DIR/../shared/samples/bank-api
[ -d "$SAMPLES" ] || skip "no samples at $SAMPLES"
EB_APP=6f0a3d0e-1c9b-4e8e-9a51-0d1f1e0b2c3d
GC_ID=fixture-secret-id
GC_KEY=fixture-secret-key-$$

# The Enable Banking application's private key (eb.key) and the certificate registered
# with the aggregator (eb.crt); another key (other.key) to sign wrongly.
bank_keys() {
	openssl genrsa -out "$T/eb.key" 2048 2>/dev/null
	openssl req -new -x509 -days 2 -key "$T/eb.key" -out "$T/eb.crt" -subj "/CN=goniec test app" 2>/dev/null
	openssl genrsa -out "$T/other.key" 2048 2>/dev/null
	chmod 600 "$T/eb.key" "$T/other.key"
}

# start_eb [fixture options...]: EB_URL, EB_PORT
start_eb() {
	EB_PORT=$(free_port)
	python3 "$SRC_DIR/tests/fixtures/enablebanking_server.py" --port "$EB_PORT" \
		--cert "$T/tls/server.pem" --key "$T/tls/server.key" --app-id "$EB_APP" \
		--public-key "$T/eb.crt" --redirect-url https://localhost/goniec/callback "$@" \
		>>"$T/eb-fixture.log" 2>&1 &
	local pid=$!
	at_exit "kill $pid 2>/dev/null; wait $pid 2>/dev/null"
	wait_port "$EB_PORT" 10 || fail "the Enable Banking fixture did not start"
	EB_URL=https://127.0.0.1:$EB_PORT
}

# start_gc [fixture options...]: GC_URL, GC_PORT
start_gc() {
	GC_PORT=$(free_port)
	python3 "$SRC_DIR/tests/fixtures/gocardless_server.py" --port "$GC_PORT" \
		--cert "$T/tls/server.pem" --key "$T/tls/server.key" --secret-id "$GC_ID" \
		--secret-key "$GC_KEY" "$@" >>"$T/gc-fixture.log" 2>&1 &
	local pid=$!
	at_exit "kill $pid 2>/dev/null; wait $pid 2>/dev/null"
	wait_port "$GC_PORT" 10 || fail "the GoCardless fixture did not start"
	GC_URL=https://127.0.0.1:$GC_PORT
}

# fixture URL PATH [JSON]: a control request to a fixture (POST when JSON is given).
fixture() {
	if [ $# -ge 3 ]; then
		curl -sS --cacert "$T/tls/ca.pem" -H 'Content-Type: application/json' -d "$3" "$1$2"
	else
		curl -sS --cacert "$T/tls/ca.pem" "$1$2"
	fi
}
