#!/usr/bin/python3
"""Print, one per line, the system calls a unit's SystemCallFilter= lines allow.

    packaging/unit-syscalls.py packaging/goniec.service

The lines are applied in order as systemd.exec(5) says: the first one decides whether
the filter is an allow list (it must be one here); later lines add names, or with `~`
take them away. Groups (@system-service...) are expanded with `systemd-analyze
syscall-filter`. package-check.sh compares this with what goniec is seen to call.
"""
import subprocess
import sys

_groups = {}


def expand(name):
    """The system calls of one name: itself, or the members of a @group."""
    if not name.startswith("@"):
        return {name}
    if name not in _groups:
        out = subprocess.run(["systemd-analyze", "syscall-filter", name],
                             capture_output=True, text=True, check=True).stdout
        members = set()
        for line in out.splitlines()[1:]:
            item = line.strip()
            if item and not item.startswith("#"):
                members |= expand(item)
        _groups[name] = members
    return _groups[name]


def allowed(unit_path):
    allow = None
    with open(unit_path, encoding="utf-8") as unit:
        for line in unit:
            key, _, value = line.strip().partition("=")
            if key != "SystemCallFilter" or not value:
                continue
            deny = value.startswith("~")
            names = set()
            for word in value.lstrip("~").split():
                names |= expand(word)
            if allow is None:
                if deny:
                    sys.exit(f"{unit_path}: the first SystemCallFilter= is a deny list")
                allow = names
            elif deny:
                allow -= names
            else:
                allow |= names
    if allow is None:
        sys.exit(f"{unit_path}: no SystemCallFilter=")
    return allow


if __name__ == "__main__":
    print("\n".join(sorted(allowed(sys.argv[1]))))
