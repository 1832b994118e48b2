#!/bin/bash
# Front-end restarts: collectd (plugin ebpf) and the AgentX
# subagent run together on one pin path.  The kernel programs are loaded
# once: both processes hold exactly the pinned set of program ids, with one
# link each, and that set never changes while collectd restarts (cleanly and
# after SIGKILL) beside a running subagent, and the subagent restarts beside
# a running collectd.  A filtered workload runs while one front-end is down:
# afterwards both report exactly the sum of every workload (continuous, not
# counted twice).  Needs root, collectd and snmpd: exit 77 otherwise.
# conditions are single-quoted for expect/wait_until's eval (SC2016), and
# variables read only there look unused (SC2034)
# shellcheck disable=SC2016,SC2034,SC2086,SC2317
set -u
# shellcheck source=tests/lib_faults.sh
. "${top_srcdir:-.}/tests/lib_faults.sh"
need_root
need_snmp
[ -n "$COLLECTD" ] || skip "no collectd binary"
[ -r "$PLUGIN_SO" ] || skip "collectd plugin not built (collectd-dev)"
for p in csv logfile; do
	[ -r "$SYS_PLUGINDIR/$p.so" ] || skip "$SYS_PLUGINDIR/$p.so missing"
done
N=3000
COMM=ebs-rel-fe
new_pin rel-fe

# ---- configuration shared by both front-ends ---------------------------------
cat >"$rel_tmp/ebpfstats.yaml" <<EOF
integrations:
  ebpf:
    pin_path: "$pin"
    interval: 1s
    process_filter: [$COMM]
EOF
mkdir -p "$rel_tmp/csv"
collectd_conf csv
cat >>"$rel_tmp/collectd.conf" <<EOF
LoadPlugin csv
<Plugin csv>
  DataDir "$rel_tmp/csv"
  StoreRates false
</Plugin>
LoadPlugin ebpf
<Plugin ebpf>
  ConfigFile "$rel_tmp/ebpfstats.yaml"
</Plugin>
EOF
cd_pid=""
start_collectd() {
	"$COLLECTD" -f -C "$rel_tmp/collectd.conf" >>"$rel_tmp/collectd.out" 2>&1 &
	cd_pid=$!
	track "$cd_pid"
}
# newest csv value of getppid calls written after epoch $1 (empty: none yet)
cd_value() {
	# shellcheck disable=SC2012
	cat "$rel_tmp"/csv/ebs-rel/ebpf-syscall/ebpf_calls-getppid-* 2>/dev/null |
		awk -F, -v t="$1" '$1 != "epoch" && $1 + 0 >= t + 0 { v = $2 } END { if (v != "") print v + 0 }'
}
nr=$(syscall_nr getppid) || nr=110
idx=$((nr + 1))
snmp_value() { get1 $O.3.10.1.3.$idx; }
# both_report WANT: collectd (a value stamped after now) and SNMP say WANT
both_report() {
	local t want=$1
	t=$(date +%s)
	wait_until 15 '[ "$(cd_value $t)" = "$want" ] && [ "$(snmp_value)" = "$want" ]'
}

start_master

# ---- collectd first: it loads and pins ----------------------------------------
start_collectd
wait_until 20 '[ -e "$pin/v$LAYOUT/sched/meta" ] && [ -e "$pin/v$LAYOUT/syscalls/meta" ] && [ -e "$pin/v$LAYOUT/tcp/meta" ]'
expect "collectd loaded and pinned the three modules" '[ -e "$pin/v$LAYOUT/sched/meta" ]' || finish
start_agent "$rel_tmp/ebpfstats.yaml" "$rel_tmp/agent.log"
expect "the subagent serves" 'isnum "$(get $O.3.1.0)"' || finish

P=$(pinned_prog_ids "$pin" | tr '\n' ' ')
np=$(echo "$P" | wc -w)
set_ok() { # set_ok LABEL: both processes hold exactly the pinned set, one link each
	local c a l
	c=$(held_prog_ids "$cd_pid" | tr '\n' ' ')
	a=$(held_prog_ids "$agent_pid" | tr '\n' ' ')
	l=$(links_of_progs "$P" | count_lines)
	expect "$1: pinned programs are still the same $np ids" '[ "$(pinned_prog_ids "$pin" | tr "\n" " ")" = "$P" ]'
	expect "$1: collectd holds exactly them" '[ "$c" = "$P" ]' || note "collectd holds $c"
	expect "$1: the subagent holds exactly them" '[ "$a" = "$P" ]' || note "the subagent holds $a"
	expect "$1: bpftool link list shows one link per program ($l links for $np programs)" \
		'[ "$l" = "$np" ]'
}
note "pinned program ids: $P"
expect "one set: $np programs, one pinned link each" \
	'[ "$np" -ge 3 ] && [ "$(pinned_link_ids "$pin" | count_lines)" = "$np" ]'
set_ok "both running"
expect "the subagent reused the pins: ebsAgentProgramsLoaded.0 is 0" '[ "$(get $O.1.3.0)" = 0 ]'
expect "collectd logged the load, not a reuse" \
	'grep -q "module syscalls ok" "$rel_tmp/collectd.log" &&
	 ! grep -q "reusing pinned" "$rel_tmp/collectd.log"'

total=0
run_wl() { "$WL" getppid "$N" "$COMM" || no "workload"; total=$((total + N)); }
run_wl
both_report $total
expect "workload 1: both front-ends report exactly $total (collectd $(cd_value 0), SNMP $(snmp_value))" \
	'[ "$(cd_value 0)" = $total ] && [ "$(snmp_value)" = $total ]'

# ---- collectd restarts beside the running subagent ---------------------------
kill -TERM "$cd_pid"
wait "$cd_pid" 2>/dev/null
untrack "$cd_pid"
run_wl # nobody but the subagent reads now
wait_until 10 '[ "$(snmp_value)" = $total ]'
expect "collectd down: the subagent counts on ($(snmp_value) = $total)" '[ "$(snmp_value)" = $total ]'
start_collectd
both_report $total
expect "collectd restarted: both report exactly $total" \
	'[ "$(cd_value 0)" = $total ] && [ "$(snmp_value)" = $total ]'
expect "collectd restarted: it reused the pins" 'grep -q "reusing pinned" "$rel_tmp/collectd.log"'
set_ok "collectd restarted"

# ---- the subagent restarts beside the running collectd -----------------------
stop_pid "$agent_pid" TERM
t=$(date +%s)
run_wl
wait_until 10 '[ "$(cd_value $t)" = $total ]'
expect "subagent down: collectd counts on ($(cd_value 0) = $total)" '[ "$(cd_value $t)" = $total ]'
start_agent "$rel_tmp/ebpfstats.yaml" "$rel_tmp/agent2.log"
both_report $total
expect "subagent restarted: both report exactly $total" \
	'[ "$(cd_value 0)" = $total ] && [ "$(snmp_value)" = $total ]'
set_ok "subagent restarted"

# ---- collectd crashes (SIGKILL) and comes back -------------------------------
kill -KILL "$cd_pid"
wait "$cd_pid" 2>/dev/null
untrack "$cd_pid"
run_wl
start_collectd
run_wl
both_report $total
expect "after collectd's SIGKILL and restart: both report exactly $total" \
	'[ "$(cd_value 0)" = $total ] && [ "$(snmp_value)" = $total ]'
set_ok "collectd killed and restarted"
expect "no ebpf error in collectd's log" '! grep -q "ebpf plugin:.*\(failed\|error\)" "$rel_tmp/collectd.log"'

# ---- both gone: the pinned links keep the programs; unload removes them -------
stop_pid "$cd_pid" TERM
stop_pid "$agent_pid" TERM
alive=0
for id in $P; do prog_alive "$id" && alive=$((alive + 1)); done
expect "both front-ends stopped: the $np pinned programs stay loaded ($alive)" '[ "$alive" = "$np" ]'
"$EBS" unload --pin-path "$pin" >"$rel_tmp/unload.out" 2>&1
wait_until 5 'all_gone "$P"'
alive=0
for id in $P; do prog_alive "$id" && alive=$((alive + 1)); done
links=$(links_of_progs "$P" | count_lines)
expect "ebpfstats unload: no pin, no program ($alive), no link ($links) left" \
	'[ ! -e "$pin" ] && [ "$alive" = 0 ] && [ "$links" = 0 ]'
finish
