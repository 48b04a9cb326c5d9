package main

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/iocage/iocage/jailprops"
	"github.com/iocage/iocage/starlib"
	"github.com/iocage/iocage/starlib/verb"
)

// The manual pages, in mdoc(7): iocage(8) from the command table and the
// property table, iocage-recipes(5) from the Starlark world's docstrings.
// The committed copies in man/ (what `make install` installs) are the
// shipped verbs' pages; TestManPagesAreUpToDate keeps them so.

// manDate is the date the pages carry; bump it when their text changes.
const manDate = "December 6, 2026"

func init() {
	register(&command{spec: &verb.Verb{Name: "man", Category: catHelp,
		Summary: "print a manual page in mdoc: iocage(8) (the default) or iocage-recipes(5)",
		Description: []string{"The pages are generated from the same command table as --help and from the property " +
			"table. `make install` installs the shipped verbs' pages; here the site directory's verbs are in too. " +
			"Read one with: iocage man | mandoc -a"},
		Args: []verb.Arg{{Param: "page", Meta: "iocage.8|iocage-recipes.5", Optional: true, Help: "the page"}},
	}, action: func(c *cli.Context, _ *command) error {
		aio := ioOf(c)
		switch page := c.Args().First(); page {
		case "", "iocage", "iocage.8", "8":
			writeManPage(aio.stdout, aio.table)
		case "iocage-recipes", "iocage-recipes.5", "5":
			writeRecipesPage(aio.stdout)
		default:
			return usageError("man", fmt.Errorf("no page %q; accepted: iocage.8, iocage-recipes.5", page))
		}
		if c.NArg() > 1 {
			return usageError("man", fmt.Errorf("man takes one page, got %d arguments", c.NArg()))
		}
		return nil
	}})
}

// mdoc writes mdoc(7) source: macro lines and escaped text lines.
type mdoc struct{ w io.Writer }

func (m mdoc) macro(name string, args ...string) {
	fmt.Fprintln(m.w, "."+strings.Join(append([]string{name}, args...), " "))
}

// header opens page name(section) with its NAME section.
func (m mdoc) header(name, section, desc string) {
	m.macro("Dd", manDate)
	m.macro("Dt", strings.ToUpper(name), section)
	m.macro("Os")
	m.macro("Sh", "NAME")
	m.macro("Nm", name)
	m.macro("Nd", desc)
}

// text writes prose escaped, one sentence per line: roff spaces sentences
// by where lines end, and mandoc warns of a sentence that begins mid-line.
func (m mdoc) text(s string) {
	s = strings.Join(strings.Fields(s), " ")
	if s == "" {
		return
	}
	for _, l := range sentences(s) {
		fmt.Fprintln(m.w, escapeLine(l))
	}
}

// sentences splits s after each ". ", "? " or "! " but those of "e.g." and
// "i.e.".
func sentences(s string) []string {
	var out []string
	start := 0
	for i := 0; i+1 < len(s); i++ {
		if !strings.ContainsRune(".!?", rune(s[i])) || s[i+1] != ' ' || i == 0 {
			continue
		}
		if w := s[max(0, i-3) : i+1]; w == "e.g." || w == "i.e." {
			continue
		}
		out = append(out, s[start:i+1])
		start = i + 2
	}
	return append(out, s[start:])
}

// escapeLine makes a line of text safe to put in a page: a backslash is
// roff's escape, and a line that opens with . or ' would be a request.
func escapeLine(s string) string {
	s = strings.ReplaceAll(s, `\`, `\e`)
	if strings.HasPrefix(s, ".") || strings.HasPrefix(s, "'") {
		s = `\&` + s
	}
	return s
}

// arg quotes a macro argument when it holds spaces, and escapes it.
func arg(s string) string {
	s = strings.ReplaceAll(s, `\`, `\e`)
	s = strings.ReplaceAll(s, `"`, `\(dq`)
	if strings.ContainsAny(s, " \t") || s == "" {
		return `"` + s + `"`
	}
	// A word that is a macro name would be called, not printed.
	if len(s) == 2 && s[0] >= 'A' && s[0] <= 'Z' {
		return `\&` + s
	}
	return s
}

// synopsis writes a verb's synopsis as mdoc macros.
func (m mdoc) synopsis(v *verb.Verb) {
	m.macro("Nm")
	m.macro("Cm", arg(v.Name))
	var bundle []string
	for _, f := range v.Flags {
		if s := f.ShortName(); s != "" && !f.Takes() {
			bundle = append(bundle, s)
		}
	}
	if len(bundle) > 0 {
		sort.Strings(bundle)
		m.macro("Op", "Fl", arg(strings.Join(bundle, "")))
	}
	for _, f := range v.Flags {
		name := f.ShortName()
		if name == "" {
			name = "-" + f.Long
		} else if !f.Takes() {
			continue
		}
		if f.Takes() {
			m.macro("Op", "Fl", name, "Ar", arg(f.Meta))
		} else {
			m.macro("Op", "Fl", name)
		}
	}
	for _, a := range v.Args {
		meta := a.Meta
		if a.Kind != verb.One && !strings.Contains(meta, "...") {
			meta += " ..."
		}
		if a.Optional {
			m.macro("Op", "Ar", arg(meta))
		} else {
			m.macro("Ar", arg(meta))
		}
	}
}

func (m mdoc) flagList(flags []verb.Flag) {
	m.macro("Bl", "-tag", "-width", "Ds")
	for _, f := range flags {
		var parts []string
		if s := f.ShortName(); s != "" {
			parts = append(parts, "Fl", s)
			if f.Takes() {
				parts = append(parts, "Ar", arg(f.Meta))
			}
		}
		if len(f.Long) > 1 {
			if len(parts) > 0 {
				parts = append(parts, ",")
			}
			parts = append(parts, "Fl", "-"+f.Long)
			if f.Takes() {
				parts = append(parts, "Ar", arg(f.Meta))
			}
		}
		m.macro("It", parts...)
		help := capitalize(f.Help)
		if f.Takes() && f.Default != "" {
			help += " (default " + f.Default + ")"
		}
		m.text(help + ".")
	}
	m.macro("El")
}

// writeManPage writes iocage(8).
func writeManPage(w io.Writer, t *cmdTable) {
	m := mdoc{w}
	m.header("iocage", "8", "FreeBSD jail manager on ZFS, scriptable in Starlark")

	m.macro("Sh", "SYNOPSIS")
	m.macro("Nm")
	for _, f := range globalFlags {
		if f.Long == "help" || f.Long == "version" {
			continue
		}
		if f.Takes() {
			m.macro("Op", "Fl", "-"+f.Long, "Ar", arg(f.Meta))
		} else {
			m.macro("Op", "Fl", "-"+f.Long)
		}
	}
	m.macro("Ar", "verb")
	m.macro("Op", "Ar", "flags")
	m.macro("Op", "Ar", "arguments")
	m.macro("Nm")
	m.macro("Fl", "-version")
	m.macro("Nm")
	m.macro("Ar", "verb")
	m.macro("Fl", "-help")

	m.macro("Sh", "DESCRIPTION")
	m.text("The " + "iocage utility creates, runs and manages FreeBSD jails on ZFS. " +
		"A jail is a dataset POOL/iocage/jails/UUID with its root filesystem below; its properties are ZFS user " +
		"properties of that dataset (org.freebsd.iocage:NAME), so there is no configuration file, and a jail " +
		"travels with zfs send. Jails are named by their tag or UUID, or an unambiguous prefix of either.")
	m.macro("Pp")
	m.text("Every verb but the few built into iocage (run, repl, doc, recipes, help, man, version) is a " +
		"Starlark recipe: iocage list runs main() of the shipped recipe @iocage//list.star, with the command " +
		"line as its keyword arguments. A recipe of the same name in the site directory (--recipes, default " +
		starlib.DefaultSiteDir + ") replaces the shipped one, and any other recipe there with a main() is a verb " +
		"of its own, with help, completion and an entry in this page as printed by iocage man; see iocage-recipes(5).")
	m.macro("Pp")
	m.text("Flags may come before or after a verb's arguments, and global flags anywhere; -- ends the flags. " +
		"One-letter flags group (-fR). Verbs that print tables take -H (no header, tab-separated fields, for " +
		"scripts) and --json. Progress and messages go to standard error, data to standard output.")
	m.macro("Pp")
	m.text("The global flags are:")
	m.flagList(globalFlags)

	cats, byCat := categories(t)
	for _, cat := range cats {
		m.macro("Ss", arg(cat))
		m.macro("Bl", "-tag", "-width", "Ds")
		for _, c := range byCat[cat] {
			if c.linuxOnly {
				continue
			}
			v := c.spec
			m.macro("It", "Xo")
			m.synopsis(v)
			m.macro("Xc")
			m.text(capitalize(v.Summary) + ".")
			for _, p := range v.Description {
				m.macro("Pp")
				m.text(p)
			}
			if len(v.Args) > 0 && hasHelp(v.Args) {
				m.macro("Bl", "-tag", "-width", "Ds")
				for _, a := range v.Args {
					m.macro("It", "Ar", arg(a.Meta))
					m.text(a.Help)
				}
				m.macro("El")
			}
			if len(v.Flags) > 0 {
				m.flagList(v.Flags)
			}
		}
		m.macro("El")
	}

	m.macro("Sh", "PROPERTIES")
	m.text("iocage get and set read and write these; create, clone and import take them as PROPERTY=VALUE. " +
		"A jail without a value of its own has the value of the defaults (iocage set PROPERTY=VALUE default), " +
		"and those the built-in default shown here.")
	m.macro("Bl", "-tag", "-width", "Ds")
	for _, p := range jailprops.All() {
		m.macro("It", "Cm", arg(p.Name), "Ns", "=", "Ns", "Ar", arg(p.Type))
		doc := p.Doc
		if doc != "" && !strings.HasSuffix(doc, ".") {
			doc += "."
		}
		m.text(capitalize(doc))
		var facts []string
		if p.Values != "" {
			facts = append(facts, "Accepted: "+p.Values+".")
		}
		if p.Default != "" {
			facts = append(facts, "Default: "+p.Default+".")
		}
		if p.ReadOnly {
			facts = append(facts, "Read-only.")
		}
		if p.JailParam != "" {
			facts = append(facts, "Sets the jail(8) parameter "+p.JailParam+".")
		}
		if p.Rctl != "" {
			facts = append(facts, "Limits the rctl(8) resource "+p.Rctl+".")
		}
		m.text(strings.Join(facts, " "))
	}
	m.macro("El")

	m.macro("Sh", "ENVIRONMENT")
	m.macro("Bl", "-tag", "-width", "Ds")
	for _, f := range globalFlags {
		for _, e := range f.EnvVars {
			m.macro("It", "Ev", e)
			m.text("As --" + f.Long + ": " + f.Help + ".")
		}
	}
	m.macro("It", "Ev", "XDG_STATE_HOME")
	m.text("The directory of the REPL's history file, iocage/history (default ~/.local/state).")
	m.macro("El")

	m.macro("Sh", "FILES")
	m.macro("Bl", "-tag", "-width", "Ds")
	for _, f := range [][2]string{
		{starlib.DefaultSiteDir, "Site recipes: overrides of the shipped recipes, and verbs of their own."},
		{"/iocage/jails/UUID", "A jail's dataset (POOL/iocage/jails/UUID), its root filesystem in root/ and its fstab."},
		{"/iocage/tags/TAG", "A link from each tag to its jail's directory."},
		{"/iocage/releases/RELEASE", "Fetched releases, the sources of new jails."},
		{"/iocage/download/RELEASE", "The distribution files fetch downloaded."},
		{"/iocage/images", "Where export writes its streams by default."},
		{"/iocage/log", "The jails' console logs."},
		{"/var/run/iocage", "Locks and the journals of runs in progress, by which the next iocage takes back a run that died half-way."},
		{"/usr/local/etc/rc.d/iocage", "Starts the jails with boot=on at boot (iocage_enable=YES in rc.conf(5)) and stops them at shutdown."},
	} {
		m.macro("It", "Pa", arg(f[0]))
		m.text(f[1])
	}
	m.macro("El")

	m.macro("Sh", "EXIT STATUS")
	m.text("The iocage utility exits 0 on success, 1 on failure, 2 on a usage error (an unknown verb or flag, a " +
		"missing or unexpected argument) and 3 when a named jail, release or snapshot does not exist. " +
		"exec, console and chroot exit with the status of the command they ran. " +
		"start, stop, rcboot and rcshutdown exit 1 when any of their jails failed.")

	m.macro("Sh", "EXAMPLES")
	for _, c := range t.visible() {
		for _, e := range c.spec.Examples {
			m.text(e.Text)
			m.macro("Bd", "-literal", "-offset", "indent")
			for _, cmd := range e.Commands {
				fmt.Fprintln(w, escapeLine("$ "+cmd))
			}
			m.macro("Ed")
		}
	}

	m.macro("Sh", "SEE ALSO")
	see := []string{"cpuset 1", "iocage-recipes 5", "rc.conf 5", "devfs 8", "freebsd-update 8", "jail 8", "jexec 8", "jls 8", "mount_nullfs 8", "rctl 8", "zfs 8", "zpool 8"}
	for i, s := range see {
		parts := strings.Fields(s)
		if i < len(see)-1 {
			parts = append(parts, ",")
		}
		m.macro("Xr", parts...)
	}
	m.macro("Sh", "HISTORY")
	m.text("The first iocage was a shell script by Peter Toth, 2014-2016. This iocage keeps its jails' layout " +
		"and properties, so that jails made by either can be read by the other.")
}

// writeRecipesPage writes iocage-recipes(5): what a recipe file is and the
// Starlark world it runs in.
func writeRecipesPage(w io.Writer) {
	m := mdoc{w}
	m.header("iocage-recipes", "5", "Starlark recipes of iocage: verbs, provisioning flows and scripts")
	m.macro("Sh", "DESCRIPTION")
	m.text("A recipe is a file of Starlark, a dialect of Python, that iocage(8) runs. " +
		"The shipped recipes are the flows of iocage's verbs; they are embedded in the program and loaded as " +
		"@iocage//NAME.star. A recipe of the same name in the site directory " + starlib.DefaultSiteDir +
		" replaces the shipped one for every verb and every load(). " +
		"iocage run FILE.star NAME=VALUE ... runs a script of one's own, and iocage repl is an interactive session.")
	m.macro("Ss", "Loading")
	m.text("load(\"@iocage//NAME.star\", \"sym\") loads a recipe; load(\"//lib.star\", ...) a file of the script's " +
		"own directory tree, and load(\"./x.star\", ...) one beside the loading file. A path cannot leave its root.")
	m.macro("Ss", "The entry point")
	m.text("iocage run and a verb call the recipe's main(). " +
		"iocage run converts each NAME=VALUE by the default of main's parameter: an int default makes an int, a " +
		"bool default a bool (true/false, yes/no, on/off, 1/0), a list default a comma-separated list; else a string. " +
		"What main returns is printed: None prints nothing, a string or number as is, a dict as key: value lines, " +
		"a list of dicts or structs as a table (-H and --json for scripts).")
	m.macro("Ss", "Recipes as verbs")
	m.text("A recipe with a main() in the site directory is a verb: iocage NAME runs it. " +
		"Its command line comes from main's signature: parameters without a default are positional arguments, in " +
		"order, and parameters with one are flags, --NAME with underscores as dashes, typed by the default (False " +
		"makes a flag without a value). main's docstring refines that: its first line is the summary, free " +
		"paragraphs the description, and these fields and sections:")
	m.macro("Bl", "-tag", "-width", "Ds")
	for _, f := range [][2]string{
		{"Category: NAME", "The heading the verb is listed under in iocage --help and iocage(8)."},
		{"Output: table", "main returns rows; the verb takes -H and --json."},
		{"Output: exit status", "main returns an int, iocage's exit status."},
		{"Synopsis: TEXT", "The arguments part of the synopsis, when the generated one does not say it well."},
		{"Verb: no", "A recipe whose main() is only for iocage run."},
		{"Arguments:", "One line per argument, NAME META: help, where NAME is main's parameter. " +
			"META ending in ... takes the rest of the command line as a list, NAME=VALUE... as a dict, and " +
			"(verbatim) after META takes the rest untouched, flags and all. A parameter with a default listed here is an optional argument."},
		{"Flags:", "One line per flag, -X, --NAME META: help; the one-letter form and META are optional. " +
			"A META ending in ... makes a flag that may be repeated, a list."},
		{"Examples:", "A line saying what an example does, then its commands indented below it."},
	} {
		m.macro("It", "Li", arg(f[0]))
		m.text(f[1])
	}
	m.macro("El")
	m.text("usage(msg) fails the run as a mistake of the command line: the verb exits 2.")
	m.macro("Sh", "BUILTINS")
	m.text("Every recipe and script sees these modules and globals; iocage doc MODULE[.NAME] prints the same text, " +
		"and help(x) in the REPL.")
	d := starlib.Docs()
	mods, globals := starlib.DocIndex(d)
	m.macro("Ss", "Globals")
	m.macro("Bl", "-tag", "-width", "Ds")
	for _, g := range globals {
		manMember(m, d[g])
	}
	m.macro("El")
	for _, mod := range mods {
		m.macro("Ss", mod)
		m.text(strings.TrimSpace(d[mod]))
		m.macro("Bl", "-tag", "-width", "Ds")
		for _, k := range starlib.DocMembers(d, mod) {
			manMember(m, d[k])
		}
		m.macro("El")
	}
	m.macro("Sh", "EXAMPLES")
	m.text("A site verb that makes a web jail from a template, /usr/local/etc/iocage/recipes/webjail.star:")
	m.macro("Bd", "-literal", "-offset", "indent")
	for _, l := range strings.Split(strings.TrimSpace(exampleVerb), "\n") {
		fmt.Fprintln(w, escapeLine(l))
	}
	m.macro("Ed")
	m.text("It is then run as iocage webjail -t base www1, and iocage webjail --help shows its help.")
	m.macro("Sh", "SEE ALSO")
	m.macro("Xr", "iocage", "8")
	m.text("The Starlark language: https://github.com/bazelbuild/starlark/blob/master/spec.md")
}

// exampleVerb is the site verb iocage-recipes(5) shows; TestManExampleVerb
// runs it.
const exampleVerb = `
def main(name, template = "base", count = 1):
    """make web jails from a template

    Category: Site verbs
    Output: table

    Arguments:
      name TAG: the new jail's tag

    Flags:
      -t, --template TEMPLATE: the template to clone
      --count N: how many jails
    """
    rows = []
    for i in range(count):
        tag = name if count == 1 else "%s_%d" % (name, i + 1)
        rows.append(dict(tag = tag, template = template))
    return rows
`

func manMember(m mdoc, doc string) {
	sig, rest, _ := strings.Cut(doc, "\n")
	m.macro("It", "Li", arg(strings.TrimSpace(sig)))
	for i, p := range strings.Split(strings.TrimSpace(rest), "\n\n") {
		if i > 0 {
			m.macro("Pp")
		}
		m.text(p)
	}
}

func hasHelp(args []verb.Arg) bool {
	for _, a := range args {
		if a.Help != "" {
			return true
		}
	}
	return false
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
