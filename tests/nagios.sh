#!/bin/sh
# Nagios/Icinga integration, end to end: the command definitions of
# nagios/ebpfstats.cfg, expanded as Nagios expands them, run the real
# check_snmp (monitoring-plugins) and nagios/check_ebpfstats against a private
# snmpd master + ebpfstats-agentx, and must answer OK, WARNING, CRITICAL or
# UNKNOWN as the workload crosses their thresholds:
#   - rates (--rate): syscall errors (all, and flock alone), TCP retransmits
#     (SYNs to a full listen queue) and resets (connects to a closed port):
#     a baseline run, a quiet round (OK), a small burst (WARNING), a big
#     burst (CRITICAL), thresholds unchanged between runs as --rate needs;
#   - the syscall error ratio (check_ebpfstats): OK, WARNING, CRITICAL;
#   - run-queue p99, global and worst CPU, while CPU hogs run;
#   - module health with tcp degraded and sched unavailable
#     (EBPFSTATS_TEST_HIDE_TRACEPOINT), with sched disabled, and with no
#     subagent at all (UNKNOWN).
# When nagios4 is installed, `nagios4 -v` also checks the definitions and
# nagios/ebpfstats-services.cfg.example.
# Needs root, snmpd, check_snmp (monitoring-plugins-standard) and python3:
# exit 77 otherwise.
set -u
# shellcheck source=tests/lib.sh
. "${top_srcdir:-.}/tests/lib.sh"
CFG="$top_srcdir/nagios/ebpfstats.cfg"
SERVICES="$top_srcdir/nagios/ebpfstats-services.cfg.example"
PLUGIN="$top_srcdir/nagios/check_ebpfstats"
CHECK_SNMP=${CHECK_SNMP:-/usr/lib/nagios/plugins/check_snmp}
WL_COMM=ebs-nagios-wl

# ---- the definitions themselves (no root needed) ---------------------------
names=$(awk '$1 == "command_name" { print $2 }' "$CFG")
ncmd=$(echo "$names" | wc -w)
expect "ebpfstats.cfg defines commands ($ncmd)" '[ "$ncmd" -ge 8 ]'
bad=""
for n in $names; do
	line=$(awk -v n="$n" '$1 == "command_name" { cur = $2 } $1 == "command_line" && cur == n { print }' "$CFG")
	case "$line" in
	*check_snmp*" -P 2c "*) ;;
	*check_ebpfstats*" -P 2c "*) ;;
	*) bad="$bad $n(no -P 2c)" ;;
	esac
	case "$line" in
	*--rate* | *syscall-errors*)
		case "$line" in *MP_STATE_PATH=*) ;; *) bad="$bad $n(rate without MP_STATE_PATH)" ;; esac ;;
	esac
done
expect "every command uses SNMPv2c and every rate sets MP_STATE_PATH${bad:+:$bad}" '[ -z "$bad" ]'

# every OID the commands name is an object of EBPFSTATS-MIB
if mibdir=$(sh "$top_srcdir/tests/mibs-fetch.sh" 2>/dev/null) && command -v snmptranslate >/dev/null 2>&1; then
	bad=""
	for oid in $(grep -o '\.1\.3\.6\.1\.4\.1\.8072\.9999\.9999\.42[0-9.]*' "$CFG" | sort -u); do
		base=${oid%.}
		name=$(MIBS='' snmptranslate -M "$mibdir:$top_srcdir/mibs" -m EBPFSTATS-MIB -OS "$base" 2>/dev/null)
		case "$name" in EBPFSTATS-MIB::ebs*) ;; *) bad="$bad $base" ;; esac
	done
	expect "every OID in ebpfstats.cfg translates to an EBPFSTATS-MIB object${bad:+ (not:$bad)}" '[ -z "$bad" ]'
else
	echo "# SMIv2 base MIBs or snmptranslate missing: OID names not checked"
fi

if command -v nagios4 >/dev/null 2>&1 || [ -x /usr/sbin/nagios4 ]; then
	NAGIOS=$(command -v nagios4 || echo /usr/sbin/nagios4)
	vt=$(mktemp -d /tmp/ebs-nagios-v.XXXXXX)
	cat >"$vt/nagios.cfg" <<EOF
log_file=$vt/nagios.log
cfg_file=$CFG
cfg_file=$SERVICES
cfg_file=$vt/objects.cfg
resource_file=$vt/resource.cfg
status_file=$vt/status.dat
temp_file=$vt/nagios.tmp
temp_path=$vt
lock_file=$vt/nagios.lock
check_result_path=$vt
illegal_macro_output_chars=\`~\$&|'"<>
EOF
	# nagios checks these paths as its own user (nagios)
	chmod 0777 "$vt"
	echo '$USER1$=/usr/lib/nagios/plugins' >"$vt/resource.cfg"
	# the minimum around the example: a contact, a period, a host in the group
	cat >"$vt/objects.cfg" <<'EOF'
define timeperiod {
	timeperiod_name	24x7
	alias		always
	monday		00:00-24:00
	tuesday		00:00-24:00
	wednesday	00:00-24:00
	thursday	00:00-24:00
	friday		00:00-24:00
	saturday	00:00-24:00
	sunday		00:00-24:00
}
define command {
	command_name	notify-none
	command_line	/bin/true
}
define contact {
	contact_name			noc
	host_notifications_enabled	0
	service_notifications_enabled	0
	host_notification_period	24x7
	service_notification_period	24x7
	host_notification_options	n
	service_notification_options	n
	host_notification_commands	notify-none
	service_notification_commands	notify-none
}
define service {
	name			generic-service
	register		0
	check_period		24x7
	max_check_attempts	3
	check_interval		5
	retry_interval		1
	notification_period	24x7
	contacts		noc
}
define host {
	host_name		web1
	address			192.0.2.10
	hostgroups		ebpfstats-hosts
	max_check_attempts	3
	check_period		24x7
	notification_period	24x7
	contacts		noc
}
EOF
	out=$("$NAGIOS" -v "$vt/nagios.cfg" 2>&1)
	rc=$?
	expect "nagios4 -v accepts ebpfstats.cfg and the services example: 0 errors, 0 warnings (rc $rc)" \
		'[ $rc -eq 0 ] && echo "$out" | grep -q "Total Errors: *0" && echo "$out" | grep -q "Total Warnings: *0"' ||
		echo "$out" | grep -iE "error|warning" | head -n 10
	rm -rf "$vt"
else
	echo "# nagios4 not installed: nagios -v of the definitions skipped"
fi

# ---- the plugin's own argument handling (no agent needed) ------------------
out=$(sh "$PLUGIN" -H 127.0.0.1 -m nosuchmode 2>&1)
rc=$?
expect "check_ebpfstats: unknown mode is UNKNOWN (3): $out" '[ $rc -eq 3 ]'
out=$(sh "$PLUGIN" -H 127.0.0.1 -m runq-cpu -w 1:x 2>&1)
rc=$?
expect "check_ebpfstats: bad range is UNKNOWN (3): $out" '[ $rc -eq 3 ]'

# ---- live: needs root, snmpd, check_snmp, python3 --------------------------
need_root "the rest needs root (BPF)"
need_snmp
[ -x "$CHECK_SNMP" ] || skip "$CHECK_SNMP missing (package monitoring-plugins-standard)"
command -v python3 >/dev/null 2>&1 || skip "python3 missing (the TCP workloads)"

hogs=""
stop_hogs() {
	for h in $hogs; do kill "$h" 2>/dev/null; done
	for h in $hogs; do wait "$h" 2>/dev/null; done
	hogs=""
}
cleanup_hook() { stop_hogs; }
mkdir -p "$tmp/plugins" "$tmp/state"
# $USER1$: check_snmp where Debian has it, check_ebpfstats from the tree
ln -s "$CHECK_SNMP" "$tmp/plugins/check_snmp"
printf '#!/bin/sh\nexec sh "%s" "$@"\n' "$PLUGIN" >"$tmp/plugins/check_ebpfstats"
chmod +x "$tmp/plugins/check_ebpfstats"

start_master
ok "snmpd master on udp:127.0.0.1:$port"

AGENT_READY='[ "$(get $O.2.1.2.1)" = syscalls ]'
agent_conf "$tmp/agent.yaml" "$WL_COMM"

# nagios NAME ARG1 ARG2...: expand the command_line of NAME as Nagios does
# ($USER1$, $HOSTADDRESS$, $ARGn$), point MP_STATE_PATH at the test's state,
# add -p PORT (the only option the test adds) and run it; sets out and rc.
nagios() {
	_name=$1
	shift
	_line=$(awk -v n="$_name" '$1 == "command_name" { cur = $2 }
		$1 == "command_line" && cur == n { sub(/^[ \t]*command_line[ \t]+/, ""); print }' "$CFG")
	if [ -z "$_line" ]; then
		out="no command $_name in $CFG" rc=99
		return
	fi
	_i=1
	for _a in "$@"; do
		_line=$(printf '%s\n' "$_line" | awk -v m="\$ARG$_i\$" -v v="$_a" '{
			while ((i = index($0, m)) > 0) $0 = substr($0, 1, i - 1) v substr($0, i + length(m))
			print }')
		_i=$((_i + 1))
	done
	_line=$(printf '%s\n' "$_line" | sed -e "s|\\\$USER1\\\$|$tmp/plugins|g" \
		-e 's|\$HOSTADDRESS\$|127.0.0.1|g' -e "s|MP_STATE_PATH=[^ ]*|MP_STATE_PATH=$tmp/state|")
	case "$_line" in *'$'[A-Z]*'$'*) out="unexpanded macro in: $_line" rc=99; return ;; esac
	out=$(sh -c "$_line -p $port" 2>&1)
	rc=$?
}
# check NAME EXPECTED_RC [PATTERN] -- ARGS: run and compare
check() {
	_n=$1 _want=$2 _pat=$3
	shift 4
	nagios "$_n" "$@"
	expect "$_n!$(echo "$*" | tr ' ' '!') -> rc $_want${_pat:+, /$_pat/} (rc $rc: $out)" \
		'[ "$rc" = "$_want" ] && { [ -z "$_pat" ] || echo "$out" | grep -Eq "$_pat"; }'
}
next_second() { # so that two --rate runs are at least a second apart
	_s=$(date +%s)
	wait_until 3 '[ "$(date +%s)" -gt "$_s" ]'
}
# wait until the subagent's snapshot shows COUNTER_OID >= VALUE
wait_counter() {
	_wc_oid=$1 _wc_min=$2
	wait_until 10 '_v=$(get $_wc_oid); isnum "$_v" && [ "$_v" -ge "$_wc_min" ]' ||
		{ echo "# $_wc_oid is $(get "$_wc_oid"), not >= $_wc_min after 10 s"; return 1; }
}

cat >"$tmp/tcpwl.py" <<'EOF'
# retrans N HOLD: N connects to a listener whose queue is full, so their SYNs
#   are dropped and retransmitted after about a second; held HOLD seconds.
# resets N: N connects to a closed port, each answered by a RST.
import socket, sys, time
mode, n = sys.argv[1], int(sys.argv[2])
if mode == "retrans":
    l = socket.socket()
    l.bind(("127.0.0.1", 0))
    l.listen(0)
    port = l.getsockname()[1]
    conns = []
    for _ in range(n):
        c = socket.socket()
        c.setblocking(False)
        try:
            c.connect(("127.0.0.1", port))
        except BlockingIOError:
            pass
        conns.append(c)
    time.sleep(float(sys.argv[3]))
elif mode == "resets":
    l = socket.socket()
    l.bind(("127.0.0.1", 0))
    port = l.getsockname()[1]
    l.close()
    for _ in range(n):
        c = socket.socket()
        try:
            c.connect(("127.0.0.1", port))
        except ConnectionRefusedError:
            pass
        c.close()
EOF

# ---- 1. all modules ok -----------------------------------------------------
start_agent "$tmp/agent.yaml" "$tmp/agent.log" ||
	{ no "subagent serves"; tail -n 20 "$tmp/agent.log"; finish; }
ok "subagent registered (pid $agent_pid)"
for m in 1 2 3; do
	check check_ebs_module 0 "module_status 1" -- public $m
done
check check_ebs_modules 0 "syscalls ok, tcp ok, sched ok" -- public

nr=$(syscall_nr flock) || nr=73 # x86_64
flock_idx=$((nr + 1))

# ---- 2. rates: one threshold set per command, four rounds ------------------
# errors/s: warn > 100, crit > 10000; retransmits/s: 5, 100; resets/s: 20, 500
rates() { # rates ROUND_RC: every rate command, all expected to answer ROUND_RC
	_want=$1 _pat=$2
	check check_ebs_syscall_errors_rate "$_want" "$_pat" -- public 100 10000
	check check_ebs_syscall_errors_rate_nr "$_want" "$_pat" -- public $flock_idx 100 10000
	check check_ebs_tcp_retransmits_rate "$_want" "$_pat" -- public 5 100
	check check_ebs_tcp_resets_rate "$_want" "$_pat" -- public 20 500
}
errors0=$(get $O.3.2.0)
"$WL" errors 1 "$WL_COMM" # the flock row exists from now on
wait_counter $O.3.2.0 $((errors0 + 1))
rates 0 "No previous data"
next_second
rates 0 "RATE OK"

# WARNING: 3000 flock errors, 30 SYN retransmits, 100 refused connects
t0=$(date +%s)
errors0=$(get $O.3.2.0) retr0=$(get $O.4.6.0) rst0=$(get $O.4.4.0)
"$WL" errors 3000 "$WL_COMM" || no "workload errors 3000"
i=0
while [ $i -lt 100 ]; do "$WL" refused || break; i=$((i + 1)); done
python3 "$tmp/tcpwl.py" retrans 30 1.6 || no "retransmit workload"
wait_counter $O.3.2.0 $((errors0 + 3000)) && wait_counter $O.4.6.0 $((retr0 + 25)) &&
	wait_counter $O.4.4.0 $((rst0 + 100)) || no "the subagent saw the WARNING workload"
next_second
echo "# WARNING round $(($(date +%s) - t0)) s after the quiet one"
rates 1 "RATE WARNING"

# CRITICAL: 100000 flock errors, 600 SYN retransmits, 3000 refused connects
t0=$(date +%s)
errors0=$(get $O.3.2.0) retr0=$(get $O.4.6.0) rst0=$(get $O.4.4.0)
"$WL" errors 100000 "$WL_COMM" || no "workload errors 100000"
python3 "$tmp/tcpwl.py" resets 3000 || no "reset workload"
python3 "$tmp/tcpwl.py" retrans 600 1.6 || no "retransmit workload"
wait_counter $O.3.2.0 $((errors0 + 100000)) && wait_counter $O.4.6.0 $((retr0 + 500)) &&
	wait_counter $O.4.4.0 $((rst0 + 3000)) || no "the subagent saw the CRITICAL workload"
next_second
echo "# CRITICAL round $(($(date +%s) - t0)) s after the WARNING one"
rates 2 "RATE CRITICAL"

# ---- 3. syscall error ratio (check_ebpfstats) -------------------------------
calls0=$(get $O.3.1.0)
check check_ebs_syscall_error_ratio 0 "first sample" -- public 5 50
check check_ebs_syscall_error_ratio_name 0 "first sample" -- public flock 5 50
"$WL" getppid 1000 "$WL_COMM"
wait_counter $O.3.1.0 $((calls0 + 1000))
check check_ebs_syscall_error_ratio 0 "OK - 0.00% of system calls failed" -- public 5 50
check check_ebs_syscall_error_ratio_name 0 "OK - 0.00% of flock failed \\(0 of 0" -- public flock 5 50
calls0=$(get $O.3.1.0)
"$WL" getppid 900 "$WL_COMM"
"$WL" errors 100 "$WL_COMM"
wait_counter $O.3.1.0 $((calls0 + 1000))
check check_ebs_syscall_error_ratio 1 "WARNING - (9|10)\\.[0-9]+% of system calls failed" -- public 5 50
check check_ebs_syscall_error_ratio_name 2 "CRITICAL - 100\\.00% of flock failed \\(100 of 100" -- public flock 5 50
calls0=$(get $O.3.1.0)
"$WL" errors 1000 "$WL_COMM"
wait_counter $O.3.1.0 $((calls0 + 1000))
check check_ebs_syscall_error_ratio 2 "CRITICAL - 99\\.[0-9]+% of system calls failed" -- public 5 50

# ---- 4. run-queue p99 under CPU hogs ----------------------------------------
# rc_of VALUE WARN CRIT: what the thresholds make of VALUE
rc_of() { if [ "$1" -gt "$3" ]; then echo 2; elif [ "$1" -gt "$2" ]; then echo 1; else echo 0; fi; }
# runq_until RC WARN CRIT [CMD]: run CMD until it answers RC (15 s); every
# answer must agree with the value it reports
runq_until() {
	_want=$1 _w=$2 _c=$3 _cmd=${4:-check_ebs_runq_p99}
	_end=$(($(date +%s) + 15)) _seen="" _incons=""
	while :; do
		nagios "$_cmd" public "$_w" "$_c"
		if [ "$_cmd" = check_ebs_runq_cpu_p99 ]; then
			_v=$(echo "$out" | sed -n 's/.*highest run-queue p99 \([0-9]*\) us.*/\1/p')
		else
			_v=$(echo "$out" | sed -n 's/.*| runq_p99=\([0-9]*\).*/\1/p')
		fi
		if isnum "$_v" && [ "$(rc_of "$_v" "$_w" "$_c")" != "$rc" ]; then
			_incons="$_incons $_v->$rc"
		fi
		_seen="$_seen $rc"
		[ "$rc" = "$_want" ] && break
		[ "$(date +%s)" -lt "$_end" ] || break
		sleep 0.5
	done
	expect "$_cmd!public!$_w!$_c reaches rc $_want (seen:$_seen; last: $out)" '[ "$rc" = "$_want" ]'
	expect "$_cmd: every answer agrees with its value${_incons:+ (not:$_incons)}" '[ -z "$_incons" ]'
}
# the same thresholds, 20 ms warning, 10 s critical: OK while the machine is
# quiet, WARNING once hogs queue up on every CPU; then CRITICAL above 20 ms
runq_until 0 20000 10000000
ncpu=$(getconf _NPROCESSORS_ONLN)
i=0
while [ $i -lt $((6 * ncpu)) ]; do
	sh -c 'while :; do :; done' &
	hogs="$hogs $!"
	i=$((i + 1))
done
echo "# $((6 * ncpu)) CPU hogs on $ncpu CPUs"
runq_until 1 20000 10000000
runq_until 2 5000 20000
runq_until 2 5000 20000 check_ebs_runq_cpu_p99
stop_hogs

# ---- 5. module health: degraded, unavailable, disabled, no subagent --------
stop_pid "$agent_pid"
agent_pid=""
start_agent "$tmp/agent.yaml" "$tmp/agent-hidden.log" \
	env EBPFSTATS_TEST_HIDE_TRACEPOINT=tcp:tcp_retransmit_skb,sched:sched_switch ||
	no "subagent with hidden tracepoints serves"
check check_ebs_module 0 "module_status 1" -- public 1
check check_ebs_module 1 "WARNING.*module_status \\*2\\*.*tcp:tcp_retransmit_skb" -- public 2
check check_ebs_module 2 "CRITICAL.*module_status \\*3\\*.*sched:sched_switch" -- public 3
check check_ebs_modules 2 "CRITICAL - syscalls ok, tcp degraded \\(.*tcp_retransmit_skb.*\\), sched unavailable" -- public
check check_ebs_runq_p99 3 "No Such Instance" -- public 5000 20000
stop_pid "$agent_pid"
agent_pid=""

sed 's/^    interval: 1s$/    interval: 1s\n    collect_scheduler: false/' "$tmp/agent.yaml" >"$tmp/nosched.yaml"
start_agent "$tmp/nosched.yaml" "$tmp/agent-nosched.log" || no "subagent without sched serves"
check check_ebs_module 2 "module_status \\*4\\*" -- public 3
check check_ebs_modules 0 "OK - syscalls ok, tcp ok, sched disabled" -- public
stop_pid "$agent_pid"
agent_pid=""
wait_until 5 'get $O.2.1.2.1 | grep -q "No Such"'
check check_ebs_module 3 "No Such Object" -- public 1
check check_ebs_modules 3 "UNKNOWN - no ebsModuleTable rows" -- public
finish
