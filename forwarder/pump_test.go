//go:build linux

package forwarder

import (
	"log/slog"
	"testing"
	"time"

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

// TestPumpYieldsAfterBudget drives a connection that can always move more: its client is
// /dev/zero (always readable) and its target /dev/null (always writable). The pump must give
// the loop back once it has run for pumpBudget, having moved bytes all along, instead of
// holding the loop for ever.
func TestPumpYieldsAfterBudget(t *testing.T) {
	zero, err := unix.Open("/dev/zero", unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Skipf("no /dev/zero: %v", err)
	}
	defer unix.Close(zero)
	null, err := unix.Open("/dev/null", unix.O_RDWR|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Skipf("no /dev/null: %v", err)
	}
	defer unix.Close(null)
	w := &worker{f: &Forwarder{cfg: DefaultConfig(), log: slog.New(slog.DiscardHandler), epoch: time.Now()}}
	w.pipes.size = DefaultPipeSize
	defer w.pipes.closeAll()
	c := &conn{fd: [2]int{zero, null}, tidx: -1, ready: [2]uint8{rdReadable | rdWritable, rdReadable | rdWritable}}

	start := time.Now()
	res, why := w.pump(c)
	took := time.Since(start)
	if res != pumpYield {
		t.Fatalf("pump returned %v (%s), want a yield", res, why)
	}
	if took < time.Duration(pumpBudget) {
		t.Errorf("pump yielded after %v, before its budget of %v", took, time.Duration(pumpBudget))
	}
	if took > time.Second {
		t.Errorf("pump held the loop for %v", took)
	}
	if got := c.flows[sideClient].bytes; got < uint64(pumpRounds)*uint64(DefaultPipeSize) {
		t.Errorf("moved %d bytes in %v, want at least %d rounds of a full pipe", got, took, pumpRounds)
	}
	if !c.flows[sideBackend].eof {
		t.Error("the target's end of stream (/dev/null reads 0) was not seen")
	}
}
