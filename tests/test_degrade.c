/* Per-hook flavour choice and per-module degradation, against a fake probe
 * (a hand-made tracefs tree, no BTF) and the test hook that hides
 * tracepoints. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "internal.h"

static char tmp[64];

static const struct ebs_hook all3 = {"sched", "sched_switch", "p_btf",
				     "p_raw", "p_tp",	      .optional = false};
static const struct ebs_hook tp_only = {"sched", "sched_switch", NULL,
					NULL,	 "p_tp",	 .optional = false};
static const struct ebs_hook missing = {"nosuch", "nosuch_event", "p_btf",
					"p_raw",  "p_tp",	  .optional = true};

static int setup(void **state)
{
	char path[128];

	(void)state;
	snprintf(tmp, sizeof(tmp), "/tmp/ebs-degrade-XXXXXX");
	if (!mkdtemp(tmp))
		return -1;
	snprintf(path, sizeof(path), "%s/sched", tmp);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/sched/sched_switch", tmp);
	return mkdir(path, 0700);
}

static int teardown(void **state)
{
	(void)state;
	ebs_rm_rf(tmp);
	return 0;
}

static void fake_host(struct ebs_host *h, bool tracefs)
{
	memset(h, 0, sizeof(*h));
	if (tracefs)
		snprintf(h->tracefs, sizeof(h->tracefs), "%s", tmp);
}

/* Without BTF a tracepoint seen in tracefs still takes raw_tp, the cheaper
 * of the two that need no BTF. */
static void test_no_btf_prefers_raw(void **state)
{
	struct ebs_host h;
	char why[256] = "";

	(void)state;
	fake_host(&h, true);
	assert_int_equal(ebs_hook_choose(&h, &all3, why, sizeof(why)), EBS_ATT_RAW);
	assert_int_equal(ebs_hook_choose(&h, &tp_only, why, sizeof(why)), EBS_ATT_TP);
}

static void test_missing_tracepoint_reason(void **state)
{
	struct ebs_host h;
	char why[256] = "";

	(void)state;
	fake_host(&h, true);
	assert_int_equal(ebs_hook_choose(&h, &missing, why, sizeof(why)), EBS_ATT_NONE);
	assert_string_equal(why, "tracepoint nosuch:nosuch_event does not exist on this kernel");
	fake_host(&h, false);
	assert_int_equal(ebs_hook_choose(&h, &all3, why, sizeof(why)), EBS_ATT_NONE);
	assert_non_null(strstr(why, "tracefs is not mounted"));
}

static void test_hidden_tracepoint(void **state)
{
	struct ebs_host h;
	char why[256] = "";

	(void)state;
	fake_host(&h, true);
	setenv("EBPFSTATS_TEST_HIDE_TRACEPOINT", "tcp:tcp_probe,sched:sched_switch", 1);
	assert_true(ebs_hook_hidden(&all3));
	assert_int_equal(ebs_hook_choose(&h, &all3, why, sizeof(why)), EBS_ATT_NONE);
	assert_non_null(strstr(why, "sched:sched_switch hidden"));
	setenv("EBPFSTATS_TEST_HIDE_TRACEPOINT", "sched:sched_switc", 1);
	assert_false(ebs_hook_hidden(&all3)); /* whole names only */
	unsetenv("EBPFSTATS_TEST_HIDE_TRACEPOINT");
	assert_false(ebs_hook_hidden(&all3));
}

/* ebs_check: a hidden required hook makes the family unavailable, a hidden
 * optional one degraded, a disabled family says which key. */
static void test_check_statuses(void **state)
{
	struct ebs_config cfg;
	char reason[EBS_REASON_LEN];

	(void)state;
	if (geteuid() != 0)
		skip();
	ebs_config_init(&cfg);
	setenv("EBPFSTATS_TEST_HIDE_TRACEPOINT", "sched:sched_wakeup,tcp:tcp_retransmit_skb", 1);
	assert_int_equal(ebs_check(&cfg, EBS_FAM_SCHED, reason, sizeof(reason)),
			 EBS_ST_UNAVAILABLE);
	assert_non_null(strstr(reason, "sched:sched_wakeup"));
	assert_int_equal(ebs_check(&cfg, EBS_FAM_TCP, reason, sizeof(reason)), EBS_ST_DEGRADED);
	assert_non_null(strstr(reason, "tcp:tcp_retransmit_skb"));
	assert_int_equal(ebs_check(&cfg, EBS_FAM_SYSCALLS, reason, sizeof(reason)), EBS_ST_OK);
	unsetenv("EBPFSTATS_TEST_HIDE_TRACEPOINT");
	cfg.collect[EBS_FAM_SYSCALLS] = false;
	assert_int_equal(ebs_check(&cfg, EBS_FAM_SYSCALLS, reason, sizeof(reason)),
			 EBS_ST_DISABLED);
	assert_string_equal(reason, "collect_syscalls is false");
	snprintf(cfg.btf_path, sizeof(cfg.btf_path), "/nonexistent.btf");
	assert_int_equal(ebs_check(&cfg, EBS_FAM_TCP, reason, sizeof(reason)), EBS_ST_UNAVAILABLE);
	assert_non_null(strstr(reason, "no BTF at /nonexistent.btf"));
}

/* Pins loaded with other settings are detected through the digest. */
static void test_cfg_digest(void **state)
{
	struct ebs_config a, b;

	(void)state;
	ebs_config_init(&a);
	ebs_config_init(&b);
	assert_true(ebs_cfg_digest(&a, EBS_FAM_SYSCALLS) == ebs_cfg_digest(&b, EBS_FAM_SYSCALLS));
	b.sample_rate = 50;
	assert_true(ebs_cfg_digest(&a, EBS_FAM_SYSCALLS) != ebs_cfg_digest(&b, EBS_FAM_SYSCALLS));
	assert_true(ebs_cfg_digest(&a, EBS_FAM_SCHED) == ebs_cfg_digest(&b, EBS_FAM_SCHED));
	snprintf(b.include[0], EBS_COMM_LEN, "nginx");
	b.n_include = 1;
	b.sample_rate = 100;
	assert_true(ebs_cfg_digest(&a, EBS_FAM_SYSCALLS) != ebs_cfg_digest(&b, EBS_FAM_SYSCALLS));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_btf_prefers_raw),
		cmocka_unit_test(test_missing_tracepoint_reason),
		cmocka_unit_test(test_hidden_tracepoint),
		cmocka_unit_test(test_check_statuses),
		cmocka_unit_test(test_cfg_digest),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
