package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/iocage/iocage/runtime/sandbox"
	"github.com/iocage/iocage/runtime/sandbox/sandboxtest"
)

// TestMain serves the sandbox's helper processes and, with
// IOCAGE_TEST_MAIN=1, is the iocage program itself, for tests that need
// several iocage processes at once.
func TestMain(m *testing.M) {
	// First the sandbox's programs (this binary is installed in the test
	// sandbox's root, and they inherit IOCAGE_TEST_MAIN from iocage).
	sandbox.Main()
	if os.Getenv(envTestMain) == "1" {
		main()
	}
	sandboxtest.Main(m)
}

const envTestMain = "IOCAGE_TEST_MAIN"

type result struct {
	Stdout, Stderr string
	Code           int
}

// iocage runs the app in-process on a fresh sandbox host.
func iocage(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	s := sandboxtest.New(t)
	t.Setenv(sandbox.EnvDir, s.Dir)
	return iocageOn(t, stdin, args...)
}

// iocageOn runs the app without resetting the sandbox.
func iocageOn(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	var in io.Reader = strings.NewReader(stdin)
	code := run(context.Background(), append([]string{"iocage"}, args...), in, &out, &errOut)
	return result{out.String(), errOut.String(), code}
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, src := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestRunScriptLoadsRecipeAndSiblingAndRenders(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"jails.star": `load("@iocage//hello.star", "greeting")
load("./data.star", "JAILS")

def main(n = 2, state = "up"):
    return [dict(name = j, state = state, greeting = greeting(j)) for j in JAILS[:n]]
`,
		"data.star": `JAILS = ["web", "database", "mail"]`,
	})
	script := filepath.Join(dir, "jails.star")
	got := iocage(t, "", "run", script, "n=2")
	want := result{Stdout: "NAME      STATE  GREETING\nweb       up     hello web\ndatabase  up     hello database\n"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("table (-want +got):\n%s", d)
	}
	got = iocageOn(t, "", "run", "-H", script, "n=1", "state=down")
	if d := cmp.Diff(result{Stdout: "web\tdown\thello web\n"}, got); d != "" {
		t.Errorf("-H (-want +got):\n%s", d)
	}
	got = iocageOn(t, "", "run", "--json", script, "n=1")
	wantJSON := "[\n  {\n    \"name\": \"web\",\n    \"state\": \"up\",\n    \"greeting\": \"hello web\"\n  }\n]\n"
	if d := cmp.Diff(result{Stdout: wantJSON}, got); d != "" {
		t.Errorf("--json (-want +got):\n%s", d)
	}
	got = iocageOn(t, "def main(x = 1):\n    return x * 2\n", "run", "-", "x=21")
	if d := cmp.Diff(result{Stdout: "42\n"}, got); d != "" {
		t.Errorf("stdin script (-want +got):\n%s", d)
	}
}

func TestRunScriptErrors(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"bad.star":    "def main(count = 1):\n    return helper(count)\n\ndef helper(c):\n    return json.decode(c)\n",
		"a.star":      `load("./b.star", "x")` + "\ndef main(): return x\n",
		"b.star":      `load("./a.star", "main")` + "\nx = 1\n",
		"syntax.star": "def main()\n    return 1\n",
	})
	p := func(n string) string { return filepath.Join(dir, n) }
	for _, tc := range []struct {
		args []string
		want result
	}{
		{[]string{"run", p("bad.star")}, result{Code: 1, Stderr: "iocage: error: " + p("bad.star") + ":5:23: json.decode: for parameter x: got int, want string\n"}},
		{[]string{"run", p("bad.star"), "size=2"}, result{Code: 1, Stderr: "iocage: error: unknown argument size; " + p("bad.star") + " takes main(count=1)\n"}},
		{[]string{"run", p("a.star")}, result{Code: 1, Stderr: "iocage: error: " + p("b.star") + ":1:1: cannot load ./a.star: load cycle: //a.star -> //b.star -> //a.star\n"}},
		{[]string{"run", p("syntax.star")}, result{Code: 1, Stderr: "iocage: error: " + p("syntax.star") + ":2:1: got newline, want ':'\n"}},
		{[]string{"run"}, result{Code: 2, Stderr: "iocage: error: run: missing FILE.star (or - for standard input) (see `iocage run --help`)\n"}},
		{[]string{"run", "--step-limit", "1000", "-", "loop=1"}, result{Code: 1, Stderr: "iocage: error: <stdin>:2:5: Starlark computation cancelled: step limit of 1000 reached (raise it with --step-limit)\n" +
			"hint: the script ran more Starlark steps than --step-limit allows: a runaway loop, or raise the limit\n"}},
	} {
		stdin := "def main(loop = 0):\n    for i in range(1 << 62):\n        pass\n"
		got := iocageOn(t, stdin, tc.args...)
		if d := cmp.Diff(tc.want, got); d != "" {
			t.Errorf("%v (-want +got):\n%s", tc.args, d)
		}
	}
	got := iocageOn(t, "", "--debug", "run", p("bad.star"))
	want := "iocage: error: Traceback (most recent call last):\n" +
		"  " + p("bad.star") + ":2:18: in main\n" +
		"  " + p("bad.star") + ":5:23: in helper\n" +
		"Error in json.decode: json.decode: for parameter x: got int, want string\n"
	if d := cmp.Diff(result{Code: 1, Stderr: want}, got); d != "" {
		t.Errorf("--debug (-want +got):\n%s", d)
	}
}

func TestREPLFromAPipe(t *testing.T) {
	got := iocage(t, "n = 6\nn * 7\nhelp(\"json.indent\")\nstruct(a = 1)\n", "repl")
	want := result{Stdout: "42\njson.indent(str, *, prefix=\"\", indent=\"\\t\")\n\nReturns the JSON string str re-indented. Fails when str is not valid JSON.\nstruct(a = 1)\n"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	got = iocageOn(t, "x = \n1/0\n", "repl")
	want = result{Code: 1, Stderr: "error: <stdin>:1:5: got newline, want primary expression\nerror: <stdin>:1:2: floating-point division by zero\niocage: error: repl: 2 statement(s) failed\n"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("errors (-want +got):\n%s", d)
	}
}

func TestDocCommand(t *testing.T) {
	got := iocageOn(t, "", "doc", "math.sqrt")
	if d := cmp.Diff(result{Stdout: "math.sqrt(x)\n\nReturns the square root of x.\n"}, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	got = iocageOn(t, "", "doc", "zzz")
	if d := cmp.Diff(result{Code: 3, Stderr: "iocage: error: no documentation for zzz (`iocage doc` lists the modules): does not exist\n"}, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

// useSandboxProgram gives `iocage test`, which makes its throwaway hosts
// with iocage-sandbox, the tests' build of it.
func useSandboxProgram(t *testing.T) {
	t.Helper()
	t.Setenv(envSandboxProgram, sandboxtest.Program(t))
}

var durations = regexp.MustCompile(`\(\d[^)]*s\)`)

// guideUUIDs are the UUIDs of jails the guide creates, new each run.
var guideUUIDs = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)

func TestTestCommandReportsAndFails(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"ok_test.star":  "load(\"@iocage//hello.star\", \"main\")\n\ndef test_hello():\n    assert.eq(main(name = \"x\"), \"hello x\")\n",
		"bad_test.star": "def test_wrong():\n    assert.eq(1, 2)\n\ndef test_right():\n    assert.true(True)\n",
		"notatest.star": "fail('not run')\n",
	})
	useSandboxProgram(t)
	got := iocageOn(t, "", "test", dir)
	got.Stdout = durations.ReplaceAllString(got.Stdout, "(T)")
	want := result{Code: 1, Stdout: "FAIL " + dir + "/bad_test.star test_wrong (T)\n" +
		"    " + dir + "/bad_test.star:2:14: assert.eq: got 1, want 2\n" +
		"ok   " + dir + "/bad_test.star test_right (T)\n" +
		"ok   " + dir + "/ok_test.star test_hello (T)\n" +
		"2 passed, 1 failed\n"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	// The whole shipped suite runs in starlib's TestShippedRecipeTests; here
	// one shipped file proves that `iocage test @iocage//...` finds them.
	got = iocageOn(t, "", "test", "@iocage//hello_test.star")
	if !strings.HasSuffix(got.Stdout, " passed, 0 failed\n") || got.Code != 0 {
		t.Errorf("shipped tests: %+v", got)
	}
}

func TestRecipesCommandShowsSiteOverride(t *testing.T) {
	s := sandboxtest.New(t)
	t.Setenv(sandbox.EnvDir, s.Dir)
	writeFiles(t, s.Path("/tmp/site"), map[string]string{
		"hello.star": "def main(**kw):\n    return 'site hello'\n",
		"mine.star":  "def main():\n    return 1\n",
	})
	got := iocageOn(t, "", "recipes", "-H", "--recipes", "/tmp/site")
	lines := strings.Split(got.Stdout, "\n")
	var mine []string
	for _, l := range lines {
		if strings.HasPrefix(l, "hello") || strings.HasPrefix(l, "mine") {
			mine = append(mine, l)
		}
	}
	want := []string{"hello.star\tsite (overrides shipped)\t/tmp/site/hello.star", "hello_test.star\tshipped\t@iocage//hello_test.star", "mine.star\tsite\t/tmp/site/mine.star"}
	if d := cmp.Diff(want, mine); d != "" {
		t.Errorf("(-want +got):\n%s\n%+v", d, got)
	}
	got = iocageOn(t, "load('@iocage//hello.star', 'main')\n", "repl", "--recipes", "/tmp/site")
	got = iocageOn(t, "load('@iocage//hello.star', h = 'main')\nh()\n", "repl", "--recipes", "/tmp/site")
	if d := cmp.Diff(result{Stdout: "\"site hello\"\n"}, got); d != "" {
		t.Errorf("load uses the site copy (-want +got):\n%s", d)
	}
}

// TestRecipesGuide runs every example of docs/recipes.md: each starlark
// block whose first line is "# FILE" is written to a directory, and each
// "$ iocage ..." line of a console block is run there, its output compared
// with the lines under it (test durations read "(T)").
func TestRecipesGuide(t *testing.T) {
	useSandboxProgram(t)
	s := sandboxtest.New(t)
	t.Setenv(sandbox.EnvDir, s.Dir)
	b, err := os.ReadFile("../../docs/recipes.md")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	t.Chdir(dir)
	blocks := regexp.MustCompile("(?s)```(starlark|console)\n(.*?)```").FindAllStringSubmatch(string(b), -1)
	ran := 0
	for _, blk := range blocks {
		kind, body := blk[1], blk[2]
		if kind == "starlark" {
			first, _, _ := strings.Cut(body, "\n")
			name, ok := strings.CutPrefix(first, "# ")
			if !ok {
				t.Fatalf("starlark block without a # FILE line:\n%s", body)
			}
			if strings.HasPrefix(name, "/") { // a file of the host: the sandbox root's
				writeFiles(t, s.Path(filepath.Dir(name)), map[string]string{filepath.Base(name): body})
				continue
			}
			writeFiles(t, dir, map[string]string{name: body})
			continue
		}
		var cmd []string
		var want strings.Builder
		flush := func() {
			if cmd == nil {
				return
			}
			stdin := ""
			if n := len(cmd); n >= 2 && cmd[n-2] == "<" {
				src, err := os.ReadFile(cmd[n-1])
				if err == nil {
					stdin = string(src)
				}
				cmd = cmd[:n-2]
			}
			got := iocageOn(t, stdin, cmd...)
			out := durations.ReplaceAllString(got.Stdout+got.Stderr, "(T)")
			out = guideUUIDs.ReplaceAllString(out, "UUID")
			if d := cmp.Diff(want.String(), out); d != "" {
				t.Errorf("docs/recipes.md: $ iocage %s (-doc +got):\n%s", strings.Join(cmd, " "), d)
			}
			ran++
			cmd = nil
			want.Reset()
		}
		for _, line := range strings.SplitAfter(body, "\n") {
			if c, ok := strings.CutPrefix(line, "$ iocage "); ok {
				flush()
				cmd = strings.Fields(c)
				continue
			}
			want.WriteString(line)
		}
		flush()
	}
	if ran < 8 {
		t.Errorf("ran %d examples; the guide has more", ran)
	}
}
