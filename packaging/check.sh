#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# check.sh: static checks of the packaging files, no kernel needed.
#   - systemd-analyze verify of egm.service (egmfs taken from the build
#     tree, since it is not installed on the build host);
#   - the udev rule parses (udevadm verify, systemd >= 254) and names the
#     link from EGM_INSTANCE;
#   - dkms.conf has the fields DKMS needs; with KDIR= (kernel headers) the
#     MAKE line builds egm.ko from an installed DKMS source tree, as DKMS
#     would.
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

# --- egm.service
egmfs=$top/tools/egmfs/egmfs
if ! command -v systemd-analyze >/dev/null; then
	skip "systemd-analyze verify egm.service" "no systemd-analyze"
elif [[ ! -x $egmfs ]]; then
	skip "systemd-analyze verify egm.service" "egmfs not built"
else
	sed "s|/usr/sbin/egmfs|$egmfs|" "$here/egm.service" > "$tmp/egm.service"
	if out=$(systemd-analyze verify --man=no "$tmp/egm.service" 2>&1) &&
	   ! grep -v -e 'virtqemud\|libvirtd' <<< "$out" | grep -q .; then
		ok "systemd-analyze verify egm.service"
	else
		nok "systemd-analyze verify egm.service"
		echo "$out" | sed 's/^/# /'
	fi
fi
svc=$(cat "$here/egm.service")
for want in 'Type=oneshot' 'RemainAfterExit=yes' 'ExecStart=/usr/sbin/egmfs restore' \
	    'ExecStop=/usr/sbin/egmfs clear' 'ConditionPathExists=/etc/egm/egm.json' \
	    'After=sys-kernel-config.mount systemd-modules-load.service' \
	    'Before=libvirtd.service virtqemud.service'; do
	if [[ $svc == *"$want"* ]]; then ok "egm.service has $want"; else nok "egm.service has $want"; fi
done

# --- udev rule
rule=$here/udev/70-egm.rules
if grep -q 'SUBSYSTEM=="egm".*ENV{EGM_INSTANCE}=="?\*".*SYMLINK+="egm/$env{EGM_INSTANCE}"' "$rule"; then
	ok "70-egm.rules links /dev/egm/\$EGM_INSTANCE"
else
	nok "70-egm.rules links /dev/egm/\$EGM_INSTANCE"
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
	. "$here/dkms.conf"
	[[ $PACKAGE_NAME == egm && -n $PACKAGE_VERSION &&
	   ${BUILT_MODULE_NAME[0]} == egm &&
	   ${BUILT_MODULE_LOCATION[0]} == drivers/egm/ &&
	   ${DEST_MODULE_LOCATION[0]} == /updates/dkms &&
	   $AUTOINSTALL == yes &&
	   ${MAKE[0]} == "make -C KSRC M=TREE/egm/$PACKAGE_VERSION/build/drivers/egm modules" ]]
) && ok "dkms.conf fields" || nok "dkms.conf fields"

kdir=${KDIR:-$(ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | sort -V | tail -n 1)}
if [[ -z $kdir || ! -d $kdir ]]; then
	skip "DKMS-style build" "no kernel headers (KDIR=)"
else
	make -s -C "$here" install-dkms DESTDIR="$tmp/root" >/dev/null
	ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$here/dkms.conf")
	# what "dkms build" does: copy the source to $dkms_tree/egm/$ver/build
	mkdir -p "$tmp/tree/egm/$ver"
	cp -a "$tmp/root/usr/src/egm-$ver" "$tmp/tree/egm/$ver/build"
	make_cmd=$(kernel_source_dir=$kdir dkms_tree=$tmp/tree bash -c \
		". '$here/dkms.conf'; echo \"\${MAKE[0]}\"")
	if (cd "$tmp/tree/egm/$ver/build" && $make_cmd) > "$tmp/build.log" 2>&1 &&
	   [[ -f $tmp/tree/egm/$ver/build/drivers/egm/egm.ko ]]; then
		ok "DKMS-style build against $(basename "$kdir")"
	else
		nok "DKMS-style build against $(basename "$kdir")"
		sed 's/^/# /' "$tmp/build.log" | tail -n 30
	fi
fi

echo "$passed passed, $failed failed, $skipped skipped"
((failed == 0))
