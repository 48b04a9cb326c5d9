package zfs

import "testing"

func TestHumanSize(t *testing.T) {
	for n, want := range map[uint64]string{
		0: "0B", 512: "512B", 1024: "1K", 98304: "96K", 1572864: "1.50M",
		25232932864: "23.5G", 107374182400: "100G", 1<<40 + 1<<39: "1.50T", 1023: "1023B",
	} {
		if got := HumanSize(n); got != want {
			t.Errorf("HumanSize(%d) = %q, want %q", n, got, want)
		}
	}
}
