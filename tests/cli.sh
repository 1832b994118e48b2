#!/bin/bash
# The ebpfstats CLI end to end: check's statuses and exit codes, --json with
# numbers from a known workload, config errors, unload.
# shellcheck disable=SC2034 # variables read only in expect's eval'ed conditions
set -u
# shellcheck source=tests/lib.sh
. "${top_srcdir:-.}/tests/lib.sh"
need_root "needs root"
new_pin cli

# check: all three ok on this machine, exit 0
"$EBS" check --pin-path "" >"$tmp/check.out" 2>&1
rc=$?
cat "$tmp/check.out"
expect "check exits 0 when every module is ok" '[ $rc -eq 0 ]'
expect "check lists syscalls ok" 'grep -Eq "^syscalls +ok" "$tmp/check.out"'
expect "check lists tcp ok" 'grep -Eq "^tcp +ok" "$tmp/check.out"'
expect "check lists sched ok" 'grep -Eq "^sched +ok" "$tmp/check.out"'

# a missing required tracepoint: exit 2 and the reason names it
EBPFSTATS_TEST_HIDE_TRACEPOINT=sched:sched_switch "$EBS" check --pin-path "" >"$tmp/check2.out" 2>&1
rc=$?
expect "check exits 2 with an unavailable module" '[ $rc -eq 2 ]'
expect "the reason names the tracepoint" 'grep -q "sched .*unavailable.*sched:sched_switch" "$tmp/check2.out"'
expect "the other modules still ok" 'grep -Eq "^syscalls +ok" "$tmp/check2.out"'
# an optional one: exit 1 (degraded)
EBPFSTATS_TEST_HIDE_TRACEPOINT=tcp:tcp_retransmit_skb "$EBS" check --pin-path "" >"$tmp/check3.out" 2>&1
rc=$?
expect "check exits 1 with a degraded module" '[ $rc -eq 1 ]'

# config errors: file:line:col, exit 3, nothing loaded
printf 'integrations:\n  ebpf:\n    colect_syscalls: true\n' >"$tmp/bad.yaml"
"$EBS" check -c "$tmp/bad.yaml" >"$tmp/bad.out" 2>&1
rc=$?
expect "bad config exits 3" '[ $rc -eq 3 ]'
expect "bad config names file:line:col and the key" 'grep -q "bad.yaml:3:5: unknown key .colect_syscalls" "$tmp/bad.out"'
"$EBS" frobnicate >/dev/null 2>&1
expect "unknown command exits 3" '[ $? -eq 3 ]'

# --json after one interval with a known workload running in it
printf 'integrations:\n  ebpf:\n    pin_path: "%s"\n    process_filter: [ebs-cli-wl]\n' "$pin" >"$tmp/f.yaml"
"$EBS" show -c "$tmp/f.yaml" --json -i 2 >"$tmp/snap.json" 2>"$tmp/snap.err" &
show=$!
sleep 1
"$WL" getppid 4321 ebs-cli-wl
wait $show
expect "show --json exits 0" '[ $? -eq 0 ]'
getppid=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["metrics"]["syscall.calls"].get("getppid",0))' "$tmp/snap.json")
expect "json: getppid counted exactly 4321 (filtered to the workload's comm), got $getppid" '[ "$getppid" = 4321 ]'
status=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["metrics"]["module.status"]["sched"])' "$tmp/snap.json")
expect "json: module status is text" '[ "$status" = ok ]'
# what show --json leaves out: the text metrics that are their row's key,
# {"tcp": "tcp"}; every other catalog id is there (docs/json.md).
# cgroup.name is a column, not the key: it repeats the key (the path) on a
# host with a cgroup2 mount, and is empty where the key is idN without one
"$EBS" catalog --json >"$tmp/catalog.json"
schema=$(python3 -c 'import json, sys
def bad(c): raise ValueError("not JSON: " + c)
d = json.load(open(sys.argv[1]), parse_constant=bad)
m = d["metrics"]
ids = [c["id"] for c in json.load(open(sys.argv[2]))]
print(" ".join(sorted(set(ids) - set(m))) or "-", " ".join(sorted(set(m) - set(ids))) or "-",
      " ".join(k for k, v in m.items() if k != "cgroup.name" and isinstance(v, dict) and v and
               all(isinstance(x, str) and x == r for r, x in v.items())) or "-",
      list(m) == [i for i in ids if i in m], ",".join(sorted(d)))' "$tmp/snap.json" "$tmp/catalog.json" 2>&1)
expect "json: no self-mapping object ($schema)" \
	'[ "$schema" = "file_io.name module.name syscall.name tcp.state.name - - True events,interval_ns,loaded_unix_ms,metrics,notifications_suppressed,taken_unix_ms,version" ]'
events=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(type(d["events"]).__name__, d["notifications_suppressed"])' "$tmp/snap.json")
expect "json: the interval's events, and the notifications held back (got $events)" '[ "$events" = "list 0" ]'

# pins left by show; unload removes them
expect "show left pins for the other front-ends" '[ -d "$pin/v$LAYOUT/syscalls" ]'
"$EBS" unload --pin-path "$pin" >"$tmp/unload.out"
expect "unload removes every pin" '[ ! -e "$pin" ] && grep -q "removed [1-9][0-9]* pins" "$tmp/unload.out"'
finish
