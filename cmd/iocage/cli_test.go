package main

import (
	"encoding/json"
	"io/fs"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/iocage/iocage/recipes"
	"github.com/iocage/iocage/starlib/verb"
)

// offline runs iocage with no host at all: help, usage errors and the
// version must not need one.
func offline(t *testing.T, args ...string) result {
	t.Helper()
	t.Setenv("IOCAGE_SANDBOX", filepath.Join(t.TempDir(), "no-sandbox"))
	return iocageOn(t, "", args...)
}

func squash(s string) string { return strings.Join(strings.Fields(s), " ") }

// recipeFace reads, with nothing but regular expressions, what a recipe's
// main() says of itself: the summary line, the help of each flag and the
// names of its parameters. It is deliberately not the verb package, so
// that the help is checked against the recipe, not against itself.
func recipeFace(t *testing.T, src string) (summary string, flagHelp map[string]string, params []string) {
	t.Helper()
	m := regexp.MustCompile(`(?m)^def main\(([^)]*)\):\n    """(.*)`).FindStringSubmatch(src)
	if m == nil {
		return "", nil, nil
	}
	for _, p := range strings.Split(m[1], ",") {
		if name := strings.TrimSpace(strings.Split(p, "=")[0]); name != "" && !strings.HasPrefix(name, "*") {
			params = append(params, name)
		}
	}
	flagHelp = map[string]string{}
	doc := src[strings.Index(src, m[0]):]
	doc = doc[:strings.Index(doc[7:], `"""`)+7]
	if _, flags, ok := strings.Cut(doc, "\n    Flags:\n"); ok {
		flags, _, _ = strings.Cut(flags, "\n\n")
		for _, l := range strings.Split(flags, "\n") {
			if head, help, ok := strings.Cut(strings.TrimSpace(l), ": "); ok {
				long := regexp.MustCompile(`--([a-z-]+)`).FindStringSubmatch(head)
				flagHelp[long[1]] = help
			}
		}
	}
	return m[2], flagHelp, params
}

// TestEveryVerbsHelpComesFromItsRecipe runs `iocage VERB --help` (and
// `iocage help VERB`) for every shipped recipe with a main(), and checks
// that what it prints is what the recipe says: its summary, every flag
// with the recipe's help, every parameter of main.
func TestEveryVerbsHelpComesFromItsRecipe(t *testing.T) {
	files, err := fs.Glob(recipes.FS, "*.star")
	if err != nil {
		t.Fatal(err)
	}
	verbs := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.star") {
			continue
		}
		src, _ := fs.ReadFile(recipes.FS, f)
		summary, flagHelp, params := recipeFace(t, string(src))
		if summary == "" || strings.Contains(string(src), "\n    Verb: no\n") {
			continue
		}
		verbs++
		name := strings.TrimSuffix(f, ".star")
		r := offline(t, name, "--help")
		if r.Code != 0 || r.Stderr != "" {
			t.Errorf("iocage %s --help: %+v", name, r)
			continue
		}
		if d := cmp.Diff(r, offline(t, "help", name)); d != "" {
			t.Errorf("iocage help %s differs from --help:\n%s", name, d)
		}
		if !strings.HasPrefix(r.Stdout, "usage: iocage "+name) {
			t.Errorf("%s --help does not open with its usage: %q", name, firstLine(r.Stdout))
		}
		help := squash(r.Stdout)
		if !strings.Contains(help, squash(summary)) {
			t.Errorf("%s --help lacks the recipe's summary %q", name, summary)
		}
		for long, h := range flagHelp {
			if !strings.Contains(help, "--"+long) || !strings.Contains(help, squash(h)) {
				t.Errorf("%s --help lacks --%s with the recipe's help %q", name, long, h)
			}
		}
		for _, p := range params {
			if !strings.Contains(help, "--"+strings.ReplaceAll(p, "_", "-")) && !strings.Contains(r.Stdout, "\n  "+metaOf(t, string(src), p)) {
				t.Errorf("%s --help says nothing of main's parameter %s", name, p)
			}
		}
		if !strings.Contains(help, "Recipe: @iocage//"+f) {
			t.Errorf("%s --help does not name its recipe", name)
		}
	}
	if verbs < 35 {
		t.Errorf("checked %d verbs; the shipped recipes have more", verbs)
	}
}

// metaOf is the metavariable the recipe's Arguments section gives p.
func metaOf(t *testing.T, src, p string) string {
	// A metavariable may hold a colon ([USER@]HOST[:POOL]); ": " ends it.
	m := regexp.MustCompile(`(?m)^      ` + p + ` (.+?)(?: \(verbatim\))?: `).FindStringSubmatch(src)
	if m == nil {
		return strings.ToUpper(p)
	}
	return m[1]
}

func firstLine(s string) string { l, _, _ := strings.Cut(s, "\n"); return l }

// TestFlagsBeforeAndAfterNames sorts out, for every verb, a command line
// with each of its flags before the arguments and the same with them
// after: both must reach urfave/cli as the same argv. For a verb whose
// last argument is taken verbatim (exec), flags after it are the
// command's.
func TestFlagsBeforeAndAfterNames(t *testing.T) {
	tbl := loadTable(nil)
	checked := 0
	for _, c := range tbl.visible() {
		v := c.spec
		var flags, args []string
		for _, f := range v.Flags {
			if f.Takes() {
				flags = append(flags, "--"+f.Long, "x")
			} else {
				flags = append(flags, "--"+f.Long)
			}
		}
		verbatim := false
		for _, a := range v.Args {
			switch a.Kind {
			case verb.Props:
				args = append(args, "a=b")
			case verb.Verbatim:
				args = append(args, "ls")
				verbatim = true
			default:
				args = append(args, "web")
			}
		}
		if len(flags) == 0 || len(args) == 0 {
			continue
		}
		checked++
		before, err := parseCommandLine(append(append([]string{"iocage", v.Name}, flags...), args...), tbl)
		if err != nil {
			t.Errorf("%s flags first: %v", v.Name, err)
			continue
		}
		after, err := parseCommandLine(append(append([]string{"iocage", v.Name}, args...), append(flags, "--debug")...), tbl)
		if err != nil {
			t.Errorf("%s flags last: %v", v.Name, err)
			continue
		}
		if verbatim {
			if d := cmp.Diff(append(args, append(flags, "--debug")...), after.args); d != "" {
				t.Errorf("%s: what follows the command is the command's (-want +got):\n%s", v.Name, d)
			}
			continue
		}
		want := before.argv("iocage")
		want = append([]string{"iocage", "--debug"}, want[1:]...)
		if d := cmp.Diff(want, after.argv("iocage")); d != "" {
			t.Errorf("%s: flags after the names (-want +got):\n%s", v.Name, d)
		}
	}
	if checked < 15 {
		t.Errorf("checked %d verbs with flags and arguments; expected more", checked)
	}
}

func TestCommandLineMistakes(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want result
	}{
		{[]string{"lsit"}, result{Code: 2, Stderr: "iocage: error: unknown verb \"lsit\"; did you mean list? (see `iocage --help`)\n"}},
		{[]string{"list", "--tempaltes"}, result{Code: 2, Stderr: "iocage: error: list: unknown flag --tempaltes; did you mean --templates? (see `iocage list --help`)\n"}},
		{[]string{"list", "-q"}, result{Code: 2, Stderr: "iocage: error: list: unknown flag -q (see `iocage list --help`)\n"}},
		{[]string{"list", "-o"}, result{Code: 2, Stderr: "iocage: error: list: -o wants a value (COLUMNS) (see `iocage list --help`)\n"}},
		{[]string{"list", "--long=maybe"}, result{Code: 2, Stderr: "iocage: error: list: --long takes no value but true or false, not \"maybe\" (see `iocage list --help`)\n"}},
		{[]string{"--bogus", "list"}, result{Code: 2, Stderr: "iocage: error: unknown flag --bogus (see `iocage --help`)\n"}},
		{[]string{"snapshot"}, result{Code: 2, Stderr: "iocage: error: snapshot: missing NAME[@SNAP] (see `iocage snapshot --help`)\n"}},
		{[]string{"snapshot", "web", "db"}, result{Code: 2, Stderr: "iocage: error: snapshot: unexpected argument \"db\" (see `iocage snapshot --help`)\n"}},
		{[]string{"list", "--version"}, result{Stdout: "iocage " + Version + "\n"}},
		{[]string{"--version"}, result{Stdout: "iocage " + Version + "\n"}},
	} {
		if d := cmp.Diff(tc.want, offline(t, tc.args...)); d != "" {
			t.Errorf("iocage %s (-want +got):\n%s", strings.Join(tc.args, " "), d)
		}
	}
	if r := offline(t); r.Code != 0 || !strings.Contains(r.Stdout, "\nJail lifecycle:\n") {
		t.Errorf("iocage alone prints the verbs: %+v", r)
	}
}

// TestGroupedAndJoinedFlags: -fR is -f -R, -ojid,tag is -o jid,tag.
func TestGroupedAndJoinedFlags(t *testing.T) {
	tbl := loadTable(nil)
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"destroy", "-fR", "web"}, []string{"iocage", "destroy", "--force", "--recursive", "--", "web"}},
		{[]string{"destroy", "web", "-Rf"}, []string{"iocage", "destroy", "--recursive", "--force", "--", "web"}},
		{[]string{"list", "-Hlojid,tag"}, []string{"iocage", "list", "--H", "--long", "--output=jid,tag"}},
		{[]string{"list", "--output", "tag", "--trace"}, []string{"iocage", "--trace", "list", "--output=tag"}},
		{[]string{"--dry-run", "destroy", "--", "-f"}, []string{"iocage", "--dry-run", "destroy", "--", "-f"}},
		{[]string{"exec", "-u", "root", "web", "ls", "-l", "--json"}, []string{"iocage", "exec", "--user=root", "--", "web", "ls", "-l", "--json"}},
		{[]string{"import", "-", "--keep-hooks"}, []string{"iocage", "import", "--keep-hooks", "--", "-"}},
	} {
		l, err := parseCommandLine(append([]string{"iocage"}, tc.args...), tbl)
		if err != nil {
			t.Errorf("%v: %v", tc.args, err)
			continue
		}
		if d := cmp.Diff(tc.want, l.argv("iocage")); d != "" {
			t.Errorf("%v (-want +got):\n%s", tc.args, d)
		}
	}
}

// TestVerbFlagsDoNotShadowGlobalOnes: a global flag means the same after
// any verb, so no verb may take its name.
func TestVerbFlagsDoNotShadowGlobalOnes(t *testing.T) {
	for _, c := range loadTable(nil).all() {
		for _, f := range c.spec.Flags {
			for _, g := range globalFlags {
				if f.Long == g.Long || (f.Short != "" && f.Short == g.Short) {
					t.Errorf("%s --%s shadows the global --%s", c.spec.Name, f.Long, g.Long)
				}
			}
		}
	}
}

// TestTheCommandLinesOfTheIssue: what a new user typed, on a host with
// jails: flags after names, global flags after the verb, usage errors
// without recipe positions (unless --debug).
func TestTheCommandLinesOfTheIssue(t *testing.T) {
	dataSandbox(t)
	for _, args := range [][]string{
		{"get", "all", "web", "--json"},
		{"status", "web", "--json"},
		{"list", "--trace"},
		{"get", "boot", "web", "-H"},
	} {
		r := iocageOn(t, "", args...)
		if r.Code != 0 || r.Stdout == "" {
			t.Errorf("iocage %s: %+v", strings.Join(args, " "), r)
		}
	}
	if r := iocageOn(t, "", "status", "web", "--json"); r.Stdout != "\"down\"\n" {
		t.Errorf("status web --json = %q", r.Stdout)
	}
	var all map[string]any
	if r := iocageOn(t, "", "get", "all", "web", "--json"); json.Unmarshal([]byte(r.Stdout), &all) != nil || all["tag"] != "web" || all["status"] != "down" {
		t.Errorf("get all web --json is not the jail's properties as JSON: %q", r.Stdout)
	}
	if r := iocageOn(t, "", "list", "--trace"); !strings.Contains(r.Stderr, "zfs list") {
		t.Errorf("list --trace traced nothing: %q", r.Stderr)
	}
	// A trailing flag is a flag, not a jail named "-f".
	if r := iocageOn(t, "", "destroy", "db", "-f"); r.Code != 0 {
		t.Fatalf("destroy db -f: %+v", r)
	}
	if r := iocageOn(t, "", "list", "-H", "-o", "tag"); r.Stdout != "web\n" {
		t.Errorf("after destroy db -f, list -H -o tag = %q", r.Stdout)
	}
	// A usage mistake the recipe catches: exit 2, no recipe position.
	r := iocageOn(t, "", "set", "web")
	want := result{Code: 2, Stderr: "iocage: error: set: want PROPERTY=VALUE... NAME|default (see `iocage set --help`)\n"}
	if d := cmp.Diff(want, r); d != "" {
		t.Errorf("set web (-want +got):\n%s", d)
	}
	// A failure: exit 1, no recipe position; --debug shows the backtrace.
	r = iocageOn(t, "", "get", "all", "ALL")
	if r.Code != 2 || strings.Contains(r.Stderr, ".star:") {
		t.Errorf("get all ALL: %+v", r)
	}
	r = iocageOn(t, "", "get", "all", "ALL", "--debug")
	if !strings.Contains(r.Stderr, "@iocage//get.star:") {
		t.Errorf("get all ALL --debug shows no recipe position: %q", r.Stderr)
	}
	// Not found: exit 3.
	if r := iocageOn(t, "", "get", "boot", "nosuch"); r.Code != exitNotFound || strings.Contains(r.Stderr, ".star:") {
		t.Errorf("get boot nosuch: %+v", r)
	}
}

// TestSiteRecipeIsAVerb: a recipe in the site directory with a main() is
// a verb with its own help, listed in --help and in the manual.
func TestSiteRecipeIsAVerb(t *testing.T) {
	verbSandbox(t)
	if r := iocageOn(t, "", "x-list", "web", "--json"); r.Code != 0 || !strings.Contains(r.Stdout, `"name": "web"`) {
		t.Errorf("x-list web --json: %+v", r)
	}
	r := iocageOn(t, "", "--help")
	if !strings.Contains(r.Stdout, "\nSite verbs:\n") || !strings.Contains(r.Stdout, "x-list") {
		t.Errorf("--help does not list the site verbs:\n%s", r.Stdout)
	}
	r = iocageOn(t, "", "man")
	if !strings.Contains(r.Stdout, "\n.Cm x-list\n") {
		t.Error("iocage man has no entry for the site verb x-list")
	}
	r = iocageOn(t, "", "x-list", "--help")
	if !strings.HasPrefix(r.Stdout, "usage: iocage x-list [-H] [--json] [NAME...]\n\ntest: a table\n") {
		t.Errorf("x-list --help:\n%s", r.Stdout)
	}
}

// BenchmarkCommandTable: what every iocage run pays to know its verb (the
// table and one recipe's face), against what help, the manual and
// completion pay (every recipe's face).
func BenchmarkCommandTable(b *testing.B) {
	b.Run("one verb", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if loadTable(nil).lookup("create") == nil {
				b.Fatal("no create")
			}
		}
	})
	b.Run("every verb", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			loadTable(nil).all()
		}
	})
}
