/* libebpfstats: the one core shared by the CLI, the collectd plugin and the
 * AgentX subagent.  Front-ends call ebs_open(), then ebs_snapshot() on their
 * own schedule, and translate the snapshot through the metric catalog.  They
 * never touch libbpf themselves. */
#ifndef EBPFSTATS_H
#define EBPFSTATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EBS_VERSION "0.1.0"
/* Bumped whenever a pinned map's key/value layout changes; it is part of the
 * pin path, so a front-end never reads maps of another layout. */
#define EBS_PIN_LAYOUT 9

/* Log-linear buckets (bpf/ebs_hist.h): 16 exact ones for 0..15, then 16
 * per power of two up to 2^32, then one open bucket. */
#define EBS_HIST_SLOTS 465
/* The per-cgroup histograms' coarser layout (bpf/cgroup.h): 4 buckets per
 * power of two. */
#define EBS_CG_HIST_SLOTS 125
#define EBS_CG_NAME_LEN 256 /* a cgroup's path below the cgroup2 mount */
#define EBS_CG_FILTERS 16   /* cgroup_filter globs */
#define EBS_MAX_COMMS 16    /* process include/exclude list entries */
#define EBS_COMM_LEN 16	    /* TASK_COMM_LEN */
#define EBS_PATH_LEN 256
#define EBS_REASON_LEN 256
#define EBS_ERR_LEN 512
#define EBS_TCP_NSTATES 12 /* TCP_ESTABLISHED(1) .. TCP_NEW_SYN_RECV(12) */

/* The families' scalar counters (bpf/<family>_counters.h): each list's
 * fields are a struct's members here and in the kernel maps. */
#include "memory_counters.h"
#include "sched_counters.h"
#include "syscalls_counters.h"
#include "tcp_counters.h"
#define EBS_CTR_FIELD(field, ...) uint64_t field;

enum ebs_family {
	EBS_FAM_SYSCALLS,
	EBS_FAM_TCP,
	EBS_FAM_SCHED,
	/* appended: SNMP module indexes are family + 1 and must not move */
	EBS_FAM_MEMORY,
	EBS_FAM_COUNT
};

/* ---- configuration ------------------------------------------------------ */

struct ebs_config {
	char source[EBS_PATH_LEN]; /* file it came from, "<built-in defaults>" otherwise */
	bool enabled;
	bool collect[EBS_FAM_COUNT];
	bool syscall_latency; /* off: one hook (sys_exit), counts and errors only */
	bool file_io;	      /* syscalls module also counts read/write bytes */
	bool tcp_peers;	      /* tcp module also keeps a row per remote endpoint */
	bool proc_cpu;	      /* sched module also keeps on-CPU time per process */
	bool page_allocs;     /* memory module also counts page allocations and frees */
	bool tcp_rtt_seg;     /* tcp RTT per received segment (tcp_probe), not per connection */
	/* turn on the kernel's per-program run-time statistics while open
	 * (BPF_ENABLE_STATS; needs CAP_SYS_ADMIN).  They are a switch for the
	 * whole host and cost every BPF program on it two clock reads per
	 * run (~30 ns here), hence off by default; when an administrator set
	 * kernel.bpf_stats_enabled=1 they are reported either way. */
	bool bpf_stats;
	char include[EBS_MAX_COMMS][EBS_COMM_LEN]; /* syscalls only from these comms */
	unsigned n_include;
	char exclude[EBS_MAX_COMMS][EBS_COMM_LEN]; /* never from these comms */
	unsigned n_exclude;
	unsigned sample_rate;	     /* percent (1..100) of latency samples kept */
	char btf_path[EBS_PATH_LEN]; /* "" = /sys/kernel/btf/vmlinux */
	char pin_path[EBS_PATH_LEN]; /* "" = private, process-lifetime programs */
	unsigned interval_ms;	     /* CLI/agent refresh interval */
	uint32_t max_threads;	     /* in-flight syscall / wakeup table entries */
	uint32_t max_sockets;	     /* tracked TCP sockets */
	uint32_t max_ports;	     /* TCP local-port table entries */
	uint32_t max_procs;	     /* sched's process table entries */
	/* events (SNMP notifications, collectd notifications) of one type a
	 * front-end sends per EBS_EVENTS_WINDOW_MS; the rest are counted */
	unsigned notify_limit;
	/* per-cgroup rows (docs/cgroups.md) */
	bool cgroups;	       /* collect_cgroups */
	unsigned cgroup_depth; /* rows are the cgroups this deep below the root */
	uint32_t max_cgroups;  /* map_sizes.cgroups: rows of each family's table */
	char cgroup_filter[EBS_CG_FILTERS][EBS_CG_NAME_LEN]; /* globs; empty: every row */
	unsigned n_cgroup_filter;
	/* ms after which a TCP port row whose port nothing serves any more,
	 * and a peer row none of whose counters moved, leave the snapshots of
	 * this process; 0: never (needs iter/tcp for ports) */
	unsigned tcp_row_idle_ms;
};

/* Fills built-in defaults: every family on but memory and file I/O (their
 * hooks fire most often), latency on, bpf_stats off, 100 % sampling,
 * pin_path /sys/fs/bpf/ebpfstats, 10 s interval. */
void ebs_config_init(struct ebs_config *cfg);

/* Parses a YAML file over *cfg (start from ebs_config_init()); a list in the
 * file replaces the old one.  On error returns -1, leaves *cfg untouched and
 * writes "file:line:col: message" to err. */
int ebs_config_load(struct ebs_config *cfg, const char *path, char *err, size_t errlen);
/* Same for a buffer; name is used in messages. */
int ebs_config_parse(struct ebs_config *cfg, const char *name, const char *buf, size_t len,
		     char *err, size_t errlen);
/* Sets one key by its YAML name (e.g. "collect_syscalls", "sample_rate",
 * "process_filter" appends one comm), as the collectd plugin maps options. */
int ebs_config_set(struct ebs_config *cfg, const char *key, const char *value, char *err,
		   size_t errlen);

/* ---- snapshot ----------------------------------------------------------- */

/* Values match EBPFSTATS-MIB's EbsStatus. */
enum ebs_status {
	EBS_ST_OK = 1,		/* all hooks attached */
	EBS_ST_DEGRADED = 2,	/* running without some optional hook; reason says which */
	EBS_ST_UNAVAILABLE = 3, /* cannot run here; reason says why */
	EBS_ST_DISABLED = 4,	/* switched off in the config */
};
const char *ebs_status_name(enum ebs_status st);

struct ebs_hist {
	uint64_t slot[EBS_HIST_SLOTS];
};

/* Percentiles over the histogram delta since the previous snapshot, in the
 * unit the catalog names (µs, or ms for lifetimes).  0 with samples == 0.
 * hist, prev and div let ebs_pct_at() give any other percentile of the
 * same interval; they point into this snapshot and the one before it, so
 * they are valid as long as the snapshot is. */
struct ebs_pct {
	double p50, p90, p99;
	uint64_t samples;
	const struct ebs_hist *hist, *prev; /* prev NULL: since load */
	double div;			    /* histogram unit per reported unit (1000: ns -> µs) */
	/* instead of hist/prev: a per-cgroup histogram (EBS_CG_HIST_SLOTS) */
	const uint64_t *cg_cur, *cg_prev;
};

struct ebs_module_stat {
	const char *name; /* "syscalls", "tcp", "sched" */
	enum ebs_status status;
	char reason[EBS_REASON_LEN];
	char attach[16];	       /* "tp_btf", "raw_tp", "tracepoint", "mixed" */
	bool reused_pins;	       /* programs were loaded by another process */
	uint64_t events;	       /* kernel events the module aggregated */
	uint64_t overflows;	       /* events that did not fit a bounded map */
	uint64_t run_time_ns, run_cnt; /* kernel BPF stats, summed over programs */
	bool bpf_stats;		       /* run_time_ns/run_cnt are live (BPF stats enabled) */
};

struct ebs_syscall_row {
	uint32_t nr;
	const char *name;
	uint64_t calls, errors, latency_ns;
	struct ebs_hist hist; /* ns */
	struct ebs_pct pct;   /* µs */
};

struct ebs_cpu_row {
	uint32_t cpu;
	uint64_t switches_vol, switches_invol, migrations, runq_samples;
	struct ebs_hist runq;	 /* ns */
	struct ebs_pct runq_pct; /* µs */
};

struct ebs_tcp_state_row {
	uint32_t state; /* Linux numbering, 1..12 */
	const char *name;
	int64_t sockets; /* sockets in this state now (seen since load) */
	uint64_t trans_in, trans_out;
};

struct ebs_tcp_trans_row {
	uint32_t old_state, new_state;
	uint64_t count;
};

struct ebs_tcp_port_row {
	uint32_t port;
	uint64_t accepts, resets, retransmits, bytes_in, bytes_out, segs_in, segs_out;
};

/* Direction of a TCP peer row (EBPFSTATS-MIB's ebsTcpPeerDirection). */
enum ebs_peer_dir {
	EBS_PEER_OUT = 1, /* this host connected to addr:port */
	EBS_PEER_IN = 2,  /* addr connected to this host's port */
};

/* One remote endpoint: an L4 flow edge.  Rows are sorted by direction,
 * family, address, port: the order of their SNMP index, the endpoint
 * itself (EBPFSTATS-MIB's ebsTcpPeerEntry). */
struct ebs_tcp_peer_row {
	uint32_t dir;	    /* enum ebs_peer_dir */
	uint32_t addr_type; /* InetAddressType: ipv4(1), ipv6(2) */
	uint8_t addr[16];   /* network order; IPv4 in the first 4 bytes */
	char addr_str[48];  /* "192.0.2.1", "2001:db8::1" */
	uint32_t port;	    /* remote port (out) or local port (in) */
	uint64_t connects, retransmits, resets, bytes_in, bytes_out, segs_in, segs_out;
};

/* One live process (tgid) that ran on a CPU (sched module) or took a page
 * fault (memory module) since load; a module that does not run leaves its
 * columns at 0. */
struct ebs_proc_row {
	uint32_t pid; /* tgid */
	char comm[EBS_COMM_LEN];
	uint64_t oncpu_ns; /* sched */
	uint64_t faults_user, faults_kernel;
};

/* One read/write-family or open syscall, for the file I/O view. */
struct ebs_fileio_row {
	uint32_t nr;
	const char *name;
	uint64_t calls, errors, bytes, latency_ns;
	struct ebs_pct pct; /* µs, same as the syscall row's */
};

/* One cgroup v2 directory at cgroup_depth below the root (or a shallower
 * one whose own tasks ran), with everything attributed to it and the
 * cgroups beneath it.  Rows are ascending by id. */
struct ebs_cgroup_row {
	uint64_t id;		    /* the cgroup's id: its directory's inode number */
	char id_text[24];	    /* id in decimal (SNMP's ebsCgroupId, JSON) */
	uint32_t index;		    /* SNMP index, stable for the cgroup's life (docs/cgroups.md) */
	char name[EBS_CG_NAME_LEN]; /* path below the mount, "/" the root; "" unknown */
	bool gone;		    /* removed: the row leaves at the next snapshot */
	/* syscalls of its tasks */
	uint64_t sys_calls, sys_errors, sys_latency_ns;
	double sys_rate; /* calls per second over the last interval */
	uint64_t sys_hist[EBS_CG_HIST_SLOTS];
	struct ebs_pct sys_pct; /* µs */
	/* scheduler: switches and on-CPU time of its tasks, their run-queue waits */
	uint64_t switches_vol, switches_invol, oncpu_ns, runq_ns, runq_samples;
	uint64_t runq_hist[EBS_CG_HIST_SLOTS];
	struct ebs_pct runq_pct; /* µs */
	/* TCP: its sockets (an accepted one is its listener's) */
	uint64_t tcp_active_opens, tcp_passive_opens, tcp_retransmits, tcp_resets;
	uint64_t tcp_bytes_in, tcp_bytes_out;
	/* memory */
	uint64_t faults, oom_kills;
};

/* One histogram bucket, for the SNMP histogram table. */
struct ebs_hist_row {
	uint32_t hist;	 /* enum ebs_hist_id */
	uint32_t bucket; /* 1-based */
	uint64_t upper;	 /* inclusive upper bound, in the histogram's unit */
	uint64_t count;
};

enum ebs_hist_id {
	EBS_H_SYSCALL = 1,  /* ns */
	EBS_H_RUNQ,	    /* ns */
	EBS_H_TCP_CONNECT,  /* ns */
	EBS_H_TCP_RTT,	    /* ns */
	EBS_H_TCP_LIFETIME, /* ms */
	EBS_H_COUNT = EBS_H_TCP_LIFETIME
};

/* What the programs of a snapshot count besides their families' counters:
 * the settings they were loaded with (a front-end reuses pins only when
 * its own settings match them, src/probe.c). */
struct ebs_views {
	bool syscall_latency; /* latency sums, histograms, percentiles */
	bool file_io;	      /* the file I/O rows and byte totals */
	bool tcp_peers;	      /* the TCP peer table */
	bool cgroups;	      /* the cgroup rows */
	bool proc_cpu;	      /* on-CPU time in the process table */
	bool page_allocs;     /* pages allocated and freed */
};

struct ebs_snapshot {
	uint64_t taken_ns;	 /* CLOCK_MONOTONIC */
	uint64_t taken_unix_ms;	 /* wall clock */
	uint64_t interval_ns;	 /* since the previous snapshot, 0 on the first */
	uint64_t loaded_unix_ms; /* when the kernel programs now read were loaded */
	uint64_t sequence;	 /* 1, 2, ... */

	struct ebs_module_stat modules[EBS_FAM_COUNT];
	struct ebs_views views;

	struct {
		uint64_t calls, errors, latency_ns;
		struct ebs_hist hist;		/* ns */
		struct ebs_pct pct;		/* µs */
		EBS_SYS_COUNTERS(EBS_CTR_FIELD) /* syscalls_counters.h */
	} sys;
	struct ebs_syscall_row *syscalls; /* rows with calls > 0, ascending nr */
	uint32_t n_syscalls;

	struct {
		EBS_TCP_COUNTERS(EBS_CTR_FIELD)	     /* tcp_counters.h */
		uint64_t established;		     /* sockets in ESTABLISHED now */
		struct ebs_hist connect, rtt;	     /* ns */
		struct ebs_hist lifetime;	     /* ms */
		struct ebs_pct connect_pct, rtt_pct; /* µs */
		struct ebs_pct lifetime_pct;	     /* ms */
		uint64_t port_overflows;	     /* evicted + never inserted */
		/* retransmits per second over the interval, rounded: a Gauge32
		 * that snmpd's monitor can compare (0 with no interval yet) */
		uint64_t retransmit_rate;
	} tcp;
	struct ebs_tcp_state_row tcp_states[EBS_TCP_NSTATES];
	struct ebs_tcp_trans_row *tcp_trans; /* non-zero transitions only */
	uint32_t n_tcp_trans;
	struct ebs_tcp_port_row *tcp_ports; /* ascending port */
	uint32_t n_tcp_ports;
	struct ebs_tcp_peer_row *tcp_peers;
	uint32_t n_tcp_peers;
	uint64_t tcp_peer_overflows; /* peer rows evicted or never inserted */

	struct {
		EBS_SCHED_COUNTERS(EBS_CTR_FIELD) /* sched_counters.h */
		uint64_t migrations;		  /* sched_migr */
		struct ebs_hist runq;		  /* ns */
		struct ebs_pct runq_pct;	  /* µs */
	} sched;
	struct ebs_cpu_row *cpus; /* one per possible CPU, ascending */
	uint32_t n_cpus;

	/* file I/O view of the syscalls module (cfg->file_io) */
	struct {
		uint64_t read_bytes, write_bytes, read_calls, write_calls;
		uint64_t opens, open_errors;
	} fio;
	struct ebs_fileio_row *fileio; /* ascending nr; only with cfg->file_io */
	uint32_t n_fileio;

	struct {
		EBS_MEM_COUNTERS(EBS_CTR_FIELD) /* memory_counters.h */
		uint32_t oom_last_pid;		/* 0: none since load */
		char oom_last_comm[EBS_COMM_LEN];
		uint64_t oom_last_cgroup_id; /* its cgroup v2; 0: unknown */
		/* that cgroup's path below the cgroup2 mount as ebsCgroupName
		 * writes it ("/" the root); "": unknown (no mount, removed
		 * before the snapshot, a kernel older than 6.8) */
		char oom_last_cgroup[EBS_CG_NAME_LEN];
	} mem;
	struct ebs_proc_row *procs; /* ascending pid */
	uint32_t n_procs;

	/* per-cgroup rows (collect_cgroups) */
	struct {
		enum ebs_status status; /* ok; degraded without a cgroup2 mount; disabled */
		char reason[EBS_REASON_LEN];
		char mount[EBS_PATH_LEN]; /* the cgroup2 mount names come from */
		uint32_t depth;
		uint64_t inserts;      /* rows the kernel tables inserted, all families */
		uint64_t evictions;    /* rows the readers recycled to make room */
		uint64_t failed;       /* events in no row: none free, or it changed hands */
		uint64_t unattributed; /* events whose cgroup could not be read */
		uint64_t filtered;     /* rows left out by cgroup_filter in this snapshot */
	} cg;
	struct ebs_cgroup_row *cgroups;
	uint32_t n_cgroups, cg_cap;

	struct ebs_hist_row *hist_rows; /* every bucket of every histogram */
	uint32_t n_hist_rows;
};

/* ---- lifecycle ---------------------------------------------------------- */

struct ebs;

/* Probes the host, loads (or reuses pinned) programs of every enabled family
 * and attaches them.  A family that cannot run is reported UNAVAILABLE in
 * the snapshot with its reason while the others keep running, even when
 * none can run (so front-ends can still say why).  NULL only when out of
 * resources, with err. */
struct ebs *ebs_open(const struct ebs_config *cfg, char *err, size_t errlen);

/* ebs_open() that changes nothing outside this process, for `ebpfstats
 * check`: a family with pins under pin_path reads them (compatible or not,
 * as ebs_open() would judge them), one without loads private programs,
 * which ebs_close() detaches and unloads.  Nothing is pinned, cleared,
 * created or locked under pin_path; the status and reason are those
 * ebs_open() would give now. */
struct ebs *ebs_open_probe(const struct ebs_config *cfg, char *err, size_t errlen);

/* Reads every module's maps into a new snapshot.  The pointer stays valid
 * until the next ebs_snapshot() or ebs_close() on the same handle.  NULL
 * with err on failure (the previous snapshot is then still valid). */
const struct ebs_snapshot *ebs_snapshot(struct ebs *e, char *err, size_t errlen);

/* Detaches private programs; pinned ones stay for the other front-ends. */
void ebs_close(struct ebs *e);

/* Clears effective capabilities (kept permitted for a later reload).  Only
 * for processes that are ours alone: never call it inside collectd. */
int ebs_drop_caps(char *err, size_t errlen);
/* Makes the permitted capabilities effective again, around a reload. */
int ebs_raise_caps(char *err, size_t errlen);
/* Clears every capability for good, permitted ones included: for a process
 * of ours that never loads programs again after ebs_open() (the CLI).
 * Reading maps and programs goes through the fds it already holds. */
int ebs_drop_caps_all(char *err, size_t errlen);

/* Removes the pins under pin_path (all layouts); the programs detach when
 * the last process holding them closes.  Returns the number removed, -1 err. */
int ebs_unload(const char *pin_path, char *err, size_t errlen);

/* Probe result for one family without loading it: status and reason. */
enum ebs_status ebs_check(const struct ebs_config *cfg, enum ebs_family fam, char *reason,
			  size_t len);

const char *ebs_family_name(enum ebs_family fam);
/* Whether a family's programs run in this snapshot: status ok or degraded.
 * The one test every front-end uses; a family that does not run has only
 * zeros to offer. */
bool ebs_module_running(const struct ebs_snapshot *s, enum ebs_family fam);
const char *ebs_syscall_name(uint32_t nr); /* NULL when unknown */
uint32_t ebs_syscall_max(void);		   /* highest known nr + 1 */
const char *ebs_tcp_state_name(uint32_t state);

/* ---- events (events.c) ---------------------------------------------------
 * What a NOC acts on, found by comparing each snapshot with the one before.
 * The state lives in the front-end, not in the handle: it must survive a
 * reload (a new handle), which is when a module's status changes. */

enum ebs_event_type {
	EBS_EV_OOM_KILL,	/* the OOM killer killed a task (memory module) */
	EBS_EV_MODULE_STATUS,	/* a module's status changed */
	EBS_EV_OVERFLOW,	/* a bounded map started dropping: once per episode */
	EBS_EV_PROGRAMS_LOADED, /* programs (re)loaded: counters restarted */
	EBS_EV_COUNT
};

/* Events of one type sent per window at most (notify_limit's default), and
 * the window: a fork bomb of OOM kills is a few notifications a minute. */
#define EBS_EVENTS_LIMIT_DEFAULT 5
#define EBS_EVENTS_WINDOW_MS 60000
/* Room for one snapshot's events: one OOM kill, a status change and an
 * overflow episode per module, one load. */
#define EBS_EVENTS_MAX (2 + 2 * EBS_FAM_COUNT)

struct ebs_event {
	enum ebs_event_type type;
	enum ebs_family family;			/* the module; EBS_FAM_COUNT for a load */
	uint64_t unix_ms;			/* the snapshot that saw it */
	uint64_t count;				/* OOM kills / overflows in the interval */
	uint64_t total;				/* OOM kills / module overflows since load */
	uint32_t pid;				/* OOM: the (last) victim */
	char comm[EBS_COMM_LEN];		/* OOM: its name */
	char cgroup[EBS_CG_NAME_LEN];		/* OOM: its cgroup v2 path; "": unknown */
	enum ebs_status old_status, new_status; /* status change */
	char reason[EBS_REASON_LEN];		/* status change: the new status' reason */
	const char *map;			/* overflow: the map that was full */
	uint64_t loaded_unix_ms;		/* programs loaded: when */
};

struct ebs_events {
	unsigned limit;		 /* per type per window; 0 sends none */
	bool primed;		 /* a snapshot was seen */
	uint64_t loaded_unix_ms; /* the newest load seen */
	uint64_t oom_kills;
	enum ebs_status status[EBS_FAM_COUNT];
	uint64_t overflows[EBS_FAM_COUNT]; /* drops of the module's bounded maps */
	uint64_t map_overflows[EBS_FAM_COUNT][3];
	bool overflowing[EBS_FAM_COUNT]; /* grew in the last interval */
	uint64_t window_start_ns[EBS_EV_COUNT];
	unsigned window_sent[EBS_EV_COUNT];
	uint64_t suppressed[EBS_EV_COUNT]; /* found but over the limit */
	uint64_t suppressed_total;
	struct ebs_event ev[EBS_EVENTS_MAX]; /* the last update's, to send */
	unsigned n;
};

void ebs_events_init(struct ebs_events *st, unsigned limit);
/* Compares s with the snapshot fed before; fills st->ev with the events to
 * send (st->n of them) and returns st->n.  Events over the limit are only
 * counted in st->suppressed. */
unsigned ebs_events_update(struct ebs_events *st, const struct ebs_snapshot *s);
/* "oom_kill", "module_status", "overflow", "programs_loaded" */
const char *ebs_event_name(enum ebs_event_type t);
/* One line for a log or a notification's message. */
void ebs_event_text(const struct ebs_event *ev, char *buf, size_t len);

/* ---- histogram math (hist.c) -------------------------------------------- */

/* The bucket of a value, and the smallest and largest value of a bucket
 * (the last bucket is open: its upper bound is UINT64_MAX). */
unsigned ebs_hist_bucket_of(uint64_t v);
uint64_t ebs_hist_lower(unsigned slot);
uint64_t ebs_hist_upper(unsigned slot);
/* Every percentile is within this relative error of the exact quantile of
 * the samples counted (docs/percentiles.md), below the open bucket. */
#define EBS_HIST_MAX_ERROR 0.035
/* The same bound for the per-cgroup histograms: a bucket is up to 25 %
 * wide, and (1.25 - 1) / (1.25 + 1) = 11.1 %. */
#define EBS_CG_HIST_MAX_ERROR 0.115
/* Percentile q in (0,1] of cur - prev (prev may be NULL), in the
 * histogram's own unit; 0 when empty.  Interpolated linearly inside the
 * bucket the rank falls in, then kept within EBS_HIST_MAX_ERROR of every
 * value that bucket can hold; in the open bucket, its lower bound. */
double ebs_hist_percentile(const struct ebs_hist *cur, const struct ebs_hist *prev, double q);
/* Fills pct from cur - prev, dividing values by div (1000 for ns -> µs). */
void ebs_hist_pct(struct ebs_pct *pct, const struct ebs_hist *cur, const struct ebs_hist *prev,
		  double div);
/* ebs_hist_pct() for a per-cgroup histogram (EBS_CG_HIST_SLOTS). */
void ebs_cg_hist_pct(struct ebs_pct *pct, const uint64_t *cur, const uint64_t *prev, double div);
/* Percentile q in (0,1] of the interval pct describes, in pct's unit. */
double ebs_pct_at(const struct ebs_pct *pct, double q);

#endif
