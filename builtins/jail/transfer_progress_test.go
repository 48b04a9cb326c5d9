package jail_test

// Progress of export and import on the sandbox: drawn on stderr only when
// the run says stderr is a terminal, never into the stream, which stays
// what `zfs send -R` writes and imports.

import (
	"bytes"
	"context"
	"io"
	"regexp"
	"sort"
	"strings"
	"testing"

	"go.starlark.net/starlark"

	"github.com/iocage/iocage/builtins/jail"
	"github.com/iocage/iocage/builtins/progress"
	"github.com/iocage/iocage/builtins/zfs"
	"github.com/iocage/iocage/runtime/sandbox/sandboxtest"
	"github.com/iocage/iocage/starlib"
)

// trRunTerm runs recipe with stdout and stderr apart, stderr a terminal
// or not as term says.
func trRunTerm(t *testing.T, s *sandboxtest.Sandbox, recipe string, kwargs map[string]starlark.Value, stdin io.Reader, term bool) (stdout, stderr string, err error) {
	t.Helper()
	var out, errs bytes.Buffer
	in := starlib.New(starlib.Options{Host: s.Host, Stdin: stdin, Stdout: &out, Stderr: &errs, SiteDir: "/nonexistent", StderrTerminal: term})
	var kw []starlark.Tuple
	keys := make([]string, 0, len(kwargs))
	for k := range kwargs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		kw = append(kw, starlark.Tuple{starlark.String(k), kwargs[k]})
	}
	_, err = in.CallMain(context.Background(), starlib.ShippedPrefix+recipe+".star", kw)
	return out.String(), errs.String(), err
}

// finalLine matches the last progress line of name: size bytes (of total
// when pct), then the rate and time when the transfer took long enough.
func finalLine(name, size string, pct bool) *regexp.Regexp {
	done := regexp.QuoteMeta(size)
	if pct {
		done = "100%  " + done + "/" + done
	}
	return regexp.MustCompile(`\r` + regexp.QuoteMeta(name) + ` +` + done + `(  \S+/s  in \d+:\d\d)? done *\n`)
}

func TestExportImportProgress(t *testing.T) {
	s := stSetup(t)
	ctx := context.Background()
	trJail(t, s)

	// Not on a terminal: no progress line, and nothing drawn in place.
	_, errs, err := trRunTerm(t, s, "export", map[string]starlark.Value{"name": str("web"), "file": str("/tmp/quiet.zfs")}, nil, false)
	if err != nil {
		t.Fatalf("export: %v\n%s", err, errs)
	}
	if strings.Contains(errs, "\r") || strings.Contains(errs, "quiet.zfs ") {
		t.Errorf("export off a terminal drew progress:\n%q", errs)
	}

	out, errs, err := trRunTerm(t, s, "export", map[string]starlark.Value{"name": str("web"), "file": str("/tmp/web.zfs")}, nil, true)
	if err != nil {
		t.Fatalf("export: %v\n%s", err, errs)
	}
	fi, err := s.Host.Stat("/tmp/web.zfs")
	must(t, err)
	if re := finalLine("web.zfs", progress.Size(fi.Size()), false); !re.MatchString(errs) {
		t.Errorf("export's stderr has no final progress line matching %s:\n%q", re, errs)
	}
	if strings.Contains(out, "\r") {
		t.Errorf("progress in stdout:\n%q", out)
	}

	// Import of the file counts down its size.
	if _, errs, err := trRunTerm(t, s, "destroy", map[string]starlark.Value{"names": starlark.NewList([]starlark.Value{str("web")}), "force": starlark.True}, nil, false); err != nil {
		t.Fatalf("destroy: %v\n%s", err, errs)
	}
	if _, errs, err = trRunTerm(t, s, "import", map[string]starlark.Value{"file": str("/tmp/web.zfs")}, nil, true); err != nil {
		t.Fatalf("import: %v\n%s", err, errs)
	}
	if re := finalLine("web.zfs", progress.Size(fi.Size()), true); !re.MatchString(errs) {
		t.Errorf("import's stderr has no final progress line matching %s:\n%q", re, errs)
	}

	// The stream to standard output with progress on is what zfs send
	// writes, byte for byte, and imports from standard input (whose size
	// is unknown: no percent).
	snap := s.Pool + "/iocage/jails/" + stUUID + "@progress"
	must(t, zfs.Snapshot(ctx, s.Host, snap, true))
	var stream, prog, plain bytes.Buffer
	n, err := jail.SendStream(ctx, s.Host, snap, "-", false, &stream, &prog, nil)
	must(t, err)
	must(t, zfs.Send(ctx, s.Host, snap, zfs.SendOptions{Replicate: true}, &plain))
	if n != int64(stream.Len()) || !bytes.Equal(stream.Bytes(), plain.Bytes()) {
		t.Fatalf("stream with progress: %d bytes (%d counted), zfs send -R: %d; equal %v", stream.Len(), n, plain.Len(), bytes.Equal(stream.Bytes(), plain.Bytes()))
	}
	if re := finalLine("stdout", progress.Size(n), false); !re.MatchString(prog.String()) {
		t.Errorf("progress of the stream to stdout does not match %s:\n%q", re, prog.String())
	}
	_, errs, err = trRunTerm(t, s, "import", map[string]starlark.Value{"file": str("-")}, bytes.NewReader(stream.Bytes()), true)
	if err != nil {
		t.Fatalf("import from stdin: %v\n%s", err, errs)
	}
	if re := finalLine("stdin", progress.Size(n), false); !re.MatchString(errs) {
		t.Errorf("import from stdin: no final progress line matching %s:\n%q", re, errs)
	}
	if strings.Contains(errs, "%") {
		t.Errorf("import from stdin shows a percent of an unknown size:\n%q", errs)
	}
}
