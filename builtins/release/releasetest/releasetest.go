// Package releasetest gives tests the sandbox's synthetic FreeBSD releases
// without `iocage-sandbox setup`: the mirror tree is built once per test
// binary, served in process on 127.0.0.1, and the test's sandbox is
// pointed at it, so release.mirror(), fetch, freebsd-update and pkg inside
// jails all download from it.
//
// A test package using it has
//
//	func TestMain(m *testing.M) { releasetest.Main(m) }
//
// (which also does what sandboxtest.Main does), and in a test:
//
//	s := sandboxtest.New(t)
//	releasetest.Use(t, s)
//
// Fetch then makes a release ready on the sandbox's pool the way `iocage
// fetch` does, for tests of what comes after it (create, start).
package releasetest

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/iocage/iocage/builtins/release"
	"github.com/iocage/iocage/builtins/thread"
	"github.com/iocage/iocage/runtime"
	"github.com/iocage/iocage/runtime/sandbox"
	"github.com/iocage/iocage/runtime/sandbox/mirror"
	sbrelease "github.com/iocage/iocage/runtime/sandbox/release"
	"github.com/iocage/iocage/runtime/sandbox/sandboxtest"
)

var (
	once     sync.Once
	addr     string
	tree     string
	buildErr error
	stop     context.CancelFunc
	served   chan struct{}
)

// Mirror builds the release tree (once per test binary) and serves it;
// it returns the mirror's host:port.
func Mirror(tb testing.TB) string {
	tb.Helper()
	once.Do(func() {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			buildErr = err
			return
		}
		addr = ln.Addr().String()
		removeStale()
		if tree, err = os.MkdirTemp("", treePrefix+"*"); err != nil {
			buildErr = err
			ln.Close()
			return
		}
		if err := sbrelease.Build(tree, sbrelease.Options{Mirror: addr}); err != nil {
			buildErr = err
			ln.Close()
			return
		}
		var ctx context.Context
		ctx, stop = context.WithCancel(context.Background())
		served = make(chan struct{})
		go func() {
			defer close(served)
			_ = mirror.Serve(ctx, ln, tree)
		}()
	})
	if buildErr != nil {
		tb.Fatalf("releasetest: building the release mirror: %v", buildErr)
	}
	return addr
}

const treePrefix = "iocage-releasetest-"

// removeStale removes trees that test binaries not ending in Main left
// behind; a day-old one belongs to no running test.
func removeStale() {
	old, _ := filepath.Glob(filepath.Join(os.TempDir(), treePrefix+"*"))
	for _, d := range old {
		if fi, err := os.Stat(d); err == nil && time.Since(fi.ModTime()) > 24*time.Hour {
			os.RemoveAll(d)
		}
	}
}

// Tree is the directory the mirror serves (release.ReleaseDir and friends
// name its parts); Mirror must have been called.
func Tree() string { return tree }

// Use points the sandbox at the test mirror and returns its base URL.
func Use(tb testing.TB, s *sandboxtest.Sandbox) string {
	tb.Helper()
	a := Mirror(tb)
	cfg := s.Model(tb).Config() // the synthetic releases are Linux programs
	if cfg.Mirror != a {
		cfg.Mirror = a
		if err := sandbox.WriteConfig(s.Dir, cfg); err != nil {
			tb.Fatal(err)
		}
	}
	s.Native.Mirror = "http://" + a
	return s.Native.Mirror
}

// Options shape Fetch.
type Options struct {
	NoUpdate bool // leave the release at its unpatched level
	NoBase   bool // skip the basejail base (15 datasets: the slow part)
}

// Fetch makes rel ready on pool (activated and prepared: jail.Prepare) as
// `iocage fetch` does: datasets, verified base.txz and lib32.txz from the
// test mirror, extraction, the pristine @REL snapshot, binary updates,
// the basejail base and the fetched mark. It uses the same Go operations
// as the release module's builtins.
func Fetch(tb testing.TB, s *sandboxtest.Sandbox, pool, rel string, o Options) {
	tb.Helper()
	ctx := context.Background()
	h := s.Host
	url := Use(tb, s) + "/" + sbrelease.ReleaseDir(rel)
	man, err := release.FetchManifest(ctx, nil, url)
	if err != nil {
		tb.Fatalf("releasetest.Fetch: %v", err)
	}
	sets, err := release.SelectFiles(man, nil)
	if err != nil {
		tb.Fatalf("releasetest.Fetch: %v", err)
	}
	u := thread.NewUndo(h, nil)
	ds, err := release.Prepare(ctx, h, pool, rel, u)
	if err != nil {
		tb.Fatalf("releasetest.Fetch: %v", err)
	}
	for _, e := range sets {
		dest := ds.Download + "/" + e.File
		if _, err := release.Download(ctx, h, url+"/"+e.File, dest, release.DownloadOptions{SHA256: e.SHA256}); err != nil {
			tb.Fatalf("releasetest.Fetch: %v", err)
		}
		if ds.New {
			if err := release.Extract(ctx, h, dest, ds.Root); err != nil {
				tb.Fatalf("releasetest.Fetch: %v", err)
			}
		}
	}
	if err := snapshotIfNew(ctx, h, ds, rel); err != nil {
		tb.Fatalf("releasetest.Fetch: %v", err)
	}
	if !o.NoUpdate {
		if _, err := release.Update(ctx, h, ds.Root, rel, release.UpdateOptions{}); err != nil {
			tb.Fatalf("releasetest.Fetch: %v", err)
		}
	}
	if !o.NoBase {
		if _, err := release.MakeBase(ctx, h, pool, rel, u); err != nil {
			tb.Fatalf("releasetest.Fetch: %v", err)
		}
	}
	if err := release.MarkFetched(ctx, h, pool, rel, u); err != nil {
		tb.Fatalf("releasetest.Fetch: %v", err)
	}
}

// Main is TestMain for packages that use releasetest: sandboxtest.Main
// plus the removal of the mirror tree.
func Main(m interface{ Run() int }) {
	sandboxtest.Main(runner{m})
}

type runner struct{ m interface{ Run() int } }

func (r runner) Run() int {
	code := r.m.Run()
	if stop != nil {
		stop()
		<-served
	}
	if tree != "" {
		os.RemoveAll(tree)
	}
	return code
}

func snapshotIfNew(ctx context.Context, h *runtime.Host, ds release.Datasets, rel string) error {
	if !ds.New {
		return nil
	}
	return h.Change(ctx, runtime.ZFS, "snapshot", ds.Dataset+"/root@"+rel)
}
