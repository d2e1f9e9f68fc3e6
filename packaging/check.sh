#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# check.sh: static checks of the packaging files, no kernel needed.
#   - systemd-analyze verify of egm.service (generated from egm.service.in;
#     egmfs taken from the build tree); restore at start and reload, no
#     ExecStop, and its stop/reload command lines leave an open instance
#     alone (fake tree); make install PREFIX=/usr/local / make uninstall;
#   - one version string; the admin guide's libvirt example validates
#     against libvirt's schema (virt-xml-validate);
#   - the udev rule parses (udevadm verify, systemd >= 254) and names the
#     link from EGM_INSTANCE;
#   - dkms.conf has the fields DKMS needs; with KDIR= (kernel headers) the
#     MAKE line builds egm.ko from an installed DKMS source tree, as DKMS
#     would, and make install-module / uninstall put egm.ko under the
#     headers' release and remove it.
# Prints "N passed, N failed".
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0 skipped=0

ok() { passed=$((passed + 1)); echo "ok - $1"; }
nok() { failed=$((failed + 1)); echo "not ok - $1"; }
skip() { skipped=$((skipped + 1)); echo "ok - $1 # SKIP $2"; }

make -s -C "$here" all >/dev/null		# build/packaging/{egm.service,dkms.conf}
gen=$top/build/packaging

# --- egm.service (generated from egm.service.in)
egmfs=$top/tools/egmfs/egmfs
if ! command -v systemd-analyze >/dev/null; then
	skip "systemd-analyze verify egm.service" "no systemd-analyze"
elif [[ ! -x $egmfs ]]; then
	skip "systemd-analyze verify egm.service" "egmfs not built"
else
	sed "s|/usr/sbin/egmfs|$egmfs|" "$gen/egm.service" > "$tmp/egm.service"
	if out=$(systemd-analyze verify --man=no "$tmp/egm.service" 2>&1) &&
	   ! grep -v -e 'virtqemud\|libvirtd\|libvirt-guests' <<< "$out" | grep -q .; then
		ok "systemd-analyze verify egm.service"
	else
		nok "systemd-analyze verify egm.service"
		echo "$out" | sed 's/^/# /'
	fi
fi
svc=$(cat "$gen/egm.service")
for want in 'Type=oneshot' 'RemainAfterExit=yes' 'ExecStart=/usr/sbin/egmfs restore /etc/egm/egm.json' \
	    'ExecReload=/usr/sbin/egmfs restore /etc/egm/egm.json' \
	    'ExecStartPost=-/usr/sbin/egmfs cdi --output /var/run/cdi/egm.json' \
	    'ConditionPathExists=/etc/egm/egm.json' \
	    'After=sys-kernel-config.mount systemd-modules-load.service systemd-udevd.service' \
	    'Before=libvirtd.service virtqemud.service'; do
	if [[ $svc == *"$want"* ]]; then ok "egm.service has $want"; else nok "egm.service has $want"; fi
done
# stop or restart must never destroy instances
if grep -q '^ExecStop' <<< "$svc"; then nok "egm.service has no ExecStop"; else ok "egm.service has no ExecStop"; fi
if grep -q '@[A-Z]*@' <<< "$svc"; then nok "egm.service: every @VAR@ substituted"; else ok "egm.service: every @VAR@ substituted"; fi

# What the unit's stop and reload run, against a fake tree whose instance
# is open (a running VM): nothing changes. The command lines are taken
# from the generated unit itself, egmfs pointed at the fake tree.
R=$tmp/fake
mkdir -p "$R/instances/vm0" "$R/regions/socket1" "$R/etc/egm"
for kv in base=4294967296 size=1073741824 pxm=1 numa_node=1 source=param free=1069547520 retired_pages=0; do
	echo "${kv#*=}" > "$R/regions/socket1/${kv%%=*}"
done
echo > "$R/regions/socket1/retired"; echo > "$R/regions/socket1/devices"
for kv in region=socket1 offset=0 size=4194304 scrub=zero uid=0 gid=0 mode=0600 enable=1 minor=0 dev=250:0 state=open; do
	echo "${kv#*=}" > "$R/instances/vm0/${kv%%=*}"
done
printf '{"version": 1, "instances": [{"name": "vm0", "region": "socket1", "size": 4194304, "enable": true}]}\n' > "$R/etc/egm/egm.json"
snap() { (cd "$R/instances" && grep -r . | sort); }
before=$(snap)
rc=0
while IFS= read -r line; do
	cmd=${line#*=}; cmd=${cmd#-}
	cmd=${cmd//\/etc\/egm\/egm.json/$R/etc/egm/egm.json}
	cmd=${cmd//\/var\/run\/cdi\/egm.json/$R/cdi.json}
	cmd=${cmd/\/usr\/sbin\/egmfs/$egmfs --root $R}
	EGM_SYSFS=$R/sys EGM_DEVDIR=$R/dev $cmd --help >/dev/null 2>&1 || true
	EGM_SYSFS=$R/sys EGM_DEVDIR=$R/dev $cmd > "$tmp/exec.log" 2>&1 || rc=1
done < <(grep -E '^Exec(Stop|Reload)' <<< "$svc")
if [[ -x $egmfs && $rc == 0 && $(snap) == "$before" ]]; then
	ok "the unit's ExecStop/ExecReload leave an open instance untouched"
else
	nok "the unit's ExecStop/ExecReload leave an open instance untouched"
	sed 's/^/# /' "$tmp/exec.log"; diff <(echo "$before") <(snap) | sed 's/^/# /'
fi

# make install with PREFIX=/usr/local: the unit runs /usr/local/sbin/egmfs;
# make uninstall removes every file install put there
if [[ -x $egmfs ]]; then
	make -s -C "$top" install-tools DESTDIR="$tmp/inst" PREFIX=/usr/local > "$tmp/inst.log" 2>&1
	u=$tmp/inst/etc/systemd/system/egm.service
	if [[ -f $u ]] && grep -qx 'ExecStart=/usr/local/sbin/egmfs restore /etc/egm/egm.json' "$u" &&
	   [[ -x $tmp/inst/usr/local/sbin/egmfs && -f $tmp/inst/usr/local/include/egm/linux/egm.h &&
	      -f $tmp/inst/usr/local/share/bash-completion/completions/egmfs ]]; then
		ok "make install PREFIX=/usr/local: unit runs /usr/local/sbin/egmfs"
	else
		nok "make install PREFIX=/usr/local: unit runs /usr/local/sbin/egmfs"
		sed 's/^/# /' "$tmp/inst.log"; find "$tmp/inst" | sed 's/^/# /'
	fi
	make -s -C "$top" uninstall DESTDIR="$tmp/inst" PREFIX=/usr/local KREL= > "$tmp/uninst.log" 2>&1
	left=$(find "$tmp/inst" -type f)
	if [[ -z $left ]]; then ok "make uninstall removes every installed file"
	else nok "make uninstall removes every installed file"; echo "$left" | sed 's/^/# left: /'; fi
else
	skip "make install PREFIX=/usr/local" "egmfs not built"
fi

# one version: module, egmfs, DKMS
ver=$(sed -n 's/^#define EGM_VERSION "\(.*\)"/\1/p' "$top/drivers/egm/version.h")
if [[ -n $ver && $(grep -c "^MODULE_VERSION(EGM_VERSION);" "$top/drivers/egm/main.c") == 1 &&
      $(grep '^PACKAGE_VERSION=' "$gen/dkms.conf") == "PACKAGE_VERSION=\"$ver\"" &&
      ( ! -x $egmfs || $("$egmfs" --version) == "egmfs $ver" ) ]]; then
	ok "one version string ($ver): MODULE_VERSION, egmfs --version, dkms.conf"
else
	nok "one version string: MODULE_VERSION, egmfs --version, dkms.conf"
fi

# the libvirt example of the admin guide, against libvirt's own schema
xml=$top/Documentation/admin-guide/egm-libvirt.xml
if ! command -v virt-xml-validate >/dev/null; then
	skip "virt-xml-validate egm-libvirt.xml" "no virt-xml-validate (libvirt-clients)"
elif virt-xml-validate "$xml" domain > "$tmp/v.log" 2>&1 &&
     sed 's|<name>vm1</name>|<nom>vm1</nom>|' "$xml" > "$tmp/bad.xml" &&
     ! virt-xml-validate "$tmp/bad.xml" domain >/dev/null 2>&1; then
	ok "virt-xml-validate egm-libvirt.xml (and it rejects a broken copy)"
else
	nok "virt-xml-validate egm-libvirt.xml"; sed 's/^/# /' "$tmp/v.log"
fi

# --- udev rule
rule=$here/udev/70-egm.rules
if grep -q 'SUBSYSTEM=="egm".*ENV{EGM_INSTANCE}=="?\*".*SYMLINK+="egm/$env{EGM_INSTANCE}".*TAG+="systemd"' "$rule"; then
	ok "70-egm.rules links /dev/egm/\$EGM_INSTANCE, TAG+=systemd"
else
	nok "70-egm.rules links /dev/egm/\$EGM_INSTANCE, TAG+=systemd"
fi
if udevadm verify --help >/dev/null 2>&1; then
	if udevadm verify "$rule"; then ok "udevadm verify"; else nok "udevadm verify"; fi
else
	skip "udevadm verify" "udevadm too old or missing"
fi

# --- dkms.conf
# shellcheck disable=SC1090,SC2034
(
	kernel_source_dir=KSRC dkms_tree=TREE
	. "$gen/dkms.conf"
	[[ $PACKAGE_NAME == egm && -n $PACKAGE_VERSION &&
	   ${BUILT_MODULE_NAME[0]} == egm &&
	   ${BUILT_MODULE_LOCATION[0]} == drivers/egm/ &&
	   ${DEST_MODULE_LOCATION[0]} == /updates/dkms &&
	   $AUTOINSTALL == yes &&
	   6.1.0-28-amd64 =~ $BUILD_EXCLUSIVE_KERNEL && 6.12.118+deb13-arm64 =~ $BUILD_EXCLUSIVE_KERNEL &&
	   7.3.0-1-amd64 =~ $BUILD_EXCLUSIVE_KERNEL && 10.0.1 =~ $BUILD_EXCLUSIVE_KERNEL &&
	   ! 6.0.12-amd64 =~ $BUILD_EXCLUSIVE_KERNEL && ! 5.15.0-91-generic =~ $BUILD_EXCLUSIVE_KERNEL &&
	   ${MAKE[0]} == "make -C KSRC M=TREE/egm/$PACKAGE_VERSION/build/drivers/egm modules" ]]
) && ok "dkms.conf fields" || nok "dkms.conf fields"

kdir=${KDIR:-$(ls -d /lib/modules/"$(uname -r)"/build /usr/src/linux-headers-*-"$(dpkg --print-architecture 2>/dev/null || echo amd64)" 2>/dev/null | sort -V | tail -n 1)}
if [[ -z $kdir || ! -d $kdir ]]; then
	skip "DKMS-style build" "no kernel headers (KDIR=)"
else
	make -s -C "$here" install-dkms DESTDIR="$tmp/root" >/dev/null
	ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$gen/dkms.conf")
	# what "dkms build" does: copy the source to $dkms_tree/egm/$ver/build
	mkdir -p "$tmp/tree/egm/$ver"
	cp -a "$tmp/root/usr/src/egm-$ver" "$tmp/tree/egm/$ver/build"
	make_cmd=$(kernel_source_dir=$kdir dkms_tree=$tmp/tree bash -c \
		". '$gen/dkms.conf'; echo \"\${MAKE[0]}\"")
	if (cd "$tmp/tree/egm/$ver/build" && $make_cmd) > "$tmp/build.log" 2>&1 &&
	   [[ -f $tmp/tree/egm/$ver/build/drivers/egm/egm.ko ]]; then
		ok "DKMS-style build against $(basename "$kdir")"
	else
		nok "DKMS-style build against $(basename "$kdir")"
		sed 's/^/# /' "$tmp/build.log" | tail -n 30
	fi
fi

# make install's module half against the same headers: egm.ko lands in
# /lib/modules/<UTS_RELEASE of the headers>/updates (Debian's "make
# kernelrelease" says 6.1.192 for 6.1.0-57-amd64) and make uninstall
# finds it there again.
if [[ -n $kdir && -d $kdir && -f $kdir/include/generated/utsrelease.h ]]; then
	krel=$(sed -n 's/^#define UTS_RELEASE "\(.*\)"/\1/p' "$kdir/include/generated/utsrelease.h")
	make -s -C "$top" install-module DESTDIR="$tmp/mod" KDIR="$kdir" > "$tmp/mod.log" 2>&1
	if [[ -f $tmp/mod/lib/modules/$krel/updates/egm.ko ]]; then
		ok "make install-module: egm.ko in /lib/modules/$krel/updates"
	else
		nok "make install-module: egm.ko in /lib/modules/$krel/updates"
		tail -n 20 "$tmp/mod.log" | sed 's/^/# /'; find "$tmp/mod" -type f | sed 's/^/# /'
	fi
	make -s -C "$top" uninstall DESTDIR="$tmp/mod" KDIR="$kdir" > "$tmp/unmod.log" 2>&1
	left=$(find "$tmp/mod" -type f)
	if [[ -z $left ]]; then ok "make uninstall removes the module make install-module put there"
	else nok "make uninstall removes the module make install-module put there"; echo "$left" | sed 's/^/# left: /'; fi
else
	skip "make install-module" "no prepared kernel headers (KDIR=)"
fi

echo "$passed passed, $failed failed, $skipped skipped"
((failed == 0))
