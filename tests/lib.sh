# Shared by the shell tests (tests/*.sh); sourced, not run:
#	set -u
#	. "${top_srcdir:-.}/tests/lib.sh"
# POSIX sh: dash runs the #!/bin/sh tests.  tests/lib_faults.sh sources it and
# adds what only the reliability tests (bash) use.  What it gives:
#  - paths: top_builddir, top_srcdir (absolute), EBS, AGENT, WL; LAYOUT (pin layout); ROOT and O
#    (the MIB's subtree, from `ebpfstats catalog --oid-root`, and its
#    ebsObjects).
#  - TAP-ish lines and counters: ok, no, expect NAME COND (COND eval'ed, so
#    quoted '...'), note, finish (the summary line, exit 0 or 1), skip REASON
#    (exit 77, or finish when something failed already; a test may redefine
#    it), need_root [REASON].
#  - isnum, now_ms, wait_until SECONDS COND.
#  - cleanup at exit: $tmp (a fresh directory; kept when EBS_KEEP_TMP is
#    set), processes given to track (stopped last first), pins made by
#    new_pin (unloaded), cleanup_hook (a test redefines it for more); with a
#    failure, or EBS_SHOW_LOGS set, the last EBS_LOG_TAIL (25) lines of every
#    $tmp/*.log and $tmp/*/collectd.log.
#  - a private snmpd master (tests/lib_snmpd.sh, which bench/ and
#    scripts/demo source too) and the subagent: need_snmp (skips without
#    them), start_snmpd / start_master, SNMP (client options), get, get1,
#    agent_conf, start_agent.
#  - a private collectd: collectd_find (COLLECTD, CD_PLUGINDIR, CD_TYPESDB),
#    collectd_plugins PLUGIN... (ebpf.so and those into $tmp/plugins),
#    collectd_conf DIR HOST [LINE...], start_collectd DIR (cd_pid).
#  - for workloads: syscall_nr NAME, possible_cpus.
# expect's conditions are eval'ed later, hence single quotes:
# sourced: the variables it sets are for the tests that source it (SC2034)
# shellcheck shell=sh disable=SC2016,SC2034
: "${top_builddir:=.}" "${top_srcdir:=.}"
top_builddir=$(cd "$top_builddir" && pwd)
top_srcdir=$(cd "$top_srcdir" && pwd)
EBS="$top_builddir/ebpfstats"
AGENT="$top_builddir/ebpfstats-agentx"
WL="$top_builddir/tests/ebs-workload"
# pins live under <pin_path>/v<layout>/<module>/
LAYOUT=$(sed -n 's/^#define EBS_PIN_LAYOUT \([0-9]*\).*/\1/p' "$top_srcdir/src/ebpfstats.h")
# the one definition is snmp/oids.h; empty when ebpfstats is not built
ROOT=$("$EBS" catalog --oid-root 2>/dev/null)
O=$ROOT.1
TEST_NAME=$(basename "$0")

# ---- results ------------------------------------------------------------------
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok - $1"; }
no() { fail=$((fail + 1)); echo "not ok - $1"; }
expect() { # expect NAME COND: COND is eval'ed; returns its truth
	if eval "$2"; then ok "$1"; else no "$1"; return 1; fi
}
note() { echo "# $*"; }
finish() {
	echo "$pass passed, $fail failed"
	[ "$fail" -eq 0 ]
	exit $?
}
skip() {
	echo "$TEST_NAME: $*; skipped"
	[ "$fail" -eq 0 ] || finish
	exit 77
}
need_root() { [ "$(id -u)" -eq 0 ] || skip "${1:-needs root (loads BPF programs)}"; }
# scripts/sanitize asan runs the suite with ASAN_OPTIONS set: freed memory
# then waits in ASan's quarantine, and RSS says nothing about leaks
# (LeakSanitizer does)
under_asan() { [ -n "${ASAN_OPTIONS:-}" ]; }
isnum() { case "$1" in '' | *[!0-9]*) return 1 ;; *) return 0 ;; esac; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
wait_until() { # wait_until SECONDS COND: polls COND every 0.1 s
	# the deadline in $1, not in a variable a nested call would overwrite
	set -- "$(($(now_ms) + $1 * 1000))" "$2"
	while [ "$(now_ms)" -le "$1" ]; do
		eval "$2" && return 0
		sleep 0.1
	done
	return 1
}

# ---- cleanup: processes by pid, pins, temp dir ------------------------------------
test_pids="" test_pins="" pin=""
tmp=$(mktemp -d "/tmp/ebs-${TEST_NAME%.sh}.XXXXXX")
track() { test_pids="$1 $test_pids"; }
untrack() {
	_ut_rest=""
	for _ut_p in $test_pids; do [ "$_ut_p" = "$1" ] || _ut_rest="$_ut_rest $_ut_p"; done
	test_pids=$_ut_rest
}
stop_pid() { # stop_pid PID [SIG]: SIG (TERM), then KILL after 5 s; reaps
	[ -n "${1:-}" ] || return 0
	kill -"${2:-TERM}" "$1" 2>/dev/null || { untrack "$1"; return 0; }
	_sp_i=0
	while [ $_sp_i -lt 50 ] && kill -0 "$1" 2>/dev/null; do
		sleep 0.1
		_sp_i=$((_sp_i + 1))
	done
	kill -0 "$1" 2>/dev/null && kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	untrack "$1"
	return 0
}
new_pin() { # new_pin NAME: sets $pin to /sys/fs/bpf/ebs-NAME-PID, unloaded at exit
	pin="/sys/fs/bpf/ebs-$1-$$"
	test_pins="$test_pins $pin"
}
cleanup_hook() { :; }
test_cleanup() {
	cleanup_hook
	for _cl_p in $test_pids; do stop_pid "$_cl_p"; done
	for _cl_p in $test_pins; do
		[ -e "$_cl_p" ] && "$EBS" unload --pin-path "$_cl_p" >/dev/null 2>&1
		rm -rf "$_cl_p" 2>/dev/null
	done
	if [ "$fail" -ne 0 ] || [ -n "${EBS_SHOW_LOGS:-}" ]; then
		for _cl_p in "$tmp"/*.log "$tmp"/*/collectd.log; do
			[ -f "$_cl_p" ] && { echo "==== $_cl_p (tail)"; tail -n "${EBS_LOG_TAIL:-25}" "$_cl_p"; }
		done
	fi
	[ -n "${EBS_KEEP_TMP:-}" ] || rm -rf "$tmp"
}
trap test_cleanup EXIT
trap 'exit 1' INT TERM

# ---- snmpd master and the subagent ----------------------------------------------------
agent_pid=""
AGENTX_PERMS="0600 0700" # the AgentX socket's and its directory's
SNMPD_EXTRA=""           # more snmpd.conf lines
SNMP_TIMEOUT=3           # seconds a client waits for an answer, once retried
SNMPD_TRACK=track        # stopped at exit
# shellcheck source=tests/lib_snmpd.sh
. "$top_srcdir/tests/lib_snmpd.sh"
need_snmp() {
	snmpd_find && command -v snmpget >/dev/null 2>&1 ||
		skip "snmpd or snmpget missing (packages snmpd, snmp)"
	[ -x "$AGENT" ] || skip "ebpfstats-agentx not built (libsnmp-dev)"
	snmpd_env "$tmp"
}
start_snmpd() { # start_snmpd [OFFSET]: on $port, or when that is empty on
	# the first of three ports from $$ + OFFSET that works; sets port,
	# snmpd_pid and SNMP; the AgentX socket is $tmp/agentx.sock
	snmpd_start "$tmp" "$@"
}
start_master() { # start_master [OFFSET]: start_snmpd, or the test fails here
	start_snmpd "$@" && return 0
	no "snmpd master starts"
	finish
}
get() { # get OID: the value alone, quotes stripped
	# shellcheck disable=SC2086
	snmpget $SNMP -Oqvt "$1" 2>&1 | sed 's/^"\(.*\)"$/\1/'
}
get1() { # get1 OID: one try, short timeout (for polling)
	snmpget -v2c -c public -r0 -t1 127.0.0.1:"$port" -Oqvt "$1" 2>/dev/null | sed 's/^"\(.*\)"$/\1/'
}
agent_conf() { # agent_conf FILE [COMM [LINE...]]: a config for private programs,
	# a 1 s interval, only COMM's processes when given, and LINEs (under ebpf:)
	_ac_file=$1
	shift
	{
		printf 'integrations:\n  ebpf:\n    pin_path: ""\n    interval: 1s\n'
		[ $# -eq 0 ] || printf '    process_filter: [%s]\n' "$1"
		[ $# -le 1 ] || { shift; printf '    %s\n' "$@"; }
	} >"$_ac_file"
}
AGENT_READY='isnum "$(get1 $O.1.3.0)"' # what start_agent waits for, and then:
# the subagent registers its subtrees with the master one PDU each, in OID
# order, once connected: ebsCgroupTable (ebsObjects 8) is the last, and
# until the master has it a GET there says noSuchObject where it then says
# noSuchInstance.  A slow subagent (ASan) answers ebsAgent long before.
agent_registered() {
	_ar=$(get1 "$O.8.1.2.0")
	[ -n "$_ar" ] && [ "${_ar#No Such Object}" = "$_ar" ]
}
AGENT_PIDFILE=""                       # start_agent's -p, when set
start_agent() { # start_agent CONFIG LOG [PREFIX...]: PREFIX runs it (env, setpriv ...)
	_sa_cfg=$1 _sa_log=$2
	shift 2
	"$@" "$AGENT" -f -x "$tmp/agentx.sock" -c "$_sa_cfg" -Lf "$_sa_log" \
		${AGENT_PIDFILE:+-p "$AGENT_PIDFILE"} &
	agent_pid=$!
	track "$agent_pid"
	wait_until 20 "$AGENT_READY" && wait_until 20 agent_registered
}

# ---- a private collectd -------------------------------------------------------------
COLLECTD="" CD_PLUGINDIR="" CD_TYPESDB="" cd_pid="" cd_missing=""
collectd_find() { # collectd_find: sets COLLECTD, CD_PLUGINDIR (collectd's own
	# plugins: where this collectd was built to look) and CD_TYPESDB; false
	# without a collectd binary
	COLLECTD=$(command -v collectd || ls /usr/sbin/collectd 2>/dev/null)
	[ -n "$COLLECTD" ] || return 1
	CD_PLUGINDIR=$("$COLLECTD" -h 2>/dev/null | sed -n 's/^ *Plugin directory *//p')
	: "${CD_PLUGINDIR:=/usr/lib/collectd}"
	CD_TYPESDB=/usr/share/collectd/types.db
	[ -r "$CD_TYPESDB" ] || CD_TYPESDB=$(ls /usr/share/collectd*/types.db \
		/usr/local/share/collectd/types.db 2>/dev/null | head -n1)
}
collectd_plugins() { # collectd_plugins PLUGIN...: ebpf.so, collectd's logfile
	# and PLUGINs into $tmp/plugins, the one PluginDir of the tests' collectds.
	# Copied: collectd refuses symlinks (it lstat()s).  False, naming the
	# first missing one in $cd_missing, when one is missing.
	mkdir -p "$tmp/plugins"
	cd_missing="$top_builddir/.libs/ebpf.so"
	cp "$cd_missing" "$tmp/plugins/ebpf.so" 2>/dev/null || return 1
	for _cp_p in logfile "$@"; do
		cd_missing="$CD_PLUGINDIR/$_cp_p.so"
		cp "$cd_missing" "$tmp/plugins/" 2>/dev/null || return 1
	done
	cd_missing=""
}
collectd_conf() { # collectd_conf DIR HOST [LINE...]: DIR/collectd.conf of a
	# private collectd named HOST: BaseDir and PIDFile in DIR, the plugins of
	# $tmp/plugins, collectd's types and ebpf.types.db, Interval 1, logfile
	# (info) to DIR/collectd.log; then the LINEs
	_cc_dir=$1 _cc_host=$2
	shift 2
	mkdir -p "$_cc_dir"
	{
		cat <<EOF
Hostname "$_cc_host"
FQDNLookup false
BaseDir "$_cc_dir"
PIDFile "$_cc_dir/collectd.pid"
PluginDir "$tmp/plugins"
TypesDB "$CD_TYPESDB" "$top_srcdir/collectd/ebpf.types.db"
Interval 1
LoadPlugin logfile
<Plugin logfile>
  LogLevel info
  File "$_cc_dir/collectd.log"
  Timestamp true
</Plugin>
EOF
		printf '%s\n' "$@"
	} >"$_cc_dir/collectd.conf"
}
start_collectd() { # start_collectd DIR: `collectd -f` on DIR/collectd.conf,
	# output to DIR/stdout; sets cd_pid (tracked)
	"$COLLECTD" -f -C "$1/collectd.conf" >>"$1/stdout" 2>&1 &
	cd_pid=$!
	track "$cd_pid"
}

# ---- workloads --------------------------------------------------------------------------
syscall_nr() { # syscall_nr NAME: its number from <sys/syscall.h>; false without a compiler
	_sn=$(printf '#include <sys/syscall.h>\nSYS_%s\n' "$1" | ${CC:-cc} -E -P - 2>/dev/null | tail -n 1)
	isnum "$_sn" && echo "$_sn"
}
# One loopback connection carrying BYTES, kept open (ebs-workload tcphold):
# hold_start BYTES [PORT] returns once the sender has them acknowledged, with
# $hold_port set; hold_finish closes both ends and sets hold_client and
# hold_server to "BYTES_ACKED BYTES_RECEIVED SEGS_OUT SEGS_IN", each end's
# TCP_INFO at its CLOSE.
hold_pid="" hold_port="" hold_client="" hold_server=""
hold_start() {
	rm -f "$tmp/hold.go" "$tmp/hold.out"
	"$WL" tcphold "$1" "$tmp/hold.go" ${2:+"$2"} >"$tmp/hold.out" 2>"$tmp/hold.err" &
	hold_pid=$!
	track "$hold_pid"
	wait_until 60 '[ -s "$tmp/hold.out" ] || ! kill -0 $hold_pid 2>/dev/null'
	hold_port=$(head -n 1 "$tmp/hold.out")
	isnum "$hold_port"
}
hold_finish() {
	touch "$tmp/hold.go"
	wait "$hold_pid"
	_hf_rc=$?
	untrack "$hold_pid"
	hold_client=$(sed -n 's/^client //p' "$tmp/hold.out")
	hold_server=$(sed -n 's/^server //p' "$tmp/hold.out")
	[ "$_hf_rc" -eq 0 ] && [ -n "$hold_client" ] && [ -n "$hold_server" ]
}
nth() { # nth N WORDS...: the Nth word
	_nth=$1
	shift
	eval "echo \${$_nth}"
}

possible_cpus() { # how many CPUs are possible: the rows of every per-CPU table
	awk -F, '{n = 0; for (i = 1; i <= NF; i++) { split($i, r, "-");
		n += (r[2] == "" ? 1 : r[2] - r[1] + 1) } print n}' /sys/devices/system/cpu/possible
}
