//go:build linux

package listener

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"golang.org/x/sys/unix"

	"github.com/sockvisor/sockvisor/socketunit"
)

// Smack attributes set on socket fds (SmackLabelIPIn=, SmackLabelIPOut=).
const (
	smackIPIn  = 1
	smackIPOut = 2
)

// smackActive reports whether the kernel runs the Smack LSM; systemd skips every Smack label
// otherwise (mac_smack_use).
func smackActive() bool {
	_, err := os.Stat("/sys/fs/smackfs/")
	return err == nil
}

// set applies one row's value to fd.
func (o *sockOption) set(fd int, a *socketunit.Address, v optValue) error {
	switch o.kind {
	case stringValue:
		level, opt := o.levelOpt(a, v)
		return unix.SetsockoptString(fd, level, opt, v.s)
	case bufferValue:
		_, opt := o.levelOpt(a, v)
		return setBuffer(fd, opt, forceOf(opt), v.i)
	case smackValue:
		if !smackActive() {
			return nil
		}
		attr := "security.SMACK64IPIN"
		if v.i == smackIPOut {
			attr = "security.SMACK64IPOUT"
		}
		return unix.Fsetxattr(fd, attr, []byte(v.s), 0)
	}
	level, opt := o.levelOpt(a, v)
	return unix.SetsockoptInt(fd, level, opt, v.i)
}

func forceOf(opt int) int {
	if opt == unix.SO_SNDBUF {
		return unix.SO_SNDBUFFORCE
	}
	return unix.SO_RCVBUFFORCE
}

// setBuffer sets SO_RCVBUF/SO_SNDBUF the way systemd's fd_set_rcvbuf/fd_set_sndbuf do: nothing
// if the kernel already holds 2n, else the plain option, then the FORCE variant when the
// kernel capped the plain one.
func setBuffer(fd, opt, force, n int) error {
	if n < 0 {
		return unix.ERANGE
	}
	if cur, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, opt); err == nil && cur == 2*n {
		return nil
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, opt, n); err != nil {
		return err
	}
	if cur, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, opt); err == nil && cur == 2*n {
		return nil
	}
	return unix.SetsockoptInt(fd, unix.SOL_SOCKET, force, n)
}

// applyStage applies every row of stage st that the unit sets and that applies to the address,
// in table order. A row that fails is handed to failed, whose error (if any) ends the stage.
func applyStage(fd int, u *socketunit.Socket, a *socketunit.Address, st stage, failed func(o *sockOption, err error) error) error {
	for i := range socketOptions {
		o := &socketOptions[i]
		if o.stage != st {
			continue
		}
		v, set := o.value(u)
		if !set || !o.applies(a) {
			continue
		}
		if err := o.set(fd, a, v); err != nil {
			if err := failed(o, fmt.Errorf("set %s: %w", o.key, err)); err != nil {
				return err
			}
		}
	}
	return nil
}

// logFailure is the failure rule for listening sockets: a fatal row's error is returned; other
// failures are logged and skipped, as a warning, or at debug level when the kernel does not
// support the option or refuses it for lack of privilege (systemd's log_socket_option_errno,
// used for the after-listen options).
func logFailure(ctx context.Context, log *slog.Logger, u *socketunit.Socket, what string) func(*sockOption, error) error {
	return func(o *sockOption, err error) error {
		if o.fatal {
			return err
		}
		level := slog.LevelWarn
		if o.stage == stageAfterListen && quietFailure(err) {
			level = slog.LevelDebug
		}
		log.Log(ctx, level, "failed to set socket option, ignoring",
			"unit", u.Name, "address", what, "option", o.key, "err", err)
		return nil
	}
}

// quietFailure reports whether a failed option is logged at debug level only.
func quietFailure(err error) bool { return notSupported(err) || privilege(err) }

// notSupported is systemd's ERRNO_IS_NOT_SUPPORTED class.
func notSupported(err error) bool {
	for _, e := range []unix.Errno{unix.EOPNOTSUPP, unix.ENOTTY, unix.ENOSYS, unix.EAFNOSUPPORT,
		unix.EPFNOSUPPORT, unix.EPROTONOSUPPORT, unix.ESOCKTNOSUPPORT, unix.ENOPROTOOPT} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// privilege is systemd's ERRNO_IS_PRIVILEGE class.
func privilege(err error) bool {
	return errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES)
}
