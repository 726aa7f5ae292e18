#!/bin/bash
# A folder read in chunks of 500 UIDs (600 messages, a few with invoices in each chunk):
# the next chunk is fetched and filed while the chunk's documents are made durable, yet
# the chunk's messages are moved only after that — in Dovecot's log of the session
# (rawlog) the FETCH of 501:600's envelopes and of their invoices come before the MOVE of
# the first chunk's messages, and every invoice is filed once, its message moved. The
# structures (BODYSTRUCTURE: the server reads the whole message for it) are asked for
# only for the messages from whitelisted senders.
. "$(dirname "$0")/lib.sh"
. "$SRC_DIR/tests/fixtures/imap_env.sh"
imap_require
mkdir -p "$T/rawlog"
chmod 777 "$T/rawlog"
printf 'protocol imap {\n  rawlog_dir = %s/rawlog\n}\n' "$T" >"$T/rawlog.conf"
imap_start "$T/rawlog.conf"
# 600 messages written straight into a maildir folder (UIDs 1..600 in file-name order);
# from a whitelisted sender with a PDF: 7, 250, 499 in the first chunk, 520 and 600 in the
# second. write_folder MAILDIR [UID]: the PDF of UID makes the test build's PDF reader kill
# its server (GONIEC_PDFTEXT_HOOKS): that document fails at the flush, as a failed sync does.
write_folder() {
	python3 - "$@" <<'PY'
import base64, os, sys
box, hook = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 0
for d in ("cur", "new", "tmp"):
    os.makedirs(os.path.join(box, d), exist_ok=True)
for i in range(1, 601):
    if i in (7, 250, 499, 520, 600):
        head = b"%goniec-test-hook kill-server\n" if i == hook else b""
        pdf = base64.encodebytes(head + b"%%PDF-1.4\n%% invoice %d\n%%%%EOF\n" % i).decode()
        body = ("From: faktury@pge.pl\nTo: biuro@example.pl\nSubject: Faktura %d\n"
                "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n"
                "--b\nContent-Type: text/plain\n\nw załączniku\n"
                "--b\nContent-Type: application/pdf; name=\"faktura-%d.pdf\"\n"
                "Content-Transfer-Encoding: base64\n\n%s--b--\n") % (i, i, pdf)
    else:
        body = "From: kto@example.com\nTo: biuro@example.pl\nSubject: list %d\n\nnic\n" % i
    with open(os.path.join(box, "cur", "%06d.test:2," % i), "w") as f:
        f.write(body)
PY
}
write_folder "$T/dovecot/mail/test/Maildir"
write_folder "$T/dovecot/mail/test/Maildir/.Broken" 7
chown -R goniecimap: "$T/dovecot/mail"
imap_conf chunks 'folders: [INBOX]' 'move_to: Faktury'

goniec_run fetch chunks
check_eq "the run succeeds" 0 $?
check "five invoices filed" test "$(find "$T/spool" -name '*.pdf.meta.json' | wc -l)" = 5
# order: the line numbers in the session's client log
session=$(grep -l 'UID FETCH 1:500 ' "$T"/rawlog/*.in | head -1)
line_of() { grep -n "$1" "$session" | head -1 | cut -d: -f1; }
ahead=$(line_of 'UID FETCH 501:600 (UID ENVELOPE)')
moved=$(line_of 'UID MOVE 7,250,499 ')
check "the second chunk's envelopes asked for before the first chunk's messages are moved ($ahead < $moved)" \
	test -n "$ahead" -a -n "$moved" -a "${ahead:-0}" -lt "${moved:-0}"
check "the structures asked for are those of the whitelisted senders' messages only" \
	test "$(grep -o 'UID FETCH [0-9,:]* (UID BODYSTRUCTURE)' "$session" | tr '\n' ' ')" = \
	"UID FETCH 7,250,499 (UID BODYSTRUCTURE) UID FETCH 520,600 (UID BODYSTRUCTURE) "
bodies=$(grep -n 'UID FETCH 520,600 (UID BODY.PEEK' "$session" | head -1 | cut -d: -f1)
check "the second chunk's invoices fetched before the first chunk's messages are moved ($bodies < $moved)" \
	test -n "$bodies" -a -n "$moved" -a "${bodies:-0}" -lt "${moved:-0}"
check "the second chunk's messages moved after" grep -q 'UID MOVE 520,600 ' "$session"
check "the folder's state is past the last message" \
	python3 -c "import json,sys; s=json.load(open('$T/state/sources/chunks/imap-folders.json')); sys.exit(s['INBOX']['last_uid'] != 600)"
goniec_run fetch chunks
check "a second run files nothing" grep -q '^chunks: ok — 0 filed' "$T/out"

# A document of the first chunk fails at its flush while the second chunk is being fetched:
# every message of the first chunk stays (counted failed, looked at again), the folder's
# state stops before the failure; the second chunk's documents are durable, its messages
# moved. The next run files the one that failed and moves the rest; nothing twice.
imap_conf broken 'folders: [Broken]' 'move_to: Faktury2'
GONIEC_PDFTEXT_HOOKS=1 goniec_run fetch broken
check_eq "a failed flush: the run is partial" 1 $?
check "a failed flush: the reader's end is named" grep -q 'the PDF reader ended while reading it' "$T/out"
check_eq "a failed flush: the second chunk's messages moved" 2 "$(imap_count test secret Faktury2)"
check_eq "a failed flush: the first chunk's messages stay" 598 "$(imap_count test secret Broken)"
check "a failed flush: the folder's state stops before the failed message" \
	python3 -c "import json,sys; s=json.load(open('$T/state/sources/broken/imap-folders.json')); sys.exit(s['Broken']['last_uid'] != 6)"
goniec_run fetch broken
check_eq "the next run succeeds" 0 $?
check_eq "the next run moves the first chunk's messages" 5 "$(imap_count test secret Faktury2)"
check_eq "every invoice filed once" 5 "$(find "$T/spool" -path '*/broken/*' -name '*.pdf.meta.json' | wc -l)"
