#!/bin/bash
# errors.sh — no caller decides by looking inside an error message (issue 12): the kind
# of a `struct gerr` (core/util.h) or an enum says what happened; the text is for a person.
# Flags strstr/strcmp/... whose first argument is an error's text: a struct gerr's msg
# (err.msg, e->msg, werr.msg), or a string named error (res->error, st.error). Text that
# comes from outside (a child process's stderr, a server's answer) is not an error of
# ours and is not flagged.
# Usage: tests/lint/errors.sh [DIR...]   (default: agent). Exit 1 and print the lines found.
set -u
dirs=("$@")
[ ${#dirs[@]} -gt 0 ] || dirs=(agent)
pattern='\b(strstr|strcasestr|strcmp|strncmp|strcasecmp|strncasecmp|str_starts_with|str_ends_with|memmem|wildcard_match)\s*\(\s*[&*]?([A-Za-z0-9_]*(\.|->))*([A-Za-z0-9_]+(\.|->)msg|[a-z_]*error)\s*,'
found=$(grep -rnE --include='*.c' --include='*.h' "$pattern" "${dirs[@]}")
if [ -n "$found" ]; then
	echo "$found"
	echo "errors.sh: decide by the error's kind (gerr.kind), not by its message"
	exit 1
fi
exit 0
