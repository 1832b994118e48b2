/* What the kernel programs need to run on kernels other than the one
 * vmlinux.h was dumped from: constants vmlinux.h lacks, the read of a field
 * through a trusted or an untyped pointer, and the CO-RE flavours (types
 * named x___ebs*) of structures and tracepoint records whose shape changed
 * across versions.  Only the flavour the running kernel has survives CO-RE
 * relocation; the programs test which one with bpf_core_field_exists() or
 * bpf_core_type_exists(), constants after relocation, so the verifier sees
 * only the branch of the running kernel.
 *
 * Each definition lives here once; a program uses the ones it needs.  A
 * flavour costs nothing in a program that does not name it. */
#ifndef EBS_CORE_FIXES_BPF_H
#define EBS_CORE_FIXES_BPF_H

#include <bpf/bpf_core_read.h>

/* ---- constants vmlinux.h does not carry -------------------------------- */

#define EBS_EEXIST 17 /* errno.h is not usable next to vmlinux.h */
#define EBS_AF_INET 2
#define EBS_AF_INET6 10

/* ---- one field, trusted or untyped pointer ------------------------------ */

/* One field of kernel memory.  btf is a constant in every caller, so only
 * one side survives: a plain load on the trusted pointers of tp_btf, a
 * probe read (a helper call) on the untyped ones of raw_tp. */
#define RD(btf, p, field) ((btf) ? (p)->field : BPF_CORE_READ(p, field))

/* ---- task_struct::state ------------------------------------------------- */

/* task_struct::state became __state (and unsigned int) in 5.14. */
struct task_struct___ebs_new {
	unsigned int __state;
} __attribute__((preserve_access_index));

struct task_struct___ebs_old {
	long state;
} __attribute__((preserve_access_index));

/* The state of t: 0 for TASK_RUNNING. */
static __always_inline __u32 task_state(bool btf, struct task_struct *t)
{
	if (bpf_core_field_exists(struct task_struct___ebs_new, __state)) {
		struct task_struct___ebs_new *n = (void *)t;

		return RD(btf, n, __state);
	}
	struct task_struct___ebs_old *o = (void *)t;

	return (__u32)RD(btf, o, state);
}

/* The classic sched_switch record reports prev_state through
 * __trace_sched_switch_state() (4.14+): 0 for TASK_RUNNING, one bit per
 * state index below TASK_REPORT_MAX, and TASK_REPORT_MAX alone for a
 * preempted task, whatever its state.  Before 4.14 it held the raw state,
 * or TASK_STATE_MAX (0x800+) when preempted: the same test still splits
 * those, except parked kthreads, and misses the dying-task cleanup. */
#define EBS_REPORT_MAX 0x100
#define EBS_REPORT_EXIT (0x10 | 0x20) /* X (EXIT_DEAD), Z (EXIT_ZOMBIE) */

/* ---- pt_regs: the syscall number of raw_syscalls:sys_exit --------------- */

/* The syscall number sits in a different pt_regs field per architecture;
 * only the one the running kernel has survives CO-RE relocation. */
struct pt_regs___ebs_x86 {
	unsigned long orig_ax;
} __attribute__((preserve_access_index));

struct pt_regs___ebs_arm64 {
	int syscallno;
} __attribute__((preserve_access_index));

/* The nr of the syscall that is returning; false when this architecture
 * is not known.  btf: regs is tp_btf's trusted pointer, read directly;
 * else raw_tp's untyped one, read with probe reads. */
static __always_inline bool exit_nr(bool btf, struct pt_regs *regs, __u32 *nr)
{
	if (bpf_core_field_exists(struct pt_regs___ebs_x86, orig_ax)) {
		*nr = (__u32)RD(btf, (struct pt_regs___ebs_x86 *)regs, orig_ax);
		return true;
	}
	if (bpf_core_field_exists(struct pt_regs___ebs_arm64, syscallno)) {
		*nr = (__u32)RD(btf, (struct pt_regs___ebs_arm64 *)regs, syscallno);
		return true;
	}
	return false;
}

/* ---- oom:mark_victim ---------------------------------------------------- */

/* Since 6.8 mark_victim passes the task (and its record has uid); before,
 * only the pid. */
struct trace_event_raw_mark_victim___ebs {
	int pid;
	unsigned int uid;
} __attribute__((preserve_access_index));

static __always_inline bool victim_is_task(void)
{
	return bpf_core_field_exists(struct trace_event_raw_mark_victim___ebs, uid);
}

/* ---- tcp:tcp_send_reset, tcp:tcp_retransmit_skb ------------------------- */

/* Older kernels define tcp_send_reset and tcp_retransmit_skb through the
 * tcp_event_sk_skb event class; newer ones give each its own record.  All
 * three carry skaddr, at different offsets.  Read with probe reads: a
 * direct ctx load from either of two offsets is one load from a computed
 * ctx pointer once clang merges the branches, which the verifier refuses. */
struct trace_event_raw_tcp_event_sk_skb___ebs {
	const void *skaddr;
} __attribute__((preserve_access_index));

struct trace_event_raw_tcp_send_reset___ebs {
	const void *skaddr;
} __attribute__((preserve_access_index));

struct trace_event_raw_tcp_retransmit_skb___ebs {
	const void *skaddr;
	int err;
} __attribute__((preserve_access_index));

/* Newer kernels (the change that gave the record its err field, and the
 * event a third argument) fire tcp_retransmit_skb for attempts that never
 * left too, e.g. -EBUSY while the previous copy still sits in a host
 * queue; older ones only for segments sent.  Counting err == 0 keeps the
 * older meaning, the kernel's own RetransSegs. */
static __always_inline bool retrans_has_err(void)
{
	return bpf_core_field_exists(struct trace_event_raw_tcp_retransmit_skb___ebs, err);
}

#endif
