package release

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/iocage/iocage/builtins/progress"
	"github.com/iocage/iocage/builtins/thread"
	"github.com/iocage/iocage/runtime"
)

// DownloadOptions shape a Download.
type DownloadOptions struct {
	// SHA256 is the sum the file must have (lower-case hex). When set, a
	// dest that already has it is kept without downloading, and a
	// download that does not match is removed and is an error.
	SHA256 string
	// Progress, when set, receives a progress line rewritten in place: a
	// terminal (package progress).
	Progress io.Writer
	// Client is the HTTP client; a default with connect and header
	// timeouts when nil.
	Client *http.Client
	// Attempts is how often a transfer cut short is resumed (3 when 0).
	Attempts int
	// Undo receives the removal of a file this download created.
	Undo *thread.Undo
}

// Downloaded describes a finished Download.
type Downloaded struct {
	Path    string // dest
	SHA256  string // its sum
	Size    int64
	Fetched bool // false when dest was already there with the right sum
	Resumed bool // the transfer continued a partial file (Range)
}

// ErrChecksum is wrapped by a download whose content does not match its sum.
var ErrChecksum = errors.New("sha256 mismatch")

var defaultClient = &http.Client{Transport: &http.Transport{
	Proxy:                 http.ProxyFromEnvironment,
	DialContext:           (&net.Dialer{Timeout: 30 * time.Second}).DialContext,
	TLSHandshakeTimeout:   30 * time.Second,
	ResponseHeaderTimeout: 60 * time.Second,
}}

// Download fetches url into the host file dest. The body goes to
// dest.part first, written through the host's file operations (so dry-run
// and traces see it); a partial dest.part left by an earlier, interrupted
// run or by a connection cut short is continued with an HTTP Range request.
// With a sum, the file is verified before it is renamed into place; a
// resumed file that fails is downloaded once more from the start. Errors
// name the URL and the reason.
func Download(ctx context.Context, h *runtime.Host, url, dest string, o DownloadOptions) (Downloaded, error) {
	res := Downloaded{Path: dest}
	if _, err := CheckURL("download", url); err != nil {
		return res, err
	}
	if !path.IsAbs(dest) {
		return res, fmt.Errorf("download %s: destination %q is not an absolute host path", url, dest)
	}
	if o.SHA256 != "" && !sha256Re.MatchString(o.SHA256) {
		return res, fmt.Errorf("download %s: sha256 %q is not 64 lower-case hex digits", url, o.SHA256)
	}
	if o.Client == nil {
		o.Client = defaultClient
	}
	if o.Attempts <= 0 {
		o.Attempts = 3
	}
	_, statErr := h.Stat(dest)
	existed := statErr == nil
	if existed && o.SHA256 != "" {
		if sum, size, err := fileSum(h, dest); err == nil && sum == o.SHA256 {
			return Downloaded{Path: dest, SHA256: sum, Size: size}, nil
		}
	}
	part := dest + ".part"
	if h.DryRun() {
		// Nothing is written in a dry run, so nothing is worth transferring.
		w, err := h.Create(part, 0o644)
		if err != nil {
			return res, err
		}
		w.Close()
		return Downloaded{Path: dest, SHA256: o.SHA256}, h.Rename(part, dest)
	}
	for round := 0; ; round++ {
		resumed, err := transfer(ctx, h, url, part, o)
		if err != nil {
			return res, err
		}
		sum, size, err := fileSum(h, part)
		if err != nil {
			return res, fmt.Errorf("download %s: %w", url, err)
		}
		if o.SHA256 != "" && sum != o.SHA256 {
			// A bad file must not be resumed from again.
			if rerr := h.Remove(part); rerr != nil {
				return res, fmt.Errorf("download %s: %w (and removing %s: %v)", url, ErrChecksum, part, rerr)
			}
			if resumed && round == 0 {
				continue
			}
			return res, fmt.Errorf("download %s: %w: the file has %s, the MANIFEST says %s", url, ErrChecksum, sum, o.SHA256)
		}
		rename := func() error { return h.Rename(part, dest) }
		if !existed {
			err = o.Undo.Do("rm "+dest, thread.Step{Kind: "release.remove_file", Args: []string{dest}}, rename)
		} else {
			err = rename()
		}
		if err != nil {
			return res, fmt.Errorf("download %s: %w", url, err)
		}
		return Downloaded{Path: dest, SHA256: sum, Size: size, Fetched: true, Resumed: resumed}, nil
	}
}

// transfer brings part up to the whole body of url, resuming what is
// there; resumed says whether any earlier bytes were kept.
func transfer(ctx context.Context, h *runtime.Host, url, part string, o DownloadOptions) (resumed bool, err error) {
	var lastErr error
	for attempt := 0; attempt < o.Attempts; attempt++ {
		if err := ctx.Err(); err != nil {
			return resumed, fmt.Errorf("download %s: %w", url, err)
		}
		var have int64
		if fi, err := h.Stat(part); err == nil {
			have = fi.Size()
		}
		done, progressed, err := fetchOnce(ctx, h, url, part, have, o)
		if have > 0 && progressed {
			resumed = true
		}
		if err == nil && done {
			return resumed, nil
		}
		lastErr = err
		// Only a transfer that moved forward is worth another try: a 404
		// or a refused connection will not change.
		if !progressed {
			break
		}
	}
	return resumed, lastErr
}

// httpError is a response that is not the file.
type httpError struct {
	url    string
	status string
}

func (e *httpError) Error() string {
	return fmt.Sprintf("download %s: server answered %s", e.url, e.status)
}

// fetchOnce makes one request for url from byte have on and appends the
// body to part. progressed is true when bytes were received.
func fetchOnce(ctx context.Context, h *runtime.Host, url, part string, have int64, o DownloadOptions) (done, progressed bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return false, false, fmt.Errorf("download %s: %w", url, err)
	}
	if have > 0 {
		req.Header.Set("Range", "bytes="+strconv.FormatInt(have, 10)+"-")
	}
	resp, err := o.Client.Do(req)
	if err != nil {
		return false, false, fmt.Errorf("download %s: %w", url, err)
	}
	defer resp.Body.Close()
	var w io.WriteCloser
	total := resp.ContentLength
	switch {
	case have > 0 && resp.StatusCode == http.StatusRequestedRangeNotSatisfiable:
		// The part is already whole (or longer than the file): the sum
		// decides.
		return true, true, nil
	case have > 0 && resp.StatusCode == http.StatusPartialContent:
		if start, ok := rangeStart(resp.Header.Get("Content-Range")); !ok || start != have {
			return false, false, fmt.Errorf("download %s: server resumed at the wrong offset (Content-Range %q, want byte %d)", url, resp.Header.Get("Content-Range"), have)
		}
		w, err = h.OpenAppend(part, 0o644)
		if total >= 0 {
			total += have
		}
	case resp.StatusCode == http.StatusOK:
		// A server that ignores Range sends the whole file again.
		have = 0
		w, err = h.Create(part, 0o644)
	default:
		return false, false, &httpError{url: url, status: resp.Status}
	}
	if err != nil {
		return false, false, fmt.Errorf("download %s: %w", url, err)
	}
	pr := progress.New(o.Progress, progress.Options{Name: path.Base(url), Total: total, Done: have})
	n, cerr := io.Copy(w, io.TeeReader(resp.Body, pr))
	werr := w.Close()
	pr.Finish(cerr == nil && werr == nil && (total < 0 || have+n >= total))
	progressed = n > 0 || have > 0
	if cerr != nil {
		return false, n > 0, fmt.Errorf("download %s: transfer cut short after %d bytes: %w", url, have+n, cerr)
	}
	if werr != nil {
		return false, n > 0, fmt.Errorf("download %s: %w", url, werr)
	}
	if total >= 0 && have+n < total {
		return false, n > 0, fmt.Errorf("download %s: transfer cut short after %d of %d bytes", url, have+n, total)
	}
	return true, progressed, nil
}

// rangeStart reads the first byte of "bytes START-END/SIZE".
func rangeStart(cr string) (int64, bool) {
	var start, end int64
	var size string
	if _, err := fmt.Sscanf(cr, "bytes %d-%d/%s", &start, &end, &size); err != nil {
		return 0, false
	}
	return start, true
}

func fileSum(h *runtime.Host, p string) (string, int64, error) {
	f, err := h.Open(p)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	s := sha256.New()
	n, err := io.Copy(s, f)
	if err != nil {
		return "", 0, fmt.Errorf("%s: %w", p, err)
	}
	return hex.EncodeToString(s.Sum(nil)), n, nil
}

// maxManifest bounds what FetchManifest reads: a real MANIFEST is a few
// hundred bytes.
const maxManifest = 1 << 20

// FetchManifest downloads dirURL/MANIFEST into memory and parses it. A
// nil client is the default one. Errors name the URL.
func FetchManifest(ctx context.Context, client *http.Client, dirURL string) ([]ManifestEntry, error) {
	if _, err := CheckURL("release directory", dirURL); err != nil {
		return nil, err
	}
	if client == nil {
		client = defaultClient
	}
	u := strings.TrimRight(dirURL, "/") + "/MANIFEST"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("manifest %s: %w", u, err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("manifest %s: %w", u, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		hint := ""
		if resp.StatusCode == http.StatusNotFound {
			hint = " (no such release on this mirror?)"
		}
		return nil, fmt.Errorf("manifest %s: server answered %s%s", u, resp.Status, hint)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxManifest+1))
	if err != nil {
		return nil, fmt.Errorf("manifest %s: %w", u, err)
	}
	if len(b) > maxManifest {
		return nil, fmt.Errorf("manifest %s: larger than %d bytes, not a MANIFEST", u, maxManifest)
	}
	es, err := ParseManifest(b)
	if err != nil {
		return nil, fmt.Errorf("manifest %s: %w", u, err)
	}
	return es, nil
}
