#!/bin/bash
# The .deb and .rpm: built, linted, installed into fresh Debian 12 roots — see
# packaging/package-check.sh for the cases. Needs root (chroot, mount) and the Debian
# mirror the first time (the chroot base is cached). Skipped in the ASan pass: it tests
# the packages, not the binary under test. It builds goniec twice (deb, rpm), may
# debootstrap a root, and boots one: on a busy shared machine that takes over 600 s.
# timeout: 1200
here=$(cd "$(dirname "$0")" && pwd)
[ -z "${GONIEC_ASAN:-}" ] || { echo "packages are tested once, not under ASan"; exit 77; }
[ "$(id -u)" -eq 0 ] || { echo "package tests need root (chroot, mount)"; exit 77; }
exec "$here/../../packaging/package-check.sh"
