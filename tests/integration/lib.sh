# Helpers for integration tests; source it first. Provides a scratch directory ($T,
# removed on exit unless KEEP=1), case reporting (pass/fail/check), free ports, and
# waiting. Servers a test starts must listen on 127.0.0.1 only and be stopped by
# the cleanup hooks (at_exit CMD).
set -u
: "${RESULTS:=/dev/null}" "${TEST_NAME:=$(basename "$0" .sh)}"
GONIEC=${GONIEC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build/goniec}
# $GONIEC names the product; the tests run its test build beside it (BUILD/test/goniec,
# with the test hooks of core/testhook.h) when there is one. GONIEC_PRODUCT keeps the
# product, for the cases that show it ignores the hooks.
GONIEC_PRODUCT=$GONIEC
[ -x "$(dirname "$GONIEC")/test/goniec" ] && GONIEC=$(dirname "$GONIEC")/test/goniec
TESTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC_DIR=$(cd "$TESTS_DIR/../.." && pwd)
T=$(mktemp -d "/tmp/goniec-$TEST_NAME.XXXXXX")
chmod 755 "$T"
_exit_hooks=()
at_exit() { _exit_hooks+=("$*"); }
_cleanup() {
	local i
	for ((i = ${#_exit_hooks[@]} - 1; i >= 0; i--)); do eval "${_exit_hooks[$i]}" || true; done
	[ "${KEEP:-}" = 1 ] && echo "kept $T" || rm -rf "$T"
}
trap _cleanup EXIT

pass() { echo "PASS $*" >>"$RESULTS"; echo "ok: $*"; }
fail() { echo "FAIL $*" >>"$RESULTS"; echo "FAILED: $*"; }
# check "description" command... — pass when the command succeeds.
check() { local d=$1; shift; if "$@"; then pass "$d"; else fail "$d"; fi; }
# check_eq "description" expected actual
check_eq() {
	if [ "$2" = "$3" ]; then pass "$1"; else fail "$1 (expected '$2', got '$3')"; fi
}
skip() { echo "$*"; exit 77; }
# report_lines — read "ok: case" / "FAILED: case" lines (from a checker script) on stdin
# and report each as a case; any other line is a failure.
report_lines() {
	local line
	while IFS= read -r line; do
		case $line in
		ok:*) pass "${line#ok: }" ;;
		*) fail "${line#FAILED: }" ;;
		esac
	done
}

# A free TCP port on 127.0.0.1, held for this test (its shell's PID) until it ends: drawn
# below the ephemeral range, claimed in a directory all tests share (free_port.py).
free_port() { python3 "$TESTS_DIR/free_port.py" "$$"; }
# wait_for SECONDS command... — poll until the command succeeds.
wait_for() {
	local limit=$1; shift
	local end=$((SECONDS + limit))
	until "$@" 2>/dev/null; do
		[ $SECONDS -lt $end ] || return 1
		sleep 0.1
	done
}
wait_port() { wait_for "${2:-10}" bash -c "exec 3<>/dev/tcp/127.0.0.1/$1"; }
# Count documents (sidecars) under a spool directory; a sidecar still under its temporary
# name (.goniec-tmp-*) is not there yet.
# demo_portal_source NAME PORT PASSWORD_FILE CA_FILE — a `sources:` item (YAML) for a
# portal source on the demo-html recipe served by tests/fixtures/portal_server.py.
demo_portal_source() {
	printf '  - name: %s\n    type: portal\n    provider: demo-html\n    login: jan@example.pl\n' "$1"
	printf '    password_file: %s\n    base_url: https://127.0.0.1:%s\n    ca_file: %s\n    delay: 0ms\n' \
		"$3" "$2" "$4"
}
count_docs() { find "$1" -name '*.meta.json' -not -name '.goniec-tmp-*' -not -path '*/quarantine/*' 2>/dev/null | wc -l; }
# A test CA and a server certificate for 127.0.0.1 / localhost in $T/tls (ca.pem,
# server.pem, server.key); extra SANs may be given ("DNS:imap.test").
make_test_ca() {
	local dir=$T/tls san="DNS:localhost,IP:127.0.0.1${1:+,$1}"
	mkdir -p "$dir"
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=goniec test CA" \
		-keyout "$dir/ca.key" -out "$dir/ca.pem" >/dev/null 2>&1
	openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout "$dir/server.key" \
		-out "$dir/server.csr" >/dev/null 2>&1
	printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' "$san" >"$dir/ext.cnf"
	openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" \
		-CAcreateserial -days 2 -extfile "$dir/ext.cnf" -out "$dir/server.pem" >/dev/null 2>&1
	chmod 644 "$dir"/*.pem "$dir"/*.key
}
# kill9_in_work MAX_MS DIR... -- COMMAND... — run COMMAND in the background and kill -9 it
# at a random moment of its work, however slowly a loaded machine starts it: once it has
# begun writing (one of the DIRs changed since it started: a file made, renamed or removed
# in it; waited for up to 20 s), 0..MAX_MS ms later. One kill in four comes 0..MAX_MS ms
# after the start instead, wherever the process is then (starting up, reading its state).
# Sets KILL_RUNNING=1 when the process was still running at the kill, KILL_WORKING=1 when
# it had also begun writing by then (0 otherwise). Polls without forking.
_dir_newer() {
	local d
	for d in "${@:2}"; do [ "$d" -nt "$1" ] && return 0; done
	return 1
}
kill9_in_work() {
	local max=$1 dirs=() pid end ms stamp
	shift
	while [ "$1" != -- ]; do dirs+=("$1"); shift; done
	shift
	if [ -z "${_KILL_TICK:-}" ]; then # a pipe nobody writes: `read -t` on it is a sleep
		mkfifo "$T/.tick"
		exec {_KILL_TICK}<>"$T/.tick"
	fi
	stamp=$(mktemp "$T/.stamp.XXXXXX") # what changes after it is the process's work
	"$@" >/dev/null 2>&1 &
	pid=$! end=$((SECONDS + 20))
	if [ $((RANDOM % 4)) != 0 ]; then
		until _dir_newer "$stamp" "${dirs[@]}"; do
			kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $end ] || break
			read -r -t 0.005 -u "$_KILL_TICK"
		done
	fi
	ms=$((RANDOM % max))
	read -r -t "$((ms / 1000)).$(printf '%03d' $((ms % 1000)))" -u "$_KILL_TICK"
	KILL_RUNNING=0 KILL_WORKING=0
	kill -9 "$pid" 2>/dev/null && KILL_RUNNING=1
	wait "$pid" 2>/dev/null
	[ $KILL_RUNNING = 1 ] && _dir_newer "$stamp" "${dirs[@]}" && KILL_WORKING=1
	rm -f "$stamp"
	return 0
}
