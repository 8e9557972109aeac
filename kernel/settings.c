/*
 * Applying keel.cfg. Settings:
 *   loglevel = error | warn | info | debug   what reaches the console
 *                                            (dmesg always has everything)
 *   console_password = $5$salt$hash          the console asks for this
 *                                            password (SHA-crypt, as from
 *                                            `openssl passwd -5`; $6$ too)
 * An unknown setting or a bad value is reported and skipped; the rest of
 * the file still applies. A console_password that is not a valid hash
 * locks the console (fail closed) rather than leaving it open.
 */
#include "kernel/bootinfo.h"
#include "kernel/config.h"
#include "kernel/errno.h"
#include "kernel/log.h"
#include "kernel/passwd.h"
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

#define LOCKED_HASH "!locked"	/* matches no password */

static char console_hash[PASSWD_HASH_MAX + 1];

const char *settings_console_password(void)
{
	return console_hash[0] ? console_hash : NULL;
}

static int set_console_password(const char *value, unsigned line)
{
	int err = passwd_check_format(value);

	if (!err && strlen(value) < sizeof(console_hash)) {
		memcpy(console_hash, value, strlen(value) + 1);
		return 0;
	}
	pr_err("config: %s line %u: console_password is not a SHA-crypt hash ($5$ or $6$, "
	       "see `openssl passwd -5`): %s; the console stays locked until keel.cfg is fixed\n",
	       CONFIG_FILE, line, err_str(err ? err : -E_RANGE));
	memcpy(console_hash, LOCKED_HASH, sizeof(LOCKED_HASH));
	return 0;
}

static int apply(void *ctx, const char *key, const char *value, unsigned line)
{
	(void)ctx;
	if (!strcmp(key, "loglevel"))
		return set_loglevel(value, line);
	if (!strcmp(key, "console_password"))
		return set_console_password(value, line);
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
