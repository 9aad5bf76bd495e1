//go:build linux

package forwarder

import (
	"errors"
	"time"

	"golang.org/x/sys/unix"
)

// Back-off between rounds of connection attempts to a refused or absent target.
const (
	retryBackoffMin = 10 * time.Millisecond
	retryBackoffMax = 500 * time.Millisecond
)

// resolve gets the target's addresses for c, then dials.
func (w *worker) resolve(c *conn) {
	t := w.f.target
	if len(t.fixed) > 0 {
		c.addrs = t.fixed
		w.dial(c)
		return
	}
	c.state = stResolving
	w.f.resolver.lookup(w, c)
}

// resolved continues c once the resolver answered.
func (w *worker) resolved(c *conn, addrs []unix.Sockaddr, err error) {
	if c.state != stResolving {
		return
	}
	if err != nil {
		w.f.log.Warn("Failed to resolve host", "target", w.f.target.raw, "err", err)
		w.finish(c, true, "resolve: "+err.Error())
		return
	}
	c.addrs = addrs
	c.addr = 0
	w.dial(c)
}

// dial tries the target addresses from c.addr on, each with a non-blocking connect; a
// connect in flight is finished by connected.
func (w *worker) dial(c *conn) {
	f := w.f
	for ; c.addr < len(c.addrs); c.addr++ {
		sa := c.addrs[c.addr]
		fd, err := unix.Socket(sockaddrFamily(sa), unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			c.lastErr = err
			continue
		}
		if fam := sockaddrFamily(sa); fam == unix.AF_INET || fam == unix.AF_INET6 {
			f.setSockopts(fd)
		}
		err = unix.Connect(fd, w.own(sa))
		if err != nil && err != unix.EINPROGRESS {
			unix.Close(fd)
			c.lastErr = err
			continue
		}
		c.fd[sideBackend] = fd
		c.ready[sideBackend] = 0
		if rerr := w.register(fd, unix.EPOLLIN|unix.EPOLLOUT|unix.EPOLLRDHUP|unix.EPOLLET, c.slot, sideBackend); rerr != nil {
			c.lastErr = rerr
			unix.Close(fd)
			c.fd[sideBackend] = -1
			continue
		}
		if err == nil {
			w.established(c)
			return
		}
		c.state = stConnecting
		if t := f.cfg.ConnectTimeout; t > 0 {
			w.timers.set(c, w.now+int64(t))
		}
		return
	}
	w.dialFailed(c)
}

// connected handles readiness of a backend socket whose connect was in flight.
func (w *worker) connected(c *conn, ev uint32) {
	fd := c.fd[sideBackend]
	var err error
	if ev&(unix.EPOLLERR|unix.EPOLLHUP) != 0 {
		soerr, gerr := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ERROR)
		switch {
		case gerr != nil:
			err = gerr
		case soerr != 0:
			err = unix.Errno(soerr)
		default:
			err = unix.ECONNRESET
		}
	}
	if err != nil {
		unix.Close(fd)
		c.fd[sideBackend] = -1
		c.ready[sideBackend] = 0
		c.lastErr = err
		w.timers.clear(c)
		c.addr++
		w.dial(c)
		return
	}
	if c.ready[sideBackend]&rdWritable == 0 {
		return
	}
	w.timers.clear(c)
	w.established(c)
}

// dialFailed retries the whole address list after a back-off while the failure says the
// target is not there yet and the retry time lasts; otherwise it gives up on c.
func (w *worker) dialFailed(c *conn) {
	f := w.f
	if retryable(c.lastErr) && !w.stopping {
		wait := min(retryBackoffMin<<c.retry, retryBackoffMax)
		if w.now+int64(wait) < c.start+int64(f.cfg.ConnectRetry) {
			if c.retry < 16 {
				c.retry++
			}
			c.state = stRetrying
			w.timers.set(c, w.now+int64(wait))
			return
		}
	}
	err := c.lastErr
	if err == nil {
		err = errors.New("no address")
	}
	f.log.Warn("Failed to connect to remote host", "target", f.target.raw, "err", err)
	f.dialFailures.Add(1)
	w.finish(c, true, "connect: "+err.Error())
}

// retryable reports whether a failed connect means the target is not up yet, or this
// process is short of file descriptors or memory for a moment.
func retryable(err error) bool {
	switch err {
	case unix.ECONNREFUSED, unix.ENOENT, unix.EAGAIN, unix.ECONNRESET,
		unix.EMFILE, unix.ENFILE, unix.ENOBUFS, unix.ENOMEM:
		return true
	}
	return false
}

// established starts forwarding on c.
func (w *worker) established(c *conn) {
	f := w.f
	c.state = stOpen
	c.last = w.now
	if f.cfg.ProxyProtocol != 0 {
		hdr, err := f.header(c.fd[sideClient])
		if err != nil {
			f.log.Warn("cannot build the PROXY protocol header", "err", err)
			w.finish(c, true, "proxy header: "+err.Error())
			return
		}
		c.flows[0].pre = hdr
	}
	if f.cfg.IdleTimeout > 0 {
		w.timers.set(c, w.now+int64(f.cfg.IdleTimeout))
	}
	if w.stopping {
		c.stop = true
	}
	w.run1(c)
}

// setSockopts applies the configured TCP options to a client or backend TCP socket.
func (f *Forwarder) setSockopts(fd int) {
	if f.cfg.NoDelay {
		unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
	}
	if f.cfg.KeepAlive {
		unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_KEEPALIVE, 1)
		if s := int(f.cfg.KeepAliveIdle / time.Second); s > 0 {
			unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_KEEPIDLE, s)
			unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_KEEPINTVL, max(1, s/3))
		}
	}
}

// own copies sa into the worker's scratch space: unix.Connect writes into the Sockaddr it is
// given, and the target's addresses are shared by every worker.
func (w *worker) own(sa unix.Sockaddr) unix.Sockaddr {
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		w.sa4 = unix.SockaddrInet4{Port: a.Port, Addr: a.Addr}
		return &w.sa4
	case *unix.SockaddrInet6:
		w.sa6 = unix.SockaddrInet6{Port: a.Port, ZoneId: a.ZoneId, Addr: a.Addr}
		return &w.sa6
	case *unix.SockaddrUnix:
		w.saUnix = unix.SockaddrUnix{Name: a.Name}
		return &w.saUnix
	case *unix.SockaddrVM:
		w.saVM = unix.SockaddrVM{CID: a.CID, Port: a.Port, Flags: a.Flags}
		return &w.saVM
	}
	return sa
}
