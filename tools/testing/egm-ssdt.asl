/* SPDX-License-Identifier: GPL-2.0 */
/*
 * SSDT for the egm test guest, delivered by initrd ACPI table upgrade
 * (kernel/firmware/acpi/egm.aml, first in the initrd).
 *
 * It describes the guest's two EGM regions the way Grace firmware
 * (edk2-nvidia) does: the nvidia,egm-* _DSD properties sit in the ACPI
 * node of every GPU of the socket, and every GPU carries its own copy of
 * the socket's retired-pages table.
 *
 * x86_64 (EGM_GPU_COMPANIONS): QEMU's DSDT has a device per PCI slot
 * under \_SB.PCI0 (S28 = slot 5, S30 = slot 6, S38 = slot 7); the guest
 * has an edu PCI device in each of them (tools/testing/lib.sh), so these
 * nodes are the ACPI companions of "GPUs":
 *   S28, S30: the two GPUs of socket 0, describing the same region
 *             (64 MiB at EGM_S0_BASE, PXM 0), with their table copies at
 *             EGM_RT_BASE and EGM_RT2_BASE (the second has one entry
 *             more, see mkretired);
 *   S38:      the GPU of socket 1 (1 GiB at EGM_S1_BASE, PXM 1, the
 *             memory-only proximity domain), no retired table;
 *   EGM0:     an NVDA2008 device that is nobody's companion, describing
 *             socket 0 too with the first table copy: egm must accept
 *             descriptions outside GPU nodes as well.
 * EGM_GPU_CONFLICT (the harness's "conflict" boot): the second GPU of
 * socket 0 (S30; arm64: EGM1) gives the region twice the size, so egm
 * must reject socket 0 with one line naming both devices.
 * arm64 (the UEFI boot): the virt machine's DSDT has no slot devices, so
 * NVDA2008 devices carry the same descriptions: EGM0 and EGM1 for socket
 * 0 (one table copy each), EGM2 for socket 1.
 * The addresses are the guest layout of the architecture and boot
 * (tools/testing/lib.sh); mkinitramfs writes them to egm-layout.h for
 * iasl. The ranges are kept from the guest kernel with memmap=…$… on
 * x86_64 and above mem= on arm64 (see run).
 */
#include "egm-layout.h"

#define EGM_UUID	ToUUID ("daffd814-6eba-4d8c-8a91-bc9bbf4aa301")
#define EGM_S0_SIZE	0x4000000
#define EGM_S1_SIZE	0x40000000
#ifdef EGM_GPU_CONFLICT
#define EGM_S0_SIZE_2	0x8000000
#else
#define EGM_S0_SIZE_2	0x4000000	/* = EGM_S0_SIZE (iasl expands once) */
#endif

DefinitionBlock ("egm.aml", "SSDT", 2, "EGMTST", "EGMGUEST", 0x00000002)
{
#ifdef EGM_GPU_COMPANIONS
    External (\_SB.PCI0.S28, DeviceObj)
    External (\_SB.PCI0.S30, DeviceObj)
    External (\_SB.PCI0.S38, DeviceObj)

    Scope (\_SB.PCI0.S28)
    {
        Name (_DSD, Package ()
        {
            EGM_UUID,
            Package ()
            {
                Package () { "nvidia,egm-pxm", 0 },
                Package () { "nvidia,egm-base-pa", EGM_S0_BASE },
                Package () { "nvidia,egm-size", EGM_S0_SIZE },
                Package () { "nvidia,egm-retired-pages-data-base", EGM_RT_BASE },
            }
        })
    }

    Scope (\_SB.PCI0.S30)
    {
        Name (_DSD, Package ()
        {
            EGM_UUID,
            Package ()
            {
                Package () { "nvidia,egm-pxm", 0 },
                Package () { "nvidia,egm-base-pa", EGM_S0_BASE },
                Package () { "nvidia,egm-size", EGM_S0_SIZE_2 },
                Package () { "nvidia,egm-retired-pages-data-base", EGM_RT2_BASE },
            }
        })
    }

    Scope (\_SB.PCI0.S38)
    {
        Name (_DSD, Package ()
        {
            EGM_UUID,
            Package ()
            {
                Package () { "nvidia,egm-pxm", 1 },
                Package () { "nvidia,egm-base-pa", EGM_S1_BASE },
                Package () { "nvidia,egm-size", EGM_S1_SIZE },
            }
        })
    }
#endif

    Scope (\_SB)
    {
        Device (EGM0)
        {
            Name (_HID, "NVDA2008")
            Name (_UID, 0)
            Name (_DSD, Package ()
            {
                EGM_UUID,
                Package ()
                {
                    Package () { "nvidia,egm-pxm", 0 },
                    Package () { "nvidia,egm-base-pa", EGM_S0_BASE },
                    Package () { "nvidia,egm-size", EGM_S0_SIZE },
                    Package () { "nvidia,egm-retired-pages-data-base", EGM_RT_BASE },
                }
            })
        }

#ifndef EGM_GPU_COMPANIONS
        Device (EGM1)
        {
            Name (_HID, "NVDA2008")
            Name (_UID, 1)
            Name (_DSD, Package ()
            {
                EGM_UUID,
                Package ()
                {
                    Package () { "nvidia,egm-pxm", 0 },
                    Package () { "nvidia,egm-base-pa", EGM_S0_BASE },
                    Package () { "nvidia,egm-size", EGM_S0_SIZE_2 },
                    Package () { "nvidia,egm-retired-pages-data-base", EGM_RT2_BASE },
                }
            })
        }

        Device (EGM2)
        {
            Name (_HID, "NVDA2008")
            Name (_UID, 2)
            Name (_DSD, Package ()
            {
                EGM_UUID,
                Package ()
                {
                    Package () { "nvidia,egm-pxm", 1 },
                    Package () { "nvidia,egm-base-pa", EGM_S1_BASE },
                    Package () { "nvidia,egm-size", EGM_S1_SIZE },
                }
            })
        }
#endif
    }
}
