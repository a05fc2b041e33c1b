/* SPDX-License-Identifier: MIT */
/*
 * A file system's own ioctls (THREATS.md 6): btrfs's (type 0x94: make,
 * snapshot, remove or freeze a subvolume, which reads and writes whole
 * trees), the 'f' family (attribute flags, encryption policies, verity,
 * ext4's extents and its UUID), 'v' (the inode's generation), XFS's 'X'
 * (its attributes) and f2fs's work through any descriptor, a read-only one of
 * a directory outside the workspace included, and Landlock does not
 * govern ioctls on files.  The filter sends these types here, and
 * only the commands that change nothing, or change only a file the
 * program holds open for writing (FICLONE and its range and dedupe
 * forms, which the kernel checks against that descriptor), go on.  The
 * command is a register, so letting the kernel run it is safe.  Setting
 * attribute flags (chattr: FS_IOC_SETFLAGS, FS_IOC_FSSETXATTR) changes
 * the file the descriptor names: judged as a write of it and carried
 * out here, as chmod is (fsmeta.c).
 */
#include <errno.h>
#include <linux/fs.h>
#include <linux/ioctl.h>
#include <stdio.h>
#include <unistd.h>

#include "tracer/tracer.h"

#define FS_TYPE_BTRFS 0x94 /* also FICLONE and FS_IOC_GETFSLABEL */
#define FS_TYPE_F     'f'
#define FS_TYPE_V     'v' /* the inode's generation */
#define FS_TYPE_X     'X' /* XFS's, and FS_IOC_FS{GET,SET}XATTR */
#define FS_TYPE_F2FS  0xf5

/* A command of a type, by number, and whether only its _IOR form. */
struct fs_cmd {
	unsigned char type, nr;
	bool read_only;
};

static const struct fs_cmd harmless[] = {
	{ FS_TYPE_F, 1, false },      /* FS_IOC_GETFLAGS */
	{ FS_TYPE_F, 11, false },     /* FS_IOC_FIEMAP */
	{ FS_TYPE_F, 18, false },     /* EXT4_IOC_PRECACHE_EXTENTS */
	{ FS_TYPE_F, 21, false },     /* FS_IOC_GET_ENCRYPTION_POLICY */
	{ FS_TYPE_F, 22, false },     /* ..._POLICY_EX */
	{ FS_TYPE_F, 26, false },     /* ..._KEY_STATUS */
	{ FS_TYPE_F, 27, false },     /* ..._NONCE */
	{ FS_TYPE_F, 42, false },     /* EXT4_IOC_GET_ES_CACHE */
	{ FS_TYPE_F, 44, true },      /* FS_IOC_GETFSUUID, not SETFSUUID */
	{ FS_TYPE_F, 134, false },    /* FS_IOC_MEASURE_VERITY */
	{ FS_TYPE_F, 135, false },    /* FS_IOC_READ_VERITY_METADATA */
	{ FS_TYPE_BTRFS, 9, false },  /* FICLONE */
	{ FS_TYPE_BTRFS, 13, false }, /* FICLONERANGE */
	{ FS_TYPE_BTRFS, 54, false }, /* FIDEDUPERANGE */
	{ FS_TYPE_BTRFS, 49, false }, /* FS_IOC_GETFSLABEL */
	{ FS_TYPE_BTRFS, 20, false }, /* BTRFS_IOC_SPACE_INFO */
	{ FS_TYPE_BTRFS, 25, false }, /* BTRFS_IOC_SUBVOL_GETFLAGS */
	{ FS_TYPE_BTRFS, 30, false }, /* BTRFS_IOC_DEV_INFO */
	{ FS_TYPE_BTRFS, 31, false }, /* BTRFS_IOC_FS_INFO */
	{ FS_TYPE_BTRFS, 57, true },  /* GET_FEATURES, not SET_ */
	{ FS_TYPE_BTRFS, 60, false }, /* BTRFS_IOC_GET_SUBVOL_INFO */
	{ FS_TYPE_BTRFS, 61, false }, /* ..._SUBVOL_ROOTREF */
	{ FS_TYPE_BTRFS, 62, false }, /* BTRFS_IOC_INO_LOOKUP_USER */
	{ FS_TYPE_V, 1, false },      /* FS_IOC_GETVERSION */
	{ FS_TYPE_X, 30, false },     /* XFS_IOC_DIOINFO */
	{ FS_TYPE_X, 31, false },     /* FS_IOC_FSGETXATTR */
	{ FS_TYPE_X, 38, false },     /* XFS_IOC_GETBMAP */
	{ FS_TYPE_X, 44, false },     /* XFS_IOC_GETBMAPA */
	{ FS_TYPE_X, 56, false },     /* XFS_IOC_GETBMAPX */
	{ FS_TYPE_X, 100, false },    /* XFS_IOC_FSGEOMETRY_V1 */
	{ FS_TYPE_X, 124, false },    /* XFS_IOC_FSGEOMETRY_V4 */
	{ FS_TYPE_X, 126, false },    /* XFS_IOC_FSGEOMETRY */
	{ FS_TYPE_F2FS, 12, false },  /* F2FS_IOC_GET_FEATURES */
	{ FS_TYPE_F2FS, 14, false },  /* F2FS_IOC_GET_PIN_FILE */
	{ FS_TYPE_F2FS, 17, false },  /* ..._GET_COMPRESS_BLOCKS */
	{ FS_TYPE_F2FS, 21, false },  /* ..._GET_COMPRESS_OPTION */
};

const uint32_t tracer_fs_ioctl_types[TRACER_FS_IOCTL_TYPES] = {
	FS_TYPE_BTRFS, FS_TYPE_F, FS_TYPE_V, FS_TYPE_X, FS_TYPE_F2FS,
};

bool tracer_fs_ioctl_type(uint32_t cmd)
{
	for (int i = 0; i < TRACER_FS_IOCTL_TYPES; i++)
		if (_IOC_TYPE(cmd) == tracer_fs_ioctl_types[i])
			return true;
	return false;
}

static bool is_harmless(uint32_t cmd)
{
	size_t i;

	for (i = 0; i < sizeof(harmless) / sizeof(harmless[0]); i++) {
		const struct fs_cmd *c = &harmless[i];

		if (_IOC_TYPE(cmd) == c->type && _IOC_NR(cmd) == c->nr &&
		    (!c->read_only || _IOC_DIR(cmd) == _IOC_READ))
			return true;
	}
	return false;
}

void tracer_on_fs_ioctl(struct tracer_req *r)
{
	uint32_t cmd = (uint32_t)r->args[1];
	char link[64], what[4096];
	ssize_t n;
	bool ok = is_harmless(cmd);

	/* chattr: a change of the file, judged and made as chmod is */
	if (cmd == FS_IOC_SETFLAGS || cmd == FS_IOC_FSSETXATTR) {
		tracer_on_meta(r);
		return;
	}

	/* for people: what the descriptor names, as the program sees it */
	snprintf(link, sizeof(link), "/proc/%d/fd/%d", r->tid, (int)r->args[0]);
	n = readlink(link, what, sizeof(what) - 1);
	if (n < 0)
		snprintf(what, sizeof(what), "descriptor %d", (int)r->args[0]);
	else
		what[n] = '\0';

	r->verdict = (struct rules_verdict){
		.action = ok ? RULES_ALLOW : RULES_DENY,
		.origin = "proctor",
		.where = "ioctl",
		.pattern = ok ? "a file system query, or a clone into a file "
				"open for writing"
			      : "a file system's own operation (subvolumes, "
				"encryption, verity, extents, flags), which "
				"the file policy cannot see",
	};
	if (tracer_req_decide(r, ok ? RULES_READ : RULES_WRITE, "path", what,
			      ok))
		r->cont = true;
	else
		r->err = EPERM;
}
