#!/bin/bash
# Fleet paths through engines that exist (issue 18): ebpfstats stays one
# agent per host, and collectd carries its values further.
#  1. a "host" collectd runs the ebpf plugin and sends everything with the
#     network plugin (SecurityLevel Encrypt) to a "central" collectd on
#     127.0.0.1, which loads no ebpf plugin and writes csv; a known
#     workload of a comm of its own (ProcessInclude) makes N getppid calls
#     and K failing flock calls: the central's csv files of the host show
#     exactly N and K;
#  2. the central's write_prometheus endpoint, scraped: the same exact
#     values as Prometheus counters, the metric families those of
#     docs/collectd.md's Prometheus table (no more, no fewer), and
#     `promtool check metrics` parses the page and finds only the lint
#     problems that table names.
# Needs root, collectd with its network, csv and write_prometheus plugins
# (the last needs libmicrohttpd12 and libprotobuf-c1), curl or python3;
# part 2 needs promtool (package prometheus): exit 77 after part 1 without it.
# conditions are single-quoted for expect/wait_until's eval (SC2016), and
# variables read only there look unused (SC2034)
# shellcheck disable=SC2016,SC2034
set -u
# shellcheck source=tests/lib.sh
. "${top_srcdir:-.}/tests/lib.sh"
N=12345 # getppid calls of the workload
K=678   # failing flock calls
COMM=ebs-fleet-wl
HOST=ebs-fleet-host

need_root "needs root"
collectd_find || skip "no collectd binary"
[ -x "$WL" ] || skip "tests/ebs-workload not built"
collectd_plugins csv network write_prometheus || skip "$cd_missing missing"
if ldd "$tmp/plugins/write_prometheus.so" 2>/dev/null | grep -q "not found"; then
	skip "write_prometheus.so cannot load: $(ldd "$tmp/plugins/write_prometheus.so" |
		awk '/not found/ { printf "%s ", $1 }')missing (packages libmicrohttpd12 libprotobuf-c1)"
fi
scrape() { # scrape URL: the page, by curl or python3
	if command -v curl >/dev/null 2>&1; then
		curl -sf --max-time 5 "$1"
	else
		python3 -c 'import sys, urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())' "$1"
	fi
}

# a UDP port for the network plugin and a TCP port for write_prometheus
# that no socket holds now, from a base of this process' own below the
# ephemeral range (other tests' connections take ports there)
free_port() { # free_port PROTO BASE: the first of BASE..BASE+19 unused
	local p
	for ((p = $2; p < $2 + 20; p++)); do
		ss -Han"${1:0:1}" "sport = :$p" 2>/dev/null | grep -q . || { echo "$p"; return 0; }
	done
	echo "$2"
}
nport=$(free_port udp $(($$ % 5000 + 21000)))
pport=$(free_port tcp $(($$ % 5000 + 21000)))

# ---- the central collectd: network Listen, csv, write_prometheus -----------------
central="$tmp/central"
mkdir -p "$central/csv"
printf 'ebs-fleet: fleet-secret\n' >"$central/auth"
collectd_conf "$central" ebs-fleet-central "LoadPlugin network
<Plugin network>
  <Listen \"127.0.0.1\" \"$nport\">
    SecurityLevel Encrypt
    AuthFile \"$central/auth\"
  </Listen>
</Plugin>
LoadPlugin csv
<Plugin csv>
  DataDir \"$central/csv\"
  StoreRates false
</Plugin>
LoadPlugin write_prometheus
<Plugin write_prometheus>
  Host \"127.0.0.1\"
  Port \"$pport\"
</Plugin>"
start_collectd "$central"
central_pid=$cd_pid
wait_until 10 'scrape "http://127.0.0.1:$pport/metrics" >/dev/null 2>&1 || ! kill -0 $central_pid 2>/dev/null'
expect "central collectd up: write_prometheus answers on 127.0.0.1:$pport" \
	'scrape "http://127.0.0.1:$pport/metrics" >/dev/null' || finish

# ---- the host collectd: ebpf, network Server --------------------------------------
hostd="$tmp/host"
collectd_conf "$hostd" "$HOST" "LoadPlugin ebpf
<Plugin ebpf>
  PinPath \"\"
  CollectMemory true
  ProcessInclude \"$COMM\"
</Plugin>
LoadPlugin network
<Plugin network>
  <Server \"127.0.0.1\" \"$nport\">
    SecurityLevel Encrypt
    Username \"ebs-fleet\"
    Password \"fleet-secret\"
  </Server>
</Plugin>"
start_collectd "$hostd"
host_pid=$cd_pid

# last VALUE of one series of the host in the central's csv files
hcsv="$central/csv/$HOST"
last() { # last PLUGIN_DIR TYPE-INSTANCE: its newest value, empty if none
	cat "$hcsv/$1/$2"-[0-9]*-[0-9]*-[0-9]* 2>/dev/null |
		awk -F, '$1 != "epoch" { v = $2 } END { if (v != "") print v + 0 }'
}
wait_until 30 '[ -n "$(last ebpf-self ebpf_status-syscalls)" ]'
expect "the central writes the host's ebpf values (ebpf-self/ebpf_status-syscalls = $(last ebpf-self ebpf_status-syscalls), 1 = ok)" \
	'[ "$(last ebpf-self ebpf_status-syscalls)" = 1 ]' || finish
expect "the central itself loads no ebpf plugin: only $HOST has ebpf series" \
	'[ -z "$(find "$central/csv" -path "*/ebpf-*" ! -path "$hcsv/*" -print -quit)" ]'
# the filter admits only $COMM: no getppid or flock row before the workload
base_ppid=$(last ebpf-syscall ebpf_calls-getppid)
base_flock=$(last ebpf-syscall ebpf_errors-flock)
"$WL" getppid "$N" "$COMM" >/dev/null || no "workload getppid $N"
"$WL" errors "$K" "$COMM" >/dev/null || no "workload errors $K"
want_ppid=$((${base_ppid:-0} + N)) want_flock=$((${base_flock:-0} + K))
wait_until 20 '[ "$(last ebpf-syscall ebpf_calls-getppid)" = $want_ppid ] &&
	[ "$(last ebpf-syscall ebpf_errors-flock)" = $want_flock ]'
expect "over the network: $HOST's ebpf-syscall/ebpf_calls-getppid grew by exactly $N (${base_ppid:-none} -> $(last ebpf-syscall ebpf_calls-getppid))" \
	'[ "$(last ebpf-syscall ebpf_calls-getppid)" = $want_ppid ]'
expect "over the network: ebpf_errors-flock grew by exactly $K (${base_flock:-none} -> $(last ebpf-syscall ebpf_errors-flock)), ebpf_calls-flock = errors" \
	'[ "$(last ebpf-syscall ebpf_errors-flock)" = $want_flock ] &&
	 [ "$(last ebpf-syscall ebpf_calls-flock)" = "$(last ebpf-syscall ebpf_errors-flock)" ]'
expect "and getppid never failed (ebpf_errors-getppid = 0)" '[ "$(last ebpf-syscall ebpf_errors-getppid)" = 0 ]'
expect "no network plugin error on either side" \
	'! grep -qi "network plugin.*\(error\|fail\)" "$central/collectd.log" "$hostd/collectd.log"'

# ---- 2. write_prometheus at the central ---------------------------------------------
scrape "http://127.0.0.1:$pport/metrics" >"$tmp/metrics.txt"
# prom FAMILY LABELS: the sample's value, e.g. prom collectd_ebpf_ebpf_calls_total 'ebpf="syscall",type="getppid"'
prom() {
	grep -F "$1{$2,instance=\"$HOST\"} " "$tmp/metrics.txt" | awk '{ print $2 + 0; exit }'
}
p_ppid=$(prom collectd_ebpf_ebpf_calls_total 'ebpf="syscall",type="getppid"')
p_flock=$(prom collectd_ebpf_ebpf_errors_total 'ebpf="syscall",type="flock"')
expect "Prometheus: collectd_ebpf_ebpf_calls_total{ebpf=\"syscall\",type=\"getppid\",instance=\"$HOST\"} = $want_ppid (got $p_ppid)" \
	'[ "$p_ppid" = $want_ppid ]'
expect "Prometheus: collectd_ebpf_ebpf_errors_total{ebpf=\"syscall\",type=\"flock\",instance=\"$HOST\"} = $want_flock (got $p_flock)" \
	'[ "$p_flock" = $want_flock ]'
expect "Prometheus: collectd_ebpf_ebpf_status{ebpf=\"self\",type=\"syscalls\"} = 1" \
	'[ "$(prom collectd_ebpf_ebpf_status "ebpf=\"self\",type=\"syscalls\"")" = 1 ]'
# the families against docs/collectd.md's table (`collectd_ebpf_...` in its
# first column), both ways
sed -n 's/^| `\(collectd_ebpf_[a-z_]*\)`.*/\1/p' "$top_srcdir/docs/collectd.md" | sort -u >"$tmp/fam.doc"
sed -n 's/^# TYPE \(collectd_ebpf_[a-z_]*\) .*/\1/p' "$tmp/metrics.txt" | sort -u >"$tmp/fam.got"
expect "docs/collectd.md names $(wc -l <"$tmp/fam.doc") Prometheus families" '[ "$(wc -l <"$tmp/fam.doc")" -ge 10 ]'
expect "the endpoint has exactly the documented families (diff: $(diff "$tmp/fam.doc" "$tmp/fam.got" | grep '^[<>]' | tr '\n' ' '))" \
	'diff -q "$tmp/fam.doc" "$tmp/fam.got" >/dev/null'
expect "every sample carries instance=\"$HOST\"" \
	'! grep "^collectd_ebpf_" "$tmp/metrics.txt" | grep -vq "instance=\"$HOST\""'

PROMTOOL=$(command -v promtool)
if [ -z "$PROMTOOL" ]; then
	skip "promtool missing (package prometheus, scripts/deps installs it): promtool check metrics not run"
fi
"$PROMTOOL" check metrics <"$tmp/metrics.txt" >"$tmp/promtool.log" 2>&1
rc=$?
# 0 clean, 3 lint problems, 1 the page does not parse
expect "promtool check metrics parses the page (rc $rc; 1 would be a parse error)" '[ $rc -eq 0 ] || [ $rc -eq 3 ]'
# the lint problems docs/collectd.md admits: a table row's family with
# "promtool: <problem>"
sed -n 's/^| `\(collectd_ebpf_[a-z_]*\)`.*promtool: \([^|]*[^| ]\) *|.*/\1 \2/p' "$top_srcdir/docs/collectd.md" |
	sort >"$tmp/lint.doc"
sed -n 's/^\(collectd_ebpf_[a-z_]*\) \(.*\)$/\1 \2/p' "$tmp/promtool.log" | sort >"$tmp/lint.got"
expect "promtool's lint problems are exactly those docs/collectd.md names ($(wc -l <"$tmp/lint.got"): $(diff "$tmp/lint.doc" "$tmp/lint.got" | grep '^[<>]' | tr '\n' ' '))" \
	'diff -q "$tmp/lint.doc" "$tmp/lint.got" >/dev/null && [ "$(grep -c . "$tmp/promtool.log")" -eq "$(grep -c . "$tmp/lint.got")" ]'
# the PromQL examples of docs/collectd.md parse: each one (continuation
# lines start with blanks) as a recording rule for `promtool check rules`
awk '/^```promql/ { on = 1; next } /^```/ { on = 0 } on && !/^#/' "$top_srcdir/docs/collectd.md" |
	awk '/^ / { e = e " " $0; next } { if (e != "") print e; e = $0 } END { if (e != "") print e }' \
		>"$tmp/promql.txt"
{
	printf 'groups:\n  - name: docs\n    rules:\n'
	n=0
	while IFS= read -r e; do
		n=$((n + 1))
		printf '      - record: docs:example%d\n        expr: %s\n' "$n" "'${e//\'/\'\'}'"
	done <"$tmp/promql.txt"
} >"$tmp/rules.yml"
"$PROMTOOL" check rules "$tmp/rules.yml" >"$tmp/promtool-rules.log" 2>&1
rc=$?
expect "the $(grep -c . "$tmp/promql.txt") PromQL examples of docs/collectd.md parse (promtool check rules rc $rc)" \
	'[ $rc -eq 0 ] && [ "$(grep -c . "$tmp/promql.txt")" -ge 5 ]'
# and every selector in them matches a series on the page.  The page is
# scraped again until they all do (10 s at most): the host's network
# plugin sends a read's values in several packets, and the page above was
# taken as soon as the csv had the calls, which may be a packet ahead of
# the time_ns of the same read.
unmatched=""
selectors_unmatched() { # the examples' selectors no series of metrics.txt matches
	local sel fam labels lines pairs pair
	unmatched=""
	while IFS= read -r sel; do
		fam=${sel%%\{*} labels=${sel#*\{}
		labels=${labels%\}}
		lines=$(grep "^$fam{" "$tmp/metrics.txt")
		IFS=, read -ra pairs <<<"$labels"
		for pair in "${pairs[@]}"; do lines=$(grep -F "$pair" <<<"$lines"); done
		[ -n "$lines" ] || unmatched="$unmatched $sel"
	done < <(grep -o 'collectd_ebpf_[a-z_]*{[^}]*}' "$tmp/promql.txt" | sort -u)
}
selectors_unmatched
[ -z "$unmatched" ] ||
	wait_until 10 'scrape "http://127.0.0.1:$pport/metrics" >"$tmp/metrics.txt"; selectors_unmatched; [ -z "$unmatched" ]'
expect "every selector of those examples matches a series of the page (unmatched:${unmatched:- none})" \
	'[ -z "$unmatched" ]'
stop_pid "$host_pid"
stop_pid "$central_pid"
finish
