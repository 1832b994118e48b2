/* Helpers shared by the kernel programs (after libbpf-tools' bits.bpf.h). */
#ifndef EBS_BITS_BPF_H
#define EBS_BITS_BPF_H

#include "ebs_abi.h"

static __always_inline __u64 ebs_log2(__u32 v)
{
	__u32 shift, r;

	r = (v > 0xFFFF) << 4; v >>= r;
	shift = (v > 0xFF) << 3; v >>= shift; r |= shift;
	shift = (v > 0xF) << 2; v >>= shift; r |= shift;
	shift = (v > 0x3) << 1; v >>= shift; r |= shift;
	r |= (v >> 1);
	return r;
}

static __always_inline __u64 ebs_log2l(__u64 v)
{
	__u32 hi = v >> 32;

	return hi ? ebs_log2(hi) + 32 : ebs_log2(v);
}

/* Histogram slot for v: slot i holds [2^i, 2^(i+1)); 0 and 1 go to slot 0;
 * everything past the last slot stays in the last slot. */
static __always_inline __u32 ebs_slot(__u64 v)
{
	__u64 s = ebs_log2l(v);

	return s >= EBS_HIST_SLOTS ? EBS_HIST_SLOTS - 1 : (__u32)s;
}

#endif
