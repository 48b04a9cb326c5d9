package release

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Package is one package of the mirror's pkg repository. Its files come
// from files/pkg/<Name>/.
type Package struct {
	Name    string
	Version string
	Comment string
	Deps    []string // names of packages installed first
}

// Packages are what the repository offers. webserver depends on hello so
// that dependency installation is exercised.
var Packages = []Package{
	{Name: "hello", Version: "1.0", Comment: "Print a friendly greeting"},
	{Name: "tree", Version: "2.1.1", Comment: "Display a tree-view of directories"},
	{Name: "webserver", Version: "1.0", Comment: "Small HTTP server serving /usr/local/www", Deps: []string{"hello"}},
}

// pkgDate stamps package archives so their sums never change.
var pkgDate = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// buildPackages writes every package archive under All/ and the INDEX the
// sandbox's pkg reads: one line per package,
// "name<TAB>version<TAB>All/file<TAB>sha256<TAB>deps<TAB>comment", deps
// comma-separated or "-".
func buildPackages(dir string) error {
	pdir := filepath.Join(dir, filepath.FromSlash(PkgDir()))
	if err := os.MkdirAll(filepath.Join(pdir, "All"), 0o755); err != nil {
		return err
	}
	var index strings.Builder
	for _, p := range Packages {
		es, err := treeEntries("pkg/"+p.Name, nil)
		if err != nil {
			return err
		}
		rel := "All/" + p.Name + "-" + p.Version + ".pkg"
		sum, _, err := writeTxz(filepath.Join(pdir, filepath.FromSlash(rel)), es, pkgDate)
		if err != nil {
			return fmt.Errorf("%s: %w", p.Name, err)
		}
		deps := strings.Join(p.Deps, ",")
		if deps == "" {
			deps = "-"
		}
		fmt.Fprintf(&index, "%s\t%s\t%s\t%s\t%s\t%s\n", p.Name, p.Version, rel, sum, deps, p.Comment)
	}
	return writeFileAtomic(filepath.Join(pdir, "INDEX"), []byte(index.String()), 0o644)
}
