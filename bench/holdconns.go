//go:build linux

package main

import (
	"context"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// holder is a backend that accepts connections and keeps them open, idle, until closed.
type holder struct {
	ln       net.Listener
	accepted atomic.Int64
	mu       sync.Mutex
	conns    []net.Conn
	wg       sync.WaitGroup
}

// newHolder listens on a free loopback port and accepts until close.
func newHolder() (*holder, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("holder: %w", err)
	}
	h := &holder{ln: ln}
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				if ne, ok := err.(net.Error); ok && ne.Timeout() {
					continue
				}
				return
			}
			h.mu.Lock()
			h.conns = append(h.conns, c)
			h.mu.Unlock()
			h.accepted.Add(1)
		}
	}()
	return h, nil
}

// addr is where the holder listens.
func (h *holder) addr() string { return h.ln.Addr().String() }

// waitAccepted waits until n connections have been accepted in total.
func (h *holder) waitAccepted(ctx context.Context, n int64, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for h.accepted.Load() < n {
		if time.Now().After(deadline) {
			return fmt.Errorf("backend accepted %d of %d connections in %s", h.accepted.Load(), n, limit)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		time.Sleep(10 * time.Millisecond)
	}
	return nil
}

// reset closes every held connection with a reset (no TIME_WAIT left behind).
func (h *holder) reset() {
	h.mu.Lock()
	conns := h.conns
	h.conns = nil
	h.mu.Unlock()
	closeAll(conns)
}

// close stops accepting, closes every connection and waits for the accept loop.
func (h *holder) close() {
	h.ln.Close()
	h.wg.Wait()
	h.reset()
}

// closeAll closes conns with SO_LINGER 0.
func closeAll(conns []net.Conn) {
	for _, c := range conns {
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetLinger(0)
		}
		c.Close()
	}
}

// dialMany opens n connections to addr, 32 at a time, and returns them; on error it closes
// what it opened.
func dialMany(ctx context.Context, addr string, n int) ([]net.Conn, error) {
	conns := make([]net.Conn, n)
	var (
		next    atomic.Int64
		firstMu sync.Mutex
		first   error
		wg      sync.WaitGroup
	)
	d := net.Dialer{Timeout: 10 * time.Second}
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n || ctx.Err() != nil {
					return
				}
				c, err := d.DialContext(ctx, "tcp", addr)
				if err != nil {
					firstMu.Lock()
					if first == nil {
						first = fmt.Errorf("connection %d: %w", i, err)
					}
					firstMu.Unlock()
					next.Store(int64(n))
					return
				}
				conns[i] = c
			}
		}()
	}
	wg.Wait()
	if first == nil && ctx.Err() != nil {
		first = ctx.Err()
	}
	if first != nil {
		var opened []net.Conn
		for _, c := range conns {
			if c != nil {
				opened = append(opened, c)
			}
		}
		closeAll(opened)
		return nil, first
	}
	return conns, nil
}

// idleCost is what one front costs per idle connection.
type idleCost struct {
	rssKiB  float64 // resident memory of the proxy, per connection
	slabKiB float64 // kernel slab (whole machine), per connection
	fds     float64 // file descriptors of the proxy, per connection
}

// measureIdle opens n connections through the front at addr (p is the proxy, nil for direct)
// to the holder h, waits until the backend holds them all and returns the cost per connection.
func measureIdle(ctx context.Context, p *proc, addr string, h *holder, n int) (idleCost, error) {
	// Warm-up: the first connection starts the proxy under systemd-socket-activate.
	base := h.accepted.Load()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return idleCost{}, fmt.Errorf("warm-up: %w", err)
	}
	if err := h.waitAccepted(ctx, base+1, 5*time.Second); err != nil {
		closeAll([]net.Conn{c})
		if p != nil {
			return idleCost{}, fmt.Errorf("warm-up: %w; %s", err, p.describe())
		}
		return idleCost{}, fmt.Errorf("warm-up: %w", err)
	}
	closeAll([]net.Conn{c})
	h.reset()
	time.Sleep(300 * time.Millisecond)
	if p != nil && p.exited() {
		return idleCost{}, fmt.Errorf("%s", p.describe())
	}

	var rss0 int64
	var fds0 int
	if p != nil {
		rss0, fds0 = p.rssKiB(), p.fds()
	}
	slab0 := meminfoKiB("Slab:")
	base = h.accepted.Load()
	conns, err := dialMany(ctx, addr, n)
	if err != nil {
		return idleCost{}, err
	}
	defer closeAll(conns)
	defer h.reset()
	if err := h.waitAccepted(ctx, base+int64(n), 60*time.Second); err != nil {
		return idleCost{}, err
	}
	time.Sleep(time.Second)
	if p != nil && p.exited() {
		return idleCost{}, fmt.Errorf("%s", p.describe())
	}
	var cost idleCost
	cost.slabKiB = float64(meminfoKiB("Slab:")-slab0) / float64(n)
	if p != nil {
		cost.rssKiB = float64(p.rssKiB()-rss0) / float64(n)
		cost.fds = float64(p.fds()-fds0) / float64(n)
	}
	return cost, nil
}
