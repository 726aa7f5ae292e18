#!/usr/bin/env python3
"""The PDF text server's cost per document, alone: one goniec-pdftext --door, N connections
through it (as the daemon's workers make them, PDFPROTO_CONNECT), DOCS documents read on
each, one after another; then the door is stopped and its CPU is printed — the door's own
and its readers' (it reaps them), start and warm-up included (about 60 ms on this machine:
run once with a small N to see it).

    bench/pdfdoor.py PDFTEXT N PDF [DOCS]

N connections of 1 document (DOCS=1) is the daemon's case, a reader forked per run; one
connection of many documents (N=1, DOCS=300) is a source's run, readers reused. The
messages follow formats/pdfproto.h as the C compiler lays them out on x86-64 (struct
pdfproto_request: 40 bytes, struct pdfproto_reply: 24): change both together.
Figures: bench/RESULTS.md, "PDF readers: where a document's CPU goes".
"""
import array
import os
import resource
import socket
import struct
import sys
import time

REQUEST = "<IIIxxxxQixxxxQ"  # type, id, seconds, memory, max_pages, max_text
REPLY = "<IIiiq"            # type, id, wait_status, fork_errno, peak_kib
READY, READ, END, CONNECT = 1, 2, 4, 5


def send(sock, rq, fds):
    ctl = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))]
    sock.sendmsg([rq], ctl)


def reply(sock):
    return struct.unpack(REPLY, sock.recv(64))


def read_one(conn, pdf, doc_id):
    fds = [os.open(pdf, os.O_RDONLY), os.memfd_create("text"), os.memfd_create("diag")]
    send(conn, struct.pack(REQUEST, READ, doc_id, 20, 512 << 20, 100, 4 << 20), fds)
    for fd in fds:
        os.close(fd)
    while reply(conn)[0] != END:
        pass


def main():
    exe, n, pdf = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    docs = int(sys.argv[4]) if len(sys.argv) > 4 else 1
    door, door_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    pid = os.fork()
    if pid == 0:
        os.dup2(door_end.fileno(), 0)
        os.execv(exe, [exe, "--door"])
    door_end.close()
    t0 = time.time()
    for _ in range(n):
        conn, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        send(door, struct.pack(REQUEST, CONNECT, 0, 0, 0, 0, 0), [theirs.fileno()])
        theirs.close()
        assert reply(conn)[0] == READY
        for d in range(docs):
            read_one(conn, pdf, d + 1)
        conn.close()
    wall = time.time() - t0
    time.sleep(0.2)  # the last reader reaped
    os.kill(pid, 15)
    ru = os.wait4(pid, 0)[2]
    cpu_ms = 1000 * (ru.ru_utime + ru.ru_stime)
    per = f"{cpu_ms / (n * docs):.2f} ms a document; " if n * docs else ""
    print(f"{n} connections x {docs}: door and readers {cpu_ms:.0f} ms CPU ({per}user "
          f"{1000 * ru.ru_utime:.0f}, system {1000 * ru.ru_stime:.0f}), {ru.ru_minflt} page "
          f"faults, {wall:.2f} s wall")


main()
