/* Known workloads for integration tests: each produces an exact number of
 * kernel events that the tests then expect in the counters. */
#ifndef EBS_WORKLOAD_H
#define EBS_WORKLOAD_H

#include <stdint.h>

/* A child named comm makes exactly n getppid() calls. 0 or -1. */
int wl_getppid(const char *comm, unsigned n);
/* A child named comm makes exactly n flock(-1) calls, each failing EBADF. */
int wl_errors(const char *comm, unsigned n);
/* m loopback connects to a fresh listener on 127.0.0.1; each accepted and
 * both ends closed.  *port gets the listener's port.  0 or -1. */
int wl_tcp(unsigned m, uint16_t *port);
/* One connect to a closed loopback port: the kernel answers with a RST. */
int wl_tcp_refused(void);
/* n non-blocking loopback connects to a listener whose accept queue is full
 * (backlog 0): the kernel drops their SYNs, the clients retransmit them
 * after 1 s (and 3 s); all closed after hold_ms.  *retrans gets the sum of
 * the clients' TCP_INFO tcpi_total_retrans just before: the kernel's own
 * count of this workload's retransmits.  0 or -1. */
int wl_syn_retransmits(unsigned n, unsigned hold_ms, uint64_t *retrans);
/* k round trips of one byte between two processes over pipes. */
int wl_pingpong(unsigned k);
/* f children forked and reaped. */
int wl_forks(unsigned f);

/* The calling process spins on `threads` threads (itself and threads - 1
 * more, named "ebs-spin"), each until its own CPU time
 * (CLOCK_THREAD_CPUTIME_ID) reaches ms milliseconds; the extra threads are
 * joined.  0 or -1. */
int wl_spin(unsigned ms, unsigned threads);

/* The calling process maps mib MiB of anonymous memory, writes one byte
 * per page (each page allocated once), unmaps it (each freed), reps
 * times.  0 or -1. */
int wl_pages(unsigned mib, unsigned reps);

/* A child named comm makes n clock_nanosleep() calls of lo_ns .. hi_ns
 * (uniform; lo_ns == hi_ns: fixed), with 1 ns timer slack, and times each
 * one with CLOCK_MONOTONIC around the call: out_ns[i] (n entries).  Before
 * them it times 1001 getppid() calls the same way: *null_ns is their
 * median, what timing from user space adds to a system call's own time
 * (the way in and out of the kernel, the tracepoints' programs). */
int wl_sleeps(const char *comm, unsigned n, uint64_t lo_ns, uint64_t hi_ns, uint64_t *out_ns,
	      uint64_t *null_ns);

/* A child named comm, pinned to one CPU, makes each of a list of harmless
 * system calls once (bad arguments: they fail at once, touching nothing).
 * Returns how many distinct ones it made, or -1. */
int wl_distinct_syscalls(const char *comm);

#endif
