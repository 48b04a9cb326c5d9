package jail

// The format of a differential package (export --incremental): a tar
// stream (POSIX pax, uncompressed) that FreeBSD's tar(1) lists. Its first
// member, +IOCAGE-DIFF.json, is the manifest: the jail's identity and
// properties, the release (or template) and patch level it was cloned
// from, and the paths removed from that origin. Every other member is an
// entry of the jail's directory that differs from the origin, named as
// the jail directory sees it: "root/etc/rc.conf" for a file of the jail's
// root, "fstab" for a file beside it. A ZFS incremental stream cannot do
// this job: a release fetched on another host has other snapshot GUIDs,
// so `zfs receive` of an incremental stream would always fail there.
//
// A package is another host's data. Everything here parses it as such:
// the manifest is capped and checked field by field, and every member's
// name, type, mode and link target is checked before anything is made of
// it (the extraction itself is in package.go).

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strings"

	"github.com/iocage/iocage/jailprops"
)

const (
	// PackageManifest is the name of a package's first member.
	PackageManifest = "+IOCAGE-DIFF.json"
	// PackageFormat is the manifest's format version this iocage writes
	// and reads.
	PackageFormat = 1
	// maxManifest caps the manifest read into memory: a jail removing a
	// million release files needs some 40 MB, a hostile one gets no more.
	maxManifest = 64 << 20
	// maxPackageRemoved caps the removed paths in a manifest.
	maxPackageRemoved = 1 << 20
	// maxJailFile caps a file beside the jail's root (fstab, hooks).
	maxJailFile = 1 << 20
)

// Manifest is a package's first member.
type Manifest struct {
	Format int    `json:"format"`
	UUID   string `json:"uuid"`
	Tag    string `json:"tag"`
	Type   string `json:"type"`
	// Release is the jail's release property; Userland the release's
	// version (freebsd-version -u, 14.3-RELEASE-p1) in the origin
	// snapshot, which import requires of the local copy.
	Release  string `json:"release"`
	Userland string `json:"userland"`
	// Origin is "release" or "template"; for a template, its UUID and tag.
	Origin      string `json:"origin"`
	Template    string `json:"template_uuid,omitempty"`
	TemplateTag string `json:"template_tag,omitempty"`
	// Properties are the jail's user properties and settable native ones
	// by bare name, as jail.inspect_import reads them from a stream.
	Properties map[string]string `json:"properties"`
	// Removed are the paths of the origin the jail does not have, relative
	// to the jail's directory ("root/etc/motd"); a removed directory is
	// one path.
	Removed []string `json:"removed"`
	Created string   `json:"created,omitempty"`
}

// Patch is the patch level of a userland version: "1" for
// 14.3-RELEASE-p1, "0" without -pN.
func Patch(userland string) string {
	if i := strings.LastIndex(userland, "-p"); i >= 0 && i+2 < len(userland) && strings.Trim(userland[i+2:], "0123456789") == "" {
		return userland[i+2:]
	}
	return "0"
}

// OriginName says what the package was exported against, for messages:
// "14.3-RELEASE (patch 1)" or "the template base (UUID), 14.3-RELEASE-p1".
func (m *Manifest) OriginName() string {
	if m.Origin == "template" {
		return fmt.Sprintf("the template %s (%s) at %s", m.TemplateTag, m.Template, m.Userland)
	}
	return fmt.Sprintf("%s (patch %s)", m.Release, Patch(m.Userland))
}

var userlandOK = regexp.MustCompile(`^[0-9]+\.[0-9]+-[A-Z0-9]+(-p[0-9]+)?$`)

// check refuses a manifest this iocage cannot apply safely.
func (m *Manifest) check() error {
	if m.Format != PackageFormat {
		return fmt.Errorf("package format %d: this iocage reads format %d", m.Format, PackageFormat)
	}
	if !jailprops.IsUUID(m.UUID) {
		return fmt.Errorf("uuid %q is not a UUID", m.UUID)
	}
	if !releaseNameOK(m.Release) {
		return fmt.Errorf("release %q: want a name like 14.3-RELEASE", m.Release)
	}
	if !userlandOK.MatchString(m.Userland) {
		return fmt.Errorf("userland %q: want a version like 14.3-RELEASE-p1", m.Userland)
	}
	switch m.Origin {
	case "release":
		if m.Template != "" {
			return fmt.Errorf("origin release with a template %q", m.Template)
		}
	case "template":
		if !jailprops.IsUUID(m.Template) {
			return fmt.Errorf("template uuid %q is not a UUID", m.Template)
		}
	default:
		return fmt.Errorf("origin %q: want release or template", m.Origin)
	}
	if v := m.Properties["host_hostuuid"]; v != m.UUID {
		return fmt.Errorf("the properties' host_hostuuid %q is not the package's uuid %s", v, m.UUID)
	}
	for k, v := range m.Properties {
		if err := checkPackageProp(k, v); err != nil {
			return err
		}
	}
	if len(m.Removed) > maxPackageRemoved {
		return fmt.Errorf("%d removed paths: at most %d", len(m.Removed), maxPackageRemoved)
	}
	for _, p := range m.Removed {
		rel, ok := strings.CutPrefix(p, "root/")
		if !ok || !cleanRelOK(rel) {
			return fmt.Errorf("removed path %q: want a clean path below root/", p)
		}
	}
	return nil
}

// checkPackageProp accepts a property of the table a jail's dataset
// carries: a user property (its value is checked later, as import checks
// a stream's) or a settable native one, whose value is checked here since
// it is written when the jail's datasets are made.
func checkPackageProp(name, v string) error {
	p, err := jailprops.Lookup(name)
	if err != nil {
		return fmt.Errorf("property %q: %w", name, err)
	}
	if len(v) > 8191 || strings.ContainsAny(v, "\x00\t\n\r") {
		return fmt.Errorf("property %s: a value of %d bytes with control characters cannot be stored", name, len(v))
	}
	if !p.Native {
		return nil
	}
	if !settable(name) {
		return fmt.Errorf("property %s is not one a package sets", name)
	}
	return p.Validate(v)
}

func settable(name string) bool {
	for _, n := range settableNative {
		if n == name {
			return true
		}
	}
	return false
}

// cleanRelOK accepts a clean relative path that stays where it starts:
// no leading "/", no "." or ".." component, no empty one, no NUL.
func cleanRelOK(rel string) bool {
	if rel == "" || rel == "." || strings.HasPrefix(rel, "/") || strings.ContainsRune(rel, 0) || path.Clean(rel) != rel {
		return false
	}
	for _, c := range strings.Split(rel, "/") {
		if c == ".." || c == "." {
			return false
		}
	}
	return true
}

// ReadManifest reads the first member of the package tr, which must be
// the manifest, and checks it.
func ReadManifest(tr *tar.Reader) (*Manifest, error) {
	hdr, err := tr.Next()
	if err != nil {
		return nil, fmt.Errorf("not an iocage package: %w", err)
	}
	if hdr.Name != PackageManifest || (hdr.Typeflag != tar.TypeReg && hdr.Typeflag != tar.TypeRegA) {
		return nil, fmt.Errorf("not an iocage package: its first member is %q, not %s", hdr.Name, PackageManifest)
	}
	if hdr.Size > maxManifest {
		return nil, fmt.Errorf("the package's manifest is %d bytes: at most %d", hdr.Size, maxManifest)
	}
	b, err := io.ReadAll(io.LimitReader(tr, maxManifest+1))
	if err != nil {
		return nil, fmt.Errorf("the package's manifest: %w", err)
	}
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("the package's manifest: %w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("the package's manifest: data after the JSON object")
	}
	if err := m.check(); err != nil {
		return nil, fmt.Errorf("the package's manifest: %w", err)
	}
	return &m, nil
}

// Member is a checked package member.
type Member struct {
	Rel  string // path relative to the jail's directory: root/etc/rc.conf, fstab
	Type byte   // tar.TypeReg, TypeDir, TypeSymlink or TypeLink
	// Link is a symlink's target (stored as is: the jail reads it) or, for
	// a hard link, the member it links to (relative as Rel).
	Link string
	Mode fs.FileMode // permissions with setuid, setgid and sticky
	UID  int
	GID  int
	Size int64
	hdr  *tar.Header
}

// CheckMember checks a member header of a package: its name is a clean
// path below root/ ("root" itself for a directory) or the name of a
// regular file beside the root; its type is a regular file, directory,
// symlink or a hard link to a clean path below root/; devices, FIFOs and
// the rest are refused.
func CheckMember(hdr *tar.Header) (*Member, error) {
	name := hdr.Name
	if hdr.Typeflag == tar.TypeDir {
		name = strings.TrimSuffix(name, "/")
	}
	m := &Member{Rel: name, Type: hdr.Typeflag, UID: hdr.Uid, GID: hdr.Gid, Size: hdr.Size, hdr: hdr}
	if m.Type == tar.TypeRegA {
		m.Type = tar.TypeReg
	}
	inRoot := strings.HasPrefix(name, "root/")
	switch {
	case name == "root" && m.Type == tar.TypeDir:
	case inRoot && cleanRelOK(strings.TrimPrefix(name, "root/")):
	case !inRoot && cleanRelOK(name) && !strings.Contains(name, "/") && name != "root" && name != PackageManifest:
		if m.Type != tar.TypeReg {
			return nil, fmt.Errorf("member %q beside the jail's root is %s: only regular files are", hdr.Name, tarKind(hdr.Typeflag))
		}
		if m.Size > maxJailFile {
			return nil, fmt.Errorf("member %q is %d bytes: a file beside the jail's root has at most %d", hdr.Name, m.Size, maxJailFile)
		}
	default:
		return nil, fmt.Errorf("member %q: want a clean relative path below root/ (no \"..\", no absolute path)", hdr.Name)
	}
	if hdr.Mode < 0 || hdr.Mode&^0o7777 != 0 {
		return nil, fmt.Errorf("member %q: mode %#o has bits beyond permissions", hdr.Name, hdr.Mode)
	}
	m.Mode = fs.FileMode(hdr.Mode & 0o777)
	if hdr.Mode&0o4000 != 0 {
		m.Mode |= fs.ModeSetuid
	}
	if hdr.Mode&0o2000 != 0 {
		m.Mode |= fs.ModeSetgid
	}
	if hdr.Mode&0o1000 != 0 {
		m.Mode |= fs.ModeSticky
	}
	if m.UID < 0 || m.GID < 0 || int64(m.UID) > 1<<31-1 || int64(m.GID) > 1<<31-1 {
		return nil, fmt.Errorf("member %q: owner %d:%d out of range", hdr.Name, m.UID, m.GID)
	}
	if m.Size < 0 {
		return nil, fmt.Errorf("member %q: negative size", hdr.Name)
	}
	switch m.Type {
	case tar.TypeReg, tar.TypeDir:
	case tar.TypeSymlink:
		if hdr.Linkname == "" || strings.ContainsRune(hdr.Linkname, 0) || len(hdr.Linkname) > 1023 {
			return nil, fmt.Errorf("member %q: symlink target %q: want 1 to 1023 bytes, no NUL", hdr.Name, hdr.Linkname)
		}
		m.Link = hdr.Linkname
	case tar.TypeLink:
		rel, ok := strings.CutPrefix(hdr.Linkname, "root/")
		if !inRoot || !ok || !cleanRelOK(rel) {
			return nil, fmt.Errorf("member %q: hard link to %q: want a member below root/", hdr.Name, hdr.Linkname)
		}
		m.Link = hdr.Linkname
	default:
		return nil, fmt.Errorf("member %q is %s: a package holds regular files, directories, symlinks and hard links", hdr.Name, tarKind(hdr.Typeflag))
	}
	return m, nil
}

func tarKind(t byte) string {
	switch t {
	case tar.TypeReg, tar.TypeRegA:
		return "a regular file"
	case tar.TypeDir:
		return "a directory"
	case tar.TypeSymlink:
		return "a symlink"
	case tar.TypeLink:
		return "a hard link"
	case tar.TypeChar:
		return "a character device"
	case tar.TypeBlock:
		return "a block device"
	case tar.TypeFifo:
		return "a FIFO"
	}
	return fmt.Sprintf("of tar type %q", t)
}

// ScanPackage reads a whole package from r without making anything:
// the manifest, then every member checked as import checks it (a hard
// link must name a regular file met before). It returns the manifest and
// the members. For tests, and the fuzz test of the reader.
func ScanPackage(r io.Reader) (*Manifest, []*Member, error) {
	tr := tar.NewReader(r)
	m, err := ReadManifest(tr)
	if err != nil {
		return nil, nil, err
	}
	var out []*Member
	files := map[string]bool{}
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return m, out, nil
		}
		if err != nil {
			return m, out, fmt.Errorf("the package breaks off: %w", err)
		}
		mem, err := CheckMember(hdr)
		if err != nil {
			return m, out, err
		}
		if mem.Type == tar.TypeLink && !files[mem.Link] {
			return m, out, fmt.Errorf("member %q: hard link to %q, which is no regular file before it in the package", mem.Rel, mem.Link)
		}
		if mem.Type == tar.TypeReg {
			files[mem.Rel] = true
		}
		out = append(out, mem)
	}
}

// tarMode is the permission bits of mode as tar stores them.
func tarMode(mode fs.FileMode) int64 {
	m := int64(mode.Perm())
	if mode&fs.ModeSetuid != 0 {
		m |= 0o4000
	}
	if mode&fs.ModeSetgid != 0 {
		m |= 0o2000
	}
	if mode&fs.ModeSticky != 0 {
		m |= 0o1000
	}
	return m
}

// writeManifest writes m as the package's first member.
func writeManifest(tw *tar.Writer, m *Manifest) error {
	sort.Strings(m.Removed)
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	b = append(b, '\n')
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: PackageManifest, Mode: 0o644, Size: int64(len(b)), Format: tar.FormatPAX}); err != nil {
		return err
	}
	_, err = tw.Write(b)
	return err
}
