/*
 * Loading the kernel: an ELF64 executable linked at a high virtual address
 * (linker.ld). Its PT_LOAD segments are copied into one physically
 * contiguous block of Keel memory, 2 MiB aligned so that the boot page
 * tables can map it with large pages; the block keeps the segments' relative
 * layout, so virtual address v lives at phys + (v - vbase).
 */
#include "boot/loader.h"

#define ELF_MAGIC	0x464c457f	/* "\x7fELF" */
#define ELFCLASS64	2
#define ELFDATA2LSB	1
#define ET_EXEC		2
#define EM_X86_64	62
#define PT_LOAD		1
#define LARGE_PAGE	0x200000ULL

typedef struct {
	UINT32 magic;
	UINT8 cls, data, version, osabi, pad[8];
	UINT16 type, machine;
	UINT32 version2;
	UINT64 entry, phoff, shoff;
	UINT32 flags;
	UINT16 ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
} elf64_ehdr;

typedef struct {
	UINT32 type, flags;
	UINT64 offset, vaddr, paddr, filesz, memsz, align;
} elf64_phdr;

static const elf64_phdr *phdr(const void *image, const elf64_ehdr *eh, UINTN i)
{
	return (const elf64_phdr *)((const UINT8 *)image + eh->phoff + i * eh->phentsize);
}

static EFI_STATUS check_header(const elf64_ehdr *eh, UINTN size)
{
	if (size < sizeof(*eh) || eh->magic != ELF_MAGIC || eh->cls != ELFCLASS64 ||
	    eh->data != ELFDATA2LSB || eh->type != ET_EXEC || eh->machine != EM_X86_64)
		return EFI_LOAD_ERROR;
	if (eh->phentsize < sizeof(elf64_phdr) || eh->phnum == 0 ||
	    eh->phoff > size || (UINT64)eh->phnum * eh->phentsize > size - eh->phoff)
		return EFI_LOAD_ERROR;
	return EFI_SUCCESS;
}

static EFI_STATUS span_of(const void *image, UINTN size, const elf64_ehdr *eh,
			  UINT64 *lo, UINT64 *hi)
{
	*lo = ~0ULL;
	*hi = 0;
	for (UINTN i = 0; i < eh->phnum; i++) {
		const elf64_phdr *ph = phdr(image, eh, i);

		if (ph->type != PT_LOAD)
			continue;
		if (ph->filesz > ph->memsz || ph->offset > size || ph->filesz > size - ph->offset ||
		    ph->vaddr + ph->memsz < ph->vaddr)
			return EFI_LOAD_ERROR;
		if (ph->vaddr < *lo)
			*lo = ph->vaddr;
		if (ph->vaddr + ph->memsz > *hi)
			*hi = ph->vaddr + ph->memsz;
	}
	if (*lo >= *hi || (*lo & (LARGE_PAGE - 1)))
		return EFI_LOAD_ERROR;
	return EFI_SUCCESS;
}

EFI_STATUS elf_load(const void *image, UINTN size, UINT64 *phys, UINT64 *vbase,
		    UINT64 *span, UINT64 *entry)
{
	const elf64_ehdr *eh = image;
	UINT64 lo, hi, raw, base;
	EFI_STATUS st;

	st = check_header(eh, size);
	if (EFI_ERROR(st))
		return st;
	st = span_of(image, size, eh, &lo, &hi);
	if (EFI_ERROR(st))
		return st;
	*span = (hi - lo + LARGE_PAGE - 1) & ~(LARGE_PAGE - 1);
	/* Over-allocate by one large page and align inside the block. */
	st = alloc_keel_pages(EFI_SIZE_TO_PAGES(*span + LARGE_PAGE), ~0ULL, &raw);
	if (EFI_ERROR(st))
		return st;
	base = (raw + LARGE_PAGE - 1) & ~(LARGE_PAGE - 1);
	SetMem((void *)base, *span, 0);
	for (UINTN i = 0; i < eh->phnum; i++) {
		const elf64_phdr *ph = phdr(image, eh, i);

		if (ph->type == PT_LOAD)
			CopyMem((void *)(base + ph->vaddr - lo),
				(const UINT8 *)image + ph->offset, ph->filesz);
	}
	if (eh->entry < lo || eh->entry >= hi)
		return EFI_LOAD_ERROR;
	*phys = base;
	*vbase = lo;
	*entry = eh->entry;
	return EFI_SUCCESS;
}
