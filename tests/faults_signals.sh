#!/bin/bash
# Signals.  SIGHUP with a bad config, in every way a file can be
# bad (unknown key, syntax, range, type, missing, a directory, over 1 MiB,
# binary), keeps the old config: the log names file:line:col (or the file
# and why), the programs are the same ids, and the old process_filter still
# decides what is counted.  20 SIGHUPs in a row with a good file leave one
# set of programs, the same open files and no old program behind.  SIGTERM
# (and SIGINT for the CLI) exits 0 and detaches private programs: every
# program and link the process held is gone; with pins they stay.  SIGKILL
# of a private loader leaves nothing either (the kernel's doing).  A SIGHUP
# or SIGTERM 50 ms after the subagent starts is a reload or exit 0, not death.
# Needs root and snmpd; collectd for its part.
# conditions are single-quoted for expect/wait_until's eval (SC2016), and
# variables read only there look unused (SC2034)
# shellcheck disable=SC2016,SC2034,SC2086,SC2317
set -u
# shellcheck source=tests/lib_faults.sh
. "${top_srcdir:-.}/tests/lib_faults.sh"
need_root
need_snmp
A=ebs-rel-sig-a
B=ebs-rel-sig-b
N=1500
nr=$(syscall_nr getppid) || nr=110
idx=$((nr + 1))

start_master
cfg=$rel_tmp/agent.yaml
good() { # good COMM: a config counting only COMM's syscalls
	printf 'integrations:\n  ebpf:\n    pin_path: ""\n    interval: 1s\n    process_filter: [%s]\n' "$1" >"$cfg"
}
good $A
start_agent "$cfg" "$rel_tmp/agent.log"
expect "subagent serves" 'isnum "$(get $O.3.1.0)"' || finish
P0=$(held_prog_ids "$agent_pid" | tr '\n' ' ')
loaded0=$(get $O.1.3.0)
expected=0
# counted_right: A's calls are counted, B's are not (the filter in force is A's)
counted_right() {
	"$WL" getppid "$N" $A && "$WL" getppid "$N" $B || return 1
	expected=$((expected + N))
	wait_until 5 '[ "$(get1 $O.3.10.1.3.$idx)" = $expected ]' && sleep 1.2 &&
		[ "$(get1 $O.3.10.1.3.$idx)" = $expected ]
}
expect "filter [$A] in force: $N of $A counted, $N of $B not" 'counted_right'

# ---- SIGHUP with bad files ----------------------------------------------------------------
big=$rel_tmp/big.yaml
{ printf 'integrations:\n  ebpf:\n    process_filter: [%s]\n' $B; head -c 1100000 /dev/zero | tr '\0' '#'; } >"$big"
hup_bad() { # hup_bad NAME LOG_PATTERN: $cfg holds the bad content
	local n pat=$2
	n=$(grep -c "keeping the running configuration" "$rel_tmp/agent.log")
	kill -HUP "$agent_pid"
	wait_until 5 '[ "$(grep -c "keeping the running configuration" "$rel_tmp/agent.log")" -gt $n ]'
	expect "SIGHUP, $1: logged '$2 ... keeping the running configuration'" \
		'grep -q "reload: $pat.*keeping the running configuration" "$rel_tmp/agent.log"'
	expect "  ... same programs, ebsAgentProgramsLoaded unchanged, still filtering on $A" \
		'[ "$(held_prog_ids $agent_pid | tr "\n" " ")" = "$P0" ] && [ "$(get $O.1.3.0)" = "$loaded0" ] && counted_right'
}
printf 'integrations:\n  ebpf:\n    process_filter: [%s]\n    colect_syscalls: true\n' $B >"$cfg"
hup_bad "unknown key" "$cfg:4:5: unknown key 'colect_syscalls'"
printf 'integrations:\n  ebpf:\n    process_filter: [%s\n    sample_rate: 5\n' $B >"$cfg"
hup_bad "YAML syntax error" "$cfg:[0-9]*:[0-9]*: "
printf 'integrations:\n  ebpf:\n    process_filter: [%s]\n    sample_rate: 500\n' $B >"$cfg"
hup_bad "value out of range" "$cfg:4:18: 'sample_rate'"
printf 'integrations:\n  ebpf:\n    process_filter: %s\n' $B >"$cfg"
hup_bad "wrong type" "$cfg:3:21: expected a list of process names"
printf 'integrations:\n  ebpf:\n    process_filter: [%s]\n    map_sizes: {threads: 1}\n' $B >"$cfg"
hup_bad "map size below its minimum" "$cfg:4:26: 'threads'"
rm -f "$cfg"
hup_bad "file removed" "$cfg: No such file or directory"
mkdir "$cfg"
hup_bad "a directory" "$cfg: is a directory"
rmdir "$cfg"
cp "$big" "$cfg"
hup_bad "a 1.1 MB file" "$cfg: file is larger than 1 MiB"
head -c 3000 /dev/urandom >"$cfg"
hup_bad "random bytes" "$cfg:[0-9]*:[0-9]*: "
expect "the subagent is still the same process" 'kill -0 $agent_pid'

# ---- SIGHUP with a good file: applied; 20 in a row leave nothing behind ----------------------
good $B
kill -HUP "$agent_pid"
wait_until 10 'grep -q "reloaded $cfg" "$rel_tmp/agent.log" && isnum "$(get1 $O.3.1.0)"'
"$WL" getppid "$N" $A
"$WL" getppid "$N" $B
wait_until 5 '[ "$(get1 $O.3.10.1.3.$idx)" = $N ]'
sleep 1.2
expect "SIGHUP with a good file applies it: the fresh programs count only $B ($(get $O.3.10.1.3.$idx) = $N)" \
	'[ "$(get $O.3.10.1.3.$idx)" = $N ]'
wait_until 5 'all_gone "$P0"'
expect "  ... the programs of the old config are gone" 'all_gone "$P0"'
fd0=$(fd_count "$agent_pid")
# RSS after each reload: the heap settles in one of a few states (the
# vmlinux BTF parsed per open is ~11 MB and is either returned to the system
# or not), so the first six and the last six samples are compared by their
# minima, the state where that memory was returned: a leak lifts it.
# each SIGHUP waits for the previous reload: a signal sent while one is
# pending is merged with it (POSIX), and a loaded host can take more than
# the 0.4 s pause for a reload
rss=""
n_before=$(grep -c "reloaded $cfg" "$rel_tmp/agent.log")
for i in $(seq 1 20); do
	kill -HUP "$agent_pid"
	sleep 0.4
	wait_until 10 '[ "$(grep -c "reloaded $cfg" "$rel_tmp/agent.log")" -ge $((n_before + i)) ]'
	rss="$rss $(rss_kb "$agent_pid")"
done
wait_until 10 '[ "$(grep -c "reloaded $cfg" "$rel_tmp/agent.log")" -ge 21 ] && isnum "$(get1 $O.3.1.0)"'
sleep 1
P1=$(held_prog_ids "$agent_pid" | tr '\n' ' ')
L1=$(held_link_ids "$agent_pid" | count_lines)
reloads=$(grep -c "reloaded $cfg" "$rel_tmp/agent.log")
fd1=$(fd_count "$agent_pid")
first=$(echo $rss | tr ' ' '\n' | head -n 6 | sort -n | head -n 1)
last=$(echo $rss | tr ' ' '\n' | tail -n 6 | sort -n | head -n 1)
note "VmRSS (kB) after each of 20 reloads:$rss"
np=$(echo "$P0" | wc -w)
expect "20 SIGHUPs ($reloads reloads): one set of programs held ($(echo "$P1" | wc -w) programs, $L1 links, as before the reloads: $np)" \
	'[ "$(echo "$P1" | wc -w)" = "$np" ] && [ "$L1" = "$np" ] && [ "$reloads" -ge 21 ]'
expect "  ... the same number of open files ($fd0 -> $fd1)" '[ "$fd1" = "$fd0" ]'
if under_asan; then
	note "  ... under ASan: VmRSS not compared ($first -> $last kB); LeakSanitizer checks for leaks"
else
	expect "  ... VmRSS flat (min of the first 6: $first kB, of the last 6: $last kB, allowance 1024 kB)" \
		'[ "$last" -le $((first + 1024)) ]'
fi
expect "  ... every enabled module ok" 'snmp_modules_ok'

# ---- SIGTERM: exit 0, private programs detached -------------------------------------------------
# attached PID SECONDS: waits until PID holds the $np links; P gets its
# program ids
attached() {
	wait_until "$2" "[ \"\$(held_link_ids $1 | count_lines)\" = \"$np\" ]"
	P=$(held_prog_ids "$1" | tr '\n' ' ')
}
# signalled PID SIG: sends SIG, reaps PID (rc gets its exit status), then
# gives its programs ($P) 5 s to go
signalled() {
	kill -"$2" "$1"
	wait "$1"
	rc=$?
	untrack "$1"
	wait_until 5 'all_gone "$P"'
}
P=$(held_prog_ids "$agent_pid" | tr '\n' ' ')
L=$(held_link_ids "$agent_pid" | tr '\n' ' ')
signalled "$agent_pid" TERM
gl=0
for l in $L; do link_alive "$l" && gl=$((gl + 1)); done
expect "subagent SIGTERM: exit 0 (got $rc), its $(echo "$P" | wc -w) programs and $(echo "$L" | wc -w) links are gone ($gl left)" \
	'[ $rc -eq 0 ] && all_gone "$P" && [ $gl -eq 0 ]'

for sig in TERM INT; do
	"$EBS" show --pin-path "" -i 5 >"$rel_tmp/show.out" 2>&1 &
	s=$!
	track "$s"
	attached "$s" 10
	signalled "$s" "$sig"
	expect "ebpfstats show SIG$sig: exit 0 (got $rc), its $(echo "$P" | wc -w) programs are gone" \
		'[ $rc -eq 0 ] && [ -n "$P" ] && all_gone "$P"'
done

# SIGKILL: no handler runs, the kernel drops the programs with the last fd
"$EBS" show --pin-path "" -i 5 >/dev/null 2>&1 &
s=$!
track "$s"
attached "$s" 10
stop_pid "$s" KILL
wait_until 5 'all_gone "$P"'
expect "ebpfstats show SIGKILL: its programs are gone as well" '[ -n "$P" ] && all_gone "$P"'

# ---- signals that come while the programs load ------------------------------------------------
# The subagent's handlers are in place before it loads anything: a SIGHUP
# 50 ms after the start (before the programs are attached, and before
# init_snmp() is done answering the master) is a reload once it serves; a
# SIGTERM then is exit 0.  The default action would kill it either way.
early_agent() { # early_agent SIG LOG: starts a subagent, sends SIG 50 ms in; e gets its pid
	"$AGENT" -f -x "$tmp/agentx.sock" -c "$cfg" -Lf "$2" &
	e=$!
	track "$e"
	sleep 0.05
	kill -"$1" "$e"
}
good $A
early_agent HUP "$rel_tmp/agent-early-hup.log"
wait_until 20 'grep -q "reloaded" "$rel_tmp/agent-early-hup.log"'
expect "SIGHUP 50 ms after the start: the subagent lives, reloads, serves" \
	'kill -0 "$e" 2>/dev/null && grep -q "reloaded" "$rel_tmp/agent-early-hup.log" && isnum "$(get $O.3.1.0)"' ||
	tail -n 5 "$rel_tmp/agent-early-hup.log"
P=$(held_prog_ids "$e" | tr '\n' ' ')
signalled "$e" TERM
early_agent TERM "$rel_tmp/agent-early-term.log"
wait "$e"
rc=$?
untrack "$e"
expect "SIGTERM 50 ms after the start: exit 0 (got $rc)" '[ $rc -eq 0 ]' ||
	tail -n 5 "$rel_tmp/agent-early-term.log"

# with pins: SIGTERM leaves the pinned programs attached for the next one
new_pin rel-sig
printf 'integrations:\n  ebpf:\n    pin_path: "%s"\n    interval: 1s\n' "$pin" >"$rel_tmp/pinned.yaml"
start_agent "$rel_tmp/pinned.yaml" "$rel_tmp/agent-pinned.log"
P=$(pinned_prog_ids "$pin" | tr '\n' ' ')
stop_pid "$agent_pid" TERM
sleep 0.5
alive=0
for id in $P; do prog_alive "$id" && alive=$((alive + 1)); done
expect "pinned subagent SIGTERM: the $alive pinned programs stay, with their links" \
	'[ "$alive" = "$np" ] && [ "$(links_of_progs "$P" | count_lines)" = "$np" ]'
"$EBS" unload --pin-path "$pin" >/dev/null 2>&1

# ---- collectd: SIGTERM detaches the plugin's private programs -------------------------------------
if [ -n "$COLLECTD" ] && [ -r "$PLUGIN_SO" ] && [ -r "$SYS_PLUGINDIR/logfile.so" ]; then
	collectd_conf
	cat >>"$rel_tmp/collectd.conf" <<EOF
LoadPlugin ebpf
<Plugin ebpf>
  PinPath ""
</Plugin>
EOF
	"$COLLECTD" -f -C "$rel_tmp/collectd.conf" >"$rel_tmp/collectd.out" 2>&1 &
	c=$!
	track "$c"
	attached "$c" 20
	signalled "$c" TERM
	expect "collectd SIGTERM: exit 0 (got $rc), the plugin's $(echo "$P" | wc -w) private programs are gone" \
		'[ $rc -eq 0 ] && [ -n "$P" ] && all_gone "$P"'
else
	note "collectd or the plugin missing: collectd part skipped"
fi
finish
