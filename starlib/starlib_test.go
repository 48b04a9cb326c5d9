package starlib

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.starlark.net/starlark"

	"github.com/iocage/iocage/runtime"
	"github.com/iocage/iocage/runtime/sandbox/sandboxtest"
)

var update = flag.Bool("update", false, "rewrite docs/starlark.md from the docstrings")

func TestMain(m *testing.M) {
	if os.Getenv(replHelperEnv) != "" {
		os.Exit(replHelper())
	}
	sandboxtest.Main(m)
}

// starlarkEq compares Starlark values as Starlark does.
var starlarkEq = cmp.Comparer(func(a, b starlark.Value) bool {
	eq, err := starlark.Equal(a, b)
	return err == nil && eq
})

func mapFS(files map[string]string) fstest.MapFS {
	m := fstest.MapFS{}
	for n, s := range files {
		m[n] = &fstest.MapFile{Data: []byte(s)}
	}
	return m
}

func kw(pairs ...any) []starlark.Tuple {
	var out []starlark.Tuple
	for i := 0; i < len(pairs); i += 2 {
		out = append(out, starlark.Tuple{starlark.String(pairs[i].(string)), pairs[i+1].(starlark.Value)})
	}
	return out
}

var shipped = mapFS(map[string]string{
	"greet.star": `def greet(who): return "hello " + who`,
	"util.star":  `load("./greet.star", "greet")` + "\n" + `def shout(who): return greet(who).upper()`,
})

func TestLoadResolvesRelativeShippedAndRoot(t *testing.T) {
	root := mapFS(map[string]string{
		"main.star": `
load("./lib/names.star", "names")
load("@iocage//util.star", "shout")
def main(n = 1):
    return [shout(x) for x in names[:n]]
`,
		"lib/names.star":  `load("../common.star", "first")` + "\n" + `load("//lib/more.star", "second")` + "\nnames = [first, second]\n",
		"lib/more.star":   `second = "db"`,
		"common.star":     `first = "web"`,
		"unrelated.star":  `fail("never loaded")`,
		"lib/unused.star": `x = 1`,
	})
	in := New(Options{Recipes: shipped, Site: fstest.MapFS{}, Root: root, RootDir: "proj"})
	got, err := in.CallMain(context.Background(), "//main.star", kw("n", starlark.MakeInt(2)))
	if err != nil {
		t.Fatal(err)
	}
	want := starlark.NewList([]starlark.Value{starlark.String("HELLO WEB"), starlark.String("HELLO DB")})
	if d := cmp.Diff(starlark.Value(want), got, starlarkEq); d != "" {
		t.Errorf("main() (-want +got):\n%s", d)
	}
}

func TestSiteCopyOverridesShippedRecipe(t *testing.T) {
	site := mapFS(map[string]string{
		"greet.star": `def greet(who): return "howdy " + who`,
		"extra.star": `def main(): return "site only"`,
	})
	in := New(Options{Recipes: shipped, Site: site, SiteDir: "/usr/local/etc/iocage/recipes"})
	got, err := in.CallMain(context.Background(), "@iocage//util.star", nil)
	if err == nil || !strings.Contains(err.Error(), "no main function") {
		t.Fatalf("util.star has no main; got %v, %v", got, err)
	}
	globals, err := in.Exec(context.Background(), "@iocage//util.star")
	if err != nil {
		t.Fatal(err)
	}
	v, err := starlark.Call(&starlark.Thread{}, globals["shout"], starlark.Tuple{starlark.String("web")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(starlark.Value(starlark.String("HOWDY WEB")), v, starlarkEq); d != "" {
		t.Errorf("shout through the site copy of greet.star (-want +got):\n%s", d)
	}
	rs, err := in.Recipes()
	if err != nil {
		t.Fatal(err)
	}
	want := []Recipe{
		{Name: "extra.star", Source: "site", Path: "/usr/local/etc/iocage/recipes/extra.star"},
		{Name: "greet.star", Source: "site (overrides shipped)", Path: "/usr/local/etc/iocage/recipes/greet.star", Shipped: true},
		{Name: "util.star", Source: "shipped", Path: "@iocage//util.star", Shipped: true},
	}
	if d := cmp.Diff(want, rs); d != "" {
		t.Errorf("Recipes (-want +got):\n%s", d)
	}
}

func TestLoadErrors(t *testing.T) {
	root := mapFS(map[string]string{
		"a.star":      `load("./b.star", "b")` + "\ndef main(): return b\n",
		"b.star":      `load("//sub/c.star", "c")` + "\nb = c\n",
		"sub/c.star":  `load("../a.star", "main")` + "\nc = 1\n",
		"up.star":     `load("../outside.star", "x")` + "\ndef main(): pass\n",
		"ship.star":   `load("@iocage//../x.star", "x")` + "\ndef main(): pass\n",
		"abs.star":    `load("/etc/x.star", "x")` + "\ndef main(): pass\n",
		"other.star":  `load("@other//x.star", "x")` + "\ndef main(): pass\n",
		"nosuch.star": `load("@iocage//nosuch.star", "x")` + "\ndef main(): pass\n",
	})
	for _, tc := range []struct{ module, want string }{
		{"//a.star", "sub/c.star:1:1: cannot load ../a.star: load cycle: //a.star -> //b.star -> //sub/c.star -> //a.star"},
		{"//up.star", `up.star:1:1: cannot load ../outside.star: "../outside.star": escapes the root of the script's directory`},
		{"//ship.star", `ship.star:1:1: cannot load @iocage//../x.star: "@iocage//../x.star": escapes the root of @iocage`},
		{"//abs.star", `abs.star:1:1: cannot load /etc/x.star: "/etc/x.star": absolute paths are not allowed; use //PATH for the script's root or a path relative to the loading file`},
		{"//other.star", `other.star:1:1: cannot load @other//x.star: "@other//x.star": unknown package @other (only @iocage exists)`},
		{"//nosuch.star", "nosuch.star:1:1: cannot load @iocage//nosuch.star: @iocage//nosuch.star: no such recipe (see `iocage recipes`): cannot load"},
	} {
		in := New(Options{Recipes: shipped, Site: fstest.MapFS{}, Root: root})
		_, err := in.CallMain(context.Background(), tc.module, nil)
		if err == nil {
			t.Errorf("%s: no error", tc.module)
			continue
		}
		if d := cmp.Diff(tc.want, PositionText(err)); d != "" {
			t.Errorf("%s (-want +got):\n%s", tc.module, d)
		}
	}
}

func TestEachModuleLoadsOncePerRun(t *testing.T) {
	root := mapFS(map[string]string{
		"main.star":   `load("./a.star", "a")` + "\n" + `load("./b.star", "b")` + "\ndef main(): return a + b\n",
		"a.star":      `load("./common.star", "n")` + "\na = n\n",
		"b.star":      `load("./common.star", "n")` + "\nb = n\n",
		"common.star": `print("loading common")` + "\nn = 21\n",
	})
	var out bytes.Buffer
	in := New(Options{Recipes: shipped, Site: fstest.MapFS{}, Root: root, Stdout: &out})
	got, err := in.CallMain(context.Background(), "//main.star", nil)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(starlark.Value(starlark.MakeInt(42)), got, starlarkEq); d != "" {
		t.Errorf("main (-want +got):\n%s", d)
	}
	if d := cmp.Diff("loading common\n", out.String()); d != "" {
		t.Errorf("common.star ran more than once (-want +got):\n%s", d)
	}
}

func TestScriptFileLoadsSiblingAndNamesItInErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, src string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("main.star", `load("lib.star", "half")`+"\ndef main(n = 0):\n    return half(n)\n")
	write("lib.star", "def half(n):\n    if n % 2:\n        fail(\"odd: %d\" % n)\n    return n // 2\n")
	in := New(Options{Recipes: shipped, Site: fstest.MapFS{}})
	got, err := in.RunMain(context.Background(), filepath.Join(dir, "main.star"), []string{"n=10"})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(starlark.Value(starlark.MakeInt(5)), got, starlarkEq); d != "" {
		t.Errorf("main(n=10) (-want +got):\n%s", d)
	}
	in = New(Options{Recipes: shipped, Site: fstest.MapFS{}})
	_, err = in.RunMain(context.Background(), filepath.Join(dir, "main.star"), []string{"n=3"})
	if d := cmp.Diff(filepath.Join(dir, "lib.star")+":3:13: fail: odd: 3", PositionText(err)); d != "" {
		t.Errorf("error (-want +got):\n%s", d)
	}
	bt := Backtrace(err)
	for _, want := range []string{"main.star:3:16: in main", "lib.star:3:13: in half", "Error in fail: fail: odd: 3"} {
		if !strings.Contains(bt, want) {
			t.Errorf("backtrace lacks %q:\n%s", want, bt)
		}
	}
}

func TestRunMainFromStdin(t *testing.T) {
	in := New(Options{Recipes: shipped, Site: fstest.MapFS{}, Stdin: strings.NewReader("def main(who = 'x'):\n    return 'hi ' + who\n")})
	got, err := in.RunMain(context.Background(), "-", []string{"who=jail"})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(starlark.Value(starlark.String("hi jail")), got, starlarkEq); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	in = New(Options{Recipes: shipped, Site: fstest.MapFS{}, Stdin: strings.NewReader("def main():\n    return 1 +\n")})
	_, err = in.RunMain(context.Background(), "-", nil)
	if d := cmp.Diff("<stdin>:2:15: got newline, want primary expression", PositionText(err)); d != "" {
		t.Errorf("syntax error (-want +got):\n%s", d)
	}
}

func TestErrorPositions(t *testing.T) {
	root := mapFS(map[string]string{
		"resolve.star": "def main():\n    return undefined_name + other\n",
		"builtin.star": "def main():\n    return json.decode(42)\n",
		"loads.star":   `load("./broken.star", "x")` + "\ndef main(): return x\n",
		"broken.star":  "x = (\n",
	})
	for _, tc := range []struct{ module, want string }{
		{"//resolve.star", "resolve.star:2:12: undefined: undefined_name\nresolve.star:2:29: undefined: other"},
		{"//builtin.star", "builtin.star:2:23: json.decode: for parameter x: got int, want string"},
		{"//loads.star", "broken.star:2:1: got end of file, want primary expression"},
	} {
		in := New(Options{Recipes: shipped, Site: fstest.MapFS{}, Root: root})
		_, err := in.CallMain(context.Background(), tc.module, nil)
		if d := cmp.Diff(tc.want, PositionText(err)); d != "" {
			t.Errorf("%s (-want +got):\n%s", tc.module, d)
		}
	}
}

func TestConvertArgs(t *testing.T) {
	root := mapFS(map[string]string{
		"m.star":  "def main(name, count = 1, ratio = 0.5, force = False, tags = [], note = None, label = 'x'):\n    return [name, count, ratio, force, tags, note, label]\n",
		"kw.star": "def main(a = 1, **rest):\n    return [a, rest]\n",
	})
	run := func(module string, args ...string) (starlark.Value, error) {
		in := New(Options{Recipes: shipped, Site: fstest.MapFS{}, Root: root})
		return in.RunMain(context.Background(), module, args)
	}
	list := func(vs ...starlark.Value) *starlark.List { return starlark.NewList(vs) }
	s := func(x string) starlark.Value { return starlark.String(x) }
	got, err := run("//m.star", "name=web", "count=3", "ratio=2.5", "force=yes", "tags=a,b", "note=hi", "label=12")
	if err != nil {
		t.Fatal(err)
	}
	want := list(s("web"), starlark.MakeInt(3), starlark.Float(2.5), starlark.True, list(s("a"), s("b")), s("hi"), s("12"))
	if d := cmp.Diff(starlark.Value(want), got, starlarkEq); d != "" {
		t.Errorf("converted (-want +got):\n%s", d)
	}
	got, err = run("//m.star", "name=", "tags=")
	if err != nil {
		t.Fatal(err)
	}
	want = list(s(""), starlark.MakeInt(1), starlark.Float(0.5), starlark.False, list(), starlark.None, s("x"))
	if d := cmp.Diff(starlark.Value(want), got, starlarkEq); d != "" {
		t.Errorf("defaults (-want +got):\n%s", d)
	}
	d := starlark.NewDict(1)
	_ = d.SetKey(s("b"), s("2"))
	got, err = run("//kw.star", "b=2")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(starlark.Value(list(starlark.MakeInt(1), d)), got, starlarkEq); diff != "" {
		t.Errorf("**kwargs (-want +got):\n%s", diff)
	}
	params := "m.star takes main(name, count=1, ratio=0.5, force=False, tags=[], note=None, label=\"x\")"
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"count=2"}, "missing argument name; " + params},
		{[]string{"name=a", "size=2"}, "unknown argument size; " + params},
		{[]string{"name"}, `argument "name": want NAME=VALUE; ` + params},
		{[]string{"name=a", "count=many"}, `argument count="many": want an integer`},
		{[]string{"name=a", "force=maybe"}, `argument force="maybe": want a bool (0, 1, false, no, off, on, true, yes)`},
		{[]string{"name=a", "name=b"}, "argument name given twice"},
	} {
		_, err := run("//m.star", tc.args...)
		if err == nil {
			t.Errorf("%v: no error", tc.args)
			continue
		}
		if diff := cmp.Diff(tc.want, err.Error()); diff != "" {
			t.Errorf("%v (-want +got):\n%s", tc.args, diff)
		}
	}
}

var spin = mapFS(map[string]string{"spin.star": "def main():\n    for i in range(1 << 62):\n        pass\n"})

func TestCancelStopsARunawayLoop(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	in := New(Options{Recipes: shipped, Site: fstest.MapFS{}, Root: spin, StepLimit: 1 << 62})
	start := time.Now()
	_, err := in.CallMain(ctx, "//spin.star", nil)
	if err == nil {
		t.Fatal("loop was not stopped")
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("stopping took %s", took)
	}
	if d := cmp.Diff("spin.star:2:5: Starlark computation cancelled: interrupted", PositionText(err)); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

func TestTimeoutAndStepLimitStopARunawayLoop(t *testing.T) {
	in := New(Options{Recipes: shipped, Site: fstest.MapFS{}, Root: spin, StepLimit: 1 << 62, Timeout: 100 * time.Millisecond})
	start := time.Now()
	_, err := in.CallMain(context.Background(), "//spin.star", nil)
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("stopping took %s", took)
	}
	if d := cmp.Diff("spin.star:2:5: Starlark computation cancelled: timeout after 100ms (raise it with --timeout)", PositionText(err)); d != "" {
		t.Errorf("timeout (-want +got):\n%s", d)
	}
	in = New(Options{Recipes: shipped, Site: fstest.MapFS{}, Root: spin, StepLimit: 10000})
	_, err = in.CallMain(context.Background(), "//spin.star", nil)
	if d := cmp.Diff("spin.star:2:5: Starlark computation cancelled: step limit of 10000 reached (raise it with --step-limit)", PositionText(err)); d != "" {
		t.Errorf("step limit (-want +got):\n%s", d)
	}
}

func TestREPLFromAPipe(t *testing.T) {
	script := `x = 20
x + 1
def double(n):
    """Doubles n."""
    return n * 2

double(x)
help(double)
help(json.encode)
[k for k in {"a": 1}]
load("@iocage//greet.star", "greet")
greet("repl")
1 +
undefined
None
`
	var out, errOut bytes.Buffer
	in := New(Options{Recipes: shipped, Site: fstest.MapFS{}, Stdin: strings.NewReader(script), Stdout: &out, Stderr: &errOut})
	err := in.REPL(context.Background(), "")
	if d := cmp.Diff("repl: 2 statement(s) failed", errString(err)); d != "" {
		t.Errorf("result (-want +got):\n%s", d)
	}
	wantOut := `21
40
def double(n)  # <stdin>:1:1

Doubles n.
json.encode(x)

Returns the JSON encoding of x as a string. Dicts must have string keys (emitted sorted); structs encode as objects, lists and tuples as arrays. Fails for values with no JSON form (functions, sets, non-finite floats).
["a"]
"hello repl"
`
	if d := cmp.Diff(wantOut, out.String()); d != "" {
		t.Errorf("stdout (-want +got):\n%s", d)
	}
	wantErr := "error: <stdin>:1:4: got newline, want primary expression\nerror: <stdin>:1:1: undefined: undefined\n"
	if d := cmp.Diff(wantErr, errOut.String()); d != "" {
		t.Errorf("stderr (-want +got):\n%s", d)
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestEveryBuiltinIsDocumented(t *testing.T) {
	docs := allDocs()
	var missing []string
	for name, v := range Predeclared(nil) {
		if _, ok := docs[name]; !ok {
			missing = append(missing, name)
		}
		if m, ok := v.(interface{ AttrNames() []string }); ok && v.Type() == "module" {
			for _, member := range m.AttrNames() {
				if _, ok := docs[name+"."+member]; !ok {
					missing = append(missing, name+"."+member)
				}
			}
		}
	}
	for _, member := range assertModule.AttrNames() {
		if _, ok := docs["assert."+member]; !ok {
			missing = append(missing, "assert."+member)
		}
	}
	if len(missing) > 0 {
		t.Errorf("undocumented: %s", strings.Join(missing, ", "))
	}
	for k, d := range docs {
		if strings.Contains(k, ".") && !strings.HasPrefix(Signature(d), k) {
			t.Errorf("doc of %s does not start with its signature: %q", k, Signature(d))
		}
	}
}

func TestReferenceIsUpToDate(t *testing.T) {
	const file = "../docs/starlark.md"
	got := Markdown()
	if *update {
		if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (generate it with go test ./starlib -run TestReference -update)", err)
	}
	if d := cmp.Diff(string(want), got); d != "" {
		t.Errorf("docs/starlark.md is stale; regenerate with go test ./starlib -run TestReference -update (-file +docstrings):\n%s", d)
	}
}

func TestDocText(t *testing.T) {
	got, err := DocText("json")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(got, "json\n\nJSON encoding and decoding of Starlark values.\n\n  json.decode(x, default=unbound)\n      Parses") {
		t.Errorf("module doc:\n%s", got)
	}
	_, err = DocText("json.nope")
	if d := cmp.Diff("no documentation for json.nope (`iocage doc` lists the modules): does not exist", errString(err)); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	_, err = DocText("encode")
	if d := cmp.Diff("no documentation for encode (did you mean json.encode?): does not exist", errString(err)); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

func TestRunTestsReportsPassesAndFailuresWithPositions(t *testing.T) {
	dir := t.TempDir()
	src := `def test_ok():
    assert.eq(1 + 1, 2)
    assert.contains([1, 2], 2)

def test_eq_fails():
    assert.eq("a", "b")

def helper():
    pass

def test_fails_catches():
    assert.fails(lambda: fail("boom"), "bo+m")
    assert.fails(lambda: None, "x")
`
	file := filepath.Join(dir, "x_test.star")
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	fresh := 0
	sum, err := RunTests(context.Background(), []string{file}, TestOptions{
		Options: Options{Recipes: shipped, Site: fstest.MapFS{}},
		Out:     &out,
		Fresh:   func() (*runtimeHost, error) { fresh++; return nil, nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(TestSummary{Passed: 1, Failed: 2}, sum); d != "" {
		t.Errorf("summary (-want +got):\n%s", d)
	}
	if fresh != 3 {
		t.Errorf("fresh host asked %d times, want once per test (3)", fresh)
	}
	got := regexpDurations.ReplaceAllString(out.String(), "(T)")
	want := "ok   " + file + " test_ok (T)\n" +
		"FAIL " + file + " test_eq_fails (T)\n" +
		"    " + file + ":6:14: assert.eq: got \"a\", want \"b\"\n" +
		"FAIL " + file + " test_fails_catches (T)\n" +
		"    " + file + ":13:17: assert.fails: lambda did not fail (want an error matching \"x\")\n" +
		"1 passed, 2 failed\n"
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("report (-want +got):\n%s", d)
	}
}

// TestShippedRecipeTests runs recipes/*_test.star against the sandbox, as
// `iocage test @iocage` does.
func TestShippedRecipeTests(t *testing.T) {
	files, err := FindTests([]string{"@iocage"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no shipped *_test.star files")
	}
	var out bytes.Buffer
	sum, err := RunTests(context.Background(), files, TestOptions{
		Out:   &out,
		Fresh: func() (*runtimeHost, error) { return sandboxtest.New(t).Host, nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Log(out.String())
	if sum.Failed > 0 || sum.Passed == 0 {
		t.Errorf("shipped recipe tests: %s\n%s", sum.SummaryLine(), out.String())
	}
}

type runtimeHost = runtime.Host

var regexpDurations = regexp.MustCompile(`\(\d[^)]*s\)`)
