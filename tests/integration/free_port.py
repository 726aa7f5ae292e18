#!/usr/bin/env python3
"""Print a TCP port on 127.0.0.1 that no other test holds: free_port in lib.sh.

Tests run side by side, and a port only found free (bind to port 0, close) can be taken
by another test, or by any connection's own source port, before the server meant for it
binds it. So a port is drawn below the kernel's ephemeral range (ip_local_port_range),
where no source port and no bind(0) lands, and claimed in a shared directory with the
owner's PID (the test's shell, argv[1]); a claim whose owner is gone is taken again. All
claims happen under one lock on that directory, so two tests never claim the same port.
"""
import errno
import fcntl
import os
import random
import socket
import sys

CLAIMS = os.path.join(os.environ.get("TMPDIR", "/tmp"), "goniec-test-ports")
LOWEST = 12000  # above the fixed ports of `make demo` (10025-10993) and bench/ (11143, 11993)


def ephemeral_low():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def alive(pid):
    try:
        os.kill(pid, 0)
    except OSError as e:
        return e.errno == errno.EPERM
    return True


def held(claim):
    try:
        with open(claim) as f:
            return alive(int(f.read()))
    except (OSError, ValueError):
        return False


def bindable(port):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def shared_dir():
    """The claims' directory, open to every user who runs tests (as /tmp is)."""
    try:
        os.mkdir(CLAIMS)
        os.chmod(CLAIMS, 0o1777)
    except FileExistsError:
        pass


def write_claim(claim, owner):
    """False when the claim cannot be written (another user's, in the sticky directory)."""
    try:
        with open(claim, "w") as f:
            f.write(str(owner))
        return True
    except OSError:
        return False


def claim_port(owner):
    shared_dir()
    highest = ephemeral_low() - 1
    lock = os.open(os.path.join(CLAIMS, ".lock"), os.O_RDONLY | os.O_CREAT, 0o644)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        for _ in range(5000):
            port = random.randint(LOWEST, highest)
            claim = os.path.join(CLAIMS, str(port))
            if not held(claim) and bindable(port) and write_claim(claim, owner):
                return port
    finally:
        os.close(lock)
    sys.exit("free_port: no free port between %d and %d" % (LOWEST, highest))


if __name__ == "__main__":
    print(claim_port(int(sys.argv[1])))
