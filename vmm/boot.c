/*
 * Domains from the configuration directory (README "Configuration"):
 * every *.xml on the boot partition whose root is <domain> is defined; a
 * file that does not parse is reported with its line and skipped; then the
 * domains named in `autostart` start.
 */
#include "arch/cpu.h"
#include "kernel/bootinfo.h"
#include "kernel/errno.h"
#include "kernel/kernel.h"
#include "kernel/log.h"
#include "kernel/smp.h"
#include "vmm/vmm.h"

#define AUTOSTART_FILE	"autostart"

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n > m && !strcmp(s + n - m, suffix);
}

static void define_from(const struct boot_file *f)
{
	static struct dom_config cfg;	/* large; boot runs on one CPU */
	struct domxml_error err;
	char why[160];
	int rc = domxml_is_domain((const char *)f->addr, f->size, &err);

	if (rc == 0)
		return;		/* another kind of XML: not ours to read */
	if (rc > 0)
		rc = domxml_parse((const char *)f->addr, f->size, &cfg, &err);
	if (rc < 0) {
		pr_err("config: %s: line %u: %s; skipped\n", f->name, err.line, err.msg);
		return;
	}
	if (!cfg.uuid_set)
		domain_new_uuid(cfg.uuid);
	/* Two files for one domain: the first one wins. */
	ksnprintf(why, sizeof(why), "a domain with that name or UUID exists");
	rc = domain_find(cfg.name) ? -E_EXIST :
	     domain_define(&cfg, f->name, true, NULL, why, sizeof(why));
	if (rc)
		pr_err("config: %s: cannot define domain '%s': %s; skipped\n", f->name, cfg.name,
		       why);
	else
		pr_info("config: %s: domain %s (%lu MiB, %u vCPU)\n", f->name, cfg.name,
			cfg.memory_bytes / MiB, cfg.vcpus);
}

static int autostart_one(void *ctx, const char *name, unsigned line)
{
	struct domain *d = domain_find(name);
	char why[160];

	(void)ctx;
	if (!d) {
		pr_err("config: autostart line %u: no domain named '%s'\n", line, name);
		return 0;
	}
	d->autostart = true;
	domain_start(d, why, sizeof(why));
	return 0;
}

void vmm_init(void)
{
	const struct boot_file *f;
	struct domxml_error err;

	sched_init();
	mgmt_init();
	smp_set_idle_handler(sched_idle_once);
	for (uint32_t i = 0; i < boot_info->file_count && i < BOOTINFO_MAX_FILES; i++)
		if (has_suffix(boot_info->files[i].name, ".xml"))
			define_from(&boot_info->files[i]);
	f = bootinfo_file(boot_info, AUTOSTART_FILE);
	if (f && autostart_parse((const char *)f->addr, f->size, autostart_one, NULL, &err))
		pr_err("config: autostart: line %u: %s\n", err.line, err.msg);
}
