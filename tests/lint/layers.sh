#!/bin/bash
# layers.sh — includes point one way (HACKING.md, "Layers"):
#   core <- formats <- sources, forward <- payments <- conf <- daemon <- cli <- main.c
# Each layer includes only itself and the layers below it; sources and forward are side
# by side and include neither the other; above sources/, only sources/source.h and
# sources/filing.h are seen, never a type's own folder (sources/<type>/...), which CLI
# commands reach through the hooks of struct source_type; one type's folder includes no
# other type's folder. agent/pdfworker/ (the PDF text server, a program of its own) sees
# only its own, core and formats headers.
# Usage: tests/lint/layers.sh [DIR] (default: agent). Exit 1 and print each wrong include.
set -u
root=${1:-agent}
allowed() { # LAYER — sets ok_layers: the layers a file of LAYER may include
	case $1 in
	core) ok_layers="core" ;;
	formats) ok_layers="core formats" ;;
	pdfworker) ok_layers="core formats pdfworker" ;; # goniec-pdftext: testhook.h, formats/pdfproto.h
	sources) ok_layers="core formats sources" ;;
	forward) ok_layers="core formats forward" ;;
	payments) ok_layers="core formats sources payments" ;;
	conf) ok_layers="core formats sources forward payments conf" ;;
	daemon) ok_layers="core formats sources forward payments conf daemon" ;;
	cli) ok_layers="core formats sources forward payments conf daemon cli" ;;
	main) ok_layers="core formats sources forward payments conf daemon cli" ;;
	*) ok_layers="" ;;
	esac
}
bad=0
# One grep over every file; each of its lines is FILE:LINE:#include "TARGET".
while IFS=: read -r file line inc; do
	rel=${file#"$root"/}
	case $rel in
	*/*) layer=${rel%%/*} ;;
	main.c) layer=main ;;
	*) layer=unknown ;;
	esac
	allowed "$layer"
	type_dir=
	[ "$layer" = sources ] && case ${rel#sources/} in */*) type_dir=${rel#sources/}; type_dir=${type_dir%%/*} ;; esac
	target=${inc#*\"}; target=${target%\"*}
	tlayer=${target%%/*}
	[ "$target" = "$tlayer" ] && continue # a header beside it, without a folder
	why=
	if [ -z "$ok_layers" ]; then
		why="$rel is in no known layer"
	elif [[ " $ok_layers " != *" $tlayer "* ]]; then
		why="$layer includes $tlayer"
	elif [ "$tlayer" = sources ]; then
		sub=${target#sources/}
		case $sub in
		*/*) tdir=${sub%%/*}
		     if [ "$layer" != sources ]; then why="$layer includes a source type's own header"
		     elif [ "$tdir" != "$type_dir" ]; then why="source type ${type_dir:-(common)} includes type $tdir"
		     fi ;;
		esac
	fi
	if [ -n "$why" ]; then
		echo "$file:$line: #include \"$target\": $why"
		bad=1
	fi
done < <(find "$root" -name '*.[ch]' -print0 | sort -z |
	xargs -0 grep -Hn '^[[:space:]]*#[[:space:]]*include[[:space:]]*"')
[ $bad = 0 ] || echo "layers.sh: see HACKING.md, \"Layers\""
exit $bad
