package main

import (
	"fmt"
	goruntime "runtime"

	"github.com/urfave/cli/v2"

	"github.com/iocage/iocage/starlib/verb"
)

func init() {
	register(&command{spec: &verb.Verb{Name: "version", Category: catHelp,
		Summary: "print the version and the host iocage drives (iocage --version: the version alone)",
	}, action: func(c *cli.Context, _ *command) error {
		fmt.Fprintf(ioOf(c).stdout, "iocage %s (%s/%s), host: %s\n", Version, goruntime.GOOS, goruntime.GOARCH, hostName())
		return nil
	}})
	register(&command{spec: &verb.Verb{Name: "help", Category: catHelp,
		Summary: "print the verbs, or a verb's help (the same as iocage VERB --help)",
		Args:    []verb.Arg{{Param: "verb", Meta: "VERB", Optional: true, Help: "the verb"}},
	}, action: func(c *cli.Context, _ *command) error {
		aio := ioOf(c)
		if c.NArg() == 0 {
			writeHelp(aio.stdout, aio.table)
			return nil
		}
		if c.NArg() > 1 {
			return usageError("help", fmt.Errorf("help takes one VERB, got %d arguments", c.NArg()))
		}
		cmd := aio.table.lookup(c.Args().First())
		if cmd == nil {
			return unknownVerb(c.Args().First(), aio.table)
		}
		writeVerbHelp(aio.stdout, cmd)
		return nil
	}})
}
