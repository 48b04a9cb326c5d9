package release

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/iocage/iocage/runtime/sandbox/mirror"
)

// The tree is built once per test binary and served by an in-process
// mirror whose address is baked into the releases, as setup does.
var (
	treeDir    string
	mirrorAddr string
)

func TestMain(m *testing.M) {
	code := func() int {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			panic(err)
		}
		mirrorAddr = ln.Addr().String()
		treeDir, err = os.MkdirTemp("", "release-test-")
		if err != nil {
			panic(err)
		}
		defer os.RemoveAll(treeDir)
		if err := Build(treeDir, Options{Mirror: mirrorAddr}); err != nil {
			os.Stderr.WriteString("release.Build: " + err.Error() + "\n")
			return 1
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- mirror.Serve(ctx, ln, treeDir) }()
		defer func() { cancel(); <-done }()
		return m.Run()
	}()
	os.Exit(code)
}

func sha256File(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func tarList(t *testing.T, p string) []string {
	t.Helper()
	out, err := exec.Command("/usr/bin/tar", "-tJf", p).Output()
	if err != nil {
		t.Fatalf("tar -tJf %s: %v", p, err)
	}
	return strings.Split(strings.TrimSpace(string(out)), "\n")
}

func TestManifestMatchesSets(t *testing.T) {
	for _, r := range Releases {
		rdir := filepath.Join(treeDir, ReleaseDir(r.Name))
		f, err := os.Open(filepath.Join(rdir, "MANIFEST"))
		if err != nil {
			t.Fatal(err)
		}
		var sets []string
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			fields := strings.Split(sc.Text(), "\t")
			if len(fields) != 6 {
				t.Fatalf("%s MANIFEST line %q: %d tab-separated fields, want 6", r.Name, sc.Text(), len(fields))
			}
			sets = append(sets, fields[3])
			if got := sha256File(t, filepath.Join(rdir, fields[0])); got != fields[1] {
				t.Errorf("%s %s: sha256 %s, MANIFEST says %s", r.Name, fields[0], got, fields[1])
			}
			if n := strconv.Itoa(len(tarList(t, filepath.Join(rdir, fields[0])))); n != fields[2] {
				t.Errorf("%s %s: %s entries, MANIFEST says %s", r.Name, fields[0], n, fields[2])
			}
			if fields[5] != "on" || !strings.HasPrefix(fields[4], `"`) {
				t.Errorf("%s MANIFEST line %q: want a quoted description and \"on\"", r.Name, sc.Text())
			}
		}
		f.Close()
		if diff := cmp.Diff([]string{"base", "lib32"}, sets); diff != "" {
			t.Errorf("%s MANIFEST sets (-want +got):\n%s", r.Name, diff)
		}
		// iocage's default ftpdir uses the flat layout.
		if _, err := os.Stat(filepath.Join(treeDir, "releases/amd64", r.Name, "base.txz")); err != nil {
			t.Errorf("flat layout releases/amd64/%s: %v", r.Name, err)
		}
	}
}

func TestBuildIsReproducible(t *testing.T) {
	again := t.TempDir()
	opts := Options{Mirror: mirrorAddr}
	if ok, err := UpToDate(again, opts); err != nil || ok {
		t.Fatalf("UpToDate(empty dir) = %v, %v; want false, nil", ok, err)
	}
	if err := Build(again, opts); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{
		ReleaseDir("14.3-RELEASE") + "/MANIFEST",
		ReleaseDir("14.2-RELEASE") + "/MANIFEST",
		UpdatesDir("14.3-RELEASE") + "/latest",
		PkgDir() + "/INDEX",
		StampFile,
	} {
		a, err := os.ReadFile(filepath.Join(treeDir, p))
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(again, p))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(string(a), string(b)); diff != "" {
			t.Errorf("%s differs between two builds (-first +second):\n%s", p, diff)
		}
	}
	if ok, err := UpToDate(again, opts); err != nil || !ok {
		t.Errorf("UpToDate after Build = %v, %v; want true", ok, err)
	}
	if ok, _ := UpToDate(again, Options{Mirror: "127.0.0.1:1"}); ok {
		t.Error("UpToDate with another mirror address = true; the releases name the old one")
	}
}

func TestOptionsAreValidated(t *testing.T) {
	for _, m := range []string{"localhost", "127.0.0.1:0", "127.0.0.1:99999", "127.0.0.1:80 x", ":8180"} {
		if err := Build(t.TempDir(), Options{Mirror: m}); err == nil {
			t.Errorf("Build with mirror %q succeeded", m)
		}
	}
	if err := Build(t.TempDir(), Options{Busybox: "/nonexistent/busybox"}); err == nil ||
		!strings.Contains(err.Error(), "busybox-static") {
		t.Errorf("Build with a missing busybox: %v, want a hint to install busybox-static", err)
	}
}

func TestBaseContents(t *testing.T) {
	list := tarList(t, filepath.Join(treeDir, ReleaseDir("14.3-RELEASE"), "base.txz"))
	have := map[string]bool{}
	for _, p := range list {
		have[strings.TrimSuffix(p, "/")] = true
	}
	want := []string{
		"./bin/busybox", "./bin/sh", "./bin/ls", "./bin/cat", "./bin/echo", "./bin/mkdir",
		"./bin/rm", "./bin/cp", "./bin/mv", "./bin/ps", "./bin/sleep", "./bin/kill",
		"./bin/hostname", "./bin/date", "./bin/freebsd-version", "./usr/bin/env",
		"./usr/bin/grep", "./usr/bin/sed", "./usr/bin/awk", "./usr/bin/tar", "./usr/bin/fetch",
		"./usr/bin/id", "./usr/bin/true", "./usr/bin/false", "./usr/bin/login", "./usr/bin/su",
		"./usr/bin/uname", "./usr/sbin/sysrc", "./usr/sbin/service", "./usr/sbin/pkg",
		"./usr/sbin/freebsd-update", "./usr/sbin/daemon", "./etc/rc", "./etc/rc.shutdown",
		"./etc/rc.subr", "./etc/rc.conf", "./etc/defaults/rc.conf", "./etc/rc.d/hostname",
		"./etc/rc.d/syslogd", "./etc/rc.d/cron", "./etc/passwd", "./etc/master.passwd",
		"./etc/group", "./etc/shells", "./etc/hosts", "./etc/freebsd-update.conf",
		"./etc/pkg/FreeBSD.conf", "./var/db", "./tmp", "./dev", "./proc", "./root",
		"./usr/local/etc/rc.d",
		// iocage clones or copies these into basejails.
		"./boot", "./lib", "./libexec", "./rescue", "./sbin", "./usr/include", "./usr/lib",
		"./usr/libexec", "./usr/share", "./usr/src", "./usr/libdata", "./usr/lib32",
		"./mnt",
	}
	var missing []string
	for _, p := range want {
		if !have[p] {
			missing = append(missing, p)
		}
	}
	if len(missing) > 0 {
		t.Errorf("base.txz lacks %v", missing)
	}
	var present []string
	for _, p := range []string{"./sbin/ifconfig", "./sbin/route", "./sbin/ip", "./bin/ip", "./usr/bin/ip", "./sbin/mount", "./sbin/sysctl"} {
		if have[p] {
			present = append(present, p)
		}
	}
	if len(present) > 0 {
		t.Errorf("base.txz ships %v, which the sandbox's models must answer", present)
	}
	sorted := sort.StringsAreSorted(list)
	if !sorted || list[0] != "./bin/" {
		t.Errorf("base.txz entries are not in name order starting with ./bin/ (first %q)", list[0])
	}
}
