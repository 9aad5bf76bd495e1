//go:build linux

package forwarder

import (
	"context"
	"net"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// resolveTTL is how long the addresses of a host name are reused before it is looked up again.
const resolveTTL = time.Second

// resolveTimeout bounds one lookup.
const resolveTimeout = 10 * time.Second

// resolver looks the target's host name up off the event loops, one lookup at a time, and
// hands the addresses (every one, in the resolver's order) to the connections waiting.
type resolver struct {
	host string
	port int
	ctx  context.Context
	wg   *sync.WaitGroup

	mu      sync.Mutex
	addrs   []unix.Sockaddr
	expires time.Time
	running bool
	waiting []waiter
}

type waiter struct {
	w *worker
	c *conn
}

// lookup gives c the addresses at once when they are fresh, else when a lookup finishes
// (through w.resolved on w's goroutine).
func (r *resolver) lookup(w *worker, c *conn) {
	r.mu.Lock()
	if r.addrs != nil && time.Now().Before(r.expires) {
		addrs := r.addrs
		r.mu.Unlock()
		w.resolved(c, addrs, nil)
		return
	}
	r.waiting = append(r.waiting, waiter{w, c})
	if !r.running {
		r.running = true
		r.wg.Go(r.run)
	}
	r.mu.Unlock()
}

func (r *resolver) run() {
	ctx, cancel := context.WithTimeout(r.ctx, resolveTimeout)
	ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", r.host)
	cancel()
	var addrs []unix.Sockaddr
	for _, ip := range ips {
		if ip.Is4In6() {
			ip = ip.Unmap()
		}
		addrs = append(addrs, ipSockaddr(ip, r.port))
	}
	if err == nil && len(addrs) == 0 {
		err = &net.DNSError{Err: "no address", Name: r.host, IsNotFound: true}
	}
	r.mu.Lock()
	if err == nil {
		r.addrs, r.expires = addrs, time.Now().Add(resolveTTL)
	}
	waiting := r.waiting
	r.waiting = nil
	r.running = false
	r.mu.Unlock()
	byWorker := map[*worker][]*conn{}
	for _, wt := range waiting {
		byWorker[wt.w] = append(byWorker[wt.w], wt.c)
	}
	for w, conns := range byWorker {
		w.post(func() {
			for _, c := range conns {
				w.resolved(c, addrs, err)
			}
		})
	}
}
