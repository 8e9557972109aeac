# Test guests: tiny multiboot kernels in NASM that check Keel from inside
# and report over the UART (tests/guests/README.md). Included by the top
# Makefile, which provides BUILD, NASM and LD.
#
#   make guests      build $(BUILD)/guests/<name>.elf for every guest

GUEST_DIR    := tests/guests
GUEST_NAMES  := hello modes cpuid portio msr counter vmxon elf64 virtio-hostile \
	wild-write wild-read triple spin flood
GUEST_BINS   := $(GUEST_NAMES:%=$(BUILD)/guests/%.elf)
# Guests built as ELF64 (the others are ELF32).
GUEST_ELF64  := elf64
GUEST_INCS   := $(GUEST_DIR)/lib.inc $(GUEST_DIR)/routines.inc
GUEST_LDFLAGS := -nostdlib -z max-page-size=0x1000 -z noexecstack \
	--no-warn-rwx-segments -T $(GUEST_DIR)/guest.ld

guest_is64 = $(filter $(GUEST_ELF64),$(1))

.PHONY: guests
guests: $(GUEST_BINS)

$(BUILD)/guests/%.o: $(GUEST_DIR)/%.asm $(GUEST_INCS)
	@mkdir -p $(dir $@)
	@echo "  NASM    $<"
	@$(NASM) -f $(if $(call guest_is64,$*),elf64,elf32) -w+error -I$(GUEST_DIR)/ $< -o $@

$(BUILD)/guests/%.elf: $(BUILD)/guests/%.o $(GUEST_DIR)/guest.ld
	@echo "  LD      $@"
	@$(LD) -m $(if $(call guest_is64,$*),elf_x86_64,elf_i386) $(GUEST_LDFLAGS) $< -o $@
