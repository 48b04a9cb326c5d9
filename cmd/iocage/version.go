package main

import (
	"fmt"
	"os"
	goruntime "runtime"

	"github.com/urfave/cli/v2"

	"github.com/iocage/iocage/runtime/sandbox"
)

func init() {
	register(&cli.Command{
		Name:     "version",
		Usage:    "print the version and the host iocage drives",
		Category: "help",
		Action: func(c *cli.Context) error {
			host := "freebsd"
			if goruntime.GOOS != "freebsd" || sandboxRequested() {
				host = "sandbox " + sandbox.Dir()
				if _, err := sandbox.ReadConfig(sandbox.Dir()); err != nil {
					host += " (not set up)"
				}
			}
			fmt.Fprintf(ioOf(c).stdout, "iocage %s (%s/%s), host: %s\n", Version, goruntime.GOOS, goruntime.GOARCH, host)
			return nil
		},
	})
}

func sandboxRequested() bool { return os.Getenv(sandbox.EnvDir) != "" }
