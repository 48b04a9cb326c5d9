package jail_test

// The reader of differential packages takes another host's bytes: it must
// refuse, never panic or accept a member that leads out of the jail.

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"path"
	"strings"
	"testing"

	"github.com/iocage/iocage/builtins/jail"
)

func fuzzPackage(m any, members ...tar.Header) []byte {
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	mb, _ := json.Marshal(m)
	_ = tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: jail.PackageManifest, Mode: 0o644, Size: int64(len(mb))})
	_, _ = tw.Write(mb)
	for _, h := range members {
		h := h
		body := ""
		if h.Typeflag == tar.TypeReg {
			body = "data\n"
			h.Size = int64(len(body))
		}
		if h.Mode == 0 {
			h.Mode = 0o644
		}
		_ = tw.WriteHeader(&h)
		_, _ = tw.Write([]byte(body))
	}
	_ = tw.Close()
	return b.Bytes()
}

const fuzzUUID = "3f2a9c41-7d10-4e5b-9a2c-0d4e6f8a1b2c"

func fuzzManifest() *jail.Manifest {
	return &jail.Manifest{Format: jail.PackageFormat, UUID: fuzzUUID, Tag: "web", Type: "jail", Release: "14.3-RELEASE",
		Userland: "14.3-RELEASE-p1", Origin: "release", Properties: map[string]string{"host_hostuuid": fuzzUUID, "tag": "web", "quota": "none"},
		Removed: []string{"root/etc/motd"}}
}

func FuzzScanPackage(f *testing.F) {
	good := fuzzManifest()
	f.Add(fuzzPackage(good,
		tar.Header{Typeflag: tar.TypeDir, Name: "root/usr/local/"},
		tar.Header{Typeflag: tar.TypeReg, Name: "root/usr/local/a"},
		tar.Header{Typeflag: tar.TypeLink, Name: "root/usr/local/b", Linkname: "root/usr/local/a"},
		tar.Header{Typeflag: tar.TypeSymlink, Name: "root/pw", Linkname: "/etc/master.passwd"},
		tar.Header{Typeflag: tar.TypeReg, Name: "fstab"}))
	f.Add(fuzzPackage(good, tar.Header{Typeflag: tar.TypeReg, Name: "root/../../etc/passwd"}))
	f.Add(fuzzPackage(good, tar.Header{Typeflag: tar.TypeReg, Name: "/etc/passwd"}))
	f.Add(fuzzPackage(good, tar.Header{Typeflag: tar.TypeLink, Name: "root/x", Linkname: "root/etc/passwd"}))
	f.Add(fuzzPackage(good, tar.Header{Typeflag: tar.TypeChar, Name: "root/dev/mem"}))
	bad := fuzzManifest()
	bad.Removed = []string{"root/../x"}
	f.Add(fuzzPackage(bad))
	f.Add(fuzzPackage(map[string]any{"format": 1, "uuid": fuzzUUID, "extra": true}))
	f.Add([]byte("not a package"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		m, members, err := jail.ScanPackage(bytes.NewReader(data))
		if m == nil {
			if err == nil || len(members) > 0 {
				t.Fatalf("no manifest, members %d, err %v", len(members), err)
			}
			return
		}
		for _, r := range m.Removed {
			if !strings.HasPrefix(r, "root/") || path.Clean(r) != r || containsDotDot(r) {
				t.Fatalf("removed path %q accepted", r)
			}
		}
		files := map[string]bool{}
		for _, mem := range members {
			if path.IsAbs(mem.Rel) || containsDotDot(mem.Rel) || path.Clean(mem.Rel) != mem.Rel {
				t.Fatalf("member %q accepted", mem.Rel)
			}
			if !strings.HasPrefix(mem.Rel, "root/") && mem.Rel != "root" && (strings.Contains(mem.Rel, "/") || mem.Type != tar.TypeReg) {
				t.Fatalf("member %q (type %q) beside the root accepted", mem.Rel, mem.Type)
			}
			switch mem.Type {
			case tar.TypeReg:
				files[mem.Rel] = true
			case tar.TypeDir, tar.TypeSymlink:
			case tar.TypeLink:
				if !files[mem.Link] {
					t.Fatalf("hard link %q to %q accepted", mem.Rel, mem.Link)
				}
			default:
				t.Fatalf("member %q of type %q accepted", mem.Rel, mem.Type)
			}
		}
	})
}

func containsDotDot(p string) bool {
	for _, c := range strings.Split(p, "/") {
		if c == ".." {
			return true
		}
	}
	return false
}

func TestPatch(t *testing.T) {
	for in, want := range map[string]string{"14.3-RELEASE-p1": "1", "14.3-RELEASE": "0", "15.0-RELEASE-p12": "12", "14.3-RELEASE-px": "0"} {
		if got := jail.Patch(in); got != want {
			t.Errorf("Patch(%q) = %q, want %q", in, got, want)
		}
	}
}
