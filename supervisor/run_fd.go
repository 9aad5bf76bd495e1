//go:build linux

package supervisor

import (
	"os"

	"golang.org/x/sys/unix"
)

// dupFile returns a close-on-exec duplicate of fd as a new file.
func dupFile(fd int, name string) (*os.File, error) {
	nfd, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 3)
	if err != nil {
		return nil, err
	}
	return os.NewFile(uintptr(nfd), name), nil
}
