#!/bin/sh
# The man pages say what the docs say: every key of docs/config.md's table is
# an entry of ebpfstats.yaml(5), every option of docs/collectd.md's table one
# of collectd-ebpf(5), every option `ebpfstats --help` and
# `ebpfstats-agentx -h` list is in their pages; the two generated pages are
# what man/gen-man.py writes from the docs today (else: `make man`); groff
# reads each page without a warning.  Needs no root.
# expect's conditions are eval'ed later, hence single quotes:
# shellcheck shell=sh disable=SC2016,SC2034
set -u
: "${top_builddir:=.}" "${top_srcdir:=.}"
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok - $1"; }
no() { fail=$((fail + 1)); echo "not ok - $1"; }
expect() {
	if eval "$2"; then ok "$1"; else no "$1"; return 1; fi
}
tmp=$(mktemp -d /tmp/ebs-man.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
man=$top_srcdir/man

# the first column of the table under a heading: `key` or `Option value`
table_keys() { # table_keys FILE HEADING
	awk -v h="$2" '
		/^## / { on = ($0 == "## " h) ; next }
		on && /^\| *`/ { s = $0; sub(/^\| *`/, "", s); sub(/[` ].*/, "", s); print s }' "$1"
}
# the .TP terms of a page, unescaped: `\fBkey\fR` -> key, `\-` -> -
page_terms() {
	awk 'prev == ".TP" { print } { prev = $0 }' "$1" |
		sed -e 's/\\f[BIR]//g' -e 's/\\-/-/g' -e 's/ .*//'
}

keys=$(table_keys "$top_srcdir/docs/config.md" Keys)
expect "docs/config.md has a table of keys ($(echo "$keys" | wc -w))" '[ "$(echo "$keys" | wc -w)" -ge 20 ]'
terms=$(page_terms "$man/ebpfstats.yaml.5")
missing=""
for k in $keys; do echo "$terms" | grep -qx "$k" || missing="$missing $k"; done
expect "every key of docs/config.md is an entry of ebpfstats.yaml(5)${missing:+ (missing:$missing)}" '[ -z "$missing" ]'

opts=$(table_keys "$top_srcdir/docs/collectd.md" Options)
expect "docs/collectd.md has a table of options ($(echo "$opts" | wc -w))" '[ "$(echo "$opts" | wc -w)" -ge 15 ]'
terms=$(page_terms "$man/collectd-ebpf.5")
missing=""
for o in $opts; do echo "$terms" | grep -qx "$o" || missing="$missing $o"; done
expect "every option of docs/collectd.md is an entry of collectd-ebpf(5)${missing:+ (missing:$missing)}" '[ -z "$missing" ]'

# every option of the programs' usage text is in their page (as \-x)
usage_opts() { grep -oE -- '(^|[[ ,])--?[A-Za-z][a-z-]*' | sed 's/^[[ ,]*//' | sort -u; }
check_usage() { # check_usage PROGRAM PAGE HELP-OPTION
	[ -x "$top_builddir/$1" ] || { echo "# $1 not built: its page's options not checked"; return 0; }
	o=$("$top_builddir/$1" "$3" 2>&1 | usage_opts)
	missing=""
	for x in $o; do
		grep -qF -- "$(echo "$x" | sed 's/-/\\-/g')" "$man/$2" || missing="$missing $x"
	done
	expect "every option of $1 $3 is in $2${missing:+ (missing:$missing)}" '[ -n "$o" ] && [ -z "$missing" ]'
}
check_usage ebpfstats ebpfstats.8 --help
check_usage ebpfstats-agentx ebpfstats-agentx.8 -h

if command -v python3 >/dev/null 2>&1; then
	for p in ebpfstats.yaml.5 collectd-ebpf.5; do
		python3 "$man/gen-man.py" "$top_srcdir" "$p" >"$tmp/$p" 2>"$tmp/$p.err"
		expect "man/$p is up to date with the docs (else: make man)" \
			'[ -s "$tmp/$p" ] && cmp -s "$tmp/$p" "$man/$p"' || diff -u "$man/$p" "$tmp/$p" | head -20
	done
else
	echo "# python3 missing: generated pages not compared with the docs"
fi

if command -v groff >/dev/null 2>&1; then
	for p in ebpfstats.8 ebpfstats-agentx.8 ebpfstats.yaml.5 collectd-ebpf.5; do
		w=$(LC_ALL=C.UTF-8 groff -man -Tutf8 -ww -z "$man/$p" 2>&1)
		expect "groff -ww reads $p without a warning${w:+: $w}" '[ -z "$w" ]'
	done
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
