//go:build linux

package forwarder

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// Forwarder forwards every connection accepted on its listeners to one target.
type Forwarder struct {
	cfg      Config
	log      *slog.Logger
	target   *target
	resolver *resolver
	epoch    time.Time

	active       atomic.Int64
	accepted     atomic.Uint64
	refused      atomic.Uint64
	dialFailures atomic.Uint64
	idleSince    atomic.Int64 // epoch-relative time the last connection closed
	idle         chan struct{}

	mu      sync.Mutex
	workers []*worker
	served  bool
}

// Stats are a forwarder's counters.
type Stats struct {
	Accepted      uint64 // connections accepted and served
	Refused       uint64 // connections closed at once because ConnectionsMax were open
	DialFailures  uint64 // connections closed because the target could not be reached
	Active        int64  // connections open now
	BytesSent     uint64 // bytes delivered from clients to the target
	BytesReceived uint64 // bytes delivered from the target to clients
}

// New checks cfg and returns a Forwarder for it; log receives warnings and, at debug level,
// a line per connection.
func New(cfg Config, log *slog.Logger) (*Forwarder, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	t, err := parseTarget(cfg.Target)
	if err != nil {
		return nil, fmt.Errorf("target: %w", err)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Forwarder{cfg: cfg, log: log, target: t, epoch: time.Now(), idle: make(chan struct{}, 1)}, nil
}

// Stats returns the counters so far.
func (f *Forwarder) Stats() Stats {
	s := Stats{
		Accepted:     f.accepted.Load(),
		Refused:      f.refused.Load(),
		DialFailures: f.dialFailures.Load(),
		Active:       f.active.Load(),
	}
	f.mu.Lock()
	for _, w := range f.workers {
		s.BytesSent += w.bytes[0].Load()
		s.BytesReceived += w.bytes[1].Load()
	}
	f.mu.Unlock()
	return s
}

// Serve forwards connections from the listening stream sockets (and datagrams from the
// datagram sockets) until ctx is cancelled — then it stops accepting, flushes what it already
// read, closes every connection and returns nil — or until ExitIdleTime passed without a
// connection (nil as well). The files stay open; Serve uses its own duplicates.
func (f *Forwarder) Serve(ctx context.Context, listeners []*os.File) error {
	f.mu.Lock()
	if f.served {
		f.mu.Unlock()
		return errors.New("forwarder: Serve called twice")
	}
	f.served = true
	f.mu.Unlock()

	var streams []int
	var tcp []bool
	var datagrams []*os.File
	defer func() {
		for _, fd := range streams {
			unix.Close(fd)
		}
	}()
	for _, file := range listeners {
		fd, typ, err := dupListener(file)
		if err != nil {
			return err
		}
		if typ == unix.SOCK_DGRAM {
			unix.Close(fd)
			datagrams = append(datagrams, file)
			continue
		}
		streams = append(streams, fd)
		dom, _ := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_DOMAIN)
		tcp = append(tcp, dom == unix.AF_INET || dom == unix.AF_INET6)
	}
	if len(streams) == 0 && len(datagrams) == 0 {
		return errors.New("no sockets to serve")
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var bg sync.WaitGroup // the resolver and the datagram forwarders
	f.resolver = &resolver{host: f.target.host, port: f.target.port, ctx: ctx, wg: &bg}

	n := workerCount(f.cfg.Workers, runtime.GOMAXPROCS(0))
	if len(streams) == 0 {
		n = 0
	}
	var workers []*worker
	for range n {
		w, err := newWorker(f, streams, tcp)
		if err != nil {
			for _, w := range workers {
				w.closeFDs()
			}
			return err
		}
		workers = append(workers, w)
	}
	f.mu.Lock()
	f.workers = workers
	f.mu.Unlock()

	var loops sync.WaitGroup
	for _, w := range workers {
		loops.Go(w.run)
	}
	dcfg := f.cfg
	dcfg.flows = func(delta int) { f.flowDelta(delta) }
	errs := make(chan error, len(datagrams))
	for _, file := range datagrams {
		bg.Go(func() {
			if err := serveDatagram(ctx, file, dcfg, f.log); err != nil {
				errs <- err
			}
		})
	}
	var nt *notifier
	if f.cfg.Notify {
		nt = newNotifier(f.log)
		nt.Ready() // before the first watchdog ping
		bg.Go(func() { nt.Run(ctx) })
	}

	err := f.wait(ctx, errs)

	if nt != nil {
		nt.Stopping()
	}
	for _, w := range workers {
		w.post(w.stop)
	}
	loops.Wait()
	cancel()
	bg.Wait()
	for _, w := range workers {
		w.closeFDs()
	}
	return err
}

// wait blocks until ctx is done, a datagram forwarder failed, or the exit idle time passed.
func (f *Forwarder) wait(ctx context.Context, errs <-chan error) error {
	f.idleSince.Store(int64(time.Since(f.epoch)))
	var expire <-chan time.Time
	var timer *time.Timer
	if f.cfg.ExitIdleTime > 0 {
		timer = time.NewTimer(f.cfg.ExitIdleTime)
		defer timer.Stop()
		expire = timer.C
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-errs:
			return err
		case <-f.idle:
			if timer != nil && f.active.Load() == 0 {
				timer.Reset(f.idleLeft())
			}
		case <-expire:
			if f.active.Load() == 0 {
				left := f.idleLeft()
				if left <= 0 {
					f.log.Debug("exiting after idle time", "idle", f.cfg.ExitIdleTime)
					return nil
				}
				timer.Reset(left)
			}
		}
	}
}

// idleLeft is how much of the exit idle time remains since the last connection closed.
func (f *Forwarder) idleLeft() time.Duration {
	since := time.Duration(int64(time.Since(f.epoch)) - f.idleSince.Load())
	return f.cfg.ExitIdleTime - since
}

// becameIdle records that the last connection closed.
func (f *Forwarder) becameIdle() {
	f.idleSince.Store(int64(time.Since(f.epoch)))
	select {
	case f.idle <- struct{}{}:
	default:
	}
}

// flowDelta counts datagram flows as connections for the exit idle time.
func (f *Forwarder) flowDelta(delta int) {
	if f.active.Add(int64(delta)) == 0 {
		f.becameIdle()
	}
}

// header builds the PROXY protocol header for the client connection fd.
func (f *Forwarder) header(fd int) ([]byte, error) {
	peer, err := unix.Getpeername(fd)
	if err != nil {
		return nil, fmt.Errorf("getpeername: %w", err)
	}
	local, err := unix.Getsockname(fd)
	if err != nil {
		return nil, fmt.Errorf("getsockname: %w", err)
	}
	src, dst := netAddr(peer), netAddr(local)
	if proxyHeaderFallback(f.cfg.ProxyProtocol, src, dst) {
		f.log.Warn(proxyUnknownWarning)
	}
	return proxyHeader(f.cfg.ProxyProtocol, src, dst)
}

// dupListener returns a non-blocking duplicate of a listening socket and its type.
func dupListener(file *os.File) (int, int, error) {
	rc, err := file.SyscallConn()
	if err != nil {
		return -1, 0, fmt.Errorf("listener %s: %w", file.Name(), err)
	}
	fd := -1
	var derr error
	if err := rc.Control(func(s uintptr) { fd, derr = unix.FcntlInt(s, unix.F_DUPFD_CLOEXEC, 3) }); err != nil {
		return -1, 0, fmt.Errorf("listener %s: %w", file.Name(), err)
	}
	if derr != nil {
		return -1, 0, fmt.Errorf("listener %s: dup: %w", file.Name(), derr)
	}
	typ, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TYPE)
	if err == nil {
		err = unix.SetNonblock(fd, true)
	}
	if err != nil {
		unix.Close(fd)
		return -1, 0, fmt.Errorf("listener %s: %w", file.Name(), err)
	}
	return fd, typ, nil
}

// defaultWorkers is one event loop per two CPUs, at least one: the kernel's share of
// forwarding (splice, TCP) and the peers on the same machine need the other CPU. Measured by
// the bench on 2 CPUs (12:26 UTC, same run): two loops gave no more requests or throughput than
// one (1.58× against 1.63× systemd-socket-proxyd's new-connection rate, 0.96× against 1.17× its
// 64-stream throughput) for 1.2–1.4× the CPU.
func defaultWorkers(cpus int) int { return max(1, cpus/2) }

// workerCount is how many event loops to run for Config.Workers on cpus CPUs: the default
// when 0, and never more than one per CPU. A loop makes only raw system calls while it is
// busy, so Go cannot take the CPU from it in time: a loop without a CPU of its own would
// wait for one behind the busy ones.
func workerCount(want, cpus int) int {
	if want <= 0 {
		return defaultWorkers(cpus)
	}
	return max(1, min(want, cpus))
}
