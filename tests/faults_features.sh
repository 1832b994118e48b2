#!/bin/bash
# Missing features: no tracefs and no bpffs (each in a private
# mount namespace, so the rest of the machine keeps them), no BTF (btf_path
# at a missing and at a non-BTF file), missing tracepoints (required and
# optional), no CAP_BPF (capsh --drop).  Each gives a status and a reason,
# `ebpfstats check` exits with the documented code (0 ok, 1 degraded,
# 2 unavailable, 3 usage/config), and a running process keeps serving what
# works: `show` counts a known workload, the subagent answers over SNMP.
# Needs root and snmpd; capsh (libcap2-bin) for the capability part.
# conditions are single-quoted for expect/wait_until's eval (SC2016), and
# variables read only there look unused (SC2034)
# shellcheck disable=SC2016,SC2034,SC2086,SC2317
set -u
# shellcheck source=tests/lib_faults.sh
. "${top_srcdir:-.}/tests/lib_faults.sh"
need_root
need_snmp
command -v unshare >/dev/null 2>&1 || skip "unshare (util-linux) missing"
COMM=ebs-rel-dg
N=2500
nr=$(syscall_nr getppid) || nr=110

status_of() { awk -v m="$1" '$1 == m { print $2 }' "$2"; }
# json_get FILE EXPR: a Python expression over m (the metrics)
json_get() {
	python3 -c 'import json,sys; m=json.load(open(sys.argv[1]))["metrics"]; print(eval(sys.argv[2]))' "$1" "$2" 2>&1
}
printf 'integrations:\n  ebpf:\n    pin_path: ""\n    process_filter: [%s]\n' "$COMM" >"$rel_tmp/f.yaml"
# show_counts SHELL...: `show --json` over one interval with N getppid calls
# of $COMM in it, run by SHELL -c (bash, or capsh ... --); prints
# "rc statuses getppid-calls"
show_counts() {
	"$@" -c '"$1" show -c "$2" --json -i 1.5 >"$3" 2>"$3.err" & s=$!
		sleep 0.7; "$4" getppid "$5" "$6"; wait $s' _ "$EBS" "$rel_tmp/f.yaml" "$rel_tmp/s.json" \
		"$WL" "$N" "$COMM"
	echo "$? $(json_get "$rel_tmp/s.json" '" ".join(m["module.status"][f] for f in ("syscalls", "tcp", "sched"))') $(json_get \
		"$rel_tmp/s.json" 'm["syscall.calls"].get("getppid", 0)')"
}

# ---- no tracefs -------------------------------------------------------------------
# ns_check SETUP PIN_PATH: inside a private mount namespace, after SETUP,
# `check` into ns.check (exit code in ns.check.rc) and `show --json` over an
# interval with the workload into ns.json; what /sys/fs/bpf then holds in
# ns.check.bpffs
ns_check() { # ns_check SETUP PIN_PATH [RUNNER]: RUNNER (split) runs check and show
	unshare -m --propagation private bash -c "$1"'
		$8 "$0" check -c "$7" --pin-path "$4" >"$1" 2>&1; echo $? >"$1.rc"
		$8 "$0" show -c "$7" --pin-path "$4" --json -i 1.5 >"$2" 2>"$2.err" & s=$!
		sleep 0.7; "$3" getppid "$5" "$6"; wait $s; echo $? >"$2.rc"
		ls -A /sys/fs/bpf >"$1.bpffs"' \
		"$EBS" "$rel_tmp/ns.check" "$rel_tmp/ns.json" "$WL" "$2" "$N" "$COMM" "$rel_tmp/f.yaml" "${3:-}"
}
# ns_expect WHAT RC LINE: ns_check's check exited RC with 3 module lines
# matching LINE (grep -E), and its show counted every call of the workload
ns_expect() {
	_rc=$(cat "$rel_tmp/ns.check.rc" 2>/dev/null) _want=$2 _line=$3
	# (expect evals its condition with its own $1 $2: hence the copies)
	expect "$1: check exits $2 (got $_rc), every module: $3" \
		'[ "$_rc" = "$_want" ] && [ "$(grep -Ec "$_line" "$rel_tmp/ns.check")" = 3 ]'
	_calls=$(json_get "$rel_tmp/ns.json" 'm["syscall.calls"].get("getppid", 0)')
	expect "$1: show runs and counts every call of the workload ($_calls of $N)" \
		'[ "$(cat "$rel_tmp/ns.json.rc")" = 0 ] && [ "$_calls" = "$N" ]'
}
ns_check 'umount /sys/kernel/tracing 2>/dev/null; umount /sys/kernel/debug/tracing 2>/dev/null
	umount /sys/kernel/debug 2>/dev/null
	if [ -d /sys/kernel/tracing/events ] || [ -d /sys/kernel/debug/tracing/events ]; then exit 9; fi;' ""
ns_expect "no tracefs (private mount namespace)" 0 "ok  *attach=tp_btf"
expect "tracefs is still mounted outside the namespace" '[ -d /sys/kernel/tracing/events ]'

# ---- no bpffs -------------------------------------------------------------------------
for how in umount tmpfs; do
	setup='umount /sys/fs/bpf || exit 9;'
	[ "$how" = tmpfs ] && setup='mount -t tmpfs -o mode=1777 ebs-rel-tmpfs /sys/fs/bpf || exit 9;'
	ns_check "$setup" "/sys/fs/bpf/ebs-rel-dg-$$"
	ns_expect "no bpffs ($how)" 1 \
		"^[a-z]*  *degraded .*reason: pin_path /sys/fs/bpf/ebs-rel-dg-$$ is not on a bpf filesystem"
	[ "$how" = tmpfs ] && expect "no bpffs (tmpfs): nothing was written into the tmpfs" \
		'[ ! -s "$rel_tmp/ns.check.bpffs" ]'
done
expect "bpffs is still mounted outside the namespace" 'mount | grep -q "^bpf on /sys/fs/bpf type bpf"'

# bpffs as systemd mounts it (0700) and a service uid with CAP_BPF and
# CAP_PERFMON, whose pin directory root made for it (the shipped unit's
# ExecStartPre): the uid cannot get through /sys/fs/bpf, so it runs on
# private programs, degraded, and says why
if command -v setpriv >/dev/null 2>&1; then
	chmod 0644 "$rel_tmp/f.yaml"
	ns_check 'mount -t bpf -o mode=700 bpf /sys/fs/bpf || exit 9
		install -d -o 65534 /sys/fs/bpf/ebpfstats || exit 9;' /sys/fs/bpf/ebpfstats \
		"setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all,+bpf,+perfmon
		 --ambient-caps=-all,+bpf,+perfmon --bounding-set=-all,+bpf,+perfmon"
	ns_expect "bpffs 0700 (systemd's), service uid" 1 \
		"degraded .*cannot create pin directory /sys/fs/bpf/ebpfstats: Permission denied: programs are private to this process"
fi

# ---- no BTF -------------------------------------------------------------------------------
printf 'integrations:\n  ebpf:\n    pin_path: ""\n    btf_path: /nonexistent/vmlinux.btf\n' >"$rel_tmp/nobtf.yaml"
"$EBS" check -c "$rel_tmp/nobtf.yaml" >"$rel_tmp/c.out" 2>&1
rc=$?
expect "btf_path at a missing file: check exits 2 (got $rc), every module unavailable naming it" \
	'[ $rc -eq 2 ] && [ "$(grep -c "unavailable reason: no BTF at /nonexistent/vmlinux.btf (No such file or directory)" "$rel_tmp/c.out")" = 3 ]'
"$EBS" show -c "$rel_tmp/nobtf.yaml" --json -i 0.3 >"$rel_tmp/nobtf.json" 2>&1
rc=$?
expect "... show still answers (rc $rc) with the statuses" \
	'[ $rc -eq 0 ] && [ "$(json_get "$rel_tmp/nobtf.json" "\" \".join(m[\"module.status\"][f] for f in (\"syscalls\", \"tcp\", \"sched\"))")" = "unavailable unavailable unavailable" ]'
head -c 4096 /dev/urandom >"$rel_tmp/garbage.btf"
printf 'integrations:\n  ebpf:\n    pin_path: ""\n    btf_path: %s\n' "$rel_tmp/garbage.btf" >"$rel_tmp/badbtf.yaml"
"$EBS" check -c "$rel_tmp/badbtf.yaml" >"$rel_tmp/c.out" 2>&1
rc=$?
expect "btf_path at a file of random bytes: check exits 2 (got $rc): cannot parse BTF" \
	'[ $rc -eq 2 ] && [ "$(grep -c "cannot parse BTF $rel_tmp/garbage.btf" "$rel_tmp/c.out")" = 3 ]'

# ---- missing tracepoints --------------------------------------------------------------------
for case in "sched:sched_switch 2 sched unavailable" "tcp:tcp_retransmit_skb 1 tcp degraded" \
	"sock:inet_sock_set_state,sched:sched_wakeup 2 tcp unavailable"; do
	read -r tp want mod st <<<"$case"
	EBPFSTATS_TEST_HIDE_TRACEPOINT=$tp "$EBS" check --pin-path "" >"$rel_tmp/c.out" 2>&1
	rc=$?
	expect "tracepoint $tp missing: check exits $want (got $rc), $mod is $st naming it" \
		'[ $rc -eq $want ] && [ "$(status_of $mod "$rel_tmp/c.out")" = $st ] &&
		 grep -q "^$mod .*${tp%%,*}" "$rel_tmp/c.out" && [ "$(status_of syscalls "$rel_tmp/c.out")" = ok ]'
done
out=$(show_counts env EBPFSTATS_TEST_HIDE_TRACEPOINT=sched:sched_switch bash)
expect "sched_switch missing: show keeps counting syscalls exactly ($out)" \
	'[ "$out" = "0 ok ok unavailable $N" ]'

# ---- the subagent keeps serving what works ----------------------------------------------------
start_master
agent_conf "$rel_tmp/agent.yaml" "$COMM"
start_agent "$rel_tmp/agent.yaml" "$rel_tmp/agent.log" \
	env EBPFSTATS_TEST_HIDE_TRACEPOINT=sched:sched_switch,tcp:tcp_retransmit_skb
expect "subagent without sched_switch and tcp_retransmit_skb serves" 'isnum "$(get $O.3.1.0)"'
st=$(snmpwalk $SNMP -Oqv $O.2.1.3 2>&1 | head -n 3 | tr '\n' ' ')
expect "ebsModuleStatus: syscalls ok(1), tcp degraded(2), sched unavailable(3) ($st)" '[ "$st" = "1 2 3 " ]'
expect "ebsModuleReason.3 names sched:sched_switch" 'get $O.2.1.4.3 | grep -q "sched:sched_switch"'
expect "ebsModuleReason.2 names tcp:tcp_retransmit_skb" 'get $O.2.1.4.2 | grep -q "tcp:tcp_retransmit_skb"'
"$WL" getppid "$N" "$COMM"
wait_until 10 '[ "$(get1 $O.3.10.1.3.$((nr + 1)))" = $N ]'
got=$(get $O.3.10.1.3.$((nr + 1)))
expect "syscalls served exactly ($got of $N getppid)" '[ "$got" = $N ]'
expect "no ebsCpuTable rows while sched is unavailable (and ebsSched scalars: noSuchInstance)" \
	'! snmpwalk $SNMP -On $O.5.20 2>&1 | grep -q "^$O\.5\.20\." &&
	 snmpget $SNMP -On $O.5.1.0 2>&1 | grep -q "No Such Instance"'
stop_pid "$agent_pid" TERM

# ---- no CAP_BPF ---------------------------------------------------------------------------
if command -v capsh >/dev/null 2>&1; then
	DROP="capsh --drop=cap_bpf,cap_perfmon,cap_sys_admin --"
	$DROP -c '"$0" check --pin-path "" >"$1" 2>&1' "$EBS" "$rel_tmp/c.out"
	rc=$?
	expect "no CAP_BPF/CAP_PERFMON/CAP_SYS_ADMIN: check exits 2 (got $rc), every module says which" \
		'[ $rc -eq 2 ] && [ "$(grep -c "unavailable reason: missing capabilities: loading tracing programs needs CAP_BPF and CAP_PERFMON (or CAP_SYS_ADMIN); CapEff is" "$rel_tmp/c.out")" = 3 ]'
	# CAP_BPF alone is not enough for tracing programs either
	capsh --drop=cap_perfmon,cap_sys_admin -- -c '"$0" check --pin-path "" >"$1" 2>&1' "$EBS" "$rel_tmp/c2.out"
	rc=$?
	expect "CAP_BPF without CAP_PERFMON: check exits 2 (got $rc)" \
		'[ $rc -eq 2 ] && grep -q "missing capabilities" "$rel_tmp/c2.out"'
	start_agent "$rel_tmp/agent.yaml" "$rel_tmp/agent-nocap.log" capsh --drop=cap_bpf,cap_perfmon,cap_sys_admin -- -c 'exec "$0" "$@"'
	expect "subagent without the capabilities still serves (ebsAgentVersion.0 = $(get $O.1.1.0))" \
		'get $O.1.1.0 | grep -Eq "^[0-9]+\.[0-9]+"'
	st=$(snmpwalk $SNMP -Oqv $O.2.1.3 2>&1 | tr '\n' ' ')
	expect "... every enabled module unavailable(3) ($st)" \
		'[ "$(echo "$st" | tr " " "\n" | grep -c "^3$")" -ge 3 ] && ! echo "$st" | grep -q "[12]"'
	expect "... ebsModuleReason.1 says which capabilities" 'get $O.2.1.4.1 | grep -q "missing capabilities"'
	stop_pid "$agent_pid" TERM
	# Pins loaded by a privileged process: reading them needs no capability
	# on this kernel (bpf() checks CAP_BPF for loading and map creation,
	# not for BPF_OBJ_GET and lookups), only access to the bpffs files.
	new_pin rel-dgcap
	"$EBS" show --pin-path "$pin" -i 0.1 -n 1 >/dev/null 2>&1 # loads and pins
	$DROP -c '"$0" check --pin-path "$2" >"$1" 2>&1' "$EBS" "$rel_tmp/c3.out" "$pin"
	rc=$?
	expect "no CAP_BPF beside root's pins: check exits 0 (got $rc), every module reads the pins" \
		'[ $rc -eq 0 ] && [ "$(grep -c "ok  *attach=tp_btf (pinned by another process) bpf_stats=" "$rel_tmp/c3.out")" = 3 ]'
	printf 'integrations:\n  ebpf:\n    pin_path: "%s"\n    process_filter: [%s]\n' "$pin" "$COMM" >"$rel_tmp/f.yaml"
	"$EBS" unload --pin-path "$pin" >/dev/null 2>&1
	"$EBS" show -c "$rel_tmp/f.yaml" -i 0.1 -n 1 >/dev/null 2>&1 # loads and pins
	out=$(show_counts $DROP)
	expect "... and show without capabilities counts the workload exactly on them ($out)" \
		'[ "$out" = "0 ok ok ok $N" ]'
	"$EBS" unload --pin-path "$pin" >/dev/null 2>&1
else
	note "capsh missing (package libcap2-bin): CAP_BPF part skipped"
fi

# ---- usage and config errors: 3 ------------------------------------------------------------
"$EBS" check -c "$rel_tmp/does-not-exist.yaml" >"$rel_tmp/c.out" 2>&1
rc=$?
expect "check with a missing config file exits 3 (got $rc)" \
	'[ $rc -eq 3 ] && grep -q "does-not-exist.yaml: No such file or directory" "$rel_tmp/c.out"'
"$EBS" check --frobnicate >/dev/null 2>&1
expect "check with an unknown option exits 3" '[ $? -eq 3 ]'
finish
