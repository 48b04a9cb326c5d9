package runtime

import (
	"context"
)

// FreeBSD is the real host: programs run by their absolute path, files are
// the host's own.
type FreeBSD struct{}

// Name implements Backend.
func (FreeBSD) Name() string { return "freebsd" }

// Exec implements Backend.
func (FreeBSD) Exec(ctx context.Context, c *Cmd) (int, error) {
	dir := c.Dir
	if dir == "" {
		dir = "/"
	}
	return ExecLocal(ctx, c.Path, dir, c)
}

// LocalPath implements Backend: host paths are local paths.
func (FreeBSD) LocalPath(p string) string { return p }
