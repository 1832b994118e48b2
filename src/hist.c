/* Percentiles from log-linear histograms (bpf/ebs_hist.h).  Both front-ends
 * and the CLI call this on the same snapshot deltas, so they report
 * identical numbers.
 *
 * The error bound.  The sample of the wanted rank lies in the bucket where
 * the cumulative count reaches that rank.  Below the open bucket a bucket
 * holds the integers lo..up with up < lo * 17/16 (exact for lo < 32), so a
 * value e with (1 - eps) * up <= e <= (1 + eps) * lo is within eps of
 * every one of them, whichever it is; such an e exists for any eps >=
 * 1/33 (3.03 %).  The estimate is the linear interpolation inside the
 * bucket (the best guess on smooth distributions), moved into that
 * interval when it falls outside (a point mass at the bucket's edge). */
#include <math.h>
#include <string.h>

#include "cgroup.h"
#include "ebpfstats.h"
#include "ebs_hist.h"
#include "module.h"

/* A bucket layout: 2^sub_bits exact buckets, then 2^sub_bits per power of
 * two up to 2^EBS_HIST_TOP_BITS, then one open bucket.  The standard one
 * (bpf/ebs_hist.h) and the per-cgroup one (bpf/cgroup.h) differ only in
 * sub_bits. */
struct layout {
	unsigned sub_bits, slots;
	double max_error;
};

static const struct layout std_layout = {EBS_HIST_SUB_BITS, EBS_HIST_SLOTS, EBS_HIST_MAX_ERROR};
static const struct layout cg_layout = {EBS_CG_HIST_SUB_BITS, EBS_CG_HIST_SLOTS,
					EBS_CG_HIST_MAX_ERROR};

_Static_assert(EBS_CG_HIST_SLOTS == 125, "src/ebpfstats.h and bpf/cgroup.h disagree");

unsigned ebs_hist_bucket_of(uint64_t v)
{
	return ebs_hist_bucket(v);
}

static uint64_t lower(const struct layout *l, unsigned slot)
{
	unsigned sub = 1u << l->sub_bits, h;

	if (slot < sub)
		return slot;
	if (slot >= l->slots - 1)
		return UINT64_C(1) << EBS_HIST_TOP_BITS;
	/* bucket ((h - k + 1) << k) + j holds [(2^k + j) << (h - k), (2^k + j + 1) << (h - k)) */
	h = (slot >> l->sub_bits) + l->sub_bits - 1;
	return (uint64_t)(sub + (slot & (sub - 1))) << (h - l->sub_bits);
}

static uint64_t upper(const struct layout *l, unsigned slot)
{
	if (slot >= l->slots - 1)
		return UINT64_MAX;
	return lower(l, slot + 1) - 1;
}

uint64_t ebs_hist_lower(unsigned slot)
{
	return lower(&std_layout, slot);
}

uint64_t ebs_hist_upper(unsigned slot)
{
	return upper(&std_layout, slot);
}

void ebs_hist_add(struct ebs_hist *dst, const __u64 *slots)
{
	for (unsigned b = 0; b < EBS_HIST_SLOTS; b++)
		dst->slot[b] += slots[b];
}

/* A counter that went backwards means the programs were reloaded: count
 * the new value as the whole interval. */
static uint64_t delta(const uint64_t *cur, const uint64_t *prev, unsigned i)
{
	uint64_t p = prev ? prev[i] : 0;

	return cur[i] >= p ? cur[i] - p : cur[i];
}

static double estimate(const struct layout *l, unsigned b, double frac)
{
	double lo = (double)lower(l, b), up, e;

	if (b >= l->slots - 1)
		return lo; /* open: all that is known is "at least" */
	up = (double)upper(l, b);
	e = lo + frac * (up + 1.0 - lo);
	if (e > lo * (1.0 + l->max_error))
		e = lo * (1.0 + l->max_error);
	if (e < up * (1.0 - l->max_error))
		e = up * (1.0 - l->max_error);
	return e;
}

static double percentile(const struct layout *l, const uint64_t *cur, const uint64_t *prev,
			 double q)
{
	uint64_t total = 0, seen = 0;
	double rank;

	for (unsigned i = 0; i < l->slots; i++)
		total += delta(cur, prev, i);
	if (total == 0 || !(q > 0))
		return 0.0;
	if (q > 1)
		q = 1;
	/* the nearest-rank sample: the ceil(q * total)-th smallest, 1-based */
	rank = ceil(q * (double)total - 1e-9);
	if (rank < 1)
		rank = 1;
	for (unsigned i = 0; i < l->slots; i++) {
		uint64_t d = delta(cur, prev, i);

		if (d == 0)
			continue;
		if ((double)(seen + d) >= rank)
			return estimate(l, i, (rank - (double)seen - 0.5) / (double)d);
		seen += d;
	}
	return estimate(l, l->slots - 1, 0);
}

double ebs_hist_percentile(const struct ebs_hist *cur, const struct ebs_hist *prev, double q)
{
	return percentile(&std_layout, cur->slot, prev ? prev->slot : NULL, q);
}

static void fill_pct(struct ebs_pct *pct, const struct layout *l, const uint64_t *cur,
		     const uint64_t *prev, double div)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < l->slots; i++)
		n += delta(cur, prev, i);
	pct->samples = n;
	pct->div = div;
	pct->p50 = ebs_pct_at(pct, 0.50);
	pct->p90 = ebs_pct_at(pct, 0.90);
	pct->p99 = ebs_pct_at(pct, 0.99);
}

void ebs_hist_pct(struct ebs_pct *pct, const struct ebs_hist *cur, const struct ebs_hist *prev,
		  double div)
{
	pct->hist = cur;
	pct->prev = prev;
	pct->cg_cur = pct->cg_prev = NULL;
	fill_pct(pct, &std_layout, cur->slot, prev ? prev->slot : NULL, div);
}

void ebs_cg_hist_pct(struct ebs_pct *pct, const uint64_t *cur, const uint64_t *prev, double div)
{
	pct->hist = pct->prev = NULL;
	pct->cg_cur = cur;
	pct->cg_prev = prev;
	fill_pct(pct, &cg_layout, cur, prev, div);
}

double ebs_pct_at(const struct ebs_pct *pct, double q)
{
	double div = pct->div > 0 ? pct->div : 1.0;

	if (pct->samples == 0)
		return 0.0;
	if (pct->cg_cur)
		return percentile(&cg_layout, pct->cg_cur, pct->cg_prev, q) / div;
	if (!pct->hist)
		return 0.0;
	return ebs_hist_percentile(pct->hist, pct->prev, q) / div;
}
