/* How the kernel tests (test_kernel, test_tcp_live) open libebpfstats and
 * take a snapshot: a failure ends the test with the library's message.
 * Include after <cmocka.h>. */
#ifndef EBS_TEST_H
#define EBS_TEST_H

#include "ebpfstats.h"

static inline struct ebs *open_cfg(struct ebs_config *cfg)
{
	char err[EBS_ERR_LEN];
	struct ebs *e = ebs_open(cfg, err, sizeof(err));

	if (!e)
		fail_msg("ebs_open: %s", err);
	return e;
}

/* Built-in defaults and private programs (no pins). */
static inline struct ebs *open_private(void)
{
	struct ebs_config cfg;

	ebs_config_init(&cfg);
	cfg.pin_path[0] = '\0';
	return open_cfg(&cfg);
}

static inline const struct ebs_snapshot *snap(struct ebs *e)
{
	char err[EBS_ERR_LEN];
	const struct ebs_snapshot *s = ebs_snapshot(e, err, sizeof(err));

	if (!s)
		fail_msg("ebs_snapshot: %s", err);
	return s;
}

#endif
