package sysmodel

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/iocage/iocage/runtime"
	"github.com/iocage/iocage/runtime/sandbox/model"
)

// secPf is the store section holding pf's anchors: anchor path to its
// rules, in the order they were loaded. The main ruleset (the host's
// pf.conf) is not modelled: iocage never touches it.
const secPf = "pf"

func init() {
	model.Register(runtime.Pfctl, runPfctl)
}

const pfctlUsage = `usage: pfctl [-AdeghMmNnOPqRrvz] [-a anchor] [-D macro=value] [-F modifier]
	[-f file] [-i interface] [-K host | network]
	[-k host | network | gateway | label | id] [-o level] [-p device]
	[-s modifier] [-t table -T command [address ...]] [-x level]
`

// pfShowOpts are pfctl's -s modifiers in the order it matches a prefix
// against them; the model answers nat, rules and Anchors.
var pfShowOpts = []string{"queue", "rules", "Anchors", "Sources", "nat", "info", "labels", "state", "timeouts", "memory", "Tables", "osfp", "Running", "all"}

var pfFlushOpts = []string{"nat", "queue", "rules", "Sources", "states", "info", "Tables", "osfp", "all", "ethernet"}

func pfLookup(opt string, list []string) string {
	if opt == "" {
		return ""
	}
	for _, o := range list {
		if strings.HasPrefix(o, opt) {
			return o
		}
	}
	return ""
}

// runPfctl models pfctl(8) for rules in anchors: -a ANCHOR with -f FILE
// (or - for standard input), -F all|rules|nat, -s nat|rules|Anchors.
func runPfctl(e *model.Env) int {
	opts, args, ok := e.Getopt(e.Args, "a:f:F:s:qv")
	if !ok {
		fmt.Fprint(e.Stderr, pfctlUsage)
		return 1
	}
	if len(args) > 0 {
		fmt.Fprint(e.Stderr, pfctlUsage)
		return 1
	}
	var anchor, file, flush, show string
	for _, o := range opts {
		switch o.Flag {
		case 'a':
			anchor = o.Arg
		case 'f':
			file = o.Arg
		case 'F':
			if flush = pfLookup(o.Arg, pfFlushOpts); flush == "" {
				fmt.Fprintf(e.Stderr, "pfctl: Unknown flush modifier '%s'\n", o.Arg)
				fmt.Fprint(e.Stderr, pfctlUsage)
				return 1
			}
		case 's':
			if show = pfLookup(o.Arg, pfShowOpts); show == "" {
				fmt.Fprintf(e.Stderr, "pfctl: Unknown show modifier '%s'\n", o.Arg)
				fmt.Fprint(e.Stderr, pfctlUsage)
				return 1
			}
		}
	}
	anchor = strings.Trim(anchor, "/")
	if len(anchor) >= 1024 {
		return e.Errorf("anchor name '%s' too long", anchor)
	}
	if anchor == "_" || strings.HasPrefix(anchor, "_/") {
		return e.Errorf("anchor names beginning with '_' are reserved for internal use")
	}
	code := 0
	if flush != "" {
		if c := pfFlush(e, anchor, flush); c != 0 {
			code = c
		}
	}
	if file != "" {
		if c := pfLoad(e, anchor, file); c != 0 {
			return c
		}
	}
	if show != "" {
		if c := pfShow(e, anchor, show); c != 0 {
			code = c
		}
	}
	return code
}

type pfAnchors map[string][]pfRule

func pfState(tx *model.Tx) (pfAnchors, error) {
	st := pfAnchors{}
	err := tx.Get(secPf, &st)
	return st, err
}

func pfLoad(e *model.Env, anchor, file string) int {
	var text []byte
	var err error
	name := file
	if file == "-" {
		name = "stdin"
		text, err = io.ReadAll(e.Stdin)
	} else {
		text, err = os.ReadFile(e.SB.Path(absHost(e, file)))
	}
	if err != nil {
		return e.Errorf("cannot open the main config file!: %s", strerror(err))
	}
	rules, line, err := parsePfConf(string(text))
	if err != nil {
		fmt.Fprintf(e.Stderr, "%s:%d: %v\n", name, line, err)
		return e.Errorf("Syntax error in config file: pf rules not loaded")
	}
	if anchor == "" {
		// The main ruleset is the host's; the model refuses to replace it
		// rather than pretend to.
		return e.Errorf("the sandbox models rules in anchors only (use -a ANCHOR)")
	}
	err = e.SB.Store.Update(func(tx *model.Tx) error {
		st, err := pfState(tx)
		if err != nil {
			return err
		}
		// -f replaces every ruleset of the anchor in one transaction.
		if len(rules) == 0 {
			delete(st, anchor)
		} else {
			st[anchor] = rules
		}
		return tx.Put(secPf, st)
	})
	if err != nil {
		return e.Errorf("%v", err)
	}
	return 0
}

func pfFlush(e *model.Env, anchor, what string) int {
	err := e.SB.Store.Update(func(tx *model.Tx) error {
		st, err := pfState(tx)
		if err != nil {
			return err
		}
		var keep []pfRule
		for _, r := range st[anchor] {
			if what == "rules" && r.Kind == "filter" || what == "nat" && r.Kind != "filter" || what == "all" {
				continue
			}
			keep = append(keep, r)
		}
		if len(keep) == 0 {
			delete(st, anchor)
		} else {
			st[anchor] = keep
		}
		return tx.Put(secPf, st)
	})
	if err != nil {
		return e.Errorf("%v", err)
	}
	switch what {
	case "rules":
		fmt.Fprintln(e.Stderr, "rules cleared")
	case "nat":
		fmt.Fprintln(e.Stderr, "nat cleared")
	case "all":
		fmt.Fprintln(e.Stderr, "rules cleared")
		fmt.Fprintln(e.Stderr, "nat cleared")
		fmt.Fprintln(e.Stderr, "0 tables deleted.")
	}
	return 0
}

func pfShow(e *model.Env, anchor, what string) int {
	var st pfAnchors
	err := e.SB.Store.View(func(tx *model.Tx) error {
		var err error
		st, err = pfState(tx)
		return err
	})
	if err != nil {
		return e.Errorf("%v", err)
	}
	exists := anchor == ""
	for a := range st {
		if a == anchor || strings.HasPrefix(a, anchor+"/") {
			exists = true
		}
	}
	switch what {
	case "nat", "rules":
		if !exists {
			// The kernel knows no such ruleset.
			return e.Errorf("DIOCGETRULES: Invalid argument")
		}
		kinds := []string{"filter"}
		if what == "nat" {
			kinds = []string{"nat", "rdr"}
		}
		for _, k := range kinds {
			for _, r := range st[anchor] {
				if r.Kind == k {
					fmt.Fprintln(e.Stdout, r.Text)
				}
			}
		}
	case "Anchors":
		if !exists {
			return e.Errorf("DIOCGETRULESETS: Invalid argument")
		}
		children := map[string]bool{}
		for a := range st {
			rest := a
			if anchor != "" {
				var ok bool
				if rest, ok = strings.CutPrefix(a, anchor+"/"); !ok {
					continue
				}
			}
			first, _, _ := strings.Cut(rest, "/")
			if anchor != "" {
				first = anchor + "/" + first
			}
			children[first] = true
		}
		var names []string
		for n := range children {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			fmt.Fprintf(e.Stdout, "  %s\n", n)
		}
	default:
		return e.Errorf("the sandbox models -s nat, rules and Anchors only")
	}
	return 0
}
