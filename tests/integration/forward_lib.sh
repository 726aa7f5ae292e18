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

# smtp_start NAME MODE [server options...] — start the SMTP fixture; sets ${NAME}_PORT
# and ${NAME}_OUT (where it keeps messages). Stopped at exit.
smtp_start() {
	local name=$1 mode=$2; shift 2
	local port out
	port=$(free_port)
	out=$T/mail-$name
	mkdir -p "$out"
	$PY "$SRC_DIR/tests/fixtures/smtp_server.py" --port "$port" --outdir "$out" --mode "$mode" \
		--cert "$T/tls/server.pem" --key "$T/tls/server.key" "$@" 2>"$T/smtp-$name.log" &
	local pid=$!
	at_exit "kill $pid 2>/dev/null; wait $pid 2>/dev/null"
	wait_port "$port" 10 || { echo "SMTP fixture did not start"; cat "$T/smtp-$name.log"; }
	printf -v "${name}_PORT" %s "$port"
	printf -v "${name}_OUT" %s "$out"
}

# mail_count DIR — messages kept by the fixture.
mail_count() { find "$1" -name '*.eml' | wc -l; }
