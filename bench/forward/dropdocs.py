#!/usr/bin/env python3
"""Drops N documents into a spool the way goniec files them (document, then its
.meta.json sidecar, each written to a temporary name and renamed), then waits until
N files have arrived in TARGET and prints throughput and latency from the sidecar's
rename: p50_ms, p99_ms to the delivered file's ctime (its last change: for goniec the
link that put it in place under its name, which happens only once its copy is durable;
for a forwarder that writes in place, the end of its writing), i.e. when the delivery
could be seen; copy_p50_ms, copy_p99_ms to its mtime (its copy written, before any
sync: the latency figures of the benchmark's results before 2026-11-30 21:30). usage: dropdocs.py SPOOL TARGET N [SOURCE]
DROP_WAIT (seconds, default 600) bounds the wait for deliveries (a lossy peer never
delivers all). From the project's shared benchmark kit (shared/bench/forward)."""
import json, os, sys, time, hashlib
def main():
    spool, target, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    source = sys.argv[4] if len(sys.argv) > 4 else "bench-source"
    day = os.path.join(spool, time.strftime("%Y/%m/%d"), source)
    os.makedirs(day, exist_ok=True)
    payload = b"%PDF-1.4\n" + os.urandom(30_000) + b"\n%%EOF\n"
    dropped = {}
    t0 = time.time()
    for i in range(n):
        name = f"FV-{i:06d}.pdf"
        data = payload + str(i).encode()
        for fn, blob in ((name, data), (name + ".meta.json", json.dumps({
                "schema": "goniec.document/1", "file": name, "kind": "invoice",
                "company": "bench", "source": {"name": source, "type": "folder"},
                "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}).encode())):
            tmp = os.path.join(day, "." + fn + ".tmp")
            with open(tmp, "wb") as f:
                f.write(blob)
            os.rename(tmp, os.path.join(day, fn))
        dropped[name] = time.time()
    t_drop = time.time() - t0
    deadline = time.time() + float(os.environ.get("DROP_WAIT", "600"))
    while time.time() < deadline:
        got = [f for f in os.listdir(target) if f.endswith(".pdf")] if os.path.isdir(target) else []
        if len(got) >= n:
            break
        time.sleep(0.05)
    t_all = time.time() - t0
    st = [os.stat(os.path.join(target, f)) for f in got if f in dropped]
    names = [f for f in got if f in dropped]
    lat = sorted(s.st_mtime - dropped[f] for s, f in zip(st, names))
    vis = sorted(s.st_ctime - dropped[f] for s, f in zip(st, names))
    pct = lambda v, p: v[min(len(v) - 1, int(p * len(v)))] * 1000 if v else float("nan")
    print(json.dumps({"documents": n, "delivered": len(got), "drop_s": round(t_drop, 3),
                      "all_delivered_s": round(t_all, 3), "docs_per_s": round(len(got) / t_all, 1),
                      "p50_ms": round(pct(vis, 0.5), 1), "p99_ms": round(pct(vis, 0.99), 1),
                      "copy_p50_ms": round(pct(lat, 0.5), 1),
                      "copy_p99_ms": round(pct(lat, 0.99), 1)}))
if __name__ == "__main__":
    main()
