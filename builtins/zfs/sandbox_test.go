package zfs_test

// These tests run the zfs operations against real ZFS (zfs-fuse behind the
// sandbox's OpenZFS command line). They need root; see sandboxtest.

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/iocage/iocage/builtins/zfs"
	"github.com/iocage/iocage/runtime"
	"github.com/iocage/iocage/runtime/sandbox/sandboxtest"
)

func TestMain(m *testing.M) { sandboxtest.Main(m) }

func mustZ(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func writeIn(t *testing.T, h *runtime.Host, ds, file, content string) {
	t.Helper()
	d, err := zfs.Get(context.Background(), h, ds)
	mustZ(t, err)
	mustZ(t, h.WriteFile(d.Props["mountpoint"]+"/"+file, []byte(content), 0o644))
}

func readIn(t *testing.T, h *runtime.Host, ds, file string) string {
	t.Helper()
	d, err := zfs.Get(context.Background(), h, ds)
	mustZ(t, err)
	b, err := h.ReadFile(d.Props["mountpoint"] + "/" + file)
	if err != nil {
		return "<" + err.Error() + ">"
	}
	return string(b)
}

func names(ds []*zfs.Dataset) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.Name)
	}
	return out
}

func TestSandboxListIsOneProcess(t *testing.T) {
	s := sandboxtest.New(t)
	ctx := context.Background()
	root := s.Pool + "/l"
	for _, n := range []string{"a", "b", "c", "c/d"} {
		mustZ(t, zfs.Create(ctx, s.Host, root+"/"+n, true, map[string]string{"org.freebsd.iocage:tag": "t-" + n}))
	}
	before := s.Host.Count()
	ds, err := zfs.List(ctx, s.Host, zfs.ListOptions{Roots: []string{root}, Depth: 1, Types: []string{"filesystem"},
		Props: []string{"org.freebsd.iocage:tag", "compressratio", "org.freebsd.iocage:unset"}})
	mustZ(t, err)
	if n := s.Host.Count() - before; n != 1 {
		t.Errorf("list ran %d host commands, want 1", n)
	}
	if d := cmp.Diff([]string{root, root + "/a", root + "/b", root + "/c"}, names(ds)); d != "" {
		t.Errorf("depth 1 list (-want +got):\n%s", d)
	}
	if tag, _ := ds[1].Value("org.freebsd.iocage:tag"); tag != "t-a" {
		t.Errorf("tag of %s = %q, want t-a", ds[1].Name, tag)
	}
	if _, ok := ds[1].Value("org.freebsd.iocage:unset"); ok {
		t.Error("unset user property reads as set")
	}
	if ds[1].Props["used"] == "" || strings.ContainsAny(ds[1].Props["used"], "KMG") {
		t.Errorf("used = %q, want exact bytes (-p)", ds[1].Props["used"])
	}
	_, err = zfs.List(ctx, s.Host, zfs.ListOptions{Roots: []string{root + "/nope"}})
	if !errors.Is(err, runtime.ErrNotExist) {
		t.Errorf("list of a missing dataset: %v, want ErrNotExist", err)
	}
}

func TestSandboxDestroyRefusesDependentClonesAndPromote(t *testing.T) {
	s := sandboxtest.New(t)
	ctx := context.Background()
	a, b := s.Pool+"/src", s.Pool+"/other/clone"
	mustZ(t, zfs.Create(ctx, s.Host, a, false, map[string]string{"mountpoint": "/iocage/ztest/src"}))
	mustZ(t, zfs.Create(ctx, s.Host, a+"/child", true, nil))
	mustZ(t, zfs.Create(ctx, s.Host, s.Pool+"/other", false, map[string]string{"mountpoint": "/iocage/ztest/other"}))
	writeIn(t, s.Host, a, "f", "v1")
	mustZ(t, zfs.Snapshot(ctx, s.Host, a+"@s", true))
	mustZ(t, zfs.Clone(ctx, s.Host, a+"@s", b, true, map[string]string{"org.freebsd.iocage:tag": "c"}))

	err := zfs.Destroy(ctx, s.Host, a, zfs.DestroyOptions{Recursive: true})
	var de *zfs.DependentError
	if !errors.As(err, &de) {
		t.Fatalf("destroy with a dependent clone: %v, want a DependentError", err)
	}
	if d := cmp.Diff([]string{b}, de.Clones); d != "" {
		t.Errorf("dependents (-want +got):\n%s", d)
	}
	if ok, _ := zfs.Exists(ctx, s.Host, a); !ok {
		t.Fatal("refused destroy destroyed the dataset")
	}

	// Promote moves the snapshot to the clone; the former origin becomes
	// the dependent one.
	mustZ(t, zfs.Promote(ctx, s.Host, b))
	db, err := zfs.Get(ctx, s.Host, b)
	mustZ(t, err)
	if o, ok := db.Value("origin"); ok {
		t.Errorf("promoted clone still has origin %q", o)
	}
	da, err := zfs.Get(ctx, s.Host, a)
	mustZ(t, err)
	if o, _ := da.Value("origin"); o != b+"@s" {
		t.Errorf("origin of the former parent = %q, want %s@s", o, b)
	}
	if got := readIn(t, s.Host, b, "f"); got != "v1" {
		t.Errorf("clone content = %q, want v1", got)
	}

	// Asked to, destroy takes the dependents too.
	mustZ(t, zfs.Destroy(ctx, s.Host, b, zfs.DestroyOptions{Recursive: true, Clones: true}))
	mustZ(t, zfs.Destroy(ctx, s.Host, s.Pool+"/other", zfs.DestroyOptions{Recursive: true}))
	for _, n := range []string{a, b} {
		if ok, err := zfs.Exists(ctx, s.Host, n); ok || err != nil {
			t.Errorf("after destroy -R: exists(%s) = %v, %v", n, ok, err)
		}
	}
}

func TestSandboxRollbackWithLaterSnapshots(t *testing.T) {
	s := sandboxtest.New(t)
	ctx := context.Background()
	fs := s.Pool + "/rb"
	mustZ(t, zfs.Create(ctx, s.Host, fs, false, map[string]string{"mountpoint": "/iocage/ztest/rb"}))
	writeIn(t, s.Host, fs, "f", "one")
	mustZ(t, zfs.Snapshot(ctx, s.Host, fs+"@1", false))
	writeIn(t, s.Host, fs, "f", "two")
	mustZ(t, zfs.Snapshot(ctx, s.Host, fs+"@2", false))
	writeIn(t, s.Host, fs, "f", "three")

	err := zfs.Rollback(ctx, s.Host, fs+"@1", false)
	if err == nil {
		t.Fatal("rollback past a later snapshot without destroy_recent succeeded")
	}
	if !strings.Contains(err.Error(), "more recent") {
		t.Errorf("rollback error %q does not carry zfs's message", err)
	}
	mustZ(t, zfs.Rollback(ctx, s.Host, fs+"@1", true))
	if got := readIn(t, s.Host, fs, "f"); got != "one" {
		t.Errorf("after rollback f = %q, want one", got)
	}
	snaps, err := zfs.List(ctx, s.Host, zfs.ListOptions{Roots: []string{fs}, Depth: 1, Types: []string{"snapshot"}})
	mustZ(t, err)
	if d := cmp.Diff([]string{fs + "@1"}, names(snaps)); d != "" {
		t.Errorf("snapshots after rollback -r (-want +got):\n%s", d)
	}
}

func TestSandboxIncrementalSendReceiveRoundTrip(t *testing.T) {
	s := sandboxtest.New(t)
	ctx := context.Background()
	src, dst := s.Pool+"/send", s.Pool+"/recv"
	mustZ(t, zfs.Create(ctx, s.Host, src, false, map[string]string{"org.freebsd.iocage:tag": "x", "mountpoint": "/iocage/ztest/send"}))
	writeIn(t, s.Host, src, "f", "full")
	mustZ(t, zfs.Snapshot(ctx, s.Host, src+"@1", false))

	// Full stream through a host file.
	f, err := s.Host.Create("/tmp/full.zstream", 0o600)
	mustZ(t, err)
	mustZ(t, zfs.Send(ctx, s.Host, src+"@1", zfs.SendOptions{}, f))
	mustZ(t, f.Close())
	in, err := s.Host.Open("/tmp/full.zstream")
	mustZ(t, err)
	mustZ(t, zfs.Receive(ctx, s.Host, dst, zfs.ReceiveOptions{}, in))
	in.Close()
	mustZ(t, zfs.Set(ctx, s.Host, dst, map[string]string{"mountpoint": "/iocage/ztest/recv"}))
	if got := readIn(t, s.Host, dst, "f"); got != "full" {
		t.Errorf("after full receive f = %q, want full", got)
	}

	// Incremental stream piped between two zfs processes.
	writeIn(t, s.Host, src, "f", "incremental")
	mustZ(t, zfs.Snapshot(ctx, s.Host, src+"@2", false))
	before := s.Host.Count()
	mustZ(t, zfs.Transfer(ctx, s.Host, src+"@2", dst, zfs.SendOptions{Base: "@1"}, zfs.ReceiveOptions{Force: true}))
	if n := s.Host.Count() - before; n != 2 {
		t.Errorf("transfer ran %d host commands, want 2 (send and receive)", n)
	}
	// zfs-fuse keeps serving the pre-receive view of a mounted target
	// until it is mounted again (FreeBSD does not need this).
	mustZ(t, zfs.Unmount(ctx, s.Host, dst, false))
	mustZ(t, zfs.Mount(ctx, s.Host, dst))
	if got := readIn(t, s.Host, dst, "f"); got != "incremental" {
		t.Errorf("after incremental receive f = %q, want incremental", got)
	}
	snaps, err := zfs.List(ctx, s.Host, zfs.ListOptions{Roots: []string{dst}, Depth: 1, Types: []string{"snapshot"}})
	mustZ(t, err)
	if d := cmp.Diff([]string{dst + "@1", dst + "@2"}, names(snaps)); d != "" {
		t.Errorf("received snapshots (-want +got):\n%s", d)
	}

	// A stream whose base the target lacks is refused by the receiver.
	err = zfs.Transfer(ctx, s.Host, src+"@2", dst+"2", zfs.SendOptions{Base: "@1"}, zfs.ReceiveOptions{})
	if d, _ := zfs.Get(ctx, s.Host, dst+"2"); err == nil && d != nil {
		t.Errorf("incremental into a missing target created %s", d.Name)
	}
}

func TestSandboxReplicationStreamKeepsTreeAndProps(t *testing.T) {
	s := sandboxtest.New(t)
	ctx := context.Background()
	src, dst := s.Pool+"/rep", s.Pool+"/rep2"
	mustZ(t, zfs.Create(ctx, s.Host, src+"/root", true, nil))
	mustZ(t, zfs.Set(ctx, s.Host, src, map[string]string{"org.freebsd.iocage:tag": "rep"}))
	mustZ(t, zfs.Snapshot(ctx, s.Host, src+"@r", true))
	mustZ(t, zfs.Transfer(ctx, s.Host, src+"@r", dst, zfs.SendOptions{Replicate: true}, zfs.ReceiveOptions{}))
	ds, err := zfs.List(ctx, s.Host, zfs.ListOptions{Roots: []string{dst}, Recursive: true, Types: []string{"filesystem"}, Props: []string{"org.freebsd.iocage:tag"}})
	mustZ(t, err)
	if d := cmp.Diff([]string{dst, dst + "/root"}, names(ds)); d != "" {
		t.Errorf("replicated tree (-want +got):\n%s", d)
	}
	if tag, _ := ds[0].Value("org.freebsd.iocage:tag"); tag != "rep" {
		t.Errorf("replicated user property tag = %q, want rep", tag)
	}
	// Inherit removes the user property again.
	mustZ(t, zfs.Inherit(ctx, s.Host, dst, "org.freebsd.iocage:tag", false))
	d, err := zfs.Get(ctx, s.Host, dst, "org.freebsd.iocage:tag")
	mustZ(t, err)
	if v, ok := d.Value("org.freebsd.iocage:tag"); ok {
		t.Errorf("after inherit tag = %q, want unset", v)
	}
}

func TestSandboxResumableReceiveRoundTrip(t *testing.T) {
	s := sandboxtest.New(t)
	ctx := context.Background()
	h := s.Host
	src, dst := s.Pool+"/rsrc", s.Pool+"/rdst"
	mustZ(t, zfs.Create(ctx, h, src, false, map[string]string{"mountpoint": "/zrtest/rsrc"}))
	content := strings.Repeat("resumable ", 20000)
	writeIn(t, h, src, "f", content)
	mustZ(t, zfs.Snapshot(ctx, h, src+"@1", false))
	var full bytes.Buffer
	mustZ(t, zfs.Send(ctx, h, src+"@1", zfs.SendOptions{}, &full))

	// Cut short: an error, and a token on the target.
	err := zfs.Receive(ctx, h, dst, zfs.ReceiveOptions{Resumable: true}, bytes.NewReader(full.Bytes()[:full.Len()/2]))
	if err == nil || !strings.Contains(err.Error(), "Partially received snapshot is saved") {
		t.Fatalf("cut resumable receive = %v", err)
	}
	before := h.Count()
	toks, err := zfs.ResumeTokens(ctx, h, s.Pool)
	mustZ(t, err)
	if n := h.Count() - before; n != 1 {
		t.Errorf("ResumeTokens ran %d host commands, want 1", n)
	}
	tok := toks[dst]
	if len(toks) != 1 || tok == "" {
		t.Fatalf("ResumeTokens = %v, want one for %s", toks, dst)
	}
	// A new stream is refused while the partial state stands.
	err = zfs.Receive(ctx, h, dst, zfs.ReceiveOptions{}, bytes.NewReader(full.Bytes()))
	if err == nil || !strings.Contains(err.Error(), "contains partially-complete state") {
		t.Errorf("new stream into partial state = %v", err)
	}
	// Resumed through a pipe between two zfs processes.
	mustZ(t, zfs.Transfer(ctx, h, "", dst, zfs.SendOptions{ResumeToken: tok}, zfs.ReceiveOptions{Resumable: true}))
	toks, err = zfs.ResumeTokens(ctx, h, dst)
	mustZ(t, err)
	if len(toks) != 0 {
		t.Errorf("tokens after the resumed receive: %v", toks)
	}
	mustZ(t, zfs.Set(ctx, h, dst, map[string]string{"mountpoint": "/zrtest/rdst"}))
	if got := readIn(t, h, dst, "f"); got != content {
		t.Errorf("after the resumed receive f holds %d bytes, want the %d sent", len(got), len(content))
	}

	// An incremental cut short, then aborted: the target keeps what it had.
	writeIn(t, h, src, "g", content)
	mustZ(t, zfs.Snapshot(ctx, h, src+"@2", false))
	var inc bytes.Buffer
	mustZ(t, zfs.Send(ctx, h, src+"@2", zfs.SendOptions{Base: "@1"}, &inc))
	err = zfs.Receive(ctx, h, dst, zfs.ReceiveOptions{Resumable: true, Force: true}, bytes.NewReader(inc.Bytes()[:inc.Len()/2]))
	if err == nil {
		t.Fatal("cut incremental accepted")
	}
	toks, err = zfs.ResumeTokens(ctx, h, dst)
	mustZ(t, err)
	if len(toks) != 1 || toks[dst] == "" {
		t.Fatalf("tokens after the cut incremental: %v", toks)
	}
	mustZ(t, zfs.AbortReceive(ctx, h, dst))
	if toks, _ := zfs.ResumeTokens(ctx, h, dst); len(toks) != 0 {
		t.Errorf("tokens after AbortReceive: %v", toks)
	}
	if err := zfs.AbortReceive(ctx, h, dst); err == nil {
		t.Error("AbortReceive without partial state succeeded")
	}
	snaps, err := zfs.List(ctx, h, zfs.ListOptions{Roots: []string{dst}, Depth: 1, Types: []string{"snapshot"}})
	mustZ(t, err)
	if d := cmp.Diff([]string{dst + "@1"}, names(snaps)); d != "" {
		t.Errorf("snapshots after the aborted incremental (-want +got):\n%s", d)
	}
	if _, err := zfs.ResumeTokens(ctx, h, s.Pool+"/nope"); !errors.Is(err, runtime.ErrNotExist) {
		t.Errorf("ResumeTokens of a missing root = %v, want ErrNotExist", err)
	}
}
