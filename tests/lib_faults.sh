# Shared by the reliability tests (the tests that source it); sourced, not run.
# tests/lib.sh (counters, cleanup, snmpd and the subagent) and what only
# these tests use: rel_tmp (lib.sh's $tmp, open to other users), the pin
# layout, the BPF object ids a process holds, its capabilities and size.
# sourced: the variables it sets are for the tests that source it (SC2034)
# shellcheck shell=bash disable=SC2016,SC2034
# shellcheck source=tests/lib.sh
. "${top_srcdir:-.}/tests/lib.sh"
rel_tmp=$tmp
chmod 0755 "$rel_tmp"
SNMP_TIMEOUT=2 # clients here give up sooner than lib.sh's 3 s

# ---- BPF objects a process holds, from /proc/PID/fdinfo ---------------------
# held_ids prog|map|link PID: ids of that kind in PID's fds (prog fds and
# links both name a prog_id), sorted, one per line
held_ids() {
	grep -h "^$1_id:" /proc/"$2"/fdinfo/* 2>/dev/null | awk '{print $2}' | sort -un
}
held_prog_ids() { held_ids prog "$1"; }
held_map_ids() { held_ids map "$1"; }
held_link_ids() { held_ids link "$1"; }
# pinned_ids prog|link PIN_PATH: ids of the programs or links pinned under a
# pin path (every module, every layout)
pinned_ids() {
	local f
	for f in "$2"/v*/*/"$1"s/*; do
		[ -e "$f" ] || continue
		bpftool "$1" show pinned "$f" 2>/dev/null | sed -n 's/^\([0-9]*\):.*/\1/p'
	done | sort -un
}
pinned_prog_ids() { pinned_ids prog "$1"; }
pinned_link_ids() { pinned_ids link "$1"; }
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
	# shellcheck disable=SC2086
	snmpwalk $SNMP -Oqv $O.2.1.3 2>&1 | awk '$1 == 1 { ok++ } $1 != 1 && $1 != 4 { bad++ }
		END { exit !(ok >= 3 && !bad) }'
}
cap_eff() { sed -n 's/^CapEff:[[:space:]]*//p' /proc/"$1"/status; }
cap_prm() { sed -n 's/^CapPrm:[[:space:]]*//p' /proc/"$1"/status; }
rss_kb() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\).*/\1/p' /proc/"$1"/status; }
fd_count() { find /proc/"$1"/fd -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }

# ---- collectd with the plugin -----------------------------------------------
COLLECTD=$(command -v collectd || ls /usr/sbin/collectd 2>/dev/null)
PLUGIN_SO="$top_builddir/.libs/ebpf.so"
SYS_PLUGINDIR=$("${COLLECTD:-false}" -h 2>/dev/null | sed -n 's/^ *Plugin directory *//p')
: "${SYS_PLUGINDIR:=/usr/lib/collectd}"
SYS_TYPESDB=$(ls /usr/share/collectd/types.db /usr/share/collectd*/types.db 2>/dev/null | head -n1)
# collectd_conf PLUGIN...: the built ebpf.so and these system plugins (with
# logfile) in $rel_tmp/plugins, and the head of $rel_tmp/collectd.conf: 1 s
# interval, log in $rel_tmp/collectd.log; the test appends its blocks
collectd_conf() {
	mkdir -p "$rel_tmp/plugins"
	cp "$PLUGIN_SO" "$rel_tmp/plugins/ebpf.so"
	for _p in logfile "$@"; do cp "$SYS_PLUGINDIR/$_p.so" "$rel_tmp/plugins/"; done
	cat >"$rel_tmp/collectd.conf" <<EOF
Hostname "ebs-rel"
FQDNLookup false
BaseDir "$rel_tmp"
PIDFile "$rel_tmp/collectd.pid"
PluginDir "$rel_tmp/plugins"
TypesDB "$SYS_TYPESDB" "$top_srcdir/collectd/ebpf.types.db"
Interval 1
LoadPlugin logfile
<Plugin logfile>
  LogLevel info
  File "$rel_tmp/collectd.log"
</Plugin>
EOF
}
