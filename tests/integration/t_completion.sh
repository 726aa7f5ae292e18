#!/bin/bash
# The bash completion (packaging/bash-completion) as bash runs it: sourced in a plain bash
# (no bash-completion package), _goniec called with COMP_WORDS/COMP_CWORD set as readline
# sets them; commands, a command's options, subcommands, and source, route and company
# names from `goniec list` on the configuration given with -c.
source "$(dirname "$0")/lib.sh"

# complete WORD... — what the completion offers for the last word, one per line, sorted.
complete_words() {
	PATH="$T/bin:$PATH" bash -c '
		. "$1" || exit 1
		shift
		COMP_WORDS=("$@") COMP_CWORD=$(($# - 1))
		_goniec
		printf "%s\n" "${COMPREPLY[@]}" | sort' bash "$SRC_DIR/packaging/bash-completion" "$@"
}
# offers WORD COMPLETION-WORDS... — the completion of the words offers WORD.
offers() { local w=$1; shift; complete_words "$@" | grep -qx -- "$w"; }

mkdir -p "$T/bin" "$T/conf.d" "$T/traces"
ln -s "$GONIEC" "$T/bin/goniec"
cat >"$T/conf.d/00-agent.yaml" <<YAML
agent:
  spool: $T/spool
  state: $T/state
YAML
cat >"$T/conf.d/acme.yaml" <<YAML
company: {id: acme, name: ACME}
sources:
  - name: acme-scans
    type: folder
    path: $T/inbox
routes:
  - name: acme-archive
    folder: {path: $T/archive}
YAML
mkdir -p "$T/inbox" "$T/archive"
"$GONIEC" -c "$T/conf.d" check >/dev/null 2>&1 || fail "the test's configuration is valid"

check_eq "loads in a plain bash and registers _goniec for goniec" "complete -F _goniec goniec" \
	"$(bash -c '. "$1" && complete -p goniec' bash "$SRC_DIR/packaging/bash-completion")"
check_eq "goniec pay completes to payments" "payments" "$(complete_words goniec pay)"
check_eq "goniec p offers the commands beginning with p" "payments points providers" \
	"$(complete_words goniec p | tr '\n' ' ' | sed 's/ $//')"
check_eq "goniec fetch -- offers fetch's options" "--help --here --json --no-wait --trace" \
	"$(complete_words goniec fetch -- | tr '\n' ' ' | sed 's/ $//')"
check_eq "global options before the command" "--shard --spool --state" \
	"$(complete_words goniec --s | tr '\n' ' ' | sed 's/ $//')"
check_eq "goniec bank offers its subcommands" "accounts link" \
	"$(complete_words goniec bank '' | tr '\n' ' ' | sed 's/ $//')"
check_eq "goniec ledger offers rebuild" "rebuild" "$(complete_words goniec ledger '')"
check "goniec payments offers a verb" offers pair goniec payments ''
check "goniec payments offers the companies of -c" offers acme goniec -c "$T/conf.d" payments ''
check "goniec fetch offers the sources of -c" offers acme-scans goniec -c "$T/conf.d" fetch ''
check "goniec fetch offers the companies of -c" offers acme goniec -c "$T/conf.d" fetch a
check "goniec oauth offers the routes of -c" offers acme-archive goniec -c "$T/conf.d" oauth ''
check_eq "a source once, then nothing (folders NAME)" "" \
	"$(complete_words goniec -c "$T/conf.d" folders acme-scans '')"
check "goniec bank link offers the sources" offers acme-scans goniec -c "$T/conf.d" bank link ''
check_eq "an option's argument is no command: goniec --shard offers nothing" "" \
	"$(complete_words goniec --shard '')"
check_eq "goniec run --shard 1/2 -- is still run's options" "--help --shard" \
	"$(complete_words goniec run --shard 1/2 -- | tr '\n' ' ' | sed 's/ $//')"
check_eq "--trace completes directories" "$T/traces" \
	"$(complete_words goniec fetch --trace "$T/tr")"
: >"$T/inbox/fv.pdf" && : >"$T/inbox/notes.txt"
check "invoice completes PDFs" offers "$T/inbox/fv.pdf" goniec invoice "$T/inbox/"
check "invoice leaves out other files" bash -c '! grep -q notes.txt <<<"$1"' \
	bash "$(complete_words goniec invoice "$T/inbox/")"
check "statement completes any file" offers "$T/inbox/notes.txt" goniec statement "$T/inbox/"
