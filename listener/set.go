//go:build linux

package listener

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"

	"golang.org/x/sys/unix"

	"github.com/sockvisor/sockvisor/socketunit"
)

// FD is one open listen entry of a unit.
type FD struct {
	File      *os.File          // the fd (non-blocking, close-on-exec)
	Listen    socketunit.Listen // the entry it was opened for
	Name      string            // its LISTEN_FDNAMES entry (the unit's FDName)
	Inherited bool              // adopted from LISTEN_FDS rather than opened here
	Aux       []*os.File        // ListenUSBFunction=: the endpoints after ep0, in name order
}

// Set is the open fds of one socket unit, in configuration order.
type Set struct {
	Unit *socketunit.Socket
	FDs  []FD
}

// USBFunction names the files the service writes into ep0 for ListenUSBFunction=
// (the service's USBFunctionDescriptors= and USBFunctionStrings=).
type USBFunction struct {
	Descriptors string
	Strings     string
}

// OpenOptions are the optional inputs of Open.
type OpenOptions struct {
	Inherited *Inherited   // fds to adopt before opening anything; nil: none
	Log       *slog.Logger // warnings for options that could not be set; nil: discarded
	USB       USBFunction  // for ListenUSBFunction= entries
	FS        *FSThread    // shared thread for file-system nodes; nil: Open starts its own if needed
}

// Open opens every listen entry of u in configuration order, or adopts the matching inherited
// fd, with systemd's order of operations and failure rules. The first fatal error closes
// everything opened so far, returns adopted fds to o.Inherited, and is returned naming the unit
// and the address. Options that could not be set are logged, and the socket is kept.
func Open(ctx context.Context, u *socketunit.Socket, o OpenOptions) (*Set, error) {
	log := o.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	th := lazyFSThread{shared: o.FS}
	defer th.stop()
	s := &Set{Unit: u, FDs: make([]FD, 0, len(u.Listen))}
	ok := false
	defer func() {
		if !ok {
			s.abandon(o.Inherited)
		}
	}()
	target := symlinkTarget(u)
	for i := range u.Listen {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("%s: %w", u.Name, err)
		}
		l := &u.Listen[i]
		if f := o.Inherited.take(u, l); f != nil {
			s.FDs = append(s.FDs, adopt(ctx, u, l, f, log))
			continue
		}
		fd, err := openEntry(ctx, u, l, &th, log, o.USB)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", u.Name, failureText(l), err)
		}
		fd.Name = u.FDName()
		s.FDs = append(s.FDs, fd)
		if target != "" && nodePath(l) == target {
			makeSymlinks(ctx, u, target, th.get(), log)
		}
	}
	if err := chownNodes(s); err != nil {
		return nil, fmt.Errorf("%s: %w", u.Name, err)
	}
	ok = true
	return s, nil
}

// adopt makes an inherited fd the entry's: a socket gets the unit's after-listen options, which
// should hold whoever created it (what is fixed at bind time cannot be changed any more).
func adopt(ctx context.Context, u *socketunit.Socket, l *socketunit.Listen, f *os.File, log *slog.Logger) FD {
	fd := FD{File: f, Listen: *l, Name: u.FDName(), Inherited: true}
	if l.Kind.IsSocket() {
		a := effectiveAddress(u, l)
		fd.Listen.Address = a
		_ = withFD(f, func(n int) error {
			return applyStage(n, u, &a, stageAfterListen, logFailure(ctx, log, u, a.String()))
		})
	}
	return fd
}

// failureText is systemd's message for a listen entry that could not be opened.
func failureText(l *socketunit.Listen) string {
	switch l.Kind {
	case socketunit.ListenFIFO:
		return fmt.Sprintf("Failed to open FIFO '%s'", l.Path)
	case socketunit.ListenSpecial:
		return fmt.Sprintf("Failed to open special file '%s'", l.Path)
	case socketunit.ListenMessageQueue:
		return fmt.Sprintf("Failed to open message queue '%s'", l.Path)
	case socketunit.ListenUSBFunction:
		return fmt.Sprintf("Failed to open USB function '%s'", l.Path)
	}
	return fmt.Sprintf("Failed to create listening socket (%s)", l.Address.String())
}

// openEntry opens one listen entry.
func openEntry(ctx context.Context, u *socketunit.Socket, l *socketunit.Listen, th *lazyFSThread, log *slog.Logger, usb USBFunction) (FD, error) {
	fd := FD{Listen: *l}
	var (
		n   int
		err error
	)
	switch l.Kind {
	case socketunit.ListenStream, socketunit.ListenDatagram, socketunit.ListenSequentialPacket, socketunit.ListenNetlink:
		a := effectiveAddress(u, l)
		fd.Listen.Address = a
		n, err = openSocket(ctx, u, &a, th, log)
		if err == nil {
			fd.File = os.NewFile(uintptr(n), a.String())
		}
	case socketunit.ListenFIFO:
		n, err = openFIFO(ctx, u, l.Path, th.get(), log)
		if err == nil {
			fd.File = os.NewFile(uintptr(n), l.Path)
		}
	case socketunit.ListenSpecial:
		n, err = openSpecial(u, l.Path)
		if err == nil {
			fd.File = os.NewFile(uintptr(n), l.Path)
		}
	case socketunit.ListenMessageQueue:
		n, err = openMQueue(u, l.Path, th.get())
		if err == nil {
			fd.File = os.NewFile(uintptr(n), l.Path)
		}
	case socketunit.ListenUSBFunction:
		fd.File, fd.Aux, err = openUSBFunction(l.Path, usb)
	default:
		err = fmt.Errorf("unknown listen kind %d: %w", l.Kind, unix.EINVAL)
	}
	return fd, err
}

// lazyFSThread is the shared file-system thread, or one started on first use only: most
// sockets need none.
type lazyFSThread struct {
	shared *FSThread
	own    *fsThread
}

func (l *lazyFSThread) get() *fsThread {
	switch {
	case l.shared != nil:
		return l.shared.t
	case l.own == nil:
		l.own = startFSThread()
	}
	return l.own
}

func (l *lazyFSThread) stop() {
	if l.own != nil {
		l.own.stop()
	}
}

// abandon closes what Open opened after a failure and hands adopted fds back, unclosed.
func (s *Set) abandon(inh *Inherited) {
	for _, fd := range s.FDs {
		if fd.Inherited {
			inh.giveBack(fd.File)
			continue
		}
		fd.File.Close()
		closeAll(fd.Aux)
	}
	s.FDs = nil
}

// Files returns every fd in LISTEN_FDS order: each entry, followed by its auxiliary USB
// endpoints.
func (s *Set) Files() []*os.File {
	fs := make([]*os.File, 0, len(s.FDs))
	for _, fd := range s.FDs {
		fs = append(fs, fd.File)
		fs = append(fs, fd.Aux...)
	}
	return fs
}

// Close closes every fd; with RemoveOnStop=yes it also removes the unit's FIFOs, UNIX socket
// nodes, message queues and Symlinks=.
func (s *Set) Close() error {
	var errs []error
	for _, fd := range s.FDs {
		if err := fd.File.Close(); err != nil {
			errs = append(errs, err)
		}
		if err := closeAll(fd.Aux); err != nil {
			errs = append(errs, err)
		}
		if s.Unit.RemoveOnStop {
			errs = append(errs, removeNode(&fd.Listen))
		}
	}
	if s.Unit.RemoveOnStop {
		for _, l := range s.Unit.Symlinks {
			errs = append(errs, ignoreMissing(os.Remove(l)))
		}
	}
	s.FDs = nil
	return errors.Join(errs...)
}

// removeNode removes the file-system node or queue of a listen entry, if it has one.
func removeNode(l *socketunit.Listen) error {
	switch {
	case l.Kind == socketunit.ListenMessageQueue:
		if err := mqUnlink(l.Path); err != nil && err != unix.ENOENT {
			return fmt.Errorf("remove message queue %s: %w", l.Path, err)
		}
	case nodePath(l) != "":
		return ignoreMissing(os.Remove(nodePath(l)))
	}
	return nil
}

func ignoreMissing(err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// nodePath is the file-system node a listen entry creates: a FIFO or a UNIX socket path.
func nodePath(l *socketunit.Listen) string {
	switch {
	case l.Kind == socketunit.ListenFIFO:
		return l.Path
	case l.Kind.IsSocket() && isPathSocket(&l.Address):
		return l.Address.Path
	}
	return ""
}
