package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestManPageNamesEveryVerb(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"iocage", "man"}, strings.NewReader(""), &out, &errb); code != 0 {
		t.Fatalf("iocage man: exit %d, stderr %q", code, errb.String())
	}
	page := out.String()
	if !strings.HasPrefix(page, ".nh\n.TH iocage 8") {
		t.Errorf("man page does not open as iocage(8): %q", page[:min(len(page), 40)])
	}
	for _, verb := range []string{"fetch", "create", "start", "stop", "exec", "console", "list", "snapshot", "repl"} {
		if !strings.Contains(page, "\n.SH "+verb) && !strings.Contains(page, "\n.SS "+verb) && !strings.Contains(page, "\\fB"+verb) && !strings.Contains(page, "\n"+verb) {
			t.Errorf("man page does not document %s", verb)
		}
	}
}
