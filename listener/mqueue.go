//go:build linux

package listener

import (
	"fmt"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/sockvisor/sockvisor/socketunit"
)

// mqAttr is the kernel's struct mq_attr.
type mqAttr struct {
	Flags    int64
	MaxMsg   int64
	MsgSize  int64
	CurMsgs  int64
	reserved [4]int64
}

// mqName returns the queue name as the kernel takes it: without the leading '/' (the C
// library strips it before the system call).
func mqName(path string) (*byte, error) {
	return unix.BytePtrFromString(strings.TrimPrefix(path, "/"))
}

// openMQueue creates (or opens) a POSIX message queue as systemd's mq_address_create does:
// read-only, non-blocking, with SocketMode= under the umask and the size attributes when both
// MessageQueueMaxMessages= and MessageQueueMessageSize= are set; an existing queue with other
// permissions or another owner fails with EEXIST.
func openMQueue(u *socketunit.Socket, path string, th *fsThread) (int, error) {
	name, err := mqName(path)
	if err != nil {
		return -1, err
	}
	var attr *mqAttr
	if u.MessageQueueMaxMessages > 0 && u.MessageQueueMessageSize > 0 {
		attr = &mqAttr{MaxMsg: u.MessageQueueMaxMessages, MsgSize: u.MessageQueueMessageSize}
	}
	want := u.SocketMode & 0o777 &^ uint32(th.mask)
	var fd int
	err = th.run(int(^u.SocketMode&0o777)|th.mask, func() error {
		r, _, errno := unix.Syscall6(unix.SYS_MQ_OPEN, uintptr(unsafe.Pointer(name)),
			uintptr(unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NONBLOCK|unix.O_CREAT),
			uintptr(u.SocketMode&0o7777), uintptr(unsafe.Pointer(attr)), 0, 0)
		if errno != 0 {
			return fmt.Errorf("mq_open: %w", errno)
		}
		fd = int(r)
		return nil
	})
	if err != nil {
		return -1, err
	}
	if err := checkNode(fd, 0, want); err != nil {
		unix.Close(fd)
		return -1, err
	}
	return fd, nil
}

// mqGetattr reads a queue's attributes.
func mqGetattr(fd int) (mqAttr, error) {
	var a mqAttr
	_, _, errno := unix.Syscall(unix.SYS_MQ_GETSETATTR, uintptr(fd), 0, uintptr(unsafe.Pointer(&a)))
	if errno != 0 {
		return a, errno
	}
	return a, nil
}

// mqUnlink removes a queue.
func mqUnlink(path string) error {
	name, err := mqName(path)
	if err != nil {
		return err
	}
	_, _, errno := unix.Syscall(unix.SYS_MQ_UNLINK, uintptr(unsafe.Pointer(name)), 0, 0)
	if errno != 0 {
		return errno
	}
	return nil
}
