package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// The FreeBSD binary carries no sandbox: the sandbox is iocage-sandbox, a
// program of its own for Linux.
func TestFreeBSDBinaryHasNoSandbox(t *testing.T) {
	for _, arch := range []string{"amd64", "arm64"} {
		cmd := exec.Command("go", "list", "-deps", ".")
		cmd.Env = append(os.Environ(), "GOOS=freebsd", "GOARCH="+arch)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("go list -deps (freebsd/%s): %v", arch, err)
		}
		var bad []string
		for _, p := range strings.Fields(string(out)) {
			if strings.Contains(p, "/runtime/sandbox") {
				bad = append(bad, p)
			}
		}
		if len(bad) > 0 || !strings.Contains(string(out), "github.com/iocage/iocage/runtime\n") {
			t.Errorf("freebsd/%s iocage links sandbox packages: %v", arch, bad)
		}
	}
}
