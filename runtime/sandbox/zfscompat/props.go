package zfscompat

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Dataset types as bits, for property applicability and -t filters.
const (
	tFS = 1 << iota
	tVol
	tSnap
	tAll = tFS | tVol | tSnap
)

// kind says how libzfs prints a property.
type kind int

const (
	kString    kind = iota // as stored
	kIndex                 // one of a fixed set of words
	kBytes                 // zfs_nicebytes: 0B, 112K, 1.95G
	kBytesNone             // quota-like: 0 is "none"
	kNum                   // zfs_nicenum: 0, 112K
	kRatio                 // 1.00x, "1.00" with -p
	kTime                  // creation: a date, seconds with -p
)

// prop is one OpenZFS dataset property as this layer knows it.
type prop struct {
	name  string
	col   string // zfs list column header
	kind  kind
	types int
	// width is the widest index word, for zfs list column widths.
	width int
	// fuse is the zfs-fuse property holding the value; empty for the
	// properties computed here.
	fuse string
	// def is the constant value of a property zfs-fuse lacks and that
	// cannot differ on this host (source "default").
	def string
}

// props lists the OpenZFS properties in `zfs get all` order.
var props = []prop{
	{name: "type", col: "TYPE", kind: kString, types: tAll, fuse: "type"},
	{name: "creation", col: "CREATION", kind: kTime, types: tAll, fuse: "creation"},
	{name: "used", col: "USED", kind: kBytes, types: tAll, fuse: "used"},
	{name: "available", col: "AVAIL", kind: kBytes, types: tFS | tVol, fuse: "available"},
	{name: "referenced", col: "REFER", kind: kBytes, types: tAll, fuse: "referenced"},
	{name: "compressratio", col: "RATIO", kind: kRatio, types: tAll, fuse: "compressratio"},
	{name: "mounted", col: "MOUNTED", kind: kIndex, width: 3, types: tFS, fuse: "mounted"},
	{name: "origin", col: "ORIGIN", kind: kString, types: tFS | tVol, fuse: "origin"},
	{name: "quota", col: "QUOTA", kind: kBytesNone, types: tFS, fuse: "quota"},
	{name: "reservation", col: "RESERV", kind: kBytesNone, types: tFS | tVol, fuse: "reservation"},
	{name: "volsize", col: "VOLSIZE", kind: kNum, types: tVol, fuse: "volsize"},
	{name: "volblocksize", col: "VOLBLOCK", kind: kNum, types: tVol, fuse: "volblocksize"},
	{name: "recordsize", col: "RECSIZE", kind: kNum, types: tFS, fuse: "recordsize"},
	{name: "mountpoint", col: "MOUNTPOINT", kind: kString, types: tFS, fuse: "mountpoint"},
	{name: "sharenfs", col: "SHARENFS", kind: kString, types: tFS, fuse: "sharenfs"},
	{name: "checksum", col: "CHECKSUM", kind: kIndex, width: 9, types: tFS | tVol, fuse: "checksum"},
	{name: "compression", col: "COMPRESS", kind: kIndex, width: 14, types: tFS | tVol, fuse: "compression"},
	{name: "atime", col: "ATIME", kind: kIndex, width: 3, types: tFS, fuse: "atime"},
	{name: "devices", col: "DEVICES", kind: kIndex, width: 3, types: tFS | tSnap, fuse: "devices"},
	{name: "exec", col: "EXEC", kind: kIndex, width: 3, types: tFS | tSnap, fuse: "exec"},
	{name: "setuid", col: "SETUID", kind: kIndex, width: 3, types: tFS | tSnap, fuse: "setuid"},
	{name: "readonly", col: "RDONLY", kind: kIndex, width: 3, types: tFS | tVol, fuse: "readonly"},
	{name: "jailed", col: "JAILED", kind: kIndex, width: 3, types: tFS, fuse: "zoned"},
	{name: "snapdir", col: "SNAPDIR", kind: kIndex, width: 7, types: tFS, fuse: "snapdir"},
	{name: "aclmode", col: "ACLMODE", kind: kIndex, width: 11, types: tFS, fuse: "aclmode"},
	{name: "aclinherit", col: "ACLINHERIT", kind: kIndex, width: 13, types: tFS, fuse: "aclinherit"},
	{name: "canmount", col: "CANMOUNT", kind: kIndex, width: 6, types: tFS, fuse: "canmount"},
	{name: "xattr", col: "XATTR", kind: kIndex, width: 3, types: tFS | tSnap, fuse: "xattr"},
	{name: "copies", col: "COPIES", kind: kIndex, width: 1, types: tFS | tVol, fuse: "copies"},
	{name: "version", col: "VERSION", kind: kNum, types: tFS | tSnap, fuse: "version"},
	{name: "utf8only", col: "UTF8ONLY", kind: kIndex, width: 3, types: tFS | tSnap, fuse: "utf8only"},
	{name: "normalization", col: "NORMALIZATION", kind: kIndex, width: 6, types: tFS | tSnap, fuse: "normalization"},
	{name: "casesensitivity", col: "CASE", kind: kIndex, width: 11, types: tFS | tSnap, fuse: "casesensitivity"},
	{name: "vscan", col: "VSCAN", kind: kIndex, width: 3, types: tFS, fuse: "vscan"},
	{name: "nbmand", col: "NBMAND", kind: kIndex, width: 3, types: tFS | tSnap, fuse: "nbmand"},
	{name: "sharesmb", col: "SHARESMB", kind: kString, types: tFS, fuse: "sharesmb"},
	{name: "refquota", col: "REFQUOTA", kind: kBytesNone, types: tFS, fuse: "refquota"},
	{name: "refreservation", col: "REFRESERV", kind: kBytesNone, types: tFS | tVol, fuse: "refreservation"},
	{name: "primarycache", col: "PRIMARYCACHE", kind: kIndex, width: 8, types: tAll, fuse: "primarycache"},
	{name: "secondarycache", col: "SECONDARYCACHE", kind: kIndex, width: 8, types: tAll, fuse: "secondarycache"},
	{name: "usedbysnapshots", col: "USEDSNAP", kind: kBytes, types: tFS | tVol, fuse: "usedbysnapshots"},
	{name: "usedbydataset", col: "USEDDS", kind: kBytes, types: tFS | tVol, fuse: "usedbydataset"},
	{name: "usedbychildren", col: "USEDCHILD", kind: kBytes, types: tFS | tVol, fuse: "usedbychildren"},
	{name: "usedbyrefreservation", col: "USEDREFRESERV", kind: kBytes, types: tFS | tVol, fuse: "usedbyrefreservation"},
	{name: "logbias", col: "LOGBIAS", kind: kIndex, width: 10, types: tFS | tVol, fuse: "logbias"},
	{name: "dedup", col: "DEDUP", kind: kIndex, width: 13, types: tFS | tVol, fuse: "dedup"},
	{name: "mlslabel", col: "MLSLABEL", kind: kString, types: tAll, fuse: "mlslabel"},
	{name: "sync", col: "SYNC", kind: kIndex, width: 8, types: tFS | tVol, def: "standard"},
	{name: "dnodesize", col: "DNSIZE", kind: kIndex, width: 6, types: tFS, def: "legacy"},
	// refcompressratio, written and the logical sizes are approximated
	// from what zfs-fuse keeps (see value): compressratio, the space
	// used by the dataset itself, and physical sizes.
	{name: "refcompressratio", col: "REFRATIO", kind: kRatio, types: tAll},
	{name: "written", col: "WRITTEN", kind: kNum, types: tAll},
	{name: "logicalused", col: "LUSED", kind: kNum, types: tFS | tVol},
	{name: "logicalreferenced", col: "LREFER", kind: kNum, types: tAll},
	{name: "volmode", col: "VOLMODE", kind: kIndex, width: 7, types: tVol, def: "default"},
	{name: "snapdev", col: "SNAPDEV", kind: kIndex, width: 7, types: tFS | tVol, def: "hidden"},
	{name: "acltype", col: "ACLTYPE", kind: kIndex, width: 8, types: tFS | tSnap, def: "nfsv4"},
	{name: "redundant_metadata", col: "REDUND_MD", kind: kIndex, width: 9, types: tFS | tVol, def: "all"},
	{name: "encryption", col: "ENCRYPTION", kind: kIndex, width: 11, types: tAll, def: "off"},
	{name: "keylocation", col: "KEYLOCATION", kind: kString, types: tFS | tVol, def: "none"},
	{name: "keyformat", col: "KEYFORMAT", kind: kIndex, width: 10, types: tFS | tVol, def: "none"},
	{name: "special_small_blocks", col: "SPECIAL_SMALL_BLOCKS", kind: kNum, types: tFS, def: "0"},
	{name: "userrefs", col: "USERREFS", kind: kNum, types: tSnap, fuse: "userrefs"},
	{name: "defer_destroy", col: "DEFER_DESTROY", kind: kIndex, width: 3, types: tSnap, fuse: "defer_destroy"},
	{name: "clones", col: "CLONES", kind: kString, types: tSnap},
	// receive_resume_token comes from the sandbox's own record of
	// partial receives (see partial).
	{name: "receive_resume_token", col: "RESUMETOK", kind: kString, types: tFS | tVol},
	{name: "name", col: "NAME", kind: kString, types: tAll},
}

// aliases are the short names OpenZFS accepts for properties.
var aliases = map[string]string{
	"avail": "available", "refer": "referenced", "ratio": "compressratio",
	"refratio": "refcompressratio", "usedsnap": "usedbysnapshots", "usedds": "usedbydataset",
	"usedchild": "usedbychildren", "usedrefreserv": "usedbyrefreservation", "reserv": "reservation",
	"refreserv": "refreservation", "recsize": "recordsize", "volblock": "volblocksize",
	"compress": "compression", "lused": "logicalused", "lrefer": "logicalreferenced",
	"rdonly": "readonly", "dnsize": "dnodesize",
}

var propByName = func() map[string]*prop {
	m := map[string]*prop{}
	for i := range props {
		m[props[i].name] = &props[i]
	}
	return m
}()

// ShadowCompression is the user property that keeps an OpenZFS compression
// value zfs-fuse cannot store (lz4, zstd...) next to the lzjb it stores.
const ShadowCompression = "org.freebsd.zfscompat:compression"

// shadowPrefix marks the properties this layer keeps for itself.
const shadowPrefix = "org.freebsd.zfscompat:"

// noShadow is the shadow value that says "the stored compression is the
// OpenZFS value"; user properties cannot be empty.
const noShadow = "none"

// isUserProp reports whether name is a user property (module:name).
func isUserProp(name string) bool { return strings.Contains(name, ":") }

// lookupProp resolves a property name the way OpenZFS does: aliases and
// user properties are accepted, anything else is invalid.
func lookupProp(name string) (string, *prop, bool) {
	if isUserProp(name) {
		return name, nil, validUserProp(name)
	}
	if full, ok := aliases[name]; ok {
		name = full
	}
	p, ok := propByName[name]
	return name, p, ok
}

// validUserProp checks a user property name like zfs_prop_user.
func validUserProp(name string) bool {
	if len(name) > 256 || strings.HasPrefix(name, shadowPrefix) {
		return false
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || strings.ContainsRune(":-._", r)) {
			return false
		}
	}
	return true
}

// compressionValues are the OpenZFS 2.2 compression words; the ones
// zfs-fuse lacks are stored as lzjb plus the shadow property.
func fuseCompression(v string) (fuse, shadow string, ok bool) {
	switch v {
	case "on", "off", "lzjb", "gzip", "zle":
		return v, noShadow, true
	case "lz4", "zstd", "zstd-fast":
		return "lzjb", v, true
	}
	for _, pre := range []string{"gzip-"} {
		if n, err := strconv.Atoi(strings.TrimPrefix(v, pre)); err == nil && strings.HasPrefix(v, pre) && n >= 1 && n <= 9 {
			return v, noShadow, true
		}
	}
	if n, err := strconv.Atoi(strings.TrimPrefix(v, "zstd-fast-")); err == nil && strings.HasPrefix(v, "zstd-fast-") &&
		(n >= 1 && n <= 10 || n%10 == 0 && n <= 100 || n == 500 || n == 1000) {
		return "lzjb", v, true
	}
	if n, err := strconv.Atoi(strings.TrimPrefix(v, "zstd-")); err == nil && strings.HasPrefix(v, "zstd-") && n >= 1 && n <= 19 {
		return "lzjb", v, true
	}
	return "", "", false
}

// nicenum is libzfs's zfs_nicenum_format: 1024-based, at most five
// characters where a fraction is needed. bytes adds the "B" of
// zfs_nicebytes below 1K.
func nicenum(n uint64, bytes bool) string {
	units := []string{"", "K", "M", "G", "T", "P", "E"}
	if bytes {
		units[0] = "B"
	}
	i := 0
	for v := n; v >= 1024 && i < len(units)-1; v /= 1024 {
		i++
	}
	div := math.Pow(1024, float64(i))
	if i == 0 || n%uint64(div) == 0 {
		return fmt.Sprintf("%d%s", n/uint64(div), units[i])
	}
	var s string
	for prec := 2; prec >= 0; prec-- {
		s = fmt.Sprintf("%.*f%s", prec, float64(n)/div, units[i])
		if len(s) <= 5 {
			break
		}
	}
	return s
}

// formatValue renders a raw zfs-fuse -p value as OpenZFS prints it, literal
// being OpenZFS's -p.
func formatValue(p *prop, raw string, literal bool) string {
	if p == nil || raw == "-" || raw == "" {
		return raw
	}
	switch p.kind {
	case kRatio:
		raw = strings.TrimSuffix(raw, "x")
		if literal {
			return raw
		}
		return raw + "x"
	case kTime:
		if literal {
			return raw
		}
		sec, err := strconv.ParseInt(raw, 10, 64)
		if err != nil {
			return raw
		}
		return strftimeCreation(time.Unix(sec, 0))
	case kBytes, kBytesNone, kNum:
		n, err := strconv.ParseUint(raw, 10, 64)
		if err != nil {
			return raw
		}
		if literal {
			return raw
		}
		if p.kind == kBytesNone && n == 0 {
			return "none"
		}
		return nicenum(n, p.kind != kNum)
	}
	return raw
}

// strftimeCreation is strftime "%a %b %e %k:%M %Y" in local time.
func strftimeCreation(t time.Time) string {
	t = t.Local()
	return fmt.Sprintf("%s %s %2d %2d:%02d %d", t.Format("Mon"), t.Format("Jan"), t.Day(), t.Hour(), t.Minute(), t.Year())
}

// numeric reports whether a property's values compare as numbers.
func numeric(p *prop) bool {
	return p != nil && (p.kind == kBytes || p.kind == kBytesNone || p.kind == kNum || p.kind == kTime)
}
