package runtime

import (
	"context"
	"path/filepath"
)

// FreeBSD runs the FreeBSD programs themselves, by their absolute paths
// under Root. On FreeBSD Root is empty: the host's own programs and files.
// On Linux Root is a sandbox host's root directory, where an
// iocage-sandbox installation put programs that model FreeBSD's at the
// same paths; iocage drives it exactly as it drives FreeBSD and knows
// nothing else of it.
type FreeBSD struct {
	Root string
	// Mirror is the base URL of a sandbox host's release mirror: its
	// releases exist nowhere else.
	Mirror string
}

// MirrorURL says where the host's releases come from when it brings its
// own (own): a sandbox root does; FreeBSD itself uses the public mirrors.
func (f FreeBSD) MirrorURL() (url string, own bool) { return f.Mirror, f.Root != "" }

// Name implements Backend.
func (f FreeBSD) Name() string {
	if f.Root == "" {
		return "freebsd"
	}
	return "root " + f.Root
}

// Exec implements Backend.
func (f FreeBSD) Exec(ctx context.Context, c *Cmd) (int, error) {
	dir := c.Dir
	if dir == "" {
		dir = "/"
	}
	return ExecLocal(ctx, f.LocalPath(c.Path), f.LocalPath(dir), c)
}

// LocalPath implements Backend: host paths are paths under Root.
func (f FreeBSD) LocalPath(p string) string {
	if f.Root == "" {
		return p
	}
	return filepath.Join(f.Root, filepath.Clean("/"+p))
}
