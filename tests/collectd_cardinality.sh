#!/bin/bash
# Bounded cardinality in a real collectd (issue 18): a host with 400
# listening TCP ports and 800 peer rows (one connection to each port: an
# out row and an in row per port), five ports of which are busy, and 12
# cgroups of our own with a task each (collect_cgroups is on by default),
# sends at most 400 ebpf values per read under the default <Plugin ebpf>
# block, with the busiest port and peer rows among them and no cgroup row
# (TopCgroups 0 by default: selected rows only), and says how many rows it
# left out (ebpf-self/ebpf_rows-*-omitted = rows - rows sent, read by
# read).  A second start with `Port "Q"` and `TopCgroups 10` forces a quiet
# port in and sends exactly 10 cgroup rows.  Loopback only.
# The block names only PinPath, a private one, so that the programs and
# their tables are this test's alone and both starts read the same rows.
# Needs root and collectd.
# conditions are single-quoted for expect/wait_until's eval (SC2016), and
# variables read only there look unused (SC2034)
# shellcheck disable=SC2012,SC2016,SC2034,SC2317
set -u
# shellcheck source=tests/lib.sh
. "${top_srcdir:-.}/tests/lib.sh"
PLUGIN_SO="$top_builddir/.libs/ebpf.so"
NPORTS=400
NBUSY=5
NCG=12   # cgroups of our own, more than TOPCG
TOPCG=10 # the second start's TopCgroups (the default is 0)
LIMIT=400 # ebpf values per read, the issue's target for a default config

need_root "needs root"
collectd_find || skip "no collectd binary"
command -v python3 >/dev/null 2>&1 || skip "python3 missing"
[ -r "$PLUGIN_SO" ] || skip "collectd plugin not built"
collectd_plugins csv || skip "$cd_missing missing"
new_pin cd-card
mnt=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
[ -n "$mnt" ] || skip "no cgroup2 mount in /proc/mounts"
cgtop="$mnt/ebs-card-$$"
mkdir -p "$cgtop" || skip "cannot make a cgroup under $mnt"

# gen_conf DIR EBPF_BLOCK_LINES
gen_conf() {
	mkdir -p "$1/csv"
	collectd_conf "$1" ebs-card "LoadPlugin csv
<Plugin csv>
  DataDir \"$1/csv\"
  StoreRates false
</Plugin>
LoadPlugin ebpf
<Plugin ebpf>
$2
</Plugin>"
}

# The workload: NPORTS listeners on 127.0.0.1, one connection to each, the
# ports written to $tmp/ports (busy ones first), then the first NBUSY ports
# kept busy (connections of 32 KiB each) until $tmp/stop exists.
cat >"$tmp/ports.py" <<'EOF'
import os, socket, sys, time
n, busy, out, stop = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
ls = []
for _ in range(n):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))  # the port is known at listen(): its row starts there
    s.listen(64)
    ls.append(s)
ports = [s.getsockname()[1] for s in ls]
for s, p in zip(ls, ports):
    c = socket.create_connection(("127.0.0.1", p))
    a, _ = s.accept()
    c.close()
    a.close()
with open(out + ".new", "w") as f:
    f.write("\n".join(map(str, ports)) + "\n")
os.rename(out + ".new", out)
payload = b"x" * 32768
while not os.path.exists(stop):
    for s, p in zip(ls[:busy], ports[:busy]):
        c = socket.create_connection(("127.0.0.1", p))
        a, _ = s.accept()
        c.sendall(payload)
        got = 0
        while got < len(payload):
            got += len(a.recv(65536))
        c.close()
        a.close()
    time.sleep(0.02)
EOF
wl_pid=""
cg_pids=""
cleanup_hook() {
	touch "$tmp/stop"
	[ -z "$wl_pid" ] || stop_pid "$wl_pid"
	for p in $cg_pids; do stop_pid "$p"; done
	for i in $(seq 1 $NCG); do rmdir "$cgtop/c$i" 2>/dev/null; done
	rmdir "$cgtop" 2>/dev/null
	:
}

# reads DIR: "EPOCH COUNT" per read, the number of ebpf values stamped with
# that read's time (one snapshot, one time)
reads() {
	find "$1/csv/ebs-card" -path '*/ebpf-*' -type f -exec cat {} + |
		awk -F, '$1 != "epoch" { n[$1]++ } END { for (t in n) print t, n[t] }' | sort -n
}
# at DIR PLUGIN_DIR TYPE-INSTANCE EPOCH: that value at that read, or empty
at() {
	cat "$1/csv/ebs-card/$2/$3"-[0-9]*-[0-9]*-[0-9]* 2>/dev/null |
		awk -F, -v t="$4" '$1 == t { v = $2 } END { if (v != "") print v + 0 }'
}
# rows_sent DIR PLUGIN_DIR EPOCH: rows with a value at that read (one file
# per row: its first counter)
rows_sent() {
	local first=accepts
	[ "$2" = ebpf-tcp_port ] || first=connects
	for f in "$1/csv/ebs-card/$2/ebpf_events-"*"-$first-"*; do
		[ -e "$f" ] || continue
		grep -q "^$3," "$f" && echo "$f"
	done | sed "s|.*/ebpf_events-\(.*\)-$first-.*|\1|" | sort -u | wc -l
}
# cg_rows_sent DIR EPOCH: cgroup rows with a value at that read (a row is
# its ebpf-cgroup-NAME directory; its syscall count is always sent)
cg_rows_sent() {
	for f in "$1/csv/ebs-card/ebpf-cgroup-"*/ebpf_calls-syscalls-*; do
		[ -e "$f" ] || continue
		grep -q "^$2," "$f" && echo "$f"
	done | sed 's|/ebpf_calls-syscalls-.*||' | sort -u | wc -l
}
# has DIR PLUGIN_DIR KEY EPOCH: the row KEY was sent at that read
has() {
	local first=accepts
	[ "$2" = ebpf-tcp_port ] || first=connects
	[ -n "$(at "$1" "$2" "ebpf_events-$3-$first" "$4")" ]
}

# ---- 1. the default block ------------------------------------------------------
# NCG cgroups at depth 2 (ebs-card-PID/cN), each with a task that wakes
# five times a second: NCG rows, more than TopCgroups
for i in $(seq 1 $NCG); do
	mkdir "$cgtop/c$i" || skip "cannot make a cgroup under $cgtop"
	sh -c 'echo $$ >"$1/cgroup.procs" && while [ ! -e "$2" ]; do sleep 0.2; done' _ \
		"$cgtop/c$i" "$tmp/stop" &
	cg_pids="$cg_pids $!"
	track "$!"
done
d1="$tmp/default"
gen_conf "$d1" "  PinPath \"$pin\""
start_collectd "$d1"
wait_until 20 '[ -d "$d1/csv/ebs-card/ebpf-self" ]'
expect "collectd writes ebpf values" '[ -d "$d1/csv/ebs-card/ebpf-self" ]' || finish
python3 "$tmp/ports.py" $NPORTS $NBUSY "$tmp/ports" "$tmp/stop" >"$tmp/ports.log" 2>&1 &
wl_pid=$!
track "$wl_pid"
wait_until 60 '[ -s "$tmp/ports" ]'
expect "the workload holds $NPORTS listening ports" '[ "$(wc -l <"$tmp/ports")" -eq $NPORTS ]' || finish
mapfile -t ports <"$tmp/ports"
t_ready=$(date +%s.%N)
sleep 6 # a few reads with every row in the tables and five busy ports
kill "$cd_pid" 2>/dev/null
wait "$cd_pid" 2>/dev/null
untrack "$cd_pid"

reads "$d1" >"$tmp/reads1"
note "values per read (epoch count): $(tr '\n' ' ' <"$tmp/reads1")"
max=$(awk '$2 > m { m = $2 } END { print m + 0 }' "$tmp/reads1")
expect "at most $LIMIT ebpf values in every read (max $max)" '[ "$max" -gt 0 ] && [ "$max" -le $LIMIT ]'
tmax=$(awk -v m="$max" '$2 == m { print $1; exit }' "$tmp/reads1")
note "values at read $tmax, by plugin: $(find "$d1/csv/ebs-card" -path '*/ebpf-*' -type f -exec grep -l "^$tmax," {} + |
	sed 's|.*/ebpf-\([a-z_]*\)[^/]*/.*|\1|' | sort | uniq -c | awk '{ printf "%s %s, ", $2, $1 }')"
files=$(find "$d1/csv/ebs-card" -path '*/ebpf-*' -type f | wc -l)
note "$files ebpf series (csv files) over the whole run"
# top-N is chosen anew at each read, but with the same busy ports the quiet
# rows do not take turns: over the whole run, at most one top set of rows
# from a read while the 400 connections were made (every row active) and
# one of the busy rows after, 2 x (TopPorts 10 + TopPeers 10) rows, whatever
# the number of series each row has (a row is its ebpf_segments-KEY-in file:
# both tables have the column)
rowfiles=$(find "$d1/csv/ebs-card/ebpf-tcp_port" "$d1/csv/ebs-card/ebpf-tcp_peer" -type f | wc -l)
rows=$({
	ls "$d1/csv/ebs-card/ebpf-tcp_port" | sed -n 's/^ebpf_segments-\(.*\)-in-[0-9-]*$/port \1/p'
	ls "$d1/csv/ebs-card/ebpf-tcp_peer" | sed -n 's/^ebpf_segments-\(.*\)-in-[0-9-]*$/peer \1/p'
} 2>/dev/null | sort -u | wc -l)
expect "$rows port and peer rows ($rowfiles series) over the whole run (<= 40)" \
	'[ "$rows" -gt 0 ] && [ "$rows" -le 40 ]'
# the reads once every row existed and the busy ports were busy, but the
# last (collectd may have stopped while writing it)
late=$(awk -v t="$t_ready" '$1 > t + 1.5 { print $1 }' "$tmp/reads1" | sed '$d')
expect "reads after the workload started" '[ -n "$late" ]'
for t in $late; do
	rows=$(at "$d1" ebpf-self ebpf_rows-tcp_port "$t")
	omitted=$(at "$d1" ebpf-self ebpf_rows-tcp_port-omitted "$t")
	sent=$(rows_sent "$d1" ebpf-tcp_port "$t")
	expect "read $t: $rows port rows (>= $NPORTS), $sent sent, omitted $omitted = rows - sent" \
		'[ "${rows:-0}" -ge $NPORTS ] && [ -n "$omitted" ] && [ "$omitted" -eq $((rows - sent)) ]'
	prows=$(at "$d1" ebpf-self ebpf_rows-tcp_peer "$t")
	pomitted=$(at "$d1" ebpf-self ebpf_rows-tcp_peer-omitted "$t")
	psent=$(rows_sent "$d1" ebpf-tcp_peer "$t")
	expect "read $t: $prows peer rows (>= $((2 * NPORTS))), $psent sent, omitted $pomitted = rows - sent" \
		'[ "${prows:-0}" -ge $((2 * NPORTS)) ] && [ -n "$pomitted" ] && [ "$pomitted" -eq $((prows - psent)) ]'
	missing=""
	for p in "${ports[@]:0:NBUSY}"; do
		has "$d1" ebpf-tcp_port "$p" "$t" || missing="$missing port:$p"
		has "$d1" ebpf-tcp_peer "in-127.0.0.1-$p" "$t" || missing="$missing in:$p"
		has "$d1" ebpf-tcp_peer "out-127.0.0.1-$p" "$t" || missing="$missing out:$p"
	done
	expect "read $t: the $NBUSY busy ports and their peer rows are sent (missing:${missing:- none})" \
		'[ -z "$missing" ]'
	crows=$(at "$d1" ebpf-self ebpf_rows-cgroup "$t")
	comitted=$(at "$d1" ebpf-self ebpf_rows-cgroup-omitted "$t")
	csent=$(cg_rows_sent "$d1" "$t")
	expect "read $t: $crows cgroup rows (>= $NCG), none sent ($csent), all omitted ($comitted)" \
		'[ "${crows:-0}" -ge $NCG ] && [ "$csent" -eq 0 ] && [ -n "$comitted" ] && [ "$comitted" -eq "$crows" ]'
done
expect "the totals are sent: ebpf-tcp/ebpf_events-passive_opens" \
	'[ -n "$(ls "$d1/csv/ebs-card/ebpf-tcp/" | grep ebpf_events-passive_opens)" ]'
expect "no ebpf error logged" '! grep -q "ebpf plugin:.*\(error\|failed\|not dispatched\)" "$d1/collectd.log"'

# ---- 2. Port "Q" forces a quiet port in, TopCgroups 10 sends 10 cgroups --------
# the highest quiet ports: never among the quiet rows that fill free top
# slots (in port order)
mapfile -t by_port < <(printf '%s\n' "${ports[@]:NBUSY}" | sort -n)
quiet=${by_port[-1]} other=${by_port[-2]}
d2="$tmp/selected"
gen_conf "$d2" "  PinPath \"$pin\"
  Port \"$quiet\"
  TopCgroups $TOPCG"
start_collectd "$d2"
t_start=$(date +%s.%N)
sleep 4
kill "$cd_pid" 2>/dev/null
wait "$cd_pid" 2>/dev/null
untrack "$cd_pid"
reads "$d2" >"$tmp/reads2"
late=$(awk -v t="$t_start" '$1 > t { print $1 }' "$tmp/reads2" | sed '$d')
expect "reads with Port \"$quiet\"" '[ -n "$late" ]'
for t in $late; do
	sent=$(rows_sent "$d2" ebpf-tcp_port "$t")
	expect "read $t: the quiet selected port $quiet is sent, with the busy ones ($sent rows)" \
		'has "$d2" ebpf-tcp_port "$quiet" "$t" && has "$d2" ebpf-tcp_port "${ports[0]}" "$t"'
	crows=$(at "$d2" ebpf-self ebpf_rows-cgroup "$t")
	comitted=$(at "$d2" ebpf-self ebpf_rows-cgroup-omitted "$t")
	csent=$(cg_rows_sent "$d2" "$t")
	expect "read $t: $crows cgroup rows (>= $NCG), $csent sent (= TopCgroups $TOPCG), omitted $comitted = rows - sent" \
		'[ "${crows:-0}" -ge $NCG ] && [ "$csent" -eq $TOPCG ] && [ -n "$comitted" ] && [ "$comitted" -eq $((crows - csent)) ]'
done
expect "a quiet port not selected ($other) is not sent" \
	'! ls "$d2/csv/ebs-card/ebpf-tcp_port/" | grep -q "^ebpf_events-$other-"'
finish
