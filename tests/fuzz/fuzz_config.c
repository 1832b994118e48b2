/* libFuzzer target for the YAML config loader: a failed parse must leave the
 * config untouched and name the input; a successful one must stay in range.
 *   clang -g -fsanitize=fuzzer,address,undefined -Isrc -Ibpf src/config.c \
 *         src/config_schema.c tests/fuzz/fuzz_config.c -lyaml -o fuzz_config
 *   ./fuzz_config -dict=tests/fuzz/config.dict tests/data/config */
#include <stdint.h>
#include <string.h>
#include "ebpfstats.h"
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ebs_config cfg, before;
	char err[EBS_ERR_LEN];
	ebs_config_init(&cfg);
	memcpy(&before, &cfg, sizeof(cfg));
	if (ebs_config_parse(&cfg, "f", (const char *)data, size, err, sizeof(err)) != 0) {
		if (memcmp(&cfg, &before, sizeof(cfg)) != 0 || strncmp(err, "f:", 2) != 0)
			__builtin_trap();
	} else if (cfg.sample_rate < 1 || cfg.sample_rate > 100 || cfg.n_include > EBS_MAX_COMMS ||
		   cfg.n_exclude > EBS_MAX_COMMS || cfg.interval_ms < 100 ||
		   cfg.interval_ms > 3600000)
		__builtin_trap();
	/* the set path, on the tail of the input as key=value */
	const uint8_t *eqp = memchr(data, '=', size);
	if (eqp && size < 512) {
		char k[512], v[512];
		size_t kl = (size_t)(eqp - data);
		memcpy(k, data, kl);
		k[kl] = 0;
		memcpy(v, eqp + 1, size - kl - 1);
		v[size - kl - 1] = 0;
		memcpy(&before, &cfg, sizeof(cfg));
		if (ebs_config_set(&cfg, k, v, err, sizeof(err)) != 0 &&
		    memcmp(&cfg, &before, sizeof(cfg)))
			__builtin_trap();
	}
	return 0;
}
