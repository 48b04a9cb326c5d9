package zfscompat_test

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/iocage/iocage/runtime/sandbox/zfscompat"
)

// A command naming datasets reads those (and what -r/-d reaches below
// them) from zfs-fuse, whatever else the pool holds; only a command
// without targets reads the whole pool.
func TestTargetsCostWhatTheyName(t *testing.T) {
	s := newSandbox(t)
	p := s.Pool
	x := p + "/x"
	mustZFS(t, s, "create", "-o", "mountpoint=none", x)
	mustZFS(t, s, "create", x+"/y")
	// Created in this order so that creation order is not name order.
	mustZFS(t, s, "snapshot", x+"@s1")
	mustZFS(t, s, "snapshot", x+"@s0")
	mustZFS(t, s, "set", "org.freebsd.iocage:active=yes", p)
	mustZFS(t, s, "clone", x+"@s1", p+"/c")
	mustZFS(t, s, "create", "-o", "mountpoint=none", p+"/extra")

	type outcome struct {
		Out, Err string
		Code     int
		Read     int64
	}
	commands := [][]string{
		{"get", "-H", "-o", "name,value", "org.freebsd.iocage:active", p},
		{"list", "-H", "-o", "name", "-t", "all", x},
		{"get", "-Hp", "-o", "name,property,value", "-d", "1", "used,creation", x},
		{"get", "-H", "-o", "name,value", "used", x, p + "/nope", x + "/y"},
		{"list", "-H", "-o", "name", "-t", "snapshot", x},
		{"destroy", "-nvr", x},
		{"rename", x + "/y", x + "/z"},
		{"rename", x + "/z", x + "/y"},
		{"list", "-H", "-o", "name", "otherpool/x"},
		{"get", "-H", "-o", "name", "name", p + "/a\nb", x + "/", x + "@", p + "/a\tb", x},
	}
	measure := func() []outcome {
		var out []outcome
		for _, c := range commands {
			before := zfscompat.DatasetsRead()
			r := zfs(t, s, c...)
			out = append(out, outcome{r.out, r.err, r.code, zfscompat.DatasetsRead() - before})
		}
		return out
	}
	// grow makes the pool hold n file systems below extra, directly with
	// zfs-fuse: the layer under test is not what is being set up.
	made := 0
	grow := func(n int) {
		t.Helper()
		for i := made; i < n; i++ {
			if out, err := exec.Command("/usr/sbin/zfs", "create", "-o", "canmount=off", fmt.Sprintf("%s/extra/e%02d", p, i)).CombinedOutput(); err != nil {
				t.Fatalf("zfs-fuse create: %v: %s", err, out)
			}
		}
		made = n
	}
	// listAll is a pool-wide listing; it must read every dataset.
	listAll := func() {
		t.Helper()
		all := strings.Count(fuseOut(t, "list", "-H", "-o", "name", "-t", "all", "-r", p), "\n") + 1
		before := zfscompat.DatasetsRead()
		out := mustZFS(t, s, "list", "-H", "-o", "name", "-t", "all")
		if read := zfscompat.DatasetsRead() - before; read != int64(all) {
			t.Errorf("zfs list without targets read %d datasets, want all %d of the pool", read, all)
		}
		if n := strings.Count(out, "\n"); n != all {
			t.Errorf("zfs list without targets listed %d datasets, want %d", n, all)
		}
	}

	// clones needs origin pool-wide, but only where a snapshot is shown.
	clones := func() {
		t.Helper()
		all := strings.Count(fuseOut(t, "list", "-H", "-o", "name", "-t", "all", "-r", p), "\n") + 1
		for _, c := range []struct {
			ds, want string
			read     int
		}{
			{x + "@s1", p + "/c\n", 1 + all},
			{x + "@s0", "-\n", 1 + all},
			{x, "-\n", 1},
		} {
			before := zfscompat.DatasetsRead()
			got := mustZFS(t, s, "get", "-H", "-o", "value", "clones", c.ds)
			if read := zfscompat.DatasetsRead() - before; got != c.want || read != int64(c.read) {
				t.Errorf("zfs get clones %s = %q reading %d datasets, want %q reading %d", c.ds, got, read, c.want, c.read)
			}
		}
	}

	grow(5)
	listAll()
	clones()
	small := measure()

	want := []outcome{
		{Out: p + "\tyes\n", Read: 1},
		{Out: x + "\n", Read: 1},
		{Out: strings.Join([]string{
			x + "\tused\t" + fuseBytes(t, "used", x),
			x + "\tcreation\t" + fuseBytes(t, "creation", x),
			x + "@s1\tused\t" + fuseBytes(t, "used", x+"@s1"),
			x + "@s1\tcreation\t" + fuseBytes(t, "creation", x+"@s1"),
			x + "@s0\tused\t" + fuseBytes(t, "used", x+"@s0"),
			x + "@s0\tcreation\t" + fuseBytes(t, "creation", x+"@s0"),
			x + "/y\tused\t" + fuseBytes(t, "used", x+"/y"),
			x + "/y\tcreation\t" + fuseBytes(t, "creation", x+"/y"),
		}, "\n") + "\n", Read: 4},
		{Out: x + "\t" + humanOld(fuseOut(t, "get", "-H", "-o", "value", "used", x)) + "\n" +
			x + "/y\t" + humanOld(fuseOut(t, "get", "-H", "-o", "value", "used", x+"/y")) + "\n",
			Err: "cannot open '" + p + "/nope': dataset does not exist\n", Code: 1, Read: 2},
		{Out: x + "@s1\n" + x + "@s0\n", Read: 4},
		{Out: "would destroy " + x + "/y\nwould destroy " + x + "@s0\nwould destroy " + x + "@s1\nwould destroy " + x + "\n", Read: 4},
		// rename reads the tree's mounts before and while unmounting it.
		{Read: 2},
		{Read: 2},
		{Err: "cannot open 'otherpool/x': dataset does not exist\n", Code: 1},
		// Names zfs-fuse finds invalid, or that no dataset can have, get
		// OpenZFS's message, never zfs-fuse's.
		{Out: x + "\n", Err: "cannot open '" + p + "/a\nb': dataset does not exist\n" +
			"cannot open '" + x + "/': dataset does not exist\n" +
			"cannot open '" + x + "@': dataset does not exist\n" +
			"cannot open '" + p + "/a\tb': dataset does not exist\n", Code: 1, Read: 1},
	}
	if diff := cmp.Diff(want, small); diff != "" {
		t.Errorf("with a small pool (-want +got):\n%s", diff)
	}

	grow(40)
	listAll()
	clones()
	// The same commands on a pool eight times larger read the same
	// datasets and print the same.
	large := measure()
	if diff := cmp.Diff(small, large); diff != "" {
		t.Errorf("a larger pool changed what targeted commands read or print (-small +large):\n%s", diff)
	}
}
