package thread

import (
	"os"
	"testing"

	"github.com/iocage/iocage/runtime"
)

// BenchmarkJournalStep is the journal's cost per change: one step written
// (and fsynced) before a change that does nothing, on the disk /var/tmp is on.
func BenchmarkJournalStep(b *testing.B) {
	dir, err := os.MkdirTemp("/var/tmp", "iocage-journal-bench-")
	if err != nil {
		b.Fatal(err)
	}
	defer os.RemoveAll(dir)
	h := runtime.New(&runtime.Scripted{Root: dir}, runtime.Options{})
	j := NewJournal(h, []string{"bench"})
	u := NewUndo(h, j)
	s := Step{Kind: "zfs.destroy", Args: []string{"-r", "zroot/iocage/jails/3f2a9c41-7d10-4e5b-9a2c-0d4e6f8a1b2c"}}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := u.Do("zfs destroy -r zroot/iocage/jails/x", s, func() error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(j.syncs)/float64(b.N), "fsyncs/op")
	u.Commit()
	j.Close()
}
