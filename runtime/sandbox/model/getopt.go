package model

import (
	"fmt"
	"path/filepath"
	"strings"
)

// Option is one option found by Getopt: its letter and, for an option
// that takes one, its argument.
type Option struct {
	Flag byte
	Arg  string
}

// Getopt parses args as FreeBSD's getopt(3) does with the option string
// spec ("adF:": a ':' after a letter means it takes an argument). Options
// may cluster ("-rHp"); an argument is attached ("-d1") or the next word;
// parsing stops at "--" or the first operand, which starts rest.
//
// On an unknown option or a missing argument, bad is the offending letter
// and missing tells which of the two it was; opts and rest are then nil.
// Programs that print libc's own messages use Env.Getopt; zfs words its
// errors differently and uses this directly.
func Getopt(args []string, spec string) (opts []Option, rest []string, bad byte, missing bool) {
	i := 0
	for ; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			i++
			break
		}
		if len(a) < 2 || a[0] != '-' {
			break
		}
		for j := 1; j < len(a); j++ {
			c := a[j]
			k := strings.IndexByte(spec, c)
			if c == ':' || k < 0 {
				return nil, nil, c, false
			}
			if k+1 < len(spec) && spec[k+1] == ':' {
				v := a[j+1:]
				if v == "" {
					if i+1 >= len(args) {
						return nil, nil, c, true
					}
					i++
					v = args[i]
				}
				opts = append(opts, Option{Flag: c, Arg: v})
				break
			}
			opts = append(opts, Option{Flag: c})
		}
	}
	return opts, args[i:], 0, false
}

// Getopt is Getopt for a program whose option errors are libc's: it prints
// "prog: illegal option -- c" or "prog: option requires an argument -- c"
// to standard error and returns ok false, leaving the usage line and the
// exit status to the program, which differ from one to the next.
func (e *Env) Getopt(args []string, spec string) (opts []Option, rest []string, ok bool) {
	opts, rest, bad, missing := Getopt(args, spec)
	if bad == 0 {
		return opts, rest, true
	}
	prog := filepath.Base(e.Prog)
	if missing {
		fmt.Fprintf(e.Stderr, "%s: option requires an argument -- %c\n", prog, bad)
	} else {
		fmt.Fprintf(e.Stderr, "%s: illegal option -- %c\n", prog, bad)
	}
	return nil, nil, false
}
