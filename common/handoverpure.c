/* The hand-over's pure pieces: console names, framebuffer names, the
 * record's text. No I/O: unit-tested and fuzzed. */
#include "handover.h"
#include "msg.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool pt_vtcon_is_fb(const char *name)
{
	return strstr(name, "frame buffer") != NULL;
}

const char *pt_vtcon_bare(const char *name)
{
	if (name[0] == '(' && name[1] && name[2] == ')' && name[3] == ' ')
		return name + 4;
	return name;
}

const char *pt_fb_platform_name(const char *label)
{
	static const struct {
		const char *label, *dev;
	} map[] = {
		{ "efifb", "efi-framebuffer" },   { "vesafb", "vesa-framebuffer" },
		{ "BOOTFB", "simple-framebuffer" }, { "simpledrm", "simple-framebuffer" },
		{ "simplefb", "simple-framebuffer" }, { "simple-framebuffer", "simple-framebuffer" },
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(label, map[i].label) == 0)
			return map[i].dev;
	return NULL;
}

/* A name the record may hold: a platform device or driver. */
static bool word_ok(const char *s)
{
	if (!s[0] || strlen(s) >= 64 || s[0] == '.')
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-' && *s != '.')
			return false;
	return true;
}

/* A console name: one printable line. */
static bool console_ok(const char *s)
{
	if (!s[0] || strlen(s) >= 64)
		return false;
	for (; *s; s++)
		if (!isprint((unsigned char)*s))
			return false;
	return true;
}

char *pt_handover_format(const struct pt_handover *ho)
{
	size_t cap = 256 + PT_HANDOVER_MAX_CONSOLES * 80 + 160, o = 0;
	char *s = pt_xmalloc(cap);

	o += (size_t)snprintf(s + o, cap - o, "# vfio-bind --handover of %s: what vfio-bind --handback puts back\n",
			      ho->gpu);
	for (size_t i = 0; i < ho->ncons && i < PT_HANDOVER_MAX_CONSOLES; i++)
		o += (size_t)snprintf(s + o, cap - o, "console %s\n", ho->consoles[i]);
	if (ho->fbdev[0])
		snprintf(s + o, cap - o, "framebuffer %s %s\n", ho->fbdev, ho->fbdrv);
	return s;
}

bool pt_handover_parse(const char *text, struct pt_handover *ho)
{
	char gpu[PT_BDF_LEN];

	snprintf(gpu, sizeof(gpu), "%s", ho->gpu);
	memset(ho, 0, sizeof(*ho));
	snprintf(ho->gpu, sizeof(ho->gpu), "%s", gpu);
	while (*text) {
		const char *eol = strchr(text, '\n');
		size_t l = eol ? (size_t)(eol - text) : strlen(text);
		char line[160], a[64], b[64];

		if (l >= sizeof(line))
			return false;
		memcpy(line, text, l);
		line[l] = '\0';
		text += l + (eol ? 1 : 0);
		if (line[0] == '#' || line[0] == '\0')
			continue;
		if (strncmp(line, "console ", 8) == 0) {
			if (ho->ncons == PT_HANDOVER_MAX_CONSOLES || !console_ok(line + 8))
				return false;
			snprintf(ho->consoles[ho->ncons++], sizeof(ho->consoles[0]), "%s", line + 8);
		} else if (strncmp(line, "framebuffer ", 12) == 0) {
			char extra;

			if (ho->fbdev[0] || sscanf(line + 12, "%63s %63s %c", a, b, &extra) != 2 || !word_ok(a) ||
			    !word_ok(b))
				return false;
			snprintf(ho->fbdev, sizeof(ho->fbdev), "%s", a);
			snprintf(ho->fbdrv, sizeof(ho->fbdrv), "%s", b);
		} else {
			return false;
		}
	}
	return true;
}
