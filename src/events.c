/* Events a NOC acts on, found by comparing snapshots: an OOM kill, a
 * module's status change, a bounded map that started dropping, a new load
 * of the programs.  The front-ends send them (SNMP notifications, collectd
 * notifications); the detection and the rate limit are here so both send
 * the same events. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ebpfstats.h"

/* A module's overflow counters that each name the map that was full; the
 * first whose count grew most names the episode's map. */
#define MAP_COUNTERS 3

struct map_counter {
	const char *map;
	uint64_t value;
};

static unsigned map_counters(const struct ebs_snapshot *s, enum ebs_family f,
			     struct map_counter c[MAP_COUNTERS])
{
	switch (f) {
	case EBS_FAM_SYSCALLS:
		/* only the in-flight table drops anything: the module's other
		 * overflows are samples kept in sys_row's shared "other" row,
		 * which a host with many distinct syscalls fills for good */
		c[0] = (struct map_counter){"sys_start", s->sys.inflight_overflows};
		return 1;
	case EBS_FAM_TCP:
		c[0] = (struct map_counter){"tcp_socks", s->tcp.socket_overflows};
		c[1] = (struct map_counter){"tcp_ports", s->tcp.port_overflows};
		c[2] = (struct map_counter){"tcp_peers", s->tcp_peer_overflows};
		return 3;
	case EBS_FAM_SCHED:
		c[0] = (struct map_counter){"sched_wakets", s->sched.wakeup_overflows};
		c[1] = (struct map_counter){"sched_procs", s->sched.proc_overflows};
		return 2;
	case EBS_FAM_MEMORY:
		c[0] = (struct map_counter){"mem_procs", s->mem.proc_overflows};
		return 1;
	default: return 0;
	}
}

void ebs_events_init(struct ebs_events *st, unsigned limit)
{
	memset(st, 0, sizeof(*st));
	st->limit = limit;
}

const char *ebs_event_name(enum ebs_event_type t)
{
	switch (t) {
	case EBS_EV_OOM_KILL: return "oom_kill";
	case EBS_EV_MODULE_STATUS: return "module_status";
	case EBS_EV_OVERFLOW: return "overflow";
	case EBS_EV_PROGRAMS_LOADED: return "programs_loaded";
	default: return "unknown";
	}
}

/* Whether one more event of type t may be sent now; counts it otherwise. */
static bool admit(struct ebs_events *st, enum ebs_event_type t, uint64_t now_ns)
{
	uint64_t window = (uint64_t)EBS_EVENTS_WINDOW_MS * 1000000u;

	if (!st->window_sent[t] || now_ns - st->window_start_ns[t] >= window) {
		st->window_start_ns[t] = now_ns;
		st->window_sent[t] = 0;
	}
	if (st->window_sent[t] < st->limit && st->n < EBS_EVENTS_MAX) {
		st->window_sent[t]++;
		return true;
	}
	st->suppressed[t]++;
	st->suppressed_total++;
	return false;
}

static struct ebs_event *add(struct ebs_events *st, enum ebs_event_type t, enum ebs_family f,
			     const struct ebs_snapshot *s)
{
	struct ebs_event *ev;

	if (!admit(st, t, s->taken_ns))
		return NULL;
	ev = &st->ev[st->n++];
	memset(ev, 0, sizeof(*ev));
	ev->type = t;
	ev->family = f;
	ev->unix_ms = s->taken_unix_ms;
	return ev;
}

static void detect_load(struct ebs_events *st, const struct ebs_snapshot *s, bool fresh)
{
	struct ebs_event *ev;

	if (!fresh)
		return;
	ev = add(st, EBS_EV_PROGRAMS_LOADED, EBS_FAM_COUNT, s);
	if (ev)
		ev->loaded_unix_ms = s->loaded_unix_ms;
}

static void detect_status(struct ebs_events *st, const struct ebs_snapshot *s)
{
	for (int f = 0; f < EBS_FAM_COUNT; f++) {
		const struct ebs_module_stat *m = &s->modules[f];
		struct ebs_event *ev;

		/* no old status before the first snapshot: the load event says
		 * the agent (re)started, the module table says how it runs */
		if (!st->primed || m->status == st->status[f])
			continue;
		ev = add(st, EBS_EV_MODULE_STATUS, (enum ebs_family)f, s);
		if (!ev)
			continue;
		ev->old_status = st->status[f];
		ev->new_status = m->status;
		snprintf(ev->reason, sizeof(ev->reason), "%s", m->reason);
	}
}

/* base: the counters as they were before this snapshot (0 after a fresh
 * load: the new programs counted from zero). */
static void detect_oom(struct ebs_events *st, const struct ebs_snapshot *s, uint64_t base)
{
	struct ebs_event *ev;

	if (!ebs_module_running(s, EBS_FAM_MEMORY) || s->mem.oom_kills <= base)
		return;
	ev = add(st, EBS_EV_OOM_KILL, EBS_FAM_MEMORY, s);
	if (!ev)
		return;
	ev->count = s->mem.oom_kills - base;
	ev->total = s->mem.oom_kills;
	ev->pid = s->mem.oom_last_pid;
	snprintf(ev->comm, sizeof(ev->comm), "%s", s->mem.oom_last_comm);
	snprintf(ev->cgroup, sizeof(ev->cgroup), "%s", s->mem.oom_last_cgroup);
}

/* restart: the programs were loaded anew, their counters start at zero;
 * adopt: the first snapshot of programs someone else loaded, whose past
 * overflows are not news. */
static void detect_overflow(struct ebs_events *st, const struct ebs_snapshot *s, bool restart,
			    bool adopt)
{
	for (int f = 0; f < EBS_FAM_COUNT; f++) {
		struct map_counter c[MAP_COUNTERS];
		unsigned n = map_counters(s, (enum ebs_family)f, c);
		uint64_t now = 0, most = 0;
		const char *map = n ? c[0].map : "";
		bool growing;

		for (unsigned k = 0; k < n; k++)
			now += c[k].value;
		if (restart) {
			st->overflows[f] = 0;
			memset(st->map_overflows[f], 0, sizeof(st->map_overflows[f]));
			st->overflowing[f] = false;
		}
		/* a module that is off keeps its marks: back on with its pins,
		 * its counters go on from there, not from zero */
		if (!ebs_module_running(s, f)) {
			st->overflowing[f] = false;
			continue;
		}
		growing = !adopt && now > st->overflows[f];
		for (unsigned k = 0; growing && k < n; k++) {
			uint64_t d = c[k].value > st->map_overflows[f][k]
					     ? c[k].value - st->map_overflows[f][k]
					     : 0;
			if (d > most) {
				most = d;
				map = c[k].map;
			}
		}
		/* an episode: intervals in a row in which the counter grew */
		if (growing && !st->overflowing[f]) {
			struct ebs_event *ev = add(st, EBS_EV_OVERFLOW, (enum ebs_family)f, s);

			if (ev) {
				ev->count = now - st->overflows[f];
				ev->total = s->modules[f].overflows;
				ev->map = map;
			}
		}
		st->overflowing[f] = growing;
		st->overflows[f] = now;
		for (unsigned k = 0; k < n; k++)
			st->map_overflows[f][k] = c[k].value;
	}
}

unsigned ebs_events_update(struct ebs_events *st, const struct ebs_snapshot *s)
{
	bool fresh = false, adopt = false;
	uint64_t oom_base = st->oom_kills;

	st->n = 0;
	if (!st->primed) {
		/* a load of ours (not pins another process loaded) is news */
		for (int f = 0; f < EBS_FAM_COUNT; f++)
			if (ebs_module_running(s, f) && !s->modules[f].reused_pins)
				fresh = true;
		adopt = !fresh;
		oom_base = fresh ? 0 : s->mem.oom_kills;
	} else {
		/* a later load: counters restarted.  Disabling the module loaded
		 * last moves loaded_unix_ms back, and enabling it again with its
		 * pins forward to where it was: neither restarts anything, so
		 * the newest load seen is the mark. */
		fresh = s->loaded_unix_ms > st->loaded_unix_ms;
		if (fresh || s->mem.oom_kills < st->oom_kills)
			oom_base = 0;
	}
	detect_load(st, s, fresh);
	detect_status(st, s);
	detect_oom(st, s, oom_base);
	detect_overflow(st, s, fresh, adopt);

	st->primed = true;
	if (s->loaded_unix_ms > st->loaded_unix_ms)
		st->loaded_unix_ms = s->loaded_unix_ms;
	if (ebs_module_running(s, EBS_FAM_MEMORY) || fresh)
		st->oom_kills = s->mem.oom_kills;
	for (int f = 0; f < EBS_FAM_COUNT; f++)
		st->status[f] = s->modules[f].status;
	return st->n;
}

void ebs_event_text(const struct ebs_event *ev, char *buf, size_t len)
{
	const char *mod = ev->family < EBS_FAM_COUNT ? ebs_family_name(ev->family) : "";

	switch (ev->type) {
	case EBS_EV_OOM_KILL:
		if (ev->count > 1)
			snprintf(buf, len,
				 "OOM killer killed %" PRIu64 " tasks, the last pid %" PRIu32
				 " (%s); %" PRIu64 " since load%s%s",
				 ev->count, ev->pid, ev->comm, ev->total,
				 ev->cgroup[0] ? "; cgroup " : "", ev->cgroup);
		else
			snprintf(buf, len,
				 "OOM killer killed pid %" PRIu32 " (%s); %" PRIu64
				 " since load%s%s",
				 ev->pid, ev->comm, ev->total, ev->cgroup[0] ? "; cgroup " : "",
				 ev->cgroup);
		break;
	case EBS_EV_MODULE_STATUS:
		snprintf(buf, len, "module %s: %s -> %s%s%s", mod, ebs_status_name(ev->old_status),
			 ebs_status_name(ev->new_status), ev->reason[0] ? ": " : "", ev->reason);
		break;
	case EBS_EV_OVERFLOW:
		snprintf(buf, len,
			 "module %s: map %s is full, %" PRIu64
			 " events dropped in the interval, %" PRIu64 " since load",
			 mod, ev->map ? ev->map : "?", ev->count, ev->total);
		break;
	case EBS_EV_PROGRAMS_LOADED:
		snprintf(buf, len,
			 "kernel programs loaded at %" PRIu64
			 " ms since the epoch; counters restarted",
			 ev->loaded_unix_ms);
		break;
	default: snprintf(buf, len, "unknown event");
	}
}
