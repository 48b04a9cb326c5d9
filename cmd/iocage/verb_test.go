package main

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/urfave/cli/v2"
	"go.starlark.net/starlark"

	"github.com/iocage/iocage/runtime/sandbox"
	"github.com/iocage/iocage/runtime/sandbox/sandboxtest"
)

// Verb rows whose recipes the tests put in a site directory.
func init() {
	registerVerbs(
		&verb{Name: "x-echo", Usage: "test: echo kwargs", Recipe: "x_echo",
			Params: []param{{Name: "jail"}, {Name: "props", Props: true, Optional: true}},
			Flags: []cli.Flag{
				&cli.BoolFlag{Name: "force"},
				&cli.StringFlag{Name: "release-name", Aliases: []string{"r"}},
				&cli.IntFlag{Name: "count", Value: 3},
				&cli.StringSliceFlag{Name: "tag"},
				&cli.BoolFlag{Name: "quiet"},
			}},
		&verb{Name: "x-exec", Usage: "test: passthrough", Recipe: "x_echo",
			Params: []param{{Name: "jail"}, {Name: "command", Passthrough: true}}},
		&verb{Name: "x-list", Usage: "test: table", Recipe: "x_list", Table: true,
			Params: []param{{Name: "names", Variadic: true, Optional: true}}},
	)
}

func verbSandbox(t *testing.T) {
	t.Helper()
	s := sandboxtest.New(t)
	t.Setenv(sandbox.EnvDir, s.Dir)
	t.Setenv("IOCAGE_RECIPES", "/tmp/verbsite")
	writeFiles(t, s.Path("/tmp/verbsite"), map[string]string{
		"x_echo.star": "def main(**kw):\n    return json.encode(kw)\n",
		"x_list.star": `def main(names = []):
    rows = [
        dict(name = "web", ip4 = "10.0.0.1", up = True, tags = ["a", "b"], note = None),
        dict(name = "database", ip4 = "10.0.0.2", up = False, tags = [], note = "tab\there"),
    ]
    return [r for r in rows if not names or r["name"] in names]
`,
	})
}

func TestVerbRowsTurnArgumentsIntoKeywords(t *testing.T) {
	verbSandbox(t)
	for _, tc := range []struct {
		args []string
		want result
	}{
		{[]string{"x-echo", "web"}, result{Stdout: `{"count":3,"jail":"web","props":{}}` + "\n"}},
		{[]string{"x-echo", "--force", "-r", "14.3-RELEASE", "--count", "0", "--tag", "a", "--tag", "b", "web", "vnet=on", "ip4_addr=em0|10.1.1.2/24"},
			result{Stdout: `{"count":0,"force":true,"jail":"web","props":{"ip4_addr":"em0|10.1.1.2/24","vnet":"on"},"release_name":"14.3-RELEASE","tag":["a","b"]}` + "\n"}},
		{[]string{"x-echo"}, result{Code: 2, Stderr: "iocage: error: missing JAIL (see `iocage x-echo --help`)\n"}},
		{[]string{"x-echo", "web", "vnet"}, result{Code: 2, Stderr: "iocage: error: PROPS: \"vnet\" is not NAME=VALUE (see `iocage x-echo --help`)\n"}},
		{[]string{"x-exec", "web", "ls", "-la", "--", "--force"}, result{Stdout: `{"command":["ls","-la","--","--force"],"jail":"web"}` + "\n"}},
		{[]string{"x-exec", "web"}, result{Code: 2, Stderr: "iocage: error: missing COMMAND (see `iocage x-exec --help`)\n"}},
		{[]string{"x-list", "a", "b"}, result{Stdout: ""}},
	} {
		got := iocageOn(t, "", tc.args...)
		if d := cmp.Diff(tc.want, got); d != "" {
			t.Errorf("%v (-want +got):\n%s", tc.args, d)
		}
	}
}

func TestVerbRowsRenderTables(t *testing.T) {
	verbSandbox(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"x-list"}, "NAME      IP4       UP     TAGS  NOTE\nweb       10.0.0.1  true   a,b   -\ndatabase  10.0.0.2  false        tab\there\n"},
		{[]string{"x-list", "-H"}, "web\t10.0.0.1\ttrue\ta,b\t-\ndatabase\t10.0.0.2\tfalse\t\ttab here\n"},
		{[]string{"x-list", "--json", "web"}, "[\n  {\n    \"name\": \"web\",\n    \"ip4\": \"10.0.0.1\",\n    \"up\": true,\n    \"tags\": [\n      \"a\",\n      \"b\"\n    ],\n    \"note\": null\n  }\n]\n"},
	} {
		got := iocageOn(t, "", tc.args...)
		if d := cmp.Diff(result{Stdout: tc.want}, got); d != "" {
			t.Errorf("%v (-want +got):\n%s", tc.args, d)
		}
	}
}

func TestVerbRowUsageShowsParameters(t *testing.T) {
	v := &verb{Name: "create", Recipe: "create", Params: []param{{Name: "name"}, {Name: "props", Props: true, Optional: true}}}
	if d := cmp.Diff("NAME [PROPS=VALUE ...]", v.command().ArgsUsage); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	bad := &verb{Name: "bad", Recipe: "bad", Params: []param{{Name: "rest", Variadic: true}, {Name: "after"}}}
	if err := bad.check(); err == nil || !strings.Contains(err.Error(), "rest takes the rest") {
		t.Errorf("check: %v", err)
	}
}

func TestRender(t *testing.T) {
	s := func(x string) starlark.Value { return starlark.String(x) }
	dict := func(kv ...starlark.Value) *starlark.Dict {
		d := starlark.NewDict(len(kv) / 2)
		for i := 0; i < len(kv); i += 2 {
			_ = d.SetKey(kv[i], kv[i+1])
		}
		return d
	}
	for _, tc := range []struct {
		name string
		v    starlark.Value
		o    renderOpts
		want string
	}{
		{"none", starlark.None, renderOpts{}, ""},
		{"string", s("hi"), renderOpts{}, "hi\n"},
		{"string with newline", s("hi\n"), renderOpts{}, "hi\n"},
		{"int", starlark.MakeInt(7), renderOpts{}, "7\n"},
		{"bool", starlark.True, renderOpts{}, "True\n"},
		{"list of scalars", starlark.NewList([]starlark.Value{s("a"), starlark.MakeInt(1)}), renderOpts{}, "a\n1\n"},
		{"dict", dict(s("name"), s("web"), s("jid"), starlark.MakeInt(3)), renderOpts{}, "name: web\njid: 3\n"},
		{"dict -H", dict(s("name"), s("web"), s("jid"), starlark.MakeInt(3)), renderOpts{noHeader: true}, "name\tweb\njid\t3\n"},
		{"dict json keeps order", dict(s("z"), s("1"), s("a"), starlark.None), renderOpts{json: true}, "{\n  \"z\": \"1\",\n  \"a\": null\n}\n"},
		{"ragged table", starlark.NewList([]starlark.Value{dict(s("a"), s("x"), s("b"), s("yy")), dict(s("a"), s("longer"))}), renderOpts{}, "A       B\nx       yy\nlonger  -\n"},
		{"json of a float and a tuple", starlark.Tuple{starlark.Float(1.5), starlark.MakeInt(2)}, renderOpts{json: true}, "[\n  1.5,\n  2\n]\n"},
	} {
		var b strings.Builder
		if err := render(&b, tc.v, tc.o); err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if d := cmp.Diff(tc.want, b.String()); d != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, d)
		}
	}
}
