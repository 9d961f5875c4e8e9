/* Reading a device's option ROM through sysfs: enable it (write 1 to its
 * rom attribute), read, and disable it again on every path, signals too. */
#ifndef PT_ROMDUMP_H
#define PT_ROMDUMP_H

#include "pcidev.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pt_rom_read {
	uint8_t *data;      /* malloc'd */
	size_t len;
	bool shadow;        /* the kernel handed out the shadow copy at 0xC0000 */
	unsigned long long rom_start, rom_size; /* the ROM resource */
};

/* Returns 0, or -errno with a one-line diagnosis in err (what to do about
 * a device in D3, a driver hiding its ROM, a device with no ROM BAR). */
int pt_rom_read_device(const struct pt_dev *d, struct pt_rom_read *out, char *err, size_t errlen);

#endif
