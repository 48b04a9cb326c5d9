package main

import "github.com/urfave/cli/v2"

// The verbs of releases: fetch downloads and prepares one (the flow is
// recipes/fetch.star). `list -r` lists them.

const catRelease = "Releases"

func init() {
	registerVerbs(
		&verb{Name: "fetch", Recipe: "fetch", Category: catRelease, Table: true,
			Usage:     "download a FreeBSD release, verify it, extract it and apply its binary updates",
			ArgsUsage: "[release=REL] [ftpproto=http|https] [ftphost=HOST] [ftpdir=/PATH] [ftpfiles=\"base.txz ...\"]",
			Description: "Default release: the host's (uname -r without the patch level). Default mirror: " +
				"https://download.freebsd.org (the sandbox's own on the sandbox). Every file is checked against the " +
				"release's MANIFEST before use; a failed fetch leaves nothing behind. Fetching a present release again " +
				"only verifies its files and applies new binary updates (with a back-out snapshot). " +
				"Columns: RELEASE FILE SHA256 DOWNLOAD VERSION.",
			Params: []param{{Name: "options", Optional: true, Props: true}},
			Flags: []cli.Flag{
				&cli.StringFlag{Name: "release", Aliases: []string{"r"}, Usage: "the `RELEASE` to fetch, e.g. 14.3-RELEASE"},
				&cli.StringFlag{Name: "mirror", Aliases: []string{"m"}, Usage: "mirror base `URL`; releases are under URL/releases/MACHINE/MACHINE_ARCH/"},
				&cli.StringSliceFlag{Name: "files", Aliases: []string{"F"}, Usage: "distribution `FILE`s to fetch (default base.txz and lib32.txz, those the release has)"},
				&cli.BoolFlag{Name: "no-update", Aliases: []string{"U"}, Usage: "do not apply binary updates (freebsd-update)"},
			}},
	)
}
