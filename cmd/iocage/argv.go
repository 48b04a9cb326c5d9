package main

import (
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/iocage/iocage/starlib"
	"github.com/iocage/iocage/starlib/verb"
)

// cmdline is a command line sorted out as people type it: global flags
// anywhere, a verb's flags before or after its arguments, "--" ending the
// flags, grouped short flags (-fR) and values joined or apart (-ojid,
// --output=jid, -o jid). urfave/cli then parses the sorted form, in which
// every flag precedes the arguments.
type cmdline struct {
	globals []string
	cmd     *command
	flags   []string
	args    []string
	help    bool
	version bool
	debug   bool
}

// argv is the sorted command line, for urfave/cli.
func (l *cmdline) argv(prog string) []string {
	out := append([]string{prog}, l.globals...)
	if l.cmd == nil {
		return out
	}
	out = append(out, l.cmd.spec.Name)
	out = append(out, l.flags...)
	if len(l.args) > 0 {
		out = append(out, "--")
		out = append(out, l.args...)
	}
	return out
}

// parseCommandLine sorts args (args[0] is the program) out against t. An
// unknown verb or flag is a usage error naming the closest candidates.
func parseCommandLine(args []string, t *cmdTable) (*cmdline, error) {
	l := &cmdline{}
	verbatim, ended := false, false
	for i := 1; i < len(args); i++ {
		a := args[i]
		switch {
		case verbatim || ended || a == "-" || !strings.HasPrefix(a, "-"):
			if l.cmd == nil {
				c := t.lookup(a)
				if c == nil {
					return l, unknownVerb(a, t)
				}
				l.cmd = c
				continue
			}
			if !verbatim && !ended && l.startsVerbatim() {
				verbatim = true
			}
			l.args = append(l.args, a)
		case a == "--":
			ended = true
		default:
			n, err := l.flag(args, i)
			if err != nil {
				return l, err
			}
			i += n - 1
		}
	}
	return l, nil
}

// startsVerbatim says whether the next argument begins one that takes the
// rest untouched (exec's command): its options are the command's.
func (l *cmdline) startsVerbatim() bool {
	k := len(l.args)
	for _, a := range l.cmd.spec.Args {
		if a.Kind != verb.One || k == 0 {
			return a.Kind == verb.Verbatim
		}
		k--
	}
	return false
}

// flag takes the flag at args[i] (with its value) and returns how many
// arguments it used.
func (l *cmdline) flag(args []string, i int) (int, error) {
	a := args[i]
	if name, ok := strings.CutPrefix(a, "--"); ok {
		name, val, hasVal := strings.Cut(name, "=")
		f, global := l.find(name, true)
		if f == nil {
			return 0, l.unknownFlag("--" + name)
		}
		if !f.Takes() {
			// --flag=false, as Go's flag package has it.
			if b, known := boolWords[strings.ToLower(val)]; hasVal && !known {
				return 0, l.usage(fmt.Errorf("--%s takes no value but true or false, not %q", f.Long, val))
			} else if hasVal && !b {
				return 1, nil
			}
			return 1, l.put(f, global, "")
		}
		if hasVal {
			return 1, l.put(f, global, val)
		}
		if i+1 >= len(args) {
			return 0, l.usage(fmt.Errorf("--%s wants a value (%s)", f.Long, f.Meta))
		}
		return 2, l.put(f, global, args[i+1])
	}
	letters := a[1:]
	for j := 0; j < len(letters); j++ {
		f, global := l.find(letters[j:j+1], false)
		if f == nil {
			return 0, l.unknownFlag("-" + letters[j:j+1])
		}
		if !f.Takes() {
			if err := l.put(f, global, ""); err != nil {
				return 0, err
			}
			continue
		}
		if val := letters[j+1:]; val != "" {
			return 1, l.put(f, global, val)
		}
		if i+1 >= len(args) {
			return 0, l.usage(fmt.Errorf("-%s wants a value (%s)", letters[j:j+1], f.Meta))
		}
		return 2, l.put(f, global, args[i+1])
	}
	return 1, nil
}

var boolWords = map[string]bool{"true": true, "false": false, "1": true, "0": false, "yes": true, "no": false, "on": true, "off": false}

// find looks a flag up: the verb's first, then the global ones.
func (l *cmdline) find(name string, long bool) (*verb.Flag, bool) {
	match := func(f *verb.Flag) bool {
		if long {
			return f.Long == name
		}
		return f.Short == name || (len(f.Long) == 1 && f.Long == name)
	}
	if l.cmd != nil {
		for i := range l.cmd.spec.Flags {
			if f := &l.cmd.spec.Flags[i]; match(f) {
				return f, false
			}
		}
	}
	for i := range globalFlags {
		if f := &globalFlags[i]; match(f) {
			return f, true
		}
	}
	return nil, false
}

func (l *cmdline) put(f *verb.Flag, global bool, val string) error {
	arg := "--" + f.Long
	if f.Takes() {
		arg += "=" + val
	}
	switch {
	case global && f.Long == "help":
		l.help = true
	case global && f.Long == "version":
		l.version = true
	case global:
		l.debug = l.debug || f.Long == "debug"
		l.globals = append(l.globals, arg)
	default:
		l.flags = append(l.flags, arg)
	}
	return nil
}

func (l *cmdline) usage(err error) error {
	if l.cmd != nil {
		return usageError(l.cmd.spec.Name, err)
	}
	return &exitError{code: exitUsage, err: fmt.Errorf("%w (see `iocage --help`)", err)}
}

func (l *cmdline) unknownFlag(flag string) error {
	var names []string
	add := func(fs []verb.Flag) {
		for _, f := range fs {
			names = append(names, "--"+f.Long)
			if f.Short != "" {
				names = append(names, "-"+f.Short)
			}
		}
	}
	if l.cmd != nil {
		add(l.cmd.spec.Flags)
	}
	add(globalFlags)
	return l.usage(fmt.Errorf("unknown flag %s%s", flag, didYouMean(closest(flag, names))))
}

func unknownVerb(name string, t *cmdTable) error {
	if err, ok := t.broken[name]; ok {
		return &exitError{code: exitFailure, err: fmt.Errorf("recipe of verb %s: %w", name, err)}
	}
	var names []string
	for n := range t.builtin {
		names = append(names, n)
	}
	for n := range t.recipes {
		names = append(names, n)
	}
	sort.Strings(names)
	// Only the close names' recipes are read, to leave out those that are
	// no verb (a library such as net.star).
	var verbs []string
	for _, n := range closest(name, names) {
		if c := t.lookup(n); c != nil && !c.hidden {
			verbs = append(verbs, n)
		}
	}
	return &exitError{code: exitUsage, err: fmt.Errorf("unknown verb %q%s (see `iocage --help`)", name, didYouMean(verbs))}
}

// closest names the candidates closest to s: those a typo or two away
// (the closest only), else those s begins. A one-letter flag has no close
// candidates worth naming.
func closest(s string, candidates []string) []string {
	bare := strings.TrimLeft(s, "-")
	if len(bare) < 2 {
		return nil
	}
	limit := 2
	if len(bare) <= 3 {
		limit = 1
	}
	best, names := limit+1, []string(nil)
	for _, c := range candidates {
		d := distance(bare, strings.TrimLeft(c, "-"))
		switch {
		case d > limit:
		case d < best:
			best, names = d, []string{c}
		case d == best:
			names = append(names, c)
		}
	}
	if len(names) == 0 {
		for _, c := range candidates {
			if strings.HasPrefix(c, s) {
				names = append(names, c)
			}
		}
	}
	return names
}

func didYouMean(names []string) string {
	if len(names) == 0 {
		return ""
	}
	if len(names) > 3 {
		names = names[:3]
	}
	return "; did you mean " + strings.Join(names, " or ") + "?"
}

// distance is the Damerau-Levenshtein distance (with transpositions) of a
// and b: "lsit" is one from "list".
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}

// siteDirOf finds the site recipe directory before the command line is
// sorted out, as the table it is sorted against depends on it: --recipes
// anywhere before "--", else $IOCAGE_RECIPES, else FreeBSD's place.
func siteDirOf(args []string) string {
	for i := 1; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			break
		}
		if v, ok := strings.CutPrefix(a, "--recipes="); ok {
			return v
		}
		if a == "--recipes" && i+1 < len(args) {
			return args[i+1]
		}
	}
	if d := os.Getenv(starlib.EnvSiteDir); d != "" {
		return d
	}
	return starlib.DefaultSiteDir
}
