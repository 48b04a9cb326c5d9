package jails

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"time"
)

// request is what a client sends the jail init: one JSON line, with the
// command's stdin, stdout and stderr attached as SCM_RIGHTS for "exec".
type request struct {
	Op       string   `json:"op"` // "exec", "persist" or "hostname"
	Argv     []string `json:"argv,omitempty"`
	Env      []string `json:"env,omitempty"`
	Dir      string   `json:"dir,omitempty"` // inside the jail; "/" when empty
	UID      int      `json:"uid"`
	GID      int      `json:"gid"`
	Groups   []int    `json:"groups,omitempty"`
	Persist  bool     `json:"persist,omitempty"`
	Hostname string   `json:"hostname,omitempty"`
}

// response is the init's answer, one JSON line.
type response struct {
	Status int    `json:"status"`           // exit status when the command exited
	Signal int    `json:"signal,omitempty"` // signal that ended it, if any
	Error  string `json:"error,omitempty"`  // the command could not be started
}

// code is the exit status a shell would report.
func (r *response) code() int {
	if r.Signal != 0 {
		return 128 + r.Signal
	}
	return r.Status
}

// errNotRunning says the jail's init did not answer.
var errNotRunning = errors.New("jail init is not running")

// copyGrace bounds how long output is drained after a command exited:
// daemons it started may hold the pipe open for ever.
const copyGrace = 500 * time.Millisecond

// control sends a request without file descriptors and waits for the
// answer.
func control(sock string, req *request) error {
	resp, err := roundTrip(context.Background(), sock, req, nil)
	if err != nil {
		return err
	}
	if resp.Error != "" {
		return errors.New(resp.Error)
	}
	return nil
}

// execIn runs req.Argv in the jail whose init listens on sock, with stdin,
// stdout and stderr as the command's own files: *os.File values are passed
// as they are (a terminal stays a terminal), anything else through a pipe.
// Cancelling ctx closes the connection, which makes the init kill the
// command.
func execIn(ctx context.Context, sock string, req *request, stdin io.Reader, stdout, stderr io.Writer) (*response, error) {
	var (
		send    []*os.File // what the command gets
		mine    []*os.File // our copies of the command's ends, closed once sent
		readers []*os.File // our ends of output pipes, closed when done
		copies  = make(chan struct{}, 3)
		ncopies int
	)
	defer func() {
		for _, f := range readers {
			f.Close()
		}
	}()
	in, ok := stdin.(*os.File)
	switch {
	case ok:
		send = append(send, in)
	case stdin == nil:
		null, err := os.Open(os.DevNull)
		if err != nil {
			return nil, err
		}
		send, mine = append(send, null), append(mine, null)
	default:
		r, w, err := os.Pipe()
		if err != nil {
			return nil, err
		}
		send, mine = append(send, r), append(mine, r)
		go func() {
			_, _ = io.Copy(w, stdin)
			w.Close()
		}()
	}
	for _, out := range []io.Writer{stdout, stderr} {
		if f, ok := out.(*os.File); ok {
			send = append(send, f)
			continue
		}
		if out == nil {
			out = io.Discard
		}
		r, w, err := os.Pipe()
		if err != nil {
			closeAll(mine)
			return nil, err
		}
		send, mine, readers = append(send, w), append(mine, w), append(readers, r)
		ncopies++
		go func(out io.Writer, r *os.File) {
			_, _ = io.Copy(out, r)
			copies <- struct{}{}
		}(out, r)
	}
	resp, err := roundTrip(ctx, sock, req, send)
	closeAll(mine)
	if err != nil {
		return nil, err
	}
	timeout := time.After(copyGrace)
	for i := 0; i < ncopies; i++ {
		select {
		case <-copies:
		case <-timeout:
			i = ncopies
		}
	}
	return resp, nil
}

func closeAll(fs []*os.File) {
	for _, f := range fs {
		f.Close()
	}
}

func roundTrip(ctx context.Context, sock string, req *request, files []*os.File) (*response, error) {
	conn, err := net.DialUnix("unix", nil, &net.UnixAddr{Name: sock, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errNotRunning, err)
	}
	defer conn.Close()
	b, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	var oob []byte
	if len(files) > 0 {
		fds := make([]int, len(files))
		for i, f := range files {
			fds[i] = int(f.Fd())
		}
		oob = syscall.UnixRights(fds...)
	}
	if _, _, err := conn.WriteMsgUnix(append(b, '\n'), oob, nil); err != nil {
		return nil, fmt.Errorf("%w: %v", errNotRunning, err)
	}
	type result struct {
		resp *response
		err  error
	}
	done := make(chan result, 1)
	go func() {
		line, err := bufio.NewReader(conn).ReadBytes('\n')
		if err != nil {
			done <- result{nil, fmt.Errorf("%w: %v", errNotRunning, err)}
			return
		}
		var r response
		if err := json.Unmarshal(line, &r); err != nil {
			done <- result{nil, fmt.Errorf("jail init answer: %w", err)}
			return
		}
		done <- result{&r, nil}
	}()
	select {
	case r := <-done:
		return r.resp, r.err
	case <-ctx.Done():
		conn.Close()
		<-done
		return nil, ctx.Err()
	}
}

// readRequest reads one request and the files sent with it.
func readRequest(conn *net.UnixConn) (*request, []*os.File, error) {
	buf := make([]byte, 64<<10)
	oob := make([]byte, syscall.CmsgSpace(3*4))
	n, oobn, _, _, err := conn.ReadMsgUnix(buf, oob)
	if err != nil {
		return nil, nil, err
	}
	var files []*os.File
	if oobn > 0 {
		msgs, err := syscall.ParseSocketControlMessage(oob[:oobn])
		if err != nil {
			return nil, nil, err
		}
		for _, m := range msgs {
			fds, err := syscall.ParseUnixRights(&m)
			if err != nil {
				continue
			}
			for _, fd := range fds {
				files = append(files, os.NewFile(uintptr(fd), "client"))
			}
		}
	}
	data := append([]byte(nil), buf[:n]...)
	// A stream socket may split the line; the files came with its start.
	for len(data) == 0 || data[len(data)-1] != '\n' {
		m, err := conn.Read(buf[:cap(buf)])
		if err != nil {
			closeAll(files)
			return nil, nil, err
		}
		data = append(data, buf[:m]...)
	}
	var req request
	if err := json.Unmarshal(data, &req); err != nil {
		closeAll(files)
		return nil, nil, err
	}
	return &req, files, nil
}

func writeResponse(conn io.Writer, r *response) {
	b, _ := json.Marshal(r)
	_, _ = conn.Write(append(b, '\n'))
}
