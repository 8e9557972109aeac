/*
 * Reading Keel's files from the partition the loader itself came from:
 * the kernel (\keel\keel.elf) and every other regular file in \keel, which
 * the kernel receives as a list of (name, address, size) in the boot-info
 * record.
 */
#include "boot/loader.h"

#define KERNEL_FILE L"keel.elf"

EFI_STATUS files_open_dir(EFI_HANDLE image, EFI_FILE_HANDLE *dir)
{
	EFI_LOADED_IMAGE *li;
	EFI_FILE_IO_INTERFACE *fs;
	EFI_FILE_HANDLE root;
	EFI_STATUS st;

	st = BS->HandleProtocol(image, &LoadedImageProtocol, (void **)&li);
	if (EFI_ERROR(st))
		return st;
	st = BS->HandleProtocol(li->DeviceHandle, &FileSystemProtocol, (void **)&fs);
	if (EFI_ERROR(st))
		return st;
	st = fs->OpenVolume(fs, &root);
	if (EFI_ERROR(st))
		return st;
	st = root->Open(root, dir, L"\\keel", EFI_FILE_MODE_READ, 0);
	root->Close(root);
	return st;
}

static EFI_STATUS read_whole(EFI_FILE_HANDLE f, UINT64 size, void *buf)
{
	UINTN n = size;
	EFI_STATUS st = f->Read(f, &n, buf);

	if (!EFI_ERROR(st) && n != size)
		st = EFI_END_OF_FILE;
	return st;
}

/* Read a file into pool memory (loader-private, freed by the firmware). */
EFI_STATUS files_read(EFI_FILE_HANDLE dir, const CHAR16 *name, void **buf, UINTN *size)
{
	EFI_FILE_HANDLE f;
	EFI_FILE_INFO *info;
	EFI_STATUS st;

	st = dir->Open(dir, &f, (CHAR16 *)name, EFI_FILE_MODE_READ, 0);
	if (EFI_ERROR(st))
		return st;
	info = LibFileInfo(f);
	if (!info) {
		f->Close(f);
		return EFI_DEVICE_ERROR;
	}
	*size = info->FileSize;
	FreePool(info);
	st = BS->AllocatePool(EfiLoaderData, *size ? *size : 1, buf);
	if (!EFI_ERROR(st))
		st = read_whole(f, *size, *buf);
	f->Close(f);
	return st;
}

static int name_to_ascii(const CHAR16 *w, char *out, UINTN max)
{
	UINTN i;

	for (i = 0; w[i]; i++) {
		if (i + 1 >= max || w[i] > 0x7e || w[i] < 0x20)
			return -1;
		out[i] = (char)w[i];
	}
	out[i] = '\0';
	return 0;
}

static EFI_STATUS load_one(EFI_FILE_HANDLE dir, EFI_FILE_INFO *info, struct boot_file *bf)
{
	EFI_FILE_HANDLE f;
	EFI_STATUS st;
	UINT64 phys;
	UINTN pages = EFI_SIZE_TO_PAGES(info->FileSize ? info->FileSize : 1);

	st = alloc_keel_pages(pages, ~0ULL, &phys);
	if (EFI_ERROR(st))
		return st;
	st = dir->Open(dir, &f, info->FileName, EFI_FILE_MODE_READ, 0);
	if (EFI_ERROR(st))
		return st;
	st = read_whole(f, info->FileSize, (void *)phys);
	f->Close(f);
	bf->addr = phys;
	bf->size = info->FileSize;
	return st;
}

/* Load every regular file of \keel except the kernel itself. */
EFI_STATUS files_load_all(EFI_FILE_HANDLE dir, struct bootinfo *bi)
{
	UINT8 buf[sizeof(EFI_FILE_INFO) + 512 * sizeof(CHAR16)];
	EFI_FILE_INFO *info = (EFI_FILE_INFO *)buf;
	EFI_STATUS st;

	dir->SetPosition(dir, 0);
	for (;;) {
		UINTN n = sizeof(buf);
		struct boot_file *bf;

		st = dir->Read(dir, &n, info);
		if (EFI_ERROR(st))
			return st;
		if (n == 0)
			return EFI_SUCCESS;
		if ((info->Attribute & EFI_FILE_DIRECTORY) || !StrCmp(info->FileName, KERNEL_FILE))
			continue;
		if (bi->file_count >= BOOTINFO_MAX_FILES) {
			con_error("too many files in \\keel (max %d); ignoring the rest\n",
				  BOOTINFO_MAX_FILES);
			return EFI_SUCCESS;
		}
		bf = &bi->files[bi->file_count];
		if (name_to_ascii(info->FileName, bf->name, sizeof(bf->name))) {
			con_error("skipping a file with a long or non-ASCII name\n");
			continue;
		}
		st = load_one(dir, info, bf);
		if (EFI_ERROR(st)) {
			con_error("cannot load \\keel\\%s (status 0x%lx)\n", bf->name, (UINT64)st);
			return st;
		}
		con_printf("keel-loader: loaded %s (%lu bytes)\n", bf->name, bf->size);
		bi->file_count++;
	}
}
