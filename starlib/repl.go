package starlib

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"

	"go.starlark.net/starlark"
	"go.starlark.net/syntax"
	"golang.org/x/term"
)

// HistoryFile is where the REPL keeps its history: the user's state
// directory ($XDG_STATE_HOME/iocage/history, else
// ~/.local/state/iocage/history). It is the user's own file on the machine
// iocage runs on, not a host file, so it does not go through the host.
func HistoryFile() string {
	dir := os.Getenv("XDG_STATE_HOME")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return ""
		}
		dir = filepath.Join(home, ".local", "state")
	}
	return filepath.Join(dir, "iocage", "history")
}

// replOptions let a load() in the REPL bind globally, as users expect of
// statements typed one at a time.
var replOptions = func() *syntax.FileOptions {
	o := *fileOptions
	o.LoadBindsGlobally = true
	return &o
}()

// session is one REPL's state: its globals persist across statements.
type session struct {
	in      *Interp
	globals starlark.StringDict
	stdout  io.Writer
	stderr  io.Writer
}

func (in *Interp) newSession() *session {
	if in.src.user == nil {
		// load("x.star") in the REPL is relative to the working directory.
		in.src.user, in.src.userDir = os.DirFS("."), "."
	}
	s := &session{in: in, globals: starlark.StringDict{}, stdout: in.opts.Stdout, stderr: in.opts.Stderr}
	in.predeclare(starlark.StringDict{"help": starlark.NewBuiltin("help", s.help)})
	return s
}

func (s *session) help(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var v starlark.Value
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "x", &v); err != nil {
		return nil, err
	}
	fmt.Fprint(s.stdout, s.in.helpText(v))
	return starlark.None, nil
}

// run executes one parsed statement; an expression's value is printed as
// its repr (None is not).
func (s *session) run(ctx context.Context, f *syntax.File) error {
	t, _, stop := s.in.newThread(ctx, "repl")
	defer stop()
	predeclared := s.in.Globals()
	if len(f.Stmts) == 1 {
		if e, ok := f.Stmts[0].(*syntax.ExprStmt); ok {
			env := starlark.StringDict{}
			for k, v := range predeclared {
				env[k] = v
			}
			for k, v := range s.globals {
				env[k] = v
			}
			v, err := starlark.EvalExprOptions(f.Options, t, e.X, env)
			if err != nil {
				return err
			}
			if v != starlark.None {
				fmt.Fprintln(s.stdout, v.String())
			}
			return nil
		}
	}
	// ExecREPLChunk resolves names against globals only, so the session's
	// globals carry the predeclared names too (without overwriting the
	// user's own).
	for k, v := range predeclared {
		if _, ok := s.globals[k]; !ok {
			s.globals[k] = v
		}
	}
	return starlark.ExecREPLChunk(f, t, s.globals)
}

func (s *session) report(err error) {
	fmt.Fprintf(s.stderr, "error: %s\n", PositionText(err))
}

// REPL reads Starlark statements and runs them. On a terminal it edits
// lines, completes names (Tab), keeps history in histFile (none when
// empty), runs multi-line blocks, and Ctrl-C cancels the running statement
// (or the line being typed) while Ctrl-D exits. Otherwise it reads
// statements from Stdin without prompts and, at the end, fails if any
// statement failed.
func (in *Interp) REPL(ctx context.Context, histFile string) error {
	s := in.newSession()
	if f, ok := in.opts.Stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return s.interactive(ctx, f, histFile)
	}
	return s.script(ctx, in.opts.Stdin)
}

func (s *session) script(ctx context.Context, r io.Reader) error {
	if r == nil {
		r = strings.NewReader("")
	}
	br := bufio.NewReader(r)
	eof := false
	readline := func() ([]byte, error) {
		line, err := br.ReadBytes('\n')
		if err == io.EOF {
			if len(line) == 0 {
				eof = true
				return nil, io.EOF
			}
			err = nil
			line = append(line, '\n')
		}
		return line, err
	}
	failed := 0
	for !eof {
		if err := ctx.Err(); err != nil {
			return err
		}
		f, err := replOptions.ParseCompoundStmt("<stdin>", readline)
		if err != nil {
			if eof {
				break
			}
			failed++
			s.report(err)
			continue
		}
		if err := s.run(ctx, f); err != nil {
			failed++
			s.report(err)
		}
	}
	if failed > 0 {
		return fmt.Errorf("repl: %d statement(s) failed", failed)
	}
	return nil
}

// ctrlC turns the terminal's Ctrl-C (in raw mode a byte, not a signal)
// into Enter plus a flag, so the line being typed is dropped instead of
// x/term's treating it as end of input.
type ctrlC struct {
	r           io.Reader
	interrupted bool
}

func (c *ctrlC) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	for i := 0; i < n; i++ {
		if p[i] == 3 {
			c.interrupted = true
			p[i] = '\r'
		}
	}
	return n, err
}

var errInterrupted = errors.New("interrupted")

func (s *session) interactive(ctx context.Context, stdin *os.File, histFile string) error {
	fd := int(stdin.Fd())
	saved, err := term.MakeRaw(fd)
	if err != nil {
		return fmt.Errorf("repl: terminal: %w", err)
	}
	defer term.Restore(fd, saved)

	// While a statement runs the terminal is back in cooked mode, so Ctrl-C
	// is SIGINT: it cancels that statement only, not the whole program.
	signal.Reset(os.Interrupt)
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt)
	defer signal.Stop(sigs)

	cc := &ctrlC{r: stdin}
	t := term.NewTerminal(struct {
		io.Reader
		io.Writer
	}{cc, s.stdout}, ">>> ")
	if w, h, err := term.GetSize(fd); err == nil && w > 0 && h > 0 {
		_ = t.SetSize(w, h)
	}
	hist := loadHistory(histFile, cc)
	t.History = hist
	t.AutoCompleteCallback = func(line string, pos int, key rune) (string, int, bool) {
		if key != '\t' {
			return "", 0, false
		}
		return s.complete(line, pos, func(cands []string) {
			fmt.Fprintf(t, "%s\n", strings.Join(cands, "  "))
		})
	}
	// Output of a statement goes to the real streams in cooked mode; the
	// terminal only draws prompts and the line being edited.
	fmt.Fprintf(t, "iocage Starlark REPL: help(x) for docs, Tab completes, Ctrl-D exits.\n")
	for {
		eof := false
		first := true
		readline := func() ([]byte, error) {
			if first {
				t.SetPrompt(">>> ")
			} else {
				t.SetPrompt("... ")
			}
			first = false
			line, err := t.ReadLine()
			if cc.interrupted {
				return nil, errInterrupted
			}
			if err == io.EOF {
				eof = true
				return nil, io.EOF
			}
			if err != nil {
				return nil, err
			}
			return []byte(line + "\n"), nil
		}
		f, err := replOptions.ParseCompoundStmt("<stdin>", readline)
		if cc.interrupted {
			cc.interrupted = false
			continue
		}
		if eof {
			fmt.Fprintln(t)
			return nil
		}
		if err != nil {
			fmt.Fprintf(t, "error: %s\n", PositionText(err))
			continue
		}
		if err := s.runCooked(ctx, fd, saved, f, sigs); err != nil {
			if _, rerr := term.MakeRaw(fd); rerr != nil {
				return rerr
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
			fmt.Fprintf(t, "error: %s\n", PositionText(err))
			continue
		}
		if _, err := term.MakeRaw(fd); err != nil {
			return err
		}
	}
}

// runCooked runs one statement with the terminal restored, cancelling it
// on SIGINT.
func (s *session) runCooked(ctx context.Context, fd int, cooked *term.State, f *syntax.File, sigs chan os.Signal) error {
	if err := term.Restore(fd, cooked); err != nil {
		return err
	}
	stmtCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	for len(sigs) > 0 {
		<-sigs
	}
	done := make(chan struct{})
	go func() {
		select {
		case <-sigs:
			cancel(errors.New("interrupted (Ctrl-C)"))
		case <-done:
		}
	}()
	err := s.run(stmtCtx, f)
	close(done)
	return err
}

// complete completes the name before pos: a global, or an attribute of a
// dotted expression of globals (zfs.<TAB>). Attributes are data, so
// looking them up runs nothing on the host. show prints the candidates when
// no more can be completed.
func (s *session) complete(line string, pos int, show func([]string)) (string, int, bool) {
	start := pos
	for start > 0 && (isIdent(line[start-1]) || line[start-1] == '.') {
		start--
	}
	word := line[start:pos]
	var names []string
	var partial, prefix string
	if i := strings.LastIndexByte(word, '.'); i >= 0 {
		v := s.lookup(word[:i])
		ha, ok := v.(starlark.HasAttrs)
		if !ok {
			return "", 0, false
		}
		names = ha.AttrNames()
		prefix, partial = word[:i+1], word[i+1:]
	} else {
		for k := range s.in.Globals() {
			names = append(names, k)
		}
		for k := range s.globals {
			names = append(names, k)
		}
		for k := range starlark.Universe {
			names = append(names, k)
		}
		partial = word
	}
	var cands []string
	seen := map[string]bool{}
	for _, n := range names {
		if strings.HasPrefix(n, partial) && !seen[n] {
			seen[n] = true
			cands = append(cands, n)
		}
	}
	if len(cands) == 0 {
		return "", 0, false
	}
	sort.Strings(cands)
	common := cands[0]
	for _, c := range cands[1:] {
		for !strings.HasPrefix(c, common) {
			common = common[:len(common)-1]
		}
	}
	if len(cands) > 1 && common == partial {
		show(cands)
		return "", 0, false
	}
	completed := prefix + common
	if len(cands) == 1 {
		if _, ok := s.lookup(completed).(starlark.Callable); ok {
			completed += "("
		}
	}
	newLine := line[:start] + completed + line[pos:]
	return newLine, start + len(completed), true
}

func isIdent(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// lookup evaluates a dotted name against the session without running code.
func (s *session) lookup(dotted string) starlark.Value {
	parts := strings.Split(dotted, ".")
	v, ok := s.globals[parts[0]]
	if !ok {
		v, ok = s.in.Globals()[parts[0]]
	}
	if !ok {
		v, ok = starlark.Universe[parts[0]]
	}
	if !ok {
		return nil
	}
	for _, p := range parts[1:] {
		ha, ok := v.(starlark.HasAttrs)
		if !ok {
			return nil
		}
		a, err := ha.Attr(p)
		if err != nil || a == nil {
			return nil
		}
		v = a
	}
	return v
}

// history is the terminal's history, appended to histFile line by line so
// a session that is killed keeps what was typed.
type history struct {
	file    string
	entries []string // oldest first
	cc      *ctrlC
}

const historyMax = 1000

func loadHistory(file string, cc *ctrlC) *history {
	h := &history{file: file, cc: cc}
	if file == "" {
		return h
	}
	if b, err := os.ReadFile(file); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if strings.TrimSpace(l) != "" {
				h.entries = append(h.entries, l)
			}
		}
	}
	if len(h.entries) > historyMax {
		h.entries = h.entries[len(h.entries)-historyMax:]
	}
	return h
}

func (h *history) Add(e string) {
	if h.cc.interrupted || strings.TrimSpace(e) == "" {
		return
	}
	if n := len(h.entries); n > 0 && h.entries[n-1] == e {
		return
	}
	h.entries = append(h.entries, e)
	if h.file == "" {
		return
	}
	if err := os.MkdirAll(filepath.Dir(h.file), 0o700); err != nil {
		return
	}
	f, err := os.OpenFile(h.file, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return
	}
	fmt.Fprintln(f, e)
	f.Close()
}

func (h *history) Len() int { return len(h.entries) }

func (h *history) At(i int) string { return h.entries[len(h.entries)-1-i] }
