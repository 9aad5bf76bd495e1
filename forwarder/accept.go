//go:build linux

package forwarder

import (
	"log/slog"
	"time"

	"golang.org/x/sys/unix"
)

// acceptBatch bounds the accepts of one wake-up so connections already open are not starved
// (the listener is level-triggered: what is left wakes the loop again).
const acceptBatch = 128

// Back-off of accept after the process or system ran out of file descriptors or memory.
const (
	acceptBackoffMin = 5 * time.Millisecond
	acceptBackoffMax = 250 * time.Millisecond
)

// accept takes the pending connections of listening socket lfd until it has none or the
// batch is full.
func (w *worker) accept(lfd int, tcp bool) {
	if w.stopping || w.paused {
		return
	}
	for range acceptBatch {
		r1, _, errno := unix.RawSyscall6(unix.SYS_ACCEPT4, uintptr(lfd), 0, 0,
			unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0, 0)
		switch errno {
		case 0:
		case unix.EAGAIN:
			return
		case unix.EINTR, unix.ECONNABORTED, unix.ECONNRESET, unix.EPROTO, unix.EPERM,
			unix.ENETDOWN, unix.ENOPROTOOPT, unix.EHOSTDOWN, unix.ENONET, unix.EHOSTUNREACH,
			unix.EOPNOTSUPP, unix.ENETUNREACH:
			continue // the client went away, or a transient failure: take the next one
		default:
			// EMFILE, ENFILE, ENOBUFS, ENOMEM and anything unexpected: the connection stays
			// queued; stop watching the listeners for a while instead of spinning on them.
			w.pauseAccept(errno)
			return
		}
		w.backoff = 0
		fd := int(r1)
		f := w.f
		if f.active.Add(1) > int64(f.cfg.ConnectionsMax) {
			f.active.Add(-1)
			f.refused.Add(1)
			unix.Close(fd)
			f.log.Warn("Hit connection limit, refusing connection.", "limit", f.cfg.ConnectionsMax)
			continue
		}
		f.accepted.Add(1)
		w.open(fd, tcp)
	}
}

// pauseAccept stops accepting for a back-off that doubles while the failure lasts.
func (w *worker) pauseAccept(errno unix.Errno) {
	if w.backoff == 0 {
		w.backoff = acceptBackoffMin
		w.f.log.Warn("Failed to accept() socket, backing off", "err", errno.Error())
	} else {
		w.backoff = min(2*w.backoff, acceptBackoffMax)
	}
	w.removeListeners()
	w.paused = true
	w.resume = w.now + int64(w.backoff)
}

// open starts a connection for the accepted client fd.
func (w *worker) open(fd int, tcp bool) {
	c := &conn{fd: [2]int{fd, -1}, tidx: -1, start: w.now, last: w.now}
	if tcp {
		w.f.setSockopts(fd)
	}
	if w.logEnabled(slog.LevelDebug) {
		c.peer, _ = unix.Getpeername(fd)
	}
	if n := len(w.free); n > 0 {
		c.slot = w.free[n-1]
		w.free = w.free[:n-1]
		w.slots[c.slot] = c
	} else {
		c.slot = int32(len(w.slots))
		w.slots = append(w.slots, c)
	}
	w.nconns++
	if err := w.register(fd, unix.EPOLLIN|unix.EPOLLOUT|unix.EPOLLRDHUP|unix.EPOLLET, c.slot, sideClient); err != nil {
		w.f.log.Warn("cannot watch a client socket", "err", err)
		w.finish(c, true, "epoll")
		return
	}
	w.resolve(c)
}

// finish closes both sockets of c and accounts for it; reset makes the peers see a reset
// instead of an orderly close.
func (w *worker) finish(c *conn, reset bool, why string) {
	if c.state == stClosed {
		return
	}
	c.state = stClosed
	w.timers.clear(c)
	for i := range c.flows {
		fl := &c.flows[i]
		if fl.buf != nil {
			fl.buf.release(w, fl.n > 0)
			fl.buf = nil
		}
	}
	for _, fd := range c.fd {
		if fd < 0 {
			continue
		}
		if reset {
			unix.SetsockoptLinger(fd, unix.SOL_SOCKET, unix.SO_LINGER, &unix.Linger{Onoff: 1, Linger: 0})
		}
		unix.Close(fd)
	}
	w.slots[c.slot] = nil
	w.freeLate = append(w.freeLate, c.slot)
	w.nconns--
	f := w.f
	if f.active.Add(-1) == 0 {
		f.becameIdle()
	}
	if w.logEnabled(slog.LevelDebug) {
		target := "-"
		if c.addr < len(c.addrs) {
			target = sockaddrString(c.addrs[c.addr])
		}
		f.log.Debug("connection closed", "client", sockaddrString(c.peer), "target", target,
			"sent", c.flows[0].bytes, "received", c.flows[1].bytes,
			"duration", time.Duration(w.now-c.start), "end", why)
	}
}
