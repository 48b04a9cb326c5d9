package jail_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/iocage/iocage/builtins/jail"
)

// libxoQuote renders s as libxo does in a JSON string: only backslash,
// double quote, newline and carriage return are escaped.
func libxoQuote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\r", `\r`)
	return `"` + r.Replace(s) + `"`
}

// jlsOut is what jls --libxo json prints with JlsArgs' parameters for
// the given jails.
func jlsOut(rs []jail.RunningJail) string {
	var inst []string
	for _, r := range rs {
		var ips []string
		if r.IP4 != "" {
			for _, a := range strings.Split(r.IP4, ",") {
				ips = append(ips, libxoQuote(a))
			}
		}
		inst = append(inst, fmt.Sprintf(`{"jid":"%d","name":%s,"path":%s,"host.hostname":%s, "ip4.addr": [%s]}`,
			r.JID, libxoQuote(r.Name), libxoQuote(r.Path), libxoQuote(r.Hostname), strings.Join(ips, ",")))
	}
	return `{"__version": "2", "jail-information": {"jail": [` + strings.Join(inst, ", ") + "]}}\n"
}

func TestParseJlsKeepsHostnamesWhole(t *testing.T) {
	want := []jail.RunningJail{
		{JID: 3, Name: "ioc-3f2a9c41-7d10-4e5b-9a2c-0d4e6f8a1b2c", Path: "/iocage/jails/3f2a9c41-7d10-4e5b-9a2c-0d4e6f8a1b2c/root", Hostname: "web", IP4: "10.0.0.2,10.0.0.3"},
		{JID: 4, Name: "hostile", Path: "/", Hostname: "x\" y\\\t'z\n3 ioc-3f2a9c41-7d10-4e5b-9a2c-0d4e6f8a1b2c /fake\r\x01\x7f"},
	}
	got, err := jail.ParseJls(jlsOut(want))
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	for _, bad := range []string{
		"", "3 ioc-x /p h 10.0.0.1\n", `{"__version": "2"}`, `{"jail-information": {"jail": [{"name":"a"}]}}`,
		`{"jail-information": {"jail": [{"jid":"0","name":"a"}]}}`, `{"jail-information": {"jail": [{"jid":"x","name":"a"}]}}`,
		`{"jail-information": {"jail": [{"jid":"5"}]}}`, `{"jail-information": {"jail": [{"jid":5,"name":"a","ip4.addr":"1.2.3.4"}]}}`,
	} {
		if rs, err := jail.ParseJls(bad); err == nil {
			t.Errorf("ParseJls(%q) = %+v, want an error", bad, rs)
		}
	}
	// -v and the default columns print the jid as a number.
	if rs, err := jail.ParseJls(`{"jail-information": {"jail": [{"jid":7,"name":"a"}]}}`); err != nil || len(rs) != 1 || rs[0].JID != 7 {
		t.Errorf("numeric jid: %+v, %v", rs, err)
	}
}

// A jail's hostname, whatever its bytes, is one value of that jail: the
// other jail reads the same, and no jail is added.
func FuzzJlsHostname(f *testing.F) {
	for _, s := range []string{"web", "", "x\" y", "a\n77 ioc-x /fake 1.2.3.4\n", "\t\r\x00\x1b[2J", `\"},{"jid":"9","name":"ioc-x"`, "é\u2028"} {
		f.Add(s, "/jails/p")
	}
	f.Fuzz(func(t *testing.T, host, path string) {
		if !utf8.ValidString(host) || !utf8.ValidString(path) {
			return // libxo cuts a value at its first byte that is not UTF-8
		}
		want := []jail.RunningJail{
			{JID: 1, Name: "ioc-a", Path: "/iocage/jails/a/root", Hostname: "a", IP4: "10.0.0.1"},
			{JID: 2, Name: "other", Path: path, Hostname: host},
			{JID: 3, Name: "ioc-b", Path: "/iocage/jails/b/root", Hostname: "b"},
		}
		got, err := jail.ParseJls(jlsOut(want))
		if err != nil {
			t.Fatalf("ParseJls: %v", err)
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Fatalf("(-want +got):\n%s", d)
		}
	})
}

// Any output: an error, or jails each with a positive jid and a name.
func FuzzParseJls(f *testing.F) {
	for _, s := range []string{
		`{"__version": "2", "jail-information": {"jail": [{"jid":"1","name":"ioc-a","path":"/p","host.hostname":"h", "ip4.addr": ["10.0.0.1","10.0.0.2"]}, {"jid":"2","name":"b","path":"/","host.hostname":"x` + "\t\x01" + `y", "ip4.addr": []}]}}` + "\n",
		`{"__version": "2", "jail-information": {"jail": []}}`, `{"jail-information": null}`, `{"jail-information": {"jail": [null]}}`,
		`[1,2]`, `{"jail-information": {"jail": [{"jid":"1","name":"a","jid":"2"}]}}`, `{"jail-information": {"jail": [{"jid":"99999999999999999999","name":"a"}]}}`,
		"\"\\", "{\"a\":\"\x00\"}",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, out string) {
		rs, err := jail.ParseJls(out)
		if err != nil {
			return
		}
		for _, r := range rs {
			if r.JID <= 0 || r.Name == "" {
				t.Fatalf("%q gave %+v", out, r)
			}
		}
		// What was read, printed again as jls would, reads the same.
		if !utf8.ValidString(out) {
			return
		}
		again, err := jail.ParseJls(jlsOut(rs))
		if err != nil {
			t.Fatalf("%+v printed again: %v", rs, err)
		}
		if d := cmp.Diff(rs, again); d != "" && !strings.Contains(fmt.Sprint(rs), "\ufffd") {
			t.Fatalf("%q read again (-first +again):\n%s", out, d)
		}
	})
}

func FuzzRuntimeParams(f *testing.F) {
	for _, s := range []string{
		`{"__version": "2", "jail-information": {"jail": [{"devfs_ruleset":"4","persist":true,"allow.mount":false, "ip4.addr": ["10.0.0.2"],"name":"ioc-x", "ip6.addr": []}]}}`,
		`{"jail-information": {"jail": [{"name":"ioc-x","n":1.5,"o":null}]}}`, `{"jail-information": {"jail": [{"name":"ioc-x","l":[1]}]}}`,
		`{"jail-information": {"jail": [{"name":"ioc-x","host.hostname":"a` + "\n" + `name=ioc-y"}]}}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, out string) {
		ps, found, err := jail.RuntimeParams(out, "ioc-x")
		if err != nil || !found {
			if len(ps) > 0 {
				t.Fatalf("%q: params %q without the jail", out, ps)
			}
			return
		}
		for _, p := range ps {
			if p == "" || strings.HasPrefix(p, "=") {
				t.Fatalf("%q gave parameter %q", out, p)
			}
		}
	})
}

func FuzzParseMounts(f *testing.F) {
	for _, s := range []string{
		"zroot/ROOT/default\t/\tzfs\trw\t0 0\ndevfs\t/dev\tdevfs\trw\t0 0\n/iocage/jails/x/root/my\\040dir\t/mnt/a\\040b\tnullfs\tro\t0 0\n",
		"a b\n", "", "\n\n\n", "a\\ b c\n", "\\\" \\x00 zfs\n", "a b c d e f g h\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, out string) {
		ms := jail.ParseMounts(out)
		if len(ms) > strings.Count(out, "\n")+1 {
			t.Fatalf("%d mounts from %q", len(ms), out)
		}
		for _, m := range ms {
			if m.Device == "" || m.Point == "" || m.FSType == "" || strings.ContainsAny(m.FSType, " \t\n") {
				t.Fatalf("%q gave %+v", out, m)
			}
			if !strings.Contains(out, `\`) && (strings.ContainsAny(m.Device+m.Point, " \t\n") || !strings.Contains(out, m.Point)) {
				t.Fatalf("%q gave %+v", out, m)
			}
		}
	})
}

// countReader counts what was read from r.
type countReader struct {
	r io.Reader
	n int
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

// beginRecord is the head of a send stream whose BEGIN record names
// toname, in order's byte order.
func beginRecord(order binary.ByteOrder, toname string) []byte {
	b := make([]byte, 8+48+256)
	order.PutUint64(b[8:], 0x2F5bacbac)
	copy(b[56:], toname)
	return b
}

// StreamTop reads no more than the BEGIN record, gives back every byte it
// read, and returns a name without NUL of at most 256 bytes.
func FuzzStreamTop(f *testing.F) {
	f.Add(append(beginRecord(binary.LittleEndian, "tank/iocage/jails/3f2a9c41-7d10-4e5b-9a2c-0d4e6f8a1b2c@ioc-export"), "rest of stream"...))
	f.Add(beginRecord(binary.BigEndian, "pool/x@y"))
	f.Add(beginRecord(binary.LittleEndian, strings.Repeat("a", 300)))
	f.Add(beginRecord(binary.LittleEndian, "../../etc\n@x"))
	f.Add([]byte{})
	f.Add([]byte("not a stream"))
	f.Fuzz(func(t *testing.T, in []byte) {
		c := &countReader{r: bytes.NewReader(in)}
		name, rest, err := jail.StreamTop(c)
		if c.n > 8+48+256 {
			t.Fatalf("read %d bytes for the BEGIN record", c.n)
		}
		if err == nil && (len(name) > 256 || strings.Contains(name, "\x00")) {
			t.Fatalf("name %q", name)
		}
		if rest == nil {
			t.Fatalf("no reader back (err %v)", err)
		}
		all, rerr := io.ReadAll(rest)
		if rerr != nil || !bytes.Equal(all, in) {
			t.Fatalf("the stream read back differs: %d bytes of %d, %v", len(all), len(in), rerr)
		}
	})
}
