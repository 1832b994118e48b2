#!/bin/sh
# Names from one source (issue 17): `ebpfstats catalog --json` is compared
# with the committed tests/data/catalog.json, so that no metric id, OID or
# collectd name changes by accident; then tests/catalog_names.py checks the
# places that name metrics by hand against it (OID literals in the shipped
# files and docs, the Nagios commands and plugin, docs/collectd.md's table).
# The Zabbix generator reads the fixture; tests/zabbix_template.sh checks
# its output.
#
# A deliberate change (a new metric, a renamed one): regenerate the fixture
# with `make catalog-fixture` (or `./ebpfstats catalog --json >
# tests/data/catalog.json`), and `make zabbix-template`; commit both with
# the change and say in its message which names changed.
# Needs no root and no kernel.
set -u
# shellcheck source=tests/lib.sh
. "${top_srcdir:-.}/tests/lib.sh"
FIXTURE=$top_srcdir/tests/data/catalog.json

[ -x "$EBS" ] || skip "ebpfstats not built"
command -v python3 >/dev/null 2>&1 || skip "python3 missing"

"$EBS" catalog --json >"$tmp/catalog.json" 2>"$tmp/catalog.log"
rc=$?
expect "catalog --json exits 0 (rc $rc)" '[ $rc -eq 0 ]'
expect "catalog --json is valid JSON, an array of one object per metric" \
	'python3 -c "import json, sys; d = json.load(open(sys.argv[1])); assert isinstance(d, list) and d and all(m[\"id\"] for m in d)" "$tmp/catalog.json"'
if command -v jq >/dev/null 2>&1; then
	expect "jq reads it" 'jq -e "length > 0" "$tmp/catalog.json" >/dev/null'
fi
if cmp -s "$FIXTURE" "$tmp/catalog.json"; then
	ok "catalog --json is tests/data/catalog.json"
else
	no "catalog --json differs from tests/data/catalog.json (a changed name? if deliberate: make catalog-fixture):"
	diff -u "$FIXTURE" "$tmp/catalog.json" | sed 's/^/# /'
fi
"$EBS" catalog --json >"$tmp/again.json" 2>&1
expect "the output is stable" 'cmp -s "$tmp/catalog.json" "$tmp/again.json"'

root=$("$EBS" catalog --oid-root)
expect "catalog --oid-root is an OID ($root)" 'printf "%s\n" "$root" | grep -Eqx "(\.[0-9]+)+"'
expect "tests/lib.sh's ROOT is it" '[ "$ROOT" = "$root" ]'
"$EBS" catalog --json --oid-root >/dev/null 2>&1
rc=$?
expect "--json and --oid-root together are a usage error (rc $rc)" '[ $rc -eq 3 ]'

python3 "$top_srcdir/tests/catalog_names.py" --catalog "$tmp/catalog.json" --root "$root" \
	--srcdir "$top_srcdir" >"$tmp/names.out" 2>&1
cat "$tmp/names.out"
pass=$((pass + $(grep -c '^ok - ' "$tmp/names.out")))
fail=$((fail + $(grep -c '^not ok - ' "$tmp/names.out")))
grep -Eq '^(ok|not ok) - ' "$tmp/names.out" || no "tests/catalog_names.py ran"
finish
