package jail_test

// Issue 12: a verb on one jail costs the same with 10 jails or 1,000.
// TestScaleConstantCost proves it by counts on two small pools (quick, in
// make test); BenchmarkScale (scale_bench_test.go) gives the figures at
// real sizes.

import (
	"context"
	"fmt"
	"os/exec"
	"testing"
	"time"

	"go.starlark.net/starlark"

	"github.com/iocage/iocage/builtins/zfs"
	"github.com/iocage/iocage/runtime/sandbox/sandboxtest"
	"github.com/iocage/iocage/runtime/sandbox/zfscompat"
)

// scaleRel is the release the target jails are cloned from.
const scaleRel = "14.3-RELEASE"

// scaleCost is what one run of a verb cost.
type scaleCost struct {
	wall     time.Duration
	cmds     int   // host commands (runtime.Host.Count)
	datasets int64 // datasets zfs-fuse read for them
}

func (c scaleCost) add(d scaleCost) scaleCost {
	return scaleCost{c.wall + d.wall, c.cmds + d.cmds, c.datasets + d.datasets}
}

// scaleRun runs a shipped recipe's main and measures it. A failed verb
// fails the test: its cost would mean nothing.
func scaleRun(t testing.TB, s *sandboxtest.Sandbox, recipe string, kw map[string]starlark.Value) (starlark.Value, scaleCost) {
	t.Helper()
	n, d, t0 := s.Host.Count(), zfscompat.DatasetsRead(), time.Now()
	v, out, err := stRun(t, s, recipe, kw)
	c := scaleCost{time.Since(t0), s.Host.Count() - n, zfscompat.DatasetsRead() - d}
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", recipe, kw, err, out)
	}
	return v, c
}

// scaleRelease puts the release on s's pool as fetch leaves it, so that
// create -c can clone it.
func scaleRelease(t testing.TB, s *sandboxtest.Sandbox) {
	t.Helper()
	rel := s.Pool + "/iocage/releases/" + scaleRel
	must(t, zfs.Create(context.Background(), s.Host, rel+"/root", true, map[string]string{"compression": "lz4"}))
	if out, err := exec.Command("/bin/cp", "-a", stBase(t)+"/.", s.Host.LocalPath("/iocage/releases/"+scaleRel+"/root")).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v: %s", err, out)
	}
}

// dict makes a Starlark dict of strings, the props of a create.
func dict(kv ...string) *starlark.Dict {
	d := starlark.NewDict(len(kv) / 2)
	for i := 0; i+1 < len(kv); i += 2 {
		_ = d.SetKey(starlark.String(kv[i]), starlark.String(kv[i+1]))
	}
	return d
}

// scaleCreateClone makes the jail tagged tag with the real create recipe
// (create -c of the release, no VNET, so that it starts without a bridge).
func scaleCreateClone(t testing.TB, s *sandboxtest.Sandbox, tag string) scaleCost {
	t.Helper()
	_, c := scaleRun(t, s, "create", map[string]starlark.Value{
		"props": dict("tag", tag, "vnet", "off", "release", scaleRel), "clone": starlark.True})
	return c
}

// scaleVerbs are the single-jail verbs TestScaleConstantCost holds
// constant, in the order they run on the target.
var scaleVerbs = []struct {
	name, recipe string
	kw           func(tag string) map[string]starlark.Value
}{
	{"get", "get", func(tag string) map[string]starlark.Value {
		return map[string]starlark.Value{"prop": starlark.String("boot"), "name": starlark.String(tag)}
	}},
	{"start", "start", func(tag string) map[string]starlark.Value { return names(tag) }},
	{"stop", "stop", func(tag string) map[string]starlark.Value { return names(tag) }},
}

// TestScaleConstantCost runs get, start and stop on one jail of a pool of
// 3 jails and of 12, and fails when the larger pool costs more host
// commands or more datasets read: a single-jail verb must not read the
// other jails.
func TestScaleConstantCost(t *testing.T) {
	sizes := []int{3, 12}
	got := make([]map[string]scaleCost, len(sizes))
	for i, n := range sizes {
		s := stSetup(t)
		scaleRelease(t, s)
		// The other jails are made directly (a zfs create each); only
		// the target needs the real recipe, so that it can start.
		for k := 1; k < n; k++ {
			mkjail(t, s.Host, s.Pool, uuidN(k), fmt.Sprintf("o%d", k), nil)
		}
		scaleCreateClone(t, s, "target")
		got[i] = map[string]scaleCost{}
		for _, v := range scaleVerbs {
			_, got[i][v.name] = scaleRun(t, s, v.recipe, v.kw("target"))
		}
	}
	for _, v := range scaleVerbs {
		small, large := got[0][v.name], got[1][v.name]
		t.Logf("%s target: %d jails %d host commands %d datasets read; %d jails %d and %d", v.name, sizes[0], small.cmds, small.datasets, sizes[1], large.cmds, large.datasets)
		if small.cmds == 0 || small.datasets == 0 {
			t.Errorf("%s target at %d jails: %d host commands, %d datasets read; the counters count nothing", v.name, sizes[0], small.cmds, small.datasets)
		}
		if large.cmds > small.cmds || large.datasets > small.datasets {
			t.Errorf("%s target grows with the number of jails: at %d jails %d host commands and %d datasets read, at %d jails %d and %d",
				v.name, sizes[0], small.cmds, small.datasets, sizes[1], large.cmds, large.datasets)
		}
	}
}
