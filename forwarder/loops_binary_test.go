//go:build linux

package forwarder

import (
	"io"
	"net"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/sockvisor/sockvisor/internal/testbin"
)

// TestTwoLoopsKeepUp runs the real binary with two event loops and keeps 32 connections
// busy with small request/response exchanges for two seconds. No loop may sleep through its
// events while the other is busy: loops parked on Go's poller did, and a few round trips took
// 250–400 ms here (the slowest is about 25 ms when the loops wait in epoll_wait themselves).
func TestTwoLoopsKeepUp(t *testing.T) {
	if runtime.NumCPU() < 2 {
		t.Skip("one CPU: the proxy runs one event loop")
	}
	be := startBackend(t, "tcp", "127.0.0.1:0", false)
	a := passSockets(t, []string{testbin.Path(t), "proxy", "--workers=2", be.target})

	const conns = 32
	var mu sync.Mutex
	var rtts []time.Duration
	var wg sync.WaitGroup
	errs := make(chan error, conns)
	deadline := time.Now().Add(2 * time.Second)
	for range conns {
		wg.Go(func() {
			c, err := net.Dial("tcp", a.addr)
			if err != nil {
				errs <- err
				return
			}
			defer c.Close()
			msg := make([]byte, 64)
			buf := make([]byte, 64)
			var mine []time.Duration
			for time.Now().Before(deadline) {
				start := time.Now()
				if _, err := c.Write(msg); err != nil {
					errs <- err
					return
				}
				if _, err := io.ReadFull(c, buf); err != nil {
					errs <- err
					return
				}
				mine = append(mine, time.Since(start))
			}
			mu.Lock()
			rtts = append(rtts, mine...)
			mu.Unlock()
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if len(rtts) < conns*10 {
		t.Fatalf("only %d round trips in 2 s", len(rtts))
	}
	slices.Sort(rtts)
	p99 := rtts[len(rtts)*99/100]
	t.Logf("%d round trips, median %v, p99 %v, max %v", len(rtts), rtts[len(rtts)/2], p99, rtts[len(rtts)-1])
	if slowest := rtts[len(rtts)-1]; slowest > 200*time.Millisecond {
		t.Errorf("a round trip took %v through two loops: one slept through its events", slowest)
	}
}
