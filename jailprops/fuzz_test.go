package jailprops

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/iocage/iocage/runtime"
)

// safeValue says why v, accepted as a property value, could harm what
// stores or shows it: every value goes to `zfs set` as one argument and
// back through `zfs get -H`, which separates fields by tabs and rows by
// newlines.
func safeValue(v string) string {
	switch {
	case v == "" || v == "-":
		return "empty or unset marker"
	case !utf8.ValidString(v):
		return "invalid UTF-8"
	case len(v) > 8000:
		return "longer than ZFS keeps"
	}
	for _, r := range v {
		if r < 0x20 || r == 0x7f {
			return "a control character"
		}
	}
	return ""
}

func FuzzValidate(f *testing.F) {
	for _, s := range []string{"on", "off", "yes", "1", "0", "none", "-", "", "web", "em0|192.168.1.10/24",
		"vnet0:bridge0", "nameserver 1.1.1.1;search example.org", "2G", "1.5G", "+1", "0-3,5", "a\nb", "a\tb",
		"x\x00y", "\xff\xfe", "DEFAULT", "AUTOIP4", "14.3-RELEASE", "../../etc", strings.Repeat("a", 8001)} {
		f.Add(uint16(0), s)
		f.Add(uint16(len(table)/2), s)
	}
	f.Fuzz(func(t *testing.T, i uint16, v string) {
		all := All()
		p := all[int(i)%len(all)]
		if err := p.Validate(v); err != nil {
			if err.Error() == "" {
				t.Fatalf("%s: empty error for %q", p.Name, v)
			}
			return
		}
		if why := safeValue(v); why != "" {
			t.Fatalf("%s accepted %q: %s", p.Name, v, why)
		}
	})
}

func FuzzParseAssignment(f *testing.F) {
	for _, s := range []string{"tag=web", "notes=hello world", "boot=on", "ip4_addr=em0|10.0.0.2/24", "tag", "=x", "tag=",
		"tag=a=b", "jid=3", "nosuch=1", "tag=a\nb", "quota=10G", "host_hostname=x\ty", "exec_start=/bin/sh /etc/rc"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, arg string) {
		p, v, err := ParseAssignment(arg)
		if err != nil {
			return
		}
		name, value, ok := strings.Cut(arg, "=")
		if !ok || value != v {
			t.Fatalf("%q gave value %q, want %q", arg, v, value)
		}
		if want, err := Lookup(name); err != nil || want != p {
			t.Fatalf("%q gave property %s, Lookup(%q) gives %v, %v", arg, p.Name, name, want, err)
		}
		if p.ReadOnly {
			t.Fatalf("%q assigns read-only %s", arg, p.Name)
		}
		if why := safeValue(v); why != "" {
			t.Fatalf("%q accepted: %s", arg, why)
		}
	})
}

var fuzzIDs = []Identity{
	{UUID: "3f2a9c41-7d10-4e5b-9a2c-0d4e6f8a1b2c", Tag: "web"},
	{UUID: "3f2a9c41-0000-4e5b-9a2c-0d4e6f8a1b2c", Tag: "web2"},
	{UUID: "8b1e0f32-5c47-4a9d-8e21-7f3c2d1a0b9e", Tag: "db@2024"},
	{UUID: "c4d5e6f7-0a1b-4c2d-8e3f-405162738495", Tag: "-"},
	{UUID: "d0d1d2d3-0000-4000-8000-000000000004", Tag: "3f2a"},
}

func FuzzFind(f *testing.F) {
	for _, s := range []string{"web", "web2", "we", "3f2a", "3f2a9c41", "8b1e", "db@2024", "db", "-", "", "x y",
		"c4d5e6f7-0a1b-4c2d-8e3f-405162738495", "d0d1", "\x00", "WEB"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		i, err := Find(fuzzIDs, name)
		if err != nil {
			if i != -1 {
				t.Fatalf("Find(%q) failed with index %d", name, i)
			}
			if errors.Is(err, runtime.ErrNotExist) && errors.Is(err, ErrAmbiguous) {
				t.Fatalf("Find(%q): both missing and ambiguous: %v", name, err)
			}
			return
		}
		if i < 0 || i >= len(fuzzIDs) {
			t.Fatalf("Find(%q) = %d, out of range", name, i)
		}
		id := fuzzIDs[i]
		if id.Tag != name && id.UUID != name && !strings.HasPrefix(id.UUID, name) && !strings.HasPrefix(id.Tag, name) {
			t.Fatalf("Find(%q) = %v, which it does not name", name, id)
		}
		// An exact tag wins over everything else.
		for j, o := range fuzzIDs {
			if o.Tag == name && j != i {
				t.Fatalf("Find(%q) = %v, but %v has that tag", name, id, o)
			}
		}
	})
}
