#!/bin/bash
# Bad SNMP input against the subagent: GETBULK with huge
# max-repetitions and non-repeaters (also hand-built PDUs with values the
# net-snmp tools refuse to send: 2^31-1, negative), GETNEXT past the end of
# the subtree and from random OIDs (the answer must always lie after the
# request), v1 and v2c side by side, SET (read-only MIB), a wrong
# community, parallel managers.  Every answer must be correct and the
# subagent must still be the same process serving the same data at the end.
# Needs root and snmpd: exit 77 otherwise.
# conditions are single-quoted for expect/wait_until's eval (SC2016), and
# variables read only there look unused (SC2034)
# shellcheck disable=SC2016,SC2034
set -u
# shellcheck source=tests/lib_faults.sh
. "${top_srcdir:-.}/tests/lib_faults.sh"
need_root
need_snmp
command -v python3 >/dev/null 2>&1 || skip "python3 missing (hand-built PDUs)"

SNMPD_EXTRA="rwcommunity private 127.0.0.1"
start_master
# process rows come and go with the host's processes between a walk and the
# GETNEXTs judged against it: this test judges the agent, not the host, so
# the process table stays empty (memory is off by default too)
agent_conf "$rel_tmp/agent.yaml"
echo "    collect_process_cpu: false" >>"$rel_tmp/agent.yaml"
start_agent "$rel_tmp/agent.yaml" "$rel_tmp/agent.log"
expect "subagent serves" 'isnum "$(get $O.3.1.0)"' || finish
agent0=$agent_pid
V1="-v1 -c public -r1 -t2 127.0.0.1:$port"
V2="-v2c -c public -r1 -t2 127.0.0.1:$port"

# oid_lt A B: A sorts before B (numeric, sub-identifier by sub-identifier)
oid_lt() {
	awk -v a="$1" -v b="$2" 'BEGIN { na = split(a, x, "."); nb = split(b, y, ".");
		for (i = 2; i <= na && i <= nb; i++) if (x[i] != y[i]) exit !(x[i] + 0 < y[i] + 0);
		exit !(na < nb) }'
}
under() { case "$1" in "$2" | "$2".*) return 0 ;; *) return 1 ;; esac; }

snmpwalk $V2 -On $ROOT >"$rel_tmp/walk.out" 2>&1
nwalk=$(grep -c "^\." "$rel_tmp/walk.out")
last=$(grep "^\." "$rel_tmp/walk.out" | tail -n 1 | cut -d' ' -f1)
expect "reference walk of the subtree ($nwalk objects, last $last)" '[ "$nwalk" -ge 200 ]'

# ---- GETBULK ------------------------------------------------------------------
# like_walk FILE [whole]: FILE's OIDs are a walk's first ones (whole: all of
# it), in order, between a walk made before and one made after: rows only
# appear (a process calling a system call for the first time, a new TCP
# peer), so every OID of the walk before (up to FILE's last) is in FILE and
# every OID of FILE is in the walk after.  Prints what differs otherwise.
like_walk() {
	snmpwalk $V2 -On $ROOT >"$rel_tmp/walk2.out" 2>&1
	python3 - "$rel_tmp/walk.out" "$1" "$rel_tmp/walk2.out" "${2:-first}" <<'EOF'
import sys
def oids(f):
    return [tuple(int(x) for x in l.split()[0].strip('.').split('.'))
            for l in open(f) if l.startswith('.')]
before, got, after = (oids(f) for f in sys.argv[1:4])
if not got:
    sys.exit('no OIDs in the answer')
bad = [i for i in range(1, len(got)) if got[i] <= got[i - 1]]
if bad:
    sys.exit('out of order at varbind %d' % bad[0])
end = None if sys.argv[4] == 'whole' else got[-1]
keep = lambda w: {o for o in w if end is None or o <= end}
missing = keep(before) - set(got)
extra = set(got) - keep(after)
for what, s in (('missing (in the walk before)', missing), ('extra (not in the walk after)', extra)):
    if s:
        sys.exit('%d %s, first .%s' % (len(s), what, '.'.join(map(str, min(s)))))
EOF
	_ok=$?
	mv "$rel_tmp/walk2.out" "$rel_tmp/walk.out"
	return $_ok
}
for r in 65535 2147483647; do
	snmpbulkget $V2 -On -Cn0 -Cr$r $ROOT >"$rel_tmp/bulk.out" 2>&1
	rc=$?
	nb=$(grep -c "^\." "$rel_tmp/bulk.out")
	expect "GETBULK max-repetitions $r: an answer of $nb varbinds (snmpd caps it), rc $rc, same OIDs as a walk" \
		'[ $rc -eq 0 ] && [ "$nb" -ge 50 ] && like_walk "$rel_tmp/bulk.out"'
done
# many varbinds, every one repeated
oids=$(grep "^\." "$rel_tmp/walk.out" | awk 'NR % 7 == 1 { print $1 }' | head -n 40 | tr '\n' ' ')
# shellcheck disable=SC2086
snmpbulkget $V2 -On -Cn3 -Cr1000 $oids >"$rel_tmp/bulk2.out" 2>&1
expect "GETBULK with 40 varbinds, 3 non-repeaters, max-repetitions 1000 answers" \
	'[ $? -eq 0 ] && [ "$(grep -c "^\." "$rel_tmp/bulk2.out")" -ge 40 ]'
snmpbulkwalk $V2 -On -Cr2147483647 $ROOT >"$rel_tmp/bw.out" 2>&1
expect "snmpbulkwalk -Cr2147483647 returns the walk ($(grep -c "^\." "$rel_tmp/bw.out") objects)" \
	'like_walk "$rel_tmp/bw.out" whole'

# Hand-built PDUs: values the tools will not send.  Prints
# "error-status varbinds first-oid", or "timeout".
cat >"$rel_tmp/pdu.py" <<'EOF'
import socket, sys
def ln(n):
    if n < 128: return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, 'big'); return bytes([0x80 | len(b)]) + b
def tlv(t, v): return bytes([t]) + ln(len(v)) + v
def integer(i): return tlv(2, i.to_bytes(max(1, (i.bit_length() + 8) // 8), 'big', signed=True))
def oid(s):
    p = [int(x) for x in s.strip('.').split('.')]; out = bytes([40 * p[0] + p[1]])
    for x in p[2:]:
        e = [x & 0x7f]; x >>= 7
        while x: e.insert(0, 0x80 | (x & 0x7f)); x >>= 7
        out += bytes(e)
    return tlv(6, out)
def parse(b, i):
    t = b[i]; n = b[i + 1]; i += 2
    if n & 0x80:
        k = n & 0x7f; n = int.from_bytes(b[i:i + k], 'big'); i += k
    return t, b[i:i + n], i + n
def dec_oid(v):
    p = [v[0] // 40, v[0] % 40]; x = 0
    for c in v[1:]:
        x = (x << 7) | (c & 0x7f)
        if not c & 0x80: p.append(x); x = 0
    return '.' + '.'.join(map(str, p))
port, kind, a, b = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
oids = sys.argv[5:]
vbs = b''.join(tlv(0x30, oid(o) + b'\x05\x00') for o in oids)
pdu = tlv({'get': 0xa0, 'next': 0xa1, 'bulk': 0xa5}[kind],
          integer(4242) + integer(a) + integer(b) + tlv(0x30, vbs))
msg = tlv(0x30, integer(1) + tlv(4, b'public') + pdu)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(3)
s.sendto(msg, ('127.0.0.1', port))
try: r = s.recv(65535)
except socket.timeout: print('timeout'); sys.exit(0)
_, body, _ = parse(r, 0); i = 0
for _ in range(2): _, _, i = parse(body, i)
_, p, _ = parse(body, i); j = 0
_, _, j = parse(p, j); _, es, j = parse(p, j); _, _, j = parse(p, j); _, vl, _ = parse(p, j)
n = 0; k = 0; first = '-'
while k < len(vl):
    _, vb, k = parse(vl, k); _, o, _ = parse(vb, 0)
    if n == 0: first = dec_oid(o)
    n += 1
print(int.from_bytes(es, 'big'), n, first)
EOF
pdu() { python3 "$rel_tmp/pdu.py" "$port" "$@" 2>&1; }
# pdu_check NAME WANT_N KIND A B OID...: noError with WANT_N varbinds
# (or at least 50 when WANT_N is "many"); the first one's OID in pdu_first
pdu_check() {
	local name=$1 want=$2 es n
	shift 2
	# shellcheck disable=SC2046 # pdu prints three words: error-status, count, first OID
	set -- $(pdu "$@")
	es=${1:-} n=${2:-} pdu_first=${3:-}
	if [ "$es" = 0 ] && { [ "$n" = "$want" ] || { [ "$want" = many ] && [ "$n" -ge 50 ]; }; }; then
		ok "$name (noError, $n varbinds)"
	else
		no "$name (got: $*)"
		return 1
	fi
}
first=$(grep "^\." "$rel_tmp/walk.out" | head -n 1 | cut -d' ' -f1)
pdu_check "hand-built GETBULK max-repetitions 2^31-1" many bulk 0 2147483647 $ROOT &&
	expect "  ... starting at the subtree's first object $first" '[ "$pdu_first" = "$first" ]'
pdu_check "hand-built GETBULK non-repeaters 2^31-1 (more than the varbinds): one answer each" \
	2 bulk 2147483647 2147483647 $ROOT $O.3.1.0
# RFC 3416 4.2.3: negative values count as 0, so N + M * R = 0 varbinds
pdu_check "hand-built GETBULK with negative non-repeaters and max-repetitions (RFC 3416: read as 0)" \
	0 bulk -1 -5 $ROOT $O.3.1.0
pdu_check "hand-built GETBULK non-repeaters -1, max-repetitions 3, two varbinds: 3 x 2" \
	6 bulk -1 3 $ROOT $O.3.1.0
long=$O.3.10.1.3$(printf '.4294967295%.0s' $(seq 1 100))
pdu_check "hand-built GETNEXT of a 111-sub-identifier OID inside the syscall table" 1 next 0 0 "$long" &&
	expect "  ... answers with an OID after it ($pdu_first)" 'oid_lt "$long" "$pdu_first"'
pdu_check "hand-built GET of it: noSuchInstance/Object, not a timeout" 1 get 0 0 "$long"

# ---- GETNEXT past the end and from random places -----------------------------
out=$(snmpgetnext $V2 -On "$last" 2>&1)
nxt=${out%% *}
# (or lands on a histogram bucket whose first sample came since the walk:
# those rows only ever appear)
expect "v2c GETNEXT of the last object ($last) leaves the subtree: $out" \
	'{ ! under "$nxt" "$ROOT" || under "$nxt" "$O.6.1"; } &&
	 { oid_lt "$last" "$nxt" || echo "$out" | grep -q "No more variables"; }'
out=$(snmpgetnext $V1 -On "$last" 2>&1)
nxt=${out%% *}
expect "v1 GETNEXT of the last object leaves the subtree or ends the MIB: $out" \
	'echo "$out" | grep -q "noSuchName\|End of MIB" ||
	 { { ! under "$nxt" "$ROOT" || under "$nxt" "$O.6.1"; } && oid_lt "$last" "$nxt"; }'
for tail in .6.1.5.5.32 .6.1.5.5.4294967295 .6.1.99 .7 .99 .4.21.1.2.65536 .3.10.1.3.4294967295 .2.1.6.4; do
	o=$O$tail
	[ "$tail" = .99 ] && o=$ROOT.99
	out=$(snmpgetnext $V2 -On "$o" 2>&1)
	nxt=${out%% *}
	expect "GETNEXT $o -> ${out:0:80}" \
		'echo "$out" | grep -q "No more variables" || oid_lt "$o" "$nxt"'
done
# 500 GETNEXTs from random OIDs in and around the subtree: each answer is
# the first object of the reference walk after its request (the agent skips
# nothing and invents nothing), or a row added since in a table whose rows
# come and go, or it leaves the subtree when the walk has nothing after it
for i in $(seq 1 300); do
	o=$ROOT.$((RANDOM % 3)).$((RANDOM % 8)).$((RANDOM % 25)).$((RANDOM % 12)).$((RANDOM * RANDOM))
	echo "$o"
done >"$rel_tmp/rand.oids"
grep "^\." "$rel_tmp/walk.out" | cut -d' ' -f1 >"$rel_tmp/walk.oids"
# and from inside the tables: objects of the walk, and the same with the
# last sub-identifier cut off (a partial index)
# (one writer at a time: tee and sed appending together could split a line
# where one's buffer ends mid-line)
shuf -n 100 --random-source=<(yes) "$rel_tmp/walk.oids" >"$rel_tmp/picked.oids"
cat "$rel_tmp/picked.oids" >>"$rel_tmp/rand.oids"
sed 's/\.[0-9]*$//' "$rel_tmp/picked.oids" >>"$rel_tmp/rand.oids"
# the first walk OID after each request (binary search: the walk is sorted)
awk 'function lt(a, b,   x, y, na, nb, i) { na = split(a, x, "."); nb = split(b, y, ".");
		for (i = 2; i <= na && i <= nb; i++) if (x[i] != y[i]) return x[i] + 0 < y[i] + 0;
		return na < nb }
	NR == FNR { w[++n] = $1; next }
	{ lo = 1; hi = n + 1
	  while (lo < hi) { m = int((lo + hi) / 2); if (lt($1, w[m])) hi = m; else lo = m + 1 }
	  print $1, (lo <= n ? w[lo] : "end") }' "$rel_tmp/walk.oids" "$rel_tmp/rand.oids" >"$rel_tmp/rand.want"
# judge_getnexts FILE: asks the GETNEXT of each "request want" line, sets
# exact (answers that are the walk's next object, or a histogram bucket's
# row that appeared since it and is there in a walk after the GETNEXTs:
# those rows only ever appear) and bad (the wrong ones)
gone() { # gone OID: a row of a table whose rows come and go, not there now
	# (histogram buckets too: the row-by-row subagent has programs, and so
	# buckets, of its own)
	case "$1" in "$O".3.10.* | "$O".4.21.* | "$O".4.22.* | "$O".6.1.*) ;; *) return 1 ;; esac
	snmpget $V2 -On "$1" 2>&1 | grep -q "No Such Instance"
}
judge_getnexts() {
	bad=""
	exact=0
	: >"$rel_tmp/new.oids"
	# shellcheck disable=SC2086
	while read -r a want; do
		out=$(snmpgetnext -v2c -c public -r1 -t2 127.0.0.1:"$port" -On "$a" 2>&1)
		n=${out%% *}
		if [ "$n" = "$want" ]; then
			exact=$((exact + 1))
		elif ! oid_lt "$a" "$n" && ! echo "$out" | grep -q "No more variables"; then
			bad="$bad $a->$n"
		elif [ "$want" = end ]; then
			if ! under "$n" "$ROOT"; then
				exact=$((exact + 1))
			elif under "$n" "$O.6.1"; then
				echo "$n" >>"$rel_tmp/new.oids"
			else bad="$bad $a->$n(want:end)"; fi
		else
			# a row added since the reference walk, before the expected
			# answer, or the expected row gone (another subagent's own
			# programs have not seen the workload's peers)
			case "$n" in
			"$O".3.10.* | "$O".4.21.* | "$O".4.22.*) oid_lt "$n" "$want" || gone "$want" ||
				bad="$bad $a->$n(want:$want)" ;;
			"$O".6.1.*) if oid_lt "$n" "$want"; then echo "$n" >>"$rel_tmp/new.oids"
				else gone "$want" || bad="$bad $a->$n(want:$want)"; fi ;;
			*) gone "$want" || bad="$bad $a->$n(want:$want)" ;;
			esac
		fi
	done <"$1"
	snmpwalk $V2 -On $O.6.1 2>/dev/null | cut -d' ' -f1 >"$rel_tmp/hist.after"
	while read -r n; do
		if grep -qxF "$n" "$rel_tmp/hist.after"; then exact=$((exact + 1)); else bad="$bad $n(no such row)"; fi
	done <"$rel_tmp/new.oids"
}
judge_getnexts "$rel_tmp/rand.want"
expect "500 GETNEXTs from random places: each answer is the walk's next object ($exact exactly)${bad:+:$bad}" \
	'[ -z "$bad" ] && [ "$exact" -ge 450 ]'

# ---- v1 and v2c side by side --------------------------------------------------
# the module, CPU and histogram tables: rows that do not go (a histogram
# bucket's row may come with its first sample: the v1 walk must hold the
# v2c walk before it and sit inside the one after it)
for sub in 2 5.20 6; do
	snmpwalk $V2 -On $O.$sub 2>&1 | grep -v Counter64 | cut -d' ' -f1 >"$rel_tmp/v2.$sub"
	snmpwalk $V1 -On $O.$sub >"$rel_tmp/v1.$sub" 2>&1
	snmpwalk $V2 -On $O.$sub 2>&1 | grep -v Counter64 | cut -d' ' -f1 >"$rel_tmp/v2b.$sub"
	cut -d" " -f1 "$rel_tmp/v1.$sub" >"$rel_tmp/v1o.$sub"
	expect "v1 walk of $O.$sub: exactly the v2c walk's non-Counter64 objects ($(wc -l <"$rel_tmp/v2.$sub"))" \
		'! grep -q Counter64 "$rel_tmp/v1.$sub" && [ -s "$rel_tmp/v2.$sub" ] &&
		 [ -z "$(grep -vxFf "$rel_tmp/v1o.$sub" "$rel_tmp/v2.$sub")" ] &&
		 [ "$(grep -xFf "$rel_tmp/v1o.$sub" "$rel_tmp/v2b.$sub")" = "$(cat "$rel_tmp/v1o.$sub")" ]'
done
# a bucket that exists: the first row of the histogram table
hb=$(snmpgetnext $V2 -On $O.6.1.4 2>/dev/null | cut -d' ' -f1)
a=$(snmpget $V1 -On -Oqv $O.2.1.3.1 $O.2.1.2.1 $hb 2>&1 | tr '\n' ' ')
b=$(snmpget $V2 -On -Oqv $O.2.1.3.1 $O.2.1.2.1 $hb 2>&1 | tr '\n' ' ')
expect "v1 and v2c GET the same status, name and bucket bound ($a)" '[ "$a" = "$b" ]'
out=$(snmpget $V1 -On $O.3.1.0 $O.2.1.3.1 2>&1)
expect "v1 GET of a Counter64 beside an Integer: the whole PDU fails noSuchName (v1 rules)" \
	'echo "$out" | grep -q noSuchName'

# ---- SET on a read-only MIB ---------------------------------------------------
out=$(snmpset -v2c -c private -r1 -t2 127.0.0.1:"$port" $O.2.1.3.1 i 3 2>&1 | tr '\n' ' ')
expect "v2c SET of ebsModuleStatus.1: refused as not writable (${out:0:70})" \
	'echo "$out" | grep -qi "notWritable\|noAccess\|noCreation"'
out=$(snmpset -v1 -c private -r1 -t2 127.0.0.1:"$port" $O.1.1.0 s x 2>&1 | tr '\n' ' ')
expect "v1 SET of ebsAgentVersion.0: refused (${out:0:70})" \
	'echo "$out" | grep -qi "noSuchName\|readOnly\|notWritable"'
expect "status unchanged after the SETs" '[ "$(get $O.2.1.3.1)" = 1 ]'

# ---- wrong community ----------------------------------------------------------
bad0=$(get .1.3.6.1.2.1.11.4.0)
out1=$(snmpget -v2c -c wrong -r0 -t1 127.0.0.1:"$port" $O.1.1.0 2>&1)
out2=$(snmpget -v1 -c wrong -r0 -t1 127.0.0.1:"$port" $O.1.1.0 2>&1)
out3=$(snmpbulkget -v2c -c wrong -r0 -t1 -Cr2147483647 127.0.0.1:"$port" $ROOT 2>&1)
bad1=$(get .1.3.6.1.2.1.11.4.0)
expect "wrong community (v2c GET, v1 GET, v2c GETBULK): no answer at all" \
	'[ "$(printf "%s\\n" "$out1" "$out2" "$out3" | grep -c "^Timeout")" = 3 ]'
expect "snmpInBadCommunityNames counted the three ($bad0 -> $bad1)" '[ $((bad1 - bad0)) -ge 3 ]'

# ---- parallel managers ----------------------------------------------------------
pids=""
for i in 1 2 3 4 5 6; do
	snmpbulkwalk $V2 -On -Cr$((i * 40)) $O.2 >"$rel_tmp/par.$i" 2>&1 &
	pids="$pids $!"
done
snmpwalk $V1 -On $O.2 >"$rel_tmp/par.v1" 2>&1 &
pids="$pids $!"
for p in $pids; do wait "$p"; done
same=yes
for i in 2 3 4 5 6; do
	[ "$(cut -d' ' -f1 "$rel_tmp/par.1")" = "$(cut -d' ' -f1 "$rel_tmp/par.$i")" ] || same=no
done
expect "6 parallel bulk walks (+1 v1 walk) of the module table return the same OIDs" \
	'[ "$same" = yes ] && [ "$(grep -c "^\." "$rel_tmp/par.1")" -ge 20 ] && [ -s "$rel_tmp/par.v1" ]'

# ---- still the same agent, still serving --------------------------------------
expect "the subagent is the same process ($agent0) and serves" \
	'[ "$agent_pid" = "$agent0" ] && kill -0 "$agent0" && [ "$(get $O.2.1.2.1)" = syscalls ]'
snmpwalk $V2 -On $ROOT 2>&1 | cut -d' ' -f1 >"$rel_tmp/walk2.oids"
n2=$(grep -c "^\." "$rel_tmp/walk2.oids")
expect "a final walk still returns the subtree ($n2 objects)" '[ "$n2" -ge $((nwalk - 10)) ]'
expect "no error in the subagent's log" '! grep -qi "error\|failed\|warning" "$rel_tmp/agent.log"'
stop_pid "$agent_pid" TERM

# ---- the row-by-row search --------------------------------------------------------
# Tables whose rows come out of index order are searched row by row instead
# of by bisection.  The core never hands such rows over, so the path is
# forced (EBPFSTATS_TEST_ROW_SEARCH=1) and must give the same answers: 200
# of the GETNEXTs above, judged alike, and the walk.
start_agent "$rel_tmp/agent.yaml" "$rel_tmp/agent-rows.log" env EBPFSTATS_TEST_ROW_SEARCH=1
head -n 200 "$rel_tmp/rand.want" >"$rel_tmp/rand200.want"
judge_getnexts "$rel_tmp/rand200.want"
expect "row by row: 200 GETNEXTs each answer the walk's next object ($exact exactly)${bad:+:$bad}" \
	'[ -z "$bad" ] && [ "$exact" -ge 180 ]'
snmpwalk $V2 -On $ROOT 2>&1 | cut -d' ' -f1 >"$rel_tmp/walk3.oids"
n3=$(grep -c "^\." "$rel_tmp/walk3.oids")
# the module and CPU tables, whose rows do not come and go (a new
# subagent, with programs of its own, has seen fewer syscalls and fewer
# latencies: fewer rows in the syscall and histogram tables)
stable() { grep -E "^$O\.(2|5\.20)\." "$1"; }
expect "row by row: the walk ends without an error ($n3 objects), with the same module and CPU rows as by bisection ($(stable "$rel_tmp/walk3.oids" | wc -l)) and histogram rows" \
	'! grep -qv "^\." "$rel_tmp/walk3.oids" && [ "$(stable "$rel_tmp/walk3.oids")" = "$(stable "$rel_tmp/walk2.oids")" ] &&
	 [ "$(stable "$rel_tmp/walk3.oids" | wc -l)" -ge 20 ] && grep -q "^$O\.6\.1\.5\." "$rel_tmp/walk3.oids"'
stop_pid "$agent_pid" TERM
finish
