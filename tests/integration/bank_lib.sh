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
	wait_port "$EB_PORT" 30 || fail "the Enable Banking fixture did not start"
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
	wait_port "$GC_PORT" 30 || fail "the GoCardless fixture did not start"
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

# bank_conf [extra source lines...]: conf.d with two bank sources of company acme,
# `eb` (Enable Banking) and `gc` (GoCardless); each extra argument is one more line of
# both sources ("    daily_reads: 4"). Needs EB_URL / GC_URL (either may be unset).
bank_conf() {
	mkdir -p "$T/conf.d"
	printf '%s' "$GC_KEY" >"$T/gc.secret"
	chmod 600 "$T/gc.secret"
	{
		printf 'agent:\n  spool: %s\n  state: %s\n  timezone: Europe/Warsaw\n' "$T/spool" "$T/state"
		printf 'company: {id: acme, name: ACME, nip: "5260250274"}\nsources:\n'
		if [ -n "${EB_URL:-}" ]; then
			printf '  - name: eb\n    type: bank\n    provider: enablebanking\n'
			printf '    application_id: %s\n    private_key_file: %s\n' "$EB_APP" "$T/eb.key"
			printf '    bank: Fixture Bank PL\n    api_url: %s\n    ca_file: %s\n' "$EB_URL" "$T/tls/ca.pem"
			for l in "$@"; do printf '%s\n' "$l"; done
		fi
		if [ -n "${GC_URL:-}" ]; then
			printf '  - name: gc\n    type: bank\n    provider: gocardless\n'
			printf '    secret_id: %s\n    secret_key_file: %s\n' "$GC_ID" "$T/gc.secret"
			printf '    bank: FIXTUREBANK_FIXTPLPW\n    api_url: %s\n    ca_file: %s\n' "$GC_URL" "$T/tls/ca.pem"
			for l in "$@"; do printf '%s\n' "$l"; done
		fi
	} >"$T/conf.d/10-bank.yaml"
}

# fault_run URL FAULTS SOURCE EXIT PATTERN WHAT: set the fixture's faults, run the source,
# check its exit status and that its message matches PATTERN (grep).
fault_run() {
	fixture "$1" /_fixture/faults "$2" >/dev/null
	G fetch --here "$3" >"$T/out"
	check_eq "$6" "$4" $?
	check "$6: the message says so" grep -q -- "$5" "$T/out"
}

# G ARGS...: goniec with the test's conf.d; its stderr is kept in $T/log.
G() { "$GONIEC" -c "$T/conf.d" "$@" 2>>"$T/log"; }

# bank_link NAME: start the consent, open its address as a browser would (the fixture's
# page approves by itself), finish with the address of the redirect. 0 when linked.
bank_link() {
	local url loc
	url=$(G bank link "$1" | sed -n 's/^  \(https:.*\)$/\1/p')
	[ -n "$url" ] || return 1
	loc=$(curl -sS --cacert "$T/tls/ca.pem" -o /dev/null -w '%{redirect_url}' "$url")
	[ -n "$loc" ] || return 1
	G bank link "$1" --code "$loc" >"$T/link-$1.out"
}

# docs_of NAME: JSON statements filed by source NAME; txns_of NAME: their transactions,
# one line each "status booking_date amount title".
docs_of() { find "$T/spool" -path "*/$1/*.json" -not -name '*.meta.json' 2>/dev/null | sort; }
txns_of() {
	local f
	for f in $(docs_of "$1"); do
		python3 -c 'import json,sys
for s in json.load(open(sys.argv[1]))["statements"]:
    for t in s["transactions"]:
        print(t["status"], t.get("booking_date", "-"), t["amount"], t.get("title", ""))' "$f"
	done
}

# daemon_alert NAME [CAUSE]: start the daemon with the test's conf.d (DPID, stopped at
# exit), have it fetch NAME and wait for NAME's alert of CAUSE (attention, needs-person);
# ALERT is its file ("" if none came).
daemon_alert() {
	"$GONIEC" -c "$T/conf.d" run >>"$T/daemon.log" 2>&1 &
	DPID=$!
	at_exit "kill $DPID 2>/dev/null; wait $DPID 2>/dev/null"
	wait_for 15 daemon_running
	G fetch "$1" >/dev/null
	wait_for 20 alert_filed "$1" "${2:-attention}"
	ALERT=$(find "$T/spool" -name "alert-$1-${2:-attention}*.txt" | head -1)
}
daemon_running() { G status | grep -q '^daemon: running'; }
alert_filed() { find "$T/spool" -name "alert-$1-$2*.txt" | grep -q .; }
