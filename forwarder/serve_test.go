//go:build linux

package forwarder

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
	"golang.org/x/sys/unix"
)

// TestServeNoLeaks serves connections with random aborts in process, stops, and checks that
// no goroutine and no fd is left behind. (1,000 connections here under the race detector; the
// 10,000-connection run is TestStressAbortsNoLeakedFDs on the binary.)
func TestServeNoLeaks(t *testing.T) {
	before := countFDs(t, os.Getpid())
	t.Run("load", func(t *testing.T) {
		target := abortingBackend(t)
		cfg := DefaultConfig()
		cfg.Target = target
		cfg.ConnectionsMax = 10000
		addr, fw, cancel, done := serveInProcess(t, cfg)
		if abortingClients(t, addr, 1000) == 0 {
			t.Fatal("no connection got its echo")
		}
		st := fw.Stats()
		if st.Accepted == 0 || st.BytesSent == 0 || st.BytesReceived == 0 {
			t.Errorf("counters not kept: %+v", st)
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("Serve: %v", err)
		}
		if st := fw.Stats(); st.Active != 0 {
			t.Errorf("%d connections active after Serve returned", st.Active)
		}
	})
	goleak.VerifyNone(t)
	if after := countFDs(t, os.Getpid()); after > before {
		ents, _ := os.ReadDir("/proc/self/fd")
		kinds := map[string]int{}
		for _, e := range ents {
			l, _ := os.Readlink("/proc/self/fd/" + e.Name())
			kinds[strings.SplitN(l, ":", 2)[0]]++
		}
		t.Errorf("%d fds open after Serve, %d before: %v", after, before, kinds)
	}
}

// TestServeTargets forwards to UNIX (unix↔tcp and unix↔unix), abstract and IPv6 targets in
// process, each way byte-exact with a half-close at the end.
func TestServeTargets(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	payload := randomBytes(t, 4<<20)
	for _, be := range []struct{ network, addr string }{
		{"unix", filepath.Join(dir, "be.sock")},
		{"unix", "@sockvisor-serve-" + filepath.Base(dir)},
		{"tcp6", "[::1]:0"},
	} {
		b := startBackend(t, be.network, be.addr, false)
		cfg := DefaultConfig()
		cfg.Target = b.target
		// A UNIX listener in front as well: unix→unix must work.
		front := filepath.Join(dir, "front-"+fmt.Sprint(len(be.addr))+".sock")
		files, err := Listen(Config{Listen: []string{front}})
		if err != nil {
			t.Fatal(err)
		}
		fw, err := New(cfg, testLogger(t))
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- fw.Serve(ctx, files) }()
		c, err := net.Dial("unix", front)
		if err != nil {
			t.Fatal(err)
		}
		go func() { c.Write(payload); c.(*net.UnixConn).CloseWrite() }()
		c.SetDeadline(time.Now().Add(20 * time.Second))
		got, err := io.ReadAll(c)
		c.Close()
		if err != nil || string(got) != string(payload) {
			t.Errorf("%s %s: got %d bytes (%v), want the %d sent", be.network, b.target, len(got), err, len(payload))
		}
		cancel()
		<-done
		files[0].Close()
	}
}

// TestServeEveryAddress: the first target address refuses, the second answers.
func TestServeEveryAddress(t *testing.T) {
	t.Parallel()
	b := startBackend(t, "tcp", "127.0.0.1:0", false)
	cfg := DefaultConfig()
	cfg.Target = b.target
	cfg.ConnectRetry = 0
	f, addr := loopbackListener(t)
	defer f.Close()
	fw, err := New(cfg, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	dead := freeAddr(t)
	_, port, _ := net.SplitHostPort(dead)
	var p int
	fmt.Sscan(port, &p)
	good := fw.target.fixed[0]
	fw.target.fixed = []unix.Sockaddr{&unix.SockaddrInet4{Port: p, Addr: [4]byte{127, 0, 0, 1}}, good}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- fw.Serve(ctx, []*os.File{f}) }()
	defer func() { cancel(); <-done }()
	if err := echoThrough(t, addr, []byte("second address")); err != nil {
		t.Fatal(err)
	}
}

// TestServeExitIdle: Serve returns nil after ExitIdleTime with no connection at all, and
// again after the last connection closed.
func TestServeExitIdle(t *testing.T) {
	t.Parallel()
	b := startBackend(t, "tcp", "127.0.0.1:0", false)
	cfg := DefaultConfig()
	cfg.Target = b.target
	cfg.ExitIdleTime = 300 * time.Millisecond
	start := time.Now()
	_, _, _, done := serveInProcess(t, cfg)
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d < 250*time.Millisecond {
			t.Errorf("returned after %v, before the idle time", d)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("Serve still running without a connection")
	}

	addr, _, _, done := serveInProcess(t, cfg)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(600 * time.Millisecond)
	select {
	case <-done:
		t.Fatal("Serve returned with a connection open")
	default:
	}
	c.Close()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("Serve still running after the last connection closed")
	}
}

// TestServeIdleTimeout closes a connection silent for IdleTimeout.
func TestServeIdleTimeout(t *testing.T) {
	t.Parallel()
	b := startBackend(t, "tcp", "127.0.0.1:0", false)
	cfg := DefaultConfig()
	cfg.Target = b.target
	// Long enough that an echo plus the pause between echoes stays well inside it under -race on
	// a loaded machine (300 ms with 150 ms pauses was reset mid-loop at load 20).
	cfg.IdleTimeout = 1200 * time.Millisecond
	addr, _, _, _ := serveInProcess(t, cfg)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	start := time.Now()
	for range 3 { // traffic keeps it open
		if err := echoOn(c, "x"); err != nil {
			t.Fatal(err)
		}
		time.Sleep(500 * time.Millisecond)
	}
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Read(make([]byte, 1)); err == nil {
		t.Fatal("read data on an idle connection")
	}
	if d := time.Since(start); d < 2000*time.Millisecond { // ≥ 2.2 s: 2 pauses, then 1.2 s idle
		t.Errorf("closed after %v, despite traffic", d)
	}
}

func echoOn(c net.Conn, s string) error {
	c.SetDeadline(time.Now().Add(3 * time.Second))
	if _, err := c.Write([]byte(s)); err != nil {
		return err
	}
	buf := make([]byte, len(s))
	_, err := io.ReadFull(c, buf)
	return err
}

// TestServeProxyProtocol: the backend reads a v1 header naming the client before the data.
func TestServeProxyProtocol(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	lines := make(chan string, 2)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		r := bufio.NewReader(c)
		for range 2 {
			l, _ := r.ReadString('\n')
			lines <- l
		}
	}()
	cfg := DefaultConfig()
	cfg.Target = ln.Addr().String()
	cfg.ProxyProtocol = 1
	addr, _, _, _ := serveInProcess(t, cfg)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte("data\n"))
	_, cport, _ := net.SplitHostPort(c.LocalAddr().String())
	_, pport, _ := net.SplitHostPort(addr)
	want := fmt.Sprintf("PROXY TCP4 127.0.0.1 127.0.0.1 %s %s\r\n", cport, pport)
	if got := <-lines; got != want {
		t.Errorf("header %q, want %q", got, want)
	}
	if got := <-lines; got != "data\n" {
		t.Errorf("data %q after the header", got)
	}
}

// TestServeStopFlushes: cancelling Serve closes open connections cleanly (EOF, not reset).
func TestServeStopFlushes(t *testing.T) {
	t.Parallel()
	b := startBackend(t, "tcp", "127.0.0.1:0", false)
	cfg := DefaultConfig()
	cfg.Target = b.target
	addr, _, cancel, done := serveInProcess(t, cfg)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := echoOn(c, "before stop"); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(3 * time.Second))
	if _, err := c.Read(make([]byte, 1)); err != io.EOF {
		t.Errorf("after stop the client read %v, want EOF", err)
	}
	if _, err := net.DialTimeout("tcp", addr, time.Second); err != nil && !strings.Contains(err.Error(), "refused") {
		t.Logf("dial after stop: %v", err)
	}
}

// TestServeVsockTarget forwards to a vsock target on the local CID (skips without vsock
// loopback in the kernel).
func TestServeVsockTarget(t *testing.T) {
	t.Parallel()
	lfd, err := unix.Socket(unix.AF_VSOCK, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Skipf("no vsock: %v", err)
	}
	defer unix.Close(lfd)
	if err := unix.Bind(lfd, &unix.SockaddrVM{CID: unix.VMADDR_CID_LOCAL, Port: unix.VMADDR_PORT_ANY}); err != nil {
		t.Skipf("no vsock loopback: %v", err)
	}
	unix.Listen(lfd, 16)
	sa, err := unix.Getsockname(lfd)
	if err != nil {
		t.Fatal(err)
	}
	port := sa.(*unix.SockaddrVM).Port
	go func() {
		fd, _, err := unix.Accept(lfd)
		if err != nil {
			return
		}
		f := os.NewFile(uintptr(fd), "vsock")
		defer f.Close()
		buf := make([]byte, 64)
		n, _ := f.Read(buf)
		f.Write(buf[:n])
	}()
	cfg := DefaultConfig()
	cfg.Target = fmt.Sprintf("vsock:%d:%d", unix.VMADDR_CID_LOCAL, port)
	addr, _, _, _ := serveInProcess(t, cfg)
	if err := echoThrough(t, addr, []byte("over vsock")); err != nil {
		t.Fatal(err)
	}
}
