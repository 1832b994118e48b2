# A private snmpd master on loopback, started one way for the tests
# (tests/lib.sh), the benchmark (bench/lib.sh) and scripts/demo; sourced,
# not run.  POSIX sh, bash sources it too.  What it gives:
#  - snmpd_find: sets SNMPD to the snmpd binary; false when there is none.
#  - snmpd_env DIR: the client tools and snmpd keep their state under
#    DIR/persist, not in /var/lib/snmp, and read no snmp.conf but DIR's;
#    MIBS= loads no MIB files (numeric OIDs; symbolic queries name their
#    MIB with -m).
#  - snmpd_start DIR [OFFSET]: a master with its AgentX socket at
#    DIR/agentx.sock, its config DIR/snmpd.conf and its log DIR/snmpd.log,
#    on udp:127.0.0.1:$port, or when port is empty on the first of three
#    ports from $$ + OFFSET that answers within 10 s.  Sets port,
#    snmpd_pid (as soon as it runs) and SNMP (client options); false when
#    none started.
# The caller defines stop_pid PID (stops and reaps a process; a try that
# does not answer is stopped with it) and may set: SNMPD_TRACK, a command
# given each snmpd's pid as soon as it runs (the caller's cleanup);
# AGENTX_PERMS (the socket's and its directory's modes); SNMPD_EXTRA (more
# snmpd.conf lines); SNMP_TIMEOUT (seconds a client waits, once retried).
# sourced: SNMP and snmpd_pid are for the scripts that source it (SC2034)
# shellcheck shell=sh disable=SC2034
snmpd_pid="" port="" SNMP="" SNMPD=""
: "${AGENTX_PERMS:=0600 0700}" "${SNMPD_EXTRA:=}" "${SNMP_TIMEOUT:=3}" "${SNMPD_TRACK:=:}"

snmpd_find() {
	SNMPD=$(command -v snmpd || ls /usr/sbin/snmpd 2>/dev/null)
	[ -n "$SNMPD" ]
}

snmpd_env() {
	export SNMP_PERSISTENT_DIR="$1/persist" SNMPCONFPATH="$1" MIBS=
	mkdir -p "$SNMP_PERSISTENT_DIR"
}

snmpd_start() {
	_ss_dir=$1
	[ -n "$SNMPD" ] || snmpd_find || return 1
	cat >"$_ss_dir/snmpd.conf" <<EOF
master agentx
agentXSocket $_ss_dir/agentx.sock
agentXPerms $AGENTX_PERMS
agentXTimeout 1
rocommunity public 127.0.0.1
dontLogTCPWrappersConnects yes
$SNMPD_EXTRA
EOF
	_ss_given=$port _ss_cand=$port
	[ -n "$_ss_cand" ] || _ss_cand="$(($$ % 20000 + 30000 + ${2:-0})) \
$(($$ % 20000 + 30001 + ${2:-0})) $(($$ % 20000 + 40000 + ${2:-0}))"
	for _ss_p in $_ss_cand; do
		port=$_ss_p
		# -I -smux: no SMUX listener on tcp:199, which a system snmpd may hold
		"$SNMPD" -f -C -I -smux -c "$_ss_dir/snmpd.conf" -Lf "$_ss_dir/snmpd.log" \
			udp:127.0.0.1:"$port" &
		snmpd_pid=$!
		$SNMPD_TRACK "$snmpd_pid"
		# up when it answers (sysUpTime lives in the master itself), for
		# at most 10 s
		_ss_end=$(($(date +%s%N) / 1000000 + 10000))
		while kill -0 "$snmpd_pid" 2>/dev/null; do
			if snmpget -v2c -c public -r0 -t1 127.0.0.1:"$port" .1.3.6.1.2.1.1.3.0 \
				>/dev/null 2>&1 && kill -0 "$snmpd_pid" 2>/dev/null; then
				SNMP="-v2c -c public -r1 -t$SNMP_TIMEOUT 127.0.0.1:$port"
				return 0
			fi
			[ "$(($(date +%s%N) / 1000000))" -le "$_ss_end" ] || break
			sleep 0.1
		done
		stop_pid "$snmpd_pid"
		snmpd_pid=""
	done
	port=$_ss_given
	return 1
}
