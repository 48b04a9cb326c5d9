package release

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path"
	"sort"
	"strings"
	"time"
)

// xzPath is Debian's xz (package xz-utils). Go has no xz encoder in the
// standard library or golang.org/x, and the archives must be real .txz
// files that FreeBSD's and busybox's tar read.
const xzPath = "/usr/bin/xz"

// entry is one member of an archive. Name is relative to the archive's
// root, without "./".
type entry struct {
	Name string
	Mode int64  // permission bits
	Dir  bool   // a directory
	Link string // symlink target when set
	Body []byte // file content
}

func dir(name string, mode int64) entry { return entry{Name: name, Mode: mode, Dir: true} }

func file(name string, mode int64, body []byte) entry {
	return entry{Name: name, Mode: mode, Body: body}
}

func symlink(name, target string) entry { return entry{Name: name, Mode: 0o755, Link: target} }

// withParents adds the missing parent directories of entries (mode 0755)
// and sorts by name, so archives list a directory before its contents and
// come out the same on every build.
func withParents(es []entry) []entry {
	seen := map[string]bool{}
	for _, e := range es {
		seen[e.Name] = true
	}
	out := append([]entry(nil), es...)
	for _, e := range es {
		for d := path.Dir(e.Name); d != "." && d != "/"; d = path.Dir(d) {
			if !seen[d] {
				seen[d] = true
				out = append(out, dir(d, 0o755))
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// writeTxz writes entries (plus their parents) as an xz-compressed tar in
// FreeBSD's style ("./"-prefixed names, root:wheel) to p and returns the
// archive's sha256 and its number of entries.
func writeTxz(p string, entries []entry, mtime time.Time) (string, int, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	all := withParents(entries)
	for _, e := range all {
		if strings.HasPrefix(e.Name, "/") || strings.Contains("/"+e.Name+"/", "/../") {
			return "", 0, fmt.Errorf("archive entry %q: must be a relative path inside the archive", e.Name)
		}
		h := &tar.Header{
			Name:    "./" + e.Name,
			Mode:    e.Mode,
			Uname:   "root",
			Gname:   "wheel",
			ModTime: mtime,
			Format:  tar.FormatUSTAR,
		}
		switch {
		case e.Dir:
			h.Typeflag = tar.TypeDir
			h.Name += "/"
		case e.Link != "":
			h.Typeflag = tar.TypeSymlink
			h.Linkname = e.Link
		default:
			h.Typeflag = tar.TypeReg
			h.Size = int64(len(e.Body))
		}
		if err := tw.WriteHeader(h); err != nil {
			return "", 0, fmt.Errorf("archive entry %s: %w", e.Name, err)
		}
		if h.Typeflag == tar.TypeReg {
			if _, err := tw.Write(e.Body); err != nil {
				return "", 0, err
			}
		}
	}
	if err := tw.Close(); err != nil {
		return "", 0, err
	}
	compressed, err := xz(buf.Bytes())
	if err != nil {
		return "", 0, err
	}
	sum := sha256.Sum256(compressed)
	if err := writeFileAtomic(p, compressed, 0o644); err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(sum[:]), len(all), nil
}

// xz compresses b. One thread: multi-threaded xz splits into blocks that
// depend on the thread count, which would make sums machine-dependent.
func xz(b []byte) ([]byte, error) {
	if _, err := os.Stat(xzPath); err != nil {
		return nil, fmt.Errorf("%s: %w (install xz-utils)", xzPath, err)
	}
	var out, stderr bytes.Buffer
	cmd := exec.CommandContext(context.Background(), xzPath, "-6", "-T1", "-c", "-q")
	cmd.Stdin = bytes.NewReader(b)
	cmd.Stdout = &out
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s -6 -T1 -c: %q: %w", xzPath, strings.TrimSpace(stderr.String()), err)
	}
	return out.Bytes(), nil
}
