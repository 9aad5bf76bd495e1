//go:build linux

package listener

import "os"

// withFD runs f with the descriptor of file. Unlike File.Fd it leaves the descriptor in
// non-blocking mode.
func withFD(file *os.File, f func(fd int) error) error {
	rc, err := file.SyscallConn()
	if err != nil {
		return err
	}
	var ferr error
	if err := rc.Control(func(fd uintptr) { ferr = f(int(fd)) }); err != nil {
		return err
	}
	return ferr
}
