package zfs

import (
	"strings"
	"testing"
)

// What `zfs list -H -p` prints is split at tabs and newlines only: a row
// read has exactly the columns asked for, none holding a separator, and
// there is one dataset per non-empty line.
func FuzzParseRows(f *testing.F) {
	for _, s := range []string{
		"tank/iocage\tfilesystem\t-\ntank/iocage/jails\tfilesystem\tweb\n",
		"tank/a b\tfilesystem\tnotes with spaces\n", "tank\tfilesystem\n", "a\tb\tc\td\n", "\n\n", "",
		"tank\tfilesystem\t\n", "tank\tsnapshot\tx\r\n", "\t\t\n",
	} {
		f.Add(s)
	}
	cols := []string{"name", "type", "org.freebsd.ioc:tag"}
	f.Fuzz(func(t *testing.T, out string) {
		ds, err := parseRows(out, cols)
		if err != nil {
			return
		}
		rows := 0
		for _, l := range strings.Split(out, "\n") {
			if l != "" {
				rows++
			}
		}
		if len(ds) != rows {
			t.Fatalf("%d datasets from %d rows of %q", len(ds), rows, out)
		}
		for _, d := range ds {
			if len(d.Props) != len(cols) || d.Name != d.Props["name"] || d.Kind != d.Props["type"] {
				t.Fatalf("%q gave %+v", out, d)
			}
			for k, v := range d.Props {
				if strings.ContainsAny(v, "\t\n") {
					t.Fatalf("%q: %s = %q", out, k, v)
				}
			}
		}
	})
}
