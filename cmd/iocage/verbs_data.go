package main

import "github.com/urfave/cli/v2"

// The verbs that read and change jail data: pool activation, listing,
// properties, defaults, reset, space, snapshots. Each is a row; the flow is
// in recipes/NAME.star.

const catData = "Jail data"

func init() {
	registerVerbs(
		&verb{Name: "activate", Recipe: "activate", Category: catData,
			Usage:       "mark a pool as the one iocage uses (without POOL: print the active pool)",
			Description: "Sets org.freebsd.iocage:active=yes on POOL's root dataset. The first active pool in `zpool list` order is used.",
			Params:      []param{{Name: "pool", Optional: true}}},
		&verb{Name: "deactivate", Recipe: "deactivate", Category: catData,
			Usage:  "remove iocage's mark from a pool",
			Params: []param{{Name: "pool"}}},
		&verb{Name: "list", Recipe: "list", Category: catData, Table: true,
			Usage: "list jails (sorted by tag; templates only with -t)",
			Description: "Columns: JID UUID BOOT STATE TAG; -l adds IPV4 IPV6 VNET TYPE INTERFACES VNET0_MAC..VNET3_MAC. " +
				"-o picks columns (those, or property names). -n adds the running jails iocage did not start, under a banner. " +
				"The header prints even when there are no jails. --json keys are the lower-cased column names (docs/json.md).",
			Flags: []cli.Flag{
				&cli.BoolFlag{Name: "releases", Aliases: []string{"r"}, Usage: "list downloaded releases instead"},
				&cli.BoolFlag{Name: "templates", Aliases: []string{"t"}, Usage: "list templates only"},
				&cli.BoolFlag{Name: "basejails", Aliases: []string{"b"}, Usage: "list basejails only"},
				&cli.BoolFlag{Name: "long", Aliases: []string{"l"}, Usage: "long format"},
				&cli.BoolFlag{Name: "others", Aliases: []string{"n"}, Usage: "also list the running jails that are not iocage's"},
				&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "comma separated `COLUMNS`"},
			}},
		&verb{Name: "status", Recipe: "status", Category: catData, Table: true,
			Usage:  "print up or down for a jail, or a table for ALL",
			Params: []param{{Name: "name", Optional: true}}},
		&verb{Name: "get", Recipe: "get", Category: catData, Table: true,
			Usage:     "print a property (all: status and every property, as NAME:VALUE lines) of a jail, of every jail (ALL) or of the defaults",
			ArgsUsage: "PROPERTY|all|status [NAME|ALL|default]",
			Params:    []param{{Name: "prop"}, {Name: "name", Optional: true}}},
		&verb{Name: "set", Recipe: "set", Category: catData,
			Usage: "set properties of a jail or of the defaults (all are checked before any is written)",
			Description: "ip4_addr=IFACE|AUTOIP4 on a jail stores the first free address of ip4_autostart..ip4_autoend (chosen under a host lock); " +
				"on default the word is kept for new jails. hack88=0|1 moves a stopped jail's mountpoint at once.",
			ArgsUsage: "PROPERTY=VALUE... NAME|default",
			Params:    []param{{Name: "args", Variadic: true}}},
		&verb{Name: "show", Recipe: "show", Category: catData, Table: true,
			Usage:     "print one property of every jail",
			ArgsUsage: "PROPERTY",
			Params:    []param{{Name: "prop"}}},
		&verb{Name: "defaults", Recipe: "defaults", Category: catData, Table: true,
			Usage: "print the built-in default of every property as NAME=VALUE lines"},
		&verb{Name: "reset", Recipe: "reset", Category: catData, Table: true,
			Usage:     "return a jail's (or every jail's) properties to the defaults, keeping its identity",
			ArgsUsage: "NAME|ALL",
			Params:    []param{{Name: "name"}},
			Flags:     []cli.Flag{&cli.BoolFlag{Name: "force", Aliases: []string{"f"}, Usage: "confirm reset of ALL"}}},
		&verb{Name: "df", Recipe: "df", Category: catData, Table: true,
			Usage:       "print the space used by every jail (two lines each: UUID TAG, then CRT RES QTA USE AVA)",
			Description: "-p prints one line of exact values per jail: UUID CRT RES QTA USE AVA, separated by single spaces; -H drops the header (tab-separated).",
			Flags:       []cli.Flag{&cli.BoolFlag{Name: "parsable", Aliases: []string{"p"}, Usage: "exact byte counts"}}},
		&verb{Name: "snapshot", Recipe: "snapshot", Category: catData,
			Usage:     "take a recursive snapshot of a jail (default name ioc-DATE_TIME)",
			ArgsUsage: "NAME[@SNAP]",
			Params:    []param{{Name: "name"}}},
		&verb{Name: "snaplist", Recipe: "snaplist", Category: catData, Table: true,
			Usage:     "list the snapshots of a jail",
			ArgsUsage: "NAME",
			Params:    []param{{Name: "name"}}},
		&verb{Name: "snapremove", Recipe: "snapremove", Category: catData, Table: true,
			Usage:     "destroy snapshots (SNAP may be ALL: every snapshot without clones; NAME may be ALL)",
			ArgsUsage: "NAME@SNAP|NAME@ALL|ALL@SNAP|ALL@ALL",
			Params:    []param{{Name: "name"}}},
		&verb{Name: "rollback", Recipe: "rollback", Category: catData, Table: true,
			Usage:     "roll a stopped jail back to a snapshot (later snapshots are destroyed)",
			ArgsUsage: "NAME@SNAP",
			Params:    []param{{Name: "name"}}},
	)
}
