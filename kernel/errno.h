/*
 * One shared set of error codes. Functions that can fail return 0 (or a
 * positive value) on success and a negative E_* code on failure; user-facing
 * code turns the code into a message with err_str().
 */
#ifndef KEEL_ERRNO_H
#define KEEL_ERRNO_H

enum keel_err {
	E_OK = 0,
	E_NOMEM,	/* out of memory */
	E_INVAL,	/* invalid argument or malformed input */
	E_NOENT,	/* no such object */
	E_EXIST,	/* object already exists */
	E_BUSY,		/* resource in use */
	E_NOTSUP,	/* not supported */
	E_RANGE,	/* value out of range */
	E_IO,		/* device or I/O error */
	E_FAULT,	/* bad address */
	E_TIMEDOUT,	/* timed out */
	E_CHECKSUM,	/* checksum mismatch */
	E_CANCELED,	/* cancelled by the user */
	E_NR_ERRORS
};

/* Human-readable text for a (negative or positive) error code. */
const char *err_str(int err);

#endif
