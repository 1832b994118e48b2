#!/bin/bash
# One cgroup row through every front-end: the CLI's JSON, the subagent's
# ebsCgroupTable over a real snmpd, and the collectd plugin's csv files read
# the same pinned programs and must give the same numbers for a cgroup of
# our own (made under the cgroup2 mount of /proc/mounts, a known workload
# moved into it, finished before the numbers are read, so they no longer
# move).  Then the cgroup is removed and its row leaves the table.
# Needs root, snmpd and collectd: exit 77 otherwise.
# conditions are single-quoted for expect/wait_until's eval (SC2016), and
# variables read only there look unused (SC2034)
# shellcheck disable=SC2016,SC2034
set -u
# shellcheck source=tests/lib.sh
. "${top_srcdir:-.}/tests/lib.sh"
PLUGIN_SO="$top_builddir/.libs/ebpf.so"
N=3000 # getppid calls

need_root "needs root (BPF, cgroups)"
need_snmp
COLLECTD=$(command -v collectd || ls /usr/sbin/collectd 2>/dev/null)
[ -n "$COLLECTD" ] || skip "no collectd binary"
[ -r "$PLUGIN_SO" ] || skip "the collectd plugin is not built"
SYS_PLUGINDIR=$("$COLLECTD" -h 2>/dev/null | sed -n 's/^ *Plugin directory *//p')
: "${SYS_PLUGINDIR:=/usr/lib/collectd}"
SYS_TYPESDB=/usr/share/collectd/types.db
[ -r "$SYS_PLUGINDIR/csv.so" ] && [ -r "$SYS_TYPESDB" ] || skip "collectd's csv plugin or types.db missing"
mnt=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
[ -n "$mnt" ] || skip "no cgroup2 mount in /proc/mounts"

rel="ebs-cgfe-$$/a"
cg="$mnt/$rel"
cleanup_hook() {
	rmdir "$cg" "$mnt/ebs-cgfe-$$" 2>/dev/null
	:
}
mkdir -p "$cg" || skip "cannot make a cgroup under $mnt"
id=$(stat -c %i "$cg")
cdname="cgroup-ebs-cgfe-$$_a"

new_pin cgfe
cfg="$tmp/ebs.yaml"
printf 'integrations:\n  ebpf:\n    pin_path: %s\n    interval: 1s\n    collect_cgroups: true\n' \
	"$pin" >"$cfg"

# the subagent loads and pins the programs; the others reuse them
start_master
AGENT_READY='isnum "$(get1 $O.1.3.0)"'
start_agent "$cfg" "$tmp/agent.log"
expect "subagent serves" 'isnum "$(get $O.1.3.0)"'
expect "ebsAgentCgroupsStatus.0 is ok(1)" '[ "$(get $O.1.5.0)" = 1 ]'

mkdir -p "$tmp/plugins" "$tmp/cd/csv"
cp "$PLUGIN_SO" "$tmp/plugins/ebpf.so"
cp "$SYS_PLUGINDIR/csv.so" "$SYS_PLUGINDIR/logfile.so" "$tmp/plugins/"
cat >"$tmp/cd/collectd.conf" <<EOF
Hostname "ebs-test"
FQDNLookup false
BaseDir "$tmp/cd"
PIDFile "$tmp/cd/collectd.pid"
PluginDir "$tmp/plugins"
TypesDB "$SYS_TYPESDB" "$top_srcdir/collectd/ebpf.types.db"
Interval 1
LoadPlugin logfile
<Plugin logfile>
  LogLevel info
  File "$tmp/cd/collectd.log"
</Plugin>
LoadPlugin csv
<Plugin csv>
  DataDir "$tmp/cd/csv"
  StoreRates false
</Plugin>
LoadPlugin ebpf
<Plugin ebpf>
  ConfigFile "$cfg"
  TopCgroups 0
  Cgroup "ebs-cgfe-*"
</Plugin>
EOF
"$COLLECTD" -f -C "$tmp/cd/collectd.conf" >"$tmp/cd/stdout" 2>&1 &
cd_pid=$!
track "$cd_pid"

# the workload, in a: its own shell writes itself into cgroup.procs first.
# Under ASan its leak check is off: LeakSanitizer's stop-the-world spins on
# sched_yield() while its tracer thread works, a few calls on a quiet host
# and thousands on a busy one (CI saw 2,200), all counted in a's row.
sh -c "echo \$\$ >'$cg/cgroup.procs' && ASAN_OPTIONS='${ASAN_OPTIONS:-}:detect_leaks=0' exec '$WL' getppid $N" ||
	no "workload in $rel"

# the row no longer moves: every front-end must show the same numbers
csv_last() { # csv_last TYPE-INSTANCE: the newest value collectd wrote
	# shellcheck disable=SC2086
	cat "$tmp/cd/csv/ebs-test/ebpf-$cdname/$1"-* 2>/dev/null | awk -F, '$1 != "epoch" { v = $2 } END { print v }'
}
cli_value() { # cli_value METRIC: the row's value in show --json
	"$EBS" show --json -c "$cfg" -i 0.2 2>/dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin)["metrics"]
print(d[sys.argv[1]].get(sys.argv[2], ""))' "$1" "$rel"
}
snmp_calls=""
wait_until 20 'snmp_calls=$(get $O.8.1.5.$id); isnum "$snmp_calls" && [ "$snmp_calls" -ge '$N' ]'
sleep 2.5 # one more refresh of each front-end after the last system call
snmp_calls=$(get $O.8.1.5.$id)
cli_calls=$(cli_value cgroup.syscalls)
cd_calls=""
wait_until 10 'cd_calls=$(csv_last ebpf_calls-syscalls); [ "$cd_calls" = "$snmp_calls" ]'
note "syscalls of $rel: snmp $snmp_calls, cli $cli_calls, collectd $cd_calls"
# the rest are the workload's own start and exit (a few dozen calls; a few
# hundred more under ASan, whose runtime maps its shadow memory and reads
# /proc at start: 264 here)
slack=200
under_asan && slack=1000
expect "ebsCgroupSyscalls.$id counts the $N getppid calls ($snmp_calls, at most $slack more)" \
	'isnum "$snmp_calls" && [ "$snmp_calls" -ge '$N' ] && [ "$snmp_calls" -lt $(('$N' + slack)) ]'
expect "the CLI's cgroup.syscalls[$rel] agrees ($cli_calls)" '[ "$cli_calls" = "$snmp_calls" ]'
expect "collectd's ebpf-$cdname/ebpf_calls-syscalls agrees ($cd_calls)" '[ "$cd_calls" = "$snmp_calls" ]'
on_snmp=$(get $O.8.1.13.$id)
on_cli=$(cli_value cgroup.oncpu_ns)
on_cd=$(csv_last ebpf_time_ns-oncpu)
expect "on-CPU time agrees: snmp $on_snmp, cli $on_cli, collectd $on_cd" \
	'isnum "$on_snmp" && [ "$on_snmp" -gt 0 ] && [ "$on_cli" = "$on_snmp" ] && [ "$on_cd" = "$on_snmp" ]'
expect "ebsCgroupName.$id is $rel" '[ "$(get $O.8.1.2.$id)" = "$rel" ]'
expect "ebsCgroupId.$id is the directory's inode $id" '[ "$(get $O.8.1.3.$id)" = "$id" ]'
expect "ebsCgroupGone.$id is false(2)" '[ "$(get $O.8.1.4.$id)" = 2 ]'
last_int() { # last_int FILES...: the newest value, as an integer (GAUGEs are written 2.000000)
	cat "$@" 2>/dev/null | awk -F, '$1 != "epoch" { v = $2 } END { if (v != "") printf "%d\n", v }'
}
omitted=$(last_int "$tmp/cd/csv/ebs-test/ebpf-self/ebpf_rows-cgroup-omitted"-*)
rows=$(last_int "$tmp/cd/csv/ebs-test/ebpf-self/ebpf_rows-cgroup"-[0-9]*)
sent=$(ls -d "$tmp/cd/csv/ebs-test/ebpf-cgroup-"* 2>/dev/null | wc -l)
note "collectd: $rows cgroup rows, $omitted omitted, $sent cgroup series directories"
# TopCgroups 0: only the selected row is sent, the others (the root's, at
# least: this test's own shell ran there) are counted as omitted
expect "collectd sends the selected row only and counts the others (rows $rows, omitted $omitted)" \
	'isnum "$rows" && [ "$rows" -ge 2 ] && [ "$omitted" = $((rows - 1)) ] && [ "$sent" = 1 ]'

# removed: the row is gone within a few refreshes
rmdir "$cg"
expect "the removed cgroup's row leaves ebsCgroupTable" \
	'wait_until 10 "get $O.8.1.5.$id | grep -qi \"no such\""'
finish
