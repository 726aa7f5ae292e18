#!/bin/sh
# Build the .deb or the .rpm from a clean export of the source tree.
#
#   packaging/build.sh deb|rpm OUTDIR VERSION
#
# The tree (tracked and new files, not build output) is copied to OUTDIR/goniec-VERSION.
# deb: packaging/debian becomes its debian/ (with the unit, sysusers and tmpfiles files
#      from packaging/) and dpkg-buildpackage -b writes OUTDIR/goniec_VERSION_ARCH.deb.
# rpm: the export is packed as OUTDIR/rpm/SOURCES/goniec-VERSION.tar.gz and rpmbuild -bb
#      writes OUTDIR/rpm/RPMS/ARCH/goniec-VERSION-*.rpm. Where the systemd RPM macros are
#      missing (Debian), packaging/rpm/macros.debian provides them.
# The version in debian/changelog and goniec.spec must equal VERSION (the Makefile's).
# NOCHECK=1 skips the unit tests that both builds run (make check runs them anyway).
set -eu
kind=$1 out=$2 version=$3
top=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out"
out=$(cd "$out" && pwd)
src=$out/goniec-$version

die() { echo "build.sh: $*" >&2; exit 1; }

export_tree() {
	rm -rf "$src"
	mkdir -p "$src"
	cd "$top"
	if git rev-parse --git-dir >/dev/null 2>&1; then
		git ls-files -co --exclude-standard | while IFS= read -r f; do
			[ -e "$f" ] && printf '%s\n' "$f"
		done | grep -v -E '^(build[^/]*|debian)/|^goniec$' | tar cf - -T - | tar xf - -C "$src"
	else
		tar cf - --exclude='./build*' --exclude=./debian --exclude=./goniec . | tar xf - -C "$src"
	fi
}

build_deb() {
	v=$(dpkg-parsechangelog -l "$top/packaging/debian/changelog" -S Version)
	[ "$v" = "$version" ] || die "packaging/debian/changelog is at $v, the Makefile at $version"
	rm -f "$out"/goniec_* "$out"/goniec-dbgsym_*   # never test a stale package
	export_tree
	cp -a "$top/packaging/debian" "$src/debian"
	for f in service sysusers tmpfiles; do
		cp "$top/packaging/goniec.$f" "$src/debian/goniec.$f"
	done
	cd "$src"
	opts="parallel=2 ${DEB_BUILD_OPTIONS:-}"
	[ -z "${NOCHECK:-}" ] || opts="$opts nocheck"
	DEB_BUILD_OPTIONS=$opts dpkg-buildpackage -b --no-sign
	ls "$out"/goniec_"$version"_*.deb
}

build_rpm() {
	spec=$top/packaging/goniec.spec
	v=$(sed -n 's/^Version:[[:space:]]*//p' "$spec")
	[ "$v" = "$version" ] || die "packaging/goniec.spec is at $v, the Makefile at $version"
	export_tree
	rm -rf "$out/rpm"
	mkdir -p "$out/rpm/SOURCES"
	for f in service sysusers tmpfiles; do
		cp "$top/packaging/goniec.$f" "$out/rpm/SOURCES/"
	done
	tar czf "$out/rpm/SOURCES/goniec-$version.tar.gz" -C "$out" "goniec-$version"
	set -- --define "_topdir $out/rpm" \
		--define "packager ${PACKAGER:-goniec maintainers <goniec@example.org>}"
	if [ -z "$(rpm --eval '%{?systemd_post:yes}')" ]; then
		# No systemd-rpm-macros here, and the BuildRequires name Fedora packages that
		# the rpm database of a Debian host does not know.
		set -- "$@" --load "$top/packaging/rpm/macros.debian" --nodeps
	fi
	[ -z "${NOCHECK:-}" ] || set -- "$@" --nocheck
	rpmbuild -bb "$@" "$spec"
	ls "$out"/rpm/RPMS/*/goniec-"$version"-*.rpm
}

case $kind in
deb) build_deb ;;
rpm) build_rpm ;;
*) die "usage: build.sh deb|rpm OUTDIR VERSION" ;;
esac
