// Package sandboxtest gives a test a fresh sandbox host with its own ZFS
// pool. It needs root and zfs-fuse; without them the test fails, unless
// IOCAGE_SKIP_SANDBOX=1 says to skip.
package sandboxtest

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"sync"
	"testing"

	"github.com/iocage/iocage/runtime"
	"github.com/iocage/iocage/runtime/sandbox"
)

// Sandbox is a test's host.
type Sandbox struct {
	Host    *runtime.Host
	Backend *sandbox.Backend
	Dir     string
	Pool    string
}

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
	if err := s.Backend.Reset(); err != nil {
		t.Fatalf("sandbox reset: %v", err)
	}
	s.Host = runtime.New(s.Backend, runtime.Options{})
	s.Host.Record()
	return s
}

func get(t testing.TB) *Sandbox {
	t.Helper()
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
	if _, err := sandbox.Create(dir, sandbox.CreateOptions{Pool: pool, PoolSize: 2 << 30}); err != nil {
		_ = sandbox.Destroy(dir)
		t.Fatalf("sandbox create: %v", err)
	}
	be, err := sandbox.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	s := &Sandbox{Backend: be, Dir: dir, Pool: pool}
	shared[""] = s
	return s
}

// Main is TestMain for packages that use the sandbox: it serves helper
// processes, runs the tests, and destroys the sandbox afterwards.
func Main(m interface{ Run() int }) {
	sandbox.Main()
	code := m.Run()
	mu.Lock()
	for _, s := range shared {
		if err := sandbox.Destroy(s.Dir); err != nil {
			os.Stderr.WriteString("sandbox destroy: " + err.Error() + "\n")
			if code == 0 {
				code = 1
			}
		}
	}
	mu.Unlock()
	os.Exit(code)
}
