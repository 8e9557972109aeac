/* The empty symbol table of the kernel's first link pass (kernel/ksyms.h). */
#include "kernel/ksyms.h"

const struct ksym ksyms[] = { { 0, 0 } };
const unsigned ksym_count = 0;
const char ksym_names[] = "";
