/*
 * ACPI table parser (see kernel/acpi.h). Owns the walk RSDP -> XSDT/RSDT ->
 * tables and the decoding of the MADT, FADT, MCFG and HPET into struct
 * acpi_info. Every read goes through the caller's map callback and is
 * bounds-checked against the table's own length first; firmware mistakes are
 * recorded in acpi_info and cost only the table (or entry) they are in.
 */
#include "kernel/acpi.h"
#include "kernel/errno.h"
#include "kernel/klib.h"

/* Longest RSDP accepted: the structure is 36 bytes; a little slack for
 * future growth, not enough for a corrupt length to matter. */
#define ACPI_RSDP_MAX_LEN 4096
/* Most root-table entries visited: real systems have well under a hundred
 * tables; the cap keeps a corrupt root table from checksumming gigabytes. */
#define ACPI_MAX_ROOT_ENTRIES 1024
#define BITS_PER_BYTE 8
#define PM_TIMER_BITS_EXT 32
#define PM_TIMER_BITS 24

struct parser {
	acpi_map_fn map;
	void *ctx;
	struct acpi_info *out;
	uint32_t decoded;		/* bit i: decoders[i] has run */
	bool madt_online_capable;	/* MADT revision defines that flag */
};

/* ------------------------------------------------------------ helpers */

uint8_t acpi_checksum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t sum = 0;

	for (size_t i = 0; i < len; i++)
		sum += b[i];
	return sum;
}

/* Map [phys, phys + len), refusing ranges that wrap around. */
static const uint8_t *map_range(const struct parser *p, uint64_t phys,
				size_t len)
{
	if (phys + len < phys)
		return NULL;
	return p->map(phys, len, p->ctx);
}

/* Copy a fixed-width firmware string for printing: stop at NUL, replace
 * anything non-printable so it cannot drive the console. dst has n + 1. */
static void copy_printable(char *dst, const char *src, size_t n)
{
	size_t i;

	for (i = 0; i < n && src[i] != '\0'; i++) {
		unsigned char c = (unsigned char)src[i];
		dst[i] = (c >= ' ' && c <= '~') ? (char)c : '?';
	}
	dst[i] = '\0';
}

static bool sig_is(const struct acpi_sdt_header *hdr, const char *sig)
{
	return memcmp(hdr->signature, sig, ACPI_SIG_LEN) == 0;
}

const char *acpi_table_status_str(enum acpi_table_status status)
{
	switch (status) {
	case ACPI_TABLE_OK:
		return "ok";
	case ACPI_TABLE_UNREADABLE:
		return "unreadable";
	case ACPI_TABLE_BAD_LENGTH:
		return "bad length";
	case ACPI_TABLE_BAD_CHECKSUM:
		return "bad checksum";
	case ACPI_TABLE_BAD_SIGNATURE:
		return "bad signature";
	}
	return "unknown";
}

const struct acpi_table_ref *acpi_find(const struct acpi_info *info,
				       const char sig[ACPI_SIG_LEN])
{
	for (uint32_t i = 0; i < info->nr_tables; i++) {
		const struct acpi_table_ref *t = &info->tables[i];

		if (t->status == ACPI_TABLE_OK &&
		    memcmp(t->sig, sig, ACPI_SIG_LEN) == 0)
			return t;
	}
	return NULL;
}

/* ------------------------------------------------------------ tables */

/* Read and check one table's header, length and checksum. On ACPI_TABLE_OK
 * *table points at all hdr->length bytes (until the next map call). */
static enum acpi_table_status map_table(const struct parser *p, uint64_t phys,
					struct acpi_sdt_header *hdr,
					const uint8_t **table)
{
	const uint8_t *h = map_range(p, phys, sizeof(*hdr));

	memset(hdr, 0, sizeof(*hdr));
	if (!h)
		return ACPI_TABLE_UNREADABLE;
	memcpy(hdr, h, sizeof(*hdr));
	if (hdr->length < sizeof(*hdr) || hdr->length > ACPI_MAX_TABLE_LEN)
		return ACPI_TABLE_BAD_LENGTH;
	*table = map_range(p, phys, hdr->length);
	if (!*table)
		return ACPI_TABLE_UNREADABLE;
	if (acpi_checksum(*table, hdr->length) != 0)
		return ACPI_TABLE_BAD_CHECKSUM;
	return ACPI_TABLE_OK;
}

/* Add a table to the list shown in the boot log and searched by acpi_find. */
static void record_table(struct parser *p, uint64_t phys,
			 const struct acpi_sdt_header *hdr,
			 enum acpi_table_status status)
{
	struct acpi_info *out = p->out;
	struct acpi_table_ref *t;

	if (status != ACPI_TABLE_OK)
		out->nr_bad_tables++;
	if (out->nr_tables == ACPI_MAX_TABLES) {
		out->truncated |= ACPI_TRUNC_TABLES;
		return;
	}
	t = &out->tables[out->nr_tables++];
	copy_printable(t->sig, hdr->signature, ACPI_SIG_LEN);
	copy_printable(t->oem_id, hdr->oem_id, ACPI_OEM_ID_LEN);
	copy_printable(t->oem_table_id, hdr->oem_table_id,
		       ACPI_OEM_TABLE_ID_LEN);
	t->revision = hdr->revision;
	t->length = hdr->length;
	t->phys = phys;
	t->status = status;
}

/* ------------------------------------------------------------ MADT */

static void add_cpu(struct parser *p, uint32_t apic_id, uint32_t uid,
		    uint32_t flags, bool x2apic_entry)
{
	struct acpi_madt_info *m = &p->out->madt;
	bool enabled = flags & ACPI_LAPIC_ENABLED;
	/* Online-capable is reserved when Enabled is set (section 5.2.12.2). */
	bool online = !enabled && p->madt_online_capable &&
		      (flags & ACPI_LAPIC_ONLINE_CAPABLE);

	if (!enabled && !online)
		return;
	for (uint32_t i = 0; i < m->nr_cpus; i++)
		if (m->cpus[i].apic_id == apic_id)
			return;
	if (m->nr_cpus == ACPI_MAX_CPUS) {
		p->out->truncated |= ACPI_TRUNC_CPUS;
		return;
	}
	m->cpus[m->nr_cpus++] = (struct acpi_cpu){
		.apic_id = apic_id,
		.acpi_uid = uid,
		.enabled = enabled,
		.online_capable = online,
		.x2apic_entry = x2apic_entry,
	};
}

static void madt_lapic(struct parser *p, const uint8_t *e)
{
	struct acpi_madt_lapic l;

	memcpy(&l, e, sizeof(l));
	if (l.apic_id != ACPI_XAPIC_ID_INVALID)
		add_cpu(p, l.apic_id, l.acpi_uid, l.flags, false);
}

static void madt_x2apic(struct parser *p, const uint8_t *e)
{
	struct acpi_madt_x2apic x;

	memcpy(&x, e, sizeof(x));
	if (x.x2apic_id != ACPI_X2APIC_ID_INVALID)
		add_cpu(p, x.x2apic_id, x.acpi_uid, x.flags, true);
}

static void madt_ioapic(struct parser *p, const uint8_t *e)
{
	struct acpi_madt_info *m = &p->out->madt;
	struct acpi_madt_ioapic io;

	memcpy(&io, e, sizeof(io));
	if (m->nr_ioapics == ACPI_MAX_IOAPICS) {
		p->out->truncated |= ACPI_TRUNC_IOAPICS;
		return;
	}
	m->ioapics[m->nr_ioapics++] = (struct acpi_ioapic){
		.id = io.ioapic_id,
		.address = io.address,
		.gsi_base = io.gsi_base,
	};
}

static void madt_iso(struct parser *p, const uint8_t *e)
{
	struct acpi_madt_info *m = &p->out->madt;
	struct acpi_madt_iso iso;

	memcpy(&iso, e, sizeof(iso));
	if (m->nr_overrides == ACPI_MAX_OVERRIDES) {
		p->out->truncated |= ACPI_TRUNC_OVERRIDES;
		return;
	}
	m->overrides[m->nr_overrides++] = (struct acpi_override){
		.bus = iso.bus,
		.irq = iso.source,
		.gsi = iso.gsi,
		.flags = iso.flags,
	};
}

static void madt_lapic_override(struct parser *p, const uint8_t *e)
{
	struct acpi_madt_lapic_override o;

	memcpy(&o, e, sizeof(o));
	if (o.address != 0)
		p->out->madt.lapic_address = o.address;
}

/* MADT entry types we decode; other types are skipped by their length. */
static const struct madt_handler {
	uint8_t type;
	uint8_t min_len;
	void (*fn)(struct parser *p, const uint8_t *entry);
} madt_handlers[] = {
	{ ACPI_MADT_LAPIC, sizeof(struct acpi_madt_lapic), madt_lapic },
	{ ACPI_MADT_IOAPIC, sizeof(struct acpi_madt_ioapic), madt_ioapic },
	{ ACPI_MADT_ISO, sizeof(struct acpi_madt_iso), madt_iso },
	{ ACPI_MADT_LAPIC_OVERRIDE, sizeof(struct acpi_madt_lapic_override),
	  madt_lapic_override },
	{ ACPI_MADT_X2APIC, sizeof(struct acpi_madt_x2apic), madt_x2apic },
};

/* Dispatch one entry already known to lie inside the table. An entry too
 * short for its type is skipped; longer ones are fine (later revisions may
 * append fields). */
static void madt_entry(struct parser *p, const uint8_t *e, uint8_t type,
		       uint8_t len)
{
	for (size_t i = 0; i < ARRAY_SIZE(madt_handlers); i++) {
		const struct madt_handler *h = &madt_handlers[i];

		if (h->type != type)
			continue;
		if (len < h->min_len)
			p->out->malformed |= ACPI_BAD_MADT;
		else
			h->fn(p, e);
		return;
	}
}

static void decode_madt(struct parser *p, const uint8_t *t, uint32_t len)
{
	struct acpi_madt_info *m = &p->out->madt;
	struct acpi_madt madt;
	struct acpi_madt_entry e;
	uint32_t off;

	if (len < sizeof(madt)) {
		p->out->malformed |= ACPI_BAD_MADT;
		return;
	}
	memcpy(&madt, t, sizeof(madt));
	m->present = true;
	m->lapic_address = madt.lapic_address;
	m->pcat_compat = madt.flags & ACPI_MADT_PCAT_COMPAT;
	p->madt_online_capable =
		madt.hdr.revision >= ACPI_MADT_REV_ONLINE_CAPABLE;

	/* A zero or overlong entry length would loop forever or overread:
	 * stop the walk there and keep what came before. */
	for (off = sizeof(madt); off < len; off += e.length) {
		if (len - off < sizeof(e))
			break;
		memcpy(&e, t + off, sizeof(e));
		if (e.length < sizeof(e) || e.length > len - off)
			break;
		madt_entry(p, t + off, e.type, e.length);
	}
	if (off != len)
		p->out->malformed |= ACPI_BAD_MADT;
}

/* ------------------------------------------------------------ FADT */

/* Does a FADT of len bytes hold all of field? Fields past the end of an
 * older, shorter FADT must be treated as absent (section 5.2.9). */
#define FADT_HAS(len, field)                                                   \
	((len) >= offsetof(struct acpi_fadt, field) +                          \
			  sizeof(((struct acpi_fadt *)0)->field))

static struct acpi_addr gas_decode(struct acpi_gas g)
{
	return (struct acpi_addr){
		.space = g.space_id,
		.bit_width = g.bit_width,
		.bit_offset = g.bit_offset,
		.access_size = g.access_size,
		.address = g.address,
	};
}

/* The extended (X_) register block if it is present and in memory or I/O
 * space, else the legacy I/O port block of port_len bytes, else absent. */
static struct acpi_addr pick_block(bool has_x, struct acpi_gas x,
				   uint32_t port, uint8_t port_len)
{
	if (has_x && x.address != 0 &&
	    (x.space_id == ACPI_SPACE_MEMORY || x.space_id == ACPI_SPACE_IO))
		return gas_decode(x);
	if (port == 0)
		return (struct acpi_addr){ 0 };
	return (struct acpi_addr){
		.space = ACPI_SPACE_IO,
		.bit_width = (uint8_t)(port_len * BITS_PER_BYTE),
		.address = port,
	};
}

static void fadt_reset(struct acpi_fadt_info *fi, const struct acpi_fadt *f,
		       uint32_t len)
{
	if (!(f->flags & ACPI_FADT_RESET_REG_SUP) ||
	    !FADT_HAS(len, reset_value) || f->reset_reg.address == 0)
		return;
	fi->reset_supported = true;
	fi->reset_reg = gas_decode(f->reset_reg);
	fi->reset_value = f->reset_value;
}

static void fadt_blocks(struct acpi_fadt_info *fi, const struct acpi_fadt *f,
			uint32_t len)
{
	fi->pm_timer = pick_block(FADT_HAS(len, x_pm_tmr_blk), f->x_pm_tmr_blk,
				  f->pm_tmr_blk, f->pm_tmr_len);
	fi->pm_timer_bits = (f->flags & ACPI_FADT_TMR_VAL_EXT) ?
				    PM_TIMER_BITS_EXT : PM_TIMER_BITS;
	fi->pm1a_cnt = pick_block(FADT_HAS(len, x_pm1a_cnt_blk),
				  f->x_pm1a_cnt_blk, f->pm1a_cnt_blk,
				  f->pm1_cnt_len);
	fi->pm1b_cnt = pick_block(FADT_HAS(len, x_pm1b_cnt_blk),
				  f->x_pm1b_cnt_blk, f->pm1b_cnt_blk,
				  f->pm1_cnt_len);
}

static void decode_fadt(struct parser *p, const uint8_t *t, uint32_t len)
{
	struct acpi_fadt_info *fi = &p->out->fadt;
	struct acpi_fadt f;

	if (len < ACPI_FADT_V1_LEN) {
		p->out->malformed |= ACPI_BAD_FADT;
		return;
	}
	memset(&f, 0, sizeof(f));
	memcpy(&f, t, MIN(len, sizeof(f)));
	fi->present = true;
	fi->revision = f.hdr.revision;
	fi->hw_reduced = f.flags & ACPI_FADT_HW_REDUCED;
	fi->sci_irq = f.sci_int;
	fi->century = f.century;
	fi->boot_arch_valid = f.hdr.revision >= ACPI_FADT_REV_BOOT_ARCH;
	fi->boot_arch = fi->boot_arch_valid ? f.iapc_boot_arch : 0;
	fi->dsdt = (FADT_HAS(len, x_dsdt) && f.x_dsdt != 0) ? f.x_dsdt : f.dsdt;
	fadt_blocks(fi, &f, len);
	fadt_reset(fi, &f, len);
}

/* ------------------------------------------------------------ MCFG, HPET */

static void mcfg_add(struct parser *p, const struct acpi_mcfg_alloc *a)
{
	struct acpi_mcfg_info *mc = &p->out->mcfg;

	if (a->base == 0 || a->start_bus > a->end_bus) {
		p->out->malformed |= ACPI_BAD_MCFG;
		return;
	}
	if (mc->nr_ecam == ACPI_MAX_ECAM) {
		p->out->truncated |= ACPI_TRUNC_ECAM;
		return;
	}
	mc->ecam[mc->nr_ecam++] = (struct acpi_ecam){
		.base = a->base,
		.segment = a->segment,
		.start_bus = a->start_bus,
		.end_bus = a->end_bus,
	};
}

static void decode_mcfg(struct parser *p, const uint8_t *t, uint32_t len)
{
	struct acpi_mcfg_alloc a;
	uint32_t off = sizeof(struct acpi_mcfg);

	if (len < off || (len - off) % sizeof(a) != 0)
		p->out->malformed |= ACPI_BAD_MCFG;
	for (; len >= off && len - off >= sizeof(a); off += sizeof(a)) {
		memcpy(&a, t + off, sizeof(a));
		mcfg_add(p, &a);
	}
}

static void decode_hpet(struct parser *p, const uint8_t *t, uint32_t len)
{
	struct acpi_hpet h;

	if (len < sizeof(h)) {
		p->out->malformed |= ACPI_BAD_HPET;
		return;
	}
	memcpy(&h, t, sizeof(h));
	if (h.base.address == 0) {
		p->out->malformed |= ACPI_BAD_HPET;
		return;
	}
	p->out->hpet.present = true;
	p->out->hpet.base = gas_decode(h.base);
	p->out->hpet.number = h.hpet_number;
}

/* ------------------------------------------------------------ the walk */

/* Tables we decode, by signature. Only the first good one of each is. */
static const struct table_decoder {
	const char *sig;
	void (*decode)(struct parser *p, const uint8_t *table, uint32_t len);
} decoders[] = {
	{ "APIC", decode_madt },
	{ "FACP", decode_fadt },
	{ "MCFG", decode_mcfg },
	{ "HPET", decode_hpet },
};

static void decode_table(struct parser *p, const struct acpi_sdt_header *hdr,
			 const uint8_t *table)
{
	for (size_t i = 0; i < ARRAY_SIZE(decoders); i++) {
		if (!sig_is(hdr, decoders[i].sig))
			continue;
		if (!(p->decoded & (1u << i))) {
			p->decoded |= 1u << i;
			decoders[i].decode(p, table, hdr->length);
		}
		return;
	}
}

static void visit_table(struct parser *p, uint64_t phys)
{
	struct acpi_sdt_header hdr;
	const uint8_t *table = NULL;
	enum acpi_table_status status = map_table(p, phys, &hdr, &table);

	record_table(p, phys, &hdr, status);
	if (status == ACPI_TABLE_OK)
		decode_table(p, &hdr, table);
}

/* The DSDT is reached through the FADT, not the root table; list it for the
 * boot log and acpi_find (its AML is not interpreted here). */
static void visit_dsdt(struct parser *p)
{
	struct acpi_sdt_header hdr;
	const uint8_t *table = NULL;
	uint64_t phys = p->out->fadt.dsdt;
	enum acpi_table_status status;

	if (!p->out->fadt.present || phys == 0)
		return;
	status = map_table(p, phys, &hdr, &table);
	if (status == ACPI_TABLE_OK && !sig_is(&hdr, "DSDT"))
		status = ACPI_TABLE_BAD_SIGNATURE;
	record_table(p, phys, &hdr, status);
}

/* Read root-table entry i (entries are unaligned, 4 or 8 bytes). */
static bool root_entry(const struct parser *p, uint64_t root, size_t esize,
		       uint32_t i, uint64_t *addr)
{
	uint64_t at = root + sizeof(struct acpi_sdt_header) + (uint64_t)i * esize;
	const uint8_t *e = map_range(p, at, esize);

	*addr = 0;
	if (!e)
		return false;
	memcpy(addr, e, esize);	/* little-endian, like the firmware */
	return true;
}

static void walk_root(struct parser *p, uint64_t root, uint32_t len,
		      size_t esize)
{
	uint32_t n = (len - sizeof(struct acpi_sdt_header)) / esize;
	uint64_t addr;

	if (n > ACPI_MAX_ROOT_ENTRIES) {
		p->out->truncated |= ACPI_TRUNC_TABLES;
		n = ACPI_MAX_ROOT_ENTRIES;
	}
	for (uint32_t i = 0; i < n; i++) {
		if (!root_entry(p, root, esize, i, &addr))
			break;
		if (addr != 0)
			visit_table(p, addr);
	}
}

static int status_to_err(enum acpi_table_status status)
{
	switch (status) {
	case ACPI_TABLE_OK:
		return 0;
	case ACPI_TABLE_UNREADABLE:
		return -E_FAULT;
	case ACPI_TABLE_BAD_CHECKSUM:
		return -E_CHECKSUM;
	case ACPI_TABLE_BAD_LENGTH:
	case ACPI_TABLE_BAD_SIGNATURE:
		break;
	}
	return -E_INVAL;
}

/* Check the XSDT or RSDT at phys, list it, and visit every table it names. */
static int load_root(struct parser *p, uint64_t phys, const char *sig,
		     size_t esize)
{
	struct acpi_sdt_header hdr;
	const uint8_t *table = NULL;
	enum acpi_table_status status = map_table(p, phys, &hdr, &table);

	if (status == ACPI_TABLE_OK && !sig_is(&hdr, sig))
		status = ACPI_TABLE_BAD_SIGNATURE;
	record_table(p, phys, &hdr, status);
	if (status != ACPI_TABLE_OK)
		return status_to_err(status);
	p->out->root_phys = phys;
	p->out->xsdt_used = esize == ACPI_XSDT_ENTRY_SIZE;
	walk_root(p, phys, hdr.length, esize);
	return 0;
}

/* ------------------------------------------------------------ the RSDP */

/* Check the ACPI 2.0+ part: 'length' bytes under the extended checksum. */
static int check_rsdp_ext(const struct parser *p, uint64_t phys,
			  struct acpi_rsdp *rsdp)
{
	const uint8_t *b = map_range(p, phys, sizeof(*rsdp));

	if (!b)
		return -E_FAULT;
	memcpy(rsdp, b, sizeof(*rsdp));
	if (rsdp->length < sizeof(*rsdp) || rsdp->length > ACPI_RSDP_MAX_LEN)
		return -E_INVAL;
	b = map_range(p, phys, rsdp->length);
	if (!b)
		return -E_FAULT;
	if (acpi_checksum(b, rsdp->length) != 0)
		return -E_CHECKSUM;
	return 0;
}

/* Read and check the RSDP into *rsdp (fields past the 1.0 part zeroed for a
 * revision 0 RSDP). */
static int read_rsdp(const struct parser *p, uint64_t phys,
		     struct acpi_rsdp *rsdp)
{
	const uint8_t *b = map_range(p, phys, ACPI_RSDP_V1_LEN);

	memset(rsdp, 0, sizeof(*rsdp));
	if (!b)
		return -E_FAULT;
	memcpy(rsdp, b, ACPI_RSDP_V1_LEN);
	if (memcmp(rsdp->signature, ACPI_RSDP_SIGNATURE, ACPI_RSDP_SIG_LEN))
		return -E_INVAL;
	if (acpi_checksum(b, ACPI_RSDP_V1_LEN) != 0)
		return -E_CHECKSUM;
	if (rsdp->revision < ACPI_RSDP_REV_EXTENDED)
		return 0;
	return check_rsdp_ext(p, phys, rsdp);
}

/* Prefer the XSDT; fall back to the RSDT only if the XSDT is unusable. */
static int load_tables(struct parser *p, const struct acpi_rsdp *rsdp)
{
	int err = -E_NOENT;

	if (rsdp->revision >= ACPI_RSDP_REV_EXTENDED && rsdp->xsdt_address) {
		err = load_root(p, rsdp->xsdt_address, "XSDT",
				ACPI_XSDT_ENTRY_SIZE);
		if (err == 0)
			return 0;
		p->out->malformed |= ACPI_BAD_ROOT;
	}
	if (rsdp->rsdt_address == 0)
		return err;
	return load_root(p, rsdp->rsdt_address, "RSDT", ACPI_RSDT_ENTRY_SIZE);
}

int acpi_parse(uint64_t rsdp_phys, acpi_map_fn map, void *ctx,
	       struct acpi_info *out)
{
	struct parser p = { .map = map, .ctx = ctx, .out = out };
	struct acpi_rsdp rsdp;
	int err;

	if (!out || !map || rsdp_phys == 0)
		return -E_INVAL;
	memset(out, 0, sizeof(*out));
	err = read_rsdp(&p, rsdp_phys, &rsdp);
	if (err)
		return err;
	out->rsdp_revision = rsdp.revision;
	copy_printable(out->oem_id, rsdp.oem_id, ACPI_OEM_ID_LEN);
	err = load_tables(&p, &rsdp);
	if (err)
		return err;
	visit_dsdt(&p);
	return 0;
}
