#!/bin/bash
# Hostile conf.d refused fast (issue 11): `goniec check` of a conf.d holding YAML nested
# 100,000 deep, a mapping of 200,000 keys, or 50,000 documents that are each an error —
# CPU ms, median of 5; the goal is under a second each. t_config_hostile checks the exit
# status and the messages, with a bound loose enough for a loaded machine.
set -eu
cd "$(dirname "$0")/.."
. bench/lib.sh
GONIEC=${GONIEC:-$PWD/build/goniec}
base=$(mktemp -d)
trap 'rm -rf "$base"' EXIT
c=$base/conf.d
mkdir -p "$c"
printf 'agent: {spool: %s/spool, state: %s/state}\n' "$base" "$base" >"$c/00-agent.yaml"

# refused NAME PYTHON-EXPRESSION — the file's text, written to x.yaml, then timed.
refused() {
	python3 -c "import sys; open(sys.argv[1], 'w').write($2)" "$c/x.yaml"
	local t=()
	for _ in 1 2 3 4 5; do t+=("$(cpu_ms "$GONIEC" -c "$c" check)"); done
	echo "check refusing $1: $(printf '%s\n' "${t[@]}" | median) ms CPU (median of 5)"
	rm "$c/x.yaml"
}
refused "YAML nested 100,000 deep" '"[" * 100000 + "]" * 100000 + "\n"'
refused "a mapping of 200,000 keys" '"".join("k%d: 1\n" % i for i in range(200000))'
refused "50,000 error documents" '"--- []\n" * 50000'
