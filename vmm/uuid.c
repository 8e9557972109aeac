/* UUID text forms and version 4 generation (see vmm/uuid.h). */
#include "kernel/errno.h"
#include "vmm/uuid.h"

/* RFC 4122 section 4.1.3: the version sits in the high nibble of octet 6;
 * section 4.1.1: variant 10x in the high bits of octet 8. */
#define UUID_VERSION_OCTET	6
#define UUID_VERSION_MASK	0x0f
#define UUID_VERSION_4		0x40
#define UUID_VARIANT_OCTET	8
#define UUID_VARIANT_MASK	0x3f
#define UUID_VARIANT_RFC4122	0x80

#define UUID_HEX_DIGITS		(2 * UUID_LEN)

/* Octets after which the 8-4-4-4-12 form has a dash. */
static bool dash_after(unsigned octet)
{
	return octet == 3 || octet == 5 || octet == 7 || octet == 9;
}

void uuid_generate_v4(uint8_t out[UUID_LEN], uint64_t (*rand64)(void *ctx), void *ctx)
{
	for (unsigned half = 0; half < 2; half++) {
		uint64_t r = rand64(ctx);

		for (unsigned i = 0; i < 8; i++)
			out[half * 8 + i] = (uint8_t)(r >> (8 * i));
	}
	out[UUID_VERSION_OCTET] = (out[UUID_VERSION_OCTET] & UUID_VERSION_MASK) | UUID_VERSION_4;
	out[UUID_VARIANT_OCTET] = (out[UUID_VARIANT_OCTET] & UUID_VARIANT_MASK) | UUID_VARIANT_RFC4122;
}

int uuid_parse(const char *s, uint8_t out[UUID_LEN])
{
	size_t len = strnlen(s, UUID_STR_LEN + 1);
	bool dashed = len == UUID_STR_LEN;
	uint8_t u[UUID_LEN];

	if (!dashed && len != UUID_HEX_DIGITS)
		return -E_INVAL;
	for (unsigned i = 0; i < UUID_LEN; i++) {
		int hi = hex_digit_value(s[0]), lo = hi < 0 ? -1 : hex_digit_value(s[1]);

		if (lo < 0)
			return -E_INVAL;
		u[i] = (uint8_t)(hi << 4 | lo);
		s += 2;
		if (dashed && dash_after(i) && *s++ != '-')
			return -E_INVAL;
	}
	memcpy(out, u, UUID_LEN);
	return 0;
}

void uuid_format(const uint8_t u[UUID_LEN], char out[UUID_STR_LEN + 1])
{
	static const char digits[] = "0123456789abcdef";

	for (unsigned i = 0; i < UUID_LEN; i++) {
		*out++ = digits[u[i] >> 4];
		*out++ = digits[u[i] & 0xf];
		if (dash_after(i))
			*out++ = '-';
	}
	*out = '\0';
}
