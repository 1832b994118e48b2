/* The metric catalog.  Every metric is one row; front-ends iterate it. */
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "catalog.h"

/* R(id, family, kind, table, row struct, field, value type, unit,
 *   collectd type, collectd type_instance, MIB descriptor, sub-id, SNMP type,
 *   percentile, help) */
#define R(id_, fam_, kind_, tbl_, row_, field_, vt_, unit_, cdt_, cdti_, sn_, sid_, st_, pct_,     \
	  help_)                                                                                   \
	{                                                                                          \
		.id = id_, .family = fam_, .kind = kind_, .table = tbl_,                           \
		.offset = offsetof(row_, field_), .vtype = vt_, .unit = unit_, .cd_type = cdt_,    \
		.cd_type_instance = cdti_, .snmp_name = sn_, .snmp_subid = sid_, .snmp_type = st_, \
		.pct = pct_, .help = help_                                                         \
	}

#define SNAP struct ebs_snapshot
#define SYS EBS_FAM_SYSCALLS
#define TCP EBS_FAM_TCP
#define SCH EBS_FAM_SCHED
#define MEM EBS_FAM_MEMORY
#define AGT EBS_FAM_COUNT
#define C64 EBS_SNMP_COUNTER64
#define G32 EBS_SNMP_GAUGE32
#define STR EBS_SNMP_STRING
#define INT EBS_SNMP_INTEGER
#define U32 EBS_SNMP_UNSIGNED32
#define NO EBS_SNMP_NONE

/* A row of a family's counter list (bpf/<family>_counters.h): a Counter64
 * scalar, the snapshot's <family>.<field>. */
#define COUNTER(fam_, snap_, field_, id_, role_, unit_, cdt_, cdti_, sn_, sid_, help_)             \
	R(id_, fam_, EBS_COUNTER, EBS_T_GLOBAL, SNAP, snap_.field_, EBS_V_U64, unit_, cdt_, cdti_, \
	  sn_, sid_, C64, 0, help_),
#define SYS_COUNTER(field_, idx_, ...) COUNTER(SYS, sys, field_, __VA_ARGS__)
#define TCP_COUNTER(...) COUNTER(TCP, tcp, __VA_ARGS__)
#define SCHED_COUNTER(...) COUNTER(SCH, sched, __VA_ARGS__)
#define MEM_COUNTER(...) COUNTER(MEM, mem, __VA_ARGS__)

/* Percentile gauges come in threes; only p50/p99 are served over SNMP for
 * the scalars (thresholds compare those), all three for table rows. */
/* Not clang-formatted: the rows interleave X-macro expansions with no comma
 * of their own, which it takes for continuations and indents. */
/* clang-format off */
const struct ebs_metric ebs_catalog[] = {
	/* ---- agent-wide ---- */
	R("agent.loaded_unix_ms", AGT, EBS_GAUGE, EBS_T_GLOBAL, SNAP, loaded_unix_ms, EBS_V_U64,
	  "ms", NULL, NULL, "ebsAgentProgramsLoaded", 3, EBS_SNMP_TIMESTAMP, 0,
	  "When the kernel programs now read were loaded; counters are continuous since then."),

	/* ---- modules (self-metrics) ---- */
	R("module.name", AGT, EBS_INFO, EBS_T_MODULE, struct ebs_module_stat, name, EBS_V_STRPTR,
	  "", NULL, NULL, "ebsModuleName", 2, STR, 0, "Module (metric family) name."),
	R("module.status", AGT, EBS_INFO, EBS_T_MODULE, struct ebs_module_stat, status,
	  EBS_V_STATUS, "", "ebpf_status", NULL, "ebsModuleStatus", 3, EBS_SNMP_INTEGER, 0,
	  "ok(1), degraded(2), unavailable(3), disabled(4)."),
	R("module.reason", AGT, EBS_INFO, EBS_T_MODULE, struct ebs_module_stat, reason, EBS_V_STR,
	  "", NULL, NULL, "ebsModuleReason", 4, STR, 0,
	  "Why the module is degraded, unavailable or disabled; empty when ok."),
	R("module.attach", AGT, EBS_INFO, EBS_T_MODULE, struct ebs_module_stat, attach, EBS_V_STR,
	  "", NULL, NULL, "ebsModuleAttach", 5, STR, 0,
	  "How the hooks are attached: tp_btf, raw_tp, tracepoint or mixed."),
	R("module.events", AGT, EBS_COUNTER, EBS_T_MODULE, struct ebs_module_stat, events,
	  EBS_V_U64, "events", "ebpf_events", NULL, "ebsModuleEvents", 6, C64, 0,
	  "Kernel events the module aggregated."),
	R("module.overflows", AGT, EBS_COUNTER, EBS_T_MODULE, struct ebs_module_stat, overflows,
	  EBS_V_U64, "events", "ebpf_overflows", NULL, "ebsModuleOverflows", 7, C64, 0,
	  "Events that did not fit a bounded kernel map."),
	R("module.run_time_ns", AGT, EBS_COUNTER, EBS_T_MODULE, struct ebs_module_stat,
	  run_time_ns, EBS_V_U64, "ns", "ebpf_time_ns", NULL, "ebsModuleRunTime", 8, C64, 0,
	  "Kernel-measured run time of the module's programs (BPF stats)."),
	R("module.run_count", AGT, EBS_COUNTER, EBS_T_MODULE, struct ebs_module_stat, run_cnt,
	  EBS_V_U64, "runs", "ebpf_events", "runs", "ebsModuleRunCount", 9, C64, 0,
	  "Kernel-measured run count of the module's programs (BPF stats)."),

	/* ---- syscalls: totals ---- */
	R("syscall.total.calls", SYS, EBS_COUNTER, EBS_T_GLOBAL, SNAP, sys.calls, EBS_V_U64,
	  "calls", "ebpf_calls", "total", "ebsSyscallsCalls", 1, C64, 0, "System calls made."),
	R("syscall.total.errors", SYS, EBS_COUNTER, EBS_T_GLOBAL, SNAP, sys.errors, EBS_V_U64,
	  "calls", "ebpf_errors", "total", "ebsSyscallsErrors", 2, C64, 0,
	  "System calls that returned an error (-4095..-1)."),
	R("syscall.total.latency_ns", SYS, EBS_COUNTER, EBS_T_GLOBAL, SNAP, sys.latency_ns,
	  EBS_V_U64, "ns", "ebpf_time_ns", "total", "ebsSyscallsLatencyTotal", 3, C64, 0,
	  "Time spent in sampled system calls."),
	R("syscall.total.p50_us", SYS, EBS_GAUGE, EBS_T_GLOBAL, SNAP, sys.pct.p50, EBS_V_DOUBLE,
	  "us", "ebpf_latency", "total-p50", "ebsSyscallsLatencyP50", 4, G32, 50,
	  "Median system call latency over the last interval."),
	R("syscall.total.p90_us", SYS, EBS_GAUGE, EBS_T_GLOBAL, SNAP, sys.pct.p90, EBS_V_DOUBLE,
	  "us", "ebpf_latency", "total-p90", NULL, 0, NO, 90,
	  "90th percentile system call latency over the last interval."),
	R("syscall.total.p99_us", SYS, EBS_GAUGE, EBS_T_GLOBAL, SNAP, sys.pct.p99, EBS_V_DOUBLE,
	  "us", "ebpf_latency", "total-p99", "ebsSyscallsLatencyP99", 5, G32, 99,
	  "99th percentile system call latency over the last interval."),
	EBS_SYS_COUNTERS(SYS_COUNTER)

	/* ---- syscalls: per syscall ---- */
	R("syscall.name", SYS, EBS_INFO, EBS_T_SYSCALL, struct ebs_syscall_row, name,
	  EBS_V_STRPTR, "", NULL, NULL, "ebsSyscallName", 2, STR, 0, "System call name."),
	R("syscall.calls", SYS, EBS_COUNTER, EBS_T_SYSCALL, struct ebs_syscall_row, calls,
	  EBS_V_U64, "calls", "ebpf_calls", NULL, "ebsSyscallCalls", 3, C64, 0,
	  "Calls of this system call."),
	R("syscall.errors", SYS, EBS_COUNTER, EBS_T_SYSCALL, struct ebs_syscall_row, errors,
	  EBS_V_U64, "calls", "ebpf_errors", NULL, "ebsSyscallErrors", 4, C64, 0,
	  "Calls of this system call that returned an error."),
	R("syscall.latency_ns", SYS, EBS_COUNTER, EBS_T_SYSCALL, struct ebs_syscall_row,
	  latency_ns, EBS_V_U64, "ns", "ebpf_time_ns", NULL, "ebsSyscallLatencyTotal", 5, C64, 0,
	  "Time spent in sampled calls of this system call."),
	R("syscall.p50_us", SYS, EBS_GAUGE, EBS_T_SYSCALL, struct ebs_syscall_row, pct.p50,
	  EBS_V_DOUBLE, "us", "ebpf_latency", "p50", "ebsSyscallLatencyP50", 6, G32, 50,
	  "Median latency of this system call over the last interval."),
	R("syscall.p90_us", SYS, EBS_GAUGE, EBS_T_SYSCALL, struct ebs_syscall_row, pct.p90,
	  EBS_V_DOUBLE, "us", "ebpf_latency", "p90", "ebsSyscallLatencyP90", 7, G32, 90,
	  "90th percentile latency of this system call over the last interval."),
	R("syscall.p99_us", SYS, EBS_GAUGE, EBS_T_SYSCALL, struct ebs_syscall_row, pct.p99,
	  EBS_V_DOUBLE, "us", "ebpf_latency", "p99", "ebsSyscallLatencyP99", 8, G32, 99,
	  "99th percentile latency of this system call over the last interval."),

	/* ---- file I/O: a view of the syscalls module (collect_file_io) ---- */
	R("file_io.read_bytes", SYS, EBS_COUNTER, EBS_T_GLOBAL, SNAP, fio.read_bytes, EBS_V_U64,
	  "bytes", "ebpf_bytes", "total_read", "ebsSyscallsReadBytes", 8, C64, 0,
	  "Bytes returned by read, readv, pread64, preadv, preadv2 (files, pipes and sockets)."),
	R("file_io.write_bytes", SYS, EBS_COUNTER, EBS_T_GLOBAL, SNAP, fio.write_bytes, EBS_V_U64,
	  "bytes", "ebpf_bytes", "total_write", "ebsSyscallsWriteBytes", 9, C64, 0,
	  "Bytes accepted by write, writev, pwrite64, pwritev, pwritev2 (files, pipes and sockets)."),
	R("file_io.read_calls", SYS, EBS_COUNTER, EBS_T_GLOBAL, SNAP, fio.read_calls, EBS_V_U64,
	  "calls", "ebpf_calls", "total_read", NULL, 0, NO, 0,
	  "Calls of the read family (SNMP: the rows of ebsFileIoTable)."),
	R("file_io.write_calls", SYS, EBS_COUNTER, EBS_T_GLOBAL, SNAP, fio.write_calls, EBS_V_U64,
	  "calls", "ebpf_calls", "total_write", NULL, 0, NO, 0,
	  "Calls of the write family (SNMP: the rows of ebsFileIoTable)."),
	R("file_io.opens", SYS, EBS_COUNTER, EBS_T_GLOBAL, SNAP, fio.opens, EBS_V_U64, "calls",
	  "ebpf_calls", "total_open", NULL, 0, NO, 0,
	  "Successful open, openat, openat2 and creat calls (SNMP: the rows of ebsFileIoTable)."),
	R("file_io.open_errors", SYS, EBS_COUNTER, EBS_T_GLOBAL, SNAP, fio.open_errors, EBS_V_U64,
	  "calls", "ebpf_errors", "total_open", NULL, 0, NO, 0,
	  "Failed open, openat, openat2 and creat calls (SNMP: the rows of ebsFileIoTable)."),
	R("file_io.name", SYS, EBS_INFO, EBS_T_FILEIO, struct ebs_fileio_row, name, EBS_V_STRPTR,
	  "", NULL, NULL, "ebsFileIoName", 2, STR, 0, "System call name."),
	R("file_io.calls", SYS, EBS_COUNTER, EBS_T_FILEIO, struct ebs_fileio_row, calls, EBS_V_U64,
	  "calls", "ebpf_calls", NULL, "ebsFileIoCalls", 3, C64, 0, "Calls of this system call."),
	R("file_io.errors", SYS, EBS_COUNTER, EBS_T_FILEIO, struct ebs_fileio_row, errors,
	  EBS_V_U64, "calls", "ebpf_errors", NULL, "ebsFileIoErrors", 4, C64, 0,
	  "Calls of this system call that returned an error."),
	R("file_io.bytes", SYS, EBS_COUNTER, EBS_T_FILEIO, struct ebs_fileio_row, bytes, EBS_V_U64,
	  "bytes", "ebpf_bytes", NULL, "ebsFileIoBytes", 5, C64, 0,
	  "Bytes read or written by this system call (its non-negative return values)."),
	R("file_io.p50_us", SYS, EBS_GAUGE, EBS_T_FILEIO, struct ebs_fileio_row, pct.p50,
	  EBS_V_DOUBLE, "us", "ebpf_latency", "p50", "ebsFileIoLatencyP50", 6, G32, 50,
	  "Median latency of this system call over the last interval."),
	R("file_io.p90_us", SYS, EBS_GAUGE, EBS_T_FILEIO, struct ebs_fileio_row, pct.p90,
	  EBS_V_DOUBLE, "us", "ebpf_latency", "p90", "ebsFileIoLatencyP90", 7, G32, 90,
	  "90th percentile latency of this system call over the last interval."),
	R("file_io.p99_us", SYS, EBS_GAUGE, EBS_T_FILEIO, struct ebs_fileio_row, pct.p99,
	  EBS_V_DOUBLE, "us", "ebpf_latency", "p99", "ebsFileIoLatencyP99", 8, G32, 99,
	  "99th percentile latency of this system call over the last interval."),

	/* ---- tcp: scalars ---- */
	EBS_TCP_CONN_COUNTERS(TCP_COUNTER)
	R("tcp.established", TCP, EBS_GAUGE, EBS_T_GLOBAL, SNAP, tcp.established, EBS_V_U64,
	  "sockets", NULL, NULL, "ebsTcpEstablished", 7, G32, 0,
	  "Sockets in ESTABLISHED now (among sockets seen since load)."),
	R("tcp.connect.p50_us", TCP, EBS_GAUGE, EBS_T_GLOBAL, SNAP, tcp.connect_pct.p50,
	  EBS_V_DOUBLE, "us", "ebpf_latency", "connect-p50", "ebsTcpConnectLatencyP50", 8, G32, 50,
	  "Median active connect latency over the last interval."),
	R("tcp.connect.p90_us", TCP, EBS_GAUGE, EBS_T_GLOBAL, SNAP, tcp.connect_pct.p90,
	  EBS_V_DOUBLE, "us", "ebpf_latency", "connect-p90", NULL, 0, NO, 90,
	  "90th percentile active connect latency over the last interval."),
	R("tcp.connect.p99_us", TCP, EBS_GAUGE, EBS_T_GLOBAL, SNAP, tcp.connect_pct.p99,
	  EBS_V_DOUBLE, "us", "ebpf_latency", "connect-p99", "ebsTcpConnectLatencyP99", 9, G32, 99,
	  "99th percentile active connect latency over the last interval."),
	R("tcp.rtt.p50_us", TCP, EBS_GAUGE, EBS_T_GLOBAL, SNAP, tcp.rtt_pct.p50, EBS_V_DOUBLE,
	  "us", "ebpf_latency", "rtt-p50", "ebsTcpRttP50", 10, G32, 50,
	  "Median smoothed RTT over the last interval, of connections (as each leaves ESTABLISHED, "
	  "and at most once a second while established) or of segments (tcp_rtt_per_segment)."),
	R("tcp.rtt.p90_us", TCP, EBS_GAUGE, EBS_T_GLOBAL, SNAP, tcp.rtt_pct.p90, EBS_V_DOUBLE,
	  "us", "ebpf_latency", "rtt-p90", NULL, 0, NO, 90,
	  "90th percentile smoothed RTT over the last interval."),
	R("tcp.rtt.p99_us", TCP, EBS_GAUGE, EBS_T_GLOBAL, SNAP, tcp.rtt_pct.p99, EBS_V_DOUBLE,
	  "us", "ebpf_latency", "rtt-p99", "ebsTcpRttP99", 11, G32, 99,
	  "99th percentile smoothed RTT over the last interval."),
	EBS_TCP_BYTE_COUNTERS(TCP_COUNTER)
	R("tcp.lifetime.p50_ms", TCP, EBS_GAUGE, EBS_T_GLOBAL, SNAP, tcp.lifetime_pct.p50,
	  EBS_V_DOUBLE, "ms", "ebpf_duration_ms", "lifetime-p50", "ebsTcpLifetimeP50", 14, G32, 50,
	  "Median lifetime of connections closed in the last interval."),
	R("tcp.lifetime.p99_ms", TCP, EBS_GAUGE, EBS_T_GLOBAL, SNAP, tcp.lifetime_pct.p99,
	  EBS_V_DOUBLE, "ms", "ebpf_duration_ms", "lifetime-p99", "ebsTcpLifetimeP99", 15, G32, 99,
	  "99th percentile lifetime of connections closed in the last interval."),
	EBS_TCP_OVERFLOW_COUNTERS(TCP_COUNTER)
	R("tcp.port_overflows", TCP, EBS_COUNTER, EBS_T_GLOBAL, SNAP, tcp.port_overflows,
	  EBS_V_U64, "ports", "ebpf_overflows", "tcp_ports", "ebsTcpPortOverflows", 17, C64, 0,
	  "Local-port rows evicted because the port table was full."),
	EBS_TCP_SAMPLE_COUNTERS(TCP_COUNTER)

	R("tcp.peer_overflows", TCP, EBS_COUNTER, EBS_T_GLOBAL, SNAP, tcp_peer_overflows,
	  EBS_V_U64, "peers", "ebpf_overflows", "tcp_peers", "ebsTcpPeerOverflows", 19, C64, 0,
	  "Peer rows evicted (or never created) because the peer table was full."),
	/* SNMP only: collectd has the counter and computes rates itself */
	R("tcp.retransmits.rate", TCP, EBS_GAUGE, EBS_T_GLOBAL, SNAP, tcp.retransmit_rate,
	  EBS_V_U64, "segments/s", NULL, NULL, "ebsTcpRetransmitRate", 24, G32, 0,
	  "Segments retransmitted per second over the last interval, rounded."),

	/* ---- tcp: per state ---- */
	R("tcp.state.name", TCP, EBS_INFO, EBS_T_TCP_STATE, struct ebs_tcp_state_row, name,
	  EBS_V_STRPTR, "", NULL, NULL, "ebsTcpStateName", 2, STR, 0, "TCP state name."),
	R("tcp.state.sockets", TCP, EBS_GAUGE, EBS_T_TCP_STATE, struct ebs_tcp_state_row, sockets,
	  EBS_V_I64, "sockets", "ebpf_sockets", NULL, "ebsTcpStateSockets", 3, G32, 0,
	  "Sockets in this state now (among sockets seen since load)."),
	R("tcp.state.trans_in", TCP, EBS_COUNTER, EBS_T_TCP_STATE, struct ebs_tcp_state_row,
	  trans_in, EBS_V_U64, "transitions", "ebpf_transitions", "in", "ebsTcpStateTransIn", 4,
	  C64, 0, "Transitions into this state."),
	R("tcp.state.trans_out", TCP, EBS_COUNTER, EBS_T_TCP_STATE, struct ebs_tcp_state_row,
	  trans_out, EBS_V_U64, "transitions", "ebpf_transitions", "out", "ebsTcpStateTransOut", 5,
	  C64, 0, "Transitions out of this state."),
	R("tcp.transition", TCP, EBS_COUNTER, EBS_T_TCP_TRANS, struct ebs_tcp_trans_row, count,
	  EBS_V_U64, "transitions", "ebpf_transitions", NULL, NULL, 0, NO, 0,
	  "Transitions from one state to another (non-zero pairs)."),

	/* ---- tcp: per local port ---- */
	R("tcp.port.accepts", TCP, EBS_COUNTER, EBS_T_TCP_PORT, struct ebs_tcp_port_row, accepts,
	  EBS_V_U64, "connections", "ebpf_events", "accepts", "ebsTcpPortAccepts", 2, C64, 0,
	  "Connections accepted on this local port."),
	R("tcp.port.resets", TCP, EBS_COUNTER, EBS_T_TCP_PORT, struct ebs_tcp_port_row, resets,
	  EBS_V_U64, "segments", "ebpf_events", "resets", "ebsTcpPortResets", 3, C64, 0,
	  "RST segments sent or received on this local port."),
	R("tcp.port.retransmits", TCP, EBS_COUNTER, EBS_T_TCP_PORT, struct ebs_tcp_port_row,
	  retransmits, EBS_V_U64, "segments", "ebpf_events", "retransmits",
	  "ebsTcpPortRetransmits", 4, C64, 0, "Segments retransmitted on this local port."),
	R("tcp.port.bytes_in", TCP, EBS_COUNTER, EBS_T_TCP_PORT, struct ebs_tcp_port_row, bytes_in,
	  EBS_V_U64, "bytes", "ebpf_bytes", "in", "ebsTcpPortBytesIn", 5, C64, 0,
	  "Bytes received on this local port, of open connections at each snapshot."),
	R("tcp.port.bytes_out", TCP, EBS_COUNTER, EBS_T_TCP_PORT, struct ebs_tcp_port_row,
	  bytes_out, EBS_V_U64, "bytes", "ebpf_bytes", "out", "ebsTcpPortBytesOut", 6, C64, 0,
	  "Bytes sent from this local port and acknowledged, of open connections at each snapshot."),
	R("tcp.port.segs_in", TCP, EBS_COUNTER, EBS_T_TCP_PORT, struct ebs_tcp_port_row, segs_in,
	  EBS_V_U64, "segments", "ebpf_segments", "in", "ebsTcpPortSegsIn", 7, C64, 0,
	  "Segments received on this local port, counted like its bytes."),
	R("tcp.port.segs_out", TCP, EBS_COUNTER, EBS_T_TCP_PORT, struct ebs_tcp_port_row,
	  segs_out, EBS_V_U64, "segments", "ebpf_segments", "out", "ebsTcpPortSegsOut", 8, C64, 0,
	  "Segments sent from this local port (retransmits included), counted like its bytes."),

	/* ---- tcp: per remote endpoint (who talks to whom) ---- */
	R("tcp.peer.direction", TCP, EBS_INFO, EBS_T_TCP_PEER, struct ebs_tcp_peer_row, dir,
	  EBS_V_U32, "", NULL, NULL, NULL, 0, NO, 0,
	  "out(1): this host connected to the peer's port; in(2): the peer connected to this host's port."),
	R("tcp.peer.address_type", TCP, EBS_INFO, EBS_T_TCP_PEER, struct ebs_tcp_peer_row,
	  addr_type, EBS_V_U32, "", NULL, NULL, NULL, 0, NO, 0,
	  "ipv4(1) or ipv6(2), InetAddressType's values."),
	R("tcp.peer.address", TCP, EBS_INFO, EBS_T_TCP_PEER, struct ebs_tcp_peer_row, addr_str,
	  EBS_V_STR, "", NULL, NULL, "ebsTcpPeerAddress", 5, STR, 0,
	  "The peer's address in text form."),
	R("tcp.peer.port", TCP, EBS_INFO, EBS_T_TCP_PEER, struct ebs_tcp_peer_row, port, EBS_V_U32,
	  "", NULL, NULL, NULL, 0, NO, 0,
	  "The peer's port (out) or this host's port the peer connected to (in)."),
	R("tcp.peer.connects", TCP, EBS_COUNTER, EBS_T_TCP_PEER, struct ebs_tcp_peer_row, connects,
	  EBS_V_U64, "connections", "ebpf_events", "connects", "ebsTcpPeerConnects", 6, C64, 0,
	  "Connections established between this host and the peer, in this direction."),
	R("tcp.peer.retransmits", TCP, EBS_COUNTER, EBS_T_TCP_PEER, struct ebs_tcp_peer_row,
	  retransmits, EBS_V_U64, "segments", "ebpf_events", "retransmits",
	  "ebsTcpPeerRetransmits", 7, C64, 0, "Segments retransmitted to the peer."),
	R("tcp.peer.resets", TCP, EBS_COUNTER, EBS_T_TCP_PEER, struct ebs_tcp_peer_row, resets,
	  EBS_V_U64, "segments", "ebpf_events", "resets", "ebsTcpPeerResets", 8, C64, 0,
	  "RST segments sent to or received from the peer."),
	R("tcp.peer.bytes_in", TCP, EBS_COUNTER, EBS_T_TCP_PEER, struct ebs_tcp_peer_row, bytes_in,
	  EBS_V_U64, "bytes", "ebpf_bytes", "in", "ebsTcpPeerBytesIn", 9, C64, 0,
	  "Bytes received from the peer, of open connections at each snapshot."),
	R("tcp.peer.bytes_out", TCP, EBS_COUNTER, EBS_T_TCP_PEER, struct ebs_tcp_peer_row,
	  bytes_out, EBS_V_U64, "bytes", "ebpf_bytes", "out", "ebsTcpPeerBytesOut", 10, C64, 0,
	  "Bytes sent to and acknowledged by the peer, of open connections at each snapshot."),
	R("tcp.peer.segs_in", TCP, EBS_COUNTER, EBS_T_TCP_PEER, struct ebs_tcp_peer_row, segs_in,
	  EBS_V_U64, "segments", "ebpf_segments", "in", "ebsTcpPeerSegsIn", 11, C64, 0,
	  "Segments received from the peer, counted like its bytes."),
	R("tcp.peer.segs_out", TCP, EBS_COUNTER, EBS_T_TCP_PEER, struct ebs_tcp_peer_row,
	  segs_out, EBS_V_U64, "segments", "ebpf_segments", "out", "ebsTcpPeerSegsOut", 12, C64, 0,
	  "Segments sent to the peer (retransmits included), counted like its bytes."),

	/* ---- scheduler: totals ---- */
	EBS_SCHED_SWITCH_COUNTERS(SCHED_COUNTER)
	R("sched.migrations", SCH, EBS_COUNTER, EBS_T_GLOBAL, SNAP, sched.migrations, EBS_V_U64,
	  "tasks", "ebpf_events", "migrations", "ebsSchedMigrations", 3, C64, 0,
	  "Task migrations between CPUs."),
	EBS_SCHED_TASK_COUNTERS(SCHED_COUNTER)
	EBS_SCHED_SAMPLE_COUNTERS(SCHED_COUNTER)
	R("sched.runq.p50_us", SCH, EBS_GAUGE, EBS_T_GLOBAL, SNAP, sched.runq_pct.p50,
	  EBS_V_DOUBLE, "us", "ebpf_latency", "runq-p50", "ebsSchedRunqLatencyP50", 10, G32, 50,
	  "Median run-queue latency over the last interval."),
	R("sched.runq.p90_us", SCH, EBS_GAUGE, EBS_T_GLOBAL, SNAP, sched.runq_pct.p90,
	  EBS_V_DOUBLE, "us", "ebpf_latency", "runq-p90", NULL, 0, NO, 90,
	  "90th percentile run-queue latency over the last interval."),
	R("sched.runq.p99_us", SCH, EBS_GAUGE, EBS_T_GLOBAL, SNAP, sched.runq_pct.p99,
	  EBS_V_DOUBLE, "us", "ebpf_latency", "runq-p99", "ebsSchedRunqLatencyP99", 11, G32, 99,
	  "99th percentile run-queue latency over the last interval."),
	EBS_SCHED_OVERFLOW_COUNTERS(SCHED_COUNTER)

	/* ---- scheduler: per CPU ---- */
	R("cpu.switches_voluntary", SCH, EBS_COUNTER, EBS_T_CPU, struct ebs_cpu_row, switches_vol,
	  EBS_V_U64, "switches", "ebpf_events", "switches_voluntary", "ebsCpuSwitchesVoluntary", 2,
	  C64, 0, "Voluntary context switches on this CPU."),
	R("cpu.switches_involuntary", SCH, EBS_COUNTER, EBS_T_CPU, struct ebs_cpu_row,
	  switches_invol, EBS_V_U64, "switches", "ebpf_events", "switches_involuntary",
	  "ebsCpuSwitchesInvoluntary", 3, C64, 0, "Involuntary context switches on this CPU."),
	R("cpu.migrations", SCH, EBS_COUNTER, EBS_T_CPU, struct ebs_cpu_row, migrations, EBS_V_U64,
	  "tasks", "ebpf_events", "migrations", "ebsCpuMigrations", 4, C64, 0,
	  "Tasks migrated to this CPU."),
	R("cpu.runq.samples", SCH, EBS_COUNTER, EBS_T_CPU, struct ebs_cpu_row, runq_samples,
	  EBS_V_U64, "samples", "ebpf_events", "runq_samples", "ebsCpuRunqSamples", 5, C64, 0,
	  "Run-queue latency samples on this CPU."),
	R("cpu.runq.p50_us", SCH, EBS_GAUGE, EBS_T_CPU, struct ebs_cpu_row, runq_pct.p50,
	  EBS_V_DOUBLE, "us", "ebpf_latency", "runq-p50", "ebsCpuRunqLatencyP50", 6, G32, 50,
	  "Median run-queue latency on this CPU over the last interval."),
	R("cpu.runq.p90_us", SCH, EBS_GAUGE, EBS_T_CPU, struct ebs_cpu_row, runq_pct.p90,
	  EBS_V_DOUBLE, "us", "ebpf_latency", "runq-p90", "ebsCpuRunqLatencyP90", 7, G32, 90,
	  "90th percentile run-queue latency on this CPU over the last interval."),
	R("cpu.runq.p99_us", SCH, EBS_GAUGE, EBS_T_CPU, struct ebs_cpu_row, runq_pct.p99,
	  EBS_V_DOUBLE, "us", "ebpf_latency", "runq-p99", "ebsCpuRunqLatencyP99", 8, G32, 99,
	  "99th percentile run-queue latency on this CPU over the last interval."),

	/* ---- memory ---- */
	EBS_MEM_EVENT_COUNTERS(MEM_COUNTER)
	R("memory.oom_last_pid", MEM, EBS_GAUGE, EBS_T_GLOBAL, SNAP, mem.oom_last_pid, EBS_V_U32,
	  "", "ebpf_pid", "oom_last", "ebsMemoryOomLastPid", 4, U32, 0,
	  "Process id of the last OOM victim; 0 when there was none since load."),
	R("memory.oom_last_comm", MEM, EBS_INFO, EBS_T_GLOBAL, SNAP, mem.oom_last_comm, EBS_V_STR,
	  "", NULL, NULL, "ebsMemoryOomLastComm", 5, STR, 0,
	  "Command name of the last OOM victim; empty when unknown."),
	EBS_MEM_OVERFLOW_COUNTERS(MEM_COUNTER)
	EBS_MEM_PAGE_COUNTERS(MEM_COUNTER)
	/* the process table: rows of the sched and memory modules merged by
	 * pid (src/procs.c); its comm is there while either module runs */
	R("memory.proc.comm", AGT, EBS_INFO, EBS_T_PROC, struct ebs_proc_row, comm, EBS_V_STR, "",
	  NULL, NULL, "ebsProcComm", 2, STR, 0,
	  "Command name of the process: as of its last exec (sched module), else of the thread that made its first fault (memory)."),
	R("memory.proc.faults_user", MEM, EBS_COUNTER, EBS_T_PROC, struct ebs_proc_row,
	  faults_user, EBS_V_U64, "faults", NULL, NULL, "ebsProcFaultsUser", 3, C64, 0,
	  "User-mode page faults of this process."),
	R("memory.proc.faults_kernel", MEM, EBS_COUNTER, EBS_T_PROC, struct ebs_proc_row,
	  faults_kernel, EBS_V_U64, "faults", NULL, NULL, "ebsProcFaultsKernel", 4, C64, 0,
	  "Kernel-mode page faults of this process."),
	R("sched.proc.oncpu_ns", SCH, EBS_COUNTER, EBS_T_PROC, struct ebs_proc_row, oncpu_ns,
	  EBS_V_U64, "ns", NULL, NULL, "ebsProcCpuTime", 5, C64, 0,
	  "Time the process's threads ran on a CPU (sched_switch), live threads and exited ones."),

	/* ---- per cgroup (collect_cgroups): each column from its family ---- */
	R("cgroup.view.status", AGT, EBS_INFO, EBS_T_GLOBAL, SNAP, cg.status, EBS_V_STATUS, "",
	  NULL, NULL, "ebsAgentCgroupsStatus", 5, EBS_SNMP_INTEGER, 0,
	  "The cgroup rows: ok, degraded (no cgroup2 mount: rows named by id only), disabled."),
	R("cgroup.view.reason", AGT, EBS_INFO, EBS_T_GLOBAL, SNAP, cg.reason, EBS_V_STR, "", NULL,
	  NULL, "ebsAgentCgroupsReason", 6, STR, 0, "Why the cgroup rows are degraded or disabled; empty when ok."),
#define CG struct ebs_cgroup_row
	R("cgroup.name", AGT, EBS_INFO, EBS_T_CGROUP, CG, name, EBS_V_STR, "", NULL, NULL, "ebsCgroupName", 2,
	  STR, 0, "Path of the cgroup below the cgroup2 mount (\"/\": the root); "
	  "empty when no cgroup2 mount is found."),
	R("cgroup.id", AGT, EBS_INFO, EBS_T_CGROUP, CG, id_text, EBS_V_STR, "", NULL, NULL, "ebsCgroupId", 3,
	  STR, 0, "The cgroup's 64-bit id in decimal: its directory's inode number."),
	R("cgroup.gone", AGT, EBS_INFO, EBS_T_CGROUP, CG, gone, EBS_V_BOOL, "", NULL, NULL, "ebsCgroupGone", 4,
	  INT, 0, "The cgroup was removed; its row leaves at the next snapshot."),
	R("cgroup.syscalls", SYS, EBS_COUNTER, EBS_T_CGROUP, CG, sys_calls, EBS_V_U64, "calls",
	  "ebpf_calls", "syscalls", "ebsCgroupSyscalls", 5, C64, 0, "System calls made by the cgroup's tasks."),
	R("cgroup.syscall_errors", SYS, EBS_COUNTER, EBS_T_CGROUP, CG, sys_errors, EBS_V_U64,
	  "calls", "ebpf_errors", "syscalls", "ebsCgroupSyscallErrors", 6, C64, 0,
	  "System calls of the cgroup's tasks that returned an error."),
	R("cgroup.syscall_latency_ns", SYS, EBS_COUNTER, EBS_T_CGROUP, CG, sys_latency_ns,
	  EBS_V_U64, "ns", "ebpf_time_ns", "syscalls", "ebsCgroupSyscallLatencyTotal", 7, C64, 0,
	  "Time the cgroup's tasks spent in sampled system calls."),
	R("cgroup.syscall_p50_us", SYS, EBS_GAUGE, EBS_T_CGROUP, CG, sys_pct.p50, EBS_V_DOUBLE,
	  "us", "ebpf_latency", "syscalls-p50", "ebsCgroupSyscallLatencyP50", 8, G32, 50,
	  "Median system call latency of the cgroup's tasks over the last interval (within 11.5 %)."),
	R("cgroup.syscall_p90_us", SYS, EBS_GAUGE, EBS_T_CGROUP, CG, sys_pct.p90, EBS_V_DOUBLE,
	  "us", "ebpf_latency", "syscalls-p90", "ebsCgroupSyscallLatencyP90", 9, G32, 90,
	  "90th percentile system call latency of the cgroup's tasks over the last interval."),
	R("cgroup.syscall_p99_us", SYS, EBS_GAUGE, EBS_T_CGROUP, CG, sys_pct.p99, EBS_V_DOUBLE,
	  "us", "ebpf_latency", "syscalls-p99", "ebsCgroupSyscallLatencyP99", 10, G32, 99,
	  "99th percentile system call latency of the cgroup's tasks over the last interval."),
	R("cgroup.switches_voluntary", SCH, EBS_COUNTER, EBS_T_CGROUP, CG, switches_vol, EBS_V_U64,
	  "switches", "ebpf_events", "switches_voluntary", "ebsCgroupSwitchesVoluntary", 11, C64, 0,
	  "Times a task of the cgroup left the CPU blocking."),
	R("cgroup.switches_involuntary", SCH, EBS_COUNTER, EBS_T_CGROUP, CG, switches_invol,
	  EBS_V_U64, "switches", "ebpf_events", "switches_involuntary", "ebsCgroupSwitchesInvoluntary", 12, C64, 0,
	  "Times a task of the cgroup was preempted while runnable."),
	R("cgroup.oncpu_ns", SCH, EBS_COUNTER, EBS_T_CGROUP, CG, oncpu_ns, EBS_V_U64, "ns", "ebpf_time_ns",
	  "oncpu", "ebsCgroupOnCpuTime", 13, C64, 0,
	  "CPU time of the cgroup's tasks, from sched_switch (counted at each switch-out)."),
	R("cgroup.runq.wait_ns", SCH, EBS_COUNTER, EBS_T_CGROUP, CG, runq_ns, EBS_V_U64, "ns",
	  "ebpf_time_ns", "runq", "ebsCgroupRunqWaitTotal", 14, C64, 0, "Time the cgroup's tasks waited on a run queue."),
	R("cgroup.runq.samples", SCH, EBS_COUNTER, EBS_T_CGROUP, CG, runq_samples, EBS_V_U64,
	  "samples", "ebpf_events", "runq_samples", "ebsCgroupRunqSamples", 15, C64, 0, "Run-queue waits of the cgroup's tasks."),
	R("cgroup.runq.p50_us", SCH, EBS_GAUGE, EBS_T_CGROUP, CG, runq_pct.p50, EBS_V_DOUBLE, "us",
	  "ebpf_latency", "runq-p50", "ebsCgroupRunqLatencyP50", 16, G32, 50,
	  "Median run-queue latency of the cgroup's tasks over the last interval (within 11.5 %)."),
	R("cgroup.runq.p90_us", SCH, EBS_GAUGE, EBS_T_CGROUP, CG, runq_pct.p90, EBS_V_DOUBLE, "us",
	  "ebpf_latency", "runq-p90", "ebsCgroupRunqLatencyP90", 17, G32, 90,
	  "90th percentile run-queue latency of the cgroup's tasks over the last interval."),
	R("cgroup.runq.p99_us", SCH, EBS_GAUGE, EBS_T_CGROUP, CG, runq_pct.p99, EBS_V_DOUBLE, "us",
	  "ebpf_latency", "runq-p99", "ebsCgroupRunqLatencyP99", 18, G32, 99,
	  "99th percentile run-queue latency of the cgroup's tasks over the last interval."),
	R("cgroup.tcp.active_opens", TCP, EBS_COUNTER, EBS_T_CGROUP, CG, tcp_active_opens,
	  EBS_V_U64, "connections", "ebpf_events", "active_opens", "ebsCgroupTcpActiveOpens", 19, C64, 0,
	  "Connections the cgroup's sockets opened (SYN_SENT -> ESTABLISHED)."),
	R("cgroup.tcp.passive_opens", TCP, EBS_COUNTER, EBS_T_CGROUP, CG, tcp_passive_opens,
	  EBS_V_U64, "connections", "ebpf_events", "passive_opens", "ebsCgroupTcpPassiveOpens", 20, C64, 0,
	  "Connections the cgroup's listeners accepted (SYN_RECV -> ESTABLISHED)."),
	R("cgroup.tcp.retransmits", TCP, EBS_COUNTER, EBS_T_CGROUP, CG, tcp_retransmits,
	  EBS_V_U64, "segments", "ebpf_events", "retransmits", "ebsCgroupTcpRetransmits", 21, C64, 0,
	  "Segments the cgroup's sockets retransmitted."),
	R("cgroup.tcp.resets", TCP, EBS_COUNTER, EBS_T_CGROUP, CG, tcp_resets, EBS_V_U64,
	  "segments", "ebpf_events", "resets", "ebsCgroupTcpResets", 22, C64, 0, "RST segments the cgroup's sockets sent or received."),
	R("cgroup.tcp.bytes_in", TCP, EBS_COUNTER, EBS_T_CGROUP, CG, tcp_bytes_in, EBS_V_U64,
	  "bytes", "ebpf_bytes", "in", "ebsCgroupTcpBytesIn", 23, C64, 0,
	  "Bytes the cgroup's sockets received, counted like tcp.bytes_received."),
	R("cgroup.tcp.bytes_out", TCP, EBS_COUNTER, EBS_T_CGROUP, CG, tcp_bytes_out, EBS_V_U64,
	  "bytes", "ebpf_bytes", "out", "ebsCgroupTcpBytesOut", 24, C64, 0,
	  "Bytes the cgroup's sockets sent and had acknowledged, counted like tcp.bytes_sent."),
	R("cgroup.faults", MEM, EBS_COUNTER, EBS_T_CGROUP, CG, faults, EBS_V_U64, "faults", "ebpf_events",
	  "faults", "ebsCgroupFaults", 25, C64, 0, "Page faults (user and kernel) of the cgroup's tasks."),
	R("cgroup.oom_kills", MEM, EBS_COUNTER, EBS_T_CGROUP, CG, oom_kills, EBS_V_U64, "tasks",
	  "ebpf_events", "oom_kills", "ebsCgroupOomKills", 26, C64, 0, "Tasks of the cgroup the OOM killer killed (6.8 and later)."),
#undef CG
	R("cgroup.table.evictions", AGT, EBS_COUNTER, EBS_T_GLOBAL, SNAP, cg.evictions, EBS_V_U64,
	  "rows", "ebpf_overflows", "cgroup_evictions", "ebsAgentCgroupEvictions", 7, C64, 0,
	  "Cgroup rows the readers recycled to make room (map_sizes.cgroups), all families."),
	R("cgroup.table.insert_failures", AGT, EBS_COUNTER, EBS_T_GLOBAL, SNAP, cg.failed,
	  EBS_V_U64, "events", "ebpf_overflows", "cgroup_insert_failures", "ebsAgentCgroupInsertFailures", 8, C64, 0,
	  "Events in no cgroup row: no row was free, or the row changed hands."),
	R("cgroup.table.unattributed", AGT, EBS_COUNTER, EBS_T_GLOBAL, SNAP, cg.unattributed,
	  EBS_V_U64, "events", "ebpf_events", "cgroup_unattributed", "ebsAgentCgroupUnattributed", 9, C64, 0,
	  "Events in no cgroup row: their socket's or task's cgroup could not be read."),
	R("cgroup.table.filtered", AGT, EBS_GAUGE, EBS_T_GLOBAL, SNAP, cg.filtered, EBS_V_U64,
	  "rows", NULL, NULL, NULL, 0, NO, 0,
	  "Cgroup rows cgroup_filter left out of the last snapshot."),

	/* ---- histograms (SNMP only: collectd gets the percentiles) ---- */
	R("hist.upper", AGT, EBS_INFO, EBS_T_HIST, struct ebs_hist_row, upper, EBS_V_U64, "",
	  NULL, NULL, "ebsHistUpperBound", 4, EBS_SNMP_UNSIGNED32, 0,
	  "Inclusive upper bound of the bucket in the histogram's unit; the last bucket is open."),
	R("hist.count", AGT, EBS_COUNTER, EBS_T_HIST, struct ebs_hist_row, count, EBS_V_U64,
	  "samples", NULL, NULL, "ebsHistCount", 5, C64, 0,
	  "Samples in this bucket since the programs were loaded."),
};
/* clang-format on */

const size_t ebs_catalog_len = sizeof(ebs_catalog) / sizeof(ebs_catalog[0]);

const struct ebs_metric *ebs_metric_find(const char *id)
{
	for (size_t i = 0; i < ebs_catalog_len; i++)
		if (strcmp(ebs_catalog[i].id, id) == 0)
			return &ebs_catalog[i];
	return NULL;
}

static const char *const hist_names[EBS_H_COUNT + 1] = {
	[EBS_H_SYSCALL] = "syscall_latency",	     [EBS_H_RUNQ] = "runq_latency",
	[EBS_H_TCP_CONNECT] = "tcp_connect_latency", [EBS_H_TCP_RTT] = "tcp_rtt",
	[EBS_H_TCP_LIFETIME] = "tcp_lifetime",
};

const char *ebs_hist_name(uint32_t id)
{
	return id >= 1 && id <= EBS_H_COUNT ? hist_names[id] : "?";
}

const char *ebs_hist_unit(uint32_t id)
{
	return id == EBS_H_TCP_LIFETIME ? "ms" : "ns";
}

static const void *field(const struct ebs_metric *m, const void *row)
{
	return (const char *)row + m->offset;
}

/* Every percentile metric points at p50/p90/p99 inside a struct ebs_pct. */
const struct ebs_pct *ebs_metric_pct(const struct ebs_metric *m, const void *row)
{
	size_t pos;

	switch (m->pct) {
	case 50: pos = offsetof(struct ebs_pct, p50); break;
	case 90: pos = offsetof(struct ebs_pct, p90); break;
	case 99: pos = offsetof(struct ebs_pct, p99); break;
	default: return NULL;
	}
	if (m->offset < pos)
		return NULL;
	return (const struct ebs_pct *)((const char *)row + (m->offset - pos));
}

/* A percentile's samples field says whether the interval had any. */
bool ebs_metric_unknown(const struct ebs_metric *m, const void *row)
{
	const struct ebs_pct *p = ebs_metric_pct(m, row);

	return p && p->samples == 0;
}

double ebs_metric_double(const struct ebs_metric *m, const void *row)
{
	const void *p = field(m, row);

	switch (m->vtype) {
	case EBS_V_U64: return (double)*(const uint64_t *)p;
	case EBS_V_I64: return (double)*(const int64_t *)p;
	case EBS_V_U32: return (double)*(const uint32_t *)p;
	case EBS_V_DOUBLE: return *(const double *)p;
	case EBS_V_STATUS: return (double)*(const enum ebs_status *)p;
	case EBS_V_BOOL: return *(const bool *)p ? 1.0 : 0.0;
	default: return 0.0;
	}
}

uint64_t ebs_metric_u64(const struct ebs_metric *m, const void *row)
{
	const void *p = field(m, row);

	switch (m->vtype) {
	case EBS_V_U64: return *(const uint64_t *)p;
	case EBS_V_I64: {
		int64_t v = *(const int64_t *)p;
		return v < 0 ? 0 : (uint64_t)v;
	}
	case EBS_V_U32: return *(const uint32_t *)p;
	case EBS_V_DOUBLE: {
		/* Percentiles are compared against integer thresholds: round
		 * to nearest so 0.6 µs reads 1, not 0. */
		double d = *(const double *)p;
		return d <= 0 ? 0 : (uint64_t)(d + 0.5);
	}
	case EBS_V_STATUS: return (uint64_t)(*(const enum ebs_status *)p);
	case EBS_V_BOOL: return *(const bool *)p ? 1 : 0;
	default: return 0;
	}
}

const char *ebs_metric_str(const struct ebs_metric *m, const void *row)
{
	const void *p = field(m, row);

	switch (m->vtype) {
	case EBS_V_STR: return (const char *)p;
	case EBS_V_STRPTR: {
		const char *s = *(const char *const *)p;
		return s ? s : "";
	}
	case EBS_V_STATUS: return ebs_status_name(*(const enum ebs_status *)p);
	default: return "";
	}
}

static const char *const cd_family[EBS_FAM_COUNT + 1] = {
	[EBS_FAM_SYSCALLS] = "syscall", [EBS_FAM_TCP] = "tcp",	  [EBS_FAM_SCHED] = "sched",
	[EBS_FAM_MEMORY] = "memory",	[EBS_FAM_COUNT] = "self",
};

void ebs_cd_plugin_instance(const struct ebs_metric *m, const void *row, char *buf, size_t len)
{
	const struct ebs_table_desc *d = &ebs_tables[m->table];

	if (d->cd_instance_is_key && d->cd_key)
		d->cd_key(row, buf, len);
	else if (d->cd_instance_is_key)
		ebs_row_key(m->table, row, buf, len);
	else if (d->cd_plugin_instance)
		snprintf(buf, len, "%s", d->cd_plugin_instance);
	/* the file I/O view lives in the syscalls module but is its own
	 * family to an operator */
	else if (strncmp(m->id, "file_io.", 8) == 0)
		snprintf(buf, len, "file_io");
	else
		snprintf(buf, len, "%s", cd_family[m->family]);
}

void ebs_cd_type_instance(const struct ebs_metric *m, const void *row, char *buf, size_t len)
{
	const struct ebs_table_desc *d = &ebs_tables[m->table];
	char key[64];

	/* no key, or the key is the plugin_instance */
	if (!d->key || d->cd_instance_is_key) {
		snprintf(buf, len, "%s", m->cd_type_instance ? m->cd_type_instance : "");
		return;
	}
	ebs_row_key(m->table, row, key, sizeof(key));
	if (m->cd_type_instance)
		snprintf(buf, len, "%s-%s", key, m->cd_type_instance);
	else
		snprintf(buf, len, "%s", key);
}

const char *ebs_metric_view(const struct ebs_metric *m)
{
	/* latency off: one hook, no timing, so no time or percentile values */
	bool latency = m->family == EBS_FAM_SYSCALLS && (m->pct || strcmp(m->unit, "ns") == 0);
	/* the file I/O view of the syscalls module is off unless asked for */
	bool file_io = strncmp(m->id, "file_io.", 8) == 0;

	if (strncmp(m->id, "cgroup.view.", 12) == 0)
		return "always";
	if (m->table == EBS_T_CGROUP || strncmp(m->id, "cgroup.", 7) == 0)
		return latency ? "cgroups+syscall_latency" : "cgroups";
	if (file_io && latency)
		return "file_io+syscall_latency";
	if (file_io)
		return "file_io";
	if (latency)
		return "syscall_latency";
	/* the process table's on-CPU time column: the sched module's, a view
	 * of its own (the table's other columns are the memory module's) */
	if (m->table == EBS_T_PROC && m->family == EBS_FAM_SCHED)
		return "process_cpu";
	if (strncmp(m->id, "memory.pages_", 13) == 0)
		return "page_allocs";
	if (ebs_tables[m->table].view)
		return ebs_tables[m->table].view;
	/* kernel run-time statistics: only while BPF stats are live */
	if (m->table == EBS_T_MODULE &&
	    (m->offset == offsetof(struct ebs_module_stat, run_time_ns) ||
	     m->offset == offsetof(struct ebs_module_stat, run_cnt)))
		return "bpf_stats";
	return "always";
}

bool ebs_metric_active(const struct ebs_metric *m, const struct ebs_snapshot *s, const void *row)
{
	const char *view = ebs_metric_view(m);

	if (m->table == EBS_T_MODULE) {
		const struct ebs_module_stat *ms = row;

		if (m->offset == offsetof(struct ebs_module_stat, status) ||
		    m->offset == offsetof(struct ebs_module_stat, name) ||
		    m->offset == offsetof(struct ebs_module_stat, reason) ||
		    m->offset == offsetof(struct ebs_module_stat, attach) || !ms)
			return true;
		if (ms->status != EBS_ST_OK && ms->status != EBS_ST_DEGRADED)
			return false;
		return strcmp(view, "bpf_stats") != 0 || ms->bpf_stats;
	}
	if (m->family < EBS_FAM_COUNT && !ebs_module_running(s, m->family))
		return false;
	if (strstr(view, "syscall_latency") && !s->views.syscall_latency)
		return false;
	if (strstr(view, "file_io") && !s->views.file_io)
		return false;
	if (strcmp(view, "tcp_peers") == 0 && !s->views.tcp_peers)
		return false;
	if (strstr(view, "cgroups") && !s->views.cgroups)
		return false;
	if (strcmp(view, "process_cpu") == 0 && !s->views.proc_cpu)
		return false;
	if (strcmp(view, "page_allocs") == 0 && !s->views.page_allocs)
		return false;
	return true;
}
