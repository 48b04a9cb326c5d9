package main

import (
	"fmt"

	"github.com/urfave/cli/v2"
	"go.starlark.net/starlark"

	"github.com/iocage/iocage/starlib"
)

// The verbs that run jails: start, stop, restart, and the commands that
// reach into a jail (exec, console, chroot, runtime). Each is a row; the
// flow is in recipes/NAME.star.

const catRun = "Running jails"

var flagForceHostid = &cli.BoolFlag{Name: "force-hostid", Usage: "start even when the jail's hostid property names another host"}

func init() {
	registerVerbs(
		&verb{Name: "start", Recipe: "start", Category: catRun, Table: true,
			Usage: "start jails (a failed start undoes itself; the exit status says whether all started)",
			Description: "Runs lifecycle.md §4 for each jail: hostid check, basejail re-clone, fstab, jail -c, " +
				"VNET networking, rctl limits, cpuset, delegated dataset, resolver, exec_start, last_started. " +
				"Progress goes to stderr; the jails started are printed as a table.",
			Params: []param{{Name: "names", Variadic: true}},
			Flags: []cli.Flag{flagForceHostid,
				&cli.BoolFlag{Name: "create-bridges", Usage: "create a missing bridge named in interfaces instead of failing"}}},
		&verb{Name: "stop", Recipe: "stop", Category: catRun, Table: true,
			Usage:  "stop jails: hooks, exec_stop, networking, jail -r, unmounts, rctl rules",
			Params: []param{{Name: "names", Variadic: true}}},
		&verb{Name: "restart", Recipe: "restart", Category: catRun,
			Usage:  "restart jails: exec_stop, pkill, exec_start (-H: a full stop and start)",
			Params: []param{{Name: "names", Variadic: true}},
			Flags: []cli.Flag{&cli.BoolFlag{Name: "hard", Aliases: []string{"H"}, Usage: "stop and start the jail instead of restarting its services"},
				flagForceHostid}},
		&verb{Name: "runtime", Recipe: "runtime", Category: catRun,
			Usage:  "print the live jail(8) parameters of a running jail, one param=value per line",
			Params: []param{{Name: "name"}}},
	)
	// These pass the command's exit status through as iocage's own.
	for _, v := range []*verb{
		{Name: "exec", Recipe: "exec", Category: catRun,
			Usage:     "run a command in a running jail (ALL: in every running jail); the arguments pass untouched",
			ArgsUsage: "[-u USER | -U USER] NAME|ALL CMD [ARG...]",
			Params:    []param{{Name: "name"}, {Name: "command", Passthrough: true}},
			Flags: []cli.Flag{
				&cli.StringFlag{Name: "user", Aliases: []string{"u"}, Usage: "run as this host `USER` (jexec -u)"},
				&cli.StringFlag{Name: "jail-user", Aliases: []string{"U"}, Usage: "run as this `USER` of the jail (jexec -U)"},
			}},
		{Name: "console", Recipe: "console", Category: catRun,
			Usage:  "log in to a running jail (login with the jail's login_flags, default -f root)",
			Params: []param{{Name: "name"}}},
		{Name: "chroot", Recipe: "chroot", Category: catRun,
			Usage:     "run a command (default: a shell) chrooted into a jail's root from the host",
			ArgsUsage: "NAME [CMD [ARG...]]",
			Params:    []param{{Name: "name"}, {Name: "command", Passthrough: true, Optional: true}}},
	} {
		if err := v.check(); err != nil {
			panic(fmt.Sprintf("verb %s: %v", v.Name, err))
		}
		cmd := v.command()
		cmd.Action = exitStatusAction(v)
		register(cmd)
	}
}

// exitStatusAction runs v's recipe like any verb, but takes the int it
// returns as iocage's exit status instead of printing it: the command's
// own output already went to the terminal.
func exitStatusAction(v *verb) cli.ActionFunc {
	return func(c *cli.Context) error {
		kwargs, err := v.kwargs(c)
		if err != nil {
			return &exitError{code: exitUsage, err: fmt.Errorf("%w (see `iocage %s --help`)", err, c.Command.FullName())}
		}
		h, err := hostOf(c)
		if err != nil {
			return err
		}
		val, err := newInterp(c, h, starlib.Options{}).CallMain(c.Context, starlib.ShippedPrefix+v.Recipe+".star", kwargs)
		if err != nil {
			return runError(err)
		}
		n, ok := val.(starlark.Int)
		if !ok {
			return fmt.Errorf("recipe %s returned %s, want the exit status (int)", v.Recipe, val.Type())
		}
		code, ok := n.Int64()
		if !ok || code < 0 || code > 255 {
			code = exitFailure
		}
		if code == 0 {
			return nil
		}
		return &exitError{code: int(code)}
	}
}
