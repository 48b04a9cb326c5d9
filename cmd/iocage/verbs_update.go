package main

import "github.com/urfave/cli/v2"

// The verbs that change a jail's system or move it: update and upgrade
// (binary updates, lifecycle.md §11-§12), export and import (ZFS streams,
// §14's recommendation). Each is a row; the flow is in recipes/NAME.star.

const catUpdate = "Updates and transfer"

func init() {
	registerVerbs(
		&verb{Name: "update", Recipe: "update", Category: catUpdate, Table: true,
			Usage:     "apply binary updates to a jail (basejail: re-clone from the fetched, updated base)",
			ArgsUsage: "JAIL",
			Description: "Other jails run freebsd-update fetch and install with the jail's own freebsd-update.conf, " +
				"behind a back-out snapshot JAIL@ioc-update_DATE that a failure rolls back to and that stays after " +
				"success (remove it with snapremove). A basejail must be stopped. Columns: UUID TAG BEFORE AFTER SNAPSHOT.",
			Params: []param{{Name: "name"}}},
		&verb{Name: "upgrade", Recipe: "upgrade", Category: catUpdate, Table: true,
			Usage:     "upgrade a stopped jail to a newer fetched release",
			ArgsUsage: "JAIL [release=REL]",
			Description: "Default target: the newest fetched release newer than the jail's. A basejail moves to the " +
				"target's base and etcupdate merges /etc (when the base has sources); other jails run freebsd-update " +
				"upgrade and install behind a back-out snapshot JAIL@ioc-upgrade_DATE. A failure puts everything back. " +
				"Columns: UUID TAG FROM TO VERSION SNAPSHOT.",
			Params: []param{{Name: "name"}, {Name: "options", Props: true, Optional: true}},
			Flags: []cli.Flag{
				&cli.StringFlag{Name: "release", Aliases: []string{"r"}, Usage: "the `RELEASE` to upgrade to, e.g. 14.3-RELEASE"},
			}},
		&verb{Name: "export", Recipe: "export", Category: catUpdate, Table: true,
			Usage:     "write a stopped jail to a file (or - for standard output) as a zfs send -R stream",
			ArgsUsage: "JAIL [FILE|-]",
			Description: "Default FILE: /iocage/images/UUID_DATE.zfs. The stream carries the jail's datasets, properties " +
				"and snapshots; `iocage import` makes the jail from it. The export snapshot is removed afterwards. " +
				"Columns: UUID TAG FILE SIZE.",
			Params: []param{{Name: "name"}, {Name: "file", Optional: true}},
			Flags: []cli.Flag{
				&cli.BoolFlag{Name: "force", Aliases: []string{"f"}, Usage: "replace an existing FILE"},
			}},
		&verb{Name: "import", Recipe: "import", Category: catUpdate, Table: true,
			Usage:     "make a jail from an export file (or - for standard input)",
			ArgsUsage: "FILE|- [PROPERTY=VALUE ...]",
			Description: "The jail keeps its UUID and tag unless another jail has them: then it gets a fresh UUID " +
				"(its MACs and addresses cleared) or a _N suffixed tag. PROPERTY=VALUE assignments are applied. " +
				"The stream is trusted with nothing: its properties must pass the checks of set, and unless " +
				"--keep-hooks the host-side hooks, the delegated dataset and the jail's privileges get this host's " +
				"defaults and hook files and fstab entries are moved aside (NAME.imported); import says what it dropped. " +
				"A failed import leaves nothing behind. Columns: UUID TAG.",
			Params: []param{{Name: "file"}, {Name: "props", Props: true, Optional: true}},
			Flags: []cli.Flag{
				&cli.BoolFlag{Name: "keep-hooks", Usage: "keep the stream's host-side hooks, hook files, fstab, delegated dataset and jail privileges"},
			}},
	)
}
