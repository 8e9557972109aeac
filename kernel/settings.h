/* Keel's settings from keel.cfg (see kernel/settings.c for the keys). */
#ifndef KEEL_SETTINGS_H
#define KEEL_SETTINGS_H

struct bootinfo;

void settings_load(const struct bootinfo *bi);

#endif
