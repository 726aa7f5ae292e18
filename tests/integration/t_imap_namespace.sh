#!/bin/bash
# IMAP namespaces (RFC 2342): on servers whose personal namespace has a prefix — "INBOX."
# with "." as Courier-style and many hosting servers have it, or "INBOX/" — the folders a
# source reads and its move_to folder, given without the prefix, are put under it (as
# mbsync does); `goniec folders` shows the prefix. Dovecot configured both ways.
. "$(dirname "$0")/lib.sh"
. "$SRC_DIR/tests/fixtures/imap_env.sh"
imap_require
make_test_ca
mkdir -p "$T/conf.d" && chmod 700 "$T/conf.d"
printf 'agent:\n  spool: %s/spool\n  state: %s/state\n' "$T" "$T" >"$T/conf.d/00-agent.yaml"
for n in 1 2 3 4; do imap_invoice_mail "$T/invoice$n.eml" "$n"; done
year=$(date +%Y)

# namespace CASE PREFIX SEPARATOR FIRST_INVOICE
namespace() {
	local name=$1 prefix=$2 sep=$3 dir=$T/dovecot-$1 inv=$4
	local port sport
	port=$(free_port) sport=$(free_port)
	"$FIXTURES/dovecot.sh" user "$dir" test secret
	at_exit "'$FIXTURES/dovecot.sh' stop '$dir'"
	DOVECOT_NS_PREFIX=$prefix DOVECOT_NS_SEP=$sep "$FIXTURES/dovecot.sh" start "$dir" "$port" \
		"$sport" "$T/tls/server.pem" "$T/tls/server.key"
	doveadm -c "$dir/dovecot.conf" mailbox create -u test "${prefix}Faktury"
	"$FIXTURES/dovecot.sh" deliver "$dir" test INBOX "$T/invoice$inv.eml"
	"$FIXTURES/dovecot.sh" deliver "$dir" test "${prefix}Faktury" "$T/invoice$((inv + 1)).eml"
	IMAPS_PORT=$sport C_SENDERS='["*@pge.pl"]' imap_conf "$name" 'folders: [INBOX, Faktury]' \
		'move_to: "eksiegowy{year}"'
	goniec_run folders "$name"
	check "$name: goniec folders works" test $? -eq 0
	check "$name: the folder under the prefix is read" grep -q "^\* ${prefix}Faktury$" "$T/out"
	check "$name: the prefix and separator are shown" \
		grep -qF "personal namespace \"$prefix\", separator \"$sep\"" "$T/out"
	goniec_run fetch "$name"
	check_eq "$name: the run succeeds (exit 0)" 0 $?
	check "$name: both invoices filed" grep -q "^$name: ok — 2 filed" "$T/out"
	check "$name: move_to made under the prefix, holding both messages" \
		sh -c "doveadm -c '$dir/dovecot.conf' mailbox status -u test messages '${prefix}eksiegowy$year' | grep -q ' messages=2$'"
	check "$name: nothing made at the root" \
		sh -c "! doveadm -c '$dir/dovecot.conf' mailbox list -u test | grep -qx 'eksiegowy$year'"
}
namespace courier 'INBOX.' . 1
namespace slash 'INBOX/' / 3
