#define _GNU_SOURCE
#include "vmspec.h"
#include "msg.h"

#include <popt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct argv_buf {
	char **v;
	size_t n, cap;
};

static void push(struct argv_buf *a, const char *s)
{
	if (a->n + 2 > a->cap) {
		a->cap = a->cap ? a->cap * 2 : 32;
		a->v = pt_xrealloc(a->v, a->cap * sizeof(*a->v));
	}
	a->v[a->n++] = pt_xstrdup(s);
	a->v[a->n] = NULL;
}

static void pushf(struct argv_buf *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void pushf(struct argv_buf *a, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	if (!s)
		pt_die(PT_EXIT_FAIL, "out of memory");
	push(a, s);
	free(s);
}

/* QEMU's option syntax: a comma inside a value is written twice
 * (util/qemu-option.c get_opt_value). Malloc'd. */
static char *qemu_value(const char *s)
{
	size_t n = strlen(s), k = 0;
	char *o = pt_xmalloc(2 * n + 1);

	for (size_t i = 0; i < n; i++) {
		o[k++] = s[i];
		if (s[i] == ',')
			o[k++] = ',';
	}
	o[k] = '\0';
	return o;
}

static const char *disk_format(const char *path)
{
	size_t n = strlen(path);

	if (n > 6 && strcasecmp(path + n - 6, ".qcow2") == 0)
		return "qcow2";
	return "raw";
}

void pt_vm_dev_id(const struct pt_vm *vm, size_t i, char *buf, size_t len)
{
	unsigned pci = 0, mdev = 0;

	for (size_t k = 0; k < i && k < vm->ndevs; k++) {
		if (vm->devs[k].kind == PT_VM_DEV_MDEV)
			mdev++;
		else
			pci++;
	}
	if (i < vm->ndevs && vm->devs[i].kind == PT_VM_DEV_MDEV)
		snprintf(buf, len, "mdev%u", mdev);
	else
		snprintf(buf, len, "hostdev%u", pci);
}

static bool has_gpu(const struct pt_vm *vm)
{
	for (size_t i = 0; i < vm->ndevs; i++)
		if (vm->devs[i].kind == PT_VM_DEV_GPU)
			return true;
	return false;
}

size_t pt_vm_argv(const struct pt_vm *vm, const struct pt_vm_facts *facts, char ***argv)
{
	struct argv_buf a = { 0 };
	const struct pt_vm_firmware *fw = vm->uefi ? facts->fw : NULL;
	bool kvm = facts->accel && strcmp(facts->accel, "kvm") == 0;
	const char *display = vm->display ? vm->display : has_gpu(vm) ? "none" : "gtk";
	char *q;
	unsigned last_slot = (unsigned)-1;

	push(&a, facts->qemu);
	push(&a, "-name");
	push(&a, vm->name);
	if (vm->uuid) {
		push(&a, "-uuid");
		push(&a, vm->uuid);
	}
	push(&a, "-machine");
	pushf(&a, "q35,accel=%s%s%s", kvm ? "kvm" : "tcg", fw && fw->requires_smm ? ",smm=on" : "",
	      vm->hugepage_kib ? ",memory-backend=mem0" : "");
	push(&a, "-cpu");
	push(&a, kvm ? "host" : "max");
	push(&a, "-smp");
	pushf(&a, "%u", vm->cpus);
	push(&a, "-m");
	pushf(&a, "%llu", vm->mem_mib);
	if (vm->hugepage_kib) {
		push(&a, "-object");
		if (vm->hugepage_kib % 1024 == 0)
			pushf(&a, "memory-backend-memfd,id=mem0,size=%lluM,hugetlb=on,hugetlbsize=%luM,prealloc=on",
			      vm->mem_mib, vm->hugepage_kib / 1024);
		else
			pushf(&a, "memory-backend-memfd,id=mem0,size=%lluM,hugetlb=on,hugetlbsize=%luK,prealloc=on",
			      vm->mem_mib, vm->hugepage_kib);
	}
	if (fw) {
		if (fw->requires_smm) {
			push(&a, "-global");
			push(&a, "driver=cfi.pflash01,property=secure,value=on");
		}
		q = qemu_value(fw->code);
		push(&a, "-drive");
		pushf(&a, "if=pflash,unit=0,format=%s,readonly=on,file=%s", fw->code_format, q);
		free(q);
		if (fw->vars[0]) {
			q = qemu_value(fw->vars);
			push(&a, "-drive");
			pushf(&a, "if=pflash,unit=1,format=%s,file=%s", fw->vars_format, q);
			free(q);
		}
		if (vm->mmio64_mib) {
			push(&a, "-fw_cfg");
			pushf(&a, "name=opt/ovmf/X-PciMmio64Mb,string=%llu", vm->mmio64_mib);
		}
	}
	push(&a, "-display");
	push(&a, strcmp(display, "spice") == 0 ? "spice-app" : display);
	if (has_gpu(vm)) {
		push(&a, "-vga");
		push(&a, "none");
	}
	if (vm->qmp) {
		q = qemu_value(vm->qmp);
		push(&a, "-qmp");
		pushf(&a, "unix:%s,server=on,wait=off", q);
		free(q);
	}
	for (size_t i = 0; i < vm->ndevs; i++) {
		const struct pt_vm_dev *d = &vm->devs[i];
		char id[32], opts[128] = "";

		if (d->slot != last_slot) {
			push(&a, "-device");
			pushf(&a, "pcie-root-port,id=rp%u,chassis=%u", d->slot, d->slot + 1);
			last_slot = d->slot;
		}
		pt_vm_dev_id(vm, i, id, sizeof(id));
		snprintf(opts, sizeof(opts), "%s%s", d->multifunction ? ",multifunction=on" : "",
			 d->primary ? ",x-vga=on" : "");
		push(&a, "-device");
		if (d->kind == PT_VM_DEV_MDEV) {
			pushf(&a, "vfio-pci,sysfsdev=/sys/bus/mdev/devices/%s,id=%s,bus=rp%u,addr=00.0", d->host, id,
			      d->slot);
			continue;
		}
		if (d->romfile) {
			q = qemu_value(d->romfile);
			pushf(&a, "vfio-pci,host=%s,id=%s,bus=rp%u,addr=00.%u%s,romfile=%s", d->host, id, d->slot, d->fn,
			      opts, q);
			free(q);
		} else {
			pushf(&a, "vfio-pci,host=%s,id=%s,bus=rp%u,addr=00.%u%s", d->host, id, d->slot, d->fn, opts);
		}
	}
	for (size_t i = 0; i < vm->ndisks; i++) {
		q = qemu_value(vm->disks[i]);
		push(&a, "-drive");
		pushf(&a, "if=virtio,media=disk,format=%s,file=%s", disk_format(vm->disks[i]), q);
		free(q);
	}
	if (vm->cdrom) {
		q = qemu_value(vm->cdrom);
		push(&a, "-drive");
		pushf(&a, "if=ide,media=cdrom,readonly=on,format=raw,file=%s", q);
		free(q);
	}
	if (vm->kernel) {
		push(&a, "-kernel");
		push(&a, vm->kernel);
		if (vm->initrd) {
			push(&a, "-initrd");
			push(&a, vm->initrd);
		}
		if (vm->append) {
			push(&a, "-append");
			push(&a, vm->append);
		}
	}
	for (size_t i = 0; i < vm->nextra; i++)
		push(&a, vm->extra[i]);
	*argv = a.v;
	return a.n;
}

void pt_vm_argv_free(char **argv)
{
	for (size_t i = 0; argv && argv[i]; i++)
		free(argv[i]);
	free(argv);
}

char *pt_shell_quote(const char *s)
{
	size_t n = strlen(s), k = 0;
	bool plain = n > 0;
	char *o;

	for (size_t i = 0; i < n && plain; i++)
		plain = strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_@%+=:,./-", s[i]) &&
			s[i] != '\0';
	if (plain)
		return pt_xstrdup(s);
	o = pt_xmalloc(4 * n + 3);
	o[k++] = '\'';
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\'') {
			memcpy(o + k, "'\\''", 4);
			k += 4;
		} else {
			o[k++] = s[i];
		}
	}
	o[k++] = '\'';
	o[k] = '\0';
	return o;
}

char *pt_shell_join(char *const *argv, size_t n)
{
	size_t len = 1, k = 0;
	char *o;
	char **q = pt_xcalloc(n + 1, sizeof(*q));

	for (size_t i = 0; i < n; i++) {
		/* NAME=... as the first word would be an assignment to sh */
		if (i == 0 && strchr(argv[i], '=')) {
			char *t = pt_xmalloc(strlen(argv[i]) * 4 + 3);

			sprintf(t, "'%s'", argv[i]);
			q[i] = strchr(argv[i], '\'') ? pt_shell_quote(argv[i]) : t;
			if (q[i] != t)
				free(t);
		} else {
			q[i] = pt_shell_quote(argv[i]);
		}
		len += strlen(q[i]) + 1;
	}
	o = pt_xmalloc(len);
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(q[i]);

		if (i)
			o[k++] = ' ';
		memcpy(o + k, q[i], l);
		k += l;
		free(q[i]);
	}
	o[k] = '\0';
	free(q);
	return o;
}

static bool parse_size(const char *s, unsigned long long unit_default_kib, unsigned long long *kib)
{
	unsigned long long v = 0, mul;
	const char *p = s;

	if (!s || !*s)
		return false;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (1ULL << 40))
			return false;
		v = v * 10 + (unsigned)(*p - '0');
	}
	if (p == s || v == 0)
		return false;
	if (!*p)
		mul = unit_default_kib;
	else if (strcasecmp(p, "k") == 0 || strcasecmp(p, "kb") == 0 || strcasecmp(p, "kib") == 0)
		mul = 1;
	else if (strcasecmp(p, "m") == 0 || strcasecmp(p, "mb") == 0 || strcasecmp(p, "mib") == 0)
		mul = 1024;
	else if (strcasecmp(p, "g") == 0 || strcasecmp(p, "gb") == 0 || strcasecmp(p, "gib") == 0)
		mul = 1024ULL * 1024;
	else if (strcasecmp(p, "t") == 0 || strcasecmp(p, "tb") == 0 || strcasecmp(p, "tib") == 0)
		mul = 1024ULL * 1024 * 1024;
	else
		return false;
	if (v > (1ULL << 40) / mul * 1024)
		return false; /* beyond 1 PiB */
	*kib = v * mul;
	return true;
}

bool pt_vm_parse_mib(const char *s, unsigned long long *mib)
{
	unsigned long long kib;

	if (!parse_size(s, 1024, &kib) || kib % 1024)
		return false;
	*mib = kib / 1024;
	return true;
}

bool pt_vm_parse_hugepage(const char *s, unsigned long *kib)
{
	unsigned long long k;

	if (!parse_size(s, 1, &k) || k < 4 || k > 16ULL * 1024 * 1024 || (k & (k - 1)))
		return false;
	*kib = (unsigned long)k;
	return true;
}

bool pt_vm_name_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > 64 || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-", s[i]))
			return false;
	return true;
}

/* The option of table (its included tables too) named by word ("--name",
 * "-J"), or NULL. */
static const struct poptOption *find_option(const struct poptOption *t, const char *word)
{
	for (; t && (t->longName || t->shortName || t->argInfo || t->arg); t++) {
		if ((t->argInfo & POPT_ARG_MASK) == POPT_ARG_INCLUDE_TABLE) {
			const struct poptOption *o = find_option(t->arg, word);

			if (o)
				return o;
			continue;
		}
		if ((word[1] == '-' && t->longName && strcmp(word + 2, t->longName) == 0) ||
		    (word[1] != '-' && word[1] && !word[2] && t->shortName == word[1]))
			return t;
	}
	return NULL;
}

int pt_vm_profile_argv(const char *text, const struct poptOption *table, int *argc, char ***argv, char *err,
		       size_t errlen)
{
	const char *p = text;
	unsigned line = 0;

	while (p && *p) {
		const char *e = strchr(p, '\n'), *b = p;
		size_t len = e ? (size_t)(e - p) : strlen(p);
		char *l;
		int n = 0, rc;
		const char **words = NULL;

		line++;
		p = e ? e + 1 : NULL;
		while (len && (*b == ' ' || *b == '\t')) {
			b++;
			len--;
		}
		while (len && (b[len - 1] == '\r' || b[len - 1] == ' ' || b[len - 1] == '\t'))
			len--;
		if (len == 0 || *b == '#')
			continue;
		if (memchr(b, '\0', len)) {
			snprintf(err, errlen, "line %u: a NUL byte", line);
			return -1;
		}
		l = pt_xmalloc(len + 1);
		memcpy(l, b, len);
		l[len] = '\0';
		for (size_t i = 0; i < len; i++)
			if ((unsigned char)l[i] < 0x20 && l[i] != '\t') {
				snprintf(err, errlen, "line %u: a control character", line);
				free(l);
				return -1;
			}
		/* popt takes an unterminated quote as closed at the end: refuse it */
		{
			char quote = 0;

			for (size_t i = 0; l[i]; i++) {
				if (quote) {
					if (l[i] == '\\' && l[i + 1] == quote)
						i++;
					else if (l[i] == quote)
						quote = 0;
				} else if (l[i] == '\\' && l[i + 1]) {
					i++;
				} else if (l[i] == '"' || l[i] == '\'') {
					quote = l[i];
				}
			}
			if (quote) {
				snprintf(err, errlen, "line %u: an unterminated %c quote", line, quote);
				free(l);
				return -1;
			}
		}
		rc = poptParseArgvString(l, &n, &words);
		free(l);
		if (rc < 0) {
			snprintf(err, errlen, "line %u: %s", line, poptStrerror(rc));
			return -1;
		}
		if (words[0][0] != '-' || strcmp(words[0], "-") == 0) {
			snprintf(err, errlen, "line %u: '%.40s' is not an option (a line holds --OPTION [VALUE])", line,
				 words[0]);
			free(words);
			return -1;
		}
		/* a word starting with '#' after the option: a comment to the line's end */
		for (int i = 1; i < n; i++)
			if (words[i][0] == '#') {
				n = i;
				break;
			}
		for (int i = 0; i < n; i++) {
			if (strcmp(words[i], "--") == 0 || strcmp(words[i], "--profile") == 0 ||
			    strncmp(words[i], "--profile=", 10) == 0) {
				snprintf(err, errlen, "line %u: %s is not allowed in a profile", line,
					 strcmp(words[i], "--") == 0 ? "--" : "--profile");
				free(words);
				return -1;
			}
		}
		if (table) {
			char name[64];
			const struct poptOption *o;
			bool takes;

			snprintf(name, sizeof(name), "%.*s", (int)strcspn(words[0], "="), words[0]);
			o = find_option(table, name);
			takes = o && (o->argInfo & POPT_ARG_MASK) != POPT_ARG_NONE &&
				(o->argInfo & POPT_ARG_MASK) != POPT_ARG_VAL;
			if (!o) {
				snprintf(err, errlen, "line %u: %.40s: unknown option", line, name);
			} else if (strchr(words[0], '=') ? (!takes || n != 1 || !strchr(words[0], '=')[1]) : 0) {
				snprintf(err, errlen, "line %u: %.40s %s", line, name,
					 takes ? "needs a value" : "takes no value");
			} else if (!strchr(words[0], '=') && takes && (n < 2 || !words[1][0])) {
				snprintf(err, errlen, "line %u: %.40s needs a value", line, name);
			} else if (n > (strchr(words[0], '=') || !takes ? 1 : 2)) {
				snprintf(err, errlen, "line %u: '%.40s' after %.40s: one option (and its value) a line",
					 line, words[takes && !strchr(words[0], '=') ? 2 : 1], name);
			} else {
				o = NULL;
				name[0] = '\0';
			}
			if (name[0]) {
				free(words);
				return -1;
			}
		}
		*argv = pt_xrealloc(*argv, ((size_t)*argc + (size_t)n + 1) * sizeof(**argv));
		for (int i = 0; i < n; i++)
			(*argv)[(*argc)++] = pt_xstrdup(words[i]);
		(*argv)[*argc] = NULL;
		free(words);
	}
	return 0;
}
