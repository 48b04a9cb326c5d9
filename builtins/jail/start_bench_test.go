package jail_test

import (
	"context"
	"os/exec"
	"testing"
	"time"

	"go.starlark.net/starlark"

	"github.com/iocage/iocage/builtins/zfs"
)

// BenchmarkCreateStartStop measures the jail lifecycle a user meets first
// — create -c, start, stop — by host commands and wall time per step.
// The release dataset is prepared once, outside the timing.
func BenchmarkCreateStartStop(b *testing.B) {
	s := stSetup(b)
	ctx := context.Background()
	rel := s.Pool + "/iocage/releases/14.3-RELEASE"
	must(b, zfs.Create(ctx, s.Host, rel+"/root", true, map[string]string{"compression": "lz4"}))
	if out, err := exec.Command("/bin/cp", "-a", stBase(b)+"/.", s.Host.LocalPath("/iocage/releases/14.3-RELEASE/root")).CombinedOutput(); err != nil {
		b.Fatalf("cp: %v: %s", err, out)
	}
	var cmds [3]int
	var wall [3]time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		props := starlark.NewDict(2)
		_ = props.SetKey(starlark.String("vnet"), starlark.String("off"))
		_ = props.SetKey(starlark.String("release"), starlark.String("14.3-RELEASE"))
		steps := []struct {
			recipe string
			kw     map[string]starlark.Value
		}{
			{"create", map[string]starlark.Value{"props": props, "clone": starlark.True}},
			{"start", nil},
			{"stop", nil},
		}
		var tag string
		for k, st := range steps {
			kw := st.kw
			if kw == nil {
				kw = names(tag)
			}
			n, t0 := s.Host.Count(), time.Now()
			v, out, err := stRun(b, s, st.recipe, kw)
			wall[k] += time.Since(t0)
			cmds[k] += s.Host.Count() - n
			if err != nil {
				b.Fatalf("%s: %v\n%s", st.recipe, err, out)
			}
			if k == 0 {
				tag = stField(b, v.(*starlark.List).Index(0), "tag")
			}
		}
	}
	b.StopTimer()
	for k, name := range []string{"create", "start", "stop"} {
		b.ReportMetric(float64(cmds[k])/float64(b.N), name+"-host-cmds/op")
		b.ReportMetric(float64(wall[k].Milliseconds())/float64(b.N), name+"-ms/op")
	}
	b.ReportMetric(float64(cmds[0]+cmds[1]+cmds[2])/float64(b.N), "host-cmds/op")
}

// stField reads field name of a row a recipe returned (dict or struct).
func stField(t testing.TB, row starlark.Value, name string) string {
	t.Helper()
	var v starlark.Value
	switch r := row.(type) {
	case *starlark.Dict:
		v, _, _ = r.Get(starlark.String(name))
	case starlark.HasAttrs:
		v, _ = r.Attr(name)
	}
	s, ok := starlark.AsString(v)
	if !ok {
		t.Fatalf("row %v has no string %s", row, name)
	}
	return s
}
