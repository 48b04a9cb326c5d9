package release

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"math/rand"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/iocage/iocage/builtins/thread"
	"github.com/iocage/iocage/runtime"
)

const sumA = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

func TestParseManifest(t *testing.T) {
	good := "base.txz\t" + sumA + "\t1234\tbase\t\"Base system (MANDATORY)\"\ton\n" +
		"src.txz\t" + strings.ToUpper(sumA) + "\t9\tsrc\t\"System source tree\"\toff\n\n"
	got, err := ParseManifest([]byte(good))
	if err != nil {
		t.Fatal(err)
	}
	want := []ManifestEntry{
		{File: "base.txz", SHA256: sumA, Count: 1234, Component: "base", Description: "Base system (MANDATORY)", Default: true},
		{File: "src.txz", SHA256: sumA, Count: 9, Component: "src", Description: "System source tree"},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	for _, c := range []struct{ in, want string }{
		{"", "MANIFEST lists no distribution sets"},
		{"base.txz\t" + sumA + "\t1\tbase\t\"x\"\n", "MANIFEST line 1: 5 tab-separated fields, want 6"},
		{"../x.txz\t" + sumA + "\t1\tbase\t\"x\"\ton\n", `file "../x.txz" is not a distribution set name`},
		{"base.txz\tabc\t1\tbase\t\"x\"\ton\n", `base.txz: sha256 "abc" is not 64 hex digits`},
		{"base.txz\t" + sumA + "\tmany\tbase\t\"x\"\ton\n", `entry count "many" is not a number`},
		{"base.txz\t" + sumA + "\t1\tbase\t\"x\"\tyes\n", `default "yes", want on or off`},
		{"base.txz\t" + sumA + "\t1\tbase\t\"x\"\ton\nbase.txz\t" + sumA + "\t1\tbase\t\"x\"\ton\n", "MANIFEST line 2: base.txz listed twice"},
	} {
		if _, err := ParseManifest([]byte(c.in)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ParseManifest(%q) = %v, want %q", c.in, err, c.want)
		}
	}
}

func TestSelectFiles(t *testing.T) {
	m := []ManifestEntry{{File: "base.txz", SHA256: sumA}, {File: "kernel.txz", SHA256: sumA}, {File: "src.txz", SHA256: sumA}}
	names := func(es []ManifestEntry) []string {
		var out []string
		for _, e := range es {
			out = append(out, e.File)
		}
		return out
	}
	// No lib32 on this release: the default leaves it out.
	got, err := SelectFiles(m, nil)
	if err != nil || !cmp.Equal([]string{"base.txz"}, names(got)) {
		t.Errorf("default = %v, %v", names(got), err)
	}
	got, err = SelectFiles(m, []string{"src.txz", "base.txz", "src.txz"})
	if err != nil || !cmp.Equal([]string{"src.txz", "base.txz"}, names(got)) {
		t.Errorf("explicit = %v, %v", names(got), err)
	}
	for _, c := range []struct {
		want []string
		err  string
	}{
		{[]string{"base.txz", "lib32.txz"}, "the release has no lib32.txz; its MANIFEST lists base.txz kernel.txz src.txz"},
		{[]string{"src.txz"}, "files must include base.txz"},
	} {
		if _, err := SelectFiles(m, c.want); err == nil || !strings.Contains(err.Error(), c.err) {
			t.Errorf("SelectFiles(%v) = %v, want %q", c.want, err, c.err)
		}
	}
	if _, err := SelectFiles(m[1:], nil); err == nil || !strings.Contains(err.Error(), "MANIFEST has no base.txz") {
		t.Errorf("release without base: %v", err)
	}
}

func TestReleaseNamesAndURLs(t *testing.T) {
	for _, ok := range []string{"14.3-RELEASE", "15.0-RC1", "15.0-BETA2", "15.0-ALPHA3", "9.3-RELEASE"} {
		if err := CheckRelease(ok); err != nil {
			t.Errorf("CheckRelease(%q) = %v", ok, err)
		}
	}
	for in, want := range map[string]string{
		"14.3-RELEASE-p2": "p2 is a patch level; fetch 14.3-RELEASE",
		"14.3":            "want a name like 14.3-RELEASE",
		"../14.3-RELEASE": "want a name like",
		"14.3-STABLE":     "want a name like",
	} {
		if err := CheckRelease(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("CheckRelease(%q) = %v, want %q", in, err, want)
		}
	}
	u, err := DistURL("https://download.freebsd.org/", "arm64", "aarch64", "14.3-RELEASE")
	if err != nil || u != "https://download.freebsd.org/releases/arm64/aarch64/14.3-RELEASE" {
		t.Errorf("DistURL = %q, %v", u, err)
	}
	for _, bad := range []string{"ftp://ftp.freebsd.org", "download.freebsd.org", "http://x/?a=b", "http://"} {
		if _, err := DistURL(bad, "amd64", "amd64", "14.3-RELEASE"); err == nil {
			t.Errorf("DistURL(%q) accepted", bad)
		}
	}
}

func TestUpdateCmd(t *testing.T) {
	r := "/iocage/releases/14.3-RELEASE/root"
	got := []string{
		UpdateCmd(r, "14.3-RELEASE", r+"/etc/freebsd-update.conf", r+"/var/db/freebsd-update/", "fetch", true).String(),
		UpdateCmd(r, "14.3-RELEASE", r+"/etc/freebsd-update.conf", r+"/var/db/freebsd-update/", "install", true).String(),
		UpdateCmd(r, "14.3-RELEASE", r+"/etc/freebsd-update.conf", r+"/var/db/freebsd-update/", "fetch", false).String(),
		UpgradeCmd(r, "14.2-RELEASE", "14.3-RELEASE", r+"/etc/freebsd-update.conf", r+"/var/db/freebsd-update/", "upgrade").String(),
	}
	want := []string{
		"UNAME_r=14.3-RELEASE PAGER=/bin/cat /usr/sbin/freebsd-update --not-running-from-cron -b " + r + " -f " + r + "/etc/freebsd-update.conf -d " + r + "/var/db/freebsd-update/ fetch",
		"UNAME_r=14.3-RELEASE PAGER=/bin/cat /usr/sbin/freebsd-update -b " + r + " -f " + r + "/etc/freebsd-update.conf -d " + r + "/var/db/freebsd-update/ install",
		// A host older than 10.2 (uname -U < 1002000) has no cron flag.
		"UNAME_r=14.3-RELEASE PAGER=/bin/cat /usr/sbin/freebsd-update -b " + r + " -f " + r + "/etc/freebsd-update.conf -d " + r + "/var/db/freebsd-update/ fetch",
		"UNAME_r=14.2-RELEASE PAGER=/bin/cat /usr/sbin/freebsd-update -b " + r + " -f " + r + "/etc/freebsd-update.conf -d " + r + "/var/db/freebsd-update/ -r 14.3-RELEASE upgrade",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

// flaky serves body; the first request is cut off after cut bytes, as a
// dropped connection would be. It records the Range header of every
// request.
type flaky struct {
	body []byte
	cut  int
	mu   sync.Mutex
	seen []string
}

func (f *flaky) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	first := len(f.seen) == 0
	f.seen = append(f.seen, r.Header.Get("Range"))
	f.mu.Unlock()
	if first && f.cut > 0 {
		w.Header().Set("Content-Length", strconv.Itoa(len(f.body)))
		w.WriteHeader(http.StatusOK)
		w.Write(f.body[:f.cut])
		w.(http.Flusher).Flush()
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
		return
	}
	http.ServeContent(w, r, "f.txz", time.Time{}, bytes.NewReader(f.body))
}

func randomBody(n int) ([]byte, string) {
	b := make([]byte, n)
	rand.New(rand.NewSource(1)).Read(b)
	s := sha256.Sum256(b)
	return b, hex.EncodeToString(s[:])
}

// localHost is a host whose paths are this machine's (file operations
// only: nothing is run).
func localHost() *runtime.Host { return runtime.New(runtime.FreeBSD{}, runtime.Options{}) }

// TestDownloadResumesACutTransfer: a connection dropped half-way is
// continued with a Range request, and the result is verified.
func TestDownloadResumesACutTransfer(t *testing.T) {
	body, sum := randomBody(300 << 10)
	f := &flaky{body: body, cut: 100 << 10}
	srv := httptest.NewServer(f)
	defer srv.Close()
	dest := filepath.Join(t.TempDir(), "base.txz")
	h := localHost()
	u := thread.NewUndo(h, nil)
	d, err := Download(context.Background(), h, srv.URL+"/base.txz", dest, DownloadOptions{SHA256: sum, Undo: u})
	if err != nil {
		t.Fatal(err)
	}
	if d.SHA256 != sum || d.Size != int64(len(body)) || !d.Fetched || !d.Resumed {
		t.Errorf("Downloaded = %+v", d)
	}
	if d := cmp.Diff([]string{"", "bytes=102400-"}, f.seen); d != "" {
		t.Errorf("Range headers (-want +got):\n%s", d)
	}
	if _, err := os.Stat(dest + ".part"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("dest.part left behind: %v", err)
	}
	// Already there with the right sum: kept, no request.
	d, err = Download(context.Background(), localHost(), srv.URL+"/base.txz", dest, DownloadOptions{SHA256: sum})
	if err != nil || d.Fetched || len(f.seen) != 2 {
		t.Errorf("second download: %+v, %v, %d requests", d, err, len(f.seen))
	}
	// The undo removes the file the first download made.
	if err := u.Rollback(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dest); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("undo left %s: %v", dest, err)
	}
}

// TestDownloadContinuesAnEarlierPart: a dest.part left by an interrupted
// run is continued, not started over; a part that turns out corrupt is
// thrown away and the file downloaded whole once more.
func TestDownloadContinuesAnEarlierPart(t *testing.T) {
	body, sum := randomBody(64 << 10)
	f := &flaky{body: body}
	srv := httptest.NewServer(f)
	defer srv.Close()
	dir := t.TempDir()
	dest := filepath.Join(dir, "lib32.txz")
	if err := os.WriteFile(dest+".part", body[:1000], 0o644); err != nil {
		t.Fatal(err)
	}
	d, err := Download(context.Background(), localHost(), srv.URL+"/lib32.txz", dest, DownloadOptions{SHA256: sum})
	if err != nil || !d.Resumed {
		t.Fatalf("Download = %+v, %v", d, err)
	}
	if !cmp.Equal([]string{"bytes=1000-"}, f.seen) {
		t.Errorf("Range headers = %q", f.seen)
	}
	f.seen = nil
	os.Remove(dest)
	bad := append([]byte("garbage!"), body[8:1000]...)
	if err := os.WriteFile(dest+".part", bad, 0o644); err != nil {
		t.Fatal(err)
	}
	d, err = Download(context.Background(), localHost(), srv.URL+"/lib32.txz", dest, DownloadOptions{SHA256: sum})
	if err != nil || d.Resumed || d.SHA256 != sum {
		t.Fatalf("Download after a corrupt part = %+v, %v", d, err)
	}
	if !cmp.Equal([]string{"bytes=1000-", ""}, f.seen) {
		t.Errorf("Range headers = %q", f.seen)
	}
}

// TestDownloadErrorsNameURLAndReason.
func TestDownloadErrorsNameURLAndReason(t *testing.T) {
	body, _ := randomBody(1000)
	srv := httptest.NewServer(&flaky{body: body})
	defer srv.Close()
	dest := filepath.Join(t.TempDir(), "base.txz")
	_, err := Download(context.Background(), localHost(), srv.URL+"/base.txz", dest, DownloadOptions{SHA256: sumA})
	if err == nil || !errors.Is(err, ErrChecksum) || !strings.Contains(err.Error(), srv.URL+"/base.txz") || !strings.Contains(err.Error(), "the MANIFEST says "+sumA) {
		t.Errorf("mismatch error = %v", err)
	}
	for _, p := range []string{dest, dest + ".part"} {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s left after a mismatch: %v", p, err)
		}
	}
	missing := httptest.NewServer(http.NotFoundHandler())
	defer missing.Close()
	_, err = Download(context.Background(), localHost(), missing.URL+"/x.txz", dest, DownloadOptions{})
	if err == nil || err.Error() != "download "+missing.URL+"/x.txz: server answered 404 Not Found" {
		t.Errorf("404 error = %v", err)
	}
	if _, err := Download(context.Background(), localHost(), "ftp://host/x", dest, DownloadOptions{}); err == nil || !strings.Contains(err.Error(), "want an http:// or https:// URL") {
		t.Errorf("ftp URL error = %v", err)
	}
	if _, err := FetchManifest(context.Background(), nil, missing.URL+"/releases/amd64/amd64/13.9-RELEASE"); err == nil ||
		!strings.Contains(err.Error(), "manifest "+missing.URL+"/releases/amd64/amd64/13.9-RELEASE/MANIFEST: server answered 404 Not Found (no such release on this mirror?)") {
		t.Errorf("manifest 404 error = %v", err)
	}
}

func TestCompare(t *testing.T) {
	// Each is older than the next.
	order := []string{"13.5-RELEASE", "14.2-RELEASE", "14.2-RELEASE-p3", "14.2-RELEASE-p10", "14.3-ALPHA2", "14.3-BETA1",
		"14.3-RC1", "14.3-RC2", "14.3-RELEASE", "14.3-RELEASE-p1", "15.0-RELEASE"}
	for i := range order {
		for j := range order {
			want := 0
			switch {
			case i < j:
				want = -1
			case i > j:
				want = 1
			}
			got, err := Compare(order[i], order[j])
			if err != nil || got != want {
				t.Errorf("Compare(%s, %s) = %d, %v; want %d", order[i], order[j], got, err, want)
			}
		}
	}
	for _, bad := range []string{"14.3", "14.3-STABLE", "14.3-RELEASE-px", ""} {
		if _, err := Compare(bad, "14.3-RELEASE"); err == nil || !strings.Contains(err.Error(), "want a name like") {
			t.Errorf("Compare(%q) = %v, want a refusal", bad, err)
		}
	}
	if got := ReleaseOf("14.3-RELEASE-p2"); got != "14.3-RELEASE" {
		t.Errorf("ReleaseOf = %q", got)
	}
}

// TestMergeEtc pins etcupdate's command lines for a base with sources,
// and judges by etcupdate's status: conflicts fail the merge. Without
// sources nothing runs. (The sandbox's releases have no etcupdate.)
func TestMergeEtc(t *testing.T) {
	ctx := context.Background()
	root := "/iocage/jails/u/root"
	st := "/usr/sbin/etcupdate status -D " + root
	for _, tc := range []struct {
		name    string
		sources bool
		status  string
		want    []string
		err     string
	}{
		{"no sources", false, "", nil, ""},
		{"clean", true, "", []string{
			"/usr/sbin/etcupdate -D " + root + " -F -s /iocage/base/14.3-RELEASE/root/usr/src", st}, ""},
		{"conflicts", true, "Conflicts remaining:\n  C /etc/rc.conf\n  C /etc/motd\nWarnings:\n  Needs update: /etc/mail/aliases.db\n",
			[]string{
				"/usr/sbin/etcupdate -D " + root + " -F -s /iocage/base/14.3-RELEASE/root/usr/src", st},
			"etcupdate left conflicts in " + root + ": /etc/rc.conf, /etc/motd"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &runtime.Scripted{Root: t.TempDir(), Replies: map[string]runtime.Reply{st: {Stdout: tc.status}}}
			h := runtime.New(s, runtime.Options{})
			if tc.sources {
				if err := h.MkdirAll("/iocage/base/14.3-RELEASE/root/usr/src/etc", 0o755); err != nil {
					t.Fatal(err)
				}
			}
			// The back-out snapshot goes through go-zfs, which a scripted host
			// cannot answer; the sandbox tests take it.
			m, err := MergeEtc(ctx, h, root, "14.3-RELEASE", "", &thread.Undo{})
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Errorf("err = %v, want %q", err, tc.err)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, s.Calls()); d != "" {
				t.Errorf("commands (-want +got):\n%s", d)
			}
			if !tc.sources && (m.Ran || !strings.Contains(m.Skipped, "has no sources in /iocage/base/14.3-RELEASE/root/usr/src")) {
				t.Errorf("without sources: %+v", m)
			}
			if tc.sources && tc.err == "" && !m.Ran {
				t.Errorf("clean merge: %+v", m)
			}
		})
	}
}
