#!/usr/bin/env python3
"""Writes the Zabbix 7.0 template for EBPFSTATS-MIB to stdout.

    python3 zabbix/gen-template.py [--catalog FILE] > zabbix/template_ebpfstats_snmp.yaml

The YAML is what operators import; this script is how it is maintained: one
table of metrics below, by MIB object name, the YAML derived from it in
Zabbix's export layout.  The OIDs come from the metric catalog, the output of
`ebpfstats catalog --json` (FILE, "-" for stdin; by default
tests/data/catalog.json, which make check keeps equal to it).
tests/zabbix_template.sh checks that the committed YAML is this script's
output, that every OID it names is an object of the MIB, and that the agent
serves them.

UUIDs are derived from each object's path in the template, so regenerating
gives the same file and Zabbix recognises objects it imported before.  Zabbix
accepts version-4 UUIDs only ("UUIDv4 is expected"), so the version and
variant bits are set as a v4 UUID's are.

No third-party modules: the YAML is written by hand, in the style of a Zabbix
export (block lists, single quotes where YAML needs them).
"""
import argparse
import hashlib
import json
import os
import re
import sys

TEMPLATE = "ebpfstats by SNMP"
GROUP = "Templates/Operating systems"


def uuid(*path):
    h = bytearray(hashlib.sha256("/".join(("ebpfstats",) + path).encode()).digest()[:16])
    h[6] = (h[6] & 0x0F) | 0x40  # version 4
    h[8] = (h[8] & 0x3F) | 0x80  # RFC 4122 variant
    return h.hex()


# ---- OIDs, from the catalog --------------------------------------------------
CATALOG = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data",
                       "catalog.json")
OIDS = {}  # MIB object -> numeric OID, without the leading dot (a scalar's with .0)


def load_catalog(f):
    for m in json.load(f):
        if m["snmp"]:
            OIDS[m["snmp"]["object"]] = m["snmp"]["oid"].lstrip(".")
    # ebsAgentVersion is no metric (the subagent knows it itself): the
    # first scalar of the agent's group, beside ebsAgentProgramsLoaded
    OIDS["ebsAgentVersion"] = parent(OIDS["ebsAgentProgramsLoaded"], 2) + ".1.0"


def parent(oid_, up=1):
    return oid_.rsplit(".", up)[0]


def oid(name):
    return OIDS[name]


def scalar_group(name):
    """The group holding a scalar: ebsSyscalls for ebsSyscallsCalls."""
    return parent(OIDS[name], 2)


def column_table(name):
    """The table holding a column: ebsModuleTable for ebsModuleName."""
    return parent(OIDS[name], 2)


def column(name):
    """A column of a table: a walk of it returns that column of every row."""
    return OIDS[name]


def scalar_node(name):
    """A scalar's own node, without the instance: a walk of it returns the .0."""
    return parent(OIDS[name])


# ---- preprocessing steps ------------------------------------------------------
def walk_value(oid_):
    return {"type": "SNMP_WALK_VALUE", "parameters": [oid_, "0"]}


PER_SECOND = {"type": "CHANGE_PER_SECOND", "parameters": [""]}
US_TO_S = {"type": "MULTIPLIER", "parameters": ["0.000001"]}


def item_tags(component, extra=()):
    return [{"tag": "component", "value": component}] + [
        {"tag": t, "value": v} for t, v in extra
    ]


# ---- master items: one SNMP walk per part of the MIB --------------------------
# (key, name, walked subtrees, delay, description); a subtree is (what, the MIB
# object that names it): the scalar group, the table holding that object, or a
# scalar itself
MEMORY_SCALARS = ("ebsMemoryFaultsUser", "ebsMemoryFaultsKernel", "ebsMemoryOomKills",
                  "ebsMemoryOomLastPid", "ebsMemoryOomLastComm", "ebsMemoryProcOverflows",
                  "ebsMemoryPagesAllocated", "ebsMemoryPagesFreed")
# the ebsCgroupTable columns the cgroup discovery reads: only these are walked,
# not the table's 26 columns, as it has a row per service
CGROUP_COLUMNS = ("ebsCgroupName", "ebsCgroupSyscalls", "ebsCgroupSyscallErrors",
                  "ebsCgroupOnCpuTime", "ebsCgroupRunqLatencyP99", "ebsCgroupTcpRetransmits",
                  "ebsCgroupTcpBytesIn", "ebsCgroupTcpBytesOut")
MASTERS = [
    ("ebpfstats.walk.agent", "Agent and modules: walk",
     [(scalar_group, "ebsAgentProgramsLoaded"), (column_table, "ebsModuleName")],
     "{$EBS.INTERVAL}",
     "ebsAgent and ebsModuleTable in one GETBULK walk; the items of the "
     "subagent and the module discovery read it."),
    ("ebpfstats.walk.syscalls", "System calls: walk", [(scalar_group, "ebsSyscallsCalls")],
     "{$EBS.INTERVAL}",
     "ebsSyscalls: the totals, the file I/O bytes, ebsSyscallTable and ebsFileIoTable in one "
     "GETBULK walk."),
    ("ebpfstats.walk.tcp", "TCP: walk", [(scalar_group, "ebsTcpActiveOpens")],
     "{$EBS.INTERVAL}",
     "ebsTcp: the totals, ebsTcpStateTable, ebsTcpPortTable and ebsTcpPeerTable in one "
     "GETBULK walk."),
    ("ebpfstats.walk.sched", "Scheduler: walk", [(scalar_group, "ebsSchedSwitchesVoluntary")],
     "{$EBS.INTERVAL}",
     "ebsSched: the totals and ebsCpuTable in one GETBULK walk."),
    ("ebpfstats.walk.memory", "Memory: walk", [(scalar_node, n) for n in MEMORY_SCALARS],
     "{$EBS.INTERVAL}",
     "The ebsMemory scalars (page faults, OOM kills, the last victim), each walked on its "
     "own so that ebsProcTable, one row per process, is not read every interval."),
    ("ebpfstats.walk.processes", "Processes: walk", [(column_table, "ebsProcComm")],
     "{$EBS.PROC.INTERVAL}",
     "ebsProcTable, one row per live process that ran on a CPU or took a page fault, every "
     "{$EBS.PROC.INTERVAL}: only the process discovery reads it, which discovers nothing "
     "until {$EBS.PROC.MATCHES} is set."),
    ("ebpfstats.walk.cgroups", "Cgroups: walk", [(column, n) for n in CGROUP_COLUMNS],
     "{$EBS.INTERVAL}",
     "The ebsCgroupTable columns the cgroup discovery's items read (name, system calls, "
     "errors, CPU time, run-queue p99, TCP retransmits and bytes), each walked on its own.  "
     "Empty with collect_cgroups: false (on by default)."),
]

# ---- dependent items on the scalars -------------------------------------------
# (key, name, master, MIB object, kind, units, component, description)
#   kind: rate (Counter64 -> per second), us (Gauge32 µs -> seconds), gauge, text
SCALARS = [
    ("ebpfstats.agent.version", "Agent version", "agent",
     "ebsAgentVersion", "text", "", "ebpfstats",
     "ebsAgentVersion: the ebpfstats version the subagent was built from."),
    ("ebpfstats.agent.programs_loaded", "Kernel programs loaded at", "agent",
     "ebsAgentProgramsLoaded", "ticks", "uptime", "ebpfstats",
     "ebsAgentProgramsLoaded: the subagent's uptime when the kernel programs now read were "
     "loaded; 0 when another process (collectd, an earlier subagent) loaded them.  When it "
     "changes, every counter restarted from zero."),
    ("ebpfstats.syscalls.calls.rate", "System calls per second", "syscalls",
     "ebsSyscallsCalls", "rate", "calls/s", "syscalls",
     "ebsSyscallsCalls: system calls made, after process_filter."),
    ("ebpfstats.syscalls.errors.rate", "System call errors per second", "syscalls",
     "ebsSyscallsErrors", "rate", "errors/s", "syscalls",
     "ebsSyscallsErrors: system calls that returned an error."),
    ("ebpfstats.syscalls.latency.p50", "System call latency p50", "syscalls",
     "ebsSyscallsLatencyP50", "us", "s", "syscalls",
     "ebsSyscallsLatencyP50, over the subagent's last interval."),
    ("ebpfstats.syscalls.latency.p99", "System call latency p99", "syscalls",
     "ebsSyscallsLatencyP99", "us", "s", "syscalls",
     "ebsSyscallsLatencyP99, over the subagent's last interval."),
    ("ebpfstats.syscalls.inflight_overflows.rate", "System call in-flight overflows per second",
     "syscalls",
     "ebsSyscallsInflightOverflows", "rate", "events/s", "syscalls",
     "ebsSyscallsInflightOverflows: calls not timed for want of a slot: the in-flight table "
     "(map_sizes.threads, where task storage is not used) was full, or task storage could not be "
     "allocated."),
    ("ebpfstats.syscalls.filtered.rate", "System calls filtered per second", "syscalls",
     "ebsSyscallsFiltered", "rate", "calls/s", "syscalls",
     "ebsSyscallsFiltered: calls skipped by process_filter / exclude_processes."),
    ("ebpfstats.tcp.active_opens.rate", "TCP active opens per second", "tcp",
     "ebsTcpActiveOpens", "rate", "conn/s", "tcp",
     "ebsTcpActiveOpens: connections this host opened."),
    ("ebpfstats.tcp.passive_opens.rate", "TCP passive opens per second", "tcp",
     "ebsTcpPassiveOpens", "rate", "conn/s", "tcp",
     "ebsTcpPassiveOpens: connections this host accepted."),
    ("ebpfstats.tcp.closes.rate", "TCP closes per second", "tcp",
     "ebsTcpCloses", "rate", "conn/s", "tcp", "ebsTcpCloses."),
    ("ebpfstats.tcp.resets_sent.rate", "TCP resets sent per second", "tcp",
     "ebsTcpResetsSent", "rate", "RST/s", "tcp", "ebsTcpResetsSent."),
    ("ebpfstats.tcp.resets_received.rate", "TCP resets received per second", "tcp",
     "ebsTcpResetsReceived", "rate", "RST/s", "tcp", "ebsTcpResetsReceived."),
    ("ebpfstats.tcp.retransmits.rate", "TCP retransmits per second", "tcp",
     "ebsTcpRetransmits", "rate", "segments/s", "tcp",
     "ebsTcpRetransmits: segments retransmitted."),
    ("ebpfstats.tcp.bytes_sent.rate", "TCP bytes sent per second", "tcp",
     "ebsTcpBytesSent", "rate", "Bps", "tcp",
     "ebsTcpBytesSent: bytes acknowledged by peers, open connections included."),
    ("ebpfstats.tcp.bytes_received.rate", "TCP bytes received per second", "tcp",
     "ebsTcpBytesReceived", "rate", "Bps", "tcp",
     "ebsTcpBytesReceived: bytes received, open connections included."),
    ("ebpfstats.tcp.segs_out.rate", "TCP segments sent per second", "tcp",
     "ebsTcpSegsOut", "rate", "segments/s", "tcp",
     "ebsTcpSegsOut: segments sent, retransmits included."),
    ("ebpfstats.tcp.segs_in.rate", "TCP segments received per second", "tcp",
     "ebsTcpSegsIn", "rate", "segments/s", "tcp", "ebsTcpSegsIn: segments received."),
    ("ebpfstats.tcp.established", "TCP connections established", "tcp",
     "ebsTcpEstablished", "gauge", "", "tcp", "ebsTcpEstablished: sockets in ESTABLISHED now."),
    ("ebpfstats.tcp.connect_latency.p99", "TCP connect latency p99", "tcp",
     "ebsTcpConnectLatencyP99", "us", "s", "tcp",
     "ebsTcpConnectLatencyP99, over the subagent's last interval."),
    ("ebpfstats.tcp.rtt.p99", "TCP smoothed RTT p99", "tcp", "ebsTcpRttP99", "us", "s", "tcp",
     "ebsTcpRttP99, over the subagent's last interval."),
    ("ebpfstats.tcp.socket_overflows.rate", "TCP socket table overflows per second", "tcp",
     "ebsTcpSocketOverflows", "rate", "events/s", "tcp",
     "ebsTcpSocketOverflows: sockets not tracked because map_sizes.sockets was full."),
    ("ebpfstats.tcp.port_overflows.rate", "TCP port table overflows per second", "tcp",
     "ebsTcpPortOverflows", "rate", "events/s", "tcp",
     "ebsTcpPortOverflows: ports not tracked because map_sizes.ports was full."),
    ("ebpfstats.tcp.peer_overflows.rate", "TCP peer table evictions per second", "tcp",
     "ebsTcpPeerOverflows", "rate", "events/s", "tcp",
     "ebsTcpPeerOverflows: peer rows evicted (least recently used first) because the peer "
     "table (map_sizes.ports rows) was full.  No trigger: on a server with many clients "
     "evictions are the table working as designed."),
    ("ebpfstats.fileio.read_bytes.rate", "File I/O: bytes read per second", "syscalls",
     "ebsSyscallsReadBytes", "rate", "Bps", "fileio",
     "ebsSyscallsReadBytes: bytes returned by the read family (files, pipes and sockets "
     "alike).  Zero unless collect_file_io is on."),
    ("ebpfstats.fileio.write_bytes.rate", "File I/O: bytes written per second", "syscalls",
     "ebsSyscallsWriteBytes", "rate", "Bps", "fileio",
     "ebsSyscallsWriteBytes: bytes accepted by the write family (files, pipes and sockets "
     "alike).  Zero unless collect_file_io is on."),
    ("ebpfstats.memory.faults_user.rate", "Page faults in user mode per second", "memory",
     "ebsMemoryFaultsUser", "rate", "faults/s", "memory",
     "ebsMemoryFaultsUser: page faults taken in user mode (collect_memory)."),
    ("ebpfstats.memory.faults_kernel.rate", "Page faults in kernel mode per second", "memory",
     "ebsMemoryFaultsKernel", "rate", "faults/s", "memory",
     "ebsMemoryFaultsKernel: page faults taken in kernel mode (collect_memory)."),
    ("ebpfstats.memory.oom_kills", "OOM kills since load", "memory",
     "ebsMemoryOomKills", "gauge", "", "memory",
     "ebsMemoryOomKills: processes the OOM killer killed since the kernel programs were "
     "loaded (a count, not a rate: kills are rare)."),
    ("ebpfstats.memory.oom_last_pid", "OOM: last victim's PID", "memory",
     "ebsMemoryOomLastPid", "gauge", "", "memory",
     "ebsMemoryOomLastPid: the process the OOM killer killed last; 0 before the first kill."),
    ("ebpfstats.memory.oom_last_comm", "OOM: last victim", "memory",
     "ebsMemoryOomLastComm", "text", "", "memory",
     "ebsMemoryOomLastComm: the command name of the process the OOM killer killed last; "
     "empty before the first kill."),
    ("ebpfstats.memory.proc_overflows.rate", "Process table overflows per second", "memory",
     "ebsMemoryProcOverflows", "rate", "events/s", "memory",
     "ebsMemoryProcOverflows: page faults of processes not counted in ebsProcTable because "
     "its map_sizes.threads rows were full."),
    ("ebpfstats.memory.pages_allocated.rate", "Pages allocated per second", "memory",
     "ebsMemoryPagesAllocated", "rate", "pages/s", "memory",
     "ebsMemoryPagesAllocated: pages the page allocator handed out, host-wide, as "
     "/proc/vmstat pgalloc_* (collect_memory and collect_page_allocs)."),
    ("ebpfstats.memory.pages_freed.rate", "Pages freed per second", "memory",
     "ebsMemoryPagesFreed", "rate", "pages/s", "memory",
     "ebsMemoryPagesFreed: pages given back to the page allocator, host-wide, as "
     "/proc/vmstat pgfree (collect_memory and collect_page_allocs)."),
    ("ebpfstats.sched.switches_voluntary.rate", "Voluntary context switches per second", "sched",
     "ebsSchedSwitchesVoluntary", "rate", "switches/s", "scheduler", "ebsSchedSwitchesVoluntary."),
    ("ebpfstats.sched.switches_involuntary.rate", "Involuntary context switches per second",
     "sched",
     "ebsSchedSwitchesInvoluntary", "rate", "switches/s", "scheduler",
     "ebsSchedSwitchesInvoluntary."),
    ("ebpfstats.sched.migrations.rate", "Task migrations per second", "sched",
     "ebsSchedMigrations", "rate", "tasks/s", "scheduler", "ebsSchedMigrations."),
    ("ebpfstats.sched.forks.rate", "Forks per second", "sched",
     "ebsSchedForks", "rate", "tasks/s", "scheduler", "ebsSchedForks."),
    ("ebpfstats.sched.execs.rate", "Execs per second", "sched",
     "ebsSchedExecs", "rate", "tasks/s", "scheduler", "ebsSchedExecs."),
    ("ebpfstats.sched.runq.p50", "Run-queue latency p50", "sched",
     "ebsSchedRunqLatencyP50", "us", "s", "scheduler",
     "ebsSchedRunqLatencyP50, over the subagent's last interval."),
    ("ebpfstats.sched.runq.p99", "Run-queue latency p99", "sched",
     "ebsSchedRunqLatencyP99", "us", "s", "scheduler",
     "ebsSchedRunqLatencyP99, over the subagent's last interval."),
    ("ebpfstats.sched.wakeup_overflows.rate", "Wakeup table overflows per second", "sched",
     "ebsSchedWakeupOverflows", "rate", "events/s", "scheduler",
     "ebsSchedWakeupOverflows: wakeups not timed for want of a slot: the wakeup table "
     "(map_sizes.threads, where task storage is not used) was full, or task storage could not be "
     "allocated."),
    ("ebpfstats.sched.proc_overflows.rate", "Process table overflows (CPU time) per second",
     "sched", "ebsSchedProcOverflows", "rate", "events/s", "scheduler",
     "ebsSchedProcOverflows: time slices of processes not counted in ebsProcCpuTime because "
     "its map_sizes.processes rows were full."),
]

# the local ports of common services: an operator's ports are a host macro away
PORTS_WELL_KNOWN = "^(22|25|53|80|110|143|443|465|587|993|995|3306|5432|6379|8080|8443)$"
# the services of systemd's system.slice at cgroup_depth 2 (its default)
CGROUP_SERVICES = "^system\\.slice/[^/]+\\.service$"
# no row has an empty name, so this discovers nothing
NOTHING = "^$"

MACROS = [
    ("{$EBS.INTERVAL}", "1m", "How often the four SNMP walks run."),
    ("{$EBS.NODATA.TIMEOUT}", "5m", "No answer from the subagent for this long is a problem."),
    ("{$EBS.RUNQ.P99.MAX}", "0.02",
     "Run-queue p99 (seconds) above which, for 5 minutes, the host is CPU-starved."),
    ("{$EBS.CPU.RUNQ.P99.MAX}", "0.05", "The same for one CPU (seconds)."),
    ("{$EBS.SYSCALL.ERRORS.PCT.MAX}", "60",
     "Percent of all system calls failing, averaged over 5 minutes.  Every host has a "
     "baseline (EAGAIN, ENOENT): look at a week of data first."),
    ("{$EBS.SYSCALL.ERRORS.MAX}", "10000",
     "Errors per second of one system call (5 minute average); use context macros, e.g. "
     "{$EBS.SYSCALL.ERRORS.MAX:\"openat\"}."),
    ("{$EBS.SYSCALL.P99.MAX}", "1",
     "p99 latency (seconds) of one system call for 5 minutes; blocking calls (poll, "
     "epoll_wait, futex) are slow by design, so set context macros per call."),
    ("{$EBS.SYSCALL.MATCHES}", ".*", "System calls to discover (regular expression)."),
    ("{$EBS.SYSCALL.NOT_MATCHES}", "CHANGE_IF_NEEDED", "System calls not to discover."),
    ("{$EBS.TCP.RETRANS.MAX}", "10", "TCP retransmits per second (5 minute average)."),
    ("{$EBS.TCP.RESETS.MAX}", "50",
     "TCP resets sent plus received per second (5 minute average)."),
    ("{$EBS.PORT.MATCHES}", PORTS_WELL_KNOWN,
     "Local TCP ports to discover (regular expression on the port number).  The default, "
     "well-known service ports, keeps the ephemeral local ports of outbound connections, "
     "one row each, out of Zabbix."),
    ("{$EBS.PORT.NOT_MATCHES}", "CHANGE_IF_NEEDED", "Local TCP ports not to discover."),
    ("{$EBS.PEER.MATCHES}", NOTHING,
     "TCP peers to discover (regular expression on DIR-ADDRESS-PORT, e.g. "
     "out-192.0.2.7-5432).  Peers are as many as the clients and servers this host talks "
     "to: the default, ^$, discovers none; select the few that matter, e.g. "
     "^out-.*-(3306|5432|6379)$ for the databases this host uses."),
    ("{$EBS.PEER.NOT_MATCHES}", "CHANGE_IF_NEEDED", "TCP peers not to discover."),
    ("{$EBS.FILEIO.MATCHES}", ".*",
     "File I/O system calls to discover (regular expression; at most the 14 calls of "
     "the file I/O view)."),
    ("{$EBS.FILEIO.NOT_MATCHES}", "CHANGE_IF_NEEDED", "File I/O system calls not to discover."),
    ("{$EBS.PROC.MATCHES}", NOTHING,
     "Processes to discover (regular expression on the command name).  Off by default "
     "(^$): one row per process, items per PID; set it to the few commands to watch, e.g. "
     "^(postgres|java)$."),
    ("{$EBS.PROC.NOT_MATCHES}", "CHANGE_IF_NEEDED", "Processes not to discover."),
    ("{$EBS.PROC.INTERVAL}", "10m",
     "How often the process table is walked (one row per process that ran on a CPU or took "
     "a page fault)."),
    ("{$EBS.CGROUP.MATCHES}", CGROUP_SERVICES,
     "Cgroups to discover (regular expression on the path below the cgroup2 mount, "
     "ebsCgroupName, cgroup_depth levels deep).  The default, the services of systemd's "
     "system.slice, leaves out user sessions, scopes and containers (one row each); e.g. "
     "^(system|machine)\\.slice/ adds containers run by systemd-machined."),
    ("{$EBS.CGROUP.NOT_MATCHES}", "CHANGE_IF_NEEDED", "Cgroups not to discover."),
    ("{$EBS.CGROUP.RUNQ.P99.MAX}", "0.05",
     "Run-queue p99 (seconds) of one cgroup's tasks above which, for 5 minutes, the service "
     "is CPU-starved; context: the cgroup, e.g. "
     "{$EBS.CGROUP.RUNQ.P99.MAX:\"system.slice/nginx.service\"}."),
    ("{$EBS.TCP.PORT.RESETS.MAX}", "10",
     "Resets per second on one local port (5 minute average); context: the port, e.g. "
     "{$EBS.TCP.PORT.RESETS.MAX:\"443\"}."),
]

STATUS_MAP = "EBPFSTATS-MIB::EbsStatus"


def expr_item(key):
    return "/%s/%s" % (TEMPLATE, key)


def dependent(path, key, name, master, pre, kind, units, component, description, extra_tags=()):
    it = {
        "uuid": uuid(*path, key),
        "name": name,
        "type": "DEPENDENT",
        "key": key,
    }
    if kind == "text":
        it["history"] = "7d"
        it["trends"] = "0"
        it["value_type"] = "CHAR"
    elif kind in ("rate", "us", "ticks", "cpu"):
        it["value_type"] = "FLOAT"
    if units:
        it["units"] = units
    it["description"] = description
    steps = [pre]
    if kind == "rate":
        steps.append(PER_SECOND)
    elif kind == "us":
        steps.append(US_TO_S)
    elif kind == "cpu":
        # ns of CPU time per second: 1e9 is one CPU, 100 %
        steps += [PER_SECOND, {"type": "MULTIPLIER", "parameters": ["0.0000001"]}]
    elif kind == "ticks":
        steps.append({"type": "MULTIPLIER", "parameters": ["0.01"]})
    elif kind == "text":
        steps.append({"type": "DISCARD_UNCHANGED_HEARTBEAT", "parameters": ["1d"]})
    it["preprocessing"] = steps
    it["master_item"] = {"key": master}
    it["tags"] = item_tags(component, extra_tags)
    return it


def trigger(path, expression, name, priority, description, opdata="Current: {ITEM.LASTVALUE1}",
            manual_close=False):
    t = {
        "uuid": uuid(*path, name),
        "expression": expression,
        "name": name,
    }
    if opdata:
        t["opdata"] = opdata
    t["priority"] = priority
    t["description"] = description
    if manual_close:
        t["manual_close"] = "YES"
    t["tags"] = [{"tag": "scope", "value": "performance" if priority != "HIGH" else "availability"}]
    return t


def build():
    items = []
    for key, name, subtrees, delay, desc in MASTERS:
        items.append({
            "uuid": uuid("item", key),
            "name": name,
            "type": "SNMP_AGENT",
            "snmp_oid": "walk[%s]" % ",".join(node(name) for node, name in subtrees),
            "key": key,
            "delay": delay,
            "history": "0",
            "trends": "0",
            "value_type": "TEXT",
            "description": desc,
            "tags": item_tags("raw"),
        })
    masters = {k.split(".")[-1]: k for k, _, _, _, _ in MASTERS}
    by_key = {}
    for key, name, master, obj, kind, units, component, desc in SCALARS:
        it = dependent(("item",), key, name, masters[master], walk_value(oid(obj)), kind, units,
                       component, desc)
        by_key[key] = it
        items.append(it)

    # the error ratio: two rates of the same walk, so the same instant
    items.append({
        "uuid": uuid("item", "ebpfstats.syscalls.errors.pct"),
        "name": "System call errors, percent of calls",
        "type": "CALCULATED",
        "key": "ebpfstats.syscalls.errors.pct",
        "delay": "{$EBS.INTERVAL}",
        "value_type": "FLOAT",
        "units": "%",
        "params": "100*last(//ebpfstats.syscalls.errors.rate)"
                  "/(last(//ebpfstats.syscalls.calls.rate)+0.001)",
        "description": "Failed system calls as a percentage of all calls (rates of the "
                       "same walk); +0.001 keeps an idle host from dividing by zero.",
        "tags": item_tags("syscalls"),
    })
    items.append({
        "uuid": uuid("item", "ebpfstats.tcp.resets.rate"),
        "name": "TCP resets per second",
        "type": "CALCULATED",
        "key": "ebpfstats.tcp.resets.rate",
        "delay": "{$EBS.INTERVAL}",
        "value_type": "FLOAT",
        "units": "RST/s",
        "params": "last(//ebpfstats.tcp.resets_sent.rate)"
                  "+last(//ebpfstats.tcp.resets_received.rate)",
        "description": "Resets sent plus received.",
        "tags": item_tags("tcp"),
    })

    def add_trigger(key, t):
        for it in items:
            if it["key"] == key:
                it.setdefault("triggers", []).append(t)
                return
        raise KeyError(key)

    add_trigger("ebpfstats.agent.programs_loaded", trigger(
        ("trigger",), "nodata(%s,{$EBS.NODATA.TIMEOUT})=1" % expr_item(
            "ebpfstats.agent.programs_loaded"),
        "ebpfstats-agentx is not answering", "HIGH",
        "No value from EBPFSTATS-MIB for {$EBS.NODATA.TIMEOUT}: the subagent is not running, "
        "is not registered with snmpd, or snmpd's view hides the subtree (docs/snmp.md).",
        opdata=None))
    add_trigger("ebpfstats.agent.programs_loaded", trigger(
        ("trigger",), "change(%s)<>0" % expr_item("ebpfstats.agent.programs_loaded"),
        "ebpfstats kernel programs were (re)loaded", "INFO",
        "ebsAgentProgramsLoaded, the counters' discontinuity time, changed: the counters "
        "may have restarted from zero (a subagent restart with private programs, or "
        "`ebpfstats unload`).  Zabbix discards the per-second values of counters that went "
        "down, so rates recover by themselves."))
    add_trigger("ebpfstats.sched.runq.p99", trigger(
        ("trigger",), "min(%s,5m)>{$EBS.RUNQ.P99.MAX}" % expr_item("ebpfstats.sched.runq.p99"),
        "High run-queue latency (p99 over {$EBS.RUNQ.P99.MAX}s for 5m)", "WARNING",
        "Runnable tasks wait for a CPU: more demand than CPUs, or a CPU hog."))
    add_trigger("ebpfstats.syscalls.errors.pct", trigger(
        ("trigger",), "avg(%s,5m)>{$EBS.SYSCALL.ERRORS.PCT.MAX}" % expr_item(
            "ebpfstats.syscalls.errors.pct"),
        "Many system calls fail (over {$EBS.SYSCALL.ERRORS.PCT.MAX}% for 5m)", "WARNING",
        "See the per-system-call items for which call fails."))
    add_trigger("ebpfstats.tcp.retransmits.rate", trigger(
        ("trigger",), "avg(%s,5m)>{$EBS.TCP.RETRANS.MAX}" % expr_item(
            "ebpfstats.tcp.retransmits.rate"),
        "TCP retransmits over {$EBS.TCP.RETRANS.MAX}/s for 5m", "WARNING",
        "Packet loss or congestion on a path this host talks over."))
    add_trigger("ebpfstats.tcp.resets.rate", trigger(
        ("trigger",), "avg(%s,5m)>{$EBS.TCP.RESETS.MAX}" % expr_item("ebpfstats.tcp.resets.rate"),
        "TCP resets over {$EBS.TCP.RESETS.MAX}/s for 5m", "WARNING",
        "Connections refused or aborted: a service down, a port scan, or a misbehaving "
        "client.  The TCP port discovery shows which local port."))
    add_trigger("ebpfstats.memory.oom_kills", trigger(
        ("trigger",), "change(%s)>0" % expr_item("ebpfstats.memory.oom_kills"),
        "The OOM killer killed a process", "AVERAGE",
        "ebsMemoryOomKills went up: the kernel ran out of memory and killed a process; the "
        "item 'OOM: last victim' names the last one.  Close the problem by hand once "
        "looked at.", opdata="Kills since load: {ITEM.LASTVALUE1}", manual_close=True))
    for key, what in (("ebpfstats.syscalls.inflight_overflows.rate", "threads"),
                      ("ebpfstats.sched.wakeup_overflows.rate", "threads"),
                      ("ebpfstats.tcp.socket_overflows.rate", "sockets"),
                      ("ebpfstats.tcp.port_overflows.rate", "ports"),
                      ("ebpfstats.memory.proc_overflows.rate", "threads"),
                      ("ebpfstats.sched.proc_overflows.rate", "processes")):
        add_trigger(key, trigger(
            ("trigger",), "min(%s,15m)>0" % expr_item(key),
            "ebpfstats map full: %s (map_sizes.%s)" % (by_key[key]["name"], what), "WARNING",
            "A bounded kernel map is full, so some events are not counted; raise "
            "map_sizes.%s in the ebpfstats configuration." % what))

    rules = [modules_rule(masters), syscalls_rule(masters), cpus_rule(masters),
             ports_rule(masters), fileio_rule(masters), peers_rule(masters),
             procs_rule(masters), cgroups_rule(masters)]

    template = {
        "uuid": uuid("template"),
        "template": TEMPLATE,
        "name": TEMPLATE,
        "description": (
            "eBPF kernel statistics (system calls, file I/O, TCP, scheduler, memory) from "
            "ebpfstats-agentx through snmpd: EBPFSTATS-MIB, mibs/EBPFSTATS-MIB.txt of "
            "ebpfstats.\n\n"
            "Needs Zabbix 7.0 (walk[] items, SNMP walk preprocessing) and SNMPv2c or v3 on "
            "the host interface: the counters are Counter64.  Six GETBULK walks per "
            "{$EBS.INTERVAL} feed every item (the cgroups' is empty with collect_cgroups: "
            "false), a seventh of the process table every {$EBS.PROC.INTERVAL}.  Latencies "
            "are in seconds, from the MIB's microseconds.  Ports, peers, processes and "
            "cgroups are discovered only as far as their {$EBS.*.MATCHES} macros allow: "
            "well-known ports, no peer, no process and systemd's services by default.\n\nGenerated by zabbix/gen-template.py; see docs/zabbix.md."),
        "groups": [{"name": GROUP}],
        "items": items,
        "discovery_rules": rules,
        "tags": [{"tag": "class", "value": "os"}, {"tag": "target", "value": "ebpfstats"}],
        "macros": [{"macro": m, "value": v, "description": d} for m, v, d in MACROS],
        "valuemaps": [{
            "uuid": uuid("valuemap", STATUS_MAP),
            "name": STATUS_MAP,
            "mappings": [{"value": str(v), "newvalue": n} for v, n in
                         ((1, "ok"), (2, "degraded"), (3, "unavailable"), (4, "disabled"))],
        }],
    }
    return {"zabbix_export": {
        "version": "7.0",
        "template_groups": [{"uuid": uuid("group", GROUP), "name": GROUP}],
        "templates": [template],
    }}


def walk_to_json(*fields):
    params = []
    for macro, obj in fields:
        params += [macro, oid(obj), "0"]
    return {"type": "SNMP_WALK_TO_JSON", "parameters": params}


def prototype(rule, key, name, master, column, kind, units, component, desc, tags):
    return dependent(("rule", rule), key, name, master, walk_value(oid(column) + ".{#SNMPINDEX}"),
                     kind, units, component, desc, tags)


def proto_trigger(rule, expression, name, priority, description, opdata="Current: {ITEM.LASTVALUE1}"):
    return trigger(("rule", rule), expression, name, priority, description, opdata)


def match_filter(macro, matches, not_matches):
    return {
        "evaltype": "AND",
        "conditions": [
            {"macro": macro, "value": matches, "formulaid": "A"},
            {"macro": macro, "value": not_matches, "operator": "NOT_MATCHES_REGEX",
             "formulaid": "B"},
        ],
    }


def modules_rule(masters):
    r = "ebpfstats.module.discovery"
    m = masters["agent"]
    tags = (("module", "{#MODULE}"),)
    status = prototype(r, "ebpfstats.module.status[{#SNMPINDEX}]", "Module {#MODULE}: status", m,
                       "ebsModuleStatus", "gauge", "", "ebpfstats",
                       "ebsModuleStatus: ok(1), degraded(2) without an optional hook, "
                       "unavailable(3), disabled(4) in the configuration.", tags)
    status["valuemap"] = {"name": STATUS_MAP}
    status["trigger_prototypes"] = [
        proto_trigger(r, "last(%s)=3" % expr_item("ebpfstats.module.status[{#SNMPINDEX}]"),
                      "Module {#MODULE} is unavailable", "HIGH",
                      "The module cannot run on this host; the item 'Module {#MODULE}: reason' "
                      "says why (missing capability, BTF or tracepoint)."),
        proto_trigger(r, "last(%s)=2" % expr_item("ebpfstats.module.status[{#SNMPINDEX}]"),
                      "Module {#MODULE} is degraded", "WARNING",
                      "The module runs without an optional hook; see 'Module {#MODULE}: reason'."),
    ]
    reason = prototype(r, "ebpfstats.module.reason[{#SNMPINDEX}]", "Module {#MODULE}: reason", m,
                       "ebsModuleReason", "text", "", "ebpfstats",
                       "ebsModuleReason: why the module is degraded, unavailable or disabled.",
                       tags)
    events = prototype(r, "ebpfstats.module.events.rate[{#SNMPINDEX}]",
                       "Module {#MODULE}: events per second", m, "ebsModuleEvents", "rate",
                       "events/s", "ebpfstats",
                       "ebsModuleEvents: kernel events the module aggregated.", tags)
    overflows = prototype(r, "ebpfstats.module.overflows.rate[{#SNMPINDEX}]",
                          "Module {#MODULE}: overflows per second", m, "ebsModuleOverflows",
                          "rate", "events/s", "ebpfstats",
                          "ebsModuleOverflows: events that did not fit a bounded kernel map.",
                          tags)
    return {
        "uuid": uuid("rule", r),
        "name": "Module discovery",
        "type": "DEPENDENT",
        "key": r,
        "description": "One row per ebpfstats module (syscalls, tcp, sched), ebsModuleTable.",
        "item_prototypes": [status, reason, events, overflows],
        "master_item": {"key": m},
        "preprocessing": [walk_to_json(("{#MODULE}", "ebsModuleName"))],
    }


def syscalls_rule(masters):
    r = "ebpfstats.syscall.discovery"
    m = masters["syscalls"]
    tags = (("syscall", "{#SYSCALL}"),)
    calls = prototype(r, "ebpfstats.syscall.calls.rate[{#SNMPINDEX}]",
                      "Syscall {#SYSCALL}: calls per second", m, "ebsSyscallCalls", "rate",
                      "calls/s", "syscalls", "ebsSyscallCalls.", tags)
    errors = prototype(r, "ebpfstats.syscall.errors.rate[{#SNMPINDEX}]",
                       "Syscall {#SYSCALL}: errors per second", m, "ebsSyscallErrors", "rate",
                       "errors/s", "syscalls", "ebsSyscallErrors.", tags)
    errors["trigger_prototypes"] = [proto_trigger(
        r, "avg(%s,5m)>{$EBS.SYSCALL.ERRORS.MAX:\"{#SYSCALL}\"}" % expr_item(
            "ebpfstats.syscall.errors.rate[{#SNMPINDEX}]"),
        "Syscall {#SYSCALL}: over {$EBS.SYSCALL.ERRORS.MAX:\"{#SYSCALL}\"} errors/s for 5m",
        "WARNING", "Calls of {#SYSCALL} fail at an unusual rate.")]
    p99 = prototype(r, "ebpfstats.syscall.latency.p99[{#SNMPINDEX}]",
                    "Syscall {#SYSCALL}: latency p99", m, "ebsSyscallLatencyP99", "us", "s",
                    "syscalls", "ebsSyscallLatencyP99, over the subagent's last interval.", tags)
    p99["trigger_prototypes"] = [proto_trigger(
        r, "min(%s,5m)>{$EBS.SYSCALL.P99.MAX:\"{#SYSCALL}\"}" % expr_item(
            "ebpfstats.syscall.latency.p99[{#SNMPINDEX}]"),
        "Syscall {#SYSCALL}: p99 latency over {$EBS.SYSCALL.P99.MAX:\"{#SYSCALL}\"}s for 5m",
        "WARNING", "Calls of {#SYSCALL} are slow (or block by design: set a context macro).")]
    return {
        "uuid": uuid("rule", r),
        "name": "System call discovery",
        "type": "DEPENDENT",
        "key": r,
        "filter": match_filter("{#SYSCALL}", "{$EBS.SYSCALL.MATCHES}",
                               "{$EBS.SYSCALL.NOT_MATCHES}"),
        "description": "One row per system call made since the kernel programs were loaded "
                       "(ebsSyscallTable; the index is the call's number plus one).",
        "item_prototypes": [calls, errors, p99],
        "master_item": {"key": m},
        "preprocessing": [walk_to_json(("{#SYSCALL}", "ebsSyscallName"))],
    }


# ebsCpuTable has no name column: the index is CPU + 1, and the CPU number
# is what an operator knows (mpstat, top)
CPU_JS = """var rows = JSON.parse(value);
for (var i = 0; i < rows.length; i++) {
    rows[i]['{#CPU}'] = String(parseInt(rows[i]['{#SNMPINDEX}'], 10) - 1);
}
return JSON.stringify(rows);"""


def cpus_rule(masters):
    r = "ebpfstats.cpu.discovery"
    m = masters["sched"]
    tags = (("cpu", "{#CPU}"),)
    p99 = prototype(r, "ebpfstats.cpu.runq.p99[{#SNMPINDEX}]", "CPU {#CPU}: run-queue latency p99",
                    m, "ebsCpuRunqLatencyP99", "us", "s", "scheduler",
                    "ebsCpuRunqLatencyP99, over the subagent's last interval.", tags)
    p99["trigger_prototypes"] = [proto_trigger(
        r, "min(%s,5m)>{$EBS.CPU.RUNQ.P99.MAX}" % expr_item("ebpfstats.cpu.runq.p99[{#SNMPINDEX}]"),
        "CPU {#CPU}: run-queue p99 over {$EBS.CPU.RUNQ.P99.MAX}s for 5m", "WARNING",
        "Tasks wait for CPU {#CPU}: pinned work or interrupts concentrated there.")]
    vol = prototype(r, "ebpfstats.cpu.switches_voluntary.rate[{#SNMPINDEX}]",
                    "CPU {#CPU}: voluntary context switches per second", m,
                    "ebsCpuSwitchesVoluntary", "rate", "switches/s", "scheduler",
                    "ebsCpuSwitchesVoluntary.", tags)
    invol = prototype(r, "ebpfstats.cpu.switches_involuntary.rate[{#SNMPINDEX}]",
                      "CPU {#CPU}: involuntary context switches per second", m,
                      "ebsCpuSwitchesInvoluntary", "rate", "switches/s", "scheduler",
                      "ebsCpuSwitchesInvoluntary.", tags)
    mig = prototype(r, "ebpfstats.cpu.migrations.rate[{#SNMPINDEX}]",
                    "CPU {#CPU}: migrations per second", m, "ebsCpuMigrations", "rate", "tasks/s",
                    "scheduler", "ebsCpuMigrations: tasks migrated to this CPU.", tags)
    return {
        "uuid": uuid("rule", r),
        "name": "CPU discovery",
        "type": "DEPENDENT",
        "key": r,
        "description": "One row per possible CPU (ebsCpuTable; the index is the CPU number "
                       "plus one, {#CPU} the CPU number).",
        "item_prototypes": [p99, vol, invol, mig],
        "master_item": {"key": m},
        "preprocessing": [walk_to_json(("{#RUNQ.SAMPLES}", "ebsCpuRunqSamples")),
                          {"type": "JAVASCRIPT", "parameters": [CPU_JS]}],
    }


def ports_rule(masters):
    r = "ebpfstats.tcp.port.discovery"
    m = masters["tcp"]
    tags = (("port", "{#SNMPINDEX}"),)
    protos = []
    for col, what, units, desc in (("ebsTcpPortAccepts", "accepts", "conn/s",
                                    "ebsTcpPortAccepts."),
                                   ("ebsTcpPortResets", "resets", "RST/s",
                                    "ebsTcpPortResets: RST sent or received on the port."),
                                   ("ebsTcpPortRetransmits", "retransmits", "segments/s",
                                    "ebsTcpPortRetransmits."),
                                   ("ebsTcpPortBytesIn", "bytes_in", "Bps",
                                    "ebsTcpPortBytesIn (open connections included)."),
                                   ("ebsTcpPortBytesOut", "bytes_out", "Bps",
                                    "ebsTcpPortBytesOut (open connections included)."),
                                   ("ebsTcpPortSegsIn", "segs_in", "segments/s",
                                    "ebsTcpPortSegsIn."),
                                   ("ebsTcpPortSegsOut", "segs_out", "segments/s",
                                    "ebsTcpPortSegsOut.")):
        p = prototype(r, "ebpfstats.tcp.port.%s.rate[{#SNMPINDEX}]" % what,
                      "TCP port {#SNMPINDEX}: %s per second" % what.replace("_", " "), m,
                      col, "rate", units, "tcp", desc, tags)
        protos.append(p)
    protos[1]["trigger_prototypes"] = [proto_trigger(
        r, "avg(%s,5m)>{$EBS.TCP.PORT.RESETS.MAX:\"{#SNMPINDEX}\"}" % expr_item(
            "ebpfstats.tcp.port.resets.rate[{#SNMPINDEX}]"),
        "TCP port {#SNMPINDEX}: over {$EBS.TCP.PORT.RESETS.MAX:\"{#SNMPINDEX}\"} resets/s for 5m",
        "WARNING", "Connections to or from local port {#SNMPINDEX} are reset.")]
    return {
        "uuid": uuid("rule", r),
        "name": "TCP port discovery",
        "type": "DEPENDENT",
        "key": r,
        "filter": match_filter("{#SNMPINDEX}", "{$EBS.PORT.MATCHES}",
                               "{$EBS.PORT.NOT_MATCHES}"),
        "description": "One row per local TCP port with traffic since the kernel programs "
                       "were loaded (ebsTcpPortTable; the index is the port), as far as "
                       "{$EBS.PORT.MATCHES} (well-known service ports by default) and "
                       "{$EBS.PORT.NOT_MATCHES} let through.",
        "item_prototypes": protos,
        "master_item": {"key": m},
        "preprocessing": [walk_to_json(("{#PORT.ACCEPTS}", "ebsTcpPortAccepts"))],
    }


def fileio_rule(masters):
    r = "ebpfstats.fileio.discovery"
    m = masters["syscalls"]
    tags = (("syscall", "{#FILEIO}"),)
    protos = [
        prototype(r, "ebpfstats.fileio.calls.rate[{#SNMPINDEX}]",
                  "File I/O {#FILEIO}: calls per second", m, "ebsFileIoCalls", "rate",
                  "calls/s", "fileio", "ebsFileIoCalls.", tags),
        prototype(r, "ebpfstats.fileio.errors.rate[{#SNMPINDEX}]",
                  "File I/O {#FILEIO}: errors per second", m, "ebsFileIoErrors", "rate",
                  "errors/s", "fileio", "ebsFileIoErrors.", tags),
        prototype(r, "ebpfstats.fileio.bytes.rate[{#SNMPINDEX}]",
                  "File I/O {#FILEIO}: bytes per second", m, "ebsFileIoBytes", "rate", "Bps",
                  "fileio", "ebsFileIoBytes: bytes moved (0 for the open calls).", tags),
        prototype(r, "ebpfstats.fileio.latency.p99[{#SNMPINDEX}]",
                  "File I/O {#FILEIO}: latency p99", m, "ebsFileIoLatencyP99", "us", "s",
                  "fileio", "ebsFileIoLatencyP99, over the subagent's last interval "
                  "(0 without collect_syscall_latency).", tags),
    ]
    return {
        "uuid": uuid("rule", r),
        "name": "File I/O discovery",
        "type": "DEPENDENT",
        "key": r,
        "filter": match_filter("{#FILEIO}", "{$EBS.FILEIO.MATCHES}",
                               "{$EBS.FILEIO.NOT_MATCHES}"),
        "description": "One row per read/write-family or open system call called since the "
                       "kernel programs were loaded, while collect_file_io is on "
                       "(ebsFileIoTable: at most 14 rows).",
        "item_prototypes": protos,
        "master_item": {"key": m},
        "preprocessing": [walk_to_json(("{#FILEIO}", "ebsFileIoName"))],
    }


# ebsTcpPeerTable's index is the peer: direction, address type, the address's
# length and octets, port.  The direction and port become macros, and {#PEER}
# the name collectd and `ebpfstats show --json` give the row: DIR-ADDRESS-PORT.
PEER_JS = """var rows = JSON.parse(value);
for (var i = 0; i < rows.length; i++) {
    var arcs = rows[i]['{#SNMPINDEX}'].split('.');
    rows[i]['{#PEER.DIR}'] = arcs[0] === '1' ? 'out' : 'in';
    rows[i]['{#PEER.PORT}'] = arcs[arcs.length - 1];
    rows[i]['{#PEER}'] = rows[i]['{#PEER.DIR}'] + '-' + rows[i]['{#PEER.ADDR}'] + '-' +
        rows[i]['{#PEER.PORT}'];
}
return JSON.stringify(rows);"""


def peers_rule(masters):
    r = "ebpfstats.tcp.peer.discovery"
    m = masters["tcp"]
    tags = (("peer", "{#PEER.ADDR}"), ("port", "{#PEER.PORT}"), ("direction", "{#PEER.DIR}"))
    protos = []
    for col, what, units, desc in (("ebsTcpPeerConnects", "connects", "conn/s",
                                    "ebsTcpPeerConnects: connections established."),
                                   ("ebsTcpPeerRetransmits", "retransmits", "segments/s",
                                    "ebsTcpPeerRetransmits."),
                                   ("ebsTcpPeerResets", "resets", "RST/s",
                                    "ebsTcpPeerResets: RST sent or received."),
                                   ("ebsTcpPeerBytesIn", "bytes_in", "Bps",
                                    "ebsTcpPeerBytesIn (open connections included)."),
                                   ("ebsTcpPeerBytesOut", "bytes_out", "Bps",
                                    "ebsTcpPeerBytesOut (open connections included)."),
                                   ("ebsTcpPeerSegsIn", "segs_in", "segments/s",
                                    "ebsTcpPeerSegsIn."),
                                   ("ebsTcpPeerSegsOut", "segs_out", "segments/s",
                                    "ebsTcpPeerSegsOut.")):
        protos.append(prototype(r, "ebpfstats.tcp.peer.%s.rate[{#SNMPINDEX}]" % what,
                                "TCP peer {#PEER}: %s per second" % what.replace("_", " "), m,
                                col, "rate", units, "tcp", desc, tags))
    return {
        "uuid": uuid("rule", r),
        "name": "TCP peer discovery",
        "type": "DEPENDENT",
        "key": r,
        "filter": match_filter("{#PEER}", "{$EBS.PEER.MATCHES}", "{$EBS.PEER.NOT_MATCHES}"),
        # an evicted peer's items go a day after its row
        "lifetime": "1d",
        "description": "One row per remote endpoint and direction (ebsTcpPeerTable, with "
                       "collect_tcp_peers), as far as {$EBS.PEER.MATCHES} lets through: "
                       "none by default.  {#PEER} is DIR-ADDRESS-PORT (out-192.0.2.7-5432: "
                       "this host connected to port 5432 of 192.0.2.7; in-ADDRESS-PORT: that "
                       "address connected to this host's PORT).",
        "item_prototypes": protos,
        "master_item": {"key": m},
        "preprocessing": [walk_to_json(("{#PEER.ADDR}", "ebsTcpPeerAddress")),
                          {"type": "JAVASCRIPT", "parameters": [PEER_JS]}],
    }


def procs_rule(masters):
    r = "ebpfstats.proc.discovery"
    m = masters["processes"]
    tags = (("process", "{#COMM}"),)
    protos = [
        prototype(r, "ebpfstats.proc.faults_user.rate[{#SNMPINDEX}]",
                  "Process {#COMM} ({#SNMPINDEX}): user page faults per second", m,
                  "ebsProcFaultsUser", "rate", "faults/s", "memory", "ebsProcFaultsUser.", tags),
        prototype(r, "ebpfstats.proc.faults_kernel.rate[{#SNMPINDEX}]",
                  "Process {#COMM} ({#SNMPINDEX}): kernel page faults per second", m,
                  "ebsProcFaultsKernel", "rate", "faults/s", "memory", "ebsProcFaultsKernel.",
                  tags),
        prototype(r, "ebpfstats.proc.cpu[{#SNMPINDEX}]",
                  "Process {#COMM} ({#SNMPINDEX}): CPU utilization", m,
                  "ebsProcCpuTime", "cpu", "%", "scheduler",
                  "ebsProcCpuTime as a rate: the share of one CPU the process's threads ran "
                  "(100 % is one CPU kept busy; collect_process_cpu).", tags),
    ]
    return {
        "uuid": uuid("rule", r),
        "name": "Process discovery",
        "type": "DEPENDENT",
        "key": r,
        "filter": match_filter("{#COMM}", "{$EBS.PROC.MATCHES}", "{$EBS.PROC.NOT_MATCHES}"),
        # a PID's items go an hour after its process
        "lifetime": "1h",
        "description": "One row per live process that ran on a CPU (collect_process_cpu) or "
                       "took a page fault (collect_memory) (ebsProcTable; the index is the PID), "
                       "as far as {$EBS.PROC.MATCHES} lets through: none by default.",
        "item_prototypes": protos,
        "master_item": {"key": m},
        "preprocessing": [walk_to_json(("{#COMM}", "ebsProcComm"))],
    }


def cgroups_rule(masters):
    r = "ebpfstats.cgroup.discovery"
    m = masters["cgroups"]
    tags = (("cgroup", "{#CGROUP}"),)
    protos = []
    for key, name, col, kind, units, comp, desc in (
            ("syscalls.rate", "system calls per second", "ebsCgroupSyscalls", "rate", "calls/s",
             "syscalls", "ebsCgroupSyscalls: system calls of the cgroup's tasks."),
            ("syscall_errors.rate", "system call errors per second", "ebsCgroupSyscallErrors",
             "rate", "errors/s", "syscalls", "ebsCgroupSyscallErrors."),
            ("cpu", "CPU utilization", "ebsCgroupOnCpuTime", "cpu", "%", "scheduler",
             "ebsCgroupOnCpuTime as a rate: the share of one CPU the cgroup's tasks ran "
             "(100 % is one CPU kept busy)."),
            ("runq.p99", "run-queue latency p99", "ebsCgroupRunqLatencyP99", "us", "s",
             "scheduler", "ebsCgroupRunqLatencyP99: how long the cgroup's tasks waited for a "
             "CPU, over the subagent's last interval (within 11.5 %, docs/cgroups.md)."),
            ("tcp.retransmits.rate", "TCP retransmits per second", "ebsCgroupTcpRetransmits",
             "rate", "segments/s", "tcp", "ebsCgroupTcpRetransmits: of the cgroup's sockets."),
            ("tcp.bytes_in.rate", "TCP bytes in per second", "ebsCgroupTcpBytesIn", "rate", "Bps",
             "tcp", "ebsCgroupTcpBytesIn (open connections included)."),
            ("tcp.bytes_out.rate", "TCP bytes out per second", "ebsCgroupTcpBytesOut", "rate",
             "Bps", "tcp", "ebsCgroupTcpBytesOut (open connections included).")):
        protos.append(prototype(r, "ebpfstats.cgroup.%s[{#SNMPINDEX}]" % key,
                                "Cgroup {#CGROUP}: %s" % name, m, col, kind, units, comp, desc,
                                tags))
    protos[3]["trigger_prototypes"] = [proto_trigger(
        r, "min(%s,5m)>{$EBS.CGROUP.RUNQ.P99.MAX:\"{#CGROUP}\"}" % expr_item(
            "ebpfstats.cgroup.runq.p99[{#SNMPINDEX}]"),
        "Cgroup {#CGROUP}: run-queue p99 over {$EBS.CGROUP.RUNQ.P99.MAX:\"{#CGROUP}\"}s for 5m",
        "WARNING", "The tasks of {#CGROUP} wait for a CPU: the host is busy, or a CPU quota "
        "(cpu.max) throttles the service.")]
    return {
        "uuid": uuid("rule", r),
        "name": "Cgroup discovery",
        "type": "DEPENDENT",
        "key": r,
        "filter": match_filter("{#CGROUP}", "{$EBS.CGROUP.MATCHES}", "{$EBS.CGROUP.NOT_MATCHES}"),
        # a removed service's items go a day after its row
        "lifetime": "1d",
        "description": "One row per cgroup v2 cgroup_depth levels below the root "
                       "(ebsCgroupTable, with collect_cgroups; the index is the cgroup's id), "
                       "as far as {$EBS.CGROUP.MATCHES} lets through: systemd's system.slice "
                       "services by default.",
        "item_prototypes": protos,
        "master_item": {"key": m},
        "preprocessing": [walk_to_json(("{#CGROUP}", "ebsCgroupName"))],
    }


# ---- YAML, written the way Zabbix exports it ----------------------------------
PLAIN = re.compile(r"^[A-Za-z_/][A-Za-z0-9_ ./()-]*$")
RESERVED = {"yes", "no", "true", "false", "null", "on", "off", "y", "n", "~"}


def scalar(s):
    if "\n" in s:
        return None  # block literal
    if s and PLAIN.match(s) and s.lower() not in RESERVED and not s.endswith(" ") \
            and ": " not in s and " #" not in s:
        return s
    return "'" + s.replace("'", "''") + "'"


def emit(obj, indent, out):
    pad = "  " * indent
    if isinstance(obj, dict):
        for k, v in obj.items():
            if isinstance(v, (dict, list)):
                if not v:
                    continue
                out.append("%s%s:" % (pad, k))
                emit(v, indent + 1, out)
            else:
                s = scalar(v)
                if s is None:
                    out.append("%s%s: |" % (pad, k))
                    for line in v.split("\n"):
                        out.append(("%s  %s" % (pad, line)).rstrip())
                else:
                    out.append("%s%s: %s" % (pad, k, s))
    elif isinstance(obj, list):
        for v in obj:
            if isinstance(v, dict):
                sub = []
                emit(v, indent + 1, sub)
                sub[0] = pad + "- " + sub[0][len(pad) + 2:]
                out.extend(sub)
            else:
                s = scalar(v)
                if s is None:
                    out.append("%s- |" % pad)
                    for line in v.split("\n"):
                        out.append(("%s  %s" % (pad, line)).rstrip())
                else:
                    out.append("%s- %s" % (pad, s))


def main():
    ap = argparse.ArgumentParser(description="Writes the Zabbix template to stdout.")
    ap.add_argument("--catalog", default=CATALOG,
                    help="`ebpfstats catalog --json` output, - for stdin (default: %(default)s)")
    a = ap.parse_args()
    if a.catalog == "-":
        load_catalog(sys.stdin)
    else:
        with open(a.catalog) as f:
            load_catalog(f)
    out = []
    emit(build(), 0, out)
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
