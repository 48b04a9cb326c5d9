// Package sandboxtest gives a test the host it drives: a fresh sandbox host
// with its own ZFS pool on Linux, or on FreeBSD the machine itself.
//
// On Linux it needs root and zfs-fuse; without them the test fails, unless
// IOCAGE_SKIP_SANDBOX=1 says to skip. The sandbox runs the iocage-sandbox
// program, built once per test binary, as its FreeBSD programs.
//
// On FreeBSD, as root, IOCAGE_TEST_POOL names a scratch pool and the tests
// drive the real jail(8), zfs(8) and ifconfig(8) with it; every dataset
// below that pool is destroyed between tests. Tests that look at the
// sandbox's models (Model) or need its synthetic releases skip there.
package sandboxtest

import (
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	goruntime "runtime"
	"sync"
	"testing"

	"github.com/iocage/iocage/runtime"
	"github.com/iocage/iocage/runtime/sandbox"
	"github.com/iocage/iocage/runtime/sandbox/zfscompat"
)

// Sandbox is a test's host.
type Sandbox struct {
	// Host drives the host as iocage does: the root's programs run as
	// processes.
	Host *runtime.Host
	// Native is Host's backend, for tests that make hosts of their own.
	Native *runtime.FreeBSD
	// Backend is the sandbox's own view (models in this process), to
	// reset the host or look at its modelled state; nil on a real host.
	Backend *sandbox.Backend
	Dir     string
	Pool    string
}

// Real reports whether the tests drive a real FreeBSD host.
func (s *Sandbox) Real() bool { return s.Backend == nil }

// Model returns the sandbox's own view for a test that checks the
// modelled state, and skips the test on a real host.
func (s *Sandbox) Model(tb testing.TB) *sandbox.Backend {
	tb.Helper()
	if s.Backend == nil {
		tb.Skip("looks at the sandbox's models: not on a real FreeBSD host")
	}
	return s.Backend
}

// Path is where this process reaches the host path p.
func (s *Sandbox) Path(p string) string { return s.Native.LocalPath(p) }

var faultsAll = flag.Bool("faults-all", false, "fail (or kill) a verb after every one of its host changes, not a sample (make crash)")

// FaultStep is how far apart the changes are at which a fault loop fails
// or kills a verb: every one with -faults-all (make crash), else every
// sample-th, which keeps make test short.
func FaultStep(sample int) int {
	if *faultsAll {
		return 1
	}
	return sample
}

// EnvPool names the scratch pool of the tests on a real FreeBSD host.
const EnvPool = "IOCAGE_TEST_POOL"

// InstallTestBinary makes the sandbox run the test binary itself as its
// FreeBSD programs, for tests that register models or helpers of their
// own (set it in TestMain, before Main). Otherwise the sandbox runs
// iocage-sandbox, the program users install.
var InstallTestBinary bool

var (
	mu     sync.Mutex
	shared = map[string]*Sandbox{}
)

// New returns a sandbox for t. Sandboxes are made once per test binary and
// reset (jails stopped, datasets destroyed, state forgotten) for every test,
// because making a pool costs far more than emptying one.
func New(t testing.TB) *Sandbox {
	t.Helper()
	s := get(t)
	reset := func() error { return s.Backend.Reset() }
	if s.Real() {
		reset = func() error { return resetReal(s) }
	}
	if err := reset(); err != nil {
		t.Fatalf("sandbox reset: %v", err)
	}
	s.Host = runtime.New(s.Native, runtime.Options{})
	s.Host.Record()
	return s
}

func get(t testing.TB) *Sandbox {
	t.Helper()
	if goruntime.GOOS == "freebsd" {
		return getReal(t)
	}
	if os.Getuid() != 0 {
		if os.Getenv("IOCAGE_SKIP_SANDBOX") == "1" {
			t.Skip("sandbox tests need root (IOCAGE_SKIP_SANDBOX=1)")
		}
		t.Fatal("sandbox tests need root and zfs-fuse; run as root, or set IOCAGE_SKIP_SANDBOX=1 to skip them")
	}
	mu.Lock()
	defer mu.Unlock()
	if s, ok := shared[""]; ok {
		return s
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	pool := "ioct" + hex.EncodeToString(b[:])
	dir, err := os.MkdirTemp("/var/tmp", "iocage-sandbox-test-")
	if err != nil {
		t.Fatal(err)
	}
	prog, err := program()
	if err != nil {
		_ = os.RemoveAll(dir)
		t.Fatal(err)
	}
	if _, err := sandbox.Create(dir, sandbox.CreateOptions{Pool: pool, PoolSize: 2 << 30, Program: prog}); err != nil {
		_ = sandbox.Destroy(dir)
		t.Fatalf("sandbox create: %v", err)
	}
	be, err := sandbox.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	native, err := runtime.SandboxHost(dir)
	if err != nil {
		t.Fatal(err)
	}
	os.Setenv(zfscompat.EnvStats, filepath.Join(dir, "stats"))
	s := &Sandbox{Native: &native, Backend: be, Dir: dir, Pool: pool}
	shared[""] = s
	return s
}

var (
	buildOnce sync.Once
	buildDir  string
	built     string
	buildErr  error
)

// Program returns the iocage-sandbox program the tests' sandboxes run,
// built once per test binary.
func Program(tb testing.TB) string {
	tb.Helper()
	p, err := buildProgram()
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// program is what a new sandbox installs: the test binary, or
// iocage-sandbox.
func program() (string, error) {
	if InstallTestBinary {
		return os.Executable()
	}
	return buildProgram()
}

// buildProgram builds iocage-sandbox, static as `make build` makes it (it
// starts for every modelled command), into a directory of root's own.
func buildProgram() (string, error) {
	buildOnce.Do(func() {
		if buildDir, buildErr = os.MkdirTemp("/var/tmp", "iocage-sandbox-program-"); buildErr != nil {
			return
		}
		goTool, err := exec.LookPath("go")
		if err != nil {
			goTool = filepath.Join(goruntime.GOROOT(), "bin", "go")
		}
		built = filepath.Join(buildDir, "iocage-sandbox")
		cmd := exec.Command(goTool, "build", "-o", built, "github.com/iocage/iocage/cmd/iocage-sandbox")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build iocage-sandbox: %v\n%s", err, out)
		}
	})
	return built, buildErr
}

// Main is TestMain for packages that use the sandbox: it serves helper
// processes, runs the tests, and destroys the sandbox afterwards.
func Main(m interface{ Run() int }) {
	sandbox.Main()
	code := m.Run()
	stopRemote()
	mu.Lock()
	for _, s := range shared {
		if s.Real() {
			continue
		}
		if err := sandbox.Destroy(s.Dir); err != nil {
			os.Stderr.WriteString("sandbox destroy: " + err.Error() + "\n")
			if code == 0 {
				code = 1
			}
		}
	}
	mu.Unlock()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}
