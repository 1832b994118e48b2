/* TCP module: sock:inet_sock_set_state feeds the transition matrix, opens,
 * closes, connect latency, lifetimes, bytes of closed sockets and a live
 * count per state (of the sockets seen since load); tcp:tcp_retransmit_skb,
 * tcp_send_reset and tcp_receive_reset count what they say; smoothed RTTs
 * come per connection from the state changes and the iterator, or with
 * tcp_rtt_per_segment per segment from tcp:tcp_probe.  Listening services get a row per local port.
 * read() sums the per-CPU counters and walks the port table. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "module.h"
#include "tcp.h"
#include "tcp.skel.h"

_Static_assert(sizeof(struct ebs_tcp_stats) % sizeof(uint64_t) == 0,
	       "ebs_tcp_stats is summed as u64 words");
_Static_assert(sizeof(struct ebs_tcp_port) % sizeof(uint64_t) == 0,
	       "ebs_tcp_port is summed as u64 words");
_Static_assert(EBS_HIST_SLOTS == sizeof(((struct ebs_hist *)0)->slot) / sizeof(uint64_t),
	       "kernel and snapshot histograms differ in size");
_Static_assert(sizeof(struct ebs_tcp_peer) % sizeof(uint64_t) == 0,
	       "ebs_tcp_peer is summed as u64 words");
_Static_assert(EBS_TCP_PEER_OUT == EBS_PEER_OUT && EBS_TCP_PEER_IN == EBS_PEER_IN,
	       "kernel and snapshot peer directions differ");
_Static_assert(EBS_TCP_STATE_ROWS == EBS_TCP_NSTATES + 1,
	       "kernel state rows and snapshot states differ");

#define TCP_STATS_WORDS (sizeof(struct ebs_tcp_stats) / sizeof(uint64_t))
#define TCP_PORT_WORDS (sizeof(struct ebs_tcp_port) / sizeof(uint64_t))
#define TCP_PEER_WORDS (sizeof(struct ebs_tcp_peer) / sizeof(uint64_t))
#define NPORTS 65536

enum { MAP_STATS, MAP_PORTS, MAP_PEERS, MAP_CG, MAP_CG_LAST = MAP_CG + EBS_CGM_COUNT - 1 };

/* Whether this kernel's BPF has compare-and-swap (5.12), which the bucket
 * table's state programs use: a program of one such instruction, loaded.
 * EBPFSTATS_TEST_HASH_STATE forces the hash, so tests can run it on any
 * kernel. */
static bool sock_buckets_usable(void)
{
	static int known = -1;

	if (ebs_test_flag("EBPFSTATS_TEST_HASH_STATE"))
		return false;
	if (known < 0) {
		const struct bpf_insn prog[] = {
			/* *(u64 *)(r10 - 8) = 0; r0 = 0; r1 = 1 */
			{.code = BPF_ST | BPF_MEM | BPF_DW, .dst_reg = BPF_REG_10, .off = -8},
			{.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0},
			{.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_1, .imm = 1},
			/* r0 = cmpxchg((u64 *)(r10 - 8), r0, r1) */
			{.code = BPF_STX | BPF_ATOMIC | BPF_DW,
			 .dst_reg = BPF_REG_10,
			 .src_reg = BPF_REG_1,
			 .off = -8,
			 .imm = BPF_CMPXCHG},
			{.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0},
			{.code = BPF_JMP | BPF_EXIT},
		};
		int fd = bpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, "ebs_cmpxchg", "GPL", prog,
				       sizeof(prog) / sizeof(prog[0]), NULL);

		known = fd >= 0;
		if (fd >= 0)
			close(fd);
	}
	return known == 1;
}

/* ---- stale rows (tcp_row_idle_timeout) --------------------------------
 * What read() keeps across snapshots: when each port row's port was last
 * served (a listener or a server-side socket on it, which the iterator
 * prints), and when each peer row's counters last moved.  Both lists are
 * sorted as the snapshot's rows are, so each read merges them in one pass.
 * A row idle past the timeout leaves the snapshot, not the kernel: it
 * comes back, counters continued, once its port serves or its peer talks
 * again. */
struct port_seen {
	uint32_t port;
	uint64_t live_ms;
};

struct peer_seen {
	struct ebs_tcp_peer_row key; /* dir, addr_type, addr, port */
	uint64_t total, moved_ms;
};

struct tcp_reader {
	unsigned char live[NPORTS / 8]; /* ports the last iterator run saw served */
	bool have_live;			/* that run happened */
	unsigned char carry;		/* half a port across two reads */
	bool has_carry;
	struct port_seen *ports;
	uint32_t n_ports;
	struct peer_seen *peers;
	uint32_t n_peers;
};

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* The iterator prints a u16 port (host order) per served socket. */
static void live_sink(void *ctx, const void *buf, size_t n)
{
	struct tcp_reader *rd = ctx;
	const unsigned char *p = buf;

	while (n > 0) {
		unsigned char two[2];
		uint16_t port;

		if (rd->has_carry) {
			two[0] = rd->carry;
			two[1] = *p++;
			n--;
			rd->has_carry = false;
		} else if (n == 1) {
			rd->carry = *p;
			rd->has_carry = true;
			return;
		} else {
			two[0] = p[0];
			two[1] = p[1];
			p += 2;
			n -= 2;
		}
		memcpy(&port, two, sizeof(port));
		rd->live[port / 8] |= (unsigned char)(1u << (port % 8));
	}
}

static void reader_free(struct tcp_reader *rd)
{
	if (!rd)
		return;
	free(rd->ports);
	free(rd->peers);
	free(rd);
}

/* Drops port rows whose port nothing served for idle_ms (0: none).  Rows
 * ascending by port. */
static int prune_ports(struct tcp_reader *rd, struct ebs_snapshot *s, uint64_t now,
		       uint64_t idle_ms)
{
	struct port_seen *seen = s->n_tcp_ports ? calloc(s->n_tcp_ports, sizeof(*seen)) : NULL;
	uint32_t j = 0, w = 0;

	if (s->n_tcp_ports && !seen)
		return -1;
	for (uint32_t i = 0; i < s->n_tcp_ports; i++) {
		uint32_t port = s->tcp_ports[i].port;
		uint64_t last = now;

		while (j < rd->n_ports && rd->ports[j].port < port)
			j++;
		/* without an iterator run nothing is known to be stale */
		if (rd->have_live && !((rd->live[port / 8] >> (port % 8)) & 1) && j < rd->n_ports &&
		    rd->ports[j].port == port)
			last = rd->ports[j].live_ms;
		seen[i] = (struct port_seen){port, last};
		if (idle_ms && now - last > idle_ms)
			continue;
		s->tcp_ports[w++] = s->tcp_ports[i];
	}
	free(rd->ports);
	rd->ports = seen;
	rd->n_ports = s->n_tcp_ports;
	s->n_tcp_ports = w;
	return 0;
}

static int cmp_peer_row(const struct ebs_tcp_peer_row *x, const struct ebs_tcp_peer_row *y)
{
	int c;

	if (x->dir != y->dir)
		return x->dir < y->dir ? -1 : 1;
	if (x->addr_type != y->addr_type)
		return x->addr_type < y->addr_type ? -1 : 1;
	c = memcmp(x->addr, y->addr, sizeof(x->addr));
	if (c)
		return c;
	return x->port < y->port ? -1 : x->port > y->port;
}

static uint64_t peer_total(const struct ebs_tcp_peer_row *r)
{
	return r->connects + r->retransmits + r->resets + r->bytes_in + r->bytes_out + r->segs_in +
	       r->segs_out;
}

/* Drops peer rows none of whose counters moved for idle_ms (0: none).
 * Rows in their SNMP index order (read_peers). */
static int prune_peers(struct tcp_reader *rd, struct ebs_snapshot *s, uint64_t now,
		       uint64_t idle_ms)
{
	struct peer_seen *seen = s->n_tcp_peers ? calloc(s->n_tcp_peers, sizeof(*seen)) : NULL;
	uint32_t j = 0, w = 0;

	if (s->n_tcp_peers && !seen)
		return -1;
	for (uint32_t i = 0; i < s->n_tcp_peers; i++) {
		const struct ebs_tcp_peer_row *r = &s->tcp_peers[i];
		uint64_t total = peer_total(r), moved = now;

		while (j < rd->n_peers && cmp_peer_row(&rd->peers[j].key, r) < 0)
			j++;
		if (j < rd->n_peers && cmp_peer_row(&rd->peers[j].key, r) == 0 &&
		    rd->peers[j].total == total)
			moved = rd->peers[j].moved_ms;
		seen[i].key = *r;
		seen[i].total = total;
		seen[i].moved_ms = moved;
		if (idle_ms && now - moved > idle_ms)
			continue;
		s->tcp_peers[w++] = *r;
	}
	free(rd->peers);
	rd->peers = seen;
	rd->n_peers = s->n_tcp_peers;
	s->n_tcp_peers = w;
	return 0;
}

static void tcp_destroy(struct ebs_module *m)
{
	tcp_bpf__destroy(m->skel);
	m->skel = NULL;
	reader_free(m->priv);
	m->priv = NULL;
}

static struct bpf_object *tcp_open(struct ebs_module *m, const struct ebs_config *cfg, char *err,
				   size_t errlen)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts,
		    .btf_custom_path = cfg->btf_path[0] ? cfg->btf_path : NULL);
	struct tcp_bpf *skel = tcp_bpf__open_opts(&opts);
	unsigned rate = cfg->sample_rate;
	uint32_t buckets;
	int rc;

	if (!skel) {
		snprintf(err, errlen, "opening the tcp BPF object failed: %s", strerror(errno));
		return NULL;
	}
	m->skel = skel;
	if (rate < 1)
		rate = 1;
	if (rate > 100)
		rate = 100;
	skel->rodata->sample_rate = rate;
	skel->rodata->rtt_segments = cfg->tcp_rtt_seg;
	/* The socket tracker (tcp.bpf.c): the bucket table where BPF has
	 * compare-and-swap, a bucket of three slots per socket, as many
	 * buckets as max_sockets rounded up to a power of two (the kernel
	 * side masks its hashes with buckets - 1); else the hash, with the
	 * state programs that use it. */
	buckets = 1;
	while (buckets < cfg->max_sockets && buckets < (1u << 30))
		buckets <<= 1;
	m->alt = !sock_buckets_usable();
	skel->rodata->sock_buckets = !m->alt;
	skel->rodata->sock_bucket_mask = buckets - 1;
	rc = bpf_map__set_autocreate(skel->maps.tcp_sockbkts, !m->alt);
	if (rc == 0)
		rc = bpf_map__set_autocreate(skel->maps.tcp_sockseen, !m->alt);
	if (rc == 0)
		rc = bpf_map__set_autocreate(skel->maps.tcp_socks, m->alt);
	if (rc == 0)
		rc = m->alt ? bpf_map__set_max_entries(skel->maps.tcp_socks,
						       cfg->max_sockets ? cfg->max_sockets : 1)
			    : bpf_map__set_max_entries(skel->maps.tcp_sockbkts, buckets);
	if (rc == 0 && !m->alt)
		rc = bpf_map__set_max_entries(skel->maps.tcp_sockseen, buckets);
	if (rc < 0) {
		snprintf(err, errlen, "sizing the socket tracker to max_sockets %u failed: %s",
			 cfg->max_sockets, strerror(-rc));
		tcp_destroy(m);
		return NULL;
	}
	rc = bpf_map__set_max_entries(skel->maps.tcp_ports, cfg->max_ports ? cfg->max_ports : 1);
	if (rc < 0) {
		snprintf(err, errlen, "sizing tcp_ports to max_ports %u failed: %s", cfg->max_ports,
			 strerror(-rc));
		tcp_destroy(m);
		return NULL;
	}
	/* the peer table shares the port table's bound (map_sizes.ports); with
	 * collect_tcp_peers off its code is pruned and it keeps one entry,
	 * never used, so that every build has the same maps to pin and read */
	skel->rodata->count_peers = cfg->tcp_peers;
	rc = bpf_map__set_max_entries(skel->maps.tcp_peers,
				      cfg->tcp_peers && cfg->max_ports ? cfg->max_ports : 1);
	if (rc < 0) {
		snprintf(err, errlen, "sizing tcp_peers to max_ports %u failed: %s", cfg->max_ports,
			 strerror(-rc));
		tcp_destroy(m);
		return NULL;
	}
	if (ebs_cg_setup(skel->obj, "tcp", EBS_CG_KNOBS(skel->rodata), cfg, err, errlen) < 0) {
		tcp_destroy(m);
		return NULL;
	}
	return skel->obj;
}

static int tcp_load(struct ebs_module *m)
{
	struct tcp_bpf *skel = m->skel;

	if (tcp_bpf__load(skel) < 0)
		return -1;
	return ebs_cg_load(skel->obj, "tcp");
}

static uint32_t map_capacity(int fd)
{
	struct bpf_map_info info;
	uint32_t len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len) < 0 || info.max_entries == 0)
		return 0;
	return info.max_entries;
}

static void port_row(struct ebs_tcp_port_row *row, uint32_t port, const uint64_t *sum)
{
	struct ebs_tcp_port v;

	memcpy(&v, sum, sizeof(v));
	row->port = port;
	row->accepts = v.accepts;
	row->resets = v.resets;
	row->retransmits = v.retransmits;
	row->bytes_in = v.bytes_in;
	row->bytes_out = v.bytes_out;
	row->segs_in = v.segs_in;
	row->segs_out = v.segs_out;
}

static int cmp_port_row(const void *a, const void *b)
{
	const struct ebs_tcp_port_row *x = a, *y = b;

	return x->port < y->port ? -1 : x->port > y->port;
}

/* tcp_ports key by key, for kernels without batch operations on this map.
 * The table changes while we walk it; get_next_key restarts from the first
 * key when ours was evicted meanwhile, so seen ports are remembered in a
 * bitmap and the walk is bounded. */
static int walk_ports(struct ebs_module *m, struct ebs_snapshot *s, uint64_t *entries, char *err,
		      size_t errlen)
{
	int fd = m->map_fd[MAP_PORTS];
	uint64_t sum[TCP_PORT_WORDS];
	unsigned char *seen = calloc(NPORTS / 8, 1);
	uint32_t n = 0, walked = 0;
	__u16 key, next;
	int rc = -1, r;

	if (!seen) {
		snprintf(err, errlen, "out of memory walking tcp_ports");
		return -1;
	}
	r = bpf_map_get_next_key(fd, NULL, &next);
	while (r == 0 && walked++ < 2 * NPORTS) {
		seen[next / 8] |= (unsigned char)(1u << (next % 8));
		key = next;
		r = bpf_map_get_next_key(fd, &key, &next);
	}
	if (r < 0 && r != -ENOENT) {
		snprintf(err, errlen, "walking tcp_ports failed: %s", strerror(-r));
		goto out;
	}
	for (uint32_t p = 0; p < NPORTS; p++)
		n += (seen[p / 8] >> (p % 8)) & 1;
	*entries = n;
	if (!n) {
		rc = 0;
		goto out;
	}
	s->tcp_ports = calloc(n, sizeof(*s->tcp_ports));
	if (!s->tcp_ports) {
		snprintf(err, errlen, "out of memory for %u tcp port rows", n);
		goto out;
	}
	n = 0;
	for (uint32_t p = 0; p < NPORTS; p++) {
		if (!((seen[p / 8] >> (p % 8)) & 1))
			continue;
		key = (__u16)p;
		r = ebs_percpu_sum(fd, &key, sizeof(struct ebs_tcp_port), m->ncpus, sum,
				   TCP_PORT_WORDS);
		if (r == -ENOENT)
			continue; /* evicted since the walk */
		if (r < 0) {
			snprintf(err, errlen, "reading tcp_ports[%u] failed: %s", p, strerror(-r));
			goto out;
		}
		port_row(&s->tcp_ports[n++], p, sum);
	}
	s->n_tcp_ports = n;
	rc = 0;
out:
	free(seen);
	return rc;
}

/* Sums every key of tcp_ports into rows ascending by port, with batch
 * lookups where the kernel has them (a 10 000-port table in ~3 ms instead
 * of ~30 ms here; bench/RESULTS.md).  *entries gets the number of keys. */
static int read_ports(struct ebs_module *m, struct ebs_snapshot *s, uint64_t *entries, char *err,
		      size_t errlen)
{
	int fd = m->map_fd[MAP_PORTS];
	uint32_t cap = map_capacity(fd);
	__u16 *keys = calloc(cap ? cap : 1, sizeof(*keys));
	uint64_t *sums = calloc(cap ? cap : 1, TCP_PORT_WORDS * sizeof(uint64_t));
	int n, rc = -1;

	*entries = 0;
	if (!keys || !sums) {
		snprintf(err, errlen, "out of memory reading tcp_ports");
		goto out;
	}
	n = ebs_percpu_map_read(fd, sizeof(*keys), sizeof(struct ebs_tcp_port), m->ncpus, cap, keys,
				sums, TCP_PORT_WORDS);
	if (n == -EOPNOTSUPP) {
		rc = walk_ports(m, s, entries, err, errlen);
		goto out;
	}
	if (n < 0) {
		snprintf(err, errlen, "reading tcp_ports failed: %s", strerror(-n));
		goto out;
	}
	*entries = (uint64_t)n;
	rc = 0;
	if (n == 0)
		goto out;
	s->tcp_ports = calloc((size_t)n, sizeof(*s->tcp_ports));
	if (!s->tcp_ports) {
		snprintf(err, errlen, "out of memory for %d tcp port rows", n);
		rc = -1;
		goto out;
	}
	for (int i = 0; i < n; i++)
		port_row(&s->tcp_ports[i], keys[i], sums + (size_t)i * TCP_PORT_WORDS);
	qsort(s->tcp_ports, (size_t)n, sizeof(*s->tcp_ports), cmp_port_row);
	s->n_tcp_ports = (uint32_t)n;
out:
	free(keys);
	free(sums);
	return rc;
}

static int cmp_peer_key(const void *a, const void *b)
{
	const struct ebs_tcp_peer_key *x = a, *y = b;

	if (x->dir != y->dir)
		return x->dir < y->dir ? -1 : 1;
	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	int c = memcmp(x->addr, y->addr, sizeof(x->addr));
	if (c)
		return c;
	return x->port < y->port ? -1 : x->port > y->port;
}

/* A key and its sum, sorted together. */
struct peer_read {
	struct ebs_tcp_peer_key key;
	uint64_t sum[TCP_PEER_WORDS];
};

static int cmp_peer_read(const void *a, const void *b)
{
	return cmp_peer_key(&((const struct peer_read *)a)->key,
			    &((const struct peer_read *)b)->key);
}

/* tcp_peers key by key into p (room for cap), for kernels without batch
 * operations.  A walk restarted by an eviction is bounded (twice the table
 * size); the caller drops duplicates.  Returns entries read or -errno. */
static int walk_peers(int fd, int ncpus, uint32_t cap, struct peer_read *p)
{
	struct ebs_tcp_peer_key key, next;
	uint32_t n = 0, walked = 0, w = 0;
	int r = bpf_map_get_next_key(fd, NULL, &next);

	while (r == 0 && n < cap && walked++ < 2 * cap) {
		p[n++].key = next;
		key = next;
		r = bpf_map_get_next_key(fd, &key, &next);
	}
	if (r < 0 && r != -ENOENT)
		return r;
	for (uint32_t i = 0; i < n; i++) {
		r = ebs_percpu_sum(fd, &p[i].key, sizeof(struct ebs_tcp_peer), ncpus, p[w].sum,
				   TCP_PEER_WORDS);
		if (r == -ENOENT)
			continue; /* evicted since the walk */
		if (r < 0)
			return r;
		p[w].key = p[i].key;
		w++;
	}
	return (int)w;
}

/* tcp_peers into rows sorted by direction, family, address, port (batch
 * lookups where the kernel has them): the order of their SNMP index.
 * *entries gets the number of distinct keys. */
static int read_peers(struct ebs_module *m, struct ebs_snapshot *s, uint64_t *entries, char *err,
		      size_t errlen)
{
	int fd = m->map_fd[MAP_PEERS];
	uint32_t cap = map_capacity(fd), w = 0;
	struct ebs_tcp_peer_key *keys = NULL;
	uint64_t *sums = NULL;
	struct peer_read *p;
	int n, rc = -1;

	*entries = 0;
	if (!cap) {
		snprintf(err, errlen, "inspecting tcp_peers failed: %s", strerror(errno));
		return -1;
	}
	p = calloc(cap, sizeof(*p));
	keys = calloc(cap, sizeof(*keys));
	sums = calloc(cap, TCP_PEER_WORDS * sizeof(uint64_t));
	if (!p || !keys || !sums) {
		snprintf(err, errlen, "out of memory reading tcp_peers");
		goto out;
	}
	n = ebs_percpu_map_read(fd, sizeof(*keys), sizeof(struct ebs_tcp_peer), m->ncpus, cap, keys,
				sums, TCP_PEER_WORDS);
	if (n >= 0) {
		for (int i = 0; i < n; i++) {
			p[i].key = keys[i];
			memcpy(p[i].sum, sums + (size_t)i * TCP_PEER_WORDS, sizeof(p[i].sum));
		}
	} else if (n == -EOPNOTSUPP) {
		n = walk_peers(fd, m->ncpus, cap, p);
	}
	if (n < 0) {
		snprintf(err, errlen, "reading tcp_peers failed: %s", strerror(-n));
		goto out;
	}
	qsort(p, (size_t)n, sizeof(*p), cmp_peer_read);
	for (int i = 0; i < n; i++)
		if (w == 0 || cmp_peer_key(&p[w - 1].key, &p[i].key) != 0)
			p[w++] = p[i];
	*entries = w;
	rc = 0;
	if (!w)
		goto out;
	s->tcp_peers = calloc(w, sizeof(*s->tcp_peers));
	if (!s->tcp_peers) {
		snprintf(err, errlen, "out of memory for %u tcp peer rows", w);
		rc = -1;
		goto out;
	}
	for (uint32_t i = 0; i < w; i++) {
		const struct ebs_tcp_peer_key *k = &p[i].key;
		struct ebs_tcp_peer_row *row = &s->tcp_peers[i];
		struct ebs_tcp_peer v;

		memcpy(&v, p[i].sum, sizeof(v));
		row->dir = k->dir;
		row->addr_type = k->family == 6 ? 2 : 1;
		memcpy(row->addr, k->addr, sizeof(row->addr));
		if (!inet_ntop(k->family == 6 ? AF_INET6 : AF_INET, k->addr, row->addr_str,
			       sizeof(row->addr_str)))
			snprintf(row->addr_str, sizeof(row->addr_str), "?");
		row->port = k->port;
		row->connects = v.connects;
		row->retransmits = v.retransmits;
		row->resets = v.resets;
		row->bytes_in = v.bytes_in;
		row->bytes_out = v.bytes_out;
		row->segs_in = v.segs_in;
		row->segs_out = v.segs_out;
	}
	s->n_tcp_peers = w;
out:
	free(p);
	free(keys);
	free(sums);
	return rc;
}

static int tcp_read(struct ebs_module *m, struct ebs_snapshot *s, char *err, size_t errlen)
{
	struct ebs_tcp_stats *st = calloc(1, sizeof(*st));
	uint64_t trans_total = 0, entries = 0, evicted, now = mono_ms();
	uint64_t idle_ms = m->cfg ? m->cfg->tcp_row_idle_ms : 0;
	struct tcp_reader *rd = m->priv;
	uint32_t n = 0, zero = 0;
	int rc = -1, r;

	if (!rd)
		rd = m->priv = calloc(1, sizeof(*rd));
	if (!st || !rd) {
		snprintf(err, errlen, "out of memory reading tcp_stats");
		free(st);
		return -1;
	}
	/* first the iterator: open sockets' bytes and segments since its last
	 * run go into the maps read below (a failure is in the reason, and the
	 * CLOSE still counts everything); it prints the ports served */
	memset(rd->live, 0, sizeof(rd->live));
	rd->has_carry = false;
	rd->have_live = ebs_iter_run(m, live_sink, rd) == 1;
	r = ebs_percpu_sum(m->map_fd[MAP_STATS], &zero, sizeof(*st), m->ncpus, (uint64_t *)st,
			   TCP_STATS_WORDS);
	if (r < 0) {
		snprintf(err, errlen, "reading tcp_stats failed: %s", strerror(-r));
		goto out;
	}

	for (uint32_t o = 1; o < EBS_TCP_STATE_ROWS; o++)
		for (uint32_t w = 1; w < EBS_TCP_STATE_ROWS; w++)
			n += st->trans[o][w] > 0;
	s->tcp_trans = n ? calloc(n, sizeof(*s->tcp_trans)) : NULL;
	if (n && !s->tcp_trans) {
		snprintf(err, errlen, "out of memory for %u tcp transition rows", n);
		goto out;
	}
	s->n_tcp_trans = n;
	n = 0;
	for (uint32_t st_i = 0; st_i < EBS_TCP_NSTATES; st_i++) {
		struct ebs_tcp_state_row *row = &s->tcp_states[st_i];
		uint32_t state = st_i + 1;

		row->state = state;
		row->name = ebs_tcp_state_name(state);
		/* per-CPU deltas summed; a socket we saw leave but not enter
		 * (an insert that raced a read) must not show as -1 */
		row->sockets = st->sockets[state] > 0 ? st->sockets[state] : 0;
		row->trans_in = row->trans_out = 0;
	}
	for (uint32_t o = 1; o < EBS_TCP_STATE_ROWS; o++)
		for (uint32_t w = 1; w < EBS_TCP_STATE_ROWS; w++) {
			uint64_t c = st->trans[o][w];

			if (!c)
				continue;
			s->tcp_trans[n].old_state = o;
			s->tcp_trans[n].new_state = w;
			s->tcp_trans[n].count = c;
			n++;
			s->tcp_states[o - 1].trans_out += c;
			s->tcp_states[w - 1].trans_in += c;
			trans_total += c;
		}

	if (read_ports(m, s, &entries, err, errlen) < 0)
		goto out;
	/* LRU evictions are silent in the kernel: every key inserted and no
	 * longer present was pushed out by a newer one */
	evicted = st->port_inserts > entries ? st->port_inserts - entries : 0;
	if (read_peers(m, s, &entries, err, errlen) < 0)
		goto out;
	s->tcp_peer_overflows =
		(st->peer_inserts > entries ? st->peer_inserts - entries : 0) + st->peer_overflows;
	if (prune_ports(rd, s, now, idle_ms) < 0 || prune_peers(rd, s, now, idle_ms) < 0) {
		snprintf(err, errlen, "out of memory for the tcp rows' idle times");
		goto out;
	}

#define COPY(f, ...) s->tcp.f = st->f;
	EBS_TCP_COUNTERS(COPY)
#undef COPY
	s->tcp.established = (uint64_t)s->tcp_states[0].sockets;
	memcpy(s->tcp.connect.slot, st->connect, sizeof(s->tcp.connect.slot));
	memcpy(s->tcp.rtt.slot, st->rtt, sizeof(s->tcp.rtt.slot));
	memcpy(s->tcp.lifetime.slot, st->lifetime, sizeof(s->tcp.lifetime.slot));
	s->tcp.port_overflows = evicted + st->port_overflows;

	/* every transition is an event, so the counters derived from them
	 * are not added again */
#define EVENTS(f, id, role, ...) +(EBS_CTR_IS(role, EVENT) ? st->f : 0)
#define OVERFLOWS(f, id, role, ...) +(EBS_CTR_IS(role, OVERFLOW) ? st->f : 0)
	s->modules[EBS_FAM_TCP].events = trans_total + st->other_states EBS_TCP_COUNTERS(EVENTS);
	s->modules[EBS_FAM_TCP].overflows =
		s->tcp.port_overflows + s->tcp_peer_overflows EBS_TCP_COUNTERS(OVERFLOWS);
#undef EVENTS
#undef OVERFLOWS
	rc = ebs_cg_read(m, s, EBS_FAM_TCP, &m->map_fd[MAP_CG], err, errlen);
out:
	free(st);
	return rc;
}

/* Only the state tracker is essential; without the others the module runs
 * with those counters at zero. */
static const struct ebs_hook tcp_hooks[] = {
	{"sock", "inet_sock_set_state", "inet_sock_set_state_btf", "inet_sock_set_state_raw",
	 "inet_sock_set_state_tp", .optional = false, .alt_btf = "inet_sock_set_state_btf_hash",
	 .alt_raw = "inet_sock_set_state_raw_hash", .alt_tp = "inet_sock_set_state_tp_hash"},
	{"tcp", "tcp_retransmit_skb", "tcp_retransmit_skb_btf", "tcp_retransmit_skb_raw",
	 "tcp_retransmit_skb_tp", .optional = true},
	{"tcp", "tcp_send_reset", "tcp_send_reset_btf", "tcp_send_reset_raw", "tcp_send_reset_tp",
	 .optional = true},
	{"tcp", "tcp_receive_reset", "tcp_receive_reset_btf", "tcp_receive_reset_raw",
	 "tcp_receive_reset_tp", .optional = true},
	{"tcp", "tcp_probe", "tcp_probe_btf", "tcp_probe_raw", "tcp_probe_tp", .optional = true,
	 .rtt_seg = true},
};

static const char *const tcp_maps[] = {
	[MAP_STATS] = "tcp_stats",
	[MAP_PORTS] = "tcp_ports",
	[MAP_PEERS] = "tcp_peers",
	[MAP_CG] = EBS_CG_MAP_NAMES(tcp),
};

const struct ebs_module_ops ebs_module_tcp = {
	.name = "tcp",
	.family = EBS_FAM_TCP,
	.hooks = tcp_hooks,
	.n_hooks = sizeof(tcp_hooks) / sizeof(tcp_hooks[0]),
	.maps = tcp_maps,
	.n_maps = sizeof(tcp_maps) / sizeof(tcp_maps[0]),
	.open = tcp_open,
	.load = tcp_load,
	.read = tcp_read,
	.destroy = tcp_destroy,
	.iter_prog = "tcp_iter",
	.iter_prog_alt = "tcp_iter_hash",
	.iter_btf = "bpf_iter__tcp",
	.iter_name = "iter/tcp",
	.iter_fallback = "bytes and segments of open connections are counted when they close",
};
