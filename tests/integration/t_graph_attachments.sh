#!/bin/bash
# Mails with many attachments on the fixture Graph server: every PDF of a mail with 300 and
# of one with 1,000 attachments is filed and the mails are moved; a mail whose attached
# (forwarded) message nests past the limit is not moved, the run is partial and says which
# mail and why, and the next run holds it again without filing anything twice.
. "$(dirname "$0")/lib.sh"
. "$SRC_DIR/tests/fixtures/graph_env.sh"
make_test_ca
year=$(TZ=Europe/Warsaw date +%Y)
python3 "$SRC_DIR/tests/fixtures/mkmany.py" "$T/many"
graph_start --inbox "$T/many"
graph_conf "$T/conf.d" many "$T/spool" "$T/state" 'folders: [inbox]'
fetch() { "$GONIEC" -c "$T/conf.d" fetch many >"$T/out" 2>&1; echo $?; }

check_eq "a run with a held mail is partial (exit 1)" 1 "$(fetch)"
check "the run names the held mail and why" grep -q \
	'many: partial — 1302 filed.*1 message(s) left where they are for a person: inbox message from faktury@pge.pl, "deep" (received [0-9TZ:-]*): attached message "deep 19": forwarded messages are nested more than 16 deep' "$T/out"
check_eq "each of the 300 + 1,000 attachments and the other PDFs filed once" "$(sort "$T/many/expected.sha")" \
	"$(find "$T/spool" -name '*.pdf' -not -path '*/quarantine/*' -print0 | xargs -0 sha256sum | awk '{print $1}' | sort)"
check_eq "the mails taken whole are moved (300, 1,000, after)" 3 "$(graph_in_folder "eksiegowy$year")"
check_eq "the held mail stays in the inbox" 1 "$(graph_in_folder Inbox)"

check_eq "the next run holds it again (exit 1)" 1 "$(fetch)"
check "the next run files nothing twice" grep -q 'many: partial — 0 filed, 1 already had' "$T/out"
check_eq "the held mail is still in the inbox" 1 "$(graph_in_folder Inbox)"
