#!/bin/bash
# The open-banking fixtures' own test: both servers driven through consent, sessions,
# accounts, paging, limits and failures, every answer validated against the aggregator's
# OpenAPI schema in ../shared/samples/bank-api/ (tests/fixtures/bank_fixture_check.py).
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/bank_lib.sh"

python3 -c 'import yaml' 2>/dev/null || skip "python3-yaml is not installed"
make_test_ca
bank_keys
start_eb
start_gc

report_lines() { while read -r verdict what; do
	case $verdict in PASS) pass "$what" ;; FAIL) fail "$what" ;; *) echo "$verdict $what" ;; esac
done; }
python3 "$SRC_DIR/tests/fixtures/bank_fixture_check.py" eb "$EB_URL" "$T/tls/ca.pem" "$SAMPLES" \
	"$EB_APP" "$T/eb.key" "$T/other.key" 2>&1 | report_lines
python3 "$SRC_DIR/tests/fixtures/bank_fixture_check.py" gc "$GC_URL" "$T/tls/ca.pem" "$SAMPLES" \
	"$GC_ID" "$GC_KEY" 2>&1 | report_lines
