/* Limits shared by kernel programs and user space.  Plain __u32/__u64 only:
 * this header is included from BPF C (vmlinux.h) and from user space. */
#ifndef EBS_ABI_H
#define EBS_ABI_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#include "ebs_hist.h"

/* A kernel field of a family's counter list (bpf/<family>_counters.h). */
#define EBS_CTR_KFIELD(field, ...) __u64 field;

#define EBS_COMM_LEN 16
#define EBS_MAX_COMMS 16

/* Values of the comm filter map (struct comm -> __u8). */
#define EBS_COMM_INCLUDE 1
#define EBS_COMM_EXCLUDE 2

#endif
