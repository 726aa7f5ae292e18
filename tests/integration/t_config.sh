#!/bin/bash
# conf.d as a person edits it: secrets in their four forms, file modes, messages that
# never show a secret, and the files goniec skips.
source "$(dirname "$0")/lib.sh"
c=$T/conf.d
mkdir -p "$c"
g() { "$GONIEC" -c "$c" "$@"; }
printf 'agent: {spool: %s/spool, state: %s/state}\n' "$T" "$T" >"$c/00-agent.yaml"
mail() { # $1: the password line(s)
	cat >"$c/acme.yaml" <<YAML
company: acme
sources:
  - name: acme-mail
    type: imap
    host: 127.0.0.1
    user: faktury@acme.pl
$1
    senders: ["*@pge.pl"]
YAML
}

mail '    password: "S3cret-Hunter2"'
chmod 0644 "$c/acme.yaml"
g check >"$T/out" 2>&1
check_eq "inline secret in a world-readable file: exit 2" 2 $?
check "... the file is named with what to do" grep -q "$c/acme.yaml: error: holds an inline secret but its mode 0644 lets others read or change it: run \`chmod 0640" "$T/out"
check "... and the secret is not shown" bash -c "! grep -q S3cret '$T/out'"
chmod 0640 "$c/acme.yaml"
check_eq "inline secret in a 0640 file is accepted" "OK: 1 source, 0 routes" "$(g check 2>&1)"
chmod 0660 "$c/acme.yaml"
g check >/dev/null 2>&1
check_eq "... but not when the group may write it" 2 $?
chmod 0644 "$c/acme.yaml"

mail '    password_file: /nonexistent/acme-imap'
g check >"$T/out" 2>&1
check_eq "unreadable secret file: exit 2" 2 $?
check "... named with file:line:col" grep -q "acme.yaml:7:20: error: password: secret file: cannot open /nonexistent/acme-imap: No such file or directory" "$T/out"
echo "from-a-file" >"$T/pass"
chmod 600 "$T/pass"
mail "    password_file: $T/pass"
check_eq "a readable secret file in a world-readable conf.d file is fine" "OK: 1 source, 0 routes" "$(g check 2>&1)"

mail '    password_env: ACME_IMAP_PASSWORD'
g check >"$T/out" 2>&1
check "unset environment variable is named" grep -q "password: environment variable ACME_IMAP_PASSWORD (a secret) is not set" "$T/out"
check_eq "... and set it is fine" "OK: 1 source, 0 routes" "$(ACME_IMAP_PASSWORD=x g check 2>&1)"

mail '    password_credential: acme-imap'
g check >"$T/out" 2>&1
check_eq "a credential cannot be checked from a shell: a warning, exit 0" 0 $?
check "... saying what the service needs" grep -q 'warning: password: credential acme-imap: $CREDENTIALS_DIRECTORY is not set (add LoadCredential=acme-imap:PATH to the service)' "$T/out"
mkdir -p "$T/creds"
echo cred >"$T/creds/acme-imap"
check_eq "... and with it, fine" "OK: 1 source, 0 routes" "$(CREDENTIALS_DIRECTORY=$T/creds g check 2>&1)"

mail $'    password: a\n    password_file: /x'
chmod 600 "$c/acme.yaml"
g check >"$T/out" 2>&1
check "two forms of one secret are refused" grep -q "password is given more than once" "$T/out"

mail '    passwrd_file: /x'
g check >"$T/out" 2>&1
check "a misspelt secret key gets a hint" grep -q "unknown key 'passwrd_file' (did you mean 'password_file'?)" "$T/out"

# Files goniec does not read.
mail "    password_file: $T/pass"
for f in .acme.yaml acme.yaml~ acme.yaml.dpkg-dist acme.yaml.dpkg-old acme.yaml.rpmnew acme.yaml.rpmsave notes.txt; do
	echo "broken: [" >"$c/$f"
done
check_eq "backups, package leftovers and dot files are skipped" "OK: 1 source, 0 routes" "$(g check 2>&1)"
