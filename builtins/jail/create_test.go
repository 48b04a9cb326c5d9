package jail_test

// Tests of create, clone, promote and destroy (recipes driving the jail
// builtins) on the sandbox: dataset shapes per type, golden transcripts of
// what FreeBSD is sent, and fault injection at every step.

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
	"go.starlark.net/starlark"

	"github.com/iocage/iocage/builtins/jail"
	"github.com/iocage/iocage/runtime"
	"github.com/iocage/iocage/runtime/sandbox/mirror"
	"github.com/iocage/iocage/runtime/sandbox/release"
	"github.com/iocage/iocage/runtime/sandbox/sandboxtest"
	"github.com/iocage/iocage/starlib"
)

// crUpdate reports -update (rewrite testdata/*.golden); the flag is
// shared with the other golden tests of the package.
func crUpdate() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite testdata/*.golden")
	}
}

const crRel = "14.3-RELEASE"

var (
	crTreeOnce sync.Once
	crTreeDir  string
	crTreeAddr string
	crTreeErr  error
)

// crReleaseTree builds the synthetic releases once per test binary and
// serves them (with the pkg repository) on 127.0.0.1.
func crReleaseTree(t testing.TB) (dir, addr string) {
	t.Helper()
	crTreeOnce.Do(func() {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			crTreeErr = err
			return
		}
		crTreeAddr = ln.Addr().String()
		crTreeDir, crTreeErr = os.MkdirTemp("", "iocage-create-tree-")
		if crTreeErr != nil {
			return
		}
		if crTreeErr = release.Build(crTreeDir, release.Options{Mirror: crTreeAddr}); crTreeErr != nil {
			return
		}
		go func() { _ = mirror.Serve(context.Background(), ln, crTreeDir) }()
	})
	if crTreeErr != nil {
		t.Fatalf("release tree: %v", crTreeErr)
	}
	return crTreeDir, crTreeAddr
}

// crFetched prepares POOL with the release extracted as fetch leaves it: the release
// dataset and, with base, the basejail base datasets holding a copy of the
// tree. It works on the local paths directly: it is set-up, not iocage.
func crFetched(t testing.TB, s *sandboxtest.Sandbox, base bool) {
	t.Helper()
	dir, _ := crReleaseTree(t)
	ctx := context.Background()
	h := runtime.New(s.Native, runtime.Options{})
	must(t, jail.Activate(ctx, h, s.Pool))
	_, err := jail.Prepare(ctx, h, s.Pool)
	must(t, err)
	if b, err := h.ReadFile("/etc/hostid"); err == nil {
		crHostID = strings.TrimSpace(string(b))
	}
	rds := jail.ReleaseDS(s.Pool, crRel) + "/root"
	must(t, h.Change(ctx, runtime.ZFS, "create", "-p", "-o", "compression=lz4", rds))
	root := h.LocalPath("/iocage/releases/" + crRel + "/root")
	defer func() {
		// fetch keeps the pristine tree as a snapshot of the release.
		must(t, h.Change(ctx, runtime.ZFS, "snapshot", rds+"@"+crRel))
	}()
	txz := filepath.Join(dir, filepath.FromSlash(release.ReleaseDir(crRel)), "base.txz")
	if out, err := exec.Command("tar", "-C", root, "-xJf", txz).CombinedOutput(); err != nil {
		t.Fatalf("extract: %v: %s", err, out)
	}
	if !base {
		return
	}
	for _, fs := range jail.BaseFilesystems {
		must(t, h.Change(ctx, runtime.ZFS, "create", "-p", "-o", "compression=lz4", jail.BaseDS(s.Pool, crRel)+"/"+fs))
	}
	broot := h.LocalPath("/iocage/base/" + crRel + "/root")
	if out, err := exec.Command("cp", "-a", root+"/.", broot+"/").CombinedOutput(); err != nil {
		t.Fatalf("copy base: %v: %s", err, out)
	}
}

// crHostID is the sandbox's /etc/hostid, which every new jail records.
var crHostID string

// crCall runs main of a shipped recipe on h.
func crCall(t testing.TB, h *runtime.Host, recipe string, kw map[string]starlark.Value) (starlark.Value, string, error) {
	t.Helper()
	var stderr bytes.Buffer
	in := starlib.New(starlib.Options{Host: h, Stderr: &stderr, Site: fstest.MapFS{}})
	var kwargs []starlark.Tuple
	keys := make([]string, 0, len(kw))
	for k := range kw {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		kwargs = append(kwargs, starlark.Tuple{starlark.String(k), kw[k]})
	}
	v, err := in.CallMain(context.Background(), "@iocage//"+recipe+".star", kwargs)
	return v, stderr.String(), err
}

func crProps(kv ...string) *starlark.Dict {
	d := starlark.NewDict(len(kv) / 2)
	for i := 0; i+1 < len(kv); i += 2 {
		_ = d.SetKey(starlark.String(kv[i]), starlark.String(kv[i+1]))
	}
	return d
}

// crCreated returns the uuid of the only row create returned.
func crCreated(t testing.TB, v starlark.Value, err error) string {
	t.Helper()
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	l, ok := v.(*starlark.List)
	if !ok || l.Len() != 1 {
		t.Fatalf("create returned %v, want one row", v)
	}
	u, _, _ := l.Index(0).(*starlark.Dict).Get(starlark.String("uuid"))
	return string(u.(starlark.String))
}

// crDatasets lists every dataset and snapshot of the pool.
func crDatasets(t testing.TB, h *runtime.Host, pool string) []string {
	t.Helper()
	out, err := h.Output(context.Background(), runtime.ZFS, "list", "-H", "-o", "name", "-t", "all", "-r", pool)
	must(t, err)
	return strings.Fields(out)
}

// crState is what a failed verb must leave as it found it.
func crState(t testing.TB, h *runtime.Host, pool string) string {
	t.Helper()
	var b strings.Builder
	fmt.Fprintln(&b, strings.Join(crDatasets(t, h, pool), "\n"))
	for _, dir := range []string{"/iocage/tags", jail.FstabDir, "/iocage/log"} {
		ents, _ := h.ReadDir(dir)
		for _, e := range ents {
			if strings.HasSuffix(e.Name(), ".lock") {
				continue // iocage's locks are made once and kept
			}
			fmt.Fprintf(&b, "%s/%s\n", dir, e.Name())
		}
	}
	jls, err := h.Output(context.Background(), runtime.Jls, "-n")
	must(t, err)
	b.WriteString(jls)
	return b.String()
}

// crShape lists the jail's datasets relative to it, with their origins
// reduced to the part after the pool.
func crShape(t testing.TB, h *runtime.Host, pool, uuid string) []string {
	t.Helper()
	ds := jail.JailsDS(pool) + "/" + uuid
	out, err := h.Output(context.Background(), runtime.ZFS, "list", "-H", "-o", "name,origin,readonly,jailed,mountpoint", "-t", "all", "-r", ds)
	must(t, err)
	var rows []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		line = strings.ReplaceAll(line, ds, "DS")
		line = strings.ReplaceAll(line, uuid, "UUID")
		line = strings.ReplaceAll(line, pool+"/", "POOL/")
		rows = append(rows, line)
	}
	return rows
}

var crDateRE = regexp.MustCompile(`\d{4}-\d\d-\d\d[_@]\d\d[-:]\d\d[-:]\d\d`)

// crTranscript renders the recorded events with the volatile parts named.
func crTranscript(ev []runtime.Event, pool, uuid, addr string) string {
	hostid := crHostID
	var b strings.Builder
	for _, e := range ev {
		line := e.Cmd
		if uuid != "" {
			line = strings.ReplaceAll(line, uuid, "UUID")
			line = strings.ReplaceAll(line, uuid[:8], "UUID8")
		}
		line = strings.ReplaceAll(line, pool, "POOL")
		if addr != "" {
			line = strings.ReplaceAll(line, addr, "127.0.0.1:PORT")
		}
		line = crDateRE.ReplaceAllString(line, "DATE")
		if hostid != "" {
			line = strings.ReplaceAll(line, hostid, "HOSTID")
		}
		fmt.Fprintf(&b, "%s  (exit %d)\n", line, e.ExitCode)
	}
	return b.String()
}

func crGolden(t *testing.T, name, got string) {
	t.Helper()
	p := filepath.Join("testdata", name+".golden")
	if crUpdate() {
		must(t, os.MkdirAll("testdata", 0o755))
		must(t, os.WriteFile(p, []byte(got), 0o644))
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run with -update to write it)", err)
	}
	if d := cmp.Diff(string(want), got); d != "" {
		t.Errorf("%s (-want +got):\n%s", p, d)
	}
}

func TestSandboxCreateTypesShapeAndTranscript(t *testing.T) {
	for _, tc := range []struct {
		name  string
		flags map[string]starlark.Value
		base  bool
		shape []string
	}{
		{"standard", nil, false, []string{
			"DS\t-\toff\toff\t/iocage/jails/UUID",
			"DS/data\t-\toff\ton\tnone",
			"DS/root\t-\toff\toff\t/iocage/jails/UUID/root",
		}},
		{"clone", map[string]starlark.Value{"clone": starlark.True}, false, []string{
			"DS\tPOOL/iocage/releases/" + crRel + "@UUID\toff\toff\t/iocage/jails/UUID",
			"DS/data\t-\toff\ton\tnone",
			"DS/root\tPOOL/iocage/releases/" + crRel + "/root@UUID\toff\toff\t/iocage/jails/UUID/root",
		}},
		{"empty", map[string]starlark.Value{"empty": starlark.True}, false, []string{
			"DS\t-\toff\toff\t/iocage/jails/UUID",
			"DS/data\t-\toff\ton\tnone",
			"DS/root\t-\toff\toff\t/iocage/jails/UUID/root",
		}},
		{"basejail", map[string]starlark.Value{"basejail": starlark.True}, true, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := sandboxtest.New(t)
			crFetched(t, s, tc.base)
			kw := map[string]starlark.Value{"props": crProps("tag", "web", "resolver", "nameserver 127.0.0.1")}
			for k, v := range tc.flags {
				kw[k] = v
			}
			s.Host.Record()
			v, _, err := crCall(t, s.Host, "create", kw)
			uuid := crCreated(t, v, err)
			crGolden(t, "create_"+tc.name, crTranscript(s.Host.Events(), s.Pool, uuid, ""))
			got := crShape(t, s.Host, s.Pool, uuid)
			if tc.shape != nil {
				if d := cmp.Diff(tc.shape, got); d != "" {
					t.Errorf("crDatasets (-want +got):\n%s", d)
				}
			} else {
				// The basejail: 15 read-only lz4 clones of the base, a
				// writable usr, the data dataset.
				// 15 clones of the base and a writable usr. That the clones
				// are read-only the transcript shows (-o readonly=on): the
				// sandbox's zfs-fuse mounts them read-write and reports
				// readonly=off (temporary).
				origins := 0
				for _, r := range got {
					if strings.Contains(r, "POOL/iocage/base/"+crRel+"/root/") {
						origins++
					}
				}
				if origins != len(jail.BaseFilesystems) || len(got) != 3+len(jail.BaseFilesystems)+1 {
					t.Errorf("basejail datasets: %d base clones of %d rows:\n%s", origins, len(got), strings.Join(got, "\n"))
				}
				for _, f := range []string{"/etc/rc", "/COPYRIGHT", "/usr/local", "/var/log", "/bin/sh"} {
					if _, err := s.Host.Lstat("/iocage/jails/" + uuid + "/root" + f); err != nil && f != "/COPYRIGHT" {
						t.Errorf("basejail root lacks %s: %v", f, err)
					}
				}
			}
			// No transient snapshot is left: only a clone's origin.
			for _, d := range crDatasets(t, s.Host, s.Pool) {
				if strings.Contains(d, "@") && !strings.HasSuffix(d, "/releases/"+crRel+"/root@"+crRel) && !(tc.name == "clone" && strings.HasSuffix(d, "@"+uuid) && strings.Contains(d, "/releases/")) &&
					!(tc.name == "basejail" && strings.HasSuffix(d, "@"+uuid) && strings.Contains(d, "/base/")) {
					t.Errorf("left-over snapshot %s", d)
				}
			}
			if tc.name == "empty" {
				return
			}
			rc, err := s.Host.ReadFile("/iocage/jails/" + uuid + "/root/etc/rc.conf")
			must(t, err)
			if !strings.HasPrefix(string(rc), `hostname="`+uuid+`"`) || !strings.Contains(string(rc), `cron_flags="$cron_flags -J 15"`) {
				t.Errorf("rc.conf:\n%s", rc)
			}
			resolv, err := s.Host.ReadFile("/iocage/jails/" + uuid + "/root/etc/resolv.conf")
			if err != nil || string(resolv) != "nameserver 127.0.0.1\n" {
				t.Errorf("resolv.conf = %q, %v", resolv, err)
			}
			link, err := s.Host.Readlink("/iocage/tags/web")
			if err != nil || link != "/iocage/jails/"+uuid {
				t.Errorf("tag link -> %q, %v", link, err)
			}
			j, err := jail.List(context.Background(), s.Host, s.Pool)
			must(t, err)
			if len(j) != 1 || j[0].Props["type"] != map[bool]string{true: "basejail", false: "jail"}[tc.base] || j[0].Props["release"] != crRel {
				t.Errorf("jail as listed: %+v", j)
			}
		})
	}
}

// TestSandboxCreateFaults fails each step of create in turn: every failed
// run must leave the host exactly as it was.
func TestSandboxCreateFaults(t *testing.T) {
	for _, tc := range []struct {
		name  string
		flags map[string]starlark.Value
		base  bool
	}{
		{"standard", nil, false},
		{"clone", map[string]starlark.Value{"clone": starlark.True}, false},
		{"basejail", map[string]starlark.Value{"basejail": starlark.True}, true},
		{"empty", map[string]starlark.Value{"empty": starlark.True}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if testing.Short() && (tc.name == "basejail" || tc.name == "empty") {
				// 25 steps of 15 clones each: about a minute on zfs-fuse.
				t.Skip("-short: the fault loop runs for standard and clone only")
			}
			s := sandboxtest.New(t)
			crFetched(t, s, tc.base)
			before := crState(t, s.Host, s.Pool)
			kw := map[string]starlark.Value{"props": crProps("tag", "web", "resolver", "nameserver 127.0.0.1")}
			for k, v := range tc.flags {
				kw[k] = v
			}
			// The basejail makes ~25 changes, each failure costing a full
			// create and undo on zfs-fuse: a sparser sample there.
			step := sandboxtest.FaultStep(2)
			if tc.name == "basejail" {
				step = sandboxtest.FaultStep(3)
			}
			for n := 1; ; n += step {
				if n > 80 {
					t.Fatal("create still failing after 80 injected failures")
				}
				s.Host.InjectFailure(n)
				_, _, err := crCall(t, s.Host, "create", kw)
				s.Host.InjectFailure(0)
				if err == nil {
					if n < 5 {
						t.Errorf("create succeeded at injection %d: too few changes", n)
					}
					t.Logf("%s: %d changes, each failure undone", tc.name, n-1)
					break
				}
				if !errors.Is(err, runtime.ErrInjected) && !strings.Contains(err.Error(), "injected failure") {
					t.Fatalf("injection %d: unexpected error %v", n, err)
				}
				if after := crState(t, s.Host, s.Pool); after != before {
					t.Fatalf("injection %d (%v) left the host changed:\n%s", n, err, cmp.Diff(before, after))
				}
			}
		})
	}
}

func TestSandboxCreateRefusals(t *testing.T) {
	s := sandboxtest.New(t)
	crFetched(t, s, false)
	for _, tc := range []struct {
		kw   map[string]starlark.Value
		want string
	}{
		{map[string]starlark.Value{"props": crProps("release", "14.1-RELEASE")}, "release 14.1-RELEASE is not fetched"},
		{map[string]starlark.Value{"props": crProps("bogus", "1")}, "unknown property"},
		{map[string]starlark.Value{"props": crProps("type", "basejail")}, "read-only"},
		{map[string]starlark.Value{"props": crProps("tag", "ALL")}, "reserved"},
		{map[string]starlark.Value{"clone": starlark.True, "empty": starlark.True}, "choose one of"},
		{map[string]starlark.Value{"props": crProps("pkglist", "/nonexistent")}, "does not exist"},
		{map[string]starlark.Value{"props": crProps("count", "x")}, "want a number"},
		{map[string]starlark.Value{"template": starlark.String("nosuch")}, "not exist"},
	} {
		before := crState(t, s.Host, s.Pool)
		_, _, err := crCall(t, s.Host, "create", tc.kw)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("create %v: %v, want an error with %q", tc.kw, err, tc.want)
		}
		if after := crState(t, s.Host, s.Pool); after != before {
			t.Errorf("refused create %v changed the host:\n%s", tc.kw, cmp.Diff(before, after))
		}
	}
	// A duplicate tag is refused too.
	_, _, err := crCall(t, s.Host, "create", map[string]starlark.Value{"empty": starlark.True, "props": crProps("tag", "a")})
	must(t, err)
	if _, _, err := crCall(t, s.Host, "create", map[string]starlark.Value{"empty": starlark.True, "props": crProps("tag", "a")}); err == nil || !strings.Contains(err.Error(), "already used") {
		t.Errorf("duplicate tag: %v", err)
	}
}

func TestSandboxCreateCountAndPkglist(t *testing.T) {
	s := sandboxtest.New(t)
	crFetched(t, s, false)
	list := "/tmp/pkgs.txt"
	must(t, s.Host.WriteFile(list, []byte("# web\nwebserver\n\ntree\n"), 0o644))

	// Without a resolver pkg cannot work: a clear refusal, nothing left.
	before := crState(t, s.Host, s.Pool)
	_, _, err := crCall(t, s.Host, "create", map[string]starlark.Value{"clone": starlark.True, "props": crProps("pkglist", list)})
	if err == nil || !strings.Contains(err.Error(), "no working resolver") {
		t.Errorf("pkglist without resolver: %v", err)
	}
	if after := crState(t, s.Host, s.Pool); after != before {
		t.Errorf("refused pkglist create changed the host:\n%s", cmp.Diff(before, after))
	}

	v, _, err := crCall(t, s.Host, "create", map[string]starlark.Value{"clone": starlark.True,
		"props": crProps("tag", "w", "count", "2", "pkglist", list, "resolver", "nameserver 127.0.0.1")})
	must(t, err)
	rows := v.(*starlark.List)
	if rows.Len() != 2 {
		t.Fatalf("count=2 made %v", v)
	}
	for i := 0; i < 2; i++ {
		d := rows.Index(i).(*starlark.Dict)
		tag, _, _ := d.Get(starlark.String("tag"))
		if want := fmt.Sprintf("w_%d", i+1); string(tag.(starlark.String)) != want {
			t.Errorf("row %d tag %s, want %s", i, tag, want)
		}
		u, _, _ := d.Get(starlark.String("uuid"))
		root := "/iocage/jails/" + string(u.(starlark.String)) + "/root"
		for _, f := range []string{"/usr/local/sbin/webserver", "/usr/local/bin/hello", "/usr/local/bin/tree"} {
			if _, err := s.Host.Stat(root + f); err != nil {
				t.Errorf("jail %d lacks %s (pkg install with its dependency): %v", i, f, err)
			}
		}
	}
}

func TestSandboxCloneTemplatePromoteDestroy(t *testing.T) {
	s := sandboxtest.New(t)
	crFetched(t, s, false)
	src := crMake1(t, s.Host, "create", map[string]starlark.Value{
		"props": crProps("tag", "tpl", "resolver", "nameserver 127.0.0.1", "notes", "golden")})
	// The template's own rc.conf names it; clones get their UUID there.
	rcp := "/iocage/jails/" + src + "/root/etc/rc.conf"
	rc, err := s.Host.ReadFile(rcp)
	must(t, err)
	must(t, s.Host.WriteFile(rcp, append(rc, []byte("webserver_enable=\"YES\" # "+src+"x\n")...), 0o644))
	_, _, err = crCall(t, s.Host, "set", map[string]starlark.Value{"args": starlark.NewList([]starlark.Value{starlark.String("template=yes"), starlark.String("tpl")})})
	must(t, err)

	// create -t clones the template; its rc.conf is kept, UUIDs replaced.
	s.Host.Record()
	fromTpl := crMake1(t, s.Host, "create", map[string]starlark.Value{"template": starlark.String("tpl"), "props": crProps("tag", "web1")})
	crGolden(t, "create_template", strings.ReplaceAll(crTranscript(s.Host.Events(), s.Pool, fromTpl, ""), src, "TEMPLATE"))
	rc, err = s.Host.ReadFile("/iocage/jails/" + fromTpl + "/root/etc/rc.conf")
	must(t, err)
	if !strings.HasPrefix(string(rc), `hostname="`+fromTpl+`"`) || !strings.Contains(string(rc), "webserver_enable=\"YES\" # "+src+"x") {
		t.Errorf("rc.conf of the template's clone (UUIDs replaced, the rest kept):\n%s", rc)
	}
	if sh := crShape(t, s.Host, s.Pool, fromTpl); !strings.Contains(sh[0], "POOL/iocage/jails/"+src+"@UUID") {
		t.Errorf("template clone crShape: %v", sh)
	}

	// clone -P keeps properties but not what must be unique.
	_, _, err = crCall(t, s.Host, "snapshot", map[string]starlark.Value{"name": starlark.String("tpl@s1")})
	must(t, err)
	cl := crMake1(t, s.Host, "clone", map[string]starlark.Value{"source": starlark.String("tpl@s1"),
		"keep_props": starlark.True, "props": crProps("tag", "web2")})
	js, err := jail.List(context.Background(), s.Host, s.Pool)
	must(t, err)
	byTag := map[string]*jail.Jail{}
	for _, j := range js {
		byTag[j.Tag] = j
	}
	if c := byTag["web2"]; c == nil || c.Props["notes"] != "golden" || c.Props["template"] != "no" || c.Props["host_hostuuid"] != cl {
		t.Errorf("clone -P: %+v", c)
	}
	if _, err := s.Host.Stat("/iocage/jails/" + cl + "/fstab." + cl); err != nil {
		t.Errorf("clone without -F keeps the source's fstab as fstab.UUID: %v", err)
	}
	// A named snapshot that does not exist is an error, not created.
	if _, _, err := crCall(t, s.Host, "clone", map[string]starlark.Value{"source": starlark.String("tpl@nosuch")}); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("clone of a missing snapshot: %v", err)
	}
	for _, d := range crDatasets(t, s.Host, s.Pool) {
		if strings.HasSuffix(d, "@nosuch") {
			t.Errorf("clone crCreated %s", d)
		}
	}

	// destroy names the dependent clones and refuses; -R takes them along.
	_, _, err = crCall(t, s.Host, "destroy", map[string]starlark.Value{"names": starlark.NewList([]starlark.Value{starlark.String("tpl")}), "force": starlark.True})
	if err == nil || !strings.Contains(err.Error(), fromTpl) || !strings.Contains(err.Error(), "-R") {
		t.Errorf("destroy of a template with clones: %v", err)
	}
	// Without -f and without a terminal, destroy refuses to guess.
	_, _, err = crCall(t, s.Host, "destroy", map[string]starlark.Value{"names": starlark.NewList([]starlark.Value{starlark.String("web1")})})
	if err == nil || !strings.Contains(err.Error(), "-f") {
		t.Errorf("destroy without -f off a terminal: %v", err)
	}

	// promote makes web2 independent; then tpl depends on it.
	_, _, err = crCall(t, s.Host, "promote", map[string]starlark.Value{"name": starlark.String("web2")})
	must(t, err)
	if sh := crShape(t, s.Host, s.Pool, cl); strings.Contains(sh[0], "@") {
		t.Errorf("promoted clone still has an origin: %v", sh)
	}
	// A release clone cannot be promoted.
	crMake1(t, s.Host, "create", map[string]starlark.Value{"clone": starlark.True, "props": crProps("tag", "rc")})
	if _, _, err := crCall(t, s.Host, "promote", map[string]starlark.Value{"name": starlark.String("rc")}); err == nil || !strings.Contains(err.Error(), "not of a jail") {
		t.Errorf("promote of a release clone: %v", err)
	}

	// destroy -R -f of web2 takes every jail with it, and every trace.
	s.Host.Record()
	_, _, err = crCall(t, s.Host, "destroy", map[string]starlark.Value{"names": starlark.NewList([]starlark.Value{starlark.String("web2")}),
		"force": starlark.True, "recursive": starlark.True})
	must(t, err)
	_, _, err = crCall(t, s.Host, "destroy", map[string]starlark.Value{"names": starlark.NewList([]starlark.Value{starlark.String("rc")}), "force": starlark.True})
	must(t, err)
	left := crDatasets(t, s.Host, s.Pool)
	for _, d := range left {
		if strings.Contains(d, "/jails/") || (strings.Contains(d, "@") && !strings.HasSuffix(d, "/root@"+crRel)) {
			t.Errorf("left after destroy: %s", d)
		}
	}
	if ents, _ := s.Host.ReadDir("/iocage/tags"); len(ents) != 0 {
		t.Errorf("tag links left: %d", len(ents))
	}
}

// crMake1 runs create (or clone) and returns the new jail's UUID.
func crMake1(t testing.TB, h *runtime.Host, recipe string, kw map[string]starlark.Value) string {
	t.Helper()
	v, _, err := crCall(t, h, recipe, kw)
	return crCreated(t, v, err)
}

func TestSandboxDestroyRunningJail(t *testing.T) {
	s := sandboxtest.New(t)
	crFetched(t, s, false)
	uuid := crMake1(t, s.Host, "create", map[string]starlark.Value{"clone": starlark.True, "props": crProps("tag", "up", "vnet", "off")})
	names := starlark.NewList([]starlark.Value{starlark.String("up")})
	_, _, err := crCall(t, s.Host, "start", map[string]starlark.Value{"names": names})
	must(t, err)
	if _, _, err := crCall(t, s.Host, "destroy", map[string]starlark.Value{"names": names}); err == nil || !strings.Contains(err.Error(), "is running") {
		t.Errorf("destroy of a running jail without -f: %v", err)
	}
	must(t, s.Host.WriteFile("/iocage/log/"+uuid+"-console.log", []byte("log\n"), 0o644))
	_, _, err = crCall(t, s.Host, "destroy", map[string]starlark.Value{"names": names, "force": starlark.True})
	must(t, err)
	if out, err := s.Host.Output(context.Background(), runtime.Jls, "-n"); err != nil || out != "" {
		t.Errorf("jls after destroy -f: %q, %v", out, err)
	}
	for _, p := range []string{"/iocage/log/" + uuid + "-console.log", jail.FstabPath(uuid), "/iocage/tags/up"} {
		if _, err := s.Host.Lstat(p); err == nil {
			t.Errorf("%s left after destroy", p)
		}
	}
	for _, d := range crDatasets(t, s.Host, s.Pool) {
		if strings.Contains(d, uuid) {
			t.Errorf("left after destroy: %s", d)
		}
	}
}

// TestCreateRecipeTests runs recipes/create_test.star on the sandbox (also
// run with every shipped test by starlib's TestShippedRecipeTests).
func TestCreateRecipeTests(t *testing.T) {
	var out bytes.Buffer
	sum, err := starlib.RunTests(context.Background(), []string{"@iocage//create_test.star"}, starlib.TestOptions{
		Options: starlib.Options{Site: fstest.MapFS{}},
		Out:     &out,
		Fresh:   func() (*runtime.Host, error) { return sandboxtest.New(t).Host, nil },
	})
	must(t, err)
	if sum.Failed > 0 || sum.Passed == 0 {
		t.Errorf("%s\n%s", sum.SummaryLine(), out.String())
	}
}
