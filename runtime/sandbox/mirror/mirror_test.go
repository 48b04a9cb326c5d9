package mirror

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/iocage/iocage/runtime/sandbox/model"
)

// TestMain serves the helper process Start re-executes (this test binary).
func TestMain(m *testing.M) {
	if len(os.Args) >= 3 && os.Args[1] == model.HelperArg {
		fn, ok := model.Helper(os.Args[2])
		if !ok {
			os.Exit(2)
		}
		os.Exit(fn(os.Args[3:]))
	}
	os.Exit(m.Run())
}

func tree(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	p := filepath.Join(dir, "releases/amd64/amd64/14.3-RELEASE")
	if err := os.MkdirAll(p, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(p, "MANIFEST"), []byte("0123456789abcdef"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func serveTree(t *testing.T, dir string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, ln, dir) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve returned %v after cancel, want nil", err)
		}
	})
	return "http://" + ln.Addr().String()
}

type reply struct {
	Code  int
	Body  string
	Range string
}

func get(t *testing.T, method, url, rng string) reply {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rng != "" {
		req.Header.Set("Range", rng)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	r := reply{Code: resp.StatusCode, Range: resp.Header.Get("Content-Range")}
	if resp.StatusCode < 400 {
		r.Body = string(b)
	}
	return r
}

func TestServe(t *testing.T) {
	base := serveTree(t, tree(t))
	const manifest = "/releases/amd64/amd64/14.3-RELEASE/MANIFEST"
	tests := []struct {
		name, method, path, rng string
		want                    reply
	}{
		{"whole file", "GET", manifest, "", reply{Code: 200, Body: "0123456789abcdef"}},
		{"range resumes a download", "GET", manifest, "bytes=10-", reply{Code: 206, Body: "abcdef", Range: "bytes 10-15/16"}},
		{"head has no body", "HEAD", manifest, "", reply{Code: 200}},
		{"ftp.freebsd.org path", "GET", "/pub/FreeBSD" + manifest, "", reply{Code: 200, Body: "0123456789abcdef"}},
		{"missing file", "GET", "/releases/amd64/amd64/9.3-RELEASE/base.txz", "", reply{Code: 404}},
		{"no writes", "POST", manifest, "", reply{Code: 405}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := get(t, tc.method, base+tc.path, tc.rng)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s %s (-want +got):\n%s", tc.method, tc.path, diff)
			}
		})
	}
}

func TestServeRejectsMissingTree(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if err := Serve(context.Background(), ln, filepath.Join(t.TempDir(), "nope")); err == nil {
		t.Fatal("Serve of a missing tree succeeded")
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func TestDaemon(t *testing.T) {
	sdir := t.TempDir()
	if _, err := Start(sdir, freeAddr(t)); err == nil {
		t.Fatal("Start without a tree succeeded")
	}
	if err := os.MkdirAll(filepath.Join(sdir, TreeDir), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(sdir, TreeDir, "STAMP"), []byte("stamp\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	got, err := Start(sdir, addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = Stop(sdir) })
	if got != addr {
		t.Errorf("Start = %q, want %q", got, addr)
	}
	if r := get(t, "GET", "http://"+addr+"/STAMP", ""); r.Body != "stamp\n" {
		t.Errorf("daemon GET /STAMP = %+v", r)
	}
	if cur, ok := Running(sdir); !ok || cur != addr {
		t.Errorf("Running = %q, %v; want %q, true", cur, ok, addr)
	}
	if again, err := Start(sdir, addr); err != nil || again != addr {
		t.Errorf("second Start on the same address = %q, %v; want the running daemon", again, err)
	}
	if _, err := Start(sdir, freeAddr(t)); err == nil {
		t.Error("Start on another address while running succeeded")
	}
	if err := Stop(sdir); err != nil {
		t.Fatal(err)
	}
	if _, ok := Running(sdir); ok {
		t.Error("Running after Stop")
	}
	if _, err := net.Dial("tcp", addr); err == nil {
		t.Error("daemon still answers after Stop")
	}
	if err := Stop(sdir); err != nil {
		t.Errorf("second Stop: %v", err)
	}
	logb, _ := os.ReadFile(filepath.Join(sdir, logName))
	if !strings.Contains(string(logb), `"/STAMP" 200`) {
		t.Errorf("daemon access log lacks the request for /STAMP:\n%s", logb)
	}
}
