package sysmodel

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/iocage/iocage/runtime/sandbox/model"
)

const chflagsUsage = "usage: chflags [-fhvx] [-R [-H | -L | -P]] flags file ...\n"

// fileFlags are strtofflags(3)'s words. Each also works without its "no"
// prefix, which turns it the other way (nodump's inverse is dump).
var fileFlags = map[string]uint32{
	"nosappnd": 0x40000, "nosappend": 0x40000, "noarch": 0x10000, "noarchived": 0x10000,
	"noschg": 0x20000, "noschange": 0x20000, "nosimmutable": 0x20000, "nosunlnk": 0x100000,
	"nosunlink": 0x100000, "nosnapshot": 0x200000, "nouappnd": 0x4, "nouappend": 0x4,
	"nouarch": 0x800, "nouarchive": 0x800, "nohidden": 0x8000, "nouhidden": 0x8000,
	"nouchg": 0x2, "nouchange": 0x2, "nouimmutable": 0x2, "nodump": 0x1, "nouunlnk": 0x10,
	"nouunlink": 0x10, "nooffline": 0x200, "nouoffline": 0x200, "noopaque": 0x8,
	"nordonly": 0x1000, "nourdonly": 0x1000, "noreadonly": 0x1000, "noreparse": 0x400,
	"noureparse": 0x400, "nosparse": 0x100, "nousparse": 0x100, "nosystem": 0x80, "nousystem": 0x80,
}

// parseFileFlags is strtofflags(3): set and clear masks, or the word that
// is not a flag.
func parseFileFlags(s string) (set, clear uint32, bad string) {
	for _, w := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
		if v, ok := fileFlags[w]; ok {
			// "nodump" sets a flag; the other "no" words clear one.
			if w == "nodump" {
				set |= v
			} else {
				clear |= v
			}
			continue
		}
		if v, ok := fileFlags["no"+w]; ok {
			if w == "dump" {
				clear |= v
			} else {
				set |= v
			}
			continue
		}
		return 0, 0, w
	}
	return set, clear, ""
}

// runChflags is chflags(1). Linux files carry no BSD flags, so every file
// reads back 0 and nothing is stored; the words and the files are checked
// as FreeBSD checks them.
func runChflags(e *model.Env) int {
	opts, args, ok := e.Getopt(e.Args, "HLPRfhvx")
	if !ok {
		fmt.Fprint(e.Stderr, chflagsUsage)
		return 1
	}
	var rflag, hflag bool
	verbose := 0
	for _, o := range opts {
		switch o.Flag {
		case 'R':
			rflag = true
		case 'h':
			hflag = true
		case 'v':
			verbose++
		}
	}
	if len(args) < 2 {
		fmt.Fprint(e.Stderr, chflagsUsage)
		return 1
	}
	if rflag && hflag {
		return e.Errorf("the -R and -h options may not be specified together")
	}
	var newflags uint32
	flags := args[0]
	if flags[0] >= '0' && flags[0] <= '7' {
		v, err := strconv.ParseUint(flags, 8, 32)
		if err != nil {
			return e.Errorf("invalid flags: %s", flags)
		}
		newflags = uint32(v)
	} else {
		set, _, bad := parseFileFlags(flags)
		if bad != "" {
			return e.Errorf("invalid flag: %s", bad)
		}
		newflags = set
	}
	code := 0
	report := func(p string) {
		// Only a change is reported; from 0, only setting flags is one.
		if newflags == 0 || verbose == 0 {
			return
		}
		if verbose > 1 {
			fmt.Fprintf(e.Stdout, "%s: 0%o -> 0%o\n", p, 0, newflags)
			return
		}
		fmt.Fprintln(e.Stdout, p)
	}
	for _, f := range args[1:] {
		local := e.SB.Path(absHost(e, f))
		fi, err := os.Lstat(local)
		if err == nil && fi.Mode()&fs.ModeSymlink != 0 && !hflag && !rflag {
			fi, err = os.Stat(local)
		}
		if err != nil {
			e.Errorf("%s: %s", f, strerror(err))
			code = 1
			continue
		}
		if !rflag || !fi.IsDir() {
			report(f)
			continue
		}
		err = filepath.WalkDir(local, func(p string, d fs.DirEntry, err error) error {
			shown := filepath.Join(f, strings.TrimPrefix(p, local))
			if p == local {
				shown = f
			}
			if err != nil {
				e.Errorf("%s: %s", shown, strerror(err))
				code = 1
				return nil
			}
			report(shown)
			return nil
		})
		if err != nil {
			code = e.Errorf("fts_read: %s", strerror(err))
		}
	}
	return code
}
