#!/bin/bash
# The folder source end to end through the goniec binary: filing with sidecars,
# quarantine, dedupe across runs, crash and restart, broken configuration, full and
# read-only spool.
source "$(dirname "$0")/lib.sh"

inbox=$T/inbox
mkdir -p "$inbox" "$T/conf.d"
pdf() { printf '%%PDF-1.4\n%s\n%%%%EOF\n' "$1"; }
write_conf() {
	cat >"$T/conf.d/00-agent.yaml" <<YAML
agent:
  spool: $T/spool
  state: $T/state
  timezone: Europe/Warsaw
  max_document_size: ${1:-10MB}
YAML
	cat >"$T/conf.d/acme.yaml" <<YAML
company: {id: acme, name: ACME}
sources:
  - name: acme-scans
    type: folder
    path: $inbox
    settle: 0s
    accept: [pdf, mt940]
YAML
}
write_conf
g() { "$GONIEC" -c "$T/conf.d" "$@"; }

out=$(g check)
check_eq "check says OK" "OK: 1 source, 0 routes" "$out"

pdf "invoice one" >"$inbox/FV 1_2026.pdf"
printf '\xff\xd8\xff\xe0JFIF fake' >"$inbox/skan.pdf"
: >"$inbox/empty.pdf"
printf ':20:X\n:25:PL61109010140000071219812874\n:28C:1\n:60F:C261120PLN1,00\n' >"$inbox/wyciag.txt"
mkdir "$inbox/subdir"
out=$(g fetch 2>"$T/err")
check "fetch exits 0" test $? -eq 0
check_eq "fetch summary" "acme-scans: ok — 2 filed, 0 already had, 2 quarantined, 0 failed" "$out"
day=$(TZ=Europe/Warsaw date +%Y/%m/%d)
doc="$T/spool/$day/acme-scans/FV 1_2026.pdf"
check "document filed under the fetch date" test -f "$doc"
check "sidecar next to it" test -f "$doc.meta.json"
check "statement keeps its extension" test -f "$T/spool/$day/acme-scans/wyciag.txt"
check_eq "sidecar sha256 matches the file" "$(sha256sum <"$doc" | cut -d' ' -f1)" \
	"$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["sha256"])' "$doc.meta.json")"
check_eq "sidecar names company and source" "acme acme-scans folder" \
	"$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["company"], d["source"]["name"], d["source"]["type"])' "$doc.meta.json")"
check "fake PDF quarantined with its real type" test -f "$T/spool/quarantine/$day/acme-scans/skan.pdf.jpg.meta.json"
check "quarantine sidecar says why" grep -q 'content is jpeg' "$T/spool/quarantine/$day/acme-scans/skan.pdf.jpg.meta.json"
check "empty file quarantined" grep -q 'the file is empty' "$T/spool/quarantine/$day/acme-scans/empty.pdf.meta.json"
check "taken files moved to done/" test -f "$inbox/done/FV 1_2026.pdf" -a -f "$inbox/done/skan.pdf"
check "subfolders are left alone" test -d "$inbox/subdir"
check "warning names the quarantined file" grep -q 'skan.pdf quarantined' "$T/err"

# The same content again: remembered, not filed twice.
pdf "invoice one" >"$inbox/again.pdf"
out=$(g fetch 2>/dev/null)
check_eq "same content is not filed twice" "acme-scans: ok — 0 filed, 1 already had, 0 quarantined, 0 failed" "$out"
check_eq "spool holds two documents" 2 "$(count_docs "$T/spool")"

# A file still being written (modified just now) waits for `settle`.
sed -i 's/settle: 0s/settle: 30s/' "$T/conf.d/acme.yaml"
pdf "half" >"$inbox/writing.pdf"
g fetch >/dev/null 2>&1
check "a file changed within settle is not taken" test -f "$inbox/writing.pdf"
sed -i 's/settle: 30s/settle: 0s/' "$T/conf.d/acme.yaml"

# Killed in the middle of filing: the next run files it exactly once.
for point in spool-write spool-published spool-synced; do
	pdf "crash $point" >"$inbox/crash-$point.pdf"
	GONIEC_CRASH_AT=$point g fetch >/dev/null 2>&1
	g fetch >/dev/null 2>&1
	n=$(find "$T/spool/$day/acme-scans" -name "crash-$point*" | wc -l)
	check_eq "killed at $point: filed exactly once after restart" 2 "$n"
	check "no temporary files left after $point" test -z "$(find "$T/spool" -name '.goniec-tmp-*')"
done

# Broken configuration: every error with file:line:col, exit 2, nothing run.
cp "$T/conf.d/acme.yaml" "$T/acme.good"
printf 'company: {id: acme}\nsources:\n  - name: acme-scans\n    type: folder\n    path: %s\n    settle: soon\n    acept: [pdf]\n' "$inbox" >"$T/conf.d/acme.yaml"
pdf "not yet" >"$inbox/later.pdf"
g fetch >/dev/null 2>"$T/err"
check_eq "fetch with broken conf.d exits 2" 2 $?
check "error names file, line and column" grep -q "acme.yaml:6:13: error: settle: expected a duration" "$T/err"
check "all errors at once, with a hint" grep -q "acme.yaml:7:5: error: unknown key 'acept' (did you mean 'accept'?)" "$T/err"
check "nothing was taken while broken" test -f "$inbox/later.pdf"
printf 'sources: [\n' >"$T/conf.d/acme.yaml"
g check 2>"$T/err"
check_eq "broken YAML exits 2" 2 $?
check "broken YAML names the file" grep -q "acme.yaml:2:1: error: YAML:" "$T/err"
cp "$T/acme.good" "$T/conf.d/acme.yaml"
g fetch >/dev/null 2>&1
check "after the fix the next run works" test -f "$inbox/done/later.pdf"

"$GONIEC" -c "$T/nowhere" check 2>"$T/err"
check_eq "missing conf.d exits 2" 2 $?
check "missing conf.d is named" grep -q "cannot read configuration directory $T/nowhere" "$T/err"

# A full disk: a clear error, nothing already filed is lost, and the next run works.
mnt=$T/small
mkdir -p "$mnt"
if mount -t tmpfs -o size=256k tmpfs "$mnt" 2>/dev/null; then
	at_exit umount "$mnt"
	sed -i "s|spool: .*|spool: $mnt/spool|" "$T/conf.d/00-agent.yaml"
	pdf "small" >"$inbox/small.pdf"
	g fetch >/dev/null 2>&1
	head -c 400000 /dev/urandom | { printf '%%PDF-1.4\n'; cat; printf '\n%%%%EOF\n'; } >"$inbox/big.pdf"
	out=$(g fetch 2>"$T/err")
	check "full disk: run reported as failed" test $? -eq 1
	check "full disk: the error says so" grep -q "No space left on device" "$T/err"
	check "full disk: the file stays in the inbox" test -f "$inbox/big.pdf"
	check "full disk: what was filed is intact" test -f "$mnt/spool/$day/acme-scans/small.pdf.meta.json"
	check "full disk: no partial file left" test -z "$(find "$mnt/spool" -name 'big*' -o -name '.goniec-tmp-*')"
	sed -i "s|spool: .*|spool: $T/spool|" "$T/conf.d/00-agent.yaml"
	g fetch >/dev/null 2>&1
	check "full disk: next run with room files it" test -f "$T/spool/$day/acme-scans/big.pdf.meta.json"
	mkdir -p "$T/ro"
	if mount -t tmpfs -o ro,size=64k tmpfs "$T/ro" 2>/dev/null; then
		at_exit umount "$T/ro"
		sed -i "s|spool: .*|spool: $T/ro/spool|" "$T/conf.d/00-agent.yaml"
		pdf "ro" >"$inbox/ro.pdf"
		g fetch >/dev/null 2>"$T/err"
		check "read-only spool: run fails" test $? -eq 1
		check "read-only spool: the error names it" grep -q "$T/ro/spool" "$T/err"
		check "read-only spool: file kept in inbox" test -f "$inbox/ro.pdf"
		sed -i "s|spool: .*|spool: $T/spool|" "$T/conf.d/00-agent.yaml"
	fi
else
	echo "cannot mount a tmpfs here: full-disk cases not run"
fi

# The command line.
"$GONIEC" --help | grep -q "Usage: goniec"
check "goniec --help" test $? -eq 0
"$GONIEC" fetch --help | grep -q "Usage: goniec \[OPTIONS\] fetch"
check "goniec fetch --help" test $? -eq 0
"$GONIEC" frobnicate 2>/dev/null
check_eq "unknown command exits 64" 64 $?
g fetch nosuchsource 2>/dev/null
check_eq "unknown source exits 64" 64 $?

# Under systemd (JOURNAL_STREAM names stderr) lines carry syslog priorities.
printf '\xff\xd8\xff' >"$inbox/photo.pdf"
journal=$T/journal.log
: >"$journal"
ino=$(stat -c '%d:%i' "$journal")
JOURNAL_STREAM=$ino g fetch >/dev/null 2>>"$journal"
check "journal lines carry priority prefixes" grep -q '^<4>acme-scans: photo.pdf quarantined' "$journal"
printf '\xff\xd8\xff2' >"$inbox/photo2.pdf"
JOURNAL_STREAM=1:1 g fetch >/dev/null 2>"$T/plain.log"
check "plain lines when stderr is not the journal" grep -q '^goniec: warning: acme-scans: photo2.pdf quarantined' "$T/plain.log"

# A run by hand shows in `goniec status` like a run of the daemon.
pdf "status" >"$inbox/status.pdf"
g fetch >/dev/null 2>&1
st=$(g status --json | python3 -c 'import json,sys; s=json.load(sys.stdin)["sources"][0]; print(s["outcome"], s["stats"]["filed"])')
check_eq "a hand run is recorded for goniec status" "ok 1" "$st"
