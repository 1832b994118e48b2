// SPDX-License-Identifier: GPL-2.0
/* TCP family: state transitions, opens, closes and a live per-state socket
 * count from sock:inet_sock_set_state; retransmits and resets from the tcp:
 * events; sampled smoothed RTT from tcp:tcp_probe; per-port rows for
 * listening services.
 *
 * Every hook has three flavours (tp_btf, raw_tp, classic tracepoint) around
 * one shared body; user space keeps one of them.  The body takes a
 * compile-time `btf`: tp_btf hands it trusted pointers, read with plain
 * loads (the JIT guards them, so a NULL or odd socket reads as zeros);
 * raw_tp and the classic tracepoint read kernel memory with BPF_CORE_READ,
 * a helper call per field.  Per event that is most of the difference. */
#include "vmlinux.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "ebs_bits.bpf.h"
#include "tcp.h"

#define EBS_EEXIST 17 /* errno.h is not usable next to vmlinux.h */
#define EBS_AF_INET 2
#define EBS_AF_INET6 10

/* Knob, set through the skeleton's rodata before load: percent of
 * tcp_probe events whose RTT is recorded. */
const volatile __u32 sample_rate = 100;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ebs_tcp_stats);
} tcp_stats SEC(".maps");

/* struct sock address -> what we know of it.  Sized from max_sockets;
 * entries leave on the transition into CLOSE, which every TCP socket with a
 * traced state change makes before it is freed.
 *
 * Socket storage (bpf_sk_storage_get, tp_btf) would spare the hashing, but
 * it allocates a slot per socket and frees it by RCU with the socket: on a
 * loopback connect/close loop that measured about 2 µs per connection more
 * than this preallocated table (6.18), so the table stays. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct ebs_tcp_sock);
} tcp_socks SEC(".maps");

/* Local port -> per-service counters.  LRU because listeners come and go
 * without telling us when their port stops mattering; sized from
 * max_ports.  Per CPU: the rows are updated from softirq on every CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u16);
	__type(value, struct ebs_tcp_port);
} tcp_ports SEC(".maps");

/* Remote endpoint -> counters ("who talks to whom").  LRU like tcp_ports,
 * sized from max_ports; per CPU for the same reason. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);
	__uint(max_entries, 1024);
	__type(key, struct ebs_tcp_peer_key);
	__type(value, struct ebs_tcp_peer);
} tcp_peers SEC(".maps");

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

static __always_inline struct ebs_tcp_stats *stats(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&tcp_stats, &zero);
}

/* One field of kernel memory.  btf is a constant in every caller, so only
 * one side survives: a plain load on the trusted pointers of tp_btf, a
 * probe read (a helper call) on the untyped ones of raw_tp. */
#define RD(btf, p, field) ((btf) ? (p)->field : BPF_CORE_READ(p, field))

/* The tcp_sock fields.  tp_btf's pointer is typed struct sock, whose size
 * bounds plain loads: bpf_skc_to_tcp_sock() gives the wider type (NULL for
 * anything but a full TCP socket). */
static __always_inline const struct tcp_sock *tcp_of(bool btf, const struct sock *sk)
{
	if (btf)
		return bpf_skc_to_tcp_sock((void *)sk);
	return (const struct tcp_sock *)sk;
}

/* Local port in host order, 0 when unknown.  A child socket gives its
 * port back when it enters CLOSE (children do not inherit
 * SOCK_BINDPORT_LOCK), which an abortive close does before it sends its
 * RST; a full socket still has it in inet_sport then.  Time-wait and
 * request sockets have no inet_sport. */
static __always_inline __u16 sk_lport(bool btf, const struct sock *sk)
{
	__u16 port;
	__u8 state;

	if (!sk)
		return 0;
	port = RD(btf, sk, __sk_common.skc_num);
	if (port)
		return port;
	state = RD(btf, sk, __sk_common.skc_state);
	if (state == TCP_TIME_WAIT || state == TCP_NEW_SYN_RECV)
		return 0;
	/* past struct sock, beyond what a plain load on tp_btf's pointer may
	 * reach: a probe read either way (once per server-side close) */
	return bpf_ntohs(BPF_CORE_READ((const struct inet_sock *)sk, inet_sport));
}

/* The row of a local port.  With create, a missing row is inserted (only
 * for listening services: LISTEN and passive opens); otherwise NULL. */
static __always_inline struct ebs_tcp_port *port_row(struct ebs_tcp_stats *st, __u16 port,
						     bool create)
{
	struct ebs_tcp_port *p, zero = {};
	long err;

	if (!port)
		return NULL;
	p = bpf_map_lookup_elem(&tcp_ports, &port);
	if (p || !create)
		return p;
	/* NOEXIST: another CPU may have inserted it since the lookup, and
	 * replacing that row would drop what it counted */
	err = bpf_map_update_elem(&tcp_ports, &port, &zero, BPF_NOEXIST);
	if (err == 0)
		st->port_inserts++;
	else if (err != -EBS_EEXIST) {
		st->port_overflows++;
		return NULL;
	}
	return bpf_map_lookup_elem(&tcp_ports, &port);
}

/* The peer key of a socket: direction from whether it was accepted, the
 * remote address, and the remote port (out) or local port (in).  False
 * for other families and unknown ports. */
static __always_inline bool peer_key(bool btf, const struct sock *sk, bool passive, __u16 lport,
				     struct ebs_tcp_peer_key *k)
{
	__u16 fam;

	if (!sk)
		return false;
	fam = RD(btf, sk, __sk_common.skc_family);
	__builtin_memset(k, 0, sizeof(*k));
	if (fam == EBS_AF_INET) {
		__u32 a = RD(btf, sk, __sk_common.skc_daddr);

		k->family = 4;
		__builtin_memcpy(k->addr, &a, sizeof(a));
	} else if (fam == EBS_AF_INET6) {
		k->family = 6;
		if (btf) {
			__u32 *w = (__u32 *)k->addr;

			w[0] = sk->__sk_common.skc_v6_daddr.in6_u.u6_addr32[0];
			w[1] = sk->__sk_common.skc_v6_daddr.in6_u.u6_addr32[1];
			w[2] = sk->__sk_common.skc_v6_daddr.in6_u.u6_addr32[2];
			w[3] = sk->__sk_common.skc_v6_daddr.in6_u.u6_addr32[3];
		} else {
			BPF_CORE_READ_INTO(&k->addr, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr8);
		}
	} else {
		return false;
	}
	k->dir = passive ? EBS_TCP_PEER_IN : EBS_TCP_PEER_OUT;
	k->port = passive ? lport : bpf_ntohs(RD(btf, sk, __sk_common.skc_dport));
	return k->port != 0;
}

/* The peer row of a socket; with create (at connection establishment) a
 * missing row is inserted, otherwise NULL. */
static __always_inline struct ebs_tcp_peer *peer_row(bool btf, struct ebs_tcp_stats *st,
						     const struct sock *sk, bool passive,
						     __u16 lport, bool create)
{
	struct ebs_tcp_peer_key k;
	struct ebs_tcp_peer *p, zero = {};
	long err;

	if (!peer_key(btf, sk, passive, lport, &k))
		return NULL;
	p = bpf_map_lookup_elem(&tcp_peers, &k);
	if (p || !create)
		return p;
	err = bpf_map_update_elem(&tcp_peers, &k, &zero, BPF_NOEXIST);
	if (err == 0)
		st->peer_inserts++;
	else if (err != -EBS_EEXIST) {
		st->peer_overflows++;
		return NULL;
	}
	return bpf_map_lookup_elem(&tcp_peers, &k);
}

/* The tracker's entry of sk, NULL when it tracks none. */
static __always_inline struct ebs_tcp_sock *sock_find(const struct sock *sk)
{
	__u64 key = (__u64)(unsigned long)sk;

	return bpf_map_lookup_elem(&tcp_socks, &key);
}

/* The peer row of a tracked socket, for events after the open; sockets
 * the tracker does not know have no direction, so no row. */
static __always_inline struct ebs_tcp_peer *peer_of(bool btf, struct ebs_tcp_stats *st,
						    const struct sock *sk)
{
	struct ebs_tcp_sock *ts = sock_find(sk);

	if (!ts)
		return NULL;
	return peer_row(btf, st, sk, ts->passive, ts->lport ? ts->lport : sk_lport(btf, sk),
			false);
}

/* Entering CLOSE: the socket's totals go into the byte counters (and its
 * port row), and a socket whose birth we saw gets a lifetime sample. */
static __always_inline void on_close(bool btf, struct ebs_tcp_stats *st, const struct sock *sk,
				     const struct ebs_tcp_sock *ts, __u16 lport)
{
	const struct tcp_sock *tp = tcp_of(btf, sk);
	__u64 sent = 0, rcvd = 0;

	st->closes++;
	if (tp && bpf_core_field_exists(tp->bytes_acked))
		sent = RD(btf, tp, bytes_acked);
	if (tp && bpf_core_field_exists(tp->bytes_received))
		rcvd = RD(btf, tp, bytes_received);
	st->bytes_sent += sent;
	st->bytes_received += rcvd;
	if (ts && ts->lport)
		lport = ts->lport;
	/* a client socket known as such never touches a row, even when its
	 * ephemeral port equals a service's port on another address */
	if ((sent || rcvd) && (!ts || ts->passive)) {
		struct ebs_tcp_port *p = port_row(st, lport, false);

		if (p) {
			p->bytes_out += sent;
			p->bytes_in += rcvd;
		}
	}
	if ((sent || rcvd) && ts) {
		struct ebs_tcp_peer *pr = peer_row(btf, st, sk, ts->passive, lport, false);

		if (pr) {
			pr->bytes_out += sent;
			pr->bytes_in += rcvd;
		}
	}
	if (ts && ts->born_ns) {
		__u64 now = bpf_ktime_get_ns();

		if (now > ts->born_ns)
			st->lifetime[ebs_slot((now - ts->born_ns) / 1000000)]++;
	}
}

/* The local port for on_state: lport when the caller had it (the classic
 * record carries it), else read from the socket the first time it is
 * asked for.  Most transitions of a tracked socket never ask. */
#define LPORT_UNREAD -1

static __always_inline __u16 lport_get(bool btf, const struct sock *sk, int *lport)
{
	if (*lport == LPORT_UNREAD)
		*lport = sk_lport(btf, sk);
	return (__u16)*lport;
}

static __always_inline int on_state(bool btf, const struct sock *sk, __u64 old, __u64 new,
				    int lport)
{
	struct ebs_tcp_stats *st = stats();
	__u64 key = (__u64)(unsigned long)sk, now = 0;
	struct ebs_tcp_sock *ts;
	bool birth;

	if (!st)
		return 0;
	/* two tests on 64-bit values, kept apart: clang folds them into one
	 * subtraction whose bound the verifier cannot carry back to the
	 * indexes */
	if (old >= EBS_TCP_STATE_ROWS || new >= EBS_TCP_STATE_ROWS) {
		st->other_states++;
		return 0;
	}
	barrier_var(old);
	barrier_var(new);
	if (old == 0 || new == 0) {
		st->other_states++;
		return 0;
	}
	st->trans[old][new]++;
	if (new == TCP_ESTABLISHED && old == TCP_SYN_SENT) {
		struct ebs_tcp_peer *pr;

		st->active_opens++;
		pr = peer_row(btf, st, sk, false, lport_get(btf, sk, &lport), true);
		if (pr)
			pr->connects++;
	} else if (new == TCP_ESTABLISHED && old == TCP_SYN_RECV) {
		struct ebs_tcp_port *p;
		struct ebs_tcp_peer *pr;

		st->passive_opens++;
		p = port_row(st, lport_get(btf, sk, &lport), true);
		if (p)
			p->accepts++;
		pr = peer_row(btf, st, sk, true, lport_get(btf, sk, &lport), true);
		if (pr)
			pr->connects++;
	} else if (new == TCP_LISTEN) {
		/* 0 when listen() picks the port itself: that happens after
		 * this event, and the first passive open adds the row */
		port_row(st, lport_get(btf, sk, &lport), true);
	}

	if (new == TCP_CLOSE) {
		/* CLOSE is where a socket's life ends: no live count for it */
		ts = bpf_map_lookup_elem(&tcp_socks, &key);
		/* a child has given its port back by now: the one it had is
		 * in the entry */
		on_close(btf, st, sk, ts,
			 ts && ts->lport ? ts->lport : lport_get(btf, sk, &lport));
		if (ts) {
			__u32 was = ts->state;

			if (was < EBS_TCP_STATE_ROWS)
				st->sockets[was]--;
			bpf_map_delete_elem(&tcp_socks, &key);
		}
		return 0;
	}
	birth = old == TCP_CLOSE || (old == TCP_LISTEN && new == TCP_SYN_RECV);
	/* the clock only where a time is taken: births, SYN_SENT and its end */
	if (birth || new == TCP_SYN_SENT || old == TCP_SYN_SENT)
		now = bpf_ktime_get_ns();
	if (birth) {
		/* A socket being born has no entry (it left at its CLOSE):
		 * insert straight away, no lookup first.  EEXIST is a new
		 * socket at the address of one whose CLOSE we missed (the
		 * kernel skips a tracing program that an interrupt
		 * re-enters): that entry is recycled below. */
		struct ebs_tcp_sock n = {
			.born_ns = now,
			.syn_sent_ns = new == TCP_SYN_SENT ? now : 0,
			.state = new,
			.lport = lport_get(btf, sk, &lport),
			.passive = new == TCP_SYN_RECV,
		};
		long err = bpf_map_update_elem(&tcp_socks, &key, &n, BPF_NOEXIST);

		if (err == 0) {
			st->sockets[new]++;
			return 0;
		}
		if (err != -EBS_EEXIST) {
			/* not tracked, so not counted: a count we could never
			 * take back would drift upward for ever */
			st->socket_overflows++;
			return 0;
		}
	}
	ts = bpf_map_lookup_elem(&tcp_socks, &key);
	if (ts) {
		__u32 was = ts->state;

		/* the state we counted it in, which is old unless an event
		 * was lost */
		if (was < EBS_TCP_STATE_ROWS)
			st->sockets[was]--;
		st->sockets[new]++;
		ts->state = new;
		if (birth) {
			ts->born_ns = now;
			ts->syn_sent_ns = 0;
			ts->passive = new == TCP_SYN_RECV;
			ts->lport = lport_get(btf, sk, &lport);
		}
		/* a port bound after the entry was made (connect() picks it
		 * after SYN_SENT) */
		if (!ts->lport)
			ts->lport = lport_get(btf, sk, &lport);
		if (new == TCP_SYN_SENT) {
			ts->syn_sent_ns = now;
		} else if (old == TCP_SYN_SENT && ts->syn_sent_ns) {
			if (new == TCP_ESTABLISHED && now > ts->syn_sent_ns)
				st->connect[ebs_slot(now - ts->syn_sent_ns)]++;
			ts->syn_sent_ns = 0;
		}
		return 0;
	}
	if (birth)
		return 0; /* EEXIST, and gone again since: another CPU closed it */

	/* First sight of a socket older than the programs: tracked from now
	 * on, without a lifetime sample. */
	struct ebs_tcp_sock n = {
		.state = new,
		.lport = lport_get(btf, sk, &lport),
		.passive = new == TCP_SYN_RECV || old == TCP_SYN_RECV,
	};
	long err;

	if (new == TCP_SYN_SENT)
		n.syn_sent_ns = now;
	err = bpf_map_update_elem(&tcp_socks, &key, &n, BPF_NOEXIST);
	if (err == 0)
		st->sockets[new]++;
	else if (err != -EBS_EEXIST)
		st->socket_overflows++;
	return 0;
}

static __always_inline int on_retransmit(bool btf, const struct sock *sk)
{
	struct ebs_tcp_stats *st = stats();
	struct ebs_tcp_port *p;
	struct ebs_tcp_peer *pr;

	if (!st)
		return 0;
	st->retransmits++;
	p = port_row(st, sk_lport(btf, sk), false);
	if (p)
		p->retransmits++;
	pr = peer_of(btf, st, sk);
	if (pr)
		pr->retransmits++;
	return 0;
}

/* sk is NULL for a reset answering a segment that matched no socket. */
static __always_inline int on_reset(bool btf, const struct sock *sk, bool sent)
{
	struct ebs_tcp_stats *st = stats();
	struct ebs_tcp_port *p;
	struct ebs_tcp_peer *pr;

	if (!st)
		return 0;
	if (sent)
		st->resets_sent++;
	else
		st->resets_received++;
	p = port_row(st, sk_lport(btf, sk), false);
	if (p)
		p->resets++;
	pr = peer_of(btf, st, sk);
	if (pr)
		pr->resets++;
	return 0;
}

/* tcp_probe runs for every segment received on an established socket: the
 * sampling test comes before any read, so a sampled-out event costs one
 * helper call (none at 100 %). */
static __always_inline bool rtt_sampled(void)
{
	return sample_rate >= 100 || bpf_get_prandom_u32() % 100 < sample_rate;
}

static __always_inline int on_rtt(__u32 srtt_us)
{
	struct ebs_tcp_stats *st;

	/* 0: no RTT measured on this socket yet */
	if (!srtt_us)
		return 0;
	st = stats();
	if (!st)
		return 0;
	st->rtt_samples++;
	st->rtt[ebs_slot((__u64)srtt_us * 1000)]++;
	return 0;
}

/* srtt_us holds 8 times the smoothed RTT in µs (tcp_rtt_estimator()). */
static __always_inline int rtt_from_sock(bool btf, const struct sock *sk)
{
	const struct tcp_sock *tp;

	if (!rtt_sampled())
		return 0;
	tp = tcp_of(btf, sk);
	if (!tp)
		return 0;
	return on_rtt(RD(btf, tp, srtt_us) >> 3);
}

/* sk_protocol: an 8-bit bitfield before 5.6, a u16 since (for MPTCP).
 * The first test of every state change: sock:inet_sock_set_state also
 * fires for other protocols, which leave here with one load. */
static __always_inline bool is_tcp(bool btf, const struct sock *sk)
{
	if (btf)
		return BPF_CORE_READ_BITFIELD(sk, sk_protocol) == IPPROTO_TCP;
	return BPF_CORE_READ_BITFIELD_PROBED(sk, sk_protocol) == IPPROTO_TCP;
}

static __always_inline int state_from_sock(bool btf, const struct sock *sk, int old, int new)
{
	if (!is_tcp(btf, sk))
		return 0;
	return on_state(btf, sk, (__u32)old, (__u32)new, LPORT_UNREAD);
}

/* ---- sock:inet_sock_set_state ---------------------------------------- */

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(inet_sock_set_state_btf, const struct sock *sk, int oldstate, int newstate)
{
	return state_from_sock(true, sk, oldstate, newstate);
}

SEC("raw_tp/inet_sock_set_state")
int BPF_PROG(inet_sock_set_state_raw, const struct sock *sk, int oldstate, int newstate)
{
	return state_from_sock(false, sk, oldstate, newstate);
}

/* The record carries protocol and the local port (sport, host order). */
SEC("tracepoint/sock/inet_sock_set_state")
int inet_sock_set_state_tp(struct trace_event_raw_inet_sock_set_state *ctx)
{
	if (ctx->protocol != IPPROTO_TCP)
		return 0;
	return on_state(false, (const struct sock *)ctx->skaddr, (__u32)ctx->oldstate,
			(__u32)ctx->newstate, ctx->sport);
}

/* ---- tcp:tcp_retransmit_skb ------------------------------------------- */

/* ctx[2] (err) is only read where the event has it: on older kernels the
 * branch is dead and the verifier never sees the access. */
SEC("tp_btf/tcp_retransmit_skb")
int BPF_PROG(tcp_retransmit_skb_btf, const struct sock *sk)
{
	if (retrans_has_err() && (int)ctx[2] != 0)
		return 0;
	return on_retransmit(true, sk);
}

SEC("raw_tp/tcp_retransmit_skb")
int BPF_PROG(tcp_retransmit_skb_raw, const struct sock *sk)
{
	if (retrans_has_err() && (int)ctx[2] != 0)
		return 0;
	return on_retransmit(false, sk);
}

SEC("tracepoint/tcp/tcp_retransmit_skb")
int tcp_retransmit_skb_tp(void *ctx)
{
	struct trace_event_raw_tcp_retransmit_skb___ebs *rec = ctx;
	const void *sk;

	if (retrans_has_err() && BPF_CORE_READ(rec, err) != 0)
		return 0;
	if (bpf_core_type_exists(struct trace_event_raw_tcp_retransmit_skb___ebs))
		sk = BPF_CORE_READ(rec, skaddr);
	else
		sk = BPF_CORE_READ((struct trace_event_raw_tcp_event_sk_skb___ebs *)ctx, skaddr);
	return on_retransmit(false, sk);
}

/* ---- tcp:tcp_send_reset ----------------------------------------------- */

/* Only sk: later arguments changed across versions (reason since 6.10). */
SEC("tp_btf/tcp_send_reset")
int BPF_PROG(tcp_send_reset_btf, const struct sock *sk)
{
	return on_reset(true, sk, true);
}

SEC("raw_tp/tcp_send_reset")
int BPF_PROG(tcp_send_reset_raw, const struct sock *sk)
{
	return on_reset(false, sk, true);
}

SEC("tracepoint/tcp/tcp_send_reset")
int tcp_send_reset_tp(void *ctx)
{
	const void *sk;

	if (bpf_core_type_exists(struct trace_event_raw_tcp_send_reset___ebs))
		sk = BPF_CORE_READ((struct trace_event_raw_tcp_send_reset___ebs *)ctx, skaddr);
	else
		sk = BPF_CORE_READ((struct trace_event_raw_tcp_event_sk_skb___ebs *)ctx, skaddr);
	return on_reset(false, sk, true);
}

/* ---- tcp:tcp_receive_reset -------------------------------------------- */

SEC("tp_btf/tcp_receive_reset")
int BPF_PROG(tcp_receive_reset_btf, const struct sock *sk)
{
	return on_reset(true, sk, false);
}

SEC("raw_tp/tcp_receive_reset")
int BPF_PROG(tcp_receive_reset_raw, const struct sock *sk)
{
	return on_reset(false, sk, false);
}

SEC("tracepoint/tcp/tcp_receive_reset")
int tcp_receive_reset_tp(struct trace_event_raw_tcp_event_sk *ctx)
{
	return on_reset(false, ctx->skaddr, false);
}

/* ---- tcp:tcp_probe ---------------------------------------------------- */

SEC("tp_btf/tcp_probe")
int BPF_PROG(tcp_probe_btf, const struct sock *sk)
{
	return rtt_from_sock(true, sk);
}

SEC("raw_tp/tcp_probe")
int BPF_PROG(tcp_probe_raw, const struct sock *sk)
{
	return rtt_from_sock(false, sk);
}

/* The record's srtt is already srtt_us >> 3. */
SEC("tracepoint/tcp/tcp_probe")
int tcp_probe_tp(struct trace_event_raw_tcp_probe *ctx)
{
	if (!rtt_sampled())
		return 0;
	return on_rtt(ctx->srtt);
}

char LICENSE[] SEC("license") = "GPL";
