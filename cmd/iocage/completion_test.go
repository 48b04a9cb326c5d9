package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/iocage/iocage/builtins/zfs"
	"github.com/iocage/iocage/completions"
	"github.com/iocage/iocage/jailprops"
	"github.com/iocage/iocage/runtime"
	"github.com/iocage/iocage/runtime/sandbox"
	"github.com/iocage/iocage/runtime/sandbox/sandboxtest"
)

// errNoHost is the host of the completion tests that need none: a word
// that asks for a jail fails, and then nothing is offered.
var errNoHost = errors.New("no host in this test")

func completeOffline(words ...string) []string {
	c := &completer{ctx: context.Background(), table: loadTable(nil),
		openHost: func() (*runtime.Host, error) { return nil, errNoHost }}
	return c.complete(words)
}

// The candidates that need no host: verbs, flags, properties, keywords of
// metavariables and the directives that ask for file names.
func TestCompleteFromTheCommandTable(t *testing.T) {
	for _, tc := range []struct {
		words []string
		want  []string
	}{
		{[]string{"sta"}, []string{"start", "status"}},
		{[]string{"--trace", "sn"}, []string{"snaplist", "snapremove", "snapshot"}},
		{[]string{"__"}, nil}, // hidden
		{[]string{"-"}, []string{"--trace", "--dry-run", "--debug", "--recipes", "--version", "--help", "-h"}},
		{[]string{"list", "--"}, []string{"--releases", "--templates", "--basejails", "--long", "--others",
			"--output", "--json", "--trace", "--dry-run", "--debug", "--recipes", "--version", "--help"}},
		{[]string{"clean", "-"}, []string{"--all", "-a", "--releases", "-r", "--jails", "-j", "--force", "-f",
			"--interrupted", "--list", "-n", "-H", "--json", "--trace", "--dry-run", "--debug", "--recipes",
			"--version", "--help", "-h"}},
		{[]string{"bogus", ""}, nil},
		{[]string{"list", "--bogus", ""}, nil},
		// Flag values by metavariable; grouped short flags end in -o.
		{[]string{"list", "-o", "jid,ta"}, []string{"jid,tag"}},
		{[]string{"list", "-Ho", "uuid,vnet0"}, []string{"uuid,vnet0_mac"}},
		{[]string{"list", "--output=st"}, []string{"--output=state", "--output=stop_timeout", "--output=stacksize"}},
		{[]string{"--recipes", ""}, []string{":dir"}},
		{[]string{"create", "--pkglist", "x"}, []string{":file"}},
		{[]string{"repl", "--timeout", ""}, nil},
		// Arguments by metavariable.
		{[]string{"get", "ip4"}, []string{"ip4_addr", "ip4_autostart", "ip4_autoend", "ip4_autosubnet", "ip4_saddrsel", "ip4"}},
		{[]string{"get", "st"}, []string{"stop_timeout", "stacksize", "status"}},
		{[]string{"show", "templ"}, []string{"template"}},
		{[]string{"set", "vnet="}, []string{"vnet=on", "vnet=off"}},
		{[]string{"set", "ip4="}, []string{"ip4=new", "ip4=disable", "ip4=inherit"}},
		{[]string{"set", "boot=of"}, []string{"boot=off"}},
		{[]string{"create", "copies="}, []string{"copies=1", "copies=2", "copies=3"}},
		{[]string{"create", "origin="}, nil}, // read-only
		{[]string{"upgrade", "web", "rel"}, []string{"release="}},
		{[]string{"snapremove", "ALL@"}, []string{"ALL@ALL"}},
		{[]string{"help", "sn"}, []string{"snaplist", "snapremove", "snapshot"}},
		{[]string{"doc", "js"}, []string{"json"}},
		{[]string{"doc", "json.de"}, []string{"json.decode"}},
		{[]string{"completion", ""}, []string{"bash", "zsh", "fish"}},
		{[]string{"man", "iocage-"}, []string{"iocage-recipes.5"}},
		{[]string{"export", "web", ""}, []string{":file", "-"}},
		{[]string{"export", "web", "-"}, []string{"--force", "-f", "--incremental", "-i", "-H", "--json", "--trace", "--dry-run", "--debug",
			"--recipes", "--version", "--help", "-h", "-"}},
		{[]string{"export", "web", "--", "-"}, []string{":file", "-"}}, // after --, no flags
		{[]string{"run", "x.star", "--st"}, []string{"--step-limit"}},
		{[]string{"test", ""}, []string{":file", "@iocage"}},
		{[]string{"exec", "web", "ls", "-"}, nil}, // the command's own
		{[]string{"exec", "web", "--j"}, []string{"--jail-user"}},
		{[]string{"exec", "-u", "root", "web", ""}, nil},
	} {
		got := completeOffline(tc.words...)
		if d := cmp.Diff(tc.want, got); d != "" {
			t.Errorf("iocage %s<TAB> (-want +got):\n%s", strings.Join(tc.words, " "), d)
		}
	}
}

// A word that needs the host gets nothing at all when the host fails,
// not the keywords alone: the shell then offers nothing rather than a
// list that looks complete.
func TestCompleteHostErrorOffersNothing(t *testing.T) {
	for _, words := range [][]string{{"start", ""}, {"get", "all", ""}, {"rollback", "web@"}, {"activate", ""}, {"create", "-t", ""}} {
		if got := completeOffline(words...); got != nil {
			t.Errorf("iocage %s<TAB> without a host = %q, want nothing", strings.Join(words, " "), got)
		}
	}
}

func TestCompletePrintable(t *testing.T) {
	for s, want := range map[string]bool{
		"web": true, "web@ioc-2026-01-01_10:00:00": true, "14.3-RELEASE": true,
		"": false, "a b": false, "a\tb": false, "a\nb": false, "x\x1b[31m": false, "a\u0085b": false,
		"\xff": false, ":file": false,
	} {
		if got := printable(s); got != want {
			t.Errorf("printable(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestCompletionVerbPrintsTheScripts(t *testing.T) {
	t.Setenv("IOCAGE_RECIPES", filepath.Join(t.TempDir(), "none"))
	for _, sh := range completions.Shells {
		file := map[string]string{"bash": "iocage.bash", "zsh": "_iocage", "fish": "iocage.fish"}[sh]
		b, err := os.ReadFile(filepath.Join("..", "..", "completions", file))
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(result{Stdout: string(b)}, iocageOn(t, "", "completion", sh)); d != "" {
			t.Errorf("completion %s (-want +got):\n%s", sh, d)
		}
	}
	r := iocageOn(t, "", "completion", "tcsh")
	want := result{Code: exitUsage, Stderr: "iocage: error: completion: unknown shell \"tcsh\": want bash, zsh, fish (see `iocage completion --help`)\n"}
	if d := cmp.Diff(want, r); d != "" {
		t.Errorf("completion tcsh (-want +got):\n%s", d)
	}
	if r := iocageOn(t, "", "--help"); strings.Contains(r.Stdout, "__complete") || !strings.Contains(r.Stdout, "completion") {
		t.Errorf("--help lists completion and hides __complete:\n%s", r.Stdout)
	}
}

func TestCompletionScriptsSyntax(t *testing.T) {
	for _, tc := range []struct{ shell, file string }{
		{"bash", "iocage.bash"}, {"zsh", "_iocage"}, {"fish", "iocage.fish"},
	} {
		t.Run(tc.shell, func(t *testing.T) {
			path, err := exec.LookPath(tc.shell)
			if err != nil {
				if tc.shell == "bash" {
					t.Fatal(err)
				}
				t.Skipf("%s is not installed", tc.shell)
			}
			out, err := exec.Command(path, "-n", filepath.Join("..", "..", "completions", tc.file)).CombinedOutput()
			if err != nil || len(out) > 0 {
				t.Errorf("%s -n %s: %v\n%s", tc.shell, tc.file, err, out)
			}
		})
	}
}

// completionSandbox is a sandbox with the pool active, the jail web
// (empty) and its snapshot snap1; it returns web's UUID.
func completionSandbox(t *testing.T) (*sandboxtest.Sandbox, string) {
	t.Helper()
	s := sandboxtest.New(t)
	t.Setenv(sandbox.EnvDir, s.Dir)
	t.Setenv("IOCAGE_RECIPES", filepath.Join(t.TempDir(), "none"))
	for _, args := range [][]string{{"activate", s.Pool}, {"create", "-e", "tag=web"}, {"snapshot", "web@snap1"}} {
		if r := iocageOn(t, "", args...); r.Code != 0 {
			t.Fatalf("%s: %+v", strings.Join(args, " "), r)
		}
	}
	r := iocageOn(t, "", "get", "host_hostuuid", "web")
	uuid := strings.TrimSpace(r.Stdout)
	if !jailprops.IsUUID(uuid) {
		t.Fatalf("get host_hostuuid web: %+v", r)
	}
	return s, uuid
}

// bashComplete runs the completion function of completions/iocage.bash in
// bash, for line with the cursor at its end, with `iocage` on PATH being
// this test binary; words are COMP_WORDS as bash splits line (at the
// characters of COMP_WORDBREAKS too). It returns COMPREPLY, and the
// options compopt set.
func bashComplete(t *testing.T, dir, line string, words ...string) (reply []string, opts string) {
	t.Helper()
	script := `source "$SCRIPT" || exit 9
COMP_LINE=$LINE; COMP_POINT=${#LINE}; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
# compopt only works while bash itself completes: record its options.
compopt() { printf '%s ' "$@" >>"$OPTS"; }
_iocage
printf '%s\n' "${COMPREPLY[@]}"`
	bin := t.TempDir()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(self, filepath.Join(bin, "iocage")); err != nil {
		t.Fatal(err)
	}
	scriptFile, err := filepath.Abs(filepath.Join("..", "..", "completions", "iocage.bash"))
	if err != nil {
		t.Fatal(err)
	}
	optsFile := filepath.Join(bin, "opts")
	cmd := exec.Command("bash", append([]string{"--norc", "--noprofile", "-c", script, "bash"}, words...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), envTestMain+"=1", "PATH="+bin+":"+os.Getenv("PATH"),
		"SCRIPT="+scriptFile, "LINE="+line, "OPTS="+optsFile)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil || stderr.Len() > 0 {
		t.Fatalf("bash completing %q: %v\n%s", line, err, stderr.String())
	}
	o, _ := os.ReadFile(optsFile)
	if s := strings.TrimSuffix(string(out), "\n"); s != "" {
		reply = strings.Split(s, "\n")
	}
	return reply, strings.TrimSpace(string(o))
}

// The bash function end to end: bash runs completions/iocage.bash, which
// runs iocage __complete on the sandbox.
func TestCompletionBashFunction(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Fatal(err)
	}
	s, uuid := completionSandbox(t)
	// Tags set behind iocage's back, with zfs(8): one with a blank is
	// dropped, one with a shell metacharacter is quoted.
	var evilUUIDs []string
	for _, tag := range []string{"evil;x", "evil x"} {
		if r := iocageOn(t, "", "create", "-e", "tag=placeholder"); r.Code != 0 {
			t.Fatalf("create: %+v", r)
		}
		u := strings.TrimSpace(iocageOn(t, "", "get", "host_hostuuid", "placeholder").Stdout)
		if err := zfs.Set(context.Background(), s.Host, s.Pool+"/iocage/jails/"+u, map[string]string{jailprops.Prefix + "tag": tag}); err != nil {
			t.Fatal(err)
		}
		evilUUIDs = append(evilUUIDs, u)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "web.stream"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		line     string
		words    []string // COMP_WORDS as bash splits line
		want     []string
		wantOpts string
	}{
		{"iocage sta", []string{"iocage", "sta"}, []string{"start", "status"}, ""},
		{"iocage list --", []string{"iocage", "list", "--"}, []string{"--releases", "--templates", "--basejails", "--long",
			"--others", "--output", "--json", "--trace", "--dry-run", "--debug", "--recipes", "--version", "--help"}, ""},
		{"iocage start w", []string{"iocage", "start", "w"}, []string{"web"}, ""},
		{"iocage start ev", []string{"iocage", "start", "ev"}, []string{`evil\;x`}, ""},
		{"iocage get ip4", []string{"iocage", "get", "ip4"}, []string{"ip4_addr", "ip4_autostart", "ip4_autoend",
			"ip4_autosubnet", "ip4_saddrsel", "ip4"}, ""},
		// Readline replaces what follows the "@" (a COMP_WORDBREAKS
		// character): "snap1" makes the word web@snap1.
		{"iocage rollback web@", []string{"iocage", "rollback", "web", "@"}, []string{"snap1"}, ""},
		{"iocage rollback web@sn", []string{"iocage", "rollback", "web", "@", "sn"}, []string{"snap1"}, ""},
		{"iocage rollback w", []string{"iocage", "rollback", "w"}, []string{"web@"}, "-o nospace"},
		{"iocage set vnet=o", []string{"iocage", "set", "vnet", "=", "o"}, []string{"on", "off"}, ""},
		{"iocage set boot=on we", []string{"iocage", "set", "boot", "=", "on", "we"}, []string{"web"}, ""},
		{"iocage export web ", []string{"iocage", "export", "web", ""}, []string{"-", "web.stream"}, "-o filenames"},
		{"iocage --dry-run export -f web w", []string{"iocage", "--dry-run", "export", "-f", "web", "w"}, []string{"web.stream"}, "-o filenames"},
	} {
		got, opts := bashComplete(t, dir, tc.line, tc.words...)
		if d := cmp.Diff(tc.want, got); d != "" {
			t.Errorf("bash: %s<TAB> (-want +got):\n%s", tc.line, d)
		}
		if opts != tc.wantOpts {
			t.Errorf("bash: %s<TAB>: compopt %q, want %q", tc.line, opts, tc.wantOpts)
		}
	}
	// Every jail by tag and UUID, in the order of their datasets (UUIDs):
	// compared sorted. The jail whose tag has a blank is offered by UUID.
	got, _ := bashComplete(t, dir, "iocage start ", "iocage", "start", "")
	want := append([]string{"web", uuid, `evil\;x`}, evilUUIDs...)
	if d := cmp.Diff(want, got, sorted); d != "" {
		t.Errorf("bash: iocage start <TAB> (-want +got):\n%s", d)
	}
}

// sorted compares lists of jails, which come in the order of their
// datasets (UUIDs).
var sorted = cmpopts.SortSlices(func(a, b string) bool { return a < b })

// A jail name costs the same host commands with one jail as with many
// (completion.go says which three); a snapshot one more.
func TestCompletionHostCommandsDoNotGrowWithJails(t *testing.T) {
	s, _ := completionSandbox(t)
	count := func(words ...string) (int, []string) {
		h := runtime.New(s.Native, runtime.Options{})
		c := &completer{ctx: context.Background(), table: loadTable(nil),
			openHost: func() (*runtime.Host, error) { return h, nil }}
		got := c.complete(words)
		if c.err != nil {
			t.Fatalf("%q: %v", words, c.err)
		}
		return h.Count(), got
	}
	n1, got := count("start", "w")
	if d := cmp.Diff([]string{"web"}, got); d != "" {
		t.Errorf("start w (-want +got):\n%s", d)
	}
	for i := 0; i < 4; i++ {
		if r := iocageOn(t, "", "create", "-e", "tag=more"+string(rune('a'+i))); r.Code != 0 {
			t.Fatalf("create: %+v", r)
		}
	}
	n5, got := count("start", "more")
	if d := cmp.Diff([]string{"morea", "moreb", "morec", "mored"}, got, sorted); d != "" {
		t.Errorf("start more (-want +got):\n%s", d)
	}
	if n1 != 3 || n5 != 3 {
		t.Errorf("host commands of a jail name: %d with one jail, %d with five; want 3 each", n1, n5)
	}
	if n, got := count("rollback", "web@"); n != 4 || !cmp.Equal(got, []string{"web@snap1"}) {
		t.Errorf("rollback web@: %q with %d host commands, want [web@snap1] with 4", got, n)
	}
}
