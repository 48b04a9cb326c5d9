package main

import (
	"github.com/urfave/cli/v2"

	"github.com/iocage/iocage/runtime/sandbox"
	"github.com/iocage/iocage/runtime/sandbox/setup"
)

func init() {
	register(&cli.Command{
		Name:     "sandbox",
		Usage:    "manage the sandbox host (a FreeBSD host modelled on Linux)",
		Category: "sandbox",
		Description: "The sandbox lives in " + sandbox.DefaultDir + " (or $" + sandbox.EnvDir + "): a zfs-fuse pool, " +
			"a FreeBSD-looking root, modelled FreeBSD programs, synthetic releases and a mirror on 127.0.0.1.",
		Subcommands: []*cli.Command{
			{
				Name:  "setup",
				Usage: "install what is missing, start zfs-fuse, create the pool, build the releases, start the mirror (idempotent, as root)",
				Action: func(c *cli.Context) error {
					return setup.Setup(c.Context, sandbox.Dir(), ioOf(c).stderr)
				},
			},
			{
				Name:  "teardown",
				Usage: "stop the mirror and every jail, destroy the pool and remove the sandbox",
				Action: func(c *cli.Context) error {
					return setup.Teardown(sandbox.Dir())
				},
			},
			{
				Name:  "status",
				Usage: "show the sandbox: directory, pool, mirror",
				Action: func(c *cli.Context) error {
					return setup.Status(sandbox.Dir(), ioOf(c).stdout)
				},
			},
			{
				Name:  "deps",
				Usage: "install the Debian packages the sandbox and tests need and start zfs-fuse",
				Action: func(c *cli.Context) error {
					return setup.Deps(c.Context, ioOf(c).stderr)
				},
			},
		},
	})
}
