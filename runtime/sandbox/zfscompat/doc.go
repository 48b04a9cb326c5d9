// Package zfscompat is the sandbox's /sbin/zfs and /sbin/zpool: it answers
// the OpenZFS 2.2 (FreeBSD 14) command lines that iocage and go-zfs send by
// running Debian's zfs-fuse 0.7 (pool version 23) and translating arguments
// and output, so that callers see what a FreeBSD host would print.
//
// zfs-fuse is older than OpenZFS in ways callers notice: it has no `list -p`,
// no `get -t`, no `clones`, `written`, `logical*` or `jailed` properties, no
// lz4, no `zfs jail`, no snapshot ranges in destroy, no `recv -u/-e/-o`, and
// it shows the sandbox root (the pool's altroot) in every mountpoint. This
// package reads what a listing needs through one `zfs get -Hp` of its targets
// (of whole pools only for commands without any) and does the selecting,
// sorting and formatting itself, the way libzfs does.
//
// Two OpenZFS properties are stored in a form zfs-fuse accepts:
//   - jailed is zfs-fuse's `zoned` (the Solaris name of the same flag);
//   - compression values zfs-fuse lacks (lz4, zstd*) are stored as real
//     `lzjb` compression plus the shadow user property ShadowCompression
//     holding the OpenZFS value. User properties inherit and travel in send
//     streams exactly like compression, so the pair stays consistent; every
//     explicit compression change rewrites the shadow too. Shadow properties
//     are never shown.
//
// Resumable receive (`receive -s`, `-A`, `send -t`, receive_resume_token),
// which pool v23 lacks, is built here: see resume.go. It relies on zfs-fuse
// writing byte-identical streams for the same snapshot, which
// TestSendIsByteDeterministic checks.
//
// `zfs jail` and `zfs unjail` record attachments in the state store section
// JailedSection (see Attachments); the jail model reads it.
package zfscompat
