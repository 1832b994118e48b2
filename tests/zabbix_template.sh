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
: "${top_builddir:=.}" "${top_srcdir:=.}"
AGENT="$top_builddir/ebpfstats-agentx"
WL="$top_builddir/tests/ebs-workload"
TPL="$top_srcdir/zabbix/template_ebpfstats_snmp.yaml"
GEN="$top_srcdir/zabbix/gen-template.py"
MIB="$top_srcdir/mibs/EBPFSTATS-MIB.txt"
CHECK="$top_srcdir/tests/zabbix_template.py"
O=.1.3.6.1.4.1.8072.9999.9999.42.1
WL_COMM=ebs-zbx-wl

if ! command -v python3 >/dev/null 2>&1 || ! python3 -c 'import yaml' 2>/dev/null; then
	echo "zabbix_template.sh: python3 with PyYAML missing (package python3-yaml); skipped"
	exit 77
fi
fail=0
mibdirs=""
if d=$(sh "$top_srcdir/tests/mibs-fetch.sh" 2>/dev/null); then
	mibdirs="$d:$top_srcdir/mibs"
else
	echo "# SMIv2 base MIBs not available: no snmptranslate cross-check"
fi

# ---- static ------------------------------------------------------------------
python3 "$CHECK" --template "$TPL" --generator "$GEN" --mib "$MIB" --mibdirs "$mibdirs" || fail=1

# the checker must notice a wrong column
bad=$(mktemp /tmp/ebs-zbx-bad.XXXXXX)
sed 's/\.42\.1\.3\.10\.1\.4\.{#SNMPINDEX}/.42.1.3.10.1.9.{#SNMPINDEX}/' "$TPL" >"$bad"
if python3 "$CHECK" --template "$bad" --mib "$MIB" >"$bad.out" 2>&1; then
	echo "not ok - a template reading column 9 of ebsSyscallTable (none) passed the checks"
	fail=1
elif grep -q "not ok - all .* OIDs of the template are MIB objects.*3\.10\.1\.9" "$bad.out"; then
	echo "ok - a template reading column 9 of ebsSyscallTable (none) fails the OID check"
else
	echo "not ok - the broken template failed, but not on its OID:"
	grep "not ok" "$bad.out"
	fail=1
fi
rm -f "$bad" "$bad.out"

# ---- live ----------------------------------------------------------------------
if [ "$(id -u)" -ne 0 ]; then
	echo "zabbix_template.sh: the live part needs root (BPF); skipped"
	[ $fail -eq 0 ] && exit 77
	exit 1
fi
SNMPD=$(command -v snmpd || ls /usr/sbin/snmpd 2>/dev/null)
if [ -z "$SNMPD" ] || ! command -v snmpbulkwalk >/dev/null 2>&1; then
	echo "zabbix_template.sh: snmpd or snmpbulkwalk missing (packages snmpd, snmp); skipped"
	[ $fail -eq 0 ] && exit 77
	exit 1
fi

tmp=$(mktemp -d /tmp/ebs-zbx.XXXXXX)
snmpd_pid="" agent_pid=""
stop_pid() {
	[ -n "$1" ] || return 0
	kill "$1" 2>/dev/null || return 0
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		kill -0 "$1" 2>/dev/null || { wait "$1" 2>/dev/null; return 0; }
		sleep 0.5
	done
	kill -9 "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}
cleanup() {
	stop_pid "$agent_pid"
	stop_pid "$snmpd_pid"
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
export SNMP_PERSISTENT_DIR="$tmp/persist" SNMPCONFPATH="$tmp" MIBS=
mkdir -p "$SNMP_PERSISTENT_DIR"
cat >"$tmp/snmpd.conf" <<EOF
master agentx
agentXSocket $tmp/agentx.sock
agentXPerms 0600 0700
agentXTimeout 1
rocommunity public 127.0.0.1
dontLogTCPWrappersConnects yes
EOF
port=""
for p in $(($$ % 20000 + 30002)) $(($$ % 20000 + 30003)) $(($$ % 20000 + 40002)); do
	"$SNMPD" -f -C -I -smux -c "$tmp/snmpd.conf" -Lf "$tmp/snmpd.log" udp:127.0.0.1:"$p" &
	snmpd_pid=$!
	for _ in $(seq 1 40); do
		snmpget -v2c -c public -r0 -t1 127.0.0.1:"$p" .1.3.6.1.2.1.1.3.0 >/dev/null 2>&1 &&
			{ port=$p; break; }
		kill -0 "$snmpd_pid" 2>/dev/null || break
		sleep 0.25
	done
	[ -n "$port" ] && break
	stop_pid "$snmpd_pid"
	snmpd_pid=""
done
if [ -z "$port" ]; then
	echo "not ok - snmpd master starts"
	cat "$tmp/snmpd.log"
	exit 1
fi
SNMP="-v2c -c public -r1 -t3 127.0.0.1:$port"
get() { snmpget $SNMP -Oqv "$1" 2>&1 | tr -d '"'; }
cat >"$tmp/agent.yaml" <<EOF
integrations:
  ebpf:
    pin_path: ""
    interval: 1s
    process_filter: [$WL_COMM]
EOF
"$AGENT" -f -x "$tmp/agentx.sock" -c "$tmp/agent.yaml" -Lf "$tmp/agent.log" &
agent_pid=$!
i=0
while [ "$(get $O.2.1.2.1)" != syscalls ] && [ $i -lt 80 ]; do sleep 0.25; i=$((i + 1)); done

# a known system call and a known listening port in the tables
"$WL" getppid 100 "$WL_COMM" || echo "# workload getppid failed"
wlport=$("$WL" tcp 3) || echo "# workload tcp failed"
i=0
while ! snmpwalk $SNMP -Oqv $O.3.10.1.2 2>/dev/null | grep -q '"getppid"' ||
	[ -z "$(get $O.4.21.1.2.$wlport | grep -x '[0-9]*')" ]; do
	[ $i -lt 40 ] || break
	sleep 0.25
	i=$((i + 1))
done
ncpu=$(awk -F, '{n = 0; for (i = 1; i <= NF; i++) { split($i, r, "-");
	n += (r[2] == "" ? 1 : r[2] - r[1] + 1) } print n}' /sys/devices/system/cpu/possible)

python3 "$CHECK" --template "$TPL" --mib "$MIB" --snmp "$SNMP" \
	--cpus "$ncpu" --port "$wlport" --syscall getppid || fail=1
if [ $fail -ne 0 ]; then
	for f in snmpd.log agent.log; do echo "==== $f"; tail -n 20 "$tmp/$f"; done
fi
exit $fail
