/* SPDX-License-Identifier: GPL-2.0 */
/*
 * SSDT for the egm test guest, delivered by initrd ACPI table upgrade
 * (kernel/firmware/acpi/egm.aml, first in the initrd).
 *
 * It describes the guest's two EGM regions the way Grace firmware does:
 * one NVDA2008 device per GPU, each carrying _DSD device properties.
 *   EGM0, EGM1: two GPUs of socket 0, describing the same region
 *               (64 MiB at EGM_S0_BASE, PXM 0) and the same retired-pages
 *               table at EGM_RT_BASE (see mkretired).
 *   EGM2:       the GPU of socket 1 (1 GiB at EGM_S1_BASE, PXM 1), no
 *               retired-pages table.
 * The addresses are the guest layout of the architecture and boot
 * (tools/testing/lib.sh: x86_64 0x30000000, 0x100000000, 0x2fff0000);
 * mkinitramfs writes them to egm-layout.h for iasl. The ranges are kept
 * from the guest kernel with memmap=…$… on x86_64 and above mem= on arm64
 * (see run).
 */
#include "egm-layout.h"

DefinitionBlock ("egm.aml", "SSDT", 2, "EGMTST", "EGMGUEST", 0x00000001)
{
    Scope (\_SB)
    {
        Device (EGM0)
        {
            Name (_HID, "NVDA2008")
            Name (_UID, 0)
            Name (_DSD, Package ()
            {
                ToUUID ("daffd814-6eba-4d8c-8a91-bc9bbf4aa301"),
                Package ()
                {
                    Package () { "nvidia,egm-pxm", 0 },
                    Package () { "nvidia,egm-base-pa", EGM_S0_BASE },
                    Package () { "nvidia,egm-size", 0x4000000 },
                    Package () { "nvidia,egm-retired-pages-data-base", EGM_RT_BASE },
                }
            })
        }

        Device (EGM1)
        {
            Name (_HID, "NVDA2008")
            Name (_UID, 1)
            Name (_DSD, Package ()
            {
                ToUUID ("daffd814-6eba-4d8c-8a91-bc9bbf4aa301"),
                Package ()
                {
                    Package () { "nvidia,egm-pxm", 0 },
                    Package () { "nvidia,egm-base-pa", EGM_S0_BASE },
                    Package () { "nvidia,egm-size", 0x4000000 },
                    Package () { "nvidia,egm-retired-pages-data-base", EGM_RT_BASE },
                }
            })
        }

        Device (EGM2)
        {
            Name (_HID, "NVDA2008")
            Name (_UID, 2)
            Name (_DSD, Package ()
            {
                ToUUID ("daffd814-6eba-4d8c-8a91-bc9bbf4aa301"),
                Package ()
                {
                    Package () { "nvidia,egm-pxm", 1 },
                    Package () { "nvidia,egm-base-pa", EGM_S1_BASE },
                    Package () { "nvidia,egm-size", 0x40000000 },
                }
            })
        }
    }
}
