#!/bin/bash
# Folder target: naming templates, safe names, no overwriting, exactly once, group and
# mode, retries when the destination is missing, permanent failures, unrouted documents.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/forward_lib.sh"
fw_setup
D=2026/11/21/acme-mail
fw_routes "routes:
  - name: imp
    match: {kind: invoice, sender: '*@pge.pl'}
    folder:
      path: $OUT
      name: '{company}/{invoice.issue_date:%Y-%m}/{source}-{invoice.number}.pdf'
      mode: '0604'
      group: nogroup
      sidecar: true"
FROM='"origin": {"imap": {"from": "faktury@pge.pl"}}'
fw_doc $D/a.pdf "%PDF-1.4 alpha" "$FROM, \"invoice\": {\"number\": \"FV/11/2026/1\", \"issue_date\": \"2026-11-02\"}"
fw_doc $D/b.pdf "%PDF-1.4 beta" "$FROM, \"kind\": \"statement\""
fw_doc $D/c.pdf "%PDF-1.4 gamma" '"origin": {"imap": {"from": "spam@example.com"}}'

out=$(fw forward 2>"$T/log")
check "one pass exits 0" test $? -eq 0
f=$OUT/acme/2026-11/acme-mail-FV_11_2026_1.pdf
check "delivered under the templated name ('/' in a value made safe)" test -f "$f"
check_eq "content is byte for byte the document" "%PDF-1.4 alpha" "$(cat "$f")"
check_eq "mode from the route" "604" "$(stat -c %a "$f")"
check_eq "group from the route" "nogroup" "$(stat -c %G "$f")"
check "sidecar copy delivered beside it" test -f "$f.meta.json"
check_eq "only the wanted document delivered" 1 "$(find "$OUT" -name '*.pdf' | wc -l)"
check "no temporary files left" test -z "$(find "$OUT" -name '.goniec-*')"
check "unrouted documents counted" grep -q "not wanted by any route: 2" <<<"$out"

before=$(stat -c %Y "$f")
fw forward >/dev/null 2>&1
check_eq "second pass delivers nothing again" 1 "$(find "$OUT" -name '*.pdf' | wc -l)"

# a different file already at the name: suffix; the same content: recognised
mkdir -p "$OUT/acme/2026-11"
echo other >"$OUT/acme/2026-11/acme-mail-FV_12.pdf"
fw_doc $D/d.pdf "%PDF-1.4 delta" "$FROM, \"invoice\": {\"number\": \"FV/12\", \"issue_date\": \"2026-11-05\"}"
cp "$SPOOL/$D/d.pdf" "$OUT/acme/2026-11/acme-mail-FV_13.pdf"
fw_doc $D/e.pdf "%PDF-1.4 delta" "$FROM, \"invoice\": {\"number\": \"FV/13\", \"issue_date\": \"2026-11-05\"}"
fw forward >/dev/null 2>&1
check_eq "existing different file is never overwritten" other "$(cat "$OUT/acme/2026-11/acme-mail-FV_12.pdf")"
check "the new one gets a suffix" test -f "$OUT/acme/2026-11/acme-mail-FV_12-2.pdf"
check "same content at the name counts as delivered" test ! -e "$OUT/acme/2026-11/acme-mail-FV_13-2.pdf"
check_eq "mtime of the earlier delivery untouched" "$before" "$(stat -c %Y "$f")"

# missing field: the original name; hostile values: safe names inside the target
fw_doc $D/nonum.pdf "%PDF-1.4 n" "$FROM, \"invoice\": {\"issue_date\": \"2026-11-07\"}"
long=$(printf 'X%.0s' $(seq 1 3000))
fw_doc $D/h1.pdf "%PDF-1.4 h1" "$FROM, \"invoice\": {\"number\": \"../../../../etc/passwd\", \"issue_date\": \"2026-11-08\"}"
fw_doc $D/h2.pdf "%PDF-1.4 h2" "$FROM, \"invoice\": {\"number\": \"$long\", \"issue_date\": \"2026-11-08\"}"
fw_doc $D/h3.pdf "%PDF-1.4 h3" "$FROM, \"invoice\": {\"number\": \"a\\nb\\t\\u0001c\\u007f:*?<>|\", \"issue_date\": \"2026-11-08\"}"
fw_doc $D/h4.pdf "%PDF-1.4 h4" "$FROM, \"company\": \"..\", \"invoice\": {\"number\": \".\", \"issue_date\": \"../2026-11-08\"}"
fw forward >/dev/null 2>"$T/log2"
check "missing field falls back to the original name" test -f "$OUT/nonum.pdf"
check "'../' in a value stays inside the target" test -z "$(find "$T" -name passwd -not -path "$OUT/*")"
check "'../' became part of one safe name" test -n "$(find "$OUT/acme/2026-11" -name '*etc_passwd.pdf')"
check "very long value capped to a legal name" test -n "$(find "$OUT/acme/2026-11" -name 'acme-mail-XXX*X.pdf')"
check "no name longer than 255 bytes" test -z "$(find "$OUT" -regextype posix-extended -regex '.*/[^/]{256,}')"
check "control characters never reach a name" test -z "$(find "$OUT" -name "*[[:cntrl:]]*")"
check_eq "every hostile document delivered once" 5 "$(grep -c -- '-> ' "$T/log2")"
check "nothing written outside the target" test -z "$(find "$T" -newer "$T/log" -type f -not -path "$OUT/*" -not -path "$STATE/*" -not -path "$SPOOL/*" -not -name 'log*')"

# destination missing (share not mounted): pending, retried; then delivered
fw_routes "routes:
  - name: share
    folder: {path: $T/share}"
out=$(fw forward 2>"$T/log3")
check "missing destination: exit 1" test $? -eq 1
check "missing destination: reported as pending with the reason" grep -q "pending.*share not mounted" <<<"$out"
mkdir "$T/share"
fw forward >/dev/null 2>&1
check_eq "delivered once the destination is there" 10 "$(ls "$T/share" | wc -l)"

# a permanent failure (a file where a directory must be) is reported, not retried
fw_routes "routes:
  - name: blocked
    folder: {path: $T/blk, name: 'sub/{file}'}"
mkdir "$T/blk" && touch "$T/blk/sub"
out=$(fw forward 2>"$T/log4")
check "permanent failure: counted as failing" grep -q "blocked (folder): 0 delivered, 0 pending, 10 failing" <<<"$out"
check "permanent failure: logged with the reason" grep -q "Not a directory; not retried" "$T/log4"
check "status.json names the failure" grep -q '"failing": 10' "$STATE/forward/status.json"

# routes in a company document see only that company; alerts only where asked for
cat >"$CONF/10-routes.yaml" <<EOF2
company: {id: other, name: Other}
routes:
  - name: other-only
    folder: {path: $T/other}
---
routes:
  - name: alerts
    match: {company: acme}
    folder: {path: $T/alerts}
EOF2
mkdir -p "$T/other" "$T/alerts"
fw_doc $D/o.pdf "%PDF-1.4 o" '"company": "other"'
fw_doc $D/alert.txt "disk full" '"kind": "alert", "media_type": "text/plain"'
fw forward >/dev/null 2>&1
check_eq "company route delivers only its company" "o.pdf" "$(ls "$T/other")"
check "alerts not delivered without alerts: true" test ! -e "$T/alerts/alert.txt"
sed -i 's/    match: {company: acme}/    alerts: true\n    match: {company: acme}/' "$CONF/10-routes.yaml"
fw forward >/dev/null 2>&1
check "alerts delivered with alerts: true" test -f "$T/alerts/alert.txt"

# goniec check names template fields no sidecar has
fw_routes "routes:
  - name: typo
    folder: {path: $OUT, name: '{invoice.numbr}-{file}'}"
fw check >/dev/null 2>"$T/check"
check "check names an unknown template field" grep -q "invoice.numbr' is in no sidecar (did you mean 'invoice.number'" "$T/check"
fw_routes "routes:
  - name: bad
    folder: {path: $OUT, name: '{invoice.number'}
  - name: both
    folder: {path: $OUT}
    email: {to: a@b.pl, from: c@d.pl, server: smtp.example.com}"
fw check >/dev/null 2>"$T/check2"
check_eq "check refuses a broken template and two targets" 2 "$(grep -c ": error: " "$T/check2")"

# a target on tmpfs (another file system than the spool); require_mount waits while the
# target is on the root file system (an unmounted share's empty mount point)
shm=$(mktemp -d /dev/shm/goniec-fwd.XXXXXX) || skip "no /dev/shm"
at_exit "rm -rf $shm"
rm -rf "$STATE/forward"
fw_routes "routes:
  - name: onroot
    folder: {path: $T/mnt, require_mount: true}
  - name: shm
    folder: {path: $shm, require_mount: true, name: '{company|none}/{file}'}"
mkdir -p "$T/mnt"
out=$(fw forward 2>"$T/log5")
check "require_mount: nothing written into an unmounted mount point" test -z "$(ls "$T/mnt")"
check "require_mount: pending with the reason" grep -q "onroot (folder): 0 delivered, 11 pending.*not mounted" <<<"$out"
check_eq "tmpfs target: every document but the alert delivered" 11 "$(find "$shm" -type f | wc -l)"
bad=0
for f in "$SPOOL"/$D/*; do
	case $f in *.meta.json | *alert.txt) continue ;; esac
	c=$(sed -n 's/.*"company": "\([^"]*\)".*/\1/p' "$f.meta.json")
	[ "$c" = .. ] && c=_ # a folder named ".." is made safe
	cmp -s "$f" "$shm/${c:-none}/${f##*/}" || bad=$((bad + 1))
done
check_eq "tmpfs target: byte for byte" 0 "$bad"

# hostile spool entries: a sidecar that is not JSON, a document that is a symbolic link
rm -rf "$STATE/forward"
fw_routes "routes:
  - name: plain
    folder: {path: $T/plain}"
mkdir -p "$T/plain"
fw_doc 2026/11/22/x/good.pdf "%PDF-1.4 good"
fw_doc 2026/11/22/x/notjson.pdf "%PDF-1.4 nj"
printf '{"kind": "invoice", ' >"$SPOOL/2026/11/22/x/notjson.pdf.meta.json"
fw_doc 2026/11/22/x/link.pdf "%PDF-1.4 l"
ln -sf /etc/passwd "$SPOOL/2026/11/22/x/link.pdf"
printf '[1, 2]' >"$SPOOL/2026/11/22/x/array.pdf.meta.json"; echo x >"$SPOOL/2026/11/22/x/array.pdf"
fw forward >/dev/null 2>"$T/log6"
check "good document delivered beside hostile ones" test -f "$T/plain/good.pdf"
check "a symbolic link is never delivered" test ! -e "$T/plain/link.pdf"
check "broken sidecars are not delivered" test ! -e "$T/plain/notjson.pdf" -a ! -e "$T/plain/array.pdf"
check "each problem logged with the file" test "$(grep -c 'skipped (looked at again' "$T/log6")" -eq 3
fw forward >/dev/null 2>"$T/log7"
check "and logged once only per run" test "$(grep -c 'skipped' "$T/log7")" -eq 3
printf '{"kind": "invoice", "company": "acme"}' >"$SPOOL/2026/11/22/x/notjson.pdf.meta.json"
fw forward >/dev/null 2>&1
check "a repaired sidecar is delivered on the next pass" test -f "$T/plain/notjson.pdf"

# two routes deliver one document into one folder under other names and modes: each its
# own copy (they once shared one temporary copy: one got the other's mode, one failed)
rm -rf "$STATE/forward"
mkdir -p "$T/both"
fw_routes "routes:
  - name: pub
    match: {source: two}
    folder: {path: $T/both, name: 'pub-{file}', mode: '0644'}
  - name: priv
    match: {source: two}
    folder: {path: $T/both, name: 'priv-{file}', mode: '0600'}"
fw_doc 2026/11/21/two/t.pdf "%PDF-1.4 two"
fw forward >"$T/out9" 2>&1
check "two routes into one folder: one pass, no error" test $? -eq 0
check_eq "two routes into one folder: each route's mode" "644 600" \
	"$(stat -c %a "$T/both/pub-t.pdf" "$T/both/priv-t.pdf" 2>/dev/null | xargs)"
check_eq "two routes into one folder: two files, no temporary left" 2 "$(ls -A "$T/both" | wc -l)"

# a target on a FUSE mount (a stand-in for a share: no NFS or SMB client on the test
# machine): link, fsync and syncfs go through FUSE
if command -v bindfs >/dev/null && [ -e /dev/fuse ] && mkdir -p "$T/srv" "$T/fuse" &&
	bindfs "$T/srv" "$T/fuse" 2>/dev/null; then
	at_exit "fusermount -u $T/fuse 2>/dev/null"
	rm -rf "$STATE/forward"
	fw_routes "routes:
  - name: share
    folder: {path: $T/fuse, name: '{source}/{file}', require_mount: true}"
	fw forward >/dev/null 2>"$T/log8"
	check "FUSE target: delivered" test -f "$T/srv/x/good.pdf"
	check_eq "FUSE target: byte for byte" "%PDF-1.4 good" "$(cat "$T/srv/x/good.pdf")"
	check_eq "FUSE target: no temporary files" 0 "$(find "$T/srv" -name '.goniec-*' | wc -l)"
	fusermount -u "$T/fuse"
else
	fail "cannot mount a FUSE file system (bindfs, /dev/fuse)"
fi
