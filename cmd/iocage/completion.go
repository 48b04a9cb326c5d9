package main

// Shell completion. `iocage completion SHELL` prints the script of
// package completions; the scripts only pass the words of the line to the
// hidden verb `iocage __complete -- WORD...` and offer what it prints, one
// candidate a line. What may come next is decided here, from the command
// table the line is parsed with: the verbs, their flags and their
// arguments' metavariables (JAIL, PROPERTY=VALUE..., NAME@SNAP ...), so a
// recipe's new verb or flag completes without touching the scripts.

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/urfave/cli/v2"
	"go.starlark.net/starlark"
	"go.starlark.net/syntax"

	"github.com/iocage/iocage/builtins/jail"
	"github.com/iocage/iocage/builtins/release"
	"github.com/iocage/iocage/builtins/zfs"
	"github.com/iocage/iocage/completions"
	"github.com/iocage/iocage/jailprops"
	"github.com/iocage/iocage/recipes"
	"github.com/iocage/iocage/runtime"
	"github.com/iocage/iocage/starlib"
	"github.com/iocage/iocage/starlib/verb"
)

func init() {
	register(&command{spec: &verb.Verb{Name: "completion", Category: catHelp,
		Summary: "print the shell completion script for bash, zsh or fish",
		Description: []string{
			"make install puts the scripts where bash-completion, zsh and fish look for them; " +
				"this prints the same script, for a shell set up by hand. The scripts ask iocage " +
				"itself what may follow on the line: verbs, flags, jail names, snapshots, properties, " +
				"releases and pools of the active pool.",
		},
		Args: []verb.Arg{{Param: "shell", Meta: strings.Join(completions.Shells, "|"), Help: "the shell"}},
		Examples: []verb.Example{
			{Text: "Complete in the running bash:", Commands: []string{"source <(iocage completion bash)"}},
			{Text: "Complete in every fish session:", Commands: []string{"iocage completion fish > ~/.config/fish/completions/iocage.fish"}},
		},
	}, action: completionAction})
	register(&command{spec: &verb.Verb{Name: "__complete",
		Summary: "print what may complete the last WORD of `iocage WORD...` (for the completion scripts)",
		// Verbatim: every word reaches the action as typed, flags and all.
		Args: []verb.Arg{{Param: "words", Meta: "WORD...", Kind: verb.Verbatim, Optional: true,
			Help: "the words after iocage, the last one (maybe empty) being completed"}},
	}, action: completeAction, hidden: true})
}

func completionAction(c *cli.Context, _ *command) error {
	if c.NArg() != 1 {
		return usageError("completion", fmt.Errorf("want one SHELL (%s), got %d arguments", strings.Join(completions.Shells, ", "), c.NArg()))
	}
	script, ok := completions.Script(c.Args().First())
	if !ok {
		return usageError("completion", fmt.Errorf("unknown shell %q: want %s", c.Args().First(), strings.Join(completions.Shells, ", ")))
	}
	_, err := io.WriteString(ioOf(c).stdout, script)
	return err
}

// completeTimeout bounds the host lookups of one completion: a shell
// waiting on Tab is worse than no candidates.
const completeTimeout = 10 * time.Second

// completeAction is `iocage __complete -- WORD...`. It never fails and
// never writes to stderr: whatever goes wrong, the shell just gets no
// candidates.
func completeAction(c *cli.Context, _ *command) error {
	words := c.Args().Slice()
	t := ioOf(c).table
	// The table of the line being completed: its --recipes may name another
	// site directory than this process was started with.
	if dir := siteDirOf(append([]string{"iocage"}, words...)); dir != siteDirOf([]string{"iocage"}) {
		t = loadTable(openSite(dir))
	}
	ctx, cancel := context.WithTimeout(c.Context, completeTimeout)
	defer cancel()
	cp := &completer{ctx: ctx, table: t, openHost: completionHost}
	out := ioOf(c).stdout
	for _, l := range cp.complete(words) {
		fmt.Fprintln(out, l)
	}
	return nil
}

// completionHost opens the host like hostOf, less what a completion must
// not do: take back interrupted runs (that is the next real command's
// work, reported on stderr) and change anything (dry-run, its messages
// discarded).
func completionHost() (*runtime.Host, error) {
	b, err := hostBackend()
	if err != nil {
		return nil, err
	}
	return runtime.New(b, runtime.Options{DryRun: true, Out: io.Discard}), nil
}

// Directives: lines that ask the shell for its own completion.
const (
	directiveFile = ":file"
	directiveDir  = ":dir"
)

// sentinel stands for the word being completed when the line is parsed:
// no one types it, so where it lands (a flag's value, an argument) says
// what the word is.
const sentinel = "\x00"

// completer decides the candidates of one completion. The host is opened
// on first need; any error of a lookup is kept in err, and then nothing is
// printed.
type completer struct {
	ctx      context.Context
	table    *cmdTable
	openHost func() (*runtime.Host, error)
	err      error

	host   *runtime.Host
	pool   string
	claims []*jail.Jail
	read   bool // claims is read

	directives []string
}

// complete returns the lines to print for words, the last being completed:
// directives, then the candidates that begin with it.
func (c *completer) complete(words []string) []string {
	if len(words) == 0 {
		words = []string{""}
	}
	prev, cur := words[:len(words)-1], words[len(words)-1]
	cands := c.candidates(prev, cur)
	if c.err != nil {
		return nil
	}
	var out []string
	seen := map[string]bool{}
	for _, d := range c.directives {
		// File names include directories: FILE|DIR is ":file".
		if !seen[d] && !(d == directiveDir && slices.Contains(c.directives, directiveFile)) {
			seen[d] = true
			out = append(out, d)
		}
	}
	for _, s := range cands {
		if strings.HasPrefix(s, cur) && printable(s) && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// printable rejects candidates a shell would take for more or other
// words, or a terminal for escapes: tags, snapshot and pool names come
// from ZFS properties anyone with zfs(8) can set. A leading ":" would read
// as a directive.
func printable(s string) bool {
	if s == "" || strings.HasPrefix(s, ":") || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			return false
		}
	}
	return true
}

func (c *completer) candidates(prev []string, cur string) []string {
	// Clipped: each parse below appends to argv a word of its own.
	argv := slices.Clip(append([]string{"iocage"}, prev...))
	// --flag=VALUE: the value completes, behind its flag.
	if name, val, ok := strings.Cut(cur, "="); ok && strings.HasPrefix(name, "--") {
		if l, err := parseCommandLine(append(argv, name, sentinel), c.table); err == nil {
			if f := pendingFlag(l); f != nil {
				return prefixed(name+"=", c.flagValues(f, val))
			}
		}
		return nil
	}
	l, err := parseCommandLine(append(argv, sentinel), c.table)
	if err != nil {
		// The sentinel in the verb's place: the verbs, or global flags.
		if p, perr := parseCommandLine(argv, c.table); perr == nil && p.cmd == nil {
			if strings.HasPrefix(cur, "-") {
				return flagNames(globalFlags)
			}
			return verbNames(c.table)
		}
		return nil
	}
	if f := pendingFlag(l); f != nil {
		return c.flagValues(f, cur)
	}
	if l.cmd == nil || len(l.args) == 0 || l.args[len(l.args)-1] != sentinel {
		return nil
	}
	a := argAt(l.cmd.spec, len(l.args)-1)
	// A word starting with "-" is a flag where the line would take one:
	// not after "--", nor inside exec's command; "-" may also be the
	// argument that stands for standard input or output (FILE|-).
	if strings.HasPrefix(cur, "-") {
		if w, err := parseCommandLine(append(argv, "-"+sentinel), c.table); err != nil || len(w.args) != len(l.args) {
			out := append(flagNames(l.cmd.spec.Flags), flagNames(globalFlags)...)
			if a != nil && slices.Contains(metaPieces(a.Meta), "-") {
				out = append(out, "-")
			}
			return out
		}
	}
	if a == nil || a.Kind == verb.Verbatim { // a command of the jail's: not ours to know
		return nil
	}
	return c.metaValues(a.Meta, cur)
}

// pendingFlag is the flag whose value the sentinel is on l.
func pendingFlag(l *cmdline) *verb.Flag {
	for _, s := range append(append([]string(nil), l.flags...), l.globals...) {
		if name, ok := strings.CutSuffix(s, "="+sentinel); ok {
			f, _ := l.find(strings.TrimPrefix(name, "--"), true)
			return f
		}
	}
	return nil
}

// argAt is the argument of v that the k-th word after the verb fills.
func argAt(v *verb.Verb, k int) *verb.Arg {
	for i := range v.Args {
		a := &v.Args[i]
		if a.Kind != verb.One || k == 0 {
			return a
		}
		k--
	}
	return nil
}

func verbNames(t *cmdTable) []string {
	var out []string
	for _, c := range t.visible() {
		out = append(out, c.spec.Name)
	}
	return out
}

// flagNames lists each flag as it is typed: long form, then short.
func flagNames(fs []verb.Flag) []string {
	var out []string
	for _, f := range fs {
		if len(f.Long) == 1 {
			out = append(out, "-"+f.Long)
		} else {
			out = append(out, "--"+f.Long)
		}
		if f.Short != "" {
			out = append(out, "-"+f.Short)
		}
	}
	return out
}

func prefixed(p string, ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = p + s
	}
	return out
}

func suffixed(ss []string, suffix string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = s + suffix
	}
	return out
}

// flagValues completes the value of f.
func (c *completer) flagValues(f *verb.Flag, cur string) []string {
	meta := strings.TrimSuffix(f.Meta, "...")
	if meta == "COLUMNS" {
		// A comma separated list: the last column completes.
		done := cur[:strings.LastIndexByte(cur, ',')+1]
		cols := listColumns()
		for _, p := range jailprops.All() {
			cols = append(cols, p.Name)
		}
		return prefixed(done, cols)
	}
	return c.metaValues(meta, cur)
}

// metaValues completes a word that a metavariable describes: "JAIL",
// "NAME|ALL|default", "PROPERTY=VALUE... NAME|default", "NAME@SNAP|ALL@ALL",
// "FILE|-". Each alternative counts; words in it that are not
// metavariables (ALL, default, all, status, -) are offered as they are.
func (c *completer) metaValues(meta, cur string) []string {
	var out []string
	for _, piece := range metaPieces(meta) {
		out = append(out, c.pieceValues(piece, cur)...)
	}
	return out
}

// metaPieces splits a metavariable into its alternatives: "PROPERTY=VALUE...
// NAME|default" into PROPERTY=VALUE, NAME and default.
func metaPieces(meta string) []string {
	var out []string
	for _, alt := range strings.Fields(meta) {
		alt = strings.TrimSuffix(strings.TrimSuffix(alt, "..."), "...]")
		if strings.HasPrefix(alt, "[") { // "[ARG...]": an optional rest
			alt = strings.Trim(alt, "[]")
		}
		out = append(out, strings.Split(alt, "|")...)
	}
	return out
}

// pieceValues completes a word as one alternative of a metavariable.
func (c *completer) pieceValues(piece, cur string) []string {
	switch {
	case piece == "":
		return nil
	case strings.Contains(piece, "="):
		return c.assignValues(piece, cur)
	case strings.Contains(piece, "@") && !strings.HasPrefix(piece, "@"):
		return c.snapValues(piece, cur)
	}
	kind, member, _ := strings.Cut(piece, "[.") // MODULE[.NAME]
	kind, _, _ = strings.Cut(kind, ".")         // FILE.star
	if piece == jailprops.KeywordAll || !isMeta(kind) {
		return []string{piece}
	}
	switch kind {
	case "JAIL", "NAME":
		if strings.Contains(cur, "=") {
			return nil // set's PROPERTY=VALUE, not its NAME: tags hold no "="
		}
		return c.jailNames()
	case "TEMPLATE":
		return c.templates()
	case "RELEASE", "REL":
		return c.releases()
	case "POOL":
		return c.pools()
	case "PROPERTY":
		var out []string
		for _, p := range jailprops.All() {
			out = append(out, p.Name)
		}
		return out
	case "FILE":
		c.directives = append(c.directives, directiveFile)
	case "DIR":
		c.directives = append(c.directives, directiveDir)
	case "VERB":
		return verbNames(c.table)
	case "MODULE":
		out := starlib.ModuleNames()
		if member != "" && strings.Contains(cur, ".") {
			var members []string
			for name := range starlib.Docs() {
				if strings.Contains(name, ".") {
					members = append(members, name)
				}
			}
			slices.Sort(members)
			out = append(out, members...)
		}
		return out
	}
	return nil
}

// isMeta says whether s is a metavariable (upper case, "JAIL", "REL")
// rather than a word to type as it is ("default", "-", "@iocage"). ALL is
// both: the caller decides.
func isMeta(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !unicode.IsUpper(r) && r != '_' {
			return false
		}
	}
	return true
}

// assignValues completes KEY=VALUE words: PROPERTY=VALUE (the properties a
// user may set, then the fixed values of the one named), release=REL.
func (c *completer) assignValues(piece, cur string) []string {
	key, val, _ := strings.Cut(piece, "=")
	name, typed, hasEq := strings.Cut(cur, "=")
	switch {
	case key == "PROPERTY" && !hasEq:
		var out []string
		for _, p := range jailprops.All() {
			if !p.ReadOnly {
				out = append(out, p.Name+"=")
			}
		}
		return out
	case key == "PROPERTY":
		for _, p := range jailprops.All() {
			if p.Name == name && !p.ReadOnly {
				return prefixed(name+"=", c.propertyValues(p))
			}
		}
	case isMeta(key): // NAME=VALUE of run, OPTION=VALUE of fetch: free
	case !hasEq:
		return []string{key + "="}
	case name == key:
		return prefixed(key+"=", c.pieceValues(val, typed))
	}
	return nil
}

// propertyValues are the values of p a user picks from: a release
// property takes a fetched release; others the single words of their
// accepted values ("on or off", "new, disable or inherit") that the
// property's own check takes.
func (c *completer) propertyValues(p *jailprops.Property) []string {
	if p.Type == "release" {
		return c.releases()
	}
	var out []string
	for _, v := range strings.Split(strings.ReplaceAll(p.Values, " or ", ", "), ", ") {
		v = strings.TrimPrefix(strings.TrimSpace(v), "or ")
		if v != "" && !strings.ContainsAny(v, " ") && p.Validate(v) == nil {
			out = append(out, v)
		}
	}
	return out
}

// snapValues completes LEFT@RIGHT words (NAME@SNAP, JAIL[@SNAP],
// ALL@ALL): before an "@" is typed, the left side (with its "@" when the
// snapshot is required); after it, the right side: the snapshots of the
// jail named, or ALL.
func (c *completer) snapValues(piece, cur string) []string {
	left, right, _ := strings.Cut(piece, "@")
	optional := strings.HasSuffix(left, "[")
	left, right = strings.TrimSuffix(left, "["), strings.TrimSuffix(right, "]")
	all := left == jailprops.KeywordAll
	name, _, hasAt := jailprops.SplitSnap(cur)
	switch {
	case !hasAt && all:
		return []string{left + "@"}
	case !hasAt && optional:
		return c.jailNames()
	case !hasAt:
		return suffixed(c.jailNames(), "@")
	case all != (name == jailprops.KeywordAll):
		return nil // ALL@ is for the ALL alternatives, and no jail is tagged ALL
	case right == jailprops.KeywordAll:
		return []string{name + "@" + right}
	case all:
		return nil // ALL@SNAP: a snapshot name of any jail, not completed
	}
	return prefixed(name+"@", c.snapshots(name))
}

// listColumns are the columns `list -o` takes besides property names:
// list.star's LONG, read by running the recipe's top level (assignments
// and function definitions) so that they cannot disagree with it.
func listColumns() []string {
	src, err := fs.ReadFile(recipes.FS, "list.star")
	if err != nil {
		return nil
	}
	th := &starlark.Thread{Name: "completion"}
	th.SetMaxExecutionSteps(100000)
	g, err := starlark.ExecFileOptions(&syntax.FileOptions{Set: true, While: true, TopLevelControl: true},
		th, "list.star", src, starlib.Predeclared(nil))
	if err != nil {
		return nil
	}
	l, ok := g["LONG"].(*starlark.List)
	if !ok {
		return nil
	}
	var out []string
	for i := 0; i < l.Len(); i++ {
		if s, ok := starlark.AsString(l.Index(i)); ok {
			out = append(out, s)
		}
	}
	return out
}

// Host lookups, a constant number of host commands whatever the number of
// jails. A jail name costs three: zpool list and zfs get for the active
// pool (jail.ActivePool), and one narrow zfs list of every jail's tag
// (jail.Claims). A jail's snapshots add one zfs list (four); templates
// take jail.List instead of Claims (zfs list and jls: four); releases one
// zfs list after the pool (three; release.List reads files, runs nothing
// more); pools two (jail.Pools).

func (c *completer) fail(err error) {
	if c.err == nil {
		c.err = err
	}
}

// hostReady opens the host, once.
func (c *completer) hostReady() bool {
	if c.err != nil {
		return false
	}
	if c.host == nil {
		h, err := c.openHost()
		if err != nil {
			c.fail(err)
			return false
		}
		c.host = h
	}
	return true
}

// activePool finds the active pool, once.
func (c *completer) activePool() (string, bool) {
	if !c.hostReady() {
		return "", false
	}
	if c.pool == "" {
		p, err := jail.ActivePool(c.ctx, c.host)
		if err != nil {
			c.fail(err)
			return "", false
		}
		c.pool = p
	}
	return c.pool, true
}

func (c *completer) jails() ([]*jail.Jail, bool) {
	pool, ok := c.activePool()
	if !ok {
		return nil, false
	}
	if !c.read {
		js, err := jail.Claims(c.ctx, c.host, pool)
		if err != nil {
			c.fail(err)
			return nil, false
		}
		c.claims, c.read = js, true
	}
	return c.claims, true
}

// jailNames are the tags and UUIDs of the jails.
func (c *completer) jailNames() []string {
	js, _ := c.jails()
	var out []string
	for _, j := range js {
		if j.Tag != "" && j.Tag != "-" {
			out = append(out, j.Tag)
		}
		out = append(out, j.UUID)
	}
	return out
}

func (c *completer) templates() []string {
	pool, ok := c.activePool()
	if !ok {
		return nil
	}
	js, err := jail.List(c.ctx, c.host, pool)
	if err != nil {
		c.fail(err)
		return nil
	}
	var out []string
	for _, j := range js {
		if j.Props["template"] != "yes" {
			continue
		}
		if j.Tag != "" && j.Tag != "-" {
			out = append(out, j.Tag)
		}
		out = append(out, j.UUID)
	}
	return out
}

// snapshots are the snapshot names of the jail name designates (none when
// it designates no jail, or several).
func (c *completer) snapshots(name string) []string {
	js, ok := c.jails()
	if !ok {
		return nil
	}
	j, err := jail.Find(js, name)
	if err != nil {
		return nil
	}
	ds, err := zfs.List(c.ctx, c.host, zfs.ListOptions{Roots: []string{j.Dataset}, Depth: 1, Types: []string{"snapshot"}, Narrow: true})
	if err != nil {
		c.fail(err)
		return nil
	}
	var out []string
	for _, d := range ds {
		if _, snap, ok := strings.Cut(d.Name, "@"); ok {
			out = append(out, snap)
		}
	}
	return out
}

// releases are the fetched releases of the active pool.
func (c *completer) releases() []string {
	pool, ok := c.activePool()
	if !ok {
		return nil
	}
	rs, err := release.List(c.ctx, c.host, pool)
	if err != nil {
		c.fail(err)
		return nil
	}
	var out []string
	for _, r := range rs {
		if r.Fetched {
			out = append(out, r.Release)
		}
	}
	return out
}

func (c *completer) pools() []string {
	if !c.hostReady() {
		return nil
	}
	ps, err := jail.Pools(c.ctx, c.host)
	if err != nil {
		c.fail(err)
		return nil
	}
	var out []string
	for _, p := range ps {
		out = append(out, p.Name)
	}
	return out
}
