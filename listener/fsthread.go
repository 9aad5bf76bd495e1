//go:build linux

package listener

import (
	"runtime"

	"golang.org/x/sys/unix"
)

// FSThread is an OS thread with its own umask for creating file-system nodes. Open starts one
// per call when a unit needs it (about 0.5 ms); a caller opening many units can share one
// through OpenOptions.FS and stop it with Close when done.
type FSThread struct{ t *fsThread }

// NewFSThread starts a thread for OpenOptions.FS.
func NewFSThread() *FSThread { return &FSThread{t: startFSThread()} }

// Close ends the thread; Open calls using it must have returned.
func (f *FSThread) Close() { f.t.stop() }

// fsThread runs file-system work (mkdir, bind of a UNIX path, mkfifo, mq_open) on one OS
// thread that has its own umask: the thread unshares its file-system attributes
// (unshare(CLONE_FS)), so setting the umask there to get SocketMode= exactly, as systemd does
// with WITH_UMASK, never changes the mode of files other goroutines create meanwhile. The
// thread exits (and is not reused by Go) when the work is done.
type fsThread struct {
	work chan func()
	done chan struct{}
	err  error // set when the thread could not be prepared; every call then fails with it
	mask int   // the process umask when the thread started
}

// startFSThread starts the thread; stop must be called to end it.
func startFSThread() *fsThread {
	t := &fsThread{work: make(chan func()), done: make(chan struct{})}
	ready := make(chan struct{})
	go func() {
		defer close(t.done)
		// Never unlocked: the runtime terminates the thread when this goroutine returns.
		runtime.LockOSThread()
		t.err = unix.Unshare(unix.CLONE_FS)
		if t.err == nil {
			t.mask = unix.Umask(0)
			unix.Umask(t.mask)
		}
		close(ready)
		for f := range t.work {
			f()
		}
	}()
	<-ready
	return t
}

// run runs f on the thread with the umask set to mask, and restores the umask afterwards.
// Calls from several goroutines are served one at a time.
func (t *fsThread) run(mask int, f func() error) error {
	if t.err != nil {
		return t.err
	}
	var err error
	finished := make(chan struct{})
	t.work <- func() {
		defer close(finished)
		old := unix.Umask(mask)
		err = f()
		unix.Umask(old)
	}
	<-finished
	return err
}

// stop ends the thread and waits for it.
func (t *fsThread) stop() {
	close(t.work)
	<-t.done
}
