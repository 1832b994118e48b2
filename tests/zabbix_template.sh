#!/bin/sh
# The Zabbix 7.0 template (zabbix/template_ebpfstats_snmp.yaml) without a
# Zabbix server: tests/zabbix_template.py checks its layout and that every
# OID in it is an object of EBPFSTATS-MIB (its own MIB parse, and
# snmptranslate when the SMIv2 base MIBs can be had), then -- as root --
# against a private snmpd + ebpfstats-agentx after a known workload, that
# the four walk[] items answer, the discovery rules find the modules, every
# CPU, the workload's system call and listening port, and every item and
# item prototype finds a value.  A deliberately broken copy of the template
# must fail the static checks.
# Needs python3 with PyYAML (python3-yaml); the live part root and snmpd.
set -u
# shellcheck source=tests/lib.sh
. "${top_srcdir:-.}/tests/lib.sh"
TPL="$top_srcdir/zabbix/template_ebpfstats_snmp.yaml"
GEN="$top_srcdir/zabbix/gen-template.py"
MIB="$top_srcdir/mibs/EBPFSTATS-MIB.txt"
CHECK="$top_srcdir/tests/zabbix_template.py"
WL_COMM=ebs-zbx-wl

command -v python3 >/dev/null 2>&1 && python3 -c 'import yaml' 2>/dev/null ||
	skip "python3 with PyYAML missing (package python3-yaml)"
# tests/zabbix_template.py prints its own ok/not ok lines and counts them:
# no summary line here, fail counts what failed and the exit status says
# whether anything did
finish() { exit $((fail > 0)); }
mibdirs=""
if d=$(sh "$top_srcdir/tests/mibs-fetch.sh" 2>/dev/null); then
	mibdirs="$d:$top_srcdir/mibs"
else
	echo "# SMIv2 base MIBs not available: no snmptranslate cross-check"
fi

# ---- static ------------------------------------------------------------------
python3 "$CHECK" --template "$TPL" --generator "$GEN" --mib "$MIB" --mibdirs "$mibdirs" ||
	fail=$((fail + 1))

# the checker must notice a wrong column
bad=$tmp/bad.yaml
sed 's/\.42\.1\.3\.10\.1\.4\.{#SNMPINDEX}/.42.1.3.10.1.9.{#SNMPINDEX}/' "$TPL" >"$bad"
if python3 "$CHECK" --template "$bad" --mib "$MIB" >"$bad.out" 2>&1; then
	no "a template reading column 9 of ebsSyscallTable (none) passed the checks"
elif grep -q "not ok - all .* OIDs of the template are MIB objects.*3\.10\.1\.9" "$bad.out"; then
	ok "a template reading column 9 of ebsSyscallTable (none) fails the OID check"
else
	no "the broken template failed, but not on its OID:"
	grep "not ok" "$bad.out"
fi

# ---- live ----------------------------------------------------------------------
need_root "the live part needs root (BPF)"
need_snmp
start_master 2
agent_conf "$tmp/agent.yaml" "$WL_COMM"
AGENT_READY='[ "$(get $O.2.1.2.1)" = syscalls ]'
start_agent "$tmp/agent.yaml" "$tmp/agent.log"

# a known system call and a known listening port in the tables
"$WL" getppid 100 "$WL_COMM" || echo "# workload getppid failed"
wlport=$("$WL" tcp 3) || echo "# workload tcp failed"
wait_until 10 'snmpwalk $SNMP -Oqv $O.3.10.1.2 2>/dev/null | grep -q "\"getppid\"" &&
	[ -n "$(get $O.4.21.1.2.$wlport | grep -x "[0-9]*")" ]'
ncpu=$(possible_cpus)

python3 "$CHECK" --template "$TPL" --mib "$MIB" --snmp "$SNMP" \
	--cpus "$ncpu" --port "$wlport" --syscall getppid || fail=$((fail + 1))
finish
