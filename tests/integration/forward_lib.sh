# Helpers for the forwarder's tests (source after lib.sh).
# $SPOOL, $STATE, $CONF are set up by fw_setup; documents are dropped the way the spool
# writer files them: document, then sidecar, each written to a temporary name and renamed.
PY=/usr/bin/python3

fw_setup() {
	SPOOL=$T/spool STATE=$T/state CONF=$T/conf.d OUT=$T/out
	mkdir -p "$SPOOL" "$STATE" "$CONF" "$OUT"
	cat >"$CONF/00-agent.yaml" <<-EOF2
	agent:
	  spool: $SPOOL
	  state: $STATE
	EOF2
}

# fw_routes YAML — write the routes file.
fw_routes() { printf '%s\n' "$1" >"$CONF/10-routes.yaml"; }

# fw_doc REL CONTENT [JSON-FIELDS] — file a document at spool-relative REL. JSON-FIELDS
# is extra JSON object members (without braces) merged into the default sidecar.
fw_doc() {
	local rel=$1 content=$2 extra=${3:-}
	local dir=$SPOOL/${rel%/*} name=${rel##*/}
	mkdir -p "$dir"
	printf '%s' "$content" >"$dir/.tmp.$name" && mv "$dir/.tmp.$name" "$dir/$name"
	local sha
	sha=$(sha256sum "$dir/$name" | cut -d' ' -f1)
	local src=${rel#*/*/*/}; src=${src%%/*}
	$PY - "$dir/.tmp.$name.meta.json" "$name" "$sha" "$src" "$extra" <<-'PYEOF'
	import json, sys
	path, name, sha, src, extra = sys.argv[1:6]
	doc = {"schema": "goniec.document/1", "file": name, "sha256": sha, "kind": "invoice",
	       "media_type": "application/pdf", "company": "acme",
	       "source": {"name": src, "type": "folder"}, "fetched_at": "2026-11-21T05:00:03+01:00"}
	doc.update(json.loads("{" + extra + "}"))
	open(path, "w").write(json.dumps(doc))
	PYEOF
	mv "$dir/.tmp.$name.meta.json" "$dir/$name.meta.json"
}

fw() { "$GONIEC" -c "$CONF" "$@"; }
