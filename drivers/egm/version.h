/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one version string of egm: MODULE_VERSION of egm.ko, "egmfs
 * --version" (tools/egmfs/Makefile reads it from here) and the DKMS
 * package version (packaging/Makefile writes it into dkms.conf).
 */
#ifndef EGM_VERSION_H
#define EGM_VERSION_H

#define EGM_VERSION "0.2"

#endif
