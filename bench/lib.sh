# Helpers of the benchmarks (source it): a test CA with a server certificate for
# 127.0.0.1, and a free port. A benchmark run on its own gets the shipped invoice field
# rules as under bench/run.sh.

# bench_ca DIR: DIR/ca.pem, DIR/server.pem, DIR/server.key.
bench_ca() {
	local tls=$1
	mkdir -p "$tls"
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=goniec bench CA" \
		-keyout "$tls/ca.key" -out "$tls/ca.pem" >/dev/null 2>&1
	openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout "$tls/server.key" \
		-out "$tls/server.csr" >/dev/null 2>&1
	printf 'subjectAltName=IP:127.0.0.1\n' >"$tls/ext.cnf"
	openssl x509 -req -in "$tls/server.csr" -CA "$tls/ca.pem" -CAkey "$tls/ca.key" \
		-CAcreateserial -days 2 -extfile "$tls/ext.cnf" -out "$tls/server.pem" >/dev/null 2>&1
}

bench_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# cpu_ms CMD... — CPU ms (user + system, children included) of one run of CMD.
cpu_ms() {
	local TIMEFORMAT='%3U %3S'
	{ time "$@" >/dev/null 2>&1; } 2>&1 | awk '{printf "%d", ($1 + $2) * 1000}'
}
# median — of the numbers on stdin, one per line.
median() { sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }

: "${GONIEC_INVOICE_RULES_DIR:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/conf.d/invoices}"
export GONIEC_INVOICE_RULES_DIR
