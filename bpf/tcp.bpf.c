// SPDX-License-Identifier: GPL-2.0
/* TCP family: state transitions, opens, closes and a live per-state socket
 * count from sock:inet_sock_set_state; retransmits and resets from the tcp:
 * events; smoothed RTT per connection (srtt_us when it leaves
 * ESTABLISHED, and of live ones at most once a second from the socket
 * iterator) or, with tcp_rtt_per_segment, per received segment from
 * tcp:tcp_probe; per-port rows for listening services.
 *
 * Every hook has three flavours (tp_btf, raw_tp, classic tracepoint),
 * written by EBS_HOOK (ebs_hook.bpf.h) around one shared body; user space
 * keeps one of them.  The body takes a
 * compile-time `btf`: tp_btf hands it trusted pointers, read with plain
 * loads (the JIT guards them, so a NULL or odd socket reads as zeros);
 * raw_tp and the classic tracepoint read kernel memory with BPF_CORE_READ,
 * a helper call per field.  Per event that is most of the difference. */
#include "vmlinux.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "ebs_core_fixes.bpf.h"
#include "ebs_hist.h"
#include "ebs_hook.bpf.h"
#include "tcp.h"

#define EBS_CG_WANT_TCP
#include "ebs_cgroup.bpf.h"

/* Bench-only builds (bench/tcp-*.bpf.o) price the parts of this module:
 * EBS_BENCH_NO_ROWS leaves out the port and peer rows, EBS_BENCH_NO_CLOCK
 * every clock read (and with it the latency and lifetime samples). */
#ifdef EBS_BENCH_NO_CLOCK
#define bpf_ktime_get_ns() 0ULL
#endif

/* Knob, set through the skeleton's rodata before load: percent of
 * tcp_probe events whose RTT is recorded. */
const volatile __u32 sample_rate = 100;

/* Knob (tcp_rtt_per_segment): where RTT samples come from.  Off (the
 * default): one per connection when it leaves ESTABLISHED and one per live
 * established connection per iterator run, at most one a second per
 * connection (rtt_live()); tcp_probe is not attached.  On: one per
 * received segment from tcp_probe (sample_rate percent of them), and the
 * per-connection samples are pruned, so that the histogram holds one kind
 * of sample. */
const volatile bool rtt_segments = false;

/* The least time between two live samples of one connection. */
#define RTT_LIVE_GAP_NS 1000000000ULL

/* Knob (collect_tcp_peers): whether tcp_peers gets rows.  The verifier
 * prunes the peer code when it is off. */
const volatile bool count_peers = true;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ebs_tcp_stats);
} tcp_stats SEC(".maps");

/* The socket tracker: struct sock -> what we know of it.  Two
 * implementations; user space creates the map of one (the other is left
 * uncreated and its code pruned through the sock_buckets knob) and loads
 * the matching state programs.
 *
 * The bucket table (kernels with BPF compare-and-swap, 5.12 on): an array
 * of cache-line buckets rather than a BPF hash.  A socket has two
 * candidate buckets (two multiplicative hashes of its key), each of
 * SOCK_WAYS slots; a new socket takes a free slot of the emptier one,
 * claimed with a compare-and-swap on the key, and gives it back at its
 * CLOSE.  Finding a socket is an inlined array lookup and three compares
 * on one line (rarely two).  The BPF hash took a helper call and jhash for
 * every transition, and a bucket lock and a free-list operation for every
 * insert and delete: half of the module's cost on a loopback connect/close
 * loop (6.18, bench/RESULTS.md).  One socket's state changes never run
 * concurrently (the kernel changes it under the socket's lock), so only
 * the claim of a free slot, which two sockets may race for, needs an
 * atomic.  Sized by user space from max_sockets: as many buckets as
 * sockets (rounded up to a power of two), three slots each, so that both
 * buckets of a socket are full (socket_overflows) only well past the
 * bound.  Mmapable only so that the values start on a page: an array's
 * values otherwise start where struct bpf_array ends (312 bytes in on
 * 6.18), and most buckets would straddle two lines.
 *
 * The hash (older kernels: a program holding a compare-and-swap does not
 * load there even where that code is dead): keyed by the struct sock
 * address, max_sockets entries.
 *
 * Socket storage (bpf_sk_storage_get, tp_btf) would spare both, but it
 * allocates a slot per socket and frees it by RCU with the socket: about
 * 2 µs more per connection than the hash (6.18). */
const volatile bool sock_buckets = true;

struct sock_meta {
	__u8 state;   /* the state counted in sockets[] for it */
	__u8 passive; /* a listener's child: its bytes go to the port row */
	__u16 lport;  /* a child's local port, host order (given back at CLOSE) */
};

#define SOCK_WAYS 3

struct sock_bucket {
	__u64 key[SOCK_WAYS];	  /* sock_key(); 0: a free slot */
	__u64 born_ns[SOCK_WAYS]; /* birth seen; 0: older than the programs */
	struct sock_meta meta[SOCK_WAYS];
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct sock_bucket);
} tcp_sockbkts SEC(".maps");

/* Knob, set with tcp_sockbkts' size: buckets - 1, the buckets a power of
 * two. */
const volatile __u32 sock_bucket_mask = 16383;

/* What the counters already hold of a tracked socket's tcp_sock totals:
 * the socket iterator adds the difference to what it reads and moves these
 * on, the CLOSE adds the rest.  0 for a new socket: all of it is still to
 * be counted. */
struct sock_seen {
	__u64 sent; /* bytes_acked */
	__u64 rcvd; /* bytes_received */
	/* segs_out in the low half, segs_in in the high one: both u32 in
	 * tcp_sock, and one word for the atomics, which BPF has for 64 bits
	 * only at the CPU version this object is built for */
	__u64 segs;
	/* when the iterator last took this connection's RTT (rtt_live()),
	 * bpf_ktime_get_ns(); 0: never */
	__u64 rtt_ns;
};

/* A socket's traffic, or what it moved since a reading. */
struct traffic {
	__u64 sent, rcvd, segs_out, segs_in;
};

/* The bucket table's seen values, bucket for bucket: a second array
 * rather than more words in struct sock_bucket, so that the bucket the
 * state programs search stays one cache line; only the iterator and the
 * CLOSE (once per socket) come here. */
struct sock_seen_bucket {
	struct sock_seen s[SOCK_WAYS];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct sock_seen_bucket);
} tcp_sockseen SEC(".maps");

struct sock_entry {
	__u64 born_ns;
	struct sock_meta m;
	__u32 pad;
	struct sock_seen seen;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct sock_entry);
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

static __always_inline struct ebs_tcp_stats *stats(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&tcp_stats, &zero);
}

/* One RTT sample, srtt_us the socket's field (8 times the smoothed RTT
 * in µs, tcp_rtt_estimator()); 0 means none measured yet.  atomic: the
 * iterator runs with bottom halves enabled, and a softirq's state change
 * on this CPU may take a sample between its load and its store. */
static __always_inline void rtt_add(struct ebs_tcp_stats *st, __u32 srtt_us, bool atomic)
{
	__u64 slot;

	srtt_us >>= 3;
	if (!srtt_us)
		return;
	slot = ebs_hist_bucket((__u64)srtt_us * 1000);
	if (atomic) {
		__sync_fetch_and_add(&st->rtt_samples, 1);
		__sync_fetch_and_add(&st->rtt[slot], 1);
	} else {
		st->rtt_samples++;
		st->rtt[slot]++;
	}
}

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

#ifdef EBS_BENCH_NO_ROWS
	return NULL;
#endif
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

#ifdef EBS_BENCH_NO_ROWS
	return NULL;
#endif
	if (!count_peers || !peer_key(btf, sk, passive, lport, &k))
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

/* The key of sk.  In the bucket table: its distance from the table,
 * never 0 (the verifier lets a program subtract one pointer from another,
 * not turn one into a number to hash).  tp_btf has sk as a pointer; raw_tp
 * and the classic tracepoint have it as a number, and the table's address
 * as a number from a global written once, so that every flavour keys a
 * socket alike.  In the hash: the address itself. */
__u64 tcp_sockbkts_addr;

static __always_inline __u64 sock_key(bool btf, bool buckets, const struct sock *sk)
{
	__u64 base;

	if (!buckets)
		return (__u64)(unsigned long)sk;
	if (btf)
		return (__u64)sk - (__u64)(void *)&tcp_sockbkts;
	base = *(volatile __u64 *)&tcp_sockbkts_addr;
	if (!base) {
		*(volatile __u64 *)&tcp_sockbkts_addr = (__u64)(void *)&tcp_sockbkts;
		base = *(volatile __u64 *)&tcp_sockbkts_addr;
	}
	return (__u64)sk - base;
}

#define SOCK_HASH1 0x9E3779B97F4A7C15ULL
#define SOCK_HASH2 0xC2B2AE3D27D4EB4FULL

static __always_inline __u32 sock_bucket_index(__u64 key, __u64 mult)
{
	return (__u32)((key * mult) >> 32) & sock_bucket_mask;
}

static __always_inline struct sock_bucket *sock_bucket(__u64 key, __u64 mult)
{
	__u32 i = sock_bucket_index(key, mult);

	return bpf_map_lookup_elem(&tcp_sockbkts, &i);
}

/* A tracked socket: its key word (bucket table only), birth time and the
 * rest; where its seen values are (bucket and way in the bucket table, a
 * pointer in the hash's entry). */
struct sock_ref {
	__u64 *key;
	__u64 *born_ns;
	struct sock_meta *m;
	struct sock_seen *seen; /* hash only */
	__u64 mult;		/* bucket table: the hash that found it */
	int way;
};

static __always_inline bool slot_ref(struct sock_bucket *b, int i, struct sock_ref *r)
{
	r->key = &b->key[i];
	r->born_ns = &b->born_ns[i];
	r->m = &b->meta[i];
	r->seen = 0;
	r->way = i;
	return true;
}

static __always_inline bool bucket_find(struct sock_bucket *b, __u64 key, struct sock_ref *r)
{
	if (!b)
		return false;
	if (b->key[0] == key)
		return slot_ref(b, 0, r);
	if (b->key[1] == key)
		return slot_ref(b, 1, r);
	if (b->key[2] == key)
		return slot_ref(b, 2, r);
	return false;
}

static __always_inline bool entry_ref(struct sock_entry *e, struct sock_ref *r)
{
	if (!e)
		return false;
	r->key = 0;
	r->born_ns = &e->born_ns;
	r->m = &e->m;
	r->seen = &e->seen;
	return true;
}

/* The slot of the bucket found with mult: r->mult says which. */
static __always_inline bool bucket_find_in(__u64 key, __u64 mult, struct sock_ref *r)
{
	r->mult = mult;
	return bucket_find(sock_bucket(key, mult), key, r);
}

/* The tracker's record of the socket with key; false when it tracks
 * none.  buckets: which tracker (a constant in the state programs, the
 * sock_buckets knob elsewhere). */
static __always_inline bool sock_find(bool buckets, __u64 key, struct sock_ref *r)
{
	if (!buckets)
		return entry_ref(bpf_map_lookup_elem(&tcp_socks, &key), r);
	return bucket_find_in(key, SOCK_HASH1, r) || bucket_find_in(key, SOCK_HASH2, r);
}

/* The seen values of a socket the tracker holds (r from sock_find or
 * sock_insert with the same key); NULL only if a map lookup fails. */
static __always_inline struct sock_seen *sock_seen(bool buckets, __u64 key,
						   const struct sock_ref *r)
{
	struct sock_seen_bucket *sb;
	__u32 i;

	if (!buckets)
		return r->seen;
	i = sock_bucket_index(key, r->mult);
	sb = bpf_map_lookup_elem(&tcp_sockseen, &i);
	if (!sb)
		return 0;
	if (r->way == 0)
		return &sb->s[0];
	if (r->way == 1)
		return &sb->s[1];
	return &sb->s[2];
}

static __always_inline int bucket_free(struct sock_bucket *b)
{
	if (!b)
		return -1;
	return (b->key[0] == 0) + (b->key[1] == 0) + (b->key[2] == 0);
}

static __always_inline bool slot_claim(struct sock_bucket *b, int i, __u64 key, struct sock_ref *r)
{
	if (b->key[i] != 0 || __sync_val_compare_and_swap(&b->key[i], 0, key) != 0)
		return false;
	return slot_ref(b, i, r);
}

static __always_inline bool bucket_claim(struct sock_bucket *b, __u64 mult, __u64 key,
					 struct sock_ref *r)
{
	if (!b)
		return false;
	r->mult = mult;
	return slot_claim(b, 0, key, r) || slot_claim(b, 1, key, r) || slot_claim(b, 2, key, r);
}

/* A record for the socket with key: its own when it has one (*had: a
 * socket whose CLOSE we missed, at the same address), else a new one (in
 * the bucket table a free slot of the emptier bucket).  False when there
 * is no room.  The compare-and-swap only in the bucket table's programs:
 * the hash's must load where BPF has none. */
static __always_inline bool sock_insert(bool buckets, __u64 key, struct sock_ref *r, bool *had)
{
	if (buckets) {
		struct sock_bucket *b1 = sock_bucket(key, SOCK_HASH1),
				   *b2 = sock_bucket(key, SOCK_HASH2);

		*had = bucket_find_in(key, SOCK_HASH1, r) || bucket_find_in(key, SOCK_HASH2, r);
		if (*had)
			return true;
		if (bucket_free(b2) > bucket_free(b1))
			return bucket_claim(b2, SOCK_HASH2, key, r) ||
			       bucket_claim(b1, SOCK_HASH1, key, r);
		return bucket_claim(b1, SOCK_HASH1, key, r) || bucket_claim(b2, SOCK_HASH2, key, r);
	} else {
		struct sock_entry n = {};
		long err = bpf_map_update_elem(&tcp_socks, &key, &n, BPF_NOEXIST);

		if (err != 0 && err != -EBS_EEXIST)
			return false;
		*had = err != 0;
		/* NULL again when another CPU closed it meanwhile */
		return entry_ref(bpf_map_lookup_elem(&tcp_socks, &key), r);
	}
}

/* Gives the record back.  In the bucket table an atomic rather than a
 * store: it keeps the reads of the slot before it on every architecture. */
static __always_inline void sock_release(bool buckets, struct sock_ref *r, __u64 key)
{
	if (buckets)
		__sync_val_compare_and_swap(r->key, key, 0);
	else
		bpf_map_delete_elem(&tcp_socks, &key);
}

/* The peer row of a tracked socket, for events after the open; sockets
 * the tracker does not know have no direction, so no row. */
static __always_inline struct ebs_tcp_peer *peer_of(bool btf, struct ebs_tcp_stats *st,
						    const struct sock *sk)
{
	struct sock_ref r;
	__u16 lport = 0;

	if (!count_peers || !sk || !sock_find(sock_buckets, sock_key(btf, sock_buckets, sk), &r))
		return NULL;
	if (r.m->passive)
		lport = r.m->lport ? r.m->lport : sk_lport(btf, sk);
	return peer_row(btf, st, sk, r.m->passive, lport, false);
}

/* The local port for on_state: lport when the caller had it (the classic
 * record carries it), else read from the socket the first time it is
 * asked for.  Most transitions never ask. */
#define LPORT_UNREAD -1

static __always_inline __u16 lport_get(bool btf, const struct sock *sk, int *lport)
{
	if (*lport == LPORT_UNREAD)
		*lport = sk_lport(btf, sk);
	return (__u16)*lport;
}

/* A socket's traffic counters as tcp_sock keeps them (0 where this
 * kernel has no such field).  tp is a trusted pointer (btf) or not. */
static __always_inline void traffic_read(bool btf, const struct tcp_sock *tp, struct traffic *c)
{
	c->sent = c->rcvd = c->segs_out = c->segs_in = 0;
	if (!tp)
		return;
	if (bpf_core_field_exists(tp->bytes_acked))
		c->sent = RD(btf, tp, bytes_acked);
	if (bpf_core_field_exists(tp->bytes_received))
		c->rcvd = RD(btf, tp, bytes_received);
	if (bpf_core_field_exists(tp->segs_out))
		c->segs_out = RD(btf, tp, segs_out);
	if (bpf_core_field_exists(tp->segs_in))
		c->segs_in = RD(btf, tp, segs_in);
}

/* d (amounts not yet counted) into the totals, and into the socket's port
 * row (server side) and peer row (tracked sockets: r).  Atomic adds: the
 * iterator runs in process context with bottom halves enabled, so a
 * softirq's CLOSE on this CPU can interrupt it between the load and the
 * store of a per-CPU word, and the two must not lose each other's bytes. */
static __always_inline void account(bool btf, struct ebs_tcp_stats *st, const struct sock *sk,
				    const struct sock_ref *r, int *lport, const struct traffic *d)
{
	/* a client socket known as such never touches a port row, even when
	 * its ephemeral port equals a service's port on another address; a
	 * child has given its port back by its CLOSE, the one it had is in
	 * the slot */
	bool passive = !r || r->m->passive;
	__u16 port = 0;

	if (!(d->sent | d->rcvd | d->segs_out | d->segs_in))
		return;
	__sync_fetch_and_add(&st->bytes_sent, d->sent);
	__sync_fetch_and_add(&st->bytes_received, d->rcvd);
	__sync_fetch_and_add(&st->segs_out, d->segs_out);
	__sync_fetch_and_add(&st->segs_in, d->segs_in);
	/* the socket's cgroup row, open connections' bytes included */
	ebs_cg_tcp_bytes(btf, sk, d->rcvd, d->sent);
	if (passive) {
		struct ebs_tcp_port *p;

		port = r && r->m->lport ? r->m->lport : lport_get(btf, sk, lport);
		p = port_row(st, port, false);
		if (p) {
			__sync_fetch_and_add(&p->bytes_out, d->sent);
			__sync_fetch_and_add(&p->bytes_in, d->rcvd);
			__sync_fetch_and_add(&p->segs_out, d->segs_out);
			__sync_fetch_and_add(&p->segs_in, d->segs_in);
		}
	}
	if (r) {
		struct ebs_tcp_peer *pr = peer_row(btf, st, sk, passive, port, false);

		if (pr) {
			__sync_fetch_and_add(&pr->bytes_out, d->sent);
			__sync_fetch_and_add(&pr->bytes_in, d->rcvd);
			__sync_fetch_and_add(&pr->segs_out, d->segs_out);
			__sync_fetch_and_add(&pr->segs_in, d->segs_in);
		}
	}
}

/* How much of cur is new over *seen, moving *seen on to cur (never back).
 * Bytes are u64 and only grow; segments are u32 in tcp_sock, so their
 * difference is taken mod 2^32 (a wrap between two readings is counted
 * right).
 *
 * Who moves *seen: the iterator (for an open socket) and the CLOSE (once).
 * bpf_iter_tcp_seq_show() runs the iterator under lock_sock() (6.4 on;
 * lock_sock_fast() before) and skips a socket already unhashed, which a
 * socket is from its CLOSE on (tcp_set_state() unhashes it right after the
 * tracepoint, under the same lock): so the iterator and the CLOSE of one
 * socket never overlap, nor two iterators (two front-ends reading at once)
 * on one socket.  The bucket table's programs still use an exchange (the
 * CLOSE) and a compare-and-swap (the iterator), so that a path that ever
 * broke that rule would count a byte once, late, rather than twice; the
 * hash's programs must load where BPF has no such atomics, and rely on the
 * lock alone. */
static __always_inline __u64 take64(bool atomics, __u64 *seen, __u64 cur, bool at_close)
{
	__u64 old;

	if (atomics && at_close) {
		old = __sync_lock_test_and_set(seen, cur);
		return cur > old ? cur - old : 0;
	}
	old = *seen;
	if (cur <= old)
		return 0;
	if (!atomics)
		*seen = cur;
	else if (__sync_val_compare_and_swap(seen, old, cur) != old)
		return 0; /* moved by another reader meanwhile: it counted that */
	return cur - old;
}

/* The segment counts: both halves of the word at once, each difference
 * mod 2^32; a word that would move either half back is left alone. */
static __always_inline void take_segs(bool atomics, __u64 *seen, const struct traffic *cur,
				      struct traffic *d, bool at_close)
{
	__u64 now = (cur->segs_out & 0xffffffffULL) | (cur->segs_in << 32), old;
	__s32 dout, din;

	d->segs_out = d->segs_in = 0;
	if (atomics && at_close)
		old = __sync_lock_test_and_set(seen, now);
	else
		old = *seen;
	dout = (__s32)((__u32)now - (__u32)old);
	din = (__s32)((__u32)(now >> 32) - (__u32)(old >> 32));
	if (!(atomics && at_close)) {
		if (dout < 0 || din < 0 || (dout | din) == 0)
			return;
		if (!atomics)
			*seen = now;
		else if (__sync_val_compare_and_swap(seen, old, now) != old)
			return;
	}
	d->segs_out = dout > 0 ? (__u64)dout : 0;
	d->segs_in = din > 0 ? (__u64)din : 0;
}

static __always_inline void seen_delta(bool atomics, struct sock_seen *seen,
				       const struct traffic *cur, struct traffic *d, bool at_close)
{
	d->sent = take64(atomics, &seen->sent, cur->sent, at_close);
	d->rcvd = take64(atomics, &seen->rcvd, cur->rcvd, at_close);
	take_segs(atomics, &seen->segs, cur, d, at_close);
}

/* Entering CLOSE: what the iterator has not counted of the socket's totals
 * goes into the byte and segment counters (and its port and peer rows);
 * all of it for a socket the tracker does not know (r NULL).  A socket
 * whose birth we saw gets a lifetime sample. */
static __always_inline void on_close(bool btf, bool buckets, struct ebs_tcp_stats *st,
				     const struct sock *sk, __u64 key, const struct sock_ref *r,
				     int *lport)
{
	struct sock_seen *seen = r ? sock_seen(buckets, key, r) : 0;
	struct traffic cur, d;

	st->closes++;
	traffic_read(btf, tcp_of(btf, sk), &cur);
	if (seen)
		seen_delta(buckets, seen, &cur, &d, true);
	else
		d = cur;
	account(btf, st, sk, r, lport, &d);
	if (r && *r->born_ns) {
		__u64 now = bpf_ktime_get_ns(), born = *r->born_ns;

		if (now > born)
			st->lifetime[ebs_hist_bucket((now - born) / 1000000)]++;
	}
}

/* A connection's RTT as it ends: its smoothed RTT when it leaves
 * ESTABLISHED (for FIN_WAIT1 or CLOSE_WAIT, or CLOSE on a reset), tracked
 * or not. */
static __always_inline void rtt_at_end(bool btf, struct ebs_tcp_stats *st, const struct sock *sk)
{
	const struct tcp_sock *tp = tcp_of(btf, sk);

	if (tp)
		rtt_add(st, RD(btf, tp, srtt_us), true);
}

/* buckets: a constant, which tracker this program uses (see tcp_sockbkts). */
static __always_inline int on_state(bool btf, bool buckets, const struct sock *sk, __u64 old,
				    __u64 newstate, int lport)
{
	struct ebs_tcp_stats *st = stats();
	struct sock_seen *seen;
	struct sock_ref r;
	__u64 key, now;
	bool birth, had;

	if (!st)
		return 0;
	/* two tests on 64-bit values, kept apart: clang folds them into one
	 * subtraction whose bound the verifier cannot carry back to the
	 * indexes */
	if (old >= EBS_TCP_STATE_ROWS || newstate >= EBS_TCP_STATE_ROWS) {
		st->other_states++;
		return 0;
	}
	barrier_var(old);
	barrier_var(newstate);
	if (old == 0 || newstate == 0) {
		st->other_states++;
		return 0;
	}
	st->trans[old][newstate]++;
	if (!rtt_segments && old == TCP_ESTABLISHED)
		rtt_at_end(btf, st, sk);
	/* tcpAttemptFails (RFC 4022).  Full sockets only: Linux keeps a
	 * passive open in a request socket (NEW_SYN_RECV) until the
	 * handshake completes, and those never come through here; only Fast
	 * Open children are full sockets in SYN_RECV. */
	if ((newstate == TCP_CLOSE && (old == TCP_SYN_SENT || old == TCP_SYN_RECV)) ||
	    (newstate == TCP_LISTEN && old == TCP_SYN_RECV))
		st->attempt_fails++;
	if (newstate == TCP_ESTABLISHED && old == TCP_SYN_SENT) {
		struct ebs_tcp_peer *pr;

		st->active_opens++;
		ebs_cg_tcp_open(btf, sk, false);
		pr = peer_row(btf, st, sk, false, 0, true);
		if (pr)
			pr->connects++;
	} else if (newstate == TCP_ESTABLISHED && old == TCP_SYN_RECV) {
		struct ebs_tcp_port *p;
		struct ebs_tcp_peer *pr;

		st->passive_opens++;
		ebs_cg_tcp_open(btf, sk, true);
		p = port_row(st, lport_get(btf, sk, &lport), true);
		if (p)
			p->accepts++;
		pr = peer_row(btf, st, sk, true, lport_get(btf, sk, &lport), true);
		if (pr)
			pr->connects++;
	} else if (newstate == TCP_LISTEN) {
		/* 0 when listen() picks the port itself: that happens after
		 * this event, and the first passive open adds the row */
		port_row(st, lport_get(btf, sk, &lport), true);
	}

	key = sock_key(btf, buckets, sk);
	if (newstate == TCP_CLOSE) {
		/* CLOSE is where a socket's life ends: no live count for it */
		if (!sock_find(buckets, key, &r)) {
			on_close(btf, buckets, st, sk, key, NULL, &lport);
			return 0;
		}
		on_close(btf, buckets, st, sk, key, &r, &lport);
		if (r.m->state < EBS_TCP_STATE_ROWS)
			st->sockets[r.m->state]--;
		sock_release(buckets, &r, key);
		return 0;
	}
	birth = old == TCP_CLOSE || (old == TCP_LISTEN && newstate == TCP_SYN_RECV);
	if (birth || !sock_find(buckets, key, &r)) {
		/* A socket being born has no slot (it gave it back at its
		 * CLOSE) unless we missed that CLOSE (the kernel skips a
		 * tracing program that an interrupt re-enters) and a new
		 * socket took the address: that slot is taken over.  A
		 * socket older than the programs is tracked from its first
		 * transition on, without a lifetime sample. */
		if (!sock_insert(buckets, key, &r, &had)) {
			/* not tracked, so not counted: a count we could never
			 * take back would drift upward for ever */
			st->socket_overflows++;
			return 0;
		}
		if (had && r.m->state < EBS_TCP_STATE_ROWS)
			st->sockets[r.m->state]--;
		/* nothing of this socket counted yet (a slot keeps the seen
		 * values of its last socket until the next one takes it) */
		seen = sock_seen(buckets, key, &r);
		if (seen)
			__builtin_memset(seen, 0, sizeof(*seen));
		*r.born_ns = birth ? bpf_ktime_get_ns() : 0;
		r.m->state = newstate;
		r.m->passive = newstate == TCP_SYN_RECV || old == TCP_SYN_RECV;
		/* only a child needs its port kept (see on_close) */
		r.m->lport = r.m->passive ? lport_get(btf, sk, &lport) : 0;
		st->sockets[newstate]++;
		return 0;
	}
	/* the state we counted it in, which is old unless an event was lost */
	if (r.m->state < EBS_TCP_STATE_ROWS)
		st->sockets[r.m->state]--;
	st->sockets[newstate]++;
	r.m->state = newstate;
	/* connect latency: a client's birth is its SYN_SENT */
	if (old == TCP_SYN_SENT && newstate == TCP_ESTABLISHED && *r.born_ns) {
		now = bpf_ktime_get_ns();
		if (now > *r.born_ns)
			st->connect[ebs_hist_bucket(now - *r.born_ns)]++;
	}
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
	ebs_cg_tcp_retransmit(btf, sk);
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
	ebs_cg_tcp_reset(btf, sk);
	p = port_row(st, sk_lport(btf, sk), false);
	if (p)
		p->resets++;
	pr = peer_of(btf, st, sk);
	if (pr)
		pr->resets++;
	return 0;
}

/* tcp_probe runs for every segment received on an established socket,
 * and is attached only with tcp_rtt_per_segment (rtt_segments; the test
 * here is for a program loaded by hand).  The sampling test comes before
 * any read, so a sampled-out event costs one helper call (none at 100 %)
 * and no map lookup; a sampled one, the tcp_sock cast (tp_btf) or a probe
 * read (raw_tp), and the per-CPU stats element, an inlined lookup. */
static __always_inline bool rtt_sampled(void)
{
	return rtt_segments && (sample_rate >= 100 || bpf_get_prandom_u32() % 100 < sample_rate);
}

/* srtt_us: 0 when no RTT is measured on this socket yet (rtt_add()). */
static __always_inline int on_rtt(__u32 srtt_us)
{
	struct ebs_tcp_stats *st;

	if (srtt_us < 8)
		return 0;
	st = stats();
	if (st)
		rtt_add(st, srtt_us, false);
	return 0;
}

static __always_inline int rtt_from_sock(bool btf, const struct sock *sk)
{
	const struct tcp_sock *tp;

	if (!rtt_sampled())
		return 0;
	tp = tcp_of(btf, sk);
	if (!tp)
		return 0;
	return on_rtt(RD(btf, tp, srtt_us));
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

static __always_inline int state_from_sock(bool btf, bool buckets, const struct sock *sk, int old,
					   int newstate)
{
	if (!is_tcp(btf, sk))
		return 0;
	return on_state(btf, buckets, sk, (__u32)old, (__u32)newstate, LPORT_UNREAD);
}

/* ---- sock:inet_sock_set_state ---------------------------------------- */

/* The record carries protocol and the local port (sport, host order). */
static __always_inline int state_from_record(bool buckets,
					     struct trace_event_raw_inet_sock_set_state *ctx)
{
	if (ctx->protocol != IPPROTO_TCP)
		return 0;
	return on_state(false, buckets, (const struct sock *)ctx->skaddr, (__u32)ctx->oldstate,
			(__u32)ctx->newstate, ctx->sport);
}

/* Each flavour twice: with the bucket table, and *_hash with the hash for
 * kernels without BPF compare-and-swap (user space loads one). */
EBS_HOOK(sock, inet_sock_set_state, (const struct sock *sk, int oldstate, int newstate),
	 state_from_sock(btf, true, sk, oldstate, newstate),
	 struct trace_event_raw_inet_sock_set_state *, state_from_record(true, ctx))

EBS_HOOK_SFX(sock, inet_sock_set_state, _hash, (const struct sock *sk, int oldstate, int newstate),
	     state_from_sock(btf, false, sk, oldstate, newstate),
	     struct trace_event_raw_inet_sock_set_state *, state_from_record(false, ctx))

/* ---- iter/tcp: live bytes and segments -------------------------------- */

/* Run by user space at each snapshot (bpf_iter_create + read to the end),
 * never by traffic: per packet nothing changes.  Each tracked socket's
 * counters move by what it sent and received since the last run (or since
 * its birth); its CLOSE adds only the rest (take64(), take_segs()).  Listeners carry
 * no bytes; time-wait and request sockets are no tcp_sock (their full
 * socket was counted at its CLOSE).  buckets: which tracker, a constant,
 * as in the state programs (the hash's twin holds no atomics).
 *
 * What the reader gets: the local port (u16, host order) of every listener
 * and of every tracked server-side socket, so that it knows which port rows
 * still serve something (stale rows, tcp_row_idle_timeout).
 *
 * Each tracked established connection also gives an RTT sample
 * (rtt_live()). */

/* A live connection's smoothed RTT, at most once per RTT_LIVE_GAP_NS
 * however many readers run the iterator (collectd, the agent, the CLI on
 * the same pins): the time of its last sample is kept with its seen
 * values.  Two iterators never run on one socket at once (see take64());
 * the bucket table's programs still claim the sample with a
 * compare-and-swap, as there. */
static __always_inline void rtt_live(bool atomics, struct ebs_tcp_stats *st, struct sock_seen *seen,
				     const struct tcp_sock *tp)
{
	__u64 now = bpf_ktime_get_ns(), last = seen->rtt_ns;

	if (last && now - last < RTT_LIVE_GAP_NS)
		return;
	if (!atomics)
		seen->rtt_ns = now;
	else if (__sync_val_compare_and_swap(&seen->rtt_ns, last, now) != last)
		return;
	rtt_add(st, tp->srtt_us, true);
}

static __always_inline int iter_sock(bool buckets, struct seq_file *seq, struct sock_common *skc)
{
	struct ebs_tcp_stats *st = stats();
	struct sock_seen *seen;
	struct traffic cur, d;
	const struct tcp_sock *tp;
	const struct sock *sk;
	int lport = LPORT_UNREAD;
	struct sock_ref r;
	__u16 port;
	__u64 key;

	if (!st || !skc)
		return 0;
	tp = bpf_skc_to_tcp_sock(skc);
	if (!tp)
		return 0;
	sk = (const struct sock *)tp;
	if (sk->__sk_common.skc_state == TCP_LISTEN) {
		port = sk->__sk_common.skc_num;
		bpf_seq_write(seq, &port, sizeof(port));
		return 0;
	}
	key = sock_key(true, buckets, sk);
	if (!sock_find(buckets, key, &r))
		return 0;
	if (r.m->passive) {
		port = r.m->lport ? r.m->lport : sk->__sk_common.skc_num;
		bpf_seq_write(seq, &port, sizeof(port));
	}
	seen = sock_seen(buckets, key, &r);
	if (!seen)
		return 0;
	traffic_read(true, tp, &cur);
	seen_delta(buckets, seen, &cur, &d, false);
	account(true, st, sk, &r, &lport, &d);
	if (!rtt_segments && sk->__sk_common.skc_state == TCP_ESTABLISHED)
		rtt_live(buckets, st, seen, tp);
	return 0;
}

SEC("iter/tcp")
int tcp_iter(struct bpf_iter__tcp *ctx)
{
	return iter_sock(true, ctx->meta->seq, ctx->sk_common);
}

SEC("iter/tcp")
int tcp_iter_hash(struct bpf_iter__tcp *ctx)
{
	return iter_sock(false, ctx->meta->seq, ctx->sk_common);
}

/* ---- tcp:tcp_retransmit_skb ------------------------------------------- */

/* ctx[2] (err) is only read where the event has it: on older kernels the
 * branch is dead and the verifier never sees the access. */
static __always_inline int retransmit_from_args(bool btf, unsigned long long *ctx,
						const struct sock *sk)
{
	if (retrans_has_err() && (int)ctx[2] != 0)
		return 0;
	return on_retransmit(btf, sk);
}

static __always_inline int retransmit_from_record(void *ctx)
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

EBS_HOOK(tcp, tcp_retransmit_skb, (const struct sock *sk), retransmit_from_args(btf, ctx, sk),
	 void *, retransmit_from_record(ctx))

/* ---- tcp:tcp_send_reset ----------------------------------------------- */

static __always_inline int reset_sent_from_record(void *ctx)
{
	const void *sk;

	if (bpf_core_type_exists(struct trace_event_raw_tcp_send_reset___ebs))
		sk = BPF_CORE_READ((struct trace_event_raw_tcp_send_reset___ebs *)ctx, skaddr);
	else
		sk = BPF_CORE_READ((struct trace_event_raw_tcp_event_sk_skb___ebs *)ctx, skaddr);
	return on_reset(false, sk, true);
}

/* Only sk: later arguments changed across versions (reason since 6.10). */
EBS_HOOK(tcp, tcp_send_reset, (const struct sock *sk), on_reset(btf, sk, true), void *,
	 reset_sent_from_record(ctx))

/* ---- tcp:tcp_receive_reset -------------------------------------------- */

EBS_HOOK(tcp, tcp_receive_reset, (const struct sock *sk), on_reset(btf, sk, false),
	 struct trace_event_raw_tcp_event_sk *, on_reset(false, ctx->skaddr, false))

/* ---- tcp:tcp_probe ---------------------------------------------------- */

/* The record's srtt is already srtt_us >> 3. */
static __always_inline int rtt_from_record(struct trace_event_raw_tcp_probe *ctx)
{
	if (!rtt_sampled())
		return 0;
	return on_rtt(ctx->srtt << 3);
}

EBS_HOOK(tcp, tcp_probe, (const struct sock *sk), rtt_from_sock(btf, sk),
	 struct trace_event_raw_tcp_probe *, rtt_from_record(ctx))

char LICENSE[] SEC("license") = "GPL";
