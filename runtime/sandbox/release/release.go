// Package release builds the sandbox's synthetic FreeBSD releases and the
// tree its local mirror serves: distribution sets laid out like
// download.freebsd.org (base.txz, lib32.txz and a MANIFEST per release), one
// binary patch per release for freebsd-update, and a small pkg repository.
//
// The userland is Debian's static busybox under FreeBSD's paths, plus POSIX
// sh scripts (embedded from files/) for the FreeBSD tools iocage and its
// recipes drive inside jails: rc, rc.subr, service, sysrc, pkg,
// freebsd-update, freebsd-version, fetch and uname. Network configuration
// tools are deliberately absent: inside a jail those are answered by the
// sandbox's models.
//
// Archives are reproducible: entries are sorted and carry fixed owners and
// the release's date, and xz runs single-threaded, so rebuilding the same
// inputs yields the same sums.
package release

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// DefaultMirror is the address the mirror listens on unless told otherwise.
const DefaultMirror = "127.0.0.1:8180"

// HostRelease and HostReldate describe the modelled host's kernel, which a
// jail's uname reports (jails share the host's kernel).
const (
	HostRelease = "14.3-RELEASE"
	HostReldate = 1403000
)

// Arch is the only architecture the sandbox models.
const Arch = "amd64"

// ABI is the pkg ABI string of the modelled releases.
const ABI = "FreeBSD:14:amd64"

// StampFile names the file, at the top of a built tree, that records what
// the tree was built from (see Stamp).
const StampFile = "STAMP"

// formatVersion changes whenever the content Build writes changes, so that
// setup rebuilds trees made by an older iocage.
const formatVersion = "3"

// Release is one FreeBSD release the mirror serves.
type Release struct {
	Name    string    // e.g. "14.3-RELEASE"
	Reldate int       // __FreeBSD_version, e.g. 1403000
	Date    time.Time // release date; every archive entry carries it
	Patch   int       // latest patch level served by the updates tree
}

// Releases are the releases Build writes.
var Releases = []Release{
	{Name: "14.2-RELEASE", Reldate: 1402000, Date: time.Date(2024, 12, 3, 0, 0, 0, 0, time.UTC), Patch: 1},
	{Name: "14.3-RELEASE", Reldate: 1403000, Date: time.Date(2025, 6, 10, 0, 0, 0, 0, time.UTC), Patch: 1},
}

// Options shape a build.
type Options struct {
	// Mirror is the host:port the releases' freebsd-update.conf and pkg
	// repository configuration point at; DefaultMirror when empty.
	Mirror string
	// Busybox is the static busybox binary to ship; /bin/busybox when empty.
	Busybox string
}

func (o Options) withDefaults() (Options, error) {
	if o.Mirror == "" {
		o.Mirror = DefaultMirror
	}
	if o.Busybox == "" {
		o.Busybox = "/bin/busybox"
	}
	host, port, err := net.SplitHostPort(o.Mirror)
	if err != nil || host == "" {
		return o, fmt.Errorf("release: mirror address %q: want host:port, e.g. %s", o.Mirror, DefaultMirror)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return o, fmt.Errorf("release: mirror address %q: port must be 1-65535", o.Mirror)
	}
	if strings.ContainsAny(o.Mirror, " \t\n\"'\\$`") {
		return o, fmt.Errorf("release: mirror address %q: must not contain spaces, quotes or shell characters", o.Mirror)
	}
	return o, nil
}

// ReleaseDir is the directory, relative to the mirror's top, that holds a
// release's distribution sets (download.freebsd.org's layout).
func ReleaseDir(rel string) string {
	return "releases/" + Arch + "/" + Arch + "/" + rel
}

// UpdatesDir is the directory, relative to the mirror's top, that holds a
// release's patches: "latest" names the newest patch level, its archive
// and sum.
func UpdatesDir(rel string) string { return "updates/" + rel }

// PkgDir is the pkg repository directory relative to the mirror's top.
func PkgDir() string { return "pkg/" + ABI + "/latest" }

// Stamp returns what a tree built with opts records in StampFile: the
// format version, the mirror address baked into the releases, and the sum
// of the busybox shipped.
func Stamp(opts Options) (string, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return "", err
	}
	sum, err := fileSum(opts.Busybox)
	if err != nil {
		return "", fmt.Errorf("release: busybox: %w (install busybox-static)", err)
	}
	var names []string
	for _, r := range Releases {
		names = append(names, r.Name)
	}
	return fmt.Sprintf("format=%s mirror=%s busybox=%s releases=%s\n",
		formatVersion, opts.Mirror, sum, strings.Join(names, ",")), nil
}

// UpToDate reports whether dir holds a complete tree built with opts, so
// that Build can be skipped.
func UpToDate(dir string, opts Options) (bool, error) {
	want, err := Stamp(opts)
	if err != nil {
		return false, err
	}
	got, err := os.ReadFile(filepath.Join(dir, StampFile))
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return string(got) == want, nil
}

// Build writes the mirror tree for every release into dir. The stamp is
// written last, so an interrupted build is never taken as current.
func Build(dir string, opts Options) error {
	opts, err := opts.withDefaults()
	if err != nil {
		return err
	}
	stamp, err := Stamp(opts)
	if err != nil {
		return err
	}
	bb, err := os.ReadFile(opts.Busybox)
	if err != nil {
		return fmt.Errorf("release: busybox: %w (install busybox-static)", err)
	}
	if len(bb) < 4 || string(bb[:4]) != "\x7fELF" {
		return fmt.Errorf("release: busybox %s: not an ELF binary", opts.Busybox)
	}
	if err := os.Remove(filepath.Join(dir, StampFile)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	for _, r := range Releases {
		if err := buildRelease(dir, r, bb, opts); err != nil {
			return fmt.Errorf("release %s: %w", r.Name, err)
		}
	}
	if err := buildPackages(dir); err != nil {
		return fmt.Errorf("release: packages: %w", err)
	}
	return writeFileAtomic(filepath.Join(dir, StampFile), []byte(stamp), 0o644)
}

func buildRelease(dir string, r Release, bb []byte, opts Options) error {
	rdir := filepath.Join(dir, filepath.FromSlash(ReleaseDir(r.Name)))
	if err := os.MkdirAll(rdir, 0o755); err != nil {
		return err
	}
	base, err := baseEntries(r, bb, opts)
	if err != nil {
		return err
	}
	sets := []struct {
		name    string
		entries []entry
		desc    string
	}{
		{"base", base, "Base system (MANDATORY)"},
		{"lib32", lib32Entries(r, bb), "32-bit compatibility libraries"},
	}
	var manifest strings.Builder
	for _, s := range sets {
		file := s.name + ".txz"
		sum, n, err := writeTxz(filepath.Join(rdir, file), s.entries, r.Date)
		if err != nil {
			return fmt.Errorf("%s: %w", file, err)
		}
		// FreeBSD's MANIFEST: file, sha256, entries, set, "description", default.
		fmt.Fprintf(&manifest, "%s\t%s\t%d\t%s\t\"%s\"\ton\n", file, sum, n, s.name, s.desc)
	}
	if err := writeFileAtomic(filepath.Join(rdir, "MANIFEST"), []byte(manifest.String()), 0o644); err != nil {
		return err
	}
	// The older flat layout (releases/amd64/REL), which iocage's default
	// ftpdir uses, is a link on the real mirrors too.
	legacy := filepath.Join(dir, "releases", Arch, r.Name)
	if t, err := os.Readlink(legacy); err != nil || t != Arch+"/"+r.Name {
		os.Remove(legacy)
		if err := os.Symlink(Arch+"/"+r.Name, legacy); err != nil {
			return err
		}
	}
	return buildPatches(dir, r, opts)
}

// buildPatches writes the updates tree of r: one archive per patch level
// and "latest", which freebsd-update reads as "RELEASE-pN<TAB>file<TAB>sha256".
func buildPatches(dir string, r Release, opts Options) error {
	udir := filepath.Join(dir, filepath.FromSlash(UpdatesDir(r.Name)))
	if err := os.MkdirAll(udir, 0o755); err != nil {
		return err
	}
	var latest string
	for p := 1; p <= r.Patch; p++ {
		file := fmt.Sprintf("p%d.txz", p)
		date := r.Date.AddDate(0, 0, 30*p)
		sum, _, err := writeTxz(filepath.Join(udir, file), patchEntries(r, p, opts), date)
		if err != nil {
			return fmt.Errorf("%s: %w", file, err)
		}
		latest = fmt.Sprintf("%s-p%d\t%s\t%s\n", r.Name, p, file, sum)
	}
	return writeFileAtomic(filepath.Join(udir, "latest"), []byte(latest), 0o644)
}

func fileSum(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// writeFileAtomic replaces p so that a reader (the mirror) never sees a
// half-written file.
func writeFileAtomic(p string, b []byte, mode os.FileMode) error {
	tmp := p + ".tmp"
	if err := os.WriteFile(tmp, b, mode); err != nil {
		return err
	}
	return os.Rename(tmp, p)
}
