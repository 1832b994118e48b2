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
		 "(or CAP_SYS_ADMIN); CapEff is %016" PRIx64,
		 eff);
	return false;
}

/* Reads this process's capability sets, lets edit change them, sets them. */
static int caps_edit(int (*edit)(cap_t caps), const char *what, char *err, size_t errlen)
{
	cap_t caps = cap_get_proc();

	if (!caps) {
		snprintf(err, errlen, "cap_get_proc: %s", strerror(errno));
		return -1;
	}
	if (edit(caps) < 0 || cap_set_proc(caps) < 0) {
		snprintf(err, errlen, "%s capabilities: %s", what, strerror(errno));
		cap_free(caps);
		return -1;
	}
	cap_free(caps);
	return 0;
}

static int clear_effective(cap_t caps)
{
	return cap_clear_flag(caps, CAP_EFFECTIVE) < 0 ? -1 : cap_clear_flag(caps, CAP_INHERITABLE);
}

/* effective = permitted: what ebs_drop_caps() cleared comes back */
static int effective_from_permitted(cap_t caps)
{
	return cap_fill(caps, CAP_EFFECTIVE, CAP_PERMITTED);
}

int ebs_drop_caps(char *err, size_t errlen)
{
	return caps_edit(clear_effective, "dropping", err, errlen);
}

int ebs_raise_caps(char *err, size_t errlen)
{
	return caps_edit(effective_from_permitted, "raising", err, errlen);
}

int ebs_drop_caps_all(char *err, size_t errlen)
{
	return caps_edit(cap_clear, "dropping", err, errlen);
}
