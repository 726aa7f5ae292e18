#!/bin/bash
# The graph source behaves like the imap source: the IMAP test corpus is read once from a
# real Dovecot by an imap source and once from the fixture Graph server by a graph source
# (same whitelist, same folders); both spools must hold the same files with the same
# hashes, and sidecars that differ only in origin (and the source's type and fetch time);
# within origin, Message-ID, From and Subject must agree too.
. "$(dirname "$0")/lib.sh"
. "$SRC_DIR/tests/fixtures/imap_env.sh"
command -v dovecot >/dev/null || skip "dovecot-imapd is not installed"
imap_start
imap_corpus
imap_conf poczta
# Both runs are partial for one reason: the corpus's mail nested 40 deep is held.
held_only() { grep -q '^poczta: partial — 14 filed, 0 already had, 4 quarantined, 0 failed: 1 message(s) left where they are for a person: .*"level 39".*forwarded messages are nested more than 16 deep' "$1"; }
goniec_run fetch poczta
check_eq "imap run: partial (exit 1)" 1 $?
check "imap run: only the mail nested too deep is held" held_only "$T/out"

# The same messages in the same folders of the Graph fixture: INBOX is the inbox, the
# SPECIAL-USE \Junk folder is junkemail, others go by name.
python3 - "$T" <<'EOF'
import json, os, shutil, sys
t = sys.argv[1]
exp = json.load(open(f"{t}/corpus/expected.json"))
for name, c in exp.items():
    sub = {"INBOX": "inbox", "Niechciane": "junk"}.get(c["folder"], "other")
    os.makedirs(f"{t}/graph/{sub}", exist_ok=True)
    shutil.copy(f"{t}/corpus/{name}.eml", f"{t}/graph/{sub}/{name}.eml")
EOF
. "$FIXTURES/graph_env.sh"
graph_start --inbox "$T/graph/inbox" --junk "$T/graph/junk" --folder "Faktury źródłowe=$T/graph/other"
graph_conf "$T/conf-graph" poczta "$T/spool-graph" "$T/state-graph"
"$GONIEC" -c "$T/conf-graph" fetch poczta >"$T/out-graph" 2>&1
check_eq "graph run: partial (exit 1)" 1 $?
check "graph run: only the mail nested too deep is held" held_only "$T/out-graph"

# Compare the two spools file by file.
report_lines < <(python3 - "$T/spool" "$T/spool-graph" <<'EOF' 2>&1 || echo "FAILED: comparison crashed"
import glob, hashlib, json, os, re, sys

# The two runs may file on two days (a run at local midnight): spool paths are compared
# without their date folders.
def undated(text):
    return re.sub(r"\d{4}/\d{2}/\d{2}/", "DATE/", text)

def load(root):
    out = {}
    for side in glob.glob(os.path.join(root, "**", "*.meta.json"), recursive=True):
        rel = undated(os.path.relpath(side, root))
        doc = side[: -len(".meta.json")]
        meta = json.loads(undated(open(side).read()))
        o = next(iter(meta.pop("origin", {}).values()), {})
        meta.pop("fetched_at", None)
        meta["_origin"] = {k: o.get(k) for k in ("message_id", "from", "subject")}
        meta.get("source", {}).pop("type", None)
        data = open(doc, "rb").read() if os.path.exists(doc) else b""
        out[rel] = (hashlib.sha256(data).hexdigest(), meta)
    return out

imap, graph = load(sys.argv[1]), load(sys.argv[2])
print(("ok: " if imap else "FAILED: ") + f"the imap spool holds {len(imap)} documents")
for rel in sorted(set(imap) | set(graph)):
    a, b = imap.get(rel), graph.get(rel)
    if a is None or b is None:
        print(f"FAILED: {rel}: only in the {'graph' if a is None else 'imap'} spool")
    elif a[0] != b[0]:
        print(f"FAILED: {rel}: contents differ")
    elif a[1] != b[1]:
        print(f"FAILED: {rel}: sidecars differ beyond origin: {a[1]} != {b[1]}")
    else:
        print(f"ok: {rel}: same file, same hash, same sidecar")
EOF
)
side=$(find "$T/spool-graph" -name '*.meta.json' -path '*/poczta/*' | head -1)
check "graph sidecars carry origin.graph" python3 -c "
import json,sys; o=json.load(open('$side'))['origin']; sys.exit(not ('graph' in o and 'imap' not in o))"
