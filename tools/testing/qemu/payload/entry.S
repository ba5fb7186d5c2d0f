/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Multiboot (v1) entry of the inner-guest payload.  QEMU's -kernel loader
 * finds the header below, loads the ELF segments and jumps to _start in
 * 32-bit protected mode, paging off, EAX = bootloader magic, EBX = the
 * multiboot information structure.
 */
#define MB_MAGIC	0x1badb002
#define MB_FLAGS	0x00000003	/* page-aligned modules, memory info */

	.section .multiboot, "a"
	.balign 4
	.long MB_MAGIC
	.long MB_FLAGS
	.long -(MB_MAGIC + MB_FLAGS)

	.section .text
	.globl _start
_start:
	cli
	movl $stack_top, %esp
	xorl %ebp, %ebp
	pushl %ebx		/* multiboot info */
	pushl %eax		/* bootloader magic */
	call payload_main
1:	hlt
	jmp 1b

	.section .bss
	.balign 16
stack_bottom:
	.skip 16384
stack_top:

	.section .note.GNU-stack, "", @progbits
