/*
 * libvirt domain XML for Keel (the subset and the contract are in
 * vmm/domxml.h), and the autostart list.
 *
 * The input is read with the strict XML tokenizer of vmm/xml.c; this file
 * is the schema on top of it. Each element Keel knows is a table entry
 * listing its attributes and child elements, each with a handler and a
 * number of occurrences. The walker only looks names up in those tables,
 * so an element or attribute Keel does not know is an error by
 * construction; nothing is silently dropped. Then the formatter, which
 * writes a dom_config back as XML, and the autostart file.
 */
#include "kernel/errno.h"
#include "vmm/domxml.h"
#include "vmm/xml.h"

#define QUOTE_MAX	40	/* input echoed in a message */
#define QUOTE_BUF	(QUOTE_MAX + 4)
#define MAX_CHILDREN	16	/* children one element may list */

/* <cmdline>'s text is copied into dom_config.cmdline unchecked. */
_Static_assert(XML_TEXT_MAX < DOM_CMDLINE_MAX, "cmdline buffer smaller than XML text");
_Static_assert(XML_MSG_MAX <= DOMXML_MSG_MAX, "lexer messages would be cut");

/* ---------------------------------------------------------------- messages */

/* s made safe to echo in a one-line message: at most QUOTE_MAX bytes of
 * printable ASCII, anything else shown as '?'. */
static const char *quote(const char *s, char out[QUOTE_BUF])
{
	size_t i;

	for (i = 0; s[i] && i < QUOTE_MAX; i++) {
		unsigned char c = (unsigned char)s[i];

		out[i] = c >= ' ' && c < 0x7f ? (char)c : '?';
	}
	if (s[i]) {
		memcpy(out + i, "...", 3);
		i += 3;
	}
	out[i] = '\0';
	return out;
}

/* The lexer's verdict (an error or none) handed to the caller. */
static int report(const struct xml_lexer *lx, int r, struct domxml_error *err)
{
	if (err) {
		err->line = lx->error.line;
		ksnprintf(err->msg, sizeof(err->msg), "%s", lx->error.msg);
	}
	return r;
}

/* Index of word in a NULL-terminated list, or -1. */
static int word_index(const char *const *list, const char *word)
{
	for (int i = 0; list[i]; i++)
		if (!strcmp(list[i], word))
			return i;
	return -1;
}

/* ---------------------------------------------------------------- schema */

/* What an element does with character data inside it. */
enum text_mode {
	TEXT_NONE,	/* whitespace only */
	TEXT_KEEP,	/* kept in lx.text for the element's handler */
	TEXT_SKIP,	/* validated, then dropped (<description>) */
};

struct dom_parser {
	struct xml_lexer lx;
	struct dom_config *cfg;
	uint64_t unit;		/* the current element's unit attribute, in bytes */
	unsigned current_memory_line;	/* where <currentMemory> was, for end_domain */
};

struct elem_desc;

/* Called with an attribute's value once it matched the accept list. */
typedef int (*attr_fn)(struct dom_parser *p, const struct elem_desc *d,
		       const char *value, unsigned line);
/* Called at the element's end with its trimmed text ("" unless TEXT_KEEP). */
typedef int (*end_fn)(struct dom_parser *p, const struct elem_desc *d,
		      const char *text, unsigned line);

struct attr_desc {
	const char *name;
	bool required;
	const char *const *accept;	/* NULL-terminated values; NULL: any */
	attr_fn fn;			/* may be NULL */
};

struct elem_desc {
	const char *name;
	uint8_t min, max;		/* occurrences within the parent */
	enum text_mode text;
	const struct attr_desc *attrs;
	size_t nr_attrs;
	const struct elem_desc *children;
	size_t nr_children;
	end_fn end;			/* may be NULL */
};

#define ATTRS(a)	.attrs = (a), .nr_attrs = ARRAY_SIZE(a)
#define CHILDREN(c)	.children = (c), .nr_children = ARRAY_SIZE(c)

static const struct attr_desc *find_attr(const struct elem_desc *d, const char *name)
{
	for (size_t i = 0; i < d->nr_attrs; i++)
		if (!strcmp(d->attrs[i].name, name))
			return &d->attrs[i];
	return NULL;
}

static int apply_attr(struct dom_parser *p, const struct elem_desc *d,
		      const struct xml_attr *a)
{
	const struct attr_desc *ad = find_attr(d, a->name);
	char q[QUOTE_BUF];

	if (!ad)
		return xml_fail(&p->lx, -E_NOTSUP, a->line, "unsupported attribute '%s' on <%s>",
				a->name, d->name);
	if (ad->accept && word_index(ad->accept, a->value) < 0)
		return xml_fail(&p->lx, -E_NOTSUP, a->line, "unsupported %s='%s' on <%s>",
				a->name, quote(a->value, q), d->name);
	return ad->fn ? ad->fn(p, d, a->value, a->line) : 0;
}

/* The attributes of the start tag just read: each must be in d's table,
 * and every required one present. */
static int apply_attrs(struct dom_parser *p, const struct elem_desc *d)
{
	const struct xml_tag *t = &p->lx.tag;
	int r;

	for (unsigned i = 0; i < t->nr_attr; i++) {
		r = apply_attr(p, d, &t->attr[i]);
		if (r)
			return r;
	}
	for (size_t i = 0; i < d->nr_attrs; i++) {
		bool seen = false;

		for (unsigned j = 0; j < t->nr_attr; j++)
			seen |= !strcmp(t->attr[j].name, d->attrs[i].name);
		if (d->attrs[i].required && !seen)
			return xml_fail(&p->lx, -E_INVAL, t->line, "missing attribute '%s' on <%s>",
					d->attrs[i].name, d->name);
	}
	return 0;
}

static int parse_element(struct dom_parser *p, const struct elem_desc *d);

/* A child's start tag was just read inside d. */
static int parse_child(struct dom_parser *p, const struct elem_desc *d, uint8_t *count)
{
	const struct xml_tag *t = &p->lx.tag;
	size_t i;

	for (i = 0; i < d->nr_children; i++)
		if (!strcmp(d->children[i].name, t->name))
			break;
	if (i == d->nr_children)
		return xml_fail(&p->lx, -E_NOTSUP, t->line, "unsupported element <%s> in <%s>",
				t->name, d->name);
	if (count[i]++ == d->children[i].max)
		return xml_fail(&p->lx, -E_INVAL, t->line, "more than %u <%s> in <%s>",
				d->children[i].max, t->name, d->name);
	return parse_element(p, &d->children[i]);
}

static int parse_content(struct dom_parser *p, const struct elem_desc *d, uint8_t *count,
			 unsigned line)
{
	int tok;

	for (;;) {
		p->lx.keep_text = d->text == TEXT_KEEP;
		tok = xml_next_in(&p->lx, d->name, line);
		if (tok == XML_TOK_TEXT && p->lx.nonblank && d->text == TEXT_NONE)
			return xml_fail(&p->lx, -E_INVAL, p->lx.text_line,
					"unexpected text in <%s>", d->name);
		if (tok == XML_TOK_START)
			tok = parse_child(p, d, count);
		else if (tok == XML_TOK_END)
			return 0;
		if (tok < 0)
			return tok;
	}
}

static int check_required(struct dom_parser *p, const struct elem_desc *d,
			  const uint8_t *count)
{
	for (size_t i = 0; i < d->nr_children; i++)
		if (count[i] < d->children[i].min)
			return xml_fail(&p->lx, -E_INVAL, p->lx.tag.line, "missing <%s> in <%s>",
					d->children[i].name, d->name);
	return 0;
}

/* The element whose start tag was just read: attributes, content, then
 * its end handler. */
static int parse_element(struct dom_parser *p, const struct elem_desc *d)
{
	uint8_t count[MAX_CHILDREN] = { 0 };
	unsigned line = p->lx.tag.line;
	int r;

	p->unit = KiB;		/* libvirt's default unit for memory sizes */
	r = apply_attrs(p, d);
	if (r)
		return r;
	xml_text_clear(&p->lx);
	if (!p->lx.tag.empty) {
		r = parse_content(p, d, count, line);
		if (r)
			return r;
	}
	r = check_required(p, d, count);
	if (r)
		return r;
	return d->end ? d->end(p, d, d->text == TEXT_KEEP ? xml_text_trim(&p->lx) : "", line) : 0;
}

/* ---------------------------------------------------------------- values */

static bool is_name_byte(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.' || c == '+' || c == '-';
}

bool dom_name_valid(const char *s, size_t len)
{
	if (!len || len >= DOM_NAME_MAX || s[0] == '-' || s[0] == '.')
		return false;
	for (size_t i = 0; i < len; i++)
		if (!is_name_byte(s[i]))
			return false;
	return true;
}

static int parse_decimal(const char *s, uint64_t *out)
{
	uint64_t v = 0, d;

	if (!*s)
		return -E_INVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -E_INVAL;
		d = (uint64_t)(*s - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -E_RANGE;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

static int copy_text(char *dst, size_t size, const char *s)
{
	size_t n = strnlen(s, size);

	if (n == size)
		return -E_RANGE;
	memcpy(dst, s, n + 1);
	return 0;
}

static bool has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < ' ')
			return true;
	return false;
}

/* libvirt's size units (formatdomain.html#memory-allocation): b or bytes,
 * then k, M, G, T, P, E as powers of 1024 with an optional "iB", or as
 * powers of 1000 with "B"; case does not matter. */
static uint64_t unit_scale(const char *unit)
{
	static const char prefixes[] = "kmgtpe";
	const char *at;
	uint64_t scale = 1, base;

	if (xml_eq_nocase(unit, "b") || xml_eq_nocase(unit, "bytes"))
		return 1;
	at = unit[0] ? strchr(prefixes, xml_ascii_lower(unit[0])) : NULL;
	if (!at)
		return 0;
	if (!unit[1] || xml_eq_nocase(unit + 1, "iB"))
		base = KiB;
	else if (xml_eq_nocase(unit + 1, "B"))
		base = 1000;
	else
		return 0;
	for (long i = 0; i <= at - prefixes; i++)
		scale *= base;
	return scale;
}

static int attr_unit(struct dom_parser *p, const struct elem_desc *d, const char *value,
		     unsigned line)
{
	char q[QUOTE_BUF];

	p->unit = unit_scale(value);
	if (!p->unit)
		return xml_fail(&p->lx, -E_INVAL, line, "unknown unit '%s' on <%s>",
				quote(value, q), d->name);
	return 0;
}

/* A size in p->unit units, rounded up to whole pages. */
static int parse_size(struct dom_parser *p, const struct elem_desc *d, const char *text,
		      unsigned line, uint64_t *out)
{
	char q[QUOTE_BUF];
	uint64_t v;
	int r = parse_decimal(text, &v);

	if (r == -E_INVAL)
		return xml_fail(&p->lx, r, line, "<%s> needs a decimal number, not '%s'",
				d->name, quote(text, q));
	if (r || v > DOM_MEMORY_MAX / p->unit || v * p->unit > DOM_MEMORY_MAX)
		return xml_fail(&p->lx, -E_RANGE, line, "<%s> is larger than Keel's limit of 1 TiB",
				d->name);
	if (!v)
		return xml_fail(&p->lx, -E_RANGE, line, "<%s> must be greater than 0", d->name);
	*out = ALIGN_UP(v * p->unit, DOM_MEMORY_ALIGN);
	return 0;
}

static int end_memory(struct dom_parser *p, const struct elem_desc *d, const char *text,
		      unsigned line)
{
	return parse_size(p, d, text, line, &p->cfg->memory_bytes);
}

static int end_current_memory(struct dom_parser *p, const struct elem_desc *d,
			      const char *text, unsigned line)
{
	p->current_memory_line = line;
	return parse_size(p, d, text, line, &p->cfg->current_memory_bytes);
}

static int end_name(struct dom_parser *p, const struct elem_desc *d, const char *text,
		    unsigned line)
{
	char q[QUOTE_BUF];

	if (!dom_name_valid(text, strlen(text)))
		return xml_fail(&p->lx, -E_INVAL, line, "invalid domain name '%s': 1-%u of "
				"A-Z a-z 0-9 _ . + -, not starting with '-' or '.'",
				quote(text, q), DOM_NAME_MAX - 1);
	memcpy(p->cfg->name, text, strlen(text) + 1);
	return 0;
}

static int end_uuid(struct dom_parser *p, const struct elem_desc *d, const char *text,
		    unsigned line)
{
	char q[QUOTE_BUF];

	if (uuid_parse(text, p->cfg->uuid))
		return xml_fail(&p->lx, -E_INVAL, line, "invalid UUID '%s'", quote(text, q));
	p->cfg->uuid_set = true;
	return 0;
}

static int end_title(struct dom_parser *p, const struct elem_desc *d, const char *text,
		     unsigned line)
{
	if (has_control(text))
		return xml_fail(&p->lx, -E_INVAL, line, "<title> must be one line");
	if (copy_text(p->cfg->title, sizeof(p->cfg->title), text))
		return xml_fail(&p->lx, -E_INVAL, line, "<title> is longer than %u bytes",
				DOM_TITLE_MAX - 1);
	return 0;
}

static int end_vcpu(struct dom_parser *p, const struct elem_desc *d, const char *text,
		    unsigned line)
{
	char q[QUOTE_BUF];
	uint64_t v = 0;		/* stays 0, out of range, on overflow */

	if (parse_decimal(text, &v) == -E_INVAL)
		return xml_fail(&p->lx, -E_INVAL, line, "<vcpu> needs a decimal number, not '%s'",
				quote(text, q));
	if (v < 1 || v > DOM_MAX_VCPUS)
		return xml_fail(&p->lx, -E_RANGE, line, "<vcpu> must be 1 to %u", DOM_MAX_VCPUS);
	p->cfg->vcpus = (uint32_t)v;
	return 0;
}

static int attr_arch(struct dom_parser *p, const struct elem_desc *d, const char *value,
		     unsigned line)
{
	p->cfg->arch = !strcmp(value, "x86_64") ? DOM_ARCH_X86_64 : DOM_ARCH_I686;
	return 0;
}

static int attr_machine(struct dom_parser *p, const struct elem_desc *d, const char *value,
			unsigned line)
{
	if (copy_text(p->cfg->machine, sizeof(p->cfg->machine), value))
		return xml_fail(&p->lx, -E_INVAL, line, "machine= is longer than %u bytes",
				DOM_MACHINE_MAX - 1);
	return 0;
}

static int end_os_type(struct dom_parser *p, const struct elem_desc *d, const char *text,
		       unsigned line)
{
	char q[QUOTE_BUF];

	if (strcmp(text, "hvm"))
		return xml_fail(&p->lx, -E_NOTSUP, line,
				"unsupported OS type '%s': Keel runs 'hvm'",
				quote(text, q));
	return 0;
}

/* Guest files are loaded from the config directory, so only a plain name
 * of that directory makes sense (no path, no way out of it). */
static int guest_file(struct dom_parser *p, const struct elem_desc *d, const char *text,
		      unsigned line, char out[DOM_FILE_MAX])
{
	size_t len = strlen(text);
	char q[QUOTE_BUF];

	if (strchr(text, '/') || strchr(text, '\\'))
		return xml_fail(&p->lx, -E_INVAL, line, "<%s> '%s' must be a file name in the "
				"config directory, without '/'", d->name, quote(text, q));
	if (!len || len >= DOM_FILE_MAX || !strcmp(text, ".") || !strcmp(text, ".."))
		return xml_fail(&p->lx, -E_INVAL, line, "<%s> needs a file name of 1-%u characters",
				d->name, DOM_FILE_MAX - 1);
	for (size_t i = 0; i < len; i++)
		if (!is_name_byte(text[i]))
			return xml_fail(&p->lx, -E_INVAL, line, "<%s> '%s': file names use "
					"A-Z a-z 0-9 _ . + -", d->name, quote(text, q));
	memcpy(out, text, len + 1);
	return 0;
}

static int end_kernel(struct dom_parser *p, const struct elem_desc *d, const char *text,
		      unsigned line)
{
	return guest_file(p, d, text, line, p->cfg->kernel);
}

static int end_initrd(struct dom_parser *p, const struct elem_desc *d, const char *text,
		      unsigned line)
{
	/* the element table caps occurrences at DOM_MAX_MODULES */
	return guest_file(p, d, text, line, p->cfg->initrd[p->cfg->nr_initrd++]);
}

static int end_cmdline(struct dom_parser *p, const struct elem_desc *d, const char *text,
		       unsigned line)
{
	if (has_control(text))
		return xml_fail(&p->lx, -E_INVAL, line, "<cmdline> must be one line");
	/* the text buffer holds at most DOM_CMDLINE_MAX - 1 bytes */
	memcpy(p->cfg->cmdline, text, strlen(text) + 1);
	return 0;
}

static const char *const action_names[] = {
	[DOM_ACTION_DESTROY] = "destroy",
	[DOM_ACTION_RESTART] = "restart",
	[DOM_ACTION_PRESERVE] = "preserve",
	NULL,
};

const char *dom_action_name(enum dom_action action)
{
	return (unsigned)action < ARRAY_SIZE(action_names) - 1 ? action_names[action] : "?";
}

static int parse_action(struct dom_parser *p, const struct elem_desc *d, const char *text,
			unsigned line, enum dom_action *out)
{
	static const char *const unsupported[] = {
		"rename-restart", "coredump-destroy", "coredump-restart", NULL,
	};
	int i = word_index(action_names, text);
	char q[QUOTE_BUF];

	if (i >= 0) {
		*out = (enum dom_action)i;
		return 0;
	}
	if (word_index(unsupported, text) >= 0)
		return xml_fail(&p->lx, -E_NOTSUP, line, "unsupported action '%s' in <%s>",
				text, d->name);
	return xml_fail(&p->lx, -E_INVAL, line, "invalid action '%s' in <%s>: destroy, "
			"restart or preserve", quote(text, q), d->name);
}

static int end_on_poweroff(struct dom_parser *p, const struct elem_desc *d,
			   const char *text, unsigned line)
{
	return parse_action(p, d, text, line, &p->cfg->on_poweroff);
}

static int end_on_reboot(struct dom_parser *p, const struct elem_desc *d, const char *text,
			 unsigned line)
{
	return parse_action(p, d, text, line, &p->cfg->on_reboot);
}

static int end_on_crash(struct dom_parser *p, const struct elem_desc *d, const char *text,
			unsigned line)
{
	return parse_action(p, d, text, line, &p->cfg->on_crash);
}

static int end_serial(struct dom_parser *p, const struct elem_desc *d, const char *text,
		      unsigned line)
{
	p->cfg->has_serial = true;
	return 0;
}

static int end_console(struct dom_parser *p, const struct elem_desc *d, const char *text,
		       unsigned line)
{
	p->cfg->has_console = true;
	return 0;
}

/* ---------------------------------------------------------------- features */

static int end_acpi(struct dom_parser *p, const struct elem_desc *d, const char *text,
		    unsigned line)
{
	p->cfg->feat_acpi = true;
	return 0;
}

static int end_apic(struct dom_parser *p, const struct elem_desc *d, const char *text,
		    unsigned line)
{
	p->cfg->feat_apic = true;
	return 0;
}

static int end_pae(struct dom_parser *p, const struct elem_desc *d, const char *text,
		   unsigned line)
{
	p->cfg->feat_pae = true;
	return 0;
}

/* ---------------------------------------------------------------- disks */

/* The <disk> being parsed: the element table caps occurrences at
 * DOM_MAX_DISKS, and end_disk counts it only once it is complete. */
static struct dom_disk *cur_disk(struct dom_parser *p)
{
	return &p->cfg->disks[p->cfg->nr_disks];
}

static int attr_source_file(struct dom_parser *p, const struct elem_desc *d,
			    const char *value, unsigned line)
{
	return guest_file(p, d, value, line, cur_disk(p)->file);
}

/* prefix followed by one or more lowercase letters */
static bool letters_after(const char *s, const char *prefix)
{
	size_t n = strlen(prefix);

	if (strncmp(s, prefix, n) || !s[n])
		return false;
	for (s += n; *s; s++)
		if (*s < 'a' || *s > 'z')
			return false;
	return true;
}

/* libvirt names disks by bus prefix and a letter index (hda, sdb, xvdc,
 * vdaa); Keel's are virtio and at most 26, so only vda..vdz. */
static int check_disk_name(struct dom_parser *p, const char *dev, unsigned line)
{
	static const char *const prefixes[] = { "vd", "hd", "sd", "xvd", "ubd", NULL };
	char q[QUOTE_BUF];

	if (dev[0] == 'v' && dev[1] == 'd' && dev[2] >= 'a' && dev[2] <= 'z' && !dev[3])
		return 0;
	for (int i = 0; prefixes[i]; i++)
		if (letters_after(dev, prefixes[i]))
			return xml_fail(&p->lx, -E_NOTSUP, line, "unsupported dev='%s' on "
					"<target>: Keel's disks are virtio, vda to vdz",
					quote(dev, q));
	return xml_fail(&p->lx, -E_INVAL, line, "invalid dev='%s' on <target>: vda to vdz",
			quote(dev, q));
}

static int attr_target_dev(struct dom_parser *p, const struct elem_desc *d,
			   const char *value, unsigned line)
{
	const struct dom_config *cfg = p->cfg;
	int r = check_disk_name(p, value, line);

	if (r)
		return r;
	for (unsigned i = 0; i < cfg->nr_disks; i++)
		if (!strcmp(cfg->disks[i].target, value))
			return xml_fail(&p->lx, -E_INVAL, line,
					"dev='%s' on <target> is used by another <disk>", value);
	memcpy(cur_disk(p)->target, value, strlen(value) + 1);
	return 0;
}

static int end_readonly(struct dom_parser *p, const struct elem_desc *d, const char *text,
			unsigned line)
{
	cur_disk(p)->readonly = true;
	return 0;
}

/* Reported to the guest as the virtio-blk ID (VIRTIO_BLK_T_GET_ID: 20
 * bytes); the characters are those libvirt's schema allows. */
static int end_disk_serial(struct dom_parser *p, const struct elem_desc *d,
			   const char *text, unsigned line)
{
	size_t len = strlen(text);
	char q[QUOTE_BUF];

	if (len >= DOM_DISK_SERIAL_MAX)
		return xml_fail(&p->lx, -E_INVAL, line, "<serial> of a <disk> is longer than %u "
				"bytes", DOM_DISK_SERIAL_MAX - 1);
	for (size_t i = 0; i < len; i++)
		if (!is_name_byte(text[i]) && text[i] != ' ')
			return xml_fail(&p->lx, -E_INVAL, line, "<serial> '%s': a disk's serial "
					"uses A-Z a-z 0-9 _ . + - and space", quote(text, q));
	if (!len)
		return xml_fail(&p->lx, -E_INVAL, line, "<serial> of a <disk> is empty");
	memcpy(cur_disk(p)->serial, text, len + 1);
	return 0;
}

static int end_disk(struct dom_parser *p, const struct elem_desc *d, const char *text,
		    unsigned line)
{
	p->cfg->nr_disks++;
	return 0;
}

/* ---------------------------------------------------------------- rng */

/* libvirt's text names the host's entropy source; Keel has its own, and
 * accepts the two names that mean "the host's kernel pool". */
static int end_rng_backend(struct dom_parser *p, const struct elem_desc *d,
			   const char *text, unsigned line)
{
	static const char *const sources[] = { "", "/dev/urandom", "/dev/random", NULL };
	char q[QUOTE_BUF];

	if (word_index(sources, text) < 0)
		return xml_fail(&p->lx, -E_NOTSUP, line, "unsupported <backend> source '%s': "
				"/dev/urandom or /dev/random", quote(text, q));
	return 0;
}

static int end_rng(struct dom_parser *p, const struct elem_desc *d, const char *text,
		   unsigned line)
{
	p->cfg->has_rng = true;
	return 0;
}

/* ---------------------------------------------------------------- the domain */

static int end_domain(struct dom_parser *p, const struct elem_desc *d, const char *text,
		      unsigned line)
{
	struct dom_config *cfg = p->cfg;

	if (!cfg->current_memory_bytes)
		cfg->current_memory_bytes = cfg->memory_bytes;
	if (cfg->current_memory_bytes > cfg->memory_bytes)
		return xml_fail(&p->lx, -E_RANGE, p->current_memory_line,
				"<currentMemory> is larger than <memory>");
	return 0;
}

/* ---------------------------------------------------------------- the tables */

static const char *const pty_only[] = { "pty", NULL };
static const char *const port_zero[] = { "0", NULL };	/* one UART, at 0x3F8 */

static const struct attr_desc serial_target_attrs[] = {
	{ "type", false, (const char *const[]){ "isa-serial", NULL }, NULL },
	{ "port", false, port_zero, NULL },
};

static const struct attr_desc console_target_attrs[] = {
	{ "type", false, (const char *const[]){ "serial", NULL }, NULL },
	{ "port", false, port_zero, NULL },
};

static const struct elem_desc serial_children[] = {
	{ "target", 0, 1, TEXT_NONE, ATTRS(serial_target_attrs) },
};

static const struct elem_desc console_children[] = {
	{ "target", 0, 1, TEXT_NONE, ATTRS(console_target_attrs) },
};

static const struct attr_desc chardev_attrs[] = {
	{ "type", true, pty_only, NULL },
};

static const struct attr_desc disk_driver_attrs[] = {
	{ "name", false, (const char *const[]){ "qemu", "keel", NULL }, NULL },
	{ "type", false, (const char *const[]){ "raw", NULL }, NULL },
};

static const struct attr_desc disk_source_attrs[] = {
	{ "file", true, NULL, attr_source_file },
};

static const struct attr_desc disk_target_attrs[] = {
	{ "dev", true, NULL, attr_target_dev },
	{ "bus", false, (const char *const[]){ "virtio", NULL }, NULL },
};

static const struct elem_desc disk_children[] = {
	{ "driver", 0, 1, TEXT_NONE, ATTRS(disk_driver_attrs) },
	{ "source", 1, 1, TEXT_NONE, ATTRS(disk_source_attrs) },
	{ "target", 1, 1, TEXT_NONE, ATTRS(disk_target_attrs) },
	{ "readonly", 0, 1, TEXT_NONE, .end = end_readonly },
	{ "serial", 0, 1, TEXT_KEEP, .end = end_disk_serial },
};

/* libvirt's defaults for both are the only values Keel supports */
static const struct attr_desc disk_attrs[] = {
	{ "type", false, (const char *const[]){ "file", NULL }, NULL },
	{ "device", false, (const char *const[]){ "disk", NULL }, NULL },
};

static const struct attr_desc rng_backend_attrs[] = {
	{ "model", true, (const char *const[]){ "random", NULL }, NULL },
};

static const struct elem_desc rng_children[] = {
	{ "backend", 1, 1, TEXT_KEEP, ATTRS(rng_backend_attrs), .end = end_rng_backend },
};

static const struct attr_desc rng_attrs[] = {
	{ "model", true, (const char *const[]){ "virtio", NULL }, NULL },
};

/* libvirt adds <memballoon> to most domains it writes; 'none' asks for
 * no device, which is what Keel has. */
static const struct attr_desc memballoon_attrs[] = {
	{ "model", true, (const char *const[]){ "none", NULL }, NULL },
};

static const struct elem_desc devices_children[] = {
	{ "serial", 0, 1, TEXT_NONE, ATTRS(chardev_attrs), CHILDREN(serial_children),
	  end_serial },
	{ "console", 0, 1, TEXT_NONE, ATTRS(chardev_attrs), CHILDREN(console_children),
	  end_console },
	{ "disk", 0, DOM_MAX_DISKS, TEXT_NONE, ATTRS(disk_attrs), CHILDREN(disk_children),
	  end_disk },
	{ "rng", 0, 1, TEXT_NONE, ATTRS(rng_attrs), CHILDREN(rng_children), end_rng },
	{ "memballoon", 0, 1, TEXT_NONE, ATTRS(memballoon_attrs) },
};

/* Keel always gives ACPI tables and a local APIC; these are kept only to
 * be written back. */
static const struct elem_desc features_children[] = {
	{ "acpi", 0, 1, TEXT_NONE, .end = end_acpi },
	{ "apic", 0, 1, TEXT_NONE, .end = end_apic },
	{ "pae", 0, 1, TEXT_NONE, .end = end_pae },
};

static const struct attr_desc os_type_attrs[] = {
	{ "arch", false, (const char *const[]){ "x86_64", "i686", NULL }, attr_arch },
	{ "machine", false, NULL, attr_machine },
};

static const struct elem_desc os_children[] = {
	{ "type", 1, 1, TEXT_KEEP, ATTRS(os_type_attrs), .end = end_os_type },
	{ "kernel", 1, 1, TEXT_KEEP, .end = end_kernel },
	{ "initrd", 0, DOM_MAX_MODULES, TEXT_KEEP, .end = end_initrd },
	{ "cmdline", 0, 1, TEXT_KEEP, .end = end_cmdline },
};

static const struct attr_desc memory_attrs[] = {
	{ "unit", false, NULL, attr_unit },
};

static const struct attr_desc vcpu_attrs[] = {
	{ "placement", false, (const char *const[]){ "static", NULL }, NULL },
};

static const struct elem_desc domain_children[] = {
	{ "name", 1, 1, TEXT_KEEP, .end = end_name },
	{ "uuid", 0, 1, TEXT_KEEP, .end = end_uuid },
	{ "title", 0, 1, TEXT_KEEP, .end = end_title },
	{ "description", 0, 1, TEXT_SKIP, .end = NULL },
	{ "memory", 1, 1, TEXT_KEEP, ATTRS(memory_attrs), .end = end_memory },
	{ "currentMemory", 0, 1, TEXT_KEEP, ATTRS(memory_attrs), .end = end_current_memory },
	{ "vcpu", 0, 1, TEXT_KEEP, ATTRS(vcpu_attrs), .end = end_vcpu },
	{ "os", 1, 1, TEXT_NONE, CHILDREN(os_children) },
	{ "features", 0, 1, TEXT_NONE, CHILDREN(features_children) },
	{ "on_poweroff", 0, 1, TEXT_KEEP, .end = end_on_poweroff },
	{ "on_reboot", 0, 1, TEXT_KEEP, .end = end_on_reboot },
	{ "on_crash", 0, 1, TEXT_KEEP, .end = end_on_crash },
	{ "devices", 0, 1, TEXT_NONE, CHILDREN(devices_children) },
};

_Static_assert(ARRAY_SIZE(domain_children) <= MAX_CHILDREN, "raise MAX_CHILDREN");
_Static_assert(ARRAY_SIZE(devices_children) <= MAX_CHILDREN, "raise MAX_CHILDREN");
_Static_assert(DOM_MAX_DISKS <= 26, "disk targets are vda to vdz");

static const struct attr_desc domain_attrs[] = {
	{ "type", true, (const char *const[]){ "keel", "kvm", NULL }, NULL },
};

static const struct elem_desc domain_root = {
	"domain", 1, 1, TEXT_NONE, ATTRS(domain_attrs), CHILDREN(domain_children), end_domain,
};

/* ---------------------------------------------------------------- entry points */

static void set_defaults(struct dom_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->vcpus = 1;
	cfg->on_poweroff = DOM_ACTION_DESTROY;	/* libvirt's defaults */
	cfg->on_reboot = DOM_ACTION_RESTART;
	cfg->on_crash = DOM_ACTION_DESTROY;
}

static int parse_domain(struct dom_parser *p)
{
	int r = xml_prolog(&p->lx);

	if (r)
		return r;
	if (strcmp(p->lx.tag.name, domain_root.name))
		return xml_fail(&p->lx, -E_NOTSUP, p->lx.tag.line,
				"root element is <%s>, not <domain>", p->lx.tag.name);
	r = parse_element(p, &domain_root);
	return r ? r : xml_epilog(&p->lx);
}

int domxml_parse(const char *text, size_t len, struct dom_config *out,
		 struct domxml_error *err)
{
	struct dom_parser p;

	xml_init(&p.lx, text, len);
	p.cfg = out;
	p.current_memory_line = 0;
	set_defaults(out);
	return report(&p.lx, parse_domain(&p), err);
}

/* 1 if the root is <domain>, 0 if it is another element, or an error. */
static int check_document(struct xml_lexer *lx)
{
	bool domain;
	int r = xml_prolog(lx);

	if (r)
		return r;
	domain = !strcmp(lx->tag.name, domain_root.name);
	r = xml_skip_element(lx);
	if (!r)
		r = xml_epilog(lx);
	return r ? r : domain;
}

int domxml_is_domain(const char *text, size_t len, struct domxml_error *err)
{
	struct xml_lexer lx;

	xml_init(&lx, text, len);
	return report(&lx, check_document(&lx), err);
}

/* ---------------------------------------------------------------- formatting */

struct xml_out {
	char *buf;
	size_t size;
	size_t len;	/* bytes the full output needs */
};

static void put_char(struct xml_out *o, char c)
{
	if (o->len + 1 < o->size) {
		o->buf[o->len] = c;
		o->buf[o->len + 1] = '\0';
	}
	o->len++;
}

__attribute__((format(printf, 2, 3)))
static void put_fmt(struct xml_out *o, const char *fmt, ...)
{
	size_t room = o->len < o->size ? o->size - o->len : 0;
	va_list ap;

	va_start(ap, fmt);
	o->len += (size_t)kvsnprintf(room ? o->buf + o->len : NULL, room, fmt, ap);
	va_end(ap);
}

/* s as character data or a '-quoted attribute value (section 2.4, 3.3.3). */
static void put_escaped(struct xml_out *o, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<': put_fmt(o, "&lt;"); break;
		case '>': put_fmt(o, "&gt;"); break;
		case '&': put_fmt(o, "&amp;"); break;
		case '\'': put_fmt(o, "&apos;"); break;
		case '"': put_fmt(o, "&quot;"); break;
		case '\t': case '\n': case '\r': put_fmt(o, "&#%u;", (unsigned)*s); break;
		default: put_char(o, *s); break;
		}
	}
}

static void put_element(struct xml_out *o, const char *indent, const char *name,
			const char *text)
{
	put_fmt(o, "%s<%s>", indent, name);
	put_escaped(o, text);
	put_fmt(o, "</%s>\n", name);
}

static void put_size(struct xml_out *o, const char *name, uint64_t bytes)
{
	bool kib = !(bytes % KiB);

	put_fmt(o, "  <%s unit='%s'>%llu</%s>\n", name, kib ? "KiB" : "b",
		(unsigned long long)(kib ? bytes / KiB : bytes), name);
}

static void put_os(struct xml_out *o, const struct dom_config *cfg)
{
	static const char *const arch_names[] = {
		[DOM_ARCH_X86_64] = "x86_64", [DOM_ARCH_I686] = "i686",
	};

	put_fmt(o, "  <os>\n    <type");
	if (cfg->arch == DOM_ARCH_X86_64 || cfg->arch == DOM_ARCH_I686)
		put_fmt(o, " arch='%s'", arch_names[cfg->arch]);
	if (cfg->machine[0]) {
		put_fmt(o, " machine='");
		put_escaped(o, cfg->machine);
		put_char(o, '\'');
	}
	put_fmt(o, ">hvm</type>\n");
	put_element(o, "    ", "kernel", cfg->kernel);
	for (unsigned i = 0; i < cfg->nr_initrd && i < DOM_MAX_MODULES; i++)
		put_element(o, "    ", "initrd", cfg->initrd[i]);
	if (cfg->cmdline[0])
		put_element(o, "    ", "cmdline", cfg->cmdline);
	put_fmt(o, "  </os>\n");
}

static void put_features(struct xml_out *o, const struct dom_config *cfg)
{
	const struct { const char *name; bool on; } features[] = {
		{ "acpi", cfg->feat_acpi }, { "apic", cfg->feat_apic }, { "pae", cfg->feat_pae },
	};

	if (!cfg->feat_acpi && !cfg->feat_apic && !cfg->feat_pae)
		return;
	put_fmt(o, "  <features>\n");
	for (size_t i = 0; i < ARRAY_SIZE(features); i++)
		if (features[i].on)
			put_fmt(o, "    <%s/>\n", features[i].name);
	put_fmt(o, "  </features>\n");
}

/* The driver's name is left out: libvirt's is 'qemu', Keel's 'keel', and
 * both read the same. */
static void put_disk(struct xml_out *o, const struct dom_disk *disk)
{
	put_fmt(o, "    <disk type='file' device='disk'>\n"
		"      <driver type='raw'/>\n      <source file='");
	put_escaped(o, disk->file);
	put_fmt(o, "'/>\n      <target dev='");
	put_escaped(o, disk->target);
	put_fmt(o, "' bus='virtio'/>\n");
	if (disk->readonly)
		put_fmt(o, "      <readonly/>\n");
	if (disk->serial[0])
		put_element(o, "      ", "serial", disk->serial);
	put_fmt(o, "    </disk>\n");
}

static void put_devices(struct xml_out *o, const struct dom_config *cfg)
{
	if (!cfg->has_serial && !cfg->has_console && !cfg->nr_disks && !cfg->has_rng)
		return;
	put_fmt(o, "  <devices>\n");
	for (unsigned i = 0; i < cfg->nr_disks && i < DOM_MAX_DISKS; i++)
		put_disk(o, &cfg->disks[i]);
	if (cfg->has_serial)
		put_fmt(o, "    <serial type='pty'>\n      <target port='0'/>\n    </serial>\n");
	if (cfg->has_console)
		put_fmt(o, "    <console type='pty'>\n      <target type='serial' port='0'/>\n"
			"    </console>\n");
	if (cfg->has_rng)
		put_fmt(o, "    <rng model='virtio'>\n"
			"      <backend model='random'>/dev/urandom</backend>\n    </rng>\n");
	put_fmt(o, "  </devices>\n");
}

int domxml_format(const struct dom_config *cfg, char *buf, size_t size)
{
	struct xml_out o = { buf, size, 0 };
	char uuid[UUID_STR_LEN + 1];

	if (size)
		buf[0] = '\0';
	put_fmt(&o, "<domain type='keel'>\n");
	put_element(&o, "  ", "name", cfg->name);
	if (cfg->uuid_set) {
		uuid_format(cfg->uuid, uuid);
		put_element(&o, "  ", "uuid", uuid);
	}
	if (cfg->title[0])
		put_element(&o, "  ", "title", cfg->title);
	put_size(&o, "memory", cfg->memory_bytes);
	put_size(&o, "currentMemory", cfg->current_memory_bytes);
	put_fmt(&o, "  <vcpu placement='static'>%u</vcpu>\n", cfg->vcpus);
	put_os(&o, cfg);
	put_features(&o, cfg);
	put_element(&o, "  ", "on_poweroff", dom_action_name(cfg->on_poweroff));
	put_element(&o, "  ", "on_reboot", dom_action_name(cfg->on_reboot));
	put_element(&o, "  ", "on_crash", dom_action_name(cfg->on_crash));
	put_devices(&o, cfg);
	put_fmt(&o, "</domain>\n");
	return (int)o.len;
}

/* ---------------------------------------------------------------- autostart */

static int autostart_fail(struct domxml_error *err, unsigned line, const char *msg)
{
	err->line = line;
	ksnprintf(err->msg, sizeof(err->msg), "%s", msg);
	return -E_INVAL;
}

static int autostart_line(const char *s, size_t n, unsigned line, autostart_fn fn,
			  void *ctx, struct domxml_error *err)
{
	const char *hash = memchr(s, '#', n);
	char name[DOM_NAME_MAX];

	if (hash)
		n = (size_t)(hash - s);
	while (n && xml_is_space(*s))
		s++, n--;
	while (n && xml_is_space(s[n - 1]))
		n--;
	if (!n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (xml_is_space(s[i]))
			return autostart_fail(err, line, "one domain name a line");
	if (!dom_name_valid(s, n))
		return autostart_fail(err, line, "invalid domain name: 1-63 of A-Z a-z 0-9 "
				      "_ . + -, not starting with '-' or '.'");
	memcpy(name, s, n);
	name[n] = '\0';
	err->line = line;
	return fn(ctx, name, line);
}

int autostart_parse(const char *text, size_t len, autostart_fn fn, void *ctx,
		    struct domxml_error *err)
{
	unsigned line = 1;
	size_t start = 0;
	int r;

	err->msg[0] = '\0';
	for (size_t i = 0; i <= len; i++) {
		if (i < len && text[i] == '\0')
			return autostart_fail(err, line, "NUL byte in file");
		if (i < len && text[i] != '\n')
			continue;
		r = autostart_line(text + start, i - start, line, fn, ctx, err);
		if (r)
			return r;
		start = i + 1;
		line++;
	}
	err->line = 0;
	return 0;
}
