//go:build linux

package listener

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/sys/unix"
)

// openEndpoint opens one FunctionFS endpoint file, which must be a regular file.
func openEndpoint(path string) (*os.File, error) {
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_CLOEXEC|unix.O_NOCTTY|unix.O_NONBLOCK|unix.O_NOFOLLOW, 0)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFREG {
		unix.Close(fd)
		if err == nil {
			err = unix.EEXIST
		}
		return nil, fmt.Errorf("%s is not an endpoint file: %w", path, err)
	}
	return os.NewFile(uintptr(fd), path), nil
}

// openUSBFunction opens a FunctionFS mount as systemd does for ListenUSBFunction=: ep0, into
// which the service's descriptors and then its strings are written (each file in one write, as
// FunctionFS wants it), then every other endpoint (ep1, ep2, … in name order) as auxiliary
// files. On error nothing stays open.
func openUSBFunction(dir string, usb USBFunction) (ep0 *os.File, aux []*os.File, err error) {
	if usb.Descriptors == "" || usb.Strings == "" {
		return nil, nil, fmt.Errorf("the service sets no USBFunctionDescriptors= and USBFunctionStrings=: %w", unix.EINVAL)
	}
	ep0, err = openEndpoint(filepath.Join(dir, "ep0"))
	if err != nil {
		return nil, nil, err
	}
	defer func() {
		if err != nil {
			ep0.Close()
			closeAll(aux)
			ep0, aux = nil, nil
		}
	}()
	for _, f := range []string{usb.Descriptors, usb.Strings} {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, nil, err
		}
		if _, err := ep0.Write(b); err != nil {
			return nil, nil, fmt.Errorf("write %s to ep0: %w", f, err)
		}
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, err
	}
	names := make([]string, 0, len(ents))
	for _, e := range ents {
		if n := e.Name(); strings.HasPrefix(n, "ep") && n != "ep0" {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		f, err := openEndpoint(filepath.Join(dir, n))
		if err != nil {
			return nil, nil, err
		}
		aux = append(aux, f)
	}
	return ep0, aux, nil
}

// closeAll closes files and joins their errors.
func closeAll(fs []*os.File) error {
	var errs []error
	for _, f := range fs {
		if err := f.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
