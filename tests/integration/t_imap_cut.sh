#!/bin/bash
# An IMAP answer that ends a large attachment early: the message is expunged by another
# client after the first of its pieces (BODY.PEEK[2]<offset.length>) was sent, and the
# server answers the next piece's UID FETCH with OK and no data (RFC 9051 6.4.9). What
# came so far is not the document: nothing of it is filed, the message is not moved, the
# run is partial and says which section was not returned.
. "$(dirname "$0")/lib.sh"
. "$SRC_DIR/tests/fixtures/imap_env.sh"
year=$(date +%Y)
mkdir -p "$T/conf.d"
chmod 700 "$T/conf.d"
printf 'agent:\n  spool: %s/spool\n  state: %s/state\n' "$T" "$T" >"$T/conf.d/00-agent.yaml"

port=$(free_port)
python3 "$FIXTURES/imap_fake.py" "$port" "$T/cut.log" --gone-mid-part &
at_exit "kill $!"
wait_port "$port"
C_HOST=127.0.0.1 C_PORT=$port C_TLS=none C_CA= imap_conf cut

goniec_run fetch cut
check_eq "piece missing: the run is partial (exit 1), not ok" 1 $?
check "piece missing: the large part was fetched in pieces" \
	grep -q "BODY.PEEK\[2\]<1048576.1048576>" "$T/cut.log"
check "piece missing: the run names the section not returned" \
	grep -q "UID 3: the server did not return section 2" "$T/out"
check "piece missing: the small invoice of UID 1 is filed" grep -q "cut: partial — 1 filed" "$T/out"
check "piece missing: only UID 1 is moved" grep -q "UID MOVE 1 eksiegowy$year" "$T/cut.log"
check "piece missing: UID 3 is not moved" bash -c "! grep -q 'UID MOVE.*3' '$T/cut.log'"
check "piece missing: no cut document is in the spool or its quarantine" \
	bash -c "! grep -rqs 0123456789abcdef '$T/spool'"
