/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Freestanding definitions for the inner-guest payload: no libc and no
 * system headers, so the host's gcc builds it with -m32 without multilib.
 */
#ifndef PAYLOAD_H
#define PAYLOAD_H

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef unsigned int uptr;	/* a 32-bit build: pointers are 32 bits */
typedef int bool;
#define true 1
#define false 0

static inline void outb(u16 port, u8 v)
{
	asm volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outw(u16 port, u16 v)
{
	asm volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outl(u16 port, u32 v)
{
	asm volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline u8 inb(u16 port)
{
	u8 v;

	asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline u16 inw(u16 port)
{
	u16 v;

	asm volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline u32 inl(u16 port)
{
	u32 v;

	asm volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

/* Physical memory and MMIO: paging is off, so an address is a pointer */
static inline u32 readl(uptr addr)
{
	u32 v;

	asm volatile("movl (%1), %0" : "=r"(v) : "r"(addr) : "memory");
	return v;
}

static inline void writel(uptr addr, u32 v)
{
	asm volatile("movl %0, (%1)" : : "r"(v), "r"(addr) : "memory");
}

static inline void cpu_relax(void)
{
	asm volatile("pause" : : : "memory");
}

#endif
