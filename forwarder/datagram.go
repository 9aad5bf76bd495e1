//go:build linux

package forwarder

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// Datagram forwarding: every client address seen on a datagram socket (UDP or unixgram) gets a
// flow, a backend socket of its own connected to the target, so that the backend's replies can
// be told apart and sent back to the right client. Flows end after an idle time. One goroutine
// runs an epoll loop over the listening socket and every backend socket; a second one only
// waits for the context and wakes the loop.

const (
	// datagramIdleDefault is how long a flow lives without traffic either way when the
	// configuration sets no idle timeout: about what conntrack gives an unanswered UDP flow.
	datagramIdleDefault = 30 * time.Second
	// datagramBurst caps the datagrams read from one socket per wake-up, so that one busy
	// flow cannot starve the others.
	datagramBurst = 64
	// datagramHeadroom is room in front of the payload for a PROXY v2 header (52 bytes at most).
	datagramHeadroom = 64
	// datagramMax is the largest datagram forwarded: a UDP datagram is at most 64 KiB, a
	// unixgram one is bounded by the socket buffer (208 KiB by default).
	datagramMax = 256 << 10
)

// datagramOptions is what datagram forwarding takes from the forwarder's configuration.
type datagramOptions struct {
	target        string        // TARGET: HOST:PORT (UDP), /path or @abstract (unixgram)
	maxFlows      int           // clients served at once; datagrams of further clients are dropped
	idle          time.Duration // a flow without traffic for this long is closed; 0 = datagramIdleDefault
	proxyProtocol int           // 2: a PROXY v2 header in front of every datagram to the backend; 0: none
	active        func(int)     // if set, told +1 when a flow opens and -1 when it closes
}

// serveDatagram forwards the datagram socket f (UDP or unixgram) to cfg.Target until ctx is
// done (then it returns nil) or the socket cannot be served: a flow per client, at most
// cfg.ConnectionsMax of them, each closed after cfg.IdleTimeout without traffic (30 s when 0),
// a PROXY v2 header in front of each datagram with cfg.ProxyProtocol 2. f stays open.
func serveDatagram(ctx context.Context, f *os.File, cfg Config, log *slog.Logger) error {
	return serveDatagramOpts(ctx, f, datagramOptions{
		target:        cfg.Target,
		maxFlows:      cfg.ConnectionsMax,
		idle:          cfg.IdleTimeout,
		proxyProtocol: cfg.ProxyProtocol,
		active:        cfg.flows,
	}, log)
}

// serveDatagramOpts forwards the datagram socket f until ctx is done (then it returns nil) or
// the socket cannot be served. f stays open; the loop works on a duplicate of it.
func serveDatagramOpts(ctx context.Context, f *os.File, opts datagramOptions, log *slog.Logger) error {
	if opts.idle <= 0 {
		opts.idle = datagramIdleDefault
	}
	if opts.maxFlows < 1 {
		return fmt.Errorf("datagram flow limit %d is too low", opts.maxFlows)
	}
	switch opts.proxyProtocol {
	case 0, 2:
	case 1:
		return errors.New("PROXY protocol version 1 cannot describe datagrams, use version 2")
	default:
		return fmt.Errorf("PROXY protocol version %d: only 1 and 2 exist", opts.proxyProtocol)
	}
	target, err := parseDatagramTarget(opts.target)
	if err != nil {
		return err
	}
	s := &datagramServer{
		opts: opts, log: log, target: target,
		lfd: -1, epfd: -1, wakefd: -1,
		flows:  make(map[flowKey]*datagramFlow),
		byFD:   make(map[int32]*datagramFlow),
		warned: make(map[string]time.Time),
	}
	defer s.close()
	if err := s.open(f); err != nil {
		return err
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Go(func() {
		select {
		case <-ctx.Done():
			unix.Write(s.wakefd, []byte{1, 0, 0, 0, 0, 0, 0, 0})
		case <-stop:
		}
	})
	defer wg.Wait()
	defer close(stop)
	return s.loop()
}

// datagramServer is the state of one forwarded datagram socket; only its loop touches it.
type datagramServer struct {
	opts   datagramOptions
	log    *slog.Logger
	target *datagramTarget

	lfd     int            // the client-facing socket (our duplicate), non-blocking
	family  int            // AF_INET, AF_INET6 or AF_UNIX
	local   netip.AddrPort // the address lfd is bound to (INET)
	pktinfo bool           // lfd is bound to a wildcard address: learn where each datagram went, answer from there
	epfd    int
	wakefd  int // eventfd: written once the context is done

	flows map[flowKey]*datagramFlow
	byFD  map[int32]*datagramFlow // by backend socket
	lru   list.List               // of *datagramFlow, least recently active first

	buf    []byte
	oob    []byte
	warned map[string]time.Time // when each throttled warning was last logged
}

// open duplicates f, checks that it is a datagram socket and sets up the event loop.
func (s *datagramServer) open(f *os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return fmt.Errorf("datagram socket %s: %w", f.Name(), err)
	}
	var dupErr error
	if err := rc.Control(func(fd uintptr) {
		s.lfd, dupErr = unix.FcntlInt(fd, unix.F_DUPFD_CLOEXEC, 0)
	}); err != nil {
		return fmt.Errorf("datagram socket %s: %w", f.Name(), err)
	}
	if dupErr != nil {
		s.lfd = -1
		return fmt.Errorf("datagram socket %s: dup: %w", f.Name(), dupErr)
	}
	typ, err := unix.GetsockoptInt(s.lfd, unix.SOL_SOCKET, unix.SO_TYPE)
	if err != nil {
		return fmt.Errorf("datagram socket %s: %w", f.Name(), err)
	}
	if typ != unix.SOCK_DGRAM {
		return fmt.Errorf("datagram socket %s: not a datagram socket", f.Name())
	}
	if s.family, err = unix.GetsockoptInt(s.lfd, unix.SOL_SOCKET, unix.SO_DOMAIN); err != nil {
		return fmt.Errorf("datagram socket %s: %w", f.Name(), err)
	}
	if err := s.setupFamily(); err != nil {
		return fmt.Errorf("datagram socket %s: %w", f.Name(), err)
	}
	if err := unix.SetNonblock(s.lfd, true); err != nil {
		return fmt.Errorf("datagram socket %s: %w", f.Name(), err)
	}
	if s.epfd, err = unix.EpollCreate1(unix.EPOLL_CLOEXEC); err != nil {
		return fmt.Errorf("epoll: %w", err)
	}
	if s.wakefd, err = unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK); err != nil {
		return fmt.Errorf("eventfd: %w", err)
	}
	for _, fd := range []int{s.lfd, s.wakefd} {
		if err := unix.EpollCtl(s.epfd, unix.EPOLL_CTL_ADD, fd, &unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(fd)}); err != nil {
			return fmt.Errorf("epoll: %w", err)
		}
	}
	s.buf = make([]byte, datagramHeadroom+datagramMax)
	s.oob = make([]byte, unix.CmsgSpace(unix.SizeofInet6Pktinfo)+unix.CmsgSpace(unix.SizeofInet4Pktinfo))
	return nil
}

// setupFamily learns the bound address and, for a wildcard IP socket, asks the kernel for
// each datagram's destination address.
func (s *datagramServer) setupFamily() error {
	switch s.family {
	case unix.AF_UNIX:
		return nil
	case unix.AF_INET, unix.AF_INET6:
	default:
		return fmt.Errorf("address family %d cannot be forwarded (UDP and unixgram can)", s.family)
	}
	sa, err := unix.Getsockname(s.lfd)
	if err != nil {
		return err
	}
	s.local, _ = sockaddrAddrPort(sa)
	if !s.local.Addr().IsUnspecified() {
		return nil
	}
	s.pktinfo = true
	return enablePktinfo(s.lfd, s.family)
}

// loop serves events until the wake eventfd fires.
func (s *datagramServer) loop() error {
	events := make([]unix.EpollEvent, 64)
	for {
		n, err := unix.EpollWait(s.epfd, events, s.waitMillis(time.Now()))
		if err != nil {
			if errors.Is(err, unix.EINTR) {
				continue
			}
			return fmt.Errorf("epoll_wait: %w", err)
		}
		now := time.Now()
		for _, ev := range events[:n] {
			switch fd := int(ev.Fd); {
			case fd == s.wakefd:
				return nil
			case fd == s.lfd:
				s.fromClients(now)
			default:
				if fl := s.byFD[ev.Fd]; fl != nil {
					s.fromBackend(fl, ev.Events, now)
				}
			}
		}
		s.expire(now)
	}
}

// waitMillis returns the epoll timeout: until the least recently active flow expires.
func (s *datagramServer) waitMillis(now time.Time) int {
	e := s.lru.Front()
	if e == nil {
		return -1
	}
	d := e.Value.(*datagramFlow).last.Add(s.opts.idle).Sub(now)
	if d <= 0 {
		return 0
	}
	return int((d + time.Millisecond - 1) / time.Millisecond)
}

// expire closes the flows idle for the configured time.
func (s *datagramServer) expire(now time.Time) {
	for e := s.lru.Front(); e != nil; e = s.lru.Front() {
		fl := e.Value.(*datagramFlow)
		if now.Sub(fl.last) < s.opts.idle {
			return
		}
		s.closeFlow(fl, "idle", now)
	}
}

// close ends every flow and closes the loop's own descriptors.
func (s *datagramServer) close() {
	now := time.Now()
	for e := s.lru.Front(); e != nil; e = s.lru.Front() {
		s.closeFlow(e.Value.(*datagramFlow), "shutdown", now)
	}
	for _, fd := range []int{s.epfd, s.wakefd, s.lfd} {
		if fd >= 0 {
			unix.Close(fd)
		}
	}
}

// warnThrottled logs a warning at most once a second per message.
func (s *datagramServer) warnThrottled(now time.Time, msg string, args ...any) {
	if now.Sub(s.warned[msg]) < time.Second {
		return
	}
	s.warned[msg] = now
	s.log.Warn(msg, args...)
}

// transient reports errors after which a datagram is just dropped: full buffers and the like.
func transient(err error) bool {
	return errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.ENOBUFS) || errors.Is(err, unix.EINTR)
}
