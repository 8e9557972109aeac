/*
 * The shell's domain commands (vmm/virsh.c). Register virsh_commands with
 * the shell, with a struct mgmt (vmm/mgmt.h) as the shell's context and
 * virsh_complete as its completion hook.
 */
#ifndef KEEL_VMM_VIRSH_H
#define KEEL_VMM_VIRSH_H

#include "kernel/shell.h"

#define VIRSH_XML_MAX		65536	/* bytes of XML define reads or dumpxml writes */
#define VIRSH_XML_MAX_TEXT	"64 KiB"

extern const struct shell_cmd virsh_commands[];
extern const size_t virsh_command_count;

/* Domain names and configuration files for Tab; ctx is the struct mgmt. */
void virsh_complete(void *ctx, enum shell_complete kind, shell_complete_add_fn add,
		    void *add_ctx);

#endif
