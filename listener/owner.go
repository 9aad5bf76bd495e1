//go:build linux

package listener

import (
	"fmt"
	"os/user"
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/sockvisor/sockvisor/socketunit"
)

// owner resolves SocketUser=/SocketGroup= to ids; with only a user, the group is the user's
// primary group. -1 means "leave as is".
func owner(u *socketunit.Socket) (uid, gid int, err error) {
	uid, gid = -1, -1
	if u.SocketUser != "" {
		usr, err := lookupUser(u.SocketUser)
		if err != nil {
			return -1, -1, fmt.Errorf("SocketUser=%s: %w", u.SocketUser, err)
		}
		uid, _ = strconv.Atoi(usr.Uid)
		if u.SocketGroup == "" {
			gid, _ = strconv.Atoi(usr.Gid)
		}
	}
	if u.SocketGroup != "" {
		grp, err := lookupGroup(u.SocketGroup)
		if err != nil {
			return -1, -1, fmt.Errorf("SocketGroup=%s: %w", u.SocketGroup, err)
		}
		gid, _ = strconv.Atoi(grp.Gid)
	}
	return uid, gid, nil
}

func isNumeric(s string) bool {
	_, err := strconv.ParseUint(s, 10, 32)
	return err == nil
}

func lookupUser(name string) (*user.User, error) {
	if isNumeric(name) {
		if u, err := user.LookupId(name); err == nil {
			return u, nil
		}
		// A numeric id without a passwd entry is still an id (its primary group is unknown).
		return &user.User{Uid: name, Gid: "-1"}, nil
	}
	return user.Lookup(name)
}

func lookupGroup(name string) (*user.Group, error) {
	if isNumeric(name) {
		return &user.Group{Gid: name}, nil
	}
	return user.LookupGroup(name)
}

// chownNodes gives the file-system nodes and queues Open created to SocketUser=/SocketGroup=
// (systemd's start-chown step): UNIX socket paths and FIFOs by path, queues by fd. Adopted fds
// are left alone.
func chownNodes(s *Set) error {
	if s.Unit.SocketUser == "" && s.Unit.SocketGroup == "" {
		return nil
	}
	uid, gid, err := owner(s.Unit)
	if err != nil {
		return err
	}
	for _, fd := range s.FDs {
		if fd.Inherited {
			continue
		}
		switch p := nodePath(&fd.Listen); {
		case fd.Listen.Kind == socketunit.ListenMessageQueue:
			err = withFD(fd.File, func(n int) error { return unix.Fchown(n, uid, gid) })
		case p != "":
			err = unix.Lchown(p, uid, gid)
		default:
			continue
		}
		if err != nil {
			return fmt.Errorf("chown %s: %w", fd.File.Name(), err)
		}
	}
	return nil
}
