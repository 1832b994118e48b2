/* TCP family: map keys and values shared by bpf/tcp.bpf.c and
 * src/module_tcp.c.  Changing a layout here means bumping EBS_PIN_LAYOUT,
 * since front-ends read pinned maps of other builds.
 * A line added to tcp_counters.h changes a layout too. */
#ifndef EBS_TCP_H
#define EBS_TCP_H

#include "ebs_abi.h"
#include "tcp_counters.h"

/* Rows of the state arrays, indexed by the Linux state number
 * (include/net/tcp_states.h): 1 ESTABLISHED .. 12 NEW_SYN_RECV; row 0 is
 * never written.  A transition naming a state past 12 (a kernel newer than
 * this table) only bumps other_states. */
#define EBS_TCP_STATE_ROWS 13

/* tcp_stats[0], per CPU: every counter with a bounded key, so the hot
 * paths touch one per-CPU element and take no lock.  The scalar counters
 * user space reports one to one come from tcp_counters.h; the rest are the
 * module's own bookkeeping. */
struct ebs_tcp_stats {
	__u64 trans[EBS_TCP_STATE_ROWS][EBS_TCP_STATE_ROWS]; /* [old][new] */
	/* Sockets entering minus leaving each state on this CPU.  A socket
	 * may enter on one CPU and leave on another, so a single CPU's value
	 * can be negative; only the sum over CPUs is a level. */
	__s64 sockets[EBS_TCP_STATE_ROWS];
	EBS_TCP_COUNTERS(EBS_CTR_KFIELD) /* tcp_counters.h */
	__u64 port_inserts;   /* new keys put into tcp_ports (evictions = inserts - entries) */
	__u64 port_overflows; /* a port row could not be created at all */
	__u64 other_states;   /* transitions with a state outside 1..12 */
	__u64 connect[EBS_HIST_SLOTS];	/* SYN_SENT -> ESTABLISHED, ns */
	__u64 rtt[EBS_HIST_SLOTS];	/* smoothed RTT, ns */
	__u64 lifetime[EBS_HIST_SLOTS]; /* birth seen -> CLOSE, ms (listeners too) */
	__u64 peer_inserts;   /* new keys put into tcp_peers (evictions = inserts - entries) */
	__u64 peer_overflows; /* a peer row could not be created at all */
};

/* tcp_ports value, keyed by the local port (__u16, host order), per CPU.
 * Only listening services get a row: a port is inserted when a socket
 * enters LISTEN on it or a passive open completes on it, and everything
 * else only updates existing rows. */
struct ebs_tcp_port {
	__u64 accepts; /* passive opens */
	__u64 resets;  /* sent and received on sockets with this local port */
	__u64 retransmits;
	/* bytes and segments of server-side sockets on this port: the socket
	 * iterator adds what open ones moved since its last run, their CLOSE
	 * the rest (tcp.bpf.c, account()) */
	__u64 bytes_in;
	__u64 bytes_out;
	__u64 segs_in;
	__u64 segs_out;
};

/* tcp_peers key: one remote endpoint in one direction, an L4 flow edge.
 * Outbound (this host connected): the peer's address and port.  Inbound
 * (the peer connected): the peer's address and this host's port, so that
 * the client's ephemeral ports fold into one row per service. */
#define EBS_TCP_PEER_OUT 1
#define EBS_TCP_PEER_IN 2

struct ebs_tcp_peer_key {
	__u8 dir;      /* EBS_TCP_PEER_OUT / _IN */
	__u8 family;   /* 4 or 6 */
	__u16 port;    /* host order */
	__u8 addr[16]; /* network order; IPv4 in the first 4 bytes, rest 0 */
};

/* tcp_peers value, per CPU. */
struct ebs_tcp_peer {
	__u64 connects; /* connections established */
	__u64 retransmits;
	__u64 resets;	/* sent and received */
	__u64 bytes_in; /* live and at close, like the port rows */
	__u64 bytes_out;
	__u64 segs_in;
	__u64 segs_out;
};

#endif
