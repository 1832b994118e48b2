// SPDX-License-Identifier: GPL-2.0
/* The floor: one empty tp_btf program per hook ebpfstats uses.  What a
 * family costs on top of these is what its own code costs; what these cost
 * on top of nothing is the price of having a program on the hook at all
 * (trampoline, the program call, and with BPF stats on two clock reads).
 * bench/ebs-bench attaches the subset a case names.
 *
 * clock_sys_enter and clock_sys_exit are the floor of timing a syscall:
 * the empty programs plus the clock read at each end that syscall latency
 * cannot do without, kept in a per-CPU slot (the cheapest store there is),
 * so that "the default config against its floor" can be read against what
 * no latency measurement can avoid. */
#include "vmlinux.h"

#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#define FLOOR(event)                                                                               \
	SEC("tp_btf/" #event)                                                                      \
	int BPF_PROG(floor_##event)                                                                \
	{                                                                                          \
		return 0;                                                                          \
	}

FLOOR(sys_enter)
FLOOR(sys_exit)

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} clock_slot SEC(".maps");

SEC("tp_btf/sys_enter")
int BPF_PROG(floor_clock_sys_enter)
{
	__u32 zero = 0;
	__u64 *ts = bpf_map_lookup_elem(&clock_slot, &zero);

	if (ts)
		*ts = bpf_ktime_get_ns();
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(floor_clock_sys_exit)
{
	__u32 zero = 0;
	__u64 *ts = bpf_map_lookup_elem(&clock_slot, &zero);

	if (ts)
		*ts = bpf_ktime_get_ns() - *ts;
	return 0;
}

FLOOR(sched_switch)
FLOOR(sched_wakeup)
FLOOR(sched_wakeup_new)
FLOOR(sched_migrate_task)
FLOOR(sched_process_fork)
FLOOR(sched_process_exec)
FLOOR(sched_process_exit)

FLOOR(inet_sock_set_state)
FLOOR(tcp_retransmit_skb)
FLOOR(tcp_send_reset)
FLOOR(tcp_receive_reset)
FLOOR(tcp_probe)

FLOOR(page_fault_user)
FLOOR(page_fault_kernel)
FLOOR(mark_victim)
FLOOR(mm_page_alloc)
FLOOR(mm_page_free)

char LICENSE[] SEC("license") = "GPL";
