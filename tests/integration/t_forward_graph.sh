#!/bin/bash
# The graph delivery target against the fixture Microsoft Graph (tests/fixtures/
# graph_server.py, HTTPS with a test CA): a small PDF with a Polish name through one
# sendMail, a 4 MB one through a draft and an upload session (read back by sha256), 429
# with Retry-After retried after the server's wait, and the refusals a person must fix
# (a wrong client secret, the permission without admin consent, a token Graph refuses)
# failing with the fixing hint.
# timeout: 120
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/forward_lib.sh"
make_test_ca
. "$SRC_DIR/tests/fixtures/graph_env.sh"
graph_start
fw_setup

D=2026/11/21/acme-mail
route() { # NAME [extra yaml lines]
	printf '  - name: %s\n    graph:\n      to: [ksiegowa@biuro.test]\n      from: biuro@example.pl\n      tenant: t1\n      client_id: app\n      client_secret: %s\n      login_url: %s\n      graph_url: %s\n      ca_file: %s\n%s\n' \
		"$1" "${SECRET:-s3cret}" "$GRAPH_URL" "$GRAPH_URL" "$T/tls/ca.pem" "${2:-}"
}
routes() { { echo "routes:"; "$@"; } >"$CONF/10-routes.yaml"; chmod 600 "$CONF/10-routes.yaml"; }
# sent N FIELD — a field of the N-th message the fixture sent (0-based), as JSON.
sent() { graph_ctl sent | $PY -c "import json,sys; m=json.load(sys.stdin)[$1]; print(json.dumps(eval(sys.argv[1], {}, {'m': m}), ensure_ascii=False))" "$2"; }
sent_count() { graph_ctl sent | $PY -c 'import json,sys; print(len(json.load(sys.stdin)))'; }
sent_is() { [ "$(sent_count)" = "$1" ]; }
sha() { sha256sum "$1" | cut -d' ' -f1; }

# ---- a small PDF: one sendMail ------------------------------------------------------------
routes route m365 "      subject: 'Faktura {invoice.number} — {invoice.seller.name}'"
fw check >/dev/null 2>"$T/check"
check "check: a graph route is valid" test $? -eq 0
POLISH="Faktura żółć 2026-11.pdf"
fw_doc "$D/$POLISH" placeholder '"invoice": {"number": "FV/7/2026", "seller": {"name": "Zakład Energetyczny Łódź"}}'
head -c 20000 /dev/urandom | cat <(printf '%%PDF-1.4\n') - >"$SPOOL/$D/$POLISH"
out=$(fw forward 2>"$T/log1")
check "small PDF: delivered (exit 0)" test $? -eq 0
check "small PDF: the run says delivered" grep -q "m365 (graph): 1 delivered, 0 pending, 0 failing" <<<"$out"
check_eq "one message sent" 1 "$(sent_count)"
check_eq "through sendMail" '"sendMail"' "$(sent 0 'm["via"]')"
check_eq "the Polish attachment name arrives intact" "\"$POLISH\"" "$(sent 0 'm["attachments"][0]["name"]')"
check_eq "the attachment's bytes are the spooled document's (sha256)" "\"$(sha "$SPOOL/$D/$POLISH")\"" \
	"$(sent 0 'm["attachments"][0]["sha256"]')"
check_eq "media type from the sidecar" '"application/pdf"' "$(sent 0 'm["attachments"][0]["contentType"]')"
check_eq "subject rendered from the template" '"Faktura FV/7/2026 — Zakład Energetyczny Łódź"' "$(sent 0 'm["subject"]')"
check_eq "recipients" '["ksiegowa@biuro.test"]' "$(sent 0 'm["to"]')"
check_eq "kept in Sent Items (saveToSentItems not sent: its default)" 'true' "$(sent 0 'm["saveToSentItems"]')"
check "the log names where it went" grep -q "ksiegowa@biuro.test via Microsoft Graph from biuro@example.pl" "$T/log1"
check "the token file is 0600 in the route's state directory" \
	test "$(stat -c %a "$STATE/routes/m365/oauth-token.json")" = 600
check "the client secret never appears in the log or the state" test -z "$(grep -r 's3cret' "$T/log1" "$STATE")"
fw forward >/dev/null 2>&1
check_eq "journal: not sent twice" 1 "$(sent_count)"

# ---- 4 MB: a draft, an upload session in 320 KiB-multiple slices, send -----------------
BIG=4200000
fw_doc "$D/wyciąg duży.pdf" placeholder
head -c $BIG /dev/urandom >"$SPOOL/$D/wyciąg duży.pdf"
graph_ctl reset-stats '{}' >/dev/null
fw forward >/dev/null 2>"$T/log2"
check "4 MB: delivered through an upload session" grep -q "wyciąg duży.pdf -> ksiegowa@biuro.test via Microsoft Graph .*upload session" "$T/log2"
check_eq "4 MB: sent as a draft" '"draft"' "$(sent 1 'm["via"]')"
check_eq "4 MB: the attachment's bytes arrived whole (sha256)" "\"$(sha "$SPOOL/$D/wyciąg duży.pdf")\"" \
	"$(sent 1 'm["attachments"][0]["sha256"]')"
check_eq "4 MB: its name" '"wyciąg duży.pdf"' "$(sent 1 'm["attachments"][0]["name"]')"
graph_ctl stats >"$T/stats2"
check_eq "4 MB: two PUTs, the first 10 x 320 KiB, in order" "[[0, 3276799, $BIG], [3276800, $((BIG - 1)), $BIG]]" \
	"$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["upload_ranges"])' "$T/stats2")"
check_eq "4 MB: one upload session, no sendMail" "1 0" \
	"$($PY -c 'import json,sys; r=json.load(open(sys.argv[1]))["requests"]; print(r.get("upload_session",0), r.get("sendMail",0))' "$T/stats2")"

# ---- 429 with Retry-After: retried after the server's wait, not the usual delay -----------
graph_ctl faults '{"throttle": 1, "retry_after": 1}' >/dev/null
fw_doc "$D/throttled.pdf" "%PDF-1.4 throttled"
GONIEC_FORWARD_RETRY_MS=60000 "$GONIEC" -c "$CONF" forward --watch 2>"$T/w.log" &
wpid=$!
at_exit "kill $wpid 2>/dev/null"
check "429: delivered after the server's Retry-After (1 s; the usual first wait is 60 s)" \
	wait_for 20 sent_is 3
check "429: the log names the throttling and the retry after 1 s" \
	grep -q "sendMail: HTTP 429 \[TooManyRequests\].*retrying in 1.0 s" "$T/w.log"
kill $wpid; wait $wpid 2>/dev/null

# ---- refusals that need a person ---------------------------------------------------------
rm -rf "${SPOOL:?}"/* "$STATE/forward"
fw_doc "$D/refused.pdf" "%PDF-1.4 refused"
# the permission not granted (403 ErrorAccessDenied)
graph_ctl faults '{"no_consent": true}' >/dev/null
routes route noconsent
out=$(fw forward 2>"$T/log403")
check "403: failing, not pending" grep -q "noconsent (graph): 0 delivered, 0 pending, 1 failing" <<<"$out"
check "403: names the permission Mail.Send" grep -q "needs the Application permission Mail.Send (Microsoft Graph) with admin consent" "$T/log403"
check "403: gives the admin-consent link" grep -q "opens $GRAPH_URL/t1/adminconsent?client_id=app&redirect_uri=http%3A%2F%2Flocalhost" "$T/log403"
check "403: waits for a person" grep -q "needs a person: tried again in 60 min, or at once when the route's sign-in changes" "$T/log403"
# while watching: once the administrator consents, it goes on its own after the wait
# (an hour, shortened by the test hook) — no reload
GONIEC_FORWARD_RETRY_MS=1500 "$GONIEC" -c "$CONF" forward --watch 2>"$T/w403.log" &
wpid=$!
at_exit "kill $wpid 2>/dev/null"
wait_for 10 grep -q "needs a person: tried again in 2 s" "$T/w403.log"
graph_ctl faults '{"no_consent": false}' >/dev/null
check "403, then consent granted: delivered while watching, without a reload" wait_for 20 sent_is 4
kill $wpid; wait $wpid 2>/dev/null
# every token refused by Graph (401): a new one is asked for once, then a person
graph_ctl faults '{"reject_tokens": true}' >/dev/null
routes route badtoken
out=$(fw forward 2>"$T/log401")
check "401: failing" grep -q "badtoken (graph): 0 delivered, 0 pending, 1 failing" <<<"$out"
check "401: a new token was tried, then the permission named" \
	grep -q "HTTP 401 \[InvalidAuthenticationToken\].*a new access token was refused too; the app registration app needs the Application permission Mail.Send" "$T/log401"
graph_ctl faults '{"reject_tokens": false}' >/dev/null
# a wrong client secret: the token endpoint's AADSTS7000215 explained
SECRET=wrong routes route badsecret
out=$(fw forward 2>"$T/logsecret")
check "wrong secret: failing" grep -q "badsecret (graph): 0 delivered, 0 pending, 1 failing" <<<"$out"
check "wrong secret: says which value to set" grep -q "client secret rejected: set \`client_secret\` to the secret's Value" "$T/logsecret"
check_eq "nothing was sent while refused" 4 "$(sent_count)"

# ---- settings --------------------------------------------------------------------------
{ echo "routes:"; route plain | sed "s|graph_url: https://|graph_url: http://|"; } >"$CONF/10-routes.yaml"
chmod 600 "$CONF/10-routes.yaml"
fw check >/dev/null 2>"$T/check2"
check "check: graph_url must be https" grep -q "graph_url: 'http://.*' must start with https://" "$T/check2"
# The app registration's keys are the graph source's block (core/oauth.h), checked alike.
routes route plain "      redirect_uri: http://biuro.example.pl/zgoda"
fw check >/dev/null 2>"$T/check3"
check "check: redirect_uri checked as in the graph source" \
	grep -q "redirect_uri: 'http://biuro.example.pl/zgoda' must start with https:// (or be http://localhost" "$T/check3"
