/* Unit tests for the domain XML parser and formatter, the autostart list
 * (vmm/domxml.c) and the UUID helpers (vmm/uuid.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "kernel/errno.h"
#include "vmm/domxml.h"
#include "vmm/uuid.h"
#include "tests/unit/test_rng.h"

static const char full_doc[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	"<!-- Keel demo domain -->\n"
	"<domain type='keel'>\n"
	"  <name>web-1</name>\n"
	"  <uuid>4DEA22B3-1D52-D8F3-2516-782E98AB3FA0</uuid>\n"
	"  <title>Web &amp; cache \xc3\xa9</title>\n"
	"  <description>Serves <!-- c --> pages &lt;fast&gt;\n many lines</description>\n"
	"  <memory unit='MiB'>256</memory>\n"
	"  <currentMemory unit='MiB'>128</currentMemory>\n"
	"  <vcpu placement='static'>2</vcpu>\n"
	"  <os>\n"
	"    <type arch='x86_64' machine='pc-i440fx'>hvm</type>\n"
	"    <kernel>web.elf</kernel>\n"
	"    <initrd>mod1.bin</initrd>\n"
	"    <initrd>mod2.bin</initrd>\n"
	"    <cmdline> console=ttyS0 quiet &quot;x&quot;&#x41;&#66; </cmdline>\n"
	"  </os>\n"
	"  <features>\n"
	"    <pae/>\n"
	"    <acpi/>\n"
	"  </features>\n"
	"  <on_poweroff>preserve</on_poweroff>\n"
	"  <on_reboot>destroy</on_reboot>\n"
	"  <on_crash>restart</on_crash>\n"
	"  <devices>\n"
	"    <disk type='file' device='disk'>\n"
	"      <driver name='qemu' type='raw'/>\n"
	"      <source file='debian.img'/>\n"
	"      <target dev='vda' bus='virtio'/>\n"
	"      <serial> deb 12 </serial>\n"
	"    </disk>\n"
	"    <disk>\n"
	"      <readonly/>\n"
	"      <target dev='vdc'/>\n"
	"      <source file='seed.iso'/>\n"
	"    </disk>\n"
	"    <serial type=\"pty\">\n"
	"      <target port='0'/>\n"
	"    </serial>\n"
	"    <console type='pty'>\n"
	"      <target type='serial' port='0'/>\n"
	"    </console>\n"
	"    <rng model='virtio'>\n"
	"      <backend model='random'>/dev/urandom</backend>\n"
	"    </rng>\n"
	"    <memballoon model='none'/>\n"
	"  </devices>\n"
	"</domain>\n";

/* Four lines; whatever follows starts on line 5. */
#define HEAD "<domain type='keel'>\n<name>a</name>\n<memory>1024</memory>\n" \
	"<os><type>hvm</type><kernel>k.elf</kernel></os>\n"
/* Three lines; the <os> that follows starts on line 4. */
#define HEAD_NO_OS "<domain type='keel'>\n<name>a</name>\n<memory>1024</memory>\n"
#define TAIL "\n</domain>\n"

static int parse_n(const char *text, size_t len, struct dom_config *cfg,
		   struct domxml_error *err)
{
	/* An exact-size heap copy, so that valgrind sees any read past len. */
	char *copy = malloc(len ? len : 1);
	int r;

	memcpy(copy, text, len);
	r = domxml_parse(copy, len, cfg, err);
	free(copy);
	return r;
}

static int parse(const char *text, struct dom_config *cfg, struct domxml_error *err)
{
	return parse_n(text, strlen(text), cfg, err);
}

static void expect_ok(const char *text, struct dom_config *cfg)
{
	struct domxml_error err;
	int r = parse(text, cfg, &err);

	if (r)
		print_error("unexpected error %d, line %u: %s\n", r, err.line, err.msg);
	assert_int_equal(r, 0);
	assert_int_equal(err.line, 0);
	assert_string_equal(err.msg, "");
}

struct bad_case {
	const char *text;
	int code;
	unsigned line;
	const char *msg;
};

static void expect_errors(const struct bad_case *cases, size_t n)
{
	struct dom_config cfg;
	struct domxml_error err;

	for (size_t i = 0; i < n; i++) {
		int r = parse(cases[i].text, &cfg, &err);

		if (r != cases[i].code || err.line != cases[i].line ||
		    strcmp(err.msg, cases[i].msg))
			print_error("case %zu: got %d line %u '%s'\n", i, r, err.line, err.msg);
		assert_int_equal(r, cases[i].code);
		assert_int_equal(err.line, cases[i].line);
		assert_string_equal(err.msg, cases[i].msg);
	}
}

/* ---------------------------------------------------------------- valid documents */

static void test_minimal_and_defaults(void **state)
{
	struct dom_config cfg;

	(void)state;
	expect_ok(HEAD "</domain>", &cfg);
	assert_string_equal(cfg.name, "a");
	assert_false(cfg.uuid_set);
	assert_string_equal(cfg.title, "");
	assert_int_equal(cfg.memory_bytes, 1024 * KiB);
	assert_int_equal(cfg.current_memory_bytes, 1024 * KiB);
	assert_int_equal(cfg.vcpus, 1);
	assert_int_equal(cfg.arch, DOM_ARCH_DEFAULT);
	assert_string_equal(cfg.machine, "");
	assert_string_equal(cfg.kernel, "k.elf");
	assert_int_equal(cfg.nr_initrd, 0);
	assert_string_equal(cfg.cmdline, "");
	assert_int_equal(cfg.on_poweroff, DOM_ACTION_DESTROY);
	assert_int_equal(cfg.on_reboot, DOM_ACTION_RESTART);
	assert_int_equal(cfg.on_crash, DOM_ACTION_DESTROY);
	assert_false(cfg.has_serial);
	assert_false(cfg.has_console);
	assert_int_equal(cfg.nr_disks, 0);
	assert_false(cfg.has_rng);
	assert_false(cfg.feat_acpi || cfg.feat_apic || cfg.feat_pae);
}

static void test_full_document(void **state)
{
	static const uint8_t uuid[16] = {
		0x4d, 0xea, 0x22, 0xb3, 0x1d, 0x52, 0xd8, 0xf3,
		0x25, 0x16, 0x78, 0x2e, 0x98, 0xab, 0x3f, 0xa0,
	};
	struct dom_config cfg;

	(void)state;
	expect_ok(full_doc, &cfg);
	assert_string_equal(cfg.name, "web-1");
	assert_true(cfg.uuid_set);
	assert_memory_equal(cfg.uuid, uuid, 16);
	assert_string_equal(cfg.title, "Web & cache \xc3\xa9");
	assert_int_equal(cfg.memory_bytes, 256 * MiB);
	assert_int_equal(cfg.current_memory_bytes, 128 * MiB);
	assert_int_equal(cfg.vcpus, 2);
	assert_int_equal(cfg.arch, DOM_ARCH_X86_64);
	assert_string_equal(cfg.machine, "pc-i440fx");
	assert_string_equal(cfg.kernel, "web.elf");
	assert_int_equal(cfg.nr_initrd, 2);
	assert_string_equal(cfg.initrd[0], "mod1.bin");
	assert_string_equal(cfg.initrd[1], "mod2.bin");
	assert_string_equal(cfg.cmdline, "console=ttyS0 quiet \"x\"AB");
	assert_int_equal(cfg.on_poweroff, DOM_ACTION_PRESERVE);
	assert_int_equal(cfg.on_reboot, DOM_ACTION_DESTROY);
	assert_int_equal(cfg.on_crash, DOM_ACTION_RESTART);
	assert_true(cfg.has_serial);
	assert_true(cfg.has_console);
	assert_int_equal(cfg.nr_disks, 2);
	assert_string_equal(cfg.disks[0].file, "debian.img");
	assert_string_equal(cfg.disks[0].target, "vda");
	assert_false(cfg.disks[0].readonly);
	assert_string_equal(cfg.disks[0].serial, "deb 12");
	assert_string_equal(cfg.disks[1].file, "seed.iso");
	assert_string_equal(cfg.disks[1].target, "vdc");
	assert_true(cfg.disks[1].readonly);
	assert_string_equal(cfg.disks[1].serial, "");
	assert_true(cfg.has_rng);
	assert_true(cfg.feat_acpi);
	assert_false(cfg.feat_apic);
	assert_true(cfg.feat_pae);
}

static void test_accepted_variants(void **state)
{
	static const char *const docs[] = {
		/* BOM, kvm, i686, 32-digit UUID, empty-element forms, comments */
		"\xef\xbb\xbf<?xml version='1.0' standalone='yes'?><domain type=\"kvm\">"
		"<!--x--><name>a.b+c_d</name><uuid>4dea22b31d52d8f32516782e98ab3fa0</uuid>"
		"<memory unit='KiB'>4</memory><os><type arch='i686'>hvm</type>"
		"<kernel>k</kernel><cmdline/></os><devices><serial type='pty'/>"
		"<console type='pty'></console></devices></domain><!-- tail -->\n",
		/* whitespace inside tags, serial target type isa-serial */
		"<domain\n type = 'keel' ><name >a</name ><memory>1</memory><os><type>hvm"
		"</type><kernel>k</kernel></os><devices><serial type='pty'><target "
		"type='isa-serial' port='0'/></serial></devices></domain >",
	};
	struct dom_config cfg;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(docs); i++)
		expect_ok(docs[i], &cfg);
	expect_ok(docs[0], &cfg);
	assert_int_equal(cfg.arch, DOM_ARCH_I686);
	assert_true(cfg.uuid_set);
	assert_true(cfg.has_serial && cfg.has_console);
	assert_int_equal(cfg.memory_bytes, 4 * KiB);
}

static void test_eight_initrds(void **state)
{
	char doc[2048];
	struct dom_config cfg;
	int n;

	(void)state;
	n = snprintf(doc, sizeof(doc), HEAD_NO_OS "<os><type>hvm</type><kernel>k</kernel>");
	for (int i = 0; i < DOM_MAX_MODULES; i++)
		n += snprintf(doc + n, sizeof(doc) - (size_t)n, "<initrd>m%d</initrd>", i);
	snprintf(doc + n, sizeof(doc) - (size_t)n, "</os></domain>");
	expect_ok(doc, &cfg);
	assert_int_equal(cfg.nr_initrd, DOM_MAX_MODULES);
	assert_string_equal(cfg.initrd[7], "m7");
}

/* ---------------------------------------------------------------- disks, rng, features */

/* <devices> with x inside, on line 5 unless x has newlines. */
#define DEVICES(x) HEAD "<devices>" x "</devices>" TAIL
#define DISK_VDA "<disk><source file='d'/><target dev='vda'/></disk>"

static void test_disk_minimal_and_full(void **state)
{
	struct dom_config cfg;

	(void)state;
	/* type, device, bus and <driver> may all be left out */
	expect_ok(DEVICES("<disk><source file='d.img'/><target dev='vdb'/></disk>"), &cfg);
	assert_int_equal(cfg.nr_disks, 1);
	assert_string_equal(cfg.disks[0].file, "d.img");
	assert_string_equal(cfg.disks[0].target, "vdb");
	assert_false(cfg.disks[0].readonly);
	assert_string_equal(cfg.disks[0].serial, "");
	assert_false(cfg.has_serial || cfg.has_console || cfg.has_rng);

	expect_ok(DEVICES("<disk type='file' device='disk'>\n"
			  "<driver name='keel' type='raw'/>\n<source file='root.img'/>\n"
			  "<target dev='vdz' bus='virtio'/><readonly/>\n"
			  "<serial>\n A b-1.2_3+ \n</serial></disk>"), &cfg);
	assert_int_equal(cfg.nr_disks, 1);
	assert_string_equal(cfg.disks[0].file, "root.img");
	assert_string_equal(cfg.disks[0].target, "vdz");
	assert_true(cfg.disks[0].readonly);
	assert_string_equal(cfg.disks[0].serial, "A b-1.2_3+");

	/* a driver element with no attributes, or only one of them */
	expect_ok(DEVICES("<disk><driver/><source file='d'/><target dev='vda'/></disk>"
			  "<disk><driver name='qemu'/><source file='e'/><target dev='vdb'/></disk>"
			  "<disk><driver type='raw'/><source file='f'/><target dev='vdc'/></disk>"),
		  &cfg);
	assert_int_equal(cfg.nr_disks, 3);
	assert_string_equal(cfg.disks[2].file, "f");
}

static void test_four_disks(void **state)
{
	struct dom_config cfg;

	(void)state;
	expect_ok(DEVICES("<disk><source file='a'/><target dev='vdd'/>"
			  "<serial>12345678901234567890</serial></disk>"
			  "<serial type='pty'/>"
			  "<disk><source file='b'/><target dev='vda'/><readonly/></disk>"
			  "<disk><source file='a'/><target dev='vdz'/><readonly/></disk>"
			  "<disk><source file='c'/><target dev='vdb'/></disk>"), &cfg);
	assert_int_equal(cfg.nr_disks, DOM_MAX_DISKS);
	/* document order, whatever the names */
	assert_string_equal(cfg.disks[0].target, "vdd");
	assert_string_equal(cfg.disks[0].serial, "12345678901234567890");
	assert_false(cfg.disks[0].readonly);
	assert_string_equal(cfg.disks[1].target, "vda");
	assert_true(cfg.disks[1].readonly);
	assert_string_equal(cfg.disks[2].target, "vdz");
	assert_string_equal(cfg.disks[2].file, "a");	/* the parser allows a shared file */
	assert_true(cfg.disks[2].readonly);
	assert_string_equal(cfg.disks[3].target, "vdb");
	assert_string_equal(cfg.disks[3].file, "c");
	assert_false(cfg.disks[3].readonly);
	assert_string_equal(cfg.disks[3].serial, "");
	assert_true(cfg.has_serial);
}

static void test_disk_errors(void **state)
{
	static const struct bad_case cases[] = {
		/* target names */
		{ DEVICES("<disk><source file='d'/>\n<target dev='vd'/></disk>"), -E_INVAL, 6,
		  "invalid dev='vd' on <target>: vda to vdz" },
		{ DEVICES("<disk><source file='d'/><target dev='vdA'/></disk>"), -E_INVAL, 5,
		  "invalid dev='vdA' on <target>: vda to vdz" },
		{ DEVICES("<disk><source file='d'/><target dev='vda1'/></disk>"), -E_INVAL, 5,
		  "invalid dev='vda1' on <target>: vda to vdz" },
		{ DEVICES("<disk><source file='d'/><target dev=''/></disk>"), -E_INVAL, 5,
		  "invalid dev='' on <target>: vda to vdz" },
		{ DEVICES("<disk><source file='d'/><target dev=' vda'/></disk>"), -E_INVAL, 5,
		  "invalid dev=' vda' on <target>: vda to vdz" },
		{ DEVICES("<disk><source file='d'/><target dev='v&#10;da'/></disk>"), -E_INVAL, 5,
		  "invalid dev='v?da' on <target>: vda to vdz" },
		{ DEVICES("<disk><source file='d'/><target dev='sda'/></disk>"), -E_NOTSUP, 5,
		  "unsupported dev='sda' on <target>: Keel's disks are virtio, vda to vdz" },
		{ DEVICES("<disk><source file='d'/><target dev='hdc' bus='ide'/></disk>"),
		  -E_NOTSUP, 5,
		  "unsupported dev='hdc' on <target>: Keel's disks are virtio, vda to vdz" },
		{ DEVICES("<disk><source file='d'/><target dev='vdaa'/></disk>"), -E_NOTSUP, 5,
		  "unsupported dev='vdaa' on <target>: Keel's disks are virtio, vda to vdz" },
		{ DEVICES("<disk><source file='d'/><target dev='xvdb'/></disk>"), -E_NOTSUP, 5,
		  "unsupported dev='xvdb' on <target>: Keel's disks are virtio, vda to vdz" },
		{ DEVICES("<disk><source file='d'/><target dev='vda' bus='ide'/></disk>"),
		  -E_NOTSUP, 5, "unsupported bus='ide' on <target>" },
		{ DEVICES("<disk><source file='d'/><target dev='vda' bus='scsi'/></disk>"),
		  -E_NOTSUP, 5, "unsupported bus='scsi' on <target>" },
		{ DEVICES("<disk><source file='d'/><target bus='virtio'/></disk>"), -E_INVAL, 5,
		  "missing attribute 'dev' on <target>" },
		{ DEVICES("<disk><source file='d'/><target dev='vda' tray='open'/></disk>"),
		  -E_NOTSUP, 5, "unsupported attribute 'tray' on <target>" },
		/* unique targets, at most four disks */
		{ DEVICES(DISK_VDA "\n<disk><source file='e'/>\n<target dev='vda'/></disk>"),
		  -E_INVAL, 7, "dev='vda' on <target> is used by another <disk>" },
		{ DEVICES("<disk><source file='d'/><target dev='vdb'/></disk>" DISK_VDA
			  "<disk><source file='d'/><target dev='vdc'/></disk>"
			  "<disk><source file='d'/><target dev='vdb'/></disk>"),
		  -E_INVAL, 5, "dev='vdb' on <target> is used by another <disk>" },
		{ DEVICES("<disk><source file='d'/><target dev='vda'/></disk>"
			  "<disk><source file='d'/><target dev='vdb'/></disk>"
			  "<disk><source file='d'/><target dev='vdc'/></disk>"
			  "<disk><source file='d'/><target dev='vdd'/></disk>\n"
			  "<disk><source file='d'/><target dev='vde'/></disk>"),
		  -E_INVAL, 6, "more than 4 <disk> in <devices>" },
		/* kinds of disk Keel does not have */
		{ DEVICES("<disk type='file' device='cdrom'><source file='d'/>"
			  "<target dev='vda'/></disk>"),
		  -E_NOTSUP, 5, "unsupported device='cdrom' on <disk>" },
		{ DEVICES("<disk device='floppy'/>"), -E_NOTSUP, 5,
		  "unsupported device='floppy' on <disk>" },
		{ DEVICES("<disk device='lun'/>"), -E_NOTSUP, 5,
		  "unsupported device='lun' on <disk>" },
		{ DEVICES("<disk type='block' device='disk'><source dev='/dev/sdb'/>"
			  "<target dev='vda'/></disk>"),
		  -E_NOTSUP, 5, "unsupported type='block' on <disk>" },
		{ DEVICES("<disk type='network'/>"), -E_NOTSUP, 5,
		  "unsupported type='network' on <disk>" },
		{ DEVICES("<disk type='file' snapshot='no'/>"), -E_NOTSUP, 5,
		  "unsupported attribute 'snapshot' on <disk>" },
		/* source */
		{ DEVICES("<disk><target dev='vda'/>\n</disk>"), -E_INVAL, 6,
		  "missing <source> in <disk>" },
		{ DEVICES("<disk><source file='d'/>\n</disk>"), -E_INVAL, 6,
		  "missing <target> in <disk>" },
		{ DEVICES("\n<disk/>"), -E_INVAL, 6, "missing <source> in <disk>" },
		{ DEVICES("<disk><source/><target dev='vda'/></disk>"), -E_INVAL, 5,
		  "missing attribute 'file' on <source>" },
		{ DEVICES("<disk><source file='d' dev='/dev/sda'/><target dev='vda'/></disk>"),
		  -E_NOTSUP, 5, "unsupported attribute 'dev' on <source>" },
		{ DEVICES("<disk><source\n file='/var/lib/libvirt/images/d.img'/>"
			  "<target dev='vda'/></disk>"),
		  -E_INVAL, 6, "<source> '/var/lib/libvirt/images/d.img' must be a file name "
		  "in the config directory, without '/'" },
		{ DEVICES("<disk><source file='..\\d'/><target dev='vda'/></disk>"), -E_INVAL, 5,
		  "<source> '..\\d' must be a file name in the config directory, without '/'" },
		{ DEVICES("<disk><source file='..'/><target dev='vda'/></disk>"), -E_INVAL, 5,
		  "<source> needs a file name of 1-63 characters" },
		{ DEVICES("<disk><source file=''/><target dev='vda'/></disk>"), -E_INVAL, 5,
		  "<source> needs a file name of 1-63 characters" },
		{ DEVICES("<disk><source file='a b'/><target dev='vda'/></disk>"), -E_INVAL, 5,
		  "<source> 'a b': file names use A-Z a-z 0-9 _ . + -" },
		{ DEVICES("<disk><source file='d'/><source file='e'/><target dev='vda'/></disk>"),
		  -E_INVAL, 5, "more than 1 <source> in <disk>" },
		{ DEVICES("<disk><source file='d'><seclabel/></source></disk>"), -E_NOTSUP, 5,
		  "unsupported element <seclabel> in <source>" },
		/* driver */
		{ DEVICES("<disk><driver name='tap'/></disk>"), -E_NOTSUP, 5,
		  "unsupported name='tap' on <driver>" },
		{ DEVICES("<disk><driver name='qemu' type='qcow2'/></disk>"), -E_NOTSUP, 5,
		  "unsupported type='qcow2' on <driver>" },
		{ DEVICES("<disk><driver name='qemu' cache='none'/></disk>"), -E_NOTSUP, 5,
		  "unsupported attribute 'cache' on <driver>" },
		{ DEVICES("<disk><driver/><driver/></disk>"), -E_INVAL, 5,
		  "more than 1 <driver> in <disk>" },
		/* readonly, serial, the rest */
		{ DEVICES(DISK_VDA "<disk><source file='d'/><target dev='vdb'/><readonly/>"
			  "<readonly/></disk>"), -E_INVAL, 5, "more than 1 <readonly> in <disk>" },
		{ DEVICES("<disk><readonly>yes</readonly></disk>"), -E_INVAL, 5,
		  "unexpected text in <readonly>" },
		{ DEVICES("<disk><source file='d'/><target dev='vda'/>"
			  "<serial>123456789012345678901</serial></disk>"),
		  -E_INVAL, 5, "<serial> of a <disk> is longer than 20 bytes" },
		{ DEVICES("<disk><source file='d'/><target dev='vda'/>"
			  "<serial>a/b</serial></disk>"),
		  -E_INVAL, 5, "<serial> 'a/b': a disk's serial uses A-Z a-z 0-9 _ . + - and space" },
		{ DEVICES("<disk><source file='d'/><target dev='vda'/>"
			  "<serial>a&#9;b</serial></disk>"),
		  -E_INVAL, 5, "<serial> 'a?b': a disk's serial uses A-Z a-z 0-9 _ . + - and space" },
		{ DEVICES("<disk><source file='d'/><target dev='vda'/>"
			  "<serial>\xc3\xa9</serial></disk>"),
		  -E_INVAL, 5, "<serial> '?" "?': a disk's serial uses A-Z a-z 0-9 _ . + - and space" },
		{ DEVICES("<disk><source file='d'/><target dev='vda'/><serial> </serial></disk>"),
		  -E_INVAL, 5, "<serial> of a <disk> is empty" },
		{ DEVICES("<disk><serial>a</serial><serial>b</serial></disk>"), -E_INVAL, 5,
		  "more than 1 <serial> in <disk>" },
		{ DEVICES("<disk><source file='d'/><target dev='vda'/>\n"
			  "<address type='pci' bus='0x00' slot='0x07'/></disk>"),
		  -E_NOTSUP, 6, "unsupported element <address> in <disk>" },
		{ DEVICES("<disk><boot order='1'/></disk>"), -E_NOTSUP, 5,
		  "unsupported element <boot> in <disk>" },
		{ DEVICES("<disk>x</disk>"), -E_INVAL, 5, "unexpected text in <disk>" },
	};

	(void)state;
	expect_errors(cases, ARRAY_SIZE(cases));
}

static void test_rng_and_memballoon(void **state)
{
	static const char *const backends[] = {
		"<backend model='random'>/dev/urandom</backend>",
		"<backend model='random'>\n  /dev/random\n</backend>",
		"<backend model='random'/>",
		"<backend model='random'></backend>",
	};
	struct dom_config cfg;
	char doc[512];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(backends); i++) {
		snprintf(doc, sizeof(doc), DEVICES("<rng model='virtio'>%s</rng>"), backends[i]);
		expect_ok(doc, &cfg);
		assert_true(cfg.has_rng);
		assert_int_equal(cfg.nr_disks, 0);
	}
	/* memballoon model='none' is accepted and leaves nothing behind */
	expect_ok(DEVICES("<memballoon model='none'/>"), &cfg);
	assert_false(cfg.has_rng || cfg.has_serial || cfg.has_console);
	assert_int_equal(cfg.nr_disks, 0);
	expect_ok(DEVICES("<memballoon model='none'></memballoon>"), &cfg);
}

static void test_rng_and_memballoon_errors(void **state)
{
	static const struct bad_case cases[] = {
		{ DEVICES("<rng model='virtio'><backend model='random'/></rng>\n"
			  "<rng model='virtio'><backend model='random'/></rng>"),
		  -E_INVAL, 6, "more than 1 <rng> in <devices>" },
		{ DEVICES("<rng model='virtio'>\n<backend model='egd' type='tcp'/></rng>"),
		  -E_NOTSUP, 6, "unsupported model='egd' on <backend>" },
		{ DEVICES("<rng model='virtio'><backend model='builtin'/></rng>"), -E_NOTSUP, 5,
		  "unsupported model='builtin' on <backend>" },
		{ DEVICES("<rng model='virtio'><backend/></rng>"), -E_INVAL, 5,
		  "missing attribute 'model' on <backend>" },
		{ DEVICES("<rng model='virtio'><backend model='random'>/dev/hwrng</backend></rng>"),
		  -E_NOTSUP, 5, "unsupported <backend> source '/dev/hwrng': /dev/urandom or "
		  "/dev/random" },
		{ DEVICES("<rng model='virtio'><backend model='random'>/dev/urandom /dev/random"
			  "</backend></rng>"), -E_NOTSUP, 5, "unsupported <backend> source "
		  "'/dev/urandom /dev/random': /dev/urandom or /dev/random" },
		{ DEVICES("<rng model='virtio'><backend model='random'/>"
			  "<backend model='random'/></rng>"),
		  -E_INVAL, 5, "more than 1 <backend> in <rng>" },
		{ DEVICES("<rng model='virtio'>\n</rng>"), -E_INVAL, 6,
		  "missing <backend> in <rng>" },
		{ DEVICES("<rng model='virtio-transitional'/>"), -E_NOTSUP, 5,
		  "unsupported model='virtio-transitional' on <rng>" },
		{ DEVICES("<rng><backend model='random'/></rng>"), -E_INVAL, 5,
		  "missing attribute 'model' on <rng>" },
		{ DEVICES("<rng model='virtio'><rate period='2000' bytes='1234'/>"
			  "<backend model='random'/></rng>"),
		  -E_NOTSUP, 5, "unsupported element <rate> in <rng>" },
		{ DEVICES("<rng model='virtio'>x<backend model='random'/></rng>"), -E_INVAL, 5,
		  "unexpected text in <rng>" },
		{ DEVICES("<memballoon model='virtio'/>"), -E_NOTSUP, 5,
		  "unsupported model='virtio' on <memballoon>" },
		{ DEVICES("<memballoon model='xen'/>"), -E_NOTSUP, 5,
		  "unsupported model='xen' on <memballoon>" },
		{ DEVICES("<memballoon/>"), -E_INVAL, 5, "missing attribute 'model' on <memballoon>" },
		{ DEVICES("<memballoon model='none' autodeflate='on'/>"), -E_NOTSUP, 5,
		  "unsupported attribute 'autodeflate' on <memballoon>" },
		{ DEVICES("<memballoon model='none'><stats period='10'/></memballoon>"), -E_NOTSUP,
		  5, "unsupported element <stats> in <memballoon>" },
		{ DEVICES("<memballoon model='none'/><memballoon model='none'/>"), -E_INVAL, 5,
		  "more than 1 <memballoon> in <devices>" },
	};

	(void)state;
	expect_errors(cases, ARRAY_SIZE(cases));
}

static void test_features(void **state)
{
	static const struct {
		const char *body;
		bool acpi, apic, pae;
	} ok[] = {
		{ "<features/>", false, false, false },
		{ "<features><acpi/></features>", true, false, false },
		{ "<features><apic></apic></features>", false, true, false },
		{ "<features>\n <pae/>\n</features>", false, false, true },
		{ "<features><pae/><apic/><acpi/></features>", true, true, true },
	};
	static const struct bad_case bad[] = {
		{ HEAD "<features><acpi/>\n<hyperv mode='custom'/></features>" TAIL, -E_NOTSUP, 6,
		  "unsupported element <hyperv> in <features>" },
		{ HEAD "<features><vmport state='off'/></features>" TAIL, -E_NOTSUP, 5,
		  "unsupported element <vmport> in <features>" },
		{ HEAD "<features><apic eoi='on'/></features>" TAIL, -E_NOTSUP, 5,
		  "unsupported attribute 'eoi' on <apic>" },
		{ HEAD "<features><acpi/><acpi/></features>" TAIL, -E_INVAL, 5,
		  "more than 1 <acpi> in <features>" },
		{ HEAD "<features/>\n<features/>" TAIL, -E_INVAL, 6,
		  "more than 1 <features> in <domain>" },
		{ HEAD "<features>acpi</features>" TAIL, -E_INVAL, 5,
		  "unexpected text in <features>" },
		{ HEAD "<features><pae>on</pae></features>" TAIL, -E_INVAL, 5,
		  "unexpected text in <pae>" },
		{ HEAD "<devices><acpi/></devices>" TAIL, -E_NOTSUP, 5,
		  "unsupported element <acpi> in <devices>" },
	};
	struct dom_config cfg;
	char doc[512];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
		snprintf(doc, sizeof(doc), HEAD "%s" TAIL, ok[i].body);
		expect_ok(doc, &cfg);
		assert_int_equal(cfg.feat_acpi, ok[i].acpi);
		assert_int_equal(cfg.feat_apic, ok[i].apic);
		assert_int_equal(cfg.feat_pae, ok[i].pae);
	}
	expect_errors(bad, ARRAY_SIZE(bad));
}

/* ---------------------------------------------------------------- memory units */

static int parse_memory(const char *unit, const char *value, uint64_t *bytes,
			struct domxml_error *err)
{
	struct dom_config cfg;
	char doc[512];
	int r;

	snprintf(doc, sizeof(doc), "<domain type='keel'><name>a</name><memory%s%s%s>%s"
		 "</memory><os><type>hvm</type><kernel>k</kernel></os></domain>",
		 unit ? " unit='" : "", unit ? unit : "", unit ? "'" : "", value);
	r = parse(doc, &cfg, err);
	*bytes = cfg.memory_bytes;
	return r;
}

static void test_memory_units(void **state)
{
	static const struct { const char *unit; uint64_t bytes; } units[] = {
		{ NULL, 2 * KiB }, { "b", 2 }, { "bytes", 2 }, { "KB", 2000 },
		{ "k", 2 * KiB }, { "KiB", 2 * KiB }, { "MB", 2000000 }, { "M", 2 * MiB },
		{ "MiB", 2 * MiB }, { "GB", 2000000000ULL }, { "G", 2 * GiB },
		{ "GiB", 2 * GiB }, { "mib", 2 * MiB }, { "gb", 2000000000ULL },
	};
	struct domxml_error err;
	uint64_t bytes;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(units); i++) {
		assert_int_equal(parse_memory(units[i].unit, "2", &bytes, &err), 0);
		assert_int_equal(bytes, ALIGN_UP(units[i].bytes, PAGE_SIZE));
	}
	assert_int_equal(parse_memory("T", "1", &bytes, &err), 0);
	assert_int_equal(bytes, 1024 * GiB);
	assert_int_equal(parse_memory("TiB", "1", &bytes, &err), 0);
	assert_int_equal(parse_memory("TB", "1", &bytes, &err), 0);
	assert_int_equal(bytes, 1000000000000ULL);
	assert_int_equal(parse_memory("b", "4097", &bytes, &err), 0);
	assert_int_equal(bytes, 8192);
	assert_int_equal(parse_memory(NULL, " 8 \n", &bytes, &err), 0);
	assert_int_equal(bytes, 8 * KiB);
}

static void test_memory_invalid(void **state)
{
	static const struct { const char *unit, *value; int code; const char *msg; } cases[] = {
		{ "T", "2", -E_RANGE, "<memory> is larger than Keel's limit of 1 TiB" },
		{ "b", "1099511627777", -E_RANGE, "<memory> is larger than Keel's limit of 1 TiB" },
		{ "EiB", "16", -E_RANGE, "<memory> is larger than Keel's limit of 1 TiB" },
		{ "PB", "1", -E_RANGE, "<memory> is larger than Keel's limit of 1 TiB" },
		{ NULL, "99999999999999999999", -E_RANGE,
		  "<memory> is larger than Keel's limit of 1 TiB" },
		{ NULL, "0", -E_RANGE, "<memory> must be greater than 0" },
		{ "EiB", "0", -E_RANGE, "<memory> must be greater than 0" },
		{ NULL, "", -E_INVAL, "<memory> needs a decimal number, not ''" },
		{ NULL, "-1", -E_INVAL, "<memory> needs a decimal number, not '-1'" },
		{ NULL, "0x10", -E_INVAL, "<memory> needs a decimal number, not '0x10'" },
		{ NULL, "1 2", -E_INVAL, "<memory> needs a decimal number, not '1 2'" },
		{ "KiBs", "1", -E_INVAL, "unknown unit 'KiBs' on <memory>" },
		{ "", "1", -E_INVAL, "unknown unit '' on <memory>" },
		{ "x", "1", -E_INVAL, "unknown unit 'x' on <memory>" },
	};
	struct domxml_error err;
	uint64_t bytes;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		assert_int_equal(parse_memory(cases[i].unit, cases[i].value, &bytes, &err),
				 cases[i].code);
		assert_int_equal(err.line, 1);
		assert_string_equal(err.msg, cases[i].msg);
	}
}

static void test_current_memory(void **state)
{
	static const struct bad_case bad[] = {
		{ HEAD "<currentMemory unit='MiB'>2</currentMemory>" TAIL, -E_RANGE, 5,
		  "<currentMemory> is larger than <memory>" },
	};
	struct dom_config cfg;

	(void)state;
	expect_ok(HEAD "<currentMemory unit='b'>1</currentMemory>" TAIL, &cfg);
	assert_int_equal(cfg.current_memory_bytes, PAGE_SIZE);
	expect_ok(HEAD "<currentMemory unit='MiB'>1</currentMemory>" TAIL, &cfg);
	assert_int_equal(cfg.current_memory_bytes, MiB);
	expect_errors(bad, ARRAY_SIZE(bad));
}

/* ---------------------------------------------------------------- unsupported */

static void test_unsupported_elements(void **state)
{
	static const struct bad_case cases[] = {
		{ HEAD "<features><acpi/>\n<hap/></features>" TAIL, -E_NOTSUP, 6,
		  "unsupported element <hap> in <features>" },
		{ HEAD "\n<clock offset='utc'/>" TAIL, -E_NOTSUP, 6,
		  "unsupported element <clock> in <domain>" },
		{ HEAD "<cpu mode='host-model'/>" TAIL, -E_NOTSUP, 5,
		  "unsupported element <cpu> in <domain>" },
		{ HEAD "<devices>\n<controller type='usb'/></devices>" TAIL, -E_NOTSUP, 6,
		  "unsupported element <controller> in <devices>" },
		{ HEAD "<devices>\n\n<interface type='network'/></devices>" TAIL, -E_NOTSUP, 7,
		  "unsupported element <interface> in <devices>" },
		{ HEAD "<devices><emulator>/usr/bin/qemu</emulator></devices>" TAIL, -E_NOTSUP, 5,
		  "unsupported element <emulator> in <devices>" },
		{ HEAD_NO_OS "<os><type>hvm</type>\n<boot dev='hd'/><kernel>k</kernel></os>" TAIL,
		  -E_NOTSUP, 5, "unsupported element <boot> in <os>" },
		{ HEAD_NO_OS "<os>\n<loader>x</loader></os>" TAIL, -E_NOTSUP, 5,
		  "unsupported element <loader> in <os>" },
		{ HEAD "<devices><serial type='pty'>\n<source path='/x'/></serial></devices>" TAIL,
		  -E_NOTSUP, 6, "unsupported element <source> in <serial>" },
		{ HEAD "<devices><console type='pty'><target>\n<x/></target></console></devices>"
		  TAIL, -E_NOTSUP, 6, "unsupported element <x> in <target>" },
		{ HEAD "<name2>a</name2>" TAIL, -E_NOTSUP, 5,
		  "unsupported element <name2> in <domain>" },
		{ HEAD "<description><b>x</b></description>" TAIL, -E_NOTSUP, 5,
		  "unsupported element <b> in <description>" },
		{ HEAD "<metadata/>" TAIL, -E_NOTSUP, 5,
		  "unsupported element <metadata> in <domain>" },
		{ "<network><name>n</name></network>", -E_NOTSUP, 1,
		  "root element is <network>, not <domain>" },
	};

	(void)state;
	expect_errors(cases, ARRAY_SIZE(cases));
}

static void test_unsupported_attributes(void **state)
{
	static const struct bad_case cases[] = {
		{ HEAD "<vcpu placement='static'\n current='1'>2</vcpu>" TAIL, -E_NOTSUP, 6,
		  "unsupported attribute 'current' on <vcpu>" },
		{ HEAD "<vcpu cpuset='1-2'>2</vcpu>" TAIL, -E_NOTSUP, 5,
		  "unsupported attribute 'cpuset' on <vcpu>" },
		{ HEAD "<vcpu placement='auto'>2</vcpu>" TAIL, -E_NOTSUP, 5,
		  "unsupported placement='auto' on <vcpu>" },
		{ "<domain type='keel' id='3'>" TAIL, -E_NOTSUP, 1,
		  "unsupported attribute 'id' on <domain>" },
		{ "<domain type='qemu'>" TAIL, -E_NOTSUP, 1,
		  "unsupported type='qemu' on <domain>" },
		{ "<domain>" TAIL, -E_INVAL, 1, "missing attribute 'type' on <domain>" },
		{ "<domain type='keel'>\n<memory dumpCore='on'>1</memory>" TAIL, -E_NOTSUP, 2,
		  "unsupported attribute 'dumpCore' on <memory>" },
		{ HEAD "<devices><serial type='file'/></devices>" TAIL, -E_NOTSUP, 5,
		  "unsupported type='file' on <serial>" },
		{ HEAD "<devices><serial/></devices>" TAIL, -E_INVAL, 5,
		  "missing attribute 'type' on <serial>" },
		{ HEAD "<devices><serial type='pty'><target port='1'/></serial></devices>" TAIL,
		  -E_NOTSUP, 5, "unsupported port='1' on <target>" },
		{ HEAD "<devices><console type='pty'><target type='virtio'/></console></devices>"
		  TAIL, -E_NOTSUP, 5, "unsupported type='virtio' on <target>" },
		{ HEAD "<devices><console type='pty' tty='/dev/pts/1'/></devices>" TAIL,
		  -E_NOTSUP, 5, "unsupported attribute 'tty' on <console>" },
		{ HEAD_NO_OS "<os><type arch='aarch64'>hvm</type><kernel>k</kernel></os>" TAIL,
		  -E_NOTSUP, 4, "unsupported arch='aarch64' on <type>" },
		{ HEAD_NO_OS "<os firmware='efi'><type>hvm</type><kernel>k</kernel></os>" TAIL,
		  -E_NOTSUP, 4, "unsupported attribute 'firmware' on <os>" },
		{ HEAD_NO_OS "<os><type machine='0123456789012345678901234567890123'>hvm</type>"
		  "<kernel>k</kernel></os>" TAIL, -E_INVAL, 4, "machine= is longer than 32 bytes" },
	};

	(void)state;
	expect_errors(cases, ARRAY_SIZE(cases));
}

static void test_invalid_values(void **state)
{
	static const struct bad_case cases[] = {
		{ "<domain type='keel'><name>-a</name>" TAIL, -E_INVAL, 1, "invalid domain name "
		  "'-a': 1-63 of A-Z a-z 0-9 _ . + -, not starting with '-' or '.'" },
		{ "<domain type='keel'><name>a b</name>" TAIL, -E_INVAL, 1, "invalid domain name "
		  "'a b': 1-63 of A-Z a-z 0-9 _ . + -, not starting with '-' or '.'" },
		{ "<domain type='keel'><name></name>" TAIL, -E_INVAL, 1, "invalid domain name "
		  "'': 1-63 of A-Z a-z 0-9 _ . + -, not starting with '-' or '.'" },
		{ HEAD "<uuid>4dea22b3-1d52-d8f3-2516</uuid>" TAIL, -E_INVAL, 5,
		  "invalid UUID '4dea22b3-1d52-d8f3-2516'" },
		{ HEAD "<vcpu>0</vcpu>" TAIL, -E_RANGE, 5, "<vcpu> must be 1 to 64" },
		{ HEAD "<vcpu>65</vcpu>" TAIL, -E_RANGE, 5, "<vcpu> must be 1 to 64" },
		{ HEAD "<vcpu>99999999999999999999999</vcpu>" TAIL, -E_RANGE, 5,
		  "<vcpu> must be 1 to 64" },
		{ HEAD "<vcpu>two</vcpu>" TAIL, -E_INVAL, 5,
		  "<vcpu> needs a decimal number, not 'two'" },
		{ HEAD_NO_OS "<os><type>xen</type><kernel>k</kernel></os>" TAIL, -E_NOTSUP, 4,
		  "unsupported OS type 'xen': Keel runs 'hvm'" },
		{ HEAD_NO_OS "<os><type>hvm</type><kernel>/boot/vmlinuz</kernel></os>" TAIL,
		  -E_INVAL, 4, "<kernel> '/boot/vmlinuz' must be a file name in the config "
		  "directory, without '/'" },
		{ HEAD_NO_OS "<os><type>hvm</type><kernel>..</kernel></os>" TAIL, -E_INVAL, 4,
		  "<kernel> needs a file name of 1-63 characters" },
		{ HEAD_NO_OS "<os><type>hvm</type><kernel></kernel></os>" TAIL, -E_INVAL, 4,
		  "<kernel> needs a file name of 1-63 characters" },
		{ HEAD_NO_OS "<os><type>hvm</type><kernel>k</kernel><initrd>a:b</initrd></os>"
		  TAIL, -E_INVAL, 4, "<initrd> 'a:b': file names use A-Z a-z 0-9 _ . + -" },
		{ HEAD_NO_OS "<os><type>hvm</type><kernel>k</kernel><cmdline>a&#10;b</cmdline>"
		  "</os>" TAIL, -E_INVAL, 4, "<cmdline> must be one line" },
		{ HEAD "<on_crash>coredump-restart</on_crash>" TAIL, -E_NOTSUP, 5,
		  "unsupported action 'coredump-restart' in <on_crash>" },
		{ HEAD "<on_reboot>rename-restart</on_reboot>" TAIL, -E_NOTSUP, 5,
		  "unsupported action 'rename-restart' in <on_reboot>" },
		{ HEAD "<on_poweroff>explode</on_poweroff>" TAIL, -E_INVAL, 5,
		  "invalid action 'explode' in <on_poweroff>: destroy, restart or preserve" },
		{ HEAD "<title>a\nb</title>" TAIL, -E_INVAL, 5, "<title> must be one line" },
		{ HEAD "<name>b</name>" TAIL, -E_INVAL, 5, "more than 1 <name> in <domain>" },
		{ HEAD "<devices/><devices/>" TAIL, -E_INVAL, 5, "more than 1 <devices> in <domain>" },
		{ HEAD "<devices><serial type='pty'/><serial type='pty'/></devices>" TAIL, -E_INVAL,
		  5, "more than 1 <serial> in <devices>" },
	};

	(void)state;
	expect_errors(cases, ARRAY_SIZE(cases));
}

static void test_missing_required(void **state)
{
	static const struct bad_case cases[] = {
		{ "<domain type='keel'><memory>1</memory><os><type>hvm</type><kernel>k</kernel>"
		  "</os>\n</domain>", -E_INVAL, 2, "missing <name> in <domain>" },
		{ "<domain type='keel'><name>a</name><os><type>hvm</type><kernel>k</kernel></os>"
		  "</domain>", -E_INVAL, 1, "missing <memory> in <domain>" },
		{ HEAD_NO_OS "<os><type>hvm</type>\n</os>" TAIL, -E_INVAL, 5,
		  "missing <kernel> in <os>" },
		{ HEAD_NO_OS "<os><kernel>k</kernel></os>" TAIL, -E_INVAL, 4,
		  "missing <type> in <os>" },
		{ HEAD_NO_OS "</domain>", -E_INVAL, 4, "missing <os> in <domain>" },
		{ HEAD_NO_OS "<os/>" TAIL, -E_INVAL, 4, "missing <type> in <os>" },
	};

	(void)state;
	expect_errors(cases, ARRAY_SIZE(cases));
}

static void test_long_values(void **state)
{
	char doc[4096], big[2000];
	struct dom_config cfg;
	struct domxml_error err;

	(void)state;
	memset(big, 'n', 64);
	big[64] = '\0';
	snprintf(doc, sizeof(doc), "<domain type='keel'><name>%s</name>" TAIL, big);
	assert_int_equal(parse(doc, &cfg, &err), -E_INVAL);
	big[63] = '\0';
	snprintf(doc, sizeof(doc), HEAD_NO_OS "<os><type>hvm</type><kernel>k</kernel></os>"
		 "<title>%s</title>" TAIL, big);
	assert_int_equal(parse(doc, &cfg, &err), 0);
	memset(big, 't', 129);
	big[129] = '\0';
	snprintf(doc, sizeof(doc), HEAD "<title>%s</title>" TAIL, big);
	assert_int_equal(parse(doc, &cfg, &err), -E_INVAL);
	assert_string_equal(err.msg, "<title> is longer than 128 bytes");

	memset(big, 'c', 1023);
	big[1023] = '\0';
	snprintf(doc, sizeof(doc), HEAD_NO_OS "<os><type>hvm</type><kernel>k</kernel>"
		 "<cmdline>%s</cmdline></os>" TAIL, big);
	expect_ok(doc, &cfg);
	assert_int_equal(strlen(cfg.cmdline), 1023);
	memset(big, 'c', 1024);
	big[1024] = '\0';
	snprintf(doc, sizeof(doc), HEAD_NO_OS "<os><type>hvm</type><kernel>k</kernel>"
		 "<cmdline>%s</cmdline></os>" TAIL, big);
	assert_int_equal(parse(doc, &cfg, &err), -E_INVAL);
	assert_string_equal(err.msg, "text longer than 1023 bytes");

	/* description text is dropped, so it may be long */
	memset(big, 'd', 1999);
	big[1999] = '\0';
	snprintf(doc, sizeof(doc), HEAD "<description>%s</description>" TAIL, big);
	expect_ok(doc, &cfg);
}

/* ---------------------------------------------------------------- XML syntax */

static void test_xml_syntax_errors(void **state)
{
	static const struct bad_case cases[] = {
		{ HEAD "<devices>\n</device>" TAIL, -E_INVAL, 6,
		  "</device> does not close <devices> of line 5" },
		{ HEAD "<devices>\n", -E_INVAL, 6, "end of file before </devices> (opened on line 5)" },
		{ HEAD, -E_INVAL, 5, "end of file before </domain> (opened on line 1)" },
		{ "<domain type='keel' type='kvm'>" TAIL, -E_INVAL, 1,
		  "duplicate attribute 'type' on <domain>" },
		{ "<domain type=keel>" TAIL, -E_INVAL, 1, "value of 'type' must be quoted" },
		{ "<domain type='keel\">" TAIL, -E_INVAL, 2, "'<' in the value of 'type'" },
		{ "<domain type='keel\">", -E_INVAL, 1, "unexpected end of file" },
		{ "<domain type='a<b'>" TAIL, -E_INVAL, 1, "'<' in the value of 'type'" },
		{ "<domain type='keel'x='1'>" TAIL, -E_INVAL, 1, "malformed tag <domain>" },
		{ "<domain type>" TAIL, -E_INVAL, 1, "expected '=' after 'type'" },
		{ "<!DOCTYPE domain>\n" HEAD "</domain>", -E_NOTSUP, 1,
		  "DOCTYPE declarations are not supported" },
		{ HEAD "<title><![CDATA[x]]></title>" TAIL, -E_NOTSUP, 5,
		  "CDATA sections are not supported" },
		{ HEAD "<?php x?>" TAIL, -E_NOTSUP, 5, "processing instructions are not supported"
		  " (an XML declaration must come first)" },
		{ "\n<?xml version='1.0'?>" HEAD "</domain>", -E_NOTSUP, 2,
		  "processing instructions are not supported (an XML declaration must come first)" },
		{ "<?xml encoding='UTF-8'?>" HEAD "</domain>", -E_INVAL, 1,
		  "the XML declaration needs version=\"1.0\"" },
		{ "<?xml version='1.0' encoding='latin1'?>" HEAD "</domain>", -E_NOTSUP, 1,
		  "unsupported encoding in the XML declaration" },
		{ "hello\n" HEAD "</domain>", -E_INVAL, 1, "text outside the root element" },
		{ HEAD "</domain>\n\nx", -E_INVAL, 7, "text after the root element" },
		{ HEAD "</domain><domain/>", -E_INVAL, 5, "second root element <domain>" },
		{ "</domain>", -E_INVAL, 1, "unexpected </domain>" },
		{ "", -E_INVAL, 1, "no root element" },
		{ "  <!-- only a comment -->\n", -E_INVAL, 2, "no root element" },
		{ HEAD "text" TAIL, -E_INVAL, 5, "unexpected text in <domain>" },
		{ HEAD "<devices><serial type='pty'>x</serial></devices>" TAIL, -E_INVAL, 5,
		  "unexpected text in <serial>" },
		{ HEAD "<title>a &nbsp; b</title>" TAIL, -E_INVAL, 5,
		  "unknown entity (XML's five and &#...; only)" },
		{ HEAD "<title>a & b</title>" TAIL, -E_INVAL, 5,
		  "'&' must start a reference like &amp;amp;" },
		{ HEAD "<title>&#0;</title>" TAIL, -E_INVAL, 5, "invalid character reference" },
		{ HEAD "<title>&#xD800;</title>" TAIL, -E_INVAL, 5, "invalid character reference" },
		{ HEAD "<title>&#x110000;</title>" TAIL, -E_INVAL, 5, "invalid character reference" },
		{ HEAD "<title>&#X41;</title>" TAIL, -E_INVAL, 5, "invalid character reference" },
		{ HEAD "<title>&#;</title>" TAIL, -E_INVAL, 5, "invalid character reference" },
		{ HEAD "<title>a]]>b</title>" TAIL, -E_INVAL, 5, "']]>' is not allowed in text" },
		{ HEAD "<!-- a -- b -->" TAIL, -E_INVAL, 5, "'--' inside a comment" },
		{ HEAD "<!-- a " TAIL, -E_INVAL, 5, "unterminated comment" },
		{ HEAD "<!x>" TAIL, -E_INVAL, 5, "malformed markup after '<!'" },
		{ HEAD "<1a/>" TAIL, -E_INVAL, 5, "expected a name" },
		{ HEAD "< a/>" TAIL, -E_INVAL, 5, "expected a name" },
		{ HEAD "<title>\x01</title>" TAIL, -E_INVAL, 5,
		  "invalid character (byte 0x01): not UTF-8 or not allowed in XML" },
		{ HEAD "<title>\xc3</title>" TAIL, -E_INVAL, 5,
		  "invalid character (byte 0xc3): not UTF-8 or not allowed in XML" },
		{ HEAD "<title>\xc0\x80</title>" TAIL, -E_INVAL, 5,
		  "invalid character (byte 0xc0): not UTF-8 or not allowed in XML" },
		{ HEAD "<title>\xed\xa0\x80</title>" TAIL, -E_INVAL, 5,
		  "invalid character (byte 0xed): not UTF-8 or not allowed in XML" },
		{ HEAD "<title>\xef\xbf\xbf</title>" TAIL, -E_INVAL, 5,
		  "invalid character (byte 0xef): not UTF-8 or not allowed in XML" },
		{ HEAD "<title>\xf4\x90\x80\x80</title>" TAIL, -E_INVAL, 5,
		  "invalid character (byte 0xf4): not UTF-8 or not allowed in XML" },
		{ HEAD "<a b='1' c='1' d='1' e='1' f='1' g='1' h='1' i='1' j='1'/>" TAIL, -E_INVAL,
		  5, "more than 8 attributes on <a>" },
		{ HEAD "<abcdefghijabcdefghijabcdefghijabc/>" TAIL, -E_INVAL, 5,
		  "name longer than 32 characters" },
		{ HEAD "</domain >x" , -E_INVAL, 5, "text after the root element" },
		{ HEAD "</domain x>", -E_INVAL, 5, "malformed end tag </domain>" },
	};

	(void)state;
	expect_errors(cases, ARRAY_SIZE(cases));
}

static void test_nul_byte_and_length(void **state)
{
	static const char doc[] = HEAD "<title>a\0b</title>" TAIL;
	struct dom_config cfg;
	struct domxml_error err;
	char value[300];
	char text[512];

	(void)state;
	assert_int_equal(parse_n(doc, sizeof(doc) - 1, &cfg, &err), -E_INVAL);
	assert_int_equal(err.line, 5);
	assert_string_equal(err.msg, "NUL byte in file");

	/* Bytes beyond len are never read: "</domain>" is cut to "</doma". */
	assert_int_equal(parse_n(HEAD "</domain>", strlen(HEAD "</domain>") - 3, &cfg, &err),
			 -E_INVAL);

	memset(value, 'v', 129);
	value[129] = '\0';
	snprintf(text, sizeof(text), "<domain type='%s'>" TAIL, value);
	assert_int_equal(parse(text, &cfg, &err), -E_INVAL);
	assert_string_equal(err.msg, "value of 'type' longer than 128 bytes");
	value[30] = '\0';
	snprintf(text, sizeof(text), "<domain type='%s'>" TAIL, value);
	assert_int_equal(parse(text, &cfg, &err), -E_NOTSUP);
	assert_string_equal(err.msg, "unsupported type='vvvvvvvvvvvvvvvvvvvvvvvvvvvvvv' on <domain>");
}

static void test_attribute_normalization_and_quoting(void **state)
{
	struct dom_config cfg;
	struct domxml_error err;

	(void)state;
	expect_ok(HEAD_NO_OS "<os><type machine='a\tb&#9;c&apos;&quot;'>hvm</type>"
		  "<kernel>k</kernel></os>" TAIL, &cfg);
	assert_string_equal(cfg.machine, "a b\tc'\"");
	/* echoed input is cut and made printable */
	assert_int_equal(parse(HEAD "<on_crash>\xc3\xa9xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
			       "</on_crash>" TAIL, &cfg, &err), -E_INVAL);
	assert_string_equal(err.msg, "invalid action '??xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...' "
			    "in <on_crash>: destroy, restart or preserve");
}

/* ---------------------------------------------------------------- hostile input */

static size_t doc_end(const char *doc)
{
	return (size_t)(strstr(doc, "</domain>") - doc) + strlen("</domain>");
}

static void test_every_prefix_fails(void **state)
{
	size_t len = strlen(full_doc), end = doc_end(full_doc);
	struct dom_config cfg;
	struct domxml_error err;

	(void)state;
	for (size_t n = 0; n <= len; n++) {
		int r = parse_n(full_doc, n, &cfg, &err);

		if (n < end) {
			assert_true(r < 0);
			assert_true(err.line >= 1 && err.msg[0]);
		} else {
			assert_int_equal(r, 0);
		}
		char *copy = malloc(n ? n : 1);

		memcpy(copy, full_doc, n);
		r = domxml_is_domain(copy, n, &err);
		free(copy);
		assert_true(n < end ? r < 0 : r == 1);
	}
}

static void check_invariants(const struct dom_config *cfg)
{
	assert_true(dom_name_valid(cfg->name, strlen(cfg->name)));
	assert_true(cfg->memory_bytes > 0 && cfg->memory_bytes <= DOM_MEMORY_MAX);
	assert_int_equal(cfg->memory_bytes % PAGE_SIZE, 0);
	assert_true(cfg->current_memory_bytes > 0);
	assert_true(cfg->current_memory_bytes <= cfg->memory_bytes);
	assert_true(cfg->vcpus >= 1 && cfg->vcpus <= DOM_MAX_VCPUS);
	assert_true(cfg->nr_initrd <= DOM_MAX_MODULES);
	assert_true(strnlen(cfg->kernel, DOM_FILE_MAX) > 0 &&
		    strnlen(cfg->kernel, DOM_FILE_MAX) < DOM_FILE_MAX);
	assert_true(strnlen(cfg->cmdline, DOM_CMDLINE_MAX) < DOM_CMDLINE_MAX);
	assert_true(strnlen(cfg->title, DOM_TITLE_MAX) < DOM_TITLE_MAX);
	assert_true(strnlen(cfg->machine, DOM_MACHINE_MAX) < DOM_MACHINE_MAX);
	assert_true(cfg->on_poweroff <= DOM_ACTION_PRESERVE);
	assert_true(cfg->nr_disks <= DOM_MAX_DISKS);
	for (unsigned i = 0; i < cfg->nr_disks; i++) {
		const struct dom_disk *d = &cfg->disks[i];

		assert_true(strnlen(d->file, DOM_FILE_MAX) > 0 &&
			    strnlen(d->file, DOM_FILE_MAX) < DOM_FILE_MAX);
		assert_true(strchr(d->file, '/') == NULL);
		assert_int_equal(strnlen(d->target, DOM_DISK_TARGET_MAX), 3);
		assert_true(d->target[0] == 'v' && d->target[1] == 'd');
		assert_true(d->target[2] >= 'a' && d->target[2] <= 'z');
		for (unsigned j = 0; j < i; j++)
			assert_string_not_equal(d->target, cfg->disks[j].target);
		assert_true(strnlen(d->serial, DOM_DISK_SERIAL_MAX) < DOM_DISK_SERIAL_MAX);
	}
}

static void mutate(char *buf, size_t *len, size_t max)
{
	static const char interesting[] = "<>/&;'\"=!-?[] \n#x0\xc3\x80\xff";
	size_t at = rng_below(*len ? *len : 1);

	switch (rng_below(4)) {
	case 0:
		if (*len)
			buf[at] = (char)rng();
		break;
	case 1:
		if (*len)
			buf[at] = interesting[rng_below(sizeof(interesting) - 1)];
		break;
	case 2:
		if (*len) {
			memmove(buf + at, buf + at + 1, *len - at - 1);
			(*len)--;
		}
		break;
	default:
		if (*len < max && *len) {
			memmove(buf + at + 1, buf + at, *len - at);
			buf[at] = interesting[rng_below(sizeof(interesting) - 1)];
			(*len)++;
		}
		break;
	}
}

static void test_mutation_fuzz(void **state)
{
	char work[sizeof(full_doc) + 64];
	struct dom_config cfg;
	struct domxml_error err;
	unsigned accepted = 0;

	(void)state;
	for (int iter = 0; iter < 5000; iter++) {
		size_t len = strlen(full_doc);
		unsigned n = 1 + (unsigned)rng_below(4);

		memcpy(work, full_doc, len);
		while (n--)
			mutate(work, &len, sizeof(work));
		int r = parse_n(work, len, &cfg, &err);

		if (r == 0) {
			accepted++;
			check_invariants(&cfg);
		} else {
			assert_true(r == -E_INVAL || r == -E_NOTSUP || r == -E_RANGE);
			assert_true(strlen(err.msg) > 0 && strlen(err.msg) < DOMXML_MSG_MAX);
		}
		char *copy = malloc(len ? len : 1);

		memcpy(copy, work, len);
		r = domxml_is_domain(copy, len, NULL);
		free(copy);
		assert_true(r == 0 || r == 1 || r < 0);
	}
	assert_true(accepted > 0);	/* some mutations land in text and stay valid */
}

/* ---------------------------------------------------------------- formatting */

static void assert_config_equal(const struct dom_config *a, const struct dom_config *b)
{
	assert_string_equal(a->name, b->name);
	assert_string_equal(a->title, b->title);
	assert_int_equal(a->uuid_set, b->uuid_set);
	if (a->uuid_set)
		assert_memory_equal(a->uuid, b->uuid, UUID_LEN);
	assert_int_equal(a->memory_bytes, b->memory_bytes);
	assert_int_equal(a->current_memory_bytes, b->current_memory_bytes);
	assert_int_equal(a->vcpus, b->vcpus);
	assert_int_equal(a->arch, b->arch);
	assert_string_equal(a->machine, b->machine);
	assert_string_equal(a->kernel, b->kernel);
	assert_int_equal(a->nr_initrd, b->nr_initrd);
	for (unsigned i = 0; i < a->nr_initrd; i++)
		assert_string_equal(a->initrd[i], b->initrd[i]);
	assert_string_equal(a->cmdline, b->cmdline);
	assert_int_equal(a->on_poweroff, b->on_poweroff);
	assert_int_equal(a->on_reboot, b->on_reboot);
	assert_int_equal(a->on_crash, b->on_crash);
	assert_int_equal(a->has_serial, b->has_serial);
	assert_int_equal(a->has_console, b->has_console);
	assert_int_equal(a->nr_disks, b->nr_disks);
	for (unsigned i = 0; i < a->nr_disks; i++) {
		assert_string_equal(a->disks[i].file, b->disks[i].file);
		assert_string_equal(a->disks[i].target, b->disks[i].target);
		assert_int_equal(a->disks[i].readonly, b->disks[i].readonly);
		assert_string_equal(a->disks[i].serial, b->disks[i].serial);
	}
	assert_int_equal(a->has_rng, b->has_rng);
	assert_int_equal(a->feat_acpi, b->feat_acpi);
	assert_int_equal(a->feat_apic, b->feat_apic);
	assert_int_equal(a->feat_pae, b->feat_pae);
}

static void round_trip(const struct dom_config *cfg)
{
	char buf[8192];
	struct dom_config again;
	struct domxml_error err;
	int n = domxml_format(cfg, buf, sizeof(buf));

	assert_true(n > 0 && (size_t)n < sizeof(buf));
	assert_int_equal(strlen(buf), n);
	if (parse(buf, &again, &err))
		print_error("%s\nline %u: %s\n", buf, err.line, err.msg);
	assert_int_equal(parse(buf, &again, &err), 0);
	assert_config_equal(cfg, &again);
	assert_int_equal(domxml_is_domain(buf, (size_t)n, &err), 1);
}

static void test_format_round_trip(void **state)
{
	struct dom_config cfg;

	(void)state;
	expect_ok(full_doc, &cfg);
	round_trip(&cfg);
	expect_ok(HEAD "</domain>", &cfg);
	round_trip(&cfg);
	expect_ok(HEAD "<title>&lt;&amp;&gt;'\"</title><devices><console type='pty'/></devices>"
		  TAIL, &cfg);
	round_trip(&cfg);
	/* <devices> with only disks or only an rng; <features> alone */
	expect_ok(DEVICES("<disk><source file='a'/><target dev='vdb'/><readonly/></disk>"
			  "<disk><source file='b'/><target dev='vda'/><serial>x y</serial>"
			  "</disk>"), &cfg);
	round_trip(&cfg);
	expect_ok(DEVICES("<rng model='virtio'><backend model='random'/></rng>"
			  "<memballoon model='none'/>"), &cfg);
	round_trip(&cfg);
	expect_ok(HEAD "<features><apic/></features>" TAIL, &cfg);
	round_trip(&cfg);
}

static void random_string(char *out, size_t max, const char *alphabet)
{
	size_t n = 1 + rng_below(max - 1), k = strlen(alphabet);

	for (size_t i = 0; i < n; i++)
		out[i] = alphabet[rng_below(k)];
	out[n] = '\0';
}

/* 0..DOM_MAX_DISKS disks with distinct targets in random order; serials
 * without end spaces, which parsing trims. */
static void random_disks(struct dom_config *cfg)
{
	static const char name_chars[] = "abcXYZ019_.+-";
	static const char serial_chars[] = "aZ09_.+- ";
	bool used[26] = { false };

	cfg->nr_disks = (unsigned)rng_below(DOM_MAX_DISKS + 1);
	for (unsigned i = 0; i < cfg->nr_disks; i++) {
		struct dom_disk *d = &cfg->disks[i];
		unsigned letter;

		do
			letter = (unsigned)rng_below(26);
		while (used[letter]);
		used[letter] = true;
		snprintf(d->target, sizeof(d->target), "vd%c", 'a' + letter);
		random_string(d->file, DOM_FILE_MAX, name_chars);
		d->file[0] = 'f';
		d->readonly = rng() & 1;
		if (rng() & 1) {
			random_string(d->serial, DOM_DISK_SERIAL_MAX, serial_chars);
			d->serial[0] = 's';
			d->serial[strlen(d->serial) - 1] = 's';
		} else {
			d->serial[0] = '\0';
		}
	}
}

static void test_random_round_trip(void **state)
{
	static const char name_chars[] = "abcXYZ019_.+-";
	static const char text_chars[] = "ab <>&'\"=;#";
	struct dom_config cfg;

	(void)state;
	for (int iter = 0; iter < 500; iter++) {
		memset(&cfg, 0, sizeof(cfg));
		random_string(cfg.name, DOM_NAME_MAX, name_chars);
		cfg.name[0] = 'n';
		random_string(cfg.kernel, DOM_FILE_MAX, name_chars);
		cfg.kernel[0] = 'k';
		cfg.nr_initrd = (unsigned)rng_below(DOM_MAX_MODULES + 1);
		for (unsigned i = 0; i < cfg.nr_initrd; i++) {
			random_string(cfg.initrd[i], DOM_FILE_MAX, name_chars);
			cfg.initrd[i][0] = 'i';
		}
		random_string(cfg.cmdline, 64, text_chars);
		cfg.cmdline[0] = 'c';
		cfg.cmdline[strlen(cfg.cmdline) - 1] = 'c';	/* no end spaces to trim */
		random_string(cfg.title, 20, "xy&<");
		random_string(cfg.machine, DOM_MACHINE_MAX, text_chars + 3);
		cfg.uuid_set = rng() & 1;
		for (int i = 0; i < UUID_LEN; i++)
			cfg.uuid[i] = (uint8_t)rng();
		cfg.memory_bytes = (1 + rng_below(DOM_MEMORY_MAX / PAGE_SIZE)) * PAGE_SIZE;
		cfg.current_memory_bytes = (1 + rng_below(cfg.memory_bytes / PAGE_SIZE)) * PAGE_SIZE;
		cfg.vcpus = 1 + (uint32_t)rng_below(DOM_MAX_VCPUS);
		cfg.arch = (enum dom_arch)rng_below(3);
		cfg.on_poweroff = (enum dom_action)rng_below(3);
		cfg.on_reboot = (enum dom_action)rng_below(3);
		cfg.on_crash = (enum dom_action)rng_below(3);
		cfg.has_serial = rng() & 1;
		cfg.has_console = rng() & 1;
		random_disks(&cfg);
		cfg.has_rng = rng() & 1;
		cfg.feat_acpi = rng() & 1;
		cfg.feat_apic = rng() & 1;
		cfg.feat_pae = rng() & 1;
		round_trip(&cfg);
	}
}

static void test_format_truncates_like_snprintf(void **state)
{
	struct dom_config cfg;
	char full[4096], small[4096];
	int n;

	(void)state;
	expect_ok(full_doc, &cfg);
	n = domxml_format(&cfg, full, sizeof(full));
	assert_int_equal(domxml_format(&cfg, NULL, 0), n);
	for (size_t size = 1; size <= (size_t)n + 1; size += 7) {
		memset(small, 'Z', sizeof(small));
		assert_int_equal(domxml_format(&cfg, small, size), n);
		assert_int_equal(strlen(small), size - 1);
		assert_memory_equal(small, full, size - 1);
		assert_int_equal(small[size], 'Z');
	}
}

/* ---------------------------------------------------------------- is_domain */

static void test_is_domain(void **state)
{
	char deep[1024];
	size_t n = 0;
	struct domxml_error err;

	(void)state;
	assert_int_equal(domxml_is_domain(full_doc, strlen(full_doc), &err), 1);
	assert_int_equal(domxml_is_domain("<network><x a='1'/></network>", 29, &err), 0);
	/* is_domain checks form only, not Keel's schema */
	assert_int_equal(domxml_is_domain("<domain><foo/></domain>", 23, NULL), 1);
	assert_int_equal(domxml_is_domain("<domain><foo></domain>", 22, &err), -E_INVAL);
	assert_int_equal(err.line, 1);
	assert_string_equal(err.msg, "</domain> does not close <foo> of line 1");

	for (int i = 0; i < 16; i++)
		n += (size_t)sprintf(deep + n, "<a>");
	for (int i = 0; i < 16; i++)
		n += (size_t)sprintf(deep + n, "</a>");
	assert_int_equal(domxml_is_domain(deep, n, &err), 0);
	n = 0;
	for (int i = 0; i < 17; i++)
		n += (size_t)sprintf(deep + n, "<a>\n");
	assert_int_equal(domxml_is_domain(deep, n, &err), -E_INVAL);
	assert_int_equal(err.line, 17);
	assert_string_equal(err.msg, "elements nested deeper than 16");
}

/* ---------------------------------------------------------------- autostart */

struct seen {
	char text[512];
	int stop_at;	/* return -E_BUSY on this call (1-based), 0 = never */
	int calls;
};

static int record(void *ctx, const char *name, unsigned line)
{
	struct seen *s = ctx;
	size_t n = strlen(s->text);

	snprintf(s->text + n, sizeof(s->text) - n, "%u:%s;", line, name);
	return ++s->calls == s->stop_at ? -E_BUSY : 0;
}

static int autostart(const char *text, struct seen *s, struct domxml_error *err)
{
	memset(s, 0, sizeof(*s));
	return autostart_parse(text, strlen(text), record, s, err);
}

static void test_autostart(void **state)
{
	static const struct { const char *text; unsigned line; const char *msg; } bad[] = {
		{ "a\nb c\n", 2, "one domain name a line" },
		{ "ok\n\n-bad\n", 3, "invalid domain name: 1-63 of A-Z a-z 0-9 _ . + -, "
		  "not starting with '-' or '.'" },
		{ "a/b", 1, "invalid domain name: 1-63 of A-Z a-z 0-9 _ . + -, "
		  "not starting with '-' or '.'" },
	};
	static const char nul[] = { 'a', '\n', 'b', '\0', '\n' };
	struct seen s;
	struct domxml_error err;
	char longname[80];

	(void)state;
	assert_int_equal(autostart("# start these\n\nweb-1\n  db.2  # the database\r\n#x\nlast",
				   &s, &err), 0);
	assert_string_equal(s.text, "3:web-1;4:db.2;6:last;");
	assert_int_equal(err.line, 0);
	assert_int_equal(autostart("", &s, &err), 0);
	assert_string_equal(s.text, "");

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		assert_int_equal(autostart(bad[i].text, &s, &err), -E_INVAL);
		assert_int_equal(err.line, bad[i].line);
		assert_string_equal(err.msg, bad[i].msg);
	}
	memset(longname, 'x', 64);
	longname[64] = '\0';
	assert_int_equal(autostart(longname, &s, &err), -E_INVAL);
	longname[63] = '\0';
	assert_int_equal(autostart(longname, &s, &err), 0);

	memset(&s, 0, sizeof(s));
	s.stop_at = 2;
	assert_int_equal(autostart_parse("a\nb\nc\n", 6, record, &s, &err), -E_BUSY);
	assert_string_equal(s.text, "1:a;2:b;");
	assert_int_equal(err.line, 2);

	memset(&s, 0, sizeof(s));
	assert_int_equal(autostart_parse(nul, sizeof(nul), record, &s, &err), -E_INVAL);
	assert_int_equal(err.line, 2);
	assert_string_equal(err.msg, "NUL byte in file");
}

static void test_names_and_actions(void **state)
{
	(void)state;
	assert_true(dom_name_valid("a", 1));
	assert_true(dom_name_valid("A-z_0.9+", 8));
	assert_false(dom_name_valid("", 0));
	assert_false(dom_name_valid("-a", 2));
	assert_false(dom_name_valid(".a", 2));
	assert_false(dom_name_valid("a b", 3));
	assert_false(dom_name_valid("a\xc3\xa9", 3));
	assert_true(dom_name_valid("abc", 2));	/* only len bytes count */
	assert_string_equal(dom_action_name(DOM_ACTION_DESTROY), "destroy");
	assert_string_equal(dom_action_name(DOM_ACTION_RESTART), "restart");
	assert_string_equal(dom_action_name(DOM_ACTION_PRESERVE), "preserve");
	assert_string_equal(dom_action_name((enum dom_action)7), "?");
}

/* ---------------------------------------------------------------- UUIDs */

static void test_uuid_parse_format(void **state)
{
	static const char *const bad[] = {
		"", "4dea22b3-1d52-d8f3-2516-782e98ab3fa", "4dea22b3-1d52-d8f3-2516-782e98ab3fa00",
		"4dea22b31-d52-d8f3-2516-782e98ab3fa0", "4dea22b3-1d52-d8f3-2516-782e98ab3fg0",
		"4dea22b3_1d52_d8f3_2516_782e98ab3fa0", "4dea22b31d52d8f32516782e98ab3fa",
		"4dea22b31d52d8f32516782e98ab3fa0 ", " 4dea22b31d52d8f32516782e98ab3fa0",
		"4dea22b3-1d52-d8f3-2516-782e98ab-fa0", "-dea22b31d52d8f32516782e98ab3fa0",
	};
	uint8_t u[UUID_LEN], v[UUID_LEN];
	char s[UUID_STR_LEN + 1];

	(void)state;
	assert_int_equal(uuid_parse("4DEA22B3-1d52-d8f3-2516-782e98ab3fa0", u), 0);
	uuid_format(u, s);
	assert_string_equal(s, "4dea22b3-1d52-d8f3-2516-782e98ab3fa0");
	assert_int_equal(uuid_parse("4dea22b31d52d8f32516782e98ab3fa0", v), 0);
	assert_memory_equal(u, v, UUID_LEN);
	assert_int_equal(u[0], 0x4d);
	assert_int_equal(u[15], 0xa0);

	memset(v, 0x55, sizeof(v));
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		assert_int_equal(uuid_parse(bad[i], v), -E_INVAL);
		for (int k = 0; k < UUID_LEN; k++)
			assert_int_equal(v[k], 0x55);	/* untouched on failure */
	}
}

static uint64_t fixed_rand(void *ctx)
{
	uint64_t *next = ctx;

	return (*next)++ ? 0x0123456789abcdefULL : UINT64_MAX;
}

static uint64_t test_rand(void *ctx)
{
	(void)ctx;
	return rng();
}

static void test_uuid_generate(void **state)
{
	uint64_t calls = 0;
	uint8_t u[UUID_LEN], back[UUID_LEN];
	char s[UUID_STR_LEN + 1];

	(void)state;
	uuid_generate_v4(u, fixed_rand, &calls);
	assert_int_equal(calls, 2);
	uuid_format(u, s);
	assert_string_equal(s, "ffffffff-ffff-4fff-afcd-ab8967452301");
	assert_int_equal(u[6] >> 4, 4);		/* version 4 */
	assert_int_equal(u[8] >> 6, 2);		/* RFC 4122 variant */
	for (int i = 0; i < 1000; i++) {
		uuid_generate_v4(u, test_rand, NULL);
		assert_int_equal(u[6] & 0xf0, 0x40);
		assert_int_equal(u[8] & 0xc0, 0x80);
		uuid_format(u, s);
		assert_int_equal(strlen(s), UUID_STR_LEN);
		assert_int_equal(s[14], '4');
		assert_int_equal(uuid_parse(s, back), 0);
		assert_memory_equal(u, back, UUID_LEN);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_minimal_and_defaults),
		cmocka_unit_test(test_full_document),
		cmocka_unit_test(test_accepted_variants),
		cmocka_unit_test(test_eight_initrds),
		cmocka_unit_test(test_disk_minimal_and_full),
		cmocka_unit_test(test_four_disks),
		cmocka_unit_test(test_disk_errors),
		cmocka_unit_test(test_rng_and_memballoon),
		cmocka_unit_test(test_rng_and_memballoon_errors),
		cmocka_unit_test(test_features),
		cmocka_unit_test(test_memory_units),
		cmocka_unit_test(test_memory_invalid),
		cmocka_unit_test(test_current_memory),
		cmocka_unit_test(test_unsupported_elements),
		cmocka_unit_test(test_unsupported_attributes),
		cmocka_unit_test(test_invalid_values),
		cmocka_unit_test(test_missing_required),
		cmocka_unit_test(test_long_values),
		cmocka_unit_test(test_xml_syntax_errors),
		cmocka_unit_test(test_nul_byte_and_length),
		cmocka_unit_test(test_attribute_normalization_and_quoting),
		cmocka_unit_test(test_every_prefix_fails),
		cmocka_unit_test(test_mutation_fuzz),
		cmocka_unit_test(test_format_round_trip),
		cmocka_unit_test(test_random_round_trip),
		cmocka_unit_test(test_format_truncates_like_snprintf),
		cmocka_unit_test(test_is_domain),
		cmocka_unit_test(test_autostart),
		cmocka_unit_test(test_names_and_actions),
		cmocka_unit_test(test_uuid_parse_format),
		cmocka_unit_test(test_uuid_generate),
	};

	return cmocka_run_group_tests_name("domxml", tests, NULL, NULL);
}
