/* The TCP family's scalar counters: one line each, and the only place
 * that names them.  From these lists come the u64 fields of struct
 * ebs_tcp_stats (bpf/tcp.h: the kernel map's layout, in this order), the
 * fields of the snapshot's tcp struct (src/ebpfstats.h), their copy and
 * the module's events and overflows sums (src/module_tcp.c) and their
 * catalog rows (src/catalog.c).  A new counter is a line here, its
 * increment in bpf/tcp.bpf.c, its MIB object and a test; and since it
 * changes the kernel struct's layout, an EBS_PIN_LAYOUT bump.
 *
 * X(field, catalog id, role, unit, collectd type, collectd type_instance,
 *   MIB object, its sub-identifier under ebsTcp, help)
 * role: EVENT (adds to the module's events), OVERFLOW (adds to its
 * overflows) or OTHER (in neither: counted from transitions, which the
 * events already include, or not events at all).
 *
 * Grouped by where their catalog rows sit between the rows written by
 * hand (gauges, percentiles; catalog --json keeps that order); a new
 * counter goes at the end of its group.  Plain macros and no includes:
 * src/ebpfstats.h includes this file but not the kernel ABI headers. */
#ifndef EBS_TCP_COUNTERS_H
#define EBS_TCP_COUNTERS_H

#define EBS_TCP_CONN_COUNTERS(X)                                                                   \
	X(active_opens, "tcp.active_opens", OTHER, "connections", "ebpf_events", "active_opens",   \
	  "ebsTcpActiveOpens", 1, "Connections this host opened (SYN_SENT -> ESTABLISHED).")       \
	X(passive_opens, "tcp.passive_opens", OTHER, "connections", "ebpf_events",                 \
	  "passive_opens", "ebsTcpPassiveOpens", 2,                                                \
	  "Connections this host accepted (SYN_RECV -> ESTABLISHED).")                             \
	X(closes, "tcp.closes", OTHER, "sockets", "ebpf_events", "closes", "ebsTcpCloses", 3,      \
	  "Sockets that reached CLOSE.")                                                           \
	X(resets_sent, "tcp.resets_sent", EVENT, "segments", "ebpf_events", "resets_sent",         \
	  "ebsTcpResetsSent", 4, "RST segments sent.")                                             \
	X(resets_received, "tcp.resets_received", EVENT, "segments", "ebpf_events",                \
	  "resets_received", "ebsTcpResetsReceived", 5, "RST segments received.")                  \
	X(retransmits, "tcp.retransmits", EVENT, "segments", "ebpf_events", "retransmits",         \
	  "ebsTcpRetransmits", 6, "Segments retransmitted.")                                       \
	X(attempt_fails, "tcp.attempt_fails", OTHER, "connections", "ebpf_events",                 \
	  "attempt_fails", "ebsTcpAttemptFails", 23,                                               \
	  "Opens that failed (TCP-MIB tcpAttemptFails): SYN_SENT or SYN_RECV -> CLOSE, "           \
	  "SYN_RECV -> LISTEN; handshakes that fail in a request socket are not seen.")

/* tcp_sock bytes_acked / bytes_received / segs_out / segs_in: for open
 * sockets the iterator (iter/tcp, run at each snapshot) adds what moved
 * since its last run, at CLOSE the rest; without the iterator all at
 * CLOSE.  Bytes in sequence space (RFC 4898), so an acked SYN or FIN adds
 * 1; segments as tcpi_segs_out / tcpi_segs_in count them (retransmits
 * included, GSO segments one each). */
#define EBS_TCP_BYTE_COUNTERS(X)                                                                   \
	X(bytes_sent, "tcp.bytes_sent", OTHER, "bytes", "ebpf_bytes", "sent", "ebsTcpBytesSent",   \
	  12,                                                                                      \
	  "Bytes acknowledged by peers, of open sockets at each snapshot and of the rest at "      \
	  "close.")                                                                                \
	X(bytes_received, "tcp.bytes_received", OTHER, "bytes", "ebpf_bytes", "received",          \
	  "ebsTcpBytesReceived", 13,                                                               \
	  "Bytes received, of open sockets at each snapshot and of the rest at close.")            \
	X(segs_out, "tcp.segs_out", OTHER, "segments", "ebpf_segments", "out", "ebsTcpSegsOut",    \
	  25,                                                                                      \
	  "Segments sent by sockets this module tracks, retransmits included (tcpi_segs_out), "    \
	  "counted like the bytes.")                                                               \
	X(segs_in, "tcp.segs_in", OTHER, "segments", "ebpf_segments", "in", "ebsTcpSegsIn", 26,    \
	  "Segments received by sockets this module tracks (tcpi_segs_in), counted like the "      \
	  "bytes.")

#define EBS_TCP_SAMPLE_COUNTERS(X)                                                                 \
	X(rtt_samples, "tcp.rtt_samples", EVENT, "samples", "ebpf_events", "rtt_samples",          \
	  "ebsTcpRttSamples", 18,                                                                  \
	  "RTT samples taken: per connection, or per received segment (tcp_probe, sample_rate "    \
	  "percent) with tcp_rtt_per_segment.")

/* transitions of sockets that did not fit the socket tracker (left out of
 * the live counts); one per event, not per socket */
#define EBS_TCP_OVERFLOW_COUNTERS(X)                                                               \
	X(socket_overflows, "tcp.socket_overflows", OVERFLOW, "sockets", "ebpf_overflows",         \
	  "tcp_sockets", "ebsTcpSocketOverflows", 16,                                              \
	  "Sockets not tracked because the socket table was full.")

/* All of them, in the kernel struct's order. */
#define EBS_TCP_COUNTERS(X)                                                                        \
	EBS_TCP_CONN_COUNTERS(X)                                                                   \
	EBS_TCP_BYTE_COUNTERS(X)                                                                   \
	EBS_TCP_SAMPLE_COUNTERS(X)                                                                 \
	EBS_TCP_OVERFLOW_COUNTERS(X)

#endif
