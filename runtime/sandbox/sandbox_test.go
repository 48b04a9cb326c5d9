package sandbox_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/iocage/iocage/runtime"
	"github.com/iocage/iocage/runtime/sandbox/sandboxtest"
)

func TestMain(m *testing.M) { sandboxtest.Main(m) }

func TestRealProgramsRunInsideTheRoot(t *testing.T) {
	s := sandboxtest.New(t)
	ctx := context.Background()
	if err := s.Host.WriteFile("/tmp/hello", []byte("hi\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := s.Host.Output(ctx, "/bin/cat", "/tmp/hello")
	if err != nil {
		t.Fatal(err)
	}
	if out != "hi\n" {
		t.Errorf("cat /tmp/hello inside the sandbox = %q, want %q", out, "hi\n")
	}
	_, err = s.Host.Output(ctx, "/bin/cat", "/nonexistent")
	var ee *runtime.ExitError
	if !asExit(err, &ee) || !strings.Contains(ee.Stderr, "No such file") {
		t.Errorf("cat of a missing file: err = %v, want exit error quoting stderr", err)
	}
	if got := s.Host.Count(); got != 3 {
		t.Errorf("host count = %d, want 3 (write, two runs)", got)
	}
}

func asExit(err error, target **runtime.ExitError) bool {
	e, ok := err.(*runtime.ExitError)
	if ok {
		*target = e
	}
	return ok
}

// BenchmarkModelledCommand is the cost of one modelled FreeBSD program as
// iocage runs it, and of one real program inside the root, for comparison.
func BenchmarkModelledCommand(b *testing.B) {
	s := sandboxtest.New(b)
	ctx := context.Background()
	for _, c := range []struct {
		name string
		argv []string
	}{
		{"jls", []string{runtime.Jls, "--libxo", "json"}},
		{"sysctl", []string{runtime.Sysctl, "-n", "kern.hostname"}},
		{"ifconfig", []string{runtime.Ifconfig, "-l"}},
		{"zfs-list", []string{runtime.ZFS, "list", "-H", "-o", "name", s.Pool}},
		{"real-cat", []string{"/bin/cat", "/etc/hosts"}},
	} {
		b.Run(c.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if _, err := s.Host.Output(ctx, c.argv[0], c.argv[1:]...); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// The root's program paths are the installed multi-call binary: the
// models at FreeBSD's paths, and Linux's programs, which run inside the
// root (their host paths mean the sandbox's files, and links such as
// Debian's /etc/alternatives resolve there); a model run from inside the
// root says where it runs instead of acting on the wrong side.
func TestRootProgramsAreOneBinary(t *testing.T) {
	s := sandboxtest.New(t)
	ctx := context.Background()
	bin := s.Path("/.sandbox/iocage-sandbox")
	for _, p := range []string{runtime.ZFS, runtime.Jail, runtime.Jls, runtime.Ifconfig, runtime.Rctl, "/usr/bin/cat"} {
		got, err := filepath.EvalSymlinks(s.Path(p))
		if err != nil || got != bin {
			t.Errorf("%s in the root resolves to %q (%v), want %s", p, got, err, bin)
		}
	}
	if err := s.Host.WriteFile("/tmp/words", []byte("alpha beta\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := s.Host.Output(ctx, "/usr/bin/awk", "{print $2}", "/tmp/words"); err != nil || out != "beta\n" {
		t.Errorf("awk (an /etc/alternatives link) inside the root: %q, %v", out, err)
	}
	_, err := s.Host.Output(ctx, runtime.Sh, "-c", "jls")
	var ee *runtime.ExitError
	if !asExit(err, &ee) || ee.ExitCode != 126 || !strings.Contains(ee.Stderr, "not inside its root") {
		t.Errorf("jls from a shell inside the root: %v, want exit 126 saying where models run", err)
	}
	if out, err := s.Host.Output(ctx, runtime.Jls, "-q", "name"); err != nil || out != "" {
		t.Errorf("jls on an empty host: %q, %v", out, err)
	}
}
