#!/bin/bash
# Stale and incompatible pins.  Pins are made by hand with bpftool
# the way an older build, a crashed loader or a foreign tool would leave
# them: a meta of an older layout number, a meta of another size, a map of
# another shape or missing, a half-written module directory, another layout
# directory beside ours.  Each gives a clear reason, only the affected module
# stops, nothing crashes (no exit >= 128), and `ebpfstats unload` removes
# everything: no pin, no link, and no program once its last user is gone,
# whether the loader or only a reader still runs.  `ebpfstats check` reports
# what is wrong with pins and changes none (issue 18): a loader here is
# `show`, run for one interval.  Needs root: exit 77.
# conditions are single-quoted for expect/wait_until's eval (SC2016), and
# variables read only there look unused (SC2034)
# shellcheck disable=SC2016,SC2034,SC2086,SC2317
set -u
# shellcheck source=tests/lib_faults.sh
. "${top_srcdir:-.}/tests/lib_faults.sh"
need_root
command -v bpftool >/dev/null 2>&1 || skip "bpftool missing"
new_pin rel-pins

check() { # check: runs `ebpfstats check` on $pin into $rel_tmp/check.out, sets rc
	"$EBS" check --pin-path "$pin" >"$rel_tmp/check.out" 2>&1
	rc=$?
}
status_of() { awk -v m="$1" '$1 == m { print $2 }' "$rel_tmp/check.out"; }
load() { # load: what a front-end does on $pin (loads and pins, or reuses), for one interval
	"$EBS" show --pin-path "$pin" -i 0.1 -n 1 >"$rel_tmp/load.out" 2>&1
}
fresh() { # fresh: pins of this build for every module
	"$EBS" unload --pin-path "$pin" >/dev/null 2>&1
	load
}
# meta_bytes LAYOUT: a meta value (struct ebs_pin_meta, 296 bytes) for bpftool
meta_bytes() {
	python3 -c 'import struct,sys
v = struct.pack("<IIQQ16s256s", int(sys.argv[1]), 1, 1, 0, b"tp_btf", b"")
print(" ".join(str(b) for b in v))' "$1"
}
fake_meta() { # fake_meta DIR LAYOUT [VALUE_SIZE]: VALUE_SIZE bytes, LAYOUT in the first
	rm -f "$1/meta"
	bpftool map create "$1/meta" type array key 4 value "${3:-296}" entries 1 name ebs_meta ||
		return 1
	if [ "${3:-296}" = 296 ]; then
		# shellcheck disable=SC2046 # one argument per byte
		bpftool map update pinned "$1/meta" key 0 0 0 0 value $(meta_bytes "$2")
	else
		# shellcheck disable=SC2046 # one argument per byte
		bpftool map update pinned "$1/meta" key 0 0 0 0 value $(python3 -c \
			"import sys; n = int(sys.argv[1]); print(' '.join(['$2', '0', '0', '0'] + ['65'] * (n - 4)))" "$3")
	fi
}
crash_free() { [ "$rc" -lt 128 ]; }

# ---- a clean load ---------------------------------------------------------------
check
expect "check on a pin path with nothing pinned pins nothing (rc $rc)" '[ $rc -eq 0 ] && [ ! -e "$pin" ]'
load
check
expect "first load pins every module, which check reads (rc $rc)" \
	'[ $rc -eq 0 ] && [ -e "$pin/v$LAYOUT/syscalls/meta" ] && [ -e "$pin/v$LAYOUT/tcp/meta" ] && [ -e "$pin/v$LAYOUT/sched/meta" ] &&
	 [ "$(grep -c "^[a-z]*  *ok  *attach=[a-z_]* (pinned by another process)" "$rel_tmp/check.out")" = 3 ]'
P=$(pinned_prog_ids "$pin" | tr '\n' ' ')
L=$(pinned_link_ids "$pin" | tr '\n' ' ')
expect "pinned: $(echo "$P" | wc -w) programs, $(echo "$L" | wc -w) links" \
	'[ "$(echo "$P" | wc -w)" -ge 3 ] && [ "$(echo "$L" | wc -w)" = "$(echo "$P" | wc -w)" ]'

# ---- an older layout number in the meta ----------------------------------------
fake_meta "$pin/v$LAYOUT/sched" 0
check
expect "meta of layout 0: check exits 2, no crash (rc $rc)" '[ $rc -eq 2 ]'
expect "... sched unavailable with a clear reason" \
	'[ "$(status_of sched)" = unavailable ] &&
	 grep -q "^sched .*incompatible pins at $pin/v$LAYOUT/sched (layout 0, this build reads $LAYOUT): run .ebpfstats unload." "$rel_tmp/check.out"'
expect "... syscalls and tcp keep running on their pins" \
	'[ "$(status_of syscalls)" = ok ] && [ "$(status_of tcp)" = ok ]'
"$EBS" show --pin-path "$pin" --json -i 0.5 >"$rel_tmp/show.json" 2>"$rel_tmp/show.err"
rc=$?
st=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); m=d["metrics"]
print(m["module.status"]["sched"], m["module.status"]["tcp"], m["syscall.total.calls"] > 0)' \
	"$rel_tmp/show.json" 2>&1)
expect "... show --json keeps serving the others (rc $rc: $st)" '[ $rc -eq 0 ] && [ "$st" = "unavailable ok True" ]'

# ---- a meta of another size (would overflow the reader's buffer) ---------------
fresh
fake_meta "$pin/v$LAYOUT/sched" "$LAYOUT" 4096
check
expect "meta of 4096 bytes: no crash (rc $rc), sched unavailable" \
	'crash_free && [ $rc -eq 2 ] && [ "$(status_of sched)" = unavailable ] &&
	 grep -q "incompatible pins at $pin/v$LAYOUT/sched: its meta is not one this build writes" "$rel_tmp/check.out"'

# ---- a map of another shape under the right name -------------------------------
fresh
d=$pin/v$LAYOUT/tcp
rm -f "$d/maps/tcp_stats"
bpftool map create "$d/maps/tcp_stats" type percpu_array key 4 value 4096 entries 1 name tcp_stats
# shellcheck disable=SC2046 # one argument per byte
bpftool map update pinned "$d/maps/tcp_stats" key 0 0 0 0 value $(printf '255 %.0s' $(seq 1 4096))
check
expect "tcp_stats with 4096-byte values: no crash (rc $rc), tcp unavailable naming the map" \
	'crash_free && [ $rc -eq 2 ] && [ "$(status_of tcp)" = unavailable ] &&
	 grep -q "incompatible pins at $d: map tcp_stats is type 6, key 4 B, value 4096 B" "$rel_tmp/check.out"'
"$EBS" show --pin-path "$pin" -i 0.3 -n 2 >"$rel_tmp/show.out" 2>&1
rc=$?
expect "... show runs two intervals beside it (rc $rc)" \
	'[ $rc -eq 0 ] && grep -q "tcp unavailable" "$rel_tmp/show.out" && grep -q "^syscalls:" "$rel_tmp/show.out"'
fresh
rm -f "$pin/v$LAYOUT/sched/maps/sched_migr"
bpftool map create "$pin/v$LAYOUT/sched/maps/sched_migr" type percpu_array key 4 value 8 entries 64 name sched_migr
check
expect "sched_migr per-CPU where this build has a plain array: refused (rc $rc)" \
	'crash_free && [ "$(status_of sched)" = unavailable ] && grep -q "map sched_migr is type 6" "$rel_tmp/check.out"'

# ---- a map missing -----------------------------------------------------------------
fresh
rm -f "$pin/v$LAYOUT/syscalls/maps/sys_ctr"
check
expect "sys_ctr missing: syscalls unavailable naming it (rc $rc)" \
	'crash_free && [ "$(status_of syscalls)" = unavailable ] &&
	 grep -q "incompatible pins at $pin/v$LAYOUT/syscalls: map sys_ctr missing" "$rel_tmp/check.out"'

# ---- a loader that died half-way: no meta, the rest cleared and reloaded --------
fresh
old=$(bpftool prog show pinned "$pin/v$LAYOUT/syscalls/progs/sys_exit_btf" | sed -n 's/^\([0-9]*\):.*/\1/p')
rm -f "$pin/v$LAYOUT/syscalls/meta"
check
same=$(bpftool prog show pinned "$pin/v$LAYOUT/syscalls/progs/sys_exit_btf" 2>/dev/null | sed -n 's/^\([0-9]*\):.*/\1/p')
expect "no meta (half-written): check says ok on private programs, rc $rc, and names the leftovers" \
	'[ $rc -eq 0 ] && [ "$(status_of syscalls)" = ok ] && ! grep -q "^syscalls.*pinned by another" "$rel_tmp/check.out" &&
	 grep -q "^syscalls .*pins at $pin/v$LAYOUT/syscalls have no meta" "$rel_tmp/check.out"'
expect "... and leaves them for the next loader (prog $old still pinned: $same)" '[ "$same" = "$old" ]'
load
rc=$?
new=$(bpftool prog show pinned "$pin/v$LAYOUT/syscalls/progs/sys_exit_btf" 2>/dev/null | sed -n 's/^\([0-9]*\):.*/\1/p')
expect "no meta (half-written): the next loader loads syscalls afresh (prog $old -> $new), rc $rc" \
	'[ $rc -eq 0 ] && grep -q "^modules:  syscalls ok" "$rel_tmp/load.out" && ! grep -q "syscalls ok ([a-z_]*, pinned by another" "$rel_tmp/load.out" &&
	 [ -e "$pin/v$LAYOUT/syscalls/meta" ] && isnum "$new" && [ "$new" != "$old" ]'
expect "... the old half-written programs are gone" 'wait_until 5 "! prog_alive $old"'

# ---- another layout directory beside ours (v0: never a real layout) ------------------------------------------
mkdir -p "$pin/v0/syscalls/maps"
bpftool map create "$pin/v0/syscalls/maps/sys_stats" type percpu_array key 4 value 64 entries 4 name sys_stats
check
expect "a v0 directory beside: every module still ok (rc $rc), and the reason says so" \
	'[ $rc -eq 0 ] && [ "$(status_of syscalls)" = ok ] &&
	 grep -q "pins of another ebpfstats layout (v0) are still loaded under $pin" "$rel_tmp/check.out"'

# ---- unload: nothing left ----------------------------------------------------------
P=$(pinned_prog_ids "$pin" | tr '\n' ' ')
"$EBS" unload --pin-path "$pin" >"$rel_tmp/unload.out" 2>&1
rc=$?
expect "unload removes every layout ($(cat "$rel_tmp/unload.out"))" '[ $rc -eq 0 ] && [ ! -e "$pin" ]'
wait_until 5 'all_gone "$P"'
expect "no program ($(echo "$P" | wc -w) were pinned) and no link left" \
	'all_gone "$P" && [ -z "$(links_of_progs "$P")" ]'

# unload while a reader (reusing the pins) runs: links go at once, the
# programs when the reader exits
load
P=$(pinned_prog_ids "$pin" | tr '\n' ' ')
"$EBS" show --pin-path "$pin" -i 1 >"$rel_tmp/reader.out" 2>&1 &
reader=$!
track "$reader"
wait_until 10 '[ "$(held_prog_ids $reader | tr "\n" " ")" = "$P" ]'
expect "a reader holds the $(echo "$P" | wc -w) pinned programs" '[ "$(held_prog_ids $reader | tr "\n" " ")" = "$P" ]'
"$EBS" unload --pin-path "$pin" >/dev/null 2>&1
wait_until 5 '[ -z "$(links_of_progs "$P")" ]'
expect "unload beside a reader: no pin, no link at once (programs detached)" \
	'[ ! -e "$pin" ] && [ -z "$(links_of_progs "$P")" ]'
stop_pid "$reader" TERM
wait_until 5 'all_gone "$P"'
expect "... and no program once the reader exited" 'all_gone "$P"'

# unload while the loader runs: its own links keep the programs attached
# until it exits
"$EBS" show --pin-path "$pin" -i 1 >"$rel_tmp/loader.out" 2>&1 &
loader=$!
track "$loader"
wait_until 10 '[ -e "$pin/v$LAYOUT/sched/meta" ] && [ -e "$pin/v$LAYOUT/tcp/meta" ] && [ -e "$pin/v$LAYOUT/syscalls/meta" ]'
P=$(pinned_prog_ids "$pin" | tr '\n' ' ')
"$EBS" unload --pin-path "$pin" >/dev/null 2>&1
expect "unload beside the loader: no pin; the loader's $(echo "$P" | wc -w) links stay while it runs" \
	'[ ! -e "$pin" ] && [ "$(links_of_progs "$P" | count_lines)" = "$(echo "$P" | wc -w)" ]'
stop_pid "$loader" TERM
wait_until 5 'all_gone "$P" && [ -z "$(links_of_progs "$P")" ]'
expect "... the loader exited: no link, no program" 'all_gone "$P" && [ -z "$(links_of_progs "$P")" ]'

# ---- unload edge cases ---------------------------------------------------------------
"$EBS" unload --pin-path "$pin/nothing-here" >"$rel_tmp/u.out" 2>&1
expect "unload of a path that does not exist: exit 0, 'removed 0 pins'" \
	'[ $? -eq 0 ] && grep -q "removed 0 pins" "$rel_tmp/u.out"'
"$EBS" unload --pin-path "" >"$rel_tmp/u.out" 2>&1
rc=$?
expect "unload with pin_path \"\": exit 2 and why (rc $rc)" \
	'[ $rc -eq 2 ] && grep -q "private programs have no pins" "$rel_tmp/u.out"'
finish
