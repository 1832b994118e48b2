# Shared by bench/run (the full benchmark), bench/quick (the CI guard) and
# bench/report; sourced, not run.  Before sourcing: BENCH_NAME (for
# messages) and BUILD (a configured build directory, default the source
# tree).  Gives the cases and scenarios (run_scenario), the checks that
# nothing foreign is on a measured hook (preflight) and nothing of ours
# stays behind (cleanup, check_gone), and summarize.
# sourced: the variables it sets are for the scripts that source it (SC2034)
# shellcheck shell=bash disable=SC2034
set -u -o pipefail
export LC_ALL=C

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$(cd "${BUILD:-$SRC}" 2>/dev/null && pwd) || { echo "$BENCH_NAME: no build directory '${BUILD:-}'" >&2; exit 2; }
# the source revision measured, read at the start (the tree may change
# while the benchmark runs)
REVISION="$(git -C "$SRC" rev-parse --short HEAD 2>/dev/null || echo ?)$(git -C "$SRC" diff --quiet HEAD 2>/dev/null || echo ", uncommitted changes")"
REPS=${BENCH_REPS:-5}
SCALE=${BENCH_SCALE:-1}
SKIP=" ${BENCH_SKIP:-} "
EBSB=$BUILD/bench/ebs-bench
WL=$BUILD/bench/bench-work
FLOOR=$BUILD/bench/floor.bpf.o

# The hooks of each module, for the empty floor programs on the same hooks.
SYS_HOOKS=sys_enter,sys_exit
SCHED_HOOKS=sched_switch,sched_wakeup,sched_wakeup_new,sched_migrate_task,sched_process_fork,sched_process_exec,sched_process_exit
# tcp_probe only with tcp_rtt_per_segment (off by default)
TCP_HOOKS=inet_sock_set_state,tcp_retransmit_skb,tcp_send_reset,tcp_receive_reset
TCP_SEG_HOOKS=$TCP_HOOKS,tcp_probe
DEFAULT_HOOKS=$SYS_HOOKS,$SCHED_HOOKS,$TCP_HOOKS
# the same with a clock read in sys_enter and in sys_exit (bench/floor.bpf.c)
CLOCK_DEFAULT_HOOKS=clock_sys_enter,clock_sys_exit,$SCHED_HOOKS,$TCP_HOOKS
MEM_HOOKS=page_fault_user,page_fault_kernel,mark_victim,sched_process_exit
PAGE_HOOKS=mm_page_alloc,mm_page_free

# The workload of each scenario (bench-work ITERS CHUNKS), scaled.
work_of() {
	case $1 in
	syscalls) echo "getppid $(scaled 50000) 40" ;;
	sched) echo "pingpong $(scaled 5000) 40" ;;
	tcp) echo "tcp $(scaled 500) 40" ;;
	rr) echo "rr $(scaled 2000) 40" ;;
	stream) echo "stream $(scaled 300) 40" ;;
	pagealloc) echo "pagealloc $(scaled 20000) 40" ;;
	esac
}

die() { echo "$BENCH_NAME: $*" >&2; exit 1; }
note() { echo "$BENCH_NAME: $*" >&2; }
have() { command -v "$1" >/dev/null 2>&1; }
skipped() {
	[[ $SKIP == *" $1 "* ]] && return 0
	note "$1 ($(($(date +%s) - T_START)) s in)"
	return 1
}
scaled() { awk -v n="$1" -v s="$SCALE" 'BEGIN { v = int(n * s); print v < 1 ? 1 : v }'; }

# prepare "TOOL:PACKAGE ...": root, the tools (installed when missing,
# unless BENCH_NO_INSTALL=1), the bench programs built, tracefs and bpffs,
# a temporary directory, the CPUs.
prepare() {
	local want pair
	[ "$(id -u)" -eq 0 ] || die "needs root (it loads BPF programs): sudo $BENCH_NAME"
	# a tool still missing is reported in the results (a peer) or fatal
	# (below), not here
	if [ "${BENCH_NO_INSTALL:-0}" != 1 ] && command -v apt-get >/dev/null 2>&1; then
		want=""
		for pair in "$@"; do
			command -v "${pair%%:*}" >/dev/null 2>&1 || want="$want ${pair#*:}"
		done
		want=$(echo "$want" | tr ' ' '\n' | sort -u | tr '\n' ' ')
		if [ -n "${want// /}" ]; then
			note "installing$want"
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $want >&2 ||
				{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
					--no-install-recommends $want >&2; } || note "could not install$want"
		fi
	fi
	for t in bpftool taskset awk jq; do
		command -v "$t" >/dev/null || die "$t is missing"
	done
	[ -f "$BUILD/Makefile" ] || die "$BUILD is not a configured build (run configure there first)"
	make -s -C "$BUILD" bench-build >&2 || die "make bench-build in $BUILD failed"
	{ [ -x "$EBSB" ] && [ -x "$WL" ] && [ -f "$FLOOR" ]; } || die "bench programs missing in $BUILD/bench"
	# the MIB's root, as snmp/oids.h defines it
	MIB_ROOT=$("$BUILD/ebpfstats" catalog --oid-root) || die "no $BUILD/ebpfstats: build first (make)"
	sh "$SRC/scripts/mounts" >/dev/null 2>&1 || true
	TMP=$(mktemp -d /tmp/ebs-bench.XXXXXX)
	RAW=$TMP/raw.tsv
	WARN=$TMP/warnings
	: >"$RAW"
	: >"$WARN"
	T_START=$(date +%s)

	# CPUs: workload on the last, tracers' user space on the first.
	NCPU=$(nproc)
	WCPU=$((NCPU - 1))
	TCPU=0
	wl() { taskset -c "$WCPU" "$WL" "$@"; }
}

# ---- cleanup: nothing of ours may stay behind ------------------------------
TMP="" TR_PID="" PEER_PID="" FILL_PIDS="" SNMPD_PID="" AGENT_PID="" FLOOR_PID="" COLLECTD_PID=""
# The private snmpd master, started as the tests start theirs: snmpd_find,
# snmpd_env, snmpd_start (which uses stop_pid below).
SNMP_TIMEOUT=5
bench_track_snmpd() { SNMPD_PID=$1; }
SNMPD_TRACK=bench_track_snmpd
# shellcheck source=tests/lib_snmpd.sh
. "$SRC/tests/lib_snmpd.sh"
stop_pid() { # stop_pid PID [SIGNAL]: the signal, then KILL after 5 s
	local pid=$1 sig=${2:-TERM}
	[ -n "$pid" ] || return 0
	kill -"$sig" "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
	for _ in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}
cleanup() {
	local p
	[ -n "$TR_PID" ] && stop_pid "$TR_PID"
	[ -n "$PEER_PID" ] && stop_pid "$PEER_PID" INT
	for p in $FILL_PIDS; do stop_pid "$p"; done
	[ -n "$AGENT_PID" ] && stop_pid "$AGENT_PID"
	[ -n "$FLOOR_PID" ] && stop_pid "$FLOOR_PID"
	[ -n "$SNMPD_PID" ] && stop_pid "$SNMPD_PID"
	[ -n "$COLLECTD_PID" ] && stop_pid "$COLLECTD_PID"
	[ -z "$TMP" ] || rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# ---- BPF bookkeeping ---------------------------------------------------------
prog_ids() { bpftool -j prog show 2>/dev/null | jq -r '.[].id' | sort -n; }
link_ids() { bpftool -j link show 2>/dev/null | jq -r '.[].id' | sort -n; }
# Tracepoints that any case attaches to: a foreign program there is in
# every number, base included.
HOOKS='sys_enter|sys_exit|sched_switch|sched_wakeup|sched_wakeup_new|sched_migrate_task|sched_process_fork|sched_process_exec|sched_process_exit|inet_sock_set_state|tcp_retransmit_skb|tcp_send_reset|tcp_receive_reset|tcp_probe|page_fault_user|page_fault_kernel|mark_victim|mm_page_alloc|mm_page_free'
foreign_on_hooks() {
	bpftool link show 2>/dev/null | grep -E "tp '($HOOKS)'" | sed "s/^[[:space:]]*tp '\(.*\)'.*/\1/" |
		sort | uniq -c | awk '{printf "%s%s x%d", sep, $2, $1; sep = ", "}'
	# classic tracepoints attached through perf events (bpftrace) have no
	# link: any tracing program held by a process other than us counts too
}
stats_holders() {
	local f
	for f in /proc/[0-9]*/fd/*; do
		[ "$(readlink "$f" 2>/dev/null)" = "anon_inode:bpf-stats" ] && echo "${f#/proc/}" | cut -d/ -f1
	done 2>/dev/null | sort -u | tr '\n' ' '
}
# Number of attachment fds (BPF links, perf events) a process holds.
attach_fds() {
	local f n=0
	for f in /proc/"$1"/fd/*; do
		case "$(readlink "$f" 2>/dev/null)" in
		anon_inode:bpf_link | "anon_inode:[perf_event]") n=$((n + 1)) ;;
		esac
	done
	echo "$n"
}
# Waits until a peer's attachment fds stop changing (libbpf-tools attach
# in well under a second; bpftrace compiles first).
wait_attached() { # wait_attached PID
	local prev=-1 same=0 n
	for _ in $(seq 300); do
		kill -0 "$1" 2>/dev/null || return 1
		n=$(attach_fds "$1")
		if [ "$n" -gt 0 ] && [ "$n" = "$prev" ]; then
			same=$((same + 1))
			[ "$same" -ge 3 ] && { sleep 0.3; return 0; }
		else
			same=0
		fi
		prev=$n
		sleep 0.2
	done
	return 1
}
# The programs a process holds (its prog and link fds name them).
own_progs() { # own_progs PID
	grep -h '^prog_id:' /proc/"$1"/fdinfo/* 2>/dev/null | awk '{print $2}' | sort -un | tr '\n' ' '
}
# After a case: every program it held is gone (freed a little after the
# last fd closes).
check_gone() { # check_gone CASE "IDS"
	local left id
	[ -n "$2" ] || return 0
	for _ in $(seq 50); do
		left=""
		for id in $2; do
			bpftool prog show id "$id" >/dev/null 2>&1 && left="$left $id"
		done
		[ -z "$left" ] && return 0
		sleep 0.1
	done
	echo "- programs of $1 still loaded after it stopped: ids$left" >>"$WARN"
}
# Something not ours that changes every number: a program on a measured
# hook, or BPF run-time stats held on by another process.
foreign_now() { # foreign_now [OUR_PID]: prints what, if anything
	local f h p
	f=$(foreign_on_hooks)
	h=""
	for p in $(stats_holders); do
		[ "$p" = "${1:-}" ] || h="$h $p"
	done
	[ -n "$f" ] && printf 'programs on hooks: %s; ' "$f"
	[ -n "$h" ] && printf 'BPF stats held by pids%s' "$h"
	return 0
}

# ---- cases -----------------------------------------------------------------
# A case is KIND:ARGS.  ebs: ebs-bench open ARGS; floor: ebs-bench floor with
# hooks ARGS (a trailing +s turns BPF stats on); obj: PATH:PROGS[+s], any
# object's programs by name (A/B tests of a variant); peer: a command line;
# base: nothing.
TR_IN="" TR_OUT=""
tracer_start() { # tracer_start ARGS...: ebs-bench, up and attached
	local line
	coproc TRACER { exec taskset -c "$TCPU" "$EBSB" "$@" 2>>"$TMP/tracer.err"; }
	TR_PID=$TRACER_PID
	exec {TR_OUT}<&"${TRACER[0]}" {TR_IN}>&"${TRACER[1]}"
	if ! read -r -t 60 -u "$TR_OUT" line || [[ $line != ready* ]] || [[ $line == *FAILED* ]]; then
		note "ebs-bench $* did not start: ${line:-no answer}; $(tail -n 3 "$TMP/tracer.err")"
		tracer_stop
		return 1
	fi
}
tracer_cmd() { # tracer_cmd CMD: prints the reply (through "stats end" for stats)
	local line
	echo "$1" 1>&"$TR_IN"
	while read -r -t 120 -u "$TR_OUT" line; do
		echo "$line"
		[[ $line == "stats end" || $line == snap* || $line == walk* || $line == error* ]] && return 0
	done
	return 1
}
tracer_stop() {
	[ -n "$TR_PID" ] || return 0
	echo quit 1>&"$TR_IN" 2>/dev/null
	exec {TR_IN}>&- {TR_OUT}<&-
	stop_pid "$TR_PID"
	TR_PID=""
}
CASE_PROGS="" CASE_PID=""
case_start() { # case_start CASE_SPEC
	local kind=${1%%:*} args=${1#*:} b=""
	CASE_PROGS="" CASE_PID=""
	case $kind in
	base) return 0 ;;
	ebs) # shellcheck disable=SC2086
		tracer_start open $args || return 1 ;;
	floor)
		[[ $args == *+s ]] && { b=-b; args=${args%+s}; }
		tracer_start floor "$FLOOR" "$args" $b || return 1 ;;
	obj) # PATH:PROGS[+s]
		[[ $args == *+s ]] && { b=-b; args=${args%+s}; }
		tracer_start obj "${args%%:*}" "${args#*:}" $b || return 1 ;;
	peer)
		# shellcheck disable=SC2086
		taskset -c "$TCPU" $args >/dev/null 2>>"$TMP/peer.err" &
		PEER_PID=$!
		if ! wait_attached "$PEER_PID"; then
			note "peer '$args' did not attach: $(tail -n 3 "$TMP/peer.err")"
			stop_pid "$PEER_PID" INT
			PEER_PID=""
			return 1
		fi
		CASE_PID=$PEER_PID
		CASE_PROGS=$(own_progs "$PEER_PID")
		return 0 ;;
	*) return 1 ;;
	esac
	CASE_PID=$TR_PID
	CASE_PROGS=$(own_progs "$TR_PID")
}
# Whether the case runs with the kernel's BPF run-time stats on (only then
# are its run_time_ns / run_cnt worth reporting).
stats_on() { # stats_on CASE_SPEC
	case $1 in
	ebs:*-S*) return 1 ;;
	ebs:*) return 0 ;;
	floor:*+s | obj:*+s) return 0 ;;
	*) return 1 ;;
	esac
}
# Stops the case; "run_time_ns run_cnt events" of its programs into $TMP/case.st.
case_stop() {
	local kind=${1%%:*}
	echo "0 0 0" >"$TMP/case.st"
	case $kind in
	ebs | floor | obj)
		tracer_cmd stats | awk -v on="$(stats_on "$1" && echo 1 || echo 0)" '
			$1 == "stats" && $2 != "end" {
				for (i = 3; i <= NF; i++) { split($i, kv, "="); v[kv[1]] += kv[2] }
			} END {
				if (!on) v["run_time_ns"] = v["run_cnt"] = 0
				printf "%d %d %d\n", v["run_time_ns"], v["run_cnt"], v["events"]
			}' >"$TMP/case.st"
		tracer_stop ;;
	peer)
		stop_pid "$PEER_PID" INT
		PEER_PID="" ;;
	esac
	check_gone "$1" "$CASE_PROGS"
}

ATTEMPTS=3 DIRTY_RUN=0
# disturbed BASE "BASES": BASE is over 8 % above the median of BASES (3 or more)
disturbed() {
	awk -v b="$1" -v s="$2" 'BEGIN { n = split(s, a, " "); if (n < 3) exit 1
		for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] + 0 > t + 0; j--) a[j + 1] = a[j]; a[j + 1] = t }
		m = n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
		exit !(b + 0 > 1.08 * m) }'
}
# run_scenario NAME "WORKLOAD ARGS" CASE_NAME=SPEC...
run_scenario() {
	local scen=$1 work=$2 c r i j n name spec base on st dirty flag attempt retry bases=""
	shift 2
	local -a names=() specs=()
	for c in "$@"; do names+=("${c%%=*}"); specs+=("${c#*=}"); done
	# operations in one timed run (bench-work warms up with ITERS/10 + 1)
	set -- $work
	printf '%s\t%s\n' "$scen" "$(($2 * $3 + $2 / 10 + 1))" >>"$TMP/ops.tsv"
	n=${#names[@]}
	for r in $(seq "$REPS"); do
		for j in $(seq 0 $((n - 1))); do
			# rotate the order each repetition, and reverse every other one
			i=$(((j + r) % n))
			[ $((r % 2)) -eq 0 ] && i=$((n - 1 - i))
			name=${names[$i]} spec=${specs[$i]}
			# a repetition that something foreign got into is run again
			# (up to 3 times), and left out of the medians if it stays so
			for attempt in $(seq "$ATTEMPTS"); do
				# shellcheck disable=SC2086
				base=$(wl $work | awk '{print $1}') || die "workload $work failed"
				# a base more than 8 % above this scenario's median so far
				# was slowed by something else: measured again (twice at
				# most) after a pause, so that the pair compares like with
				# like (the summary leaves out what stays so)
				for retry in 1 2; do
					disturbed "$base" "$bases" || break
					note "$scen rep $r $name: base $base ns/op disturbed, measured again"
					sleep 1
					# shellcheck disable=SC2086
					base=$(wl $work | awk '{print $1}') || die "workload $work failed"
				done
				bases="$bases $base"
				# nothing of ours is attached now: whatever is, is foreign
				dirty=$(foreign_now)
				if ! case_start "$spec"; then
					echo "- $scen/$name: did not start (rep $r)" >>"$WARN"
					continue 2
				fi
				# shellcheck disable=SC2086
				on=$(wl $work | awk '{print $1}') || die "workload $work failed under $name"
				[ -n "$dirty" ] || dirty=$(foreign_now "$CASE_PID" | sed 's/programs on hooks: [^;]*; //')
				case_stop "$spec"
				st=$(cat "$TMP/case.st")
				[ -z "$dirty" ] && break
				note "$scen rep $r $name: foreign $dirty (attempt $attempt)"
				[ "$attempt" -lt "$ATTEMPTS" ] && sleep 3
			done
			flag=0
			if [ -n "$dirty" ]; then
				flag=1
				echo "- $scen/$name rep $r left out ($attempt attempts): foreign $dirty" >>"$WARN"
				# something that stays: retrying only costs time
				DIRTY_RUN=$((DIRTY_RUN + 1))
				[ "$DIRTY_RUN" -ge 3 ] && ATTEMPTS=1
			else
				DIRTY_RUN=0
			fi
			printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$scen" "$name" "$r" "$base" "$on" "$st" "$flag" >>"$RAW"
			note "$scen rep $r/$REPS $name: base $base on $on ns/op (bpf: $st)"
		done
	done
}


# ---- preflight ---------------------------------------------------------------
# Waits (60 s) for foreign programs on measured hooks and for other holders
# of the kernel's BPF stats; dies unless BENCH_FORCE=1.
preflight() {
	foreign=$(foreign_on_hooks)
	if [ -n "$foreign" ] && [ "${BENCH_FORCE:-0}" != 1 ]; then
		note "foreign BPF programs are attached to hooks measured: $foreign; waiting up to 60 s"
		for _ in $(seq 60); do
			sleep 1
			foreign=$(foreign_on_hooks)
			[ -z "$foreign" ] && break
		done
	fi
	if [ -n "$foreign" ]; then
		msg="foreign BPF programs on measured hooks: $foreign (pinned ebpfstats programs: 'ebpfstats unload')"
		[ "${BENCH_FORCE:-0}" = 1 ] || die "$msg; BENCH_FORCE=1 runs anyway with every number including them"
		echo "- $msg; run with BENCH_FORCE=1, every number includes their cost" >>"$WARN"
	fi
	# Another process holding the kernel's BPF stats on makes every program
	# pay for them, ours and the peers' alike.
	holders=$(stats_holders)
	if [ -n "$holders" ] && [ "${BENCH_FORCE:-0}" != 1 ]; then
		note "pids $holders hold BPF run-time stats on; waiting up to 60 s"
		for _ in $(seq 60); do
			sleep 1
			holders=$(stats_holders)
			[ -z "$holders" ] && break
		done
	fi
	if [ -n "$holders" ]; then
		msg="BPF run-time stats held on by pids $holders ($(for p in $holders; do cat /proc/"$p"/comm 2>/dev/null; done | tr '\n' ' '))"
		[ "${BENCH_FORCE:-0}" = 1 ] || die "$msg; BENCH_FORCE=1 runs anyway"
		echo "- $msg during the run: every program, base and peers included, pays for them" >>"$WARN"
	fi
	[ "$(cat /proc/sys/kernel/bpf_stats_enabled 2>/dev/null)" = 1 ] &&
		echo "- kernel.bpf_stats_enabled=1: every program pays for run-time stats" >>"$WARN"

	BASE_LINKS=$(link_ids)
	LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
}

# summarize RAW SUM: per scenario and case, the medians of base, on, added
# and kernel ns per run, tab-separated: scenario, case, base, on, added,
# kernel ns/run, reps used, run_cnt.
summarize() {

# Repetitions flagged foreign (column 7) are left out while clean ones exist.
# So are disturbed ones, while at least 3 others remain: a repetition whose
# base came out more than 8 % above the median base of its scenario (every
# case's) ran while something else slowed the host (on this 2-CPU VM a TCP
# base sometimes reads 75 us instead of 52), and its traced run, measured
# right after, is no more comparable to it than to any other.  The reps
# column says how many were used.
awk -F'\t' '
function median(s, n,   a, i, j, t) {
	n = split(s, a, " ")
	if (n == 0) return 0
	for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] + 0 > t + 0; j--) a[j + 1] = a[j]; a[j + 1] = t }
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
FNR == NR { allb[$1] = allb[$1] " " $4; next }
FNR == 1 { for (sc in allb) mb[sc] = median(allb[sc]) }
{
	k = $1 SUBSEP $2
	if (!(k in seen)) { seen[k] = 1; order[++n] = k }
	g = ($7 == 1) ? "dirty" : ($4 > 1.08 * mb[$1] ? "disturbed" : "clean")
	kk = k SUBSEP g
	b[kk] = b[kk] " " $4; o[kk] = o[kk] " " $5; d[kk] = d[kk] " " ($5 - $4)
	split($6, st, " ")
	if (st[2] > 0) { r[kk] = r[kk] " " st[1] / st[2]; c[kk] = c[kk] " " st[2] }
	reps[kk]++
	if (g != "dirty") {
		ka = k SUBSEP "clean+disturbed"
		b[ka] = b[ka] " " $4; o[ka] = o[ka] " " $5; d[ka] = d[ka] " " ($5 - $4)
		if (st[2] > 0) { r[ka] = r[ka] " " st[1] / st[2]; c[ka] = c[ka] " " st[2] }
		reps[ka]++
	}
}
END {
	for (i = 1; i <= n; i++) {
		k = order[i]; split(k, p, SUBSEP)
		if (reps[k SUBSEP "clean"] >= 3) kk = k SUBSEP "clean"
		else if ((k SUBSEP "clean+disturbed") in reps) kk = k SUBSEP "clean+disturbed"
		else kk = k SUBSEP "dirty"
		used = reps[kk] ((kk ~ /dirty$/) ? " (foreign!)" : "")
		printf "%s\t%s\t%.1f\t%.1f\t%.1f\t%s\t%s\t%s\n", p[1], p[2], median(b[kk]), median(o[kk]),
			median(d[kk]), (kk in r) ? sprintf("%.1f", median(r[kk])) : "-", used,
			(kk in c) ? median(c[kk]) : 0
	}
}' "$1" "$1" >"$2"
}
