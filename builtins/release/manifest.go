package release

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// ManifestEntry is one line of a release's MANIFEST: a distribution set.
type ManifestEntry struct {
	File        string // base.txz
	SHA256      string // lower-case hex
	Count       int    // number of archive entries (bsdinstall's progress)
	Component   string // base
	Description string // "Base system (MANDATORY)", quotes removed
	Default     bool   // installed unless deselected ("on")
}

var (
	sha256Re   = regexp.MustCompile(`^[0-9a-f]{64}$`)
	distFileRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._+-]*\.txz$`)
)

// ParseManifest reads a MANIFEST as FreeBSD's release tools write it: one
// set per line, tab-separated FILE, SHA256, COUNT, COMPONENT,
// "DESCRIPTION", on|off. Blank lines are skipped; anything else that does
// not fit is an error naming the line, since a MANIFEST that cannot be read
// cannot vouch for a download.
func ParseManifest(b []byte) ([]ManifestEntry, error) {
	var out []ManifestEntry
	seen := map[string]bool{}
	for i, line := range strings.Split(string(b), "\n") {
		line = strings.TrimRight(line, "\r")
		if strings.TrimSpace(line) == "" {
			continue
		}
		n := i + 1
		f := strings.Split(line, "\t")
		if len(f) != 6 {
			return nil, fmt.Errorf("MANIFEST line %d: %d tab-separated fields, want 6 (file, sha256, count, component, description, default)", n, len(f))
		}
		e := ManifestEntry{File: f[0], SHA256: strings.ToLower(f[1]), Component: f[3], Description: strings.Trim(f[4], `"`)}
		if !distFileRe.MatchString(e.File) {
			return nil, fmt.Errorf("MANIFEST line %d: file %q is not a distribution set name like base.txz", n, e.File)
		}
		if seen[e.File] {
			return nil, fmt.Errorf("MANIFEST line %d: %s listed twice", n, e.File)
		}
		seen[e.File] = true
		if !sha256Re.MatchString(e.SHA256) {
			return nil, fmt.Errorf("MANIFEST line %d: %s: sha256 %q is not 64 hex digits", n, e.File, f[1])
		}
		c, err := strconv.Atoi(f[2])
		if err != nil || c < 0 {
			return nil, fmt.Errorf("MANIFEST line %d: %s: entry count %q is not a number", n, e.File, f[2])
		}
		e.Count = c
		switch f[5] {
		case "on":
			e.Default = true
		case "off":
		default:
			return nil, fmt.Errorf("MANIFEST line %d: %s: default %q, want on or off", n, e.File, f[5])
		}
		out = append(out, e)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("MANIFEST lists no distribution sets")
	}
	return out, nil
}

// DefaultFiles are the sets fetch downloads unless told otherwise, when
// the release has them: a jail needs the base system, and lib32 lets it
// run 32-bit programs. Sets the MANIFEST does not list are left out
// (arm64 has no lib32).
var DefaultFiles = []string{"base.txz", "lib32.txz"}

// SelectFiles picks from m the entries named in want, in want's order, or
// the DefaultFiles the release has when want is empty. A named set the
// release lacks is an error listing what it has; base.txz is required.
func SelectFiles(m []ManifestEntry, want []string) ([]ManifestEntry, error) {
	by := map[string]ManifestEntry{}
	var have []string
	for _, e := range m {
		by[e.File] = e
		have = append(have, e.File)
	}
	explicit := len(want) > 0
	if !explicit {
		want = DefaultFiles
	}
	var out []ManifestEntry
	seen := map[string]bool{}
	for _, f := range want {
		if seen[f] {
			continue
		}
		seen[f] = true
		e, ok := by[f]
		if !ok {
			if explicit {
				return nil, fmt.Errorf("the release has no %s; its MANIFEST lists %s", f, strings.Join(have, " "))
			}
			continue
		}
		out = append(out, e)
	}
	if !seen["base.txz"] || len(out) == 0 || !hasFile(out, "base.txz") {
		if _, ok := by["base.txz"]; !ok {
			return nil, fmt.Errorf("the release's MANIFEST has no base.txz (it lists %s)", strings.Join(have, " "))
		}
		return nil, fmt.Errorf("files must include base.txz: a release without its base system cannot make jails")
	}
	return out, nil
}

func hasFile(es []ManifestEntry, f string) bool {
	for _, e := range es {
		if e.File == f {
			return true
		}
	}
	return false
}
