/* Text for the shared error codes (kernel/errno.h). */
#include "kernel/errno.h"

static const char *const err_text[E_NR_ERRORS] = {
	[E_OK] = "success",
	[E_NOMEM] = "out of memory",
	[E_INVAL] = "invalid argument",
	[E_NOENT] = "not found",
	[E_EXIST] = "already exists",
	[E_BUSY] = "resource busy",
	[E_NOTSUP] = "not supported",
	[E_RANGE] = "value out of range",
	[E_IO] = "I/O error",
	[E_FAULT] = "bad address",
	[E_TIMEDOUT] = "timed out",
	[E_CHECKSUM] = "checksum mismatch",
	[E_CANCELED] = "cancelled",
};

const char *err_str(int err)
{
	if (err < 0)
		err = -err;
	if (err >= E_NR_ERRORS || !err_text[err])
		return "unknown error";
	return err_text[err];
}
