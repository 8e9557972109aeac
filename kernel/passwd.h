/*
 * Password hashes for the serial console login (keel.cfg's
 * `console_password = <hash>`).
 *
 * The format is SHA-crypt, as printed by `openssl passwd -5` / `-6` or
 * `mkpasswd -m sha-256` / `sha-512` and as specified in Ulrich Drepper's
 * "Unix crypt using SHA-256 and SHA-512":
 *
 *	$5$[rounds=N$]salt$hash		SHA-256, hash is 43 characters
 *	$6$[rounds=N$]salt$hash		SHA-512, hash is 86 characters
 *
 * The salt is at most 16 characters (printable ASCII other than '$' here);
 * N defaults to 5000 and is clamped to 1000..999999999. The hash uses the
 * crypt base-64 alphabet ./0-9A-Za-z. Checking a password costs about N
 * times three compressions of the digest, so a hash with a huge N makes
 * every login attempt slow: that is the configuration's choice.
 *
 * Pure code: no hardware, no allocation. Every buffer derived from the
 * password is wiped before a function returns.
 */
#ifndef KEEL_PASSWD_H
#define KEEL_PASSWD_H

#include "kernel/klib.h"

#define PASSWD_SALT_MAX		16
#define PASSWD_ROUNDS_DEFAULT	5000
#define PASSWD_ROUNDS_MIN	1000
#define PASSWD_ROUNDS_MAX	999999999
/* Longer passwords are refused: the work grows with the square of the
 * length, and the console reads at most 128 bytes anyway. */
#define PASSWD_MAX		256
/* Longest crypt string with its NUL: "$6$rounds=999999999$", 16 salt
 * characters, '$' and 86 hash characters. */
#define PASSWD_HASH_MAX		124

/*
 * Is `hash` a complete "$5$" or "$6$" string that passwd_verify() can
 * check? 0 if so; -E_NOTSUP for another crypt scheme ("$1$", "$2b$",
 * "$y$", ...); -E_INVAL for anything else: a plain password, an empty
 * string, a bad rounds= field, a salt over 16 characters, a hash part of
 * the wrong length or with characters outside the alphabet.
 */
int passwd_check_format(const char *hash);

/*
 * Does the `len`-byte `password` (not NUL-terminated; may hold any bytes)
 * match `hash`? False as well when the hash is malformed (see
 * passwd_check_format()) or len > PASSWD_MAX. The digests are compared in
 * constant time.
 */
bool passwd_verify(const char *hash, const char *password, size_t len);

/*
 * crypt(3) for the SHA-crypt schemes: hash the `len`-byte `password` with
 * the scheme, rounds and salt of `setting` ("$5$[rounds=N$]salt", anything
 * after a further '$' is ignored, a longer salt is cut to 16 characters)
 * and write the full crypt string, NUL-terminated, to `out`. "rounds=N$"
 * appears in the output, clamped, only if the setting has it.
 * Returns 0, -E_INVAL for a malformed setting, -E_NOTSUP for another
 * scheme, -E_RANGE when len > PASSWD_MAX or `size` is too small
 * (PASSWD_HASH_MAX is always enough).
 */
int passwd_crypt(const char *setting, const char *password, size_t len,
		 char *out, size_t size);

#endif
