#!/bin/sh
# Notifications end to end (issue 16).  A real snmptrapd (-f -Lo) on a
# loopback port is the trap2sink of the test's own snmpd master; the
# subagent sends through the master over AgentX:
#  1. its own load of the programs: ebsProgramsLoaded, also as an SNMPv3
#     authPriv inform to a trapsess destination (a second snmptrapd);
#  2. an OOM kill in a memory cgroup the test makes (v2 memory.max, or v1
#     memory.limit_in_bytes): ebsOomKill with the victim's pid, name and
#     cgroup v2 path (on a hybrid host a cgroup2 child the test makes too,
#     deeper than cgroup_depth: the victim's own, not its row's);
#  -. a threshold with snmpd's own engine: `monitor` (DISMAN-EVENT-MIB) on
#     ebsSchedRunqLatencyP99.0 fires mteTriggerFired under CPU hogs;
#  3. a flood of loopback sockets against map_sizes.sockets 64, over
#     several refresh intervals: exactly one ebsOverflow naming tcp_socks;
#  -. `monitor` on ebsTcpRetransmitRate.0 (Gauge32) fires under SYN
#     retransmits of loopback connects to a full listen queue, while one on
#     the Counter64 ebsTcpRetransmits.0 > 0 never does (net-snmp 5.9
#     compares only its high 32 bits);
#  4. SIGHUP with collect_tcp false: ebsModuleStatusChange tcp ok -> disabled
#     with the reason;
#  5. notify_limit 2: three status changes at once within the minute of
#     the one before: one sent, two counted in ebsAgentNotificationsSuppressed;
#  6. collectd (LoadPlugin logfile + ebpf) logs the same events as
#     notifications: programs_loaded and oom_kill (with the cgroup, here
#     with CollectCgroups true, the subagent's without); and collectd's threshold
#     plugin notifies on an ebpf value (run-queue p99 above WarningMax).
# Needs root, snmpd and snmptrapd (collectd for 6): exit 77 otherwise.
# expect's conditions are eval'ed later, hence single quotes:
# shellcheck disable=SC2016,SC2034
set -u
# shellcheck source=tests/lib.sh
. "${top_srcdir:-.}/tests/lib.sh"
N=$ROOT.3.0 # ebsNotificationsPrefix
NO=$ROOT.3.1 # ebsNotifyObjects
HOG=ebs-oom-hog

need_root
need_snmp
TRAPD=$(command -v snmptrapd || ls /usr/sbin/snmptrapd 2>/dev/null)
[ -n "$TRAPD" ] || skip "snmptrapd missing (package snmptrapd)"
command -v python3 >/dev/null 2>&1 || skip "python3 missing (the socket flood and the hog)"

# ---- a memory cgroup: v2 memory.max, or the v1 memory hierarchy ----------------
memcg="" memcg_limit=""
v2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
if [ -n "$v2" ] && [ -f "$v2/cgroup.controllers" ] && grep -qw memory "$v2/cgroup.controllers"; then
	echo +memory >"$v2/cgroup.subtree_control" 2>/dev/null
	memcg=$v2/ebs-notify-$$ memcg_limit=memory.max
else
	v1=$(awk '$3 == "cgroup" && $4 ~ /(^|,)memory(,|$)/ { print $2; exit }' /proc/mounts)
	[ -n "$v1" ] && memcg=$v1/ebs-notify-$$ memcg_limit=memory.limit_in_bytes
fi
# the victim's cgroup v2 (ebsNotifyCgroup), as a path below the cgroup2
# mount: the memory cgroup itself on a v2 host; on a hybrid one (memory on
# v1) a cgroup2 child of our own, three levels down (cgroup_depth is 2)
cg2="" cg2_rel=""
if [ -n "$memcg" ] && [ -n "$v2" ]; then
	case $memcg in
	"$v2"/*) cg2=$memcg ;;
	*) cg2=$v2/ebs-notify-$$/svc/victim ;;
	esac
	cg2_rel=${cg2#"$v2"/}
fi
cleanup_hook() {
	[ -n "$memcg" ] && [ -d "$memcg" ] && rmdir "$memcg" 2>/dev/null
	[ -n "$cg2" ] && [ "$cg2" != "$memcg" ] &&
		rmdir "$cg2" "$v2/ebs-notify-$$/svc" "$v2/ebs-notify-$$" 2>/dev/null
	:
}
# run_hog: a process named $HOG touches 256 MiB in a 48 MiB cgroup; prints
# its pid.  The OOM killer picks it (no swap to escape to).
run_hog() {
	mkdir -p "$memcg" && echo $((48 << 20)) >"$memcg/$memcg_limit" || return 1
	[ -f "$memcg/memory.swap.max" ] && echo 0 >"$memcg/memory.swap.max"
	[ -f "$memcg/memory.memsw.limit_in_bytes" ] &&
		echo $((48 << 20)) >"$memcg/memory.memsw.limit_in_bytes" 2>/dev/null
	# the interpreter itself, not a wrapper script (pyenv's shims)
	ln -sf "$(python3 -c 'import os, sys; print(os.path.realpath(sys.executable))')" "$tmp/$HOG"
	[ -z "$cg2" ] || mkdir -p "$cg2" || return 1
	# the shell moves itself in (and into its cgroup v2 on a hybrid host),
	# then becomes the hog (same pid)
	sh -c 'echo $$ >"$1/cgroup.procs" && { [ -z "$3" ] || echo $$ >"$3/cgroup.procs"; } &&
		exec "$2" -c "x = b\"y\" * (256 << 20)"' \
		sh "$memcg" "$tmp/$HOG" "$cg2" >/dev/null 2>&1 &
	_rh_pid=$!
	wait "$_rh_pid"
	echo "$_rh_pid"
}

# ---- snmptrapd, snmpd with it as trap2sink, the subagent ----------------------------
# start_trapd PORT CONF LOG: snmptrapd on 127.0.0.1:PORT, one line per
# notification: its varbinds, numeric, |-separated; sets trapd_pid
start_trapd() {
	SNMP_PERSISTENT_DIR="$tmp/persist-$1" "$TRAPD" -f -Lo -C -c "$2" -On -F 'TRAP %V|%v\n' \
		-A udp:127.0.0.1:"$1" >"$3" 2>&1 &
	trapd_pid=$! _st_log=$3
	track "$trapd_pid"
	# (wait_until's own arguments replace $1..$3)
	wait_until 10 'grep -q "NET-SNMP version" "$_st_log" || ! kill -0 $trapd_pid 2>/dev/null'
	kill -0 "$trapd_pid" 2>/dev/null
}
tport=$(($$ % 10000 + 50000))
cat >"$tmp/snmptrapd.conf" <<EOF
disableAuthorization yes
doNotRetainNotificationLogs yes
EOF
# ---- SNMPTT in standalone mode behind it, as docs/nagios.md sets it up --------
# snmpttconvertmib makes one EVENT per NOTIFICATION-TYPE with an EXEC of
# Nagios' submit_check_result (here a script of the same output into a
# plain file: Nagios' command file), edited as the docs say: ebsProgramsLoaded
# state 0, ebsOverflow 1
SNMPTT=$(command -v snmptt || ls /usr/sbin/snmptt 2>/dev/null)
SNMPTT_CMD="$tmp/nagios-snmptt.cmd"
snmptt=""
if [ -n "$SNMPTT" ] && command -v snmpttconvertmib >/dev/null 2>&1 && [ -r /etc/snmp/snmptt.ini ] &&
	mibdir=$(sh "$top_srcdir/tests/mibs-fetch.sh" 2>/dev/null); then
	cat >"$tmp/submit_check_result" <<EOF
#!/bin/sh
# submit_check_result HOST SERVICE STATE TEXT, as Nagios' eventhandler
printf '[%s] PROCESS_SERVICE_CHECK_RESULT;%s;%s;%s;%s\\n' "\$(date +%s)" "\$1" "\$2" "\$3" "\$4" >>"$SNMPTT_CMD"
EOF
	chmod +x "$tmp/submit_check_result"
	MIBDIRS="$mibdir:$top_srcdir/mibs" MIBS=+EBPFSTATS-MIB snmpttconvertmib \
		--in="$top_srcdir/mibs/EBPFSTATS-MIB.txt" --out="$tmp/snmptt.conf" \
		--exec="$tmp/submit_check_result \$r \"ebpfstats events\" 2 \"\$N: \$*\"" >"$tmp/snmpttconvertmib.log" 2>&1
	sed -i -e '/^EVENT ebsProgramsLoaded /,/^EXEC /s/ "ebpfstats events" 2 / "ebpfstats events" 0 /' \
		-e '/^EVENT ebsOverflow /,/^EXEC /s/ "ebpfstats events" 2 / "ebpfstats events" 1 /' "$tmp/snmptt.conf"
	# Debian's snmptt.ini with this test's files; ipv6_enable 0: its
	# Net::IP (libnet-ip-perl) is not among the package's dependencies
	awk -v conf="$tmp/snmptt.conf" -v dir="$tmp" '
		/^snmptt_conf_files = <<END/ { print; print conf; skip = 1; next }
		skip && /^END/ { skip = 0 }
		skip { next }
		/^mode = / { print "mode = standalone"; next }
		/^ipv6_enable = / { print "ipv6_enable = 0"; next }
		/^(syslog_enable|syslog_system_enable) = / { sub(/= .*/, "= 0") }
		/^log_file = / { print "log_file = " dir "/snmptt.log"; next }
		/^log_system_file = / { print "log_system_file = " dir "/snmpttsystem.log"; next }
		/^unknown_trap_log_file = / { print "unknown_trap_log_file = " dir "/snmpttunknown.log"; next }
		{ print }' /etc/snmp/snmptt.ini >"$tmp/snmptt.ini"
	if [ "$(grep -c '^EVENT ' "$tmp/snmptt.conf")" -eq 4 ]; then
		snmptt=yes
		echo "traphandle default $SNMPTT --ini=$tmp/snmptt.ini" >>"$tmp/snmptrapd.conf"
		ok "snmpttconvertmib: an EVENT for each of the 4 notifications of EBPFSTATS-MIB"
	else
		no "snmpttconvertmib: an EVENT for each of the 4 notifications of EBPFSTATS-MIB ($(grep -c '^EVENT ' "$tmp/snmptt.conf"))"
	fi
else
	note "snmptt, snmpttconvertmib or the base MIBs missing: SNMPTT not tested (package snmptt)"
fi
# snmptt_line EVENT: the Nagios command file lines SNMPTT submitted for it;
# $* ends with ebsNotifyTime, a DateAndTime in hex (and a blank), but for
# ebsOomKill, whose last varbind is ebsNotifyCgroup (after one more blank)
DATE_HEX='([0-9A-F]{2} ){11}'
snmptt_line() {
	sed -n "s/^\[[0-9]*\] \(PROCESS_SERVICE_CHECK_RESULT;[^;]*;ebpfstats events;[0-3];$1: .*\)/\1/p" "$SNMPTT_CMD" 2>/dev/null
}
start_trapd "$tport" "$tmp/snmptrapd.conf" "$tmp/traps.log" ||
	{ no "snmptrapd starts on udp:127.0.0.1:$tport"; finish; }
ok "snmptrapd on udp:127.0.0.1:$tport"
# a second one for SNMPv3 informs (trapsess -Ci -v3): authPriv, acknowledged
v3port=$((tport + 1))
cat >"$tmp/snmptrapd-v3.conf" <<EOF
createUser ebsTrap SHA ebs-trap-auth AES ebs-trap-priv
authUser log ebsTrap authPriv
doNotRetainNotificationLogs yes
EOF
start_trapd "$v3port" "$tmp/snmptrapd-v3.conf" "$tmp/traps-v3.log" ||
	{ no "snmptrapd starts on udp:127.0.0.1:$v3port"; finish; }
ok "snmptrapd for SNMPv3 informs on udp:127.0.0.1:$v3port"

# thresholds with snmpd's own engine (DISMAN-EVENT-MIB): its internal
# queries go through the master to the subagent as a user's would.  The
# limit is well above this host's run-queue p99 now (other work shares it):
# twice the highest of three 1 s samples, at least 5 ms.
RUNQ_P99=$O.5.11.0
printf 'integrations:\n  ebpf:\n    pin_path: ""\n    collect_syscalls: false\n    collect_tcp: false\n' \
	>"$tmp/sched.yaml"
RUNQ_LIMIT=5000
for _i in 1 2 3; do
	_v=$("$EBS" show -c "$tmp/sched.yaml" -i 1 --json 2>/dev/null |
		python3 -c 'import json, sys; print(int(json.load(sys.stdin)["metrics"]["sched.runq.p99_us"]))')
	isnum "$_v" && [ $((_v * 2)) -gt "$RUNQ_LIMIT" ] && RUNQ_LIMIT=$((_v * 2))
done
note "run-queue p99 limit $RUNQ_LIMIT µs"
# the same for the retransmit rate: twice the highest of three samples, at
# least 100/s (the workload below makes about 600 in a second, twice)
RETR_RATE=$O.4.24.0 RETRANS=$O.4.6.0
printf 'integrations:\n  ebpf:\n    pin_path: ""\n    collect_syscalls: false\n    collect_scheduler: false\n' \
	>"$tmp/tcp.yaml"
RETR_LIMIT=100
for _i in 1 2 3; do
	_v=$("$EBS" show -c "$tmp/tcp.yaml" -i 1 --json 2>/dev/null |
		python3 -c 'import json, sys; print(int(json.load(sys.stdin)["metrics"]["tcp.retransmits.rate"]))')
	isnum "$_v" && [ $((_v * 2)) -gt "$RETR_LIMIT" ] && RETR_LIMIT=$((_v * 2))
done
note "retransmit rate limit $RETR_LIMIT/s"
SNMPD_EXTRA="trap2sink 127.0.0.1:$tport public
trapsess -Ci -v3 -u ebsTrap -l authPriv -a SHA -A ebs-trap-auth -x AES -X ebs-trap-priv 127.0.0.1:$v3port
createUser ebsMonitor SHA ebs-monitor-pass AES
iquerySecName ebsMonitor
rouser ebsMonitor
monitor -I -r 1 -o $RUNQ_P99 ebsRunqP99High $RUNQ_P99 > $RUNQ_LIMIT
monitor -I -r 1 -o $RETR_RATE ebsRetransHigh $RETR_RATE > $RETR_LIMIT
monitor -I -r 1 ebsRetransCounter64 $RETRANS > 0"
start_master
ok "snmpd master on udp:127.0.0.1:$port, trap2sink 127.0.0.1:$tport"

traps() { # traps NOTIFICATION-SUBID: the lines of that notification
	grep -F "$N.$1" "$tmp/traps.log" | grep -F "1.3.6.1.6.3.1.1.4.1.0" || true
}
ntraps() { traps "$1" | grep -c . ; }
vb() { # vb LINE OID: the value of one varbind of a trap line
	echo "$1" | tr '|' '\n' | sed -n "s/^\.\{0,1\}$2 = [A-Za-z0-9-]*: //p" | tr -d '"'
}

new_pin notify
conf() { # conf FILE LINE...: pinned programs, 1 s interval, notify_limit 2
	_cf=$1
	shift
	{
		printf 'integrations:\n  ebpf:\n    pin_path: "%s"\n    interval: 1s\n' "$pin"
		printf '    notify_limit: 2\n    collect_file_io: false\n'
		printf '    map_sizes:\n      sockets: 64\n'
		for _l in "$@"; do printf '    %s\n' "$_l"; done
	} >"$_cf"
}
conf "$tmp/agent.yaml" "collect_memory: true"
start_agent "$tmp/agent.yaml" "$tmp/agent.log"
expect "subagent serves ebsAgentNotificationsSuppressed.0 (0)" '[ "$(get $O.1.4.0)" = 0 ]'

# ---- 1. the load ----------------------------------------------------------------
wait_until 10 '[ "$(ntraps 4)" -ge 1 ]'
expect "its own load arrives as one ebsProgramsLoaded" '[ "$(ntraps 4)" = 1 ]'
line=$(traps 4 | head -n1)
expect "ebsProgramsLoaded carries ebsAgentProgramsLoaded.0 and ebsNotifyTime.0" \
	'[ -n "$(vb "$line" "$O.1.3.0")" ] && [ -n "$(vb "$line" "$NO.1.0")" ]'
wait_until 10 'grep -qF "$N.4" "$tmp/traps-v3.log"'
expect "and as an SNMPv3 authPriv inform to the trapsess destination" \
	'grep -F "$N.4" "$tmp/traps-v3.log" | grep -qF "$O.1.3.0"'
if [ -n "$snmptt" ]; then
	wait_until 10 '[ -n "$(snmptt_line ebsProgramsLoaded)" ]'
	line=$(snmptt_line ebsProgramsLoaded | head -n1)
	expect "SNMPTT: ebsProgramsLoaded -> PROCESS_SERVICE_CHECK_RESULT ... state 0 ('$line')" \
		'echo "$line" | grep -Eq "^PROCESS_SERVICE_CHECK_RESULT;[^;]+;ebpfstats events;0;ebsProgramsLoaded: [0-9:.]+ $DATE_HEX$"'
fi

# ---- 2. an OOM kill ------------------------------------------------------------------
if [ -z "$memcg" ]; then
	note "no cgroup memory controller (v2 or v1): OOM kill not tested"
else
	hog=$(run_hog)
	if isnum "$hog"; then
		# OOM kills are host-wide: the one of our hog (another test's may come too)
		oom_line() { traps 1 | grep -F "$O.7.4.0 = Gauge32: $hog|" | head -n1; }
		wait_until 10 '[ -n "$(oom_line)" ]'
		line=$(oom_line)
		vpid=$(vb "$line" "$O.7.4.0") vcomm=$(vb "$line" "$O.7.5.0")
		expect "ebsOomKill names the victim: pid $hog, $HOG (got '$vpid' '$vcomm')" \
			'[ "$vpid" = "$hog" ] && [ "$vcomm" = "$HOG" ]'
		expect "ebsOomKill counts the kills in the interval and since load" \
			'[ "$(vb "$line" "$NO.3.0")" -ge 1 ] && [ "$(vb "$line" "$NO.5.0")" -ge 1 ]'
		vcg=$(vb "$line" "$NO.6.0")
		if [ -n "$cg2" ]; then
			expect "ebsOomKill's ebsNotifyCgroup.0 is the victim's cgroup v2, '$cg2_rel' (got '$vcg')" \
				'[ "$vcg" = "$cg2_rel" ]'
		else
			expect "no cgroup2 mount: ebsOomKill's ebsNotifyCgroup.0 is empty (got '$vcg')" \
				'echo "$line" | grep -qF "$NO.6.0 = STRING: \"\"" && [ -z "$vcg" ]'
		fi
		if [ -n "$snmptt" ]; then
			wait_until 10 '[ -n "$(snmptt_line ebsOomKill | grep -F " $hog ")" ]'
			line=$(snmptt_line ebsOomKill | grep -F " $hog " | head -n1)
			expect "SNMPTT: ebsOomKill -> state 2 with pid $hog, $HOG and its cgroup ('$line')" \
				'echo "$line" | grep -Eq "^PROCESS_SERVICE_CHECK_RESULT;[^;]+;ebpfstats events;2;ebsOomKill: $hog $HOG [1-9][0-9]* [1-9][0-9]* $DATE_HEX ?$cg2_rel$"'
		fi
	else
		no "the hog ran in $memcg"
	fi
	rmdir "$memcg" 2>/dev/null
	cleanup_hook
fi

# ---- thresholds: snmpd's monitor on the run-queue p99 under a CPU hog -------------
MTE=.1.3.6.1.2.1.88.2.0.1 # DISMAN-EVENT-MIB::mteTriggerFired
mte() { grep -F "$MTE" "$tmp/traps.log" | grep -F "ebsRunqP99High" || true; }
before=$(mte | grep -c .)
# four busy loops per CPU, each waiting for the others on the run queue
hogs=""
_n=$(($(nproc) * 4))
while [ "$_n" -gt 0 ]; do
	sh -c 'while :; do :; done' &
	hogs="$hogs $!"
	track "$!"
	_n=$((_n - 1))
done
wait_until 30 '[ -n "$(mte)" ]'
for _p in $hogs; do stop_pid "$_p"; done
line=$(mte | head -n1)
hot=$(vb "$line" .1.3.6.1.2.1.88.2.1.5.0) # mteHotValue
expect "CPU hogs: monitor's mteTriggerFired for ebsSchedRunqLatencyP99.0 > $RUNQ_LIMIT µs (value $hot)" \
	'isnum "$hot" && [ "$hot" -gt "$RUNQ_LIMIT" ] && echo "$line" | grep -qF "$RUNQ_P99"'
[ "$before" -eq 0 ] || note "it had fired before the hogs already: the host is busy"

# ---- 3. a socket flood: one episode, one notification -----------------------------
# 300 loopback connections held (600 sockets against a table of 64 buckets
# of 3), then 4 s of connects and closes: drops in every 1 s interval.
# Other modules' maps may overflow on a busy host too: tcp's are ours; and
# the host's own TCP work may have had an episode of its own before (at
# the load, with thousands of sockets a second elsewhere): not counted
tcp_ovf() { traps 3 | grep -F "$O.2.1.2.2 = STRING: \"tcp\"" || true; }
ovf_before=$(tcp_ovf | grep -c .)
python3 - <<'EOF' >"$tmp/flood.log" 2>&1 || no "the socket flood ran"
import socket, time
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(1024)
held = []
for _ in range(300):
    c = socket.create_connection(srv.getsockname())
    held.append((c, srv.accept()[0]))
end = time.time() + 4
while time.time() < end:
    c = socket.create_connection(srv.getsockname())
    a = srv.accept()[0]
    c.close()
    a.close()
for c, a in held:
    c.close()
    a.close()
EOF
# the last interval of the flood reaches the subagent within a second;
# later episodes may be real (other TCP work on the host against a table
# of 64), so they are not counted
sleep 1.5
n_ovf=$(($(tcp_ovf | grep -c .) - ovf_before))
# 0 only when the flood continued an episode of the host's that was on
expect "the flood is one ebsOverflow of tcp, not one per interval (got $n_ovf; $ovf_before before it)" \
	'[ "$n_ovf" = 1 ] || { [ "$n_ovf" = 0 ] && [ "$ovf_before" -gt 0 ]; }'
line=$(tcp_ovf | sed -n "$((ovf_before + 1))p")
[ -n "$line" ] || line=$(tcp_ovf | tail -n1)
expect "ebsOverflow names map tcp_socks (got '$(vb "$line" "$NO.4.0")')" \
	'[ "$(vb "$line" "$NO.4.0")" = tcp_socks ]'
cnt=$(vb "$line" "$NO.3.0") total=$(vb "$line" "$NO.5.0")
expect "ebsOverflow counts the drops ($cnt in the interval, $total since load)" \
	'isnum "$cnt" && isnum "$total" && [ "$cnt" -gt 0 ] && [ "$total" -ge "$cnt" ]'

# ---- thresholds: monitor on the retransmit rate ---------------------------------------
# 600 connects to a listener whose accept queue is full (backlog 0): their
# SYNs are dropped and retransmitted after 1 s and again after 3 s
# (after the flood: these sockets overflow the socket table of 64 too)
retr() { grep -F "$MTE" "$tmp/traps.log" | grep -F "ebsRetransHigh" || true; }
retr_before=$(retr | grep -c .)
python3 - <<'EOF' >"$tmp/retrans.log" 2>&1 &
import socket, time
l = socket.socket()
l.bind(("127.0.0.1", 0))
l.listen(0)
conns = []
for _ in range(600):
    c = socket.socket()
    c.setblocking(False)
    try:
        c.connect(l.getsockname())
    except BlockingIOError:
        pass
    conns.append(c)
time.sleep(3.5)
EOF
retr_pid=$!
track "$retr_pid"
wait_until 15 '[ "$(retr | grep -c .)" -gt "$retr_before" ]'
stop_pid "$retr_pid"
line=$(retr | sed -n "$((retr_before + 1))p")
hot=$(vb "$line" .1.3.6.1.2.1.88.2.1.5.0) # mteHotValue
rate=$(vb "$line" "$RETR_RATE")
expect "SYN retransmits: monitor's mteTriggerFired for ebsTcpRetransmitRate.0 > $RETR_LIMIT/s (value $hot)" \
	'isnum "$hot" && [ "$hot" -gt "$RETR_LIMIT" ]'
expect "with the rate as a varbind ($rate/s; not the Counter64, which SNMPv1 cannot carry)" \
	'isnum "$rate" && [ "$rate" -gt "$RETR_LIMIT" ]'
# the same engine on the Counter64 reads its high 32 bits: 0 < ebsTcpRetransmits
total=$(get "$RETRANS")
expect "monitor on the Counter64 ebsTcpRetransmits.0 > 0 never fired, though it is $total" \
	'isnum "$total" && [ "$total" -gt 0 ] && ! grep -F "$MTE" "$tmp/traps.log" | grep -qF ebsRetransCounter64'

# ---- 4. a status change --------------------------------------------------------------
conf "$tmp/agent.yaml" "collect_memory: true" "collect_tcp: false"
kill -HUP "$agent_pid"
wait_until 10 '[ "$(ntraps 2)" -ge 1 ]'
line=$(traps 2 | head -n1)
expect "SIGHUP without tcp: ebsModuleStatusChange tcp ok(1) -> disabled(4)" \
	'[ "$(vb "$line" "$O.2.1.2.2")" = tcp ] && [ "$(vb "$line" "$NO.2.0")" = 1 ] &&
	 [ "$(vb "$line" "$O.2.1.3.2")" = 4 ]'
expect "with the reason (got '$(vb "$line" "$O.2.1.4.2")')" \
	'vb "$line" "$O.2.1.4.2" | grep -q "collect_tcp is false"'
if [ -n "$snmptt" ]; then
	wait_until 10 '[ -n "$(snmptt_line ebsModuleStatusChange)" ]'
	line=$(snmptt_line ebsModuleStatusChange | head -n1)
	expect "SNMPTT: ebsModuleStatusChange -> state 2: tcp, 1 -> 4, the reason ('$line')" \
		'echo "$line" | grep -Eq "^PROCESS_SERVICE_CHECK_RESULT;[^;]+;ebpfstats events;2;ebsModuleStatusChange: tcp 1 4 collect_tcp is false in $tmp/agent.yaml $DATE_HEX$"'
fi

# ---- 5. the rate limit ---------------------------------------------------------------
# three changes at once (tcp back on, sched and memory off); the minute's
# budget of 2 has one left
supp0=$(get $O.1.4.0)
conf "$tmp/agent.yaml" "collect_scheduler: false" "collect_memory: false"
kill -HUP "$agent_pid"
wait_until 10 'v=$(get1 $O.1.4.0); isnum "$v" && [ "$v" -ge $((supp0 + 2)) ]'
supp1=$(get $O.1.4.0)
expect "three changes, limit 2: ebsAgentNotificationsSuppressed.0 counts two more ($supp0 -> $supp1)" \
	'[ "$supp1" -ge $((supp0 + 2)) ]'
sleep 2
expect "and one more ebsModuleStatusChange arrived, two in all (got $(ntraps 2))" \
	'[ "$(ntraps 2)" = 2 ]'
expect "the load was sent once" '[ "$(ntraps 4)" = 1 ]'
expect "every notification converts to SNMPv1 too: no 'failed to convert' in the logs" \
	'! grep -q "failed to convert" "$tmp/snmpd.log" "$tmp/agent.log"'
stop_pid "$agent_pid"

# ---- 6. collectd's logfile and notify_nagios ---------------------------------------
# notify_nagios writes what Nagios would read from its command file: the
# test gives it a plain file (Nagios' is a FIFO) and reads the lines
if ! collectd_find || ! collectd_plugins threshold notify_nagios; then
	note "collectd, its logfile, threshold or notify_nagios plugin or ebpf.so missing (${cd_missing:-no collectd}): collectd notifications not tested"
	finish
fi
NAGIOS_CMD="$tmp/nagios.cmd"
: >"$NAGIOS_CMD"
collectd_conf "$tmp/cd" ebs-notify "LoadPlugin ebpf
<Plugin ebpf>
  PinPath \"\"
  CollectMemory true
  CollectSyscalls false
  MaxSockets 64
  # the subagent above ran without per-cgroup rows: the victim's cgroup is
  # named either way
  CollectCgroups true
</Plugin>
# collectd's own threshold engine on an ebpf value: a limit of 1 µs that
# any run-queue p99 exceeds
LoadPlugin threshold
<Plugin threshold>
  <Plugin \"ebpf\">
    Instance \"sched\"
    <Type \"ebpf_latency\">
      Instance \"runq-p99\"
      WarningMax 1
    </Type>
  </Plugin>
</Plugin>
LoadPlugin notify_nagios
<Plugin notify_nagios>
  CommandFile \"$NAGIOS_CMD\"
</Plugin>"
t0=$(date +%s)
start_collectd "$tmp/cd"
cdlog() { grep -F "plugin = ebpf" "$tmp/cd/collectd.log" 2>/dev/null | grep -F "$1" || true; }
# nagios SERVICE: the command file's lines for that service, without the
# leading [time], e.g. PROCESS_SERVICE_CHECK_RESULT;ebs-notify;SERVICE;1;text
nagios() { sed -n "s/^\[[0-9]*\] \(PROCESS_SERVICE_CHECK_RESULT;ebs-notify;$1;.*\)/\1/p" "$NAGIOS_CMD"; }
wait_until 20 '[ -n "$(cdlog programs_loaded)" ] && [ -n "$(nagios "ebpf\/ebpf_events-programs_loaded")" ]'
expect "collectd logs ebpf programs_loaded as an OKAY notification" \
	'cdlog "type_instance = programs_loaded" | grep -q "severity = OKAY"'
line=$(nagios "ebpf\/ebpf_events-programs_loaded" | head -n1)
loaded=$(echo "$line" | sed -n 's/.*;0;kernel programs loaded at \([0-9]*\) ms since the epoch; counters restarted$/\1/p')
expect "notify_nagios: service ebpf/ebpf_events-programs_loaded, state 0 (OK), loaded after the start ('$line')" \
	'isnum "$loaded" && [ $((loaded / 1000)) -ge "$t0" ] && [ $((loaded / 1000)) -le "$(date +%s)" ]'
wait_until 20 '[ -n "$(cdlog runq-p99)" ] && [ -n "$(nagios "ebpf-sched\/ebpf_latency-runq-p99")" ]'
expect "collectd's threshold plugin logs ebpf-sched/ebpf_latency-runq-p99 above its WarningMax" \
	'cdlog "type_instance = runq-p99" | grep "severity = WARNING" | grep -q "above the warning threshold"'
line=$(nagios "ebpf-sched\/ebpf_latency-runq-p99" | head -n1)
expect "notify_nagios: ebpf-sched/ebpf_latency-runq-p99, state 1 (WARNING), with the threshold plugin's text" \
	'echo "$line" | grep -Eq "^PROCESS_SERVICE_CHECK_RESULT;ebs-notify;ebpf-sched/ebpf_latency-runq-p99;1;Host ebs-notify, plugin ebpf \(instance sched\) type ebpf_latency \(instance runq-p99\): Data source \"value\" is currently [0-9.]+\. That is above the warning threshold of 1\.000000\.$"'
# MaxSockets 64: a flood of 300 held loopback connections drops sockets
python3 - <<'EOF' >"$tmp/flood-cd.log" 2>&1 || no "the socket flood for collectd ran"
import socket, time
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(1024)
held = []
for _ in range(300):
    c = socket.create_connection(srv.getsockname())
    held.append((c, srv.accept()[0]))
time.sleep(1.5)
EOF
wait_until 10 '[ -n "$(nagios "ebpf-tcp\/ebpf_events-overflow")" ]'
line=$(nagios "ebpf-tcp\/ebpf_events-overflow" | head -n1)
expect "notify_nagios: ebpf-tcp/ebpf_events-overflow, state 1 (WARNING), naming map tcp_socks ('$line')" \
	'echo "$line" | grep -Eq "^PROCESS_SERVICE_CHECK_RESULT;ebs-notify;ebpf-tcp/ebpf_events-overflow;1;module tcp: map tcp_socks is full, [1-9][0-9]* events dropped in the interval, [1-9][0-9]* since load$"'
if [ -n "$memcg" ]; then
	hog=$(run_hog)
	wait_until 10 '[ -n "$(cdlog oom_kill)" ] && [ -n "$(nagios "ebpf-memory\/ebpf_events-oom_kill")" ]'
	cgtext=${cg2_rel:+; cgroup $cg2_rel}
	expect "collectd logs the OOM kill as a FAILURE naming pid $hog ($HOG)${cg2:+ and its cgroup $cg2_rel}" \
		'cdlog "type_instance = oom_kill" | grep "severity = FAILURE" | grep -F "pid $hog ($HOG)" | grep -q "since load$cgtext$"'
	# OOM kills are host-wide: the line of our hog
	expect "notify_nagios: ebpf-memory/ebpf_events-oom_kill, state 2 (CRITICAL), pid $hog ($HOG)${cg2:+, cgroup $cg2_rel}" \
		'nagios "ebpf-memory\/ebpf_events-oom_kill" | grep -Eq "^PROCESS_SERVICE_CHECK_RESULT;ebs-notify;ebpf-memory/ebpf_events-oom_kill;2;OOM killer killed (pid $hog|[0-9]+ tasks, the last pid $hog) \($HOG\); [1-9][0-9]* since load$cgtext$"'
	rmdir "$memcg" 2>/dev/null
	cleanup_hook
fi
expect "every command file line is [epoch seconds of this run] PROCESS_SERVICE_CHECK_RESULT;ebs-notify;...;0-3;text" \
	'awk -F";" -v t0="$t0" -v t1="$(date +%s)" "{ t = substr(\$1, 2, index(\$1, \"]\") - 2) + 0
		if (\$1 !~ /^\[[0-9]+\] PROCESS_SERVICE_CHECK_RESULT\$/ || \$2 != \"ebs-notify\" || \$4 !~ /^[0-3]\$/ ||
		    t < t0 || t > t1 + 1) bad++ } END { exit bad > 0 || NR == 0 }" "$NAGIOS_CMD"'
stop_pid "$cd_pid"
finish
