/* Bad input for the YAML loader, in `make check` without a
 * fuzzing engine: the committed corpus (tests/fuzz/corpus, tests/data/config)
 * replayed through the libFuzzer target itself, then a fixed-seed mutation
 * run over it (byte flips, inserts, deletes, splices; ~300 000 inputs); and
 * malformed values and oversized inputs, each refused with file:line:col
 * (or, over the 1 MiB limit, with the file name: nothing is parsed then). */
#include <dirent.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "ebpfstats.h"

/* The fuzz target, with its invariants (__builtin_trap on a violation). */
#include "fuzz/fuzz_config.c"

#define MUTATIONS_PER_INPUT 1000
#define CORPUS_MAX 8192

struct input {
	unsigned char *buf;
	size_t len;
};

static struct input inputs[1024];
static unsigned n_inputs;

static void load_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (!d)
		fail_msg("cannot open %s", dir);
	while ((de = readdir(d)) && n_inputs < sizeof(inputs) / sizeof(inputs[0])) {
		char path[1024];
		struct stat st;
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (stat(path, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > CORPUS_MAX)
			continue;
		f = fopen(path, "rbe");
		assert_non_null(f);
		struct input *in = &inputs[n_inputs++];
		in->buf = malloc((size_t)st.st_size + 1);
		assert_non_null(in->buf);
		in->len = fread(in->buf, 1, (size_t)st.st_size, f);
		fclose(f);
	}
	closedir(d);
}

static int setup(void **state)
{
	const char *src = getenv("top_srcdir");
	char dir[1024];

	(void)state;
	snprintf(dir, sizeof(dir), "%s/tests/fuzz/corpus", src ? src : ".");
	load_dir(dir);
	snprintf(dir, sizeof(dir), "%s/tests/data/config", src ? src : ".");
	load_dir(dir);
	return n_inputs ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	for (unsigned i = 0; i < n_inputs; i++)
		free(inputs[i].buf);
	return 0;
}

static void test_corpus_replay(void **state)
{
	(void)state;
	assert_true(n_inputs >= 20);
	for (unsigned i = 0; i < n_inputs; i++)
		LLVMFuzzerTestOneInput(inputs[i].buf, inputs[i].len);
	print_message("replayed %u corpus inputs\n", n_inputs);
}

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* Tokens that steer mutations into the loader's branches.  Not clang-formatted:
 * it would give each its own line. */
/* clang-format off */
static const char *const tokens[] = {
	"integrations:", "ebpf:", "\n    ", ": ", "- ", "[", "]", "{", "}", ",", "&a ", "*a",
	"!!str ", "? ", "---\n", "...\n", "\"", "'", "#", "~", "0x", "-1", "99999999999999999999",
	"ms", "s", "m", "h", "true", "no", "sample_rate", "interval", "map_sizes", "threads",
	"process_filter", "pin_path", "\t", "\r\n", "\xef\xbb\xbf", "\xff", "\\u0000",
};
/* clang-format on */

static size_t mutate(unsigned char *buf, size_t len, size_t cap)
{
	unsigned n = 1 + (unsigned)(next_rand() % 4);

	for (unsigned k = 0; k < n; k++) {
		size_t pos = len ? (size_t)(next_rand() % (len + 1)) : 0;
		switch (next_rand() % 5) {
		case 0: /* flip a byte */
			if (len)
				buf[pos % len] ^= (unsigned char)(1u << (next_rand() % 8));
			break;
		case 1: /* random byte in */
			if (len < cap) {
				memmove(buf + pos + 1, buf + pos, len - pos);
				buf[pos] = (unsigned char)next_rand();
				len++;
			}
			break;
		case 2: { /* a run out */
			size_t del = len - pos < 8 ? len - pos : 1 + next_rand() % 8;
			memmove(buf + pos, buf + pos + del, len - pos - del);
			len -= del;
			break;
		}
		case 3: { /* a token in */
			const char *t = tokens[next_rand() % (sizeof(tokens) / sizeof(tokens[0]))];
			size_t tl = strlen(t);
			if (len + tl <= cap) {
				memmove(buf + pos + tl, buf + pos, len - pos);
				memcpy(buf + pos, t, tl);
				len += tl;
			}
			break;
		}
		default: { /* a piece of another input */
			const struct input *o = &inputs[next_rand() % n_inputs];
			if (!o->len)
				break;
			size_t from = (size_t)(next_rand() % o->len);
			size_t cl = 1 + (size_t)(next_rand() % 64);
			if (cl > o->len - from)
				cl = o->len - from;
			if (len + cl <= cap) {
				memmove(buf + pos + cl, buf + pos, len - pos);
				memcpy(buf + pos, o->buf + from, cl);
				len += cl;
			}
		}
		}
	}
	return len;
}

static void test_mutations(void **state)
{
	unsigned char *buf = malloc(2 * CORPUS_MAX);
	const char *env = getenv("EBS_REL_MUTATIONS"); /* fewer under valgrind */
	unsigned per = env ? (unsigned)strtoul(env, NULL, 10) : MUTATIONS_PER_INPUT;
	unsigned long runs = 0;
	struct timespec t0, t1;

	(void)state;
	assert_non_null(buf);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (unsigned i = 0; i < n_inputs; i++) {
		for (unsigned m = 0; m < per; m++) {
			size_t len = inputs[i].len;
			memcpy(buf, inputs[i].buf, len);
			len = mutate(buf, len, 2 * CORPUS_MAX);
			LLVMFuzzerTestOneInput(buf, len);
			runs++;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	print_message("%lu mutated inputs in %.2f s, no invariant broken\n", runs,
		      (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	free(buf);
}

/* ---- malformed values: every one refused at its place ----------------------- */

static void expect_error_at(const char *yaml, const char *where, const char *what)
{
	struct ebs_config cfg, before;
	char err[EBS_ERR_LEN];

	ebs_config_init(&cfg);
	before = cfg;
	if (ebs_config_parse(&cfg, "cfg.yaml", yaml, strlen(yaml), err, sizeof(err)) == 0)
		fail_msg("accepted: %s", yaml);
	if (strncmp(err, where, strlen(where)) != 0 || !strstr(err, what))
		fail_msg("for %s\nwanted '%s...%s', got '%s'", yaml, where, what, err);
	assert_memory_equal(&cfg, &before, sizeof(cfg));
}

#define HDR "integrations:\n  ebpf:\n"

static void test_malformed_values(void **state)
{
	(void)state;
	expect_error_at(HDR "    sample_rate: 0\n", "cfg.yaml:3:18: ", "sample_rate");
	expect_error_at(HDR "    sample_rate: 101\n", "cfg.yaml:3:18: ", "sample_rate");
	expect_error_at(HDR "    sample_rate: 5O\n", "cfg.yaml:3:18: ", "sample_rate");
	expect_error_at(HDR "    sample_rate: 18446744073709551617\n",
			"cfg.yaml:3:18: ", "sample_rate");
	expect_error_at(HDR "    sample_rate: -0\n", "cfg.yaml:3:18: ", "sample_rate");
	expect_error_at(HDR "    interval: 1ns\n", "cfg.yaml:3:15: ", "interval");
	expect_error_at(HDR "    interval: 99h\n", "cfg.yaml:3:15: ", "interval");
	expect_error_at(HDR "    interval: 50ms\n", "cfg.yaml:3:15: ", "interval");
	expect_error_at(HDR "    collect_tcp: maybe\n", "cfg.yaml:3:18: ", "collect_tcp");
	expect_error_at(HDR "    collect_tcp: [true]\n", "cfg.yaml:3:18: ", "collect_tcp");
	expect_error_at(HDR "    pin_path: relative/dir\n", "cfg.yaml:3:15: ", "pin_path");
	expect_error_at(HDR "    map_sizes: {threads: 63}\n", "cfg.yaml:3:26: ", "threads");
	expect_error_at(HDR "    map_sizes: {ports: 65537}\n", "cfg.yaml:3:24: ", "ports");
	expect_error_at(HDR "    map_sizes: {sockets: 64, sockets: 64}\n",
			"cfg.yaml:3:30: ", "duplicate key 'sockets'");
	expect_error_at(HDR "    map_sizes: [64]\n", "cfg.yaml:3:16: ", "map_sizes");
	expect_error_at(HDR "    process_filter: [\"a\\u0000b\"]\n",
			"cfg.yaml:3:22: ", "process_filter");
	expect_error_at(HDR "    process_filter: [[nested]]\n",
			"cfg.yaml:3:22: ", "process_filter");
	expect_error_at(HDR
			"    process_filter: [a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p, q]\n",
			"cfg.yaml:3:", "process_filter");
	expect_error_at(HDR "    process_filter: [a_name_longer_than_15]\n",
			"cfg.yaml:3:22: ", "process_filter");
	expect_error_at(HDR "    collect_tcp: true\n  ebpf: {}\n", "cfg.yaml:4:3: ", "duplicate");
	expect_error_at(HDR "    collect_tcp: &x true\n", "cfg.yaml:3:18: ", "anchor");
	expect_error_at(HDR "    collect_tcp: \"unterminated\n", "cfg.yaml:", "");
	expect_error_at("integrations:\n  ebpf:\n\tcollect_tcp: true\n", "cfg.yaml:3:", "");
	expect_error_at("integrations: [ebpf]\n", "cfg.yaml:1:15: ", "integrations");
}

/* ---- oversized inputs -------------------------------------------------------- */

static char *repeat(const char *head, const char *unit, size_t n, const char *tail)
{
	size_t hl = strlen(head), ul = strlen(unit), tl = strlen(tail);
	char *b = malloc(hl + ul * n + tl + 1), *p;

	assert_non_null(b);
	memcpy(b, head, hl);
	p = b + hl;
	for (size_t i = 0; i < n; i++, p += ul)
		memcpy(p, unit, ul);
	memcpy(p, tail, tl + 1);
	return b;
}

static void test_huge_inputs(void **state)
{
	struct ebs_config cfg;
	char err[EBS_ERR_LEN], want[128];
	char *y;

	(void)state;
	/* just under 1 MiB of someone else's keys, then a bad value: the line
	 * number is still exact */
	y = repeat("other:\n", "  k: v\n", 149000, HDR "    sample_rate: 500\n");
	assert_true(strlen(y) < 1024 * 1024);
	ebs_config_init(&cfg);
	assert_int_equal(ebs_config_parse(&cfg, "cfg.yaml", y, strlen(y), err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "cfg.yaml:%d:18: ", 1 + 149000 + 3);
	if (strncmp(err, want, strlen(want)) != 0)
		fail_msg("wanted %s..., got %s", want, err);
	free(y);

	/* a 900 kB value: refused at its place, echoed cut short */
	y = repeat(HDR "    pin_path: /", "x", 900000, "\n");
	ebs_config_init(&cfg);
	assert_int_equal(ebs_config_parse(&cfg, "cfg.yaml", y, strlen(y), err, sizeof(err)), -1);
	assert_true(strncmp(err, "cfg.yaml:3:15: ", 15) == 0);
	assert_true(strlen(err) < 400);
	free(y);

	/* 100 000 nested flow sequences in a foreign section: refused by depth */
	y = repeat("other: ", "[", 100000, "]\n");
	ebs_config_init(&cfg);
	assert_int_equal(ebs_config_parse(&cfg, "cfg.yaml", y, strlen(y), err, sizeof(err)), -1);
	if (strncmp(err, "cfg.yaml:1:", 11) != 0 || !strstr(err, "nesting is deeper than"))
		fail_msg("got %s", err);
	free(y);

	/* an alias bomb in someone else's section costs nothing: aliases are
	 * never expanded */
	y = repeat("a: &a [x, x, x, x, x, x, x, x, x, x]\n", "", 0,
		   "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
		   "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
		   "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
		   "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
		   "f: [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n" HDR "    collect_tcp: false\n");
	ebs_config_init(&cfg);
	assert_int_equal(ebs_config_parse(&cfg, "cfg.yaml", y, strlen(y), err, sizeof(err)), 0);
	assert_false(cfg.collect[EBS_FAM_TCP]);
	free(y);

	/* over 1 MiB, from a file and from an endless device: refused before
	 * parsing, naming the file (there is no line to name) */
	assert_int_equal(ebs_config_load(&cfg, "/dev/zero", err, sizeof(err)), -1);
	assert_string_equal(err, "/dev/zero: file is larger than 1 MiB; refusing to parse it");
	assert_int_equal(ebs_config_load(&cfg, "/dev/urandom", err, sizeof(err)), -1);
	assert_string_equal(err, "/dev/urandom: file is larger than 1 MiB; refusing to parse it");
	/* binary within the limit: a position */
	char junk[4096];
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (char)(next_rand() | 0x80);
	ebs_config_init(&cfg);
	assert_int_equal(ebs_config_parse(&cfg, "cfg.yaml", junk, sizeof(junk), err, sizeof(err)),
			 -1);
	assert_true(strncmp(err, "cfg.yaml:1:", 11) == 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_corpus_replay),
		cmocka_unit_test(test_mutations),
		cmocka_unit_test(test_malformed_values),
		cmocka_unit_test(test_huge_inputs),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
