package main

import (
	"fmt"

	"github.com/urfave/cli/v2"
)

func init() {
	register(&cli.Command{
		Name:     "man",
		Usage:    "print the iocage(8) manual page (roff), as `make install` installs it",
		Category: "help",
		Hidden:   true,
		Action: func(c *cli.Context) error {
			page, err := c.App.ToMan()
			if err != nil {
				return err
			}
			_, err = fmt.Fprint(ioOf(c).stdout, page)
			return err
		},
	})
}
