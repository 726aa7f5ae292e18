# The "busy disk" of the benchmarks (source it): a neighbour program on the same disk that
# writes a few GB again and again through the page cache, as a backup or a big copy
# would, so that the system always holds gigabytes not yet written. A sync of the whole
# file system has to wait for them; goniec should not (agent/core/fsyncs.h).
#   busy_start DIR   start writing DIR/neighbour (BUSY_GB, default 3, then again), and
#                    wait until a gigabyte is unwritten
#   busy_stop        stop it and remove the file
#   busy_dirty       the system's unwritten data now, "Dirty + Writeback" in MB
busy_dirty() { awk '/^(Dirty|Writeback):/ {kb += $2} END {printf "%d", kb / 1024}' /proc/meminfo; }
busy_start() {
	BUSY_FILE=$1/neighbour
	/usr/bin/python3 - "$BUSY_FILE" "${BUSY_GB:-3}" <<'PY' &
import sys
path, gb = sys.argv[1], int(sys.argv[2])
block = b"\0" * (1 << 20)
while True:
    with open(path, "wb") as f:
        for _ in range(gb << 10):
            f.write(block)
PY
	BUSY_PID=$!
	for _ in $(seq 100); do [ "$(busy_dirty)" -ge 1024 ] && break; sleep 0.1; done
}
busy_stop() {
	[ -n "${BUSY_PID:-}" ] || return 0
	kill "$BUSY_PID" 2>/dev/null
	wait "$BUSY_PID" 2>/dev/null || true
	rm -f "$BUSY_FILE"
	BUSY_PID=
}
