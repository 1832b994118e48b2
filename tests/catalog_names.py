#!/usr/bin/env python3
"""The places that name metrics by hand, checked against the catalog.

    catalog_names.py --catalog FILE --root OID --srcdir DIR

FILE is `ebpfstats catalog --json` (tests/catalog_names.sh compares it with
tests/data/catalog.json first), OID `ebpfstats catalog --oid-root`.  Checked here:
  - OID literals: in the shipped files and docs, every OID under
    enterprises (1.3.6.1.4.1) is the root, an ancestor of it (netSnmpPlaypen),
    or under the root at a node, object or instance the catalog places there;
    the scripts that run with a built tree name no OID at all (they ask
    `ebpfstats catalog --oid-root`);
  - nagios/ebpfstats.cfg: every -o OID is a catalog object (a scalar's .0, a
    column with the index from an $ARGn$), and the command's comment names it;
  - nagios/check_ebpfstats: its ROOT is ebsObjects and each object it
    defines (ebsXxx=$ROOT...) is at the catalog's OID;
  - docs/collectd.md's table of names: every name in it is a catalog
    metric's collectd name, with its DS, unit and catalog id, and every
    metric collectd gets is in the table.

Prints "ok - ..." / "not ok - ..." lines; exits 1 on any failure.
"""
import argparse
import glob
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tap import check, summary  # noqa: E402


ENTERPRISE_OID = re.compile(r"(?<![\w.])\.?(1\.3\.6\.1\.4\.1(?:\.\d+)+)")

# Shipped files and docs that may name OIDs, and the scripts that run with
# a built tree and must not (relative to the source tree).
DOC_GLOBS = ["README.md", "docs/*.md", "debian/*.8", "nagios/*", "snmp/*.example",
             "zabbix/*.yaml", "zabbix/*.py", "mibs/*.txt", "etc/*", "collectd/*.conf"]
BUILT_TREE_SCRIPTS = ["tests/lib.sh", "tests/lib_faults.sh", "tests/install.sh", "bench/run",
                      "scripts/demo"]


def objects(catalog):
    """MIB object name -> its OID (no index, no .0) and whether a scalar."""
    out = {}
    for m in catalog:
        s = m.get("snmp")
        if s:
            scalar = m["table"] == "global"
            oid = s["oid"][:-2] if scalar else s["oid"]
            out[s["object"]] = (oid, scalar)
    return out


def oid_literals(srcdir):
    seen = {}
    for g in DOC_GLOBS:
        for path in sorted(glob.glob(os.path.join(srcdir, g))):
            if not os.path.isfile(path):
                continue
            rel = os.path.relpath(path, srcdir)
            with open(path, encoding="utf-8", errors="replace") as f:
                for n, line in enumerate(f, 1):
                    for m in ENTERPRISE_OID.finditer(line):
                        seen.setdefault("." + m.group(1), []).append("%s:%d" % (rel, n))
    return seen


def check_literals(catalog, root, srcdir):
    objs = objects(catalog)
    nodes = set()
    parents = set()
    for oid, _ in objs.values():
        arcs = oid.split(".")
        for k in range(2, len(arcs) + 1):
            nodes.add(".".join(arcs[:k]))
        parents.add(".".join(arcs[:-1]))
    bad = []
    lits = oid_literals(srcdir)
    for lit, where in sorted(lits.items()):
        if root.startswith(lit + ".") or lit == root:
            continue  # the root or an ancestor (netSnmpPlaypen)
        if not lit.startswith(root + "."):
            bad.append("%s at %s: not under the catalog's root %s" % (lit, where[0], root))
        elif lit not in nodes and not any(lit.startswith(p + ".") for p in parents):
            bad.append("%s at %s: no catalog object there" % (lit, where[0]))
    check(lits and not bad,
          "the %d OIDs named in shipped files and docs are under the root %s" % (len(lits), root),
          bad)

    named = []
    for rel in BUILT_TREE_SCRIPTS:
        path = os.path.join(srcdir, rel)
        if not os.path.exists(path):
            continue
        with open(path, encoding="utf-8", errors="replace") as f:
            for n, line in enumerate(f, 1):
                if ENTERPRISE_OID.search(line):
                    named.append("%s:%d: %s" % (rel, n, line.strip()))
    check(not named, "the scripts run from a built tree take the root from the catalog "
          "(%s name no OID)" % ", ".join(BUILT_TREE_SCRIPTS), named)


def check_nagios_cfg(catalog, srcdir):
    by_oid = {oid: (name, scalar) for name, (oid, scalar) in objects(catalog).items()}
    text = open(os.path.join(srcdir, "nagios/ebpfstats.cfg")).read()
    bad = []
    n = 0
    # a command: the comment lines just above it, then its block
    for m in re.finditer(r"((?:^#[^\n]*\n)*)define command \{(.*?)\n\}", text, re.S | re.M):
        comment, body = m.groups()
        name = re.search(r"command_name\s+(\S+)", body).group(1)
        for arg in re.findall(r"\s-o\s+(\S+)", body):
            for oid in arg.split(","):
                n += 1
                inst = re.fullmatch(r"(\.[\d.]+?)(\.0|\.\$ARG\d+\$)", oid)
                obj = by_oid.get(inst.group(1)) if inst else None
                if not obj:
                    bad.append("%s: %s is no catalog object" % (name, oid))
                elif obj[1] != (inst.group(2) == ".0"):
                    bad.append("%s: %s: %s is a %s" % (name, oid, obj[0],
                                                        "scalar" if obj[1] else "column"))
                elif obj[0] not in comment:
                    bad.append("%s: the comment does not name %s (%s)" % (name, obj[0], oid))
    check(n > 0 and not bad,
          "nagios/ebpfstats.cfg: its %d OIDs are catalog objects named in the comments" % n, bad)


def check_nagios_plugin(catalog, root, srcdir):
    objs = objects(catalog)
    text = open(os.path.join(srcdir, "nagios/check_ebpfstats")).read()
    m = re.search(r"^ROOT=(\S+)", text, re.M)
    check(m and m.group(1) == root + ".1",
          "nagios/check_ebpfstats: ROOT is ebsObjects, %s.1 (got %s)"
          % (root, m.group(1) if m else "none"))
    if not m:
        return
    defs = re.findall(r"^(ebs\w+)=\$ROOT((?:\.\d+)+)$", text, re.M)
    bad = []
    for name, rel in defs:
        want = objs.get(name)
        got = m.group(1) + rel
        if not want:
            bad.append("%s is not a catalog object" % name)
        elif got != want[0] + (".0" if want[1] else ""):
            bad.append("%s=%s, the catalog has %s" % (name, got, want[0] + (".0" if want[1] else "")))
    check(defs and not bad, "nagios/check_ebpfstats: its %d objects are at the catalog's OIDs"
          % len(defs), bad)
    loose = [l.strip() for l in text.splitlines()
             if "$ROOT." in l and not re.match(r"^ebs\w+=\$ROOT", l)]
    check(not loose, "nagios/check_ebpfstats names OIDs only through those objects", loose)


# docs/collectd.md writes a row's key by what it is
DOC_KEY = {"module": "MODULE", "syscall": "SYSCALL", "file_io": "SYSCALL", "tcp_state": "STATE",
           "tcp_transition": "OLD-NEW", "tcp_port": "PORT", "tcp_peer": "DIR-ADDR-PORT",
           "cpu": "cpuN", "cgroup": "CGROUP"}


def collectd_name(m):
    c = m["collectd"]
    key = DOC_KEY.get(m["table"], "<key>")
    name = "ebpf-%s/%s" % (c["plugin_instance"], c["type"])
    if c["type_instance"]:
        name += "-" + c["type_instance"]
    return name.replace("<key>", key)


def expand(cell):
    """`full`, `-suffix`, (`-p90`, ...) -> full names: a "-a-b" suffix
    replaces as many dash-separated parts at the end of the first name, a
    name without the leading "ebpf-" replaces what follows the slash."""
    toks = re.findall(r"`([^`]+)`", cell)
    if not toks:
        return []
    first = toks[0]
    out = [first]
    for t in toks[1:]:
        if t.startswith("-"):
            parts = first.split("-")
            out.append("-".join(parts[:len(parts) - (t.count("-"))]) + t)
        else:
            out.append(first.split("/")[0] + "/" + t)
    return out


def check_collectd_doc(catalog, srcdir):
    path = os.path.join(srcdir, "docs/collectd.md")
    names = {}
    for m in catalog:
        if m["collectd"]:
            names[collectd_name(m)] = m
    rows = []
    in_table = False
    for n, line in enumerate(open(path), 1):
        if line.startswith("| Name | DS | Unit | Catalog id |"):
            in_table = True
            continue
        if in_table and not line.startswith("|"):
            break
        if in_table and not line.startswith("|---"):
            rows.append((n, [c.strip() for c in line.strip().strip("|").split("|")]))
    bad = []
    documented = set()
    for n, cells in rows:
        if len(cells) != 4:
            bad.append("line %d: %d columns" % (n, len(cells)))
            continue
        cell, ds, unit, ids = cells
        expanded = expand(cell)
        for i, name in enumerate(expanded):
            m = names.get(name)
            if not m:
                bad.append("line %d: %s is no catalog metric's collectd name" % (n, name))
                continue
            documented.add(name)
            want_ds = "DERIVE" if m["kind"] == "counter" else "GAUGE"
            if ds != want_ds:
                bad.append("line %d: %s (%s) is %s, not %s" % (n, name, m["id"], want_ds, ds))
            u = {"us": "µs"}.get(m["unit"], m["unit"])
            if u and not re.search(r"(^|[ ,])%s($|[ ,])" % re.escape(u), unit):
                bad.append("line %d: %s (%s) is in %s, the unit column says %r"
                           % (n, name, m["id"], u, unit))
            if i == 0 and ids.split()[0] != m["id"]:
                bad.append("line %d: %s is %s, the row says %s" % (n, name, m["id"], ids))
    check(rows and not bad, "docs/collectd.md: the %d rows name catalog metrics with their DS, "
          "unit and id" % len(rows), bad)
    missing = ["%s (%s)" % (k, v["id"]) for k, v in names.items() if k not in documented]
    check(not missing, "docs/collectd.md names every metric dispatched to collectd", missing)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--catalog", required=True)
    ap.add_argument("--srcdir", required=True)
    ap.add_argument("--root", required=True, help="ebpfstats catalog --oid-root")
    a = ap.parse_args()
    catalog = json.load(open(a.catalog))
    root = a.root
    oids = [m["snmp"]["oid"] for m in catalog if m["snmp"]]
    check(oids and all(o.startswith(root + ".1.") for o in oids),
          "every OID of the catalog is under ebsObjects, %s.1" % root)
    check_literals(catalog, root, a.srcdir)
    check_nagios_cfg(catalog, a.srcdir)
    check_nagios_plugin(catalog, root, a.srcdir)
    check_collectd_doc(catalog, a.srcdir)
    return summary("# ")


if __name__ == "__main__":
    sys.exit(main())
