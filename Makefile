# Keel: build the boot image, run it, test it.
#
#   make            build/keel.img (GPT disk image with the EFI System Partition)
#   make run        boot it in the best emulator here, terminal on the serial console
#   make test       unit tests + system tests, ending in "N passed, N failed"
#   make coverage   unit tests with an lcov HTML report in build/coverage/
#   make bench      boot-time figures (slow; not part of the tests)
#   make usb DEV=/dev/sdX   write the image to a USB stick (asks first)
#
# Variables: EMU=qemu|bochs|kvm, CPUS=N, MEM=MiB (make run), CONFIG=dir.

SHELL   := /bin/bash
.DEFAULT_GOAL := all
BUILD   ?= build
CONFIG  ?= config/demo
EMU     ?=
CPUS    ?= 2
MEM     ?= 512
IMG     := $(BUILD)/keel.img
LINUX_DIR := $(BUILD)/linux
PYTHON  := /usr/bin/python3

CC      := gcc
LD      := ld
NASM    := nasm
OBJCOPY := objcopy

WARN    := -Wall -Wextra -Werror -Wmissing-prototypes -Wshadow -Wno-unused-parameter
VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)
GITREV  := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)

# ---------------------------------------------------------------- kernel
KCFLAGS := -std=gnu11 -O2 -g $(WARN) -I. -ffreestanding -fno-pic -fno-pie \
	-mcmodel=kernel -mno-red-zone -mgeneral-regs-only -fno-stack-protector \
	-fno-omit-frame-pointer -fno-builtin -nostdinc \
	-isystem $(shell $(CC) -print-file-name=include) \
	-DKEEL_VERSION='"$(VERSION)"' -DKEEL_GITREV='"$(GITREV)"'
KLDFLAGS := -nostdlib -z max-page-size=0x1000 -z noexecstack -T linker.ld

KERNEL_DIRS := arch kernel drivers vmm net
KERNEL_C    := $(sort $(foreach d,$(KERNEL_DIRS),$(wildcard $(d)/*.c)))
KERNEL_ASM  := $(sort $(foreach d,$(KERNEL_DIRS),$(wildcard $(d)/*.asm)))
KERNEL_OBJS := $(KERNEL_C:%.c=$(BUILD)/k/%.o) $(KERNEL_ASM:%.asm=$(BUILD)/k/%.o)

# ---------------------------------------------------------------- loader
EFI_INC   := /usr/include/efi
EFI_LIB   := /usr/lib
EFI_CFLAGS := -std=gnu11 -O2 $(WARN) -Wno-missing-prototypes -I. -I$(EFI_INC) \
	-I$(EFI_INC)/x86_64 -fpic -ffreestanding -fno-stack-protector \
	-fshort-wchar -mno-red-zone -DGNU_EFI_USE_MS_ABI -DEFI_FUNCTION_WRAPPER
LOADER_C   := $(wildcard boot/*.c)
LOADER_OBJS := $(LOADER_C:%.c=$(BUILD)/efi/%.o)

# ---------------------------------------------------------------- hosted
# Code with no hardware in it, built against the host libc for unit tests.
PURE_SRCS := $(wildcard kernel/errno.c kernel/format.c kernel/pmm.c \
	kernel/heap.c kernel/acpi.c kernel/lineedit.c kernel/shell.c kernel/complete.c \
	kernel/bootinfo.c kernel/log.c kernel/config.c \
	kernel/sha256.c kernel/sha512.c kernel/passwd.c kernel/login.c \
	vmm/domxml.c vmm/xml.c vmm/uuid.c vmm/multiboot.c vmm/loader.c vmm/bzimage.c vmm/acpigen.c vmm/insn.c vmm/gwalk.c \
	vmm/iospace.c vmm/vuart.c vmm/virtq.c vmm/virtio_blk.c vmm/virtio_rng.c vmm/vlapic.c vmm/vpic.c vmm/vpit.c \
	vmm/vioapic.c vmm/vrtc.c vmm/vpm.c kernel/date.c vmm/vpci.c vmm/virtio_pci.c \
	vmm/virsh.c)
HCFLAGS := -std=gnu11 -O0 -g $(WARN) -I. -DKEEL_HOSTED --coverage
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/unit/%)
PURE_HOBJS := $(PURE_SRCS:%.c=$(BUILD)/host/%.o)

# Test guests (multiboot kernels): $(GUEST_BINS), built into $(BUILD)/guests/.
include tests/guests/guests.mk

.PHONY: all kernel loader image run test unit systest coverage bench usb deps clean
all: image

deps:
	@tools/setup-deps.sh

kernel: $(BUILD)/keel.elf
loader: $(BUILD)/BOOTX64.EFI
image: $(IMG)

$(BUILD)/k/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(KCFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/k/%.o: %.asm
	@mkdir -p $(dir $@)
	@echo "  NASM    $<"
	@$(NASM) -f elf64 -g -I. $< -o $@

# Two link passes: the second adds the symbol table for stack traces
# (tools/mksyms.sh) behind the code, so no code address moves.
$(BUILD)/keel.elf: $(KERNEL_OBJS) $(BUILD)/k/ksyms_empty.o linker.ld tools/mksyms.sh
	@echo "  LD      $@"
	@$(LD) $(KLDFLAGS) -o $(BUILD)/keel.pass1.elf $(KERNEL_OBJS) $(BUILD)/k/ksyms_empty.o
	@tools/mksyms.sh $(BUILD)/keel.pass1.elf > $(BUILD)/ksyms.c
	@$(CC) $(KCFLAGS) -c $(BUILD)/ksyms.c -o $(BUILD)/k/ksyms.o
	@$(LD) $(KLDFLAGS) -o $@ $(KERNEL_OBJS) $(BUILD)/k/ksyms.o
	@cmp -s <(nm $(BUILD)/keel.pass1.elf | grep -i ' t ') <(nm $@ | grep -i ' t ') || \
		{ echo "error: code moved between link passes"; rm -f $@; exit 1; }

$(BUILD)/k/ksyms_empty.o: tools/ksyms_empty.c kernel/ksyms.h
	@mkdir -p $(dir $@)
	@$(CC) $(KCFLAGS) -c $< -o $@

$(BUILD)/efi/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC(efi) $<"
	@$(CC) $(EFI_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/BOOTX64.so: $(LOADER_OBJS)
	$(LD) -shared -Bsymbolic -nostdlib -znocombreloc -T $(EFI_LIB)/elf_x86_64_efi.lds \
		$(EFI_LIB)/crt0-efi-x86_64.o $(LOADER_OBJS) -o $@ \
		-L$(EFI_LIB) -lefi -lgnuefi

$(BUILD)/BOOTX64.EFI: $(BUILD)/BOOTX64.so
	$(OBJCOPY) -j .text -j .sdata -j .data -j .dynamic -j .dynsym -j .rel \
		-j .rela -j .rel.* -j .rela.* -j .reloc \
		--target efi-app-x86_64 --subsystem=10 $< $@

# The demo configuration boots guests built from tests/guests and the
# Linux guest of tests/linux.
LINUX_FILES := $(LINUX_DIR)/vmlinuz $(LINUX_DIR)/initrd.img $(LINUX_DIR)/disk.img
IMAGE_EXTRA := $(if $(filter config/demo,$(patsubst %/,%,$(CONFIG))),$(GUEST_BINS) $(LINUX_FILES))

# The tool rewrites only what changed; the stamp says it ran.
$(LINUX_DIR)/.stamp: tools/linux_guest.py tests/linux/init.sh | deps
	$(PYTHON) tools/linux_guest.py $(LINUX_DIR)
	@touch $@
$(LINUX_FILES): $(LINUX_DIR)/.stamp ;

$(IMG): $(BUILD)/BOOTX64.EFI $(BUILD)/keel.elf tools/mkimage.sh $(wildcard $(CONFIG)/*) $(IMAGE_EXTRA)
	tools/mkimage.sh $@ $(BUILD)/BOOTX64.EFI $(BUILD)/keel.elf $(CONFIG) $(IMAGE_EXTRA)

run: deps image
	$(PYTHON) tools/run.py --image $(IMG) --cpus $(CPUS) --mem $(MEM) $(if $(EMU),--emu $(EMU))

# ---------------------------------------------------------------- tests
$(BUILD)/host/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC(host) $<"
	@$(CC) $(HCFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/unit/%: tests/unit/%.c $(PURE_HOBJS)
	@mkdir -p $(dir $@)
	@echo "  LD(host) $@"
	@$(CC) $(HCFLAGS) $< $(PURE_HOBJS) -lcmocka -o $@

unit: $(UNIT_BINS)

test: deps image unit guests
	$(PYTHON) tests/run.py --build $(BUILD) --image $(IMG) $(if $(EMU),--emu $(EMU))

systest: deps image guests
	$(PYTHON) tests/run.py --build $(BUILD) --image $(IMG) --no-unit $(if $(EMU),--emu $(EMU))

coverage: deps unit
	@find $(BUILD)/host -name '*.gcda' -delete
	$(PYTHON) tests/run.py --build $(BUILD) --no-system
	lcov --quiet --capture --directory $(BUILD)/host --output-file $(BUILD)/coverage.info
	lcov --quiet --remove $(BUILD)/coverage.info '/usr/*' --output-file $(BUILD)/coverage.info
	genhtml --quiet $(BUILD)/coverage.info --output-directory $(BUILD)/coverage
	@echo "coverage report: $(BUILD)/coverage/index.html"

bench: deps image guests
	$(PYTHON) tools/bench.py --image $(IMG)

# The Linux test guest (tests/linux/README.md): Debian's cloud kernel, a
# checking initrd and a disk image. The tool rewrites only what changed.
.PHONY: linux
linux: $(LINUX_DIR)/.stamp

usb: image
	tools/write-usb.sh $(IMG) "$(DEV)"

clean:
	rm -rf $(BUILD)

# Object files of the unit tests are kept between runs.
.SECONDARY:

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
