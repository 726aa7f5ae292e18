#!/bin/bash
# OAuth 2.0 sign-in for IMAP and SMTP (XOAUTH2) against a fixture Microsoft identity
# platform (tests/fixtures/oauth_server.py: device code, refresh with rotation, revoked
# grants) and servers that check the token with it: Dovecot's oauth2 passdb as its
# documentation configures it for Microsoft (introspection_mode = auth, /v1.0/me,
# username_attribute = mail), and the SMTP fixture answering as Exchange Online does.
# `goniec oauth NAME` signs in once (device code); runs then renew tokens themselves; a
# token the server refuses is replaced once; a revoked sign-in needs a person and says
# which command fixes it.
. "$(dirname "$0")/lib.sh"
. "$SRC_DIR/tests/fixtures/imap_env.sh"
. "$(dirname "$0")/forward_lib.sh"
imap_require
$PY -c 'import aiosmtpd' 2>/dev/null || skip "python3-aiosmtpd is not installed"
USER_MAIL=biuro@example.test
OAUTH_PORT=$(free_port)
SIGNIN=https://127.0.0.1:$OAUTH_PORT
ctl() { curl -sf --cacert "$T/tls/ca.pem" -X POST -d "$2" "$SIGNIN/_fixture/$1" >/dev/null; }

# Dovecot: the oauth2 passdb beside the password file, asking the fixture about tokens.
cat >"$T/oauth2.conf.ext" <<CONF
introspection_mode = auth
introspection_url = $SIGNIN/v1.0/me
username_attribute = mail
tls_ca_cert_file = $T/tls/ca.pem
CONF
chmod 644 "$T/oauth2.conf.ext"
cat >"$T/extra.conf" <<CONF
auth_mechanisms = plain login xoauth2 oauthbearer
passdb {
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = $T/oauth2.conf.ext
}
CONF
"$FIXTURES/dovecot.sh" user "$T/dovecot" "$USER_MAIL" unused-password
imap_start "$T/extra.conf"   # makes the test CA too
$PY "$FIXTURES/oauth_server.py" --port "$OAUTH_PORT" --cert "$T/tls/server.pem" \
	--key "$T/tls/server.key" --client-id goniec-app --user "$USER_MAIL" --tenant contoso \
	--interval 1 2>"$T/oauth.log" &
pid=$!
at_exit "kill $pid 2>/dev/null; wait $pid 2>/dev/null"
wait_port "$OAUTH_PORT" 10 || cat "$T/oauth.log"
for n in 1 2 3; do imap_invoice_mail "$T/invoice$n.eml" "$n"; done
imap_deliver "$USER_MAIL" INBOX "$T/invoice1.eml"

oauth_yaml="oauth: {tenant: contoso, client_id: goniec-app, login_url: '$SIGNIN', ca_file: '$T/tls/ca.pem'}"
# imap_source NAME OAUTH-YAML — conf.d/NAME.yaml: an imap source signing in by OAuth.
imap_source() {
	cat >"$T/conf.d/$1.yaml" <<YAML
sources:
  - name: $1
    type: imap
    host: localhost
    port: $IMAPS_PORT
    user: $USER_MAIL
    ca_file: $T/tls/ca.pem
    senders: ["*@pge.pl"]
    move_to: null
    $2
YAML
	chmod 600 "$T/conf.d/$1.yaml"
}
imap_source poczta "$oauth_yaml"
goniec_run check
check "check: an imap source with oauth: is valid" test $? -eq 0
goniec_run fetch poczta
check_eq "before signing in, a run needs a person (exit 3)" 3 $?
check "... and names the command" grep -q 'not signed in yet: run `goniec oauth poczta`' "$T/out"

# ---- goniec oauth: the device code ----------------------------------------------------
"$GONIEC" -c "$T/conf.d" oauth poczta >"$T/signin" 2>&1 &
signin=$!
wait_for 20 grep -q 'enter the code' "$T/signin"
code=$(sed -n 's/.*enter the code \([0-9A-F]*\).*/\1/p' "$T/signin")
check "the device code is shown with where to enter it" grep -q 'devicelogin' "$T/signin"
ctl approve "{\"user_code\": \"$code\"}"
wait $signin
check_eq "goniec oauth ends signed in (exit 0)" 0 $?
store=$T/state/sources/poczta/oauth-token.json
check "the token file is 0600" test "$(stat -c %a "$store")" = 600
rt1=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["refresh_token"])' "$store")
check "the refresh token is kept" test "${rt1#rt-}" != "$rt1"

goniec_run fetch poczta
check_eq "IMAP AUTHENTICATE XOAUTH2 with the token: the run succeeds" 0 $?
check_eq "the invoice is filed" 1 "$(count_docs "$T/spool")"
check "Dovecot logged the login in as XOAUTH2" grep -q "user=<$USER_MAIL>, method=XOAUTH2" "$T/dovecot/dovecot.log"

# ---- a refused access token is replaced once; the refresh token rotates -----------------
ctl revoke '{"access": true}'
imap_deliver "$USER_MAIL" INBOX "$T/invoice2.eml"
goniec_run fetch poczta
check_eq "an access token the server refuses: a new one, and the run succeeds" 0 $?
rt2=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["refresh_token"])' "$store")
check "the rotated refresh token replaced the old one" test "$rt2" != "$rt1"
curl -sf --cacert "$T/tls/ca.pem" "$SIGNIN/_fixture/log" >"$T/tokenlog"
check "the refresh presented the token kept at sign-in" \
	$PY -c 'import json,sys; l=[e for e in json.load(open(sys.argv[1])) if e["grant"]=="refresh_token"]; sys.exit(not (l and l[-1]["refresh_token"]==sys.argv[2] and l[-1]["status"]==200))' "$T/tokenlog" "$rt1"

# ---- Gmail: the browser sign-in (loopback redirect, PKCE), as Google documents it ---------
G_PORT=$(free_port)
$PY "$FIXTURES/oauth_server.py" --port "$G_PORT" --cert "$T/tls/server.pem" --key "$T/tls/server.key" \
	--provider google --client-id 1234-abc.apps.googleusercontent.com --secret g-secret \
	--user "$USER_MAIL" 2>"$T/oauth-google.log" &
gpid=$!
at_exit "kill $gpid 2>/dev/null; wait $gpid 2>/dev/null"
wait_port "$G_PORT" 10 || cat "$T/oauth-google.log"
G=https://127.0.0.1:$G_PORT
cat >"$T/conf.d/gmail.yaml" <<YAML
sources:
  - name: gmail
    type: imap
    host: localhost
    port: $IMAPS_PORT
    user: $USER_MAIL
    ca_file: $T/tls/ca.pem
    senders: ["*@pge.pl"]
    oauth: {provider: google, client_id: 1234-abc.apps.googleusercontent.com, client_secret: g-secret,
            token_url: '$G/token', authorize_url: '$G/o/oauth2/v2/auth', ca_file: '$T/tls/ca.pem'}
YAML
chmod 600 "$T/conf.d/gmail.yaml"
"$GONIEC" -c "$T/conf.d" oauth gmail </dev/null >"$T/signin3" 2>&1 &
signin=$!
wait_for 20 grep -q "$G/o/oauth2/v2/auth" "$T/signin3"
url=$(grep -o "$G/o/oauth2/v2/auth?[^ ]*" "$T/signin3")
check "google: the address asks for offline access with a PKCE challenge" \
	sh -c "echo '$url' | grep -q 'access_type=offline.*code_challenge=\|code_challenge=.*access_type=offline'"
curl -s -L --cacert "$T/tls/ca.pem" -o "$T/browser" "$url"
wait $signin
check_eq "google: the browser's answer on 127.0.0.1 completes the sign-in (exit 0)" 0 $?
check "google: the refresh token is kept" grep -q '"refresh_token": *"rt-' "$T/state/sources/gmail/oauth-token.json"
rm "$T/conf.d/gmail.yaml"

# ---- SMTP: an e-mail route signing in with the same kind of settings ----------------------
smtp_start OA starttls --oauth-check "$SIGNIN/v1.0/me" --oauth-ca "$T/tls/ca.pem"
# smtp_route NAME OAUTH-YAML — the routes file: one e-mail route signing in by OAuth.
smtp_route() {
	cat >"$T/conf.d/routes.yaml" <<YAML
routes:
  - name: $1
    email:
      to: [ksiegowa@biuro.test]
      from: $USER_MAIL
      server: 127.0.0.1
      port: $OA_PORT
      ca_file: $T/tls/ca.pem
      user: $USER_MAIL
      $2
YAML
	chmod 600 "$T/conf.d/routes.yaml"
}
smtp_route do-ksiegowej "$oauth_yaml"
goniec_run forward
check_eq "a route not signed in yet: not delivered (exit 1)" 1 $?
check "... naming the command" grep -q 'goniec oauth do-ksiegowej' "$T/out"
mails_are() { [ "$(mail_count "$OA_OUT")" = "$1" ]; }
# the forwarder keeps watching; the sign-in below reaches it without a reload (its usual
# wait for a person is an hour, here a minute)
GONIEC_FORWARD_RETRY_MS=60000 "$GONIEC" -c "$T/conf.d" forward --watch 2>"$T/watch.log" &
wpid=$!
at_exit "kill $wpid 2>/dev/null"
wait_for 20 grep -q "needs a person: tried again in 1 min, or at once when the route's sign-in changes" "$T/watch.log"
"$GONIEC" -c "$T/conf.d" oauth do-ksiegowej >"$T/signin2" 2>&1 &
signin=$!
wait_for 20 grep -q 'enter the code' "$T/signin2"
ctl approve "{\"user_code\": \"$(sed -n 's/.*enter the code \([0-9A-F]*\).*/\1/p' "$T/signin2")\"}"
wait $signin
check_eq "goniec oauth for a route (exit 0)" 0 $?
check "the route's token file is 0600" test "$(stat -c %a "$T/state/routes/do-ksiegowej/oauth-token.json")" = 600
check "SMTP AUTH XOAUTH2: delivered by the watching forwarder right after the sign-in, no reload" \
	wait_for 20 mails_are 2
check "... which noticed the new sign-in" grep -q "route do-ksiegowej: its sign-in changed" "$T/watch.log"
kill $wpid; wait $wpid 2>/dev/null

# ---- app-only sign-in (flow: app, client credentials): no person, IMAP and SMTP ----------
app_yaml="oauth: {flow: app, tenant: contoso, client_id: goniec-app, client_secret: app-secret, login_url: '$SIGNIN', ca_file: '$T/tls/ca.pem'}"
smtp_route do-ksiegowej-app "$app_yaml"
goniec_run forward
check_eq "flow app, SMTP: delivered with a client-credentials token, nobody signed in (exit 0)" 0 $?
check_eq "flow app, SMTP: the server kept both messages" 4 "$(mail_count "$OA_OUT")"
imap_source poczta-app "$app_yaml"
goniec_run fetch poczta-app
check_eq "flow app, IMAP: AUTHENTICATE XOAUTH2 with a client-credentials token (exit 0)" 0 $?
curl -sf --cacert "$T/tls/ca.pem" "$SIGNIN/_fixture/log" >"$T/tokenlog2"
check "flow app: client_credentials for https://outlook.office365.com/.default, granted" \
	$PY -c 'import json,sys; l=[e for e in json.load(open(sys.argv[1])) if e["grant"]=="client_credentials"]; sys.exit(not (len(l)>=2 and all(e["scope"]=="https://outlook.office365.com/.default" and e["status"]==200 for e in l)))' "$T/tokenlog2"
check "flow app: no token file needs a person (the source's state has one, 0600)" \
	test "$(stat -c %a "$T/state/sources/poczta-app/oauth-token.json")" = 600
rm "$T/conf.d/poczta-app.yaml" "$T/conf.d/routes.yaml"

# ---- a revoked sign-in needs a person --------------------------------------------------
ctl revoke '{"access": true, "refresh": true}'
imap_deliver "$USER_MAIL" INBOX "$T/invoice3.eml"
goniec_run fetch poczta
check_eq "a revoked sign-in: the run needs a person (exit 3)" 3 $?
check "... saying invalid_grant and the command that fixes it" \
	grep -q 'invalid_grant.*goniec oauth poczta\|goniec oauth poczta.*invalid_grant' "$T/out"
check "no token in the output" sh -c "! grep -q 'at-\|rt-' '$T/out'"

# ---- settings -----------------------------------------------------------------------------
cat >"$T/conf.d/zle.yaml" <<YAML
sources:
  - name: zle
    type: imap
    host: localhost
    user: a@b.pl
    password: x
    senders: ["*"]
    oauth: {client_id: c, flow: app}
YAML
goniec_run check
check_eq "check: password and oauth together refused" 2 $?
check "... naming both" grep -q 'zle.yaml:[0-9]*:[0-9]*: .*either a password or an oauth: mapping (not both)' "$T/out"
check "check: flow app without a tenant and secret refused" grep -q 'flow: app needs' "$T/out"
