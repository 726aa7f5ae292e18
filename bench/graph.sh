#!/bin/bash
# Microsoft 365 through Graph: the 2,000-message benchmark corpus (bench/imap/mkcorpus.py: 785
# invoice PDFs from whitelisted senders among other mail) in the fixture Graph server's
# inbox (tests/fixtures/graph_server.py, HTTPS on loopback), taken by one `goniec fetch`
# of a graph source. Prints wall time, peak memory, the HTTP requests by kind and per
# filed document once the listing is done (goal: at most 2), then a second run with no
# new mail. Every expected PDF, and nothing else, must be in the spool.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
GONIEC=${GONIEC:-$root/build/goniec}
N=${GRAPH_BENCH_N:-2000}
base=$(mktemp -d /var/tmp/goniec-bench-graph.XXXXXX)
pid=
trap '[ -z "$pid" ] || kill "$pid" 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$base"' EXIT
python3 "$root/bench/imap/mkcorpus.py" "$base/mail" "$N" >"$base/expected.json"
mkdir -p "$base/tls" "$base/conf.d"
(
	cd "$base/tls"
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=bench CA" -keyout ca.key -out ca.pem
	openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout server.key -out server.csr
	printf 'subjectAltName=DNS:localhost\nextendedKeyUsage=serverAuth\n' >ext.cnf
	openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
		-extfile ext.cnf -out server.pem
) >/dev/null 2>&1
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
python3 "$root/tests/fixtures/graph_server.py" --port "$port" --cert "$base/tls/server.pem" \
	--key "$base/tls/server.key" --tenant t --client-id app --secret s --mailbox bench@biuro.local \
	--inbox "$base/mail" 2>"$base/fixture.log" &
pid=$!
for _ in $(seq 600); do
	curl -s --cacert "$base/tls/ca.pem" "https://localhost:$port/_fixture/stats" >/dev/null && break
	sleep 0.1
done
cat >"$base/conf.d/bench.yaml" <<YAML
agent: {spool: $base/spool, state: $base/state}
sources:
  - name: bench
    type: graph
    tenant: t
    client_id: app
    client_secret: s
    mailbox: bench@biuro.local
    folders: [inbox]
    senders: ["*@pge.pl", "*@tauron.pl", "*@play.pl", "*@spoldzielnia-example.pl"]
    login_url: https://localhost:$port
    graph_url: https://localhost:$port
    ca_file: $base/tls/ca.pem
YAML
chmod 600 "$base/conf.d/bench.yaml"
run() { /usr/bin/time -f '%e %M %U %S' -o "$base/time" "$GONIEC" -q -c "$base/conf.d" fetch --here bench >/dev/null; }
run
read -r wall kb usr sys <"$base/time"
got=$(find "$base/spool" -path '*/quarantine' -prune -o -type f ! -name '*.meta.json' -print0 |
	xargs -0 sha256sum | awk '{print $1}' | sort)
want=$(python3 -c "import json,sys; print('\n'.join(sorted(json.load(open(sys.argv[1]))['expected_sha256'])))" "$base/expected.json")
[ "$got" = "$want" ] || { echo "spool differs from the expected $(echo "$want" | wc -l) PDFs"; exit 1; }
filed=$(echo "$got" | wc -l)
curl -s --cacert "$base/tls/ca.pem" "https://localhost:$port/_fixture/stats" >"$base/stats1"
curl -s --cacert "$base/tls/ca.pem" -d '{}' "https://localhost:$port/_fixture/reset-stats" >/dev/null
run
read -r wall2 kb2 _ _ <"$base/time"
curl -s --cacert "$base/tls/ca.pem" "https://localhost:$port/_fixture/stats" >"$base/stats2"
python3 - "$base/stats1" "$base/stats2" "$N" "$filed" "$wall" "$kb" "$wall2" "$kb2" "$usr" "$sys" <<'PY'
import json, sys
s1, s2 = (json.load(open(p))["requests"] for p in sys.argv[1:3])
n, filed, wall, kb, wall2, kb2, usr, cpu_sys = sys.argv[3:]
filed = int(filed)
listing = sum(s1.get(k, 0) for k in ("token", "folder", "list", "create_folder"))
after = sum(v for k, v in s1.items() if k not in ("token", "folder", "list", "create_folder"))
print(f"messages {n}, PDFs filed {filed} (all expected, nothing else)")
print(f"first run:  wall {wall} s (goniec CPU {usr} s user, {cpu_sys} s system; the rest is "
      f"the Python fixture), peak memory {int(kb) / 1024:.1f} MiB")
print(f"  requests: {json.dumps(s1, sort_keys=True)}")
print(f"  listing {listing}; after listing {after} = {after / filed:.2f} per filed document")
print(f"second run (no new mail): wall {wall2} s, peak memory {int(kb2) / 1024:.1f} MiB, "
      f"requests {json.dumps(s2, sort_keys=True)}")
PY
