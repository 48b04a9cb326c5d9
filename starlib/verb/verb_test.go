package verb

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
)

func TestParseReadsSignatureAndDocstring(t *testing.T) {
	src := `
load("@iocage//net.star", "x")

def helper():
    pass

def main(names, force = False, count = 2, ratio = 0.5, release = None, files = None, tags = [], no_update = False):
    """destroy stopped jails

    First paragraph,
    over two lines.

    Second. Two sentences.

    Category: Jail lifecycle
    Output: table

    Arguments:
      names JAIL...: the jails
        (continued)

    Flags:
      -f, --force: do not ask
      -r, --release RELEASE: the release
      -F, --files FILE...: the files
      -U, --no-update: no updates

    Examples:
      Destroy two jails
      without asking:
        iocage destroy -f web db
        iocage list
    """
    return names
`
	v, err := Parse("destroy.star", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want := &Verb{
		Name: "destroy", File: "destroy.star", Summary: "destroy stopped jails",
		Description: []string{"First paragraph, over two lines.", "Second. Two sentences."},
		Category:    "Jail lifecycle", Output: "table",
		Args: []Arg{{Param: "names", Meta: "JAIL...", Kind: Rest, Help: "the jails (continued)"}},
		Flags: []Flag{
			{Param: "force", Long: "force", Short: "f", Type: Bool, Help: "do not ask"},
			{Param: "release", Long: "release", Short: "r", Meta: "RELEASE", Type: String, Help: "the release"},
			{Param: "files", Long: "files", Short: "F", Meta: "FILE...", Type: List, Help: "the files"},
			{Param: "no_update", Long: "no-update", Short: "U", Type: Bool, Help: "no updates"},
			// Not in the docstring: from the signature alone.
			{Param: "count", Long: "count", Meta: "COUNT", Type: Int, Default: "2"},
			{Param: "ratio", Long: "ratio", Meta: "RATIO", Type: Float, Default: "0.5"},
			{Param: "tags", Long: "tags", Meta: "TAGS...", Type: List},
		},
		Examples: []Example{{Text: "Destroy two jails without asking:", Commands: []string{"iocage destroy -f web db", "iocage list"}}},
	}
	if d := cmp.Diff(want, v); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	if got := strings.Join(v.SynopsisParts(), " "); got != "[-Uf] [-r RELEASE] [-F FILE...] [--count COUNT] [--ratio RATIO] [--tags TAGS...] JAIL..." {
		t.Errorf("synopsis = %q", got)
	}
}

func TestParseKinds(t *testing.T) {
	for _, tc := range []struct {
		sig, args string
		want      []Arg
	}{
		{"name, props = {}", "name NAME@SNAP: x\n      props PROPERTY=VALUE...: y",
			[]Arg{{Param: "name", Meta: "NAME@SNAP", Help: "x"}, {Param: "props", Meta: "PROPERTY=VALUE...", Kind: Props, Optional: true, Help: "y"}}},
		{"name, command", "command CMD [ARG...] (verbatim): c",
			[]Arg{{Param: "name", Meta: "NAME"}, {Param: "command", Meta: "CMD [ARG...]", Kind: Verbatim, Help: "c"}}},
		{"args", "args PROPERTY=VALUE... NAME|default: a",
			[]Arg{{Param: "args", Meta: "PROPERTY=VALUE... NAME|default", Kind: Rest, Help: "a"}}},
		{"name = \"ALL\"", "name NAME|ALL: n",
			[]Arg{{Param: "name", Meta: "NAME|ALL", Optional: true, Help: "n"}}},
	} {
		src := "def main(" + tc.sig + "):\n    \"\"\"s\n\n    Arguments:\n      " + tc.args + "\n    \"\"\"\n"
		v, err := Parse("x.star", []byte(src))
		if err != nil {
			t.Errorf("%s: %v", tc.sig, err)
			continue
		}
		if d := cmp.Diff(tc.want, v.Args); d != "" {
			t.Errorf("%s (-want +got):\n%s", tc.sig, d)
		}
	}
}

func TestParseRefusesWhatACommandLineCannotSay(t *testing.T) {
	for _, tc := range []struct{ sig, doc, want string }{
		{"a, b", "Arguments:\n      a A...: x", "takes the rest of the command line but is not last"},
		{"d = {}", "", "has no command-line form"},
		{"force = True", "", "a bool flag's default must be False"},
		{"x = dict()", "", "the default must be a literal"},
		{"x = 1", "Flags:\n      --y: nope", "main has no parameter y"},
		{"x", "Flags:\n      --x: nope", "has no default, so it is an argument"},
		{"x = False", "Flags:\n      -xy, --x: nope", "a short name is one letter"},
		{"x = False, y = False", "Flags:\n      -a, --x: 1\n      -a, --y: 2", "share the name a"},
		{"x = False", "Output: tables", "want table or exit status"},
		{"x = False", "Examples:\n      No command", "has no command"},
		{"x = False", "Flags:\n      --x VALUE: a bool", "a bool flag takes no value"},
		{"x = 1", "Arguments:\n      x N: an int", "an argument is a word"},
		{"a = \"\", b", "", "required parameter b follows one with a default"},
	} {
		src := "def main(" + tc.sig + "):\n    \"\"\"s\n\n    " + tc.doc + "\n    \"\"\"\n"
		_, err := Parse("x.star", []byte(src))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("main(%s) %q: err = %v, want %q", tc.sig, tc.doc, err, tc.want)
		}
	}
}

func TestNoVerb(t *testing.T) {
	for _, src := range []string{"x = 1\n", "def main():\n    \"\"\"a script\n\n    Verb: no\n    \"\"\"\n"} {
		if v, err := Parse("x.star", []byte(src)); v != nil || err != nil {
			t.Errorf("%q: %v %v, want no verb", src, v, err)
		}
	}
	fsys := fstest.MapFS{"a.star": {Data: []byte("def main():\n    pass\n")}}
	if _, err := fsys.Open("a.star"); err != nil {
		t.Fatal(err)
	}
}

// FuzzParse: a site recipe is read on every run that lists the verbs; no
// source may make the reader panic or loop.
func FuzzParse(f *testing.F) {
	f.Add("def main(a, b = 1, *args, **kw):\n    \"\"\"s\n\n    Flags:\n      -b, --b N: x\n    \"\"\"\n")
	f.Add("def main(x = [\"a\", 1]):\n    pass\n")
	f.Add("def main(c = -1.5, d = {}, e = None):\n    \"\"\"\n    Arguments:\n      d A=B...: \n    Examples:\n      t\n        c\n    \"\"\"\n")
	f.Fuzz(func(t *testing.T, src string) {
		v, err := Parse("f.star", []byte(src))
		if err == nil && v != nil {
			_ = v.SynopsisParts()
		}
	})
}
