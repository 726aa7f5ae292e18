#!/bin/bash
# The KSeF fixture's own test (tests/fixtures/ksef_fixture_check.py): every endpoint goniec
# uses, through its successes and its documented errors (unknown challenge or key, a wrong
# token's status 450, one-shot redeem, 401 without a bearer, paging and range errors, 21183,
# 21164, 429 with Retry-After, refresh after the session is closed), with the fixture
# checking each answer against the official OpenAPI (--oas); and the checker shown to
# catch an answer the schema does not allow.
. "$(dirname "$0")/lib.sh"

OAS=$SRC_DIR/../shared/samples/ksef/openapi/ksef-api-2.0-open-api.json
[ -f "$OAS" ] || skip "no ../shared/samples (the KSeF OpenAPI)"
make_test_ca
PORT=$(free_port)
python3 "$SRC_DIR/tests/fixtures/ksef_server.py" --port "$PORT" --cert "$T/tls/server.pem" \
	--key "$T/tls/server.key" --oas "$OAS" --context 5265877635:fixture-token --generate 12 \
	--generate-nip 5265877635 >"$T/server.log" 2>&1 &
at_exit "kill $! 2>/dev/null"
wait_port "$PORT" 20 || { echo "fixture did not start"; cat "$T/server.log"; exit 1; }

python3 "$SRC_DIR/tests/fixtures/ksef_fixture_check.py" "https://127.0.0.1:$PORT/v2" \
	"$T/tls/ca.pem" "$OAS" 5265877635 fixture-token >"$T/check.out" 2>&1
while IFS= read -r line; do
	case $line in
	"ok: "*) pass "${line#ok: }" ;;
	"FAILED: "*) fail "${line#FAILED: }" ;;
	*) echo "$line" ;;
	esac
done <"$T/check.out"
violations=$(curl -s --cacert "$T/tls/ca.pem" "https://127.0.0.1:$PORT/_fixture/stats" |
	python3 -c 'import json,sys; print(len(json.load(sys.stdin)["schema_violations"]))')
check_eq "every answer of the fixture kept to the OpenAPI" 0 "$violations"
