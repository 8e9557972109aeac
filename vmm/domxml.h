/*
 * Domain definitions in libvirt's domain XML format
 * (https://libvirt.org/formatdomain.html), restricted to what Keel runs:
 *
 *   <domain type='keel'>                 (or type='kvm')
 *     <name>web</name>
 *     <uuid>...</uuid>                   optional; caller generates one
 *     <title>...</title> <description>...</description>   optional
 *     <memory unit='MiB'>256</memory>
 *     <currentMemory unit='MiB'>256</currentMemory>       optional
 *     <vcpu placement='static'>2</vcpu>  optional, default 1
 *     <os>
 *       <type arch='x86_64' machine='pc'>hvm</type>
 *       <kernel>web.elf</kernel>         file in the config directory
 *       <initrd>mod1.bin</initrd>        0..DOM_MAX_MODULES files: for a Linux
 *                                        (bzImage) kernel the loader joins
 *                                        them into one initramfs, for a
 *                                        multiboot kernel each is a module
 *       <cmdline>console=ttyS0</cmdline>
 *     </os>
 *     <features><acpi/><apic/><pae/></features>   optional, each at most
 *                                        once; recorded only (Keel always
 *                                        gives ACPI and the APIC)
 *     <on_poweroff>destroy</on_poweroff> <on_reboot>restart</on_reboot>
 *     <on_crash>destroy</on_crash>
 *     <devices>
 *       <serial type='pty'><target port='0'/></serial>
 *       <console type='pty'><target type='serial' port='0'/></console>
 *       <disk type='file' device='disk'> 0..DOM_MAX_DISKS virtio-blk disks;
 *                                        both attributes optional
 *         <driver name='qemu' type='raw'/>          optional; name qemu or keel
 *         <source file='debian.img'/>    file in the config directory
 *         <target dev='vda' bus='virtio'/>          vda..vdz, one disk each;
 *                                        bus optional
 *         <readonly/>                    optional
 *         <serial>abc</serial>           optional: 1..20 of [A-Za-z0-9_.+- ]
 *       </disk>
 *       <rng model='virtio'>             at most one virtio-rng
 *         <backend model='random'>/dev/urandom</backend>   or /dev/random,
 *                                        or no text; Keel uses its own
 *                                        entropy whichever is named
 *       </rng>
 *       <memballoon model='none'/>       accepted, not recorded
 *     </devices>
 *   </domain>
 *
 * Anything else is an error naming the element or attribute and its line,
 * never silently dropped. The file "autostart" in the config directory
 * lists domain names to start at boot, one a line. Pure code, no
 * allocation: the caller provides every buffer.
 */
#ifndef KEEL_DOMXML_H
#define KEEL_DOMXML_H

#include "kernel/klib.h"
#include "vmm/uuid.h"

#define DOM_NAME_MAX		64	/* buffer sizes, including the NUL */
#define DOM_FILE_MAX		64
#define DOM_CMDLINE_MAX		1024
#define DOM_TITLE_MAX		129
#define DOM_MACHINE_MAX		33
#define DOM_MAX_MODULES		8
#define DOM_MAX_DISKS		4
#define DOM_DISK_TARGET_MAX	8	/* "vda".."vdz" */
#define DOM_DISK_SERIAL_MAX	21	/* virtio-blk's 20-byte ID */
#define DOM_MAX_VCPUS		64
#define DOM_MEMORY_MAX		(1024ULL * GiB)	/* 1 TiB */
#define DOM_MEMORY_ALIGN	PAGE_SIZE	/* sizes round up to this */

enum dom_action {		/* libvirt's lifecycle actions Keel implements */
	DOM_ACTION_DESTROY,
	DOM_ACTION_RESTART,
	DOM_ACTION_PRESERVE,
};

enum dom_arch {
	DOM_ARCH_DEFAULT,	/* no arch attribute */
	DOM_ARCH_X86_64,
	DOM_ARCH_I686,
};

struct dom_disk {			/* <disk type='file' device='disk'> */
	char file[DOM_FILE_MAX];		/* plain file name, no '/' */
	char target[DOM_DISK_TARGET_MAX];	/* "vda".."vdz", unique in the domain */
	bool readonly;
	char serial[DOM_DISK_SERIAL_MAX];	/* "" when absent */
};

struct dom_config {
	char name[DOM_NAME_MAX];
	char title[DOM_TITLE_MAX];		/* "" when absent */
	uint8_t uuid[UUID_LEN];
	bool uuid_set;				/* false: caller generates one */
	uint64_t memory_bytes;			/* > 0, page multiple, <= DOM_MEMORY_MAX */
	uint64_t current_memory_bytes;		/* <= memory_bytes */
	uint32_t vcpus;				/* 1..DOM_MAX_VCPUS */
	enum dom_arch arch;
	char machine[DOM_MACHINE_MAX];		/* "" when absent */
	char kernel[DOM_FILE_MAX];		/* plain file name, no '/' */
	char initrd[DOM_MAX_MODULES][DOM_FILE_MAX];	/* in order: modules, or one initramfs */
	unsigned nr_initrd;
	char cmdline[DOM_CMDLINE_MAX];		/* "" when absent */
	enum dom_action on_poweroff, on_reboot, on_crash;
	bool has_serial;			/* <serial type='pty'>: the UART at 0x3F8 */
	bool has_console;			/* <console type='pty'> on that UART */
	struct dom_disk disks[DOM_MAX_DISKS];	/* virtio-blk, in document order */
	unsigned nr_disks;
	bool has_rng;				/* <rng model='virtio'> */
	bool feat_acpi, feat_apic, feat_pae;	/* <features> children, for formatting */
};

#define DOMXML_MSG_MAX	160

/* Where and what: the caller prints "<file>:<line>: <msg>". Required
 * (non-NULL) wherever a function takes one, except domxml_is_domain. */
struct domxml_error {
	unsigned line;			/* 1-based; 0 = not tied to a line */
	char msg[DOMXML_MSG_MAX];	/* "" on success */
};

/* 1 if text is well-formed XML whose root element is <domain>, 0 if it is
 * well-formed with another root, a negative E_* code (and *err) if it is not
 * well-formed. err may be NULL. */
int domxml_is_domain(const char *text, size_t len, struct domxml_error *err);

/* Parse len bytes (need not be NUL-terminated) into *out. Returns 0, or
 * -E_INVAL (malformed or invalid value), -E_NOTSUP (valid libvirt that
 * Keel does not support) or -E_RANGE (value out of range), with *err set;
 * *out is then unspecified. */
int domxml_parse(const char *text, size_t len, struct dom_config *out,
		 struct domxml_error *err);

/* Write cfg back as libvirt domain XML that domxml_parse reads to the same
 * config. Always NUL-terminates when size > 0; returns the length the full
 * output needs, like snprintf. */
int domxml_format(const struct dom_config *cfg, char *buf, size_t size);

/* libvirt's name for an action: "destroy", "restart", "preserve". */
const char *dom_action_name(enum dom_action action);

/* A valid domain name: 1..DOM_NAME_MAX-1 of [A-Za-z0-9_.+-], not starting
 * with '-' or '.'. len bytes of s are checked (s need not be terminated). */
bool dom_name_valid(const char *s, size_t len);

/* Called for each name of the autostart file; a negative return stops the
 * parse with that error. */
typedef int (*autostart_fn)(void *ctx, const char *name, unsigned line);

/* The autostart file: one domain name a line; blank lines and '#' comments
 * (to the end of the line) are allowed. Returns 0, fn's error, or -E_INVAL
 * with *err set for an invalid line. */
int autostart_parse(const char *text, size_t len, autostart_fn fn, void *ctx,
		    struct domxml_error *err);

#endif
