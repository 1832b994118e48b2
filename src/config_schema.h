/* The configuration schema: one row per setting of struct ebs_config, read
 * by the YAML loader and ebs_config_set() (config.c), ebs_config_init()'s
 * defaults, the pin digests (ebs_cfg_digest(), probe.c), the collectd
 * plugin's core options, and the test that holds docs/config.md and
 * docs/collectd.md to it.  Adding a setting is one row here (config_schema.c)
 * plus the code that uses its field. */
#ifndef EBS_CONFIG_SCHEMA_H
#define EBS_CONFIG_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ebpfstats.h"

enum ebs_opt_type {
	EBS_OPT_BOOL,	  /* bool */
	EBS_OPT_UINT,	  /* unsigned, lo..hi */
	EBS_OPT_DURATION, /* unsigned milliseconds, lo..hi; "500ms", "15s", "1m", "1h", "15" */
	EBS_OPT_PATH,	  /* char[size]; "" means the row's built-in choice */
	EBS_OPT_COMMS,	  /* char[EBS_MAX_COMMS][len] and its unsigned count: names or globs */
	EBS_OPT_MAPPING,  /* a YAML mapping of the rows named "<key>.<name>" */
};

/* Pin digest membership: the settings a family's kernel objects depend on. */
#define EBS_DIGEST(fam) (1u << (fam))

#define EBS_OPT_ALIASES 2

struct ebs_config_option {
	/* YAML key.  "map_sizes.threads" is `threads:` inside the
	 * `map_sizes:` mapping row, and that dotted name for ebs_config_set(). */
	const char *key;
	const char *aliases[EBS_OPT_ALIASES]; /* other spellings; unused ones NULL */
	const char *collectd;		      /* <Plugin ebpf> option, NULL: not one */
	enum ebs_opt_type type;
	size_t offset, size;  /* of the field in struct ebs_config */
	size_t count_offset;  /* EBS_OPT_COMMS: of its entry count */
	const char *item;     /* EBS_OPT_COMMS: what an entry is; NULL: "process name" */
	unsigned long lo, hi; /* EBS_OPT_UINT, EBS_OPT_DURATION (ms) */
	unsigned long def;    /* default of a BOOL, UINT or DURATION */
	const char *def_str;  /* default of a PATH */
	bool absolute;	      /* PATH: "" or an absolute path */
	const char *expect;   /* PATH: what its messages say it must be */
	/* EBS_DIGEST() bits: in ebs_cfg_digest() of those families, lists
	 * and paths first as bytes, then the other values as uint32, each in
	 * table order.  Moving a digested row changes the digests that pins
	 * of earlier versions carry (tests/test_config_schema holds them). */
	unsigned digest;
	const char *help; /* one line */
};

/* EBS_OPT_COMMS: an entry's noun ("process name") and its bytes with the NUL
 * (the field holds EBS_MAX_COMMS of them). */
const char *ebs_config_item(const struct ebs_config_option *o);
size_t ebs_config_item_len(const struct ebs_config_option *o);

/* The whole table, in the order suggestions prefer on a tie. */
const struct ebs_config_option *ebs_config_options(size_t *n);
#define EBS_CONFIG_OPTIONS_MAX 32

/* The row of a <Plugin ebpf> option (any letter case), or NULL. */
const struct ebs_config_option *ebs_config_option_by_collectd(const char *name);

/* The YAML key that switches a family on ("collect_tcp"), for reasons. */
const char *ebs_config_family_key(enum ebs_family fam);

/* The value of a BOOL, UINT or DURATION row in cfg (a bool as 0 or 1). */
uint32_t ebs_config_option_uint(const struct ebs_config *cfg, const struct ebs_config_option *o);

/* "100ms", "10s", "1m", "1h": the largest unit that divides ms. */
const char *ebs_duration_text(unsigned long ms, char *buf, size_t len);

/* Did-you-mean, shared by the YAML loader, ebs_config_set() and the
 * collectd plugin: feed every candidate to ebs_suggest_try(), in the order
 * that wins ties; best is then the closest one within two edits (and fewer
 * edits than the word has characters), or NULL. */
struct ebs_suggest {
	const char *word;
	size_t len;
	bool nocase;
	const char *best;
	size_t best_d;
};
void ebs_suggest_init(struct ebs_suggest *sg, const char *word, size_t len, bool nocase);
void ebs_suggest_try(struct ebs_suggest *sg, const char *cand);

#endif
