/*
 * Applying keel.cfg. Settings:
 *   loglevel = error | warn | info | debug   what reaches the console
 *                                            (dmesg always has everything)
 * An unknown setting or a bad value is reported and skipped; the rest of
 * the file still applies.
 */
#include "kernel/bootinfo.h"
#include "kernel/config.h"
#include "kernel/errno.h"
#include "kernel/log.h"
#include "kernel/settings.h"

#define CONFIG_FILE "keel.cfg"

static const char *const level_names[] = {
	[LOG_ERR] = "error", [LOG_WARN] = "warn", [LOG_INFO] = "info", [LOG_DEBUG] = "debug",
};

static int set_loglevel(const char *value, unsigned line)
{
	for (unsigned i = 0; i < ARRAY_SIZE(level_names); i++) {
		if (!strcmp(value, level_names[i])) {
			log_set_level((enum log_level)i);
			return 0;
		}
	}
	pr_warn("config: %s line %u: loglevel '%s' is not one of error, warn, info, debug\n",
		CONFIG_FILE, line, value);
	return 0;
}

static int apply(void *ctx, const char *key, const char *value, unsigned line)
{
	(void)ctx;
	if (!strcmp(key, "loglevel"))
		return set_loglevel(value, line);
	pr_warn("config: %s line %u: unknown setting '%s' (ignored)\n", CONFIG_FILE, line, key);
	return 0;
}

void settings_load(const struct bootinfo *bi)
{
	const struct boot_file *f = bootinfo_file(bi, CONFIG_FILE);
	struct config_error err;

	if (!f) {
		pr_info("config: no %s on the boot partition; using defaults\n", CONFIG_FILE);
		return;
	}
	if (config_parse((const char *)f->addr, f->size, apply, NULL, &err))
		pr_err("config: %s line %u: %s; the rest of the file is ignored\n",
		       CONFIG_FILE, err.line, err.what);
}
