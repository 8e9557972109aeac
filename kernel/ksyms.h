/*
 * The kernel's own symbol table, for naming functions in stack traces.
 * Generated at build time by tools/mksyms.sh (second link pass); the first
 * pass links kernel/ksyms_empty.c.
 */
#ifndef KEEL_KSYMS_H
#define KEEL_KSYMS_H

#include <stdint.h>

struct ksym {
	uint64_t addr;
	uint32_t name;	/* offset into ksym_names */
};

extern const struct ksym ksyms[];	/* sorted by address */
extern const unsigned ksym_count;
extern const char ksym_names[];

/* The function containing addr and the offset into it; NULL if unknown. */
const char *ksym_lookup(uint64_t addr, uint64_t *offset);

#endif
