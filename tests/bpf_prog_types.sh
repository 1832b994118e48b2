#!/bin/sh
# Guardrail: every program in every BPF object is an observability type
# (tp_btf, raw_tp or a classic tracepoint, and the TCP socket iterator,
# which runs only when a front-end reads it).  Nothing that can drop or
# modify traffic (xdp, tc, cgroup_skb, sk_*), and nothing needing kprobes or
# fentry.
set -u
: "${top_builddir:=.}"
objs=$(ls "$top_builddir"/bpf/*.bpf.o 2>/dev/null)
if [ -z "$objs" ]; then
	echo "guardrail: no BPF objects under $top_builddir/bpf (build first)" >&2
	exit 1
fi
fail=0
progs=0
for o in $objs; do
	# executable sections are programs; .text holds only subprograms
	secs=$(readelf -SW "$o" | sed -n 's/^ *\[ *[0-9]*\] \([^ ]*\) .* AX .*/\1/p')
	for s in $secs; do
		case "$s" in
		.text) ;;
		tp_btf/* | raw_tp/* | tracepoint/* | iter/tcp) progs=$((progs + 1)) ;;
		*) echo "guardrail: $o: program section '$s' is not an observability type" >&2
		   fail=1 ;;
		esac
	done
done
if [ "$progs" -lt 10 ]; then
	echo "guardrail: only $progs program sections found; the section parser is broken" >&2
	fail=1
fi
echo "guardrail: $progs programs checked"
[ $fail -eq 0 ] && echo "1 passed, 0 failed" || echo "0 passed, 1 failed"
exit $fail
