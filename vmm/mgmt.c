/*
 * The kernel's management ops (vmm/mgmt.h): the shell's domain commands
 * (vmm/virsh.c) reach the real domains, the boot medium and the serial
 * console through this table. Each op looks its domain up by UUID again,
 * so nothing a command holds can go stale between two calls.
 */
#include "arch/cpu.h"
#include "drivers/uart.h"
#include "kernel/bootinfo.h"
#include "kernel/errno.h"
#include "kernel/kernel.h"
#include "kernel/log.h"
#include "kernel/smp.h"
#include "vmm/exit.h"
#include "vmm/virsh.h"
#include "vmm/vmm.h"

#define CTRL_C			0x03
#define CTRL_D			0x04
#define CTRL_RIGHT_BRACKET	0x1d	/* virsh console's escape */
#define BACKSPACE		0x7f
#define CONSOLE_CHUNK		256
#define CONFIG_DIR		"/keel/"	/* where the loader found the files */

static struct domain *by_uuid(const uint8_t *uuid)
{
	for (unsigned i = 0; i < nr_domains; i++)
		if (!domains[i]->gone && !memcmp(domains[i]->cfg.uuid, uuid, UUID_LEN))
			return domains[i];
	return NULL;
}

static bool op_get(void *ctx, unsigned index, struct mgmt_dom *out)
{
	(void)ctx;
	for (unsigned i = 0; i < nr_domains; i++) {
		if (domains[i]->gone)
			continue;
		if (!index--) {
			domain_snapshot(domains[i], out);
			return true;
		}
	}
	return false;
}

static int op_lookup(void *ctx, const char *key, struct mgmt_dom *out)
{
	struct domain *d = domain_find(key);

	(void)ctx;
	if (!d)
		return -E_NOENT;
	domain_snapshot(d, out);
	return 0;
}

static int op_define(void *ctx, const char *xml, size_t len, bool start, struct mgmt_dom *out,
		     char *why, size_t whylen)
{
	static struct dom_config cfg;	/* large; the shell runs one command at a time */
	struct domxml_error err;
	struct domain *d;
	int rc;

	(void)ctx;
	rc = domxml_parse(xml, len, &cfg, &err);
	if (rc) {
		ksnprintf(why, whylen, "XML error: line %u: %s", err.line, err.msg);
		return rc;
	}
	if (!cfg.uuid_set)
		domain_new_uuid(cfg.uuid);
	d = domain_find(cfg.name);
	if (d)
		domain_settle(d);	/* a redefinition waits for a restart */
	rc = domain_define(&cfg, start ? "(created)" : "(defined)", !start, &d, why, whylen);
	if (rc)
		return rc;
	if (start && (rc = domain_start(d, why, whylen)) != 0)
		return rc;	/* a transient domain that failed is gone */
	domain_snapshot(d, out);
	pr_info("domain %s: %s from the shell\n", cfg.name, start ? "created" : "defined");
	return 0;
}

#define WITH_DOMAIN(d, uuid) \
	struct domain *d = by_uuid(uuid); \
	(void)ctx; \
	if (!d) \
		return -E_NOENT

/* The same, for requests that change the domain: first let a start or stop
 * under way finish (on_reboot=restart on another CPU, say). */
#define SETTLED_DOMAIN(d, uuid) \
	WITH_DOMAIN(d, uuid); \
	domain_settle(d)

static int op_undefine(void *ctx, const uint8_t *uuid)
{
	SETTLED_DOMAIN(d, uuid);
	int err = domain_undefine(d);

	if (!err)
		pr_info("domain %s: undefined from the shell\n", d->cfg.name);
	return err;
}

static int op_start(void *ctx, const uint8_t *uuid, char *why, size_t whylen)
{
	SETTLED_DOMAIN(d, uuid);
	return domain_start(d, why, whylen);
}

static int op_destroy(void *ctx, const uint8_t *uuid)
{
	SETTLED_DOMAIN(d, uuid);
	return domain_destroy(d);
}

static int op_shutdown(void *ctx, const uint8_t *uuid, bool reboot)
{
	SETTLED_DOMAIN(d, uuid);
	return domain_shutdown(d, reboot);
}

static int op_suspend(void *ctx, const uint8_t *uuid)
{
	SETTLED_DOMAIN(d, uuid);
	return domain_suspend(d);
}

static int op_resume(void *ctx, const uint8_t *uuid)
{
	SETTLED_DOMAIN(d, uuid);
	return domain_resume(d);
}

static int op_set_autostart(void *ctx, const uint8_t *uuid, bool on)
{
	SETTLED_DOMAIN(d, uuid);
	if (!d->persistent)
		return -E_INVAL;
	d->autostart = on;
	return 0;
}

static int op_config(void *ctx, const uint8_t *uuid, bool inactive, struct dom_config *out)
{
	WITH_DOMAIN(d, uuid);
	domain_config(d, inactive, out);
	return 0;
}

static int op_vcpus(void *ctx, const uint8_t *uuid, struct mgmt_vcpu *out, unsigned max)
{
	WITH_DOMAIN(d, uuid);
	return domain_vcpus(d, out, max);
}

static int op_exit_counts(void *ctx, const uint8_t *uuid, uint64_t counts[EXIT_REASON_COUNT])
{
	WITH_DOMAIN(d, uuid);
	domain_exit_counts(d, counts);
	return 0;
}

static unsigned op_host_cpus(void *ctx)
{
	(void)ctx;
	return smp_online_count();
}

/* "x.xml" or "/keel/x.xml": the loader read the configuration directory. */
static int op_read_file(void *ctx, const char *name, const char **data, size_t *len)
{
	const struct boot_file *f;

	(void)ctx;
	if (!strncmp(name, CONFIG_DIR, strlen(CONFIG_DIR)))
		name += strlen(CONFIG_DIR);
	f = bootinfo_file(boot_info, name);
	if (!f)
		return -E_NOENT;
	*data = (const char *)f->addr;
	*len = f->size;
	return 0;
}

static bool op_file_name(void *ctx, unsigned index, const char **name)
{
	(void)ctx;
	if (index >= boot_info->file_count || index >= BOOTINFO_MAX_FILES)
		return false;
	*name = boot_info->files[index].name;
	return true;
}

/* The next console byte, running guests while none comes. */
static uint8_t console_byte(void)
{
	int c;

	while ((c = uart_getc()) < 0)
		cpu_idle_once();
	return (uint8_t)c;
}

/* Typed or pasted text up to Ctrl-D, echoed; CR and CR LF become LF. */
static int op_read_paste(void *ctx, char *buf, size_t max, size_t *len)
{
	size_t n = 0, dropped = 0;
	bool last_cr = false;
	uint8_t c;

	(void)ctx;
	while ((c = console_byte()) != CTRL_D) {
		if (c == CTRL_C) {
			console_write("^C\r\n", 4);
			return -E_CANCELED;
		}
		if (c == '\n' && last_cr) {
			last_cr = false;
			continue;
		}
		last_cr = c == '\r';
		if (c == '\r')
			c = '\n';
		if ((c == BACKSPACE || c == '\b') && n && buf[n - 1] != '\n') {
			n--;
			console_write("\b \b", 3);
		} else if (c == '\n' || c == '\t' || (c >= 0x20 && c < BACKSPACE)) {
			console_write(c == '\n' ? "\r\n" : (const char *)&c, c == '\n' ? 2 : 1);
			if (n < max)
				buf[n++] = (char)c;
			else
				dropped++;
		}
	}
	console_write("\r\n", 2);
	*len = n;
	return dropped ? -E_RANGE : 0;
}

/* Copy what the guest wrote since *pos to sink; false when there was nothing. */
static bool drain(struct domain *d, uint64_t *pos, mgmt_sink_fn sink, void *sink_ctx)
{
	uint8_t buf[CONSOLE_CHUNK];
	uint64_t lost;
	size_t n = con_ring_read(&d->uart.out, pos, buf, sizeof(buf), &lost);
	char note[64];

	if (lost) {
		ksnprintf(note, sizeof(note), "\r\n[console: %lu bytes dropped]\r\n", lost);
		sink(sink_ctx, note, strlen(note));
	}
	if (n)
		sink(sink_ctx, (const char *)buf, n);
	return n > 0;
}

static void raw_sink(void *ctx, const char *s, size_t n)
{
	(void)ctx;
	console_write(s, n);
}

/* Pass keystrokes to the guest and its output to the terminal, raw, until
 * Ctrl-] or the end of the run. */
static void attach(struct domain *d, uint64_t pos)
{
	int c;

	for (;;) {
		bool busy = drain(d, &pos, raw_sink, NULL);

		if (!domain_active(d)) {
			while (drain(d, &pos, raw_sink, NULL))
				;
			return;
		}
		c = uart_getc();
		if (c == CTRL_RIGHT_BRACKET)
			return;
		if (c >= 0) {
			uint8_t byte = (uint8_t)c;

			vuart_receive(&d->uart, &byte, 1);
			plat_uart_update(d);
			domain_wake(d);
			busy = true;
		}
		if (!busy)
			cpu_idle_once();
	}
}

static int op_console(void *ctx, const uint8_t *uuid, bool history_only, mgmt_sink_fn sink,
		      void *sink_ctx)
{
	WITH_DOMAIN(d, uuid);
	uint64_t pos = con_ring_oldest(&d->uart.out);

	if (history_only) {
		while (drain(d, &pos, sink, sink_ctx))
			;
		return 0;
	}
	if (!domain_active(d))
		return -E_INVAL;
	attach(d, pos);
	return 0;
}

static const struct mgmt_ops kernel_ops = {
	.get = op_get,
	.lookup = op_lookup,
	.define = op_define,
	.undefine = op_undefine,
	.start = op_start,
	.destroy = op_destroy,
	.shutdown = op_shutdown,
	.suspend = op_suspend,
	.resume = op_resume,
	.set_autostart = op_set_autostart,
	.config = op_config,
	.vcpus = op_vcpus,
	.exit_counts = op_exit_counts,
	.exit_name = vmexit_reason_name,
	.host_cpus = op_host_cpus,
	.read_file = op_read_file,
	.file_name = op_file_name,
	.read_paste = op_read_paste,
	.console = op_console,
};

static const struct mgmt kernel_mgmt = { &kernel_ops, NULL };

/* Between two commands: free the transient domains that have stopped. */
static void between_commands(void *ctx)
{
	(void)ctx;
	domain_reap();
}

void mgmt_init(void)
{
	if (console_add_commands(virsh_commands, virsh_command_count))
		pr_err("vmm: the shell's command table is full\n");
	console_set_context((void *)&kernel_mgmt, virsh_complete, between_commands);
}
