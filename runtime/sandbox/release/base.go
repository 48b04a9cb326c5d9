package release

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"
)

//go:embed all:files
var files embed.FS

// busyboxLinks are the busybox applets a release ships, under their FreeBSD
// paths. Network configuration (ifconfig, route, ip, ...) and kernel tools
// (mount, sysctl, ...) are left out on purpose: inside a jail the sandbox's
// models answer those.
var busyboxLinks = map[string][]string{
	"bin": {"[", "cat", "chmod", "cp", "date", "dd", "df", "echo", "expr", "hostname",
		"kill", "link", "ln", "ls", "mkdir", "mv", "ps", "pwd", "realpath", "rm", "rmdir",
		"sh", "sleep", "stty", "sync", "test", "unlink"},
	"sbin": {"nologin"},
	"usr/bin": {"awk", "basename", "bunzip2", "bzcat", "bzip2", "cal", "clear", "cmp",
		"crontab", "cut", "diff", "dirname", "du", "egrep", "env", "fgrep", "find", "getopt",
		"grep", "gunzip", "gzip", "head", "hexdump", "id", "less", "logger", "login", "mktemp",
		"more", "nc", "nl", "od", "paste", "patch", "printf", "readlink", "rev", "sed", "seq",
		"sha1sum", "sha256sum", "sha512sum", "sort", "stat", "su", "tail", "tar", "tee", "time",
		"timeout", "top", "touch", "tr", "true", "false", "tty", "uniq", "unxz", "uptime", "vi",
		"w", "wc", "which", "who", "whoami", "xargs", "xz", "xzcat", "yes", "zcat"},
	"usr/sbin": {"chroot", "syslogd"},
}

// templateVars are substituted in every embedded file as @@NAME@@.
func templateVars(r Release, patch int, opts Options) map[string]string {
	version := r.Name
	if patch > 0 {
		version += "-p" + strconv.Itoa(patch)
	}
	return map[string]string{
		"RELEASE":      r.Name,
		"VERSION":      version,
		"RELDATE":      strconv.Itoa(r.Reldate),
		"HOST_RELEASE": HostRelease,
		"HOST_RELDATE": strconv.Itoa(HostReldate),
		"MIRROR":       opts.Mirror,
		"ABI":          ABI,
		"ARCH":         Arch,
	}
}

func expand(b []byte, vars map[string]string) []byte {
	s := string(b)
	for k, v := range vars {
		s = strings.ReplaceAll(s, "@@"+k+"@@", v)
	}
	return []byte(s)
}

// modeFor gives installed files FreeBSD's modes: programs and rc.d scripts
// are executable, the password database is root's alone.
func modeFor(name string) int64 {
	dir := path.Dir(name)
	switch {
	case name == "etc/master.passwd":
		return 0o600
	case strings.HasSuffix(dir, "bin") || path.Base(dir) == "rc.d":
		return 0o555
	}
	return 0o644
}

// treeEntries returns the embedded files under files/<root> as entries,
// expanded with vars.
func treeEntries(root string, vars map[string]string) ([]entry, error) {
	var out []entry
	top := "files/" + root
	err := fs.WalkDir(files, top, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := files.ReadFile(p)
		if err != nil {
			return err
		}
		name := strings.TrimPrefix(p, top+"/")
		out = append(out, file(name, modeFor(name), expand(b, vars)))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("embedded %s: %w", root, err)
	}
	return out, nil
}

// baseDirs are the directories of a base system that must exist even when
// empty: iocage clones or copies several of them into basejails.
var baseDirs = []string{
	"boot", "dev", "etc/pkg", "etc/rc.conf.d", "lib", "libexec", "media", "mnt", "proc",
	"rescue", "root", "usr/include", "usr/lib", "usr/lib32", "usr/libdata", "usr/libexec",
	"usr/local/bin", "usr/local/etc/rc.d", "usr/local/sbin", "usr/share/misc", "usr/src",
	"usr/home", "var/cron/tabs", "var/db/freebsd-update", "var/db/pkg", "var/empty",
	"var/log", "var/run",
}

func baseEntries(r Release, bb []byte, opts Options) ([]entry, error) {
	es, err := treeEntries("base", templateVars(r, 0, opts))
	if err != nil {
		return nil, err
	}
	es = append(es, file("bin/busybox", 0o555, bb))
	for d, names := range busyboxLinks {
		rel := strings.Repeat("../", strings.Count(d, "/")+1) + "bin/busybox"
		for _, n := range names {
			es = append(es, symlink(d+"/"+n, rel))
		}
	}
	for _, d := range baseDirs {
		es = append(es, dir(d, 0o755))
	}
	es = append(es, dir("tmp", 0o1777), dir("var/tmp", 0o1777), symlink("home", "usr/home"))
	return es, nil
}

// lib32Entries is the 32-bit compatibility set: there is nothing to run in
// it, but it has to exist and extract for iocage's default file list.
func lib32Entries(r Release, bb []byte) []entry {
	readme := fmt.Sprintf("32-bit compatibility libraries of the sandbox's synthetic FreeBSD %s.\n"+
		"busybox is a copy of the base system's, standing in for i386 binaries.\n", r.Name)
	return []entry{
		file("usr/lib32/README", 0o444, []byte(readme)),
		file("usr/lib32/busybox", 0o555, bb),
	}
}

// patchEntries are the files patch level p of r replaces: freebsd-version
// (whose USERLAND_VERSION is how FreeBSD and iocage read the patch level)
// and the motd.
func patchEntries(r Release, p int, opts Options) []entry {
	vars := templateVars(r, p, opts)
	fv, err := files.ReadFile("files/base/bin/freebsd-version")
	if err != nil {
		panic("release: embedded freebsd-version missing: " + err.Error())
	}
	motd, err := files.ReadFile("files/base/etc/motd")
	if err != nil {
		panic("release: embedded motd missing: " + err.Error())
	}
	return []entry{
		file("bin/freebsd-version", 0o555, expand(fv, vars)),
		file("etc/motd", 0o644, expand(motd, vars)),
	}
}
