; elf64: the same multiboot hand-over from an ELF64 file (nasm -f elf64,
; ld -m elf_x86_64), which Keel loads from its program headers (p_paddr
; below 4 GiB) although the multiboot header has no a.out kludge. The
; entry code is still 32-bit (multiboot starts every kernel in protected
; mode); it checks EAX, goes to long mode and passes from 64-bit code.
; QEMU's -kernel refuses ELF64 multiboot kernels: this guest only runs
; under Keel (check-qemu.sh runs an elf32-i386 copy made with objcopy).

%define GUEST_NAME "elf64"
%define WANT_LONG_MODE
%include "lib.inc"

main:
	EXPECT	dword [mb_magic], MB_BOOT_MAGIC, 1, "EAX at entry is not 0x2BADB002"
	PUTS	`elf64: 32-bit entry of an ELF64 kernel\n`
	mov	eax, long_main
	jmp	enter_long_mode

BITS 64
long_main:
	PUTS	`elf64: in long mode\n`
	PASS
