package starlib

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/iocage/iocage/runtime"
)

// Module keys. A key names one module of a run:
//
//	@iocage//NAME.star   a shipped recipe (or the site copy overriding it)
//	//path/x.star        a file under the user script's root directory
//
// load() also accepts paths relative to the loading file ("./x.star",
// "x.star", "../lib/x.star"), resolved to one of the keys above.

// ShippedPrefix starts the key of a shipped recipe.
const ShippedPrefix = "@iocage//"

// DefaultSiteDir is FreeBSD's place for a site's own recipes.
const DefaultSiteDir = "/usr/local/etc/iocage/recipes"

// EnvSiteDir names another site directory.
const EnvSiteDir = "IOCAGE_RECIPES"

// ErrLoad marks module keys that cannot be resolved or read.
var ErrLoad = errors.New("cannot load")

// modKey is a resolved module: its package ("iocage" or "" for the user
// root) and its slash path inside that package.
type modKey struct {
	pkg string
	rel string
}

func (k modKey) String() string {
	if k.pkg == "" {
		return "//" + k.rel
	}
	return "@" + k.pkg + "//" + k.rel
}

// parseKey resolves a load() argument relative to the module from (which
// may be zero for a top-level request, where relative paths are taken from
// the user root).
func parseKey(from modKey, s string) (modKey, error) {
	if !strings.HasSuffix(s, ".star") {
		return modKey{}, fmt.Errorf("%q: module names end in .star", s)
	}
	var k modKey
	switch {
	case strings.HasPrefix(s, "@"):
		pkg, rel, ok := strings.Cut(s[1:], "//")
		if !ok {
			return modKey{}, fmt.Errorf("%q: want @PACKAGE//PATH.star", s)
		}
		if pkg != "iocage" {
			return modKey{}, fmt.Errorf("%q: unknown package @%s (only @iocage exists)", s, pkg)
		}
		k = modKey{pkg: pkg, rel: rel}
	case strings.HasPrefix(s, "//"):
		k = modKey{pkg: from.pkg, rel: s[2:]}
	case strings.HasPrefix(s, "/"):
		return modKey{}, fmt.Errorf("%q: absolute paths are not allowed; use //PATH for the script's root or a path relative to the loading file", s)
	default:
		k = modKey{pkg: from.pkg, rel: path.Join(path.Dir(from.rel), s)}
	}
	if k.rel == "" || strings.HasPrefix(k.rel, "/") {
		return modKey{}, fmt.Errorf("%q: empty or absolute path", s)
	}
	clean := path.Clean(k.rel)
	if clean == ".." || strings.HasPrefix(clean, "../") {
		return modKey{}, fmt.Errorf("%q: escapes the root of %s", s, k.root())
	}
	k.rel = clean
	return k, nil
}

func (k modKey) root() string {
	if k.pkg == "" {
		return "the script's directory"
	}
	return "@" + k.pkg
}

// source reads modules of one run.
type source struct {
	shipped fs.FS  // the embedded recipes
	site    fs.FS  // the site directory; may be nil
	siteDir string // shown for site files
	user    fs.FS  // the user script's root directory; may be nil
	userDir string // shown for user files ("" or "." shows paths as they are)
	stdin   []byte // the script read from standard input, module stdinName
}

// stdinName is the user module of a script read from standard input; no
// load() can name it, as it lacks the .star suffix.
const stdinName = "<stdin>"

// read returns the source of k and the file name errors should show.
func (s *source) read(k modKey) ([]byte, string, error) {
	if k.pkg == "iocage" {
		if s.site != nil {
			b, err := fs.ReadFile(s.site, k.rel)
			if err == nil {
				return b, filepath.Join(s.siteDir, filepath.FromSlash(k.rel)), nil
			}
			if !isNotExist(err) {
				return nil, "", fmt.Errorf("%s: site copy: %w", k, err)
			}
		}
		b, err := fs.ReadFile(s.shipped, k.rel)
		if err != nil {
			if isNotExist(err) {
				return nil, "", fmt.Errorf("%s: no such recipe (see `iocage recipes`): %w", k, ErrLoad)
			}
			return nil, "", fmt.Errorf("%s: %w", k, err)
		}
		return b, k.String(), nil
	}
	if k.rel == stdinName && s.stdin != nil {
		return s.stdin, stdinName, nil
	}
	if s.user == nil {
		return nil, "", fmt.Errorf("%s: no script directory in this run: %w", k, ErrLoad)
	}
	b, err := fs.ReadFile(s.user, k.rel)
	if err != nil {
		if isNotExist(err) {
			return nil, "", fmt.Errorf("%s: no such file: %w", s.userName(k.rel), ErrLoad)
		}
		return nil, "", fmt.Errorf("%s: %w", s.userName(k.rel), err)
	}
	return b, s.userName(k.rel), nil
}

func (s *source) userName(rel string) string {
	if s.userDir == "" || s.userDir == "." {
		return filepath.FromSlash(rel)
	}
	return filepath.Join(s.userDir, filepath.FromSlash(rel))
}

func isNotExist(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, runtime.ErrNotExist)
}

// Recipe is one recipe name and the copy of it in effect.
type Recipe struct {
	Name    string // "list.star"
	Source  string // "shipped", "site" or "site (overrides shipped)"
	Path    string // where the copy in effect lives
	Shipped bool   // a shipped copy exists
}

// Recipes lists the recipes of the shipped set and the site directory,
// sorted by name, with the copy load("@iocage//NAME") uses.
func (s *source) recipes() ([]Recipe, error) {
	byName := map[string]*Recipe{}
	shipped, err := fs.Glob(s.shipped, "*.star")
	if err != nil {
		return nil, err
	}
	for _, n := range shipped {
		byName[n] = &Recipe{Name: n, Source: "shipped", Path: ShippedPrefix + n, Shipped: true}
	}
	if s.site != nil {
		site, err := fs.Glob(s.site, "*.star")
		if err != nil && !isNotExist(err) {
			return nil, fmt.Errorf("site recipes %s: %w", s.siteDir, err)
		}
		for _, n := range site {
			r := byName[n]
			if r == nil {
				r = &Recipe{Name: n}
				byName[n] = r
			}
			r.Source = "site"
			if r.Shipped {
				r.Source = "site (overrides shipped)"
			}
			r.Path = filepath.Join(s.siteDir, n)
		}
	}
	out := make([]Recipe, 0, len(byName))
	for _, r := range byName {
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// SiteFS is the site directory dir of host h, as the interpreter reads it.
func SiteFS(h *runtime.Host, dir string) fs.FS { return hostFS{h: h, dir: dir} }

// hostFS reads a host directory through the host seam, so the site
// directory is the FreeBSD host's even when iocage drives the sandbox.
type hostFS struct {
	h   *runtime.Host
	dir string
}

func (f hostFS) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	file, err := f.h.Open(path.Join(f.dir, name))
	if err != nil {
		return nil, err
	}
	return file, nil
}

func (f hostFS) ReadDir(name string) ([]fs.DirEntry, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: fs.ErrInvalid}
	}
	ents, err := f.h.ReadDir(path.Join(f.dir, name))
	if err != nil && errors.Is(err, runtime.ErrNotExist) {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: fs.ErrNotExist}
	}
	return ents, err
}
