package release_test

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"

	"go.starlark.net/starlark"

	"github.com/iocage/iocage/builtins/progress"
	"github.com/iocage/iocage/builtins/release"
	"github.com/iocage/iocage/starlib"
)

// TestFetchProgressOnlyOnTerminal: fetch draws its download's progress
// on stderr when the run says stderr is a terminal, and nothing when it
// does not, whatever stdout is.
func TestFetchProgressOnlyOnTerminal(t *testing.T) {
	s := setup(t)
	kw := []starlark.Tuple{
		{starlark.String("files"), starlark.NewList([]starlark.Value{starlark.String("base.txz")})},
		{starlark.String("release"), starlark.String(rel)},
		{starlark.String("no_update"), starlark.True},
	}
	run := func(term bool) (string, string) {
		t.Helper()
		var out, errs bytes.Buffer
		in := starlib.New(starlib.Options{Host: s.Host, Stdout: &out, Stderr: &errs, StderrTerminal: term})
		if _, err := in.CallMain(context.Background(), starlib.ShippedPrefix+"fetch.star", kw); err != nil {
			t.Fatalf("fetch: %v\n%s", err, errs.String())
		}
		return out.String(), errs.String()
	}
	archive := release.DownloadDir(rel) + "/base.txz"

	// Interactive (stdout a terminal) no longer draws: only stderr counts.
	_, errs := run(false)
	if errs != "" {
		t.Errorf("fetch off a terminal wrote to stderr:\n%q", errs)
	}
	fi, err := s.Host.Stat(archive)
	if err != nil {
		t.Fatal(err)
	}
	// Fetched again, the missing archive is downloaded once more.
	if err := s.Host.Remove(archive); err != nil {
		t.Fatal(err)
	}
	out, errs := run(true)
	size := regexp.QuoteMeta(progress.Size(fi.Size()))
	re := regexp.MustCompile(`^(\rbase\.txz .*)*\rbase\.txz +100%  ` + size + `/` + size + `(  \S+/s  in \d+:\d\d)? done *\n$`)
	if !re.MatchString(errs) {
		t.Errorf("fetch's stderr does not match %s:\n%q", re, errs)
	}
	if strings.Contains(out, "\r") {
		t.Errorf("progress in stdout:\n%q", out)
	}
}
