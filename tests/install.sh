#!/bin/sh
# `make install DESTDIR=D prefix=/usr sysconfdir=/etc` (the Debian layout):
# every file lands under D where Debian's tools look -- the subagent and the
# CLI in /usr/sbin, the MIB in snmpd's /usr/share/snmp/mibs, ebpf.so and
# ebpf.types.db in collectd's /usr/lib/collectd and /usr/share/collectd, the
# unit in /usr/lib/systemd/system naming /usr/sbin and /etc, the Nagios plugin
# and commands where monitoring-plugins keep theirs, the Zabbix template, the
# configuration and the docs -- nothing outside D; the installed MIB loads
# with snmptranslate and the installed plugin with `collectd -t`; a second
# install keeps an edited configuration; uninstall removes everything else.
# Needs no root.
# shellcheck disable=SC2034 # variables read only in expect's eval'ed conditions
set -u
# shellcheck source=tests/lib.sh
. "${top_srcdir:-.}/tests/lib.sh"
MAKE=${MAKE:-make}
command -v "$MAKE" >/dev/null 2>&1 || skip "$MAKE missing"

D=$tmp/dest
LAYOUT="prefix=/usr sysconfdir=/etc localstatedir=/var"
# the enclosing `make check` must not lend its jobserver to this one
mk() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL "$MAKE" -C "$top_builddir" "$@"; }

# what the real system has before, to see that nothing is written there
sentinels="/usr/sbin/ebpfstats /etc/ebpfstats/ebpfstats.yaml /usr/share/snmp/mibs/EBPFSTATS-MIB.txt
/usr/lib/nagios/plugins/check_ebpfstats /usr/lib/systemd/system/ebpfstats-agentx.service"
before=$(for f in $sentinels; do [ -e "$f" ] && stat -c '%n %Y' "$f"; done)

# shellcheck disable=SC2086
mk install DESTDIR="$D" $LAYOUT >"$tmp/install.log" 2>&1
rc=$?
expect "make install DESTDIR=... $LAYOUT (rc $rc)" '[ $rc -eq 0 ]' || tail -n 20 "$tmp/install.log"
after=$(for f in $sentinels; do [ -e "$f" ] && stat -c '%n %Y' "$f"; done)
expect "nothing written outside DESTDIR" '[ "$before" = "$after" ]'

has() { # has PATH [x]: PATH exists under D (and is executable)
	[ -f "$D$1" ] && { [ -z "${2:-}" ] || [ -x "$D$1" ]; }
}
expect "/usr/sbin/ebpfstats" 'has /usr/sbin/ebpfstats x'
expect "/usr/share/snmp/mibs/EBPFSTATS-MIB.txt (snmpd's MIB directory)" \
	'has /usr/share/snmp/mibs/EBPFSTATS-MIB.txt'
expect "/etc/ebpfstats/ebpfstats.yaml" 'has /etc/ebpfstats/ebpfstats.yaml'
expect "/usr/lib/nagios/plugins/check_ebpfstats (with check_snmp)" \
	'has /usr/lib/nagios/plugins/check_ebpfstats x'
expect "/etc/nagios-plugins/config/ebpfstats.cfg (Debian's nagios4 cfg_dir)" \
	'has /etc/nagios-plugins/config/ebpfstats.cfg'
expect "/usr/share/ebpfstats/zabbix/template_ebpfstats_snmp.yaml" \
	'has /usr/share/ebpfstats/zabbix/template_ebpfstats_snmp.yaml'
for f in README.md config.md snmp.md nagios.md zabbix.md systemd.md packaging.md json.md percentiles.md \
	examples/ebpfstats-services.cfg.example examples/snmpd.conf.example; do
	expect "/usr/share/doc/ebpfstats/$f" "has /usr/share/doc/ebpfstats/$f"
done

if [ -x "$top_builddir/ebpfstats-agentx" ]; then
	expect "/usr/sbin/ebpfstats-agentx" 'has /usr/sbin/ebpfstats-agentx x'
	u=/usr/lib/systemd/system/ebpfstats-agentx.service
	expect "$u" "has $u"
	expect "the installed unit runs /usr/sbin/ebpfstats-agentx -c /etc/ebpfstats/ebpfstats.yaml" \
		'grep -qx "ExecStart=/usr/sbin/ebpfstats-agentx -f -Le -c /etc/ebpfstats/ebpfstats.yaml -P /run/ebpfstats/pins" "$D$u"'
	# the same unit under another prefix names that prefix
	mk install DESTDIR="$tmp/opt" prefix=/opt/ebs >"$tmp/install-opt.log" 2>&1
	other=$(sed -n 's/^ExecStart=//p' "$tmp/opt/opt/ebs/lib/systemd/system/ebpfstats-agentx.service" 2>&1)
	expect "with prefix=/opt/ebs the unit says so ($other)" \
		'[ "$other" = "/opt/ebs/sbin/ebpfstats-agentx -f -Le -c /opt/ebs/etc/ebpfstats/ebpfstats.yaml -P /run/ebpfstats/pins" ]'
else
	echo "# ebpfstats-agentx not built (no net-snmp agent SDK): subagent and unit not checked"
fi

collectdplugindir=$(sed -n 's/^collectdplugindir = //p' "$top_builddir/Makefile")
if [ -e "$top_builddir/.libs/ebpf.so" ]; then
	case "$collectdplugindir" in
	'${prefix}/lib/collectd' | '$(prefix)/lib/collectd')
		expect "/usr/lib/collectd/ebpf.so (Debian's collectd PluginDir)" 'has /usr/lib/collectd/ebpf.so'
		expect "no libtool archive beside it" '! has /usr/lib/collectd/ebpf.la'
		;;
	*) echo "# configured --with-collectd-plugindir=$collectdplugindir: Debian path not checked" ;;
	esac
	expect "/usr/share/collectd/ebpf.types.db (beside collectd's types.db)" \
		'has /usr/share/collectd/ebpf.types.db'
	COLLECTD=$(command -v collectd || ls /usr/sbin/collectd 2>/dev/null)
	if [ -n "$COLLECTD" ] && has /usr/lib/collectd/ebpf.so; then
		cat >"$tmp/collectd.conf" <<EOF
BaseDir "$tmp"
PIDFile "$tmp/collectd.pid"
PluginDir "$D/usr/lib/collectd"
TypesDB "/usr/share/collectd/types.db" "$D/usr/share/collectd/ebpf.types.db"
LoadPlugin ebpf
EOF
		out=$("$COLLECTD" -t -C "$tmp/collectd.conf" 2>&1)
		rc=$?
		expect "collectd -t loads the installed ebpf.so and types.db (rc $rc${out:+: $out})" '[ $rc -eq 0 ]'
	fi
else
	echo "# collectd plugin not built: its files not checked"
fi

if mibs=$(sh "$top_srcdir/tests/mibs-fetch.sh" 2>/dev/null); then
	# its own persistent directory (not /var/lib/snmp); on first use it
	# says "Created directory: …/cert_indexes" on stderr, kept apart
	mkdir -p "$tmp/persist"
	out=$(SNMP_PERSISTENT_DIR="$tmp/persist" MIBS='' snmptranslate -M "$mibs:$D/usr/share/snmp/mibs" -m EBPFSTATS-MIB -On \
		EBPFSTATS-MIB::ebsAgentVersion.0 2>"$tmp/snmptranslate.err")
	# ebsAgentVersion.0 under the root the installed CLI knows
	want=$("$D/usr/sbin/ebpfstats" catalog --oid-root).1.1.1.0
	expect "snmptranslate finds the installed MIB ($out$(grep -v '^Created directory' "$tmp/snmptranslate.err"))" \
		'[ "$out" = "$want" ]'
fi

# an edited configuration survives a second install and the uninstall
echo "# edited" >>"$D/etc/ebpfstats/ebpfstats.yaml"
# shellcheck disable=SC2086
mk install DESTDIR="$D" $LAYOUT >"$tmp/install2.log" 2>&1
expect "a second install keeps the edited configuration" \
	'tail -n 1 "$D/etc/ebpfstats/ebpfstats.yaml" | grep -qx "# edited"'
# shellcheck disable=SC2086
mk uninstall DESTDIR="$D" $LAYOUT >"$tmp/uninstall.log" 2>&1
rc=$?
left=$(cd "$D" && find . -type f | sort | tr '\n' ' ')
expect "make uninstall (rc $rc) leaves only the edited configuration (left: $left)" \
	'[ $rc -eq 0 ] && [ "$left" = "./etc/ebpfstats/ebpfstats.yaml " ]'

finish
