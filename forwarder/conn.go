//go:build linux

package forwarder

import (
	"time"

	"golang.org/x/sys/unix"
)

// Connection states.
const (
	stResolving  uint8 = iota // waiting for the target's addresses
	stConnecting              // non-blocking connect in flight
	stRetrying                // waiting to try the target again
	stOpen                    // forwarding
	stClosed
)

// Sides of a connection, also the tags of their epoll registrations.
const (
	sideClient  = 0
	sideBackend = 1
)

// Readiness bits kept per side (the epoll registration is edge-triggered).
const (
	rdReadable uint8 = 1 << iota
	rdWritable
)

// flow is one direction of a connection: bytes read from fd[i] are written to fd[1-i].
type flow struct {
	buf   buffer // nil while nothing is in flight
	n     int    // bytes held in buf
	pre   []byte // bytes to send before anything else (the PROXY header)
	bytes uint64 // bytes delivered
	eof   bool   // the source ended (or is no longer read)
	shut  bool   // the destination's write side is shut (or broken)
	copy  bool   // the source cannot splice: use a user-space buffer
}

// conn is one client connection and its backend leg, owned by one worker.
type conn struct {
	fd    [2]int
	ready [2]uint8
	state uint8
	stop  bool // the forwarder is stopping: flush and close
	again bool // in the worker's list of connections to pump again
	retry uint8
	slot  int32
	addr  int // index of the target address being tried
	flows [2]flow

	timer int64 // deadline on the worker clock, 0 = none
	tidx  int   // index in the worker's timer heap, -1 = not in it
	start int64
	last  int64 // last time a byte moved (for IdleTimeout)

	addrs   []unix.Sockaddr
	lastErr error
	peer    unix.Sockaddr // the client's address, kept only when logging at debug level
}

// pumpResult says how a pump left the connection.
type pumpResult uint8

const (
	pumpMore  pumpResult = iota // waiting for readiness
	pumpDone                    // both directions ended cleanly
	pumpReset                   // a socket failed: abort
	pumpYield                   // still moving after pumpBudget: let the others run first
)

// A pump runs until nothing more can move, or until it has run for pumpBudget: then the
// connection yields, so one that always has bytes ready cannot hold its loop. The clock is
// read every pumpRounds rounds (a round moves up to a pipe's worth each way).
//
// A budget in time, not in rounds: a cap of 8 rounds cut busy connections off after a few
// hundred KiB, their senders met a zero window and TCP's loss probes fired (seen with
// `nstat` as thousands of spurious retransmissions in a 64-stream iperf3), which cost a
// fifth of the throughput. 500 µs keeps a turn short against any human-visible latency.
const (
	pumpRounds = 8
	pumpBudget = int64(500 * time.Microsecond)
)

// pump moves bytes in both directions until nothing more can move without waiting.
func (w *worker) pump(c *conn) (pumpResult, string) {
	var deadline int64
	for progress, rounds := true, 0; progress; rounds++ {
		if rounds > 0 && rounds%pumpRounds == 0 {
			now := w.clock()
			if deadline == 0 {
				deadline = now + pumpBudget
			} else if now >= deadline {
				return pumpYield, ""
			}
		}
		progress = false
		for i := range 2 {
			fl := &c.flows[i]
			dst := c.fd[1-i]
			// Drain first: it makes room to read.
			for (len(fl.pre) > 0 || fl.n > 0) && !fl.shut && c.ready[1-i]&rdWritable != 0 {
				var m int
				var err error
				if len(fl.pre) > 0 {
					m, err = unix.SendmsgN(dst, fl.pre, nil, nil, unix.MSG_NOSIGNAL)
					if m > 0 {
						fl.pre = fl.pre[m:]
					}
				} else {
					m, err = fl.buf.drain(dst, fl.n)
					if m > 0 {
						fl.n -= m
						fl.bytes += uint64(m)
						w.bytes[i].Add(uint64(m))
					}
				}
				if m > 0 {
					progress = true
					c.last = w.now
				}
				if err == unix.EAGAIN {
					c.ready[1-i] &^= rdWritable
				} else if err != nil {
					// The destination is gone: what is held cannot be delivered and no more
					// is read for it; the other direction goes on until it ends too.
					w.dropFlow(fl)
					progress = true
				}
			}
			w.releaseEmpty(fl)
			// Fill: one read per round; the next round drains it first. A small message is
			// then read once and written once: reading on until EAGAIN cost one more system
			// call per message each way (about an eighth of the CPU per keep-alive request).
			moved, failed := w.fill(c, i)
			if failed != "" {
				return pumpReset, failed
			}
			progress = progress || moved
			w.releaseEmpty(fl)
			if fl.eof && fl.n == 0 && len(fl.pre) == 0 && !fl.shut {
				fl.shut = true
				unix.Shutdown(dst, unix.SHUT_WR)
			}
		}
	}
	if c.flows[0].shut && c.flows[1].shut {
		return pumpDone, "closed"
	}
	return pumpMore, ""
}

// fill reads once from side i into its flow's buffer and reports whether anything changed,
// or why the socket failed.
func (w *worker) fill(c *conn, i int) (moved bool, failed string) {
	fl := &c.flows[i]
	if fl.eof || c.ready[i]&rdReadable == 0 {
		return false, ""
	}
	if fl.buf == nil {
		fl.buf = w.borrow(fl.copy)
	} else if _, isPipe := fl.buf.(*pipe); isPipe && fl.copy {
		return false, "" // drain what the pipe holds before copying through user space
	}
	room := fl.buf.space(fl.n)
	if room <= 0 {
		return false, ""
	}
	m, err := fl.buf.fill(c.fd[i], room)
	switch {
	case m > 0:
		fl.n += m
		c.last = w.now
		return true, ""
	case err == nil:
		fl.eof = true
		return true, ""
	case err == unix.EAGAIN:
		// With bytes in the pipe, EAGAIN may mean the pipe has no free slot (partly filled
		// pages) rather than an empty socket: keep reading after the next drain. An empty
		// pipe cannot be full.
		if fl.n == 0 {
			c.ready[i] &^= rdReadable
		}
		return false, ""
	case err == unix.EINVAL && !fl.copy:
		// This socket cannot splice into a pipe: copy through user space.
		fl.copy = true
		return true, ""
	}
	return false, "read from " + sideName(i) + ": " + err.Error()
}

// releaseEmpty gives back a buffer that holds nothing: an idle connection keeps none.
func (w *worker) releaseEmpty(fl *flow) {
	if fl.n == 0 && fl.buf != nil {
		fl.buf.release(w, false)
		fl.buf = nil
	}
}

// dropFlow forgets the bytes a direction holds.
func (w *worker) dropFlow(fl *flow) {
	if fl.buf != nil {
		fl.buf.release(w, fl.n > 0)
		fl.buf = nil
	}
	fl.n = 0
	fl.pre = nil
	fl.eof, fl.shut = true, true
}

// borrow returns an empty buffer: a pooled pipe, or a user-space buffer when the source
// cannot splice or no pipe can be made.
func (w *worker) borrow(copyMode bool) buffer {
	if !copyMode {
		if p, err := w.pipes.get(); err == nil {
			return p
		}
	}
	if n := len(w.bufs); n > 0 {
		b := w.bufs[n-1]
		w.bufs[n-1] = nil
		w.bufs = w.bufs[:n-1]
		return b
	}
	return &copyBuf{b: make([]byte, copyBufSize)}
}

func sideName(side int) string {
	if side == sideClient {
		return "client"
	}
	return "target"
}
