/*
 * I/O-instruction exits (SDM Vol. 3C 28.2.1 table 28-5; Vol. 2 IN, OUT,
 * INS, OUTS, REP). Every port access becomes a request to the domain's
 * port registry (vmm/iospace.c); unclaimed ports read as all ones and
 * ignore writes, like an empty ISA bus.
 *
 * String forms move data between the port and guest memory through the
 * guest's own page tables. A REP form does at most STRING_BATCH
 * iterations per exit and leaves RIP on the instruction until RCX reaches
 * zero, so a long transfer neither hogs the CPU nor loses progress when a
 * page fault interrupts it.
 */
#include "arch/cpu.h"
#include "arch/trap.h"
#include "kernel/errno.h"
#include "kernel/log.h"
#include "vmm/exit.h"

#define STRING_BATCH	256
#define SEG_ES_INDEX	0
#define SEG_FS_INDEX	4

struct io_req {
	uint16_t port;
	unsigned size;		/* 1, 2 or 4 */
	bool in;
};

static uint64_t width_mask(unsigned bytes)
{
	return bytes >= 8 ? ~0ULL : (1ULL << (8 * bytes)) - 1;
}

static int port_access(struct vcpu *v, const struct io_req *r, uint64_t *val)
{
	int err = io_access(&v->dom->pio, r->port, r->size, !r->in, val);

	return err < 0 ? err : 0;
}

/* IN writes AL/AX/EAX; a 32-bit write clears RAX's upper half. */
static void set_accumulator(struct vcpu *v, unsigned size, uint64_t val)
{
	uint64_t *rax = &v->regs.gpr[GPR_RAX];

	if (size == 4)
		*rax = (uint32_t)val;
	else
		*rax = (*rax & ~width_mask(size)) | (val & width_mask(size));
}

static enum exit_action device_error(struct vcpu *v, const struct io_req *r, int err)
{
	domain_stop(v->dom, STOP_CRASH, -1, "device at port 0x%x failed (%s)", r->port, err_str(err));
	return EXIT_STOP;
}

static enum exit_action simple_io(struct vcpu *v, const struct vmexit *e, const struct io_req *r)
{
	uint64_t val = v->regs.gpr[GPR_RAX] & width_mask(r->size);
	int err = port_access(v, r, &val);

	if (err)
		return device_error(v, r, err);
	if (r->in)
		set_accumulator(v, r->size, val);
	vcpu_skip_insn(v, e);
	return EXIT_RESUME;
}

/* The segment base a string instruction uses; in 64-bit mode only FS and
 * GS have one (SDM Vol. 3A 3.4.4). */
static uint64_t segment_base(struct vcpu *v, unsigned seg)
{
	if (vcpu_code_bits(v) == 64 && seg < SEG_FS_INDEX)
		return 0;
	return vmcs_read(VMCS_GUEST_ES_BASE + 2 * seg);
}

struct string_op {
	struct io_req io;
	unsigned reg;		/* RSI for OUTS, RDI for INS */
	uint64_t base;		/* segment base */
	uint64_t amask;		/* address-size mask */
	int64_t step;		/* +size or -size (RFLAGS.DF) */
};

/* One iteration: 0, 1 after injecting #PF, or a negative device error. */
static int string_step(struct vcpu *v, struct string_op *s)
{
	uint64_t off = v->regs.gpr[s->reg] & s->amask, val = ~0ULL, fault;
	uint32_t pf;
	int err = 0;

	if (!s->io.in) {
		err = vcpu_access_linear(v, s->base + off, &val, s->io.size, LIN_READ, &pf, &fault);
		if (err == -E_FAULT)
			val = ~0ULL;	/* not RAM: the empty bus */
	}
	if (err == -E_NOENT) {
		vcpu_page_fault(v, fault, pf);
		return 1;
	}
	err = port_access(v, &s->io, &val);
	if (err)
		return err;
	if (s->io.in) {
		err = vcpu_access_linear(v, s->base + off, &val, s->io.size, LIN_WRITE, &pf, &fault);
		if (err == -E_NOENT) {
			vcpu_page_fault(v, fault, pf);
			return 1;
		}
	}
	v->regs.gpr[s->reg] = (v->regs.gpr[s->reg] & ~s->amask) | ((off + s->step) & s->amask);
	return 0;
}

static enum exit_action string_io(struct vcpu *v, const struct vmexit *e, const struct io_req *r)
{
	uint32_t info = (uint32_t)vmcs_read(VMCS_EXIT_INSN_INFO);
	unsigned asize = (info >> IOINFO_ADDR_SIZE_SHIFT) & IOINFO_ADDR_SIZE_MASK;
	bool rep = e->qual & IOQ_REP;
	struct string_op s = { .io = *r };
	uint64_t count, done = 0;
	int err = 0;

	if (asize > 2)
		return vcpu_fault(v, VEC_UD, 0);
	s.amask = width_mask(2u << asize);
	s.reg = r->in ? GPR_RDI : GPR_RSI;
	s.base = segment_base(v, r->in ? SEG_ES_INDEX : (info >> IOINFO_SEG_SHIFT) & IOINFO_SEG_MASK);
	s.step = (vmcs_read(VMCS_GUEST_RFLAGS) & RFLAGS_DF) ? -(int64_t)r->size : (int64_t)r->size;
	count = rep ? v->regs.gpr[GPR_RCX] & s.amask : 1;
	while (done < count && done < STRING_BATCH && !(err = string_step(v, &s)))
		done++;
	if (rep)
		v->regs.gpr[GPR_RCX] = (v->regs.gpr[GPR_RCX] & ~s.amask) | ((count - done) & s.amask);
	if (err < 0)
		return device_error(v, r, err);
	if (!err && done == count)
		vcpu_skip_insn(v, e);
	return EXIT_RESUME;
}

enum exit_action handle_io(struct vcpu *v, const struct vmexit *e)
{
	static const unsigned sizes[] = { 1, 2, 0, 4 };
	unsigned enc = e->qual & IOQ_SIZE_MASK;
	struct io_req r = {
		.port = (uint16_t)(e->qual >> IOQ_PORT_SHIFT),
		.size = enc < ARRAY_SIZE(sizes) ? sizes[enc] : 0,
		.in = e->qual & IOQ_IN,
	};

	if (!r.size)
		return vcpu_fault(v, VEC_UD, 0);
	if (e->qual & IOQ_STRING)
		return string_io(v, e, &r);
	return simple_io(v, e, &r);
}
