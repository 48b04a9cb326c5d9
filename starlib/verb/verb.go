// Package verb reads the command-line face of a recipe: the name, synopsis,
// arguments, flags, category, help and examples of the verb that runs its
// main(). They come from main()'s signature and docstring alone, read from
// the source without running it, so that the command table, --help, shell
// completion and the manual page all derive from the recipe and cannot
// disagree with it.
//
// main's required parameters are positional arguments and those with a
// default are flags, typed by the default (bool, int, float, string, list).
// The docstring refines that:
//
//	def main(names, force = False, template = ""):
//	    """destroy stopped jails
//
//	    Free text: the description, in paragraphs.
//
//	    Category: Jail lifecycle
//	    Output: table
//
//	    Arguments:
//	      names JAIL...: the jails
//
//	    Flags:
//	      -f, --force: do not ask
//	      -t, --template TEMPLATE: clone the template TEMPLATE
//
//	    Examples:
//	      Destroy two jails without asking:
//	        iocage destroy -f web db
//	    """
//
// The first line is the summary. An argument's metavariable says its kind:
// "X..." takes the rest as a list, "X=Y..." the rest as NAME=VALUE pairs (a
// dict), and "(verbatim)" after it passes the rest untouched, options and
// all (exec's command). A parameter with a default listed under Arguments is
// an optional argument. A flag metavariable ending in "..." makes a
// repeatable flag (a list). Output is "table" (the verb takes -H and --json)
// or "exit status" (main returns the exit status). "Verb: no" marks a recipe
// whose main() is for `iocage run` only.
package verb

import (
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"

	"go.starlark.net/syntax"
)

// Verb is one verb of the command line.
type Verb struct {
	Name        string // "list"
	File        string // the recipe's file name, "list.star"; "" for a verb built into iocage
	Site        bool   // the copy in effect is the site directory's
	Summary     string
	Description []string // paragraphs
	Synopsis    string   // the arguments part, after the flags; generated unless set
	Category    string
	Output      string // "", "table" or "exit status"
	Args        []Arg
	Flags       []Flag
	Examples    []Example
}

// ArgKind says how much of the command line an argument takes.
type ArgKind int

const (
	One      ArgKind = iota // one word
	Rest                    // the rest, a list
	Props                   // the rest, NAME=VALUE each, a dict
	Verbatim                // the rest untouched, options and all, a list
)

// Arg is a positional argument: a parameter of main.
type Arg struct {
	Param    string
	Meta     string // "JAIL", "NAME@SNAP", "PROPERTY=VALUE"
	Kind     ArgKind
	Optional bool
	Help     string
}

// FlagType is the type of a flag's value, and of the parameter it sets.
type FlagType int

const (
	Bool FlagType = iota
	String
	Int
	Float
	List // repeatable; the values in order
	Duration
)

// Flag is an option: a parameter of main with a default.
type Flag struct {
	Param   string // "no_update"
	Long    string // "no-update"
	Short   string // "U", or ""
	Meta    string // "COLUMNS"; "" for a bool
	Type    FlagType
	Default string // as the user would type it; "" when none worth showing
	Help    string
	EnvVars []string // built-in verbs only
}

// Example is one example command with what it does.
type Example struct {
	Text     string
	Commands []string
}

// Takes says whether the flag takes a value.
func (f *Flag) Takes() bool { return f.Type != Bool }

// Usage is the flag as the synopsis and --help show it: "-o, --output COLUMNS".
func (f *Flag) Usage() string {
	s := "--" + f.Long
	switch {
	case len(f.Long) == 1:
		s = "-" + f.Long
	case f.Short != "":
		s = "-" + f.Short + ", " + s
	}
	if f.Meta != "" {
		s += " " + f.Meta
	}
	return s
}

// ArgsSynopsis is the arguments part of the verb's synopsis.
func (v *Verb) ArgsSynopsis() string {
	if v.Synopsis != "" {
		return v.Synopsis
	}
	parts := make([]string, 0, len(v.Args))
	for _, a := range v.Args {
		s := a.Meta
		switch a.Kind {
		case Rest, Props, Verbatim:
			if !strings.HasSuffix(s, "...") && !strings.HasSuffix(s, "...]") {
				s += " ..."
			}
		}
		if a.Optional {
			s = "[" + s + "]"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " ")
}

// Flag finds a flag by long or short name.
func (v *Verb) Flag(name string) *Flag {
	for i := range v.Flags {
		f := &v.Flags[i]
		if f.Long == name || (f.Short != "" && f.Short == name) {
			return f
		}
	}
	return nil
}

// Parse reads the verb of a recipe from its source. It returns nil and no
// error for a recipe without a main() or one marked "Verb: no".
func Parse(file string, src []byte) (*Verb, error) {
	f, err := syntax.Parse(file, src, 0)
	if err != nil {
		return nil, err
	}
	var fn *syntax.DefStmt
	for _, s := range f.Stmts {
		if d, ok := s.(*syntax.DefStmt); ok && d.Name.Name == "main" {
			fn = d
		}
	}
	if fn == nil {
		return nil, nil
	}
	v := &Verb{Name: strings.TrimSuffix(path.Base(file), ".star"), File: path.Base(file)}
	params, err := paramsOf(fn)
	if err != nil {
		return nil, fmt.Errorf("%s: main: %w", file, err)
	}
	doc, err := parseDoc(docOf(fn))
	if err != nil {
		return nil, fmt.Errorf("%s: main's docstring: %w", file, err)
	}
	if doc.notVerb {
		return nil, nil
	}
	if err := v.build(params, doc); err != nil {
		return nil, fmt.Errorf("%s: main: %w", file, err)
	}
	return v, nil
}

// param is one parameter of main, with its default when it is a literal.
type param struct {
	name string
	dflt any // nil (required), bool, string, int64, float64, []string, map (props), none{}
	has  bool
}

type none struct{}

func paramsOf(fn *syntax.DefStmt) ([]param, error) {
	var ps []param
	for _, p := range fn.Params {
		switch p := p.(type) {
		case *syntax.Ident:
			if len(ps) > 0 && ps[len(ps)-1].has {
				return nil, fmt.Errorf("required parameter %s follows one with a default", p.Name)
			}
			ps = append(ps, param{name: p.Name})
		case *syntax.BinaryExpr: // name = default
			id, ok := p.X.(*syntax.Ident)
			if !ok {
				return nil, fmt.Errorf("unexpected parameter form")
			}
			d, err := literal(p.Y)
			if err != nil {
				return nil, fmt.Errorf("parameter %s: %w", id.Name, err)
			}
			ps = append(ps, param{name: id.Name, dflt: d, has: true})
		case *syntax.UnaryExpr: // *args, **kwargs: not on the command line
		}
	}
	return ps, nil
}

// literal evaluates a default that the command line can describe.
func literal(e syntax.Expr) (any, error) {
	switch e := e.(type) {
	case *syntax.Literal:
		switch v := e.Value.(type) {
		case string:
			return v, nil
		case int64:
			return v, nil
		case float64:
			return v, nil
		}
		return int64(0), nil // big ints: typed int, no default shown
	case *syntax.Ident:
		switch e.Name {
		case "True":
			return true, nil
		case "False":
			return false, nil
		case "None":
			return none{}, nil
		}
	case *syntax.UnaryExpr:
		if e.Op == syntax.MINUS {
			if l, ok := e.X.(*syntax.Literal); ok {
				switch v := l.Value.(type) {
				case int64:
					return -v, nil
				case float64:
					return -v, nil
				}
			}
		}
	case *syntax.ListExpr:
		var out []string
		for _, x := range e.List {
			l, ok := x.(*syntax.Literal)
			if !ok {
				return nil, fmt.Errorf("a list default must hold string literals")
			}
			s, isStr := l.Value.(string)
			if !isStr {
				return nil, fmt.Errorf("a list default must hold string literals")
			}
			out = append(out, s)
		}
		return out, nil
	case *syntax.TupleExpr:
		return literal(&syntax.ListExpr{List: e.List})
	case *syntax.DictExpr:
		if len(e.List) == 0 {
			return map[string]string{}, nil
		}
		return nil, fmt.Errorf("a dict default must be empty")
	}
	return nil, fmt.Errorf("the default must be a literal (a string, number, True, False, None, [] or {})")
}

func docOf(fn *syntax.DefStmt) string {
	if len(fn.Body) == 0 {
		return ""
	}
	es, ok := fn.Body[0].(*syntax.ExprStmt)
	if !ok {
		return ""
	}
	l, ok := es.X.(*syntax.Literal)
	if !ok {
		return ""
	}
	s, _ := l.Value.(string)
	return s
}

// doc is main's docstring, split into its parts.
type doc struct {
	summary  string
	paras    []string
	fields   map[string]string // Category, Output, Synopsis, Verb
	args     []docEntry
	flags    []docEntry
	examples []Example
	notVerb  bool
}

type docEntry struct {
	head, help string
}

var knownFields = map[string]bool{"Category": true, "Output": true, "Synopsis": true, "Verb": true}

func parseDoc(s string) (*doc, error) {
	d := &doc{fields: map[string]string{}}
	lines := dedent(strings.Split(strings.TrimRight(s, " \n"), "\n"))
	if len(lines) == 0 {
		return d, nil
	}
	d.summary = strings.TrimSpace(lines[0])
	section := ""
	var para []string
	flush := func() {
		if len(para) > 0 {
			d.paras = append(d.paras, strings.Join(para, " "))
			para = nil
		}
	}
	for _, l := range lines[1:] {
		trimmed := strings.TrimSpace(l)
		indented := strings.HasPrefix(l, " ") || strings.HasPrefix(l, "\t")
		if trimmed == "" {
			flush()
			if section != "Examples" {
				section = ""
			}
			continue
		}
		if !indented {
			if name, ok := strings.CutSuffix(trimmed, ":"); ok && (name == "Arguments" || name == "Flags" || name == "Examples") {
				flush()
				section = name
				continue
			}
			if k, val, ok := strings.Cut(trimmed, ": "); ok && knownFields[k] {
				flush()
				d.fields[k] = strings.TrimSpace(val)
				section = ""
				continue
			}
			section = ""
			para = append(para, trimmed)
			continue
		}
		switch section {
		case "Arguments", "Flags":
			list := &d.args
			if section == "Flags" {
				list = &d.flags
			}
			depth := len(l) - len(strings.TrimLeft(l, " \t"))
			if depth > 2 && len(*list) > 0 { // a continuation
				e := &(*list)[len(*list)-1]
				e.help = strings.TrimSpace(e.help + " " + trimmed)
				continue
			}
			head, help, ok := strings.Cut(trimmed, ": ")
			if !ok {
				head, ok = strings.CutSuffix(trimmed, ":")
				if !ok {
					return nil, fmt.Errorf("%s entry %q: want \"NAME: help\"", section, trimmed)
				}
			}
			*list = append(*list, docEntry{head: strings.TrimSpace(head), help: strings.TrimSpace(help)})
		case "Examples":
			depth := len(l) - len(strings.TrimLeft(l, " \t"))
			if depth > 2 && len(d.examples) > 0 {
				e := &d.examples[len(d.examples)-1]
				e.Commands = append(e.Commands, trimmed)
				continue
			}
			if len(d.examples) > 0 && len(d.examples[len(d.examples)-1].Commands) == 0 {
				e := &d.examples[len(d.examples)-1]
				e.Text += " " + trimmed
				continue
			}
			d.examples = append(d.examples, Example{Text: trimmed})
		default:
			para = append(para, trimmed)
		}
	}
	flush()
	for _, e := range d.examples {
		if len(e.Commands) == 0 {
			return nil, fmt.Errorf("example %q has no command (indent the commands under their text)", e.Text)
		}
	}
	if v, ok := d.fields["Verb"]; ok {
		if v != "no" {
			return nil, fmt.Errorf("Verb: want \"no\", not %q", v)
		}
		d.notVerb = true
	}
	return d, nil
}

// dedent strips the indentation common to the lines after the first (the
// first follows the opening quotes).
func dedent(lines []string) []string {
	common := -1
	for _, l := range lines[1:] {
		if strings.TrimSpace(l) == "" {
			continue
		}
		n := len(l) - len(strings.TrimLeft(l, " \t"))
		if common < 0 || n < common {
			common = n
		}
	}
	out := []string{lines[0]}
	for _, l := range lines[1:] {
		if len(l) >= common && common > 0 {
			l = l[common:]
		}
		out = append(out, strings.TrimRight(l, " \t"))
	}
	return out
}

func (v *Verb) build(params []param, d *doc) error {
	v.Summary = d.summary
	v.Description = d.paras
	v.Category = d.fields["Category"]
	v.Synopsis = d.fields["Synopsis"]
	v.Output = d.fields["Output"]
	v.Examples = d.examples
	switch v.Output {
	case "", "table", "exit status":
	default:
		return fmt.Errorf("Output: want table or exit status, not %q", v.Output)
	}
	byName := map[string]*param{}
	for i := range params {
		byName[params[i].name] = &params[i]
	}
	declared := map[string]bool{}
	argOf := map[string]Arg{}
	for _, e := range d.args {
		a, err := parseArg(e, byName)
		if err != nil {
			return err
		}
		if declared[a.Param] {
			return fmt.Errorf("parameter %s is declared twice", a.Param)
		}
		declared[a.Param] = true
		argOf[a.Param] = a
	}
	for _, e := range d.flags {
		f, err := parseFlag(e, byName)
		if err != nil {
			return err
		}
		if declared[f.Param] {
			return fmt.Errorf("parameter %s is declared twice", f.Param)
		}
		declared[f.Param] = true
		v.Flags = append(v.Flags, f)
	}
	// What the docstring does not mention follows from the signature:
	// required parameters are arguments, the others flags. Arguments keep
	// the signature's order.
	for _, p := range params {
		switch {
		case argOf[p.name].Param != "":
			v.Args = append(v.Args, argOf[p.name])
		case declared[p.name]:
		case !p.has:
			v.Args = append(v.Args, Arg{Param: p.name, Meta: strings.ToUpper(p.name), Kind: One})
		default:
			f, err := flagFor(p, "--"+strings.ReplaceAll(p.name, "_", "-"), "")
			if err != nil {
				return err
			}
			v.Flags = append(v.Flags, f)
		}
	}
	for i, a := range v.Args {
		if a.Kind != One && i != len(v.Args)-1 {
			return fmt.Errorf("argument %s takes the rest of the command line but is not last", a.Param)
		}
		if i > 0 && v.Args[i-1].Optional && !a.Optional {
			return fmt.Errorf("required argument %s follows an optional one", a.Param)
		}
	}
	seen := map[string]string{}
	for _, f := range v.Flags {
		for _, n := range []string{f.Long, f.Short} {
			if n == "" {
				continue
			}
			if other, dup := seen[n]; dup {
				return fmt.Errorf("flags %s and %s share the name %s", other, f.Param, n)
			}
			seen[n] = f.Param
		}
	}
	return nil
}

func parseArg(e docEntry, params map[string]*param) (Arg, error) {
	fields := strings.Fields(e.head)
	p, ok := params[fields[0]]
	if !ok {
		return Arg{}, fmt.Errorf("argument %s: main has no such parameter", fields[0])
	}
	a := Arg{Param: p.name, Meta: strings.ToUpper(p.name), Optional: p.has, Help: e.help}
	rest := fields[1:]
	if n := len(rest); n > 0 && rest[n-1] == "(verbatim)" {
		a.Kind = Verbatim
		rest = rest[:n-1]
	}
	if len(rest) > 0 {
		a.Meta = strings.Join(rest, " ")
	}
	// "X..." anywhere takes the rest; a lone "NAME=VALUE..." makes a dict.
	if a.Kind != Verbatim && strings.Contains(a.Meta, "...") {
		a.Kind = Rest
		if !strings.Contains(a.Meta, " ") && strings.Contains(a.Meta, "=") {
			a.Kind = Props
		}
	}
	switch d := p.dflt.(type) {
	case map[string]string:
		if a.Kind != Props {
			return Arg{}, fmt.Errorf("argument %s: a dict takes NAME=VALUE..., its metavariable %q does not say so", p.name, a.Meta)
		}
	case []string:
		if a.Kind == One {
			return Arg{}, fmt.Errorf("argument %s: a list takes the rest, its metavariable %q does not end in ...", p.name, a.Meta)
		}
	case nil, string, none:
	default:
		return Arg{}, fmt.Errorf("argument %s: an argument is a word, not %T %v", p.name, d, d)
	}
	return a, nil
}

func parseFlag(e docEntry, params map[string]*param) (Flag, error) {
	head := e.head
	short := ""
	if s, rest, ok := strings.Cut(head, ", "); ok && strings.HasPrefix(s, "-") && !strings.HasPrefix(s, "--") {
		short, head = strings.TrimPrefix(s, "-"), rest
		if len(short) != 1 {
			return Flag{}, fmt.Errorf("flag %s: a short name is one letter, not -%s", head, short)
		}
	}
	fields := strings.Fields(head)
	if len(fields) == 0 || !strings.HasPrefix(fields[0], "--") {
		return Flag{}, fmt.Errorf("flag entry %q: want \"[-X, ]--NAME [META]: help\"", e.head)
	}
	long := strings.TrimPrefix(fields[0], "--")
	p, ok := params[strings.ReplaceAll(long, "-", "_")]
	if !ok {
		return Flag{}, fmt.Errorf("flag --%s: main has no parameter %s", long, strings.ReplaceAll(long, "-", "_"))
	}
	if !p.has {
		return Flag{}, fmt.Errorf("flag --%s: parameter %s has no default, so it is an argument", long, p.name)
	}
	f, err := flagFor(*p, head, e.help)
	if err != nil {
		return Flag{}, err
	}
	f.Short = short
	return f, nil
}

// flagFor makes the flag of parameter p from "--name [META]".
func flagFor(p param, head, help string) (Flag, error) {
	fields := strings.Fields(head)
	f := Flag{Param: p.name, Long: strings.TrimPrefix(fields[0], "--"), Help: help}
	if len(fields) > 1 {
		f.Meta = strings.Join(fields[1:], " ")
	}
	switch d := p.dflt.(type) {
	case bool:
		f.Type = Bool
		if d {
			return Flag{}, fmt.Errorf("flag --%s: a bool flag's default must be False (a flag can only turn it on)", f.Long)
		}
	case int64:
		f.Type, f.Default = Int, strconv.FormatInt(d, 10)
	case float64:
		f.Type, f.Default = Float, strconv.FormatFloat(d, 'g', -1, 64)
	case string:
		f.Type, f.Default = String, d
	case []string:
		f.Type, f.Default = List, strings.Join(d, ",")
	case none:
		f.Type = String
		if strings.HasSuffix(f.Meta, "...") {
			f.Type = List
		}
	case map[string]string:
		return Flag{}, fmt.Errorf("parameter %s: a dict default has no command-line form as a flag; declare it under Arguments as %s NAME=VALUE...", p.name, p.name)
	default:
		return Flag{}, fmt.Errorf("flag --%s: a %T default has no command-line form", f.Long, d)
	}
	if f.Type == Bool && f.Meta != "" {
		return Flag{}, fmt.Errorf("flag --%s: a bool flag takes no value, drop %q", f.Long, f.Meta)
	}
	if f.Type != Bool && f.Meta == "" {
		f.Meta = strings.ToUpper(p.name)
	}
	if f.Type == List && !strings.HasSuffix(f.Meta, "...") {
		f.Meta += "..."
	}
	return f, nil
}

// SynopsisParts is the verb's synopsis after its name, in BSD style: the
// one-letter flags without a value bundled ("[-Hblnrt]"), then each flag
// with a value, the long-only flags, and the arguments.
func (v *Verb) SynopsisParts() []string {
	var bundle []string
	var parts []string
	for _, f := range v.Flags {
		if letter := f.ShortName(); !f.Takes() && letter != "" {
			bundle = append(bundle, letter)
		}
	}
	sort.Strings(bundle)
	if len(bundle) > 0 {
		parts = append(parts, "[-"+strings.Join(bundle, "")+"]")
	}
	for _, f := range v.Flags {
		letter := f.ShortName()
		switch {
		case f.Takes() && letter != "":
			parts = append(parts, "[-"+letter+" "+f.Meta+"]")
		case f.Takes():
			parts = append(parts, "[--"+f.Long+" "+f.Meta+"]")
		case letter == "":
			parts = append(parts, "[--"+f.Long+"]")
		}
	}
	if s := v.ArgsSynopsis(); s != "" {
		parts = append(parts, s)
	}
	return parts
}

// ShortName is the flag's one-letter name, if it has one.
func (f *Flag) ShortName() string {
	if f.Short == "" && len(f.Long) == 1 {
		return f.Long
	}
	return f.Short
}
