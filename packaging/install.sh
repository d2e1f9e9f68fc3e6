#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# install.sh [DESTDIR [PREFIX]]: install the systemd unit, the udev rule,
# the bash completion and the DKMS source tree (see Makefile).
set -e
here=$(cd "$(dirname "$0")" && pwd)
exec make -C "$here" install install-dkms DESTDIR="${1:-}" PREFIX="${2:-/usr}"
