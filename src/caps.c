/* Capability checks and dropping. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>

#include "internal.h"

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

static int cap_eff(uint64_t *out)
{
	char line[256];
	FILE *f = fopen("/proc/self/status", "re");
	int rc = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %" SCNx64, out) == 1) {
			rc = 0;
			break;
		}
	fclose(f);
	return rc;
}

bool ebs_caps_sufficient(char *why, size_t len)
{
	uint64_t eff;

	if (cap_eff(&eff) < 0) {
		snprintf(why, len, "cannot read CapEff from /proc/self/status");
		return false;
	}
	if (eff & (UINT64_C(1) << CAP_SYS_ADMIN))
		return true;
	if ((eff & (UINT64_C(1) << CAP_BPF)) && (eff & (UINT64_C(1) << CAP_PERFMON)))
		return true;
	snprintf(why, len,
		 "missing capabilities: loading tracing programs needs CAP_BPF and CAP_PERFMON "
		 "(or CAP_SYS_ADMIN); CapEff is %016" PRIx64, eff);
	return false;
}

int ebs_drop_caps(char *err, size_t errlen)
{
	cap_t caps = cap_get_proc();

	if (!caps) {
		snprintf(err, errlen, "cap_get_proc: %s", strerror(errno));
		return -1;
	}
	if (cap_clear_flag(caps, CAP_EFFECTIVE) < 0 || cap_clear_flag(caps, CAP_INHERITABLE) < 0 ||
	    cap_set_proc(caps) < 0) {
		snprintf(err, errlen, "dropping capabilities: %s", strerror(errno));
		cap_free(caps);
		return -1;
	}
	cap_free(caps);
	return 0;
}

int ebs_raise_caps(char *err, size_t errlen)
{
	cap_t caps = cap_get_proc();

	if (!caps) {
		snprintf(err, errlen, "cap_get_proc: %s", strerror(errno));
		return -1;
	}
	/* effective = permitted: what ebs_drop_caps() cleared comes back */
	if (cap_fill(caps, CAP_EFFECTIVE, CAP_PERMITTED) < 0 || cap_set_proc(caps) < 0) {
		snprintf(err, errlen, "raising capabilities: %s", strerror(errno));
		cap_free(caps);
		return -1;
	}
	cap_free(caps);
	return 0;
}

int ebs_drop_caps_all(char *err, size_t errlen)
{
	cap_t caps = cap_get_proc();

	if (!caps) {
		snprintf(err, errlen, "cap_get_proc: %s", strerror(errno));
		return -1;
	}
	if (cap_clear(caps) < 0 || cap_set_proc(caps) < 0) {
		snprintf(err, errlen, "dropping capabilities: %s", strerror(errno));
		cap_free(caps);
		return -1;
	}
	cap_free(caps);
	return 0;
}
