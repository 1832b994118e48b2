#!/bin/sh
# snmp/ebpfstats-agentx.service, checked without systemd as PID 1:
#  1. systemd-analyze verify is silent (ExecStart pointed at the build), and
#     `systemd-analyze security --offline` rates the sandbox "OK" or better;
#     the unit runs as a non-root user with only CAP_BPF and CAP_PERFMON,
#     NoNewPrivileges, ProtectSystem=strict, bpffs writable, no shell.
#  2. As root: the subagent runs the way the unit runs it -- user nobody in
#     place of ebpfstats, the unit's ambient and bounding capabilities, no new
#     privileges (setpriv) -- on programs a root process pinned first, as
#     collectd would: without the unit's ExecStartPre commands it cannot use
#     those pins (private programs, degraded); under a bpffs mounted 0700 as
#     systemd mounts it, it cannot reach the pin directory without the
#     unit's BindPaths (degraded again); with both it serves every module on
#     the root process's programs; it drops its effective capabilities,
#     reloads on SIGHUP and stops on SIGTERM, all with every file system
#     read-only but the bound pin directory (ProtectSystem=strict,
#     RuntimeDirectory and BindPaths, approximated in a mount namespace);
#     every system call it made (strace) is inside the unit's
#     SystemCallFilter and every socket family inside
#     RestrictAddressFamilies.
# Needs systemd-analyze (package systemd); part 2 root, snmpd, setpriv and
# strace.  Exit 77 when nothing could be checked.
# shellcheck disable=SC2034 # variables read only in expect's eval'ed conditions
set -u
# shellcheck source=tests/lib.sh
. "${top_srcdir:-.}/tests/lib.sh"
UNIT="$top_srcdir/snmp/ebpfstats-agentx.service"
# what passed stands: a skip skips the rest, exit 77 only when nothing ran
skip() {
	echo "systemd.sh: $*; the rest skipped"
	if [ "$pass" -eq 0 ] && [ "$fail" -eq 0 ]; then exit 77; fi
	finish
}
# value KEY: the unit's value of KEY (the last one when repeated)
value() { sed -n "s/^$1=//p" "$UNIT" | tail -n 1; }

# ---- 1. the unit file ------------------------------------------------------
expect "User= is a non-root user ($(value User))" \
	'[ -n "$(value User)" ] && [ "$(value User)" != root ] && [ "$(value User)" != 0 ]'
expect "AmbientCapabilities=CAP_BPF CAP_PERFMON" '[ "$(value AmbientCapabilities)" = "CAP_BPF CAP_PERFMON" ]'
expect "CapabilityBoundingSet=CAP_BPF CAP_PERFMON" '[ "$(value CapabilityBoundingSet)" = "CAP_BPF CAP_PERFMON" ]'
expect "NoNewPrivileges=yes" '[ "$(value NoNewPrivileges)" = yes ]'
expect "ProtectSystem=strict" '[ "$(value ProtectSystem)" = strict ]'
# systemd mounts /sys/fs/bpf 0700: the service user reaches its pins through
# a bind mount, and the subagent is told where (-P)
bind=$(value BindPaths)
bind_src=${bind%%:*} bind_src=${bind_src#-} bind_dst=${bind#*:}
expect "BindPaths=$bind shows /sys/fs/bpf/ebpfstats under RuntimeDirectory=$(value RuntimeDirectory)" \
	'[ "$bind_src" = /sys/fs/bpf/ebpfstats ] && [ "${bind_dst#/run/$(value RuntimeDirectory)/}" != "$bind_dst" ]'
expect "ExecStart points the subagent at it (-P $bind_dst)" \
	'value ExecStart | grep -Eq -- " -P $bind_dst( |$)"'
expect "ExecStartPre makes and hands over the BindPaths source" \
	'[ "$(sed -n "s/^ExecStartPre=+//p" "$UNIT" | grep -c " $bind_src$")" = 2 ]'
shells=$(sed -n 's/^Exec[A-Za-z]*=[-+!@:]*//p' "$UNIT" | awk '{ n = split($1, p, "/"); print p[n] }' |
	grep -Ex '(ba|da|z|k|c|tc|fi)?sh' | sort -u | tr '\n' ' ')
expect "no Exec line runs a shell${shells:+: $shells}" '[ -z "$shells" ]'
root_cmds=$(sed -n 's/^Exec[A-Za-z]*=+//p' "$UNIT" | awk '{print $1}' | sort -u | tr '\n' ' ')
expect "only install and chown run as root (+): $root_cmds" \
	'[ "$root_cmds" = "/bin/chown /usr/bin/install " ]'

if ! command -v systemd-analyze >/dev/null 2>&1; then
	skip "systemd-analyze missing (package systemd)"
fi
cleanup_hook() {
	# under strace, $agent_pid is strace's: stop the subagent by its own pid
	[ -s "$tmp/run/agent.pid" ] && kill "$(cat "$tmp/run/agent.pid")" 2>/dev/null
}

# verify wants ExecStart to exist: point it at the build
sed "s|^ExecStart=/usr/sbin/ebpfstats-agentx|ExecStart=$AGENT|" "$UNIT" >"$tmp/ebpfstats-agentx.service"
if [ -x "$AGENT" ]; then
	out=$(cd "$tmp" && systemd-analyze verify ./ebpfstats-agentx.service 2>&1)
	rc=$?
	expect "systemd-analyze verify: rc 0 and silent (rc $rc${out:+: $out})" '[ $rc -eq 0 ] && [ -z "$out" ]'
else
	echo "# $AGENT not built: verify skipped"
fi
out=$(cd "$tmp" && systemd-analyze security --offline=yes ./ebpfstats-agentx.service 2>&1)
level=$(echo "$out" | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\) \([A-Z]*\).*/\1 \2/p')
expect "systemd-analyze security --offline: exposure $level (at most 3.0)" \
	'[ -n "$level" ] && awk -v l="${level% *}" "BEGIN { exit !(l <= 3.0) }"'

# ---- 2. the service as the unit runs it -------------------------------------
need_root "part 2 needs root (BPF)"
need_snmp
command -v setpriv >/dev/null 2>&1 || skip "setpriv missing (package util-linux)"
[ -d /sys/fs/bpf ] && [ "$(stat -f -c %T /sys/fs/bpf 2>/dev/null)" = bpf_fs ] ||
	skip "no bpffs at /sys/fs/bpf (scripts/mounts)"
STRACE=$(command -v strace || true)
[ -n "$STRACE" ] || echo "# strace missing (package strace): the system call filter is not checked"

user=nobody
group=$(id -gn nobody)
chmod 0755 "$tmp"
mkdir -p "$tmp/run"
chown "$user:$group" "$tmp/run"
new_pin systemd

# snmpd with an AgentX socket the service user may use
AGENTX_PERMS="0666 0755"
start_master 4

cat >"$tmp/ebpfstats.yaml" <<EOF
integrations:
  ebpf:
    pin_path: $pin
    interval: 1s
EOF
chmod 0644 "$tmp/ebpfstats.yaml"

# a root process pins first, as collectd (root on Debian) may at boot
"$EBS" show -n 1 -i 1 -c "$tmp/ebpfstats.yaml" >"$tmp/root-pins.out" 2>&1
expect "a root process pinned the programs under $pin" '[ -d "$pin/v1" ] || ls "$pin"/v* >/dev/null 2>&1'

# setpriv arguments from the unit's capability lines
caps() { # CAP_BPF CAP_PERFMON -> +bpf,+perfmon
	echo "$1" | tr ' ' '\n' | sed -n 's/^CAP_\(.*\)/+\1/p' | tr 'A-Z' 'a-z' | paste -sd, -
}
amb=$(caps "$(value AmbientCapabilities)")
bnd=$(caps "$(value CapabilityBoundingSet)")
nnp=""
[ "$(value NoNewPrivileges)" = yes ] && nnp=--no-new-privs
# The unit's namespace, roughly (systemd makes it for ExecStart after the
# ExecStartPre commands ran): bpffs as systemd mounts it, 0700 and root's
# (a fresh instance over /sys/fs/bpf: the pins stay in the host's); with
# BINDS=yes the pin directory bound to $tmp/run/pins (RuntimeDirectory is
# $tmp/run here, as the pid file's place); with RO=yes ProtectSystem=strict
# + ProtectKernelTunables: every mount read-only but /dev, /proc and those
# two, and the script says whether that held.
pins=$tmp/run/${bind_dst#/run/$(value RuntimeDirectory)/}
cat >"$tmp/ns.sh" <<EOF
mount --bind "$tmp/run" "$tmp/run"
if [ "\$BINDS" = yes ]; then
	mkdir -p "$pins" && chown $user "$pins" && mount --bind "$pin" "$pins" || exit 9
fi
mount -t bpf -o mode=0700 bpf /sys/fs/bpf || exit 9
if [ "\$RO" = yes ]; then
	awk '{ print \$5 }' /proc/self/mountinfo | while read -r m; do
		case "\$m" in
		/dev | /dev/* | /proc | /proc/* | /mnt/* | /media/* | $tmp/run | $tmp/run/*) ;;
		*) mount -o remount,bind,ro "\$m" 2>/dev/null ;;
		esac
	done
	if ! touch /etc/.ebs-rw-probe 2>/dev/null && ! touch "$tmp/.ebs-rw-probe" 2>/dev/null &&
		! mkdir /sys/fs/bpf/rwprobe 2>/dev/null && mkdir "$pins/rwprobe" && rmdir "$pins/rwprobe"; then
		echo "read-only but the pin directory: yes"
	else
		echo "read-only but the pin directory: no"
	fi
fi
exec "\$@"
EOF
# start_service LOG [MODE] [AGENT ARGS]: as the unit would run it; MODE
# "" (no namespace), ns (0700 bpffs), unit (0700 bpffs, BindPaths, read-only)
start_service() {
	_log=$1 _mode=${2:-}
	shift $(($# < 2 ? $# : 2))
	_args="$*"
	case "$_mode" in
	"") set -- ;;
	ns) set -- env BINDS=no RO=no unshare --mount --propagation private sh "$tmp/ns.sh" ;;
	unit)
		set -- env BINDS=yes RO=yes unshare --mount --propagation private sh "$tmp/ns.sh"
		[ -n "$STRACE" ] && set -- "$STRACE" -f -qq -o "$tmp/strace.log" "$@"
		;;
	esac
	# shellcheck disable=SC2086 # the agent's extra arguments, split
	"$@" setpriv --reuid="$user" --regid="$group" --clear-groups \
		--inh-caps=-all,"$amb" --ambient-caps=-all,"$amb" --bounding-set=-all,"$bnd" $nnp \
		"$AGENT" -f -Le -x "$tmp/agentx.sock" -c "$tmp/ebpfstats.yaml" -p "$tmp/run/agent.pid" \
		$_args >"$_log" 2>&1 &
	agent_pid=$!
	track "$agent_pid"
	wait_until 20 '[ "$(get $O.2.1.2.1)" = syscalls ]'
}

# without ExecStartPre: root's pins (0600) are closed to the service user,
# which runs private programs instead and says why
start_service "$tmp/agent-nopre.log"
st=$(get $O.2.1.3.1)
reason=$(get $O.2.1.4.1)
expect "without ExecStartPre the service user cannot use root's pins: degraded (status $st: $reason)" \
	'[ "$st" = 2 ] && echo "$reason" | grep -q "Permission denied: programs are private to this process"'
loaded=$(get $O.1.3.0)
expect "... on programs of its own (ebsAgentProgramsLoaded.0 $loaded)" '[ "${loaded:-0}" -gt 0 ]'
stop_pid "$agent_pid"
agent_pid=""

# the unit's ExecStartPre commands, as root, for user nobody and this pin dir
sed -n 's/^ExecStartPre=+//p' "$UNIT" |
	sed -e "s|/sys/fs/bpf/ebpfstats|$pin|g" -e "s/ebpfstats:ebpfstats/$user:$group/g" \
		-e "s/-o ebpfstats -g ebpfstats/-o $user -g $group/g" >"$tmp/pre.cmds"
pre_ok=yes
while read -r cmd; do
	# shellcheck disable=SC2086 # a command line of the unit, split as systemd does
	$cmd || pre_ok=no
done <"$tmp/pre.cmds"
expect "the unit's ExecStartPre commands run ($(tr '\n' ';' <"$tmp/pre.cmds"))" '[ $pre_ok = yes ]'
owner=$(stat -c %U "$pin")
expect "the pin directory now belongs to the service user ($owner)" '[ "$owner" = "$user" ]'

# systemd's 0700 bpffs without BindPaths: /sys/fs/bpf/ebpfstats is out of reach
start_service "$tmp/agent-nobind.log" ns
st=$(get $O.2.1.3.1)
reason=$(get $O.2.1.4.1)
expect "under a 0700 bpffs without BindPaths: degraded (status $st: $reason)" \
	'[ "$st" = 2 ] && echo "$reason" | grep -q "cannot create pin directory $pin: Permission denied"'
stop_pid "$agent_pid"
agent_pid=""

start_service "$tmp/agent.log" unit -P "$pins"
expect "file system read-only but the bound pin directory, as ProtectSystem=strict + BindPaths make it" \
	'grep -q "read-only but the pin directory: yes" "$tmp/agent.log"'
sts=$(snmpwalk $SNMP -Oqv $O.2.1.3 2>/dev/null | head -n 3 | tr '\n' ' ')
expect "as $user with $amb, -P $pins: syscalls, tcp, sched ok (got $sts)" '[ "$sts" = "1 1 1 " ]' ||
	tail -n 5 "$tmp/agent.log"
loaded=$(get $O.1.3.0)
expect "ebsAgentProgramsLoaded.0 is 0: the root process's programs are reused (got $loaded)" \
	'[ "$loaded" = 0 ]'
apid=$(cat "$tmp/run/agent.pid" 2>/dev/null)
expect "the subagent wrote its pid file" '[ -n "$apid" ]' ||
	apid=$(pgrep -P "$agent_pid" | head -n 1) # the child of strace
if [ -n "$apid" ] && [ -r "/proc/$apid/status" ]; then
	st=$(cat "/proc/$apid/status")
	f() { echo "$st" | sed -n "s/^$1:[[:space:]]*//p" | awk '{print $1}'; }
	want=000000c000000000 # CAP_PERFMON (38) and CAP_BPF (39)
	expect "the subagent runs as uid $(f Uid) ($(id -u $user))" '[ "$(f Uid)" = "$(id -u $user)" ]'
	expect "effective capabilities dropped after attach (CapEff $(f CapEff))" \
		'[ "$(f CapEff)" = 0000000000000000 ]'
	# the ambient set went with the inheritable one when the subagent dropped
	expect "permitted and bounding are bpf+perfmon only, ambient cleared ($(f CapPrm) $(f CapBnd) $(f CapAmb))" \
		'[ "$(f CapPrm)" = $want ] && [ "$(f CapBnd)" = $want ] && [ "$(f CapAmb)" = 0000000000000000 ]'
	expect "no new privileges (NoNewPrivs $(f NoNewPrivs))" '[ "$(f NoNewPrivs)" = 1 ]'
	kill -HUP "$apid"
	wait_until 10 'grep -q "reloaded" "$tmp/agent.log"'
	expect "SIGHUP (systemctl reload) reloads as $user" \
		'grep -q "reloaded" "$tmp/agent.log" && [ "$(get $O.2.1.3.1)" = 1 ]'
	kill -TERM "$apid"
	wait_until 10 '! kill -0 "$apid" 2>/dev/null'
	expect "SIGTERM stops it" '! kill -0 "$apid" 2>/dev/null'
else
	no "the subagent runs (pid '$apid')"
fi
stop_pid "$agent_pid"
agent_pid=""

if [ -n "$STRACE" ] && [ -s "$tmp/strace.log" ]; then
	# expand SystemCallFilter's groups with systemd's own tables
	expand() {
		for s in "$@"; do
			case "$s" in
			@*) systemd-analyze syscall-filter "$s" | awk 'NR > 1 && NF && $1 !~ /^#/ { print $1 }' |
				while read -r x; do expand "$x"; done ;;
			*) echo "$s" ;;
			esac
		done
	}
	# shellcheck disable=SC2046 # the filter is a list of words, one argument each
	expand $(value SystemCallFilter) | sort -u >"$tmp/allowed"
	awk -v p="execve(\"$AGENT\"" 'index($0, p) { on = 1 }
		on { sub(/^[0-9]+ +/, ""); if ($0 ~ /^[a-z_0-9]+\(/) { sub(/\(.*/, ""); print } }' \
		"$tmp/strace.log" | sort -u >"$tmp/used"
	extra=$(comm -23 "$tmp/used" "$tmp/allowed" | tr '\n' ' ')
	expect "all $(wc -l <"$tmp/used") system calls made are in SystemCallFilter=$(value SystemCallFilter)${extra:+ (not: $extra)}" \
		'[ -s "$tmp/used" ] && [ -z "$extra" ]'
	fams=$(grep -o 'socket(AF_[A-Z0-9]*' "$tmp/strace.log" | sed 's/socket(//' | sort -u | tr '\n' ' ')
	bad=""
	for fam in $fams; do
		case " $(value RestrictAddressFamilies) " in *" $fam "*) ;; *) bad="$bad $fam" ;; esac
	done
	expect "socket families used ($fams) are in RestrictAddressFamilies${bad:+ (not:$bad)}" '[ -z "$bad" ]'
fi
finish
