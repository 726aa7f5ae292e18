#!/bin/bash
# Static checks over the source tree, run by `make check`: each check runs on agent/ and
# must pass, and on a small wrong tree made here and must fail (so that a check that
# stopped looking is noticed). Prints "lint: N passed, M failed".
set -u
cd "$(dirname "$0")/../.."
passed=0 failed=0
pass() { echo "pass: $*"; passed=$((passed + 1)); }
fail() { echo "fail: $*"; failed=$((failed + 1)); }
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

# check NAME SCRIPT WRONG-FILE WRONG-TEXT: SCRIPT passes on agent/, fails on a copy of
# agent/ (and of packaging/man/ and packaging/bash-completion, which docs.py reads beside
# it) with WRONG-FILE holding WRONG-TEXT at its end.
check() {
	local name=$1 script=$2 file=$3 text=$4
	if out=$("$script" agent 2>&1); then
		pass "$name: the tree follows the rule"
	else
		printf '%s\n' "$out"
		fail "$name: the tree breaks the rule"
	fi
	rm -rf "$scratch/agent" "$scratch/packaging" && cp -r agent "$scratch/agent"
	mkdir -p "$scratch/packaging" && cp -r packaging/man "$scratch/packaging/man"
	cp packaging/bash-completion "$scratch/packaging/bash-completion"
	mkdir -p "$(dirname "$scratch/$file")"
	printf '%s\n' "$text" >>"$scratch/$file"
	if (cd "$scratch" && "$OLDPWD/$script" agent >/dev/null 2>&1); then
		fail "$name: a deliberate break in $file is not found"
	else
		pass "$name: a deliberate break in $file is found"
	fi
}

check errors tests/lint/errors.sh agent/cli/cmd_forward.c \
	'static int busy(struct gerr *err) { return strstr(err->msg, "another") != NULL; }'

check layers-core tests/lint/layers.sh agent/core/util.c '#include "forward/route.h"'
check layers-cli tests/lint/layers.sh agent/cli/cmd_status.c '#include "sources/imap/imap.h"'
check layers-types tests/lint/layers.sh agent/sources/graph/graph_mail.c '#include "sources/imap/fetch.h"'

# docs.py: the manual pages and the bash completion against the program (a command, an
# option, a configuration key, a sidecar value and a completed option that one has and
# the other lacks).
check docs-commands tests/lint/docs.py packaging/man/goniec.8 $'.SH COMMANDS\n.TP\n.B frobnicate\nNo such command.'
check docs-options tests/lint/docs.py agent/cli/cmd_status.c \
	'static int frob(char **argv) { return strcmp(argv[1], "--frobnicate") == 0; }'
check docs-config tests/lint/docs.py agent/sources/folder.c \
	'static const struct cf_field frob_fields[] = {{.key = "frobnicate", .type = CF_BOOL}, CF_END};
const struct source_type source_type_frob = {.name = "folder", .fields = frob_fields};'
check docs-sidecar tests/lint/docs.py agent/core/sniff.c \
	'static const struct sniff_result R_WEBP = {"webp", "image/webp", "document"};'
check docs-completion tests/lint/docs.py packaging/bash-completion \
	'_goniec_frob() { mapfile -t COMPREPLY < <(compgen -W "--frobnicate" -- "$cur"); }'

echo "lint: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
