#!/bin/bash
# free_port (lib.sh, free_port.py): tests that run side by side never get the same port,
# and never one of the kernel's ephemeral range, where another test's bind to port 0 or any
# connection's source port can take it before the server meant for it binds (a CI run lost
# a whole Dovecot test to that once).
. "$(dirname "$0")/lib.sh"
low=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range)

# Four shells claim 50 ports each at the same time and keep living while the others claim.
for i in 1 2 3 4; do
	bash -c '. "$1/lib.sh"; for n in $(seq 50); do free_port; done >"$2"; sleep 2' _ "$TESTS_DIR" "$T/ports.$i" &
done
wait
all=$(cat "$T"/ports.* | wc -l)
distinct=$(sort -u "$T"/ports.* | wc -l)
check_eq "200 ports claimed by four tests at once" 200 "$all"
check_eq "no port given twice" 200 "$distinct"
check_eq "none in the ephemeral range (from $low)" 0 "$(awk -v low="$low" '$1 >= low' "$T"/ports.* | wc -l)"

# claim_first PORT — free_port, with PORT as its first draw (random after).
claim_first() {
	PYTHONDONTWRITEBYTECODE=1 python3 - "$TESTS_DIR" "$1" "$$" <<'PY'
import random, sys
sys.path.insert(0, sys.argv[1])
import free_port
first, draw = [int(sys.argv[2])], random.randint
random.randint = lambda lo, hi: first.pop() if first else draw(lo, hi)
print(free_port.claim_port(int(sys.argv[3])))
PY
}

# A port held by a living test is not given again; once its owner is gone it may be.
claims=${TMPDIR:-/tmp}/goniec-test-ports
mine=$(free_port)
check_eq "the claim names its owner" "$$" "$(cat "$claims/$mine")"
claim_first "$mine" >"$T/alive.out"
check "a port a living test holds is skipped" [ "$(cat "$T/alive.out")" != "$mine" ]
bash -c 'exit 0' & dead=$!; wait $dead
echo "$dead" >"$claims/$mine"
claim_first "$mine" >"$T/dead.out"
check_eq "a port whose owner is gone is claimed again" "$mine" "$(cat "$T/dead.out")"

# A port something already listens on is skipped even without a claim.
python3 -c 'import socket,sys,time
s=socket.socket(); s.bind(("127.0.0.1",int(sys.argv[1]))); s.listen(); time.sleep(5)' "$mine" &
listener=$!; at_exit "kill $listener"
wait_port "$mine"
rm -f "$claims/$mine"
claim_first "$mine" >"$T/busy.out"
check "a port in use is skipped" [ "$(cat "$T/busy.out")" != "$mine" ]
