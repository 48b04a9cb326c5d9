package main

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.starlark.net/starlark"

	"github.com/iocage/iocage/runtime/sandbox"
	"github.com/iocage/iocage/runtime/sandbox/sandboxtest"
)

func verbSandbox(t *testing.T) {
	t.Helper()
	s := sandboxtest.New(t)
	t.Setenv(sandbox.EnvDir, s.Dir)
	t.Setenv("IOCAGE_RECIPES", "/tmp/verbsite")
	writeFiles(t, s.Path("/tmp/verbsite"), map[string]string{
		"x-echo.star": `def main(jail, props = {}, force = False, release_name = "", count = 3, tag = [], quiet = False):
    """test: echo the arguments

    Arguments:
      jail JAIL: the jail
      props PROPERTY=VALUE...: properties

    Flags:
      -r, --release-name REL: a release
      --tag TAG...: tags
    """
    return json.encode(dict(jail = jail, props = props, force = force, release_name = release_name, count = count, tag = tag, quiet = quiet))
`,
		"x-exec.star": `def main(jail, command):
    """test: verbatim

    Arguments:
      command CMD [ARG...] (verbatim): the command
    """
    return json.encode(dict(jail = jail, command = command))
`,
		"x-list.star": `def main(names = []):
    """test: a table

    Output: table

    Arguments:
      names NAME...: names
    """
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
		{[]string{"x-echo", "web"}, result{Stdout: `{"count":3,"force":false,"jail":"web","props":{},"quiet":false,"release_name":"","tag":[]}` + "\n"}},
		{[]string{"x-echo", "--force", "-r", "14.3-RELEASE", "--count", "0", "--tag", "a", "--tag", "b", "web", "vnet=on", "ip4_addr=em0|10.1.1.2/24"},
			result{Stdout: `{"count":0,"force":true,"jail":"web","props":{"ip4_addr":"em0|10.1.1.2/24","vnet":"on"},"quiet":false,"release_name":"14.3-RELEASE","tag":["a","b"]}` + "\n"}},
		// Flags after the names, joined values, grouped short flags.
		{[]string{"x-echo", "web", "vnet=on", "--force", "-r14.3-RELEASE", "--count=0", "--tag", "a", "--trace=false"},
			result{Stdout: `{"count":0,"force":true,"jail":"web","props":{"vnet":"on"},"quiet":false,"release_name":"14.3-RELEASE","tag":["a"]}` + "\n"}},
		{[]string{"x-echo", "web", "--", "--force"}, result{Code: 2, Stderr: "iocage: error: x-echo: \"--force\" is not PROPERTY=VALUE (see `iocage x-echo --help`)\n"}},
		{[]string{"x-echo"}, result{Code: 2, Stderr: "iocage: error: x-echo: missing JAIL (see `iocage x-echo --help`)\n"}},
		{[]string{"x-echo", "web", "vnet"}, result{Code: 2, Stderr: "iocage: error: x-echo: \"vnet\" is not PROPERTY=VALUE (see `iocage x-echo --help`)\n"}},
		{[]string{"x-echo", "web", "--forse"}, result{Code: 2, Stderr: "iocage: error: x-echo: unknown flag --forse; did you mean --force? (see `iocage x-echo --help`)\n"}},
		{[]string{"x-exec", "web", "ls", "-la", "--", "--force"}, result{Stdout: `{"command":["ls","-la","--","--force"],"jail":"web"}` + "\n"}},
		{[]string{"x-exec", "web"}, result{Code: 2, Stderr: "iocage: error: x-exec: missing CMD [ARG...] (see `iocage x-exec --help`)\n"}},
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
