/*
 * Linux x86 boot protocol loader (bzImage): loads the protected-mode part
 * of a stock Linux kernel, places the initrd and the command line, and
 * builds the zero page (struct boot_params) with an e820 map of the guest.
 * The caller enters the kernel in 64-bit mode at entry64 with RSI = the
 * zero page, on identity-mapped page tables covering everything placed
 * here, interrupts off (boot.rst "64-bit Boot Protocol"); or, if the kernel
 * has no 64-bit entry, in flat 32-bit protected mode at entry32 with
 * ESI = the zero page (boot.rst "32-bit Boot Protocol").
 *
 * Pure code: guest memory is reached only through the mb_guest callbacks
 * of vmm/multiboot.h. The image and the initrds are untrusted: every header
 * field is validated against the file and the whole layout is computed
 * before the first byte is written, so a rejected image leaves guest memory
 * untouched.
 *
 * Specification cited: Linux Documentation/arch/x86/boot.rst ("The Real-
 * Mode Kernel Header", "Details of Header Fields", "Loading the Rest of the
 * Kernel", "64-bit Boot Protocol") and Documentation/arch/x86/zero-page.rst.
 * Protocol 2.12 (Linux 3.8) or later is required. Little-endian throughout.
 */
#ifndef KEEL_BZIMAGE_H
#define KEEL_BZIMAGE_H

#include "kernel/klib.h"
#include "vmm/multiboot.h"

/* -------------------------- setup header (boot.rst "The Real-Mode Kernel
 * Header"); offsets are from the start of the image, which are also the
 * offsets of the same fields inside the zero page. */
#define BZ_SETUP_SECTS		0x1f1	/* u8; 0 means 4 */
#define BZ_SYSSIZE		0x1f4	/* u32, 16-byte paragraphs */
#define BZ_BOOT_FLAG		0x1fe	/* u16, 0xaa55 */
#define BZ_JUMP			0x200	/* u16: short jump; byte 0x201 is its offset */
#define BZ_JUMP_OFFSET		0x201	/* u8: the header ends at 0x202 + this */
#define BZ_HEADER		0x202	/* u32, "HdrS" */
#define BZ_VERSION		0x206	/* u16, major << 8 | minor */
#define BZ_TYPE_OF_LOADER	0x210	/* u8 */
#define BZ_LOADFLAGS		0x211	/* u8 */
#define BZ_CODE32_START		0x214	/* u32 */
#define BZ_RAMDISK_IMAGE	0x218	/* u32 */
#define BZ_RAMDISK_SIZE		0x21c	/* u32 */
#define BZ_HEAP_END_PTR		0x224	/* u16 */
#define BZ_CMD_LINE_PTR		0x228	/* u32 */
#define BZ_INITRD_ADDR_MAX	0x22c	/* u32, highest address of the initrd */
#define BZ_KERNEL_ALIGNMENT	0x230	/* u32 */
#define BZ_RELOCATABLE_KERNEL	0x234	/* u8 */
#define BZ_MIN_ALIGNMENT	0x235	/* u8, log2 */
#define BZ_XLOADFLAGS		0x236	/* u16 */
#define BZ_CMDLINE_SIZE		0x238	/* u32, without the terminating NUL */
#define BZ_PREF_ADDRESS		0x258	/* u64 */
#define BZ_INIT_SIZE		0x260	/* u32 */
#define BZ_HEADER_MIN_END	0x264	/* init_size is the last field we read */
#define BZ_HEADER_MAX_END	0x290	/* the setup header's room in boot_params */

#define BZ_HEADER_MAGIC		0x53726448u	/* "HdrS" little-endian */
#define BZ_SECTOR_SIZE		512
#define BZ_DEFAULT_SETUP_SECTS	4	/* when setup_sects is 0 */
#define BZ_MIN_VERSION		0x020c	/* 2.12: xloadflags, 64-bit entry */
#define BZ_LOADER_UNDEFINED	0xff	/* type_of_loader: no assigned ID */

/* loadflags ("Details of Header Fields"). */
#define BZ_LOADED_HIGH		(1u << 0)	/* protected-mode code at 1 MiB+ */
#define BZ_CAN_USE_HEAP		(1u << 7)

/* xloadflags. */
#define BZ_XLF_KERNEL_64	(1u << 0)	/* 64-bit entry at load + 0x200 */
#define BZ_XLF_CAN_BE_LOADED_ABOVE_4G (1u << 1)
#define BZ_ENTRY64_OFFSET	0x200

/* -------------------------------- zero page (zero-page.rst) */
#define BZ_ZP_SIZE		4096
#define BZ_ZP_ACPI_RSDP_ADDR	0x070	/* u64, protocol 2.14+ */
#define BZ_ZP_EXT_RAMDISK_IMAGE	0x0c0	/* u32, bits 63:32 */
#define BZ_ZP_EXT_RAMDISK_SIZE	0x0c4	/* u32 */
#define BZ_ZP_EXT_CMD_LINE_PTR	0x0c8	/* u32 */
#define BZ_ZP_E820_ENTRIES	0x1e8	/* u8 */
#define BZ_ZP_E820_TABLE	0x2d0	/* struct boot_e820_entry[128] */
#define BZ_E820_MAX		128
#define BZ_E820_ADDR		0	/* u64 */
#define BZ_E820_SIZE		8	/* u64 */
#define BZ_E820_TYPE		16	/* u32, MB_MEM_* */
#define BZ_E820_ENTRY_SIZE	20

/* Where Keel puts the zero page and the command line: low RAM below the
 * EBDA, clear of the real-mode IVT/BDA at 0 and of the kernel (>= 1 MiB).
 * Linux copies both early, so the memory need not stay reserved. */
#define BZ_ZERO_PAGE_ADDR	0x7000
#define BZ_CMDLINE_ADDR		0x8000

/* ------------------------------------------------------------ interface */

/* Where things went. entry64 is 0 if the kernel has no 64-bit entry
 * (XLF_KERNEL_64 clear); entry32 is always the load address. The kernel
 * may use all of [load_addr, load_end) (init_size) while it boots. */
struct bz_result {
	uint64_t entry64;
	uint32_t entry32;
	uint64_t zero_page;		/* RSI (ESI) at entry */
	uint64_t load_addr, load_end;
	uint64_t initrd_addr, initrd_size;	/* 0, 0 without an initrd */
	uint64_t cmdline_addr;
	uint16_t version;		/* boot protocol, major << 8 | minor */
};

/* 1 if 'image' has a Linux setup header ("HdrS" at 0x202), else 0. The
 * version and flags are checked by bz_load, which explains a refusal. */
int bz_probe(const void *image, size_t size);

/* Load the bzImage 'image' (untrusted) with the command line 'cmdline'
 * (NULL means "") and the initrd made of 'nr_initrds' blobs concatenated
 * (each starting 4-byte aligned, as cpio archives need; their strings are
 * ignored). 'rsdp' is the guest physical address of the ACPI RSDP, or 0.
 * Everything is placed in usable RAM below 4 GiB:
 *   - the kernel at pref_address if [pref_address, + init_size) is usable
 *     RAM, else (relocatable kernels only) at the lowest kernel_alignment-
 *     aligned address at or above 1 MiB where init_size fits;
 *   - the initrd page aligned, as high as possible below initrd_addr_max,
 *     at or above 1 MiB and outside the kernel's init_size window;
 *   - the zero page at BZ_ZERO_PAGE_ADDR, the command line at
 *     BZ_CMDLINE_ADDR.
 * Only the file's bytes are written at the load address; the kernel clears
 * its own bss. Returns 0, or a negative E_* code with a sentence in
 * why[whylen]:
 *   -E_NOENT no setup header, -E_NOTSUP protocol older than 2.12 or not
 *   LOADED_HIGH, -E_INVAL malformed image or arguments, -E_RANGE the
 *   kernel or the command line does not fit, -E_NOMEM no room for the
 *   initrd, or whatever a callback returned. */
int bz_load(const void *image, size_t size, const char *cmdline,
	    const struct mb_module *initrds, unsigned nr_initrds, uint64_t rsdp,
	    const struct mb_guest *g, struct bz_result *out,
	    char *why, size_t whylen);

#endif
