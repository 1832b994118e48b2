#!/bin/sh
# What a setting that is off, or a module that does not run, means over
# SNMP: the objects it would feed have no instance (noSuchInstance to a
# GET, skipped by a walk), as collectd sends no value for them: one policy,
# ebs_metric_active() (src/catalog.c).  A subagent with latency, file I/O
# and BPF stats off and the memory module disabled; the objects that stay
# are served.  Needs root and snmpd: exit 77 otherwise.
set -u
# shellcheck source=tests/lib.sh
. "${top_srcdir:-.}/tests/lib.sh"
need_root
need_snmp
WL_COMM=ebs-snmp-views

nosuch() { # nosuch OID: a GET answers noSuchInstance
	# shellcheck disable=SC2086
	snmpget $SNMP -On "$1" 2>&1 | grep -q "No Such Instance"
}
oids() { # oids OID: the instances a walk returns under OID
	# shellcheck disable=SC2086
	snmpwalk $SNMP -On "$1" 2>/dev/null | cut -d' ' -f1 | grep "^$1\."
}

start_master
agent_conf "$tmp/agent.yaml" "$WL_COMM" "collect_syscall_latency: false" "collect_file_io: false" \
	"collect_memory: false" "bpf_stats: false"
AGENT_READY='isnum "$(get $O.3.1.0)"'
start_agent "$tmp/agent.yaml" "$tmp/agent.log"
"$WL" getppid 1000 "$WL_COMM" >/dev/null || no "workload getppid"
nr=$(syscall_nr getppid) || nr=110
idx=$((nr + 1))
wait_until 10 '[ "$(get $O.3.10.1.3.$idx)" = 1000 ]'

# served: the counters of what runs
expect "ebsSyscallsCalls.0 is served ($(get $O.3.1.0))" 'isnum "$(get $O.3.1.0)"'
expect "ebsSyscallCalls.$idx (getppid) is 1000" '[ "$(get $O.3.10.1.3.$idx)" = 1000 ]'
# latency off: no totals, no percentiles, no per-syscall latency columns
for o in 3.3.0 3.4.0 3.5.0 3.10.1.5.$idx 3.10.1.6.$idx 3.10.1.8.$idx; do
	expect "latency off: $O.$o has no instance" 'nosuch $O.$o'
done
expect "latency off: a walk of ebsSyscallTable has calls and errors, no latency column" \
	'[ -n "$(oids $O.3.10.1.3)" ] && [ -z "$(oids $O.3.10.1.5)" ] && [ -z "$(oids $O.3.10.1.6)" ] &&
	 [ -z "$(oids $O.3.10.1.8)" ]'
nxt=$(snmpgetnext $SNMP -On $O.3.10.1.4.999999 2>/dev/null | cut -d' ' -f1)
expect "GETNEXT past the errors column skips the latency columns ($nxt)" \
	'! echo "$nxt" | grep -q "^$O\.3\.10\.1\.[5-9]\."'
# file I/O off: no byte totals
expect "file I/O off: ebsSyscallsReadBytes.0 and WriteBytes.0 have no instance" \
	'nosuch $O.3.8.0 && nosuch $O.3.9.0'
# BPF stats off (unless the host turned them on): no run time
if [ "$(cat /proc/sys/kernel/bpf_stats_enabled 2>/dev/null)" != 1 ]; then
	expect "BPF stats off: no ebsModuleRunTime or RunCount instance" \
		'[ -z "$(oids $O.2.1.8)" ] && [ -z "$(oids $O.2.1.9)" ] && nosuch $O.2.1.8.1'
else
	note "kernel.bpf_stats_enabled=1 on this host: run time is live, not checked"
fi
# a disabled module: its status and reason, not its counters
expect "memory disabled: ebsModuleStatus.4 is disabled(4)" '[ "$(get $O.2.1.3.4)" = 4 ]'
expect "memory disabled: no ebsModuleEvents.4, but .1 (syscalls) is served" \
	'nosuch $O.2.1.6.4 && isnum "$(get $O.2.1.6.1)"'
expect "memory disabled: its scalars have no instance (ebsMemoryPageFaultsUser.0)" 'nosuch $O.7.1.0'
expect "the walk of the module table holds status for all 4 modules, events for 3" \
	'[ "$(oids $O.2.1.3 | wc -l)" = 4 ] && [ "$(oids $O.2.1.6 | wc -l)" = 3 ]'
# the whole subtree still walks without an error
# shellcheck disable=SC2086
snmpwalk $SNMP -On $ROOT >"$tmp/walk.out" 2>&1
expect "a walk of the subtree ends without an error ($(grep -c '^\.' "$tmp/walk.out") objects)" \
	'! grep -qv "^\." "$tmp/walk.out"'
finish
