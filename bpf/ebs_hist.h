/* Log-linear histogram buckets, shared by the kernel programs (which count
 * into them) and user space (which turns them into percentiles, src/hist.c).
 * Plain C with no helper calls, so that both sides compile the same index.
 *
 * Values below 2^EBS_HIST_SUB_BITS (16) get one bucket each.  Above, every
 * power of two [2^h, 2^(h+1)) is split into 2^EBS_HIST_SUB_BITS equal
 * sub-buckets, so a bucket is never wider than 1/16 (6.25 %) of its lower
 * bound.  Values from 2^EBS_HIST_TOP_BITS on share the last, open bucket.
 *
 *   bucket(v) = v                                      v < 16
 *             = ((h - 3) << 4) + ((v >> (h - 4)) & 15)  h = floor(log2 v), 4 <= h < 32
 *             = EBS_HIST_SLOTS - 1                      v >= 2^32
 *
 * In ns that is 1 ns resolution up to 16 ns and the open bucket from 4.29 s
 * on (the range of the log2 buckets this replaced); in ms (TCP lifetime)
 * from 49.7 days on.  Percentile error: docs/percentiles.md. */
#ifndef EBS_HIST_H
#define EBS_HIST_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define EBS_HIST_SUB_BITS 4
#define EBS_HIST_SUB (1u << EBS_HIST_SUB_BITS)
#define EBS_HIST_TOP_BITS 32
/* 16 exact buckets + 28 octaves (2^4 .. 2^31) of 16 + the open one.  The
 * literal matches src/ebpfstats.h's, which must not include this file. */
#define EBS_HIST_SLOTS 465
_Static_assert(EBS_HIST_SLOTS ==
		       ((EBS_HIST_TOP_BITS - EBS_HIST_SUB_BITS + 1) << EBS_HIST_SUB_BITS) + 1,
	       "EBS_HIST_SLOTS does not match the bucket layout");

#ifdef __bpf__
#define EBS_HIST_INLINE static __always_inline
#else
#define EBS_HIST_INLINE static inline
#endif

/* floor(log2 v) for v > 0: a count of leading zeros by halving (BPF has no
 * clz instruction), five compares and shifts, no loop. */
EBS_HIST_INLINE __u32 ebs_log2_32(__u32 v)
{
	__u32 shift, r;

	r = (v > 0xFFFF) << 4;
	v >>= r;
	shift = (v > 0xFF) << 3;
	v >>= shift;
	r |= shift;
	shift = (v > 0xF) << 2;
	v >>= shift;
	r |= shift;
	shift = (v > 0x3) << 1;
	v >>= shift;
	r |= shift;
	r |= (v >> 1);
	return r;
}

/* For the verifier, the index must be bounded in the register that is
 * used.  So 64-bit all through (clang clamps a zero-extended copy of a
 * 32-bit one), and v and b opaque to clang: it would otherwise fold
 * "x / 1000000 < 16" into "x < 16000000" and compare a register other than
 * the one it then indexes with. */
#ifdef __bpf__
#define EBS_HIST_OPAQUE(x) asm volatile("" : "+r"(x))
#else
#define EBS_HIST_OPAQUE(x) ((void)0)
#endif

EBS_HIST_INLINE __u64 ebs_hist_bucket(__u64 v)
{
	__u64 h, b;

	EBS_HIST_OPAQUE(v);
	if (v < EBS_HIST_SUB) {
		b = v;
	} else if (v >> EBS_HIST_TOP_BITS) {
		b = EBS_HIST_SLOTS - 1;
	} else {
		h = ebs_log2_32((__u32)v);
		b = ((h - EBS_HIST_SUB_BITS + 1) << EBS_HIST_SUB_BITS) +
		    ((v >> (h - EBS_HIST_SUB_BITS)) & (EBS_HIST_SUB - 1));
	}
	EBS_HIST_OPAQUE(b);
	/* always true; says so to the verifier, which cannot know that
	 * h >= 4 on the last path */
	return b < EBS_HIST_SLOTS ? b : EBS_HIST_SLOTS - 1;
}

#endif
