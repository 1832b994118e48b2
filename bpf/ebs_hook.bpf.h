/* The three programs of one hook.  Every hook exists as a tp_btf, a
 * raw_tp and a classic tracepoint program, and user space (src/core.c)
 * loads one of them per hook, found by name in the module's hook table
 * (src/module_<family>.c).  EBS_HOOK writes the three, with the names that
 * table holds:
 *
 *   SEC("tp_btf/EVENT")          int EVENT_btf(ARGS)   (BPF_PROG)
 *   SEC("raw_tp/EVENT")          int EVENT_raw(ARGS)   (BPF_PROG)
 *   SEC("tracepoint/CAT/EVENT")  int EVENT_tp(REC ctx)
 *
 * ARGS: the event's arguments in parentheses, as BPF_PROG takes them; ()
 * for none.  EXPR: what the tp_btf and raw_tp programs return, written
 * once.  It sees the arguments, ctx (BPF_PROG's argument array), and btf:
 * a constant, true in the tp_btf program and false in the raw_tp one,
 * which is the only difference between the two.  tp_btf's pointer
 * arguments are trusted and read with plain loads, raw_tp's are not and
 * need probe reads; EXPR chooses with btf (RD(), ebs_core_fixes.bpf.h) and
 * the compiler keeps one side in each program.
 * REC: the type of the classic tracepoint program's argument, a pointer to
 * its record (void * when unused).  TP_EXPR: what that program returns; it
 * sees the record as ctx.
 *
 * A body longer than an expression goes into a static __always_inline
 * function that EXPR or TP_EXPR calls. */
#ifndef EBS_HOOK_BPF_H
#define EBS_HOOK_BPF_H

#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#define EBS_HOOK(cat, event, args, expr, rec, tp_expr)                                             \
	EBS_HOOK_SFX(cat, event, , args, expr, rec, tp_expr)

/* The same for a second triple of one event, named EVENT_btf##SFX,
 * EVENT_raw##SFX and EVENT_tp##SFX (tcp's *_hash programs). */
#define EBS_HOOK_SFX(cat, event, sfx, args, expr, rec, tp_expr)                                    \
	SEC("tp_btf/" #event)                                                                      \
	EBS_PROG_(event##_btf##sfx, EBS_ARGS_ args)                                                \
	{                                                                                          \
		const bool btf __attribute__((unused)) = true;                                     \
                                                                                                   \
		return expr;                                                                       \
	}                                                                                          \
                                                                                                   \
	SEC("raw_tp/" #event)                                                                      \
	EBS_PROG_(event##_raw##sfx, EBS_ARGS_ args)                                                \
	{                                                                                          \
		const bool btf __attribute__((unused)) = false;                                    \
                                                                                                   \
		return expr;                                                                       \
	}                                                                                          \
                                                                                                   \
	SEC("tracepoint/" #cat "/" #event)                                                         \
	int event##_tp##sfx(rec ctx)                                                               \
	{                                                                                          \
		return tp_expr;                                                                    \
	}

/* ARGS without its parentheses, expanded before BPF_PROG sees it (BPF_PROG
 * pastes its arguments, ", ##args", and pasted arguments are not
 * expanded); no comma at all for () (an empty argument keeps the comma
 * that only an omitted one drops). */
#define EBS_ARGS_(...) __VA_ARGS__
#define EBS_PROG_(name, ...) int BPF_PROG(name __VA_OPT__(, ) __VA_ARGS__)

#endif
