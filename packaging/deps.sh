#!/bin/sh
# Install the missing Debian packages a make target needs, from packaging/deps.d/*.list.
# One package a line, three columns ('#' starts a comment):
#
#   debian-name   rpm-name   for
#
# rpm-name is "-" when Fedora has none; "for" is a comma-separated list of
#   build   compiling goniec (every target builds it, so every target installs these)
#   demo    what `make demo` runs besides goniec: its servers and tools
#   check   what `make check` runs: tests, fixtures, the package tests, fuzzing
#   bench   what `make bench` runs: the peers goniec is measured against, its tools
# A target installs the lines tagged with it or with build. A line without "for" counts
# for every target (and --check reports it); an unknown word stops with file:line.
#
#   packaging/deps.sh [all|demo|check|bench]   install what is missing (default: all)
#   packaging/deps.sh --list TARGET            print the Debian names, install nothing
#   packaging/deps.sh --check                  every line tagged with known words? (exit 1)
#
# On an RPM system it prints the dnf command instead. Does nothing when all is there.
set -eu
cd "$(dirname "$0")/deps.d"

# entries TARGET — "debian rpm" for each line TARGET needs; warnings and errors on
# stderr as file:line (exit status 2 after an unknown word).
entries() {
	awk -v want="$1" '
		function complain(kind, msg) { printf "deps: %s:%d: %s: %s\n", FILENAME, FNR, kind, msg > "/dev/stderr" }
		{ sub(/#.*/, "") }
		NF == 0 { next }
		NF > 3 { complain("error", "more than three columns"); bad = 1; next }
		NF < 3 { complain("warning", "no \"for\" column (build, demo, check, bench): counted for every target"); print $1, (NF == 2 ? $2 : "-"); next }
		{
			n = split($3, tags, ",")
			take = want == "all"
			for (i = 1; i <= n; i++) {
				if (tags[i] !~ /^(build|demo|check|bench)$/) {
					complain("error", "unknown word \"" tags[i] "\" in \"for\" (build, demo, check, bench)")
					bad = 1
				}
				if (tags[i] == want || tags[i] == "build")
					take = 1
			}
			if (take)
				print $1, $2
		}
		END { exit bad ? 2 : 0 }
	' ./*.list
}

target_ok() {
	case $1 in all | demo | check | bench) return 0 ;; esac
	echo "deps: unknown target '$1' (all, demo, check, bench)" >&2
	exit 2
}

case ${1:-all} in
--list)
	target_ok "${2:-}"
	list=$(entries "$2") || exit 2
	printf '%s\n' "$list" | awk 'NF {print $1}' | sort -u
	exit 0
	;;
--check)
	out=$(entries all 2>&1 >/dev/null) || true
	[ -z "$out" ] && exit 0
	printf '%s\n' "$out" >&2
	exit 1
	;;
esac
target=${1:-all}
target_ok "$target"
lists=$(entries "$target") || exit 2

if [ -r /etc/debian_version ] && command -v dpkg-query >/dev/null; then
	# Names an installed package provides count as installed: NodeSource's nodejs
	# provides (and conflicts with) npm, and asking apt for Debian's npm would fail.
	provided=$(dpkg-query -W -f '${db:Status-Abbrev} ${Provides}\n' 2>/dev/null |
		awk '$1 == "ii" { $1 = ""; gsub(/\([^)]*\)/, ""); gsub(/,/, " "); print }' | tr ' ' '\n' | sort -u)
	missing=""
	for pkg in $(printf '%s\n' "$lists" | awk 'NF {print $1}' | sort -u); do
		status=$(dpkg-query -W -f '${Status}' "$pkg" 2>/dev/null || true)
		case "$status" in *" installed") continue ;; esac
		printf '%s\n' "$provided" | grep -qx -- "$pkg" || missing="$missing $pkg"
	done
	[ -z "$missing" ] && exit 0
	echo "deps ($target): installing$missing"
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo="sudo"
	export DEBIAN_FRONTEND=noninteractive
	# An old or absent package list makes apt-get miss packages: refresh it once.
	$sudo apt-get update -qq || true
	# shellcheck disable=SC2086
	$sudo apt-get install -y -qq --no-install-recommends $missing
elif command -v dnf >/dev/null || command -v rpm >/dev/null; then
	rpms=$(printf '%s\n' "$lists" | awk 'NF >= 2 && $2 != "-" {print $2}' | sort -u | tr '\n' ' ')
	echo "deps ($target): on an RPM system, install the dependencies with:"
	echo "  dnf install $rpms"
else
	echo "deps: unknown system; see packaging/deps.d/*.list for what is needed" >&2
fi
