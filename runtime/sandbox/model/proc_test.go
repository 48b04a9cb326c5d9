package model

import (
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestProcessesFindsThisOne(t *testing.T) {
	seen := 0
	got := Processes(func(pid int) bool {
		seen++
		return pid == os.Getpid()
	})
	if diff := cmp.Diff([]int{os.Getpid()}, got); diff != "" {
		t.Errorf("Processes (-want +got):\n%s", diff)
	}
	if seen < 2 {
		t.Errorf("keep was asked about %d processes; /proc has more than this one", seen)
	}
}
