package zfscompat

import (
	"bytes"
	"encoding/binary"
	"math"
)

// Replay record types of a send stream (dmu_replay_record_t), pool v23.
const (
	drrBegin = iota
	drrObject
	drrFreeObjects
	drrWrite
	drrFree
	drrEnd
	drrWriteByRef
	drrSpill
)

// drrSize is sizeof (dmu_replay_record_t): every record's fixed part.
const drrSize = 312

// streamBegin is what a DRR_BEGIN record says about its stream.
type streamBegin struct {
	ToName   string
	ToGUID   uint64
	FromGUID uint64
	Compound bool // a package (-p, -R): a header nvlist and substreams
}

// parseBegin reads a DRR_BEGIN record; ok is false when rec is not one.
func parseBegin(rec []byte) (b streamBegin, order binary.ByteOrder, ok bool) {
	if len(rec) < drrSize {
		return b, nil, false
	}
	order = binary.LittleEndian
	if order.Uint64(rec[8:16]) != streamMagic {
		order = binary.BigEndian
		if order.Uint64(rec[8:16]) != streamMagic {
			return b, nil, false
		}
	}
	if order.Uint32(rec[0:4]) != drrBegin {
		return b, nil, false
	}
	// drr_begin: magic, versioninfo, creation_time, type, flags, toguid,
	// fromguid, toname[MAXNAMELEN].
	b.Compound = order.Uint64(rec[16:24])&3 == 2 // DMU_COMPOUNDSTREAM
	b.ToGUID = order.Uint64(rec[40:48])
	b.FromGUID = order.Uint64(rec[48:56])
	name := rec[56:312]
	if i := bytes.IndexByte(name, 0); i >= 0 {
		name = name[:i]
	}
	b.ToName = string(name)
	return b, order, true
}

// streamWalker follows the records of a send stream written to it, holding
// one record header at most, to tell whether the stream is complete: a
// substream ends with its DRR_END; a package with the DRR_END that follows
// its substreams. Streams are data from another host: lengths are only
// counted, never allocated.
type streamWalker struct {
	rec   [drrSize]byte
	have  int
	skip  uint64 // payload bytes still to pass
	order binary.ByteOrder

	records  int
	compound bool
	inSub    bool // inside a package's substream
	headDone bool // a package's header (BEGIN, nvlist, END) is over
	done     bool
	bad      bool // not a stream this walker understands
}

func (w *streamWalker) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 && !w.done && !w.bad {
		if w.skip > 0 {
			k := uint64(len(p))
			if k > w.skip {
				k = w.skip
			}
			w.skip -= k
			p = p[k:]
			continue
		}
		c := copy(w.rec[w.have:], p)
		w.have += c
		p = p[c:]
		if w.have == drrSize {
			w.have = 0
			w.record()
		}
	}
	return n, nil
}

// record handles one complete record header.
func (w *streamWalker) record() {
	rec := w.rec[:]
	if w.records == 0 {
		b, order, ok := parseBegin(rec)
		if !ok {
			w.bad = true
			return
		}
		w.order, w.compound = order, b.Compound
	}
	w.records++
	o := w.order
	typ := o.Uint32(rec[0:4])
	switch typ {
	case drrBegin:
		if w.records > 1 && (!w.compound || !w.headDone || w.inSub) {
			w.bad = true
			return
		}
		if w.records > 1 {
			w.inSub = true
		}
		w.skip = uint64(o.Uint32(rec[4:8]))
	case drrEnd:
		switch {
		case !w.compound:
			w.done = true
		case !w.headDone:
			w.headDone = true
		case w.inSub:
			w.inSub = false
		default:
			w.done = true
		}
	case drrObject:
		bonus := uint64(o.Uint32(rec[28:32]))
		w.skip = (bonus + 7) &^ 7
	case drrWrite:
		w.skip = o.Uint64(rec[32:40])
	case drrSpill:
		w.skip = o.Uint64(rec[16:24])
	case drrFreeObjects, drrFree, drrWriteByRef:
	default:
		w.bad = true
	}
	if w.skip == math.MaxUint64 {
		w.bad = true
	}
}

// complete reports whether the stream written so far is whole. An
// unknown record leaves it undecided: the stream then goes to zfs-fuse,
// whose verdict counts.
func (w *streamWalker) complete() bool { return w.done || w.bad }
