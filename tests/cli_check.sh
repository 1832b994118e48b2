#!/bin/sh
# `ebpfstats check` changes nothing (issue 18): run with a fresh pin_path
# in a config, with the default one and with pins a loader left, it creates,
# removes or changes nothing under /sys/fs/bpf and leaves no BPF program
# loaded.  The whole-/sys/fs/bpf listings are taken in a private mount
# namespace on a bpffs of its own, which tests running beside this one cannot
# write into; the real default pin path is compared outside.  Programs are
# global: the ones check could have left are those loaded while it ran that
# no process holds once it exited (only a pin or a pinned link keeps them).
# A loader (show) run the same way must be caught, or the test proves nothing.
# Needs root and bpftool.
# conditions are single-quoted for expect/wait_until's eval (SC2016), and
# variables read only there look unused (SC2034)
# shellcheck disable=SC2016,SC2034
set -u
# shellcheck source=tests/lib.sh
. "${top_srcdir:-.}/tests/lib.sh"
need_root "needs root (loads BPF programs)"
command -v bpftool >/dev/null 2>&1 || skip "bpftool missing"
command -v unshare >/dev/null 2>&1 || skip "unshare (util-linux) missing"
new_pin cli-check
DEFAULT_PIN=/sys/fs/bpf/ebpfstats

# "ID LOADED_AT" of every program loaded now
progs_now() {
	bpftool -j prog show 2>/dev/null | python3 -c 'import json, sys
for p in json.load(sys.stdin): print(p["id"], p.get("loaded_at", 0))'
}
# prog ids something else keeps: a process (a prog fd or a link), or a pin
# (of the program or of its link) under /sys/fs/bpf outside this test's
# $pin, so that the pins of tests running beside this one are not taken for
# check's leftovers (check pins nothing: the private bpffs below sees every
# pin it could make; the control's pins under $pin still count)
held_progs() {
	{
		cat /proc/[0-9]*/fdinfo/* 2>/dev/null | awk '$1 == "prog_id:" { print $2 }'
		bpftool -j -f prog show 2>/dev/null | python3 -c 'import json, sys
for p in json.load(sys.stdin):
    if any(not f.startswith(sys.argv[1] + "/") for f in p.get("pinned", [])): print(p["id"])' "$pin"
		bpftool -j -f link show 2>/dev/null | python3 -c 'import json, sys
for l in json.load(sys.stdin):
    if "prog_id" in l and any(not f.startswith(sys.argv[1] + "/") for f in l.get("pinned", [])):
        print(l["prog_id"])' "$pin"
	} | sort -un
}
# left_by T0 T1 BEFORE: ids loaded in [T0, T1] (unix s), not in BEFORE, held by no process
left_by() {
	held_progs >"$tmp/held"
	progs_now | awk -v t0="$1" -v t1="$2" -v before="$3" -v held="$tmp/held" '
		BEGIN { while ((getline l < before) > 0) { split(l, f, " "); old[f[1]] = 1 }
			while ((getline l < held) > 0) h[l] = 1 }
		!($1 in old) && !($1 in h) && $2 >= t0 && $2 <= t1 { print $1 }'
}
# lasting T0 T1 BEFORE: those of left_by still there, still held by none, 0.5 s
# later (others' processes load and free programs all the time, libbpf's
# feature probes included: one caught between load and fd, or close and
# free, is gone by then)
lasting() {
	left_by "$@" >"$tmp/left.1"
	[ -s "$tmp/left.1" ] || return 0
	sleep 0.5
	left_by "$@" | grep -Fx -f "$tmp/left.1"
}
# run NAME CMD...: CMD's output in $tmp/NAME.out, rc in rc; then waits up
# to 5 s for what it loaded to go and puts what stays in left
run() {
	_name=$1
	shift
	progs_now >"$tmp/$_name.before"
	_t0=$(($(date +%s) - 1))
	"$@" >"$tmp/$_name.out" 2>&1
	rc=$?
	_t1=$(($(date +%s) + 1))
	# closing the last fd frees a program a moment later
	wait_until 5 '[ -z "$(lasting $_t0 $_t1 "$tmp/$_name.before")" ]'
	left=$(lasting $_t0 $_t1 "$tmp/$_name.before" | tr '\n' ' ')
}
tree() { find "$1" 2>/dev/null | sort; }

# ---- a fresh pin_path in the config, outside any namespace ------------------------
printf 'integrations:\n  ebpf:\n    pin_path: "%s"\n' "$pin" >"$tmp/fresh.yaml"
default_before=$(tree "$DEFAULT_PIN")
run fresh "$EBS" check -c "$tmp/fresh.yaml"
cat "$tmp/fresh.out"
expect "check with a fresh pin_path exits 0 (rc $rc), every module ok" \
	'[ $rc -eq 0 ] && [ "$(grep -Ec "^(syscalls|tcp|sched) +ok +attach=" "$tmp/fresh.out")" = 3 ]'
expect "... and the pin_path $pin was not created" '[ ! -e "$pin" ]'
expect "... no program left loaded (${left:-none})" '[ -z "$left" ]'

# ---- the default pin_path ----------------------------------------------------------
run default "$EBS" check
expect "check with the built-in defaults (pin_path $DEFAULT_PIN) exits 0 (rc $rc)" \
	'[ $rc -eq 0 ] && grep -q "^config: <built-in defaults>" "$tmp/default.out"'
expect "... $DEFAULT_PIN as it was ($(tree "$DEFAULT_PIN" | wc -l) entries)" \
	'[ "$(tree "$DEFAULT_PIN")" = "$default_before" ]'
expect "... no program left loaded (${left:-none})" '[ -z "$left" ]'

# ---- private programs ----------------------------------------------------------------
run private "$EBS" check --pin-path ""
expect "check --pin-path \"\" exits 0 (rc $rc), no program left loaded (${left:-none})" \
	'[ $rc -eq 0 ] && [ -z "$left" ]'

# ---- the whole of /sys/fs/bpf, on a bpffs of a private mount namespace ------------------
# fresh pin_path, default pin_path, then a loader (the control): listings after each
unshare -m --propagation private sh -c '
	mount -t bpf bpf /sys/fs/bpf || exit 9
	find /sys/fs/bpf | sort >"$1/ns.0"
	"$2" check -c "$3" >"$1/ns.fresh.out" 2>&1; echo $? >"$1/ns.fresh.rc"
	find /sys/fs/bpf | sort >"$1/ns.1"
	"$2" check >"$1/ns.default.out" 2>&1; echo $? >"$1/ns.default.rc"
	find /sys/fs/bpf | sort >"$1/ns.2"
	"$2" show -i 0.1 -n 1 >/dev/null 2>&1
	find /sys/fs/bpf | sort >"$1/ns.3"' sh "$tmp" "$EBS" "$tmp/fresh.yaml"
ns=$?
expect "private bpffs: set up (rc $ns); check exits 0 with the fresh and the default pin_path" \
	'[ $ns -eq 0 ] && [ "$(cat "$tmp/ns.fresh.rc")" = 0 ] && [ "$(cat "$tmp/ns.default.rc")" = 0 ]'
expect "private bpffs: nothing new under /sys/fs/bpf after either check ($(wc -l <"$tmp/ns.0") entries)" \
	'cmp -s "$tmp/ns.0" "$tmp/ns.1" && cmp -s "$tmp/ns.0" "$tmp/ns.2"'
expect "private bpffs, the control: a loader (show) there pins under $DEFAULT_PIN" \
	'grep -q "^$DEFAULT_PIN/v$LAYOUT/syscalls/meta$" "$tmp/ns.3"'

# ---- pins a loader left: read, not changed ---------------------------------------------------
run loader "$EBS" show --pin-path "$pin" -i 0.1 -n 1
loaded=$left
expect "the control: a loader (show) is caught leaving programs ($loaded) and pins" \
	'[ "$(echo $loaded | wc -w)" -ge 3 ] && [ -e "$pin/v$LAYOUT/syscalls/meta" ]'
pins_before=$(tree "$pin")
ids_before=$(for f in "$pin"/v*/*/progs/*; do bpftool prog show pinned "$f"; done 2>/dev/null | sed -n 's/^\([0-9]*\):.*/\1/p' | sort -n)
run pinned "$EBS" check -c "$tmp/fresh.yaml"
cat "$tmp/pinned.out"
expect "check beside those pins exits 0 (rc $rc), every module read from them" \
	'[ $rc -eq 0 ] && [ "$(grep -Ec "^(syscalls|tcp|sched) +ok +attach=[a-z_]+ \(pinned by another process\)" "$tmp/pinned.out")" = 3 ]'
expect "... the pins as they were, the same programs pinned" \
	'[ "$(tree "$pin")" = "$pins_before" ] &&
	 [ "$(for f in "$pin"/v*/*/progs/*; do bpftool prog show pinned "$f"; done 2>/dev/null | sed -n "s/^\([0-9]*\):.*/\1/p" | sort -n)" = "$ids_before" ]'
expect "... no program left loaded (${left:-none})" '[ -z "$left" ]'
"$EBS" unload --pin-path "$pin" >/dev/null 2>&1
finish
