/* Loopback TCP connections with known traffic, for the live byte and
 * segment tests (test_tcp_live.c) and the front-end tests (tcp-hold.c):
 * what each end moved comes from the kernel's own TCP_INFO, read once the
 * socket has reached CLOSE, when the counters a CLOSE adds are final. */
#ifndef EBS_TCP_PAIR_H
#define EBS_TCP_PAIR_H

#include <stdint.h>

/* tcpi_bytes_acked, tcpi_bytes_received, tcpi_segs_out, tcpi_segs_in */
struct tp_traffic {
	uint64_t sent, rcvd, segs_out, segs_in;
};

/* A listener on 127.0.0.1:port (0: the kernel picks; *port gets it).
 * fd or -1. */
int tp_listen(uint16_t *port);
/* A client connected to 127.0.0.1:port and the server's end of it,
 * accepted from l.  0 or -1. */
int tp_connect(int l, uint16_t port, int *c, int *a);
/* n bytes from fd "from" to fd "to" (both of this process, polled, so no
 * buffer size deadlocks it), read in full on "to".  0 or -1. */
int tp_transfer(int from, int to, uint64_t n);
/* Waits until the socket's tcpi_bytes_acked reaches want (the peer's
 * delayed ACK).  0, or -1 after 5 s. */
int tp_wait_acked(int fd, uint64_t want);
/* Orderly close of both ends: each shuts down writing, reads the other's
 * FIN, both wait for CLOSE; then their TCP_INFO totals are added to *c and
 * *a and the fds closed.  0 or -1. */
int tp_finish(int c, int a, struct tp_traffic *ct, struct tp_traffic *at);

#endif
