#!/usr/bin/env python3
"""Writes ebpfstats.yaml(5) and collectd-ebpf(5) from docs/config.md and
docs/collectd.md, so that the man pages say what the docs say: every key and
option row of the docs' tables becomes one .TP entry.

  man/gen-man.py SRCDIR PAGE    PAGE: ebpfstats.yaml.5 or collectd-ebpf.5

The output is checked in (building needs no Python); `make man` regenerates
it and tests/man_pages.sh fails when it is stale.  Handles the Markdown the
docs use: headings, paragraphs, bullet lists, fenced code, tables, `code`,
**bold**, [links](target).
"""
import re
import sys

VERSION_RE = re.compile(r"AC_INIT\(\[ebpfstats\], \[([^]]+)\]")


def esc(text):
    """roff-escape plain text (backslashes; leading dots/quotes in line_out);
    non-ASCII characters as groff's \\[uXXXX], which man and lintian take."""
    text = text.replace("\\", "\\e")
    return "".join(c if ord(c) < 128 else "\\[u%04X]" % ord(c) for c in text)


def inline(text):
    text = re.sub(r"\[([^]]+)\]\(([^)]+)\)", r"\1", text)   # links: the text
    parts = re.split(r"(`[^`]*`)", text)
    out = []
    for p in parts:
        if p.startswith("`") and p.endswith("`") and len(p) > 1:
            out.append("\\fB" + esc(p[1:-1]).replace("-", "\\-") + "\\fR")
        else:
            p = esc(p)
            p = re.sub(r"\*\*([^*]+)\*\*", r"\\fB\1\\fR", p)
            out.append(p)
    return "".join(out)


def line_out(s):
    """One output line; a leading . or ' would be a request."""
    return "\\&" + s if s[:1] in (".", "'") else s


def split_row(line):
    cells = line.strip().strip("|").split("|")
    return [c.strip() for c in cells]


def table(rows):
    head = split_row(rows[0])
    out = []
    for r in rows[2:]:
        cells = split_row(r)
        cells += [""] * (len(head) - len(cells))
        out.append(".TP")
        term = inline(cells[0])
        out.append(line_out(term if cells[0].startswith("`") else "\\fB" + term + "\\fR"))
        facts = ["%s: %s" % (h, inline(c)) for h, c in zip(head[1:-1], cells[1:-1])
                 if c and c != "-"]
        body = inline(cells[-1])
        if facts:
            body = "(" + "; ".join(facts) + ") " + body
        out.append(line_out(body))
    return out


def convert(md, shift=0):
    """Markdown lines of one section -> roff lines.  Level-2 headings become
    .SH, level-3 .SS (less `shift`)."""
    out, para, i = [], [], 0
    lines = md

    def flush():
        if para:
            out.append(".PP")
            out.append(line_out(inline(" ".join(para))))
            para.clear()

    while i < len(lines):
        ln = lines[i]
        m = re.match(r"^(#{2,4}) (.*)", ln)
        if m:
            flush()
            level = len(m.group(1)) - shift
            title = re.sub(r"`", "", m.group(2))
            title = title.replace('"', "")
            out.append('.SH "%s"' % title.upper() if level <= 2 else '.SS "%s"' % title)
            i += 1
        elif ln.startswith("```"):
            flush()
            out += [".PP", ".RS 4", ".nf"]
            i += 1
            while i < len(lines) and not lines[i].startswith("```"):
                out.append(line_out(esc(lines[i])))
                i += 1
            out += [".fi", ".RE"]
            i += 1
        elif ln.startswith("|"):
            flush()
            rows = []
            while i < len(lines) and lines[i].startswith("|"):
                rows.append(lines[i])
                i += 1
            out += table(rows)
            out.append(".PP")
        elif re.match(r"^\s*(- |\d+\. )", ln):
            flush()
            indent = len(ln) - len(ln.lstrip())
            item = [re.sub(r"^\s*(- |\d+\. )", "", ln)]
            i += 1
            while i < len(lines) and lines[i].strip() and \
                    not re.match(r"^\s*(- |\d+\. )", lines[i]) and \
                    not lines[i].lstrip().startswith("```") and \
                    (len(lines[i]) - len(lines[i].lstrip())) > indent:
                item.append(lines[i].strip())
                i += 1
            out += [".IP \\(bu 2", line_out(inline(" ".join(item)))]
            if i < len(lines) and not lines[i].strip():
                i += 1
        elif not ln.strip():
            flush()
            i += 1
        else:
            para.append(ln.strip())
            i += 1
    flush()
    # a .PP right before .SH/.SS/.TP/.IP or at the end is noise
    clean = []
    for j, ln in enumerate(out):
        nxt = out[j + 1] if j + 1 < len(out) else ".SH"
        if ln == ".PP" and nxt.split(" ")[0] in (".SH", ".SS", ".TP", ".IP", ".PP"):
            continue
        clean.append(ln)
    return clean


def sections(path):
    """{heading: [lines]} for the level-2 and level-3 headings of a file,
    and the text before the first heading under ''."""
    secs, cur = {"": []}, ""
    with open(path, encoding="utf-8") as f:
        for ln in f.read().split("\n"):
            m = re.match(r"^(##|###) (.*)", ln)
            if m:
                cur = m.group(2)
                secs[cur] = []
            elif not ln.startswith("# "):
                secs[cur].append(ln)
    return secs


def pick(secs, name, level="##"):
    return ["%s %s" % (level, name)] + secs[name]


def header(name, sect, version, title):
    return ['.\\" Generated by man/gen-man.py from the docs: edit those, then `make man`.',
            '.TH %s %s "" "ebpfstats %s" "%s"' % (name.upper().replace("-", "\\-"), sect,
                                                 version, title)]


def yaml5(src, version):
    s = sections(src + "/docs/config.md")
    out = header("ebpfstats.yaml", 5, version, "File Formats")
    out += [".SH NAME", "ebpfstats.yaml \\- configuration of ebpfstats, its collectd plugin "
            "and its AgentX subagent",
            ".SH SYNOPSIS", ".I /etc/ebpfstats/ebpfstats.yaml",
            ".SH DESCRIPTION"]
    out += convert(s[""])[1:] if convert(s[""])[:1] == [".PP"] else convert(s[""])
    for name in ("File layout", "Keys"):
        out += convert(pick(s, name))
    out += convert(["### Value syntax"] + s["Value syntax"])
    out += convert(pick(s, "Errors"))
    out += convert(["## Example"] + s["Complete example"])
    out += convert(["## Setting one key"] + s["Setting one key"])
    out += [".SH FILES", ".TP", ".I /etc/ebpfstats/ebpfstats.yaml",
            "Read by the systemd unit of",
            ".BR ebpfstats\\-agentx (8),",
            "by", ".B ebpfstats \\-c", "and by the collectd plugin's", ".BR ConfigFile .",
            ".SH SEE ALSO",
            ".BR ebpfstats (8),", ".BR ebpfstats\\-agentx (8),", ".BR collectd\\-ebpf (5);",
            "/usr/share/doc/ebpfstats/config.md"]
    return out


def collectd5(src, version):
    s = sections(src + "/docs/collectd.md")
    out = header("collectd-ebpf", 5, version, "File Formats")
    out += [".SH NAME", "collectd\\-ebpf \\- collectd's ebpf read plugin (ebpfstats)",
            ".SH SYNOPSIS", ".nf",
            "LoadPlugin ebpf", "<Plugin ebpf>",
            "  ConfigFile \"/etc/ebpfstats/ebpfstats.yaml\"",
            "  ReportPercentiles 50 90 99", "</Plugin>", ".fi",
            ".SH DESCRIPTION"]
    intro = convert(s[""])
    out += intro[1:] if intro[:1] == [".PP"] else intro
    out += [".PP",
            "The package installs the plugin as /usr/lib/collectd/ebpf.so, its types as",
            "/usr/share/collectd/ebpf.types.db and a snippet,",
            ".IR /etc/collectd/collectd.conf.d/ebpf.conf ,",
            "that is commented out until the administrator enables it;",
            "check the result with",
            ".BR \"collectd \\-T \\-C /etc/collectd/collectd.conf\" ."]
    for name in ("Options",):
        out += convert(pick(s, name))
    for name in ("Precedence", "Errors"):
        out += convert(pick(s, name, "###"))
    out += convert(pick(s, "Reading"))
    out += convert(pick(s, "Pinned programs and restarts", "###"))
    out += [".SH FILES",
            ".TP", ".I /etc/collectd/collectd.conf.d/ebpf.conf",
            "The package's snippet, commented out: an <Include> block that reads",
            ".IR /usr/share/collectd/ebpf\\-plugin.conf .",
            ".TP", ".I /usr/share/collectd/ebpf\\-plugin.conf",
            "TypesDB, LoadPlugin ebpf and <Plugin ebpf> with ConfigFile",
            "/etc/ebpfstats/ebpfstats.yaml, as the package loads the plugin.",
            ".TP", ".I /usr/share/collectd/ebpf.types.db", "The plugin's types.",
            ".TP", ".I /etc/ebpfstats/ebpfstats.yaml",
            "The file ConfigFile names; see", ".BR ebpfstats.yaml (5).",
            ".SH SEE ALSO",
            ".BR collectd.conf (5),", ".BR collectd (1),", ".BR ebpfstats (8),",
            ".BR ebpfstats.yaml (5);", "/usr/share/doc/ebpfstats/collectd.md"]
    return out


def main():
    src, page = sys.argv[1], sys.argv[2]
    with open(src + "/configure.ac", encoding="utf-8") as f:
        version = VERSION_RE.search(f.read()).group(1)
    gen = {"ebpfstats.yaml.5": yaml5, "collectd-ebpf.5": collectd5}[page]
    sys.stdout.write("\n".join(gen(src, version)) + "\n")


if __name__ == "__main__":
    main()
