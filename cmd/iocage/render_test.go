package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"
)

// eval evaluates a Starlark expression the way a recipe would build its
// return value.
func eval(t *testing.T, expr string) starlark.Value {
	t.Helper()
	v, err := starlark.Eval(&starlark.Thread{}, "expr", expr, starlark.StringDict{
		"struct": starlark.NewBuiltin("struct", starlarkstruct.Make),
	})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func renderString(t *testing.T, v starlark.Value, o renderOpts) string {
	t.Helper()
	var b bytes.Buffer
	if err := render(&b, v, o); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestRenderTableStruct(t *testing.T) {
	const rows = `[{"jid": None, "uuid": "u1", "tag": "web"}, {"jid": 3, "uuid": "u22", "tag": "db"}]`
	for _, tc := range []struct {
		name, expr string
		o          renderOpts
		want       string
	}{
		{"empty table prints its header", `struct(columns = ["jid", "uuid", "tag"], rows = [])`, renderOpts{},
			"JID  UUID  TAG\n"},
		{"empty table with -H prints nothing", `struct(columns = ["jid", "uuid", "tag"], rows = [])`, renderOpts{noHeader: true},
			""},
		{"empty table in JSON is an empty array", `struct(columns = ["jid"], rows = [])`, renderOpts{json: true},
			"[]\n"},
		{"columns pick and order the keys", `struct(columns = ["tag", "jid"], rows = ` + rows + `)`, renderOpts{},
			"TAG  JID\nweb  -\ndb   3\n"},
		{"a missing key is a dash", `struct(columns = ["tag", "ip"], rows = ` + rows + `)`, renderOpts{noHeader: true},
			"web\t-\ndb\t-\n"},
		{"headers as given", `struct(columns = ["uuid", "tag"], headers = ["UUID", "tag"], rows = [])`, renderOpts{},
			"UUID  tag\n"},
		{"title before the header", `struct(columns = ["jid"], title = "--- banner ---", rows = [{"jid": 1}])`, renderOpts{},
			"--- banner ---\nJID\n1\n"},
		{"-H drops title and header", `struct(columns = ["jid"], title = "--- banner ---", rows = [{"jid": 1}])`, renderOpts{noHeader: true},
			"1\n"},
		{"hide_empty prints not even the title", `struct(columns = ["jid"], title = "x", hide_empty = True, rows = [])`, renderOpts{},
			""},
		{"format lays a row over two lines, trailing blanks trimmed",
			`struct(columns = ["uuid", "tag", "a", "b"], format = ["%-5s  %s", "  %-4s|%3s"], rows = [{"uuid": "u1", "tag": "web", "a": "1", "b": "2"}])`,
			renderOpts{}, "UUID   TAG\n  A   |  B\nu1     web\n  1   |  2\n"},
		{"format with -H is tab-separated",
			`struct(columns = ["uuid", "a"], format = ["%s %s"], rows = [{"uuid": "u1", "a": "1"}])`,
			renderOpts{noHeader: true}, "u1\t1\n"},
		{"no header line, right-aligned",
			`struct(columns = ["release"], headers = [], title = "Downloaded releases:", format = ["%15s"], rows = [{"release": "14.3-RELEASE"}])`,
			renderOpts{}, "Downloaded releases:\n   14.3-RELEASE\n"},
		{"percent sign", `struct(columns = ["a"], format = ["%s%%"], rows = [{"a": "50"}])`, renderOpts{}, "A%\n50%\n"},
		{"json keeps exactly the columns in order", `struct(columns = ["tag", "jid", "ip"], rows = ` + rows + `)`, renderOpts{json: true},
			"[\n  {\n    \"tag\": \"web\",\n    \"jid\": null,\n    \"ip\": null\n  },\n  {\n    \"tag\": \"db\",\n    \"jid\": 3,\n    \"ip\": null\n  }\n]\n"},
		{"several tables in turn",
			`[struct(columns = ["a"], rows = [{"a": 1}], name = "one"), struct(columns = ["b", "c"], title = "---", rows = [{"b": 2, "c": 3}], name = "two")]`,
			renderOpts{}, "A\n1\n---\nB  C\n2  3\n"},
		{"several tables in JSON by name",
			`[struct(columns = ["a"], rows = [{"a": 1}], name = "one"), struct(columns = ["b"], rows = [], name = "two")]`,
			renderOpts{json: true}, "{\n  \"one\": [\n    {\n      \"a\": 1\n    }\n  ],\n  \"two\": []\n}\n"},
		{"pairs with a separator", `struct(pairs = {"status": "up", "boot": "on"}, separator = ":")`, renderOpts{},
			"status:up\nboot:on\n"},
		{"pairs with -H", `struct(pairs = {"status": "up", "notes": "a\tb"}, separator = "=")`, renderOpts{noHeader: true},
			"status\tup\nnotes\ta b\n"},
		{"pairs in JSON are an object", `struct(pairs = {"status": "up", "boot": "on"}, separator = ":")`, renderOpts{json: true},
			"{\n  \"status\": \"up\",\n  \"boot\": \"on\"\n}\n"},
		{"a struct with other fields is an ordinary struct", `struct(columns = ["a"], rows = [], extra = 1)`, renderOpts{},
			"columns: a\nextra: 1\nrows: \n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if d := cmp.Diff(tc.want, renderString(t, eval(t, tc.expr), tc.o)); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

func TestRenderTableStructErrors(t *testing.T) {
	for expr, want := range map[string]string{
		`struct(columns = "uuid", rows = [])`:                                      "table columns: got string, want a list of strings",
		`struct(columns = [], rows = [])`:                                          "at least one column",
		`struct(columns = [1], rows = [])`:                                         "columns[0]: got int",
		`struct(columns = ["a"], rows = [1])`:                                      "table row: got int",
		`struct(columns = ["a"], rows = {})`:                                       "table rows: got dict",
		`struct(columns = ["a", "b"], headers = ["A"], rows = [])`:                 "1 labels for 2 columns",
		`struct(columns = ["a", "b"], format = ["%s"], rows = [])`:                 "format has 1 fields for 2 columns",
		`struct(columns = ["a"], format = ["%d"], rows = [])`:                      "only %s",
		`struct(columns = ["a"], format = ["%5"], rows = [])`:                      "only %s",
		`struct(columns = ["a"], title = 3, rows = [])`:                            "table title: got int",
		`struct(columns = ["a"], hide_empty = "yes", rows = [])`:                   "hide_empty: got string",
		`struct(pairs = [], separator = ":")`:                                      "pairs: got list, want a dict",
		`[struct(columns = ["a"], rows = []), struct(columns = ["b"], rows = [])]`: "",
	} {
		var b bytes.Buffer
		err := render(&b, eval(t, expr), renderOpts{})
		switch {
		case want == "" && err != nil:
			t.Errorf("%s: %v", expr, err)
		case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
			t.Errorf("%s: error %v, want one with %q", expr, err, want)
		}
	}
	// Two unnamed tables get distinct keys; two of one name are an error.
	var b bytes.Buffer
	if err := render(&b, eval(t, `[struct(columns = ["a"], rows = [], name = "x"), struct(columns = ["b"], rows = [], name = "x")]`), renderOpts{json: true}); err == nil || !strings.Contains(err.Error(), `two tables named "x"`) {
		t.Errorf("duplicate table names: %v", err)
	}
}
