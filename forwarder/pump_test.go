//go:build linux

package forwarder

import (
	"log/slog"
	"testing"

	"golang.org/x/sys/unix"
)

// TestPumpCopyFallback drives one connection whose client direction copies through a
// user-space buffer, as after splice refused its socket (EINVAL; recent kernels splice from
// nearly every socket, so the switch is forced here): bytes arrive, the other direction still
// splices, and the client's EOF becomes a half-close towards the target.
func TestPumpCopyFallback(t *testing.T) {
	cl, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	be, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, fd := range []int{cl[0], cl[1], be[0], be[1]} {
		defer unix.Close(fd)
	}
	w := &worker{f: &Forwarder{cfg: DefaultConfig(), log: slog.New(slog.DiscardHandler)}}
	w.pipes.size = DefaultPipeSize
	defer w.pipes.closeAll()
	c := &conn{fd: [2]int{cl[0], be[0]}, tidx: -1, ready: [2]uint8{rdReadable | rdWritable, rdReadable | rdWritable}}
	c.flows[0].copy = true

	if _, err := unix.Write(cl[1], []byte("hello")); err != nil {
		t.Fatal(err)
	}
	if res, why := w.pump(c); res != pumpMore {
		t.Fatalf("pump ended: %v %s", res, why)
	}
	if len(w.bufs) != 1 {
		t.Errorf("%d user-space buffers back in the pool, want the one used", len(w.bufs))
	}
	buf := make([]byte, 16)
	n, err := unix.Read(be[1], buf)
	if err != nil || string(buf[:n]) != "hello" {
		t.Fatalf("target read %q, %v", buf[:n], err)
	}
	// The reverse direction still splices.
	unix.Write(be[1], []byte("world"))
	c.ready[sideBackend] |= rdReadable
	w.pump(c)
	if n, err := unix.Read(cl[1], buf); err != nil || string(buf[:n]) != "world" {
		t.Fatalf("client read %q, %v", buf[:n], err)
	}
	if c.flows[1].copy {
		t.Error("the target side stopped splicing")
	}
	// The client's EOF reaches the target as a half-close.
	unix.Shutdown(cl[1], unix.SHUT_WR)
	c.ready[sideClient] |= rdReadable
	w.pump(c)
	if n, err := unix.Read(be[1], buf); n != 0 || err != nil {
		t.Fatalf("target read %d bytes, %v; want EOF", n, err)
	}
	if c.flows[0].buf != nil || c.flows[1].buf != nil {
		t.Error("a buffer is held with nothing in flight")
	}
}
