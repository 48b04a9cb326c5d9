package main

import (
	"fmt"

	"github.com/urfave/cli/v2"
)

// The operator's verbs: boot ordering (rcboot and rcshutdown, which the
// rc.d script etc/rc.d/iocage runs with no arguments), resource limits
// (cap, uncap, limits, inuse) and clean. Each is a row; the flow is in
// recipes/NAME.star.

const catLimits = "Resource limits"

func init() {
	registerVerbs(
		&verb{Name: "rcboot", Recipe: "rcboot", Category: catRun, Table: true,
			Usage: "start the jails with boot=on by priority (lowest first; equal priorities together)",
			Description: "Run by the rc.d script at boot. Groups of equal priority start one after the other, " +
				"the jails of a group in parallel. Templates are skipped; nothing happens when no jail has boot=on. " +
				"The exit status is 1 when any jail did not start."},
		&verb{Name: "rcshutdown", Recipe: "rcshutdown", Category: catRun, Table: true,
			Usage: "stop the jails with boot=on by priority (highest first; equal priorities together)",
			Description: "Run by the rc.d script at shutdown: rcboot's groups in reverse order. " +
				"The exit status is 1 when any jail did not stop cleanly."},
		&verb{Name: "cap", Recipe: "cap", Category: catLimits, Table: true,
			Usage:  "apply a jail's resource limit properties as rctl rules now (needs rlimits=on)",
			Params: []param{{Name: "name"}}},
		&verb{Name: "uncap", Recipe: "uncap", Category: catLimits, Table: true,
			Usage:  "remove a jail's rctl rules (its properties stay)",
			Params: []param{{Name: "name"}}},
		&verb{Name: "limits", Recipe: "limits", Category: catLimits, Table: true,
			Usage:  "list the active rctl rules of a jail (default: of every jail) and the CPU set of running jails",
			Params: []param{{Name: "name", Optional: true}}},
		&verb{Name: "inuse", Recipe: "inuse", Category: catLimits, Table: true,
			Usage: "print the resources a running jail consumes (default: a table of every running jail)",
			Description: "The columns of the table are the resources rctl -u reports, in its order, " +
				"so a newer kernel's resources appear without a change to iocage.",
			Params: []param{{Name: "name", Optional: true}},
			Flags:  []cli.Flag{&cli.BoolFlag{Name: "parsable", Aliases: []string{"p"}, Usage: "exact numbers instead of unit suffixes"}}},
	)
	clean := &verb{Name: "clean", Recipe: "clean", Category: catData, Table: true,
		Usage:     "destroy every jail (-j), every release (-r) or all of iocage's data (-a)",
		ArgsUsage: "[-f] -a | -r | -j | --interrupted [-n]",
		Description: "Running jails that would lose datasets are stopped first, in parallel. " +
			"-j also removes the release and base snapshots named after the jails. Asks unless -f. Final: nothing is undone. " +
			"--interrupted takes back what iocage runs that died half-way (kill -9, a power cut) left, from their journals; " +
			"-n lists it. Columns: RUN PID STARTED CHANGE STATE.",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "all", Aliases: []string{"a"}, Usage: "destroy POOL/iocage entirely"},
			&cli.BoolFlag{Name: "releases", Aliases: []string{"r"}, Usage: "destroy the releases, bases and downloads (and the jails cloned from them)"},
			&cli.BoolFlag{Name: "jails", Aliases: []string{"j"}, Usage: "destroy every jail"},
			&cli.BoolFlag{Name: "force", Aliases: []string{"f"}, Usage: "do not ask"},
			&cli.BoolFlag{Name: "interrupted", Usage: "take back the changes of iocage runs that died half-way"},
			&cli.BoolFlag{Name: "list", Aliases: []string{"n"}, Usage: "with --interrupted: list them, change nothing"},
		}}
	if err := clean.check(); err != nil {
		panic(fmt.Sprintf("verb %s: %v", clean.Name, err))
	}
	cmd := clean.command()
	cmd.Action = func(c *cli.Context) error {
		// Without a selector there is nothing to do: a usage error
		// (the shell iocage failed with "Unreachable condition.").
		if !c.Bool("all") && !c.Bool("releases") && !c.Bool("jails") && !c.Bool("interrupted") {
			return &exitError{code: exitUsage, err: fmt.Errorf("name what to clean: -a, -r, -j or --interrupted (see `iocage %s --help`)", c.Command.FullName())}
		}
		return clean.action(c)
	}
	register(cmd)
}
