#!/bin/sh
# EBPFSTATS-MIB end to end.
#  1. The MIB: smilint -l 6 prints nothing, snmptranslate -Tp shows the tree
#     (base MIBs from tests/mibs-fetch.sh; skipped when they cannot be had).
#  2. A real snmpd master on 127.0.0.1:<high port> with a private AgentX
#     socket, ebpfstats-agentx against it, a known workload, then numbers
#     over snmpget/snmpwalk/snmpbulkwalk (numeric, and symbolic with the base
#     MIBs): getppid calls, TCP opens and port accepts, one row per CPU,
#     module statuses, histograms.  Bad requests: noSuchInstance,
#     noSuchObject, GETBULK with max-repetitions 5000, SNMPv1 and Counter64.
#  3. snmpd restarts: the subagent serves again within seconds, counters
#     did not go backwards.  SIGHUP with a bad and a good file.  SIGTERM.
#  4. Pins: a restarted subagent reuses the programs and keeps counting.
# Needs root (loads BPF programs) and snmpd: exit 77 otherwise.
# shellcheck disable=SC2034 # variables read only in expect's eval'ed conditions
set -u
# shellcheck source=tests/lib.sh
. "${top_srcdir:-.}/tests/lib.sh"
MIB="$top_srcdir/mibs/EBPFSTATS-MIB.txt"
N_GETPPID=5000
M_TCP=25
WL_COMM=ebs-snmp-wl

# ---- 1. the MIB file -------------------------------------------------------
mibdir=""
if command -v smilint >/dev/null 2>&1 && mibdir=$(sh "$top_srcdir/tests/mibs-fetch.sh"); then
	lint=$(SMIPATH="$mibdir" smilint -l 6 "$MIB" 2>&1)
	expect "smilint -l 6 prints nothing${lint:+: $lint}" '[ -z "$lint" ]'
	tree=$(snmptranslate -M "$mibdir:$top_srcdir/mibs" -m EBPFSTATS-MIB -Tp -IR ebpfstatsMIB 2>&1)
	expect "snmptranslate -Tp shows the tree" \
		'echo "$tree" | grep -q "Counter64 ebsHistCount(5)" &&
		 echo "$tree" | grep -q "Index: ebsHistId, ebsHistBucket"'
	num=$(snmptranslate -M "$mibdir:$top_srcdir/mibs" -m EBPFSTATS-MIB -On \
		EBPFSTATS-MIB::ebsSyscallCalls 2>&1)
	expect "ebsSyscallCalls is $O.3.10.1.3 (got $num)" '[ "$num" = "$O.3.10.1.3" ]'
else
	mibdir=""
	echo "# smilint or the SMIv2 base MIBs are missing: MIB lint and symbolic checks skipped"
fi

need_root "the rest needs root (BPF)"
need_snmp

# ---- 2. master, subagent, workload ----------------------------------------
new_pin snmp
start_master
ok "snmpd master on udp:127.0.0.1:$port, AgentX at $tmp/agentx.sock"

walk_values() { # walk_values OID
	snmpwalk $SNMP -Oqv "$1" 2>&1
}
rows() { # rows OID: number of instances under a column
	snmpwalk $SNMP -On "$1" 2>/dev/null | grep -c "^$1\."
}

agent_conf "$tmp/agent.yaml" "$WL_COMM" "collect_memory: true" "collect_file_io: true"
AGENT_READY='isnum "$(get $O.3.1.0)"'
AGENT_PIDFILE=$tmp/agent.pid
start_agent "$tmp/agent.yaml" "$tmp/agent.log"
expect "subagent registers and serves ebsSyscallsCalls.0" 'isnum "$(get $O.3.1.0)"'
expect "pidfile names the subagent" '[ "$(cat "$tmp/agent.pid" 2>/dev/null)" = "$agent_pid" ]'
version=$(get $O.1.1.0)
expect "ebsAgentVersion.0 is a version ($version)" 'echo "$version" | grep -Eq "^[0-9]+\.[0-9]+"'

# modules: four rows, every one ok(1) on this machine, names in index order
names=$(walk_values $O.2.1.2 | tr -d '"' | tr '\n' ' ')
expect "ebsModuleName rows are syscalls tcp sched memory (got $names)" \
	'[ "$names" = "syscalls tcp sched memory " ]'
for i in 1 2 3 4; do
	st=$(get $O.2.1.3.$i)
	expect "ebsModuleStatus.$i is ok(1) (got $st; reason: $(get $O.2.1.4.$i))" '[ "$st" = 1 ]'
done

# baselines, then the workload
opens0=$(get $O.4.1.0)
passive0=$(get $O.4.2.0)
vol0=$(get $O.5.1.0)
hist0=$(snmpwalk $SNMP -OqnU $O.6.1.5 2>/dev/null)
expect "baseline ebsTcpActiveOpens.0 is a number ($opens0)" 'isnum "$opens0"'
"$WL" getppid "$N_GETPPID" "$WL_COMM" || no "workload getppid"
wlport=$("$WL" tcp "$M_TCP") || no "workload tcp"

if ! nr=$(syscall_nr getppid); then
	# no compiler: find the row by name
	nr=$(snmpwalk $SNMP -On $O.3.10.1.2 2>/dev/null | grep '"getppid"' |
		sed "s/^$O.3.10.1.2.\([0-9]*\) .*/\1/")
	nr=$((nr - 1))
fi
idx=$((nr + 1))
wait_until 10 '[ "$(get $O.3.10.1.3.$idx)" = "$N_GETPPID" ] &&
	[ "$(get $O.4.1.0)" -ge $((opens0 + M_TCP)) ] 2>/dev/null'
calls=$(get $O.3.10.1.3.$idx)
expect "ebsSyscallName.$idx (nr $nr + 1) is getppid" '[ "$(get $O.3.10.1.2.$idx)" = getppid ]'
expect "ebsSyscallCalls.$idx is exactly $N_GETPPID (process_filter), got $calls" \
	'[ "$calls" = "$N_GETPPID" ]'
expect "ebsSyscallErrors.$idx is 0" '[ "$(get $O.3.10.1.4.$idx)" = 0 ]'
expect "ebsSyscallsFiltered.0 counts other processes' calls" '[ "$(get $O.3.7.0)" -gt 0 ]'
opens1=$(get $O.4.1.0)
passive1=$(get $O.4.2.0)
expect "ebsTcpActiveOpens.0 advanced by >= $M_TCP ($opens0 -> $opens1)" \
	'[ "$opens1" -ge $((opens0 + M_TCP)) ]'
expect "ebsTcpPassiveOpens.0 advanced by >= $M_TCP ($passive0 -> $passive1)" \
	'[ "$passive1" -ge $((passive0 + M_TCP)) ]'
acc=$(get $O.4.21.1.2.$wlport)
expect "ebsTcpPortAccepts.$wlport (the workload's listener) is $M_TCP, got $acc" \
	'[ "$acc" = "$M_TCP" ]'
expect "ebsTcpStateTable has 12 rows" '[ "$(rows $O.4.20.1.2)" = 12 ]'
expect "ebsTcpStateName.1 is ESTABLISHED" '[ "$(get $O.4.20.1.2.1)" = ESTABLISHED ]'
expect "ebsTcpStateTransIn.1 (ESTABLISHED) >= $((2 * M_TCP))" \
	'[ "$(get $O.4.20.1.4.1)" -ge $((2 * M_TCP)) ]'

# TCP peers, indexed by the endpoint (direction, address type, address
# length and octets, port): the workload's M connects to 127.0.0.1:$wlport
# are the rows out(1).ipv4(1).4.127.0.0.1.$wlport and in(2).ipv4(1)...,
# where a manager that knows the peer finds them without a walk
PEER_OUT=1.1.4.127.0.0.1.$wlport
PEER_IN=2.1.4.127.0.0.1.$wlport
expect "ebsTcpPeerConnects.$PEER_OUT (out to 127.0.0.1:$wlport) is $M_TCP" \
	'[ "$(get $O.4.22.1.6.$PEER_OUT)" = "$M_TCP" ]'
expect "ebsTcpPeerConnects.$PEER_IN (in from 127.0.0.1 to port $wlport) is $M_TCP" \
	'[ "$(get $O.4.22.1.6.$PEER_IN)" = "$M_TCP" ]'
expect "ebsTcpPeerAddress.$PEER_OUT is 127.0.0.1" \
	'[ "$(get $O.4.22.1.5.$PEER_OUT)" = 127.0.0.1 ]'
# a walk names the same instances, and every row's address column is the
# address its index carries
snmpwalk $SNMP -OqnU $O.4.22.1.5 2>&1 | tr -d '"' >"$tmp/peers.out"
expect "a walk of ebsTcpPeerAddress lists $PEER_OUT and $PEER_IN" \
	'grep -q "^$O.4.22.1.5.$PEER_OUT 127.0.0.1\$" "$tmp/peers.out" &&
	 grep -q "^$O.4.22.1.5.$PEER_IN 127.0.0.1\$" "$tmp/peers.out"'
mism=$(awk -v pre="$O.4.22.1.5." 'index($1, pre) == 1 {
	n = split(substr($1, length(pre) + 1), a, ".")
	if (a[3] == 4) { want = a[4] "." a[5] "." a[6] "." a[7]; ok = n == 8 && a[2] == 1 }
	else { ok = n == 20 && a[2] == 2 && a[3] == 16; want = "" }
	if (!ok || (want != "" && $2 != want)) print $1 }' "$tmp/peers.out" | head -n 3)
expect "every peer index is direction.type.length.octets.port and matches its address${mism:+: $mism}" \
	'[ -z "$mism" ] && [ "$(grep -c "^$O.4.22.1.5." "$tmp/peers.out")" -ge 2 ]'
expect "ebsTcpPeerOverflows.0 is a number" 'isnum "$(get $O.4.19.0)"'

# live TCP bytes and segments (issue 20): 50,000,000 bytes on a connection
# kept open are in the scalar, its port's row and both peer rows within one
# refresh (1 s here); after the close every row holds exactly what TCP_INFO
# says each end moved, and the scalar did not take the 50 MB a second time.
# The subagent's programs are its own and the port is new: its rows start
# at 0.
BIG=50000000
sent0=$(get $O.4.12.0) segso0=$(get $O.4.25.0) segsi0=$(get $O.4.26.0)
if hold_start $BIG; then
	hp=$hold_port
	H_OUT=1.1.4.127.0.0.1.$hp
	H_IN=2.1.4.127.0.0.1.$hp
	live='[ "$(get1 $O.4.12.0)" -ge $((sent0 + BIG)) ] && [ "$(get1 $O.4.21.1.5.$hp)" -ge $BIG ] &&
		[ "$(get1 $O.4.22.1.10.$H_OUT)" -ge $BIG ] && [ "$(get1 $O.4.22.1.9.$H_IN)" -ge $BIG ]'
	wait_until 3 "$live" 2>/dev/null
	expect "50 MB on an open connection within one refresh: ebsTcpBytesSent.0 $sent0 -> $(get $O.4.12.0), ebsTcpPortBytesIn.$hp $(get $O.4.21.1.5.$hp), ebsTcpPeerBytesOut.$H_OUT $(get $O.4.22.1.10.$H_OUT), ebsTcpPeerBytesIn.$H_IN $(get $O.4.22.1.9.$H_IN)" \
		"$live"
	sent1=$(get $O.4.12.0)
	if hold_finish; then
		# client and server: BYTES_ACKED BYTES_RECEIVED SEGS_OUT SEGS_IN
		# shellcheck disable=SC2086
		{
			cs=$(nth 1 $hold_client) cr=$(nth 2 $hold_client)
			co=$(nth 3 $hold_client) ci=$(nth 4 $hold_client)
			ss=$(nth 1 $hold_server) sr=$(nth 2 $hold_server)
			so=$(nth 3 $hold_server) si=$(nth 4 $hold_server)
		}
		want="$sr $ss $si $so"
		row='$(get1 $O.4.21.1.5.$hp) $(get1 $O.4.21.1.6.$hp) $(get1 $O.4.21.1.7.$hp) $(get1 $O.4.21.1.8.$hp)'
		wait_until 5 "[ \"$row\" = \"\$want\" ]" 2>/dev/null
		got=$(eval "echo $row")
		expect "after the close ebsTcpPort{BytesIn,BytesOut,SegsIn,SegsOut}.$hp are the server's TCP_INFO ($want), got $got" \
			'[ "$got" = "$want" ]'
		got=$(get $O.4.22.1.9.$H_OUT) got="$got $(get $O.4.22.1.10.$H_OUT)"
		got="$got $(get $O.4.22.1.11.$H_OUT) $(get $O.4.22.1.12.$H_OUT)"
		expect "ebsTcpPeer{BytesIn,BytesOut,SegsIn,SegsOut}.$H_OUT are the client's ($cr $cs $ci $co), got $got" \
			'[ "$got" = "$cr $cs $ci $co" ]'
		got=$(get $O.4.22.1.9.$H_IN) got="$got $(get $O.4.22.1.10.$H_IN)"
		got="$got $(get $O.4.22.1.11.$H_IN) $(get $O.4.22.1.12.$H_IN)"
		expect "ebsTcpPeer{BytesIn,BytesOut,SegsIn,SegsOut}.$H_IN are the server's ($sr $ss $si $so), got $got" \
			'[ "$got" = "$sr $ss $si $so" ]'
		# the scalar is host-wide (other traffic adds to it, seconds of it
		# here); the rows above take the same additions as it, and they
		# show that the close added only the rest
		sent2=$(get $O.4.12.0)
		expect "ebsTcpBytesSent.0 grew by >= both ends' ($((cs + ss))) in all ($sent0 -> $sent1 -> $sent2)" \
			'[ $((sent2 - sent0)) -ge $((cs + ss)) ]'
		segso=$(get $O.4.25.0) segsi=$(get $O.4.26.0)
		expect "ebsTcpSegsOut.0 grew by >= both ends' tcpi_segs_out ($((co + so))), ebsTcpSegsIn.0 by >= their tcpi_segs_in ($((ci + si))): $segso0 -> $segso, $segsi0 -> $segsi" \
			'[ $((segso - segso0)) -ge $((co + so)) ] && [ $((segsi - segsi0)) -ge $((ci + si)) ]'
	else
		no "ebs-workload tcphold did not finish: $(cat "$tmp/hold.err")"
	fi
else
	no "ebs-workload tcphold: $(cat "$tmp/hold.err")"
fi

# memory and file I/O
expect "ebsMemoryFaultsUser.0 counts page faults" '[ "$(get $O.7.1.0)" -gt 0 ] 2>/dev/null'
expect "ebsMemoryOomLastPid.0 is a number" 'isnum "$(get $O.7.4.0)"'
expect "ebsProcTable has rows" '[ "$(rows $O.7.20.1.3)" -gt 0 ] 2>/dev/null'
expect "ebsSyscallsWriteBytes.0 is a number" 'isnum "$(get $O.3.9.0)"'

# one row per possible CPU
ncpu=$(possible_cpus)
for col in 2 3 4 5 6 7 8; do
	expect "ebsCpuTable column $col has $ncpu rows" '[ "$(rows $O.5.20.1.$col)" = "$ncpu" ]'
done
vol1=$(get $O.5.1.0)
expect "ebsSchedSwitchesVoluntary.0 advanced ($vol0 -> $vol1)" '[ "$vol1" -gt "$vol0" ]'
cpusum=$(walk_values $O.5.20.1.2 | awk '{s += $1} END {print s}')
expect "per-CPU voluntary switches add up to about the total ($cpusum vs $vol1)" \
	'[ "$cpusum" -gt 0 ] && [ "$cpusum" -le $((vol1 + vol1 / 2 + 1000)) ]'

# histograms: a row per bucket that ever had a sample, each bound the
# log-linear layout's (bpf/ebs_hist.h), counts never falling
hrows=$(rows $O.6.1.5)
expect "ebsHistTable has rows, at most 5 x 465 ($hrows)" \
	'[ "$hrows" -gt 0 ] && [ "$hrows" -le 2325 ] 2>/dev/null'
expect "no ebsHistCount row is 0 (only buckets with samples)" \
	'! walk_values $O.6.1.5 | grep -qx 0'
bounds_bad=$(snmpwalk $SNMP -OqnU $O.6.1.4 2>/dev/null | awk '
	{ n = split($1, a, "."); b = a[n] + 0
	  if (b <= 16) up = b - 1
	  else if (b == 465) up = 4294967295
	  else { s = b - 1; h = int(s / 16) + 3; w = 2 ^ (h - 4); up = (16 + s % 16) * w + w - 1 }
	  if ($2 + 0 != up) bad = bad " " $1 "=" $2 "(want " up ")" }
	END { print bad }')
expect "every ebsHistUpperBound is its bucket's bound${bounds_bad:+:$bounds_bad}" '[ -z "$bounds_bad" ]'
# the workload's getppid calls (a few hundred ns each) have rows in the
# syscall histogram; ebsHistName and ebsHistUnit name them
hb=$(snmpgetnext $SNMP -On $O.6.1.3.1 2>/dev/null | sed -n "s/^$O\.6\.1\.3\.1\.\([0-9]*\) .*/\1/p")
expect "a syscall_latency bucket ($hb) is named syscall_latency, in ns" \
	'[ -n "$hb" ] && [ "$(get $O.6.1.3.1.$hb)" = syscall_latency ] && [ "$(get $O.6.1.6.1.$hb)" = ns ]'
hist1=$(snmpwalk $SNMP -OqnU $O.6.1.5 2>/dev/null)
mono=$(printf '%s\n' "$hist0" "==" "$hist1" | awk '
	$1 == "==" { second = 1; next }
	!second { before[$1] = $2; next }
	($1 in before) && $2 < before[$1] { bad = bad " " $1 }
	END { print bad == "" ? "yes" : bad }')
expect "ebsHistCount never decreased between two polls" '[ "$mono" = yes ]'
sysh=$(walk_values $O.6.1.5.1 | awk '{s += $1} END {print s}')
expect "syscall latency histogram holds at least the workload's calls ($sysh)" \
	'[ "$sysh" -ge "$N_GETPPID" ]'

# ---- bad requests ----------------------------------------------------------
out=$(snmpget $SNMP -On $O.3.10.1.3.65536 2>&1)
expect "GET of a syscall row that does not exist: noSuchInstance" \
	'echo "$out" | grep -q "No Such Instance"'
out=$(snmpget $SNMP -On $O.1.1.1 2>&1)
expect "GET of ebsAgentVersion.1 (bad instance): noSuchInstance" \
	'echo "$out" | grep -q "No Such Instance"'
out=$(snmpget $SNMP -On $O.3.99.0 2>&1)
expect "GET of an undefined scalar: noSuchObject" 'echo "$out" | grep -q "No Such Object"'
out=$(snmpget $SNMP -On $O.2.1.3.9 2>&1)
expect "GET of module 9: noSuchInstance" 'echo "$out" | grep -q "No Such Instance"'
# peer rows by a wrong index: cut short, one arc too many, a wrong length
# arc, an octet past 255
for bad in 1.1.4.127.0.0.1 $PEER_OUT.0 1.1.5.127.0.0.1.$wlport 1.1.4.127.0.0.257.$wlport; do
	out=$(snmpget $SNMP -On $O.4.22.1.6.$bad 2>&1)
	expect "GET of ebsTcpPeerConnects.$bad: noSuchInstance" \
		'echo "$out" | grep -q "No Such Instance"'
done
# GETNEXT from inside a peer's index: the next row, whole
out=$(snmpgetnext $SNMP -On $O.4.22.1.6.1.1.4.127.0.0 2>&1)
expect "GETNEXT from ebsTcpPeerConnects.1.1.4.127.0.0 lands on a whole row ($out)" \
	'echo "$out" | grep -Eq "^$O\.4\.22\.1\.6\.1\.1\.4\.127\.0\.0\.[0-9]+\.[0-9]+ = Counter64"'

# GETBULK with max-repetitions 5000: an answer, not an error, in order
snmpbulkget $SNMP -On -Cn0 -Cr5000 $ROOT >"$tmp/bulk.out" 2>&1
rc=$?
nb=$(grep -c "^\." "$tmp/bulk.out")
expect "GETBULK max-repetitions 5000 answers (rc $rc, $nb varbinds)" '[ $rc -eq 0 ] && [ "$nb" -ge 50 ]'
ordered=$(awk '{ n = split($1, c, "."); 
	if (NR > 1) { lt = 0; m = n < pn ? n : pn;
		for (i = 2; i <= m; i++) if (c[i] != p[i]) { lt = (c[i] + 0 > p[i] + 0); break }
		if (i > m) lt = n > pn;
		if (!lt) bad = 1 }
	for (i = 1; i <= n; i++) p[i] = c[i]; pn = n }
	END { print bad ? "no" : "yes" }' "$tmp/bulk.out")
expect "GETBULK varbinds come in increasing OID order" '[ "$ordered" = yes ]'
snmpwalk $SNMP -On $O >"$tmp/walk.out" 2>&1
head -n "$nb" "$tmp/walk.out" | cut -d' ' -f1 >"$tmp/walk.oids"
cut -d' ' -f1 "$tmp/bulk.out" >"$tmp/bulk.oids"
expect "GETBULK returns the same OIDs as a GETNEXT walk" 'cmp -s "$tmp/walk.oids" "$tmp/bulk.oids"' ||
	{ diff "$tmp/walk.oids" "$tmp/bulk.oids" | head -n 20; head -n 8 "$tmp/walk.out"; }
# histogram rows appear with a bucket's first sample, perhaps between two
# walks: the bulk walk must hold the walk before it and sit inside the one
# after it, in the same order
for sub in 2 5 6; do
	snmpwalk $SNMP -On $O.$sub 2>/dev/null | cut -d' ' -f1 >"$tmp/w.$sub"
	snmpbulkwalk $SNMP -On -Cr5000 $O.$sub 2>/dev/null | cut -d' ' -f1 >"$tmp/b.$sub"
	snmpwalk $SNMP -On $O.$sub 2>/dev/null | cut -d' ' -f1 >"$tmp/w2.$sub"
	expect "snmpbulkwalk -Cr5000 of $O.$sub equals snmpwalk ($(wc -l <"$tmp/w.$sub") OIDs)" \
		'[ -s "$tmp/w.$sub" ] && [ -z "$(grep -vxFf "$tmp/b.$sub" "$tmp/w.$sub")" ] &&
		 [ "$(grep -xFf "$tmp/b.$sub" "$tmp/w2.$sub")" = "$(cat "$tmp/b.$sub")" ]'
done

# SNMPv1 cannot carry Counter64 (RFC 3584 4.2.2.1): GET -> noSuchName,
# GETNEXT/walk skip Counter64 objects; everything else is served.
out=$(snmpget -v1 -c public -r1 -t3 127.0.0.1:"$port" -On $O.3.1.0 2>&1)
expect "SNMPv1 GET of a Counter64 (ebsSyscallsCalls.0): noSuchName" \
	'echo "$out" | grep -q "noSuchName"'
out=$(snmpget -v1 -c public -r1 -t3 127.0.0.1:"$port" -On $O.3.4.0 2>&1)
expect "SNMPv1 GET of a Gauge32 (ebsSyscallsLatencyP50.0) works" 'echo "$out" | grep -q "Gauge32"'
snmpwalk -v1 -c public -r1 -t3 127.0.0.1:"$port" -On $O >"$tmp/v1.out" 2>&1
expect "SNMPv1 walk skips every Counter64 and still serves the rest" \
	'! grep -q Counter64 "$tmp/v1.out" && grep -q "$O.2.1.3.1 = INTEGER: 1" "$tmp/v1.out" &&
	 grep -q "$O.6.1.4.1.$hb = Gauge32: " "$tmp/v1.out"'

# ---- symbolic, with the base MIBs -----------------------------------------
if [ -n "$mibdir" ]; then
	SYM="-M $mibdir:$top_srcdir/mibs -m EBPFSTATS-MIB"
	out=$(snmpget $SNMP $SYM EBPFSTATS-MIB::ebsAgentVersion.0 2>&1)
	expect "symbolic GET ebsAgentVersion.0" \
		'echo "$out" | grep -q "^EBPFSTATS-MIB::ebsAgentVersion.0 = STRING: $version"'
	out=$(snmpwalk $SYM $SNMP EBPFSTATS-MIB::ebsModuleStatus 2>&1)
	expect "symbolic walk shows ebsModuleStatus.1 = INTEGER: ok(1)" \
		'echo "$out" | grep -q "ebsModuleStatus.1 = INTEGER: ok(1)"'
	out=$(snmptable $SYM $SNMP -Cf , EBPFSTATS-MIB::ebsTcpStateTable 2>&1)
	expect "snmptable ebsTcpStateTable has 12 rows with names" \
		'[ "$(echo "$out" | grep -c "^[A-Z_0-9]*,")" = 12 ]'
	out=$(snmpget $SYM $SNMP EBPFSTATS-MIB::ebsHistUpperBound.syscallLatency.$hb 2>&1)
	expect "symbolic index by enum label: ebsHistUpperBound.syscallLatency.$hb = .1.$hb ($out)" \
		'echo "$out" | grep -q "= Gauge32: $(get $O.6.1.4.1.$hb)\$"'
	out=$(snmpget $SYM $SNMP "EBPFSTATS-MIB::ebsTcpPeerConnects.out.ipv4.\"127.0.0.1\".$wlport" 2>&1)
	expect "symbolic peer index: ebsTcpPeerConnects.out.ipv4.\"127.0.0.1\".$wlport = $M_TCP ($out)" \
		'echo "$out" | grep -Eq "= Counter64: $M_TCP( |\$)"'
fi

# ---- 3. master restart -----------------------------------------------------
calls_before=$(get $O.3.10.1.3.$idx)
ev_before=$(get $O.2.1.6.3)
stop_pid "$snmpd_pid"
snmpd_pid=""
t0=$(date +%s)
start_snmpd || no "snmpd restarts on port $port"
wait_until 15 'isnum "$(get $O.3.1.0)"'
t1=$(date +%s)
expect "subagent serves again $((t1 - t0)) s after the master restarted (<= 10 s)" \
	'isnum "$(get $O.3.1.0)" && [ $((t1 - t0)) -le 10 ]'
expect "getppid calls kept across the master restart ($calls_before)" \
	'[ "$(get $O.3.10.1.3.$idx)" = "$calls_before" ]'
expect "ebsModuleEvents.3 (sched) did not go backwards" '[ "$(get $O.2.1.6.3)" -ge "$ev_before" ]'
expect "the subagent logged the reconnect" 'grep -q "AgentX" "$tmp/agent.log"'

# ---- SIGHUP ------------------------------------------------------------------
cp "$tmp/agent.yaml" "$tmp/agent.good"
printf 'integrations:\n  ebpf:\n    colect_syscalls: true\n' >"$tmp/agent.yaml"
kill -HUP "$agent_pid"
wait_until 5 'grep -q "agent.yaml:3:5: unknown key" "$tmp/agent.log"'
expect "SIGHUP with a bad file logs file:line:col and keeps the old config" \
	'grep -q "agent.yaml:3:5: unknown key .colect_syscalls.*keeping" "$tmp/agent.log" &&
	 [ "$(get $O.3.10.1.3.$idx)" = "$calls_before" ]'
cp "$tmp/agent.good" "$tmp/agent.yaml"
loaded0=$(get $O.1.3.0)
kill -HUP "$agent_pid"
wait_until 10 'grep -q "reloaded .*agent.yaml" "$tmp/agent.log" && isnum "$(get $O.3.1.0)"'
loaded1=$(get $O.1.3.0)
expect "SIGHUP with a good file reloads (private programs: ebsAgentProgramsLoaded moves, $loaded0 -> $loaded1)" \
	'grep -q "reloaded .*agent.yaml" "$tmp/agent.log" && [ "$loaded1" != "$loaded0" ]'
expect "every module ok after the reload" \
	'[ "$(walk_values $O.2.1.3 | tr "\n" " ")" = "1 1 1 1 " ]'

# ---- SIGTERM -----------------------------------------------------------------
kill -TERM "$agent_pid"
wait_until 5 '! kill -0 "$agent_pid" 2>/dev/null'
wait "$agent_pid"
rc=$?
untrack "$agent_pid"
expect "SIGTERM: exit 0 (got $rc), pidfile removed" '[ $rc -eq 0 ] && [ ! -e "$tmp/agent.pid" ]'
agent_pid=""
expect "the master no longer serves the subtree" \
	'wait_until 5 "get $O.1.1.0 | grep -q \"No Such\""'

# ---- 4. pins: a restarted subagent keeps counting --------------------------
sed "s|pin_path: \"\"|pin_path: \"$pin\"|" "$tmp/agent.good" >"$tmp/pinned.yaml"
start_agent "$tmp/pinned.yaml" "$tmp/pinned1.log"
"$WL" getppid 1000 "$WL_COMM" || no "workload getppid (pinned)"
wait_until 10 '[ "$(get $O.3.10.1.3.$idx)" = 1000 ]'
expect "pinned: getppid calls 1000" '[ "$(get $O.3.10.1.3.$idx)" = 1000 ]'
stop_pid "$agent_pid"
agent_pid=""
start_agent "$tmp/pinned.yaml" "$tmp/pinned2.log"
"$WL" getppid 1000 "$WL_COMM" || no "workload getppid (pinned, restarted)"
wait_until 10 '[ "$(get $O.3.10.1.3.$idx)" = 2000 ]'
expect "pinned: the restarted subagent reads on from 1000 to 2000 (got $(get $O.3.10.1.3.$idx))" \
	'[ "$(get $O.3.10.1.3.$idx)" = 2000 ]'
loaded=$(get $O.1.3.0)
expect "pinned: ebsAgentProgramsLoaded.0 is 0 (loaded before this subagent started), got $loaded" \
	'[ "$loaded" = 0 ]'
finish
