#!/bin/bash
# packaging/deps.sh and packaging/deps.d/*.list: each make target installs what it needs
# and no more. `make demo` gets the build and the demo's servers, not the packaging,
# test or benchmark tools; `make check` gets those; `make bench` gets its peers. Reads
# the install sets with `deps.sh --list` (nothing is installed or removed); where the
# demo's programs are installed here, it checks they come from the demo's set.
. "$(dirname "$0")/lib.sh"
deps=$SRC_DIR/packaging/deps.sh

check "every deps.d line says what it is for, with known words (deps.sh --check)" "$deps" --check
demo=$("$deps" --list demo) || fail "deps.sh --list demo"
tests=$("$deps" --list check) || fail "deps.sh --list check"
bench=$("$deps" --list bench) || fail "deps.sh --list bench"
all=$("$deps" --list all) || fail "deps.sh --list all"

# in SET PACKAGE...: the packages that are not in the set, on one line
missing_from() {
	local set=$1 p out=""; shift
	for p; do grep -qx -- "$p" <<<"$set" || out="$out $p"; done
	echo "${out# }"
}
present_in() {
	local set=$1 p out=""; shift
	for p; do grep -qx -- "$p" <<<"$set" && out="$out $p"; done
	echo "${out# }"
}

packaging_tools="lintian rpmlint debootstrap debhelper dpkg-dev fakeroot rpm strace systemd-container groff"
test_tools="libcmocka-dev clang libclang-rt-14-dev bindfs python3-yaml python3-reportlab"
bench_peers="isync getmail6 fetchmail inotify-tools bc time"
# shellcheck disable=SC2086
{
	check_eq "the demo installs no packaging tool" "" "$(present_in "$demo" $packaging_tools)"
	check_eq "the demo installs no test-only tool" "" "$(present_in "$demo" $test_tools)"
	check_eq "the demo installs no benchmark peer" "" "$(present_in "$demo" $bench_peers)"
	check_eq "make check installs the packaging and test tools" "" \
		"$(missing_from "$tests" $packaging_tools $test_tools)"
	check_eq "make check installs no benchmark peer" "" "$(present_in "$tests" $bench_peers)"
	check_eq "make bench installs its peers" "" "$(missing_from "$bench" $bench_peers)"
}
build=$(cat "$SRC_DIR"/packaging/deps.d/*.list | sed 's/#.*//' |
	awk '$3 ~ /(^|,)build(,|$)/ {print $1}' | sort -u)
check "some packages are tagged build" test -n "$build"
for target in demo tests bench; do
	# shellcheck disable=SC2086
	check_eq "make ${target/tests/check} installs every build dependency" "" \
		"$(missing_from "${!target}" $build)"
done
check_eq "all is the union of the three" "$all" "$(printf '%s\n' "$demo" "$tests" "$bench" | sort -u)"
check_eq "the demo installs fewer packages than make check" 1 "$(($(wc -l <<<"$demo") < $(wc -l <<<"$tests")))"

# What the demo runs comes from the demo's set: each program's package, or a dependency
# of one in the set (python3 -> python3-minimal). Only where the program is installed.
from_demo_set() { # path — its package (in $owners) is in the set, or a dependency of one
	local pkg
	pkg=$(awk -v f="$1" '$2 == f {sub(/:$/, "", $1); print $1; exit}' <<<"$owners")
	[ -n "$pkg" ] || { echo "    $1: no package owns it"; return 1; }
	grep -qx -- "$pkg" <<<"$demo_and_deps" && return 0
	echo "    $1 is from $pkg, which make demo does not install"
	return 1
}
progs=()
for p in /usr/bin/python3 /usr/bin/openssl /usr/bin/curl /usr/sbin/dovecot /usr/lib/dovecot/imap \
	/usr/lib/python3/dist-packages/aiosmtpd/__init__.py; do
	if [ -e "$p" ]; then progs+=("$p"); else echo "    ($p is not installed here: not checked)"; fi
done
if command -v dpkg-query >/dev/null && [ ${#progs[@]} -gt 0 ]; then
	owners=$(dpkg-query -S "${progs[@]}" 2>/dev/null | sed 's/, [^:]*:/:/')
	# shellcheck disable=SC2086
	demo_and_deps=$({
		echo "$demo"
		dpkg-query -W -f '${Pre-Depends},${Depends}\n' $demo 2>/dev/null | tr ',' '\n' | tr '|' '\n'
	} | awk '{sub(/:any$/, "", $1); print $1}' | sort -u)
	for p in "${progs[@]}"; do
		check "the demo's $p comes from the demo's packages" from_demo_set "$p"
	done
fi

# A line's "for" is checked: an unknown word stops deps.sh naming file and line, a line
# without one counts for every target and is reported.
fake=$T/packaging
mkdir -p "$fake/deps.d"
cp "$deps" "$fake/"
printf 'good-one   -   demo\nbad-one   -   chek\n' >"$fake/deps.d/a.list"
out=$("$fake/deps.sh" --list demo 2>&1); rc=$?
check_eq "an unknown word in \"for\": exit 2" 2 "$rc"
check "... naming file and line" grep -q 'a.list:2: error: unknown word "chek"' <<<"$out"
printf 'good-one   -   demo\nuntagged-one   untagged-rpm\n' >"$fake/deps.d/a.list"
out=$("$fake/deps.sh" --list demo 2>/dev/null)
check_eq "a line without \"for\" counts for every target" "good-one untagged-one" "$(tr '\n' ' ' <<<"$out" | sed 's/ $//')"
out=$("$fake/deps.sh" --check 2>&1); rc=$?
check_eq "... and deps.sh --check reports it (exit 1)" 1 "$rc"
check "... naming file and line" grep -q 'a.list:2: warning: no "for" column' <<<"$out"
out=$("$fake/deps.sh" --list everything 2>&1); rc=$?
check_eq "an unknown target: exit 2" 2 "$rc"

# A name that an installed package provides is not missing: NodeSource's nodejs provides
# npm and conflicts with Debian's, so asking apt-get for npm there would fail. mawk
# provides "awk" on Debian. apt-get is replaced by one that notes what it was asked for.
if command -v dpkg-query >/dev/null && dpkg-query -W -f '${Status} ${Provides}\n' mawk 2>/dev/null |
	grep -q "installed.*\bawk\b"; then
	mkdir -p "$T/fakebin"
	printf '#!/bin/sh\necho "$*" >>"%s/apt-calls"\n' "$T" >"$T/fakebin/apt-get"
	printf '#!/bin/sh\nexec "$@"\n' >"$T/fakebin/sudo"
	chmod +x "$T/fakebin/apt-get" "$T/fakebin/sudo"
	printf 'awk   -   demo\n' >"$fake/deps.d/a.list"
	PATH=$T/fakebin:$PATH "$fake/deps.sh" demo >/dev/null 2>&1
	check "a package another one provides (awk, by mawk) is not installed again" test ! -e "$T/apt-calls"
	printf 'awk   -   demo\ngoniec-no-such-package   -   demo\n' >"$fake/deps.d/a.list"
	PATH=$T/fakebin:$PATH "$fake/deps.sh" demo >/dev/null 2>&1
	check "... while a missing one is asked for" grep -qx 'install -y -qq --no-install-recommends goniec-no-such-package' "$T/apt-calls"
else
	echo "    (mawk is not installed here: the provided-name case is not checked)"
fi
