#include "iommu.h"
#include "msg.h"
#include "sysfs.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

const char *pt_verdict_name(enum pt_verdict v)
{
	switch (v) {
	case PT_VERDICT_ALONE: return "alone";
	case PT_VERDICT_SLOT: return "slot";
	case PT_VERDICT_BRIDGES: return "bridges";
	case PT_VERDICT_SHARED: return "shared";
	case PT_VERDICT_BRIDGE: return "bridge";
	case PT_VERDICT_NONE: return "none";
	case PT_VERDICT_PLATFORM: return "platform";
	}
	return "?";
}

enum pt_verdict pt_verdict_of(const struct pt_member *m, size_t n, size_t self,
			      size_t *shares, size_t *nshares)
{
	bool slot = false, bridges = false;

	*nshares = 0;
	if (m[self].bridge)
		return PT_VERDICT_BRIDGE;
	/* the chipset's own functions serve the host wherever they are grouped;
	 * still, who shares their group is worth knowing */
	for (size_t i = 0; i < n; i++) {
		if (i == self)
			continue;
		if (m[i].bridge)
			bridges = true;
		else if (m[self].card && m[i].card && pt_bdf_same_slot(&m[i].bdf, &m[self].bdf))
			slot = true;
		else
			shares[(*nshares)++] = i;
	}
	if (m[self].platform)
		return PT_VERDICT_PLATFORM;
	if (*nshares)
		return PT_VERDICT_SHARED;
	if (slot)
		return PT_VERDICT_SLOT;
	if (bridges)
		return PT_VERDICT_BRIDGES;
	return PT_VERDICT_ALONE;
}

/* A device and the group it is listed in, for sorting. */
struct placed {
	struct pt_dev *dev;
	int number;
};

static int cmp_placed(const void *a, const void *b)
{
	const struct placed *x = a, *y = b;

	if (x->number != y->number)
		return x->number < y->number ? -1 : 1;
	return pt_bdf_cmp(&x->dev->bdf, &y->dev->bdf);
}

static const char *const group_types[] = { "DMA", "DMA-FQ", "identity", "blocked", "unmanaged", NULL };

static void read_type(struct pt_group *g)
{
	char buf[64];
	int rc = pt_read_text(buf, sizeof(buf), "/sys/kernel/iommu_groups/%d/type", g->number);

	if (rc == -ENOENT)
		return; /* kernels before 5.11 have no type attribute */
	if (rc < 0) {
		g->type_garbled = true;
		return;
	}
	for (int i = 0; group_types[i]; i++)
		if (strcmp(buf, group_types[i]) == 0) {
			strcpy(g->type, buf);
			return;
		}
	g->type_garbled = true;
}

/* Verdicts for one group; g->verdict, g->nshares and g->shares point into
 * arrays shared by all groups. */
static void judge(struct pt_group *g)
{
	struct pt_member *m = pt_xcalloc(g->ndevs, sizeof(*m));
	size_t *idx = pt_xcalloc(g->ndevs, sizeof(*idx));

	for (size_t i = 0; i < g->ndevs; i++) {
		m[i].bdf = g->devs[i]->bdf;
		m[i].bridge = pt_dev_is_bridge(g->devs[i]);
		m[i].card = pt_dev_is_card(g->devs[i]);
		m[i].platform = pt_dev_is_platform(g->devs[i]);
	}
	for (size_t i = 0; i < g->ndevs; i++) {
		g->verdict[i] = pt_verdict_of(m, g->ndevs, i, idx, &g->nshares[i]);
		if (g->nshares[i]) {
			g->shares[i] = pt_xcalloc(g->nshares[i], sizeof(struct pt_dev *));
			for (size_t k = 0; k < g->nshares[i]; k++)
				g->shares[i][k] = g->devs[idx[k]];
		}
	}
	free(m);
	free(idx);
}

void pt_groups_build(const struct pt_host *h, struct pt_group **out, size_t *nout)
{
	int *number = pt_xcalloc(h->ndevs ? h->ndevs : 1, sizeof(*number));

	for (size_t i = 0; i < h->ndevs; i++)
		number[i] = h->devs[i].group;
	pt_groups_assemble(h, number, false, out, nout);
	free(number);
}

void pt_groups_assemble(const struct pt_host *h, const int *number, bool computed,
			struct pt_group **out, size_t *nout)
{
	struct placed *p = pt_xcalloc(h->ndevs ? h->ndevs : 1, sizeof(*p));
	struct pt_dev **all;
	struct pt_group *groups = NULL;
	enum pt_verdict *verdict;
	struct pt_dev ***shares;
	size_t *nshares;
	size_t n = h->ndevs, ng = 0;

	for (size_t i = 0; i < n; i++) {
		p[i].dev = &h->devs[i];
		p[i].number = number[i] < 0 ? -1 : number[i];
	}
	qsort(p, n, sizeof(*p), cmp_placed);
	all = pt_xcalloc(n ? n : 1, sizeof(*all));
	for (size_t i = 0; i < n; i++) {
		all[i] = p[i].dev;
		if (i == 0 || p[i].number != p[i - 1].number)
			ng++;
	}
	/* One allocation per array for all groups: a host can have thousands. */
	groups = pt_xcalloc(ng, sizeof(*groups));
	verdict = pt_xcalloc(n, sizeof(*verdict));
	shares = pt_xcalloc(n, sizeof(*shares));
	nshares = pt_xcalloc(n, sizeof(*nshares));
	for (size_t i = 0, g = 0; i < n; g++) {
		size_t j = i;

		while (j < n && p[j].number == p[i].number)
			j++;
		groups[g].number = p[i].number;
		groups[g].computed = computed;
		groups[g].ndevs = j - i;
		groups[g].devs = all + i;
		groups[g].verdict = verdict + i;
		groups[g].shares = shares + i;
		groups[g].nshares = nshares + i;
		if (groups[g].number >= 0) {
			if (!computed)
				read_type(&groups[g]);
			judge(&groups[g]);
		} else {
			for (size_t k = 0; k < groups[g].ndevs; k++)
				groups[g].verdict[k] = PT_VERDICT_NONE;
		}
		i = j;
	}
	free(p);
	if (ng == 0) {
		free(all);
		free(verdict);
		free(shares);
		free(nshares);
	}
	*out = groups;
	*nout = ng;
}

void pt_groups_free(struct pt_group *groups, size_t n)
{
	for (size_t g = 0; g < n; g++)
		for (size_t i = 0; i < groups[g].ndevs; i++)
			free(groups[g].shares[i]);
	if (n) {
		free(groups[0].devs);
		free(groups[0].verdict);
		free(groups[0].shares);
		free(groups[0].nshares);
	}
	free(groups);
}

static int cmp_number(const void *key, const void *elem)
{
	int a = *(const int *)key, b = ((const struct pt_group *)elem)->number;

	return a < b ? -1 : a > b;
}

struct pt_group *pt_group_find(struct pt_group *groups, size_t n, int number)
{
	return n ? bsearch(&number, groups, n, sizeof(*groups), cmp_number) : NULL;
}

static bool find_in(struct pt_group *g, const struct pt_dev *d, size_t *idx)
{
	for (size_t i = 0; g && i < g->ndevs; i++)
		if (g->devs[i] == d) {
			if (idx)
				*idx = i;
			return true;
		}
	return false;
}

struct pt_group *pt_group_of(struct pt_group *groups, size_t n, const struct pt_dev *d, size_t *idx)
{
	struct pt_group *g;

	if (n && groups[0].computed) {
		/* d->group is the kernel's (none); look in every group */
		for (size_t k = 0; k < n; k++)
			if (find_in(&groups[k], d, idx))
				return &groups[k];
		return NULL;
	}
	g = pt_group_find(groups, n, d->group);
	return find_in(g, d, idx) ? g : NULL;
}
