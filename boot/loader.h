/*
 * Internal interface of Keel's UEFI loader. The loader runs on the firmware
 * (boot services), reads everything Keel needs from its own partition, and
 * hands over one boot-info record (boot/bootinfo.h).
 */
#ifndef KEEL_LOADER_H
#define KEEL_LOADER_H

#include <efi.h>
#include <efilib.h>
#include "boot/bootinfo.h"

#define LOADER_VERSION "0.1.0"

/* console.c: messages go to COM1 directly (the firmware console may not be
 * the serial port); errors also go to the firmware console. */
void con_init(void);
void con_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void con_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* files.c: the \keel directory of the boot partition. */
EFI_STATUS files_open_dir(EFI_HANDLE image, EFI_FILE_HANDLE *dir);
EFI_STATUS files_read(EFI_FILE_HANDLE dir, const CHAR16 *name, void **buf, UINTN *size);
EFI_STATUS files_load_all(EFI_FILE_HANDLE dir, struct bootinfo *bi);

/* elf.c: load the kernel ELF into fresh pages. */
EFI_STATUS elf_load(const void *image, UINTN size, UINT64 *phys, UINT64 *vbase,
		    UINT64 *span, UINT64 *entry);

/* paging.c: the page tables the kernel starts on. */
EFI_STATUS paging_build(UINT64 top, UINT64 kphys, UINT64 kvbase, UINT64 kspan, UINT64 *cr3);

/* Allocate pages of Keel's own memory type (survives the handover). */
EFI_STATUS alloc_keel_pages(UINTN pages, UINT64 max_addr, UINT64 *phys);

#endif
