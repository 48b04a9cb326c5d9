package zfscompat

import "strings"

// opt is one parsed option.
type opt struct {
	flag byte
	arg  string
}

// getopt parses args like FreeBSD's getopt(3): options cluster ("-rHp"),
// an option's argument is attached or the next word, and parsing stops at
// the first operand or "--". spec lists flags; a ':' after one takes an
// argument. On error it returns the offending flag and whether it was an
// unknown flag (false: a missing argument).
func getopt(args []string, spec string) (opts []opt, rest []string, bad byte, unknown bool) {
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
				return nil, nil, c, true
			}
			if k+1 < len(spec) && spec[k+1] == ':' {
				v := a[j+1:]
				if v == "" {
					if i+1 >= len(args) {
						return nil, nil, c, false
					}
					i++
					v = args[i]
				}
				opts = append(opts, opt{c, v})
				break
			}
			opts = append(opts, opt{c, ""})
		}
	}
	return opts, args[i:], 0, false
}
