#!/bin/sh
# The Zabbix 7.0 template (zabbix/template_ebpfstats_snmp.yaml) without a
# Zabbix server: tests/zabbix_template.py checks its layout and that every
# OID in it is an object of EBPFSTATS-MIB (its own MIB parse, and
# snmptranslate when the SMIv2 base MIBs can be had), then -- as root --
# against a private snmpd + ebpfstats-agentx (memory, file I/O and cgroups
# on) after a known workload, that the walk[] items answer and every item and
# item prototype finds a value; with the macros' defaults the discovery rules
# find the modules, every CPU, the workload's system call and file I/O, no
# ephemeral port, no peer, no process and not the test's own cgroup (not a
# system.slice service); with the macros an operator would set, the
# workload's listening port, its two peer rows, processes (the subagent's
# own among them) and the test's cgroup, whose row counted the workload's
# system calls made in it.
# Deliberately broken copies of the template must fail the static checks.
# Needs python3 with PyYAML (python3-yaml); the live part root and snmpd.
# wait_until's condition is eval'ed: variables read only there look unused
# shellcheck disable=SC2034
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

# ... and a peer filter that discovers everyone by default
sed 's/^\( *value: \)\x27^\$\x27$/\1\x27.*\x27/' "$TPL" >"$bad"
if ! grep -q "value: '.\*'" "$bad" || cmp -s "$bad" "$TPL"; then
	no "could not make a copy of the template with the default '.*' for peers"
elif python3 "$CHECK" --template "$bad" --mib "$MIB" >"$bad.out" 2>&1; then
	no "a template discovering every peer and process by default passed the checks"
elif grep -q "not ok - {\$EBS.PEER.MATCHES} '.\*' discovers nothing by default: it matches" "$bad.out"; then
	ok "a template discovering every peer by default fails the default check"
else
	no "the template discovering every peer failed, but not on its default:"
	grep "not ok" "$bad.out"
fi

# ---- live ----------------------------------------------------------------------
need_root "the live part needs root (BPF)"
need_snmp
start_master 2
# a cgroup of our own at cgroup_depth 2, as a service's would be
cgmnt=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
cgrel="" cgcalls=100
if [ -n "$cgmnt" ] && mkdir -p "$cgmnt/ebs-zbx-$$/web.service"; then
	cgrel="ebs-zbx-$$/web.service" cgid=$(stat -c %i "$cgmnt/ebs-zbx-$$/web.service")
else
	echo "# no cgroup2 mount (or no cgroup made in it): cgroup discovery not checked with rows"
fi
cleanup_hook() {
	[ -z "$cgrel" ] || rmdir "$cgmnt/$cgrel" "$cgmnt/ebs-zbx-$$" 2>/dev/null
	:
}
agent_conf "$tmp/agent.yaml" "$WL_COMM" "collect_memory: true" "collect_file_io: true" \
	"collect_cgroups: true" "collect_page_allocs: true"
AGENT_READY='[ "$(get $O.2.1.2.1)" = syscalls ]'
start_agent "$tmp/agent.yaml" "$tmp/agent.log"

# a known system call and a known listening port in the tables
"$WL" getppid 100 "$WL_COMM" || echo "# workload getppid failed"
# file I/O under the workload's name (process_filter): dd's reads and writes
cp "$(command -v dd)" "$tmp/$WL_COMM" &&
	"$tmp/$WL_COMM" if=/dev/zero of=/dev/null bs=4096 count=10 status=none ||
	echo "# workload dd failed"
wlport=$("$WL" tcp 3) || echo "# workload tcp failed"
# system calls in our cgroup: its shell moves itself in, then becomes the
# workload (only its calls count: process_filter), without LeakSanitizer's
# sched_yield() spin at exit under ASan (cgroups_frontends.sh)
[ -z "$cgrel" ] ||
	sh -c "echo \$\$ >'$cgmnt/$cgrel/cgroup.procs' && ASAN_OPTIONS='${ASAN_OPTIONS:-}:detect_leaks=0' exec '$WL' getppid $cgcalls '$WL_COMM'" ||
	echo "# workload in $cgrel failed"
wait_until 10 'snmpwalk $SNMP -Oqv $O.3.10.1.2 2>/dev/null | grep -q "\"getppid\"" &&
	snmpwalk $SNMP -Oqv $O.3.11.1.2 2>/dev/null | grep -q "\"write\"" &&
	[ -n "$(get $O.4.21.1.2.$wlport | grep -x "[0-9]*")" ] &&
	{ [ -z "$cgrel" ] || { v=$(get1 $O.8.1.5.$cgid); isnum "$v" && [ "$v" -ge $cgcalls ]; }; }'
ncpu=$(possible_cpus)

echo "# the template's defaults"
python3 "$CHECK" --template "$TPL" --mib "$MIB" --snmp "$SNMP" \
	--cpus "$ncpu" --not-port "$wlport" --syscall getppid --fileio write \
	--any ebpfstats.tcp.port.discovery \
	--empty ebpfstats.tcp.peer.discovery --empty ebpfstats.proc.discovery \
	--any ebpfstats.cgroup.discovery ${cgrel:+--not-cgroup "$cgrel"} || fail=$((fail + 1))
# our cgroup's row, or any number of rows where there is none
cgopt=--any cgarg=ebpfstats.cgroup.discovery
[ -z "$cgrel" ] || cgopt=--cgroup cgarg=$cgrel:$cgcalls
echo "# an operator's selection: the workload's port and its peers, every process, our cgroup"
# (the subagent itself has taken page faults: its row, under its 15-character comm)
python3 "$CHECK" --template "$TPL" --mib "$MIB" --snmp "$SNMP" \
	--macro "{\$EBS.PORT.MATCHES}=^$wlport\$" --macro "{\$EBS.PEER.MATCHES}=-$wlport\$" \
	--macro "{\$EBS.PROC.MATCHES}=." --macro "{\$EBS.CGROUP.MATCHES}=^ebs-zbx-$$/" \
	--cpus "$ncpu" --port "$wlport" --peer-port "$wlport" --syscall getppid --fileio write \
	--proc "$agent_pid:ebpfstats-agent" "$cgopt" "$cgarg" ||
	fail=$((fail + 1))
finish
