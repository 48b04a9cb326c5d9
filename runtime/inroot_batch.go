package runtime

// Whole-tree operations inside a tree someone else controls: a caller
// that reads or writes many entries (the differential packages of
// export and import) gets the tree as one os.Root, opened once, and
// resolves every path inside it, so a symlink leading out of the tree is
// an error, never followed.

import "os"

// View calls read with the tree opened as an os.Root. It is a read:
// not traced, made in dry-run too. read must not change the tree.
func (r *RootDir) View(read func(rt *os.Root) error) error {
	rt, err := r.open()
	if err != nil {
		return err
	}
	defer rt.Close()
	return r.rootErr("", read(rt))
}

// Batch makes the changes of change in the tree as one host change,
// described by desc ("unpack FILE"): traced as one operation, printed
// instead of made in dry-run, failed whole by failure injection. It is
// for many small changes that stand or fall together, as one tar(1)
// extraction does.
func (r *RootDir) Batch(desc string, change func(rt *os.Root) error) error {
	return r.h.fileChange(desc+" in "+Quote(r.root), func() error {
		return r.View(change)
	})
}
