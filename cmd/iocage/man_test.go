package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var updateMan = flag.Bool("update-man", false, "rewrite man/*.[58] from the command and property tables")

// manPages are the committed pages `make install` installs, by the
// argument of `iocage man` that prints each.
var manPages = map[string]string{"iocage.8": "../../man/iocage.8", "iocage-recipes.5": "../../man/iocage-recipes.5"}

// shippedMan prints a page as a FreeBSD host without site recipes has it.
func shippedMan(t *testing.T, page string) string {
	t.Helper()
	t.Setenv("IOCAGE_RECIPES", filepath.Join(t.TempDir(), "none"))
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"iocage", "man", page}, strings.NewReader(""), &out, &errb); code != 0 {
		t.Fatalf("iocage man %s: exit %d, stderr %q", page, code, errb.String())
	}
	return out.String()
}

func TestManPagesAreUpToDate(t *testing.T) {
	for page, file := range manPages {
		got := shippedMan(t, page)
		if *updateMan {
			if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(string(want), got); d != "" {
			t.Errorf("%s is stale; regenerate it: go test ./cmd/iocage -run TestManPages -args -update-man\n%s", file, d)
		}
	}
}

// TestManPagesLint runs mandoc's linter at the level of warnings over the
// committed pages: what FreeBSD's man(1) renders them with.
func TestManPagesLint(t *testing.T) {
	if _, err := exec.LookPath("mandoc"); err != nil {
		t.Skip("mandoc is not installed (Debian: apt-get install mandoc; make deps installs it)")
	}
	for _, file := range manPages {
		out, err := exec.Command("mandoc", "-T", "lint", "-W", "warning", file).CombinedOutput()
		if err != nil || len(out) > 0 {
			t.Errorf("mandoc -T lint %s: %v\n%s", file, err, out)
		}
	}
}

func TestManPageDocumentsEveryVerbAndProperty(t *testing.T) {
	page := shippedMan(t, "iocage.8")
	for _, c := range loadTable(nil).visible() {
		if c.linuxOnly {
			continue
		}
		if !strings.Contains(page, "\n.Cm "+c.spec.Name+"\n") {
			t.Errorf("iocage(8) has no entry for %s", c.spec.Name)
		}
		for _, f := range c.spec.Flags {
			if !strings.Contains(page, "Fl -"+f.Long) && !strings.Contains(page, "Fl "+f.Long) {
				t.Errorf("iocage(8) does not document %s --%s", c.spec.Name, f.Long)
			}
		}
	}
	for _, sec := range []string{"SYNOPSIS", "DESCRIPTION", "PROPERTIES", "ENVIRONMENT", "FILES", "EXIT STATUS", "EXAMPLES", "SEE ALSO"} {
		if !strings.Contains(page, "\n.Sh "+sec+"\n") && !strings.Contains(page, "\n.Sh \""+sec+"\"\n") {
			t.Errorf("iocage(8) has no %s section", sec)
		}
	}
	for _, xr := range []string{"jail 8", "zfs 8", "rctl 8", "jexec 8", "jls 8"} {
		if !strings.Contains(page, ".Xr "+xr) {
			t.Errorf("iocage(8) does not refer to %s", xr)
		}
	}
	for _, p := range []string{"ip4_addr", "vnet", "memoryuse", "boot", "priority"} {
		if !strings.Contains(page, ".It Cm "+p+" Ns = Ns") {
			t.Errorf("iocage(8) does not document property %s", p)
		}
	}
	// The sandbox is a Linux development tool: FreeBSD's page says nothing of it.
	for _, p := range manPages {
		if b, _ := os.ReadFile(p); strings.Contains(strings.ToLower(string(b)), "sandbox") {
			t.Errorf("%s mentions the sandbox", p)
		}
	}
}
