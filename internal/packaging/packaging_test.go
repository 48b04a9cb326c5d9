package packaging

import (
	"bufio"
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

const (
	root     = "../.."
	portDir  = root + "/ports/sysutils/iocage"
	template = "etc/rc.d/iocage.in"
	// rcScript is where make install and USE_RC_SUBR put the rc.d script,
	// relative to PREFIX; the ports framework adds it to the package, so
	// pkg-plist does not list it.
	rcScript = "etc/rc.d/iocage"
)

// generated are the files make install takes from the tree that a Go test
// elsewhere generates and commits: the man pages and shell completions.
var generated = []string{
	"man/iocage.8",
	"man/iocage-recipes.5",
	"completions/iocage.bash",
	"completions/iocage.fish",
	"completions/_iocage",
}

// TestInstallMatchesPlist installs into a DESTDIR with each make at hand
// (GNU make and bmake: the Makefile must read with both) and compares the
// files with pkg-plist, so that a file added to one and not the other fails.
func TestInstallMatchesPlist(t *testing.T) {
	for _, f := range generated {
		if _, err := os.Stat(filepath.Join(root, f)); err != nil {
			t.Skipf("%s is missing: make install and the port install it, and the change that generates the man pages and completions commits it", f)
		}
	}
	plist := readPlist(t)
	want := []string{rcScript}
	for _, e := range plist {
		if e == rcScript {
			t.Errorf("pkg-plist lists %s, which USE_RC_SUBR adds itself", e)
		}
		// The framework compresses man pages; make install does not.
		if strings.HasPrefix(e, "share/man/") {
			e = strings.TrimSuffix(e, ".gz")
		}
		want = append(want, e)
	}
	slices.Sort(want)

	for _, mk := range makes(t) {
		t.Run(filepath.Base(mk), func(t *testing.T) {
			src := stage(t, false)
			const prefix = "/usr/local"
			got := install(t, mk, src, prefix)
			var names []string
			for name := range got {
				names = append(names, name)
			}
			slices.Sort(names)
			if diff := cmp.Diff(want, names); diff != "" {
				t.Errorf("make install (%s) and pkg-plist disagree (-plist +installed):\n%s", mk, diff)
			}
			for name, mode := range got {
				wantMode := fs.FileMode(0o444)
				if name == "sbin/iocage" || name == rcScript {
					wantMode = 0o555
				}
				if mode != wantMode {
					t.Errorf("%s installed with mode %#o, want %#o", name, mode, wantMode)
				}
			}

			// Without BIN and INSTALLDEPS, install builds first.
			out := runMake(t, mk, src, "-n", "install", "DESTDIR="+t.TempDir(), "PREFIX="+prefix)
			if !strings.Contains(out, "build -o bin/iocage ./cmd/iocage") {
				t.Errorf("make -n install does not build bin/iocage first:\n%s", out)
			}
		})
	}
}

// TestRCScriptPrefix checks the rc.d script make install writes: the
// template's %%PREFIX%% replaced by PREFIX, whatever it is, and valid sh.
func TestRCScriptPrefix(t *testing.T) {
	for _, mk := range makes(t) {
		for _, prefix := range []string{"/usr/local", "/opt/x"} {
			t.Run(filepath.Base(mk)+" "+prefix, func(t *testing.T) {
				src := stage(t, true)
				dest := t.TempDir()
				runMake(t, mk, src, installArgs(dest, prefix)...)
				script := filepath.Join(dest, prefix, rcScript)
				b, err := os.ReadFile(script)
				if err != nil {
					t.Fatal(err)
				}
				s := string(b)
				if strings.Contains(s, "%%") {
					t.Errorf("%s keeps a %%%%...%%%% placeholder:\n%s", script, s)
				}
				calls := strings.Count(s, "/sbin/iocage")
				if calls == 0 || strings.Count(s, prefix+"/sbin/iocage") != calls {
					t.Errorf("%s should call iocage only as %s/sbin/iocage:\n%s", script, prefix, s)
				}
				if out, err := exec.Command("sh", "-n", script).CombinedOutput(); err != nil {
					t.Errorf("sh -n %s: %v\n%s", script, err, out)
				}
			})
		}
	}
}

// TestRCScriptConventions holds the template to rc.subr(8) and the Porter's
// Handbook: the name, the _enable knob defaulting to NO, start and stop as
// functions, run_rc_command last.
func TestRCScriptConventions(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(root, template))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if lines[0] != "#!/bin/sh" {
		t.Errorf("first line %q, want #!/bin/sh", lines[0])
	}
	if last := lines[len(lines)-1]; last != `run_rc_command "$1"` {
		t.Errorf("last line %q, want run_rc_command \"$1\"", last)
	}
	has := map[string]bool{}
	for _, l := range lines {
		has[strings.TrimSpace(l)] = true
	}
	for _, l := range []string{
		"# PROVIDE: iocage",
		"# KEYWORD: shutdown",
		". /etc/rc.subr",
		`name="iocage"`,
		`rcvar="iocage_enable"`,
		"load_rc_config $name",
		`: ${iocage_enable:="NO"}`,
		`start_cmd="iocage_start"`,
		`stop_cmd="iocage_stop"`,
		"iocage_start()",
		"iocage_stop()",
	} {
		if !has[l] {
			t.Errorf("%s has no line %q", template, l)
		}
	}
	if !regexp.MustCompile(`(?m)^# REQUIRE:.* LOGIN( |$)`).Match(b) {
		t.Errorf("%s: REQUIRE should include LOGIN, as ports' rc.d scripts do", template)
	}
	// With command (or iocage_program, which rc.subr turns into command)
	// set, rc.subr would take any running iocage process for the service's
	// daemon and refuse "start" as already running.
	if regexp.MustCompile(`(?m)^\s*(command|iocage_program)=`).Match(b) {
		t.Errorf("%s sets command or iocage_program: iocage is not a daemon", template)
	}
}

// TestPortRCScriptIsTemplate: the port installs files/iocage.in through
// USE_RC_SUBR, make install etc/rc.d/iocage.in; they must be the same.
func TestPortRCScriptIsTemplate(t *testing.T) {
	want, err := os.ReadFile(filepath.Join(root, template))
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(portDir, "files/iocage.in"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(want, got) {
		t.Errorf("ports/sysutils/iocage/files/iocage.in differs from %s; copy it:\n\tcp %s ports/sysutils/iocage/files/iocage.in\n%s",
			template, template, cmp.Diff(string(want), string(got)))
	}
}

// TestPortMakefile checks the port's variables against go.mod and the
// install layout, and that its post-install installs every pkg-plist entry
// the Go framework does not (sbin/iocage, from GO_TARGET).
func TestPortMakefile(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(portDir, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	vars := makeVars(text)
	module, goVersion := readGoMod(t)

	for name, want := range map[string]string{
		"PORTNAME":    "iocage",
		"CATEGORIES":  "sysutils",
		"LICENSE":     "BSD2CLAUSE",
		"USE_GITHUB":  "yes",
		"GH_ACCOUNT":  "iocage",
		"GH_PROJECT":  "iocage",
		"USE_RC_SUBR": "iocage",
		"GO_MODULE":   module,
		"GO_TARGET":   "./cmd/iocage:${PREFIX}/sbin/iocage",
	} {
		if got := vars[name]; got != want {
			t.Errorf("port Makefile: %s=%q, want %q", name, got, want)
		}
	}

	// USES=go:N.NN+,modules: a module build, with a Go at least as new as
	// go.mod asks (go.mk's default Go may be older).
	var goArgs []string
	for _, u := range strings.Fields(vars["USES"]) {
		if name, args, _ := strings.Cut(u, ":"); name == "go" {
			goArgs = strings.Split(args, ",")
		}
	}
	if !slices.Contains(goArgs, "modules") {
		t.Errorf("port Makefile: USES=%q, want go with modules (USES=go:%s+,modules)", vars["USES"], goVersion)
	}
	if !slices.Contains(goArgs, goVersion+"+") {
		t.Errorf("port Makefile: USES=%q, want go:%s+ as go.mod asks for go %s", vars["USES"], goVersion, goVersion)
	}

	comment := vars["COMMENT"]
	if comment == "" || len(comment) > 70 || strings.HasSuffix(comment, ".") ||
		strings.HasPrefix(comment, "A ") || strings.HasPrefix(comment, "An ") {
		t.Errorf("port Makefile: COMMENT=%q: want at most 70 characters, no article first, no final period", comment)
	}

	for _, e := range readPlist(t) {
		if e == "sbin/iocage" {
			continue
		}
		dir, file := path.Split(strings.TrimSuffix(e, ".gz"))
		if !strings.Contains(text, "${STAGEDIR}${PREFIX}/"+e) &&
			!(strings.Contains(text, "${STAGEDIR}${PREFIX}/"+strings.TrimSuffix(dir, "/")) &&
				strings.Contains(text, "/"+file+" ")) {
			t.Errorf("port Makefile does not install pkg-plist's %s", e)
		}
	}
}

func TestPkgDescr(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(portDir, "pkg-descr"))
	if err != nil {
		t.Fatal(err)
	}
	if len(bytes.TrimSpace(b)) == 0 {
		t.Fatal("pkg-descr is empty")
	}
	for i, l := range strings.Split(string(b), "\n") {
		if n := utf8.RuneCountInString(l); n > 80 {
			t.Errorf("pkg-descr:%d: %d columns, at most 80", i+1, n)
		}
		if strings.HasPrefix(l, "WWW:") {
			t.Errorf("pkg-descr:%d: the web site goes in the Makefile's WWW", i+1)
		}
	}
}

// makes lists the make programs found, each once: make, and GNU make or
// bmake under their own names (on FreeBSD make is bmake, gmake GNU make).
func makes(t *testing.T) []string {
	t.Helper()
	var found []string
	seen := map[string]bool{}
	for _, name := range []string{"make", "gmake", "bmake"} {
		p, err := exec.LookPath(name)
		if err != nil {
			continue
		}
		real, err := filepath.EvalSymlinks(p)
		if err != nil || seen[real] {
			continue
		}
		seen[real] = true
		found = append(found, p)
	}
	if len(found) == 0 {
		t.Skip("no make in PATH")
	}
	return found
}

// stage copies what make install reads into a directory of its own, with a
// stand-in binary: the tests check where files go, not what iocage does,
// and so neither build it nor write into the tree. With placeholders,
// missing generated files are stood in for too.
func stage(t *testing.T, placeholders bool) string {
	t.Helper()
	src := t.TempDir()
	for _, f := range append([]string{"Makefile", template}, generated...) {
		b, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			if !placeholders || !slices.Contains(generated, f) {
				t.Fatal(err)
			}
			b = []byte("placeholder for " + f + "\n")
		}
		dst := filepath.Join(src, f)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(src, "iocage.bin"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return src
}

func installArgs(dest, prefix string) []string {
	return []string{"install", "DESTDIR=" + dest, "PREFIX=" + prefix, "BIN=iocage.bin", "INSTALLDEPS="}
}

// install runs make install from src into a fresh DESTDIR and returns the
// files installed, relative to PREFIX, with their permissions. A file
// outside PREFIX, or anything but a file or directory, is an error.
func install(t *testing.T, mk, src, prefix string) map[string]fs.FileMode {
	t.Helper()
	dest := t.TempDir()
	runMake(t, mk, src, installArgs(dest, prefix)...)
	top := filepath.Join(dest, prefix)
	files := map[string]fs.FileMode{}
	err := filepath.WalkDir(dest, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(top, p)
		if err != nil || strings.HasPrefix(rel, "..") {
			t.Errorf("make install wrote %s, outside PREFIX %s", strings.TrimPrefix(p, dest), prefix)
			return nil
		}
		if !info.Mode().IsRegular() {
			t.Errorf("make install made %s, not a regular file (%v)", rel, info.Mode())
		}
		files[filepath.ToSlash(rel)] = info.Mode().Perm()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// runMake runs mk in dir without the MAKEFLAGS of a make running the tests
// (GNU make's would confuse bmake) and returns its output.
func runMake(t *testing.T, mk, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command(mk, args...)
	cmd.Dir = dir
	for _, kv := range os.Environ() {
		switch name, _, _ := strings.Cut(kv, "="); name {
		case "MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES", "GNUMAKEFLAGS", "__MKLVL__":
		default:
			cmd.Env = append(cmd.Env, kv)
		}
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", mk, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// readPlist returns pkg-plist's file entries; @keywords are left out.
func readPlist(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(portDir, "pkg-plist"))
	if err != nil {
		t.Fatal(err)
	}
	var entries []string
	for _, l := range strings.Split(string(b), "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "@") {
			continue
		}
		if strings.Contains(l, "%%") {
			t.Fatalf("pkg-plist: %q: the test does not expand PLIST_SUB", l)
		}
		entries = append(entries, l)
	}
	if len(entries) == 0 {
		t.Fatal("pkg-plist lists nothing")
	}
	return entries
}

// makeVars reads the VAR= (and +=, ?=) assignments of a port Makefile,
// joining continued lines; values have their whitespace collapsed.
func makeVars(text string) map[string]string {
	assign := regexp.MustCompile(`^([A-Z][A-Z0-9_]*)[+?]?=(.*)$`)
	vars := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(text))
	var line string
	for sc.Scan() {
		l := sc.Text()
		if strings.HasSuffix(l, "\\") {
			line += strings.TrimSuffix(l, "\\") + " "
			continue
		}
		line += l
		if m := assign.FindStringSubmatch(line); m != nil {
			vars[m[1]] = strings.Join(append(strings.Fields(vars[m[1]]), strings.Fields(m[2])...), " ")
		}
		line = ""
	}
	return vars
}

// readGoMod returns the module path and the go directive's major.minor.
func readGoMod(t *testing.T) (module, version string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) != 2 {
			continue
		}
		switch f[0] {
		case "module":
			module = f[1]
		case "go":
			parts := strings.Split(f[1], ".")
			if len(parts) >= 2 {
				version = parts[0] + "." + parts[1]
			}
		}
	}
	if module == "" || version == "" {
		t.Fatalf("go.mod: no module path or go directive")
	}
	return module, version
}
