package jails

import "strings"

// opt is one parsed option.
type opt struct {
	c   byte
	arg string
}

// getopt parses args as BSD getopt(3) with the option string spec ("c:"
// takes an argument): options stop at "--" or the first operand. It
// returns the options, the operands, and the offending character of an
// unknown option or a missing argument (0 when all is well).
func getopt(args []string, spec string) (opts []opt, rest []string, bad byte, missing bool) {
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
				return opts, nil, c, false
			}
			if k+1 < len(spec) && spec[k+1] == ':' {
				v := a[j+1:]
				if v == "" {
					if i+1 >= len(args) {
						return opts, nil, c, true
					}
					i++
					v = args[i]
				}
				opts = append(opts, opt{c, v})
				break
			}
			opts = append(opts, opt{c: c})
		}
	}
	return opts, args[i:], 0, false
}
