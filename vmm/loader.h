/*
 * What the two guest-kernel loaders (vmm/multiboot.c, vmm/bzimage.c)
 * share: little-endian field access in untrusted images, and the checks of
 * the guest memory map they place things in. Pure code.
 */
#ifndef KEEL_VMM_LOADER_H
#define KEEL_VMM_LOADER_H

#include "kernel/klib.h"
#include "vmm/multiboot.h"

static inline uint16_t ld_rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t ld_rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static inline uint64_t ld_rd64(const uint8_t *p)
{
	return ld_rd32(p) | (uint64_t)ld_rd32(p + 4) << 32;
}

static inline void ld_wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static inline void ld_wr64(uint8_t *p, uint64_t v)
{
	ld_wr32(p, (uint32_t)v);
	ld_wr32(p + 4, (uint32_t)(v >> 32));
}

/* 0 if g has write/zero callbacks and a non-empty map of entries that
 * neither wrap nor overlap, in order; else -E_INVAL with why[] set. */
int ld_check_regions(const struct mb_guest *g, char *why, size_t whylen);
/* End of the run of usable RAM (adjacent usable regions merged) holding
 * addr; addr itself if addr is not in usable RAM. Needs a checked map. */
uint64_t ld_usable_end(const struct mb_guest *g, uint64_t addr);
/* [base, base + len) lies in usable RAM. */
bool ld_in_usable_ram(const struct mb_guest *g, uint64_t base, uint64_t len);

#endif
