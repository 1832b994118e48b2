#!/bin/sh
# On-CPU time per process, end to end: a real snmpd master, ebpfstats-agentx
# with the sched module (memory off) on pins of its own, and a CPU hog
# (ebs-workload spin: 2 threads of 800 ms each, then SIGSTOP, so that its
# time holds still).  ebsProcCpuTime.PID and the row of `ebpfstats show
# --json` on the same pins are within 5 % of the hog's utime + stime in
# /proc/PID/stat; ebsProcComm.PID is its name; ebsProcFaultsUser.PID has
# no instance (the memory module does not run); the row goes once the hog
# exits.  Needs root (BPF) and snmpd: exit 77 otherwise.
# shellcheck disable=SC2034 # variables read only in expect's eval'ed conditions
set -u
# shellcheck source=tests/lib.sh
. "${top_srcdir:-.}/tests/lib.sh"
SPIN_MS=800
SPIN_THREADS=2
PROC=$O.7.20.1 # ebsProcEntry

need_root "needs root (BPF)"
need_snmp
new_pin proccpu
start_master
ok "snmpd master on udp:127.0.0.1:$port"

printf 'integrations:\n  ebpf:\n    pin_path: %s\n    interval: 1s\n    collect_syscalls: false\n    collect_tcp: false\n' \
	"$pin" >"$tmp/agent.yaml"
start_agent "$tmp/agent.yaml" "$tmp/agent.log"
expect "subagent serves ebsSchedSwitchesVoluntary.0" 'isnum "$(get $O.5.1.0)"'

# the hog's state letter and utime + stime in ns: fields 3, 14, 15 of
# /proc/PID/stat, counted after the comm's closing parenthesis
hz=$(getconf CLK_TCK)
stat_of() { # stat_of PID: "STATE NS"
	sed 's/.*) //' "/proc/$1/stat" 2>/dev/null |
		awk -v hz="$hz" '{printf "%s %.0f\n", $1, ($12 + $13) * 1e9 / hz}'
}
# within5 A B: |A - B| <= 5 % of B, A may be $steal ns more.  The programs
# time a slice by the clock, the kernel's utime + stime leave out the time
# the hypervisor ran something else (steal, CONFIG_PARAVIRT_TIME_ACCOUNTING):
# on a busy VM host that was 7 % of the hog's run once.
within5() {
	awk -v a="$1" -v b="$2" -v s="${steal:-0}" \
		'BEGIN { d = a - b; exit !(b > 0 && d <= 0.05 * b + s && -d <= 0.05 * b) }'
}
steal_ns() { # all CPUs' steal time so far (/proc/stat), in ns
	awk -v hz="$hz" '$1 == "cpu" { printf "%.0f\n", $9 * 1e9 / hz }' /proc/stat
}

steal0=$(steal_ns)
"$WL" spin "$SPIN_MS" "$SPIN_THREADS" &
hog=$!
track "$hog"
expect "the hog spins $SPIN_THREADS x $SPIN_MS ms and stops itself" \
	'wait_until 120 "stat_of $hog | grep -q \"^T \""'
ref=$(stat_of "$hog" | cut -d' ' -f2)
steal=$(($(steal_ns) - steal0))
note "steal time during the run, all CPUs: $steal ns"
expect "its utime + stime is at least 95 % of $((SPIN_MS * SPIN_THREADS)) ms ($ref ns)" \
	'[ "$ref" -ge $((SPIN_MS * SPIN_THREADS * 950000)) ]'

# a refresh of the subagent after the stop: the value no longer moves
v1="" v=""
wait_until 15 'v1=$(get1 $PROC.5.$hog); isnum "$v1" && sleep 1.5 &&
	v=$(get1 $PROC.5.$hog) && [ "$v" = "$v1" ]'
note "pid $hog: ebsProcCpuTime $v ns, utime+stime $ref ns"
expect "ebsProcCpuTime.$hog is within 5 % of utime + stime (got $v, want $ref)" \
	'isnum "$v" && within5 "$v" "$ref"'
comm=$(get "$PROC.2.$hog")
expect "ebsProcComm.$hog is ebs-workload (got $comm)" '[ "$comm" = ebs-workload ]'
faults=$(get "$PROC.3.$hog")
expect "ebsProcFaultsUser.$hog has no instance: memory does not run (got $faults)" \
	'echo "$faults" | grep -q "No Such Instance"'

# the CLI on the same pins, through the JSON
json=$("$EBS" show --json --pin-path "$pin" -i 0.3 -c "$tmp/agent.yaml" 2>"$tmp/show.log")
j=$(echo "$json" | python3 -c 'import json, sys
print(json.load(sys.stdin)["metrics"]["sched.proc.oncpu_ns"].get(sys.argv[1], ""))' \
	"$hog-ebs-workload" 2>>"$tmp/show.log")
expect "show --json: sched.proc.oncpu_ns of $hog-ebs-workload is within 5 % of utime + stime (got $j)" \
	'isnum "$j" && within5 "$j" "$ref"'

kill -CONT "$hog"
wait "$hog"
untrack "$hog"
gone=""
wait_until 10 'gone=$(get1 $PROC.5.$hog); [ -z "$gone" ] || echo "$gone" | grep -q "No Such"'
expect "the row is gone once the hog exited (got '$gone')" \
	'[ -z "$gone" ] || echo "$gone" | grep -q "No Such"'
finish
