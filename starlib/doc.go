package starlib

import (
	"fmt"
	"sort"
	"strings"

	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"

	"github.com/iocage/iocage/runtime"
)

// allDocs is every docstring `iocage doc` knows: the world's, plus the
// assert module of test files.
func allDocs() map[string]string {
	d := Docs()
	for k, v := range assertDocs {
		d[k] = v
	}
	return d
}

// docModules lists the documented modules, sorted, and the other globals.
func docModules(d map[string]string) (mods, globals []string) {
	isMod := map[string]bool{}
	for k := range d {
		if m, _, ok := strings.Cut(k, "."); ok {
			isMod[m] = true
		}
	}
	for k := range d {
		if strings.Contains(k, ".") {
			continue
		}
		if isMod[k] {
			mods = append(mods, k)
		} else {
			globals = append(globals, k)
		}
	}
	sort.Strings(mods)
	sort.Strings(globals)
	return mods, globals
}

// DocIndex lists the documented modules of d (from Docs), sorted, and
// the other globals.
func DocIndex(d map[string]string) (mods, globals []string) { return docModules(d) }

// DocMembers lists the documented members of module mod in d, sorted.
func DocMembers(d map[string]string, mod string) []string { return members(d, mod) }

func members(d map[string]string, mod string) []string {
	var out []string
	for k := range d {
		if strings.HasPrefix(k, mod+".") {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// DocText is `iocage doc [MODULE[.NAME]]`: with no query an index of the
// modules, for a module its doc and members, for a member its whole doc.
// An unknown name wraps runtime.ErrNotExist.
func DocText(query string) (string, error) {
	d := allDocs()
	var b strings.Builder
	if query == "" {
		mods, globals := docModules(d)
		b.WriteString("Modules (iocage doc MODULE):\n")
		for _, m := range mods {
			fmt.Fprintf(&b, "  %-10s %s\n", m, Summary(d[m], true))
		}
		b.WriteString("\nOther globals (iocage doc NAME):\n")
		for _, g := range globals {
			fmt.Fprintf(&b, "  %-10s %s\n", Signature(d[g]), Summary(d[g], false))
		}
		return b.String(), nil
	}
	doc, ok := d[query]
	if !ok {
		return "", fmt.Errorf("no documentation for %s%s: %w", query, suggest(d, query), runtime.ErrNotExist)
	}
	if ms := members(d, query); len(ms) > 0 {
		fmt.Fprintf(&b, "%s\n\n%s\n\n", query, strings.TrimSpace(doc))
		for _, m := range ms {
			fmt.Fprintf(&b, "  %s\n      %s\n", Signature(d[m]), Summary(d[m], false))
		}
		return b.String(), nil
	}
	return strings.TrimSpace(doc) + "\n", nil
}

func suggest(d map[string]string, q string) string {
	var close []string
	for k := range d {
		if strings.HasPrefix(k, q) || strings.HasSuffix(k, "."+q) {
			close = append(close, k)
		}
	}
	if len(close) == 0 {
		return " (`iocage doc` lists the modules)"
	}
	sort.Strings(close)
	if len(close) > 5 {
		close = close[:5]
	}
	return " (did you mean " + strings.Join(close, ", ") + "?)"
}

// Markdown is the generated reference, docs/starlark.md.
func Markdown() string {
	d := allDocs()
	mods, globals := docModules(d)
	var b strings.Builder
	b.WriteString("# Starlark reference\n\n")
	b.WriteString("<!-- Generated from the builtins' docstrings by `go test ./starlib -run TestReference -update`; do not edit. -->\n\n")
	b.WriteString("Every recipe and script sees these modules and globals (`assert` only in `*_test.star` files). ")
	b.WriteString("`iocage doc MODULE[.NAME]` prints the same text; in the REPL, `help(x)`.\n\n")
	for _, m := range mods {
		fmt.Fprintf(&b, "- [`%s`](#%s): %s\n", m, m, Summary(d[m], true))
	}
	b.WriteString("\n## Globals\n\n")
	for _, g := range globals {
		writeMember(&b, d[g])
	}
	for _, m := range mods {
		fmt.Fprintf(&b, "## %s\n\n%s\n\n", m, strings.TrimSpace(d[m]))
		for _, k := range members(d, m) {
			writeMember(&b, d[k])
		}
	}
	return strings.TrimRight(b.String(), "\n") + "\n"
}

func writeMember(b *strings.Builder, doc string) {
	sig, rest, _ := strings.Cut(doc, "\n")
	fmt.Fprintf(b, "### `%s`\n\n", strings.TrimSpace(sig))
	if rest = strings.TrimSpace(rest); rest != "" {
		b.WriteString(rest)
		b.WriteString("\n\n")
	}
}

// helpText is what help(v) prints in the REPL.
func (in *Interp) helpText(v starlark.Value) string {
	key := ""
	switch x := v.(type) {
	case starlark.String:
		key = x.GoString()
	case *starlarkstruct.Module:
		key = x.Name
	case *starlark.Builtin:
		key = in.builtinKey(x)
	case *starlark.Function:
		var params []string
		for _, p := range paramsOf(x) {
			if p.dflt == nil {
				params = append(params, p.name)
			} else {
				params = append(params, p.name+" = "+p.dflt.String())
			}
		}
		s := fmt.Sprintf("def %s(%s)  # %s\n", x.Name(), strings.Join(params, ", "), x.Position())
		if doc := strings.TrimSpace(x.Doc()); doc != "" {
			s += "\n" + doc + "\n"
		}
		return s
	}
	if key != "" {
		if text, err := DocText(key); err == nil {
			return text
		}
	}
	return fmt.Sprintf("no documentation for %s (a %s); `iocage doc` lists what is documented\n", v, v.Type())
}

// builtinKey finds the doc key of a builtin: its qualified name when it has
// one ("zfs.snapshot"), else the module member it is.
func (in *Interp) builtinKey(b *starlark.Builtin) string {
	for name, v := range in.Globals() {
		if v == b {
			return name
		}
		if m, ok := v.(*starlarkstruct.Module); ok {
			for mn, mv := range m.Members {
				if mv == b {
					return name + "." + mn
				}
			}
		}
	}
	return b.Name()
}
