package socketunit

import (
	"errors"
	"syscall"
)

// glibcErrorText maps the errno values the unit parsers return to glibc's strerror texts,
// which systemd prints after "ignoring: " (Go's syscall texts differ in case and wording).
var glibcErrorText = map[syscall.Errno]string{
	syscall.EPERM:           "Operation not permitted",
	syscall.ENOENT:          "No such file or directory",
	syscall.EIO:             "Input/output error",
	syscall.ENXIO:           "No such device or address",
	syscall.E2BIG:           "Argument list too long",
	syscall.EBADF:           "Bad file descriptor",
	syscall.ENOMEM:          "Cannot allocate memory",
	syscall.EACCES:          "Permission denied",
	syscall.EEXIST:          "File exists",
	syscall.ENODEV:          "No such device",
	syscall.ENOTDIR:         "Not a directory",
	syscall.EISDIR:          "Is a directory",
	syscall.EINVAL:          "Invalid argument",
	syscall.ENOSPC:          "No space left on device",
	syscall.EDOM:            "Numerical argument out of domain",
	syscall.ERANGE:          "Numerical result out of range",
	syscall.ENAMETOOLONG:    "File name too long",
	syscall.ENOSYS:          "Function not implemented",
	syscall.EBADSLT:         "Invalid slot",
	syscall.ENODATA:         "No data available",
	syscall.ENOBUFS:         "No buffer space available",
	syscall.EBADMSG:         "Bad message",
	syscall.EOVERFLOW:       "Value too large for defined data type",
	syscall.EUCLEAN:         "Structure needs cleaning",
	syscall.ENOEXEC:         "Exec format error",
	syscall.EPROTONOSUPPORT: "Protocol not supported",
	syscall.EAFNOSUPPORT:    "Address family not supported by protocol",
	syscall.EOPNOTSUPP:      "Operation not supported",
	syscall.ENOTUNIQ:        "Name not unique on network",
	syscall.ELOOP:           "Too many levels of symbolic links",
	syscall.ESRCH:           "No such process",
	syscall.ENOTSOCK:        "Socket operation on non-socket",
	syscall.ENOPKG:          "Package not installed",
	syscall.ENOMEDIUM:       "No medium found",
	syscall.ENOKEY:          "Required key not available",
	syscall.EILSEQ:          "Invalid or incomplete multibyte or wide character",
}

// strerror returns glibc's text for the errno err wraps, as systemd's "%m" prints it; for an
// error without an errno it returns "Invalid argument" (systemd's fallback for a parse
// failure) unless the error has its own text.
func strerror(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		if s, ok := glibcErrorText[errno]; ok {
			return s
		}
		return errno.Error()
	}
	if err == nil {
		return "Success"
	}
	return glibcErrorText[syscall.EINVAL]
}

// ErrorText returns glibc's strerror text for the errno err wraps ("Permission denied"), as
// systemd prints it.
func ErrorText(err error) string { return strerror(err) }
