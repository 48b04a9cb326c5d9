package release_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.starlark.net/starlark"

	"github.com/iocage/iocage/builtins/jail"
	"github.com/iocage/iocage/builtins/release"
	"github.com/iocage/iocage/builtins/release/releasetest"
	"github.com/iocage/iocage/runtime"
	"github.com/iocage/iocage/runtime/sandbox/mirror"
	sbrelease "github.com/iocage/iocage/runtime/sandbox/release"
	"github.com/iocage/iocage/runtime/sandbox/sandboxtest"
	"github.com/iocage/iocage/starlib"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

func TestMain(m *testing.M) { releasetest.Main(m) }

const rel = "14.3-RELEASE"

// setup gives a fresh sandbox with an active, prepared pool and the test
// mirror.
func setup(t *testing.T) *sandboxtest.Sandbox {
	t.Helper()
	s := sandboxtest.New(t)
	releasetest.Use(t, s)
	ctx := context.Background()
	if err := jail.Activate(ctx, s.Host, s.Pool); err != nil {
		t.Fatal(err)
	}
	if _, err := jail.Prepare(ctx, s.Host, s.Pool); err != nil {
		t.Fatal(err)
	}
	s.Host.Events()
	return s
}

// fetch runs recipes/fetch.star's main with kwargs.
func fetch(t *testing.T, h *runtime.Host, kwargs map[string]starlark.Value) (starlark.Value, error) {
	t.Helper()
	var kw []starlark.Tuple
	for _, k := range sortedKeys(kwargs) {
		kw = append(kw, starlark.Tuple{starlark.String(k), kwargs[k]})
	}
	var out bytes.Buffer
	in := starlib.New(starlib.Options{Host: h, Stdout: &out, Stderr: &out})
	return in.CallMain(context.Background(), starlib.ShippedPrefix+"fetch.star", kw)
}

func sortedKeys(m map[string]starlark.Value) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	for i := range ks {
		for j := i + 1; j < len(ks); j++ {
			if ks[j] < ks[i] {
				ks[i], ks[j] = ks[j], ks[i]
			}
		}
	}
	return ks
}

func rows(t *testing.T, v starlark.Value) []map[string]string {
	t.Helper()
	l, ok := v.(*starlark.List)
	if !ok {
		t.Fatalf("fetch returned %s, want a list", v.Type())
	}
	var out []map[string]string
	for i := 0; i < l.Len(); i++ {
		d := l.Index(i).(*starlark.Dict)
		r := map[string]string{}
		for _, k := range d.Keys() {
			v, _, _ := d.Get(k)
			s, _ := starlark.AsString(v)
			r[string(k.(starlark.String))] = s
		}
		delete(r, "sha256")
		out = append(out, r)
	}
	return out
}

// hostState is what a failed fetch must leave as it found it.
func hostState(t *testing.T, s *sandboxtest.Sandbox) string {
	t.Helper()
	ctx := context.Background()
	var b strings.Builder
	zl, err := s.Host.Output(ctx, runtime.ZFS, "list", "-H", "-o", "name", "-t", "all", "-r", s.Pool)
	if err != nil {
		t.Fatal(err)
	}
	b.WriteString(zl)
	mp, err := s.Host.Output(ctx, runtime.Mount, "-p")
	if err != nil {
		t.Fatal(err)
	}
	b.WriteString(mp)
	for _, d := range []string{"/iocage/tags", jail.FstabDir, "/iocage/download"} {
		ents, _ := s.Host.ReadDir(d)
		for _, e := range ents {
			if strings.HasSuffix(e.Name(), ".lock") {
				continue // iocage's locks are made once and kept
			}
			b.WriteString(d + "/" + e.Name() + "\n")
		}
	}
	return b.String()
}

var (
	portRe = regexp.MustCompile(`127\.0\.0\.1:\d+`)
	dateRe = regexp.MustCompile(`\d{4}-\d\d-\d\d_\d\d:\d\d:\d\d`)
)

func transcript(s *sandboxtest.Sandbox) string {
	var b strings.Builder
	for _, ev := range s.Host.Events() {
		line := strings.ReplaceAll(ev.Cmd, s.Pool, "POOL")
		line = portRe.ReplaceAllString(line, "127.0.0.1:PORT")
		line = dateRe.ReplaceAllString(line, "DATE")
		b.WriteString(line + "\n")
	}
	return b.String()
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	p := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if d := cmp.Diff(string(want), got); d != "" {
		t.Errorf("%s transcript (-want +got):\n%s", name, d)
	}
}

// TestFetchGolden fetches 14.3-RELEASE: the transcript pins the FreeBSD
// command lines, the release is patched to -p1 and the basejail base holds
// the patched tree.
func TestFetchGolden(t *testing.T) {
	s := setup(t)
	v, err := fetch(t, s.Host, map[string]starlark.Value{"release": starlark.String(rel)})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "fetch", transcript(s))
	want := []map[string]string{
		{"release": rel, "file": "base.txz", "download": "fetched", "version": rel + "-p1"},
		{"release": rel, "file": "lib32.txz", "download": "fetched", "version": rel + "-p1"},
	}
	if d := cmp.Diff(want, rows(t, v)); d != "" {
		t.Errorf("rows (-want +got):\n%s", d)
	}
	for _, root := range []string{release.ReleaseRoot(rel), release.BaseRoot(rel)} {
		got, err := release.Version(s.Host, root)
		if err != nil || got != rel+"-p1" {
			t.Errorf("version of %s = %q, %v; want %s-p1", root, got, err, rel)
		}
	}
	// freebsd-version -u of the release itself says the same.
	out, err := s.Host.Output(context.Background(), "/bin/sh", release.ReleaseRoot(rel)+"/bin/freebsd-version", "-u")
	if err != nil || strings.TrimSpace(out) != rel+"-p1" {
		t.Errorf("freebsd-version -u in the release root = %q, %v", out, err)
	}
	infos, err := release.List(context.Background(), s.Host, s.Pool)
	if err != nil {
		t.Fatal(err)
	}
	wantInfo := []release.Info{{Release: rel, Dataset: s.Pool + "/iocage/releases/" + rel, Version: rel + "-p1", Fetched: true, Base: true}}
	if d := cmp.Diff(wantInfo, infos); d != "" {
		t.Errorf("release.List (-want +got):\n%s", d)
	}
	// A pristine snapshot of the unpatched release stays.
	if _, err := s.Host.Output(context.Background(), runtime.ZFS, "list", "-H", "-o", "name", s.Pool+"/iocage/releases/"+rel+"/root@"+rel); err != nil {
		t.Errorf("pristine snapshot: %v", err)
	}
}

// TestRefetchIsSafe fetches twice: the second run downloads nothing,
// extracts nothing over the patched tree (a file added after the first
// fetch survives) and leaves the patch level alone.
func TestRefetchIsSafe(t *testing.T) {
	s := setup(t)
	if _, err := fetch(t, s.Host, map[string]starlark.Value{"release": starlark.String(rel)}); err != nil {
		t.Fatal(err)
	}
	marker := release.ReleaseRoot(rel) + "/root/site-file"
	if err := s.Host.WriteFile(marker, []byte("kept\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s.Host.Events()
	v, err := fetch(t, s.Host, map[string]starlark.Value{"release": starlark.String(rel)})
	if err != nil {
		t.Fatal(err)
	}
	tr := transcript(s)
	for _, bad := range []string{" -xf /iocage/download", "zfs create", "create '/iocage/download"} {
		if strings.Contains(tr, bad) {
			t.Errorf("re-fetch ran %q:\n%s", bad, tr)
		}
	}
	if !strings.Contains(tr, "freebsd-update --not-running-from-cron") {
		t.Errorf("re-fetch did not look for updates:\n%s", tr)
	}
	want := []map[string]string{
		{"release": rel, "file": "base.txz", "download": "kept", "version": rel + "-p1"},
		{"release": rel, "file": "lib32.txz", "download": "kept", "version": rel + "-p1"},
	}
	if d := cmp.Diff(want, rows(t, v)); d != "" {
		t.Errorf("rows (-want +got):\n%s", d)
	}
	if b, err := s.Host.ReadFile(marker); err != nil || string(b) != "kept\n" {
		t.Errorf("file added to the release after fetch: %q, %v", b, err)
	}
}

// TestFetchFaults fails each host change of a fetch in turn: every failed
// fetch leaves the host as it was, and the loop ends with a fetch that
// succeeds.
func TestFetchFaults(t *testing.T) {
	s := setup(t)
	before := hostState(t, s)
	for n := 1; ; n += sandboxtest.FaultStep(2) {
		if n > 200 {
			t.Fatal("fetch still failing after 200 injected failures")
		}
		s.Host.InjectFailure(n)
		_, err := fetch(t, s.Host, map[string]starlark.Value{"release": starlark.String(rel)})
		s.Host.InjectFailure(0)
		if err == nil {
			t.Logf("fetch succeeded with failure %d injected: it makes %d changes", n, n-1)
			break
		}
		if !errors.Is(err, runtime.ErrInjected) && !strings.Contains(err.Error(), "injected failure") {
			t.Fatalf("failure %d: unexpected error: %v", n, err)
		}
		if d := cmp.Diff(before, hostState(t, s)); d != "" {
			t.Fatalf("failure %d (%v) left the host changed (-before +after):\n%s", n, err, d)
		}
	}
}

// corruptMirror serves the test tree with base.txz altered, as a broken
// mirror or a tampered file would be.
func corruptMirror(t *testing.T) string {
	t.Helper()
	h := mirror.Handler(releasetest.Tree())
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/base.txz") {
			b, err := os.ReadFile(filepath.Join(releasetest.Tree(), sbrelease.ReleaseDir(rel), "base.txz"))
			if err != nil {
				http.Error(w, err.Error(), 500)
				return
			}
			b[len(b)/2] ^= 0xff
			w.Write(b)
			return
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestFetchChecksumMismatch fails naming the file and the reason, and
// leaves nothing behind.
func TestFetchChecksumMismatch(t *testing.T) {
	s := setup(t)
	bad := corruptMirror(t)
	before := hostState(t, s)
	_, err := fetch(t, s.Host, map[string]starlark.Value{"release": starlark.String(rel), "mirror": starlark.String(bad)})
	if err == nil {
		t.Fatal("fetch from a mirror with a corrupt base.txz succeeded")
	}
	for _, want := range []string{"base.txz", "sha256 mismatch", "MANIFEST says"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if d := cmp.Diff(before, hostState(t, s)); d != "" {
		t.Errorf("failed fetch left the host changed (-before +after):\n%s", d)
	}
}

// TestFetchRefusesBadInput: unknown releases, files the release lacks and
// unknown options fail before anything is made.
func TestFetchRefusesBadInput(t *testing.T) {
	s := setup(t)
	before := hostState(t, s)
	opts := func(k, v string) starlark.Value {
		d := starlark.NewDict(1)
		_ = d.SetKey(starlark.String(k), starlark.String(v))
		return d
	}
	for _, c := range []struct {
		kw   map[string]starlark.Value
		want string
	}{
		{map[string]starlark.Value{"release": starlark.String("13.9-RELEASE")}, "MANIFEST: server answered 404"},
		{map[string]starlark.Value{"release": starlark.String("14.3-RELEASE-p1")}, "is a patch level"},
		{map[string]starlark.Value{"release": starlark.String("14.3"), "files": starlark.NewList(nil)}, "want a name like 14.3-RELEASE"},
		{map[string]starlark.Value{"release": starlark.String(rel), "files": starlark.NewList([]starlark.Value{starlark.String("base.txz"), starlark.String("src.txz")})}, "the release has no src.txz; its MANIFEST lists base.txz lib32.txz"},
		{map[string]starlark.Value{"release": starlark.String(rel), "options": opts("pool", "x")}, "unknown option pool"},
		{map[string]starlark.Value{"options": opts("release", "14.2-RELEASE"), "release": starlark.String(rel)}, "release given twice"},
		{map[string]starlark.Value{"release": starlark.String(rel), "options": opts("ftpproto", "ftp")}, "ftpproto=ftp: accepted: http, https"},
	} {
		_, err := fetch(t, s.Host, c.kw)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("fetch(%v) = %v, want an error containing %q", c.kw, err, c.want)
		}
	}
	if d := cmp.Diff(before, hostState(t, s)); d != "" {
		t.Errorf("refused fetches changed the host (-before +after):\n%s", d)
	}
}

// TestFetchFTPOptions: the spec's key=value form reaches the same files
// (ftphost with the /pub/FreeBSD layout, release= and ftpfiles=), and
// without freebsd-update when no_update.
func TestFetchFTPOptions(t *testing.T) {
	s := setup(t)
	addr := releasetest.Mirror(t)
	d := starlark.NewDict(3)
	_ = d.SetKey(starlark.String("release"), starlark.String("14.2-RELEASE"))
	_ = d.SetKey(starlark.String("ftphost"), starlark.String(addr))
	_ = d.SetKey(starlark.String("ftpfiles"), starlark.String("base.txz"))
	v, err := fetch(t, s.Host, map[string]starlark.Value{"options": d, "no_update": starlark.True})
	if err != nil {
		t.Fatal(err)
	}
	want := []map[string]string{{"release": "14.2-RELEASE", "file": "base.txz", "download": "fetched", "version": "14.2-RELEASE"}}
	if diff := cmp.Diff(want, rows(t, v)); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	if tr := transcript(s); strings.Contains(tr, "freebsd-update") {
		t.Errorf("no_update ran freebsd-update:\n%s", tr)
	}
}
