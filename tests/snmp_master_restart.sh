#!/bin/bash
# Master restarts under load: a private snmpd master is killed
# (SIGKILL and SIGTERM alternately) and started again 5 times while a
# workload runs and managers walk the subtree.  Each time the subagent must
# serve again within 2 s of the master answering; every Counter64 polled
# over the whole run (every 0.2 s) must never go backwards; the subagent
# keeps its pid, and its open files and memory stay flat.
# Needs root and snmpd: exit 77 otherwise.
# conditions are single-quoted for expect/wait_until's eval (SC2016), and
# variables read only there look unused (SC2034)
# shellcheck disable=SC2016,SC2034,SC2086,SC2317
set -u
# shellcheck source=tests/lib_faults.sh
. "${top_srcdir:-.}/tests/lib_faults.sh"
need_root
need_snmp
RESTARTS=5
MAX_MS=2000
WL_COMM=ebs-rel-mr

start_master
ok "snmpd master on udp:127.0.0.1:$port"

agent_conf "$rel_tmp/agent.yaml"
start_agent "$rel_tmp/agent.yaml" "$rel_tmp/agent.log"
expect "subagent serves" 'isnum "$(get $O.3.1.0)"' || finish
agent0=$agent_pid

nr=$(syscall_nr getppid) || nr=110
idx=$((nr + 1))
# Counter64s: syscalls calls/errors, getppid calls, TCP active/passive
# opens, voluntary switches, every module's events, one histogram bucket
# (the first run-queue bucket with samples: buckets have rows from their
# first sample on)
wait_until 10 '[ -n "$(snmpgetnext $SNMP -On $O.6.1.5.2 2>/dev/null | grep "^$O\.6\.1\.5\.2\.")" ]'
hb=$(snmpgetnext $SNMP -On $O.6.1.5.2 2>/dev/null | cut -d' ' -f1)
C64="$O.3.1.0 $O.3.2.0 $O.3.10.1.3.$idx $O.4.1.0 $O.4.2.0 $O.5.1.0 \
$O.2.1.6.1 $O.2.1.6.2 $O.2.1.6.3 $hb"

# ---- load: a workload, a manager walking, a poller --------------------------
(
	while :; do
		"$WL" getppid 3000 "$WL_COMM" >/dev/null 2>&1
		"$WL" tcp 20 >/dev/null 2>&1
		sleep 0.05
	done
) &
wl_pid=$!
track "$wl_pid"
(
	while :; do
		snmpbulkwalk $SNMP -On -Cr50 $O >/dev/null 2>&1
	done
) &
walk_pid=$!
track "$walk_pid"
(
	while :; do
		# one GET with every counter: values of one instant
		# shellcheck disable=SC2086
		snmpget -v2c -c public -r0 -t1 127.0.0.1:"$port" -On $C64 2>/dev/null |
			awk -v t="$(date +%s%N)" '$3 == "Counter64:" { print t, $1, $4 }'
		sleep 0.2
	done
) >"$rel_tmp/poll.out" &
poll_pid=$!
track "$poll_pid"
sleep 3
fd0=$(fd_count "$agent_pid")
rss0=$(rss_kb "$agent_pid")
note "subagent before the restarts: $fd0 open files, VmRSS $rss0 kB"

# ---- the restarts -------------------------------------------------------------
worst=0
for i in $(seq 1 $RESTARTS); do
	sig=KILL
	[ $((i % 2)) -eq 0 ] && sig=TERM
	before=$(get $O.3.1.0)
	kill -"$sig" "$snmpd_pid"
	wait "$snmpd_pid" 2>/dev/null
	untrack "$snmpd_pid"
	sleep 0.$((RANDOM % 10)) # the master stays away for a while
	if ! start_snmpd; then
		no "restart $i: snmpd starts again"
		continue
	fi
	t_up=$(now_ms)
	wait_until 10 'isnum "$(get1 $O.3.1.0)"'
	t_serve=$(now_ms)
	d=$((t_serve - t_up))
	[ "$d" -gt "$worst" ] && worst=$d
	after=$(get $O.3.1.0)
	expect "restart $i (SIG$sig): the subagent serves ${d} ms after the master answers (<= $MAX_MS ms)" \
		'isnum "$after" && [ "$d" -le $MAX_MS ]'
	expect "restart $i: ebsSyscallsCalls.0 did not go backwards ($before -> $after)" \
		'[ "$after" -ge "$before" ]'
	expect "restart $i: the same subagent process ($agent0) serves" \
		'[ "$agent_pid" = "$agent0" ] && kill -0 "$agent0"'
	sleep 1 # walks and polls under the new master
done
note "worst time from master up to subagent serving: $worst ms"

sleep 2
fd1=$(fd_count "$agent_pid")
rss1=$(rss_kb "$agent_pid")
note "subagent after $RESTARTS restarts: $fd1 open files, VmRSS $rss1 kB"
stop_pid "$poll_pid"
stop_pid "$walk_pid"
stop_pid "$wl_pid"

# ---- what the poller saw --------------------------------------------------------
samples=$(wc -l <"$rel_tmp/poll.out")
oids=$(awk '{print $2}' "$rel_tmp/poll.out" | sort -u | wc -l)
expect "poller collected Counter64 samples of all 10 objects ($samples samples, $oids objects)" \
	'[ "$samples" -ge 200 ] && [ "$oids" -eq 10 ]'
backwards=$(awk '{ if (($2 in last) && $3 + 0 < last[$2] + 0) print $2, last[$2], "->", $3; last[$2] = $3 }' \
	"$rel_tmp/poll.out")
expect "no Counter64 ever went backwards over the whole run${backwards:+: $backwards}" \
	'[ -z "$backwards" ]'
grew=$(awk '{ if (!($2 in first)) first[$2] = $3; last[$2] = $3 }
	END { for (o in first) if (last[o] + 0 > first[o] + 0) n++; print n + 0 }' "$rel_tmp/poll.out")
expect "the counters kept counting through the restarts ($grew of 10 grew)" '[ "$grew" -ge 8 ]'
expect "subagent open files flat over $RESTARTS reconnects ($fd0 -> $fd1)" \
	'[ "$fd1" -le $((fd0 + 2)) ]'
if under_asan; then
	note "under ASan: VmRSS not compared ($rss0 -> $rss1 kB); LeakSanitizer checks for leaks"
else
	expect "subagent VmRSS flat over $RESTARTS reconnects ($rss0 -> $rss1 kB, allowance 1024 kB)" \
		'[ "$rss1" -le $((rss0 + 1024)) ]'
fi
expect "the subagent logged no failed snapshot" '! grep -q "snapshot failed" "$rel_tmp/agent.log"'

stop_pid "$agent_pid" TERM
finish
