/* Internal to libebpfstats. */
#ifndef EBS_INTERNAL_H
#define EBS_INTERNAL_H

#include <bpf/btf.h>

#include "module.h"

/* What the host offers, probed once per ebs_open(). */
struct ebs_host {
	char btf_path[EBS_PATH_LEN];
	struct btf *btf; /* NULL when unreadable */
	char btf_err[EBS_REASON_LEN];
	char tracefs[64]; /* events dir, "" when tracefs is not mounted */
	bool caps_ok;
	char caps_err[EBS_REASON_LEN];
	bool bpffs_ok; /* pin_path's filesystem is bpffs */
	char bpffs_err[EBS_REASON_LEN];
};

int ebs_host_probe(struct ebs_host *h, const struct ebs_config *cfg);
void ebs_host_free(struct ebs_host *h);

/* Which flavour of a hook can load here; EBS_ATT_NONE with why when none. */
enum ebs_attach_kind ebs_hook_choose(const struct ebs_host *h, const struct ebs_hook *hk, char *why,
				     size_t len);
/* Test hook: EBPFSTATS_TEST_HIDE_TRACEPOINT="cat:event,..." makes the probe
 * treat those tracepoints as absent, to exercise degradation for real. */
bool ebs_hook_hidden(const struct ebs_hook *hk);
/* CapEff has CAP_BPF+CAP_PERFMON or CAP_SYS_ADMIN. */
bool ebs_caps_sufficient(char *why, size_t len);

/* Pinned state of one module, written last by the loader (a completion
 * marker) and read by every process that reuses the pins. */
struct ebs_pin_meta {
	uint32_t layout;
	uint32_t status;
	uint64_t loaded_unix_ms;
	uint64_t cfg_digest;
	char attach[16];
	char reason[EBS_REASON_LEN];
};

uint64_t ebs_cfg_digest(const struct ebs_config *cfg, enum ebs_family fam);

/* pin.c */
int ebs_pin_dir(const struct ebs_config *cfg, const char *module, char *buf, size_t len);
int ebs_pin_lock(const char *pin_path, char *err, size_t errlen); /* fd, or -1 */
/* Whether ebs_pin_lock() could create and lock pin_path, with the error it
 * would give, creating and locking nothing: 0 or -1. */
int ebs_pin_lockable(const char *pin_path, char *err, size_t errlen);
void ebs_pin_unlock(int fd);
/* 1: reused (fds filled), 0: nothing pinned (load it), -1: refused (err).
 * A directory without meta is cleared, unless readonly: then it stays, 0,
 * and err says so. */
int ebs_pin_reuse(struct ebs_module *m, const char *dir, bool readonly, struct ebs_pin_meta *meta,
		  char *err, size_t errlen);
int ebs_pin_save(struct ebs_module *m, const char *dir, const struct ebs_pin_meta *meta, char *err,
		 size_t errlen);
int ebs_rm_rf(const char *path);
/* Other layouts found beside ours: fills note, returns how many. */
int ebs_pin_other_layouts(const char *pin_path, char *note, size_t len);

/* libbpf's last warning, for human reasons. */
const char *ebs_libbpf_last(void);
void ebs_libbpf_reset(void);

uint64_t ebs_now_mono_ns(void);
uint64_t ebs_now_unix_ms(void);

#endif
