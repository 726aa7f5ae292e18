#!/bin/bash
# Test hooks stay out of the product (core/testhook.h): the test build ends a run at
# GONIEC_CRASH_AT and a worker follows GONIEC_TEST_WORKER_HOOK; the product binary, given
# the same environment, files the document as if nothing were set.
. "$(dirname "$0")/lib.sh"
[ "$GONIEC_PRODUCT" != "$GONIEC" ] || skip "no test build beside $GONIEC_PRODUCT (make all builds BUILD/test/goniec)"
mkdir -p "$T/in" "$T/conf.d"
cat >"$T/conf.d/a.yaml" <<EOF2
agent: {spool: $T/spool, state: $T/state}
sources:
  - {name: scans, type: folder, path: "$T/in", settle: 0s, after: keep}
EOF2
printf '%%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%%%EOF\n' >"$T/in/a.pdf"

GONIEC_CRASH_AT=spool-written "$GONIEC" -c "$T/conf.d" fetch --here scans >/dev/null 2>&1
check_eq "test build: GONIEC_CRASH_AT ends the run at the point" 99 $?
check_eq "... before anything is filed" 0 "$(count_docs "$T/spool")"

GONIEC_CRASH_AT=spool-written GONIEC_TEST_WORKER_HOOK=scans:abort \
	GONIEC_FORWARD_RETRY_MS=1 "$GONIEC_PRODUCT" -c "$T/conf.d" fetch --here scans >"$T/out" 2>&1
check_eq "product: the same environment changes nothing" 0 $?
check "... the document is filed" grep -q '^scans: ok — 1 filed' "$T/out"
check_eq "... once" 1 "$(count_docs "$T/spool")"
# every hook core/testhook.h lists, in goniec and in its PDF worker
hooks=$(sed -n 's|^ \*   \(GONIEC_[A-Z_]*\)=.*|-e \1|p' "$SRC_DIR/agent/core/testhook.h" | tr '\n' ' ')
check "testhook.h lists the hooks ($hooks)" test "$(wc -w <<<"$hooks")" -ge 12
check "the product binaries hold no test hook's name" \
	bash -c "! grep -q -a $hooks '$GONIEC_PRODUCT' '$(dirname "$GONIEC_PRODUCT")/goniec-pdftext'"
check "the test build does" grep -q -a GONIEC_CRASH_AT "$GONIEC"
