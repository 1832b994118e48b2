/* Percentiles from log2 histograms.  Both front-ends call this on the same
 * snapshot deltas, so collectd and SNMP report identical numbers. */
#include <string.h>

#include "ebpfstats.h"

uint64_t ebs_hist_upper(unsigned slot)
{
	if (slot >= EBS_HIST_SLOTS - 1)
		return (UINT64_C(1) << EBS_HIST_SLOTS) - 1; /* open-ended: report its nominal top */
	return (UINT64_C(1) << (slot + 1)) - 1;
}

static uint64_t lower(unsigned slot)
{
	return slot == 0 ? 0 : UINT64_C(1) << slot;
}

double ebs_hist_percentile(const struct ebs_hist *cur, const struct ebs_hist *prev, double q)
{
	uint64_t delta[EBS_HIST_SLOTS], total = 0;

	for (unsigned i = 0; i < EBS_HIST_SLOTS; i++) {
		uint64_t p = prev ? prev->slot[i] : 0;
		/* A counter that went backwards means the programs were
		 * reloaded: count the new value as the whole interval. */
		delta[i] = cur->slot[i] >= p ? cur->slot[i] - p : cur->slot[i];
		total += delta[i];
	}
	if (total == 0 || q <= 0)
		return 0.0;
	if (q > 1)
		q = 1;

	/* rank of the wanted sample, 1-based */
	double rank = q * (double)total;
	uint64_t seen = 0;

	for (unsigned i = 0; i < EBS_HIST_SLOTS; i++) {
		if (delta[i] == 0)
			continue;
		if ((double)(seen + delta[i]) >= rank) {
			/* interpolate linearly across [lower, upper+1) */
			double lo = (double)lower(i), hi = (double)ebs_hist_upper(i) + 1.0;
			double frac = (rank - (double)seen) / (double)delta[i];
			return lo + frac * (hi - lo);
		}
		seen += delta[i];
	}
	return (double)ebs_hist_upper(EBS_HIST_SLOTS - 1);
}

void ebs_hist_pct(struct ebs_pct *pct, const struct ebs_hist *cur, const struct ebs_hist *prev,
		  double div)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < EBS_HIST_SLOTS; i++) {
		uint64_t p = prev ? prev->slot[i] : 0;
		n += cur->slot[i] >= p ? cur->slot[i] - p : cur->slot[i];
	}
	pct->samples = n;
	pct->p50 = ebs_hist_percentile(cur, prev, 0.50) / div;
	pct->p90 = ebs_hist_percentile(cur, prev, 0.90) / div;
	pct->p99 = ebs_hist_percentile(cur, prev, 0.99) / div;
}
