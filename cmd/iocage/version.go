package main

import (
	"fmt"
	goruntime "runtime"

	"github.com/urfave/cli/v2"
)

func init() {
	register(&cli.Command{
		Name:     "version",
		Usage:    "print the version and the host iocage drives",
		Category: "help",
		Action: func(c *cli.Context) error {
			fmt.Fprintf(ioOf(c).stdout, "iocage %s (%s/%s), host: %s\n", Version, goruntime.GOOS, goruntime.GOARCH, hostName())
			return nil
		},
	})
}
