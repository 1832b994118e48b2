#!/usr/bin/env python3
"""Checks zabbix/template_ebpfstats_snmp.yaml without a Zabbix server.

Static (always):
  - the file is what zabbix/gen-template.py writes;
  - Zabbix 7.0 export layout: version, template_groups, UUIDv4s (unique),
    SNMP_AGENT items with walk[], dependent items and discovery rules whose
    master is a walk[] item of the template, SNMP_WALK_TO_JSON parameter
    triplets, item prototypes read with SNMP_WALK_VALUE at .{#SNMPINDEX},
    trigger expressions naming existing keys of this template, every user
    macro defined, every LLD macro provided by its rule;
  - every OID (walk[] roots, SNMP_WALK_VALUE and SNMP_WALK_TO_JSON OIDs) is an
    object of mibs/EBPFSTATS-MIB.txt: read-only scalars at .0, read-only
    columns with an index, existing subtrees for walks; with --mibdirs also
    what snmptranslate makes of each OID agrees.
  - every family has its items: memory (page faults, OOM kills, the last
    victim), file I/O (read/write bytes), and discovery rules over the tables
    that can grow with the host's activity (system calls, file I/O, ports,
    peers, processes, cgroups), each filtered on {$EBS.*.MATCHES} / NOT_MATCHES
    macros; the defaults are safe: ports only a fixed set of well-known ones,
    peers and processes none, cgroups systemd's system.slice services only;
    the process table is walked on its own interval only, the cgroup table
    only in the columns the cgroup items read.
Live (--snmp "ARGS"): the walks done as Zabbix does them (GETBULK, numeric
OIDs), SNMP_WALK_TO_JSON and the JavaScript steps (node) emulated, the
filters applied with the macros' defaults (or --macro values, as a host
macro would set them), and every item and every item prototype of every
discovered row must find its OID, with a number where the item is numeric.
Every rule must discover a row, unless --empty (none) or --any (any number).

Prints "ok - ..." / "not ok - ..." lines; exits 1 on any failure.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys

import yaml

UUID_V4 = re.compile(r"^[0-9a-f]{12}4[0-9a-f]{3}[89ab][0-9a-f]{15}$")
ITEM_REF = re.compile(r"\(/([^/]+)/([^,()]+(?:\[[^\]]*\])?)")
USER_MACRO = re.compile(r"\{\$([A-Z0-9._]+)(?::\"[^\"]*\")?\}")
LLD_MACRO = re.compile(r"\{#[A-Z0-9._]+\}")
NUMERIC_TYPES = ("FLOAT", "UNSIGNED")

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tap import check, summary  # noqa: E402


# ---- the MIB, parsed just enough to map OIDs to objects ------------------------
def parse_mib(path):
    """name -> (oid tuple, kind, access); kind is 'node', 'table', 'entry',
    'column' or 'scalar'."""
    text = open(path).read()
    text = re.sub(r'"[^"]*"', '""', text)  # DESCRIPTIONs may quote "::= { ... }"
    text = re.sub(r"--[^\n]*", "", text)
    text = re.sub(r"IMPORTS.*?;", "", text, count=1, flags=re.S)
    defs = {}
    for m in re.finditer(
            r"(\w+)\s+(OBJECT-TYPE|OBJECT IDENTIFIER|MODULE-IDENTITY|OBJECT-GROUP|"
            r"MODULE-COMPLIANCE)(.*?)::=\s*\{\s*(\w+)\s+(\d+)\s*\}", text, re.S):
        name, what, body, parent, sub = m.groups()
        syntax = re.search(r"SYNTAX\s+(.*?)\n", body)
        access = re.search(r"MAX-ACCESS\s+([\w-]+)", body)
        defs[name] = {
            "parent": parent, "sub": int(sub), "type": what,
            "syntax": syntax.group(1).strip() if syntax else "",
            "access": access.group(1) if access else "",
        }
    roots = {"netSnmpPlaypen": (1, 3, 6, 1, 4, 1, 8072, 9999, 9999)}
    objs = {}

    def resolve(n):
        if n in roots:
            return roots[n]
        if n not in objs:
            d = defs[n]
            objs[n] = dict(d, oid=resolve(d["parent"]) + (d["sub"],))
        return objs[n]["oid"]

    for n in defs:
        resolve(n)

    def kind(o):
        if o["type"] != "OBJECT-TYPE":
            return "node"
        if o["syntax"].startswith("SEQUENCE OF"):
            return "table"
        parent = objs.get(o["parent"], {})
        if parent.get("syntax", "").startswith("SEQUENCE OF"):
            return "entry"
        if parent.get("type") == "OBJECT-TYPE":
            return "column"  # the parent is an entry
        return "scalar"

    for o in objs.values():
        o["kind"] = kind(o)
    return objs


def oid_tuple(s):
    return tuple(int(x) for x in s.strip(".").split("."))


def find_object(mib, oid):
    """(name, object, instance suffix) of the longest MIB prefix of oid."""
    best = None
    for n, o in mib.items():
        k = o["oid"]
        if oid[:len(k)] == k and (best is None or len(k) > len(best[1]["oid"])):
            best = (n, o)
    if not best:
        return None, None, None
    return best[0], best[1], oid[len(best[1]["oid"]):]


# ---- template walking -------------------------------------------------------------
def walk_oids(item):
    m = re.fullmatch(r"walk\[(.*)\]", item.get("snmp_oid", ""))
    return [x.strip() for x in m.group(1).split(",")] if m else None


def steps(obj, kind):
    return [s for s in obj.get("preprocessing", []) if s["type"] == kind]


def all_uuids(node, out):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "uuid":
                out.append(v)
            else:
                all_uuids(v, out)
    elif isinstance(node, list):
        for v in node:
            all_uuids(v, out)


def strings(node):
    if isinstance(node, dict):
        for v in node.values():
            yield from strings(v)
    elif isinstance(node, list):
        for v in node:
            yield from strings(v)
    elif isinstance(node, str):
        yield node


# the MIB objects each family must read, and the tables whose rules must be
# filtered: (table, the LLD macro the filter is on, the MATCHES macro)
FAMILY_OBJECTS = {
    "memory": ("ebsMemoryFaultsUser", "ebsMemoryFaultsKernel", "ebsMemoryOomKills",
               "ebsMemoryOomLastPid", "ebsMemoryOomLastComm"),
    "file I/O": ("ebsSyscallsReadBytes", "ebsSyscallsWriteBytes"),
}
FILTERED_TABLES = (
    ("ebsSyscallTable", "{#SYSCALL}", "{$EBS.SYSCALL.MATCHES}"),
    ("ebsFileIoTable", "{#FILEIO}", "{$EBS.FILEIO.MATCHES}"),
    ("ebsTcpPortTable", "{#SNMPINDEX}", "{$EBS.PORT.MATCHES}"),
    ("ebsTcpPeerTable", "{#PEER}", "{$EBS.PEER.MATCHES}"),
    ("ebsProcTable", "{#COMM}", "{$EBS.PROC.MATCHES}"),
    ("ebsCgroupTable", "{#CGROUP}", "{$EBS.CGROUP.MATCHES}"),
)
# names a default that "discovers nothing" must not match
SAMPLE_PEERS = ("out-192.0.2.7-443", "in-10.1.2.3-22", "out-2001:db8::1-5432", "in-::1-80")
SAMPLE_COMMS = ("postgres", "java", "sshd", "a", "kworker/0:1", "snmpd", "ebs-zbx-wl")
# cgroup rows (cgroup_depth 2) the default must, and must not, discover
SERVICE_CGROUPS = ("system.slice/nginx.service", "system.slice/systemd-journald.service",
                   "system.slice/postgresql@15-main.service")
OTHER_CGROUPS = ("/", "init.scope", "system.slice", "user.slice/user-1000.slice",
                 "user.slice/user-0.slice", "machine.slice/machine-a.scope",
                 "kubepods.slice/kubepods-burstable.slice", "system.slice/docker-1234.scope",
                 "system.slice/nginx.service/worker", "ebs-zbx-1/web.service",
                 "id4242", "")


def table_of(mib, name):
    return ".".join(str(x) for x in mib[name]["oid"])  # without a leading dot


def check_families(t, mib):
    """The families and filters of issue 18, with their defaults."""
    items = t.get("items", [])
    rules = t.get("discovery_rules", [])
    macros = {m["macro"]: m["value"] for m in t.get("macros", [])}
    read = set()
    for it in items + [p for r in rules for p in r.get("item_prototypes", [])]:
        for st in steps(it, "SNMP_WALK_VALUE"):
            o = oid_tuple(st["parameters"][0].replace(".{#SNMPINDEX}", ""))
            n, _, _ = find_object(mib, o)
            read.add(n)
    for fam, objs in FAMILY_OBJECTS.items():
        missing = [o for o in objs if o not in read]
        check(not missing, "%s: items read %s%s" % (fam, ", ".join(objs),
                                                    (": missing " + str(missing)) if missing else ""))

    def rule_over(table):
        prefix = table_of(mib, table) + "."
        for r in rules:
            for st in steps(r, "SNMP_WALK_TO_JSON"):
                if any(o.strip(".").startswith(prefix) for o in st["parameters"][1::3]):
                    return r
        return None

    for table, lld, matches in FILTERED_TABLES:
        r = rule_over(table)
        conds = (r or {}).get("filter", {}).get("conditions", [])
        ok = r is not None and (r.get("filter", {}).get("evaltype") == "AND") and any(
            c["macro"] == lld and c["value"] == matches and
            c.get("operator", "MATCHES_REGEX") == "MATCHES_REGEX" for c in conds) and any(
            c["macro"] == lld and c["value"] == matches.replace("MATCHES", "NOT_MATCHES") and
            c.get("operator") == "NOT_MATCHES_REGEX" for c in conds)
        check(ok, "%s: discovered by %s, filtered on %s by %s and its NOT_MATCHES" % (
            table, r["key"] if r else "no rule", lld, matches))
        check(r is None or all(p["key"].endswith("[{#SNMPINDEX}]") for p in r["item_prototypes"]),
              "%s: prototype keys are per row" % table)

    port = macros.get("{$EBS.PORT.MATCHES}", "")
    try:
        admitted = [p for p in range(1, 65536) if re.search(port, str(p))]
    except re.error as e:
        admitted = ["bad regex: %s" % e]
    check(0 < len(admitted) <= 32 and 443 in admitted and 22 in admitted and
          not any(32768 <= p <= 60999 for p in admitted if isinstance(p, int)),
          "{$EBS.PORT.MATCHES} %r admits %d well-known ports, no ephemeral one (%s)" % (
              port, len(admitted), " ".join(str(p) for p in admitted[:20])))
    for macro, samples in (("{$EBS.PEER.MATCHES}", SAMPLE_PEERS),
                           ("{$EBS.PROC.MATCHES}", SAMPLE_COMMS)):
        v = macros.get(macro, ".*")
        hits = [x for x in samples if re.search(v, x)]
        check(not hits, "%s %r discovers nothing by default%s" % (
            macro, v, (": it matches " + str(hits)) if hits else ""))

    v = macros.get("{$EBS.CGROUP.MATCHES}", ".*")
    try:
        missed = [x for x in SERVICE_CGROUPS if not re.search(v, x)]
        hits = [x for x in OTHER_CGROUPS if re.search(v, x)]
    except re.error as e:
        missed, hits = ["bad regex: %s" % e], []
    check(not missed and not hits,
          "{$EBS.CGROUP.MATCHES} %r discovers system.slice services only by default%s%s" % (
              v, (": misses " + str(missed)) if missed else "",
              (": matches " + str(hits)) if hits else ""))

    # the cgroup table (a row per service, 26 columns) is walked in the
    # columns the cgroup items read, not whole
    cgt = mib["ebsCgroupTable"]["oid"]
    whole = [i["key"] for i in items if i["type"] == "SNMP_AGENT" and
             any(cgt[:len(oid_tuple(w))] == oid_tuple(w) for w in walk_oids(i))]
    cg_rules = [r for r in rules if r["key"] == "ebpfstats.cgroup.discovery"]
    used = {oid_tuple(steps(p, "SNMP_WALK_VALUE")[0]["parameters"][0].replace(".{#SNMPINDEX}", ""))
            for r in cg_rules for p in r["item_prototypes"]}
    used |= {oid_tuple(o) for r in cg_rules for st in steps(r, "SNMP_WALK_TO_JSON")
             for o in st["parameters"][1::3]}
    cols = {oid_tuple(w) for i in items if i["type"] == "SNMP_AGENT" for w in walk_oids(i)
            if oid_tuple(w)[:len(cgt)] == cgt and len(oid_tuple(w)) > len(cgt)}
    check(not whole and cg_rules and cols == used,
          "ebsCgroupTable is walked in the %d columns the cgroup discovery reads, not whole%s" % (
              len(used), (": whole by " + str(whole)) if whole else
              (": walked %d, read %d" % (len(cols), len(used))) if cols != used else ""))

    # the process table (a row per process) is not walked every interval
    procs = mib["ebsProcTable"]["oid"]
    every = [i["key"] for i in items if i["type"] == "SNMP_AGENT" and i.get("delay") ==
             "{$EBS.INTERVAL}" and any(procs[:len(oid_tuple(w))] == oid_tuple(w)
                                      for w in walk_oids(i))]
    own = [i for i in items if i["type"] == "SNMP_AGENT" and
           any(oid_tuple(w) == procs for w in walk_oids(i))]
    check(not every and len(own) == 1 and own[0].get("delay") == "{$EBS.PROC.INTERVAL}",
          "ebsProcTable is walked on its own, every {$EBS.PROC.INTERVAL} (%s), by no "
          "{$EBS.INTERVAL} walk%s" % (own[0]["key"] if own else "none",
                                      (": " + str(every)) if every else ""))


def static_checks(doc, mib, mibdirs, mibfile):
    ex = doc.get("zabbix_export", {})
    check(ex.get("version") == "7.0", "zabbix_export.version is '7.0' (got %r)" % ex.get("version"))
    check(len(ex.get("template_groups", [])) >= 1, "template_groups present")
    tpls = ex.get("templates", [])
    check(len(tpls) == 1, "one template")
    t = tpls[0]
    name = t["template"]
    groups = {g["name"] for g in ex.get("template_groups", [])}
    check(all(g["name"] in groups for g in t.get("groups", [])),
          "the template's groups are exported in template_groups")

    uuids = []
    all_uuids(ex, uuids)
    bad = [u for u in uuids if not UUID_V4.match(str(u))]
    check(not bad, "all %d uuids are 32-hex UUIDv4%s" % (len(uuids), (": bad " + str(bad[:3])) if bad else ""))
    check(len(set(uuids)) == len(uuids), "uuids are unique")

    macros = {m["macro"] for m in t.get("macros", [])}
    macro_names = {re.sub(r"[{$}]", "", m) for m in macros}
    used = set()
    for s in strings(t):
        for m in USER_MACRO.finditer(s):
            used.add(m.group(1))
    undefined = sorted(used - macro_names)
    check(not undefined, "every user macro used is defined%s" % (": " + str(undefined) if undefined else ""))
    unused = sorted(macro_names - used)
    check(not unused, "every macro defined is used%s" % (": " + str(unused) if unused else ""))
    vmaps = {v["name"] for v in t.get("valuemaps", [])}

    items = t.get("items", [])
    keys = {i["key"] for i in items}
    check(len(keys) == len(items), "item keys are unique")
    walks = {i["key"]: walk_oids(i) for i in items if i["type"] == "SNMP_AGENT"}
    check(walks and all(w for w in walks.values()),
          "every SNMP_AGENT item is a walk[] (%s)" % ", ".join(sorted(walks)))
    check(all(i["value_type"] == "TEXT" for i in items if i["key"] in walks),
          "walk[] items are value_type TEXT")
    oids = []  # (where, oid string, role)
    for k, w in walks.items():
        for o in w or []:
            oids.append((k, o, "walk"))

    def check_dependent(it, where, protos_of_rule=False):
        ok = it.get("type") == "DEPENDENT" and it.get("master_item", {}).get("key") in walks
        ok = ok and "delay" not in it
        wv = steps(it, "SNMP_WALK_VALUE")
        ok = ok and len(wv) == 1 and len(wv[0]["parameters"]) == 2 and wv[0] is it["preprocessing"][0]
        if ok:
            o = wv[0]["parameters"][0]
            if protos_of_rule:
                ok = o.endswith(".{#SNMPINDEX}")
                o = o[:-len(".{#SNMPINDEX}")]
                oids.append((where, o, "column"))
            else:
                oids.append((where, o, "scalar-instance"))
            master = walks[it["master_item"]["key"]]
            ok = ok and any(oid_tuple(o)[:len(oid_tuple(m))] == oid_tuple(m) for m in master)
        if "valuemap" in it:
            ok = ok and it["valuemap"]["name"] in vmaps
        return ok

    bad = []
    for it in items:
        if it["type"] == "DEPENDENT" and not check_dependent(it, it["key"]):
            bad.append(it["key"])
    check(not bad, "dependent items: master is a walk[] item, no delay, SNMP_WALK_VALUE first, "
          "OID inside the master's walk%s" % (": " + str(bad) if bad else ""))

    calc_bad = []
    for it in items:
        if it["type"] == "CALCULATED":
            refs = re.findall(r"//([^,()]+)", it["params"])
            if not refs or any(r not in keys for r in refs):
                calc_bad.append(it["key"])
    check(not calc_bad, "calculated items reference existing keys%s" % (": " + str(calc_bad) if calc_bad else ""))

    def check_triggers(trs, allowed, where):
        errs = []
        for tr in trs:
            refs = ITEM_REF.findall(tr["expression"])
            if not refs:
                errs.append("%s: no item in %s" % (where, tr["expression"]))
            for host, key in refs:
                if host != name or key not in allowed:
                    errs.append("%s: %s/%s" % (where, host, key))
            if tr.get("priority") not in ("INFO", "WARNING", "AVERAGE", "HIGH", "DISASTER"):
                errs.append("%s: priority %s" % (where, tr.get("priority")))
        return errs

    errs = []
    for it in items:
        errs += check_triggers(it.get("triggers", []), keys, it["key"])
    ntrig = sum(len(it.get("triggers", [])) for it in items)
    check(not errs, "%d item triggers reference keys of '%s'%s" % (ntrig, name, (": " + str(errs)) if errs else ""))

    rules = t.get("discovery_rules", [])
    for r in rules:
        rk = r["key"]
        ok = r.get("type") == "DEPENDENT" and r.get("master_item", {}).get("key") in walks \
            and "delay" not in r
        wtj = steps(r, "SNMP_WALK_TO_JSON")
        ok = ok and len(wtj) == 1 and r["preprocessing"][0] is wtj[0]
        provided = {"{#SNMPINDEX}"}
        if ok:
            p = wtj[0]["parameters"]
            ok = len(p) % 3 == 0 and len(p) > 0
            for i in range(0, len(p), 3):
                provided.add(p[i])
                oids.append((rk, p[i + 1], "column"))
                ok = ok and p[i + 2] in ("0", "1", "2", "3")
        for js in steps(r, "JAVASCRIPT"):
            provided |= set(LLD_MACRO.findall(js["parameters"][0]))
        check(ok, "%s: dependent on a walk[] item, SNMP_WALK_TO_JSON triplets first" % rk)
        protos = r.get("item_prototypes", [])
        pkeys = {p["key"] for p in protos}
        bad = [p["key"] for p in protos if not check_dependent(p, p["key"], True)
               or not LLD_MACRO.search(p["key"])]
        check(protos and not bad, "%s: %d item prototypes read .{#SNMPINDEX} of a column with "
              "SNMP_WALK_VALUE%s" % (rk, len(protos), (": " + str(bad)) if bad else ""))
        used_lld = set()
        for s in strings({"p": protos, "f": r.get("filter", {})}):
            used_lld |= set(LLD_MACRO.findall(s))
        missing = sorted(used_lld - provided)
        check(not missing, "%s: LLD macros used are provided (%s)%s" % (
            rk, " ".join(sorted(provided)), (": missing " + str(missing)) if missing else ""))
        errs = []
        for p in protos:
            errs += check_triggers(p.get("trigger_prototypes", []), pkeys, p["key"])
        check(not errs, "%s: trigger prototypes reference this rule's prototypes%s" % (
            rk, (": " + str(errs)) if errs else ""))

    # ---- OIDs against the MIB ---------------------------------------------------
    errs = []
    checked = set()
    for where, o, role in oids:
        if (o, role) in checked:
            continue
        checked.add((o, role))
        n, obj, inst = find_object(mib, oid_tuple(o))
        if obj is None:
            errs.append("%s: %s not in the MIB" % (where, o))
        elif role == "walk":
            if inst:
                errs.append("%s: walk root %s is inside %s" % (where, o, n))
        elif role == "scalar-instance":
            if obj["kind"] != "scalar" or inst != (0,) or obj["access"] != "read-only":
                errs.append("%s: %s is %s%s (%s), not a read-only scalar's .0" % (
                    where, o, n, inst, obj["kind"]))
        elif role == "column":
            if obj["kind"] != "column" or inst or obj["access"] != "read-only":
                errs.append("%s: %s is %s (%s, %s), not a read-only column" % (
                    where, o, n, obj["kind"], obj["access"]))
    check(not errs, "all %d OIDs of the template are MIB objects of the right kind%s" % (
        len(checked), (": " + "; ".join(errs)) if errs else ""))

    if mibdirs and shutil.which("snmptranslate"):
        errs = []
        for o in sorted({o for _, o, _ in oids}):
            r = subprocess.run(["snmptranslate", "-M", mibdirs, "-m", "EBPFSTATS-MIB", "-OS", "." + o.strip(".")],
                               capture_output=True, text=True, env=dict(os.environ, MIBS=""))
            got = r.stdout.strip()
            n, obj, inst = find_object(mib, oid_tuple(o))
            want = "EBPFSTATS-MIB::" + (n or "?") + "".join("." + str(x) for x in (inst or ()))
            if got != want:
                errs.append("%s: snmptranslate says %r, the MIB parse %r" % (o, got, want))
        check(not errs, "snmptranslate names every template OID as the MIB parse does%s" % (
            (": " + "; ".join(errs)) if errs else ""))
    check_families(t, mib)
    return t


# ---- live: Zabbix's processing emulated --------------------------------------------
def snmp_walk(args, root):
    r = subprocess.run(["snmpbulkwalk", "-On", "-Oe", "-Ot", "-Cr50"] + args + [root],
                       capture_output=True, text=True, env=dict(os.environ, MIBS=""))
    vals = {}
    for line in r.stdout.splitlines():
        m = re.match(r"^(\.[0-9.]+) = (?:([\w-]+): )?(.*)$", line)
        if not m:
            continue
        o, typ, v = m.groups()
        if v.startswith("No Such") or v.startswith("No more"):
            continue
        if typ == "STRING" and v.startswith('"') and v.endswith('"'):
            v = v[1:-1]
        vals[o.lstrip(".")] = (typ or "", v)
    return r.returncode, vals


def walk_to_json(params, vals):
    rows = {}
    for i in range(0, len(params), 3):
        macro, prefix = params[i], params[i + 1].strip(".") + "."
        for o, (_, v) in vals.items():
            if o.startswith(prefix):
                idx = o[len(prefix):]
                rows.setdefault(idx, {"{#SNMPINDEX}": idx})[macro] = v
    return [rows[k] for k in sorted(rows, key=lambda x: [int(p) for p in x.split(".")])]


def run_js(script, value):
    node = shutil.which("node") or shutil.which("nodejs")
    if not node:
        return None
    prog = "var f = function (value) {\n%s\n};\nprocess.stdout.write(String(f(%s)));" % (
        script, json.dumps(value))
    r = subprocess.run([node, "-e", prog], capture_output=True, text=True)
    return r.stdout if r.returncode == 0 else "ERROR: " + r.stderr


OVERRIDES = {}  # --macro: what a host macro would set


def macro_default(t, m):
    if m in OVERRIDES:
        return OVERRIDES[m]
    for x in t.get("macros", []):
        if x["macro"] == m:
            return x["value"]
    return m


def apply_filter(t, flt, rows):
    if not flt:
        return rows
    out = []
    for row in rows:
        keep = True
        for c in flt["conditions"]:
            v = row.get(c["macro"], "")
            rx = macro_default(t, c["value"])
            hit = re.search(rx, v) is not None
            if c.get("operator", "MATCHES_REGEX") == "NOT_MATCHES_REGEX":
                hit = not hit
            keep = keep and hit
        if keep:
            out.append(row)
    return out


def subst(s, row):
    for k, v in row.items():
        s = s.replace(k, v)
    return s


def is_number(v):
    try:
        float(v)
        return True
    except ValueError:
        return False


def live_checks(t, args, expect, empty=(), anyrows=()):
    items = t["items"]
    walks = {}
    for it in items:
        if it["type"] != "SNMP_AGENT":
            continue
        vals = {}
        rcs = []
        for root in walk_oids(it):
            rc, v = snmp_walk(args, root)
            rcs.append(rc)
            vals.update(v)
        walks[it["key"]] = vals
        check(all(rc == 0 for rc in rcs) and vals,
              "%s: %s answers %d varbinds" % (it["key"], it["snmp_oid"], len(vals)))

    def read(it, row=None):
        p = steps(it, "SNMP_WALK_VALUE")[0]["parameters"][0]
        if row:
            p = subst(p, row)
        return walks[it["master_item"]["key"]].get(p.strip("."))

    bad = []
    for it in items:
        if it["type"] != "DEPENDENT":
            continue
        v = read(it)
        if v is None:
            bad.append("%s: no %s" % (it["key"], steps(it, "SNMP_WALK_VALUE")[0]["parameters"][0]))
        elif it.get("value_type", "UNSIGNED") in NUMERIC_TYPES and not is_number(v[1]):
            bad.append("%s: %r is no number" % (it["key"], v[1]))
    check(not bad, "every dependent item's OID is served, numbers where numeric%s" % (
        (": " + "; ".join(bad)) if bad else ""))

    for r in t["discovery_rules"]:
        vals = walks[r["master_item"]["key"]]
        rows = None
        for s in r["preprocessing"]:
            if s["type"] == "SNMP_WALK_TO_JSON":
                rows = walk_to_json(s["parameters"], vals)
            elif s["type"] == "JAVASCRIPT":
                out = run_js(s["parameters"][0], json.dumps(rows))
                if out is None:
                    print("# node not found: JavaScript step of %s not run" % r["key"])
                    continue
                try:
                    rows = json.loads(out)
                except ValueError:
                    check(False, "%s: JavaScript step returns JSON (%s)" % (r["key"], out[:200]))
                    rows = []
        rows = apply_filter(t, r.get("filter"), rows)
        want = expect.get(r["key"])
        if r["key"] in empty:
            enough = not rows
        else:
            enough = r["key"] in anyrows or len(rows) >= 1
        check(enough and (want is None or want(rows)),
              "%s: %d rows discovered (%s)" % (r["key"], len(rows),
                                             ", ".join(sorted({str(x) for row in rows[:6] for x in row.values()}))))
        bad = []
        gone = 0
        for row in rows:
            # the host's processes come and go between the walk that found
            # a row and the walks of its items: a row whose process has
            # exited since is no defect of the template
            if r["key"] == "ebpfstats.proc.discovery" and \
                    not os.path.exists("/proc/%s" % row.get("{#SNMPINDEX}", "")):
                gone += 1
                continue
            for p in r["item_prototypes"]:
                k = subst(p["key"], row)
                if LLD_MACRO.search(k + subst(p["name"], row)):
                    bad.append("%s: unresolved macro in %s / %s" % (r["key"], k, subst(p["name"], row)))
                v = read(p, row)
                if v is None:
                    bad.append("%s: no value" % k)
                elif p.get("value_type", "UNSIGNED") in NUMERIC_TYPES and not is_number(v[1]):
                    bad.append("%s: %r is no number" % (k, v[1]))
        if gone:
            print("# %s: %d rows of processes that exited since the walk left out" % (r["key"], gone))
        check(not bad, "%s: every prototype of every row finds its value (%d items)%s" % (
            r["key"], (len(rows) - gone) * len(r["item_prototypes"]),
            (": " + "; ".join(bad[:5])) if bad else ""))
    return walks


def check_cgroup_calls(t, walks, name, calls):
    """The row of cgroup NAME, as the discovery found it, counted the
    workload's CALLS system calls (the raw Counter64 the calls/s item reads)."""
    r = [x for x in t["discovery_rules"] if x["key"] == "ebpfstats.cgroup.discovery"][0]
    vals = walks[r["master_item"]["key"]]
    rows = walk_to_json(steps(r, "SNMP_WALK_TO_JSON")[0]["parameters"], vals)
    row = next((x for x in rows if x["{#CGROUP}"] == name), None)
    p = next(p for p in r["item_prototypes"] if p["key"].startswith("ebpfstats.cgroup.syscalls."))
    v = vals.get(subst(steps(p, "SNMP_WALK_VALUE")[0]["parameters"][0], row).strip(".")) \
        if row else None
    n = int(v[1]) if v and v[1].isdigit() else -1
    check(int(calls) <= n < int(calls) + 200,
          "the cgroup row %s (index %s) counted the workload's %s system calls, within 200 "
          "(got %s)" % (name, row["{#SNMPINDEX}"] if row else "none", calls, n))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--template", required=True)
    ap.add_argument("--generator")
    ap.add_argument("--mib", required=True)
    ap.add_argument("--mibdirs", default="")
    ap.add_argument("--snmp", help="net-snmp arguments naming the agent, e.g. '-v2c -c public 127.0.0.1:1161'")
    ap.add_argument("--cpus", type=int, help="rows the CPU discovery must find")
    ap.add_argument("--port", help="a local TCP port the port discovery must find")
    ap.add_argument("--syscall", help="a system call the syscall discovery must find")
    ap.add_argument("--not-port", help="a local TCP port the port discovery must leave out")
    ap.add_argument("--peer-port", help="a port the TCP peer discovery must find, both ways")
    ap.add_argument("--fileio", help="a system call the file I/O discovery must find")
    ap.add_argument("--proc", metavar="PID:COMM", help="a process the process discovery must "
                    "find, its PID the index")
    ap.add_argument("--cgroup", metavar="NAME:CALLS", help="a cgroup the cgroup discovery "
                    "must find, its row having counted at least CALLS system calls")
    ap.add_argument("--not-cgroup", metavar="NAME", help="a cgroup the cgroup discovery must "
                    "leave out")
    ap.add_argument("--macro", action="append", default=[], metavar="{$NAME}=VALUE",
                    help="a macro's value instead of the template's default")
    ap.add_argument("--empty", action="append", default=[], metavar="RULE",
                    help="a discovery rule that must discover nothing")
    ap.add_argument("--any", action="append", default=[], metavar="RULE",
                    help="a discovery rule that may discover nothing")
    a = ap.parse_args()
    for m in a.macro:
        k, _, v = m.partition("=")
        OVERRIDES[k] = v

    text = open(a.template).read()
    if a.generator:
        r = subprocess.run([sys.executable, a.generator], capture_output=True, text=True)
        check(r.returncode == 0 and r.stdout == text,
              "%s is what %s writes (regenerate it after editing the script)" % (
                  os.path.basename(a.template), os.path.basename(a.generator)))
    doc = yaml.safe_load(text)
    mib = parse_mib(a.mib)
    t = static_checks(doc, mib, a.mibdirs, a.mib)
    if a.snmp:
        expect = {
            # the first three modules, in index order; later ones may follow
            "ebpfstats.module.discovery": lambda rows: [r["{#MODULE}"] for r in rows][:3] == ["syscalls", "tcp", "sched"],
        }
        if a.cpus:
            expect["ebpfstats.cpu.discovery"] = lambda rows: len(rows) == a.cpus and all(
                r.get("{#CPU}") == str(int(r["{#SNMPINDEX}"]) - 1) for r in rows)
        if a.port:
            expect["ebpfstats.tcp.port.discovery"] = lambda rows: any(r["{#SNMPINDEX}"] == a.port for r in rows)
        if a.syscall:
            expect["ebpfstats.syscall.discovery"] = lambda rows: any(r["{#SYSCALL}"] == a.syscall for r in rows)
        if a.not_port:
            expect["ebpfstats.tcp.port.discovery"] = lambda rows: all(r["{#SNMPINDEX}"] != a.not_port for r in rows)
        if a.peer_port:
            # both ends on this host: out- to the listener's port, in- on it
            expect["ebpfstats.tcp.peer.discovery"] = lambda rows: {
                r["{#PEER.DIR}"] for r in rows if r["{#PEER.PORT}"] == a.peer_port and
                r["{#PEER}"] == "%s-%s-%s" % (r["{#PEER.DIR}"], r["{#PEER.ADDR}"], a.peer_port)
                and r["{#SNMPINDEX}"].split(".")[0] == {"out": "1", "in": "2"}[r["{#PEER.DIR}"]]
            } == {"out", "in"}
        if a.fileio:
            expect["ebpfstats.fileio.discovery"] = lambda rows: any(r["{#FILEIO}"] == a.fileio for r in rows)
        if a.proc:
            pid, _, comm = a.proc.partition(":")
            expect["ebpfstats.proc.discovery"] = lambda rows: any(
                r["{#SNMPINDEX}"] == pid and r["{#COMM}"] == comm for r in rows)
        if a.cgroup:
            cg_name = a.cgroup.rpartition(":")[0]
            expect["ebpfstats.cgroup.discovery"] = lambda rows: any(
                r["{#CGROUP}"] == cg_name for r in rows)
        if a.not_cgroup:
            expect["ebpfstats.cgroup.discovery"] = lambda rows: all(
                r["{#CGROUP}"] != a.not_cgroup for r in rows)
        walks = live_checks(t, a.snmp.split(), expect, a.empty, a.any)
        if a.cgroup:
            check_cgroup_calls(t, walks, *a.cgroup.rpartition(":")[::2])
    return summary()


if __name__ == "__main__":
    sys.exit(main())
