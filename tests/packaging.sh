#!/bin/sh
# The packages, as a distro user gets them (issue 21):
#  - `scripts/deps --package` installs what building them needs, `make deb`
#    builds the four .debs from `make dist`'s tarball and lintian
#    (--pedantic) reports no error or warning;
#  - the dependency closure of ebpfstats-collectd holds no SNMP library or
#    daemon, the one of ebpfstats-snmp no collectd;
#  - each package is installed alone (with ebpfstats, which the front-ends
#    depend on) by apt from the .deb: its files are there, the commands run,
#    the collectd snippet is inactive as shipped, and once enabled
#    `collectd -T` loads the plugin and pins the programs, and still passes
#    after the package is removed (not purged) with the snippet enabled; the subagent's
#    user exists and its unit is not enabled; installing again (dpkg's
#    upgrade path) keeps an edited configuration, and an upgrade to a
#    higher version (the .debs repacked) keeps the pins;
#  - a purge leaves nothing: no file of the package, no /etc/ebpfstats, no
#    user or group "ebpfstats", no pins under /sys/fs/bpf/ebpfstats, no
#    systemd enablement state;
#  - `make rpm` (rpmbuild -bb --nodeps on the spec, from the same tarball)
#    builds the four RPMs and `rpm -qlp` lists the expected files.
# Root only, on a machine it may install packages on (CI); skips (77) when a
# file it would install is already there from elsewhere, when pins exist at
# /sys/fs/bpf/ebpfstats already, and in the sanitizer build.  Whatever
# happens, the exit trap purges what it installed.
# DEB_BUILD_OPTIONS defaults to "nocheck parallel=2".
# expect's conditions are eval'ed later, hence single quotes:
# shellcheck shell=sh disable=SC2016,SC2034
set -u
# shellcheck source=tests/lib.sh
. "${top_srcdir:-.}/tests/lib.sh"
MAKE=${MAKE:-make}

[ "$(id -u)" -eq 0 ] || skip "needs root (installs and purges packages)"
if ! command -v dpkg >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
	skip "not a Debian system"
fi
grep -q '^CFLAGS = .*-fsanitize' "$top_builddir/Makefile" 2>/dev/null &&
	skip "sanitizer build (the packages build their own binaries)"
[ "${EBS_SKIP_PACKAGING:-0}" = 1 ] && skip "EBS_SKIP_PACKAGING=1"

PKGS="ebpfstats ebpfstats-collectd ebpfstats-snmp ebpfstats-nms"
PIN=/sys/fs/bpf/ebpfstats
# what the packages install; a copy from elsewhere (make install) would be
# overwritten and then purged
OURS="/usr/sbin/ebpfstats /usr/sbin/ebpfstats-agentx /etc/ebpfstats/ebpfstats.yaml
/usr/lib/collectd/ebpf.so /usr/share/collectd/ebpf.types.db /etc/collectd/collectd.conf.d/ebpf.conf
/usr/share/snmp/mibs/EBPFSTATS-MIB.txt /lib/systemd/system/ebpfstats-agentx.service
/usr/lib/systemd/system/ebpfstats-agentx.service /usr/lib/nagios/plugins/check_ebpfstats
/etc/nagios-plugins/config/ebpfstats.cfg /usr/share/ebpfstats"
for p in $PKGS; do
	dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null | grep -qv '^not-installed$' &&
		skip "package $p is installed already"
done
for f in $OURS; do [ -e "$f" ] && skip "$f exists already (not from a package this test installs)"; done
[ -e "$PIN" ] && skip "$PIN exists already (pins of another ebpfstats)"
getent passwd ebpfstats >/dev/null && skip "user ebpfstats exists already"

start=$(date +%s)
cleanup_hook() {
	# purge whatever is installed, even after a failure, so that later tests
	# find no ebpf.so, no unit, no user (stop a subagent the test started)
	for p in ebpfstats-nms ebpfstats-collectd ebpfstats-snmp ebpfstats; do
		if dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null | grep -qv '^not-installed$'; then
			dpkg --purge "$p" >>"$tmp/cleanup.log" 2>&1 || echo "# cleanup: dpkg --purge $p failed"
		fi
	done
	[ -e "$tmp/stop-snmpd" ] && systemctl stop snmpd.service >/dev/null 2>&1
}
trap 'exit 1' INT TERM HUP

mk() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL "$MAKE" -C "$top_builddir" "$@"; }

# ---- one version everywhere ---------------------------------------------------
v=$(sed -n 's/^AC_INIT(\[ebpfstats\], \[\([^]]*\)\].*/\1/p' "$top_srcdir/configure.ac")
dv=$(sed -n '1s/^ebpfstats (\([^-)]*\).*/\1/p' "$top_srcdir/debian/changelog")
rv=$(sed -n 's/^Version: *//p' "$top_srcdir/ebpfstats.spec")
expect "debian/changelog ($dv) and ebpfstats.spec ($rv) package configure.ac's version ($v)" \
	'[ -n "$v" ] && [ "$dv" = "$v" ] && [ "$rv" = "$v" ]'

# ---- build dependencies and the .debs ----------------------------------------
sh "$top_srcdir/scripts/deps" --package >"$tmp/deps.log" 2>&1
rc=$?
expect "scripts/deps --package (rc $rc)" '[ $rc -eq 0 ]' || tail -n 20 "$tmp/deps.log"

t0=$(date +%s)
DEB_BUILD_OPTIONS=${DEB_BUILD_OPTIONS:-nocheck parallel=2} mk deb >"$tmp/deb.log" 2>&1
rc=$?
expect "make deb: packages built and lintian --pedantic silent (rc $rc, $(($(date +%s) - t0)) s)" \
	'[ $rc -eq 0 ]' || tail -n 30 "$tmp/deb.log"
lint=$(sed -n '/^lintian /,$p' "$tmp/deb.log" | grep -E '^[EWIPX]: ')
expect "lintian: no tag at all${lint:+ ($lint)}" '[ -z "$lint" ]'
D=$top_builddir/deb-build
deb() { ls "$D/$1"_*_*.deb 2>/dev/null | head -n 1; }
for p in $PKGS; do
	expect "$p .deb built" '[ -n "$(deb "$p")" ]' || { echo "packaging.sh: no $p .deb"; exit 1; }
done

# ---- each front-end depends only on what it needs ------------------------------
# the names a .deb depends on (no versions, alternatives as separate names)
depnames() { dpkg-deb -f "$1" Depends Pre-Depends | sed 's/^[A-Za-z-]*: //' |
	tr ',|' '\n\n' | sed 's/(.*//; s/:any//; s/[[:space:]]//g' | grep -v '^$' | sort -u; }
# their closure from the archive (ebpfstats itself is the local .deb)
closure() {
	names=$(for n in $(depnames "$1"); do
		case "$n" in ebpfstats) depnames "$(deb ebpfstats)" ;; *) echo "$n" ;; esac; done | sort -u)
	# shellcheck disable=SC2086
	apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
		--no-replaces --no-enhances $names 2>/dev/null | grep -v '^ ' | tr -d '<>' | sort -u
}
c=$(closure "$(deb ebpfstats-collectd)")
bad=$(echo "$c" | grep -E '^(libsnmp|libnetsnmp|snmpd$|snmp$|libperl)' | tr '\n' ' ')
expect "ebpfstats-collectd pulls no SNMP ($(echo "$c" | wc -l) packages in its closure${bad:+: $bad})" \
	'[ -n "$c" ] && [ -z "$bad" ]'
c=$(closure "$(deb ebpfstats-snmp)")
bad=$(echo "$c" | grep -E '^collectd' | tr '\n' ' ')
expect "ebpfstats-snmp pulls no collectd ($(echo "$c" | wc -l) packages in its closure${bad:+: $bad})" \
	'[ -n "$c" ] && [ -z "$bad" ]'
c=$(closure "$(deb ebpfstats)")
bad=$(echo "$c" | grep -E '^(collectd|libsnmp|snmpd$)' | tr '\n' ' ')
expect "ebpfstats (the CLI) pulls neither front-end${bad:+ ($bad)}" '[ -z "$bad" ]'
expect "ebpfstats-nms depends on no ebpfstats package nor BPF library" \
	'! depnames "$(deb ebpfstats-nms)" | grep -qE "^(ebpfstats|libbpf)"'

# ---- install alone, check, install again, purge --------------------------------
# apt-get install the local .debs (the core too: the archive has no ebpfstats)
install() { # install PKG...: the .debs of these packages
	files=""
	for p in "$@"; do files="$files $(deb "$p")"; done
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $files \
		>>"$tmp/apt.log" 2>&1
}
bump() { # bump PKG: $tmp/PKG.up.deb, PKG's .deb as version V+up1 (and its = V depends)
	rm -rf "$tmp/bump"
	dpkg-deb -R "$(deb "$1")" "$tmp/bump" || return 1
	v=$(dpkg-deb -f "$(deb "$1")" Version)
	sed -i -e "s/^Version: .*/Version: $v+up1/" -e "s/(= $v)/(= $v+up1)/g" "$tmp/bump/DEBIAN/control"
	dpkg-deb -b "$tmp/bump" "$tmp/$1.up.deb" >/dev/null
}
purge() {
	DEBIAN_FRONTEND=noninteractive apt-get purge -y "$@" >"$tmp/purge.log" 2>&1
}
files_of() { # the non-directory paths a package installed
	dpkg -L "$1" | while read -r f; do [ -d "$f" ] || echo "$f"; done
}
has() { # has PACKAGE PATH...: PACKAGE owns each PATH and it exists
	p=$1; shift
	for f in "$@"; do
		[ -e "$f" ] || return 1
		dpkg -S "$f" 2>/dev/null | grep -q "^$p: " || return 1
	done
}
nothing_left() { # nothing_left LIST-FILE: none of the recorded paths is there
	left=""
	while read -r f; do [ -e "$f" ] || [ -L "$f" ] && left="$left $f"; done <"$1"
	for d in /etc/ebpfstats /usr/share/ebpfstats /usr/share/doc/ebpfstats /usr/share/doc/ebpfstats-collectd \
		/usr/share/doc/ebpfstats-snmp /usr/share/doc/ebpfstats-nms "$PIN"; do
		[ -e "$d" ] && left="$left $d"
	done
	for f in /etc/systemd/system/*/ebpfstats-agentx.service /var/lib/systemd/deb-systemd-helper-enabled/*ebpfstats* \
		/var/lib/systemd/deb-systemd-helper-masked/*ebpfstats*; do
		[ -e "$f" ] || [ -L "$f" ] && left="$left $f"
	done
	getent passwd ebpfstats >/dev/null && left="$left user:ebpfstats"
	getent group ebpfstats >/dev/null && left="$left group:ebpfstats"
	st=$(for p in $PKGS; do dpkg-query -W -f='${Package}:${db:Status-Status} ' "$p" 2>/dev/null; done |
		tr ' ' '\n' | grep -v ':not-installed$' | grep -v '^$' | tr '\n' ' ')
	[ -n "$st" ] && left="$left dpkg:$st"
	echo "$left"
}

# -- ebpfstats alone
install ebpfstats
rc=$?
expect "ebpfstats installs alone (rc $rc)" '[ $rc -eq 0 ]' || tail -n 15 "$tmp/apt.log"
expect "ebpfstats: CLI, configuration (a conffile), man pages, docs" \
	'has ebpfstats /usr/sbin/ebpfstats /etc/ebpfstats/ebpfstats.yaml /usr/share/man/man8/ebpfstats.8.gz \
		/usr/share/man/man5/ebpfstats.yaml.5.gz /usr/share/doc/ebpfstats/config.md /usr/share/doc/ebpfstats/README.Debian \
	&& dpkg-query -W -f="\${Conffiles}" ebpfstats | grep -q " /etc/ebpfstats/ebpfstats.yaml "'
out=$(ebpfstats check -c /etc/ebpfstats/ebpfstats.yaml 2>&1)
rc=$?
expect "ebpfstats check -c /etc/ebpfstats/ebpfstats.yaml reads the shipped file (rc $rc)" \
	'[ $rc -le 2 ]' || echo "$out" | tail -n 5
expect "man ebpfstats.yaml finds the page" 'man -w ebpfstats.yaml 2>/dev/null | grep -q ebpfstats.yaml.5'
expect "no front-end came with it" \
	'! dpkg-query -W -f="\${db:Status-Status}" ebpfstats-collectd ebpfstats-snmp collectd-core-ebpf 2>/dev/null | grep -q "^installed"'
# an edited configuration survives installing again (dpkg's upgrade path)
echo "# edited by packaging.sh" >>/etc/ebpfstats/ebpfstats.yaml
DEBIAN_FRONTEND=noninteractive dpkg -i "$(deb ebpfstats)" >>"$tmp/apt.log" 2>&1
rc=$?
expect "installing it again (prerm upgrade, postinst configure) keeps the edited configuration (rc $rc)" \
	'[ $rc -eq 0 ] && tail -n 1 /etc/ebpfstats/ebpfstats.yaml | grep -qx "# edited by packaging.sh"'
files_of ebpfstats >"$tmp/core.files"
purge ebpfstats
rc=$?
left=$(nothing_left "$tmp/core.files")
expect "purging ebpfstats leaves nothing (rc $rc${left:+; left:$left})" '[ $rc -eq 0 ] && [ -z "$left" ]'

# -- ebpfstats-collectd (with ebpfstats)
install ebpfstats ebpfstats-collectd
rc=$?
expect "ebpfstats-collectd installs with ebpfstats alone (rc $rc)" '[ $rc -eq 0 ]' || tail -n 15 "$tmp/apt.log"
snip=/etc/collectd/collectd.conf.d/ebpf.conf
expect "ebpfstats-collectd: ebpf.so in collectd's plugin dir, types.db, the snippet (a conffile) and what it includes, collectd-ebpf(5)" \
	'has ebpfstats-collectd /usr/lib/collectd/ebpf.so /usr/share/collectd/ebpf.types.db $snip \
		/usr/share/collectd/ebpf-plugin.conf \
		/usr/share/man/man5/collectd-ebpf.5.gz \
	&& dpkg-query -W -f="\${Conffiles}" ebpfstats-collectd | grep -q " $snip "'
expect "the snippet is inactive as shipped: every line a comment or blank" \
	'! grep -qv "^[[:space:]]*\(#\|$\)" $snip'
expect "nothing of the SNMP side came with it" \
	'[ ! -e /usr/sbin/ebpfstats-agentx ] && [ ! -e /usr/share/snmp/mibs/EBPFSTATS-MIB.txt ] && ! getent passwd ebpfstats >/dev/null'
expect "ebpf.so links no net-snmp library" '! ldd /usr/lib/collectd/ebpf.so | grep -q snmp'
COLLECTD=$(command -v collectd || echo /usr/sbin/collectd)
if [ -x "$COLLECTD" ]; then
	# enabled as the snippet says, in a collectd.conf that includes the
	# directory as Debian's does (private BaseDir and PID file)
	sed -n 's/^#   \(sed -i .*\)/\1/p' $snip >"$tmp/enable.sh"
	sh "$tmp/enable.sh" >"$tmp/enable.log" 2>&1
	cat >"$tmp/collectd.conf" <<EOF
BaseDir "$tmp"
PIDFile "$tmp/collectd.pid"
PluginDir "/usr/lib/collectd"
Interval 1
<Include "/etc/collectd/collectd.conf.d">
  Filter "*.conf"
</Include>
EOF
	expect "the sed command of the snippet enables it: <Include> of ebpf-plugin.conf" \
		'grep -qx "<Include \"/usr/share/collectd\">" $snip && grep -qx "  Filter \"ebpf-plugin.conf\"" $snip'
	out=$("$COLLECTD" -T -C "$tmp/collectd.conf" 2>&1)
	rc=$?
	expect "collectd -T -C <conf including the enabled snippet> (rc $rc)" '[ $rc -eq 0 ]' ||
		echo "$out" | tail -n 10
	if [ "$(stat -f -c %T /sys/fs/bpf 2>/dev/null)" = bpf_fs ]; then
		expect "the plugin pinned its programs under $PIN (shared with the CLI and the subagent)" \
			'[ -n "$(find $PIN -mindepth 3 2>/dev/null | head -n 1)" ]'
	fi
	# a real upgrade: the same packages repacked as a higher version
	bump ebpfstats && bump ebpfstats-collectd &&
		DEBIAN_FRONTEND=noninteractive dpkg -i "$tmp/ebpfstats.up.deb" "$tmp/ebpfstats-collectd.up.deb" \
			>"$tmp/upgrade.log" 2>&1
	rc=$?
	pins=$(find $PIN -mindepth 3 2>/dev/null | wc -l)
	expect "upgrade to $(dpkg-query -W -f='${Version}' ebpfstats) (rc $rc) keeps the $pins pins and the enabled snippet" \
		'[ $rc -eq 0 ] && { [ "$pins" -gt 0 ] || [ "$(stat -f -c %T /sys/fs/bpf 2>/dev/null)" != bpf_fs ]; } \
		&& grep -q "^<Include" $snip' || tail -n 10 "$tmp/upgrade.log"
	# a removed package keeps its conffiles: collectd must keep starting
	# with the snippet enabled and the plugin gone
	files_of ebpfstats-collectd >"$tmp/collectd.files"
	DEBIAN_FRONTEND=noninteractive apt-get remove -y ebpfstats-collectd >"$tmp/remove.log" 2>&1
	out=$("$COLLECTD" -T -C "$tmp/collectd.conf" 2>&1)
	rc=$?
	expect "removed, not purged, with the snippet enabled: collectd -T still passes (rc $rc)" \
		'[ $rc -eq 0 ] && [ -f $snip ] && [ ! -e /usr/lib/collectd/ebpf.so ]' || echo "$out" | tail -n 5
else
	echo "# collectd missing: the snippet not run"
fi
files_of ebpfstats-collectd >>"$tmp/collectd.files" 2>/dev/null
cat "$tmp/core.files" >>"$tmp/collectd.files"
purge ebpfstats-collectd ebpfstats
rc=$?
left=$(nothing_left "$tmp/collectd.files")
expect "purging ebpfstats-collectd and ebpfstats leaves nothing, pins and the edited snippet included (rc $rc${left:+; left:$left})" \
	'[ $rc -eq 0 ] && [ -z "$left" ]'
expect "the removal said that it unloads the pins" 'grep -q "ebpfstats unload" "$tmp/purge.log"'

# -- ebpfstats-snmp (with ebpfstats)
install ebpfstats ebpfstats-snmp
rc=$?
expect "ebpfstats-snmp installs with ebpfstats alone (rc $rc)" '[ $rc -eq 0 ]' || tail -n 15 "$tmp/apt.log"
unit=/lib/systemd/system/ebpfstats-agentx.service
expect "ebpfstats-snmp: subagent, unit, MIB in snmpd's MIB dir, snmpd example, man page" \
	'has ebpfstats-snmp /usr/sbin/ebpfstats-agentx $unit /usr/share/snmp/mibs/EBPFSTATS-MIB.txt \
		/usr/share/doc/ebpfstats-snmp/examples/snmpd.conf.example /usr/share/man/man8/ebpfstats-agentx.8.gz'
expect "the system user and group ebpfstats exist, without a shell" \
	'getent group ebpfstats >/dev/null && getent passwd ebpfstats | grep -q ":/nonexistent:/usr/sbin/nologin$"'
expect "the unit is not enabled" \
	'[ -z "$(ls /etc/systemd/system/*.wants/ebpfstats-agentx.service 2>/dev/null)" ]'
expect "nothing of the collectd side came with it" \
	'[ ! -e /usr/lib/collectd/ebpf.so ] && [ ! -e $snip ] && ! ldd /usr/sbin/ebpfstats-agentx | grep -q collectd'
expect "ebpfstats-agentx -V runs" 'ebpfstats-agentx -V >/dev/null 2>&1'
if [ -d /run/systemd/system ]; then
	# the unit Wants snmpd.service: the cleanup stops an snmpd it started
	systemctl is-active -q snmpd.service || : >"$tmp/stop-snmpd"
	systemctl start ebpfstats-agentx.service >/dev/null 2>&1
	expect "the unit starts" 'systemctl is-active -q ebpfstats-agentx.service'
fi
DEBIAN_FRONTEND=noninteractive dpkg -i "$(deb ebpfstats)" "$(deb ebpfstats-snmp)" >>"$tmp/apt.log" 2>&1
rc=$?
expect "installing it again (the upgrade path, user kept) (rc $rc)" '[ $rc -eq 0 ] && getent passwd ebpfstats >/dev/null'
files_of ebpfstats-snmp >"$tmp/snmp.files"
cat "$tmp/core.files" >>"$tmp/snmp.files"
purge ebpfstats-snmp ebpfstats
rc=$?
left=$(nothing_left "$tmp/snmp.files")
expect "purging ebpfstats-snmp and ebpfstats leaves nothing, user and group included (rc $rc${left:+; left:$left})" \
	'[ $rc -eq 0 ] && [ -z "$left" ]'
expect "no ebpfstats-agentx runs after the purge" '! pgrep -f "^/usr/sbin/ebpfstats-agentx" >/dev/null'

# -- ebpfstats-nms, alone
install ebpfstats-nms
rc=$?
expect "ebpfstats-nms installs alone (rc $rc)" '[ $rc -eq 0 ]' || tail -n 15 "$tmp/apt.log"
expect "ebpfstats-nms: check_ebpfstats with monitoring-plugins, Nagios commands, Zabbix template" \
	'has ebpfstats-nms /usr/lib/nagios/plugins/check_ebpfstats /etc/nagios-plugins/config/ebpfstats.cfg \
		/usr/share/ebpfstats/zabbix/template_ebpfstats_snmp.yaml'
out=$(/usr/lib/nagios/plugins/check_ebpfstats -h 2>&1)
expect "check_ebpfstats -h prints its usage" 'echo "$out" | grep -q "^usage: check_ebpfstats"'
expect "no BPF program or library came with it" \
	'[ ! -e /usr/sbin/ebpfstats ] && ! dpkg-query -W -f="\${db:Status-Status}" ebpfstats 2>/dev/null | grep -q "^installed"'
files_of ebpfstats-nms >"$tmp/nms.files"
purge ebpfstats-nms
rc=$?
left=$(nothing_left "$tmp/nms.files")
expect "purging ebpfstats-nms leaves nothing (rc $rc${left:+; left:$left})" '[ $rc -eq 0 ] && [ -z "$left" ]'

# ---- RPM ---------------------------------------------------------------------
t0=$(date +%s)
mk rpm >"$tmp/rpm.log" 2>&1
rc=$?
expect "make rpm: rpmbuild -bb --nodeps from the tarball (rc $rc, $(($(date +%s) - t0)) s)" '[ $rc -eq 0 ]' ||
	tail -n 30 "$tmp/rpm.log"
R=$top_builddir/rpm-build/RPMS
rpmf() { find "$R" -name "$1-[0-9]*.rpm" 2>/dev/null | head -n 1; }
libdir=$(rpm --eval '%{_libdir}')
rpm_has() { # rpm_has PACKAGE PATH...: man pages compressed or not (brp-compress)
	f=$(rpmf "$1")
	[ -n "$f" ] || return 1
	l=$(rpm -qlp "$f" 2>/dev/null)
	shift
	for p in "$@"; do
		echo "$l" | grep -qxE "${p%.gz}(\.gz|\.xz|\.bz2)?" || { echo "# $f lacks $p"; return 1; }
	done
}
expect "ebpfstats RPM: CLI, conffile, man pages, docs" \
	'rpm_has ebpfstats /usr/sbin/ebpfstats /etc/ebpfstats/ebpfstats.yaml /usr/share/man/man8/ebpfstats.8.gz \
		/usr/share/man/man5/ebpfstats.yaml.5.gz /usr/share/doc/ebpfstats/config.md'
expect "ebpfstats-collectd RPM: ebpf.so in %{_libdir}/collectd, types.db, /etc/collectd.d/ebpf.conf, man page" \
	'rpm_has ebpfstats-collectd $libdir/collectd/ebpf.so /usr/share/collectd/ebpf.types.db /etc/collectd.d/ebpf.conf \
		/usr/share/collectd/ebpf-plugin.conf \
		/usr/share/man/man5/collectd-ebpf.5.gz'
expect "ebpfstats-snmp RPM: subagent, unit, MIB in /usr/share/snmp/mibs, man page" \
	'rpm_has ebpfstats-snmp /usr/sbin/ebpfstats-agentx /usr/lib/systemd/system/ebpfstats-agentx.service \
		/usr/share/snmp/mibs/EBPFSTATS-MIB.txt /usr/share/man/man8/ebpfstats-agentx.8.gz'
expect "ebpfstats-nms RPM: check_ebpfstats, Nagios commands, Zabbix template" \
	'rpm_has ebpfstats-nms $libdir/nagios/plugins/check_ebpfstats /etc/nagios/conf.d/ebpfstats.cfg \
		/usr/share/ebpfstats/zabbix/template_ebpfstats_snmp.yaml'
f=$(rpmf ebpfstats-collectd)
expect "ebpfstats-collectd RPM requires no net-snmp library" \
	'[ -n "$f" ] && ! rpm -qp --requires "$f" 2>/dev/null | grep -qi snmp'
f=$(rpmf ebpfstats-snmp)
expect "ebpfstats-snmp RPM requires no collectd, has its scriptlets" \
	'[ -n "$f" ] && ! rpm -qp --requires "$f" 2>/dev/null | grep -qi collectd && rpm -qp --scripts "$f" | grep -q useradd'
f=$(rpmf ebpfstats)
expect "ebpfstats RPM unloads the pins on erase" \
	'[ -n "$f" ] && rpm -qp --scripts "$f" | grep -q "ebpfstats unload"'

echo "# $(($(date +%s) - start)) s"
finish
