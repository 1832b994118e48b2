#!/bin/sh
# Prints a directory holding the SMIv2 base modules (SNMPv2-SMI, SNMPv2-TC,
# SNMPv2-CONF) that smilint and snmptranslate need to read EBPFSTATS-MIB.
# Debian ships none of them (license), so they come from the npm package
# net-snmp (lib/mibs), fetched once into a cache with `npm pack`.
# NET-SNMP-MIB (the parent of our placeholder arc) is copied from net-snmp's
# own MIB directory when present.
#   tests/mibs-fetch.sh            -> prints the directory, exit 0
#   exit 1 with a message on stderr when the modules cannot be had (offline,
#   no npm): callers skip their symbolic checks then.
set -eu
version=${EBS_NPM_NET_SNMP:-3.29}
cache=${EBS_MIBS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ebpfstats-mibs}
base="SNMPv2-SMI SNMPv2-TC SNMPv2-CONF"

have_all() {
	for m in $base NET-SNMP-MIB; do
		[ -s "$cache/$m.txt" ] || return 1
	done
}

if have_all; then
	echo "$cache"
	exit 0
fi

mkdir -p "$cache"
if ! command -v npm >/dev/null 2>&1; then
	echo "mibs-fetch.sh: npm not found (package npm); cannot fetch the SMIv2 base MIBs" >&2
	exit 1
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/ebs-mibs.XXXXXX")
trap 'rm -rf "$work"' EXIT
# npm pack writes the tarball name as the last line of its output
if ! (cd "$work" && npm pack --loglevel=error "net-snmp@$version") >"$work/npm.out" 2>"$work/npm.err"; then
	echo "mibs-fetch.sh: npm pack net-snmp@$version failed:" >&2
	cat "$work/npm.err" >&2
	exit 1
fi
tgz=$(tail -n 1 "$work/npm.out")
if [ -z "$tgz" ] || [ ! -f "$work/$tgz" ]; then
	echo "mibs-fetch.sh: npm pack net-snmp@$version made no tarball" >&2
	exit 1
fi
tar -xzf "$work/$tgz" -C "$work"
for m in $base; do
	src="$work/package/lib/mibs/$m.mib"
	if [ ! -s "$src" ]; then
		echo "mibs-fetch.sh: $tgz has no lib/mibs/$m.mib" >&2
		exit 1
	fi
	# .txt: the suffix both libsmi and net-snmp look for by module name
	cp "$src" "$cache/$m.txt.tmp" && mv "$cache/$m.txt.tmp" "$cache/$m.txt"
done

netsnmp_mib=""
for d in $(net-snmp-config --default-mibdirs 2>/dev/null | tr ':' ' ') /usr/share/snmp/mibs; do
	if [ -s "$d/NET-SNMP-MIB.txt" ]; then
		netsnmp_mib="$d/NET-SNMP-MIB.txt"
		break
	fi
done
if [ -z "$netsnmp_mib" ]; then
	echo "mibs-fetch.sh: NET-SNMP-MIB.txt not found (package libsnmp-base)" >&2
	exit 1
fi
cp "$netsnmp_mib" "$cache/NET-SNMP-MIB.txt"
echo "$cache"
