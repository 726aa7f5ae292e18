#!/bin/bash
# The imap source against a real Dovecot: the corpus (whitelisted and other senders,
# forwarded, octet-stream and inline PDFs, RFC 2231/2047 Polish names, hostile messages)
# lands in the spool byte for byte; taken messages are moved, the rest left; junk folder
# by SPECIAL-USE; a Polish folder name; incremental runs; UIDVALIDITY change; move_to null.
# The corpus's mail nested 40 deep is held (left for a person), so poczta's runs are partial
# for that one reason, every time.
. "$(dirname "$0")/lib.sh"
. "$SRC_DIR/tests/fixtures/imap_env.sh"
imap_require
imap_start
imap_corpus
year=$(date +%Y)
imap_conf poczta
imap_conf polskie 'folders: ["Faktury źródłowe"]' 'move_to: null'

check "goniec folders lists the mailbox" goniec_run folders poczta
check "folders: Polish name decoded from modified UTF-7" grep -q '^  Faktury źródłowe$' "$T/out"
check "folders: junk folder found by SPECIAL-USE and read" grep -q '^\* Niechciane  (junk)$' "$T/out"

# held_only FILED: poczta's run is partial only because the deep mail is held again
held_only() {
	grep -q "^poczta: partial — $1 filed, [0-9]* already had, [0-9]* quarantined, 0 failed: 1 message(s) left where they are for a person: INBOX UID [0-9]* (from faktury@pge.pl, \"level 39\"): forwarded messages are nested more than 16 deep" "$T/out"
}
goniec_run fetch poczta polskie
check_eq "first run: partial (exit 1), the mail nested too deep held" 1 $?
check "first run: the held mail is the only reason, and named" held_only 14
check "first run: the other mailbox is ok" grep -q "^polskie: ok" "$T/out"
imap_check "eksiegowy$year" $(cd "$T/corpus" && ls *.eml | sed 's/\.eml$//' | grep -v 22-polish-folder)
check "the Polish-named folder's invoice is filed, message left (move_to: null)" \
	bash -c "python3 '$FIXTURES/imap_check.py' '$T/corpus/expected.json' '$T/spool' $IMAPS_PORT test secret '$T/tls/ca.pem' - 22-polish-folder | grep -q '^ok: 22-polish-folder: left in its folder'"
check "state remembers UIDVALIDITY and last UID per folder" \
	python3 -c "import json,sys; s=json.load(open('$T/state/sources/poczta/imap-folders.json')); sys.exit(not (s['INBOX']['last_uid'] >= 23 and s['INBOX']['uidvalidity'] > 0 and 'Niechciane' in s))"

# A second run with nothing new: no document fetched, little work. Measured as CPU time
# (user + system, the PDF reader included): the machine may be busy, wall time says little.
TIMEFORMAT='%3U %3S'
{ time goniec_run fetch poczta polskie; } 2>"$T/time"
ms=$(awk '{printf "%d", ($1 + $2) * 1000}' "$T/time")
bound_ms=1500
[ -n "${GONIEC_ASAN:-}" ] && bound_ms=6000
check "second run: the held mail is looked at again, nothing else" held_only 0
check "second run files nothing" grep -q "poczta: partial — 0 filed, 0 already had, 0 quarantined" "$T/out"
check "second run is quick (${ms} ms of CPU for two mailboxes)" test "$ms" -lt "$bound_ms"
before=$(find "$T/spool" -name '*.meta.json' | wc -l)

# New mail: only it is looked at and filed.
cat >"$T/new.eml" <<MAIL
From: faktury@pge.pl
To: biuro@example.pl
Subject: Nowa faktura
Date: Sat, 21 Nov 2026 08:00:00 +0100
Message-ID: <new@corpus.goniec>
MIME-Version: 1.0
Content-Type: application/pdf; name="nowa.pdf"
Content-Transfer-Encoding: base64

$(printf '%%PDF-1.4\nnew invoice\n%%%%EOF\n' | base64)
MAIL
imap_deliver test INBOX "$T/new.eml"
goniec_run fetch poczta
check "third run files just the new single-part message" held_only 1
check_eq "one more document in the spool" $((before + 1)) "$(find "$T/spool" -name '*.meta.json' | wc -l)"

# UIDVALIDITY change: the folder is recreated with the same message; nothing filed twice.
doveadm -c "$T/dovecot/dovecot.conf" mailbox delete -u test "Faktury źródłowe"
doveadm -c "$T/dovecot/dovecot.conf" mailbox create -u test "Faktury źródłowe"
imap_deliver test "Faktury źródłowe" "$T/corpus/22-polish-folder.eml"
check "run after UIDVALIDITY change succeeds" goniec_run fetch polskie
check "UIDVALIDITY change is noticed" grep -q "UIDVALIDITY changed" "$T/out"
check "rescan files nothing twice" grep -q "polskie: ok — 0 filed, 1 already had" "$T/out"
check_eq "spool unchanged by the rescan" $((before + 1)) "$(find "$T/spool" -name '*.meta.json' | wc -l)"

# accept: an XML e-invoice is taken when the source accepts xml (and sniffed as XML).
doveadm -c "$T/dovecot/dovecot.conf" mailbox create -u test XML
imap_deliver test XML "$T/corpus/24-xml.eml"
imap_conf xml 'folders: [XML]' 'accept: [pdf, xml]'
check "a source accepting xml succeeds" goniec_run fetch xml
check "the XML e-invoice is filed" grep -q "xml: ok — 1 filed" "$T/out"
check "its sidecar says XML" bash -c "grep -l '\"media_type\": *\"application/xml\"' \$(find '$T/spool' -path '*/xml/*' -name '*.meta.json') >/dev/null"

# An FA(3) e-invoice attached to a mail gets the sidecar `invoice` the one FA(3) reader gives
# (the same as `goniec invoice` and as the ksef source's; t_ksef compares with KSeF's copy).
FA3_SAMPLE=$SRC_DIR/../shared/samples/ksef/fa3/ksef-fop-podstawowa-przyklad-4-eur.xml
if [ -f "$FA3_SAMPLE" ]; then
	python3 - "$FA3_SAMPLE" "$T/fa3.eml" <<'PY'
import email.message, email.utils, sys
m = email.message.EmailMessage()
m["From"] = "faktury@pge.pl"
m["To"] = "biuro@example.pl"
m["Subject"] = "Faktura 15/2024"
m["Date"] = email.utils.format_datetime(email.utils.localtime())
m["Message-ID"] = "<fa3-15-2024@pge.pl>"
m.set_content("W załączniku faktura ustrukturyzowana.")
m.add_attachment(open(sys.argv[1], "rb").read(), maintype="application", subtype="xml",
                 filename="FV_15_2024.xml")
open(sys.argv[2], "wb").write(bytes(m))
PY
	doveadm -c "$T/dovecot/dovecot.conf" mailbox create -u test FA3
	imap_deliver test FA3 "$T/fa3.eml"
	imap_conf fa3 'folders: [FA3]' 'accept: [xml]'
	check "an FA(3) attachment is filed" goniec_run fetch fa3
	"$GONIEC" -c "$T/conf.d" invoice --json "$FA3_SAMPLE" >"$T/fa3-read.json" 2>"$T/fa3-read.err"
	same_as_reader() {
		python3 -c '
import json, sys
side = json.load(open(sys.argv[1]))["invoice"]
read = json.load(open(sys.argv[2]))[0]["invoice"]
side.pop("direction", None)
if side != read or read.get("number") != "15/2024":
    print(json.dumps(side, sort_keys=True), json.dumps(read, sort_keys=True))
    sys.exit(1)' "$1" "$T/fa3-read.json"
	}
	fa3_side=$(find "$T/spool" -path '*/fa3/*' -name '*.meta.json' | head -1)
	check "the FA(3) attachment's sidecar has every invoice field the FA(3) reader gives" \
		same_as_reader "$fa3_side"
	check_eq "its EUR invoice's VAT in PLN, read from the XML" fa3 \
		"$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["invoice"]["found"]["vat_pln"]["by"])' "$fa3_side")"
fi
