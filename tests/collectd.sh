#!/bin/bash
# The collectd plugin inside a real collectd: `collectd -T`, then `collectd -f`
# writing csv files (Interval 1) while a known workload runs; a bad option
# that keeps only this plugin from starting; and counters that continue over
# two restarts with pinned programs.  Needs root and collectd installed.
# expect's conditions are eval'ed later, hence single quotes:
# conditions are single-quoted for expect/wait_until's eval (SC2016), and
# variables read only there look unused (SC2034)
# shellcheck disable=SC2016,SC2034
set -u
# shellcheck source=tests/lib.sh
. "${top_srcdir:-.}/tests/lib.sh"
PLUGIN_SO="$top_builddir/.libs/ebpf.so"
N=20000 # getppid calls
M=25    # loopback connects

need_root "needs root"
collectd_find || skip "no collectd binary"

for f in "$PLUGIN_SO" "$WL" "$EBS"; do
	if [ ! -x "$f" ] && [ ! -r "$f" ]; then
		echo "collectd.sh: $f not built"
		exit 1
	fi
done
new_pin cd-test

# One PluginDir holds both ebpf.so and collectd's csv, load and logfile
if ! collectd_plugins csv load; then
	echo "collectd.sh: $cd_missing missing"
	exit 1
fi

# gen_conf DIR EBPF_BLOCK_LINES
gen_conf() {
	mkdir -p "$1/csv"
	collectd_conf "$1" ebs-test "LoadPlugin csv
<Plugin csv>
  DataDir \"$1/csv\"
  StoreRates false
</Plugin>
LoadPlugin load
LoadPlugin ebpf
<Plugin ebpf>
$2
</Plugin>"
}

stop_collectd() {
	kill "$cd_pid" 2>/dev/null
	wait "$cd_pid" 2>/dev/null
	untrack "$cd_pid"
}

now() { date +%s.%N; }

# csv_files DIR PLUGIN_DIR TYPE-INSTANCE: every dated file of one value
csv_files() { ls "$1/csv/ebs-test/$2/$3"-[0-9]*-[0-9]*-[0-9]* 2>/dev/null | sort; }

# value_since DIR PLUGIN_DIR TYPE-INSTANCE EPOCH: last value stamped at or
# after EPOCH, empty if none yet
value_since() {
	local files
	files=$(csv_files "$1" "$2" "$3")
	[ -n "$files" ] || return 0
	# shellcheck disable=SC2086
	cat $files | awk -F, -v t="$4" '$1 != "epoch" && $1 + 0 >= t + 0 { v = $2 } END { if (v != "") print v }'
}

# wait_value DIR PLUGIN_DIR TYPE-INSTANCE EPOCH [SECONDS]
wait_value() {
	local v i
	for ((i = 0; i < ${5:-15} * 5; i++)); do
		v=$(value_since "$1" "$2" "$3" "$4")
		if [ -n "$v" ]; then
			echo "$v"
			return 0
		fi
		sleep 0.2
	done
	return 1
}

# ---- 1. collectd -T, then the values of a known workload -----------------------
d1="$tmp/run1"
gen_conf "$d1" '  PinPath ""
  ReportPercentiles 50 99'
timeout 120 "$COLLECTD" -T -C "$d1/collectd.conf" >"$d1/test.out" 2>&1
rc=$?
expect "collectd -T passes (rc $rc)" '[ $rc -eq 0 ]'
expect "collectd -T: the plugin read all three modules" \
	'[ "$(grep -c "ebpf plugin: module .* ok" "$d1/collectd.log")" -eq 3 ]'
expect "collectd -T: no ebpf error logged" '! grep -q "ebpf.*\(error\|failed\)" "$d1/collectd.log"'
mv "$d1/collectd.log" "$d1/collectd-T.log"
rm -rf "$d1/csv" && mkdir -p "$d1/csv"

t_start=$(now)
start_collectd "$d1"
base_tcp=$(wait_value "$d1" ebpf-tcp ebpf_events-active_opens "$t_start" 20)
expect "csv files appear within 20 s" '[ -n "$base_tcp" ]'
# getppid has a row only once some process called it since the programs
# were loaded; no file yet means 0
base_ppid=$(value_since "$d1" ebpf-syscall ebpf_calls-getppid 0)
: "${base_ppid:=0}" "${base_tcp:=0}"

"$WL" getppid "$N" >/dev/null || no "workload getppid $N"
"$WL" tcp "$M" >/dev/null || no "workload tcp $M"
t_done=$(now)
sleep 3 # three intervals
ppid=$(wait_value "$d1" ebpf-syscall ebpf_calls-getppid "$t_done" 10)
tcp=$(wait_value "$d1" ebpf-tcp ebpf_events-active_opens "$t_done" 10)
: "${ppid:=0}" "${tcp:=0}"
expect "getppid DERIVE advanced by >= $N (from $base_ppid to $ppid)" \
	'[ $((ppid - base_ppid)) -ge $N ]'
expect "TCP active opens advanced by >= $M (from $base_tcp to $tcp)" '[ $((tcp - base_tcp)) -ge $M ]'
status=$(value_since "$d1" ebpf-self ebpf_status-syscalls 0)
expect "self-metric: module status ok (1), got '$status'" '[ "${status%%.*}" = 1 ]'
expect "per-CPU values under ebpf-cpu0" '[ -n "$(csv_files "$d1" ebpf-cpu0 ebpf_events-switches_voluntary)" ]'
expect "percentile gauges reported: ebpf_latency-getppid-p99" \
	'[ -n "$(csv_files "$d1" ebpf-syscall ebpf_latency-getppid-p99)" ]'
expect "ReportPercentiles 50 99 leaves out p90" \
	'! ls "$d1/csv/ebs-test/ebpf-syscall" | grep -q -- "-p90-"'
expect "per-port values under ebpf-tcp_port" 'ls "$d1/csv/ebs-test/ebpf-tcp_port" | grep -q -- "-accepts-"'
expect "TCP state values: ebpf_transitions-ESTABLISHED-in" \
	'[ -n "$(csv_files "$d1" ebpf-tcp ebpf_transitions-ESTABLISHED-in)" ]'
expect "collectd still running" 'kill -0 $cd_pid'
stop_collectd
expect "no ebpf errors in the log" '! grep -q "ebpf plugin:.*\(failed\|error\)" "$d1/collectd.log"'
expect "no value dropped for an unknown type" '! grep -qi "dataset not found\|unknown type" "$d1/collectd.log"'
echo "# sample of the csv tree:"
(cd "$d1/csv/ebs-test" && for f in ebpf-syscall/ebpf_calls-getppid ebpf-syscall/ebpf_latency-getppid-p50 \
	ebpf-tcp/ebpf_events-active_opens ebpf-tcp/ebpf_sockets-ESTABLISHED ebpf-cpu0/ebpf_events-switches_voluntary \
	ebpf-self/ebpf_status-tcp ebpf-self/ebpf_time_ns-syscalls; do
	g=$(ls "$f"-[0-9]* 2>/dev/null | tail -n1)
	[ -n "$g" ] && echo "#   $g: $(tail -n1 "$g")"
done)
echo "#   $(find "$d1/csv/ebs-test" -path '*ebpf-*' -type f | wc -l) ebpf csv files"

# ---- 1b. live TCP bytes and segments (issue 20) --------------------------------
# 50,000,000 bytes on a connection kept open are in the totals, the port's
# row and both peer rows of the first read an interval after the send; after
# the close the rows hold exactly what each end's TCP_INFO says.  Every row
# is sent (TopPorts/TopPeers past any count), the programs are collectd's own
# and the port is new: the rows start at 0.
BIG=50000000
d6="$tmp/run6"
gen_conf "$d6" '  PinPath ""
  TopPorts 65536
  TopPeers 65536'
t_start=$(now)
start_collectd "$d6"
sent0=$(wait_value "$d6" ebpf-tcp ebpf_bytes-sent "$t_start" 20)
expect "ebpf-tcp/ebpf_bytes-sent is written ($sent0)" 'isnum "$sent0"'
# csv_at PLUGIN_DIR TYPE-INSTANCE EPOCH: the first value stamped at or after
# EPOCH + 1 (an interval after EPOCH), waiting up to 10 s
csv_at() {
	local t
	t=$(awk -v a="$3" 'BEGIN { printf "%.9f", a + 1 }')
	wait_value "$d6" "$1" "$2" "$t" 10 >/dev/null
	local files
	files=$(csv_files "$d6" "$1" "$2")
	# shellcheck disable=SC2086
	cat $files | awk -F, -v t="$t" '$1 != "epoch" && $1 + 0 >= t + 0 { print $2; exit }'
}
if hold_start $BIG; then
	hp=$hold_port
	t_sent=$(now)
	s1=$(csv_at ebpf-tcp ebpf_bytes-sent "$t_sent")
	p1=$(csv_at ebpf-tcp_port "ebpf_bytes-$hp-in" "$t_sent")
	o1=$(csv_at ebpf-tcp_peer "ebpf_bytes-out-127.0.0.1-$hp-out" "$t_sent")
	i1=$(csv_at ebpf-tcp_peer "ebpf_bytes-in-127.0.0.1-$hp-in" "$t_sent")
	: "${s1:=0}" "${p1:=0}" "${o1:=0}" "${i1:=0}"
	expect "open connection, one interval after 50 MB: bytes-sent +$((s1 - sent0)), tcp_port $hp in $p1, peer out $o1, peer in $i1 (each >= $BIG)" \
		'[ $((s1 - sent0)) -ge $BIG ] && [ "$p1" -ge $BIG ] && [ "$o1" -ge $BIG ] && [ "$i1" -ge $BIG ]'
	if hold_finish; then
		t_closed=$(now)
		# shellcheck disable=SC2086
		{
			cs=$(nth 1 $hold_client) cr=$(nth 2 $hold_client)
			co=$(nth 3 $hold_client) ci=$(nth 4 $hold_client)
			ss=$(nth 1 $hold_server) sr=$(nth 2 $hold_server)
			so=$(nth 3 $hold_server) si=$(nth 4 $hold_server)
		}
		got="$(csv_at ebpf-tcp_port "ebpf_bytes-$hp-in" "$t_closed") $(csv_at ebpf-tcp_port "ebpf_bytes-$hp-out" "$t_closed")"
		got="$got $(csv_at ebpf-tcp_port "ebpf_segments-$hp-in" "$t_closed") $(csv_at ebpf-tcp_port "ebpf_segments-$hp-out" "$t_closed")"
		expect "after the close tcp_port $hp bytes in/out, segments in/out are the server's TCP_INFO ($sr $ss $si $so), got $got" \
			'[ "$got" = "$sr $ss $si $so" ]'
		k=out-127.0.0.1-$hp
		got="$(csv_at ebpf-tcp_peer "ebpf_bytes-$k-in" "$t_closed") $(csv_at ebpf-tcp_peer "ebpf_bytes-$k-out" "$t_closed")"
		got="$got $(csv_at ebpf-tcp_peer "ebpf_segments-$k-in" "$t_closed") $(csv_at ebpf-tcp_peer "ebpf_segments-$k-out" "$t_closed")"
		expect "tcp_peer $k is the client's ($cr $cs $ci $co), got $got" '[ "$got" = "$cr $cs $ci $co" ]'
		k=in-127.0.0.1-$hp
		got="$(csv_at ebpf-tcp_peer "ebpf_bytes-$k-in" "$t_closed") $(csv_at ebpf-tcp_peer "ebpf_bytes-$k-out" "$t_closed")"
		got="$got $(csv_at ebpf-tcp_peer "ebpf_segments-$k-in" "$t_closed") $(csv_at ebpf-tcp_peer "ebpf_segments-$k-out" "$t_closed")"
		expect "tcp_peer $k is the server's ($sr $ss $si $so), got $got" '[ "$got" = "$sr $ss $si $so" ]'
		s2=$(csv_at ebpf-tcp ebpf_bytes-sent "$t_closed")
		expect "bytes-sent grew by >= both ends' ($((cs + ss))) in all ($sent0 -> $s1 -> $s2)" \
			'[ $((${s2:-0} - sent0)) -ge $((cs + ss)) ]'
		expect "ebpf-tcp/ebpf_segments-out and -in are written" \
			'[ -n "$(csv_files "$d6" ebpf-tcp ebpf_segments-out)" ] && [ -n "$(csv_files "$d6" ebpf-tcp ebpf_segments-in)" ]'
	else
		no "ebs-workload tcphold did not finish: $(cat "$tmp/hold.err")"
	fi
else
	no "ebs-workload tcphold: $(cat "$tmp/hold.err")"
fi
expect "no value dropped for an unknown type (ebpf_segments in ebpf.types.db)" \
	'! grep -qi "dataset not found\|unknown type" "$d6/collectd.log"'
stop_collectd

# ---- 2. a bad option: this plugin does not start, the others run --------------
d2="$tmp/run2"
gen_conf "$d2" '  PinPath ""
  Frobnicate true'
timeout 60 "$COLLECTD" -T -C "$d2/collectd.conf" >"$d2/test.out" 2>&1
rc=$?
expect "collectd -T fails with a bad option (rc $rc)" '[ $rc -ne 0 ]'
rm -f "$d2/collectd.log"
t_start=$(now)
start_collectd "$d2"
load=$(wait_value "$d2" load load "$t_start" 20)
expect "the load plugin still writes csv" '[ -n "$load" ]'
expect "the log names the option" \
	'grep -q "ebpf plugin: unknown option .Frobnicate. in <Plugin ebpf>" "$d2/collectd.log"'
expect "ebpf init failed cleanly" "grep -q \"Initialization of plugin .ebpf. failed\" \"$d2/collectd.log\""
expect "collectd keeps running" 'kill -0 $cd_pid'
expect "no ebpf values written" '! ls "$d2/csv/ebs-test" | grep -q "^ebpf-"'
stop_collectd

# ---- 3. ConfigFile: the YAML file is the single source -------------------------
d4="$tmp/run4"
mkdir -p "$d4"
printf 'integrations:\n  ebpf:\n    pin_path: ""\n    collect_scheduler: false\n' >"$d4/ebpfstats.yaml"
gen_conf "$d4" "  ConfigFile \"$d4/ebpfstats.yaml\""
t_start=$(now)
start_collectd "$d4"
sched=$(wait_value "$d4" ebpf-self ebpf_status-sched "$t_start" 20)
expect "ConfigFile: sched reported disabled (4), got '$sched'" '[ "${sched%%.*}" = 4 ]'
expect "ConfigFile: the log says why" \
	'grep -q "module sched disabled: collect_scheduler is false in $d4/ebpfstats.yaml" "$d4/collectd.log"'
expect "ConfigFile: syscalls still reported" '[ -n "$(wait_value "$d4" ebpf-syscall ebpf_calls-total "$t_start" 10)" ]'
expect "ConfigFile: no sched or per-CPU values" '! ls "$d4/csv/ebs-test" | grep -q "^ebpf-\(sched\|cpu\)"'
stop_collectd
# a family option beside ConfigFile is refused, naming it
d5="$tmp/run5"
gen_conf "$d5" "  ConfigFile \"$d4/ebpfstats.yaml\"
  CollectTCP false"
timeout 60 "$COLLECTD" -T -C "$d5/collectd.conf" >"$d5/test.out" 2>&1
rc=$?
expect "ConfigFile plus CollectTCP: init fails (rc $rc) naming the option" \
	'[ $rc -ne 0 ] && grep -q "option .CollectTCP. cannot be combined with ConfigFile" "$d5/collectd.log"'

# ---- 4. pinned programs: counters continue over two restarts -------------------
d3="$tmp/run3"
gen_conf "$d3" "  PinPath \"$pin\"
  CollectTCP false
  CollectScheduler false"
t_start=$(now)
start_collectd "$d3"
wait_value "$d3" ebpf-self ebpf_status-syscalls "$t_start" 20 >/dev/null
"$WL" getppid "$N" >/dev/null || no "workload getppid $N"
t_done=$(now)
v1=$(wait_value "$d3" ebpf-syscall ebpf_calls-getppid "$t_done" 10)
: "${v1:=0}"
stop_collectd
expect "first start loaded and pinned the programs" '[ -d "$pin" ] && ! grep -q "reusing pinned" "$d3/collectd.log"'
expect "first start counted the workload (getppid $v1 >= $N)" '[ "$v1" -ge $N ]'

for run in 2 3; do
	: >"$d3/collectd.log"
	t_start=$(now)
	start_collectd "$d3"
	v=$(wait_value "$d3" ebpf-syscall ebpf_calls-getppid "$t_start" 20)
	: "${v:=0}"
	expect "restart $((run - 1)): pinned programs reused" \
		'grep -q "module syscalls ok (.*reusing pinned programs)" "$d3/collectd.log"'
	expect "restart $((run - 1)): getppid continues ($v >= $v1), no reset to zero" '[ "$v" -ge "$v1" ]'
	"$WL" getppid "$N" >/dev/null || no "workload getppid $N"
	t_done=$(now)
	v1=$(wait_value "$d3" ebpf-syscall ebpf_calls-getppid "$t_done" 10)
	: "${v1:=0}"
	expect "restart $((run - 1)): the workload adds to it ($v1 >= $v + $N)" '[ "$v1" -ge $((v + N)) ]'
	stop_collectd
done
"$EBS" unload --pin-path "$pin" >"$tmp/unload.out" 2>&1
expect "pins removed" '[ ! -e "$pin" ]'
finish
