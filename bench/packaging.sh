#!/bin/bash
# Packaging figures: time to build the .deb and the .rpm (2 jobs, without their unit
# tests), their sizes, the installed size, the unit's systemd-analyze security exposure,
# and the time of the package tests (packaging/package-check.sh) with the chroot base
# cached. Builds into build/bench-pkg.
set -u
cd "$(dirname "$0")/.." || exit 1
out=build/bench-pkg
version=$(sed -n 's/^VERSION *:= *//p' Makefile)
secs() { local s=$SECONDS; "$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; return 1; }; echo $((SECONDS - s)); }

deb_s=$(NOCHECK=1 secs packaging/build.sh deb "$out" "$version") || exit 1
rpm_s=$(NOCHECK=1 secs packaging/build.sh rpm "$out" "$version") || exit 1
deb=$(ls "$out"/goniec_"$version"_*.deb)
rpm=$(ls "$out"/rpm/RPMS/*/goniec-"$version"-*.rpm)
echo "deb: built in ${deb_s} s, $(($(stat -c %s "$deb") / 1024)) KiB, installed $(dpkg-deb -f "$deb" Installed-Size) KiB"
echo "rpm: built in ${rpm_s} s, $(($(stat -c %s "$rpm") / 1024)) KiB"
systemd-analyze security --offline=true packaging/goniec.service 2>/dev/null | tail -1
if [ "$(id -u)" -eq 0 ]; then
	check_s=$(secs packaging/package-check.sh "$out" "$version") || exit 1
	echo "package-check: ${check_s} s (chroot base cached)"
fi
