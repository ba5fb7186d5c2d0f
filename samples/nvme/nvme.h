/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The parts of the NVM Express base specification (1.4) that the sample
 * driver uses: controller registers, queue entry layouts, admin and NVM
 * command set opcodes.
 */
#ifndef _SAMPLES_NVME_H
#define _SAMPLES_NVME_H

#include <linux/types.h>

#define NVME_PAGE		4096u	/* CC.MPS = 0 */

/* Controller registers (BAR0) */
#define NVME_REG_CAP		0x00	/* 64 bit */
#define NVME_REG_VS		0x08
#define NVME_REG_INTMS		0x0c
#define NVME_REG_INTMC		0x10
#define NVME_REG_CC		0x14
#define NVME_REG_CSTS		0x1c
#define NVME_REG_AQA		0x24
#define NVME_REG_ASQ		0x28	/* 64 bit */
#define NVME_REG_ACQ		0x30	/* 64 bit */
#define NVME_REG_DBS		0x1000	/* doorbells */

#define NVME_CAP_MQES(cap)	((unsigned int)((cap) & 0xffff) + 1)
#define NVME_CAP_TO_MS(cap)	((unsigned int)(((cap) >> 24) & 0xff) * 500)
#define NVME_CAP_DSTRD(cap)	((unsigned int)(((cap) >> 32) & 0xf))
#define NVME_CAP_CSS_NVM(cap)	(((cap) >> 37) & 1)
#define NVME_CAP_MPSMIN(cap)	((unsigned int)(((cap) >> 48) & 0xf))

#define NVME_CC_EN		(1u << 0)
#define NVME_CC_CSS_NVM		(0u << 4)
#define NVME_CC_MPS(shift)	(((shift) - 12) << 7)
#define NVME_CC_AMS_RR		(0u << 11)
#define NVME_CC_SHN_MASK	(3u << 14)
#define NVME_CC_SHN_NORMAL	(1u << 14)
#define NVME_CC_IOSQES(n)	((n) << 16)	/* log2 of the SQE size */
#define NVME_CC_IOCQES(n)	((n) << 20)

#define NVME_CSTS_RDY		(1u << 0)
#define NVME_CSTS_CFS		(1u << 1)
#define NVME_CSTS_SHST_MASK	(3u << 2)
#define NVME_CSTS_SHST_DONE	(2u << 2)

/* Submission queue entry: 64 bytes */
struct nvme_sqe {
	__u8 opcode;
	__u8 flags;		/* FUSE 1:0, PSDT 7:6 (0: PRPs) */
	__u16 cid;
	__u32 nsid;
	__u32 cdw2;
	__u32 cdw3;
	__u64 mptr;
	__u64 prp1;
	__u64 prp2;
	__u32 cdw10;
	__u32 cdw11;
	__u32 cdw12;
	__u32 cdw13;
	__u32 cdw14;
	__u32 cdw15;
};

/* Completion queue entry: 16 bytes */
struct nvme_cqe {
	__u32 result;		/* DW0, command specific */
	__u32 dw1;
	__u16 sq_head;
	__u16 sq_id;
	__u16 cid;
	__u16 status;		/* bit 0: phase; 15:1 status field */
};

#define NVME_CQE_PHASE		1u
#define NVME_STATUS_SC(st)	(((st) >> 1) & 0xff)
#define NVME_STATUS_SCT(st)	(((st) >> 9) & 0x7)
#define NVME_STATUS_DNR(st)	(((st) >> 15) & 0x1)

/* Admin command set */
#define NVME_ADM_DELETE_SQ	0x00
#define NVME_ADM_CREATE_SQ	0x01
#define NVME_ADM_DELETE_CQ	0x04
#define NVME_ADM_CREATE_CQ	0x05
#define NVME_ADM_IDENTIFY	0x06
#define NVME_ADM_SET_FEATURES	0x09

#define NVME_ID_CNS_NS		0x00
#define NVME_ID_CNS_CTRL	0x01

#define NVME_FEAT_NUM_QUEUES	0x07

/* Create I/O CQ / SQ, CDW11 */
#define NVME_Q_PC		(1u << 0)	/* physically contiguous */
#define NVME_CQ_IEN		(1u << 1)

/* NVM command set */
#define NVME_CMD_FLUSH		0x00
#define NVME_CMD_WRITE		0x01
#define NVME_CMD_READ		0x02

/* Identify controller: offsets of the fields used */
#define NVME_IDC_VID		0
#define NVME_IDC_SN		4	/* 20 bytes, ASCII, space padded */
#define NVME_IDC_MN		24	/* 40 bytes */
#define NVME_IDC_FR		64	/* 8 bytes */
#define NVME_IDC_MDTS		77
#define NVME_IDC_VER		80
#define NVME_IDC_SQES		512
#define NVME_IDC_CQES		513
#define NVME_IDC_NN		516

/* Identify namespace */
#define NVME_IDN_NSZE		0	/* 64 bit, in LBAs */
#define NVME_IDN_NCAP		8
#define NVME_IDN_NLBAF		25
#define NVME_IDN_FLBAS		26
#define NVME_IDN_LBAF		128	/* 4 bytes each: MS 15:0, LBADS 23:16 */

#endif /* _SAMPLES_NVME_H */
