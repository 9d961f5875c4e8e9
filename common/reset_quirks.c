/* GPUs with well-known reset trouble, by PCI ID: the data behind
 * gpu-reset --info's "known trouble" line. One row per ID range.
 *
 * Sources:
 *  [VR] gnif/vendor-reset, src/device-db.h: the AMD IDs its device_specific
 *       reset (BACO / mode1) supports: Polaris 10/11/12, Vega 10/20, Navi
 *       10/12/14, Navi 23, Arcturus (Instinct MI100).
 *  [K]  Linux drivers/pci/quirks.c: AMD GPUs get quirk_no_pm_reset (a D3hot
 *       cycle does not reset them), NVIDIA consumer GPUs have no FLR.
 *  [L]  The level1techs and r/VFIO reports that the RX 7000 (Navi 3x) and
 *       RX 9000 (Navi 4x) series fail to come back after a guest shutdown,
 *       with no vendor-reset support as of 2025.
 */
#include "reset.h"

#include <stddef.h>

static const struct pt_reset_quirk quirks[] = {
	{ 0x1002, 0x67c0, 0x67df, "AMD Polaris 10 (RX 470/480/570/580/590)",
	  "the reset bug: no FLR, bus reset leaves the GPU hung on the second guest boot",
	  "vendor-reset", "[VR]" },
	{ 0x1002, 0x6fdf, 0x6fdf, "AMD Polaris 20 XL (RX 580 2048SP)",
	  "the reset bug: no FLR, bus reset leaves the GPU hung", "vendor-reset", "[VR]" },
	{ 0x1002, 0x67e0, 0x67ff, "AMD Polaris 11 (RX 460/560)",
	  "the reset bug: no FLR, bus reset leaves the GPU hung", "vendor-reset", "[VR]" },
	{ 0x1002, 0x6980, 0x699f, "AMD Polaris 12 (RX 540/550)",
	  "the reset bug: no FLR, bus reset leaves the GPU hung", "vendor-reset", "[VR]" },
	{ 0x1002, 0x6860, 0x687f, "AMD Vega 10 (Vega 56/64, Frontier)",
	  "the reset bug: the GPU does not come back after a guest shutdown", "vendor-reset", "[VR]" },
	{ 0x1002, 0x66a0, 0x66af, "AMD Vega 20 (Radeon VII, MI50/60)",
	  "the reset bug: the GPU does not come back after a guest shutdown", "vendor-reset", "[VR]" },
	{ 0x1002, 0x7310, 0x731f, "AMD Navi 10 (RX 5600/5700)",
	  "the reset bug: the GPU does not come back after a guest shutdown", "vendor-reset", "[VR]" },
	{ 0x1002, 0x7340, 0x734f, "AMD Navi 14 (RX 5500)",
	  "the reset bug: the GPU does not come back after a guest shutdown", "vendor-reset", "[VR]" },
	{ 0x1002, 0x7360, 0x7362, "AMD Navi 12 (Radeon Pro 5600M)",
	  "the reset bug: the GPU does not come back after a guest shutdown", "vendor-reset", "[VR]" },
	{ 0x1002, 0x73ff, 0x73ff, "AMD Navi 23 (RX 6600)",
	  "may fail to reset after a guest shutdown", "vendor-reset", "[VR]" },
	{ 0x1002, 0x738c, 0x738c, "AMD Arcturus (Instinct MI100)",
	  "does not come back after a guest shutdown", "vendor-reset", "[VR]" },
	{ 0x1002, 0x744c, 0x744c, "AMD Navi 31 (RX 7900)",
	  "reported to fail to come back after a guest shutdown", NULL, "[L]" },
	{ 0x1002, 0x747e, 0x747e, "AMD Navi 32 (RX 7700/7800)",
	  "reported to fail to come back after a guest shutdown", NULL, "[L]" },
	{ 0x1002, 0x7480, 0x7480, "AMD Navi 33 (RX 7600)",
	  "reported to fail to come back after a guest shutdown", NULL, "[L]" },
	{ 0x1002, 0x7550, 0x7551, "AMD Navi 48 (RX 9070)",
	  "fails to reset between guests", NULL, "[L]" },
	{ 0x1002, 0x7590, 0x7590, "AMD Navi 44 (RX 9060)",
	  "fails to reset between guests", NULL, "[L]" },
};

const struct pt_reset_quirk *pt_reset_quirk_find(unsigned vendor, unsigned device, unsigned class16)
{
	static const struct pt_reset_quirk nvidia = {
		0x10de, 0, 0xffff, "NVIDIA GeForce",
		"no FLR: only a secondary bus reset, which also resets the card's audio function "
		"(pass both, alone below their port)", "gpu-reset --slot", "[K]" };

	for (size_t i = 0; i < sizeof(quirks) / sizeof(quirks[0]); i++)
		if (quirks[i].vendor == vendor && device >= quirks[i].first && device <= quirks[i].last)
			return &quirks[i];
	if (vendor == 0x10de && (class16 >> 8) == 0x03)
		return &nvidia;
	return NULL;
}
