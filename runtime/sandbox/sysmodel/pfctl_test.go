package sysmodel_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/iocage/iocage/runtime"
	"github.com/iocage/iocage/runtime/sandbox/sandboxtest"
)

func pfctl(t *testing.T, h *runtime.Host, stdin string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	_, err := h.Run(context.Background(), &runtime.Cmd{Path: runtime.Pfctl, Args: args, Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb})
	code := 0
	var ee *runtime.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode
	} else if err != nil {
		t.Fatalf("pfctl %v: %v", args, err)
	}
	return result{out.String(), errb.String(), code}
}

func TestPfctlAnchors(t *testing.T) {
	s := sandboxtest.New(t)
	h := s.Host
	rules := "# jail web\nnat on em0 inet from 10.0.0.5 to any -> (em0)\n\nrdr pass on em0 inet proto tcp from any to (em0) port 8080 -> 10.0.0.5 port 80\npass in on em0 proto tcp from any to 10.0.0.5 port 80\n"
	steps := []struct {
		stdin string
		args  []string
		want  result
	}{
		{"", []string{"-a", "iocage/ioc-web", "-s", "nat"}, result{Stderr: "pfctl: DIOCGETRULES: Invalid argument\n", Code: 1}},
		{rules, []string{"-a", "iocage/ioc-web", "-f", "-"}, result{}},
		{"", []string{"-a", "iocage/ioc-web", "-s", "nat"}, result{Stdout: "nat on em0 inet from 10.0.0.5 to any -> (em0) round-robin\n" +
			"rdr pass on em0 inet proto tcp from any to (em0) port = 8080 -> 10.0.0.5 port 80\n"}},
		{"", []string{"-a", "iocage/ioc-web", "-sr"}, result{Stdout: "pass in on em0 proto tcp from any to 10.0.0.5 port = 80 flags S/SA keep state\n"}},
		{"nat on em0 from 10.0.0.6 to any -> (em0)\n", []string{"-a", "iocage/ioc-db", "-f", "-"}, result{}},
		{"", []string{"-sA"}, result{Stdout: "  iocage\n"}},
		{"", []string{"-a", "iocage", "-s", "Anchors"}, result{Stdout: "  iocage/ioc-db\n  iocage/ioc-web\n"}},
		{"nat on em0 from 10.0.0.6 to any -> (em0)\nrdr on em0 from any to any port 80 -> 10.0.0.6\n", []string{"-a", "iocage/ioc-db", "-f", "-"},
			result{Stderr: "stdin:2: syntax error\npfctl: Syntax error in config file: pf rules not loaded\n", Code: 1}},
		// A bad file loads nothing: ioc-db keeps its rule.
		{"", []string{"-a", "iocage/ioc-db", "-s", "nat"}, result{Stdout: "nat on em0 from 10.0.0.6 to any -> (em0) round-robin\n"}},
		{"", []string{"-a", "iocage/ioc-web", "-F", "nat"}, result{Stderr: "nat cleared\n"}},
		{"", []string{"-a", "iocage/ioc-web", "-s", "nat"}, result{}},
		{"", []string{"-a", "iocage/ioc-web", "-F", "all"}, result{Stderr: "rules cleared\nnat cleared\n0 tables deleted.\n"}},
		{"", []string{"-a", "iocage/ioc-web", "-s", "nat"}, result{Stderr: "pfctl: DIOCGETRULES: Invalid argument\n", Code: 1}},
		{"", []string{"-a", "iocage", "-sA"}, result{Stdout: "  iocage/ioc-db\n"}},
		{"", []string{"-s", "bogus"}, result{Stderr: "pfctl: Unknown show modifier 'bogus'\n" + pfctlUsageText, Code: 1}},
		{"pass\n", []string{"-f", "-"}, result{Stderr: "pfctl: the sandbox models rules in anchors only (use -a ANCHOR)\n", Code: 1}},
	}
	for _, st := range steps {
		got := pfctl(t, h, st.stdin, st.args...)
		if d := cmp.Diff(st.want, got); d != "" {
			t.Errorf("pfctl %v (-want +got):\n%s", st.args, d)
		}
	}
	// Rules from a file name a line of the file.
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(h.WriteFile("/tmp/pf.rules", []byte("pass\nbogus\n"), 0o644))
	got := pfctl(t, h, "", "-a", "iocage/x", "-f", "/tmp/pf.rules")
	if d := cmp.Diff(result{Stderr: "/tmp/pf.rules:2: syntax error\npfctl: Syntax error in config file: pf rules not loaded\n", Code: 1}, got); d != "" {
		t.Errorf("file (-want +got):\n%s", d)
	}
}

const pfctlUsageText = `usage: pfctl [-AdeghMmNnOPqRrvz] [-a anchor] [-D macro=value] [-F modifier]
	[-f file] [-i interface] [-K host | network]
	[-k host | network | gateway | label | id] [-o level] [-p device]
	[-s modifier] [-t table -T command [address ...]] [-x level]
`
