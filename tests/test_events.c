/* src/events.c with hand-built snapshots: each event found once, with the
 * fields that make it actionable; overflow once per episode; counters that
 * restart with a new load; the rate limit counts what it holds back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ebpfstats.h"

#define SEC 1000000000ULL

static struct ebs_snapshot snap;

/* Every module ok, loaded by this process at t=1000 ms. */
static int reset(void **state)
{
	(void)state;
	memset(&snap, 0, sizeof(snap));
	snap.loaded_unix_ms = 1000;
	for (int f = 0; f < EBS_FAM_COUNT; f++) {
		snap.modules[f].name = ebs_family_name((enum ebs_family)f);
		snap.modules[f].status = EBS_ST_OK;
	}
	return 0;
}

/* The next snapshot, 10 s later. */
static unsigned feed(struct ebs_events *st)
{
	snap.sequence++;
	snap.taken_ns = snap.sequence * 10 * SEC;
	snap.taken_unix_ms = 1000 + snap.sequence * 10000;
	return ebs_events_update(st, &snap);
}

static unsigned count_type(const struct ebs_events *st, enum ebs_event_type t)
{
	unsigned n = 0;

	for (unsigned i = 0; i < st->n; i++)
		n += st->ev[i].type == t;
	return n;
}

static const struct ebs_event *find_type(const struct ebs_events *st, enum ebs_event_type t)
{
	for (unsigned i = 0; i < st->n; i++)
		if (st->ev[i].type == t)
			return &st->ev[i];
	return NULL;
}

static void test_first_load(void **state)
{
	struct ebs_events st;
	const struct ebs_event *ev;
	char text[256];

	(void)state;
	ebs_events_init(&st, EBS_EVENTS_LIMIT_DEFAULT);
	assert_int_equal(feed(&st), 1);
	ev = find_type(&st, EBS_EV_PROGRAMS_LOADED);
	assert_non_null(ev);
	assert_int_equal(ev->loaded_unix_ms, 1000);
	assert_int_equal(ev->unix_ms, snap.taken_unix_ms);
	ebs_event_text(ev, text, sizeof(text));
	assert_non_null(strstr(text, "counters restarted"));
	/* nothing changed: nothing to say */
	assert_int_equal(feed(&st), 0);
	assert_int_equal(feed(&st), 0);
	assert_int_equal(st.suppressed_total, 0);
}

/* Programs another process loaded (pins): no load event, and the overflows
 * and OOM kills they counted before are history, not news. */
static void test_reused_pins(void **state)
{
	struct ebs_events st;

	(void)state;
	for (int f = 0; f < EBS_FAM_COUNT; f++)
		snap.modules[f].reused_pins = true;
	snap.mem.oom_kills = 3;
	snap.modules[EBS_FAM_TCP].overflows = snap.tcp.socket_overflows = 50;
	ebs_events_init(&st, EBS_EVENTS_LIMIT_DEFAULT);
	assert_int_equal(feed(&st), 0);
	assert_int_equal(feed(&st), 0);
	/* a new load by someone else later: counters restarted */
	snap.loaded_unix_ms = 5000;
	snap.mem.oom_kills = 0;
	snap.modules[EBS_FAM_TCP].overflows = snap.tcp.socket_overflows = 0;
	assert_int_equal(feed(&st), 1);
	assert_non_null(find_type(&st, EBS_EV_PROGRAMS_LOADED));
	/* disabling the module loaded last moves the time back, enabling it
	 * again with its pins forward: no load either way */
	snap.loaded_unix_ms = 4000;
	assert_int_equal(feed(&st), 0);
	snap.loaded_unix_ms = 5000;
	assert_int_equal(feed(&st), 0);
}

static void test_oom_kill(void **state)
{
	struct ebs_events st;
	const struct ebs_event *ev;
	char text[256];

	(void)state;
	ebs_events_init(&st, EBS_EVENTS_LIMIT_DEFAULT);
	feed(&st);
	snap.mem.oom_kills = 1;
	snap.mem.oom_last_pid = 4242;
	snprintf(snap.mem.oom_last_comm, sizeof(snap.mem.oom_last_comm), "hog");
	assert_int_equal(feed(&st), 1);
	ev = find_type(&st, EBS_EV_OOM_KILL);
	assert_non_null(ev);
	assert_int_equal(ev->pid, 4242);
	assert_string_equal(ev->comm, "hog");
	assert_int_equal(ev->count, 1);
	assert_int_equal(ev->total, 1);
	assert_int_equal(ev->family, EBS_FAM_MEMORY);
	assert_string_equal(ev->cgroup, "");
	ebs_event_text(ev, text, sizeof(text));
	/* no cgroup known: the text says nothing of one */
	assert_string_equal(text, "OOM killer killed pid 4242 (hog); 1 since load");
	assert_int_equal(feed(&st), 0);
	/* a fork bomb: 40 kills in one interval are one event that says so */
	snap.mem.oom_kills = 41;
	snap.mem.oom_last_pid = 5000;
	snprintf(snap.mem.oom_last_cgroup, sizeof(snap.mem.oom_last_cgroup),
		 "system.slice/a.service");
	assert_int_equal(feed(&st), 1);
	ev = find_type(&st, EBS_EV_OOM_KILL);
	assert_int_equal(ev->count, 40);
	assert_int_equal(ev->total, 41);
	assert_int_equal(ev->pid, 5000);
	assert_string_equal(ev->cgroup, "system.slice/a.service");
	ebs_event_text(ev, text, sizeof(text));
	assert_string_equal(text, "OOM killer killed 40 tasks, the last pid 5000 (hog); 41 since "
				  "load; cgroup system.slice/a.service");
	/* memory module not running: no OOM events from zeros */
	snap.modules[EBS_FAM_MEMORY].status = EBS_ST_DISABLED;
	snap.mem.oom_kills = 0;
	feed(&st);
	assert_int_equal(count_type(&st, EBS_EV_OOM_KILL), 0);
	/* back on with its pins: the count goes on from 41, nothing new */
	snap.modules[EBS_FAM_MEMORY].status = EBS_ST_OK;
	snap.mem.oom_kills = 41;
	feed(&st);
	assert_int_equal(count_type(&st, EBS_EV_OOM_KILL), 0);
}

static void test_status_change(void **state)
{
	struct ebs_events st;
	const struct ebs_event *ev;
	char text[512];

	(void)state;
	/* a module that starts degraded has no old status: no event */
	snap.modules[EBS_FAM_SCHED].status = EBS_ST_DEGRADED;
	ebs_events_init(&st, EBS_EVENTS_LIMIT_DEFAULT);
	feed(&st);
	assert_int_equal(count_type(&st, EBS_EV_MODULE_STATUS), 0);
	snap.modules[EBS_FAM_TCP].status = EBS_ST_DISABLED;
	snprintf(snap.modules[EBS_FAM_TCP].reason, EBS_REASON_LEN,
		 "collect_tcp is false in x.yaml");
	assert_int_equal(feed(&st), 1);
	ev = find_type(&st, EBS_EV_MODULE_STATUS);
	assert_non_null(ev);
	assert_int_equal(ev->family, EBS_FAM_TCP);
	assert_int_equal(ev->old_status, EBS_ST_OK);
	assert_int_equal(ev->new_status, EBS_ST_DISABLED);
	assert_string_equal(ev->reason, "collect_tcp is false in x.yaml");
	ebs_event_text(ev, text, sizeof(text));
	assert_string_equal(text, "module tcp: ok -> disabled: collect_tcp is false in x.yaml");
	assert_int_equal(feed(&st), 0);
	/* back to ok */
	snap.modules[EBS_FAM_TCP].status = EBS_ST_OK;
	snap.modules[EBS_FAM_TCP].reason[0] = '\0';
	assert_int_equal(feed(&st), 1);
	assert_int_equal(st.ev[0].old_status, EBS_ST_DISABLED);
	assert_int_equal(st.ev[0].new_status, EBS_ST_OK);
}

static void test_overflow_episode(void **state)
{
	struct ebs_events st;
	const struct ebs_event *ev;

	(void)state;
	ebs_events_init(&st, EBS_EVENTS_LIMIT_DEFAULT);
	feed(&st);
	/* the episode starts: one event naming the map */
	snap.tcp.socket_overflows = 100;
	snap.tcp.port_overflows = 3;
	snap.modules[EBS_FAM_TCP].overflows = 103;
	assert_int_equal(feed(&st), 1);
	ev = find_type(&st, EBS_EV_OVERFLOW);
	assert_non_null(ev);
	assert_int_equal(ev->family, EBS_FAM_TCP);
	assert_string_equal(ev->map, "tcp_socks");
	assert_int_equal(ev->count, 103);
	assert_int_equal(ev->total, 103);
	/* it goes on for 50 intervals: no more events */
	for (int i = 0; i < 50; i++) {
		snap.tcp.socket_overflows += 1000;
		snap.modules[EBS_FAM_TCP].overflows += 1000;
		assert_int_equal(feed(&st), 0);
	}
	/* one quiet interval ends it; the next growth is a new episode */
	assert_int_equal(feed(&st), 0);
	snap.tcp_peer_overflows += 7;
	snap.modules[EBS_FAM_TCP].overflows += 7;
	assert_int_equal(feed(&st), 1);
	assert_string_equal(st.ev[0].map, "tcp_peers");
	assert_int_equal(st.ev[0].count, 7);
	/* another module's episode is its own */
	snap.sched.wakeup_overflows = snap.modules[EBS_FAM_SCHED].overflows = 9;
	snap.mem.proc_overflows = snap.modules[EBS_FAM_MEMORY].overflows = 2;
	assert_int_equal(feed(&st), 2);
	assert_int_equal(count_type(&st, EBS_EV_OVERFLOW), 2);
	assert_string_equal(st.ev[0].map, "sched_wakets");
	assert_string_equal(st.ev[1].map, "mem_procs");
	/* a module switched off and on again with its pins: no episode */
	snap.modules[EBS_FAM_SCHED].status = EBS_ST_DISABLED;
	snap.sched.wakeup_overflows = snap.modules[EBS_FAM_SCHED].overflows = 0;
	assert_int_equal(feed(&st), 1); /* the status change */
	assert_int_equal(count_type(&st, EBS_EV_OVERFLOW), 0);
	snap.modules[EBS_FAM_SCHED].status = EBS_ST_OK;
	snap.sched.wakeup_overflows = snap.modules[EBS_FAM_SCHED].overflows = 9;
	assert_int_equal(feed(&st), 1); /* back to ok */
	assert_int_equal(count_type(&st, EBS_EV_OVERFLOW), 0);
	/* syscall samples in sys_row's shared "other" row are kept, not
	 * dropped: the module's overflows grow, no episode */
	snap.modules[EBS_FAM_SYSCALLS].overflows += 500;
	feed(&st);
	assert_int_equal(count_type(&st, EBS_EV_OVERFLOW), 0);
	/* a new load restarts the counters: growth from zero is a new episode */
	snap.loaded_unix_ms = 9000;
	snap.sched.wakeup_overflows = snap.modules[EBS_FAM_SCHED].overflows = 0;
	snap.mem.proc_overflows = snap.modules[EBS_FAM_MEMORY].overflows = 0;
	memset(&snap.tcp, 0, sizeof(snap.tcp));
	snap.tcp_peer_overflows = 0;
	snap.modules[EBS_FAM_TCP].overflows = 0;
	snap.sys.inflight_overflows = 4;
	snap.modules[EBS_FAM_SYSCALLS].overflows = 30; /* with sys_row's */
	assert_int_equal(feed(&st), 2);
	assert_non_null(find_type(&st, EBS_EV_PROGRAMS_LOADED));
	ev = find_type(&st, EBS_EV_OVERFLOW);
	assert_non_null(ev);
	assert_int_equal(ev->family, EBS_FAM_SYSCALLS);
	assert_string_equal(ev->map, "sys_start");
	assert_int_equal(ev->count, 4);
	assert_int_equal(ev->total, 30); /* ebsModuleOverflows */
}

/* Four status changes at once with a limit of 2: two sent, two counted;
 * the window (a minute) later the limit is back. */
static void test_rate_limit(void **state)
{
	struct ebs_events st;

	(void)state;
	ebs_events_init(&st, 2);
	feed(&st);
	for (int f = 0; f < EBS_FAM_COUNT; f++)
		snap.modules[f].status = EBS_ST_DISABLED;
	assert_int_equal(feed(&st), 2);
	assert_int_equal(st.suppressed[EBS_EV_MODULE_STATUS], 2);
	assert_int_equal(st.suppressed_total, 2);
	/* within the same minute: the next two are held back too */
	for (int f = 0; f < 2; f++)
		snap.modules[f].status = EBS_ST_OK;
	assert_int_equal(feed(&st), 0);
	assert_int_equal(st.suppressed[EBS_EV_MODULE_STATUS], 4);
	/* other types have their own budget */
	snap.tcp.socket_overflows = snap.modules[EBS_FAM_TCP].overflows = 5;
	assert_int_equal(feed(&st), 1);
	assert_int_equal(st.ev[0].type, EBS_EV_OVERFLOW);
	assert_int_equal(st.suppressed_total, 4);
	/* a minute after the window opened */
	for (int i = 0; i < 6; i++)
		feed(&st);
	for (int f = 0; f < EBS_FAM_COUNT; f++)
		snap.modules[f].status = EBS_ST_DEGRADED;
	assert_int_equal(feed(&st), 2);
	assert_int_equal(st.suppressed[EBS_EV_MODULE_STATUS], 6);
}

/* notify_limit 0: nothing is sent, everything counted. */
static void test_limit_zero(void **state)
{
	struct ebs_events st;

	(void)state;
	ebs_events_init(&st, 0);
	assert_int_equal(feed(&st), 0);
	assert_int_equal(st.suppressed[EBS_EV_PROGRAMS_LOADED], 1);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(ebs_event_name(EBS_EV_OOM_KILL), "oom_kill");
	assert_string_equal(ebs_event_name(EBS_EV_MODULE_STATUS), "module_status");
	assert_string_equal(ebs_event_name(EBS_EV_OVERFLOW), "overflow");
	assert_string_equal(ebs_event_name(EBS_EV_PROGRAMS_LOADED), "programs_loaded");
}

static void test_config_key(void **state)
{
	struct ebs_config cfg;
	char err[EBS_ERR_LEN];

	(void)state;
	ebs_config_init(&cfg);
	assert_int_equal(cfg.notify_limit, EBS_EVENTS_LIMIT_DEFAULT);
	assert_int_equal(ebs_config_set(&cfg, "notify_limit", "2", err, sizeof(err)), 0);
	assert_int_equal(cfg.notify_limit, 2);
	assert_int_equal(ebs_config_set(&cfg, "notify_limit", "1001", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "notify_limit"));
	assert_int_equal(cfg.notify_limit, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_first_load, reset),
		cmocka_unit_test_setup(test_reused_pins, reset),
		cmocka_unit_test_setup(test_oom_kill, reset),
		cmocka_unit_test_setup(test_status_change, reset),
		cmocka_unit_test_setup(test_overflow_episode, reset),
		cmocka_unit_test_setup(test_rate_limit, reset),
		cmocka_unit_test_setup(test_limit_zero, reset),
		cmocka_unit_test_setup(test_names, reset),
		cmocka_unit_test_setup(test_config_key, reset),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
