// SPDX-License-Identifier: GPL-2.0-only
/*
 * Inner guest of the nested QEMU test: finds QEMU's edu device, checks its
 * registers, moves data with its DMA engine RAM -> device -> RAM, and DMAs to
 * and from a guest-physical address outside its RAM.  Every step prints a
 * "PAYLOAD ..." line on COM1; the run ends through isa-debug-exit with a
 * code that tells success from failure (QEMU exits with (code << 1) | 1).
 *
 * The multiboot command line (QEMU's -append) selects what follows the
 * tests:
 *   (nothing)    exit
 *   mode=unplug  wait for the hot-unplug request of the edu's PCIe slot
 *                (device_del), power the slot off as an OS would, check the
 *                device is gone, then idle until QEMU is told to quit
 *   mode=hold    keep doing DMA round trips until QEMU is killed
 */
#include "payload.h"

#define COM1		0x3f8
#define DEBUG_EXIT	0xf4
#define EXIT_PASS	0x10	/* QEMU exit status 33 */
#define EXIT_FAIL	0x11	/* 35: a check failed */
#define EXIT_SETUP	0x12	/* 37: no edu, bad BAR, no multiboot info */
#define EXIT_TIMEOUT	0x13	/* 39: nobody ended an unplug/hold run */

#define EDU_VENDOR	0x1234
#define EDU_DEVICE	0x11e8
#define EDU_ID		0x00
#define EDU_LIVENESS	0x04
#define EDU_DMA_SRC	0x80
#define EDU_DMA_DST	0x88
#define EDU_DMA_COUNT	0x90
#define EDU_DMA_CMD	0x98
#define EDU_CMD_START	0x1
#define EDU_CMD_TO_RAM	0x2	/* direction: device buffer -> RAM */
#define EDU_DEV_BUF	0x40000

/*
 * edu in QEMU 7.2 aborts the whole VM on a transfer that ends exactly at the
 * end of its 4 KiB buffer, and ANDs RAM addresses with a 28-bit mask.
 */
#define DMA_LEN		4000
#define DMA_MASK	0x0fffffffu
/* Outside a -m 64M guest's RAM, inside the edu's 28-bit reach */
#ifndef OUTSIDE_ADDR
#define OUTSIDE_ADDR	0x0c000000u
#endif

#define PAGE_SIZE	4096
#define MB_BOOT_MAGIC	0x2badb002
#define MB_INFO_MEM	(1 << 0)
#define MB_INFO_CMDLINE	(1 << 2)

struct multiboot_info {
	u32 flags;
	u32 mem_lower;		/* KiB below 1 MiB */
	u32 mem_upper;		/* KiB from 1 MiB to the first hole */
	u32 boot_device;
	u32 cmdline;
};

static u8 buf_a[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static u8 buf_b[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
/*
 * The words the RAM scan looks for live here, away from any page start, so
 * that the scan does not find its own reference copy.
 */
static struct {
	u32 pad[3];
	u32 w[4];
} scan_ref __attribute__((aligned(PAGE_SIZE)));

static uptr edu_bar;
static int failures;

/* ---- serial console ---- */

static void serial_init(void)
{
	outb(COM1 + 1, 0x00);	/* no interrupts */
	outb(COM1 + 3, 0x80);	/* DLAB */
	outb(COM1 + 0, 0x01);	/* 115200 baud */
	outb(COM1 + 1, 0x00);
	outb(COM1 + 3, 0x03);	/* 8N1 */
	outb(COM1 + 2, 0xc7);	/* FIFO on, cleared */
	outb(COM1 + 4, 0x03);	/* DTR, RTS */
}

static void putc(char c)
{
	int spin = 100000;

	if (c == '\n')
		putc('\r');
	while (!(inb(COM1 + 5) & 0x20) && --spin)
		cpu_relax();
	outb(COM1, c);
}

static void puts(const char *s)
{
	while (*s)
		putc(*s++);
}

static void puthex(u32 v, int digits)
{
	static const char hex[] = "0123456789abcdef";
	int i;

	for (i = digits - 1; i >= 0; i--)
		putc(hex[(v >> (i * 4)) & 0xf]);
}

static void putx(u32 v)
{
	puts("0x");
	puthex(v, 8);
}

static void putu(u32 v)
{
	char d[10];
	int n = 0;

	do {
		d[n++] = '0' + v % 10;
		v /= 10;
	} while (v);
	while (n)
		putc(d[--n]);
}

static void putbytes(const u8 *p, int n)
{
	int i;

	for (i = 0; i < n; i++)
		puthex(p[i], 2);
}

/* ---- leaving ---- */

static void __attribute__((noreturn)) finish(u8 code)
{
	puts("PAYLOAD EXIT code=");
	putx(code);
	puts("\n");
	outb(DEBUG_EXIT, code);
	/* Still here: QEMU has no isa-debug-exit at 0xf4 */
	puts("PAYLOAD HALTED no isa-debug-exit device at 0xf4\n");
	for (;;)
		asm volatile("cli; hlt");
}

static void fail(const char *what)
{
	puts("PAYLOAD FAIL ");
	puts(what);
	puts("\n");
	failures++;
}

/* ---- a wall clock in seconds: the CMOS RTC ---- */

static u8 rtc_seconds(void)
{
	outb(0x70, 0x0a);
	while (inb(0x71) & 0x80)	/* update in progress */
		cpu_relax();
	outb(0x70, 0x00);
	return inb(0x71);
}

struct timer {
	u8 last;
	u32 elapsed;
};

static void timer_start(struct timer *t)
{
	t->last = rtc_seconds();
	t->elapsed = 0;
}

/* Seconds since timer_start(); call it at least once a second */
static u32 timer_elapsed(struct timer *t)
{
	u8 now = rtc_seconds();

	if (now != t->last) {
		t->last = now;
		t->elapsed++;
	}
	return t->elapsed;
}

/* ---- PCI configuration space, mechanism #1 ---- */

static u32 pci_addr(u32 bdf, u32 off)
{
	return 0x80000000u | (bdf << 8) | (off & 0xfc);
}

static u32 pci_read32(u32 bdf, u32 off)
{
	outl(0xcf8, pci_addr(bdf, off));
	return inl(0xcfc);
}

static u16 pci_read16(u32 bdf, u32 off)
{
	outl(0xcf8, pci_addr(bdf, off));
	return inw(0xcfc + (off & 2));
}

static u8 pci_read8(u32 bdf, u32 off)
{
	outl(0xcf8, pci_addr(bdf, off));
	return inb(0xcfc + (off & 3));
}

static void pci_write16(u32 bdf, u32 off, u16 v)
{
	outl(0xcf8, pci_addr(bdf, off));
	outw(0xcfc + (off & 2), v);
}

static void put_bdf(u32 bdf)
{
	puthex(bdf >> 8, 2);
	putc(':');
	puthex((bdf >> 3) & 0x1f, 2);
	putc('.');
	puthex(bdf & 7, 1);
}

/* The bus/device/function of the first edu, or -1 */
static int find_edu(void)
{
	u32 bus, dev, fn, id;

	for (bus = 0; bus < 256; bus++)
		for (dev = 0; dev < 32; dev++)
			for (fn = 0; fn < 8; fn++) {
				u32 bdf = (bus << 8) | (dev << 3) | fn;

				id = pci_read32(bdf, 0x00);
				if ((id & 0xffff) == 0xffff) {
					if (fn == 0)
						break;
					continue;
				}
				if (id == (EDU_DEVICE << 16 | EDU_VENDOR))
					return bdf;
				if (fn == 0 && !(pci_read8(bdf, 0x0e) & 0x80))
					break;	/* single function */
			}
	return -1;
}

/* The bridge whose secondary bus is @bus, or -1 (a root-bus device) */
static int find_parent_bridge(u32 bus)
{
	u32 bdf;

	if (bus == 0)
		return -1;
	for (bdf = 0; bdf < 0x10000; bdf++) {
		if (pci_read16(bdf, 0x00) == 0xffff)
			continue;
		if ((pci_read8(bdf, 0x0e) & 0x7f) == 1 &&
		    pci_read8(bdf, 0x19) == bus)
			return bdf;
	}
	return -1;
}

static int pci_find_cap(u32 bdf, u8 id)
{
	u8 pos;
	int n = 48;

	if (!(pci_read16(bdf, 0x06) & 0x10))	/* no capability list */
		return -1;
	pos = pci_read8(bdf, 0x34) & 0xfc;
	while (pos && n--) {
		if (pci_read8(bdf, pos) == id)
			return pos;
		pos = pci_read8(bdf, pos + 1) & 0xfc;
	}
	return -1;
}

/* ---- edu ---- */

static u32 edu_read(u32 reg)
{
	return readl(edu_bar + reg);
}

/*
 * A 4-byte write to a 64-bit DMA register sets the whole register (upper
 * half zero), which is all a 32-bit guest with addresses below 4 GiB needs.
 */
static void edu_write(u32 reg, u32 v)
{
	writel(edu_bar + reg, v);
}

/* One DMA; false (and a FAIL line) if the engine never finished */
static bool edu_dma(const char *what, u32 src, u32 dst, u32 len, u32 cmd)
{
	struct timer t;
	u32 c;

	edu_write(EDU_DMA_SRC, src);
	edu_write(EDU_DMA_DST, dst);
	edu_write(EDU_DMA_COUNT, len);
	edu_write(EDU_DMA_CMD, cmd | EDU_CMD_START);
	timer_start(&t);
	while ((c = edu_read(EDU_DMA_CMD)) & EDU_CMD_START) {
		if (timer_elapsed(&t) > 30) {
			puts("PAYLOAD FAIL dma ");
			puts(what);
			puts(" did not complete in 30 s: cmd=");
			putx(c);
			puts("\n");
			failures++;
			return false;
		}
		cpu_relax();
	}
	return true;
}

static bool dma_to_dev(const char *what, uptr ram)
{
	return edu_dma(what, ram, EDU_DEV_BUF, DMA_LEN, 0);
}

static bool dma_from_dev(const char *what, uptr ram)
{
	return edu_dma(what, EDU_DEV_BUF, ram, DMA_LEN, EDU_CMD_TO_RAM);
}

/* ---- data ---- */

static u32 pattern_word(u32 seed, u32 i)
{
	u32 x = seed * 2654435761u + i * 40503u;

	x ^= x >> 15;
	x *= 2246822519u;
	x ^= x >> 13;
	return x ^ 0x5ca1ab1e;
}

static void fill_pattern(u8 *buf, u32 seed)
{
	u32 i;

	for (i = 0; i < PAGE_SIZE / 4; i++)
		((u32 *)buf)[i] = pattern_word(seed, i);
}

static void fill_bytes(u8 *buf, u8 v)
{
	u32 i;

	for (i = 0; i < PAGE_SIZE; i++)
		buf[i] = v;
}

/* Index of the first byte of @len that differs, or -1 */
static int first_diff(const u8 *a, const u8 *b, u32 len)
{
	u32 i;

	for (i = 0; i < len; i++)
		if (a[i] != b[i])
			return i;
	return -1;
}

static void report_diff(const char *what, const u8 *want, const u8 *got)
{
	int at = first_diff(want, got, DMA_LEN);
	u32 i, bad = 0;

	for (i = 0; i < DMA_LEN; i++)
		bad += want[i] != got[i];
	puts("PAYLOAD FAIL ");
	puts(what);
	puts(": ");
	putu(bad);
	puts(" of ");
	putu(DMA_LEN);
	puts(" bytes differ, first at offset ");
	putu(at);
	puts(" want ");
	puthex(want[at], 2);
	puts(" got ");
	puthex(got[at], 2);
	puts("\n");
	failures++;
}

/* RAM -> device -> RAM with a fresh pattern; true if the data came back */
static bool roundtrip(u32 seed)
{
	fill_pattern(buf_a, seed);
	fill_bytes(buf_b, 0xee);
	if (!dma_to_dev("ram->dev", (uptr)buf_a) ||
	    !dma_from_dev("dev->ram", (uptr)buf_b))
		return false;
	if (first_diff(buf_a, buf_b, DMA_LEN) >= 0) {
		report_diff("roundtrip data", buf_a, buf_b);
		return false;
	}
	/* The bytes past the transfer were not touched */
	if (buf_b[DMA_LEN] != 0xee || buf_b[PAGE_SIZE - 1] != 0xee) {
		fail("roundtrip wrote past its length");
		return false;
	}
	return true;
}

static bool all_bytes(const u8 *p, u32 len, u8 v)
{
	u32 i;

	for (i = 0; i < len; i++)
		if (p[i] != v)
			return false;
	return true;
}

/*
 * Free RAM reads as zeros, like a blocked read.  Put a marker at the start
 * of every page the payload does not use, so that a read translated into
 * this guest's RAM would show.
 */
static void mark_free_ram(u32 ram_end)
{
	u32 page;

	for (page = 0x10000; page < 0x80000; page += PAGE_SIZE)
		writel(page, 0x4d41524b);	/* "KRAM" */
	for (page = 0x200000; page < ram_end; page += PAGE_SIZE)
		writel(page, 0x4d41524b);
}

/*
 * A device read from outside RAM must give the device nothing of anyone's
 * memory.  QEMU completes a read that no RAM answers (unassigned guest
 * physical address, or an IOVA the IOMMU refused) with zeros, so the device
 * buffer must hold zeros afterwards, not its earlier pattern (the read did
 * nothing) and not other data (it reached memory: the outer test fills the
 * outer guest's page at the same address, this payload its own free pages).
 */
static void outside_read(u32 ram_end)
{
	mark_free_ram(ram_end);
	fill_pattern(buf_a, 0x0dd);
	if (!dma_to_dev("outside-read prime", (uptr)buf_a))
		return;
	if (!edu_dma("outside-read", OUTSIDE_ADDR, EDU_DEV_BUF, DMA_LEN, 0))
		return;
	fill_bytes(buf_b, 0xee);
	if (!dma_from_dev("outside-read fetch", (uptr)buf_b))
		return;
	puts("PAYLOAD OUTSIDE READ addr=");
	putx(OUTSIDE_ADDR);
	puts(" first=");
	putbytes(buf_b, 16);
	if (all_bytes(buf_b, DMA_LEN, 0)) {
		puts(" zeros\n");
		return;
	}
	puts(first_diff(buf_a, buf_b, DMA_LEN) < 0 ? " unchanged\n" : " data\n");
	fail("outside-read: the device got something other than zeros");
}

/*
 * A device write to outside RAM must land nowhere.  The payload can check its
 * own RAM: IOMMU translation keeps the offset within a 4 KiB page and the
 * transfer starts at a page boundary, so had any translation sent it into
 * this guest's RAM, the pattern's first 16 bytes would start some page of
 * it.  Both copies the payload made of the pattern are wiped first.  The
 * outer test checks the memory outside this guest.
 */
static void outside_write(u32 ram_end)
{
	u32 page, pages = 0, found = 0;
	int i;

	fill_pattern(buf_a, 0x0ff);
	for (i = 0; i < 4; i++)
		scan_ref.w[i] = ((u32 *)buf_a)[i];
	/* The device buffer holds the pattern: check, as an outside write
	 * of a buffer that never got it would prove nothing */
	if (!roundtrip(0x0ff))
		return;
	fill_bytes(buf_a, 0);
	fill_bytes(buf_b, 0);
	if (!edu_dma("outside-write", EDU_DEV_BUF, OUTSIDE_ADDR, DMA_LEN,
		     EDU_CMD_TO_RAM))
		return;
	puts("PAYLOAD OUTSIDE DONE addr=");
	putx(OUTSIDE_ADDR);
	puts(" len=");
	putu(DMA_LEN);
	puts(" pattern=");
	for (i = 0; i < 4; i++)
		putbytes((const u8 *)&scan_ref.w[i], 4);
	puts("\n");

	for (page = 0; page < ram_end; page += PAGE_SIZE) {
		pages++;
		if (readl(page) != scan_ref.w[0] ||
		    readl(page + 4) != scan_ref.w[1] ||
		    readl(page + 8) != scan_ref.w[2] ||
		    readl(page + 12) != scan_ref.w[3])
			continue;
		puts("PAYLOAD FAIL outside-write: its data is in RAM at ");
		putx(page);
		puts("\n");
		found++;
		failures++;
	}
	if (!found) {
		puts("PAYLOAD OUTSIDE CLEAN ");
		putu(pages);
		puts(" pages of RAM up to ");
		putx(ram_end);
		puts(" do not hold it\n");
	}

	/* The device survived: its buffer still holds the pattern */
	if (!dma_from_dev("after-outside fetch", (uptr)buf_b))
		return;
	fill_pattern(buf_a, 0x0ff);
	if (first_diff(buf_a, buf_b, DMA_LEN) >= 0) {
		report_diff("after-outside device buffer", buf_a, buf_b);
		return;
	}
	puts("PAYLOAD AFTER OUTSIDE OK\n");
}

/* ---- the modes after the tests ---- */

/* @w is a space-separated word of @line */
static bool has_word(const char *line, const char *w)
{
	const char *s, *p, *q;

	for (s = line; *s; s++) {
		if (s != line && s[-1] != ' ')
			continue;
		for (p = s, q = w; *q && *p == *q; p++, q++)
			;
		if (!*q && (*p == ' ' || *p == 0))
			return true;
	}
	return false;
}

static void __attribute__((noreturn)) idle_until_killed(const char *why)
{
	struct timer t;

	timer_start(&t);
	while (timer_elapsed(&t) < 300)
		cpu_relax();
	puts("PAYLOAD FAIL ");
	puts(why);
	puts(": nobody ended the run in 300 s\n");
	finish(EXIT_TIMEOUT);
}

/*
 * PCIe native hot-unplug, the guest's half: device_del presses the slot's
 * attention button; an OS then powers the slot off (power controller off,
 * power indicator off) and QEMU removes the device.
 */
static void __attribute__((noreturn)) unplug_mode(u32 bdf)
{
	int bridge = find_parent_bridge(bdf >> 8);
	int exp;
	u32 sltcap;
	u16 ctl, sta;
	struct timer t;

	if (bridge < 0 || (exp = pci_find_cap(bridge, 0x10)) < 0) {
		fail("unplug: the edu is not below a PCIe port");
		finish(EXIT_SETUP);
	}
	sltcap = pci_read32(bridge, exp + 0x14);
	if ((sltcap & 0x43) != 0x43) {	/* button, power ctl, hotplug */
		puts("PAYLOAD FAIL unplug: slot capabilities ");
		putx(sltcap);
		puts(" of ");
		put_bdf(bridge);
		puts(" lack attention button/power control/hot-plug\n");
		finish(EXIT_SETUP);
	}
	puts("PAYLOAD WAIT UNPLUG slot of ");
	put_bdf(bridge);
	puts("\n");
	timer_start(&t);
	while (!((sta = pci_read16(bridge, exp + 0x1a)) & 0x1)) {
		if (timer_elapsed(&t) > 300) {
			fail("unplug: no attention button press in 300 s");
			finish(EXIT_TIMEOUT);
		}
		cpu_relax();
	}
	puts("PAYLOAD UNPLUG REQUEST slot status ");
	puthex(sta, 4);
	puts("\n");
	pci_write16(bridge, exp + 0x1a, 0x1);	/* acknowledge the button */
	ctl = pci_read16(bridge, exp + 0x18);
	ctl |= 0x0400;				/* power controller off */
	ctl |= 0x0300;				/* power indicator off */
	pci_write16(bridge, exp + 0x18, ctl);
	timer_start(&t);
	while (pci_read16(bdf, 0x00) != 0xffff) {
		if (timer_elapsed(&t) > 30) {
			fail("unplug: the edu is still there 30 s after power off");
			finish(EXIT_FAIL);
		}
		cpu_relax();
	}
	puts("PAYLOAD UNPLUGGED ");
	put_bdf(bdf);
	puts(" reads as absent\n");
	idle_until_killed("unplug");
}

static void __attribute__((noreturn)) hold_mode(void)
{
	u32 round = 0;
	struct timer t;

	timer_start(&t);
	puts("PAYLOAD HOLD DMA until killed\n");
	while (timer_elapsed(&t) < 300) {
		if (!roundtrip(0x1000 + round))
			finish(EXIT_FAIL);
		round++;
		puts("PAYLOAD HOLD round ");
		putu(round);
		puts("\n");
	}
	fail("hold: nobody ended the run in 300 s");
	finish(EXIT_TIMEOUT);
}

/* ---- main ---- */

void payload_main(u32 magic, const struct multiboot_info *mbi);

void payload_main(u32 magic, const struct multiboot_info *mbi)
{
	const char *cmdline = "";
	u32 ram_end, id, live, bar, bar_hi;
	int bdf;
	u16 cmd;

	serial_init();
	puts("\nPAYLOAD START\n");
	if (magic != MB_BOOT_MAGIC || !(mbi->flags & MB_INFO_MEM)) {
		fail("setup: not booted by a multiboot loader with memory info");
		finish(EXIT_SETUP);
	}
	if (mbi->flags & MB_INFO_CMDLINE)
		cmdline = (const char *)mbi->cmdline;
	ram_end = 0x100000 + mbi->mem_upper * 1024;
	puts("PAYLOAD RAM end=");
	putx(ram_end);
	puts(" cmdline=\"");
	puts(cmdline);
	puts("\"\n");
	if (ram_end > OUTSIDE_ADDR) {
		fail("setup: the outside address is inside RAM (run with -m 64M)");
		finish(EXIT_SETUP);
	}

	bdf = find_edu();
	if (bdf < 0) {
		fail("setup: no edu device (1234:11e8) on any PCI bus");
		finish(EXIT_SETUP);
	}
	bar = pci_read32(bdf, 0x10);
	bar_hi = (bar & 0x6) == 0x4 ? pci_read32(bdf, 0x14) : 0;
	puts("PAYLOAD EDU at ");
	put_bdf(bdf);
	puts(" bar0=");
	putx(bar);
	puts("\n");
	if ((bar & 1) || bar_hi || !(bar & ~0xfu)) {
		fail("setup: BAR0 is not a memory BAR assigned below 4 GiB");
		finish(EXIT_SETUP);
	}
	edu_bar = bar & ~0xfu;
	cmd = pci_read16(bdf, 0x04);
	pci_write16(bdf, 0x04, cmd | 0x6);	/* memory space, bus master */
	cmd = pci_read16(bdf, 0x04);
	if ((cmd & 0x6) != 0x6) {
		puts("PAYLOAD FAIL setup: command register stays ");
		puthex(cmd, 4);
		puts("\n");
		finish(EXIT_SETUP);
	}

	id = edu_read(EDU_ID);
	if ((id & 0xff) != 0xed) {
		puts("PAYLOAD FAIL id register ");
		putx(id);
		puts(" (want 0x??????ed)\n");
		finish(EXIT_FAIL);
	}
	edu_write(EDU_LIVENESS, 0x12345678);
	live = edu_read(EDU_LIVENESS);
	if (live != ~0x12345678u) {
		puts("PAYLOAD FAIL liveness: wrote 0x12345678 read ");
		putx(live);
		puts("\n");
		finish(EXIT_FAIL);
	}
	puts("PAYLOAD EDU OK id=");
	putx(id);
	puts(" liveness=");
	putx(live);
	puts("\n");

	if ((uptr)buf_a + PAGE_SIZE > DMA_MASK || (uptr)buf_b + PAGE_SIZE > DMA_MASK)
		fail("setup: buffers beyond the edu's 28-bit DMA reach");
	if (roundtrip(1)) {
		puts("PAYLOAD DMA OK ");
		putu(DMA_LEN);
		puts(" bytes ram ");
		putx((uptr)buf_a);
		puts(" -> dev -> ram ");
		putx((uptr)buf_b);
		puts("\n");
	}

	outside_read(ram_end);
	outside_write(ram_end);

	if (failures) {
		puts("PAYLOAD RESULT FAIL ");
		putu(failures);
		puts(" failures\n");
		finish(EXIT_FAIL);
	}
	puts("PAYLOAD RESULT PASS\n");
	if (has_word(cmdline, "mode=unplug"))
		unplug_mode(bdf);
	if (has_word(cmdline, "mode=hold"))
		hold_mode();
	finish(EXIT_PASS);
}
