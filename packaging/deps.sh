#!/bin/sh
# Install the missing Debian build and test dependencies listed in packaging/deps.d/*.list
# (one package per line: "debian-name [rpm-name]"; '#' starts a comment). On an RPM system
# it prints the dnf command instead. Does nothing when everything is there.
set -eu
cd "$(dirname "$0")/deps.d"
lists=$(cat ./*.list | sed 's/#.*//' | awk 'NF')

if [ -r /etc/debian_version ] && command -v dpkg-query >/dev/null; then
	missing=""
	for pkg in $(printf '%s\n' "$lists" | awk '{print $1}' | sort -u); do
		status=$(dpkg-query -W -f '${Status}' "$pkg" 2>/dev/null || true)
		case "$status" in *" installed") ;; *) missing="$missing $pkg" ;; esac
	done
	[ -z "$missing" ] && exit 0
	echo "deps: installing$missing"
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo="sudo"
	export DEBIAN_FRONTEND=noninteractive
	# An old or absent package list makes apt-get miss packages: refresh it once.
	$sudo apt-get update -qq || true
	# shellcheck disable=SC2086
	$sudo apt-get install -y -qq --no-install-recommends $missing
elif command -v dnf >/dev/null || command -v rpm >/dev/null; then
	rpms=$(printf '%s\n' "$lists" | awk 'NF >= 2 && $2 != "-" {print $2}' | sort -u | tr '\n' ' ')
	echo "deps: on an RPM system, install the dependencies with:"
	echo "  dnf install $rpms"
else
	echo "deps: unknown system; see packaging/deps.d/*.list for what is needed" >&2
fi
