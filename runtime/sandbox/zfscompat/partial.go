package zfscompat

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/iocage/iocage/runtime/sandbox/model"
)

// partial is what a `zfs receive -s` keeps of an interrupted stream for
// its target, which zfs-fuse cannot keep: the stream's bytes so far (the
// spool, a file beside this record) and where they came from. OpenZFS
// keeps the same in the dataset (the %recv clone or the inconsistent new
// file system) and shows it as receive_resume_token.
type partial struct {
	Target   string `json:"target"`
	ToName   string `json:"toname"`
	ToGUID   uint64 `json:"toguid"`
	FromGUID uint64 `json:"fromguid"`
	// FSGUID is the guid of Target when the receive began (the
	// placeholder, or the file system an incremental goes into): a
	// later file system of the same name has another and no partial
	// state.
	FSGUID string `json:"fsguid"`
	// Placeholder says Target was made to stand for the new file system
	// of a full stream until the stream is whole.
	Placeholder bool `json:"placeholder"`
	// Applying is set while the spool is fed to zfs-fuse: a receiver
	// that dies then has no partial state left to resume.
	Applying bool `json:"applying"`
	// Bytes and Sum describe the spool once no receiver writes it.
	Bytes int64  `json:"bytes"`
	Sum   string `json:"sum"`
}

// ShadowPartial marks a placeholder file system; like every shadow
// property it is never shown.
const ShadowPartial = shadowPrefix + "partial"

// spoolDir holds the partial receives of a sandbox, in its own directory:
// per target a record (.json), the stream so far (.spool) and the lock
// (.lock) a live receiver holds.
func spoolDir(sb *model.Sandbox) string { return filepath.Join(sb.Dir, "receive") }

func spoolBase(sb *model.Sandbox, target string) string {
	h := sha256.Sum256([]byte(target))
	return filepath.Join(spoolDir(sb), hex.EncodeToString(h[:20]))
}

// lockTarget takes target's receive lock without waiting; busy says a
// live receiver holds it. The lock dies with its holder, which is how a
// killed receiver's spool becomes partial state.
func lockTarget(sb *model.Sandbox, target string) (f *os.File, busy bool, err error) {
	if err := os.MkdirAll(spoolDir(sb), 0o700); err != nil {
		return nil, false, err
	}
	f, err = os.OpenFile(spoolBase(sb, target)+".lock", os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, false, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, true, nil
		}
		return nil, false, err
	}
	return f, false, nil
}

// readPartial returns target's record, nil when there is none.
func readPartial(sb *model.Sandbox, target string) (*partial, error) {
	return readPartialFile(spoolBase(sb, target) + ".json")
}

func readPartialFile(path string) (*partial, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var p partial
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// writePartial replaces target's record whole (write and rename), so a
// reader never sees half of one.
func writePartial(sb *model.Sandbox, p *partial) error {
	b, err := json.Marshal(p)
	if err != nil {
		return err
	}
	path := spoolBase(sb, p.Target) + ".json"
	if err := os.WriteFile(path+".new", b, 0o600); err != nil {
		return err
	}
	return os.Rename(path+".new", path)
}

// removePartial forgets target's partial receive. The lock file stays: a
// receiver may hold it.
func removePartial(sb *model.Sandbox, target string) {
	base := spoolBase(sb, target)
	os.Remove(base + ".json")
	os.Remove(base + ".spool")
}

// hashSpool reads the spool of target: its length and checksum, and the
// hash state to go on with, optionally also written to w.
func hashSpool(sb *model.Sandbox, target string, w io.Writer) (int64, hash.Hash, error) {
	h := sha256.New()
	f, err := os.Open(spoolBase(sb, target) + ".spool")
	if err != nil {
		return 0, nil, err
	}
	defer f.Close()
	dst := io.Writer(h)
	if w != nil {
		dst = io.MultiWriter(h, w)
	}
	n, err := io.Copy(dst, f)
	return n, h, err
}

// quietToken is target's resume token as a reader sees it: the partial
// state of a receive no process runs, that still belongs to the file
// system of that name (guid). It caches the spool's checksum so that
// reading tokens does not read spools again.
func quietToken(sb *model.Sandbox, p *partial, guid string) string {
	if p == nil || p.Applying || p.FSGUID != guid {
		return ""
	}
	lock, busy, err := lockTarget(sb, p.Target)
	if err != nil || busy {
		return ""
	}
	defer lock.Close()
	// Read again under the lock: a receiver may have just finished.
	p, err = readPartial(sb, p.Target)
	if err != nil || p == nil || p.Applying || p.FSGUID != guid {
		return ""
	}
	st, err := os.Stat(spoolBase(sb, p.Target) + ".spool")
	if err != nil {
		return ""
	}
	if p.Sum == "" || p.Bytes != st.Size() {
		n, h, err := hashSpool(sb, p.Target, nil)
		if err != nil {
			return ""
		}
		p.Bytes, p.Sum = n, hex.EncodeToString(h.Sum(nil))
		_ = writePartial(sb, p)
	}
	return encodeToken(resumePoint{ToName: p.ToName, ToGUID: p.ToGUID, FromGUID: p.FromGUID, Bytes: p.Bytes, Sum: p.Sum})
}

// partials reads every partial record of the sandbox by target: few
// exist, and one directory read serves a listing of any size.
func partials(sb *model.Sandbox) map[string]*partial {
	out := map[string]*partial{}
	ents, err := os.ReadDir(spoolDir(sb))
	if err != nil {
		return out
	}
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		if p, err := readPartialFile(filepath.Join(spoolDir(sb), e.Name())); err == nil && p != nil {
			out[p.Target] = p
		}
	}
	return out
}

// Teardown forgets every partial receive (sandbox Reset and Destroy): the
// datasets they belong to are destroyed.
func Teardown(sb *model.Sandbox) error {
	return os.RemoveAll(spoolDir(sb))
}
