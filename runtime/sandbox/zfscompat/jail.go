package zfscompat

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/iocage/iocage/runtime/sandbox/model"
)

// JailedSection is the state store section holding `zfs jail` attachments.
const JailedSection = "zfs.jailed"

// Attachment is one file system attached to a jail by `zfs jail`.
type Attachment struct {
	Dataset string `json:"dataset"`
	Jail    string `json:"jail,omitempty"` // the jail's name, when known
	JID     int    `json:"jid,omitempty"`  // the jail's id, when known
}

// Attachments returns the recorded attachments, oldest first.
func Attachments(tx *model.Tx) ([]Attachment, error) {
	var a []Attachment
	err := tx.Get(JailedSection, &a)
	return a, err
}

// LookupJail resolves a jail id or name like jail_getid(3). The jail model
// sets it; until then a number is taken as a jid and anything else as a
// name, without checking that the jail exists.
var LookupJail func(tx *model.Tx, idOrName string) (name string, jid int, ok bool)

func resolveJail(tx *model.Tx, arg string) (string, int, bool) {
	if LookupJail != nil {
		return LookupJail(tx, arg)
	}
	if n, err := strconv.Atoi(arg); err == nil && n >= 0 {
		return "", n, true
	}
	return arg, 0, arg != ""
}

// matches reports whether an attachment belongs to the jail (name, jid).
func (a Attachment) matches(name string, jid int) bool {
	return a.Jail != "" && a.Jail == name || a.JID != 0 && a.JID == jid
}

var (
	errJailID   = errors.New("invalid jail id or name")
	errAttached = errors.New("dataset already exists")
	errNotThere = errors.New("no such pool or dataset")
)

// zfsJail is `zfs jail` and `zfs unjail`. Like FreeBSD's kernel, attaching
// does not look at the jailed property: a file system attached with
// jailed=off is simply not mountable inside the jail.
func zfsJail(e *model.Env, args []string, attach bool) int {
	if len(args) < 2 {
		return argCount(e, true)
	}
	if len(args) > 2 {
		return argCount(e, false)
	}
	ds := args[1]
	what := "jail"
	if !attach {
		what = "unjail"
	}
	if rc := checkOurs(e, ds); rc != 0 {
		return rc
	}
	r := run(e.Ctx, fuseZFS, "get", "-H", "-o", "value", "type", ds)
	if r.code != 0 {
		fmt.Fprint(e.Stderr, unroot(e.SB, r.stderr))
		return 1
	}
	switch t := trimNL(r.stdout); t {
	case "volume", "snapshot":
		fmt.Fprintf(e.Stderr, "cannot %s '%s': %ss can not be jailed\n", what, ds, t)
		return 1
	}
	err := e.SB.Store.Update(func(tx *model.Tx) error {
		name, jid, ok := resolveJail(tx, args[0])
		if !ok {
			return errJailID
		}
		list, err := Attachments(tx)
		if err != nil {
			return err
		}
		for i, a := range list {
			if a.Dataset != ds || !a.matches(name, jid) {
				continue
			}
			if attach {
				return errAttached
			}
			list = append(list[:i], list[i+1:]...)
			return tx.Put(JailedSection, list)
		}
		if !attach {
			return errNotThere
		}
		return tx.Put(JailedSection, append(list, Attachment{Dataset: ds, Jail: name, JID: jid}))
	})
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errJailID):
		fmt.Fprintln(e.Stderr, errJailID)
		fmt.Fprint(e.Stderr, zfsUsage)
		return 2
	case errors.Is(err, errAttached), errors.Is(err, errNotThere):
		fmt.Fprintf(e.Stderr, "cannot %s '%s': %v\n", what, ds, err)
		return 1
	}
	return e.Errorf("%v", err)
}

// releaseJail forgets what was attached to a removed jail, as the kernel
// does when the prison goes away.
func releaseJail(tx *model.Tx, name string, jid int) error {
	list, err := Attachments(tx)
	if err != nil || len(list) == 0 {
		return err
	}
	kept := list[:0]
	for _, a := range list {
		if !a.matches(name, jid) {
			kept = append(kept, a)
		}
	}
	return tx.Put(JailedSection, kept)
}

func trimNL(s string) string {
	for len(s) > 0 && (s[len(s)-1] == '\n' || s[len(s)-1] == '\r') {
		s = s[:len(s)-1]
	}
	return s
}
