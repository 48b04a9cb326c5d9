package main

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/iocage/iocage/starlib"
	"github.com/iocage/iocage/starlib/verb"
)

// Help is written from the command table: a verb's from its recipe's
// main(), so it says what the recipe takes.

const helpWidth = 80

// writeHelp is `iocage --help`: the verbs by category, then the global
// flags.
func writeHelp(w io.Writer, t *cmdTable) {
	fmt.Fprintf(w, "usage: iocage [global flags] VERB [flags] [arguments]\n")
	fmt.Fprintf(w, "       iocage VERB --help | --version\n\n")
	fmt.Fprintf(w, "iocage is a FreeBSD jail manager on ZFS, scriptable in Starlark. Flags go before or\n")
	fmt.Fprintf(w, "after a verb's arguments; -- ends them.\n")
	cats, byCat := categories(t)
	for _, cat := range cats {
		fmt.Fprintf(w, "\n%s:\n", cat)
		for _, c := range byCat[cat] {
			writeTerm(w, "  ", c.spec.Name, 14, c.spec.Summary)
		}
	}
	fmt.Fprintf(w, "\nGlobal flags:\n")
	writeFlags(w, globalFlags)
	fmt.Fprintf(w, "\nExit status: 0 success, 1 failure, 2 usage error, 3 no such jail, release or snapshot;\n")
	fmt.Fprintf(w, "exec, console and chroot exit with the command's status. See iocage(8).\n")
}

// categories groups the visible verbs by category, in categoryOrder; the
// site directory's verbs without a category are "Site verbs".
func categories(t *cmdTable) ([]string, map[string][]*command) {
	var cats []string
	byCat := map[string][]*command{}
	for _, c := range t.visible() {
		cat := c.spec.Category
		if cat == "" {
			cat = "Other verbs"
			if c.spec.Site {
				cat = "Site verbs"
			}
		}
		if byCat[cat] == nil {
			cats = append(cats, cat)
		}
		byCat[cat] = append(byCat[cat], c)
	}
	sortCategories(cats)
	return cats, byCat
}

// categoryOrder puts the categories in the order an administrator meets
// them; others follow, sorted.
var categoryOrder = []string{"Jail lifecycle", "Running jails", "Jail data", "Resource limits", "Releases", "Updates and transfer", catScripting, catHelp}

func sortCategories(cats []string) {
	rank := func(c string) int {
		for i, o := range categoryOrder {
			if o == c {
				return i
			}
		}
		return len(categoryOrder)
	}
	sort.SliceStable(cats, func(i, j int) bool {
		if ri, rj := rank(cats[i]), rank(cats[j]); ri != rj {
			return ri < rj
		}
		return cats[i] < cats[j]
	})
}

// writeVerbHelp is `iocage VERB --help`.
func writeVerbHelp(w io.Writer, c *command) {
	v := c.spec
	fmt.Fprintf(w, "usage: %s\n\n", strings.Join(append([]string{"iocage", v.Name}, v.SynopsisParts()...), " "))
	writeWrapped(w, "", v.Summary)
	for _, p := range v.Description {
		fmt.Fprintln(w)
		writeWrapped(w, "", p)
	}
	if len(v.Args) > 0 {
		fmt.Fprintf(w, "\nArguments:\n")
		for _, a := range v.Args {
			writeTerm(w, "  ", a.Meta, 24, a.Help)
		}
	}
	if len(v.Flags) > 0 {
		fmt.Fprintf(w, "\nFlags:\n")
		writeFlags(w, v.Flags)
	}
	if len(v.Examples) > 0 {
		fmt.Fprintf(w, "\nExamples:\n")
		for _, e := range v.Examples {
			writeWrapped(w, "  ", e.Text)
			for _, cmd := range e.Commands {
				fmt.Fprintf(w, "    %s\n", cmd)
			}
		}
	}
	fmt.Fprintf(w, "\nGlobal flags (iocage --help): --trace, --dry-run, --debug, --recipes DIR\n")
	if v.File != "" {
		where := starlib.ShippedPrefix + v.File
		if v.Site {
			where = "the site directory's " + v.File
		}
		fmt.Fprintf(w, "Recipe: %s (iocage doc, iocage recipes)\n", where)
	}
}

func writeFlags(w io.Writer, flags []verb.Flag) {
	for _, f := range flags {
		help := f.Help
		if f.Takes() && f.Default != "" {
			help += " (default " + f.Default + ")"
		}
		if len(f.EnvVars) > 0 {
			help += " [$" + strings.Join(f.EnvVars, ", $") + "]"
		}
		writeTerm(w, "  ", f.Usage(), 24, help)
	}
}

// writeTerm writes "TERM  text", the text wrapped in a column.
func writeTerm(w io.Writer, indent, term string, col int, text string) {
	pad := col - len(indent) - len(term)
	if pad < 2 {
		fmt.Fprintf(w, "%s%s\n", indent, term)
		writeWrapped(w, strings.Repeat(" ", col), text)
		return
	}
	lines := wrap(text, helpWidth-col)
	if len(lines) == 0 {
		lines = []string{""}
	}
	fmt.Fprintf(w, "%s%s%s%s\n", indent, term, strings.Repeat(" ", pad), lines[0])
	for _, l := range lines[1:] {
		fmt.Fprintf(w, "%s%s\n", strings.Repeat(" ", col), l)
	}
}

func writeWrapped(w io.Writer, indent, text string) {
	for _, l := range wrap(text, helpWidth-len(indent)) {
		fmt.Fprintf(w, "%s%s\n", indent, l)
	}
}

// wrap breaks text into lines of at most width columns, at spaces.
func wrap(text string, width int) []string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(text) {
		if line != "" && len(line)+1+len(word) > width {
			lines = append(lines, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += word
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}
