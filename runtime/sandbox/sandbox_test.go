package sandbox_test

import (
	"context"
	"strings"
	"testing"

	"github.com/iocage/iocage/runtime"
	"github.com/iocage/iocage/runtime/sandbox/sandboxtest"
)

func TestMain(m *testing.M) { sandboxtest.Main(m) }

func TestRealProgramsRunInsideTheRoot(t *testing.T) {
	s := sandboxtest.New(t)
	ctx := context.Background()
	if err := s.Host.WriteFile("/tmp/hello", []byte("hi\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := s.Host.Output(ctx, "/bin/cat", "/tmp/hello")
	if err != nil {
		t.Fatal(err)
	}
	if out != "hi\n" {
		t.Errorf("cat /tmp/hello inside the sandbox = %q, want %q", out, "hi\n")
	}
	_, err = s.Host.Output(ctx, "/bin/cat", "/nonexistent")
	var ee *runtime.ExitError
	if !asExit(err, &ee) || !strings.Contains(ee.Stderr, "No such file") {
		t.Errorf("cat of a missing file: err = %v, want exit error quoting stderr", err)
	}
	if got := s.Host.Count(); got != 3 {
		t.Errorf("host count = %d, want 3 (write, two runs)", got)
	}
}

func asExit(err error, target **runtime.ExitError) bool {
	e, ok := err.(*runtime.ExitError)
	if ok {
		*target = e
	}
	return ok
}
