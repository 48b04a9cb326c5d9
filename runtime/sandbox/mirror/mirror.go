// Package mirror is the sandbox's local FreeBSD mirror: an HTTP file server
// of the tree release.Build writes (distribution sets, freebsd-update
// patches, the pkg repository), so that fetch, freebsd-update and pkg
// inside the sandbox download from 127.0.0.1 instead of the Internet.
//
// Serve runs it in process (tests); Start runs it as a detached helper
// process of the iocage executable that outlives the command which started
// it, tracked by a pid file in the sandbox directory.
package mirror

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"strings"
	"time"
)

// DefaultAddr is where `iocage-sandbox setup` starts the mirror.
const DefaultAddr = "127.0.0.1:8180"

// Handler serves the tree in dir: GET and HEAD, byte ranges (resumed
// downloads), directory listings, 404 for what is missing. Paths under
// /pub/FreeBSD/ are served as if that prefix were absent, so URLs written
// for ftp.freebsd.org work with only the host changed.
func Handler(dir string) http.Handler {
	files := http.FileServer(http.Dir(dir))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		if rest, ok := strings.CutPrefix(r.URL.Path, "/pub/FreeBSD/"); ok {
			r2 := r.Clone(r.Context())
			r2.URL.Path = "/" + rest
			r2.URL.RawPath = ""
			r = r2
		}
		files.ServeHTTP(w, r)
	})
}

// Serve serves the tree in dir on ln until ctx is done, then shuts down
// (waiting briefly for downloads in progress) and returns nil.
func Serve(ctx context.Context, ln net.Listener, dir string) error {
	return serve(ctx, ln, dir, nil)
}

// serve is Serve with an access log (the daemon's log file) when logw is set.
func serve(ctx context.Context, ln net.Listener, dir string, logw io.Writer) error {
	st, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("mirror: tree: %w", err)
	}
	if !st.IsDir() {
		return fmt.Errorf("mirror: tree %s: not a directory", dir)
	}
	h := Handler(dir)
	errLog := log.New(io.Discard, "", 0)
	if logw != nil {
		h = accessLog(h, logw)
		errLog = log.New(logw, "mirror: ", log.LstdFlags)
	}
	srv := &http.Server{Handler: h, ErrorLog: errLog, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return fmt.Errorf("mirror: serve %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("mirror: shutdown: %w", err)
	}
	if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("mirror: serve %s: %w", ln.Addr(), err)
	}
	return nil
}

type statusWriter struct {
	http.ResponseWriter
	code int
}

func (s *statusWriter) WriteHeader(code int) {
	s.code = code
	s.ResponseWriter.WriteHeader(code)
}

func accessLog(h http.Handler, w io.Writer) http.Handler {
	l := log.New(w, "", log.LstdFlags)
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: rw, code: http.StatusOK}
		h.ServeHTTP(sw, r)
		l.Printf("%s %s %q %d", r.RemoteAddr, r.Method, r.URL.Path, sw.code)
	})
}
