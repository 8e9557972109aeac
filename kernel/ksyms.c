/* Address-to-name lookup over the generated table (kernel/ksyms.h). */
#include "kernel/ksyms.h"

const char *ksym_lookup(uint64_t addr, uint64_t *offset)
{
	unsigned lo = 0, hi = ksym_count;

	if (!ksym_count || addr < ksyms[0].addr)
		return 0;
	while (hi - lo > 1) {	/* ksyms[lo].addr <= addr < ksyms[hi].addr */
		unsigned mid = lo + (hi - lo) / 2;

		if (ksyms[mid].addr <= addr)
			lo = mid;
		else
			hi = mid;
	}
	*offset = addr - ksyms[lo].addr;
	return &ksym_names[ksyms[lo].name];
}
