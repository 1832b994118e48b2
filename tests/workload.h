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
/* k round trips of one byte between two processes over pipes. */
int wl_pingpong(unsigned k);
/* f children forked and reaped. */
int wl_forks(unsigned f);

#endif
