#include "devargs.h"
#include "bdf.h"
#include "msg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct list {
	struct pt_dev **v;
	size_t n, cap;
};

static void add(struct list *l, struct pt_dev *d)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i] == d)
			return;
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 8;
		l->v = pt_xrealloc(l->v, l->cap * sizeof(*l->v));
	}
	l->v[l->n++] = d;
}

static int one(const struct pt_host *h, const char *arg, bool allow_ids, struct list *l, char *err,
	       size_t errlen)
{
	struct pt_bdf b;
	struct pt_pci_id id;
	const char *why = pt_bdf_parse(arg, &b);
	struct pt_dev *d;

	for (const char *p = arg; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			/* the message layer shows it escaped, on one line */
			snprintf(err, errlen, "%s: control character in a device name", arg);
			return PT_EXIT_USAGE;
		}
	if (!why) {
		if (!(d = pt_host_find(h, &b))) {
			char full[PT_BDF_LEN];
			snprintf(err, errlen, "%s: no such PCI device", pt_bdf_format(&b, full));
			return PT_EXIT_FAIL;
		}
		add(l, d);
		return PT_EXIT_OK;
	}
	if (allow_ids && pt_pci_id_parse(arg, &id) == NULL) {
		size_t matched = 0;

		/* a device named twice (by address and by ID) is taken once */
		for (size_t i = 0; i < h->ndevs; i++)
			if (h->devs[i].ids_known && h->devs[i].vendor == id.vendor &&
			    h->devs[i].device == id.device) {
				add(l, &h->devs[i]);
				matched++;
			}
		if (matched == 0) {
			snprintf(err, errlen, "%s: no device has this ID", arg);
			return PT_EXIT_FAIL;
		}
		return PT_EXIT_OK;
	}
	snprintf(err, errlen, "%s: %s", arg, allow_ids && strchr(arg, ':') && !strchr(arg, '.')
		 ? "not a vendor:device ID (expected e.g. 10de:2206)" : why);
	return PT_EXIT_USAGE;
}

int pt_resolve_devices(const struct pt_host *h, const char *const *args, bool allow_ids, FILE *in,
		       struct pt_dev ***out, size_t *n, char *err, size_t errlen)
{
	struct list l = { NULL, 0, 0 };
	int rc = PT_EXIT_OK;

	for (size_t a = 0, stdin_seen = 0; args[a]; a++)
		if (strcmp(args[a], "-") == 0 && stdin_seen++) {
			snprintf(err, errlen, "-: standard input named more than once");
			*out = NULL;
			*n = 0;
			return PT_EXIT_USAGE;
		}
	for (size_t a = 0; args[a] && rc == PT_EXIT_OK; a++) {
		if (strcmp(args[a], "-") == 0) {
			char *line = NULL;
			size_t cap = 0, got = 0;
			ssize_t len;

			size_t lineno = 0;

			while (rc == PT_EXIT_OK && (len = getline(&line, &cap, in)) >= 0) {
				char *s = line, *e = line + len;

				lineno++;
				if (strlen(line) != (size_t)len) {
					snprintf(err, errlen, "-: line %zu: NUL byte on standard input", lineno);
					rc = PT_EXIT_USAGE;
					break;
				}

				while (e > s && (e[-1] == '\n' || e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
					*--e = '\0';
				while (*s == ' ' || *s == '\t')
					s++;
				if (!*s || *s == '#')
					continue;
				got++;
				rc = one(h, s, allow_ids, &l, err, errlen);
			}
			free(line);
			if (rc == PT_EXIT_OK && got == 0) {
				snprintf(err, errlen, "-: no devices on standard input");
				rc = PT_EXIT_USAGE;
			}
		} else {
			rc = one(h, args[a], allow_ids, &l, err, errlen);
		}
	}
	if (rc != PT_EXIT_OK) {
		free(l.v);
		l.v = NULL;
		l.n = 0;
	}
	*out = l.v;
	*n = l.n;
	return rc;
}
