package runtime

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync"
)

// Reply is a canned answer of the Scripted backend.
type Reply struct {
	Stdout   string
	Stderr   string
	ExitCode int
}

// Scripted is a backend for unit tests of argv construction: it answers
// commands from a table and remembers every command line it was given. It
// runs nothing.
type Scripted struct {
	// Replies maps a command line (Cmd.String) to its answer. A command with
	// no entry succeeds with empty output.
	Replies map[string]Reply
	// Root is where host paths live for file operations; a temp dir in tests.
	Root string

	mu    sync.Mutex
	calls []string
}

// Name implements Backend.
func (s *Scripted) Name() string { return "scripted" }

// Exec implements Backend.
func (s *Scripted) Exec(_ context.Context, c *Cmd) (int, error) {
	line := c.String()
	s.mu.Lock()
	s.calls = append(s.calls, line)
	r, ok := s.Replies[line]
	s.mu.Unlock()
	if !ok {
		return 0, nil
	}
	if c.Stdin != nil {
		_, _ = io.Copy(io.Discard, c.Stdin)
	}
	fmt.Fprint(c.Stdout, r.Stdout)
	fmt.Fprint(c.Stderr, r.Stderr)
	return r.ExitCode, nil
}

// LocalPath implements Backend.
func (s *Scripted) LocalPath(p string) string {
	return filepath.Join(s.Root, filepath.Clean("/"+p))
}

// Calls returns the command lines run so far.
func (s *Scripted) Calls() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.calls...)
}

// Transcript joins the calls one per line, as golden files hold them.
func (s *Scripted) Transcript() string {
	return strings.Join(s.Calls(), "\n") + "\n"
}
