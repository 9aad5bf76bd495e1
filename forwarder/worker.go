//go:build linux

package forwarder

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Tags of epoll registrations besides the two connection sides.
const (
	tagListener = 2
	tagWake     = 3
)

// worker is one event loop: it accepts on every stream listener (EPOLLEXCLUSIVE spreads the
// wake-ups over the workers) and runs the connections it accepted, without a goroutine per
// connection.
//
// The loop runs on its own OS thread and sleeps in epoll_wait itself. It used to park on Go's
// poller instead (the epoll fd registered with the runtime), but a loop that is busy makes
// only raw system calls and never enters the scheduler: while it ran, nothing polled the
// network for the other loops, and with two loops a parked one slept through its events for
// 100 ms to 1 s (wrk keep-alive p99 of 200–900 ms against 4 ms with one loop).
type worker struct {
	f      *Forwarder
	epfd   int
	wakefd int
	events []unix.EpollEvent

	slots    []*conn
	free     []int32
	freeLate []int32 // slots freed during this batch of events, reusable after it
	nconns   int

	listeners []int  // listening fds (shared with the other workers)
	tcp       []bool // per listener: TCP, so accepted sockets get the TCP options
	paused    bool   // listeners removed from epoll after EMFILE & co.
	resume    int64  // when to add them back
	backoff   time.Duration

	timers     timerHeap
	again      []*conn // connections that yielded with bytes still ready
	againSpare []*conn
	pipes      pipePool
	bufs       []*copyBuf
	now        int64 // nanoseconds on the forwarder's monotonic clock, read once per wake-up

	mu       sync.Mutex
	inbox    []func()
	stopping bool
	stopAt   int64

	bytes [2]atomic.Uint64 // delivered client→target, target→client

	// Scratch socket addresses for connect (see own).
	sa4    unix.SockaddrInet4
	sa6    unix.SockaddrInet6
	saUnix unix.SockaddrUnix
	saVM   unix.SockaddrVM
}

func newWorker(f *Forwarder, listeners []int, tcp []bool) (*worker, error) {
	w := &worker{f: f, listeners: listeners, tcp: tcp, events: make([]unix.EpollEvent, 256)}
	w.pipes.size = f.cfg.PipeSize
	var err error
	if w.epfd, err = unix.EpollCreate1(unix.EPOLL_CLOEXEC); err != nil {
		return nil, fmt.Errorf("epoll_create1: %w", err)
	}
	if w.wakefd, err = unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC); err != nil {
		unix.Close(w.epfd)
		return nil, fmt.Errorf("eventfd: %w", err)
	}
	if err := w.register(w.wakefd, unix.EPOLLIN, 0, tagWake); err != nil {
		w.closeFDs()
		return nil, err
	}
	if err := w.addListeners(); err != nil {
		w.closeFDs()
		return nil, err
	}
	return w, nil
}

func (w *worker) closeFDs() {
	unix.Close(w.wakefd)
	unix.Close(w.epfd)
}

func (w *worker) register(fd int, events uint32, slot int32, tag int32) error {
	ev := unix.EpollEvent{Events: events, Fd: slot, Pad: tag}
	if err := unix.EpollCtl(w.epfd, unix.EPOLL_CTL_ADD, fd, &ev); err != nil {
		return fmt.Errorf("epoll_ctl add fd %d: %w", fd, err)
	}
	return nil
}

func (w *worker) addListeners() error {
	for i, fd := range w.listeners {
		if err := w.register(fd, unix.EPOLLIN|unix.EPOLLEXCLUSIVE, int32(i), tagListener); err != nil {
			return err
		}
	}
	return nil
}

func (w *worker) removeListeners() {
	for _, fd := range w.listeners {
		unix.EpollCtl(w.epfd, unix.EPOLL_CTL_DEL, fd, nil)
	}
}

// post runs fn on the worker's goroutine.
func (w *worker) post(fn func()) {
	w.mu.Lock()
	w.inbox = append(w.inbox, fn)
	w.mu.Unlock()
	var one = [8]byte{1}
	unix.Write(w.wakefd, one[:])
}

// clock reads the forwarder's monotonic clock.
func (w *worker) clock() int64 { return int64(time.Since(w.f.epoch)) }

// run is the event loop; it returns once the worker is stopping and its last connection is
// gone.
func (w *worker) run() {
	// The thread is the loop's own: it blocks in epoll_wait (see worker).
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	defer w.shutdown()
	for {
		w.now = w.clock()
		if w.stopping && w.nconns == 0 {
			return
		}
		n, err := w.wait()
		w.now = w.clock()
		if err != nil {
			w.f.log.Error("epoll_wait failed", "err", err)
			return
		}
		for i := 0; i < n; i++ {
			ev := &w.events[i]
			switch ev.Pad {
			case sideClient, sideBackend:
				if c := w.slots[ev.Fd]; c != nil {
					w.event(c, int(ev.Pad), ev.Events)
				}
			case tagListener:
				w.accept(w.listeners[ev.Fd], w.tcp[ev.Fd])
			case tagWake:
				w.wake()
			}
		}
		w.pumpAgain()
		w.free = append(w.free, w.freeLate...)
		w.freeLate = w.freeLate[:0]
		w.expire()
	}
}

// wait returns the ready events, waiting until there are some or the next deadline passed.
func (w *worker) wait() (int, error) {
	if n, err := epollNow(w.epfd, w.events); n != 0 || err != nil {
		return n, err
	}
	ms := w.waitMillis()
	if ms == 0 || len(w.again) > 0 {
		return 0, nil
	}
	n, err := unix.EpollWait(w.epfd, w.events, ms)
	if err == unix.EINTR {
		return 0, nil
	}
	return n, err
}

// epollNow collects the events ready now, without waiting.
func epollNow(epfd int, events []unix.EpollEvent) (int, error) {
	r, _, errno := unix.RawSyscall6(unix.SYS_EPOLL_PWAIT, uintptr(epfd),
		uintptr(unsafe.Pointer(&events[0])), uintptr(len(events)), 0, 0, 0)
	switch errno {
	case 0:
		return int(r), nil
	case unix.EINTR, unix.EAGAIN:
		return 0, nil
	}
	return 0, errno
}

// waitMillis is how long epoll_wait may sleep: until the next deadline, or forever.
func (w *worker) waitMillis() int {
	next := w.timers.next()
	for _, t := range []int64{w.resume, w.pipes.trim(w.now)} {
		if t != 0 && (next == 0 || t < next) {
			next = t
		}
	}
	if next == 0 {
		return -1
	}
	d := next - w.now
	if d <= 0 {
		return 0
	}
	return int((d + 999_999) / 1_000_000)
}

// wake runs what other goroutines posted.
func (w *worker) wake() {
	var buf [8]byte
	unix.Read(w.wakefd, buf[:])
	w.mu.Lock()
	inbox := w.inbox
	w.inbox = nil
	w.mu.Unlock()
	for _, fn := range inbox {
		fn()
	}
}

// expire handles the deadlines that have passed.
func (w *worker) expire() {
	if w.paused && w.now >= w.resume {
		w.paused, w.resume = false, 0
		if !w.stopping {
			if err := w.addListeners(); err != nil {
				w.f.log.Error("cannot watch the listening sockets again", "err", err)
			}
		}
	}
	for c := w.timers.expired(w.now); c != nil; c = w.timers.expired(w.now) {
		w.deadline(c)
	}
}

// deadline handles a connection whose timer fired.
func (w *worker) deadline(c *conn) {
	switch {
	case c.stop:
		w.finish(c, true, "stopped while flushing")
	case c.state == stConnecting:
		c.lastErr = unix.ETIMEDOUT
		unix.Close(c.fd[sideBackend])
		c.fd[sideBackend] = -1
		c.addr++
		w.dial(c)
	case c.state == stRetrying:
		c.addr = 0
		w.dial(c)
	case c.state == stOpen:
		idle := int64(w.f.cfg.IdleTimeout)
		if idle > 0 && w.now-c.last >= idle {
			w.finish(c, true, "idle timeout")
			return
		}
		w.timers.set(c, c.last+idle)
	}
}

// event records readiness of one side of c and lets the connection act on it.
func (w *worker) event(c *conn, side int, ev uint32) {
	if ev&(unix.EPOLLIN|unix.EPOLLRDHUP|unix.EPOLLHUP|unix.EPOLLERR) != 0 {
		c.ready[side] |= rdReadable
	}
	if ev&(unix.EPOLLOUT|unix.EPOLLHUP|unix.EPOLLERR) != 0 {
		c.ready[side] |= rdWritable
	}
	switch c.state {
	case stOpen:
		w.run1(c)
	case stConnecting:
		if side == sideBackend {
			w.connected(c, ev)
		} else if ev&unix.EPOLLERR != 0 {
			w.finish(c, true, "client reset while connecting")
		}
	case stResolving, stRetrying:
		if side == sideClient && ev&unix.EPOLLERR != 0 {
			w.finish(c, true, "client reset while connecting")
		}
	}
}

// run1 pumps c and closes it when it is done.
func (w *worker) run1(c *conn) {
	switch res, why := w.pump(c); res {
	case pumpDone:
		w.finish(c, false, why)
	case pumpReset:
		w.finish(c, true, why)
	case pumpYield:
		if !c.again {
			c.again = true
			w.again = append(w.again, c)
		}
	}
}

// pumpAgain gives the connections that yielded their next turn.
func (w *worker) pumpAgain() {
	again := w.again
	w.again = w.againSpare[:0]
	for i, c := range again {
		again[i] = nil
		c.again = false
		if c.state == stOpen {
			w.run1(c)
		}
	}
	w.againSpare = again[:0]
}

// stop makes the worker stop accepting, flush its connections (for at most StopTimeout) and
// return from run.
func (w *worker) stop() {
	if w.stopping {
		return
	}
	w.stopping = true
	if !w.paused {
		w.removeListeners()
	}
	timeout := w.f.cfg.StopTimeout
	if timeout <= 0 {
		timeout = time.Second
	}
	for _, c := range w.slots {
		if c == nil || c.state == stClosed {
			continue
		}
		if c.state != stOpen {
			w.finish(c, true, "stopped")
			continue
		}
		c.stop = true
		c.flows[0].eof, c.flows[1].eof = true, true
		w.timers.set(c, w.now+int64(timeout))
		w.run1(c)
	}
}

// shutdown releases what the worker holds once its loop ended.
func (w *worker) shutdown() {
	for _, c := range w.slots {
		if c != nil && c.state != stClosed {
			w.finish(c, true, "stopped")
		}
	}
	w.pipes.closeAll()
}

// logEnabled reports whether lines at level l are written.
func (w *worker) logEnabled(l slog.Level) bool {
	return w.f.log.Enabled(context.Background(), l)
}
