#!/bin/bash
# Least privilege.  The way snmp/ebpfstats-agentx.service runs
# it: an unprivileged uid (nobody here) with only CAP_BPF and CAP_PERFMON
# (ambient, bounding set reduced to them, no_new_privs), no tracefs access
# (tracefs is root-only; tp_btf needs none).  The CLI and the subagent load
# every module and count a known workload exactly, clear their effective
# capabilities once attached (CapEff 0 in /proc/PID/status while they keep
# running; the CLI, which never reloads, its permitted set too), the
# subagent reloads on SIGHUP by raising them again, pins made
# by that uid are readable by it with no capability at all, and less than
# both capabilities is refused with a reason.  Needs root (to drop to
# nobody), setpriv (util-linux) and snmpd.
# conditions are single-quoted for expect/wait_until's eval (SC2016), and
# variables read only there look unused (SC2034)
# shellcheck disable=SC2016,SC2034,SC2086,SC2317
set -u
# shellcheck source=tests/lib_faults.sh
. "${top_srcdir:-.}/tests/lib_faults.sh"
need_root
need_snmp
command -v setpriv >/dev/null 2>&1 || skip "setpriv (util-linux) missing"
UID_LOW=65534
COMM=ebs-rel-cap
N=2000
nr=$(syscall_nr getppid) || nr=110
CAP_BPF_PERFMON=000000c000000000 # bits 38 (CAP_PERFMON) and 39 (CAP_BPF)
# as_user CAPS: the setpriv command line that runs a command as nobody with
# exactly CAPS (e.g. +bpf,+perfmon); a plain command, so that `$(as_user
# ...) CMD &` leaves CMD's own pid in $! (setpriv execs it)
as_user() {
	echo "setpriv --reuid=$UID_LOW --regid=$UID_LOW --clear-groups --no-new-privs" \
		"--inh-caps=-all${1:+,$1} --ambient-caps=-all${1:+,$1} --bounding-set=-all${1:+,$1}"
}
LOW=$(as_user +bpf,+perfmon)
chmod 0755 "$rel_tmp"
status_of() { awk -v m="$1" '$1 == m { print $2 }' "$2"; }

# ---- check and show as nobody with CAP_BPF + CAP_PERFMON ----------------------------
$LOW "$EBS" check --pin-path "" >"$rel_tmp/c.out" 2>&1
rc=$?
cat "$rel_tmp/c.out"
expect "nobody + CAP_BPF,CAP_PERFMON: check exits 0 (got $rc), every module ok through tp_btf" \
	'[ $rc -eq 0 ] && [ "$(grep -c "ok  *attach=tp_btf bpf_stats=off" "$rel_tmp/c.out")" = 3 ]'
if $LOW test -r /sys/kernel/tracing/events 2>/dev/null; then
	note "tracefs is readable by uid $UID_LOW here; tp_btf does not need it anyway"
else
	note "tracefs is out of uid $UID_LOW's reach (root-only), which tp_btf does not need"
fi
printf 'integrations:\n  ebpf:\n    pin_path: ""\n    process_filter: [%s]\n' "$COMM" >"$rel_tmp/f.yaml"
$LOW "$EBS" show -c "$rel_tmp/f.yaml" --json -i 2 >"$rel_tmp/s.json" 2>"$rel_tmp/s.err" &
show=$!
track "$show"
sleep 0.8
eff=$(cap_eff "$show") prm=$(cap_prm "$show")
"$WL" getppid "$N" "$COMM"
wait "$show"
rc=$?
untrack "$show"
calls=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["metrics"]["syscall.calls"].get("getppid", 0))' "$rel_tmp/s.json" 2>&1)
expect "nobody + CAP_BPF,CAP_PERFMON: show counts the workload exactly ($calls of $N, rc $rc)" \
	'[ $rc -eq 0 ] && [ "$calls" = "$N" ]'
expect "show, attached: CapEff $eff and CapPrm $prm (cleared for good: show never reloads)" \
	'[ "$eff" = 0000000000000000 ] && [ "$prm" = 0000000000000000 ]'

# ---- less than both: refused with a reason --------------------------------------------
for caps in +bpf +perfmon ""; do
	$(as_user "$caps") "$EBS" check --pin-path "" >"$rel_tmp/c.out" 2>&1
	rc=$?
	expect "nobody with only '${caps:-no capability}': check exits 2 (got $rc), missing capabilities" \
		'[ $rc -eq 2 ] && [ "$(grep -c "unavailable reason: missing capabilities" "$rel_tmp/c.out")" = 3 ]'
done

# ---- root: the CLI clears its capabilities too, permitted ones included --------------
"$EBS" show --pin-path "" -i 5 >/dev/null 2>&1 &
show=$!
track "$show"
wait_until 10 '[ "$(held_link_ids $show | count_lines)" -ge 3 ] && [ "$(cap_eff $show)" = 0000000000000000 ]'
expect "root show, attached ($(held_link_ids "$show" | count_lines) links): CapEff $(cap_eff "$show"), CapPrm $(cap_prm "$show")" \
	'[ "$(cap_eff $show)" = 0000000000000000 ] && [ "$(cap_prm $show)" = 0000000000000000 ] && [ "$(held_link_ids $show | count_lines)" -ge 3 ]'
stop_pid "$show" TERM

# ---- the subagent as nobody ----------------------------------------------------------------
AGENTX_PERMS="0666 0755"
start_master
agent_conf "$rel_tmp/agent.yaml" "$COMM"
chmod 0644 "$rel_tmp/agent.yaml"
touch "$rel_tmp/agent.log" && chown $UID_LOW "$rel_tmp/agent.log"
start_agent "$rel_tmp/agent.yaml" "$rel_tmp/agent.log" $LOW
expect "subagent as nobody + CAP_BPF,CAP_PERFMON serves" 'isnum "$(get $O.3.1.0)"' || finish
st=$(snmpwalk $SNMP -Oqv $O.2.1.3 2>&1 | tr '\n' ' ')
expect "... every enabled module ok ($st)" 'snmp_modules_ok'
expect "... runs as uid $UID_LOW" '[ "$(awk "/^Uid:/ {print \$2}" /proc/$agent_pid/status)" = $UID_LOW ]'
eff=$(cap_eff "$agent_pid") prm=$(cap_prm "$agent_pid")
expect "... CapEff $eff once attached, CapPrm $prm" \
	'[ "$eff" = 0000000000000000 ] && [ "$prm" = $CAP_BPF_PERFMON ]'
"$WL" getppid "$N" "$COMM"
idx=$((nr + 1))
wait_until 5 '[ "$(get1 $O.3.10.1.3.$idx)" = $N ]'
expect "... counts the workload exactly ($(get $O.3.10.1.3.$idx))" '[ "$(get $O.3.10.1.3.$idx)" = $N ]'
loaded0=$(get $O.1.3.0)
P0=$(held_prog_ids "$agent_pid" | tr '\n' ' ')
sleep 1.1 # ebsAgentProgramsLoaded has a resolution of 1 s or so
kill -HUP "$agent_pid"
wait_until 10 'grep -q "reloaded" "$rel_tmp/agent.log" && [ "$(get1 $O.1.3.0)" != "$loaded0" ]'
P1=$(held_prog_ids "$agent_pid" | tr '\n' ' ')
expect "SIGHUP as nobody: reloaded by raising CAP_BPF,CAP_PERFMON again (new programs, ebsAgentProgramsLoaded $loaded0 -> $(get $O.1.3.0))" \
	'grep -q "reloaded" "$rel_tmp/agent.log" && snmp_modules_ok &&
	 [ -n "$P1" ] && [ "$P1" != "$P0" ]'
expect "... and cleared them again (CapEff $(cap_eff "$agent_pid"))" '[ "$(cap_eff $agent_pid)" = 0000000000000000 ]'
wait_until 5 'all_gone "$P0"'
expect "... the replaced private programs are gone" 'all_gone "$P0"'
stop_pid "$agent_pid" TERM

# ---- pins made by nobody, read by nobody without capabilities ----------------------------
# As the systemd unit does (ExecStartPre install -d -o ebpfstats): root makes
# the pin directory and gives it to the service's uid.  /sys/fs/bpf itself
# must let that uid through: mounted by hand it is 1777, systemd's is 0700.
new_pin rel-caps
if ! $(as_user "") test -x /sys/fs/bpf; then
	note "/sys/fs/bpf ($(stat -c %a /sys/fs/bpf)) is closed to uid $UID_LOW: pin part skipped"
	finish
fi
mkdir -p "$pin" && chown $UID_LOW "$pin" && chmod 0700 "$pin"
# a loader: `check` pins nothing (issue 18)
$LOW "$EBS" show --pin-path "$pin" -i 0.1 -n 1 >"$rel_tmp/c.out" 2>&1
rc=$?
expect "nobody + CAP_BPF,CAP_PERFMON pins in its own directory (rc $rc): nobody's files, directories 0700" \
	'[ $rc -eq 0 ] && [ "$(stat -c "%u %a" "$pin/v$LAYOUT")" = "$UID_LOW 700" ] &&
	 [ "$(stat -c %u "$pin/v$LAYOUT/syscalls/meta")" = $UID_LOW ]'
$(as_user "") "$EBS" check --pin-path "$pin" >"$rel_tmp/c.out" 2>&1
rc=$?
expect "nobody with no capability at all reads those pins: check exits 0 (got $rc)" \
	'[ $rc -eq 0 ] && [ "$(grep -c "ok  *attach=tp_btf (pinned by another process)" "$rel_tmp/c.out")" = 3 ]'
$(as_user "") "$EBS" unload --pin-path "$pin" >"$rel_tmp/u.out" 2>&1
rc=$?
expect "nobody unloads its own pins without capabilities (rc $rc)" \
	'[ $rc -eq 0 ] && [ -z "$(ls -A "$pin" 2>/dev/null)" ]'
finish
