# Shared by the reliability tests (tests/rel_*.sh); sourced, not run.
# TAP-ish counters, process and temp-dir cleanup, a private snmpd master
# and the subagent, and the BPF object ids a process holds.
# shellcheck shell=bash disable=SC2016,SC2034
: "${top_builddir:=.}" "${top_srcdir:=.}"
top_builddir=$(cd "$top_builddir" && pwd)
top_srcdir=$(cd "$top_srcdir" && pwd)
EBS="$top_builddir/ebpfstats"
AGENT="$top_builddir/ebpfstats-agentx"
WL="$top_builddir/tests/ebs-workload"
ROOT=.1.3.6.1.4.1.8072.9999.9999.42
O=$ROOT.1
REL_NAME=${REL_NAME:-$(basename "$0" .sh)}
# pins live under <pin_path>/v<layout>/<module>/
LAYOUT=$(sed -n 's/^#define EBS_PIN_LAYOUT \([0-9]*\).*/\1/p' "$top_srcdir/src/ebpfstats.h")

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
skip() { echo "$REL_NAME: $*; skipped"; exit 77; }
need_root() { [ "$(id -u)" -eq 0 ] || skip "needs root (loads BPF programs)"; }
isnum() { case "$1" in '' | *[!0-9]*) return 1 ;; *) return 0 ;; esac; }

wait_until() { # wait_until SECONDS COND: polls COND every 0.1 s
	local end
	end=$(($(date +%s%N) / 1000000 + $1 * 1000))
	while [ $(($(date +%s%N) / 1000000)) -le "$end" ]; do
		eval "$2" && return 0
		sleep 0.1
	done
	return 1
}
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# ---- cleanup: processes by pid, pins, temp dir ------------------------------
rel_pids=""
rel_pins=""
rel_tmp=$(mktemp -d "/tmp/ebs-$REL_NAME.XXXXXX")
chmod 0755 "$rel_tmp"
track() { rel_pids="$rel_pids $1"; }
untrack() {
	local p rest=""
	for p in $rel_pids; do [ "$p" = "$1" ] || rest="$rest $p"; done
	rel_pids=$rest
}
stop_pid() { # stop_pid PID [SIG]: SIG (TERM), then KILL after 5 s; reaps
	[ -n "${1:-}" ] || return 0
	kill -"${2:-TERM}" "$1" 2>/dev/null || { untrack "$1"; return 0; }
	local i
	for i in $(seq 1 50); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$1" 2>/dev/null && kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	untrack "$1"
	return 0
}
new_pin() { # new_pin NAME: sets $pin to a test pin path, unloaded at exit
	pin="/sys/fs/bpf/ebs-rel-$1-$$"
	rel_pins="$rel_pins $pin"
}
rel_cleanup() {
	local p
	for p in $rel_pids; do stop_pid "$p"; done
	for p in $rel_pins; do
		[ -e "$p" ] && "$EBS" unload --pin-path "$p" >/dev/null 2>&1
		rm -rf "$p" 2>/dev/null
	done
	if [ "$fail" -ne 0 ] || [ -n "${REL_KEEP:-}" ]; then
		for p in "$rel_tmp"/*.log; do
			[ -f "$p" ] && { echo "==== $p (tail)"; tail -n ${REL_TAIL:-25} "$p"; }
		done
	fi
	rm -rf "$rel_tmp"
}
trap rel_cleanup EXIT
trap 'exit 1' INT TERM

# ---- BPF objects a process holds, from /proc/PID/fdinfo ---------------------
# prog ids of the prog and link fds of PID, sorted, one per line
held_prog_ids() {
	grep -h '^prog_id:' /proc/"$1"/fdinfo/* 2>/dev/null | awk '{print $2}' | sort -un
}
held_map_ids() {
	grep -h '^map_id:' /proc/"$1"/fdinfo/* 2>/dev/null | awk '{print $2}' | sort -un
}
held_link_ids() {
	grep -h '^link_id:' /proc/"$1"/fdinfo/* 2>/dev/null | awk '{print $2}' | sort -un
}
# prog ids pinned under a pin path (every module, every layout)
pinned_prog_ids() {
	local f
	for f in "$1"/v*/*/progs/*; do
		[ -e "$f" ] || continue
		bpftool prog show pinned "$f" 2>/dev/null | sed -n 's/^\([0-9]*\):.*/\1/p'
	done | sort -un
}
pinned_link_ids() {
	local f
	for f in "$1"/v*/*/links/*; do
		[ -e "$f" ] || continue
		bpftool link show pinned "$f" 2>/dev/null | sed -n 's/^\([0-9]*\):.*/\1/p'
	done | sort -un
}
prog_alive() { bpftool prog show id "$1" >/dev/null 2>&1; }
link_alive() { bpftool link show id "$1" >/dev/null 2>&1; }
all_gone() { # all_gone "ID ...": none of these prog ids is loaded any more
	local id
	for id in $1; do prog_alive "$id" && return 1; done
	return 0
}
# links in the whole system attached to one of the prog ids given
links_of_progs() { # links_of_progs "ID ID ...": link ids, one per line
	bpftool link list 2>/dev/null | awk -v ids=" $1 " '
		/^[0-9]+:/ { link = $1; sub(":", "", link) }
		{ for (i = 1; i < NF; i++) if ($i == "prog" && index(ids, " " $(i + 1) " ")) print link }' |
		sort -un
}
count_lines() { grep -c . ; }
# every ebsModuleStatus is ok(1) or disabled(4), and at least 3 are ok
snmp_modules_ok() {
	# shellcheck disable=SC2046
	snmpwalk $(SNMP) -Oqv $O.2.1.3 2>&1 | awk '$1 == 1 { ok++ } $1 != 1 && $1 != 4 { bad++ }
		END { exit !(ok >= 3 && !bad) }'
}
cap_eff() { sed -n 's/^CapEff:[[:space:]]*//p' /proc/"$1"/status; }
cap_prm() { sed -n 's/^CapPrm:[[:space:]]*//p' /proc/"$1"/status; }
rss_kb() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\).*/\1/p' /proc/"$1"/status; }
fd_count() { find /proc/"$1"/fd -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }

# ---- snmpd master and the subagent ------------------------------------------
SNMPD=$(command -v snmpd || ls /usr/sbin/snmpd 2>/dev/null)
need_snmp() {
	[ -n "$SNMPD" ] && command -v snmpget >/dev/null 2>&1 ||
		skip "snmpd or snmpget missing (packages snmpd, snmp)"
	[ -x "$AGENT" ] || skip "ebpfstats-agentx not built (libsnmp-dev)"
	# client tools and snmpd read no system config and keep no state outside
	export SNMP_PERSISTENT_DIR="$rel_tmp/persist" SNMPCONFPATH="$rel_tmp" MIBS=
	mkdir -p "$SNMP_PERSISTENT_DIR"
}
snmpd_pid="" agent_pid="" port=""
SNMPD_EXTRA=""
write_snmpd_conf() {
	cat >"$rel_tmp/snmpd.conf" <<EOF
master agentx
agentXSocket $rel_tmp/agentx.sock
agentXPerms ${AGENTX_PERMS:-0600 0700}
agentXTimeout 1
rocommunity public 127.0.0.1
dontLogTCPWrappersConnects yes
$SNMPD_EXTRA
EOF
}
SNMP() { echo "-v2c -c public -r1 -t2 127.0.0.1:$port"; }
get() { # get OID: the value alone, quotes stripped
	# shellcheck disable=SC2046
	snmpget $(SNMP) -Oqvt "$1" 2>&1 | sed 's/^"\(.*\)"$/\1/'
}
get1() { # get1 OID: one try, short timeout (for polling)
	snmpget -v2c -c public -r0 -t1 127.0.0.1:"$port" -Oqvt "$1" 2>/dev/null | sed 's/^"\(.*\)"$/\1/'
}
start_snmpd() { # start_snmpd: on $port, or a free one when $port is empty
	local p cand
	write_snmpd_conf
	if [ -n "$port" ]; then cand=$port; else
		cand="$(($$ % 20000 + 30000)) $(($$ % 20000 + 30001)) $(($$ % 20000 + 40000))"
	fi
	for p in $cand; do
		port=$p
		"$SNMPD" -f -C -I -smux -c "$rel_tmp/snmpd.conf" -Lf "$rel_tmp/snmpd.log" \
			udp:127.0.0.1:"$port" &
		snmpd_pid=$!
		track "$snmpd_pid"
		# sysUpTime lives in the master itself
		if wait_until 10 'snmpget -v2c -c public -r0 -t1 127.0.0.1:$port .1.3.6.1.2.1.1.3.0 \
			>/dev/null 2>&1 || ! kill -0 $snmpd_pid 2>/dev/null' &&
			kill -0 "$snmpd_pid" 2>/dev/null; then
			return 0
		fi
		stop_pid "$snmpd_pid"
		snmpd_pid=""
	done
	port=""
	return 1
}
start_agent() { # start_agent CONFIG LOG [PREFIX...]: PREFIX runs it (setpriv ...)
	local cfg=$1 log=$2
	shift 2
	"$@" "$AGENT" -f -x "$rel_tmp/agentx.sock" -c "$cfg" -Lf "$log" &
	agent_pid=$!
	track "$agent_pid"
	wait_until 20 'isnum "$(get1 $O.1.3.0)"'
}
