package jailprops

import (
	"crypto/rand"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/iocage/iocage/runtime"
)

// Keywords that are never jail names.
const (
	KeywordAll     = "ALL"
	KeywordDefault = "default"
)

var uuidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// IsUUID reports whether s has the shape of a UUID (the shape iocage
// requires of a jail dataset's name).
func IsUUID(s string) bool { return uuidRE.MatchString(s) }

// NewUUID returns a random (version 4) UUID in lower case.
func NewUUID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("new uuid: %w", err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16]), nil
}

// DefaultTag is the tag of a jail created without one. Unlike the shell
// iocage's "%F@%T" it has no "@", so NAME@SNAP stays unambiguous.
func DefaultTag(t time.Time) string { return t.Format("2006-01-02_15-04-05") }

var tagRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)

// CheckTag checks a tag a user gives: it must be usable as a file name in
// /iocage/tags, inside a ZFS name and a jail name, must not be a keyword
// and must not look like a UUID (which would shadow a jail's identity).
func CheckTag(tag string) error {
	switch {
	case tag == "":
		return fmt.Errorf("empty tag")
	case tag == KeywordAll || tag == KeywordDefault:
		return fmt.Errorf("tag %q is a reserved keyword", tag)
	case len(tag) > 64:
		return fmt.Errorf("tag %q is longer than 64 characters", tag)
	case !tagRE.MatchString(tag):
		return fmt.Errorf("tag %q: only letters, digits, '-', '_' and '.' are allowed, starting with a letter or digit", tag)
	case IsUUID(tag):
		return fmt.Errorf("tag %q looks like a UUID", tag)
	}
	return nil
}

// SplitSnap splits NAME@SNAP at the last "@": snapshot names cannot hold
// one, while tags written by the shell iocage ("2015-11-10@12:34:56") can.
// ok is false when s has no "@".
func SplitSnap(s string) (name, snap string, ok bool) {
	i := strings.LastIndexByte(s, '@')
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+1:], true
}

// Identity is what lookup needs of a jail.
type Identity struct {
	UUID string
	Tag  string
}

func (id Identity) String() string {
	if id.Tag == "" || id.Tag == "-" {
		return id.UUID
	}
	return fmt.Sprintf("%s (%s)", id.UUID, id.Tag)
}

// ErrAmbiguous is returned (wrapped) when a name matches several jails.
var ErrAmbiguous = errors.New("ambiguous jail name")

// Find returns the index in jails of the jail that name designates: the
// jail whose tag is exactly name, else the one whose UUID is exactly name,
// else the only jail whose UUID or tag starts with name. Names compare
// literally. A missing jail wraps runtime.ErrNotExist; several candidates
// are an error wrapping ErrAmbiguous that lists them.
func Find(jails []Identity, name string) (int, error) {
	if name == "" {
		return -1, fmt.Errorf("empty jail name")
	}
	if strings.ContainsAny(name, " \t\n") {
		return -1, fmt.Errorf("jail name %q contains whitespace", name)
	}
	var exactTag, exactUUID, prefix []int
	for i, j := range jails {
		switch {
		case j.Tag == name:
			exactTag = append(exactTag, i)
		case j.UUID == name:
			exactUUID = append(exactUUID, i)
		case strings.HasPrefix(j.UUID, name) || strings.HasPrefix(j.Tag, name):
			prefix = append(prefix, i)
		}
	}
	for _, set := range [][]int{exactTag, exactUUID} {
		if len(set) == 1 {
			return set[0], nil
		}
		if len(set) > 1 {
			return -1, ambiguous(jails, name, set)
		}
	}
	switch len(prefix) {
	case 0:
		return -1, fmt.Errorf("jail %q: %w", name, runtime.ErrNotExist)
	case 1:
		return prefix[0], nil
	}
	return -1, ambiguous(jails, name, prefix)
}

func ambiguous(jails []Identity, name string, idx []int) error {
	var c []string
	for _, i := range idx {
		c = append(c, jails[i].String())
	}
	sort.Strings(c)
	return fmt.Errorf("%w %q matches %d jails: %s", ErrAmbiguous, name, len(c), strings.Join(c, ", "))
}
