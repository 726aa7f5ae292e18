#!/bin/bash
# The graph source against the fixture Microsoft Graph server (tests/fixtures/graph_server.py)
# over HTTPS with a test CA: filing, forwarded mail, junk and nested folders, move to the
# yearly folder (also after ErrorFolderExists, and into a hidden folder), item attachments
# as Graph returns them (a message walked as MIME; a calendar item's iCalendar and a
# contact's vCard skipped with a notice), incremental runs, throttling, token expiry, a
# transfer cut in the middle, and the errors a person must fix in Azure.
. "$(dirname "$0")/lib.sh"

FIXTURE=$SRC_DIR/tests/fixtures/graph_server.py
MKCORPUS=$SRC_DIR/bench/imap/mkcorpus.py
YEAR=$(TZ=Europe/Warsaw date +%Y)
make_test_ca

# ---- corpus -------------------------------------------------------------------------
python3 "$MKCORPUS" "$T/inbox" 40 7 >"$T/expected.json"
python3 - "$T" <<'EOF'
import os, sys
from email.message import EmailMessage
t = sys.argv[1]
pdf = lambda tag: b"%PDF-1.4\n" + tag.encode() * 200 + b"\n%%EOF\n"
jpeg = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 500 + b"\xff\xd9"

def msg(frm, subj):
    m = EmailMessage()
    m["From"], m["To"], m["Subject"] = frm, "faktury@acme.pl", subj
    m["Message-ID"] = f"<{subj.replace(' ', '-')}@test>"
    m.set_content("w załączeniu")
    return m

def save(d, name, m):
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(bytes(m))

junk = os.path.join(t, "junk")
m = msg("faktury@pge.pl", "inline")
m.add_attachment(pdf("inline"), maintype="application", subtype="pdf", filename="inline.pdf",
                 disposition="inline")
save(junk, "1.eml", m)
m = msg("faktury@pge.pl", "octet")
m.add_attachment(pdf("octet"), maintype="application", subtype="octet-stream", filename="oktet.pdf")
save(junk, "2.eml", m)
m = msg("faktury@pge.pl", "jpeg named pdf")
m.add_attachment(jpeg, maintype="image", subtype="jpeg", filename="zdjecie.pdf")
save(junk, "3.eml", m)
m = msg("faktury@pge.pl", "cloud link")
m.add_attachment(b"", maintype="message", subtype="external-body", filename="umowa.pdf")
save(junk, "4.eml", m)
m = msg("ebok@tauron.pl", "polish name")
m.add_attachment(pdf("polish"), maintype="application", subtype="pdf", filename="Faktura żółw.pdf")
save(junk, "5.eml", m)
inner2 = msg("ebok@tauron.pl", "deep")
inner2.add_attachment(pdf("deep"), maintype="application", subtype="pdf", filename="gleboko.pdf")
inner = msg("ebok@tauron.pl", "inner")
inner.add_attachment(pdf("fwd-a"), maintype="application", subtype="pdf", filename="fwd-a.pdf")
inner.add_attachment(pdf("fwd-b"), maintype="application", subtype="octet-stream", filename="fwd-b.pdf")
inner.add_attachment(inner2)
m = msg("ebok@tauron.pl", "forwarded twice")
m.add_attachment(inner)
save(junk, "6.eml", m)
ev = msg("ebok@tauron.pl", "spotkanie")
ev["X-Fixture-Item"] = "event"
m = msg("ebok@tauron.pl", "invoice with a meeting")
m.add_attachment(pdf("with-event"), maintype="application", subtype="pdf", filename="z-wydarzeniem.pdf")
m.add_attachment(ev)
ct = msg("ebok@tauron.pl", "Jan Kowalski")
ct["X-Fixture-Item"] = "contact"
m.add_attachment(ct)
save(junk, "8.eml", m)
m = msg("kolega@gmail.com", "not whitelisted")
m.add_attachment(pdf("stranger"), maintype="application", subtype="pdf", filename="obca.pdf")
save(junk, "7.eml", m)
m = msg("noreply@play.pl", "nested folder")
m.add_attachment(pdf("nested"), maintype="application", subtype="pdf", filename="nested.pdf")
save(os.path.join(t, "faktury"), "1.eml", m)
for n in ("late", "cut", "race"):
    m = msg("noreply@play.pl", n)
    m.add_attachment(pdf(n), maintype="application", subtype="pdf", filename=n + ".pdf")
    save(os.path.join(t, "later"), n + ".eml", m)
EOF
printf 'sekret-1' >"$T/secret"
chmod 600 "$T/secret"

# ---- fixture ------------------------------------------------------------------------
PORT=$(free_port)
URL=https://localhost:$PORT
python3 "$FIXTURE" --port "$PORT" --cert "$T/tls/server.pem" --key "$T/tls/server.key" \
	--tenant tenant-1 --client-id app-1 --secret sekret-1 --mailbox faktury@acme.pl \
	--inbox "$T/inbox" --junk "$T/junk" --folder "Inbox/Faktury=$T/faktury" \
	--folder "Archiwum" --max-page 7 2>"$T/fixture.log" &
at_exit "kill $! 2>/dev/null"
wait_port "$PORT" 90 || { fail "fixture server started"; exit 1; } # it reads its corpus first

ctl() { curl -sS --cacert "$T/tls/ca.pem" "$URL/_fixture/$1" ${2:+-d "$2"}; }
stat_of() { ctl stats | python3 -c "import json,sys; print(json.load(sys.stdin)['requests'].get('$1', 0))"; }
in_folder() { ctl state | python3 -c "import json,sys; print(len(json.load(sys.stdin).get('$1', [])))"; }
# deliver FILE [FOLDER]: new mail arrives
deliver() { ctl deliver "{\"folder\": \"${2:-inbox}\", \"mime_b64\": \"$(base64 -w0 "$1")\"}" >/dev/null; }

# deliver_invoice FROM SUBJECT NAME [HEAD]: a message with one PDF, NAME.pdf (HEAD, printf
# text, goes before the PDF's header); deliver_note FROM SUBJECT NAME: one without
deliver_invoice() {
	printf 'From: %s\nSubject: %s\nMessage-ID: <%s@t>\nMIME-Version: 1.0\nContent-Type: application/pdf; name="%s.pdf"\nContent-Transfer-Encoding: base64\n\n%s\n' \
		"$1" "$2" "$3" "$3" "$(printf "${4:-}%%PDF-1.4\n%s\n%%%%EOF\n" "$2" | base64 -w0)" >"$T/$3.eml"
	deliver "$T/$3.eml"
}
deliver_note() {
	printf 'From: %s\nSubject: %s\nMessage-ID: <%s@t>\n\nnic\n' "$1" "$2" "$3" >"$T/$3.eml"
	deliver "$T/$3.eml"
}

# conf NAME KEY=VALUE... writes conf.d/NAME.yaml for a graph source
conf() {
	local name=$1; shift
	mkdir -p "$T/conf.d"
	printf 'agent: {spool: %s, state: %s}\ncompany: {id: acme, name: Acme}\n' "$T/spool" "$T/state" \
		>"$T/conf.d/00-agent.yaml"
	{
		printf 'sources:\n  - name: %s\n    type: graph\n' "$name"
		printf '    tenant: tenant-1\n    client_id: app-1\n    client_secret_file: %s\n' "$T/secret"
		printf '    mailbox: faktury@acme.pl\n    login_url: %s\n    graph_url: %s/\n' "$URL" "$URL"
		printf '    ca_file: %s\n' "$T/tls/ca.pem"
		case "$*" in *senders:*) ;; *)
			printf '    senders: ["*@pge.pl", "*@tauron.pl", "*@play.pl", "*@spoldzielnia-example.pl"]\n'
		esac
		for kv in "$@"; do printf '    %s\n' "$kv"; done
	} >"$T/conf.d/$name.yaml"
}
fetch() { "$GONIEC" -c "$T/conf.d" fetch "$@" >"$T/out" 2>"$T/err"; echo $?; }
hashes() { find "$T/spool" -path '*/quarantine' -prune -o -type f ! -name '*.meta.json' -print0 |
	xargs -0 -r sha256sum | awk '{print $1}' | sort; }

conf m365 'folders: [inbox, "Junk Email", "Inbox/Faktury"]'

# ---- goniec folders -----------------------------------------------------------------
"$GONIEC" -c "$T/conf.d" folders m365 >"$T/folders" 2>&1
check_eq "folders: succeeds" 0 $?
check "folders: nested display path, read" grep -qx '\* Inbox/Faktury' "$T/folders"
check "folders: junk folder marked and read" grep -qx '\* Junk Email  (junk)' "$T/folders"
check "folders: other folders listed, not read" grep -qx '  Archiwum' "$T/folders"

# ---- first run ----------------------------------------------------------------------
check_eq "first run succeeds" 0 "$(fetch m365)"
python3 - "$T" >"$T/want" <<'EOF'
import hashlib, json, sys
t = sys.argv[1]
pdf = lambda tag: hashlib.sha256(b"%PDF-1.4\n" + tag.encode() * 200 + b"\n%%EOF\n").hexdigest()
want = json.load(open(t + "/expected.json"))["expected_sha256"]
want += [pdf(x) for x in ("inline", "octet", "polish", "fwd-a", "fwd-b", "deep", "nested", "with-event")]
print("\n".join(sorted(want)))
EOF
hashes >"$T/got"
check "every accepted attachment filed, nothing else ($(wc -l <"$T/want") expected)" cmp -s "$T/want" "$T/got"
check "JPEG named .pdf quarantined" test -n "$(find "$T/spool/quarantine" -name 'zdjecie*.meta.json' 2>/dev/null)"
check "cloud link reported, not followed" grep -q 'umowa.pdf" is a link to a cloud file' "$T/err"
check "Polish file name kept" test -n "$(find "$T/spool" -name 'Faktura żółw.pdf')"
check "no temporary files left" test -z "$(find "$T/spool" "$T/state" -name '.goniec-tmp*' -o -name '.item-*')"
side=$(find "$T/spool" -name 'nested.pdf.meta.json')
check "sidecar origin names mailbox, folder and message" python3 - "$side" <<'EOF'
import json, sys
g = json.load(open(sys.argv[1]))["origin"]["graph"]
assert g["mailbox"] == "faktury@acme.pl" and g["folder"] == "Faktury", g
assert g["message_id"] == "<nested-folder@test>" and g["from"] == "noreply@play.pl", g
assert g["subject"] == "nested folder" and g["received"].endswith("Z") and g["id"], g
EOF
taken=$(python3 -c "import json; d=json.load(open('$T/expected.json'))['counts']; print(d['invoice'] + d['forwarded'])")
check "an attached calendar item (iCalendar) is skipped with a notice" \
	grep -q '"invoice with a meeting": attached calendar item "spotkanie" skipped' "$T/err"
check "an attached contact (vCard) is skipped with a notice" \
	grep -q '"invoice with a meeting": attached contact "Jan Kowalski" skipped' "$T/err"
check_eq "taken messages moved to eksiegowy$YEAR" $((taken + 6)) "$(in_folder "eksiegowy$YEAR")"
check_eq "messages from others stay in Junk Email" 3 "$(in_folder "Junk Email")"
check "token is cached privately" test "$(stat -c %a "$T/state/sources/m365/graph-token.json")" = 600
check "the secret is in no state file or log" bash -c "! grep -rq sekret-1 '$T/state' '$T/err' '$T/out'"
peak=$(ctl stats | python3 -c "import json,sys; print(json.load(sys.stdin)['peak_concurrency'])")
check "at most 4 requests in flight (peak $peak)" test "$peak" -le 4
check_eq "never over the mailbox concurrency limit" 0 \
	"$(ctl stats | python3 -c "import json,sys; print(json.load(sys.stdin)['throttled'])")"

# ---- second run: nothing new --------------------------------------------------------
ctl reset-stats '{}' >/dev/null
check_eq "second run succeeds" 0 "$(fetch m365)"
check "second run files nothing" grep -q '0 filed, 0 already had' "$T/out"
check_eq "second run downloads nothing" 0 "$(stat_of value)"
check_eq "second run reuses the cached token" 0 "$(stat_of token)"
check_eq "second run lists each folder once (one short page each)" 3 "$(stat_of list)"

# ---- a damaged state file -------------------------------------------------------------
printf '{"folders": {"inbox": {"id": 5, "watermark": "x%%27 or 1 eq 1"}}, "junk": [' \
	>"$T/state/sources/m365/graph-folders.json"
check_eq "a damaged state file: run succeeds" 0 "$(fetch m365)"
check "a damaged state file: nothing filed twice" grep -q '0 filed, 0 already had' "$T/out"
check "a damaged state file: rewritten whole" python3 -c "
import json,sys; s=json.load(open('$T/state/sources/m365/graph-folders.json')); sys.exit(len(s['folders']) != 3)"

# ---- new mail, throttling and an expired token ---------------------------------------
deliver "$T/later/late.eml"
ctl faults '{"throttle": 2, "unavailable": 1, "retry_after": 1, "expire_tokens": true}' >/dev/null
ctl reset-stats '{}' >/dev/null
check_eq "run with 429s, a 503 and an expired token succeeds" 0 "$(fetch m365)"
check "the new message is filed" test -n "$(find "$T/spool" -name 'late.pdf')"
check_eq "429s and 503 were answered" 3 "$(ctl stats | python3 -c "import json,sys; print(json.load(sys.stdin)['throttled'])")"
check_eq "a new token was fetched after the 401" 1 "$(stat_of token)"

ctl faults '{"throttle": 1, "retry_after": 3600}' >/dev/null
start=$SECONDS
check_eq "asked to wait an hour: the run ends partial" 1 "$(fetch m365)"
check "and at once ($((SECONDS - start)) s), saying why" bash -c "[ $((SECONDS - start)) -lt 10 ] && grep -q 'throttling' '$T/out'"
ctl faults '{"retry_after": 1}' >/dev/null

# A token that expires soon is renewed before it does, not after a 401.
ctl faults '{"token_lifetime": 2, "expire_tokens": true}' >/dev/null
fetch m365 >/dev/null
sleep 2.5
ctl reset-stats '{}' >/dev/null
check_eq "a short-lived token: next run succeeds" 0 "$(fetch m365)"
check_eq "it signed in again before using the old token" 1 "$(stat_of token)"
check_eq "and met no 401" 0 "$(ctl stats | python3 -c "import json,sys; print(json.load(sys.stdin).get('unauthorized', 0))")"
ctl faults '{"token_lifetime": 0}' >/dev/null

# ---- a transfer cut in the middle ----------------------------------------------------
deliver "$T/later/cut.eml"
ctl faults '{"cut_value": 1}' >/dev/null
check_eq "a cut transfer makes the run partial" 1 "$(fetch m365)"
check "nothing half-written is published" test -z "$(find "$T/spool" -name 'cut.pdf*')"
check_eq "the message stays in the inbox" 1 "$(ctl state | python3 -c "
import json,sys; print(sum(m['subject'] == 'cut' for m in json.load(sys.stdin)['Inbox']))")"
check_eq "the next run takes it" 0 "$(fetch m365)"
check_eq "filed once" 1 "$(find "$T/spool" -name 'cut*.pdf' | wc -l)"
check_eq "and moved" 0 "$(ctl state | python3 -c "
import json,sys; print(sum(m['subject'] == 'cut' for m in json.load(sys.stdin)['Inbox']))")"
hashes >"$T/got2"
check_eq "nothing filed twice over all runs" "$(sort -u "$T/got2" | wc -l)" "$(wc -l <"$T/got2")"

# ---- killed in the middle of a run ------------------------------------------------------
for n in 1 2 3 4 5 6 7 8 9 10; do deliver_invoice ebok@tauron.pl "kill $n" "k$n"; done
ctl faults '{"value_delay_ms": 300}' >/dev/null
"$GONIEC" -c "$T/conf.d" fetch --here m365 >/dev/null 2>&1 &
kpid=$!
# (a document is in place at once; its sidecar, the mark of a complete one, comes when the
# run's batch is made durable: see the spool's batches)
wait_for 20 bash -c "find '$T/spool' -name 'k*.pdf' | grep -q ."
{ kill -9 $kpid; wait $kpid; } 2>/dev/null; ps -eo pid,ppid,stat,args | grep -v grep | grep -E "goniec|graph_server" > "$T/ps.txt"; ss -tanp > "$T/ss.txt"
before=$(find "$T/spool" -name 'k*.pdf.meta.json' | wc -l)
check "killed while filing ($before of 10 filed)" test "$before" -lt 10
ctl faults '{"value_delay_ms": 0}' >/dev/null
rc=$(fetch m365)
check_eq "the run after the kill succeeds" 0 "$rc"
[ "$rc" = 0 ] || sed 's/^/    run after the kill: /' "$T/err" "$T/out"; cp "$T/err" "$T/ak.err"; cp "$T/out" "$T/ak.out"
check_eq "all ten filed, each once" 10 "$(find "$T/spool" -name 'k*.pdf' | wc -l)"
check_eq "all ten moved" 10 "$(ctl state | python3 -c "
import json,sys; print(sum(m['subject'].startswith('kill') for m in json.load(sys.stdin)['eksiegowy$YEAR']))")"
check "no temporary files left after the kill" test -z "$(find "$T/spool" "$T/state" -name '.goniec-tmp*' -o -name '.item-*')"

# ---- a run's documents made durable together -------------------------------------------
# 20 messages from a stranger (looked at, nothing taken) and 3 invoices: the run syncs its
# files together, not once for each message looked at and four times for each document.
for n in $(seq 20); do deliver_note ktos@example.com "nic $n" "s$n"; done
for n in 1 2 3; do deliver_invoice faktury@pge.pl "batch $n" "b$n"; done
# (LeakSanitizer cannot work under strace: off for this run in the ASan build)
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
	strace -f -qq -c -U calls,name -e trace=fdatasync,fsync,syncfs -o "$T/syncs" \
	"$GONIEC" -c "$T/conf.d" fetch --here m365 >"$T/out" 2>"$T/err"
check_eq "a run of 23 messages succeeds" 0 $?
check_eq "its three invoices are filed" 3 "$(find "$T/spool" -name 'b*.pdf.meta.json' | wc -l)"
syncs=$(awk '$2 ~ /sync/ {n += $1} END {print n + 0}' "$T/syncs")
check "the run's syncs do not grow with the messages looked at ($syncs)" test "$syncs" -lt 20
[ "$syncs" -lt 20 ] || cat "$T/syncs"

# A document whose reading fails when the batch is made durable (the test build's PDF
# reader kills its server, GONIEC_PDFTEXT_HOOKS): no message of that batch is moved or
# passed by the watermark; the next run files the one that failed and moves all three,
# nothing filed twice.
deliver_invoice faktury@pge.pl "flush 1" f1
deliver_invoice faktury@pge.pl "flush 2" f2 '%%goniec-test-hook kill-server\n'
deliver_invoice faktury@pge.pl "flush 3" f3
flush_inbox() { ctl state | python3 -c "
import json,sys; print(sum(m['subject'].startswith('flush') for m in json.load(sys.stdin)['$1']))"; }
check_eq "a failed flush makes the run partial" 1 "$(GONIEC_PDFTEXT_HOOKS=1 fetch m365)"
check "the reader's end is named" grep -q 'the PDF reader ended while reading it' "$T/out" "$T/err"
check_eq "no message of the batch is moved" 3 "$(flush_inbox Inbox)"
check_eq "the next run succeeds" 0 "$(fetch m365)"
check_eq "and moves all three" 3 "$(flush_inbox "eksiegowy$YEAR")"
check_eq "each filed once" 3 "$(find "$T/spool" -name 'f[123]*.pdf.meta.json' | wc -l)"

# ---- hostile answers ------------------------------------------------------------------
# (eight messages from a stranger first, so that the listing takes two pages of seven)
for n in 1 2 3 4 5 6 7 8; do deliver_note obcy@example.com "obcy $n" "o$n"; done
for n in 1 2 3; do deliver_invoice faktury@pge.pl "hostile $n" "h$n"; done
ctl faults '{"garbage_list": 1}' >/dev/null
check_eq "a truncated JSON answer makes the run partial" 1 "$(fetch m365)"
check "it is named" grep -q 'message list of inbox: answer is not JSON' "$T/out"
# Every folder's listing broken: the run got nothing done, so it fails (as a folder or
# IMAP source that can read nothing does), and each error is logged once, not again in the
# run's closing line.
ctl faults '{"garbage_list": 3}' >/dev/null
"$GONIEC" -c "$T/conf.d" fetch --json m365 >"$T/out.json" 2>"$T/err"
check_eq "every listing broken: the run fails, not partial" failed \
	"$(python3 -c "import json; print(json.load(open('$T/out.json'))[0]['outcome'])")"
check_eq "... each folder's error logged once" 3 "$(grep -c 'answer is not JSON' "$T/err")"
check_eq "... and each names its folder" 3 "$(grep 'answer is not JSON' "$T/err" | sort -u | wc -l)"
ctl faults '{"foreign_next": 1}' >/dev/null
check_eq "a next-page link to another host makes the run partial" 1 "$(fetch m365)"
check "it is refused, not followed" grep -q 'next page link outside https://localhost' "$T/out"
check "no request went to the other host" bash -c "! grep -q attacker '$T/err'"
check_eq "after them, the next run takes everything" 0 "$(fetch m365)"
check_eq "all three filed once" 3 "$(find "$T/spool" -name 'h[123].pdf' | wc -l)"

# ---- the yearly folder after ErrorFolderExists ---------------------------------------
conf race 'folders: [Archiwum]' 'move_to: "rok{year}"' 'senders: ["*"]'
deliver "$T/later/race.eml" Archiwum
ctl faults '{"create_race": true}' >/dev/null
check_eq "folder created by someone else meanwhile: run succeeds" 0 "$(fetch race)"
check_eq "exactly one rok$YEAR folder" 1 "$(ctl state | python3 -c "import json,sys; print(sum(k == 'rok$YEAR' for k in json.load(sys.stdin)))")"

# ---- a hidden folder of the move_to name (Graph lists it only with includeHiddenFolders)
ctl folder "{\"path\": \"ukryty$YEAR\", \"hidden\": true}" >/dev/null
ctl folder '{"path": "Skrzynka"}' >/dev/null
conf hidden 'folders: [Skrzynka]' 'move_to: "ukryty{year}"' 'senders: ["*"]'
deliver "$T/later/race.eml" Skrzynka
check_eq "move_to names a hidden folder: run succeeds" 0 "$(fetch hidden)"
check_eq "the message is in the hidden folder" 1 "$(in_folder "ukryty$YEAR")"
check_eq "no second folder of that name" 1 "$(ctl state | python3 -c "import json,sys; print(sum(k == 'ukryty$YEAR' for k in json.load(sys.stdin)))")"
check "the hidden move_to folder is noticed" grep -q "ukryty$YEAR is a hidden folder" "$T/err"
"$GONIEC" -c "$T/conf.d" folders hidden >"$T/folders-hidden" 2>&1
check "folders: a hidden folder is listed and marked" grep -qx "  ukryty$YEAR  (hidden)" "$T/folders-hidden"

# ---- move_to: null ------------------------------------------------------------------
conf keep 'folders: ["Archiwum/Stare"]' 'move_to: null'
deliver "$T/later/late.eml" "Archiwum/Stare"
check_eq "move_to null: run succeeds" 0 "$(fetch keep)"
check "move_to null: filed" grep -q 'keep: ok — 1 filed' "$T/out"
check_eq "move_to null: the message stays" 1 "$(in_folder "Archiwum/Stare")"
check_eq "move_to null: the next run succeeds" 0 "$(fetch keep)"
check "move_to null: and looks at nothing again" grep -q 'keep: ok — 0 filed, 0 already had' "$T/out"

# ---- errors a person must fix --------------------------------------------------------
conf bad-tenant 'folders: [inbox]'
sed -i 's/tenant: tenant-1/tenant: tenant-x/' "$T/conf.d/bad-tenant.yaml"
check_eq "wrong tenant needs a person" 3 "$(fetch bad-tenant)"
check "wrong tenant: says where the tenant ID is" grep -q 'Directory (tenant) ID' "$T/out"
conf bad-secret 'folders: [inbox]'
printf 'nie-ten' >"$T/secret2"; chmod 600 "$T/secret2"
sed -i "s|client_secret_file: .*|client_secret_file: $T/secret2|" "$T/conf.d/bad-secret.yaml"
check_eq "wrong secret needs a person" 3 "$(fetch bad-secret)"
check "wrong secret: says to use the secret's Value" grep -q "secret's Value" "$T/out"
check "wrong secret: not printed" bash -c "! grep -q nie-ten '$T/out' '$T/err'"
conf bad-cloud 'folders: [inbox]'
sed -i "s|graph_url: .*|graph_url: https://127.0.0.1:$PORT|" "$T/conf.d/bad-cloud.yaml"
check_eq "graph_url of another cloud needs a person" 3 "$(fetch bad-cloud)"
check "another cloud: says so" grep -q 'must belong to the same cloud' "$T/out"
conf bad-mailbox 'folders: [inbox]'
sed -i 's/mailbox: faktury@acme.pl/mailbox: nikt@acme.pl/' "$T/conf.d/bad-mailbox.yaml"
check_eq "unknown mailbox needs a person" 3 "$(fetch bad-mailbox)"
check "unknown mailbox: says so" grep -q 'mailbox not found' "$T/out"
ctl faults '{"no_consent": true}' >/dev/null
check_eq "missing consent needs a person" 3 "$(fetch m365)"
check "missing consent: names the permission" grep -q 'Mail.ReadWrite' "$T/out"
"$GONIEC" -c "$T/conf.d" consent m365 >"$T/consent" 2>&1
check_eq "consent: exit 3 while consent is missing" 3 $?
check "consent: prints the admin-consent link with the redirect URI" \
	grep -q "$URL/tenant-1/adminconsent?client_id=app-1&redirect_uri=http%3A%2F%2Flocalhost$" "$T/consent"
check "consent: says to register the redirect URI" grep -q "http://localhost$" "$T/consent"
check "consent: says what is wrong" grep -q 'Mail.ReadWrite.*admin consent' "$T/consent"
ctl faults '{"no_consent": false}' >/dev/null
"$GONIEC" -c "$T/conf.d" consent m365 >"$T/consent" 2>&1
check_eq "consent: exit 0 once granted" 0 $?
check "consent: says access works" grep -q 'consent is in place' "$T/consent"
conf bad-folder 'folders: ["Inbox/Nie ma"]'
check_eq "a missing folder fails the run" 1 "$(fetch bad-folder)"
check "a missing folder is named" grep -q 'folder "Inbox/Nie ma" not found' "$T/out"
make_other_ca() { (T=$T/other; mkdir -p "$T"; make_test_ca); }
make_other_ca
conf bad-ca 'folders: [inbox]'
sed -i "s|ca_file: .*|ca_file: $T/other/tls/ca.pem|" "$T/conf.d/bad-ca.yaml"
check_eq "an untrusted certificate is refused" 1 "$(fetch bad-ca)"
check "the refusal says why" grep -qi 'certificate' "$T/out"

# ---- configuration errors -------------------------------------------------------------
mkdir -p "$T/conf-bad"
cat >"$T/conf-bad/a.yaml" <<YAML
sources:
  - name: zle
    type: graph
    tenant: t
    client_id: c
    client_secret_env: GONIEC_TEST_SECRET
    mailbox: a@b.pl
    senders: []
    move_to: "rok/{rok}"
    graph_url: http://graph.example
YAML
"$GONIEC" -c "$T/conf-bad" check >"$T/check" 2>&1
check_eq "check: a bad graph definition is refused" 2 $?
check "check: empty senders named with file:line" grep -q 'a.yaml:8:[0-9]*: .*senders: list the addresses' "$T/check"
check "check: bad move_to named" grep -q "a.yaml:9:[0-9]*: .*move_to: 'rok/{rok}'" "$T/check"
check "check: plain-http graph_url refused" grep -q "a.yaml:10:[0-9]*: .*graph_url: 'http://graph.example' must start with https://" "$T/check"
