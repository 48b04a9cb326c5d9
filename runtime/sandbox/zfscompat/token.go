package zfscompat

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"strconv"
	"strings"
)

// resumePoint is what a receive_resume_token carries: which stream the
// partial receive was reading and how far it got. OpenZFS's token names
// the snapshot and its guid, the incremental source's guid and the bytes
// received; the sandbox adds a checksum of those bytes, because it
// resumes by regenerating the stream and cutting off what was received,
// which is only right if zfs-fuse writes the same bytes again.
type resumePoint struct {
	ToName   string // the sender's snapshot, pool/fs@snap
	ToGUID   uint64
	FromGUID uint64 // 0 for a full stream
	Bytes    int64  // stream bytes already received
	Sum      string // hex SHA-256 of those bytes
}

// maxTokenLen bounds a token, as ZFS_MAXPROPLEN bounds OpenZFS's.
const maxTokenLen = 4096

// encodeToken renders p as OpenZFS renders its tokens: a version, the
// checksum and length of the payload, and the payload, all in lowercase
// hex, so the token matches [0-9a-f-]+.
func encodeToken(p resumePoint) string {
	payload := fmt.Sprintf("toname=%s\ntoguid=%x\nfromguid=%x\nbytes=%d\nsum=%s\n",
		p.ToName, p.ToGUID, p.FromGUID, p.Bytes, p.Sum)
	return fmt.Sprintf("1-%x-%x-%s", crc32.ChecksumIEEE([]byte(payload)), len(payload), hex.EncodeToString([]byte(payload)))
}

// errCorruptToken is libzfs's wording for a token it cannot read.
var errCorruptToken = fmt.Errorf("resume token is corrupt")

// decodeToken reads a token made by encodeToken. Tokens come from the
// receiving host, another party: every field is checked.
func decodeToken(tok string) (resumePoint, error) {
	var p resumePoint
	if len(tok) > maxTokenLen {
		return p, errCorruptToken
	}
	f := strings.Split(tok, "-")
	if len(f) != 4 || f[0] != "1" {
		return p, errCorruptToken
	}
	sum, err1 := strconv.ParseUint(f[1], 16, 32)
	n, err2 := strconv.ParseUint(f[2], 16, 32)
	payload, err3 := hex.DecodeString(f[3])
	if err1 != nil || err2 != nil || err3 != nil || uint64(len(payload)) != n || crc32.ChecksumIEEE(payload) != uint32(sum) {
		return p, errCorruptToken
	}
	seen := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSuffix(string(payload), "\n"), "\n") {
		k, v, ok := strings.Cut(line, "=")
		if !ok || seen[k] {
			return p, errCorruptToken
		}
		seen[k] = true
		var err error
		switch k {
		case "toname":
			p.ToName = v
		case "toguid":
			p.ToGUID, err = strconv.ParseUint(v, 16, 64)
		case "fromguid":
			p.FromGUID, err = strconv.ParseUint(v, 16, 64)
		case "bytes":
			p.Bytes, err = strconv.ParseInt(v, 10, 64)
		case "sum":
			p.Sum = v
		default:
			return p, errCorruptToken
		}
		if err != nil {
			return p, errCorruptToken
		}
	}
	if len(seen) != 5 || p.Bytes < 0 || !validSnapName(p.ToName) || len(p.Sum) != 64 || !isLowerHex(p.Sum) {
		return p, errCorruptToken
	}
	return p, nil
}

// validSnapName accepts pool/fs@snap with ZFS's name characters.
func validSnapName(s string) bool {
	fs, snap, ok := strings.Cut(s, "@")
	if !ok || fs == "" || snap == "" || len(s) > 255 || strings.Contains(snap, "@") {
		return false
	}
	for _, part := range append(strings.Split(fs, "/"), snap) {
		if part == "" {
			return false
		}
		for _, r := range part {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("_-.:", r)) {
				return false
			}
		}
	}
	return true
}

func isLowerHex(s string) bool {
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f') {
			return false
		}
	}
	return true
}

// resumeMagic opens the sandbox's resume streams (what `zfs send -t`
// writes): the magic, a 4-byte big-endian length and the token, then the
// rest of the regenerated stream. A send stream begins with DRR_BEGIN,
// whose first four bytes are zero, so the two cannot be confused.
const resumeMagic = "IOCRSUM1"

// resumeHeader is the record send -t writes before the stream's tail.
func resumeHeader(tok string) []byte {
	b := make([]byte, 0, len(resumeMagic)+4+len(tok))
	b = append(b, resumeMagic...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(tok)))
	return append(b, tok...)
}
