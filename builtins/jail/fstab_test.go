package jail

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestParseFstab(t *testing.T) {
	text := "# comment\n\n  # indented comment\n/usr/ports\t/j/root/usr/ports nullfs ro 0 0\n" +
		"/data/my\\040www /j/root/www\\011x nullfs rw\r\n" +
		"tmpfs /j/root/tmp tmpfs rw,mode=1777 0\n"
	got, err := ParseFstab(text)
	if err != nil {
		t.Fatal(err)
	}
	want := []FstabEntry{
		{Device: "/usr/ports", Point: "/j/root/usr/ports", Type: "nullfs", Options: "ro", Freq: "0", Pass: "0", Line: 4},
		{Device: "/data/my www", Point: "/j/root/www\tx", Type: "nullfs", Options: "rw", Line: 5},
		{Device: "tmpfs", Point: "/j/root/tmp", Type: "tmpfs", Options: "rw,mode=1777", Freq: "0", Line: 6},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ParseFstab (-want +got):\n%s", diff)
	}
	for _, bad := range []string{"a b c\n", "a b c d e f g\n"} {
		if _, err := ParseFstab("# x\n" + bad); err == nil || !strings.Contains(err.Error(), "fstab line 2") {
			t.Errorf("ParseFstab(%q) = %v; want an error naming line 2", bad, err)
		}
	}
}

func TestExpandFstabRefusesMountPointsOutsideTheRoot(t *testing.T) {
	const root = "/iocage/jails/u/root"
	resolve := func(rel string) (string, error) {
		if strings.HasPrefix(rel, "evil") {
			return "", errors.New("leads out through a symbolic link")
		}
		return root + "/" + rel, nil
	}
	got, err := ExpandFstab("/usr/ports %jailroot%/usr/ports nullfs ro 0 0\n", root, resolve)
	if err != nil {
		t.Fatal(err)
	}
	if want := "/usr/ports\t" + root + "/usr/ports\tnullfs\tro\t0\t0\n"; !strings.HasSuffix(got, want) {
		t.Errorf("ExpandFstab = %q; want it to end with %q", got, want)
	}
	for text, want := range map[string]string{
		"/x %jailroot%/../../etc nullfs rw 0 0\n":    `fstab line 1: mount point "/iocage/jails/u/root/../../etc" is outside the jail's root`,
		"# c\n/x /etc nullfs rw 0 0\n":               `fstab line 2: mount point "/etc" is outside`,
		"/x %jailroot%/evil/x nullfs rw\n":           "leads out through a symbolic link",
		"/x %jailroot%_other/x nullfs rw 0 0\n":      "is outside the jail's root",
		"/x relative/x nullfs rw 0 0\n":              "is outside the jail's root",
		"/x %jailroot%/a\\040b/../../.. nullfs rw\n": "is outside the jail's root",
	} {
		if _, err := ExpandFstab(text, root, resolve); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ExpandFstab(%q) = %v; want an error with %q", text, err, want)
		}
	}
}

func FuzzFstab(f *testing.F) {
	for _, s := range []string{
		"/usr/ports /j/root/usr/ports nullfs ro 0 0\n",
		"# c\n\n/a\\040b /c\\011d nullfs rw\n",
		"a b c d e\n\\777 \\\\ # x\n",
		"\x00 \xff\t\\0 d\r\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		es, err := ParseFstab(text)
		if err != nil {
			return
		}
		for _, e := range es {
			again, err := ParseFstab(e.String())
			if err != nil || len(again) != 1 {
				t.Fatalf("%q re-formatted as %q: %v, %d entries", text, e.String(), err, len(again))
			}
			if diff := cmp.Diff(e, again[0], cmpopts.IgnoreFields(FstabEntry{}, "Line")); diff != "" {
				t.Fatalf("%q: re-parsed entry differs (-want +got):\n%s", e.String(), diff)
			}
		}
		_, _ = ExpandFstab(text, "/r", func(rel string) (string, error) { return "/r/" + rel, nil })
	})
}
