package main

import "github.com/urfave/cli/v2"

// The verbs that make and remove jails: create, clone, promote, destroy.
// Each is a row; the flow is in recipes/NAME.star.

const catLifecycle = "Jail lifecycle"

func init() {
	registerVerbs(
		&verb{Name: "create", Recipe: "create", Category: catLifecycle, Table: true,
			Usage:     "create jails: a copy of a release (default), a release clone (-c), a basejail (-b), an empty jail (-e) or a template's clone (-t)",
			ArgsUsage: "[PROPERTY=VALUE ...] [count=N] [pkglist=FILE]",
			Description: "Prints the new jails' UUIDs and tags. release=REL picks the release; count=N makes N jails; " +
				"pkglist=FILE installs the packages listed in FILE (needs resolver=copy or a nameserver). " +
				"ip4_addr may hold AUTOIP4. A create that fails takes back everything it did.",
			Params: []param{{Name: "props", Props: true, Optional: true}},
			Flags: []cli.Flag{
				&cli.BoolFlag{Name: "clone", Aliases: []string{"c"}, Usage: "clone the release (small, tied to the release)"},
				&cli.BoolFlag{Name: "basejail", Aliases: []string{"b"}, Usage: "a basejail: read-only clones of the release's base filesystems"},
				&cli.BoolFlag{Name: "empty", Aliases: []string{"e"}, Usage: "an empty jail"},
				&cli.StringFlag{Name: "template", Aliases: []string{"t"}, Usage: "clone the template `TEMPLATE`"},
				&cli.IntFlag{Name: "count", Usage: "make `N` jails (tags get _1.._N)"},
				&cli.StringFlag{Name: "pkglist", Usage: "install the packages listed in `FILE`"},
			}},
		&verb{Name: "clone", Recipe: "clone", Category: catLifecycle, Table: true,
			Usage:     "create a jail as a clone of a jail's snapshot (a template's, typically)",
			ArgsUsage: "JAIL[@SNAP] [PROPERTY=VALUE ...]",
			Description: "Without @SNAP a snapshot named after the new jail is taken; a named SNAP must exist. " +
				"Properties come from the defaults, or from JAIL with -P. Prints the new jail's UUID and tag.",
			Params: []param{{Name: "source"}, {Name: "props", Props: true, Optional: true}},
			Flags: []cli.Flag{
				&cli.BoolFlag{Name: "keep-fstab", Aliases: []string{"F"}, Usage: "keep the source's fstab (default: renamed fstab.UUID, a fresh one written)"},
				&cli.BoolFlag{Name: "keep-props", Aliases: []string{"P"}, Usage: "take the properties from the source jail instead of the defaults"},
			}},
		&verb{Name: "promote", Recipe: "promote", Category: catLifecycle, Table: true,
			Usage:     "make a cloned jail independent of the jail it was cloned from",
			ArgsUsage: "JAIL",
			Params:    []param{{Name: "name"}}},
		&verb{Name: "destroy", Recipe: "destroy", Category: catLifecycle, Table: true,
			Usage:     "destroy stopped jails with their datasets, snapshots, tag links and logs",
			ArgsUsage: "JAIL...",
			Description: "Asks on the terminal unless -f. Jails cloned from a jail are named and refused unless -R. " +
				"A running jail is refused: stop it first.",
			Params: []param{{Name: "names", Variadic: true}},
			Flags: []cli.Flag{
				&cli.BoolFlag{Name: "force", Aliases: []string{"f"}, Usage: "do not ask"},
				&cli.BoolFlag{Name: "recursive", Aliases: []string{"R"}, Usage: "also destroy the jails cloned from it"},
			}},
	)
}
