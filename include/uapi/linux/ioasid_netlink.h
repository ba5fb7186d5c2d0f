/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * The "ioasid" generic netlink family: what /dev/ioasid contexts exist,
 * what they hold and pin, and events as they change.  Read-only: nothing
 * here changes a context.  Documentation/userspace-api/ioasid-netlink.rst
 * describes the family; ioasidctl(1) is its client.
 *
 * Resolve the family by name (IOASID_GENL_NAME) through nlctrl; it exists
 * while ioasid-core is loaded, in the initial network namespace only.
 *
 * Access: a request sees the contexts whose owner (the effective user ID
 * of the process that opened /dev/ioasid) is the requester's effective
 * user ID; a requester with CAP_SYS_ADMIN sees every context.  Events go
 * to the multicast group IOASID_GENL_MCGRP_ADMIN, which only a process
 * with CAP_SYS_ADMIN may join.
 *
 * Compatibility: attributes are only ever added.  A client ignores the
 * attributes it does not know; the kernel refuses the ones it does not
 * know in a request (strict validation, with an extack message).  The
 * major version changes only if a reply's meaning does; GET_VERSION
 * refuses a client of another major version.
 */
#ifndef _UAPI_LINUX_IOASID_NETLINK_H
#define _UAPI_LINUX_IOASID_NETLINK_H

#include <linux/types.h>

#define IOASID_GENL_NAME	"ioasid"
/* genlmsghdr.version of every message, and the family's nlctrl version */
#define IOASID_GENL_VERSION	1
#define IOASID_GENL_MCGRP_ADMIN	"admin"

#define IOASID_NL_VERSION_MAJOR	1
#define IOASID_NL_VERSION_MINOR	0
#define IOASID_NL_VERSION	((IOASID_NL_VERSION_MAJOR << 16) | \
				 IOASID_NL_VERSION_MINOR)

/**
 * enum ioasid_nl_cmd - commands of the family
 * @IOASID_NL_CMD_GET_VERSION: doit.  Request: optional
 *	%IOASID_NL_A_VERSION, the client's.  Reply: %IOASID_NL_A_VERSION,
 *	the kernel's, and %IOASID_NL_A_PRIVILEGED if the requester sees
 *	every context.  EPROTONOSUPPORT if the majors differ.
 * @IOASID_NL_CMD_GET_STATS: doit.  Reply: %IOASID_NL_A_STATS, nested
 *	&enum ioasid_nl_stat counters of the whole module.
 * @IOASID_NL_CMD_GET_CONTEXT: dump.  One message per context.  Filters:
 *	%IOASID_NL_A_CTX_ID, %IOASID_NL_A_PID.
 * @IOASID_NL_CMD_GET_OBJECT: dump.  One message per object.  Filter:
 *	%IOASID_NL_A_CTX_ID.
 * @IOASID_NL_CMD_GET_AREA: dump.  One message per mapping of an IOAS.
 *	Filters: %IOASID_NL_A_CTX_ID, %IOASID_NL_A_IOAS_ID (with a context).
 *	EAGAIN if an IOAS stayed busy (a map or attach holding its IOVA
 *	tree) for the whole of a few tries.
 * @IOASID_NL_CMD_GET_DEVICE: dump.  One message per bound device.
 *	Filter: %IOASID_NL_A_CTX_ID.
 * @IOASID_NL_CMD_GET_HWPT: dump.  One message per HWPT.  Filter:
 *	%IOASID_NL_A_CTX_ID.
 * @IOASID_NL_CMD_EVENT: sent by the kernel to %IOASID_GENL_MCGRP_ADMIN;
 *	%IOASID_NL_A_EVENT says which.
 *
 * A filter on a context that does not exist is ENOENT, on another user's
 * context without CAP_SYS_ADMIN EPERM; Linux 6.1 gives a dump's start no
 * extended ACK, so these two come without a message.  A malformed request
 * (an unknown attribute or command, a wrong length, trailing bytes) is
 * refused by the strict policy, EINVAL or EOPNOTSUPP, with a message.
 */
enum ioasid_nl_cmd {
	IOASID_NL_CMD_UNSPEC,
	IOASID_NL_CMD_GET_VERSION,
	IOASID_NL_CMD_GET_STATS,
	IOASID_NL_CMD_GET_CONTEXT,
	IOASID_NL_CMD_GET_OBJECT,
	IOASID_NL_CMD_GET_AREA,
	IOASID_NL_CMD_GET_DEVICE,
	IOASID_NL_CMD_GET_HWPT,
	IOASID_NL_CMD_EVENT,

	__IOASID_NL_CMD_MAX,
	IOASID_NL_CMD_MAX = __IOASID_NL_CMD_MAX - 1
};

/**
 * enum ioasid_nl_attr - attributes; integers are host-endian
 * @IOASID_NL_A_PAD: padding of 64-bit attributes
 * @IOASID_NL_A_VERSION: u32, (major << 16) | minor
 * @IOASID_NL_A_PRIVILEGED: flag: the requester sees every context
 * @IOASID_NL_A_STATS: nested, &enum ioasid_nl_stat, each a u64
 * @IOASID_NL_A_CTX_ID: u32, the context's ID (global, never 0; reused
 *	only after the 32-bit space wrapped)
 * @IOASID_NL_A_PID: u32, the process that opened the context or last
 *	mapped memory into it, in the requester's PID namespace (0: not
 *	visible there, or gone)
 * @IOASID_NL_A_COMM: string, that process's name
 * @IOASID_NL_A_UID: u32, the owner: effective user ID of the opener, in
 *	the requester's user namespace
 * @IOASID_NL_A_ACCOUNT_MODE: u32, &enum ioasid_nl_account_mode
 * @IOASID_NL_A_NR_OBJECTS: u32, objects of the context
 * @IOASID_NL_A_PAGES_PINNED: u64, pages the context pins (each page
 *	once, however many domains, copies and accesses use it)
 * @IOASID_NL_A_PAGES_CHARGED: u64, of those, pages charged to an
 *	RLIMIT_MEMLOCK (not those of a CAP_IPC_LOCK mapper)
 * @IOASID_NL_A_FAULTS: u64, DMA fault events of the context
 * @IOASID_NL_A_FAULTS_LOST: u64, of those, dropped by the rate limit
 * @IOASID_NL_A_OBJ_TYPE: u32, &enum ioasid_nl_obj_type
 * @IOASID_NL_A_OBJ_ID: u32, object ID inside its context
 * @IOASID_NL_A_OBJ_USERS: u32, references on the object (one for the
 *	context, one per dependent object, owner and ioctl in flight)
 * @IOASID_NL_A_IOAS_ID: u32
 * @IOASID_NL_A_IOVA: u64, first IOVA of a mapping
 * @IOASID_NL_A_IOVA_LAST: u64, last IOVA of a mapping (inclusive)
 * @IOASID_NL_A_PROT: u32, %IOASID_NL_PROT_* bits
 * @IOASID_NL_A_PAGES: u64, CPU pages a mapping covers
 * @IOASID_NL_A_BACKING: u32, %IOASID_NL_BACKING_* bits: the kinds of
 *	memory pinned for the mapping's user range so far (0: never pinned)
 * @IOASID_NL_A_PINNED: flag: the mapping's pages are pinned now
 * @IOASID_NL_A_DEV_ID: u32, DEVICE object ID
 * @IOASID_NL_A_DEV_NAME: string, the device's name (a PCI address for
 *	PCI devices)
 * @IOASID_NL_A_GROUP: u32, the device's iommu_group
 * @IOASID_NL_A_HWPT_ID: u32, a HWPT; absent for a detached device
 * @IOASID_NL_A_HWPT_KIND: u32, &enum ioasid_nl_hwpt_kind
 * @IOASID_NL_A_HWPT_FLAGS: u32, %IOASID_NL_HWPT_* bits
 * @IOASID_NL_A_DOMAIN_TYPE: u32, the iommu_domain's type (Linux's
 *	IOMMU_DOMAIN_* value)
 * @IOASID_NL_A_IOMMU: string, the IOMMU the HWPT's domain belongs to
 * @IOASID_NL_A_PGSIZES: u64, IO page sizes the domain can use (bitmap)
 * @IOASID_NL_A_PARENT_ID: u32, a nested HWPT's parent
 * @IOASID_NL_A_NR_GROUPS: u32, iommu_groups attached to the HWPT
 * @IOASID_NL_A_EVENT: u32, &enum ioasid_nl_event
 * @IOASID_NL_A_SEQ: u64, events numbered in the order the kernel sent
 *	them, from 1; a gap means a listener missed events
 * @IOASID_NL_A_TIME: u64, CLOCK_REALTIME of the event in nanoseconds
 * @IOASID_NL_A_FAULT_ADDR: u64, the faulting IOVA
 * @IOASID_NL_A_FAULT_PERM: u32, %IOASID_NL_FAULT_PERM_* bits
 * @IOASID_NL_A_LOST: u64, DMA fault events of the same context dropped
 *	by the rate limit since the previous one sent
 * @IOASID_NL_A_LENGTH: u64, bytes a MAP event mapped or an UNMAP event
 *	unmapped
 */
enum ioasid_nl_attr {
	IOASID_NL_A_UNSPEC,
	IOASID_NL_A_PAD,
	IOASID_NL_A_VERSION,
	IOASID_NL_A_PRIVILEGED,
	IOASID_NL_A_STATS,
	IOASID_NL_A_CTX_ID,
	IOASID_NL_A_PID,
	IOASID_NL_A_COMM,
	IOASID_NL_A_UID,
	IOASID_NL_A_ACCOUNT_MODE,
	IOASID_NL_A_NR_OBJECTS,
	IOASID_NL_A_PAGES_PINNED,
	IOASID_NL_A_PAGES_CHARGED,
	IOASID_NL_A_FAULTS,
	IOASID_NL_A_FAULTS_LOST,
	IOASID_NL_A_OBJ_TYPE,
	IOASID_NL_A_OBJ_ID,
	IOASID_NL_A_OBJ_USERS,
	IOASID_NL_A_IOAS_ID,
	IOASID_NL_A_IOVA,
	IOASID_NL_A_IOVA_LAST,
	IOASID_NL_A_PROT,
	IOASID_NL_A_PAGES,
	IOASID_NL_A_BACKING,
	IOASID_NL_A_PINNED,
	IOASID_NL_A_DEV_ID,
	IOASID_NL_A_DEV_NAME,
	IOASID_NL_A_GROUP,
	IOASID_NL_A_HWPT_ID,
	IOASID_NL_A_HWPT_KIND,
	IOASID_NL_A_HWPT_FLAGS,
	IOASID_NL_A_DOMAIN_TYPE,
	IOASID_NL_A_IOMMU,
	IOASID_NL_A_PGSIZES,
	IOASID_NL_A_PARENT_ID,
	IOASID_NL_A_NR_GROUPS,
	IOASID_NL_A_EVENT,
	IOASID_NL_A_SEQ,
	IOASID_NL_A_TIME,
	IOASID_NL_A_FAULT_ADDR,
	IOASID_NL_A_FAULT_PERM,
	IOASID_NL_A_LOST,
	IOASID_NL_A_LENGTH,

	__IOASID_NL_A_MAX,
	IOASID_NL_A_MAX = __IOASID_NL_A_MAX - 1
};

/* Nested in IOASID_NL_A_STATS, each a u64 */
enum ioasid_nl_stat {
	IOASID_NL_STAT_UNSPEC,
	IOASID_NL_STAT_PAD,
	IOASID_NL_STAT_CONTEXTS,	/* open contexts */
	IOASID_NL_STAT_OBJECTS,		/* objects of all contexts */
	IOASID_NL_STAT_PAGES_OBJS,	/* pinnable user ranges */
	IOASID_NL_STAT_PINNED,		/* pages pinned */
	IOASID_NL_STAT_CHARGED,		/* pages charged to RLIMIT_MEMLOCK */
	IOASID_NL_STAT_GROUPS,		/* iommu_groups whose DMA is owned */
	IOASID_NL_STAT_DOMAINS,		/* iommu_domains allocated */
	IOASID_NL_STAT_MAP_CALLS,	/* iommu_map() calls ever made */
	IOASID_NL_STAT_EVENTS,		/* events sent */
	IOASID_NL_STAT_EVENTS_LOST,	/* events that found no memory */
	IOASID_NL_STAT_FAULTS,		/* DMA faults reported */
	IOASID_NL_STAT_FAULTS_LOST,	/* of those, dropped unsent */

	__IOASID_NL_STAT_MAX,
	IOASID_NL_STAT_MAX = __IOASID_NL_STAT_MAX - 1
};

enum ioasid_nl_account_mode {
	IOASID_NL_ACCOUNT_USER,		/* user_struct::locked_vm */
	IOASID_NL_ACCOUNT_MM,		/* the mapper's VmLck */
};

enum ioasid_nl_obj_type {
	IOASID_NL_OBJ_IOAS = 1,
	IOASID_NL_OBJ_HWPT,
	IOASID_NL_OBJ_DEVICE,
	IOASID_NL_OBJ_ACCESS,
	IOASID_NL_OBJ_SELFTEST,		/* test build: a mock device */
	IOASID_NL_OBJ_FAULT,		/* a fault queue */
};

#define IOASID_NL_PROT_READ		(1U << 0)
#define IOASID_NL_PROT_WRITE		(1U << 1)

#define IOASID_NL_BACKING_ANON		(1U << 0)	/* anonymous */
#define IOASID_NL_BACKING_THP		(1U << 1)	/* transparent huge */
#define IOASID_NL_BACKING_HUGETLB	(1U << 2)	/* hugetlbfs */
#define IOASID_NL_BACKING_SHMEM		(1U << 3)	/* shmem, memfd */
#define IOASID_NL_BACKING_FILE		(1U << 4)	/* page cache */

enum ioasid_nl_hwpt_kind {
	IOASID_NL_HWPT_AUTO = 1,	/* made by an attach to an IOAS */
	IOASID_NL_HWPT_PAGING,		/* IOMMU_HWPT_ALLOC on an IOAS */
	IOASID_NL_HWPT_NESTED,		/* IOMMU_HWPT_ALLOC on a HWPT */
};

/* The domain blocks no-snoop DMA */
#define IOASID_NL_HWPT_ENFORCE_CC	(1U << 0)
/* IOMMU_HWPT_ALLOC_NEST_PARENT */
#define IOASID_NL_HWPT_NEST_PARENT	(1U << 1)
/* IOMMU_HWPT_ALLOC_DIRTY_TRACKING */
#define IOASID_NL_HWPT_DIRTY_TRACKING	(1U << 2)
/* The domain mirrors its IOAS now */
#define IOASID_NL_HWPT_IN_IOAS		(1U << 3)

/* DMA fault events sent per context and second at most */
#define IOASID_NL_FAULT_BURST		32

#define IOASID_NL_FAULT_PERM_READ	(1U << 0)
#define IOASID_NL_FAULT_PERM_WRITE	(1U << 1)
#define IOASID_NL_FAULT_PERM_EXEC	(1U << 2)

/**
 * enum ioasid_nl_event - IOASID_NL_A_EVENT of IOASID_NL_CMD_EVENT
 *
 * Every event has %IOASID_NL_A_SEQ, %IOASID_NL_A_TIME,
 * %IOASID_NL_A_CTX_ID and %IOASID_NL_A_UID; then:
 * @IOASID_NL_EVENT_CTX_OPEN: %IOASID_NL_A_PID, %IOASID_NL_A_COMM
 * @IOASID_NL_EVENT_CTX_CLOSE: the context's objects are gone
 * @IOASID_NL_EVENT_BIND: %IOASID_NL_A_DEV_ID, %IOASID_NL_A_DEV_NAME,
 *	%IOASID_NL_A_GROUP
 * @IOASID_NL_EVENT_UNBIND: as BIND
 * @IOASID_NL_EVENT_ATTACH: %IOASID_NL_A_DEV_ID, %IOASID_NL_A_DEV_NAME,
 *	%IOASID_NL_A_HWPT_ID, the device's new HWPT (also on a replace)
 * @IOASID_NL_EVENT_DETACH: %IOASID_NL_A_DEV_ID, %IOASID_NL_A_DEV_NAME,
 *	%IOASID_NL_A_HWPT_ID, the HWPT it left; DMA is blocked now
 * @IOASID_NL_EVENT_OBJ_CREATE: %IOASID_NL_A_OBJ_TYPE, %IOASID_NL_A_OBJ_ID
 * @IOASID_NL_EVENT_OBJ_DESTROY: as OBJ_CREATE
 * @IOASID_NL_EVENT_FAULT: a DMA fault: %IOASID_NL_A_DEV_ID,
 *	%IOASID_NL_A_HWPT_ID, %IOASID_NL_A_FAULT_ADDR,
 *	%IOASID_NL_A_FAULT_PERM, %IOASID_NL_A_LOST.  At most
 *	%IOASID_NL_FAULT_BURST a second per context are sent; the others are
 *	counted as lost.
 * @IOASID_NL_EVENT_MAP: IOMMU_IOAS_MAP or IOMMU_IOAS_COPY succeeded:
 *	%IOASID_NL_A_IOAS_ID, %IOASID_NL_A_IOVA, %IOASID_NL_A_LENGTH,
 *	%IOASID_NL_A_PROT
 * @IOASID_NL_EVENT_UNMAP: IOMMU_IOAS_UNMAP succeeded:
 *	%IOASID_NL_A_IOAS_ID, %IOASID_NL_A_IOVA (as requested),
 *	%IOASID_NL_A_LENGTH (what it unmapped)
 */
enum ioasid_nl_event {
	IOASID_NL_EVENT_CTX_OPEN = 1,
	IOASID_NL_EVENT_CTX_CLOSE,
	IOASID_NL_EVENT_BIND,
	IOASID_NL_EVENT_UNBIND,
	IOASID_NL_EVENT_ATTACH,
	IOASID_NL_EVENT_DETACH,
	IOASID_NL_EVENT_OBJ_CREATE,
	IOASID_NL_EVENT_OBJ_DESTROY,
	IOASID_NL_EVENT_FAULT,
	IOASID_NL_EVENT_MAP,
	IOASID_NL_EVENT_UNMAP,
};

#endif
