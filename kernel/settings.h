/* Keel's settings from keel.cfg (see kernel/settings.c for the keys). */
#ifndef KEEL_SETTINGS_H
#define KEEL_SETTINGS_H

struct bootinfo;

void settings_load(const struct bootinfo *bi);

/* The console password's hash (SHA-crypt), or NULL when the console is
 * open. A console_password that is not a valid hash locks the console:
 * then this is a hash no password matches. */
const char *settings_console_password(void);

#endif
