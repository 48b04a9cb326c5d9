package release

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/iocage/iocage/runtime"
)

// DefaultMirror is where releases come from on a FreeBSD host.
const DefaultMirror = "https://download.freebsd.org"

// MirrorSource is implemented by host backends that may bring their own
// FreeBSD mirror (a sandbox host serves its synthetic releases on
// 127.0.0.1). own says the host's releases exist only there; url is ""
// when it has none.
type MirrorSource interface {
	MirrorURL() (url string, own bool)
}

// Mirror returns the default mirror of h: the backend's own when it has
// one, else DefaultMirror. A host that brings its own mirror but has none
// is an error, because its releases exist nowhere else.
func Mirror(h *runtime.Host) (string, error) {
	ms, ok := h.Backend().(MirrorSource)
	if !ok {
		return DefaultMirror, nil
	}
	u, own := ms.MirrorURL()
	switch {
	case !own:
		return DefaultMirror, nil
	case u == "":
		return "", fmt.Errorf("host %s has no release mirror (run `iocage-sandbox setup`, or pass a mirror URL)", h.Name())
	}
	return u, nil
}

// CheckURL accepts an http or https URL with a host and no query or
// fragment, which is what a mirror, a distribution directory or a file
// on one looks like.
func CheckURL(what, s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("%s %q: %w", what, s, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("%s %q: want an http:// or https:// URL", what, s)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("%s %q: no host", what, s)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, fmt.Errorf("%s %q: must not have a query, fragment or user", what, s)
	}
	return u, nil
}

var releaseRe = regexp.MustCompile(`^[1-9][0-9]*\.[0-9]+-(RELEASE|RC[1-9][0-9]*|BETA[1-9][0-9]*|ALPHA[1-9][0-9]*)$`)

// CheckRelease accepts a release name as FreeBSD's mirrors spell it:
// 14.3-RELEASE, 15.0-RC1, 15.0-BETA2, 15.0-ALPHA3. A patch level is not a
// release: patches come from freebsd-update.
func CheckRelease(rel string) error {
	if releaseRe.MatchString(rel) {
		return nil
	}
	if i := strings.LastIndex(rel, "-p"); i > 0 && releaseRe.MatchString(rel[:i]) {
		return fmt.Errorf("release %q: %s is a patch level; fetch %s (binary updates bring the patches)", rel, rel[i+1:], rel[:i])
	}
	return fmt.Errorf("release %q: want a name like 14.3-RELEASE, 15.0-RC1 or 15.0-BETA2", rel)
}

// HostInfo is what uname(1) says about the host's kernel and machine.
type HostInfo struct {
	Release     string // uname -r without the patch level: 14.3-RELEASE
	Version     string // uname -r as printed: 14.3-RELEASE-p2
	Machine     string // uname -m: amd64, arm64
	MachineArch string // uname -p: amd64, aarch64
}

// Host reads the host's release and architecture with one uname.
func Host(ctx context.Context, h *runtime.Host) (HostInfo, error) {
	out, err := h.Output(ctx, runtime.Uname, "-m", "-p", "-r")
	if err != nil {
		return HostInfo{}, err
	}
	// uname prints in its own fixed order: release, machine, processor.
	f := strings.Fields(out)
	if len(f) != 3 {
		return HostInfo{}, fmt.Errorf("uname -m -p -r: unexpected output %q", strings.TrimSpace(out))
	}
	hi := HostInfo{Version: f[0], Release: f[0], Machine: f[1], MachineArch: f[2]}
	if i := strings.LastIndex(f[0], "-p"); i > 0 && releaseRe.MatchString(f[0][:i]) {
		hi.Release = f[0][:i]
	}
	return hi, nil
}

// DistURL is the directory of a release's distribution sets under a
// mirror, in the layout of download.freebsd.org and the FTP mirrors'
// /pub/FreeBSD: MIRROR/releases/MACHINE/MACHINE_ARCH/REL.
func DistURL(mirror, machine, machineArch, rel string) (string, error) {
	if _, err := CheckURL("mirror", mirror); err != nil {
		return "", err
	}
	if err := CheckRelease(rel); err != nil {
		return "", err
	}
	for _, a := range []string{machine, machineArch} {
		if a == "" || strings.ContainsAny(a, "/?#% ") {
			return "", fmt.Errorf("architecture %q: want a name like amd64 or aarch64", a)
		}
	}
	return strings.TrimRight(mirror, "/") + "/releases/" + machine + "/" + machineArch + "/" + rel, nil
}
